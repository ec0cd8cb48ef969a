/*
 * parapet_op (63): Parapet's own hypercall (hypercall-abi/parapet-abi.h). One sub-op:
 * PARAPET_OP_stats, the calling vCPU's event counters, which `make bench` reads around
 * each measured operation. Unknown sub-ops: -ENOSYS, logged once.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"

long hc_parapet_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (cmd != PARAPET_OP_stats)
        return hc_enosys_subop("parapet_op", __HYPERVISOR_parapet_op, cmd);
    return copy_to_guest(arg, &v->stats, sizeof(v->stats)) ? -EFAULT : 0;
}
