/*
 * TSC calibration against the PIT (channel 2, gate through port 0x61, polled): the
 * TSC rate in kHz, and the conversion from TSC ticks to nanoseconds of system time
 * (the same mul/shift scale the guests are given).
 */
#include "console.h"
#include "time/pvclock.h"
#include "tsc.h"
#include "x86.h"

uint64_t tsc_khz;
uint64_t tsc_at_boot;
struct pvclock_scale tsc_to_ns;    /* the scale guests get in vcpu_time_info */

#define PIT_HZ 1193182u

void tsc_calibrate(void)
{
    /* 10 ms with channel 2 in mode 0, counting down from PIT_HZ / 100. */
    const uint32_t ticks = PIT_HZ / 100;
    outb(0x61, (uint8_t)((inb(0x61) & ~0x02) | 0x01));   /* gate on, speaker off */
    outb(0x43, 0xb0);                                    /* channel 2, lo/hi, mode 0 */
    outb(0x42, ticks & 0xff);
    outb(0x42, (uint8_t)(ticks >> 8));
    uint64_t start = rdtsc();
    while (!(inb(0x61) & 0x20))
        cpu_relax();
    uint64_t end = rdtsc();
    tsc_khz = (end - start) / 10;
    if (!tsc_khz)
        tsc_khz = 1000000;     /* 1 GHz if the PIT misbehaves; said in the log */
    tsc_at_boot = start;
    pvclock_tsc_scale(&tsc_to_ns, tsc_khz * 1000);
}

/* System time with the very scale guests extrapolate with, so the hypervisor's idea
 * of "now" and a guest's never drift apart between updates. */
uint64_t system_time_ns(void)
{
    return pvclock_scale_delta(rdtsc() - tsc_at_boot, &tsc_to_ns);
}
