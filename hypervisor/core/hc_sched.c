/*
 * sched_op: yield, block, poll and shutdown. One domain runs at a time (the scheduler
 * of issue #3 comes next), so yield returns at once; block and poll halt the CPU until
 * the timer interrupt makes an event pending. A vCPU that nothing could ever wake (no
 * timer armed, or VIRQ_TIMER not bound) returns at once, logged once, rather than hang
 * the machine. shutdown ends the domain with its reason: the machine's exit status.
 */
#include "console.h"
#include "console_ring.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "timer.h"

/* One domain runs at a time: yield returns at once, after the console ring backend
 * has drained the domain's ring (guests spin on yield until out_cons catches up). */
static long sched_yield(uint64_t arg)
{
    console_ring_yield(current_domain());
    return 0;
}

/* Sleep until an interrupt (the LAPIC timer) arrives; interrupts are off again after. */
static void wait_for_interrupt(void)
{
    __asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* Only VIRQ_TIMER can wake a vCPU while it is the only one running. */
static bool can_be_woken(struct vcpu *v)
{
    return timer_armed(v) && v->domain->evtchn.virq_port[v->id][VIRQ_TIMER] != 0;
}

static void cannot_wake(struct vcpu *v, const char *what)
{
    static bool warned;
    if (!warned) {
        warned = true;
        printk("d%u: %s with no bound timer able to wake it: returning\n", v->domain->id, what);
    }
}

/* SCHEDOP_block: the implicit "sti" (upcall mask cleared), then sleep until an event
 * upcall is pending. */
static long sched_block(uint64_t arg)
{
    struct vcpu *v = current_vcpu();
    *upcall_mask(v) = 0;
    while (!v->vcpu_info->evtchn_upcall_pending) {
        if (!can_be_woken(v)) {
            cannot_wake(v, "SCHEDOP_block");
            break;
        }
        wait_for_interrupt();
    }
    return 0;
}

/* A port SCHEDOP_poll may name: inside the allocated range and open (Xen 4.17's
 * evtchn_port_poll: -EINVAL for port 0, free and never-allocated ports). */
static bool poll_port_ok(const struct evtchn_domain *ed, evtchn_port_t port)
{
    return port < ed->valid && ed->chan[port].state != EVTCHN_FREE &&
           ed->chan[port].state != EVTCHN_RESERVED;
}

/* An upcall the vCPU would take now also ends a poll, as on Xen. */
static bool upcall_deliverable(struct vcpu *v)
{
    return v->vcpu_info->evtchn_upcall_pending && !v->vcpu_info->evtchn_upcall_mask;
}

/* SCHEDOP_poll: sleep until one of the listed ports is pending (masked or not), an
 * upcall needs delivery, or the absolute timeout (0 = none) passes. The upcall mask is
 * left alone. */
#define POLL_PORTS_MAX 128
static long sched_poll(uint64_t arg)
{
    struct vcpu *v = current_vcpu();
    struct sched_poll p;
    evtchn_port_t ports[POLL_PORTS_MAX];
    if (copy_from_guest(&p, arg, sizeof(p)))
        return -EFAULT;
    if (p.nr_ports > POLL_PORTS_MAX)
        return -EINVAL;
    if (copy_from_guest(ports, (uint64_t)(uintptr_t)p.ports.p, p.nr_ports * sizeof(ports[0])))
        return -EFAULT;
    for (unsigned i = 0; i < p.nr_ports; i++)
        if (!poll_port_ok(&v->domain->evtchn, ports[i]))
            return -EINVAL;
    if (p.timeout) {
        pvclock_timer_set(&v->poll_timeout, p.timeout);
        timer_reprogram(v);
    }
    for (;;) {
        if (upcall_deliverable(v))
            goto done;
        for (unsigned i = 0; i < p.nr_ports; i++)
            if (evtchn_is_pending(&v->domain->evtchn, ports[i]) > 0)
                goto done;
        if (p.timeout && !v->poll_timeout.armed)
            goto done;                          /* timed out */
        if (!p.timeout && !can_be_woken(v)) {
            cannot_wake(v, "SCHEDOP_poll");
            goto done;
        }
        wait_for_interrupt();
    }
done:
    pvclock_timer_stop(&v->poll_timeout);
    timer_reprogram(v);
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
