/*
 * xsa-a27-timer-abuse: A27 of security-invariants.md (XSA-20, XSA-336): timers set to
 * huge, negative, zero and past deadlines, extreme periods, and timers of vCPUs that do
 * not exist.
 *
 * Checks:
 * - set_timer_op with 0, 1, now, now - 1 ms, 2^63 - 1, 2^63, 2^64 - 1, now + 2^50 + 1 s
 *   and now + 2^50 - 1 s returns 0 (Xen's do_set_timer_op never fails; Linux BUG()s if
 *   it does), and over the next 300 ms VIRQ_TIMER fires at most twice (no storm);
 *   a past deadline (1, now, now - 1 ms) fires exactly once; 0 and the deadline 13 days
 *   ahead (inside Xen's 2^50 ns horizon) fire nothing; the values Xen treats as "no real
 *   timer" (negative, or 2^50 ns and more ahead) may fire once (Xen: after 100 ms);
 * - set_singleshot_timer with the same kind of values, with and without
 *   VCPU_SSHOTTMR_future, and with every flag bit set: 0 or -ETIME, at most two ticks;
 *   now + 2^62 ns fires nothing (an overflow in the deadline arithmetic would fire it);
 * - set_periodic_timer: 1 ms (the minimum) gives at most 150 ticks in 100 ms; 2^62 - 1 ns
 *   (the maximum) is accepted and gives no tick (last + period must not wrap); 2^62,
 *   2^63 and 2^64 - 1 ns give -EINVAL;
 * - all four timer sub-ops of vcpu_op on vCPU 1, 0x80000000 and 0xffffffff: -ENOENT;
 * - the guest keeps running (system time advances through every case) and prints
 *   SUCCESS; the AFTER guest (hello) proves the host survived.
 * How: VIRQ_TIMER bound and counted by set_evtchn_handler(); the initial periodic timer
 * stopped; each case is watched for a fixed time with upcalls enabled, then cancelled.
 * Cannot detect: a timer that fires much later than the window (a mis-scaled deadline
 * beyond 300 ms), the host's own timer load, other vCPUs (one vCPU).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "xsa-a27-timer-abuse: extreme deadlines and periods";

#define WINDOW_NS       (300 * NS_PER_MS)
#define HORIZON_NS      (1ULL << 50)

enum expect { NONE, ONCE, AT_MOST_ONCE };

static evtchn_port_t tport;
static volatile unsigned int ticks, stray;
static volatile uint64_t first_tick;

static void on_event(evtchn_port_t port)
{
    if (port != tport) {
        stray++;
        return;
    }
    if (!ticks)
        first_tick = pvclock_now();
    ticks++;
}

static void reset_ticks(void)
{
    events_disable();
    events_clear_all();
    ticks = 0;
    stray = 0;
    first_tick = 0;
}

/* Let upcalls in for ns nanoseconds (busy), then mask again. */
static void watch(uint64_t ns)
{
    uint64_t end = pvclock_now() + ns;

    events_enable();
    spin_until(end);
    events_disable();
}

static void judge(const char *what, uint64_t t0, enum expect e)
{
    static const char *const names[] = { "none", "exactly one", "at most one" };
    unsigned int n = ticks;

    if (n)
        printk("  %s: %u tick(s), the first after %lu us\n", what, n,
               (unsigned long)((first_tick - t0) / NS_PER_US));
    else
        printk("  %s: no tick\n", what);
    if (n > 2)
        test_failure("%s: %u VIRQ_TIMER ticks in %lu ms: a timer storm", what, n,
                     (unsigned long)(WINDOW_NS / NS_PER_MS));
    else if ((e == NONE && n) || (e == ONCE && n != 1) || (e == AT_MOST_ONCE && n > 1))
        test_failure("%s: %u ticks, expected %s", what, n, names[e]);
    if (stray)
        test_failure("%s: %u upcalls for other ports", what, stray);
}

