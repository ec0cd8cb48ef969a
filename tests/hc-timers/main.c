/*
 * hc-timers: set_timer_op (hypercall 15), VCPUOP_set_singleshot_timer /
 * stop_singleshot_timer and VCPUOP_set_periodic_timer / stop_periodic_timer, each
 * expiry raising VIRQ_TIMER.
 *
 * Checks (Xen 4.17 common/domain.c do_vcpu_op, common/sched/core.c do_set_timer_op):
 * - a PV vCPU starts with a periodic timer (10 ms on Xen): VIRQ_TIMER ticks as soon as it
 *   is bound; stop_periodic_timer stops the ticks;
 * - set_timer_op(now + 20 ms), then SCHEDOP_block: the vCPU wakes with one VIRQ_TIMER no
 *   earlier than the deadline (1 ms of slack for the hypervisor's timer slop) and not
 *   absurdly late (1 s, TCG is slow), then stays quiet: one-shot;
 * - a past deadline (now - 1 ms, or 1 ns after boot) fires at once, exactly once;
 * - set_timer_op(0) cancels; a second set_timer_op replaces the first deadline (the
 *   deadlines that must not fire are 100-200 ms away, so that a descheduled QEMU cannot
 *   let them expire before the call that cancels them);
 * - set_singleshot_timer: a future deadline behaves as set_timer_op; a past one with
 *   VCPU_SSHOTTMR_future gives -ETIME and fires nothing, or is accepted and fires once
 *   (public/vcpu.h: the flag "can be ignored by the hypervisor"; Debian's Xen 4.17.7
 *   ignores it; which one is printed); a past one without the flag fires once;
 *   stop_singleshot_timer cancels, also a deadline set with set_timer_op (one timer per
 *   vCPU, as in Xen); vCPU 1: -ENOENT; a NULL argument: -EFAULT;
 * - set_periodic_timer(10 ms) ticks at roughly its period over 100 ms (only loose bounds,
 *   2 to 40 ticks, are asserted; the count and mean interval are printed); a period under
 *   1 ms or above 2^62 - 1 ns gives -EINVAL; stop_periodic_timer stops it.
 * How: VIRQ_TIMER is bound and received through set_evtchn_handler(), which time-stamps
 * each tick with the guest's own pvclock read (tests/lib/pvclock.h). "Watching" is a busy
 * loop with the upcall mask cleared; "blocking" is SCHEDOP_block in a loop (if the
 * timer never fires, that hangs and the runner reports a TIMEOUT: the line printed
 * before each block says so).
 * Cannot detect: precision finer than the TCG jitter, timers of other vCPUs, an early
 * expiry of less than 1 ms, a deadline honoured on a different clock than system time
 * when both advance at the same rate.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] =
    "hc-timers: set_timer_op, singleshot and periodic timers, VIRQ_TIMER";

#define SLACK_EARLY_NS  (1 * NS_PER_MS)
#define LATE_LIMIT_NS   (1 * NS_PER_SEC)
#define STIME_DELTA_MAX ((1ULL << 62) - 1)

static evtchn_port_t tport;
static volatile unsigned int ticks, stray;
static volatile uint64_t first_tick, last_tick;

static void on_event(evtchn_port_t port)
{
    uint64_t now = pvclock_now();

    if (port != tport) {
        stray++;
        return;
    }
    if (!ticks)
        first_tick = now;
    last_tick = now;
    ticks++;
}

/* Forget ticks (and anything pending) before a new case. Events stay masked. */
static void reset_ticks(void)
{
    events_disable();
    events_clear_all();
    ticks = 0;
    stray = 0;
    first_tick = last_tick = 0;
}

/* Let upcalls in for ns nanoseconds (busy), then mask again; returns the tick count. */
static unsigned int watch(uint64_t ns)
{
    uint64_t end = pvclock_now() + ns;

    events_enable();
    spin_until(end);
    events_disable();
    return ticks;
}

