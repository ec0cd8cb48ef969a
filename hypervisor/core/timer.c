/*
 * Guest time and timers (include/timer.h). The wall clock comes from the CMOS RTC once
 * at boot; system time is the TSC through the scale guests get, so a guest's
 * extrapolation and the hypervisor agree. Each vCPU has a one-shot timer (set_timer_op,
 * VCPUOP_set_singleshot_timer) and a periodic one; either raises VIRQ_TIMER when due.
 * The local APIC is programmed for the earliest deadline of all vCPUs and the end of
 * the scheduler's time slice; each interrupt fires what is due on every vCPU.
 */
#include "console.h"
#include "lapic.h"
#include "lib.h"
#include "scheduler.h"
#include "timer.h"
#include "tsc.h"
#include "x86.h"

static uint64_t boot_wallclock_sec;

static uint8_t cmos_read(uint8_t reg)
{
    outb(0x70, reg);
    return inb(0x71);
}

static unsigned from_bcd(uint8_t v, bool binary) { return binary ? v : (v >> 4) * 10 + (v & 15); }

/* Days since 1970-01-01 of a proleptic Gregorian date (civil-from-days inverse). */
static uint64_t days_from_civil(unsigned y, unsigned m, unsigned d)
{
    y -= m <= 2;
    uint64_t era = y / 400, yoe = y - era * 400;
    uint64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    uint64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

void time_init(void)
{
    for (int spin = 0; spin < 1000000 && (cmos_read(0x0a) & 0x80); spin++)
        cpu_relax();                               /* not during an RTC update */
    bool binary = cmos_read(0x0b) & 0x04;
    unsigned sec = from_bcd(cmos_read(0x00), binary), min = from_bcd(cmos_read(0x02), binary);
    unsigned hour = from_bcd(cmos_read(0x04) & 0x7f, binary);
    unsigned day = from_bcd(cmos_read(0x07), binary), mon = from_bcd(cmos_read(0x08), binary);
    unsigned year = from_bcd(cmos_read(0x09), binary) + 2000;
    if (mon < 1 || mon > 12 || day < 1 || day > 31) {
        printk("time: the CMOS clock reads nonsense; wall clock starts at 1970\n");
        return;
    }
    boot_wallclock_sec = days_from_civil(year, mon, day) * 86400 + hour * 3600 + min * 60 + sec;
}

void time_update_vcpu(struct vcpu *v)
{
    uint64_t tsc = rdtsc();
    pvclock_update(&v->vcpu_info->time, tsc, pvclock_scale_delta(tsc - tsc_at_boot, &tsc_to_ns),
                   &tsc_to_ns, XEN_PVCLOCK_TSC_STABLE_BIT);
}

void time_domain_start(struct domain *d)
{
    /* Wall clock = UTC at system time 0 (the boot). */
    pvclock_update_wallclock(d->shared_info, boot_wallclock_sec, 0);
    for (unsigned i = 0; i < MAX_VCPUS; i++) {
        struct vcpu *v = &d->vcpus[i];
        time_update_vcpu(v);
        pvclock_periodic_start(&v->periodic, PV_DEFAULT_PERIOD_NS, system_time_ns());
    }
}

bool timer_armed(const struct vcpu *v)
{
    return v->singleshot.armed || v->periodic.period || v->poll_timeout.armed;
}

static uint64_t earliest_deadline(const struct vcpu *v)
{
    uint64_t when = UINT64_MAX;
    if (v->singleshot.armed)
        when = MIN(when, v->singleshot.deadline);
    if (v->periodic.period)
        when = MIN(when, v->periodic.next);
    if (v->poll_timeout.armed)
        when = MIN(when, v->poll_timeout.deadline);
    return when;
}

#define for_each_live_vcpu(d, v)                                                   \
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)       \
        for (struct vcpu *v = d->vcpus; domain_is_live(d) && v < d->vcpus + MAX_VCPUS; v++) \
            if (v->sched_state != VCPU_DOWN)

void timer_reprogram(void)
{
    uint64_t when = sched_slice_end();
    for_each_live_vcpu(d, v)
        if (timer_armed(v))
            when = MIN(when, earliest_deadline(v));
    if (when == UINT64_MAX) {
        lapic_timer_oneshot(0);
        return;
    }
    uint64_t now = system_time_ns();
    lapic_timer_oneshot(when > now ? when - now : 1);
}

/* Fire v's due timers: VIRQ_TIMER for the one-shot and periodic ones (waking v if it
 * blocked), the end of a poll for its timeout. */
static void fire_vcpu_timers(struct vcpu *v, uint64_t now)
{
    bool fire = pvclock_timer_fire(&v->singleshot, now);
    fire |= pvclock_periodic_fire(&v->periodic, now);
    bool poll_over = pvclock_timer_fire(&v->poll_timeout, now);
    if (fire) {
        struct evtchn_raised r;
        if (evtchn_raise_virq(&v->domain->evtchn, v->id, VIRQ_TIMER, &r) == 0)
            sched_event_raised(&r);
    }
    if (poll_over)
        sched_recheck(v);
}

void timer_interrupt(void)
{
    lapic_eoi();
    uint64_t now = system_time_ns();
    for_each_live_vcpu(d, v)
        fire_vcpu_timers(v, now);
    sched_timer_tick(now);
    if (current_vcpu())
        time_update_vcpu(current_vcpu());
    timer_reprogram();
}
