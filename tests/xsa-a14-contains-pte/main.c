/*
 * xsa-a14-contains-pte: attack A14 of security-invariants.md (XSA-227 class):
 * GNTMAP_contains_pte names the entry to write by machine address; a misaligned or
 * foreign address would let a guest write a grant mapping into memory that is not one
 * of its L1 page tables.
 *
 * Checks: map_grant_ref with GNTMAP_contains_pte is refused with GNTST_general_error,
 * writing nothing and setting no GTF flag, when the address is misaligned (+1, +4, +7
 * in a valid L1) or lies in a frame that is not a validated L1 of ours: an entry of our
 * L2, L3 and L4, a data page of ours, a page of ours that is zeroed but never made a page
 * table, the grant-table frame, shared_info, and frames that are not ours (machine
 * frame 0, the frame at 1 MiB, frames just past our memory, one far beyond any memory;
 * each checked absent from our p2m); the same grant mapped at a good address then works
 * and unmaps (control); unmap by contains_pte at another entry's address is refused
 * with the mapping intact; the host survives (AFTER=hello).
 * How: the targets' contents are compared (checksums of the pages we can read) before
 * and after; the L1 of the control case is a scratch L1 (tests/mm-common/pv_mm.h).
 * Cannot detect: a write into a frame we cannot read (another domain's, the
 * hypervisor's), other than by the host surviving; the audit option (on in every test
 * run) would see a stray grant entry in a table of ours.
 */
#include "../mm-common/grant.h"

const char test_title[] = "xsa-a14-contains-pte: misaligned and foreign PTE addresses";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256 */
#define SPARE_VA    0x20200000UL        /* boot L2 slot 257: empty */
#define L3_SPARE_VA (5UL << 30)         /* L4 slot 0, L3 slot 5: empty in the boot layout */
#define L4_SPARE_VA (1UL << 39)         /* L4 slot 1: empty */
#define FAR_MFN     0xfffffffffUL       /* beyond any machine memory */
#define E           64                  /* scratch entries E.. are targets */
#define R_A         10

enum { PG_SCRATCH, PG_DATA, PG_FRESH, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);

static xen_pfn_t frame0;

static bool is_ours(unsigned long mfn)
{
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;
    unsigned long i;

    for (i = 0; i < start_info->nr_pages; i++)
        if (p2m[i] == mfn)
            return true;
    return false;
}

/* A contains_pte map at maddr must be refused; 'page' (if readable) must not change. */
static void refused(const char *what, unsigned long maddr, const void *page)
{
    uint64_t sum = page ? page_sum(page) : 0;
    grant_handle_t h = 0;
    int16_t st = map_ref(self_id, R_A, maddr, GNTMAP_host_map | GNTMAP_contains_pte, &h, NULL);

    printk("  %s: %lx\n", what, maddr);
    if (!expect_st(what, st, GNTST_general_error) && st == GNTST_okay)
        unmap_ref(h, maddr, 0);
    if (page && page_sum(page) != sum)
        test_failure("%s: the page at %lx changed", what, maddr & ~(PAGE_SIZE - 1));
    if (gflags(R_A) != GTF_permit_access)
        test_failure("%s: entry flags 0x%x left", what, gflags(R_A));
}

static void test_misaligned(void)
{
    unsigned int off[] = { 1, 4, 7 };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(off); i++) {
        refused("misaligned in our L1", scr.l1_maddr + E * 8 + off[i], scr.l1);
        if (scr.l1[E] || scr.l1[E + 1])
            test_failure("misaligned: entries %lx %lx written", scr.l1[E], scr.l1[E + 1]);
    }
}