/* A deadline: value, plus the time of the call if rel. */
static uint64_t deadline(uint64_t value, bool rel, uint64_t now)
{
    return rel ? now + value : value;
}

static void test_set_timer_op(void)
{
    static const struct {
        const char *name;
        uint64_t value;
        bool rel;           /* value is relative to the time of the call */
        enum expect e;
    } cases[] = {
        { "0 (cancel)", 0, false, NONE },
        { "1 (long past)", 1, false, ONCE },
        { "now", 0, true, ONCE },
        { "now - 1 ms", -NS_PER_MS, true, ONCE },
        { "2^63 - 1", 0x7fffffffffffffffULL, false, AT_MOST_ONCE },
        { "2^63 (negative)", 0x8000000000000000ULL, false, AT_MOST_ONCE },
        { "2^64 - 1 (-1)", ~0ULL, false, AT_MOST_ONCE },
        { "now + 2^50 ns + 1 s", HORIZON_NS + NS_PER_SEC, true, AT_MOST_ONCE },
        { "now + 2^50 ns - 1 s", HORIZON_NS - NS_PER_SEC, true, NONE },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        char what[64];
        uint64_t t0;
        long rc;

        snprintf(what, sizeof(what), "set_timer_op(%s)", cases[i].name);
        reset_ticks();
        t0 = pvclock_now();
        rc = HYPERVISOR_set_timer_op(deadline(cases[i].value, cases[i].rel, t0));
        if (rc)
            test_failure("%s returned %ld, expected 0", what, rc);
        watch(WINDOW_NS);
        HYPERVISOR_set_timer_op(0);
        judge(what, t0, cases[i].e);
    }
}

static void test_singleshot(void)
{
    static const struct {
        const char *name;
        uint64_t value;
        bool rel;
        uint32_t flags;
        enum expect e;      /* when accepted (0); -ETIME must fire nothing */
    } cases[] = {
        { "0", 0, false, 0, ONCE },
        { "0, future", 0, false, VCPU_SSHOTTMR_future, ONCE },
        { "1", 1, false, 0, ONCE },
        { "now - 1 ms, future", -NS_PER_MS, true, VCPU_SSHOTTMR_future, ONCE },
        { "2^63 - 1", 0x7fffffffffffffffULL, false, 0, AT_MOST_ONCE },
        { "2^63", 0x8000000000000000ULL, false, 0, AT_MOST_ONCE },
        { "2^63, future", 0x8000000000000000ULL, false, VCPU_SSHOTTMR_future,
          AT_MOST_ONCE },
        { "2^64 - 1", ~0ULL, false, 0, AT_MOST_ONCE },
        { "2^64 - 1, future", ~0ULL, false, VCPU_SSHOTTMR_future, AT_MOST_ONCE },
        { "now + 2^62 ns", 1ULL << 62, true, 0, NONE },
        { "now + 10 ms, every flag bit", 10 * NS_PER_MS, true, 0xffffffff, ONCE },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        char what[80];
        uint64_t t0;
        long rc;

        snprintf(what, sizeof(what), "singleshot(%s)", cases[i].name);
        reset_ticks();
        t0 = pvclock_now();
        rc = vcpu_set_singleshot(deadline(cases[i].value, cases[i].rel, t0),
                                 cases[i].flags);
        watch(WINDOW_NS);
        vcpu_stop_singleshot();
        if (rc == -XEN_ETIME && (cases[i].flags & VCPU_SSHOTTMR_future)) {
            snprintf(what, sizeof(what), "singleshot(%s) -> -ETIME", cases[i].name);
            judge(what, t0, NONE);
        } else if (rc) {
            test_failure("%s returned %ld, expected 0%s", what, rc,
                         cases[i].flags & VCPU_SSHOTTMR_future ? " or -ETIME" : "");
            judge(what, t0, AT_MOST_ONCE);
        } else {
            judge(what, t0, cases[i].e);
        }
    }
}

