/*
 * Host unit tests (cmocka) of Xen PV time arithmetic, hypervisor/time/pvclock.c: the scale
 * against exact 128-bit arithmetic from 1 MHz to 10 GHz (1 ppm over 1 s and 1 h) and bit
 * for bit against a guest-style conversion; the version protocol by watching every store
 * and by a racing reader; the A27 timer rules. Cannot detect: store reordering by a weakly
 * ordered CPU (x86 keeps stores in order, and this runs on x86).
 */
#define _GNU_SOURCE                 /* REG_EFL in ucontext */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <ucontext.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "xen-public.h"
#include "errno.h"
#include "time/pvclock.h"

typedef unsigned __int128 u128;

#define NS 1000000000ULL

/* ---- references, written independently of the code under test ------------------------ */

/* What Linux's pvclock_scale_delta computes (shift, then a 96-bit product >> 32). */
static uint64_t guest_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((u128)delta * mul) >> 32);
}

/* delta * to / from, exactly (rounded down). */
static uint64_t exact(uint64_t delta, uint64_t from_hz, uint64_t to_hz)
{
    return (uint64_t)((u128)delta * to_hz / from_hz);
}

static void assert_within_ppm(uint64_t got, uint64_t want, double ppm, uint64_t hz)
{
    double diff = (double)got - (double)want;
    double limit = (double)want * ppm / 1e6 + 1.0;

    if (diff < 0)
        diff = -diff;
    if (diff > limit)
        fail_msg("rate %llu Hz: got %llu, want %llu (off by %.0f, limit %.0f)",
                 (unsigned long long)hz, (unsigned long long)got, (unsigned long long)want,
                 diff, limit);
}

/* The rates tested: log-spaced from 1 MHz to 10 GHz, plus the awkward ones. */
static uint64_t rates[400];
static unsigned nr_rates;

static int make_rates(void **state)
{
    static const uint64_t edges[] = {
        1000000, 999999, 1000001, 1193182, 3579545, 14318180, 25000000, 100000000,
        999999999, 1000000000, 1000000001, 1999999999, 2000000000, 2000000001,
        2147483648ULL, 2147483647ULL, 4294967295ULL, 4294967296ULL, 2400000000ULL,
        2903998000ULL, 3000000000ULL, 3999999999ULL, 4000000000ULL, 4000000001ULL,
        8000000000ULL, 9999999999ULL, 10000000000ULL,
    };
    double r;
    unsigned i;

    nr_rates = 0;
    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        rates[nr_rates++] = edges[i];
    for (r = 1e6; r <= 1e10 && nr_rates < 400; r *= 1.037)
        rates[nr_rates++] = (uint64_t)r;
    return 0;
}

/* ---- the scale -------------------------------------------------------------------------- */

static void test_scale_normalised(void **state)
{
    struct pvclock_scale s;
    unsigned i;

    for (i = 0; i < nr_rates; i++) {
        uint64_t f = rates[i];

        assert_int_equal(pvclock_tsc_scale(&s, f), 0);
        /* mul uses all 32 bits and is a fraction below 1. */
        assert_true(s.mul >= 0x80000000u);
        /* The scaled rate f * 2^shift lies in (1e9, 2e9]. */
        if (s.shift >= 0) {
            assert_true((u128)f << s.shift > NS);
            assert_true((u128)f << s.shift <= 2 * NS);
        } else {
            /* f / 2^-shift in (1e9, 2e9] <=> f in (1e9 << -shift, 2e9 << -shift]. */
            assert_true((u128)f > (u128)NS << -s.shift);
            assert_true((u128)f <= (u128)(2 * NS) << -s.shift);
        }
        /* mul is the nearest integer to 1e9 * 2^32 / (f * 2^shift): with both sides
         * multiplied by the denominator D, |mul * D - 1e9 * 2^32| <= D / 2. */
        {
            int sh = s.shift;
            u128 den = sh >= 0 ? (u128)f << sh : (u128)f;
            u128 num = sh >= 0 ? (u128)NS << 32 : (u128)NS << (32 - sh);
            u128 prod = (u128)s.mul * den;
            u128 err = prod > num ? prod - num : num - prod;

            if (s.mul != 0xFFFFFFFFu)
                assert_true(2 * err <= den);
        }
    }
    /* Known points: 1 GHz and 2 GHz sit at the ends of the range. */
    assert_int_equal(pvclock_tsc_scale(&s, 2000000000ULL), 0);
    assert_int_equal(s.shift, 0);
    assert_int_equal(s.mul, 0x80000000u);
    assert_int_equal(pvclock_tsc_scale(&s, 1000000000ULL), 0);
    assert_int_equal(s.shift, 1);
    assert_int_equal(s.mul, 0x80000000u);
    assert_int_equal(pvclock_tsc_scale(&s, 4000000000ULL), 0);
    assert_int_equal(s.shift, -1);
    assert_int_equal(s.mul, 0x80000000u);
    assert_int_equal(pvclock_tsc_scale(&s, 1000000ULL), 0);   /* 1 MHz * 2^10 = 1.024e9 */
    assert_int_equal(s.shift, 10);
}

