/*
 * Xen PV time: the TSC-to-nanoseconds scale (tsc_to_system_mul, tsc_shift) published in
 * vcpu_time_info, the version protocol guests read it with, the wall clock, and the
 * saturating deadline arithmetic behind set_timer_op and the singleshot/periodic vCPU
 * timers (A27). Pure arithmetic, implemented in hypervisor/time/pvclock.c and tested by
 * tests/unit/test_pvclock.c; facts from xen-pv-abi-checklist.md 1.8.
 */
#ifndef HV_TIME_PVCLOCK_H
#define HV_TIME_PVCLOCK_H

#include <stdint.h>
#include <stdbool.h>
#include "xen-public.h"

/*
 * The scale. A guest computes
 *     ns = ((delta << shift) * mul) >> 32        (delta >> -shift when shift < 0)
 * with a 64-bit shifted delta and a 96-bit product. For a rate f (Hz) that is
 * ns = delta * 1e9 / f exactly when mul / 2^32 = 1e9 / (f * 2^shift). mul is a 32-bit
 * fraction, so mul < 2^32 needs f * 2^shift > 1e9; keeping mul >= 2^31 (all 32 bits
 * significant) needs f * 2^shift <= 2e9. So shift is the one integer that puts the
 * scaled rate in (1e9, 2e9], and mul = round(1e9 * 2^32 / (f * 2^shift)), which then
 * lies in [2^31, 2^32) (rounded up only while that stays below 2^32). Nothing is
 * truncated before the division: the relative error is below 2^-32 of the rate, far
 * inside 1 ppm. The same construction converts any rate into any other
 * (pvclock_scale_init(from, to)): the hypervisor also uses it for ns -> TSC ticks when
 * programming its one-shot timer.
 */
struct pvclock_scale {
    uint32_t mul;
    int8_t   shift;
};

#define PVCLOCK_NS_PER_SEC 1000000000ULL

/* The scale that turns ticks of from_hz into ticks of to_hz. -EINVAL if either rate is
 * 0, -ERANGE if the shift would leave [-63, 63] (rates 2^63 apart). */
int pvclock_scale_init(struct pvclock_scale *s, uint64_t from_hz, uint64_t to_hz);

/* TSC ticks to nanoseconds: what goes into vcpu_time_info. */
static inline int pvclock_tsc_scale(struct pvclock_scale *s, uint64_t tsc_hz)
{
    return pvclock_scale_init(s, tsc_hz, PVCLOCK_NS_PER_SEC);
}

/* delta scaled exactly as a guest does it (Linux pvclock_scale_delta, Mini-OS,
 * XTF): the shifted delta wraps at 64 bits like theirs. */
uint64_t pvclock_scale_delta(uint64_t delta, const struct pvclock_scale *s);

/* The same, saturating at UINT64_MAX instead of wrapping (for deadlines). */
uint64_t pvclock_scale_delta_sat(uint64_t delta, const struct pvclock_scale *s);

/* ---- what guests read ------------------------------------------------------------- */

/* Publish (tsc, system_ns, scale, flags) in t, which guests may be reading: version
 * becomes odd (one more than before, forced odd), the fields are written, version
 * becomes even (one more again). Compiler barriers keep the stores in that order (x86
 * does not reorder stores with stores). flags: XEN_PVCLOCK_TSC_STABLE_BIT ... */
void pvclock_update(struct vcpu_time_info *t, uint64_t tsc, uint64_t system_ns,
                    const struct pvclock_scale *s, uint8_t flags);

/* Read t at TSC value tsc as a guest does: -EAGAIN if the version is odd or changed
 * while reading (the caller retries), else 0 with *ns = system_time + scaled
 * (tsc - tsc_timestamp). */
int pvclock_read(const struct vcpu_time_info *t, uint64_t tsc, uint64_t *ns);

/* Wall clock (UTC at system time 0) into shared_info, under wc_version the same way. */
void pvclock_update_wallclock(struct shared_info *si, uint64_t sec, uint32_t nsec);

/* ---- deadlines and timers (all times are ns of system time) --------------------------- */

/* a + b, or UINT64_MAX if that overflows. */
static inline uint64_t pvclock_sat_add(uint64_t a, uint64_t b)
{
    return a + b < a ? UINT64_MAX : a + b;
}

#define PVCLOCK_HUGE_TIMEOUT   (1ULL << 50)        /* ~13 days ahead */
#define PVCLOCK_HUGE_FALLBACK  100000000ULL        /* 100 ms */
#define PVCLOCK_PERIOD_MIN     1000000ULL          /* 1 ms */
#define PVCLOCK_PERIOD_MAX     ((1ULL << 62) - 1)  /* Xen's STIME_DELTA_MAX */

/* set_timer_op(timeout) at time now, Xen's rule: 0 cancels (returns false); a timeout
 * negative as a signed value, or 2^50 ns or more ahead, becomes now + 100 ms (guests
 * that wrapped their jiffies, or meant "no timer"); anything else, past included, is the
 * deadline as given (a past one fires at once, once). Returns true with *deadline. */
bool pvclock_timer_op(uint64_t now, uint64_t timeout, uint64_t *deadline);

/* VCPUOP_set_singleshot_timer: -ETIME if VCPU_SSHOTTMR_future is set and the deadline
 * is already past; a deadline negative as a signed value is in the past (fires at once,
 * as on Xen, flag or not); other flag bits are ignored, as Xen does. */
int pvclock_singleshot(uint64_t now, const struct vcpu_set_singleshot_timer *op,
                       uint64_t *deadline);

/* VCPUOP_set_periodic_timer: -EINVAL if period_ns < 1 ms or > 2^62 - 1. */
int pvclock_periodic_check(const struct vcpu_set_periodic_timer *op);

/* A one-shot timer: armed with a deadline, fires once when now reaches it. */
struct pvclock_timer {
    uint64_t deadline;
    bool armed;
};

static inline void pvclock_timer_set(struct pvclock_timer *t, uint64_t deadline)
{
    t->deadline = deadline;
    t->armed = true;
}

static inline void pvclock_timer_stop(struct pvclock_timer *t)
{
    t->armed = false;
}

/* True exactly once per arming, at the first call with now >= deadline (disarms). */
bool pvclock_timer_fire(struct pvclock_timer *t, uint64_t now);

/* A periodic timer (period 0 = stopped): fires at next, then next advances by whole
 * periods past now, so missed periods fire once, not in a storm, and next saturates
 * at UINT64_MAX instead of wrapping. */
struct pvclock_periodic {
    uint64_t period, next;
};

/* Start at now: first expiry now + period (saturating). A period failing
 * pvclock_periodic_check stops the timer. */
void pvclock_periodic_start(struct pvclock_periodic *p, uint64_t period, uint64_t now);
bool pvclock_periodic_fire(struct pvclock_periodic *p, uint64_t now);

/* The TSC value at which to program the hypervisor's one-shot timer for deadline_ns,
 * given (now_ns, now_tsc) and the ns -> TSC scale: now_tsc for a deadline not after
 * now (fire at once), else now_tsc + the scaled distance, saturating at UINT64_MAX. */
uint64_t pvclock_deadline_to_tsc(uint64_t deadline_ns, uint64_t now_ns, uint64_t now_tsc,
                                 const struct pvclock_scale *ns_to_tsc);

#endif
