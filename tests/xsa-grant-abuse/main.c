/*
 * xsa-grant-abuse: hostile use of setup_table, query_size and copy and of the table
 * frames (attacks A13-A16 of security-invariants.md; host mappings are attacked by
 * xsa-a13-grant-unmap and xsa-a14-contains-pte).
 *
 * Checks:
 * - refs at the edge: the last ref of the table copies; the table end, end + 1, the end
 *   of the largest possible table, 0x7FFFFFFF, 0x80000000 and 0xFFFFFFFF are
 *   GNTST_bad_gntref as source and as destination, and nothing is written;
 * - an entry changed between calls is re-read every time: made read-only it refuses to
 *   be a destination, made GTF_invalid or granted to another domain it refuses to be a
 *   source, pointed at another frame the next copy goes there, restored it works again;
 *   200 rounds of flipping agree with the entry each time; GTF_reading/GTF_writing
 *   forged by the guest do not stop a copy and are both clear after it (as on Xen);
 *   afterwards no flag is left set by a copy;
 * - a table frame can be mapped writable but never typed: MMUEXT_PIN_L1..L4_TABLE on it
 *   fail (while it is mapped RW and after that mapping is gone), and an L2 entry
 *   pointing at it as an L1 is refused; a copy into one of our pinned page tables
 *   through a grant or as an own frame is refused (general_error) with the table
 *   unchanged, reading from it is fine; a copy into
 *   the table frame itself (through a grant of it) either works, landing where it should,
 *   or is refused, and the entries in use stay intact;
 * - system and bogus domain ids (DOMID_SELF + 1 = DOMID_IO, DOMID_XEN, DOMID_COW,
 *   DOMID_INVALID, DOMID_IDLE, 0xFFFF, our id + 1, 0x7FEF) get no table: setup_table and
 *   query_size refuse them (bad_domain or permission_denied), copy refuses them as
 *   granter (bad_domain) and as owner of a frame; an entry granted to DOMID_IO or
 *   DOMID_XEN is not usable by us;
 * - huge counts: copy with 4097, 2^31 - 1, 2^31, 2^32 - 1, 2^32 and ~0 elements on an
 *   array followed by an unmapped page is refused or stops with -EFAULT (or, Xen's
 *   32-bit count, does nothing for 2^32); a two-element array whose second element is
 *   unmapped copies the first and returns -EFAULT; setup_table with 2^32 - 1 frames and
 *   setup_table / query_size with huge counts are refused;
 * - 2000 copies leave no pin behind: the flags are clean and the table still grows;
 * - the host survives: AFTER=hello boots a second domain on the same hypervisor.
 * How: hypercalls on pages of our .bss with the table frames mapped through a scratch
 * L1 (tests/mm-common/pv_mm.h); entries are flipped natively between hypercalls.
 * Cannot detect: races inside one copy (a single vCPU cannot write the entry while the
 * hypervisor checks it; the unit tests of grant_table.c play that race), leaks of
 * references with no visible effect (scripts/parapet's audit option checks those),
 * anything about host mappings (the xsa-a13/a14 guests).
 */
#include "../mm-common/grant.h"

const char test_title[] = "xsa-grant-abuse: hostile refs, flags, domids, counts, table frames";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define SPARE_VA    0x20200000UL        /* boot L2 slot 257: must stay empty */
#define MAX_LIST    128
#define ARR_SLOT    300                 /* scratch entry of the array page; +1 unmapped */

enum { PG_SCRATCH, PG_A, PG_B, PG_C, PG_ARR, PG_L1, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);

static bool ready;
static bool on_xen;
static uint32_t nr_frames, max_frames;
static xen_pfn_t frames[MAX_LIST];

/* Any of two refusals; never okay. */
static bool expect_refused(const char *what, int16_t got, int16_t want, int16_t alt)
{
    if (got == want || got == alt) {
        if (got != want)
            printk("  (%s: %d %s)\n", what, got, st_name(got));
        return true;
    }
    test_failure("%s: status %d %s, expected %d %s or %d %s", what, got, st_name(got), want,
                 st_name(want), alt, st_name(alt));
    return false;
}

