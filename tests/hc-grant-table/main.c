/*
 * hc-grant-table: grant_table_op (hypercall 20), version 1 tables of the running domain:
 * setup_table, query_size, the table frames the guest maps itself, and GNTTABOP_copy.
 *
 * Checks (xen/include/public/grant_table.h; Xen 4.17 common/grant_table.c is the
 * reference; xen-pv-abi-checklist.md 1.9):
 * - query_size at boot: GNTST_okay, one frame, max_nr_frames >= 1; the same answer for
 *   DOMID_SELF and for our own domain id;
 * - setup_table: frame numbers that stay the same across calls; nr_frames 0 writes
 *   nothing; growing to 2 and then to max_nr_frames keeps the earlier frames and gives
 *   distinct new ones; a smaller later request never shrinks the table (query_size);
 * - setup_table errors: nr_frames > max -> GNTST_general_error with the size unchanged
 *   and frame_list untouched; DOMID_IO, DOMID_XEN and the unused 0x7FEF -> bad_domain
 *   (permission_denied accepted); count 0 and 2 -> -EINVAL for setup_table and
 *   query_size (Xen: count != 1); a frame_list at VA 0 (unmapped) -> status
 *   GNTST_bad_virt_addr; one in the hypervisor range -> -EFAULT (Xen's
 *   guest_handle_okay);
 * - the table frames can be mapped read-write with mmu_update: zero-filled, and v1
 *   entries written through the mapping are what copy then uses;
 * - copy gref -> own frame, own frame -> gref, gref -> gref (also with DOMID_SELF naming
 *   the granter, and a whole page): the bytes land exactly at dest offset .. +len, and
 *   afterwards the entry's flags are exactly as written (GTF_reading/GTF_writing
 *   cleared); a batch of three with a bad middle element gives per-element status;
 * - copy errors, each leaving the destination and the entries unchanged: a ref at or
 *   beyond the table end (bad_gntref), an entry that is GTF_invalid or
 *   GTF_accept_transfer or granted to another domain id or to DOMID_SELF
 *   (general_error), a GTF_readonly entry as destination (general_error), offset + len
 *   past the page on either side (bad_copy_arg), DOMID_IO / DOMID_XEN / 0x7FEF as
 *   granter (bad_domain), an own frame named by our numeric id (permission_denied)
 *   or by DOMID_IO (bad_domain: Xen looks the domain up first), a frame that is not ours as own frame or in an entry
 *   (bad_page); count 0 is 0 with the element untouched;
 * - map_grant_ref without GNTMAP_host_map: GNTST_bad_gntref; unmap_grant_ref of a handle
 *   never given: GNTST_bad_handle (tests/hc-grant-map covers host mappings);
 * - set_version and get_version: -ENOSYS on Parapet; on Xen (which implements them)
 *   only harmless forms are issued and the answer printed; unknown sub-ops 13 and 63:
 *   -ENOSYS.
 * How: hypercalls on pages of our .bss; the table frames are mapped through a scratch
 * L1 (tests/mm-common/pv_mm.h) and read and written natively. Our domain id is learnt
 * from EVTCHNOP_status of an unbound port allocated for DOMID_SELF.
 * Cannot detect: a copy by another domain (one domain at a time), flags seen set only
 * during a copy (a single vCPU cannot look mid-copy), references leaked without a
 * visible effect (the audit option of scripts/parapet checks those), table frames
 * freed behind our back after the test ends.
 */
#include "../mm-common/grant.h"

const char test_title[] = "hc-grant-table: setup_table, query_size, table frames and copy";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define HV_RANGE    0xffff830000000000UL
#define MAX_LIST    128                 /* frame_list room: Xen's default max is 64 */
#define NOT_OURS    0xfffffff0UL        /* a frame number no domain owns */
#define SENTINEL    0x5e5e5e5e5e5e5e5eUL

