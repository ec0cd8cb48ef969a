/*
 * Entry checks of the PV MMU: which flags a guest may set at each page-table level and
 * which frames an entry may point at (pte_check), and the value actually stored for a
 * guest entry (pte_adjust). Pure logic over struct mm_env; see mm/page_type.h.
 */
#include "errno.h"
#include "pte.h"
#include "mm/page_type.h"

/* Flags a present entry may carry at every level. */
#define PTE_ALLOWED_ALL (_PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | \
                         _PAGE_AVAIL | _PAGE_AVAIL_HI | _PAGE_NX)

/* Flags allowed at a level. Everything else is refused: PWT/PCD/PAT (cache attributes on
 * RAM, invariant A12), PSE (superpages), G above L1, and in L1 entries the grant marker
 * (only map_grant_ref writes it, A13). D is ignored by the CPU above L1 but Xen's own
 * domain builder sets it at every level, so it is accepted. */
static uint64_t pte_allowed_flags(int level)
{
    switch (level) {
    case 1:
        return (PTE_ALLOWED_ALL | _PAGE_DIRTY | _PAGE_GLOBAL) & ~_PAGE_GNTTAB;
    case 2:
    case 3:
    case 4:
        return PTE_ALLOWED_ALL | _PAGE_DIRTY;
    default:
        return 0;
    }
}

int pte_check(const struct mm_env *env, int level, uint64_t pte, domid_t d)
{
    const struct page_info *pg;

    if (level < 1 || level > 4)
        return -EINVAL;
    if (!pte_present(pte))
        return 0;
    if (pte_flags(pte) & ~pte_allowed_flags(level))
        return -EINVAL;
    pg = mm_owned_frame(env, pte_mfn(pte), d);
    if (!pg)
        return -EINVAL;
    /* Hypervisor-written frames are mappable at L1 only: never a page table. */
    if (level > 1 && (pg->flags & PGF_xen_shared))
        return -EINVAL;
    return 0;
}

uint64_t pte_adjust(int level, uint64_t pte)
{
    if (!pte_present(pte))
        return pte;
    pte |= _PAGE_USER;
    if (level == 4)
        pte |= _PAGE_ACCESSED;
    return pte;
}
