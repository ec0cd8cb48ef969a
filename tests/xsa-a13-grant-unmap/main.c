/*
 * xsa-a13-grant-unmap: attack A13 of security-invariants.md (XSA-224, -234, -218 class):
 * grant mappings of mixed kinds, unmapped in odd orders, partially, twice, with stale
 * handles, or behind the grant table's back through the PV MMU, to leak or underflow
 * references or leave a frame mapped without a pin.
 *
 * Checks:
 * - kind mismatch: a GTF_readonly grant mapped writable is refused (general_error) with
 *   no GTF_reading/GTF_writing left; mapped read-only it works;
 * - three mappings of one grant (writable at a VA, read-only at a VA, writable through
 *   GNTMAP_contains_pte), unmapped in two different orders: GTF_writing clears with the
 *   last writable mapping, GTF_reading with the last mapping, each VA faults once its
 *   own mapping is gone and the others still read the frame;
 * - partial unmaps: host_addr 0, dev_bus_addr alone, and the host_addr of another live
 *   mapping are refused on Parapet (general_error; Xen answers okay having done nothing
 *   for the first two) and leave every mapping intact and unmappable at its own
 *   address (dev_bus_addr echoed back or not: host mappings ignore it);
 * - a second unmap, a duplicate handle in one batch, a stale handle (whose number a
 *   later mapping reuses) at its old address: bad_handle or general_error, never an
 *   unmap of the wrong mapping;
 * - 200 map/unmap cycles of alternating kinds leave the entry's flags clean;
 * - guest updates of a grant mapping's L1 entry: A/D-only changes (mmu_update) keep
 *   the mapping working and unmappable; the grant marker (bit 62) is refused in a new
 *   L1 entry (-EINVAL on Parapet; Xen's release build has no marker and accepts it);
 * - the L1 holding grant mappings unhooked from its L2 and unpinned (Parapet only: the
 *   table stays typed, both mappings still unmap, then the page is ordinary again; on
 *   Xen's release build the table's teardown would drop the grant's references silently);
 * - implicit unmaps, last: clearing the entry with mmu_update (a batch whose middle
 *   request does it) and with update_va_mapping. Parapet refuses the update (-EPERM,
 *   the batch stops there, the entry stays) and delivers #GP(0) at the hypercall's
 *   return address, as Xen 4.17's debug builds do; the mapping still unmaps. On Xen's
 *   release build (the reference) the update lands silently and the grant can no longer
 *   be unmapped: printed, not judged.
 * How: .bss pages granted to ourselves; targets are entries of scratch L1s
 * (tests/mm-common/pv_mm.h); the implicit unmaps go through a bare syscall so the #GP
 * is caught (probe_hypercall4). The audit option (on in every test run) recomputes every
 * reference count after each hypercall. AFTER=hello proves the host survived.
 * Cannot detect: races between two vCPUs (one vCPU), other domains' mappings.
 */
#include "../mm-common/grant.h"

const char test_title[] =
    "xsa-a13-grant-unmap: kinds, odd orders, partial and implicit unmaps";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256 */
#define SCRATCH2_VA 0x20400000UL        /* boot L2 slot 258: the L1 we unhook */
#define E           64                  /* scratch entries E.. are mapping targets */

#define R_RW        10                  /* grant of PG_A */
#define R_RO        11                  /* GTF_readonly grant of PG_B */
#define R_B         12                  /* grant of PG_B */
#define R_LAST      13                  /* grant of PG_C, for the implicit unmaps */

enum { PG_SCRATCH, PG_SCRATCH2, PG_A, PG_B, PG_C, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);

static bool on_xen;

static unsigned long va_at(unsigned int i) { return (unsigned long)scratch_va(&scr, i); }
static unsigned long maddr_at(unsigned int i) { return scr.l1_maddr + i * 8UL; }
static uint64_t entry_at(unsigned int i) { return ((volatile uint64_t *)scr.l1)[i]; }

static bool expect_flags(const char *what, grant_ref_t ref, uint16_t want)
{
    if (gflags(ref) == want)
        return true;
    test_failure("%s: entry %u flags 0x%x, expected 0x%x", what, ref, gflags(ref), want);
    return false;
}