/* ---- the table, mapped at scratch entries 0 .. nr_frames-1 ----------------------- */

static bool grow_and_map(uint32_t n)
{
    static uint32_t mapped;
    xen_pfn_t list[MAX_LIST];
    uint32_t i;

    if (n > MAX_LIST || !expect_st("setup_table", setup(DOMID_SELF, n, list), GNTST_okay))
        return false;
    for (i = 0; i < n; i++) {
        if (i < mapped && list[i] != frames[i])
            test_failure("table frame %u moved: %lx, was %lx", i, list[i], frames[i]);
        frames[i] = list[i];
    }
    for (; mapped < n; mapped++)
        if (scratch_set(&scr, mapped, frames[mapped] << PAGE_SHIFT | PT_RW)) {
            test_failure("mapping table frame %u (mfn %lx) RW refused", mapped,
                         frames[mapped]);
            return false;
        }
    if (query(DOMID_SELF, &nr_frames, NULL) != GNTST_okay || nr_frames < n) {
        test_failure("query_size after setup_table(%u) says %u frames", n, nr_frames);
        return false;
    }
    return true;
}

/* ---- copy ------------------------------------------------------------------------ */

static void fill(void *page, uint8_t v)
{
    memset(page, v, PAGE_SIZE);
}

/* The first byte of page that is not v, or -1. */
static int diff_at(const void *page, uint8_t v)
{
    const volatile uint8_t *p = page;
    int i;

    for (i = 0; i < (int)PAGE_SIZE; i++)
        if (p[i] != v)
            return i;
    return -1;
}

static void expect_fill(const char *what, const void *page, uint8_t v)
{
    int at = diff_at(page, v);

    if (at >= 0)
        test_failure("%s: byte %d is 0x%x, expected 0x%x", what, at,
                     ((const volatile uint8_t *)page)[at], v);
}

/* ---- subtests ------------------------------------------------------------------------ */

static void test_ref_edges(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];
    const uint32_t bad[] = { nr_frames * 512, nr_frames * 512 + 1, max_frames * 512,
                             0x7fffffffu, 0x80000000u, 0xffffffffu };
    uint32_t last = nr_frames * 512 - 1;
    unsigned int i;
    char what[80];

    if (!ready)
        return;
    fill(src, 0xaa);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(9, GTF_permit_access, self_id, virt_to_mfn(dst));
    grant(last, GTF_permit_access, self_id, virt_to_mfn(dst));

    fill(dst, 0);
    if (expect_st("copy into the last ref", copy1(by_ref(8, 0), by_ref(last, 0), 64),
                  GNTST_okay) && diff_at(dst, 0) != 0)
        test_failure("copy into the last ref did not land");
    if (gflags(last) != GTF_permit_access)
        test_failure("last ref flags 0x%x after the copy", gflags(last));

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        fill(dst, 0x11);
        snprintf(what, sizeof(what), "source ref 0x%x", bad[i]);
        expect_st(what, copy1(by_ref(bad[i], 0), by_ref(9, 0), 64), GNTST_bad_gntref);
        snprintf(what, sizeof(what), "dest ref 0x%x", bad[i]);
        expect_st(what, copy1(by_ref(8, 0), by_ref(bad[i], 0), 64), GNTST_bad_gntref);
        snprintf(what, sizeof(what), "dest ref 0x%x from an own frame", bad[i]);
        expect_st(what, copy1(by_frame(src, 0), by_ref(bad[i], 4000), 96), GNTST_bad_gntref);
        snprintf(what, sizeof(what), "refs 0x%x both sides", bad[i]);
        expect_st(what, copy1(by_ref(bad[i], 0), by_ref(bad[i], 0), 1), GNTST_bad_gntref);
        expect_fill(what, dst, 0x11);
    }
    if (gflags(8) != (GTF_permit_access | GTF_readonly) || gflags(9) != GTF_permit_access)
        test_failure("entries 8/9 flags 0x%x/0x%x after the refusals", gflags(8), gflags(9));
    grant(last, 0, 0, 0);
}

