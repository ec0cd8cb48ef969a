/*
 * Small per-vCPU state hypercalls: stack_switch (the guest kernel stack used when a
 * user-mode event enters the kernel), fpu_taskswitch (virtual CR0.TS), set_segment_base
 * (FS, the two GS bases, the user GS selector) and vm_assist. Addresses are checked
 * when set: canonical and in guest range (A21, A24).
 */
#include "config.h"
#include "console.h"
#include "context.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "parapet-abi.h"
#include "x86.h"

long hc_stack_switch(uint64_t ss, uint64_t sp, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (!guest_range_ok(sp - 1, 1))
        return -EINVAL;
    v->kernel_ss = ss | 3;     /* guests run in ring 3: fix the RPL up, as Xen does */
    v->kernel_sp = sp;
    return 0;
}

long hc_fpu_taskswitch(uint64_t set, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    v->fpu_ts = set != 0;
    if (v->fpu_ts)
        write_cr0(read_cr0() | X86_CR0_TS);
    else
        __asm__ volatile("clts");
    return 0;
}

/* Load a user %gs selector: the descriptor's base becomes the guest's user GS base. A
 * selector that cannot be loaded leaves the null selector and still succeeds, as in Xen
 * (Linux BUG()s when this hypercall fails; callers compare %gs to check). */
static long load_user_gs_selector(struct vcpu *v, uint16_t sel)
{
    uint16_t loaded;
    v->gs_base_user = context_load_gs_selector(sel, &loaded);
    return 0;
}

long hc_set_segment_base(uint64_t which, uint64_t base, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (which != SEGBASE_GS_USER_SEL && !is_canonical(base))
        return -EINVAL;
    switch (which) {
    case SEGBASE_FS:
        wrmsr(MSR_FS_BASE, base);
        return 0;
    case SEGBASE_GS_USER:
        v->gs_base_user = base;
        return 0;
    case SEGBASE_GS_KERNEL:
        wrmsr(MSR_KERNEL_GS_BASE, base);   /* active while the guest kernel runs */
        return 0;
    case SEGBASE_GS_USER_SEL:
        return load_user_gs_selector(v, (uint16_t)base);
    }
    return -EINVAL;
}

#define SUBOP(name, value, status, test) [value] = HCABI_STATUS_##status,
static const unsigned char vm_assist_status[] = {
#include "subops/vm_assist.def"
};
#undef SUBOP

long hc_vm_assist(uint64_t cmd, uint64_t type, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct domain *d = current_domain();
    /* Xen's order: an unknown type is -EINVAL, then an unknown command -ENOSYS. */
    if (type >= sizeof(vm_assist_status) || !vm_assist_status[type])
        return -EINVAL;
    if (cmd != VMASST_CMD_enable && cmd != VMASST_CMD_disable)
        return -ENOSYS;
    if (vm_assist_status[type] != HCABI_STATUS_IMPL)
        return hc_enosys_subop("vm_assist", __HYPERVISOR_vm_assist, type);
    if (cmd == VMASST_CMD_enable)
        d->vm_assist |= 1ULL << type;
    else
        d->vm_assist &= ~(1ULL << type);
    return 0;
}
