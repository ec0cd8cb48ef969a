/*
 * sched_op: yield, block, poll and shutdown. Block and poll do not wait here: they mark
 * the vCPU blocked and return 0, and the scheduler takes it off the CPU on its way back
 * to the guest (core/sched.c), until an event for it (or the poll's timeout) puts it
 * back on the run queue. shutdown ends the domain with its reason.
 */
#include "console.h"
#include "console_ring.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "scheduler.h"
#include "timer.h"

/* Yield: the next runnable vCPU gets the CPU. The console ring backend drains the
 * domain's ring first (guests spin on yield until out_cons catches up). */
static long sched_yield(uint64_t arg)
{
    console_ring_yield(current_domain());
    sched_vcpu_yield(current_vcpu());
    return 0;
}

/* SCHEDOP_block: the implicit "sti" (upcall mask cleared), then sleep until an event
 * upcall is pending. */
static long sched_block(uint64_t arg)
{
    struct vcpu *v = current_vcpu();
    *upcall_mask(v) = 0;
    if (!v->vcpu_info->evtchn_upcall_pending)
        sched_vcpu_block(v);
    return 0;
}

/* A port SCHEDOP_poll may name: inside the allocated range and open (Xen 4.17's
 * evtchn_port_poll: -EINVAL for port 0, free and never-allocated ports). */
static bool poll_port_ok(const struct evtchn_domain *ed, evtchn_port_t port)
{
    return port < ed->valid && ed->chan[port].state != EVTCHN_FREE &&
           ed->chan[port].state != EVTCHN_RESERVED;
}

/* SCHEDOP_poll: sleep until one of the listed ports is pending (masked or not), an
 * upcall needs delivery, or the absolute timeout (0 = none) passes. The upcall mask is
 * left alone. The ports are kept in the vCPU for the scheduler's wake check. */
static long sched_poll(uint64_t arg)
{
    struct vcpu *v = current_vcpu();
    struct sched_poll p;
    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports > ARRAY_SIZE(v->poll_ports))
        return -EINVAL;
    if (copy_from_guest(v->poll_ports, (uint64_t)(uintptr_t)p.ports.p,
                        p.nr_ports * sizeof(v->poll_ports[0])))
        return -EFAULT;
    for (unsigned i = 0; i < p.nr_ports; i++)
        if (!poll_port_ok(&v->domain->evtchn, v->poll_ports[i]))
            return -EINVAL;
    v->poll_nr = p.nr_ports;
    v->polling = true;
    if (p.timeout) {
        pvclock_timer_set(&v->poll_timeout, p.timeout);
        timer_reprogram();
    }
    sched_vcpu_block(v);      /* returns at once if a port is already pending */
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