static void test_flip(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B], *other = pages[PG_C];
    unsigned int round, bad = 0;

    if (!ready)
        return;
    fill(src, 0xaa);
    fill(other, 0);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(10, GTF_permit_access, self_id, virt_to_mfn(dst));

    fill(dst, 0);
    expect_st("copy into writable entry 10", copy1(by_ref(8, 0), by_ref(10, 0), 16), GNTST_okay);
    grant(10, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(dst));
    fill(dst, 0);
    expect_st("copy into entry 10 made read-only", copy1(by_ref(8, 0), by_ref(10, 0), 16),
              GNTST_general_error);
    expect_fill("entry 10 made read-only", dst, 0);
    grant(10, GTF_permit_access, self_id, virt_to_mfn(other));
    expect_st("copy into entry 10 pointed elsewhere", copy1(by_ref(8, 0), by_ref(10, 0), 16),
              GNTST_okay);
    expect_fill("entry 10 pointed elsewhere: the old frame", dst, 0);
    if (((uint8_t *)other)[0] != 0xaa || ((uint8_t *)other)[15] != 0xaa ||
        ((uint8_t *)other)[16] != 0)
        test_failure("entry 10 pointed elsewhere: the new frame was not written as asked");
    grant(10, GTF_permit_access, self_id, virt_to_mfn(dst));

    grant(8, GTF_invalid, self_id, virt_to_mfn(src));
    expect_st("copy from entry 8 made GTF_invalid", copy1(by_ref(8, 0), by_ref(10, 0), 16),
              GNTST_general_error);
    grant(8, GTF_permit_access | GTF_readonly, (domid_t)(self_id + 1), virt_to_mfn(src));
    expect_st("copy from entry 8 granted to another domain",
              copy1(by_ref(8, 0), by_ref(10, 0), 16), GNTST_general_error);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    expect_st("copy from entry 8 restored", copy1(by_ref(8, 0), by_ref(10, 0), 16),
              GNTST_okay);

    /* Rounds of flipping: each answer must match the entry as it is now. */
    for (round = 0; round < 200 && bad < 3; round++) {
        unsigned int kind = round % 4;
        uint16_t fl = kind == 0 ? GTF_permit_access :
                      kind == 1 ? (GTF_permit_access | GTF_readonly) :
                      kind == 2 ? GTF_invalid : GTF_permit_access;
        domid_t who = kind == 3 ? (domid_t)(self_id + 1) : self_id;
        int16_t st;

        grant(10, fl, who, virt_to_mfn(round & 4 ? other : dst));
        st = copy1(by_ref(8, (uint16_t)(round * 8)), by_ref(10, (uint16_t)(round * 8)), 8);
        if (st != (kind == 0 ? GNTST_okay : GNTST_general_error)) {
            test_failure("flip round %u (kind %u): status %d %s", round, kind, st, st_name(st));
            bad++;
        }
        if (gflags(10) != fl || gflags(8) != (GTF_permit_access | GTF_readonly)) {
            test_failure("flip round %u: flags 0x%x/0x%x left", round, gflags(8), gflags(10));
            bad++;
        }
    }

    /* Flags forged by the guest do not stop a copy. */
    grant(10, GTF_permit_access | GTF_reading | GTF_writing, self_id, virt_to_mfn(dst));
    fill(dst, 0);
    expect_st("copy into an entry with forged reading|writing",
              copy1(by_ref(8, 0), by_ref(10, 0), 16), GNTST_okay);
    if (gflags(10) != GTF_permit_access)
        test_failure("forged reading|writing: flags 0x%x after the copy, expected 0x%x (both "
                     "cleared when the copy's pins went, as Xen does)", gflags(10),
                     GTF_permit_access);
    grant(10, 0, 0, 0);
}

