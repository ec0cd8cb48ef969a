/*
 * set_timer_op: the vCPU's one-shot timer at an absolute system time (0 cancels; Xen's
 * rules for negative and huge timeouts, time/pvclock.c). Expiry raises VIRQ_TIMER.
 */
#include "domain.h"
#include "hypercall.h"
#include "timer.h"
#include "tsc.h"

long hc_set_timer_op(uint64_t timeout, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    uint64_t deadline;
    if (pvclock_timer_op(system_time_ns(), timeout, &deadline))
        pvclock_timer_set(&v->singleshot, deadline);
    else
        pvclock_timer_stop(&v->singleshot);
    timer_reprogram();
    return 0;
}
