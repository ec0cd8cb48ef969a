/*
 * The scheduler: round robin over the runnable vCPUs of every domain, a time slice on
 * the hypervisor's one-shot timer, blocked vCPUs off the run queue until an event or
 * timer wakes them, and the CPU halted (hlt) when nothing can run. A switch happens
 * only on the way back to a guest (sched_before_guest), so a vCPU leaves the CPU with
 * its whole state in its guest frame and no hypervisor stack of its own.
 */
#ifndef HV_SCHEDULER_H
#define HV_SCHEDULER_H

#include <stdint.h>
#include "domain.h"

#define SCHED_SLICE_NS 10000000ULL   /* 10 ms */

/* A built vCPU joins the run queue. */
void sched_start_vcpu(struct vcpu *v);
/* Every vCPU of d leaves the CPU and the queue for good (d is ending). If d's vCPU is
 * current, this CPU has no current vCPU afterwards. */
void sched_stop_domain(struct domain *d);
/* The current vCPU blocks: it leaves the CPU on its way back to the guest, unless a
 * wake condition already holds (checked there, with interrupts off). */
void sched_vcpu_block(struct vcpu *v);
/* The current vCPU gives the CPU to the next runnable one, if any. */
void sched_vcpu_yield(struct vcpu *v);
/* An event channel of r->ed was raised for vCPU r->vcpu: wake it if blocked on it. */
void sched_event_raised(const struct evtchn_raised *r);
/* A blocked vCPU's own timer (e.g. SCHEDOP_poll's timeout) expired: re-check it. */
void sched_recheck(struct vcpu *v);
/* From the timer interrupt: end the current slice when it is used up. */
void sched_timer_tick(uint64_t now);
/* When the current slice ends (UINT64_MAX: no current vCPU). */
uint64_t sched_slice_end(void);
/* With interrupts off, on the way back to the guest whose frame is regs: switch to
 * another vCPU if this one blocked, yielded or used up its slice. */
void sched_switch(struct cpu_regs *regs);
static inline void sched_before_guest(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();
    if (__builtin_expect(v && !v->need_resched, 1))
        return;                          /* the common case: keep running */
    sched_switch(regs);
}
/* Run the next vCPU on a CPU that has none (boot, or a domain just ended). */
void sched_run(void) __attribute__((noreturn));
/* Bring v's runstate times up to now (VCPUOP_get_runstate_info, the exit summary). */
void vcpu_runstate_refresh(struct vcpu *v);

#endif
