/*
 * physdev_op: Parapet gives guests no physical devices, interrupts or I/O ports, so
 * only PHYSDEVOP_set_iopl is kept: the vCPU's virtual I/O privilege level. Linux sets
 * it to 1 at boot; with it, the kernel's cli and sti are accepted as no-ops (as Xen
 * does: the interrupt flag of a PV kernel lives in vcpu_info, and a popf could never
 * undo a trapped cli), and reflected as #GP without it. Everything else is -ENOSYS,
 * logged once.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"

static long physdev_set_iopl(uint64_t arg)
{
    struct physdev_set_iopl op;
    if (copy_from_guest(&op, arg, sizeof(op)))
        return -EFAULT;
    if (op.iopl > 3)
        return -EINVAL;
    current_vcpu()->iopl = (uint8_t)op.iopl;
    return 0;
}

typedef long physdev_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(physdev_, name),
static physdev_fn *const physdev_ops[] = {
#include "subops/physdev_op.def"
};
#undef SUBOP

long hc_physdev_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    physdev_fn *fn = SUBOP_TABLE_LOOKUP(physdev_ops, cmd);
    if (!fn)
        return hc_enosys_subop("physdev_op", __HYPERVISOR_physdev_op, cmd);
    return fn(arg);
}