enum { PG_SCRATCH, PG_A, PG_B, PG_C, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static page_t ref_page __aligned(PAGE_SIZE);     /* expected contents of a destination */

static bool scratch_ok;
static bool on_xen;
static uint32_t max_frames;
static uint32_t mapped_frames;          /* table frames mapped at scratch entries 0.. */
static xen_pfn_t frames[MAX_LIST];      /* the table frames, as setup_table gave them */

/* ---- setup_table / query_size ----------------------------------------------------- */

static uint32_t cur_frames(void)
{
    uint32_t nr = 0;

    query(DOMID_SELF, &nr, NULL);
    return nr;
}

static void fill_list(xen_pfn_t *list)
{
    unsigned int i;

    for (i = 0; i < MAX_LIST; i++)
        list[i] = SENTINEL;
}

/* ---- the mapped table --------------------------------------------------------------- */

/* Map table frames [mapped_frames, n) read-write at scratch entries of the same index. */
static bool map_frames(uint32_t n)
{
    for (; mapped_frames < n; mapped_frames++) {
        long rc = scratch_set(&scr, mapped_frames, frames[mapped_frames] << PAGE_SHIFT | PT_RW);

        if (rc) {
            test_failure("mmu_update mapping table frame %u (mfn %lx) RW: %ld",
                         mapped_frames, frames[mapped_frames], rc);
            return false;
        }
    }
    return true;
}

static void expect_entry(const char *what, grant_ref_t ref, uint16_t flags, domid_t dom,
                         unsigned long frame)
{
    volatile grant_entry_v1_t *e = gent(ref);

    if (e->flags != flags || e->domid != dom || e->frame != (uint32_t)frame)
        test_failure("%s: entry %u is flags 0x%x domid %u frame 0x%x, expected 0x%x %u 0x%lx",
                     what, ref, e->flags, e->domid, e->frame, flags, dom, frame);
}

/* ---- copy ------------------------------------------------------------------------ */

static void pattern(void *page, uint8_t seed)
{
    uint8_t *p = page;
    unsigned int i;

    for (i = 0; i < PAGE_SIZE; i++)
        p[i] = (uint8_t)(seed + i * 7 + (i >> 8));
}

/* Fresh contents for src and dst, and ref_page = dst as it must be after the copy. */
static void prepare(void *src, void *dst, uint16_t soff, uint16_t doff, uint16_t len)
{
    pattern(src, 0x11);
    pattern(dst, 0xa3);
    memcpy(ref_page, dst, PAGE_SIZE);
    memcpy((uint8_t *)ref_page + doff, (uint8_t *)src + soff, len);
}

static void expect_dst(const char *what, const void *dst)
{
    const uint8_t *p = dst, *q = (const uint8_t *)ref_page;
    unsigned int i;

    for (i = 0; i < PAGE_SIZE; i++)
        if (p[i] != q[i]) {
            test_failure("%s: destination byte %u is 0x%x, expected 0x%x", what, i, p[i], q[i]);
            return;
        }
}

/* ---- subtests ------------------------------------------------------------------------ */

static void test_query_boot(void)
{
    uint32_t nr = 0, max = 0, nr2 = 0, max2 = 0;

    if (!expect_st("query_size(DOMID_SELF)", query(DOMID_SELF, &nr, &max), GNTST_okay))
        return;
    printk("  table: %u frame(s), at most %u\n", nr, max);
    max_frames = max;
    if (nr != 1)
        test_failure("query_size at boot: %u frames, expected 1", nr);
    if (max < 1)
        test_failure("query_size: max_nr_frames %u", max);
    if (expect_st("query_size(own id)", query(self_id, &nr2, &max2), GNTST_okay) &&
        (nr2 != nr || max2 != max))
        test_failure("query_size(own id) says %u/%u, DOMID_SELF %u/%u", nr2, max2, nr, max);
}

static void test_setup_stable(void)
{
    xen_pfn_t list[MAX_LIST];

    fill_list(list);
    if (!expect_st("setup_table(1)", setup(DOMID_SELF, 1, list), GNTST_okay))
        return;
    frames[0] = list[0];
    printk("  frame 0: mfn %lx\n", frames[0]);
    if (list[0] == 0 || list[0] == SENTINEL)
        test_failure("setup_table(1) gave frame %lx", list[0]);
    if (list[1] != SENTINEL)
        test_failure("setup_table(1) wrote frame_list[1] (%lx)", list[1]);

    fill_list(list);
    if (expect_st("setup_table(1) again", setup(DOMID_SELF, 1, list), GNTST_okay) &&
        list[0] != frames[0])
        test_failure("setup_table(1) again gave %lx, first %lx", list[0], frames[0]);

    fill_list(list);
    if (expect_st("setup_table(own id, 1)", setup(self_id, 1, list), GNTST_okay) &&
        list[0] != frames[0])
        test_failure("setup_table(own id) gave %lx, expected %lx", list[0], frames[0]);

    fill_list(list);
    if (expect_st("setup_table(0)", setup(DOMID_SELF, 0, list), GNTST_okay) &&
        list[0] != SENTINEL)
        test_failure("setup_table(0) wrote frame_list[0] (%lx)", list[0]);
    if (cur_frames() != 1)
        test_failure("after setup_table(0/1) query_size says %u frames", cur_frames());
}

static bool all_distinct(const xen_pfn_t *list, uint32_t n)
{
    uint32_t i, j;

    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (list[i] == list[j]) {
                test_failure("frames %u and %u are both mfn %lx", i, j, list[i]);
                return false;
            }
    return true;
}

static void test_setup_grow(void)
{
    xen_pfn_t list[MAX_LIST];
    uint32_t i;

    if (max_frames < 2) {
        test_warning("max_nr_frames %u: growth not checked", max_frames);
        return;
    }
    if (max_frames > MAX_LIST) {
        test_error("max_nr_frames %u exceeds the test's room (%u)", max_frames, MAX_LIST);
        return;
    }
    fill_list(list);
    if (!expect_st("setup_table(2)", setup(DOMID_SELF, 2, list), GNTST_okay))
        return;
    if (list[0] != frames[0])
        test_failure("growing to 2 moved frame 0: %lx, was %lx", list[0], frames[0]);
    all_distinct(list, 2);
    if (list[2] != SENTINEL)
        test_failure("setup_table(2) wrote frame_list[2]");
    frames[1] = list[1];
    if (cur_frames() != 2)
        test_failure("after setup_table(2) query_size says %u frames", cur_frames());

    fill_list(list);
    if (expect_st("setup_table(1) after growing", setup(DOMID_SELF, 1, list), GNTST_okay) &&
        list[0] != frames[0])
        test_failure("setup_table(1) after growing gave %lx", list[0]);
    if (cur_frames() != 2)
        test_failure("setup_table(1) shrank the table: %u frames", cur_frames());

    fill_list(list);
    if (!expect_st("setup_table(max)", setup(DOMID_SELF, max_frames, list), GNTST_okay))
        return;
    if (list[0] != frames[0] || list[1] != frames[1])
        test_failure("growing to max moved frames 0/1: %lx %lx, were %lx %lx", list[0],
                     list[1], frames[0], frames[1]);
    all_distinct(list, max_frames);
    for (i = 0; i < max_frames; i++)
        frames[i] = list[i];
    if (max_frames < MAX_LIST && list[max_frames] != SENTINEL)
        test_failure("setup_table(max) wrote past nr_frames");
    if (cur_frames() != max_frames)
        test_failure("after setup_table(max) query_size says %u frames", cur_frames());
}

static void test_setup_errors(void)
{
    xen_pfn_t list[MAX_LIST];
    static const domid_t bad[] = { DOMID_IO, DOMID_XEN, 0x7fef };
    struct gnttab_setup_table s = { .dom = DOMID_SELF, .nr_frames = 1 };
    struct gnttab_query_size q[2] = { { .dom = DOMID_SELF }, { .dom = DOMID_SELF } };
    uint32_t before = cur_frames();
    unsigned int i;
    int16_t st;

    fill_list(list);
    expect_st("setup_table(max + 1)", setup(DOMID_SELF, max_frames + 1, list),
              GNTST_general_error);
    if (list[0] != SENTINEL)
        test_failure("setup_table(max + 1) wrote frame_list[0]");
    expect_st("setup_table(0xffffffff frames)", setup(DOMID_SELF, 0xffffffffu, list),
              GNTST_general_error);
    if (cur_frames() != before)
        test_failure("refused setup_table changed the size: %u, was %u", cur_frames(), before);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        char what[64];

        snprintf(what, sizeof(what), "setup_table(dom 0x%x)", bad[i]);
        st = setup(bad[i], 1, list);
        if (st != GNTST_permission_denied)
            expect_st(what, st, GNTST_bad_domain);
        snprintf(what, sizeof(what), "query_size(dom 0x%x)", bad[i]);
        st = query(bad[i], NULL, NULL);
        if (st != GNTST_permission_denied)
            expect_st(what, st, GNTST_bad_domain);
    }

