/*
 * Xen PV time arithmetic: the mul/shift scale between two rates (exact long division, no
 * 128-bit library helpers), scaling a delta as guests do, the vcpu_time_info and wall
 * clock version protocol, and saturating timer deadlines. Pure; the contract is
 * include/time/pvclock.h.
 */
#include "xen-public.h"
#include "errno.h"
#include "time/pvclock.h"

typedef unsigned __int128 u128;

#define barrier() __asm__ __volatile__("" ::: "memory")

/* Sign of (a * 2^s - b), for a, b > 0 and |s| < 128 - 64. */
static int cmp_scaled(uint64_t a, int s, uint64_t b)
{
    u128 l = a, r = b;

    if (s >= 0)
        l <<= s;
    else
        r <<= -s;
    return l < r ? -1 : l > r;
}

/* n / d for a 128-bit n and a 64-bit d (> 0), by shift-and-subtract: the compiler
 * would call a libgcc helper for a 128-bit division, and there is no libgcc here. */
static u128 div_u128(u128 n, uint64_t d, uint64_t *rem)
{
    u128 q = 0, r = 0;
    int i;

    for (i = 127; i >= 0; i--) {
        r = (r << 1) | ((n >> i) & 1);
        if (r >= d) {
            r -= d;
            q |= (u128)1 << i;
        }
    }
    *rem = (uint64_t)r;
    return q;
}

int pvclock_scale_init(struct pvclock_scale *s, uint64_t from_hz, uint64_t to_hz)
{
    uint64_t rem, d;
    u128 n, q;
    int shift;

    if (from_hz == 0 || to_hz == 0)
        return -EINVAL;
    /* Start from equal bit lengths (within a factor 2), then settle
     * to_hz < from_hz * 2^shift <= 2 * to_hz exactly. */
    shift = (64 - __builtin_clzll(to_hz)) - (64 - __builtin_clzll(from_hz));
    while (cmp_scaled(from_hz, shift, to_hz) <= 0)
        shift++;
    while (cmp_scaled(from_hz, shift - 1, to_hz) > 0)
        shift--;
    if (shift < -63 || shift > 63)
        return -ERANGE;

    /* mul = to * 2^32 / (from * 2^shift), rounded to nearest. */
    if (shift <= 32) {
        n = (u128)to_hz << (32 - shift);        /* < from * 2^32 < 2^96 */
        d = from_hz;
    } else {
        n = to_hz;
        d = from_hz << (shift - 32);            /* <= 2 * to / 2^32 < 2^33 */
    }
    q = div_u128(n, d, &rem);
    if (rem >= d - rem && q < 0xFFFFFFFFu)
        q++;
    s->mul = (uint32_t)q;
    s->shift = (int8_t)shift;
    return 0;
}

/* (x * mul) >> 32 without losing the top: < 2^64 for any x since mul < 2^32. */
static uint64_t mul_frac(uint64_t x, uint32_t mul)
{
    return (x >> 32) * mul + (((x & 0xFFFFFFFFu) * mul) >> 32);
}

uint64_t pvclock_scale_delta(uint64_t delta, const struct pvclock_scale *s)
{
    int shift = s->shift;

    if (shift <= -64 || shift >= 64)
        return 0;                       /* only a corrupt scale gets here */
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return mul_frac(delta, s->mul);
}

uint64_t pvclock_scale_delta_sat(uint64_t delta, const struct pvclock_scale *s)
{
    int shift = s->shift;

    if (shift > 0 && (shift >= 64 || delta > (UINT64_MAX >> shift)))
        return UINT64_MAX;
    return pvclock_scale_delta(delta, s);
}

/* ---- what guests read ---------------------------------------------------------------- */

void pvclock_update(struct vcpu_time_info *t, uint64_t tsc, uint64_t system_ns,
                    const struct pvclock_scale *s, uint8_t flags)
{
    volatile struct vcpu_time_info *v = t;
    uint32_t version = (v->version + 1) | 1;

    v->version = version;
    barrier();
    v->tsc_timestamp = tsc;
    v->system_time = system_ns;
    v->tsc_to_system_mul = s->mul;
    v->tsc_shift = s->shift;
    v->flags = flags;
    barrier();
    v->version = version + 1;
}