/* SCHEDOP_block until a tick has arrived. */
static void block_until_tick(const char *what)
{
    printk("  %s: blocking until VIRQ_TIMER (a hang here: the timer never fired)\n", what);
    while (!ticks) {
        long rc = HYPERVISOR_sched_op(SCHEDOP_block, 0);

        events_disable();       /* block cleared the mask */
        if (rc)
            test_failure("SCHEDOP_block returned %ld", rc);
    }
}

static bool expect_rc(const char *what, long got, long want)
{
    if (got == want)
        return true;
    test_failure("%s: returned %ld, expected %ld", what, got, want);
    return false;
}

static void expect_ticks(const char *what, unsigned int want)
{
    if (ticks != want)
        test_failure("%s: %u VIRQ_TIMER ticks, expected %u", what, ticks, want);
    if (stray)
        test_failure("%s: %u upcalls for ports other than VIRQ_TIMER", what, stray);
}

/* The first tick's time relative to the deadline, checked against the window. */
static void check_wake(const char *what, uint64_t set_at, uint64_t deadline)
{
    int64_t late = (int64_t)(first_tick - deadline);

    printk("  %s: deadline +%lu us, first tick at +%lu us (%s%ld us)\n", what,
           (unsigned long)((deadline - set_at) / NS_PER_US),
           (unsigned long)((first_tick - set_at) / NS_PER_US), late < 0 ? "early by " :
           "late by ", (long)((late < 0 ? -late : late) / (int64_t)NS_PER_US));
    if (first_tick + SLACK_EARLY_NS < deadline)
        test_failure("%s: fired %lu us before its deadline", what,
                     (unsigned long)((deadline - first_tick) / NS_PER_US));
    else if (first_tick > deadline + LATE_LIMIT_NS)
        test_failure("%s: fired %lu ms after its deadline", what,
                     (unsigned long)((first_tick - deadline) / NS_PER_MS));
}

/* ---- subtests ------------------------------------------------------------------------ */

static void test_default_periodic(void)
{
    long rc = evtchn_bind_virq(VIRQ_TIMER, 0, &tport);
    unsigned int n;

    if (rc) {
        test_error("bind_virq(VIRQ_TIMER) returned %ld: nothing else can run", rc);
        test_exit();
    }
    printk("  VIRQ_TIMER on port %u\n", tport);
    set_evtchn_handler(on_event);
    reset_ticks();
    n = watch(100 * NS_PER_MS);
    printk("  %u ticks in 100 ms with the vCPU's initial periodic timer\n", n);
    if (n == 0)
        test_failure("no VIRQ_TIMER in 100 ms: a PV vCPU starts with a 10 ms periodic "
                     "timer");
    else if (n > 40)
        test_failure("%u VIRQ_TIMER ticks in 100 ms from a 10 ms periodic timer", n);

    expect_rc("stop_periodic_timer", vcpu_stop_periodic(), 0);
    reset_ticks();
    watch(60 * NS_PER_MS);
    expect_ticks("60 ms after stop_periodic_timer", 0);
}

static void test_set_timer_block(void)
{
    uint64_t t0, deadline;

    reset_ticks();
    t0 = pvclock_now();
    deadline = t0 + 20 * NS_PER_MS;
    if (!expect_rc("set_timer_op(now + 20 ms)", HYPERVISOR_set_timer_op(deadline), 0))
        return;
    block_until_tick("set_timer_op");
    check_wake("set_timer_op", t0, deadline);
    watch(50 * NS_PER_MS);
    expect_ticks("set_timer_op(now + 20 ms), then 50 ms more", 1);
}

static void test_past_deadline(void)
{
    uint64_t t0;

    reset_ticks();
    t0 = pvclock_now();
    expect_rc("set_timer_op(now - 1 ms)", HYPERVISOR_set_timer_op(t0 - NS_PER_MS), 0);
    watch(50 * NS_PER_MS);
    expect_ticks("set_timer_op(now - 1 ms)", 1);
    if (ticks)
        printk("  past deadline fired %lu us after the call\n",
               (unsigned long)((first_tick - t0) / NS_PER_US));
    if (ticks && first_tick > t0 + LATE_LIMIT_NS)
        test_failure("a past deadline fired only %lu ms later",
                     (unsigned long)((first_tick - t0) / NS_PER_MS));

    reset_ticks();
    expect_rc("set_timer_op(1)", HYPERVISOR_set_timer_op(1), 0);
    watch(50 * NS_PER_MS);
    expect_ticks("set_timer_op(1 ns after boot)", 1);
}

