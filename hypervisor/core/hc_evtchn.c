/*
 * event_channel_op: the 2-level event channels of the calling domain. Each handler
 * copies the guest's argument in, runs the pure logic of event/evtchn.c on the domain's
 * table, and copies the result out. A raise only sets bits in shared_info and the
 * vcpu_info; the upcall itself is delivered on the way back to the guest
 * (prepare_return_to_guest); a blocked target vCPU is woken by the scheduler.
 */
#include "console_ring.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "scheduler.h"

static struct evtchn_domain *my_ed(void) { return &current_domain()->evtchn; }

/* Copy in, run, copy out: every sub-op with an in/out struct. */
#define INOUT(type, arg, call) ({                                                   \
        type op_;                                                                    \
        long rc_;                                                                    \
        if (copy_from_guest(&op_, (arg), sizeof(op_)))                               \
            rc_ = -EFAULT;                                                           \
        else if ((rc_ = (call)) == 0 && copy_to_guest((arg), &op_, sizeof(op_)))     \
            rc_ = -EFAULT;                                                           \
        rc_; })

static long ev_alloc_unbound(uint64_t arg)
{
    return INOUT(struct evtchn_alloc_unbound, arg, evtchn_op_alloc_unbound(&domain_evtchn_env, my_ed(), &op_));
}

static long ev_bind_interdomain(uint64_t arg)
{
    return INOUT(struct evtchn_bind_interdomain, arg,
                 evtchn_op_bind_interdomain(&domain_evtchn_env, my_ed(), &op_, NULL));
}

static long ev_bind_virq(uint64_t arg)
{
    return INOUT(struct evtchn_bind_virq, arg, evtchn_op_bind_virq(my_ed(), &op_));
}

static long ev_bind_ipi(uint64_t arg)
{
    return INOUT(struct evtchn_bind_ipi, arg, evtchn_op_bind_ipi(my_ed(), &op_));
}

static long ev_status(uint64_t arg)
{
    return INOUT(struct evtchn_status, arg, evtchn_op_status(&domain_evtchn_env, my_ed(), &op_));
}

static long ev_close(uint64_t arg)
{
    struct evtchn_close op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    return evtchn_op_close(&domain_evtchn_env, my_ed(), op.port);
}

static long ev_send(uint64_t arg)
{
    struct evtchn_send op;
    struct evtchn_target t;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    int rc = evtchn_op_send(&domain_evtchn_env, my_ed(), op.port, &t);
    if (rc)
        return rc;
    if (t.kind == EVTCHN_SEND_GUEST) {
        struct evtchn_raised r;
        if (evtchn_raise(t.ed, t.port, &r) == 0)
            sched_event_raised(&r);       /* wakes the target if it was blocked */
    } else if (t.kind == EVTCHN_SEND_XEN && t.consumer == CONSOLE_RING_CONSUMER) {
        console_ring_notify(current_domain(), t.port);   /* drains, raises back */
    }
    return 0;                             /* other backends: none yet, dropped */
}

static long ev_bind_vcpu(uint64_t arg)
{
    struct evtchn_bind_vcpu op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    return evtchn_op_bind_vcpu(my_ed(), op.port, op.vcpu);
}

static long ev_unmask(uint64_t arg)
{
    struct evtchn_unmask op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    return evtchn_op_unmask(my_ed(), op.port, NULL);
}

static long ev_reset(uint64_t arg)
{
    struct evtchn_reset op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    return evtchn_op_reset(&domain_evtchn_env, my_ed(), op.dom);
}

typedef long ev_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(ev_, name),
static ev_fn *const ev_ops[] = {
#include "subops/event_channel_op.def"
};
#undef SUBOP

long hc_event_channel_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    ev_fn *fn = SUBOP_TABLE_LOOKUP(ev_ops, cmd);
    if (!fn)
        return hc_enosys_subop("event_channel_op", __HYPERVISOR_event_channel_op, cmd);
    return fn(arg);
}
