/*
 * The start-of-day layout of a PV domain: where, in the guest's bootstrap virtual region
 * [virt_base, v_end) mapped 1:1 onto pseudo-physical frames 0.., the builder puts each
 * element. Pure arithmetic, implemented in hypervisor/domain/layout.c and tested by
 * tests/unit/test_layout.c. Order and rules follow xen-pv-abi-checklist.md 1.2 (the
 * domU order of libxenguest's xc_dom_build_image):
 *   kernel, [module], p2m list, start_info, xenstore ring, console ring,
 *   page tables (L4, L3s, L2s, L1s in that order), boot stack, >= 512 KiB padding,
 *   v_end rounded up to 4 MiB.
 * Every element starts on a page boundary; page-table count and v_end depend on each
 * other and are iterated to a fixed point.
 */
#ifndef HV_DOMAIN_LAYOUT_H
#define HV_DOMAIN_LAYOUT_H

#include <stdint.h>
#include <stdbool.h>

struct layout_request {
    uint64_t virt_base;      /* from the ELF notes */
    uint64_t virt_kstart;    /* kernel image start (virtual), page aligned down */
    uint64_t virt_kend;      /* kernel image end (virtual) */
    uint64_t module_bytes;   /* initrd size, 0 if none */
    uint64_t nr_pages;       /* pages of the domain's memory */
};

struct layout {
    uint64_t virt_base, v_end;
    /* Pseudo-physical frame numbers (va = virt_base + pfn * 4096). */
    uint64_t kernel_pfn, kernel_pages;
    uint64_t module_pfn, module_pages;       /* module_pages 0 if no module */
    uint64_t p2m_pfn, p2m_pages;             /* nr_pages * 8 bytes */
    uint64_t start_info_pfn;
    uint64_t xenstore_pfn;
    uint64_t console_pfn;
    uint64_t pt_pfn, nr_pt_pages;            /* L4 first, then L3s, L2s, L1s */
    uint64_t nr_l3, nr_l2, nr_l1;            /* page-table pages per level (L4 is 1) */
    uint64_t boot_stack_pfn;
    uint64_t boot_stack_top;                 /* virtual: top of the boot stack page */
};

/* Number of page-table pages of each level needed to map [start, end) with 4 KiB
 * pages, one L4. */
void layout_count_tables(uint64_t start, uint64_t end, uint64_t *nr_l3, uint64_t *nr_l2,
                         uint64_t *nr_l1);

/*
 * Compute the layout. Returns 0, or -EINVAL with *why set when the request cannot be
 * met: region larger than nr_pages, kernel below virt_base, virt_base not page aligned,
 * addresses not canonical or reaching the hypervisor hole
 * [0xFFFF800000000000, 0xFFFF880000000000), arithmetic overflow. module_pfn is 0 when
 * there is no module. v_end is rounded to a 4 MiB boundary of the address (not of the
 * offset from virt_base). 'why' may be NULL.
 */
int layout_compute(const struct layout_request *req, struct layout *out, const char **why);

/*
 * Whether the whole bootstrap region [virt_base, v_end) lies under a single L2 table
 * (one 1 GiB slot). Linux PV (virt_base 0xffffffff80000000) requires it: it keeps only
 * the L2 under L4[511]/L3[510] (checklist 1.2 item 4). layout_compute does not enforce
 * it; the builder may.
 */
bool layout_fits_one_l2(const struct layout *l);

static inline uint64_t layout_pfn_to_va(const struct layout *l, uint64_t pfn)
{
    return l->virt_base + (pfn << 12);
}

#endif