/* VA va reads page's first word (tag), or faults when the page is not expected. */
static void expect_reads(const char *what, unsigned long va, const void *page)
{
    exinfo_t e = probe_read((const volatile void *)va);

    if (page && (e != EXINFO_NONE ||
                 *(const volatile uint64_t *)va != *(const volatile uint64_t *)page))
        test_failure("%s: VA %lx does not read its frame (exception %lx)", what, va,
                     (unsigned long)e);
    if (!page)
        expect_exinfo(what, e, EXINFO(X86_PF, 0));
}

static bool map_ok(const char *what, grant_ref_t ref, unsigned long addr, uint32_t flags,
                   grant_handle_t *h)
{
    return expect_st(what, map_ref(self_id, ref, addr, GNTMAP_host_map | flags, h, NULL),
                     GNTST_okay);
}

/* ---- subtests ------------------------------------------------------------------------ */

static void test_kind_mismatch(void)
{
    grant_handle_t h = 0;

    expect_st("GTF_readonly grant mapped RW",
              map_ref(self_id, R_RO, va_at(E), GNTMAP_host_map, &h, NULL),
              GNTST_general_error);
    expect_st("GTF_readonly grant mapped RW (contains_pte)",
              map_ref(self_id, R_RO, maddr_at(E), GNTMAP_host_map | GNTMAP_contains_pte, &h,
                      NULL), GNTST_general_error);
    expect_flags("after the refusals", R_RO, GTF_permit_access | GTF_readonly);
    if (entry_at(E))
        test_failure("a refused map left entry %lx", entry_at(E));
    if (!map_ok("GTF_readonly grant mapped RO", R_RO, va_at(E), GNTMAP_readonly, &h))
        return;
    expect_flags("mapped RO", R_RO, GTF_permit_access | GTF_readonly | GTF_reading);
    expect_st("unmap", unmap_ref(h, va_at(E), 0), GNTST_okay);
    expect_flags("unmapped", R_RO, GTF_permit_access | GTF_readonly);
}

/* Map R_RW three ways: [0] RW at E+1, [1] RO at E+2, [2] at E+3 by contains_pte (RW, or
 * RO when ro3). */
static bool map_three(grant_handle_t h[3], bool ro3)
{
    return map_ok("map 1", R_RW, va_at(E + 1), 0, &h[0]) &&
           map_ok("map 2", R_RW, va_at(E + 2), GNTMAP_readonly, &h[1]) &&
           map_ok("map 3", R_RW, maddr_at(E + 3),
                  GNTMAP_contains_pte | (ro3 ? GNTMAP_readonly : 0), &h[2]);
}

static void test_odd_orders(void)
{
    const uint16_t rw = GTF_permit_access | GTF_reading | GTF_writing;
    grant_handle_t h[3];

    if (!map_three(h, false))
        return;
    expect_flags("three mapped", R_RW, rw);
    expect_st("unmap RO first", unmap_ref(h[1], va_at(E + 2), 0), GNTST_okay);
    expect_flags("RO gone", R_RW, rw);
    expect_reads("RO gone: its VA", va_at(E + 2), NULL);
    expect_reads("RO gone: RW VA", va_at(E + 1), pages[PG_A]);
    expect_st("unmap RW at a VA", unmap_ref(h[0], va_at(E + 1), 0), GNTST_okay);
    expect_flags("one RW left (contains_pte)", R_RW, rw);
    expect_reads("contains_pte VA", va_at(E + 3), pages[PG_A]);
    expect_st("unmap contains_pte", unmap_ref(h[2], maddr_at(E + 3), 0), GNTST_okay);
    expect_flags("all gone", R_RW, GTF_permit_access);
    expect_reads("all gone", va_at(E + 3), NULL);

    if (!map_three(h, true))
        return;
    expect_st("unmap the only RW first", unmap_ref(h[0], va_at(E + 1), 0), GNTST_okay);
    expect_flags("RO ones left", R_RW, GTF_permit_access | GTF_reading);
    expect_reads("RO VA", va_at(E + 2), pages[PG_A]);
    expect_st("unmap contains_pte RO", unmap_ref(h[2], maddr_at(E + 3), 0), GNTST_okay);
    expect_flags("one RO left", R_RW, GTF_permit_access | GTF_reading);
    expect_st("unmap last", unmap_ref(h[1], va_at(E + 2), 0), GNTST_okay);
    expect_flags("all gone", R_RW, GTF_permit_access);
}

