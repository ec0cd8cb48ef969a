/*
 * The devices of a kernel under Xen or Parapet, used by the xen and the trap backends
 * alike (the comparison between them is of CPU and MMU operations, not of devices):
 * xen_fill_devices() assigns the time, console, evtchn (xen_evtchn.c) and grant
 * (xen_grant.c) groups. Time is the hypervisor's system time, extrapolated from
 * vcpu_time_info with the TSC under its version protocol; the timer is set_timer_op,
 * which raises VIRQ_TIMER; the console is console_io.
 */
#include "internal.h"

/* ---- time ----------------------------------------------------------------------------- */

/* One shot only: the periodic timer some hypervisors start with is stopped. */
void xen_time_init(void)
{
    HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0);
}

static uint64_t rdtsc_ordered(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

/* system_time + ((tsc - tsc_timestamp) << shift) * mul >> 32, from a copy taken while
 * the version was even and unchanged (odd: the hypervisor is mid-update). */
uint64_t xen_now_ns(void)
{
    volatile struct vcpu_time_info *t = &xen_shared_info->vcpu_info[0].time;
    uint64_t stamp, system_time, delta;
    uint32_t version, mul;
    int8_t shift;

    do {
        version = t->version;
        __asm__ volatile("" ::: "memory");
        stamp = t->tsc_timestamp;
        system_time = t->system_time;
        mul = t->tsc_to_system_mul;
        shift = t->tsc_shift;
        delta = rdtsc_ordered() - stamp;
        __asm__ volatile("" ::: "memory");
    } while ((version & 1) || version != t->version);
    delta = shift < 0 ? delta >> -shift : delta << shift;
    return system_time + (uint64_t)(((unsigned __int128)delta * mul) >> 32);
}

/* ticks per ms = 10^6 ns / (mul * 2^shift / 2^32 ns per tick) */
uint64_t xen_tsc_khz(void)
{
    volatile struct vcpu_time_info *t = &xen_shared_info->vcpu_info[0].time;
    uint64_t khz = t->tsc_to_system_mul ? (1000000ULL << 32) / t->tsc_to_system_mul : 0;
    int8_t shift = t->tsc_shift;

    return shift < 0 ? khz << -shift : khz >> shift;
}

void xen_set_timer(uint64_t deadline_ns)
{
    long rc = HYPERVISOR_set_timer_op(deadline_ns);

    if (rc)
        pv_panic("set_timer_op", rc);
}

/* The wall clock at system time 0 (shared_info, version-protected) plus now. */
uint64_t xen_wallclock(void)
{
    volatile struct shared_info *s = xen_shared_info;
    uint64_t sec;
    uint32_t version;

    do {
        version = s->wc_version;
        __asm__ volatile("" ::: "memory");
        sec = s->wc_sec | (uint64_t)s->wc_sec_hi << 32;
        __asm__ volatile("" ::: "memory");
    } while ((version & 1) || version != s->wc_version);
    return sec + xen_now_ns() / 1000000000ULL;
}

/* ---- console ---------------------------------------------------------------------------- */

void xen_console_init(void)
{
}

/* One hypercall per call: a hypervisor that prefixes lines sees whole ones. */
void xen_console_write(const char *s, size_t len)
{
    HYPERVISOR_console_io(CONSOLEIO_write, len, (unsigned long)s);
}

long xen_console_read(char *buf, size_t len)
{
    long n = HYPERVISOR_console_io(CONSOLEIO_read, len, (unsigned long)buf);

    return n < 0 ? 0 : n;
}

/* ---- the device groups of pv_ops ------------------------------------------------------------ */

void xen_fill_devices(struct pv_ops *ops)
{
    /* time: vcpu_time_info, set_timer_op */
    ops->time.init = xen_time_init;
    ops->time.now_ns = xen_now_ns;
    ops->time.set_timer = xen_set_timer;
    ops->time.wallclock = xen_wallclock;
    ops->time.tsc_khz = xen_tsc_khz;

    /* console: console_io */
    ops->console.init = xen_console_init;
    ops->console.write = xen_console_write;
    ops->console.read = xen_console_read;

    /* evtchn: 2-level event channels in shared_info */
    ops->evtchn.init = xen_evtchn_init;
    ops->evtchn.bind_virq = xen_bind_virq;
    ops->evtchn.mask = xen_evtchn_mask;
    ops->evtchn.unmask = xen_evtchn_unmask;
    ops->evtchn.send = xen_evtchn_send;
    ops->evtchn.close = xen_evtchn_close;
    ops->evtchn.alloc_unbound = xen_alloc_unbound;
    ops->evtchn.bind_interdomain = xen_bind_interdomain;
    ops->evtchn.dispatch = xen_evtchn_dispatch;

    /* grant: table v1 */
    ops->grant.init = xen_grant_init;
    ops->grant.grant_access = xen_grant_access;
    ops->grant.end_access = xen_end_access;
    ops->grant.map = xen_grant_map;
    ops->grant.unmap = xen_grant_unmap;
}
