/*
 * hc-grant-map: GNTTABOP_map_grant_ref and GNTTABOP_unmap_grant_ref, host mappings of a
 * frame we grant to ourselves (our own domain id; DOMID_SELF names no domain there).
 *
 * Checks (xen/include/public/grant_table.h; Xen 4.17 common/grant_table.c and
 * arch/x86/pv/grant_table.c are the reference; docs/abi/grants.md):
 * - a writable mapping at a VA: GNTST_okay, dev_bus_addr = the frame's machine address,
 *   GTF_reading|GTF_writing set in the entry while mapped; the L1 entry maps our frame
 *   present, writable, no-execute (and, on Parapet, with the grant marker, bit 62);
 *   bytes written through the mapping are read through the frame's own mapping and back;
 *   after unmap the flags are exactly as we wrote them, the entry is 0 and the VA
 *   faults (the TLB was flushed);
 * - a read-only mapping of a GTF_readonly grant: GTF_reading only, no RW in the entry,
 *   reads work and a write takes #PF(P|W) with the frame unchanged; the same grant
 *   mapped writable: GNTST_general_error with no flag left behind;
 * - GNTMAP_contains_pte: host_addr is the machine address of an entry of our L1; the
 *   VA of that entry then reads the frame; unmapped by the same address;
 * - a present entry at host_addr is replaced (Xen drops the old mapping; the auditor
 *   checks its references went back) and, on Parapet, the VA reads the granted frame
 *   at once (the TLB is flushed after a map; Xen leaves that to the guest, which
 *   invalidates the VA there); unmap leaves the entry empty;
 * - a read-only and a writable mapping of one grant: GTF_writing goes with the last
 *   writable one, GTF_reading with the last one;
 * - batches: three elements with a bad middle one give per-element status (map and
 *   unmap); count 0 touches nothing; an array at an unmapped VA or in the hypervisor
 *   range is -EFAULT;
 * - errors, each leaving the entry's flags and the target entry as they were: no
 *   GNTMAP_host_map (bad_gntref), GNTMAP_device_map with or without host_map
 *   (general_error on Parapet, no device mappings; Xen maps it and we unmap it), a ref
 *   at the table end or 0xffffffff (bad_gntref), DOMID_SELF / DOMID_IO / DOMID_XEN /
 *   our id + 1 / 0x7fef (bad_domain), an entry granted to another domain or not
 *   GTF_permit_access (general_error), host_addr with no L1 under it, in the hypervisor
 *   range or non-canonical (general_error), a misaligned contains_pte address
 *   (general_error); unmap of handles never given or out of range (bad_handle), a
 *   second unmap (bad_handle), an unmap at another host_addr (general_error, the
 *   mapping still works and unmaps at its own address);
 * - two mappings (VA and contains_pte) are left in place at exit: the teardown revokes
 *   them (the e2e leak check, tests/e2e/leak-cycles.sh, boots this guest).
 * How: our frames are pages of our .bss, the table's frame 0 and the targets are entries
 * of a scratch L1 (tests/mm-common/pv_mm.h), read through its read-only mapping; the
 * grant entries are written natively through the table mapping.
 * Cannot detect: another domain's mappings (one domain at a time), reference counts
 * (the audit option, on in every test run, recomputes them after each hypercall).
 */
#include "../mm-common/grant.h"

const char test_title[] = "hc-grant-map: map_grant_ref / unmap_grant_ref host mappings";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define SPARE_VA    0x20200000UL        /* boot L2 slot 257: stays empty (no L1) */
#define HV_VA       0xffff830000000000UL
#define NONCANON_VA 0x0000800000000000UL
#define E           64                  /* scratch entries E.. are mapping targets */

#define R_RW        10                  /* GTF_permit_access grant of PG_DATA */
#define R_RO        11                  /* GTF_readonly grant of PG_DATA2 */
#define R_SPARE     12                  /* rewritten by the error cases */

