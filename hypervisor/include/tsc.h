/* TSC calibration and system time (nanoseconds since boot). */
#ifndef HV_TSC_H
#define HV_TSC_H
#include <stdint.h>
#include "time/pvclock.h"
extern uint64_t tsc_khz;
extern uint64_t tsc_at_boot;          /* system time 0 */
extern struct pvclock_scale tsc_to_ns;
void tsc_calibrate(void);
uint64_t system_time_ns(void);
#endif
