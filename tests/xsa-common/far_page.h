/*
 * far_page.h: map one page of ours at a VA far from everything the domain builder set
 * up (the last page of the lower canonical half, the last page before 2^64, ...), for
 * the tests of invariants A9, A20 and A21 that need memory right at an edge of the
 * address space. Header only, included as "../xsa-common/far_page.h"; not a test.
 *
 * How: three fresh tables (L3, L2, L1) are filled while writable, remapped read-only (a
 * page table may have no writable mapping), and hung off an empty slot of our L4 with
 * one mmu_update of the L4 entry; the hypervisor validates the chain on the way.
 * unmap_far_page() clears the L4 slot and makes the tables ordinary pages again.
 */
#ifndef XSA_FAR_PAGE_H
#define XSA_FAR_PAGE_H

#include "test.h"

#define LOW_TOP_VA      0x00007FFFFFFFF000UL   /* last page of the lower half */
#define TOP_VA          0xFFFFFFFFFFFFF000UL   /* last page before 2^64 */

struct far_page {
    unsigned long va;
    uint64_t (*pt)[512];        /* three page-aligned pages: L3, L2, L1 */
    bool mapped;
};

static inline unsigned long far_l4_maddr(void)
{
    unsigned long cr3;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));   /* emulated: the kernel L4 */
    return cr3 & PAGE_MASK;
}

static inline long far_set_l4_entry(unsigned int slot, unsigned long val)
{
    struct mmu_update u = { .ptr = far_l4_maddr() + slot * 8UL, .val = val };

    return HYPERVISOR_mmu_update((unsigned long)&u, 1, 0, DOMID_SELF);
}

/* Map data at fp->va (fp->pt: three spare page-aligned pages). test_error and false on
 * failure, e.g. when that L4 slot is already in use. */
static inline bool map_far_page(struct far_page *fp, void *data)
{
    unsigned long va = fp->va;
    unsigned int i4 = (va >> 39) & 511, i3 = (va >> 30) & 511, i2 = (va >> 21) & 511;
    unsigned int i1 = (va >> 12) & 511, i;
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
    uint64_t (*pt)[512] = fp->pt;
    long rc;

    fp->mapped = false;
    if (l4[i4]) {
        test_error("far page %lx: L4 slot %u of our page table is already in use", va, i4);
        return false;
    }
    memset(pt, 0, 3 * PAGE_SIZE);
    pt[2][i1] = virt_to_mfn(data) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A | PTE_D;
    pt[1][i2] = virt_to_mfn(pt[2]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A;
    pt[0][i3] = virt_to_mfn(pt[1]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A;
    for (i = 0; i < 3; i++) {
        rc = remap_page(pt[i], virt_to_mfn(pt[i]), PTE_P | PTE_A);
        if (rc) {
            test_error("far page %lx: cannot make table %u read-only: %ld", va, i, rc);
            return false;
        }
    }
    rc = far_set_l4_entry(i4, virt_to_mfn(pt[0]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A);
    if (rc) {
        test_error("far page %lx: mmu_update of L4 slot %u failed: %ld", va, i4, rc);
        return false;
    }
    fp->mapped = true;
    return true;
}

static inline void unmap_far_page(struct far_page *fp)
{
    unsigned int i;

    if (!fp->mapped)
        return;
    far_set_l4_entry((fp->va >> 39) & 511, 0);
    for (i = 0; i < 3; i++)
        remap_page(fp->pt[i], virt_to_mfn(fp->pt[i]), PTE_P | PTE_RW | PTE_A | PTE_D);
    fp->mapped = false;
}

#endif