enum { PG_SCRATCH, PG_DATA, PG_DATA2, PG_OTHER, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);

static bool ready, on_xen;
static uint32_t nr_entries;

static unsigned long va_at(unsigned int i) { return (unsigned long)scratch_va(&scr, i); }
static unsigned long maddr_at(unsigned int i) { return scr.l1_maddr + i * 8UL; }
static uint64_t entry_at(unsigned int i) { return ((volatile uint64_t *)scr.l1)[i]; }
static volatile uint64_t *word(unsigned long va, unsigned int i)
{
    return (volatile uint64_t *)va + i;
}

static bool expect_flags(const char *what, grant_ref_t ref, uint16_t want)
{
    if (gflags(ref) == want)
        return true;
    test_failure("%s: entry %u flags 0x%x, expected 0x%x", what, ref, gflags(ref), want);
    return false;
}

/* Scratch entry i is a grant mapping of page, writable or not. */
static void expect_grant_entry(const char *what, unsigned int i, const void *page, bool rw)
{
    uint64_t e = entry_at(i), want = PTE_P | (rw ? PTE_RW : 0) | PTE_NX;

    if (pte_mfn(e) != virt_to_mfn(page) || (e & (PTE_P | PTE_RW | PTE_NX)) != want)
        test_failure("%s: entry %u is %lx, expected mfn %lx with flags %lx", what, i, e,
                     virt_to_mfn(page), want);
    printk("  %s: entry %lx\n", what, e);
    if (!on_xen && !(e & PTE_GNTTAB))
        test_failure("%s: entry %lx lacks the grant marker (bit 62)", what, e);
}

static void expect_unmapped(const char *what, unsigned int i)
{
    if (entry_at(i))
        test_failure("%s: entry %u is %lx after unmap, expected 0", what, i, entry_at(i));
    expect_exinfo(what, probe_read(word(va_at(i), 0)), EXINFO(X86_PF, 0));
}

static void data_grants(void)
{
    grant(R_RW, GTF_permit_access, self_id, virt_to_mfn(pages[PG_DATA]));
    grant(R_RO, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(pages[PG_DATA2]));
}

/* ---- subtests ------------------------------------------------------------------------ */

