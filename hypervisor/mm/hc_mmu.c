/*
 * mmu_update: a batch of requests, each "write this value at this machine address".
 * The command is ptr[2:0], as Xen decodes it: 0-3 are MMU_* commands, 4-7 (a ptr that
 * is not 8-byte aligned) are unknown commands, -ENOSYS. A write into a frame that is a
 * page table of level n is a validated update of one entry (mod_entry: references
 * taken for the new entry before the old one's are dropped; an entry that is a grant
 * mapping may only change its A/D and software bits: anything else is refused with
 * -EPERM and #GP(0), an implicit unmap, mm/grant_map.c); a write into an ordinary
 * frame of the domain is a plain store while it holds a writable type reference;
 * MMU_MACHPHYS_UPDATE sets the M2P entry of one of the domain's frames. The batch stops
 * at the first error; *done says how many requests were applied.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "mm.h"
#include "mm/batch.h"
#include "mm/grant_map.h"

#define MMU_UPDATE_MAX 65536   /* per call: bounds the time one call holds the CPU (A7) */

static long normal_update(struct domain *d, uint64_t ptr, uint64_t val, bool preserve_ad)
{
    uint64_t maddr = ptr & ~7ULL;
    uint64_t mfn = maddr >> PAGE_SHIFT;
    struct page_info *pg = mm_owned_frame(&hv_mm_env, mfn, d->id);
    if (!pg)
        return -EINVAL;
    unsigned index = (unsigned)((maddr & (PAGE_SIZE - 1)) / 8);
    if (pg->type >= PGT_l1 && pg->type <= PGT_l4 && pg->type_count) {
        long rc = mod_entry(&hv_mm_env, mfn, pg->type, index, val, d->id, preserve_ad);
        if (rc == -EPERM)
            grant_implicit_unmap(mfn, index);
        return rc;
    }
    /* An ordinary frame: writable only while nothing else types it. */
    if (pg->flags & PGF_xen_shared)
        return -EINVAL;
    if (get_page_type(&hv_mm_env, mfn, PGT_writable, d->id))
        return -EINVAL;
    ((volatile uint64_t *)mfn_to_virt(mfn))[index] = val;
    put_page_type(&hv_mm_env, mfn);
    return 0;
}

static long machphys_update(struct domain *d, uint64_t ptr, uint64_t val)
{
    uint64_t mfn = ptr >> PAGE_SHIFT;
    if (!mm_owned_frame(&hv_mm_env, mfn, d->id))
        return -EINVAL;
    if (val >= d->max_pages && val != INVALID_M2P_ENTRY)
        return -EINVAL;
    m2p[mfn] = val;
    return 0;
}

static long apply_mmu_update(const void *item)
{
    const struct mmu_update *req = item;
    struct domain *d = current_domain();
    switch (req->ptr & 7) {
    case MMU_NORMAL_PT_UPDATE:
        return normal_update(d, req->ptr, req->val, false);
    case MMU_PT_UPDATE_PRESERVE_AD:
        return normal_update(d, req->ptr, req->val, true);
    case MMU_MACHPHYS_UPDATE:
        return machphys_update(d, req->ptr, req->val);
    }
    return hc_enosys_subop("mmu_update", __HYPERVISOR_mmu_update, req->ptr & 7);
}

long hc_mmu_update(uint64_t reqs, uint64_t count, uint64_t pdone, uint64_t foreigndom,
                   uint64_t a5)
{
    return run_guest_batch(__HYPERVISOR_mmu_update, reqs, count, sizeof(struct mmu_update), MMU_UPDATE_MAX, pdone,
                           foreigndom, apply_mmu_update);
}