static void test_scale_accuracy(void **state)
{
    struct pvclock_scale s;
    unsigned i;

    for (i = 0; i < nr_rates; i++) {
        uint64_t f = rates[i];

        assert_int_equal(pvclock_tsc_scale(&s, f), 0);
        /* 1 s and 1 h of ticks, and a few odd lengths. */
        assert_within_ppm(pvclock_scale_delta(f, &s), NS, 1.0, f);
        assert_within_ppm(pvclock_scale_delta(3600 * f, &s), 3600 * NS, 1.0, f);
        assert_within_ppm(pvclock_scale_delta(f / 1000 + 7, &s), exact(f / 1000 + 7, f, NS),
                          1.0, f);
        assert_within_ppm(pvclock_scale_delta(123456789, &s), exact(123456789, f, NS), 1.0, f);
        /* Much better than 1 ppm in fact: within 2^-30 of a second, plus rounding. */
        assert_within_ppm(pvclock_scale_delta(f, &s), NS, 0.002, f);
    }
}

/* The reverse scale, ns -> ticks, for programming the hypervisor's timer. */
static void test_scale_reverse(void **state)
{
    struct pvclock_scale s;
    unsigned i;

    for (i = 0; i < nr_rates; i++) {
        uint64_t f = rates[i];

        assert_int_equal(pvclock_scale_init(&s, NS, f), 0);
        assert_true(s.mul >= 0x80000000u);
        assert_within_ppm(pvclock_scale_delta(NS, &s), f, 1.0, f);
        assert_within_ppm(pvclock_scale_delta(3600 * NS, &s), 3600 * f, 1.0, f);
    }
}

static void test_scale_bit_exact_with_guest(void **state)
{
    struct pvclock_scale s;
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    unsigned i, k;

    for (i = 0; i < nr_rates; i += 7) {
        assert_int_equal(pvclock_tsc_scale(&s, rates[i]), 0);
        for (k = 0; k < 200; k++) {
            uint64_t delta;

            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            delta = x >> (k % 64);          /* all magnitudes, including wrapping ones */
            assert_int_equal(pvclock_scale_delta(delta, &s),
                             guest_scale(delta, s.mul, s.shift));
        }
        assert_int_equal(pvclock_scale_delta(0, &s), 0);
        assert_int_equal(pvclock_scale_delta(UINT64_MAX, &s),
                         guest_scale(UINT64_MAX, s.mul, s.shift));
    }
}

