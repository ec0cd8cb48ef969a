/*
 * hc-time-info: the time the hypervisor publishes in shared_info: vcpu_info[0].time
 * (struct vcpu_time_info) and the wall clock (wc_version, wc_sec, wc_nsec, wc_sec_hi).
 *
 * Checks (xen/include/public/xen.h, xen-pv-abi-checklist.md 1.8):
 * - vcpu_time_info: version even once read consistently, tsc_to_system_mul non-zero,
 *   tsc_shift within -31..31, the TSC rate they imply between 100 MHz and 20 GHz,
 *   system_time non-zero and not ahead of the computed time;
 * - system time read with the version protocol never goes backwards over 20000 reads,
 *   some of them across hypercalls (yield, a timer wait) that may refresh the record:
 *   a failure if XEN_PVCLOCK_TSC_STABLE_BIT is set, a warning if not (a guest is then
 *   expected to clamp, as Linux does);
 * - time advances with the TSC: over a 50 ms wait, elapsed system time equals the TSC
 *   delta scaled by mul/shift within 2 % + 1 ms, and the record published after the wait
 *   agrees with the one before it, both applied to the same TSC value, within 1 ms + 1 %
 *   (no jump when the hypervisor refreshes it);
 * - the wall clock: wc_version even, wc_nsec < 10^9, wall time (wc + system time) after
 *   2020-01-01 and before 2100-01-01.
 * How: tests/lib/pvclock.h (pvclock_sample, pvclock_now, pvclock_wallclock); the figures
 * (mul, shift, implied TSC kHz, flags, wall time) are printed.
 * Cannot detect: a system time that runs at a wrong but constant rate against real time
 * (the guest has no other clock than the TSC), records of other vCPUs, the
 * VCPUOP_register_vcpu_time_memory_area copy.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-time-info: vcpu_time_info and the wall clock";

#define JAN_2020    1577836800ULL
#define JAN_2100    4102444800ULL

static void print_sample(const char *what, const struct pvclock_sample *s)
{
    printk("  %s: version %u, tsc_timestamp %lu, system_time %lu ns, mul %u, shift %d, "
           "flags 0x%x, %lu kHz\n", what, s->info.version,
           (unsigned long)s->info.tsc_timestamp, (unsigned long)s->info.system_time,
           s->info.tsc_to_system_mul, s->info.tsc_shift, s->info.flags,
           (unsigned long)pvclock_tsc_khz(s->info.tsc_to_system_mul, s->info.tsc_shift));
}

static bool tsc_stable(void)
{
    return shared_info->vcpu_info[0].time.flags & XEN_PVCLOCK_TSC_STABLE_BIT;
}

static void test_fields(void)
{
    struct pvclock_sample s;
    uint64_t khz;

    pvclock_sample(&s);
    print_sample("time info", &s);
    if (s.info.version & 1)
        test_failure("version %u is odd after a consistent read", s.info.version);
    if (!s.info.tsc_to_system_mul)
        test_failure("tsc_to_system_mul is 0: system time cannot advance");
    if (s.info.tsc_shift < -31 || s.info.tsc_shift > 31)
        test_failure("tsc_shift %d is outside -31..31", s.info.tsc_shift);
    khz = pvclock_tsc_khz(s.info.tsc_to_system_mul, s.info.tsc_shift);
    if (khz < 100000 || khz > 20000000)
        test_failure("mul/shift imply a TSC of %lu kHz (100 MHz .. 20 GHz accepted)",
                     (unsigned long)khz);
    if (!s.info.system_time)
        test_failure("system_time is 0");
    if (s.ns < s.info.system_time)
        test_failure("computed time %lu is before system_time %lu", (unsigned long)s.ns,
                     (unsigned long)s.info.system_time);
    if (s.tsc < s.info.tsc_timestamp)
        test_warning("the TSC (%lu) is behind tsc_timestamp (%lu)", (unsigned long)s.tsc,
                     (unsigned long)s.info.tsc_timestamp);
    printk("  TSC_STABLE %s, version retries %u\n", tsc_stable() ? "set" : "clear",
           s.retries);
}

static void test_monotonic(void)
{
    uint64_t prev = pvclock_now(), now, worst = 0;
    unsigned int i, backwards = 0;

    for (i = 0; i < 20000; i++) {
        if (i % 1000 == 500)
            HYPERVISOR_sched_op(SCHEDOP_yield, 0);
        if (i == 10000) {
            /* Let a timer run out: the hypervisor may refresh the record meanwhile. */
            HYPERVISOR_set_timer_op(pvclock_now() + 5 * NS_PER_MS);
            spin_ns(10 * NS_PER_MS);
            HYPERVISOR_set_timer_op(0);
        }
        now = pvclock_now();
        if (now < prev) {
            backwards++;
            if (prev - now > worst)
                worst = prev - now;
        }
        prev = now;
    }
    printk("  20000 reads: %u backward steps, worst %lu ns\n", backwards,
           (unsigned long)worst);
    if (!backwards)
        return;
    if (tsc_stable())
        test_failure("system time went backwards %u times (worst %lu ns) with TSC_STABLE "
                     "set", backwards, (unsigned long)worst);
    else
        test_warning("system time went backwards %u times (worst %lu ns); TSC_STABLE is "
                     "clear, so a guest must clamp", backwards, (unsigned long)worst);
}

