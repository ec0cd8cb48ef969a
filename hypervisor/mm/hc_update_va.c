/*
 * update_va_mapping: replace the L1 entry that maps one virtual address in the current
 * kernel page tables (the walk must reach a validated L1; large pages do not exist for
 * PV guests), then flush as the flags ask (UVMF_TLB_FLUSH or UVMF_INVLPG; one vCPU, so
 * local, multi and all are the same, but a UVMF_MULTI bitmap must be readable). Removing
 * a grant mapping this way is refused (-EPERM, #GP(0): mm/grant_map.c).
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "mm.h"
#include "mm/grant_map.h"
#include "x86.h"

long hc_update_va_mapping(uint64_t va, uint64_t val, uint64_t flags, uint64_t a4, uint64_t a5)
{
    struct vcpu *v = current_vcpu();
    unsigned index;
    uint64_t l1 = guest_l1_of(v->kernel_l4, va, &index);
    if (!l1)
        return -EINVAL;
    int rc = mod_entry(&hv_mm_env, l1, 1, index, val, v->domain->id, false);
    if (rc == -EPERM)
        grant_implicit_unmap(l1, index);
    if (rc)
        return rc;
    /* Above the flush type: UVMF_LOCAL (0), UVMF_ALL, or a pointer to a vCPU bitmap
     * (UVMF_MULTI). As in Xen, the bitmap is read only when a flush is asked for, after
     * the entry was written, and an unreadable one is -EFAULT (the update stays; we
     * still flush this CPU, where Xen flushes nothing). */
    uint64_t type = flags & UVMF_FLUSHTYPE_MASK, bitmap = flags & ~UVMF_FLUSHTYPE_MASK;
    uint64_t mask;
    long ret = 0;
    if (type != UVMF_NONE && bitmap != UVMF_LOCAL && bitmap != UVMF_ALL &&
        copy_from_guest(&mask, bitmap, sizeof(mask)))
        ret = -EFAULT;
    switch (type) {
    case UVMF_TLB_FLUSH:
        flush_tlb_local();
        break;
    case UVMF_INVLPG:
        invlpg(va);
        break;
    }
    return ret;
}