static void test_scale_errors_and_extremes(void **state)
{
    struct pvclock_scale s = { .mul = 77, .shift = 3 };

    assert_int_equal(pvclock_scale_init(&s, 0, NS), -EINVAL);
    assert_int_equal(pvclock_scale_init(&s, NS, 0), -EINVAL);
    assert_int_equal(s.mul, 77);
    /* 1 Hz to 2^63 Hz would need shift 64. */
    assert_int_equal(pvclock_scale_init(&s, 1, 1ULL << 63), -ERANGE);
    assert_int_equal(pvclock_scale_init(&s, 1, UINT64_MAX), -ERANGE);
    assert_int_equal(s.shift, 3);
    /* The widest that fit, both ways. */
    assert_int_equal(pvclock_scale_init(&s, 1, 1ULL << 62), 0);
    assert_int_equal(s.shift, 63);
    assert_int_equal(pvclock_scale_delta(1, &s), 1ULL << 62);
    assert_int_equal(pvclock_scale_init(&s, UINT64_MAX, 1), 0);
    assert_int_equal(s.shift, -63);
    /* One second of ticks is 1 tick at 1 Hz, but the guest formula shifts the delta
     * down to 1 before multiplying by ~0.5: 0, exactly as a guest gets it. */
    assert_int_equal(pvclock_scale_delta(UINT64_MAX, &s), guest_scale(UINT64_MAX, s.mul, -63));
    assert_int_equal(pvclock_scale_delta(UINT64_MAX, &s), 0);
    /* Same rate: the identity. */
    assert_int_equal(pvclock_scale_init(&s, 12345, 12345), 0);
    assert_int_equal(pvclock_scale_delta(1ULL << 40, &s), 1ULL << 40);
    /* A corrupt shift is not undefined behaviour. */
    s.shift = 100;
    assert_int_equal(pvclock_scale_delta(5, &s), 0);
    assert_int_equal(pvclock_scale_delta_sat(5, &s), UINT64_MAX);
}

static void test_scale_saturating(void **state)
{
    struct pvclock_scale s;
    uint64_t d;

    /* ns -> ticks of 3 GHz: shift 2, so deltas above 2^62 would wrap for a guest. */
    assert_int_equal(pvclock_scale_init(&s, NS, 3000000000ULL), 0);
    assert_int_equal(s.shift, 2);
    assert_int_equal(pvclock_scale_delta_sat(UINT64_MAX, &s), UINT64_MAX);
    assert_int_equal(pvclock_scale_delta_sat((1ULL << 62) + 1, &s), UINT64_MAX);
    assert_true(pvclock_scale_delta((1ULL << 62) + 1, &s) < 10);     /* the guest's wrap */
    for (d = 1; d < (1ULL << 62); d = d * 3 + 1)
        assert_int_equal(pvclock_scale_delta_sat(d, &s), pvclock_scale_delta(d, &s));
    /* 2^62 - 1 is the largest delta whose shifted value fits. */
    assert_int_equal(pvclock_scale_delta_sat((1ULL << 62) - 1, &s),
                     pvclock_scale_delta((1ULL << 62) - 1, &s));
    assert_int_equal(pvclock_scale_delta_sat(1ULL << 62, &s), UINT64_MAX);
    /* Negative shifts never saturate. */
    assert_int_equal(pvclock_tsc_scale(&s, 10000000000ULL), 0);
    assert_true(s.shift < 0);
    assert_int_equal(pvclock_scale_delta_sat(UINT64_MAX, &s), pvclock_scale_delta(UINT64_MAX, &s));
}

/* ---- vcpu_time_info and the wall clock ------------------------------------------------- */