static void test_table_frame_untypeable(void)
{
    void *src = pages[PG_A], *l1 = pages[PG_L1];
    unsigned long tf = frames[0];
    unsigned long l2e = entry_maddr(SPARE_VA, 2, NULL);
    int level;
    long rc;
    char what[80];

    if (!ready)
        return;
    for (level = 1; level <= 4; level++) {
        snprintf(what, sizeof(what), "pin a table frame (mapped RW) as L%d", level);
        rc = pin_mfn(level, tf);
        if (rc >= 0) {
            test_failure("%s: accepted (%ld)", what, rc);
            mmuext(MMUEXT_UNPIN_TABLE, tf, 0);
        }
    }
    if (!l2e || read_entry(SPARE_VA, 2))
        test_error("no empty L2 slot at 0x%lx", SPARE_VA);
    else {
        rc = mmu_update1(l2e, tf << PAGE_SHIFT | PT_TABLE);
        if (rc >= 0) {
            test_failure("L2 entry pointing at a table frame as an L1: accepted");
            mmu_update1(l2e, 0);
        }
    }

    /* Once the RW mapping is gone, still not a page table. */
    if (nr_frames >= 2) {
        unsigned long tf1 = frames[1];

        scratch_set(&scr, 1, 0);
        rc = pin_mfn(1, tf1);
        if (rc >= 0) {
            test_failure("pin of an unmapped table frame as L1: accepted");
            mmuext(MMUEXT_UNPIN_TABLE, tf1, 0);
        }
        if (scratch_set(&scr, 1, tf1 << PAGE_SHIFT | PT_RW))
            test_failure("mapping table frame 1 RW again refused");
    }

    /* Our own pinned page table as copy destination: never writable. */
    memset(l1, 0, PAGE_SIZE);
    if (set_ro(l1) || pin_va(1, l1)) {
        test_error("cannot pin a page as L1");
        return;
    }
    fill(src, 0x77);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(11, GTF_permit_access, self_id, virt_to_mfn(l1));
    expect_st("copy into a pinned L1 through a grant", copy1(by_ref(8, 0), by_ref(11, 0), 8),
              GNTST_general_error);
    expect_st("copy into a pinned L1 as own frame", copy1(by_ref(8, 0), by_frame(l1, 0), 8),
              GNTST_general_error);
    expect_fill("the pinned L1", l1, 0);
    if (gflags(11) != GTF_permit_access)
        test_failure("entry 11 flags 0x%x after the refusal", gflags(11));
    expect_st("copy out of a pinned L1 (reading is fine)",
              copy1((struct side){ true, 11, self_id, 0 }, by_frame(pages[PG_C], 0), 8),
              GNTST_okay);
    unpin_va(l1);
    set_rw(l1);

    /* The table frame itself as a grant: a copy into it either works or is refused. */
    grant(12, GTF_permit_access, self_id, frames[0]);
    {
        volatile uint8_t *t = scratch_va(&scr, 0);
        int16_t st = copy1(by_ref(8, 0), by_ref(12, 4000), 64);

        printk("  copy into table frame 0 (offset 4000, entries 500-507): %d %s\n", st,
               st_name(st));
        if (st == GNTST_okay) {
            if (t[4000] != 0x77 || t[4063] != 0x77)
                test_failure("the copy into the table frame did not land (0x%x 0x%x)",
                             t[4000], t[4063]);
        } else if (st != GNTST_general_error && st != GNTST_bad_page)
            test_failure("copy into the table frame: status %d %s", st, st_name(st));
        if (gflags(12) != GTF_permit_access || gflags(8) != (GTF_permit_access | GTF_readonly))
            test_failure("entries 8/12 flags 0x%x/0x%x after copying into the table",
                         gflags(8), gflags(12));
        memset((void *)(t + 4000), 0, 96);
    }
    expect_st("copy out of the table frame", copy1(by_ref(12, 0), by_frame(pages[PG_C], 0), 64),
              GNTST_okay);
    grant(12, 0, 0, 0);
}

