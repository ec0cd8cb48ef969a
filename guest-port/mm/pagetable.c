/*
 * Page tables, built and owned by the kernel, written only through pv_ops.mmu, holding
 * machine frame numbers (the p2m translates; identity when native). pt_init() extends
 * the tables the kernel was started on (Xen's bootstrap tables, or head.S's first 8 MiB)
 * into a direct map of all its memory, then moves to an L4 of its own (kernel_mm). A
 * process gets two L4s that share its user L3: the kernel-mode one (the direct map too)
 * and the user-mode one (the user region only), which the xen backend gives the
 * hypervisor with write_user_cr3; natively the user runs on the kernel-mode L4, whose
 * kernel entries lack PTE_US.
 *
 * A new table is a zeroed frame that alloc_pt() turns into a page table (xen and trap:
 * its direct-map page becomes read-only) before it is linked in; a table leaves in the
 * opposite order (unlinked or unpinned, release_pt(), freed).
 */
#include "mm.h"

#define KERNEL_FLAGS    (PTE_P | PTE_RW | PTE_A | PTE_D)
#define TABLE_FLAGS     (PTE_P | PTE_RW | PTE_A)

struct mm kernel_mm;

static pte_t *table_at(pte_t entry)
{
    return pfn_to_virt(mfn_to_pfn(pte_frame(entry)));
}

static pte_t make_entry(unsigned long pfn, pte_t flags)
{
    return pfn_to_mfn(pfn) << PAGE_SHIFT | flags;
}

/* Write an entry of a table of the given level through the matching member. */
static void set_entry(int level, pte_t *p, pte_t value)
{
    switch (level) {
    case 1: pv_ops.mmu.set_pte(p, value); break;
    case 2: pv_ops.mmu.set_pmd(p, value); break;
    case 3: pv_ops.mmu.set_pud(p, value); break;
    default: pv_ops.mmu.set_pgd(p, value); break;
    }
}

static unsigned long new_table(int level)
{
    unsigned long pfn = frame_alloc();

    pv_ops.mmu.alloc_pt(pfn, level);
    return pfn;
}

/*
 * The L1 entry for va under the L4 pgd, or NULL if a level is missing and create is
 * false; created levels get upper_flags (PTE_US in the user region) besides TABLE_FLAGS.
 */
static pte_t *walk(unsigned long pgd, unsigned long va, bool create, pte_t upper_flags)
{
    pte_t *table = pfn_to_virt(pgd);
    int level;

    for (level = 4; level > 1; level--) {
        pte_t *e = &table[pt_index(va, level)];

        if (!(*e & PTE_P)) {
            if (!create)
                return NULL;
            set_entry(level, e, make_entry(new_table(level - 1), TABLE_FLAGS | upper_flags));
        }
        table = table_at(*e);
    }
    return &table[pt_index(va, 1)];
}

static bool mapped(unsigned long pgd, unsigned long va)
{
    pte_t *e = walk(pgd, va, false, 0);

    return e && (*e & PTE_P);
}

/*
 * Every frame from first_free_pfn on joins the pool once the direct map covers it: first
 * those already mapped (the padding Xen leaves, or head.S's 8 MiB), then the rest, one
 * L1's worth at a time in lazy mode, each batch released after it has landed.
 */
static void extend_direct_map(unsigned long pgd, const struct pv_boot *b)
{
    unsigned long pfn, chunk, end;
    uint64_t fresh[PTES_PER_TABLE / 64];

    for (pfn = b->first_free_pfn; pfn < b->nr_pages; pfn++)
        if (mapped(pgd, pfn << PAGE_SHIFT))
            frame_release(pfn);
    for (chunk = b->first_free_pfn; chunk < b->nr_pages; chunk = end) {
        end = (chunk | (PTES_PER_TABLE - 1)) + 1;
        if (end > b->nr_pages)
            end = b->nr_pages;
        memset(fresh, 0, sizeof(fresh));
        pv_ops.mmu.lazy_enter();
        for (pfn = chunk; pfn < end; pfn++) {
            pte_t *e = walk(pgd, pfn << PAGE_SHIFT, true, 0);

            if (*e & PTE_P)
                continue;
            pv_ops.mmu.set_pte(e, make_entry(pfn, KERNEL_FLAGS));
            fresh[(pfn - chunk) / 64] |= 1UL << ((pfn - chunk) % 64);
        }
        pv_ops.mmu.lazy_leave();
        for (pfn = chunk; pfn < end; pfn++)
            if (fresh[(pfn - chunk) / 64] >> ((pfn - chunk) % 64) & 1)
                frame_release(pfn);
    }
}

