/*
 * mmuext_op: the page-table operations that are not "write one entry": pin and unpin
 * tables of each level, switch the kernel and user base pointers (CR3), TLB flushes and
 * invlpg, the LDT, and clearing or copying a page. One vCPU per domain for now, so the
 * local, multi and all variants of a flush are the same local flush.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "mm.h"
#include "mm/batch.h"
#include "x86.h"

#define MMUEXT_OP_MAX 65536

/* Take a PGT_l4 reference on mfn and make it the kernel base pointer (also used by the
 * emulated mov to %cr3). */
int set_kernel_baseptr(struct vcpu *v, uint64_t mfn);
int set_kernel_baseptr(struct vcpu *v, uint64_t mfn)
{
    struct domain *d = v->domain;
    if (get_page_and_type(&hv_mm_env, mfn, PGT_l4, d->id))
        return -EINVAL;
    uint64_t old = v->kernel_l4;
    v->kernel_l4 = mfn;
    if (v->kernel_mode)
        vcpu_load_cr3(v);
    if (old)
        put_page_and_type(&hv_mm_env, old);
    return 0;
}

static int set_user_baseptr(struct vcpu *v, uint64_t mfn)
{
    struct domain *d = v->domain;
    if (mfn && get_page_and_type(&hv_mm_env, mfn, PGT_l4, d->id))
        return -EINVAL;
    uint64_t old = v->user_l4;
    v->user_l4 = mfn;
    if (!v->kernel_mode)
        vcpu_load_cr3(v);
    if (old)
        put_page_and_type(&hv_mm_env, old);
    return 0;
}

typedef long mmuext_fn(struct vcpu *v, const struct mmuext_op *op);

static long ext_pin(struct vcpu *v, const struct mmuext_op *op, int level)
{
    return pin_table(&hv_mm_env, op->arg1.mfn, level, v->domain->id);
}
static long ext_pin_l1_table(struct vcpu *v, const struct mmuext_op *op) { return ext_pin(v, op, 1); }
static long ext_pin_l2_table(struct vcpu *v, const struct mmuext_op *op) { return ext_pin(v, op, 2); }
static long ext_pin_l3_table(struct vcpu *v, const struct mmuext_op *op) { return ext_pin(v, op, 3); }
static long ext_pin_l4_table(struct vcpu *v, const struct mmuext_op *op) { return ext_pin(v, op, 4); }

static long ext_unpin_table(struct vcpu *v, const struct mmuext_op *op)
{
    return unpin_table(&hv_mm_env, op->arg1.mfn, v->domain->id);
}

static long ext_new_baseptr(struct vcpu *v, const struct mmuext_op *op)
{
    return set_kernel_baseptr(v, op->arg1.mfn);
}

static long ext_new_user_baseptr(struct vcpu *v, const struct mmuext_op *op)
{
    return set_user_baseptr(v, op->arg1.mfn);
}

static long ext_flush(struct vcpu *v, const struct mmuext_op *op)
{
    flush_tlb_local();
    return 0;
}
/* The MULTI forms name their vCPUs in a guest bitmap; one word covers every vCPU a
 * domain can have (MAX_VCPUS <= 64). As in Xen, an unreadable bitmap is -EINVAL. */
static bool vcpumask_readable(const struct mmuext_op *op)
{
    uint64_t mask;
    return !copy_from_guest(&mask, (uint64_t)(uintptr_t)op->arg2.vcpumask.p, sizeof(mask));
}

static long ext_tlb_flush_local(struct vcpu *v, const struct mmuext_op *op) { return ext_flush(v, op); }
static long ext_tlb_flush_multi(struct vcpu *v, const struct mmuext_op *op)
{
    return vcpumask_readable(op) ? ext_flush(v, op) : -EINVAL;
}
static long ext_tlb_flush_all(struct vcpu *v, const struct mmuext_op *op) { return ext_flush(v, op); }

static long ext_invlpg(struct vcpu *v, const struct mmuext_op *op)
{
    uint64_t va = op->arg1.linear_addr;
    if (!is_canonical(va))
        return -EINVAL;      /* never flush an address the guest could not map (A11) */
    invlpg(va);
    return 0;
}
static long ext_invlpg_local(struct vcpu *v, const struct mmuext_op *op) { return ext_invlpg(v, op); }
static long ext_invlpg_multi(struct vcpu *v, const struct mmuext_op *op)
{
    return vcpumask_readable(op) ? ext_invlpg(v, op) : -EINVAL;
}
static long ext_invlpg_all(struct vcpu *v, const struct mmuext_op *op) { return ext_invlpg(v, op); }

static long ext_flush_cache(struct vcpu *v, const struct mmuext_op *op)
{
    return -EACCES;          /* only domains with devices may flush caches; none has */
}

static long ext_set_ldt(struct vcpu *v, const struct mmuext_op *op)
{
    uint64_t base = op->arg1.linear_addr, ents = op->arg2.nr_ents;
    if (ents == 0) {
        v->ldt_base = v->ldt_entries = 0;
        return 0;
    }
    if ((base & (PAGE_SIZE - 1)) || ents > 8192 || !guest_range_ok(base, ents * 8))
        return -EINVAL;
    /* Loading LDT contents is not implemented: say so rather than pretend. */
    return hc_enosys_subop("mmuext_op SET_LDT with entries", __HYPERVISOR_mmuext_op,
                           MMUEXT_SET_LDT);
}

static long ext_clear_page(struct vcpu *v, const struct mmuext_op *op)
{
    uint64_t mfn = op->arg1.mfn;
    struct page_info *pg = mm_owned_frame(&hv_mm_env, mfn, v->domain->id);
    if (!pg || (pg->flags & PGF_xen_shared) ||
        get_page_type(&hv_mm_env, mfn, PGT_writable, v->domain->id))
        return -EINVAL;
    __builtin_memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    put_page_type(&hv_mm_env, mfn);
    return 0;
}

static long ext_copy_page(struct vcpu *v, const struct mmuext_op *op)
{
    uint64_t dst = op->arg1.mfn, src = op->arg2.src_mfn;
    struct page_info *dpg = mm_owned_frame(&hv_mm_env, dst, v->domain->id);
    if (!dpg || (dpg->flags & PGF_xen_shared) ||
        !mm_owned_frame(&hv_mm_env, src, v->domain->id))
        return -EINVAL;
    if (get_page_type(&hv_mm_env, dst, PGT_writable, v->domain->id))
        return -EINVAL;
    __builtin_memcpy(mfn_to_virt(dst), mfn_to_virt(src), PAGE_SIZE);
    put_page_type(&hv_mm_env, dst);
    return 0;
}

#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(ext_, name),
static mmuext_fn *const mmuext_ops[] = {
#include "subops/mmuext_op.def"
};
#undef SUBOP

static long apply_mmuext_op(const void *item)
{
    const struct mmuext_op *op = item;
    mmuext_fn *fn = SUBOP_TABLE_LOOKUP(mmuext_ops, op->cmd);
    if (!fn)
        return hc_enosys_subop("mmuext_op", __HYPERVISOR_mmuext_op, op->cmd);
    return fn(current_vcpu(), op);
}

long hc_mmuext_op(uint64_t ops, uint64_t count, uint64_t pdone, uint64_t foreigndom,
                  uint64_t a5)
{
    return run_guest_batch(__HYPERVISOR_mmuext_op, ops, count, sizeof(struct mmuext_op), MMUEXT_OP_MAX, pdone,
                           foreigndom, apply_mmuext_op);
}