    /* Xen: "if ( count != 1 ) return -EINVAL" for both. */
    set_xen_guest_handle(s.frame_list, list);
    check_rc("setup_table with count 0", gnt(GNTTABOP_setup_table, &s, 0), -XEN_EINVAL);
    check_rc("setup_table with count 2", gnt(GNTTABOP_setup_table, &s, 2), -XEN_EINVAL);
    check_rc("query_size with count 0", gnt(GNTTABOP_query_size, q, 0), -XEN_EINVAL);
    check_rc("query_size with count 2", gnt(GNTTABOP_query_size, q, 2), -XEN_EINVAL);

    /* frame_list at VA 0 (unmapped): a status; in the hypervisor's range: -EFAULT. */
    s.status = 0x55;
    set_xen_guest_handle(s.frame_list, NULL);
    if (check_rc("setup_table with frame_list NULL", gnt(GNTTABOP_setup_table, &s, 1), 0))
        expect_st("setup_table with frame_list NULL", s.status, GNTST_bad_virt_addr);
    s.status = 0x55;
    set_xen_guest_handle(s.frame_list, (xen_pfn_t *)HV_RANGE);
    check_rc("setup_table with frame_list in the hypervisor range",
             gnt(GNTTABOP_setup_table, &s, 1), -XEN_EFAULT);
    check_rc("setup_table with the op in the hypervisor range",
             gnt(GNTTABOP_setup_table, (void *)HV_RANGE, 1), -XEN_EFAULT);
    check_rc("query_size with the op in the hypervisor range",
             gnt(GNTTABOP_query_size, (void *)HV_RANGE, 1), -XEN_EFAULT);
    if (cur_frames() != before)
        test_failure("refused calls changed the size: %u, was %u", cur_frames(), before);
}

