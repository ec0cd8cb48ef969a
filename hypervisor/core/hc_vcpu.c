/*
 * vcpu_op: the vCPU queries and registrations a single-vCPU PV guest makes: is_up,
 * runstate (query and registered area), moving vcpu_info into a page of the guest's
 * (checked: owned, aligned, inside the page, once only: A28), and the vCPU's
 * single-shot and periodic timers (core/timer.c; expiry raises VIRQ_TIMER).
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "timer.h"
#include "tsc.h"
#include "scheduler.h"

static long vcpu_is_up(struct vcpu *v, uint64_t arg) { return 1; }

static long vcpu_get_runstate_info(struct vcpu *v, uint64_t arg)
{
    vcpu_runstate_refresh(v);
    return copy_to_guest(arg, &v->runstate, sizeof(v->runstate)) ? -EFAULT : 0;
}

static long vcpu_register_runstate_memory_area(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_runstate_memory_area area;
    if (copy_from_guest(&area, arg, sizeof(area)))
        return -EFAULT;
    uint64_t va = (uint64_t)area.addr.v;
    if (va && !guest_range_ok(va, sizeof(struct vcpu_runstate_info)))
        return -EINVAL;
    v->runstate_area = va;
    if (va) {
        vcpu_runstate_refresh(v);
        copy_to_guest(va, &v->runstate, sizeof(v->runstate));   /* may not be mapped yet */
    }
    return 0;
}

static long vcpu_register_vcpu_info(struct vcpu *v, uint64_t arg)
{
    struct vcpu_register_vcpu_info info;
    struct domain *d = v->domain;
    if (copy_from_guest(&info, arg, sizeof(info)))
        return -EFAULT;
    if (v->vcpu_info_registered)
        return -EINVAL;                          /* once only */
    /* Xen 4.17 (map_vcpu_info): a misplaced or misaligned offset is -ENXIO. */
    if (info.offset & 7 || info.offset > PAGE_SIZE - sizeof(struct vcpu_info))
        return -ENXIO;
    if (!mfn_valid(info.mfn) || mfn_to_page(info.mfn)->owner != d->id ||
        (mfn_to_page(info.mfn)->flags & PGF_xen_shared))
        return -EINVAL;
    if (get_page_and_type(&hv_mm_env, info.mfn, PGT_writable, d->id))
        return -EINVAL;                          /* e.g. it is a page table */
    struct vcpu_info *nv = (struct vcpu_info *)((uint8_t *)mfn_to_virt(info.mfn) + info.offset);
    *nv = *v->vcpu_info;
    /* As Xen does: make the guest look at its events once from the new place. */
    nv->evtchn_upcall_pending = 1;
    nv->evtchn_pending_sel = ~0UL;
    v->vcpu_info = nv;
    evtchn_vcpu_info_moved(&d->evtchn, v->id, nv);
    time_update_vcpu(v);
    v->vcpu_info_mfn = info.mfn;
    v->vcpu_info_registered = true;
    return 0;
}

static long vcpu_set_periodic_timer(struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_periodic_timer op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    int rc = pvclock_periodic_check(&op);
    if (rc)
        return rc;
    pvclock_periodic_start(&v->periodic, op.period_ns, system_time_ns());
    timer_reprogram();
    return 0;
}

static long vcpu_stop_periodic_timer(struct vcpu *v, uint64_t arg)
{
    v->periodic.period = 0;
    timer_reprogram();
    return 0;
}

static long vcpu_set_singleshot_timer(struct vcpu *v, uint64_t arg)
{
    struct vcpu_set_singleshot_timer op;
    uint64_t deadline;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    int rc = pvclock_singleshot(system_time_ns(), &op, &deadline);
    if (rc)
        return rc;
    pvclock_timer_set(&v->singleshot, deadline);
    timer_reprogram();
    return 0;
}

static long vcpu_stop_singleshot_timer(struct vcpu *v, uint64_t arg)
{
    pvclock_timer_stop(&v->singleshot);
    timer_reprogram();
    return 0;
}

typedef long vcpu_fn(struct vcpu *v, uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(vcpu_, name),
static vcpu_fn *const vcpu_ops[] = {
#include "subops/vcpu_op.def"
};
#undef SUBOP

long hc_vcpu_op(uint64_t cmd, uint64_t vcpuid, uint64_t arg, uint64_t a4, uint64_t a5)
{
    struct domain *d = current_domain();
    if (vcpuid >= MAX_VCPUS)
        return -ENOENT;
    vcpu_fn *fn = SUBOP_TABLE_LOOKUP(vcpu_ops, cmd);
    if (!fn)
        return hc_enosys_subop("vcpu_op", __HYPERVISOR_vcpu_op, cmd);
    return fn(&d->vcpus[vcpuid], arg);
}
