/*
 * Grant mappings in guest page tables, the hypervisor side of GNTTABOP_map_grant_ref and
 * unmap_grant_ref: which L1 entry a host_addr names, the entry a mapping gets (with the
 * grant marker, bit 62) and its installation and removal through mm/page_type.c
 * (grant_entry_map / grant_entry_unmap), plus the answer to an implicit unmap. Every
 * refusal is GNTST_general_error, as in Xen.
 */
#include "bounce.h"
#include "console.h"
#include "domain.h"
#include "mm.h"
#include "mm/grant_map.h"
#include "xen-public.h"

/* Where a mapping goes. With GNTMAP_contains_pte host_addr is the machine address of the
 * entry (8-byte aligned: A14); otherwise the entry mapping the VA host_addr in the
 * mapper's current page tables (a hypercall runs on the kernel ones). That the frame is
 * a validated L1 of the mapper is grant_entry_map's check. */
static bool host_entry(domid_t mapper, uint64_t host_addr, uint32_t flags, uint64_t *l1,
                       unsigned *index)
{
    struct vcpu *v = current_vcpu();
    if (flags & GNTMAP_contains_pte) {
        if (host_addr & 7)
            return false;
        *l1 = host_addr >> PAGE_SHIFT;
        *index = (unsigned)((host_addr & (PAGE_SIZE - 1)) / 8);
        return true;
    }
    if (!v || v->domain->id != mapper)
        return false;
    *l1 = guest_l1_of(v->kernel_l4, host_addr, index);
    return *l1 != 0;
}

/* The entry, as Xen builds it: present, accessed, dirty, no-execute, writable unless
 * GNTMAP_readonly, the GNTMAP_guest_avail bits in the three software bits 9-11; user
 * (the guest kernel runs in ring 3, so GNTMAP_application_map changes nothing); no
 * cache attributes (refused on RAM, A12); and the marker. */
static uint64_t grant_pte(uint64_t mfn, uint32_t flags)
{
    uint64_t pte = mfn << PAGE_SHIFT | _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED |
                   _PAGE_DIRTY | _PAGE_NX | _PAGE_GNTTAB;
    if (!(flags & GNTMAP_readonly))
        pte |= _PAGE_RW;
    return pte | ((uint64_t)(flags >> _GNTMAP_guest_avail0) << 9 & _PAGE_AVAIL);
}

int16_t grant_map_host(domid_t mapper, uint64_t host_addr, uint32_t flags, uint64_t mfn,
                       uint64_t *pte)
{
    uint64_t l1;
    unsigned index;
    if (!host_entry(mapper, host_addr, flags, &l1, &index) ||
        grant_entry_map(&hv_mm_env, l1, index, grant_pte(mfn, flags), mapper))
        return GNTST_general_error;
    *pte = l1 << PAGE_SHIFT | index * 8UL;
    return GNTST_okay;
}

int16_t grant_unmap_host(domid_t mapper, uint64_t pte, uint32_t flags, uint64_t mfn)
{
    if (grant_entry_unmap(&hv_mm_env, pte >> PAGE_SHIFT,
                          (unsigned)((pte & (PAGE_SIZE - 1)) / 8), mfn,
                          !(flags & GNTMAP_readonly), mapper))
        return GNTST_general_error;
    return GNTST_okay;
}

void grant_implicit_unmap(uint64_t l1, unsigned index)
{
    static domid_t last_dom;
    static unsigned logged;
    struct vcpu *v = current_vcpu();
    if (v->domain->id != last_dom) {
        last_dom = v->domain->id;
        logged = 0;
    }
    if (logged++ < 8)   /* a guest may try this in a loop */
        printk("d%u: attempt to implicitly unmap the grant mapping 0x%lx at 0x%lx: "
               "refused, #GP(0)\n", v->domain->id,
               (unsigned long)((uint64_t *)mfn_to_virt(l1))[index],
               (unsigned long)(l1 << PAGE_SHIFT | index * 8UL));
    inject_exception(v, guest_regs(), 13, 0);
}