static void test_update_and_read(void **state)
{
    struct vcpu_time_info t;
    struct pvclock_scale s;
    uint64_t ns = 0, f = 2903998000ULL;

    memset(&t, 0, sizeof(t));
    t.version = 4;
    assert_int_equal(pvclock_tsc_scale(&s, f), 0);
    pvclock_update(&t, 1000000, 5 * NS, &s, XEN_PVCLOCK_TSC_STABLE_BIT);
    assert_int_equal(t.version, 6);
    assert_int_equal(t.tsc_timestamp, 1000000);
    assert_int_equal(t.system_time, 5 * NS);
    assert_int_equal(t.tsc_to_system_mul, s.mul);
    assert_int_equal(t.tsc_shift, s.shift);
    assert_int_equal(t.flags, XEN_PVCLOCK_TSC_STABLE_BIT);
    assert_int_equal(t.pad0, 0);

    assert_int_equal(pvclock_read(&t, 1000000, &ns), 0);
    assert_int_equal(ns, 5 * NS);
    assert_int_equal(pvclock_read(&t, 1000000 + f, &ns), 0);
    assert_within_ppm(ns, 6 * NS, 1.0, f);
    assert_int_equal(pvclock_read(&t, 1000000 + 3600 * f, &ns), 0);
    assert_within_ppm(ns, 3605 * NS, 1.0, f);

    /* A guest-scribbled odd version still ends even, and moves on. */
    t.version = 7;
    pvclock_update(&t, 2, 3, &s, 0);
    assert_int_equal(t.version, 10);
    assert_int_equal(t.flags, 0);
    t.version = 0xFFFFFFFFu;
    pvclock_update(&t, 2, 3, &s, 0);
    assert_int_equal(t.version, 2);

    /* A reader seeing an update in progress is told to retry. */
    ns = 42;
    t.version = 11;
    assert_int_equal(pvclock_read(&t, 2, &ns), -EAGAIN);
    assert_int_equal(ns, 42);
}

/* A reader on another thread never sees a mix of two updates. */
struct race {
    struct vcpu_time_info t;
    bool started, stop;
    unsigned long reads, retries, torn;
};

static void *reader(void *arg)
{
    struct race *r = arg;
    volatile struct vcpu_time_info *v = &r->t;

    __atomic_store_n(&r->started, true, __ATOMIC_SEQ_CST);
    while (!__atomic_load_n(&r->stop, __ATOMIC_SEQ_CST)) {
        uint32_t v1 = v->version, v2;
        uint64_t stamp, sys;
        uint32_t mul;
        int8_t shift;

        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        stamp = v->tsc_timestamp;
        sys = v->system_time;
        mul = v->tsc_to_system_mul;
        shift = v->tsc_shift;
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        v2 = v->version;
        if ((v1 & 1) || v1 != v2) {
            r->retries++;
            continue;
        }
        __atomic_fetch_add(&r->reads, 1, __ATOMIC_RELAXED);
        /* Every update writes sys = 3 * stamp and mul = stamp low bits, shift = 1. */
        if (sys != 3 * stamp || mul != (uint32_t)stamp || shift != 1)
            r->torn++;
    }
    return NULL;
}

/* Deterministic store order: the struct lives on a read-only page; every store faults,
 * the handler records which field is written and the version at that moment, opens
 * the page and single-steps (trap flag) over the store, and the trap closes it again.
 * This sees the stores in the order the CPU performs them, compiler reordering
 * included. */
struct store { unsigned off; uint32_t version; };
static uint8_t *watch_page;
static unsigned watch_version_off;      /* where the version counter is on the page */
static struct store stores[32];
static volatile unsigned nr_stores;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    uint8_t *a = si->si_addr;

    if (a < watch_page || a >= watch_page + 4096 || nr_stores >= 32) {
        signal(SIGSEGV, SIG_DFL);       /* a real fault: let it kill the test */
        return;
    }
    stores[nr_stores].off = (unsigned)(a - watch_page);
    memcpy(&stores[nr_stores].version, watch_page + watch_version_off, 4);
    nr_stores++;
    mprotect(watch_page, 4096, PROT_READ | PROT_WRITE);
    uc->uc_mcontext.gregs[REG_EFL] |= 0x100;
}

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;

    uc->uc_mcontext.gregs[REG_EFL] &= ~0x100LL;
    mprotect(watch_page, 4096, PROT_READ);
}