static void test_map_entries(void)
{
    uint32_t nr = cur_frames(), i;
    volatile uint64_t *t;
    unsigned int nonzero = 0;

    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    if (!scratch_ok)
        return;
    if (nr < 1 || nr > MAX_LIST || !map_frames(nr)) {
        scratch_ok = false;
        return;
    }
    for (i = 0; i < nr; i++) {
        unsigned int j;

        t = scratch_va(&scr, i);
        for (j = (i ? 0 : 8); j < 512; j++)
            nonzero += t[j] != 0;
    }
    if (nonzero)
        test_failure("%u entries (refs >= 8) of a fresh table are not zero", nonzero);

    grant(8, GTF_permit_access | GTF_readonly, self_id, 0x12345);
    t = scratch_va(&scr, 0);
    if (t[8] != ((uint64_t)0x12345 << 32 | (uint64_t)self_id << 16 |
                 (GTF_permit_access | GTF_readonly)))
        test_failure("entry 8 reads back as %lx", t[8]);
    grant(8, 0, 0, 0);
    if (nr > 1) {
        grant(512, GTF_permit_access, self_id, 0x777);
        expect_entry("entry 512 (frame 1)", 512, GTF_permit_access, self_id, 0x777);
        grant(512, 0, 0, 0);
    }
}

static void test_copy_gref_to_frame(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];

    if (!scratch_ok)
        return;
    grant(10, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    prepare(src, dst, 100, 300, 200);
    if (expect_st("copy gref 10 -> own frame", copy1(by_ref(10, 100), by_frame(dst, 300), 200),
                  GNTST_okay))
        expect_dst("copy gref 10 -> own frame", dst);
    expect_entry("gref 10 after the copy", 10, GTF_permit_access | GTF_readonly, self_id,
                 virt_to_mfn(src));

    /* The granter may be named DOMID_SELF too. */
    prepare(src, dst, 0, 4000, 96);
    if (expect_st("copy gref 10 (DOMID_SELF) -> own frame",
                  copy1((struct side){ true, 10, DOMID_SELF, 0 }, by_frame(dst, 4000), 96),
                  GNTST_okay))
        expect_dst("copy gref 10 (DOMID_SELF) -> own frame", dst);
    expect_entry("gref 10 after the second copy", 10, GTF_permit_access | GTF_readonly,
                 self_id, virt_to_mfn(src));
}