static void test_other_tables(void)
{
    uint64_t *t = NULL;
    unsigned long a;

    a = entry_maddr(SPARE_VA, 2, &t);
    if (a && !t[pt_index(SPARE_VA, 2)])
        refused("an empty entry of our L2", a, t);
    else
        test_error("no empty L2 entry at VA %lx", SPARE_VA);
    a = entry_maddr(L3_SPARE_VA, 3, &t);
    if (a && !t[pt_index(L3_SPARE_VA, 3)])
        refused("an empty entry of our L3", a, t);
    else
        test_error("no empty L3 entry at VA %lx", L3_SPARE_VA);
    a = entry_maddr(L4_SPARE_VA, 4, &t);
    if (a && !t[pt_index(L4_SPARE_VA, 4)])
        refused("an empty entry of our L4", a, t);
    else
        test_error("no empty L4 entry at VA %lx", L4_SPARE_VA);
}

static void test_our_other_frames(void)
{
    memset(pages[PG_FRESH], 0, PAGE_SIZE);
    refused("a data page of ours", virt_to_maddr(pages[PG_DATA]) + 16, pages[PG_DATA]);
    refused("a zeroed page of ours, never a page table", virt_to_maddr(pages[PG_FRESH]),
            pages[PG_FRESH]);
    refused("the grant-table frame", frame0 << PAGE_SHIFT | 8 * 40, scratch_va(&scr, 0));
    refused("shared_info", start_info->shared_info + 8, NULL);  /* its time changes */
}

static void test_frames_not_ours(void)
{
    unsigned long mfns[] = { 0, 0x100, 0, 0, FAR_MFN };
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;
    unsigned long max = 0, i;

    for (i = 0; i < start_info->nr_pages; i++)
        if (p2m[i] > max && p2m[i] < FAR_MFN)
            max = p2m[i];
    mfns[2] = max + 0x400;
    mfns[3] = max + 64;
    for (i = 0; i < ARRAY_SIZE(mfns); i++) {
        if (is_ours(mfns[i])) {
            printk("  mfn %lx is ours: not a foreign frame here\n", mfns[i]);
            continue;
        }
        refused("a frame that is not ours", mfns[i] << PAGE_SHIFT | 8 * 3, NULL);
    }
}

static void test_control(void)
{
    grant_handle_t h = 0;
    unsigned long a = scr.l1_maddr + (E + 2) * 8;

    pages[PG_DATA][0] = 0xd0d0;
    if (!expect_st("a validated L1 of ours", map_ref(self_id, R_A, a,
                                                     GNTMAP_host_map | GNTMAP_contains_pte,
                                                     &h, NULL), GNTST_okay))
        return;
    if (*(volatile uint64_t *)scratch_va(&scr, E + 2) != 0xd0d0)
        test_failure("the control mapping does not read the frame");
    expect_st("unmap at another entry", unmap_ref(h, a + 8, 0), GNTST_general_error);
    expect_st("unmap misaligned", unmap_ref(h, a + 1, 0), GNTST_general_error);
    if (*(volatile uint64_t *)scratch_va(&scr, E + 2) != 0xd0d0)
        test_failure("the control mapping broke after the refused unmaps");
    expect_st("unmap", unmap_ref(h, a, 0), GNTST_okay);
    if (scr.l1[E + 2])
        test_failure("entry %lx left after unmap", scr.l1[E + 2]);
    if (gflags(R_A) != GTF_permit_access)
        test_failure("entry flags 0x%x after unmap", gflags(R_A));
}

static const struct subtest cases[] = {
    { "misaligned entry addresses", test_misaligned },
    { "entries of L2, L3 and L4 tables", test_other_tables },
    { "our frames that are not L1 tables", test_our_other_frames },
    { "frames that are not ours", test_frames_not_ours },
    { "a validated L1 of ours (control)", test_control },
};

void test_main(void)
{
    if (!learn_self_id() || !table_frame0_mapped(pages[PG_SCRATCH], SCRATCH_VA, &frame0))
        return;
    printk("  domain id %u%s\n", self_id, on_xen_reference() ? " (Xen reference)" : "");
    grant(R_A, GTF_permit_access, self_id, virt_to_mfn(pages[PG_DATA]));
    RUN_SUBTESTS(cases);
    scratch_fini(&scr);
}