int pvclock_read(const struct vcpu_time_info *t, uint64_t tsc, uint64_t *ns)
{
    const volatile struct vcpu_time_info *v = t;
    struct pvclock_scale s;
    uint64_t stamp, base;
    uint32_t version = v->version;

    if (version & 1)
        return -EAGAIN;
    barrier();
    stamp = v->tsc_timestamp;
    base = v->system_time;
    s.mul = v->tsc_to_system_mul;
    s.shift = v->tsc_shift;
    barrier();
    if (v->version != version)
        return -EAGAIN;
    *ns = base + pvclock_scale_delta(tsc - stamp, &s);
    return 0;
}

void pvclock_update_wallclock(struct shared_info *si, uint64_t sec, uint32_t nsec)
{
    volatile struct shared_info *v = si;
    uint32_t version = (v->wc_version + 1) | 1;

    v->wc_version = version;
    barrier();
    v->wc_sec = (uint32_t)sec;
    v->wc_sec_hi = (uint32_t)(sec >> 32);
    v->wc_nsec = nsec;
    barrier();
    v->wc_version = version + 1;
}

/* ---- deadlines and timers --------------------------------------------------------------- */

bool pvclock_timer_op(uint64_t now, uint64_t timeout, uint64_t *deadline)
{
    if (timeout == 0)
        return false;
    if ((int64_t)timeout < 0 || (timeout > now && timeout - now >= PVCLOCK_HUGE_TIMEOUT))
        *deadline = pvclock_sat_add(now, PVCLOCK_HUGE_FALLBACK);
    else
        *deadline = timeout;
    return true;
}

int pvclock_singleshot(uint64_t now, const struct vcpu_set_singleshot_timer *op,
                       uint64_t *deadline)
{
    uint64_t timeout = op->timeout_abs_ns;

    if ((op->flags & VCPU_SSHOTTMR_future) && timeout < now)
        return -ETIME;
    *deadline = (int64_t)timeout < 0 ? now : timeout;
    return 0;
}

int pvclock_periodic_check(const struct vcpu_set_periodic_timer *op)
{
    if (op->period_ns < PVCLOCK_PERIOD_MIN || op->period_ns > PVCLOCK_PERIOD_MAX)
        return -EINVAL;
    return 0;
}

bool pvclock_timer_fire(struct pvclock_timer *t, uint64_t now)
{
    if (!t->armed || now < t->deadline)
        return false;
    t->armed = false;
    return true;
}

void pvclock_periodic_start(struct pvclock_periodic *p, uint64_t period, uint64_t now)
{
    struct vcpu_set_periodic_timer op = { .period_ns = period };

    if (pvclock_periodic_check(&op)) {
        *p = (struct pvclock_periodic){ 0 };
        return;
    }
    p->period = period;
    p->next = pvclock_sat_add(now, period);
}

bool pvclock_periodic_fire(struct pvclock_periodic *p, uint64_t now)
{
    uint64_t missed;

    if (!p->period || now < p->next || p->next == UINT64_MAX)
        return false;
    /* Skip every period that has already gone by: the next expiry is after now. */
    missed = (now - p->next) / p->period + 1;
    if (missed > (UINT64_MAX - p->next) / p->period)
        p->next = UINT64_MAX;
    else
        p->next += missed * p->period;
    return true;
}

uint64_t pvclock_deadline_to_tsc(uint64_t deadline_ns, uint64_t now_ns, uint64_t now_tsc,
                                 const struct pvclock_scale *ns_to_tsc)
{
    if (deadline_ns <= now_ns)
        return now_tsc;
    return pvclock_sat_add(now_tsc, pvclock_scale_delta_sat(deadline_ns - now_ns, ns_to_tsc));
}