static void watch_begin(unsigned version_off, struct sigaction *old_segv,
                        struct sigaction *old_trap)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof(sa));
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_segv;
    assert_int_equal(sigaction(SIGSEGV, &sa, old_segv), 0);
    sa.sa_sigaction = on_trap;
    assert_int_equal(sigaction(SIGTRAP, &sa, old_trap), 0);
    watch_version_off = version_off;
    nr_stores = 0;
    assert_int_equal(mprotect(watch_page, 4096, PROT_READ), 0);
}

static void watch_end(const struct sigaction *old_segv, const struct sigaction *old_trap)
{
    assert_int_equal(mprotect(watch_page, 4096, PROT_READ | PROT_WRITE), 0);
    sigaction(SIGSEGV, old_segv, NULL);
    sigaction(SIGTRAP, old_trap, NULL);
}

/* First store: the version, from even to odd; last: the version, odd to even; every
 * store between is a field, made while the version was odd; 'fields' stores in all. */
static void check_store_order(unsigned version_off, uint32_t before, unsigned fields)
{
    unsigned k, n = nr_stores;

    assert_int_equal(n, fields + 2);
    assert_int_equal(stores[0].off, version_off);
    assert_int_equal(stores[0].version, before);
    for (k = 1; k + 1 < n; k++) {
        assert_int_not_equal(stores[k].off, version_off);
        assert_int_equal(stores[k].version & 1, 1);
        assert_int_equal(stores[k].version, stores[1].version);
    }
    assert_int_equal(stores[n - 1].off, version_off);
    assert_int_equal(stores[n - 1].version, stores[1].version);
}

static void test_version_store_order(void **state)
{
    struct sigaction old_segv, old_trap;
    struct vcpu_time_info *t;
    struct shared_info *si;
    struct pvclock_scale s = { .mul = 0x87654321u, .shift = -2 };

    watch_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(watch_page != MAP_FAILED);

    t = (struct vcpu_time_info *)watch_page;
    t->version = 8;
    watch_begin(offsetof(struct vcpu_time_info, version), &old_segv, &old_trap);
    pvclock_update(t, 111, 222, &s, XEN_PVCLOCK_TSC_STABLE_BIT);
    watch_end(&old_segv, &old_trap);
    check_store_order(offsetof(struct vcpu_time_info, version), 8, 5);
    assert_int_equal(stores[1].version, 9);
    assert_int_equal(t->version, 10);
    assert_int_equal(t->tsc_timestamp, 111);
    assert_int_equal(t->system_time, 222);
    assert_int_equal(t->tsc_to_system_mul, 0x87654321u);
    assert_int_equal(t->tsc_shift, -2);
    assert_int_equal(t->flags, XEN_PVCLOCK_TSC_STABLE_BIT);

    memset(watch_page, 0, 4096);
    si = (struct shared_info *)watch_page;
    si->wc_version = 2;
    watch_begin(offsetof(struct shared_info, wc_version), &old_segv, &old_trap);
    pvclock_update_wallclock(si, (7ULL << 32) | 9, 5);
    watch_end(&old_segv, &old_trap);
    check_store_order(offsetof(struct shared_info, wc_version), 2, 3);
    assert_int_equal(si->wc_version, 4);
    assert_int_equal(si->wc_sec, 9);
    assert_int_equal(si->wc_sec_hi, 7);
    assert_int_equal(si->wc_nsec, 5);

    munmap(watch_page, 4096);
}

/* The writer keeps updating until the reader, started first, has made enough reads
 * during the updates (and at least 300000 updates are done), so a pass is never
 * vacuous; the cap only keeps a broken machine from hanging the suite. */
#define RACE_MIN_UPDATES 300000ULL
#define RACE_MIN_READS   20000UL
#define RACE_MAX_UPDATES 200000000ULL