static void test_copy_frame_to_gref(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];

    if (!scratch_ok)
        return;
    grant(11, GTF_permit_access, self_id, virt_to_mfn(dst));
    prepare(src, dst, 1, 4095, 1);
    if (expect_st("copy own frame -> gref 11", copy1(by_frame(src, 1), by_ref(11, 4095), 1),
                  GNTST_okay))
        expect_dst("copy own frame -> gref 11", dst);
    expect_entry("gref 11 after the copy", 11, GTF_permit_access, self_id, virt_to_mfn(dst));

    prepare(src, dst, 2048, 17, 1000);
    if (expect_st("copy own frame -> gref 11 (1000 bytes)",
                  copy1(by_frame(src, 2048), by_ref(11, 17), 1000), GNTST_okay))
        expect_dst("copy own frame -> gref 11 (1000 bytes)", dst);
    expect_entry("gref 11 after the second copy", 11, GTF_permit_access, self_id,
                 virt_to_mfn(dst));
}

static void test_copy_gref_to_gref(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];
    uint32_t last = cur_frames() * 512 - 1;

    if (!scratch_ok)
        return;
    grant(12, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(13, GTF_permit_access, self_id, virt_to_mfn(dst));
    prepare(src, dst, 0, 0, PAGE_SIZE);
    if (expect_st("copy gref 12 -> gref 13 (whole page)",
                  copy1(by_ref(12, 0), by_ref(13, 0), PAGE_SIZE), GNTST_okay))
        expect_dst("copy gref 12 -> gref 13 (whole page)", dst);
    prepare(src, dst, 3000, 5, 0);
    expect_st("copy gref 12 -> gref 13 (0 bytes)", copy1(by_ref(12, 3000), by_ref(13, 5), 0),
              GNTST_okay);
    expect_dst("copy of 0 bytes", dst);
    expect_entry("gref 12 after the copies", 12, GTF_permit_access | GTF_readonly, self_id,
                 virt_to_mfn(src));
    expect_entry("gref 13 after the copies", 13, GTF_permit_access, self_id, virt_to_mfn(dst));

    /* The last ref of the table. */
    if (last / 512 < mapped_frames) {
        grant(last, GTF_permit_access, self_id, virt_to_mfn(dst));
        prepare(src, dst, 8, 16, 64);
        if (expect_st("copy gref 12 -> the last ref", copy1(by_ref(12, 8), by_ref(last, 16), 64),
                      GNTST_okay))
            expect_dst("copy gref 12 -> the last ref", dst);
        expect_entry("the last ref after the copy", last, GTF_permit_access, self_id,
                     virt_to_mfn(dst));
        grant(last, 0, 0, 0);
    }
}

static void test_copy_batch(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];
    struct gnttab_copy c[3];
    long rc;

    if (!scratch_ok)
        return;
    grant(12, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(13, GTF_permit_access, self_id, virt_to_mfn(dst));
    prepare(src, dst, 0, 0, 0);
    memcpy((uint8_t *)ref_page + 10, (uint8_t *)src + 20, 30);
    memcpy((uint8_t *)ref_page + 500, (uint8_t *)src + 600, 40);
    make_copy(&c[0], by_ref(12, 20), by_ref(13, 10), 30);
    make_copy(&c[1], by_ref(12, 0), by_ref(12, 100), 30);      /* read-only as dest */
    make_copy(&c[2], by_ref(12, 600), by_frame(dst, 500), 40);
    rc = gnt(GNTTABOP_copy, c, 3);
    if (!check_rc("copy batch of 3", rc, 0))
        return;
    expect_st("batch element 0", c[0].status, GNTST_okay);
    expect_st("batch element 1 (read-only entry as destination)", c[1].status,
              GNTST_general_error);
    expect_st("batch element 2", c[2].status, GNTST_okay);
    expect_dst("copy batch", dst);
    expect_entry("gref 12 after the batch", 12, GTF_permit_access | GTF_readonly, self_id,
                 virt_to_mfn(src));
    expect_entry("gref 13 after the batch", 13, GTF_permit_access, self_id, virt_to_mfn(dst));
}

/* A copy that must fail with 'want', leaving dst and the used entries unchanged. */
static void refused(const char *what, struct side s, struct side d, uint16_t len, int16_t want,
                    int16_t alt)
{
    void *dst = pages[PG_B];
    uint64_t e20 = *(volatile uint64_t *)gent(20), e21 = *(volatile uint64_t *)gent(21);
    int16_t st;

    pattern(dst, 0x3c);
    memcpy(ref_page, dst, PAGE_SIZE);
    st = copy1(s, d, len);
    if (st != want && (alt == GNTST_okay || st != alt))
        expect_st(what, st, want);
    else if (st == alt && alt != want)
        printk("  (%s: refused with %d %s)\n", what, st, st_name(st));
    expect_dst(what, dst);
    if (*(volatile uint64_t *)gent(20) != e20 || *(volatile uint64_t *)gent(21) != e21)
        test_failure("%s: entries 20/21 changed to %lx %lx (were %lx %lx)", what,
                     *(volatile uint64_t *)gent(20), *(volatile uint64_t *)gent(21), e20, e21);
}

