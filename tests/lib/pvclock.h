/*
 * Guest time from vcpu_info[0].time (struct vcpu_time_info) and the wall clock of
 * shared_info, read the way Linux and Mini-OS read them:
 *
 *   system time (ns) = system_time + scale(tsc - tsc_timestamp)
 *   scale(d)         = ((d << tsc_shift, or >> -tsc_shift) * tsc_to_system_mul) >> 32
 *
 * under the version protocol: the hypervisor makes version odd, writes, makes it even
 * again; a reader copies the fields between two reads of an even, unchanged version.
 * A version that stays odd for a million tries is a hypervisor bug: we panic saying so.
 */
#ifndef PARAPET_TEST_PVCLOCK_H
#define PARAPET_TEST_PVCLOCK_H

#include "lib.h"
#include "guest.h"

#define NS_PER_US   1000ULL
#define NS_PER_MS   1000000ULL
#define NS_PER_SEC  1000000000ULL

/* rdtsc, not reordered with earlier loads (lfence: SSE2, always there on x86-64). */
static inline uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return ((uint64_t)hi << 32) | lo;
}

/* scale(delta) with the 64x32 multiply done in 128 bits, as the ABI specifies. */
static inline uint64_t pvclock_scale(uint64_t delta, uint32_t mul, int8_t shift)
{
    if (shift < 0)
        delta >>= -shift;
    else
        delta <<= shift;
    return (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* One consistent reading: a copy of vcpu_time_info, a TSC value taken inside the
 * version window, and the system time it gives. */
struct pvclock_sample {
    struct vcpu_time_info info;
    uint64_t tsc;
    uint64_t ns;
    unsigned int retries;       /* how often the version check failed */
};

static inline void pvclock_sample(struct pvclock_sample *s)
{
    volatile struct vcpu_time_info *t = &shared_info->vcpu_info[0].time;
    uint32_t v;

    s->retries = 0;
    for (;;) {
        v = t->version;
        barrier();
        s->info.version = v;
        s->info.tsc_timestamp = t->tsc_timestamp;
        s->info.system_time = t->system_time;
        s->info.tsc_to_system_mul = t->tsc_to_system_mul;
        s->info.tsc_shift = t->tsc_shift;
        s->info.flags = t->flags;
        s->tsc = rdtsc_ordered();
        barrier();
        if (!(v & 1) && t->version == v)
            break;
        if (++s->retries >= 1000000)
            panic("vcpu_time_info version stuck (last %u, odd=%u): the hypervisor never "
                  "finished an update", t->version, t->version & 1);
    }
    s->ns = s->info.system_time + pvclock_scale(s->tsc - s->info.tsc_timestamp,
                                                s->info.tsc_to_system_mul,
                                                s->info.tsc_shift);
}

/* Current system time in ns (the clock timers and SCHEDOP_poll deadlines use). */
static inline uint64_t pvclock_now(void)
{
    struct pvclock_sample s;

    pvclock_sample(&s);
    return s.ns;
}

/* TSC frequency in kHz implied by mul/shift (0 if mul is 0). */
static inline uint64_t pvclock_tsc_khz(uint32_t mul, int8_t shift)
{
    uint64_t khz;

    if (!mul)
        return 0;
    khz = (1000000ULL << 32) / mul;
    return shift < 0 ? khz << -shift : khz >> shift;
}

/* Wall clock: seconds and ns since the epoch, now (wc at system time 0 + system time). */
static inline void pvclock_wallclock(uint64_t *sec, uint32_t *nsec, uint32_t *wc_version)
{
    volatile struct shared_info *si = shared_info;
    uint64_t wsec, now, total;
    uint32_t v, wnsec;
    unsigned int tries = 0;

    for (;;) {
        v = si->wc_version;
        barrier();
        wsec = si->wc_sec | ((uint64_t)si->wc_sec_hi << 32);
        wnsec = si->wc_nsec;
        barrier();
        if (!(v & 1) && si->wc_version == v)
            break;
        if (++tries >= 1000000)
            panic("shared_info wc_version stuck at %u: the hypervisor never finished an "
                  "update", si->wc_version);
    }
    now = pvclock_now();
    total = wnsec + now % NS_PER_SEC;
    *sec = wsec + now / NS_PER_SEC + total / NS_PER_SEC;
    *nsec = (uint32_t)(total % NS_PER_SEC);
    if (wc_version)
        *wc_version = v;
}

/* Busy-wait until system time t (events are delivered meanwhile if unmasked). */
static inline void spin_until(uint64_t t)
{
    while (pvclock_now() < t)
        __asm__ volatile("pause" ::: "memory");
}

/* Busy-wait ns nanoseconds. */
static inline void spin_ns(uint64_t ns)
{
    spin_until(pvclock_now() + ns);
}

#endif