static void test_cancel_replace(void)
{
    uint64_t t0, second;

    reset_ticks();
    expect_rc("set_timer_op(now + 200 ms)",
              HYPERVISOR_set_timer_op(pvclock_now() + 200 * NS_PER_MS), 0);
    expect_rc("set_timer_op(0)", HYPERVISOR_set_timer_op(0), 0);
    watch(300 * NS_PER_MS);
    expect_ticks("set_timer_op(0) after a 200 ms deadline, 300 ms watched", 0);

    reset_ticks();
    t0 = pvclock_now();
    second = t0 + 200 * NS_PER_MS;
    expect_rc("set_timer_op(now + 100 ms)", HYPERVISOR_set_timer_op(t0 + 100 * NS_PER_MS),
              0);
    expect_rc("set_timer_op(now + 200 ms)", HYPERVISOR_set_timer_op(second), 0);
    watch(300 * NS_PER_MS);
    expect_ticks("two deadlines, the second replacing the first", 1);
    if (ticks)
        check_wake("replaced deadline", t0, second);
}

static void test_singleshot(void)
{
    uint64_t t0, deadline;
    struct vcpu_set_singleshot_timer st = { .timeout_abs_ns = 1 };
    long rc;

    reset_ticks();
    t0 = pvclock_now();
    deadline = t0 + 20 * NS_PER_MS;
    if (expect_rc("singleshot(now + 20 ms)", vcpu_set_singleshot(deadline, 0), 0)) {
        block_until_tick("singleshot");
        check_wake("singleshot", t0, deadline);
        watch(40 * NS_PER_MS);
        expect_ticks("singleshot(now + 20 ms), then 40 ms more", 1);
    }

    /* The flag "can be ignored by the hypervisor" (public/vcpu.h); Xen 4.17.7 does. */
    reset_ticks();
    rc = vcpu_set_singleshot(pvclock_now() - NS_PER_MS, VCPU_SSHOTTMR_future);
    watch(40 * NS_PER_MS);
    if (rc == -XEN_ETIME) {
        printk("  VCPU_SSHOTTMR_future honoured: -ETIME for a past deadline\n");
        expect_ticks("singleshot refused with -ETIME", 0);
    } else if (rc == 0) {
        printk("  VCPU_SSHOTTMR_future ignored (as Xen 4.17.7): the past deadline fires\n");
        expect_ticks("singleshot(now - 1 ms, VCPU_SSHOTTMR_future) accepted", 1);
    } else {
        test_failure("singleshot(now - 1 ms, VCPU_SSHOTTMR_future) returned %ld, expected "
                     "-ETIME or 0 (flag ignored)", rc);
    }

    reset_ticks();
    expect_rc("singleshot(now - 1 ms, 0)",
              vcpu_set_singleshot(pvclock_now() - NS_PER_MS, 0), 0);
    watch(40 * NS_PER_MS);
    expect_ticks("singleshot in the past without VCPU_SSHOTTMR_future", 1);

    reset_ticks();
    rc = vcpu_set_singleshot(pvclock_now() + 200 * NS_PER_MS, VCPU_SSHOTTMR_future);
    expect_rc("singleshot(now + 200 ms, VCPU_SSHOTTMR_future)", rc, 0);
    expect_rc("stop_singleshot_timer", vcpu_stop_singleshot(), 0);
    watch(300 * NS_PER_MS);
    expect_ticks("singleshot stopped", 0);

    /* One timer: stop_singleshot cancels set_timer_op, set_timer_op(0) a singleshot. */
    reset_ticks();
    expect_rc("set_timer_op(now + 200 ms)",
              HYPERVISOR_set_timer_op(pvclock_now() + 200 * NS_PER_MS), 0);
    expect_rc("stop_singleshot_timer", vcpu_stop_singleshot(), 0);
    watch(300 * NS_PER_MS);
    expect_ticks("set_timer_op deadline after stop_singleshot_timer", 0);
    reset_ticks();
    rc = vcpu_set_singleshot(pvclock_now() + 200 * NS_PER_MS, 0);
    expect_rc("singleshot(now + 200 ms)", rc, 0);
    expect_rc("set_timer_op(0)", HYPERVISOR_set_timer_op(0), 0);
    watch(300 * NS_PER_MS);
    expect_ticks("singleshot deadline after set_timer_op(0)", 0);

    expect_rc("set_singleshot_timer on vCPU 1",
              HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 1, (unsigned long)&st),
              -XEN_ENOENT);
    expect_rc("stop_singleshot_timer on vCPU 1",
              HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 1, 0), -XEN_ENOENT);
    expect_rc("set_singleshot_timer(NULL)",
              HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, 0), -XEN_EFAULT);
    reset_ticks();
}