static void test_copy_errors(void)
{
    void *src = pages[PG_A], *dst = pages[PG_B];
    uint32_t end = cur_frames() * 512;
    static const domid_t bad[] = { DOMID_IO, DOMID_XEN, 0x7fef };
    struct gnttab_copy c;
    unsigned int i;
    char what[80];

    if (!scratch_ok)
        return;
    pattern(src, 0x11);
    /* 20: a good read-only source grant, 21: a good writable destination grant. */
    grant(20, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(src));
    grant(21, GTF_permit_access, self_id, virt_to_mfn(dst));

    refused("source ref == table end", by_ref(end, 0), by_ref(21, 0), 8, GNTST_bad_gntref, 0);
    refused("dest ref == table end", by_ref(20, 0), by_ref(end, 0), 8, GNTST_bad_gntref, 0);
    refused("source ref table end + 1000", by_ref(end + 1000, 0), by_ref(21, 0), 8,
            GNTST_bad_gntref, 0);

    grant(22, GTF_invalid, self_id, virt_to_mfn(src));
    refused("source entry GTF_invalid", by_ref(22, 0), by_ref(21, 0), 8, GNTST_general_error, 0);
    grant(22, GTF_accept_transfer, self_id, virt_to_mfn(src));
    refused("source entry GTF_accept_transfer", by_ref(22, 0), by_ref(21, 0), 8,
            GNTST_general_error, 0);
    grant(22, GTF_permit_access, (domid_t)(self_id + 1), virt_to_mfn(src));
    refused("source granted to another domain", by_ref(22, 0), by_ref(21, 0), 8,
            GNTST_general_error, 0);
    grant(22, GTF_permit_access, DOMID_SELF, virt_to_mfn(dst));
    refused("dest entry naming DOMID_SELF instead of our id", by_ref(20, 0), by_ref(22, 0), 8,
            GNTST_general_error, 0);
    grant(22, GTF_permit_access, (domid_t)(self_id + 1), virt_to_mfn(dst));
    refused("dest granted to another domain", by_ref(20, 0), by_ref(22, 0), 8,
            GNTST_general_error, 0);
    grant(22, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(dst));
    refused("read-only entry as destination", by_ref(20, 0), by_ref(22, 0), 8,
            GNTST_general_error, 0);
    expect_entry("read-only dest entry after the refusal", 22, GTF_permit_access | GTF_readonly,
                 self_id, virt_to_mfn(dst));

    refused("source offset + len past the page", by_ref(20, 4000), by_ref(21, 0), 200,
            GNTST_bad_copy_arg, 0);
    refused("dest offset + len past the page", by_ref(20, 0), by_ref(21, 4000), 200,
            GNTST_bad_copy_arg, 0);
    refused("own frames, dest offset 4095 len 2", by_frame(src, 0), by_frame(dst, 4095), 2,
            GNTST_bad_copy_arg, 0);
    refused("own frames, len 4097", by_frame(src, 0), by_frame(dst, 0), 4097,
            GNTST_bad_copy_arg, 0);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        snprintf(what, sizeof(what), "source granter 0x%x", bad[i]);
        refused(what, (struct side){ true, 20, bad[i], 0 }, by_ref(21, 0), 8,
                GNTST_bad_domain, 0);
        snprintf(what, sizeof(what), "dest granter 0x%x", bad[i]);
        refused(what, by_ref(20, 0), (struct side){ true, 21, bad[i], 0 }, 8,
                GNTST_bad_domain, 0);
    }
    refused("own source frame named by our id", (struct side){ false, virt_to_mfn(src),
            self_id, 0 }, by_ref(21, 0), 8, GNTST_permission_denied, 0);
    /* Xen 4.17 looks the domain up before it insists on DOMID_SELF for a frame. */
    refused("own dest frame named by DOMID_IO", by_ref(20, 0),
            (struct side){ false, virt_to_mfn(dst), DOMID_IO, 0 }, 8, GNTST_bad_domain, 0);

    refused("source frame not ours", (struct side){ false, NOT_OURS, DOMID_SELF, 0 },
            by_ref(21, 0), 8, GNTST_bad_page, 0);
    refused("dest frame not ours", by_ref(20, 0),
            (struct side){ false, NOT_OURS, DOMID_SELF, 0 }, 8, GNTST_bad_page, 0);
    grant(22, GTF_permit_access, self_id, NOT_OURS);
    refused("entry naming a frame not ours (source)", by_ref(22, 0), by_ref(21, 0), 8,
            GNTST_bad_page, 0);
    refused("entry naming a frame not ours (dest)", by_ref(20, 0), by_ref(22, 0), 8,
            GNTST_bad_page, 0);
    grant(22, 0, 0, 0);

    expect_entry("entry 20 after the refusals", 20, GTF_permit_access | GTF_readonly, self_id,
                 virt_to_mfn(src));
    expect_entry("entry 21 after the refusals", 21, GTF_permit_access, self_id,
                 virt_to_mfn(dst));

    /* count 0: nothing read, nothing written. */
    make_copy(&c, by_ref(20, 0), by_ref(21, 0), 8);
    check_rc("copy with count 0", gnt(GNTTABOP_copy, &c, 0), 0);
    if (c.status != 0x55)
        test_failure("copy with count 0 wrote the status (%d)", c.status);
    check_rc("copy with the array in the hypervisor range",
             gnt(GNTTABOP_copy, (void *)HV_RANGE, 1), -XEN_EFAULT);
}