static void test_periodic(void)
{
    static const struct {
        const char *name;
        uint64_t period;
    } refused[] = {
        { "2^62", 1ULL << 62 },
        { "2^63", 1ULL << 63 },
        { "2^64 - 1", ~0ULL },
    };
    unsigned int i;
    uint64_t t0;
    long rc;

    reset_ticks();
    t0 = pvclock_now();
    rc = vcpu_set_periodic(NS_PER_MS);
    if (rc)
        test_failure("set_periodic_timer(1 ms) returned %ld", rc);
    watch(100 * NS_PER_MS);
    vcpu_stop_periodic();
    printk("  periodic 1 ms: %u ticks in 100 ms\n", ticks);
    if (ticks > 150)
        test_failure("a 1 ms periodic timer gave %u ticks in 100 ms", ticks);

    reset_ticks();
    t0 = pvclock_now();
    rc = vcpu_set_periodic((1ULL << 62) - 1);
    if (rc)
        test_failure("set_periodic_timer(2^62 - 1 ns, the maximum) returned %ld", rc);
    watch(WINDOW_NS);
    vcpu_stop_periodic();
    judge("set_periodic_timer(2^62 - 1 ns)", t0, NONE);

    for (i = 0; i < ARRAY_SIZE(refused); i++) {
        reset_ticks();
        t0 = pvclock_now();
        rc = vcpu_set_periodic(refused[i].period);
        if (rc != -XEN_EINVAL)
            test_failure("set_periodic_timer(%s ns) returned %ld, expected -EINVAL",
                         refused[i].name, rc);
        watch(50 * NS_PER_MS);
        vcpu_stop_periodic();
        judge(refused[i].name, t0, NONE);
    }
}

static void test_other_vcpus(void)
{
    static const uint32_t vcpus[] = { 1, 0x80000000, 0xffffffff };
    struct vcpu_set_singleshot_timer ss = { .timeout_abs_ns = 1 };
    struct vcpu_set_periodic_timer pt = { .period_ns = NS_PER_MS };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(vcpus); i++) {
        unsigned long v = vcpus[i];
        long r1 = HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, v, (unsigned long)&ss);
        long r2 = HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, v, 0);
        long r3 = HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, v, (unsigned long)&pt);
        long r4 = HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, v, 0);

        if (r1 != -XEN_ENOENT || r2 != -XEN_ENOENT || r3 != -XEN_ENOENT ||
            r4 != -XEN_ENOENT)
            test_failure("timer sub-ops on vCPU 0x%x returned %ld/%ld/%ld/%ld, expected "
                         "-ENOENT", vcpus[i], r1, r2, r3, r4);
    }
}

static const struct subtest cases[] = {
    { "set_timer_op: huge, negative, zero and past deadlines", test_set_timer_op },
    { "singleshot: huge, negative, zero and past deadlines, odd flags", test_singleshot },
    { "periodic: the minimum, the maximum, refused periods", test_periodic },
    { "timer sub-ops on vCPUs that do not exist", test_other_vcpus },
};

void test_main(void)
{
    uint64_t start = pvclock_now();
    long rc = evtchn_bind_virq(VIRQ_TIMER, 0, &tport);

    if (rc) {
        test_error("bind_virq(VIRQ_TIMER) returned %ld", rc);
        return;
    }
    rc = vcpu_stop_periodic();
    if (rc)
        test_error("stop_periodic_timer returned %ld", rc);
    set_evtchn_handler(on_event);
    RUN_SUBTESTS(cases);
    HYPERVISOR_set_timer_op(0);
    vcpu_stop_singleshot();
    reset_ticks();
    set_evtchn_handler(NULL);
    printk("  still running after %lu ms of timer abuse\n",
           (unsigned long)((pvclock_now() - start) / NS_PER_MS));
    test_success();
}
