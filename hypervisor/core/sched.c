/*
 * Round-robin scheduling of vCPUs on this CPU (include/scheduler.h).
 *
 * State: a FIFO run queue of RUNNABLE vCPUs linked through vcpu->run_next; the
 * current vCPU (RUNNING) is not on it. A vCPU that blocks leaves the CPU on its way
 * back to the guest and is put back on the queue by sched_wake() when an event for it
 * is raised or its poll times out. Switching copies the register frame at the top of
 * the stack into the outgoing vCPU and the incoming vCPU's into the frame, around
 * context_save()/context_load(); nothing else of a vCPU lives on the stack.
 *
 * Runstate accounting (running, runnable, blocked, offline) is kept here: it is what
 * VCPUOP_get_runstate_info reports and what the fairness figures are made of.
 */
#include "console.h"
#include "context.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "scheduler.h"
#include "timer.h"
#include "tsc.h"
#include "x86.h"

static struct vcpu *queue_head, *queue_tail;
static uint64_t slice_end = UINT64_MAX;

static void queue_push(struct vcpu *v)
{
    v->run_next = NULL;
    if (queue_tail)
        queue_tail->run_next = v;
    else
        queue_head = v;
    queue_tail = v;
}

static struct vcpu *queue_pop(void)
{
    struct vcpu *v = queue_head;
    if (v) {
        queue_head = v->run_next;
        if (!queue_head)
            queue_tail = NULL;
        v->run_next = NULL;
    }
    return v;
}

static void queue_remove(struct vcpu *v)
{
    struct vcpu **pp = &queue_head, *prev = NULL;
    while (*pp && *pp != v) {
        prev = *pp;
        pp = &(*pp)->run_next;
    }
    if (!*pp)
        return;
    *pp = v->run_next;
    if (queue_tail == v)
        queue_tail = prev;
    v->run_next = NULL;
}

static const int runstate_of[] = {
    [VCPU_DOWN] = RUNSTATE_offline, [VCPU_RUNNABLE] = RUNSTATE_runnable,
    [VCPU_RUNNING] = RUNSTATE_running, [VCPU_BLOCKED] = RUNSTATE_blocked,
};

void vcpu_runstate_refresh(struct vcpu *v)
{
    uint64_t now = system_time_ns();
    v->runstate.time[v->runstate.state] += now - v->runstate.state_entry_time;
    v->runstate.state_entry_time = now;
}

/* Write v's runstate to the area it registered (VCPUOP_register_runstate_memory_area),
 * through its kernel page tables: v's address space must be the one loaded. A write
 * that faults is dropped, as on Xen (the area may not be mapped yet). */
static void publish_runstate(struct vcpu *v)
{
    if (!v->runstate_area)
        return;
    if (!v->kernel_mode)
        write_cr3(v->kernel_l4 << PAGE_SHIFT);
    copy_to_guest(v->runstate_area, &v->runstate, sizeof(v->runstate));
    if (!v->kernel_mode)
        vcpu_load_cr3(v);
}

static void set_state(struct vcpu *v, enum vcpu_sched_state s)
{
    vcpu_runstate_refresh(v);
    v->sched_state = s;
    v->runstate.state = runstate_of[s];
}

void sched_start_vcpu(struct vcpu *v)
{
    v->runstate.state_entry_time = system_time_ns();
    set_state(v, VCPU_RUNNABLE);
    queue_push(v);
}

void sched_stop_domain(struct domain *d)
{
    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        struct vcpu *v = &d->vcpus[i];
        if (v->sched_state == VCPU_RUNNABLE)
            queue_remove(v);
        if (v == current_vcpu()) {
            this_cpu()->current = NULL;
            slice_end = UINT64_MAX;
        }
        if (v->sched_state != VCPU_DOWN)
            set_state(v, VCPU_DOWN);
    }
}

/* What would end v's block or poll now. */
static bool wake_condition(struct vcpu *v)
{
    struct vcpu_info *vi = v->vcpu_info;
    if (!v->polling)
        return vi->evtchn_upcall_pending;
    if (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask)
        return true;                     /* an upcall it would take ends a poll too */
    for (uint32_t i = 0; i < v->poll_nr; i++)
        if (evtchn_is_pending(&v->domain->evtchn, v->poll_ports[i]) > 0)
            return true;
    return v->poll_timeout.deadline && !v->poll_timeout.armed;   /* timed out */
}

/* End v's block or poll (the hypercall has already returned 0 into its frame). */
static void unblock(struct vcpu *v, enum vcpu_sched_state to)
{
    v->polling = false;
    pvclock_timer_stop(&v->poll_timeout);
    v->poll_timeout.deadline = 0;
    set_state(v, to);
}

static void wake(struct vcpu *v)
{
    unblock(v, VCPU_RUNNABLE);
    queue_push(v);
}