static void test_version_protocol_race(void **state)
{
    static struct race r;
    pthread_t th;
    uint64_t i;

    memset(&r, 0, sizeof(r));
    {
        /* A consistent state before the reader starts (the all-zero one is not). */
        struct pvclock_scale s0 = { .mul = 0, .shift = 1 };

        pvclock_update(&r.t, 0, 0, &s0, 0);
    }
    assert_int_equal(pthread_create(&th, NULL, reader, &r), 0);
    while (!__atomic_load_n(&r.started, __ATOMIC_SEQ_CST))
        sched_yield();
    for (i = 1; i <= RACE_MAX_UPDATES; i++) {
        struct pvclock_scale s = { .mul = (uint32_t)i, .shift = 1 };

        pvclock_update(&r.t, i, 3 * i, &s, 0);
        assert_int_equal(r.t.version & 1, 0);
        if (i >= RACE_MIN_UPDATES &&
            __atomic_load_n(&r.reads, __ATOMIC_RELAXED) >= RACE_MIN_READS)
            break;
    }
    __atomic_store_n(&r.stop, true, __ATOMIC_SEQ_CST);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(i <= RACE_MAX_UPDATES);
    assert_int_equal(r.t.version, 2 * i + 2);
    assert_int_equal(r.torn, 0);
    assert_true(r.reads >= RACE_MIN_READS);
}

static void test_wallclock(void **state)
{
    static struct shared_info si;
    uint64_t sec = (5ULL << 32) | 123;

    memset(&si, 0, sizeof(si));
    pvclock_update_wallclock(&si, 1700000000, 999999999);
    assert_int_equal(si.wc_version, 2);
    assert_int_equal(si.wc_sec, 1700000000);
    assert_int_equal(si.wc_sec_hi, 0);
    assert_int_equal(si.wc_nsec, 999999999);
    si.wc_version = 3;                      /* guest-scribbled */
    pvclock_update_wallclock(&si, sec, 1);
    assert_int_equal(si.wc_version, 6);
    assert_int_equal(si.wc_sec, 123);
    assert_int_equal(si.wc_sec_hi, 5);
    assert_int_equal(si.wc_nsec, 1);
    /* Nothing else in shared_info moved. */
    assert_int_equal(si.vcpu_info[0].time.version, 0);
    assert_int_equal(si.evtchn_pending[0], 0);
}

/* ---- timers (A27) ---------------------------------------------------------------------- */

static void test_timer_op(void **state)
{
    uint64_t now = 50 * NS, d = 0;

    assert_false(pvclock_timer_op(now, 0, &d));
    assert_int_equal(d, 0);
    /* Ordinary future and past deadlines are taken as given. */
    assert_true(pvclock_timer_op(now, now + 1000, &d));
    assert_int_equal(d, now + 1000);
    assert_true(pvclock_timer_op(now, now - 1, &d));
    assert_int_equal(d, now - 1);
    assert_true(pvclock_timer_op(now, 1, &d));
    assert_int_equal(d, 1);
    /* Just below 2^50 ahead: as given; at or beyond it: 100 ms. */
    assert_true(pvclock_timer_op(now, now + (1ULL << 50) - 1, &d));
    assert_int_equal(d, now + (1ULL << 50) - 1);
    assert_true(pvclock_timer_op(now, now + (1ULL << 50), &d));
    assert_int_equal(d, now + 100000000);
    assert_true(pvclock_timer_op(now, (1ULL << 63) - 1, &d));
    assert_int_equal(d, now + 100000000);
    /* Negative as a signed value (wrapped jiffies): 100 ms. */
    assert_true(pvclock_timer_op(now, 1ULL << 63, &d));
    assert_int_equal(d, now + 100000000);
    assert_true(pvclock_timer_op(now, UINT64_MAX, &d));
    assert_int_equal(d, now + 100000000);
    /* The fallback saturates rather than wraps. */
    assert_true(pvclock_timer_op(UINT64_MAX - 5, UINT64_MAX, &d));
    assert_int_equal(d, UINT64_MAX);
}