static void test_advances_with_tsc(void)
{
    struct pvclock_sample a, b;
    uint64_t dt_ns, dt_tsc_ns, old_view, new_view, diff, tol;

    pvclock_sample(&a);
    spin_ns(50 * NS_PER_MS);
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    pvclock_sample(&b);
    dt_ns = b.ns - a.ns;
    dt_tsc_ns = pvclock_scale(b.tsc - a.tsc, a.info.tsc_to_system_mul, a.info.tsc_shift);
    printk("  over the wait: system time +%lu us, TSC +%lu cycles = %lu us at the first "
           "record's scale; records %s (version %u -> %u)\n",
           (unsigned long)(dt_ns / NS_PER_US), (unsigned long)(b.tsc - a.tsc),
           (unsigned long)(dt_tsc_ns / NS_PER_US),
           a.info.version == b.info.version ? "unchanged" : "refreshed", a.info.version,
           b.info.version);
    if (b.ns <= a.ns) {
        test_failure("system time did not advance over 50 ms of TSC");
        return;
    }
    if (dt_ns < 45 * NS_PER_MS)
        test_failure("system time advanced %lu us over a 50 ms wait",
                     (unsigned long)(dt_ns / NS_PER_US));
    diff = dt_ns > dt_tsc_ns ? dt_ns - dt_tsc_ns : dt_tsc_ns - dt_ns;
    tol = NS_PER_MS + dt_tsc_ns / 50;
    if (diff > tol)
        test_failure("system time advanced %lu us while the TSC says %lu us",
                     (unsigned long)(dt_ns / NS_PER_US),
                     (unsigned long)(dt_tsc_ns / NS_PER_US));

    /* The old and the new record agree on the time at the same TSC value. */
    old_view = a.info.system_time + pvclock_scale(b.tsc - a.info.tsc_timestamp,
                                                  a.info.tsc_to_system_mul,
                                                  a.info.tsc_shift);
    new_view = b.ns;
    diff = old_view > new_view ? old_view - new_view : new_view - old_view;
    tol = NS_PER_MS + (b.ns - a.info.system_time) / 100;
    printk("  at the same TSC: old record %lu ns, new record %lu ns (diff %lu ns)\n",
           (unsigned long)old_view, (unsigned long)new_view, (unsigned long)diff);
    if (diff > tol)
        test_failure("the refreshed record jumps %lu us from the old one at the same TSC",
                     (unsigned long)(diff / NS_PER_US));
}

static void test_wallclock(void)
{
    volatile struct shared_info *si = shared_info;
    uint64_t sec, days;
    uint32_t nsec, ver;

    pvclock_wallclock(&sec, &nsec, &ver);
    days = sec / 86400;
    printk("  wc_version %u, wc_sec %u (hi %u), wc_nsec %u; now %lu.%09u s since the epoch "
           "(day %lu, about year %lu)\n", ver, si->wc_sec, si->wc_sec_hi, si->wc_nsec,
           (unsigned long)sec, nsec, (unsigned long)days,
           (unsigned long)(1970 + days * 4 / 1461));
    if (ver & 1)
        test_failure("wc_version %u is odd after a consistent read", ver);
    if (si->wc_nsec >= NS_PER_SEC)
        test_failure("wc_nsec %u is not below 10^9", si->wc_nsec);
    if (sec < JAN_2020)
        test_failure("the wall clock says %lu s since the epoch, before 2020",
                     (unsigned long)sec);
    else if (sec >= JAN_2100)
        test_failure("the wall clock says %lu s since the epoch, after 2100",
                     (unsigned long)sec);
}

static const struct subtest cases[] = {
    { "vcpu_time_info fields", test_fields },
    { "system time never goes backwards", test_monotonic },
    { "system time advances with the TSC; refreshed records agree",
      test_advances_with_tsc },
    { "the wall clock is plausible", test_wallclock },
};

void test_main(void)
{
    RUN_SUBTESTS(cases);
    test_success();
}