/* An unmap Parapet refuses; Xen answers okay without unmapping (xen_okay). */
static void partial(const char *what, grant_handle_t h, unsigned long addr, uint64_t bus,
                    bool xen_okay)
{
    expect_st(what, unmap_ref(h, addr, bus),
              on_xen && xen_okay ? GNTST_okay : GNTST_general_error);
}

static void test_partial_unmaps(void)
{
    grant_handle_t ha = 0, hb = 0;
    uint64_t bus_a = virt_to_mfn(pages[PG_A]) << PAGE_SHIFT;

    if (!map_ok("map A", R_RW, va_at(E + 4), 0, &ha) ||
        !map_ok("map B", R_B, va_at(E + 5), 0, &hb))
        return;
    partial("host_addr 0", ha, 0, 0, true);
    partial("dev_bus_addr alone", ha, 0, bus_a, true);
    partial("the host_addr of B's mapping", ha, va_at(E + 5), 0, false);
    partial("the host_addr of A's mapping under B's handle", hb, va_at(E + 4), 0, false);
    expect_reads("A intact", va_at(E + 4), pages[PG_A]);
    expect_reads("B intact", va_at(E + 5), pages[PG_B]);
    expect_flags("A intact", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
    expect_flags("B intact", R_B, GTF_permit_access | GTF_reading | GTF_writing);
    expect_st("unmap A (its bus address echoed)", unmap_ref(ha, va_at(E + 4), bus_a),
              GNTST_okay);
    expect_st("unmap B", unmap_ref(hb, va_at(E + 5), 0), GNTST_okay);
    expect_flags("A gone", R_RW, GTF_permit_access);
    expect_flags("B gone", R_B, GTF_permit_access);
}

static void test_stale_handles(void)
{
    static struct gnttab_unmap_grant_ref u[2];
    grant_handle_t h = 0, h2 = 0;

    if (!map_ok("map", R_RW, va_at(E + 6), 0, &h))
        return;
    u[0] = (struct gnttab_unmap_grant_ref){ .host_addr = va_at(E + 6), .handle = h,
                                            .status = 0x55 };
    u[1] = u[0];
    if (check_rc("unmap batch with the handle twice", gnt(GNTTABOP_unmap_grant_ref, u, 2),
                 0)) {
        expect_st("first of the pair", u[0].status, GNTST_okay);
        expect_st("second of the pair", u[1].status, GNTST_bad_handle);
    }
    expect_st("third unmap", unmap_ref(h, va_at(E + 6), 0), GNTST_bad_handle);
    /* The handle number comes back for a new mapping; the old address is not it. */
    if (!map_ok("map B", R_B, va_at(E + 7), 0, &h2))
        return;
    printk("  old handle %u, new handle %u\n", h, h2);
    expect_st("stale handle at its old address", unmap_ref(h, va_at(E + 6), 0),
              h == h2 ? GNTST_general_error : GNTST_bad_handle);
    expect_reads("the new mapping intact", va_at(E + 7), pages[PG_B]);
    expect_st("unmap the new mapping", unmap_ref(h2, va_at(E + 7), 0), GNTST_okay);
    expect_flags("all gone", R_RW, GTF_permit_access);
    expect_flags("all gone", R_B, GTF_permit_access);
}

static void test_cycles(void)
{
    grant_handle_t h = 0;
    unsigned int i;

    for (i = 0; i < 200; i++) {
        uint32_t fl = (i & 1 ? GNTMAP_readonly : 0) | (i & 2 ? GNTMAP_contains_pte : 0);
        unsigned long addr = i & 2 ? maddr_at(E + 8) : va_at(E + 8);

        if (map_ref(self_id, R_RW, addr, GNTMAP_host_map | fl, &h, NULL) != GNTST_okay ||
            unmap_ref(h, addr, 0) != GNTST_okay) {
            test_failure("cycle %u (flags %x) failed", i, fl);
            return;
        }
    }
    expect_flags("after 200 cycles", R_RW, GTF_permit_access);
    if (entry_at(E + 8))
        test_failure("entry %lx left after the cycles", entry_at(E + 8));
}

static void test_entry_updates(void)
{
    grant_handle_t h = 0;
    uint64_t e;

    if (!map_ok("map", R_RW, va_at(E + 9), 0, &h))
        return;
    e = entry_at(E + 9);
    /* A and D only: the same mapping, the marker (Parapet) kept. */
    check_rc("mmu_update clearing A and D",
             mmu_update1(maddr_at(E + 9), e & ~(PTE_GNTTAB | PTE_A | PTE_D)), 0);
    printk("  entry %lx -> %lx\n", e, entry_at(E + 9));
    if (pte_mfn(entry_at(E + 9)) != pte_mfn(e) || !(entry_at(E + 9) & PTE_RW) ||
        (!on_xen && !(entry_at(E + 9) & PTE_GNTTAB)))
        test_failure("the A/D update changed the mapping: %lx", entry_at(E + 9));
    invlpg(va_at(E + 9));
    expect_reads("after the A/D update", va_at(E + 9), pages[PG_A]);
    /* The marker from a guest: refused in any L1 entry (Xen's release build has none). */
    check_rc2("the same value, marker included", mmu_update1(maddr_at(E + 9), e), -XEN_EINVAL,
              0);
    if (check_rc2("a new entry with the marker",
                  mmu_update1(maddr_at(E + 10), pte_of(pages[PG_C], PT_RO) | PTE_GNTTAB),
                  -XEN_EINVAL, 0) && on_xen)
        mmu_update1(maddr_at(E + 10), 0);
    if (entry_at(E + 10))
        test_failure("entry %lx left at E+10", entry_at(E + 10));
    expect_st("unmap after the updates", unmap_ref(h, va_at(E + 9), 0), GNTST_okay);
    expect_flags("unmapped", R_RW, GTF_permit_access);
}

static void test_unhooked_table(void)
{
    static struct scratch s2;
    grant_handle_t h1 = 0, h2 = 0;

    if (on_xen) {
        printk("  skipped on Xen: its release build drops the grant's references with the "
               "table and the mappings can no longer be unmapped\n");
        return;
    }
    if (!scratch_init(&s2, pages[PG_SCRATCH2], SCRATCH2_VA))
        return;
    if (!map_ok("map at a VA", R_RW, (unsigned long)scratch_va(&s2, 5), 0, &h1) ||
        !map_ok("map by contains_pte", R_RW, s2.l1_maddr + 6 * 8, GNTMAP_contains_pte, &h2))
        return;
    check_rc("unhook the L1", mmu_update1(s2.l2e_maddr, 0), 0);
    flush_tlb();
    check_rc("unpin the L1", unpin_va(s2.l1), 0);
    check_refused("make the L1 page writable while it holds grant mappings", set_rw(s2.l1),
                  -XEN_EINVAL, -XEN_EBUSY);
    expect_flags("still mapped", R_RW, GTF_permit_access | GTF_reading | GTF_writing);
    expect_st("unmap at the VA (no longer reachable)",
              unmap_ref(h1, (unsigned long)scratch_va(&s2, 5), 0), GNTST_okay);
    expect_st("unmap by contains_pte", unmap_ref(h2, s2.l1_maddr + 6 * 8, 0), GNTST_okay);
    expect_flags("unmapped", R_RW, GTF_permit_access);
    check_rc("the L1 page is ordinary again: writable", set_rw(s2.l1), 0);
}

/* Clear a grant mapping's entry through the PV MMU; returns whether it is still there. */
static bool implicit(const char *what, long rc, exinfo_t e, unsigned int i, uint64_t before)
{
    printk("  %s: rc %ld, exception %lx, entry %lx -> %lx\n", what, rc, (unsigned long)e,
           before, entry_at(i));
    if (on_xen) {
        if (rc == 0 && e == EXINFO_NONE && !entry_at(i))
            printk("  xen: the release build let the update land (no marker)\n");
        else if (e == EXINFO(X86_GP, 0))
            printk("  xen: #GP(0), a debug build\n");
        else
            test_failure("%s: unexpected answer from Xen", what);
        return entry_at(i) != 0;
    }
    check_rc(what, rc, -XEN_EPERM);
    expect_exinfo(what, e, EXINFO(X86_GP, 0));
    if (entry_at(i) != before)
        test_failure("%s: the entry changed to %lx", what, entry_at(i));
    return entry_at(i) == before;
}

static void test_implicit_unmaps(void)
{
    static struct mmu_update req[3];
    unsigned int done = 99;
    grant_handle_t h = 0;
    uint64_t e;
    exinfo_t x;
    long rc;

    grant(R_LAST, GTF_permit_access, self_id, virt_to_mfn(pages[PG_C]));
    if (!map_ok("map", R_LAST, va_at(E + 11), 0, &h))
        return;
    e = entry_at(E + 11);
    req[0] = (struct mmu_update){ .ptr = maddr_at(E + 12), .val = pte_of(pages[PG_B], PT_RO) };
    req[1] = (struct mmu_update){ .ptr = maddr_at(E + 11), .val = 0 };
    req[2] = (struct mmu_update){ .ptr = maddr_at(E + 13), .val = pte_of(pages[PG_B], PT_RO) };
    x = probe_hypercall4(&rc, __HYPERVISOR_mmu_update, (unsigned long)req, 3,
                         (unsigned long)&done, DOMID_SELF);
    if (!implicit("mmu_update batch clearing it", rc, x, E + 11, e))
        return;
    if (!on_xen) {
        if (done != 1)
            test_failure("the batch reported %u done, expected 1", done);
        if (!entry_at(E + 12) || entry_at(E + 13))
            test_failure("the batch did not stop at the grant entry (%lx, %lx)",
                         entry_at(E + 12), entry_at(E + 13));
    }
    x = probe_hypercall4(&rc, __HYPERVISOR_update_va_mapping, va_at(E + 11), 0, UVMF_INVLPG,
                         0);
    if (!implicit("update_va_mapping clearing it", rc, x, E + 11, e))
        return;
    expect_reads("still mapped", va_at(E + 11), pages[PG_C]);
    expect_st("unmap after the refused implicit unmaps", unmap_ref(h, va_at(E + 11), 0),
              GNTST_okay);
    expect_flags("unmapped", R_LAST, GTF_permit_access);
}

static const struct subtest cases[] = {
    { "kind mismatch: read-only grant, writable map", test_kind_mismatch },
    { "three mappings unmapped in odd orders", test_odd_orders },
    { "partial unmaps refused", test_partial_unmaps },
    { "double, duplicate and stale handles", test_stale_handles },
    { "200 map/unmap cycles", test_cycles },
    { "guest updates of the grant entry", test_entry_updates },
    { "the L1 of grant mappings unhooked", test_unhooked_table },
    { "implicit unmaps through the PV MMU", test_implicit_unmaps },
};

void test_main(void)
{
    xen_pfn_t frame0;

    on_xen = on_xen_reference();
    if (!learn_self_id() || !table_frame0_mapped(pages[PG_SCRATCH], SCRATCH_VA, &frame0))
        return;
    printk("  domain id %u%s\n", self_id, on_xen ? " (Xen reference)" : "");
    pages[PG_A][0] = 0xaaaa;
    pages[PG_B][0] = 0xbbbb;
    pages[PG_C][0] = 0xcccc;
    grant(R_RW, GTF_permit_access, self_id, virt_to_mfn(pages[PG_A]));
    grant(R_RO, GTF_permit_access | GTF_readonly, self_id, virt_to_mfn(pages[PG_B]));
    grant(R_B, GTF_permit_access, self_id, virt_to_mfn(pages[PG_B]));
    RUN_SUBTESTS(cases);
    /* No scratch_fini: on Xen a grant may be stuck in the scratch L1 (see above). */
}
