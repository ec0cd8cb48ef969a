/* TSC calibration and system time (nanoseconds since boot). */
#ifndef HV_TSC_H
#define HV_TSC_H
#include <stdint.h>
extern uint64_t tsc_khz;
void tsc_calibrate(void);
uint64_t system_time_ns(void);
#endif
