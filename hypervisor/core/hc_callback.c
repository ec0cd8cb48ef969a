/*
 * Where the guest wants its exceptions and callbacks delivered: set_trap_table (the
 * virtual IDT), set_callbacks (the old form) and callback_op register/unregister.
 * Every address is checked when registered (canonical, in guest range: A21); a bounce
 * to a handler that later proves unusable crashes the domain, never the host.
 */
#include "config.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"

static bool handler_ok(uint64_t va) { return va == 0 || guest_range_ok(va, 1); }

long hc_set_trap_table(uint64_t list, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (!list) {
        memset(v->traps, 0, sizeof(v->traps));
        return 0;
    }
    /* Entries until one with address 0; a vector can appear once per table, so a
     * list longer than 256 entries is refused rather than walked forever (A7). */
    for (unsigned i = 0; i <= 256; i++) {
        struct trap_info t;
        if (copy_from_guest(&t, list + i * sizeof(t), sizeof(t)))
            return -EFAULT;
        if (t.address == 0)
            return 0;
        if (i == 256 || !handler_ok(t.address))
            return -EINVAL;
        v->traps[t.vector] = (struct guest_trap){
            .address = t.address, .dpl = t.flags & 3, .mask_events = t.flags & 4,
        };
    }
    return -EINVAL;
}

static long register_callback(struct vcpu *v, unsigned type, unsigned flags, uint64_t addr)
{
    if (!handler_ok(addr))
        return -EINVAL;
    bool mask = flags & CALLBACKF_mask_events;
    switch (type) {
    case CALLBACKTYPE_event:    v->event_callback = addr; return 0;
    case CALLBACKTYPE_failsafe: v->failsafe_callback = addr; v->failsafe_masks_events = mask; return 0;
    case CALLBACKTYPE_syscall:  v->syscall_callback = addr; v->syscall_masks_events = mask; return 0;
    case CALLBACKTYPE_syscall32: v->syscall32_callback = addr; v->syscall32_masks_events = mask; return 0;
    case CALLBACKTYPE_sysenter: v->sysenter_callback = addr; return 0;
    case CALLBACKTYPE_nmi:      v->nmi_callback = addr; return 0;
    }
    return -ENOSYS;           /* an unknown type, as in Xen */
}

long hc_set_callbacks(uint64_t event, uint64_t failsafe, uint64_t syscall, uint64_t a4,
                      uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    if (!handler_ok(event) || !handler_ok(failsafe) || !handler_ok(syscall))
        return -EINVAL;
    register_callback(v, CALLBACKTYPE_event, 0, event);
    register_callback(v, CALLBACKTYPE_failsafe, 0, failsafe);
    register_callback(v, CALLBACKTYPE_syscall, 0, syscall);
    return 0;
}

static long cb_register(uint64_t arg)
{
    struct callback_register r;
    if (copy_from_guest(&r, arg, sizeof(r)))
        return -EFAULT;
    return register_callback(current_vcpu(), r.type, r.flags, r.address);
}

static long cb_unregister(uint64_t arg)
{
    struct callback_unregister u;
    if (copy_from_guest(&u, arg, sizeof(u)))
        return -EFAULT;
    switch (u.type) {
    case CALLBACKTYPE_nmi:
        current_vcpu()->nmi_callback = 0;
        return 0;
    case CALLBACKTYPE_event:
    case CALLBACKTYPE_failsafe:
    case CALLBACKTYPE_syscall:
    case CALLBACKTYPE_syscall32:
    case CALLBACKTYPE_sysenter:
        return -EINVAL;       /* these cannot be unregistered, as in Xen */
    }
    return -ENOSYS;           /* an unknown type */
}

typedef long cb_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(cb_, name),
static cb_fn *const cb_ops[] = {
#include "subops/callback_op.def"
};
#undef SUBOP

long hc_callback_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    cb_fn *fn = SUBOP_TABLE_LOOKUP(cb_ops, cmd);
    if (!fn)
        return hc_enosys_subop("callback_op", __HYPERVISOR_callback_op, cmd);
    return fn(arg);
}
