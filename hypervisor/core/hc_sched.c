/*
 * sched_op: yield, block and shutdown. One domain runs at a time (issue #3 adds the
 * scheduler), so yield returns at once. block clears the upcall mask (the implicit
 * "sti" of the ABI) and returns 0 when an event is pending; with no event source yet
 * to wake it, it returns at once too (logged once), rather than sleeping forever.
 * shutdown ends the domain with its reason: it becomes the machine's exit status.
 */
#include "console.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"

static long sched_yield(uint64_t arg) { return 0; }

static long sched_block(uint64_t arg)
{
    struct vcpu *v = current_vcpu();
    static bool warned;
    *upcall_mask(v) = 0;
    if (!v->vcpu_info->evtchn_upcall_pending && !warned) {
        warned = true;
        printk("d%u: SCHEDOP_block with nothing able to wake it yet: returning\n",
               v->domain->id);
    }
    return 0;
}

static long sched_shutdown(uint64_t arg)
{
    struct sched_shutdown s;
    if (copy_from_guest(&s, arg, sizeof(s)))
        return -EFAULT;
    if (s.reason > SHUTDOWN_MAX)
        return -EINVAL;
    domain_shutdown(s.reason);
}

typedef long sched_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(sched_, name),
static sched_fn *const sched_ops[] = {
#include "subops/sched_op.def"
};
#undef SUBOP

long hc_sched_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    sched_fn *fn = SUBOP_TABLE_LOOKUP(sched_ops, cmd);
    if (!fn)
        return hc_enosys_subop("sched_op", __HYPERVISOR_sched_op, cmd);
    return fn(arg);
}
