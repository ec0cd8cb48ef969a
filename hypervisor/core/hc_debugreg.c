/*
 * set_debugreg / get_debugreg: a guest's hardware breakpoints. Each vCPU keeps DR0-DR3
 * (linear addresses, which must lie in the guest's range), DR6 (status: written by the
 * CPU on a #DB from the guest, read back here) and DR7 (control). While DR7 enables a
 * breakpoint, the registers are loaded into the CPU whenever the vCPU runs (context.c);
 * otherwise DR7 is 0 in the CPU. Refused with -EPERM as Xen does: an address outside the
 * guest's range, DR7's general-detect bit (it would trap the hypervisor's own debug
 * register accesses), I/O breakpoints (no I/O ports are the guest's). Reserved bits are
 * forced to their architectural values. DR4/DR5 (aliases needing CR4.DE rules) and
 * registers above 7 are -EINVAL.
 */
#include "context.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "x86.h"

#define DR7_GD          (1ULL << 13)
#define DR7_ENABLES     0xffULL               /* L0 G0 ... L3 G3 */
#define DR6_FIXED_ONES  0xffff0ff0ULL         /* bits 4-11, 16-31 read as 1 */
#define DR6_GUEST_BITS  0x0000e00fULL         /* B0-B3, BD, BS, BT */
#define DR7_FIXED_ONES  0x400ULL
#define DR7_RESERVED    0xffffffff0000d800ULL /* bits 11, 12, 14, 15, 32-63 */

/* True when DR7 asks for an I/O breakpoint (R/W field 10b) on an enabled slot. */
static bool dr7_has_io(uint64_t dr7)
{
    for (unsigned i = 0; i < 4; i++)
        if ((dr7 >> (2 * i)) & 3 && ((dr7 >> (16 + 4 * i)) & 3) == 2)
            return true;
    return false;
}

long hc_set_debugreg(uint64_t reg, uint64_t value, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    switch (reg) {
    case 0: case 1: case 2: case 3:
        if (!guest_range_ok(value, sizeof(long)))
            return -EPERM;
        v->debugreg[reg] = value;
        break;
    case 6:
        v->debugreg[6] = (value & DR6_GUEST_BITS) | DR6_FIXED_ONES;
        break;
    case 7:
        if ((value & DR7_GD) || dr7_has_io(value))
            return -EPERM;
        v->debugreg[7] = (value & ~DR7_RESERVED) | DR7_FIXED_ONES;
        break;
    default:
        return -EINVAL;
    }
    debugregs_load(v);                  /* takes effect at once for the running vCPU */
    return 0;
}

long hc_get_debugreg(uint64_t reg, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (reg > 7 || reg == 4 || reg == 5)
        return -EINVAL;
    return (long)v->debugreg[reg];
}

void debugregs_init(struct vcpu *v)
{
    for (unsigned i = 0; i < 4; i++)
        v->debugreg[i] = 0;
    v->debugreg[6] = DR6_FIXED_ONES;
    v->debugreg[7] = DR7_FIXED_ONES;
}

void debugregs_load(const struct vcpu *v)
{
    if (!(v->debugreg[7] & DR7_ENABLES)) {
        write_dr(7, 0);
        return;
    }
    write_dr(7, 0);                     /* no breakpoint armed while the others change */
    for (unsigned i = 0; i < 4; i++)
        write_dr(i, v->debugreg[i]);
    write_dr(7, v->debugreg[7]);
}

void debugregs_on_db(struct vcpu *v)
{
    v->debugreg[6] = (read_dr(6) & DR6_GUEST_BITS) | DR6_FIXED_ONES;
    write_dr(6, DR6_FIXED_ONES);        /* the CPU never clears DR6 itself */
}