static void test_bad_domids(void)
{
    const domid_t bad[] = { DOMID_SELF + 1, DOMID_XEN, DOMID_COW, DOMID_INVALID, DOMID_IDLE,
                            0xffff, (domid_t)(self_id + 1), 0x7fef };
    xen_pfn_t list[4];
    void *src = pages[PG_A], *dst = pages[PG_B];
    unsigned int i;
    char what[80];

    if (!ready)
        return;
    fill(src, 0x5a);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(9, GTF_permit_access, self_id, virt_to_mfn(dst));
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        list[0] = 0x1234;
        snprintf(what, sizeof(what), "setup_table(dom 0x%x)", bad[i]);
        expect_refused(what, setup(bad[i], 1, list), GNTST_bad_domain,
                       GNTST_permission_denied);
        if (list[0] != 0x1234)
            test_failure("%s wrote a frame number (%lx)", what, list[0]);
        snprintf(what, sizeof(what), "query_size(dom 0x%x)", bad[i]);
        expect_refused(what, query(bad[i], NULL, NULL), GNTST_bad_domain,
                       GNTST_permission_denied);

        fill(dst, 0);
        snprintf(what, sizeof(what), "copy from granter 0x%x", bad[i]);
        expect_st(what, copy1((struct side){ true, 8, bad[i], 0 }, by_ref(9, 0), 8),
                  GNTST_bad_domain);
        snprintf(what, sizeof(what), "copy to granter 0x%x", bad[i]);
        expect_st(what, copy1(by_ref(8, 0), (struct side){ true, 9, bad[i], 0 }, 8),
                  GNTST_bad_domain);
        snprintf(what, sizeof(what), "copy to an own frame owned by 0x%x", bad[i]);
        expect_refused(what, copy1(by_ref(8, 0),
                                   (struct side){ false, virt_to_mfn(dst), bad[i], 0 }, 8),
                       GNTST_bad_domain, GNTST_permission_denied);
        expect_fill(what, dst, 0);
    }
    grant(9, GTF_permit_access, DOMID_IO, virt_to_mfn(dst));
    expect_st("copy into an entry granted to DOMID_IO", copy1(by_ref(8, 0), by_ref(9, 0), 8),
              GNTST_general_error);
    grant(9, GTF_permit_access, DOMID_XEN, virt_to_mfn(dst));
    expect_st("copy into an entry granted to DOMID_XEN", copy1(by_ref(8, 0), by_ref(9, 0), 8),
              GNTST_general_error);
    expect_fill("entries granted to system domains", dst, 0);
    grant(9, 0, 0, 0);
}

static bool count_outcome_ok(long rc, unsigned long count)
{
    if (rc == -XEN_EINVAL || rc == -XEN_EFAULT)
        return true;
    /* Xen's count is 32 bits: 2^32 is 0 elements there. */
    return rc == 0 && (uint32_t)count == 0;
}