static void test_singleshot(void **state)
{
    struct vcpu_set_singleshot_timer op;
    uint64_t now = 7 * NS, d = 99;

    op = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = now - 1,
                                             .flags = VCPU_SSHOTTMR_future };
    assert_int_equal(pvclock_singleshot(now, &op, &d), -ETIME);
    assert_int_equal(d, 99);
    op.timeout_abs_ns = now;
    assert_int_equal(pvclock_singleshot(now, &op, &d), 0);
    assert_int_equal(d, now);
    /* Linux passes no flag: a past deadline is accepted and fires at once. */
    op = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = 5 };
    assert_int_equal(pvclock_singleshot(now, &op, &d), 0);
    assert_int_equal(d, 5);
    /* Negative as a signed value: in the past, with or without the flag. */
    op = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = UINT64_MAX };
    assert_int_equal(pvclock_singleshot(now, &op, &d), 0);
    assert_int_equal(d, now);
    op.flags = VCPU_SSHOTTMR_future;
    assert_int_equal(pvclock_singleshot(now, &op, &d), 0);
    assert_int_equal(d, now);
    /* Unknown flag bits are ignored. */
    op = (struct vcpu_set_singleshot_timer){ .timeout_abs_ns = now + 10, .flags = 0xFFFFFFFEu };
    assert_int_equal(pvclock_singleshot(now, &op, &d), 0);
    assert_int_equal(d, now + 10);
}

static void test_past_deadline_fires_once(void **state)
{
    struct pvclock_timer t = { 0 };
    uint64_t d = 0;

    assert_false(pvclock_timer_fire(&t, 1000));        /* never armed */
    assert_true(pvclock_timer_op(1000, 10, &d));
    pvclock_timer_set(&t, d);
    assert_true(pvclock_timer_fire(&t, 1000));
    assert_false(pvclock_timer_fire(&t, 1000));
    assert_false(pvclock_timer_fire(&t, 5000));
    /* A future one: not before its time, then once. */
    pvclock_timer_set(&t, 2000);
    assert_false(pvclock_timer_fire(&t, 1999));
    assert_true(pvclock_timer_fire(&t, 2000));
    assert_false(pvclock_timer_fire(&t, 2001));
    /* Stopped timers stay quiet; re-arming replaces the deadline. */
    pvclock_timer_set(&t, 10);
    pvclock_timer_stop(&t);
    assert_false(pvclock_timer_fire(&t, 20));
    pvclock_timer_set(&t, 100);
    pvclock_timer_set(&t, 300);
    assert_false(pvclock_timer_fire(&t, 200));
    assert_true(pvclock_timer_fire(&t, 300));
    /* A saturated deadline is never reached early. */
    pvclock_timer_set(&t, UINT64_MAX);
    assert_false(pvclock_timer_fire(&t, UINT64_MAX - 1));
}