static void test_map_writable(void)
{
    grant_handle_t h = 0;
    uint64_t bus = 0;

    memset(pages[PG_DATA], 0x11, PAGE_SIZE);
    if (!expect_st("map RW", map_ref(self_id, R_RW, va_at(E), GNTMAP_host_map, &h, &bus),
                   GNTST_okay))
        return;
    printk("  handle %u, dev_bus_addr %lx\n", h, bus);
    if (bus != virt_to_mfn(pages[PG_DATA]) << PAGE_SHIFT)
        test_failure("dev_bus_addr %lx, expected %lx", bus,
                     virt_to_mfn(pages[PG_DATA]) << PAGE_SHIFT);
    expect_flags("mapped RW", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
    expect_grant_entry("mapped RW", E, pages[PG_DATA], true);
    if (*word(va_at(E), 5) != 0x1111111111111111UL)
        test_failure("read through the mapping: %lx", *word(va_at(E), 5));
    *word(va_at(E), 7) = 0xfeedface12345678UL;
    if (pages[PG_DATA][7] != 0xfeedface12345678UL)
        test_failure("write through the mapping not seen in the frame: %lx",
                     pages[PG_DATA][7]);
    pages[PG_DATA][9] = 0x0123456789abcdefUL;
    if (*word(va_at(E), 9) != 0x0123456789abcdefUL)
        test_failure("write to the frame not seen through the mapping");
    expect_st("unmap RW", unmap_ref(h, va_at(E), 0), GNTST_okay);
    expect_flags("unmapped", R_RW, GTF_permit_access);
    expect_unmapped("read after unmap", E);
}

static void test_map_readonly(void)
{
    grant_handle_t h = 0;
    uint64_t sum;

    memset(pages[PG_DATA2], 0x22, PAGE_SIZE);
    sum = page_sum(pages[PG_DATA2]);
    expect_st("GTF_readonly grant mapped RW",
              map_ref(self_id, R_RO, va_at(E + 1), GNTMAP_host_map, &h, NULL),
              GNTST_general_error);
    expect_flags("after the refused RW map", R_RO, GTF_permit_access | GTF_readonly);
    if (entry_at(E + 1))
        test_failure("refused map left entry %lx", entry_at(E + 1));
    if (!expect_st("map RO", map_ref(self_id, R_RO, va_at(E + 1),
                                     GNTMAP_host_map | GNTMAP_readonly, &h, NULL),
                   GNTST_okay))
        return;
    expect_flags("mapped RO", R_RO, GTF_permit_access | GTF_readonly | GTF_reading);
    expect_grant_entry("mapped RO", E + 1, pages[PG_DATA2], false);
    if (*word(va_at(E + 1), 100) != 0x2222222222222222UL)
        test_failure("read through the RO mapping: %lx", *word(va_at(E + 1), 100));
    expect_exinfo("write through the RO mapping",
                  probe_write_val(word(va_at(E + 1), 3), 0xbad),
                  EXINFO(X86_PF, PFEC_P | PFEC_W));
    if (page_sum(pages[PG_DATA2]) != sum)
        test_failure("the frame changed through a read-only mapping");
    expect_st("unmap RO", unmap_ref(h, va_at(E + 1), 0), GNTST_okay);
    expect_flags("unmapped RO", R_RO, GTF_permit_access | GTF_readonly);
    expect_unmapped("read after unmap", E + 1);
}

static void test_contains_pte(void)
{
    grant_handle_t h = 0, h2 = 0;

    pages[PG_DATA][1] = 0x5151UL;
    if (!expect_st("map contains_pte",
                   map_ref(self_id, R_RW, maddr_at(E + 2),
                           GNTMAP_host_map | GNTMAP_contains_pte, &h, NULL),
                   GNTST_okay))
        return;
    expect_grant_entry("contains_pte RW", E + 2, pages[PG_DATA], true);
    if (*word(va_at(E + 2), 1) != 0x5151UL)
        test_failure("read through the contains_pte mapping: %lx", *word(va_at(E + 2), 1));
    if (expect_st("map contains_pte RO",
                  map_ref(self_id, R_RO, maddr_at(E + 3),
                          GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly, &h2, NULL),
                  GNTST_okay)) {
        expect_grant_entry("contains_pte RO", E + 3, pages[PG_DATA2], false);
        expect_st("unmap contains_pte RO", unmap_ref(h2, maddr_at(E + 3), 0), GNTST_okay);
        expect_unmapped("after unmap of contains_pte RO", E + 3);
    }
    expect_st("unmap contains_pte", unmap_ref(h, maddr_at(E + 2), 0), GNTST_okay);
    expect_unmapped("after unmap of contains_pte", E + 2);
    expect_flags("unmapped", R_RW, GTF_permit_access);
}

static void test_over_present_entry(void)
{
    grant_handle_t h = 0;
    long rc;

    pages[PG_OTHER][0] = 0x07e7UL;
    pages[PG_DATA][0] = 0xda7aUL;
    rc = scratch_set(&scr, E + 4, pte_of(pages[PG_OTHER], PT_RW));
    if (rc || *word(va_at(E + 4), 0) != 0x07e7UL) {
        test_error("mapping our page at scratch entry %u: %ld", E + 4, rc);
        return;
    }
    if (!expect_st("map over a present entry",
                   map_ref(self_id, R_RW, va_at(E + 4), GNTMAP_host_map, &h, NULL),
                   GNTST_okay))
        return;
    expect_grant_entry("over a present entry", E + 4, pages[PG_DATA], true);
    /* Parapet flushes after a map; Xen does not (the guest invalidates the VA). */
    if (on_xen)
        invlpg(va_at(E + 4));
    if (*word(va_at(E + 4), 0) != 0xda7aUL)
        test_failure("the VA still reads the old frame (%lx)", *word(va_at(E + 4), 0));
    expect_st("unmap", unmap_ref(h, va_at(E + 4), 0), GNTST_okay);
    expect_unmapped("after unmap (the old mapping is not restored)", E + 4);
}

static void test_mixed_kinds(void)
{
    grant_handle_t hw = 0, hr = 0;

    if (!expect_st("map RW", map_ref(self_id, R_RW, va_at(E + 5), GNTMAP_host_map, &hw, NULL),
                   GNTST_okay))
        return;
    if (!expect_st("map RO", map_ref(self_id, R_RW, va_at(E + 6),
                                     GNTMAP_host_map | GNTMAP_readonly, &hr, NULL),
                   GNTST_okay))
        return;
    if (hw == hr)
        test_failure("two mappings got the same handle %u", hw);
    expect_flags("RW + RO", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
    expect_st("unmap RW", unmap_ref(hw, va_at(E + 5), 0), GNTST_okay);
    expect_flags("RO left", R_RW, GTF_permit_access | GTF_reading);
    expect_st("unmap RO", unmap_ref(hr, va_at(E + 6), 0), GNTST_okay);
    expect_flags("none left", R_RW, GTF_permit_access);
}

static void test_batches(void)
{
    static struct gnttab_map_grant_ref m[3];
    static struct gnttab_unmap_grant_ref u[3];

    memset(m, 0, sizeof(m));
    m[0] = (struct gnttab_map_grant_ref){ .host_addr = va_at(E + 7), .flags = GNTMAP_host_map,
                                          .ref = R_RW, .dom = self_id, .status = 0x55 };
    m[1] = m[0];
    m[1].ref = nr_entries;
    m[1].host_addr = va_at(E + 8);
    m[2] = m[0];
    m[2].host_addr = va_at(E + 9);
    m[2].flags |= GNTMAP_readonly;
    if (!check_rc("map batch of 3", gnt(GNTTABOP_map_grant_ref, m, 3), 0))
        return;
    expect_st("batch element 0", m[0].status, GNTST_okay);
    expect_st("batch element 1", m[1].status, GNTST_bad_gntref);
    expect_st("batch element 2", m[2].status, GNTST_okay);
    if (entry_at(E + 8))
        test_failure("the refused element left entry %lx", entry_at(E + 8));
    u[0] = (struct gnttab_unmap_grant_ref){ .host_addr = va_at(E + 7), .handle = m[0].handle,
                                            .status = 0x55 };
    u[1] = (struct gnttab_unmap_grant_ref){ .host_addr = va_at(E + 8), .handle = 999,
                                            .status = 0x55 };
    u[2] = (struct gnttab_unmap_grant_ref){ .host_addr = va_at(E + 9), .handle = m[2].handle,
                                            .status = 0x55 };
    if (check_rc("unmap batch of 3", gnt(GNTTABOP_unmap_grant_ref, u, 3), 0)) {
        expect_st("unmap element 0", u[0].status, GNTST_okay);
        expect_st("unmap element 1", u[1].status, GNTST_bad_handle);
        expect_st("unmap element 2", u[2].status, GNTST_okay);
    }
    expect_flags("after the batches", R_RW, GTF_permit_access);

    m[0].status = 0x55;
    check_rc("map with count 0", gnt(GNTTABOP_map_grant_ref, m, 0), 0);
    check_rc("unmap with count 0", gnt(GNTTABOP_unmap_grant_ref, u, 0), 0);
    if (m[0].status != 0x55)
        test_failure("count 0 wrote the element (status %d)", m[0].status);
    check_rc("map array unmapped", gnt(GNTTABOP_map_grant_ref, (void *)SPARE_VA, 1),
             -XEN_EFAULT);
    check_rc("unmap array unmapped", gnt(GNTTABOP_unmap_grant_ref, (void *)SPARE_VA, 1),
             -XEN_EFAULT);
    check_rc("map array in the hypervisor range",
             gnt(GNTTABOP_map_grant_ref, (void *)HV_VA, 1), -XEN_EFAULT);
    expect_flags("after the faults", R_RW, GTF_permit_access);
}

/* A map that must be refused with 'want', leaving the grant and the target alone. */
static void refused(const char *what, domid_t dom, grant_ref_t ref, unsigned long addr,
                    uint32_t flags, int16_t want)
{
    grant_handle_t h = 0;

    if (expect_st(what, map_ref(dom, ref, addr, flags, &h, NULL), want))
        return;
    printk("  (%s was mapped: handle %u; unmapping)\n", what, h);
    unmap_ref(h, addr, 0);
}

static void test_map_errors(void)
{
    grant_handle_t h = 0;
    uint64_t bus = 0;
    int16_t st;

    refused("no flags", self_id, R_RW, va_at(E + 10), 0, GNTST_bad_gntref);
    refused("GNTMAP_readonly only", self_id, R_RW, va_at(E + 10), GNTMAP_readonly,
            GNTST_bad_gntref);
    refused("ref at the table end", self_id, nr_entries, va_at(E + 10), GNTMAP_host_map,
            GNTST_bad_gntref);
    refused("ref 0xffffffff", self_id, 0xffffffffu, va_at(E + 10), GNTMAP_host_map,
            GNTST_bad_gntref);
    refused("DOMID_SELF", DOMID_SELF, R_RW, va_at(E + 10), GNTMAP_host_map, GNTST_bad_domain);
    refused("DOMID_IO", DOMID_IO, R_RW, va_at(E + 10), GNTMAP_host_map, GNTST_bad_domain);
    refused("DOMID_XEN", DOMID_XEN, R_RW, va_at(E + 10), GNTMAP_host_map, GNTST_bad_domain);
    refused("our id + 1", (domid_t)(self_id + 1), R_RW, va_at(E + 10), GNTMAP_host_map,
            GNTST_bad_domain);
    refused("domain 0x7fef", 0x7fef, R_RW, va_at(E + 10), GNTMAP_host_map, GNTST_bad_domain);
    grant(R_SPARE, GTF_permit_access, (domid_t)(self_id + 1), virt_to_mfn(pages[PG_DATA]));
    refused("granted to another domain", self_id, R_SPARE, va_at(E + 10), GNTMAP_host_map,
            GNTST_general_error);
    grant(R_SPARE, GTF_invalid, self_id, virt_to_mfn(pages[PG_DATA]));
    refused("GTF_invalid entry", self_id, R_SPARE, va_at(E + 10), GNTMAP_host_map,
            GNTST_general_error);
    refused("no L1 under host_addr", self_id, R_RW, SPARE_VA, GNTMAP_host_map,
            GNTST_general_error);
    refused("host_addr in the hypervisor range", self_id, R_RW, HV_VA, GNTMAP_host_map,
            GNTST_general_error);
    refused("host_addr not canonical", self_id, R_RW, NONCANON_VA, GNTMAP_host_map,
            GNTST_general_error);
    refused("contains_pte misaligned", self_id, R_RW, maddr_at(E + 10) + 4,
            GNTMAP_host_map | GNTMAP_contains_pte, GNTST_general_error);
    expect_flags("after the refusals", R_RW, GTF_permit_access);
    expect_flags("after the refusals", R_SPARE, GTF_invalid);
    if (entry_at(E + 10))
        test_failure("a refused map left entry %lx", entry_at(E + 10));

    /* Device mappings: Parapet has none (no IOMMU, no bus addresses); Xen makes one. */
    st = map_ref(self_id, R_RW, 0, GNTMAP_device_map, &h, &bus);
    if (on_xen) {
        printk("  xen: device_map: status %d, dev_bus_addr %lx\n", st, bus);
        if (st == GNTST_okay)
            expect_st("xen: unmap the device mapping", unmap_ref(h, 0, bus), GNTST_okay);
        st = map_ref(self_id, R_RW, va_at(E + 10), GNTMAP_device_map | GNTMAP_host_map, &h,
                     &bus);
        printk("  xen: device_map|host_map: status %d\n", st);
        if (st == GNTST_okay)
            expect_st("xen: unmap device+host", unmap_ref(h, va_at(E + 10), bus),
                      GNTST_okay);
    } else {
        expect_st("device_map", st, GNTST_general_error);
        refused("device_map|host_map", self_id, R_RW, va_at(E + 10),
                GNTMAP_device_map | GNTMAP_host_map, GNTST_general_error);
    }
    expect_flags("after device mappings", R_RW, GTF_permit_access);
}

static void test_unmap_errors(void)
{
    grant_handle_t h = 0;

    expect_st("handle 0xffffffff", unmap_ref(0xffffffffu, va_at(E + 11), 0),
              GNTST_bad_handle);
    expect_st("handle 1000000", unmap_ref(1000000, va_at(E + 11), 0), GNTST_bad_handle);
    expect_st("handle never given", unmap_ref(500, va_at(E + 11), 0), GNTST_bad_handle);
    if (!expect_st("map", map_ref(self_id, R_RW, va_at(E + 11), GNTMAP_host_map, &h, NULL),
                   GNTST_okay))
        return;
    expect_st("unmap at another host_addr", unmap_ref(h, va_at(E + 12), 0),
              GNTST_general_error);
    expect_grant_entry("still mapped", E + 11, pages[PG_DATA], true);
    expect_flags("still mapped", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
    pages[PG_DATA][2] = 0x2222UL;
    if (*word(va_at(E + 11), 2) != 0x2222UL)
        test_failure("the mapping stopped working after the refused unmap");
    expect_st("unmap", unmap_ref(h, va_at(E + 11), 0), GNTST_okay);
    expect_st("second unmap", unmap_ref(h, va_at(E + 11), 0), GNTST_bad_handle);
    expect_flags("after the second unmap", R_RW, GTF_permit_access);
    expect_unmapped("after the unmaps", E + 11);
}

static void test_left_mapped(void)
{
    expect_st("map left at exit (VA)",
              map_ref(self_id, R_RW, va_at(E + 13), GNTMAP_host_map, NULL, NULL), GNTST_okay);
    expect_st("map left at exit (contains_pte)",
              map_ref(self_id, R_RO, maddr_at(E + 14),
                      GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly, NULL, NULL),
              GNTST_okay);
    expect_flags("left mapped", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
}

static const struct subtest cases[] = {
    { "writable mapping at a VA", test_map_writable },
    { "read-only mapping, write faults", test_map_readonly },
    { "GNTMAP_contains_pte", test_contains_pte },
    { "a present entry at host_addr is replaced", test_over_present_entry },
    { "read-only and writable mappings of one grant", test_mixed_kinds },
    { "batches, count 0, unreadable arrays", test_batches },
    { "map errors", test_map_errors },
    { "unmap errors", test_unmap_errors },
    { "mappings left for the teardown", test_left_mapped },
};

void test_main(void)
{
    xen_pfn_t frame0;

    on_xen = on_xen_reference();
    if (!learn_self_id() || query(DOMID_SELF, &nr_entries, NULL) != GNTST_okay)
        return;
    nr_entries *= 512;
    printk("  domain id %u, %u grant entries%s\n", self_id, nr_entries,
           on_xen ? " (Xen reference)" : "");
    ready = table_frame0_mapped(pages[PG_SCRATCH], SCRATCH_VA, &frame0);
    if (!ready)
        return;
    data_grants();
    RUN_SUBTESTS(cases);
    /* No scratch_fini: clearing the grant mappings left in place with mmu_update would
     * be an implicit unmap (tests/xsa-a13-grant-unmap); the teardown revokes them. */
}