static void test_periodic(void)
{
    static const struct {
        const char *name;
        uint64_t period;
    } bad[] = {
        { "period 0", 0 },
        { "period 999999 ns", 999999 },
        { "period 2^62 ns", STIME_DELTA_MAX + 1 },
        { "period 2^64 - 1 ns", ~0ULL },
    };
    struct vcpu_set_periodic_timer pt = { .period_ns = 10 * NS_PER_MS };
    unsigned int i, n;
    uint64_t mean = 0;
    long rc;

    reset_ticks();
    if (expect_rc("set_periodic_timer(10 ms)", vcpu_set_periodic(10 * NS_PER_MS), 0)) {
        n = watch(100 * NS_PER_MS);
        if (n > 1)
            mean = (last_tick - first_tick) / (n - 1);
        printk("  periodic 10 ms: %u ticks in 100 ms, mean interval %lu us\n", n,
               (unsigned long)(mean / NS_PER_US));
        if (n < 2 || n > 40)
            test_failure("a 10 ms periodic timer gave %u ticks in 100 ms (2..40 accepted)",
                         n);
        if (stray)
            test_failure("%u upcalls for other ports", stray);
    }
    expect_rc("stop_periodic_timer", vcpu_stop_periodic(), 0);
    reset_ticks();
    watch(50 * NS_PER_MS);
    expect_ticks("50 ms after stop_periodic_timer", 0);

    reset_ticks();
    rc = vcpu_set_periodic(NS_PER_MS);
    if (expect_rc("set_periodic_timer(1 ms, the minimum)", rc, 0)) {
        n = watch(20 * NS_PER_MS);
        printk("  periodic 1 ms: %u ticks in 20 ms\n", n);
        if (n > 100)
            test_failure("a 1 ms periodic timer gave %u ticks in 20 ms", n);
    }
    expect_rc("stop_periodic_timer", vcpu_stop_periodic(), 0);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        char what[64];

        snprintf(what, sizeof(what), "set_periodic_timer(%s)", bad[i].name);
        expect_rc(what, vcpu_set_periodic(bad[i].period), -XEN_EINVAL);
    }
    expect_rc("set_periodic_timer on vCPU 1",
              HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 1, (unsigned long)&pt),
              -XEN_ENOENT);
    expect_rc("stop_periodic_timer on vCPU 1",
              HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 1, 0), -XEN_ENOENT);
    expect_rc("set_periodic_timer(NULL)",
              HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, 0), -XEN_EFAULT);
    reset_ticks();
    watch(30 * NS_PER_MS);
    expect_ticks("after the refused periods", 0);
}

static const struct subtest cases[] = {
    { "the initial periodic timer ticks; stop_periodic_timer", test_default_periodic },
    { "set_timer_op + SCHEDOP_block wakes at the deadline, once", test_set_timer_block },
    { "a past deadline fires at once, exactly once", test_past_deadline },
    { "set_timer_op(0) cancels; a new deadline replaces the old", test_cancel_replace },
    { "singleshot: fire, -ETIME, past, stop, one timer, errors", test_singleshot },
    { "periodic: ticks at its period, bounds, stop, errors", test_periodic },
};

void test_main(void)
{
    RUN_SUBTESTS(cases);
    HYPERVISOR_set_timer_op(0);
    set_evtchn_handler(NULL);
    test_success();
}
