/*
 * The local APIC timer in one-shot mode: the hypervisor's only time source for
 * preemption and guest timers (issue #3). xAPIC registers through an uncached mapping.
 */
#ifndef HV_LAPIC_H
#define HV_LAPIC_H

#include <stdint.h>

#define LAPIC_TIMER_VECTOR    0xf0
#define LAPIC_SPURIOUS_VECTOR 0xff

extern uint64_t lapic_ticks_per_ms;   /* timer ticks (after the divider) per millisecond */

/* Map and enable the local APIC, mask its timer, measure its rate against the TSC. */
void lapic_init(void);
/* Fire LAPIC_TIMER_VECTOR once after ns nanoseconds (clamped to the counter's range);
 * 0 stops the timer. */
void lapic_timer_oneshot(uint64_t ns);
void lapic_eoi(void);

#endif