static void test_periodic(void **state)
{
    struct vcpu_set_periodic_timer op;
    struct pvclock_periodic p;
    const uint64_t ms = 1000000;

    op.period_ns = ms - 1;
    assert_int_equal(pvclock_periodic_check(&op), -EINVAL);
    op.period_ns = ms;
    assert_int_equal(pvclock_periodic_check(&op), 0);
    op.period_ns = (1ULL << 62) - 1;
    assert_int_equal(pvclock_periodic_check(&op), 0);
    op.period_ns = 1ULL << 62;
    assert_int_equal(pvclock_periodic_check(&op), -EINVAL);
    op.period_ns = UINT64_MAX;
    assert_int_equal(pvclock_periodic_check(&op), -EINVAL);
    op.period_ns = 0;
    assert_int_equal(pvclock_periodic_check(&op), -EINVAL);

    /* 10 ms from t = 0 (a PV vCPU's default). */
    pvclock_periodic_start(&p, 10 * ms, 0);
    assert_int_equal(p.next, 10 * ms);
    assert_false(pvclock_periodic_fire(&p, 5 * ms));
    assert_true(pvclock_periodic_fire(&p, 10 * ms));
    assert_int_equal(p.next, 20 * ms);
    assert_false(pvclock_periodic_fire(&p, 10 * ms));
    /* Missed periods: one firing, and the phase is kept. */
    assert_true(pvclock_periodic_fire(&p, 95 * ms));
    assert_int_equal(p.next, 100 * ms);
    assert_false(pvclock_periodic_fire(&p, 99 * ms));
    assert_true(pvclock_periodic_fire(&p, 100 * ms));
    assert_int_equal(p.next, 110 * ms);

    /* Near the end of time: saturates, never wraps to a small value. */
    p = (struct pvclock_periodic){ .period = ms, .next = UINT64_MAX - 5 };
    assert_true(pvclock_periodic_fire(&p, UINT64_MAX - 1));
    assert_int_equal(p.next, UINT64_MAX);
    assert_false(pvclock_periodic_fire(&p, UINT64_MAX));
    pvclock_periodic_start(&p, (1ULL << 62) - 1, UINT64_MAX - 10);
    assert_int_equal(p.next, UINT64_MAX);
    assert_false(pvclock_periodic_fire(&p, UINT64_MAX - 1));
    p = (struct pvclock_periodic){ .period = (1ULL << 62) - 1, .next = 1ULL << 63 };
    assert_true(pvclock_periodic_fire(&p, UINT64_MAX - 1));
    assert_true(p.next > UINT64_MAX - 1 || p.next == UINT64_MAX);
    /* A refused period leaves the timer stopped. */
    pvclock_periodic_start(&p, 5, 0);
    assert_int_equal(p.period, 0);
    assert_false(pvclock_periodic_fire(&p, UINT64_MAX - 1));
}

static void test_deadline_to_tsc(void **state)
{
    struct pvclock_scale s;
    const uint64_t f = 2400000000ULL, now_ns = 10 * NS, now_tsc = 10 * f + 777;

    assert_int_equal(pvclock_scale_init(&s, NS, f), 0);
    assert_int_equal(pvclock_deadline_to_tsc(now_ns - 1, now_ns, now_tsc, &s), now_tsc);
    assert_int_equal(pvclock_deadline_to_tsc(0, now_ns, now_tsc, &s), now_tsc);
    assert_int_equal(pvclock_deadline_to_tsc(now_ns, now_ns, now_tsc, &s), now_tsc);
    assert_within_ppm(pvclock_deadline_to_tsc(now_ns + NS, now_ns, now_tsc, &s) - now_tsc,
                      f, 1.0, f);
    assert_within_ppm(pvclock_deadline_to_tsc(now_ns + 3600 * NS, now_ns, now_tsc, &s) - now_tsc,
                      3600 * f, 1.0, f);
    /* Huge deadlines saturate instead of wrapping into the near future. */
    assert_int_equal(pvclock_deadline_to_tsc(UINT64_MAX, now_ns, now_tsc, &s), UINT64_MAX);
    assert_int_equal(pvclock_deadline_to_tsc(1ULL << 63, now_ns, now_tsc, &s), UINT64_MAX);
    assert_int_equal(pvclock_deadline_to_tsc(now_ns + (1ULL << 62), now_ns, UINT64_MAX - 100, &s),
                     UINT64_MAX);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scale_normalised),
        cmocka_unit_test(test_scale_accuracy),
        cmocka_unit_test(test_scale_reverse),
        cmocka_unit_test(test_scale_bit_exact_with_guest),
        cmocka_unit_test(test_scale_errors_and_extremes),
        cmocka_unit_test(test_scale_saturating),
        cmocka_unit_test(test_update_and_read),
        cmocka_unit_test(test_version_store_order),
        cmocka_unit_test(test_version_protocol_race),
        cmocka_unit_test(test_wallclock),
        cmocka_unit_test(test_timer_op),
        cmocka_unit_test(test_singleshot),
        cmocka_unit_test(test_past_deadline_fires_once),
        cmocka_unit_test(test_periodic),
        cmocka_unit_test(test_deadline_to_tsc),
    };

    return cmocka_run_group_tests(tests, make_rates, NULL);
}