void pt_init(const struct pv_boot *b)
{
    unsigned long boot_pgd = pv_ops.mmu.read_cr3(), pgd;
    pte_t *entries;

    frames_init(b->nr_pages);
    extend_direct_map(boot_pgd, b);

    /* An L4 of our own: the direct map's slot copied while the frame is still ours to
     * write, then a page table, pinned, loaded; the boot L4 is let go. */
    pgd = frame_alloc();
    entries = pfn_to_virt(pgd);
    entries[KERNEL_SLOT] = ((pte_t *)pfn_to_virt(boot_pgd))[KERNEL_SLOT];
    pv_ops.mmu.alloc_pt(pgd, 4);
    pv_ops.mmu.pin(pgd, 4);
    pv_ops.mmu.write_cr3(pgd);
    pv_ops.mmu.unpin(boot_pgd);
    kernel_mm.pgd = pgd;
}

int mm_create(struct mm *mm)
{
    pte_t user_slot, *entries;

    mm->user_l3 = new_table(3);
    user_slot = make_entry(mm->user_l3, TABLE_FLAGS | PTE_US);

    mm->pgd = frame_alloc();
    entries = pfn_to_virt(mm->pgd);
    entries[KERNEL_SLOT] = ((pte_t *)pfn_to_virt(kernel_mm.pgd))[KERNEL_SLOT];
    entries[USER_SLOT] = user_slot;
    pv_ops.mmu.alloc_pt(mm->pgd, 4);
    pv_ops.mmu.pin(mm->pgd, 4);

    mm->user_pgd = frame_alloc();
    entries = pfn_to_virt(mm->user_pgd);
    entries[USER_SLOT] = user_slot;
    pv_ops.mmu.alloc_pt(mm->user_pgd, 4);
    pv_ops.mmu.pin(mm->user_pgd, 4);
    return 0;
}

/* Free what the user region's tables reach, bottom up: pages, then each table. */
static void free_level(unsigned long table, int level)
{
    pte_t *e = pfn_to_virt(table);
    unsigned int i;

    for (i = 0; i < PTES_PER_TABLE; i++) {
        if (!(e[i] & PTE_P))
            continue;
        if (level > 1)
            free_level(mfn_to_pfn(pte_frame(e[i])), level - 1);
        else
            frame_free(mfn_to_pfn(pte_frame(e[i])));
    }
    pv_ops.mmu.release_pt(table, level);
    frame_free(table);
}

/* Never the loaded address space: the unpins let every table of it go at once. */
void mm_destroy(struct mm *mm)
{
    pv_ops.mmu.unpin(mm->pgd);
    pv_ops.mmu.unpin(mm->user_pgd);
    free_level(mm->user_l3, 3);
    pv_ops.mmu.release_pt(mm->pgd, 4);
    frame_free(mm->pgd);
    pv_ops.mmu.release_pt(mm->user_pgd, 4);
    frame_free(mm->user_pgd);
}

/* Both base pointers in one batch (the xen backend sends them as one mmuext_op). */
void mm_switch(const struct mm *prev, const struct mm *next)
{
    if (prev == next)
        return;
    pv_ops.mmu.lazy_enter();
    pv_ops.mmu.write_cr3(next->pgd);
    pv_ops.mmu.write_user_cr3(next->user_pgd);
    pv_ops.mmu.lazy_leave();
}

int mm_map_user(struct mm *mm, unsigned long va, unsigned long pfn, bool writable)
{
    pte_t *e;

    if (va < USER_BASE || va >= USER_END || (va & (PAGE_SIZE - 1)))
        return -EINVAL;
    e = walk(mm->pgd, va, true, PTE_US);
    if (*e & PTE_P)
        return -EINVAL;
    pv_ops.mmu.set_pte(e, make_entry(pfn, PTE_P | PTE_US | PTE_A | PTE_D |
                                          (writable ? PTE_RW : 0)));
    return 0;
}

/* The L1 entry of a kernel address outside the direct map (levels made as needed). */
pte_t *mm_kernel_pte(unsigned long va)
{
    return walk(kernel_mm.pgd, va, true, 0);
}

unsigned long mm_user_frame(const struct mm *mm, unsigned long va, bool write)
{
    pte_t *e;

    if (va < USER_BASE || va >= USER_END)
        return 0;
    e = walk(mm->pgd, va, false, 0);
    if (!e || !(*e & PTE_P) || !(*e & PTE_US) || (write && !(*e & PTE_RW)))
        return 0;
    return mfn_to_pfn(pte_frame(*e));
}