static void test_other_subops(void)
{
    struct gnttab_map_grant_ref m = { .ref = 20, .dom = DOMID_SELF, .flags = 0 };
    struct gnttab_unmap_grant_ref u = { .handle = 0xffffff };
    struct gnttab_set_version sv = { .version = 1 };
    struct gnttab_get_version gv = { .dom = DOMID_SELF };
    long rc;

    m.status = 0x55;
    u.status = 0x55;
    /* Harmless forms only (tests/hc-grant-map has the rest): no host_map flag, a
     * handle never given. */
    if (check_rc("map_grant_ref without GNTMAP_host_map", gnt(GNTTABOP_map_grant_ref, &m, 1),
                 0))
        expect_st("map_grant_ref without GNTMAP_host_map", m.status, GNTST_bad_gntref);
    if (check_rc("unmap_grant_ref of handle 0xffffff", gnt(GNTTABOP_unmap_grant_ref, &u, 1),
                 0))
        expect_st("unmap_grant_ref of handle 0xffffff", u.status, GNTST_bad_handle);
    if (!on_xen) {
        check_rc("set_version(1)", gnt(GNTTABOP_set_version, &sv, 1), -XEN_ENOSYS);
        check_rc("get_version", gnt(GNTTABOP_get_version, &gv, 1), -XEN_ENOSYS);
    } else {
        /* The version we already have; Xen's answers are printed, not judged. */
        rc = gnt(GNTTABOP_get_version, &gv, 1);
        printk("  xen: get_version: rc %ld version %u\n", rc, gv.version);
        rc = gnt(GNTTABOP_set_version, &sv, 1);
        printk("  xen: set_version(1): rc %ld version %u\n", rc, sv.version);
    }
    check_rc("sub-op 13", gnt(13, &m, 1), -XEN_ENOSYS);
    check_rc("sub-op 63", gnt(63, &m, 1), -XEN_ENOSYS);
}

static const struct subtest cases[] = {
    { "query_size at boot", test_query_boot },
    { "setup_table: frames stable across calls", test_setup_stable },
    { "setup_table: growth, never shrinking", test_setup_grow },
    { "setup_table / query_size errors", test_setup_errors },
    { "table frames mapped RW, v1 entries written", test_map_entries },
    { "copy gref -> own frame", test_copy_gref_to_frame },
    { "copy own frame -> gref", test_copy_frame_to_gref },
    { "copy gref -> gref", test_copy_gref_to_gref },
    { "copy batch with per-element status", test_copy_batch },
    { "copy errors", test_copy_errors },
    { "map/unmap/set_version/get_version and unknown sub-ops", test_other_subops },
};

void test_main(void)
{
    on_xen = on_xen_reference();
    if (!learn_self_id())
        return;
    printk("  domain id %u%s\n", self_id, on_xen ? " (Xen reference)" : "");

    RUN_SUBTESTS(cases);
    if (scratch_ok)
        scratch_fini(&scr);
}