void sched_vcpu_block(struct vcpu *v)
{
    v->need_resched = true;
    set_state(v, VCPU_BLOCKED);
}

void sched_vcpu_yield(struct vcpu *v)
{
    v->need_resched = true;
}

void sched_recheck(struct vcpu *v)
{
    if (v->sched_state == VCPU_BLOCKED && wake_condition(v))
        wake(v);
}

void sched_event_raised(const struct evtchn_raised *r)
{
    struct domain *d = (struct domain *)((char *)r->ed - offsetof(struct domain, evtchn));
    if (r->vcpu < MAX_VCPUS)
        sched_recheck(&d->vcpus[r->vcpu]);
}

void sched_timer_tick(uint64_t now)
{
    struct vcpu *v = current_vcpu();
    if (!v || now < slice_end)
        return;
    if (queue_head)
        v->need_resched = true;          /* leaves the CPU on its way back */
    else
        slice_end = now + SCHED_SLICE_NS;  /* alone: another slice */
}

uint64_t sched_slice_end(void) { return slice_end; }

/* Can anything ever wake v: a timer whose VIRQ is bound, or a poll timeout? (Events
 * from other domains need one of them running, which the caller has ruled out.) */
static bool timer_can_wake(struct vcpu *v)
{
    if (v->polling && v->poll_timeout.armed)
        return true;
    return timer_armed(v) && v->domain->evtchn.virq_port[v->id][VIRQ_TIMER] != 0;
}

/* Nothing is runnable: halt until an interrupt makes something runnable. When no
 * blocked vCPU can ever be woken (no timer of theirs raises anything and nothing else
 * runs), they are woken as if by a spurious event, logged once: a guest that blocks
 * with nothing to wake it gets its hypercall back rather than hanging the machine. */
static struct vcpu *idle_until_runnable(void)
{
    static bool warned;
    /* No vCPU holds the CPU, so no slice can end: without this the last vCPU's
     * slice_end stays in the timer's deadline and, once past, re-arms the APIC every
     * tick: the CPU spins through interrupts instead of halting (and under icount
     * virtual time then crawls at the spin's instruction rate). switch_to sets a new
     * slice. */
    slice_end = UINT64_MAX;
    for (;;) {
        struct vcpu *v = queue_pop();
        if (v)
            return v;
        bool any_waker = false;
        for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
            for (unsigned i = 0; domain_is_live(d) && i < MAX_VCPUS; i++)
                if (d->vcpus[i].sched_state == VCPU_BLOCKED && timer_can_wake(&d->vcpus[i]))
                    any_waker = true;
        if (!any_waker) {
            for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
                for (unsigned i = 0; domain_is_live(d) && i < MAX_VCPUS; i++)
                    if (d->vcpus[i].sched_state == VCPU_BLOCKED) {
                        if (!warned)
                            printk("d%u: blocked with nothing able to wake it: woken\n", d->id);
                        warned = true;
                        wake(&d->vcpus[i]);
                    }
            if (!queue_head)
                panic("scheduler: no vCPU left to run, yet the domains were not ended");
            continue;
        }
        timer_reprogram();
        __asm__ volatile("sti; hlt; cli" ::: "memory");
    }
}

/* Give the CPU to v, whose frame goes into regs (the frame at the stack top). */
static void switch_to(struct vcpu *v, struct cpu_regs *regs)
{
    this_cpu()->current = v;
    set_state(v, VCPU_RUNNING);
    v->need_resched = false;
    v->stats.switches++;
    *regs = v->regs;
    context_load(v);
    time_update_vcpu(v);
    publish_runstate(v);
    slice_end = system_time_ns() + SCHED_SLICE_NS;
    timer_reprogram();
}

void sched_switch(struct cpu_regs *regs)
{
    struct vcpu *prev = current_vcpu();
    if (prev) {
        prev->need_resched = false;
        if (prev->sched_state == VCPU_BLOCKED && wake_condition(prev))
            unblock(prev, VCPU_RUNNING); /* woke before it left: as if it yielded */
        if (prev->sched_state == VCPU_RUNNING) {
            if (!queue_head) {
                slice_end = system_time_ns() + SCHED_SLICE_NS;
                return;                  /* nobody else wants the CPU */
            }
            set_state(prev, VCPU_RUNNABLE);
            queue_push(prev);
        }
        prev->regs = *regs;
        publish_runstate(prev);
        context_save(prev);
        this_cpu()->current = NULL;
    }
    struct vcpu *next = queue_pop();
    if (!next) {
        write_cr3(virt_to_maddr(idle_l4()));
        next = idle_until_runnable();
    }
    switch_to(next, regs);
}

void sched_run(void)
{
    struct vcpu *next = queue_pop();
    if (!next) {
        write_cr3(virt_to_maddr(idle_l4()));
        next = idle_until_runnable();
    }
    switch_to(next, guest_regs());
    return_to_guest_now();
}
