/*
 * parapet_op (63): Parapet's own hypercall (hypercall-abi/parapet-abi.h).
 * PARAPET_OP_stats: the calling vCPU's event counters, which `make bench` reads around
 * each measured operation. PARAPET_OP_domain_info: for the control domain, the domains
 * that exist and their xenstore connection, so its xenstored can introduce them without
 * a toolstack. Unknown sub-ops: -ENOSYS, logged once.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"

static long domain_info(uint64_t arg)
{
    struct parapet_domain_info info;
    if (!current_domain()->control)
        return -EPERM;
    if (copy_from_guest(&info, arg, sizeof(info)))
        return -EFAULT;
    const struct domain *best = NULL;
    for (const struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        if (d->state != DOM_FREE && d->id >= info.domid && (!best || d->id < best->id))
            best = d;
    if (!best)
        return -ESRCH;
    memset(&info, 0, sizeof(info));
    info.domid = best->id;
    info.flags = (uint16_t)((best->control ? PARAPET_DOMF_control : 0) |
                            (best->trap ? PARAPET_DOMF_trap : 0) |
                            (best->state == DOM_DYING ? PARAPET_DOMF_dying : 0));
    info.store_port = best->store_port;
    info.store_mfn = best->store_mfn;
    info.nr_pages = best->nr_pages;
    strlcpy(info.name, best->name, sizeof(info.name));
    return copy_to_guest(arg, &info, sizeof(info)) ? -EFAULT : 0;
}

long hc_parapet_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    switch (cmd) {
    case PARAPET_OP_stats:
        return copy_to_guest(arg, &v->stats, sizeof(v->stats)) ? -EFAULT : 0;
    case PARAPET_OP_domain_info:
        return domain_info(arg);
    }
    return hc_enosys_subop("parapet_op", __HYPERVISOR_parapet_op, cmd);
}
