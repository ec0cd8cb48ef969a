/*
 * Guest time and timers: per-vCPU time info and the wall clock published in
 * shared_info, the vCPU's one-shot and periodic timers (both raise VIRQ_TIMER), and the
 * local APIC programmed for the earliest deadline of any vCPU or the time slice.
 */
#ifndef HV_TIMER_H
#define HV_TIMER_H

#include <stdint.h>
#include <stdbool.h>
#include "domain.h"

#define PV_DEFAULT_PERIOD_NS 10000000ULL   /* Xen starts PV vCPUs with a 10 ms tick */

void time_init(void);                       /* wall clock at boot, from the CMOS RTC */
void time_domain_start(struct domain *d);   /* wall clock and vCPU time, default tick */
void time_update_vcpu(struct vcpu *v);      /* refresh the vCPU's vcpu_time_info */
void timer_reprogram(void);                 /* LAPIC for the earliest deadline, or off */
void timer_interrupt(void);                 /* the LAPIC timer fired */
bool timer_armed(const struct vcpu *v);     /* a timer can still wake v */

#endif
