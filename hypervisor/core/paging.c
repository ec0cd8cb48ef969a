/*
 * The hypervisor's own page tables and the tables sized by machine memory.
 * paging_init() builds the final L4 ("idle L4") from the boot tables: slot 256 the
 * read-only M2P guests read, 257 the per-CPU GDT windows, 261 the image, 262.. the direct
 * map; it drops the boot identity map. Slots 256..271 of this L4 are copied into every
 * guest L4 (install_xen_slots), so every L4 the CPU can be running on maps the
 * hypervisor. All those L4 entries are created here, once, and never change.
 */
#include "boot.h"
#include "console.h"
#include "lib.h"
#include "mm.h"
#include "x86.h"

extern uint64_t boot_l4[512];
uint64_t boot_alloc_pages(uint64_t n);

struct page_info *frame_table;
uint64_t max_mfn;
uint64_t *m2p;
static uint64_t *hv_l4;

#define HV_TABLE_FLAGS (_PAGE_PRESENT | _PAGE_RW)

uint64_t *idle_l4(void) { return hv_l4; }

static uint64_t *next_table(uint64_t *entry, bool user)
{
    if (!(*entry & _PAGE_PRESENT))
        *entry = boot_alloc_pages(1) | HV_TABLE_FLAGS | (user ? _PAGE_USER : 0);
    BUG_ON(*entry & _PAGE_PSE);
    return maddr_to_virt(*entry & PTE_ADDR_MASK);
}

/* Boot-time mapping of 4 KiB pages in the hypervisor's tables. */
void hv_map_pages(uint64_t va, uint64_t ma, uint64_t n, uint64_t flags)
{
    bool user = flags & _PAGE_USER;
    for (uint64_t i = 0; i < n; i++, va += PAGE_SIZE, ma += PAGE_SIZE) {
        uint64_t *l3 = next_table(&hv_l4[pt_index(va, 4)], user);
        uint64_t *l2 = next_table(&l3[pt_index(va, 3)], user);
        uint64_t *l1 = next_table(&l2[pt_index(va, 2)], user);
        l1[pt_index(va, 1)] = ma | flags;
    }
}

void install_xen_slots(uint64_t *l4)
{
    for (unsigned i = 256; i < 272; i++)
        l4[i] = hv_l4[i];
}

uint64_t guest_l1_of(uint64_t l4, uint64_t va, unsigned *index)
{
    uint64_t table = l4;
    if (!is_canonical(va) || l4_slot_is_xen((unsigned)pt_index(va, 4)))
        return 0;
    for (int level = 4; level > 1; level--) {
        uint64_t e = ((uint64_t *)mfn_to_virt(table))[pt_index(va, level)];
        if (!(e & _PAGE_PRESENT) || (e & _PAGE_PSE) || !mfn_valid(pte_mfn(e)))
            return 0;
        table = pte_mfn(e);
    }
    *index = (unsigned)pt_index(va, 1);
    return table;
}

uint64_t guest_pte_of(uint64_t l4, uint64_t va)
{
    unsigned index;
    uint64_t l1 = guest_l1_of(l4, va, &index);
    return l1 ? ((uint64_t *)mfn_to_virt(l1))[index] : 0;
}

static uint64_t *mm_entries(uint64_t mfn) { return mfn_to_virt(mfn); }

struct mm_env hv_mm_env;

void paging_init(void)
{
    max_mfn = boot_info.max_phys >> PAGE_SHIFT;
    if (boot_info.max_phys > DIRECTMAP_MAX_BYTES)
        max_mfn = DIRECTMAP_MAX_BYTES >> PAGE_SHIFT;

    /* Extend the boot direct map (4 GiB of 2 MiB pages) to all of RAM. */
    uint64_t *dmap_l3 = maddr_to_virt(boot_l4[pt_index(DIRECTMAP_BASE, 4)] & PTE_ADDR_MASK);
    for (uint64_t gib = 4; gib < (max_mfn + (1 << 18) - 1) >> 18; gib++) {
        uint64_t l2_pa = boot_alloc_pages(1);
        uint64_t *l2 = maddr_to_virt(l2_pa);
        for (unsigned i = 0; i < 512; i++)
            l2[i] = ((gib << 30) + ((uint64_t)i << 21)) | HV_TABLE_FLAGS | _PAGE_PSE;
        dmap_l3[gib] = l2_pa | HV_TABLE_FLAGS;
    }

    /* The new L4: image and direct map from the boot tables, no identity map. */
    hv_l4 = maddr_to_virt(boot_alloc_pages(1));
    for (unsigned i = 256; i < 512; i++)
        hv_l4[i] = boot_l4[i];

    /* Frame table: every frame starts as the hypervisor's; frame_alloc frees RAM. */
    uint64_t ft_bytes = max_mfn * sizeof(struct page_info);
    frame_table = maddr_to_virt(boot_alloc_pages((ft_bytes + PAGE_SIZE - 1) / PAGE_SIZE));
    for (uint64_t mfn = 0; mfn < max_mfn; mfn++) {
        frame_table[mfn].owner = DOMID_HV;
        frame_table[mfn].count = 1;
    }

    /* M2P: read-write through the direct map, read-only (and user) at slot 256. */
    uint64_t m2p_pages = (max_mfn * 8 + PAGE_SIZE - 1) / PAGE_SIZE;
    uint64_t m2p_pa = boot_alloc_pages(m2p_pages);
    m2p = maddr_to_virt(m2p_pa);
    for (uint64_t mfn = 0; mfn < m2p_pages * 512; mfn++)
        m2p[mfn] = INVALID_M2P_ENTRY;
    hv_map_pages(RO_MPT_VIRT_START, m2p_pa, m2p_pages, _PAGE_PRESENT | _PAGE_USER | _PAGE_NX);

    /* GDT windows: L1 tables exist from boot; gdt.c fills the entries. */
    hv_map_pages(GDT_WINDOW_BASE, 0, GDT_WINDOW_SIZE / PAGE_SIZE * MAX_CPUS, 0);

    /* Every hypervisor slot that will ever be used has its L4 entry now. */
    write_cr3(virt_to_maddr(hv_l4));

    hv_mm_env.frames = frame_table;
    hv_mm_env.nr_frames = max_mfn;
    hv_mm_env.entries = mm_entries;
    hv_mm_env.install_xen_slots = install_xen_slots;
    hv_mm_env.flush_tlb = flush_tlb_local;
}

/* The L1 entry mapping a hypervisor virtual address that hv_map_pages set up. */
uint64_t *hv_l1e(uint64_t va);
uint64_t *hv_l1e(uint64_t va)
{
    uint64_t *l3 = maddr_to_virt(hv_l4[pt_index(va, 4)] & PTE_ADDR_MASK);
    uint64_t *l2 = maddr_to_virt(l3[pt_index(va, 3)] & PTE_ADDR_MASK);
    uint64_t *l1 = maddr_to_virt(l2[pt_index(va, 2)] & PTE_ADDR_MASK);
    return &l1[pt_index(va, 1)];
}
