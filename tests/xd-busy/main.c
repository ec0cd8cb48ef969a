/*
 * xd-busy: a guest that only computes, for ms= milliseconds of system time (default
 * 2000): the hypervisor keeps its clock, its timer and its runstate accounting right
 * while it runs, alone or beside other domains. It is also the load of the
 * multi-domain tests: tests/e2e/sched-fairness.sh boots two of them and compares their
 * "iterations: N" lines; xd-timer-beside and tests/e2e/crash-beside-healthy.sh run
 * beside one.
 *
 * Checks:
 * - system time (pvclock_now) never goes backwards from one read to the next, across
 *   every preemption;
 * - a timer set with set_timer_op halfway through raises VIRQ_TIMER (the port bound and
 *   masked, seen as its pending bit) no earlier than its deadline, and (sanity bound)
 *   within 200 ms after it and before the spin ends;
 * - VCPUOP_get_runstate_info before and after the spin: the state is running, the
 *   four times grew by exactly as much as state_entry_time did, blocked and offline did
 *   not grow at all (we never block), running grew by more than 0 and at most the
 *   elapsed time.
 * Prints (figures, never judged): "iterations: N" (loop passes, each one clock read:
 * proportional to the CPU time the domain got), the running and runnable time of the
 * spin and the CPU share they give. progress=MS prints a line every MS ms.
 * How: a loop reading the clock until the end time; events stay masked throughout, the
 * periodic timer is stopped so that VIRQ_TIMER is ours alone.
 * Cannot detect: unfairness between domains (the e2e script compares two runs), time
 * that stands still while we are descheduled and catches up later (monotonic either
 * way), a timer late by less than the time we were descheduled.
 */
#include "test.h"

const char test_title[] = "xd-busy: a busy domain's clock, timer and runstate";

#define TIMER_LATE_NS   (200 * NS_PER_MS)

static evtchn_port_t tport;

struct spin {
    uint64_t t0, end, timer_at, last;     /* last: the clock read that ended it */
    uint64_t iterations, backwards, worst_back, timer_seen;
};

static unsigned long ms_of(uint64_t ns)
{
    return (unsigned long)(ns / NS_PER_MS);
}

static bool runstate(struct vcpu_runstate_info *r)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)r);

    if (rc)
        test_failure("get_runstate_info: returned %ld", rc);
    return rc == 0;
}

static void spin(struct spin *s, unsigned long progress_ms)
{
    uint64_t now, prev, next_progress;

    s->t0 = prev = pvclock_now();
    s->end = s->t0 + cmdline_ulong("ms", 2000) * NS_PER_MS;
    s->timer_at = s->t0 + (s->end - s->t0) / 2;
    next_progress = s->t0 + progress_ms * NS_PER_MS;
    if (HYPERVISOR_set_timer_op(s->timer_at))
        test_failure("set_timer_op: refused");
    do {
        /* The pending bit before the clock: a preemption between the two then makes
         * the time read later, never earlier, than the moment the bit was seen. */
        bool pending = evtchn_is_pending(tport);

        now = pvclock_now();
        if (now < prev) {
            s->backwards++;
            if (prev - now > s->worst_back)
                s->worst_back = prev - now;
        }
        prev = now;
        if (pending && !s->timer_seen)
            s->timer_seen = now;
        if (progress_ms && now >= next_progress) {
            printk("progress: %lu ms, %llu iterations\n", ms_of(now - s->t0),
                   (unsigned long long)s->iterations);
            while (next_progress <= now)    /* none for the time we were away */
                next_progress += progress_ms * NS_PER_MS;
        }
        s->iterations++;
    } while (now < s->end);
    s->last = now;
}

static void check_clock_and_timer(const struct spin *s)
{
    if (s->backwards)
        test_failure("system time went backwards %llu times, by up to %llu ns",
                     (unsigned long long)s->backwards, (unsigned long long)s->worst_back);
    if (!s->timer_seen) {
        test_failure("the timer set for +%lu ms had not fired when the spin ended at "
                     "+%lu ms", ms_of(s->timer_at - s->t0), ms_of(s->end - s->t0));
        return;
    }
    printk("timer: deadline +%lu ms, seen pending %lu us after it\n",
           ms_of(s->timer_at - s->t0),
           s->timer_seen >= s->timer_at ?
               (unsigned long)((s->timer_seen - s->timer_at) / NS_PER_US) : 0UL);
    if (s->timer_seen < s->timer_at)
        test_failure("the timer fired %llu ns before its deadline (deadline %llu ns, "
                     "pending seen at %llu ns system time)",
                     (unsigned long long)(s->timer_at - s->timer_seen),
                     (unsigned long long)s->timer_at, (unsigned long long)s->timer_seen);
    else if (s->timer_seen - s->timer_at > TIMER_LATE_NS)
        test_failure("the timer was seen %lu ms after its deadline (sanity bound %lu ms)",
                     ms_of(s->timer_seen - s->timer_at), ms_of(TIMER_LATE_NS));
}

static void check_runstate(const struct vcpu_runstate_info *a,
                           const struct vcpu_runstate_info *b, uint64_t elapsed)
{
    uint64_t d[4], sum = 0, entry = b->state_entry_time - a->state_entry_time;
    unsigned int i;

    for (i = 0; i < 4; i++) {
        d[i] = b->time[i] - a->time[i];
        sum += d[i];
    }
    printk("runstate over the spin: running %lu ms, runnable %lu ms, blocked %lu ms "
           "(%lu ms elapsed): %lu%% of the CPU\n", ms_of(d[RUNSTATE_running]),
           ms_of(d[RUNSTATE_runnable]), ms_of(d[RUNSTATE_blocked]), ms_of(elapsed),
           entry ? (unsigned long)(d[RUNSTATE_running] * 100 / entry) : 0UL);
    if (a->state != RUNSTATE_running || b->state != RUNSTATE_running)
        test_failure("runstate reported state %d then %d while we run, expected %d",
                     a->state, b->state, RUNSTATE_running);
    if (sum != entry)
        test_failure("runstate times grew by %llu ns, state_entry_time by %llu ns: "
                     "time unaccounted for", (unsigned long long)sum,
                     (unsigned long long)entry);
    if (d[RUNSTATE_blocked] || d[RUNSTATE_offline])
        test_failure("a vCPU that never blocks spent %llu ns blocked and %llu ns offline",
                     (unsigned long long)d[RUNSTATE_blocked],
                     (unsigned long long)d[RUNSTATE_offline]);
    if (!d[RUNSTATE_running] || d[RUNSTATE_running] > entry)
        test_failure("running time grew by %llu ns over %llu ns",
                     (unsigned long long)d[RUNSTATE_running], (unsigned long long)entry);
}

void test_main(void)
{
    struct vcpu_runstate_info before, after;
    struct spin s = { 0 };
    unsigned long progress_ms = cmdline_ulong("progress", 0);

    printk("Test: spin for %lu ms of system time\n", cmdline_ulong("ms", 2000));
    if (vcpu_stop_periodic() || evtchn_bind_virq(VIRQ_TIMER, 0, &tport)) {
        test_error("cannot stop the periodic timer or bind VIRQ_TIMER");
        return;
    }
    if (!runstate(&before))
        return;
    spin(&s, progress_ms);
    if (!runstate(&after))
        return;
    printk("iterations: %llu\n", (unsigned long long)s.iterations);
    check_clock_and_timer(&s);
    check_runstate(&before, &after, s.last - s.t0);
    evtchn_close(tport);
}