static void test_huge_counts(void)
{
    static const unsigned long counts[] = {
        4097, 0x7fffffffUL, 0x80000000UL, 0xffffffffUL, 1UL << 32, ~0UL,
    };
    struct gnttab_copy *arr = scratch_va(&scr, ARR_SLOT);
    /* The page's last whole element: the next one starts in the unmapped page. */
    struct gnttab_copy *last = (struct gnttab_copy *)((char *)arr + PAGE_SIZE - sizeof(*arr));
    void *src = pages[PG_A], *dst = pages[PG_B];
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = 1 };
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    xen_pfn_t list[MAX_LIST];
    unsigned int i;
    long rc;

    if (!ready)
        return;
    if (scratch_set(&scr, ARR_SLOT, pte_of(pages[PG_ARR], PT_RW)) ||
        scratch_set(&scr, ARR_SLOT + 1, 0)) {
        test_error("cannot map the array page");
        return;
    }
    fill(src, 0x66);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(9, GTF_permit_access, self_id, virt_to_mfn(dst));
    for (i = 0; i < PAGE_SIZE / sizeof(*arr); i++)
        make_copy(&arr[i], by_ref(8, 0), by_ref(9, (uint16_t)(i % 4000)), 8);

    for (i = 0; i < ARRAY_SIZE(counts); i++) {
        char what[64];

        rc = gnt(GNTTABOP_copy, arr, counts[i]);
        printk("  copy with count 0x%lx: %ld\n", counts[i], rc);
        snprintf(what, sizeof(what), "copy with count 0x%lx", counts[i]);
        if (!count_outcome_ok(rc, counts[i]))
            test_failure("%s returned %ld", what, rc);
    }

    /* The second element is in the unmapped page. */
    fill(dst, 0);
    make_copy(last, by_ref(8, 0), by_ref(9, 100), 8);
    rc = gnt(GNTTABOP_copy, last, 2);
    check_rc("copy of 2 elements, the second unmapped", rc, -XEN_EFAULT);
    expect_st("element 0 of the half-mapped array", last->status, GNTST_okay);
    if (diff_at(dst, 0) != 100)
        test_failure("element 0 of the half-mapped array did not copy");
    if (gflags(8) != (GTF_permit_access | GTF_readonly) || gflags(9) != GTF_permit_access)
        test_failure("entries 8/9 flags 0x%x/0x%x after the counts", gflags(8), gflags(9));

    expect_st("setup_table with 0xffffffff frames", setup(DOMID_SELF, 0xffffffffu, list),
              GNTST_general_error);
    set_xen_guest_handle(s.frame_list, list);
    rc = gnt(GNTTABOP_setup_table, &s, 0xffffffffUL);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT)
        test_failure("setup_table with count 0xffffffff returned %ld", rc);
    rc = gnt(GNTTABOP_query_size, &q, 1UL << 40);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT && rc != 0)
        test_failure("query_size with count 2^40 returned %ld", rc);
    scratch_set(&scr, ARR_SLOT, 0);
    grant(9, 0, 0, 0);
}

static void test_many_copies(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];
    unsigned int i, bad = 0;

    if (!ready)
        return;
    fill(src, 0x31);
    grant(8, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(9, GTF_permit_access, self_id, virt_to_mfn(dst));
    grant(13, GTF_permit_access, self_id, virt_to_mfn(dst));
    for (i = 0; i < 2000 && bad < 3; i++) {
        int16_t st;

        if (i % 2)
            /* Same entry as source and destination, disjoint halves. */
            st = copy1(by_ref(13, 0), by_ref(13, 2048), 2048);
        else
            st = copy1(by_ref(8, (uint16_t)(i % 4096)), by_ref(9, 0), 1);
        if (st != GNTST_okay) {
            test_failure("copy %u: status %d %s", i, st, st_name(st));
            bad++;
        }
    }
    if (gflags(8) != (GTF_permit_access | GTF_readonly) || gflags(9) != GTF_permit_access ||
        gflags(13) != GTF_permit_access)
        test_failure("flags after 2000 copies: 0x%x 0x%x 0x%x", gflags(8), gflags(9),
                     gflags(13));
    if (max_frames > nr_frames && max_frames <= MAX_LIST && grow_and_map(max_frames))
        printk("  grown to %u frames after the copies\n", nr_frames);
    grant(8, 0, 0, 0);
    grant(9, 0, 0, 0);
    grant(13, 0, 0, 0);
}

static const struct subtest cases[] = {
    { "refs near and beyond the table end", test_ref_edges },
    { "entries flipped between calls", test_flip },
    { "table frames: writable mappings yes, page-table types never", test_table_frame_untypeable },
    { "system and bogus domain ids", test_bad_domids },
    { "huge counts and half-mapped arrays", test_huge_counts },
    { "2000 copies leave no pins", test_many_copies },
};

void test_main(void)
{
    on_xen = on_xen_reference();
    if (!learn_self_id())
        return;
    if (query(DOMID_SELF, &nr_frames, &max_frames) != GNTST_okay) {
        test_failure("query_size failed");
        return;
    }
    printk("  domain id %u, table %u/%u frames%s\n", self_id, nr_frames, max_frames,
           on_xen ? " (Xen reference)" : "");
    ready = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA) &&
            grow_and_map(max_frames >= 2 ? 2 : 1);

    RUN_SUBTESTS(cases);
    if (ready)
        scratch_fini(&scr);
}
