/*
 * xsa-a3-foreign-frames: security invariant A3 (XSA-167, 109). A guest can only name
 * frames it owns: the hypervisor checks mfn_valid and the owner before it takes any
 * reference, for every hypercall that takes a machine frame.
 *
 * Frames tried (none of them ours):
 *  - hypervisor frames: mfn 0 and 1, the frames of the hypervisor's L3 tables named by
 *    L4 slots 256-271 of our own L4 (we can read those entries, not the tables);
 *  - frames the M2P says are nobody's (entry ~0), below and above our memory (except
 *    shared_info, ours without an M2P entry), and any frame whose M2P entry names a
 *    pfn of ours that our p2m maps elsewhere;
 *  - frames beyond max_mfn (XENMEM_machphys_mapping): max_mfn + 1, far beyond, and the
 *    largest frame number a PTE can hold;
 *  - I/O memory: the local APIC (0xfee00), the I/O APIC (0xfec00), VGA text (0xb8) and
 *    the VGA window (0xa0), the BIOS (0xf0, 0xfffff).
 * Every way to name them must be refused with -EINVAL and change nothing: an L1 entry
 * (read-only and writable) by mmu_update and update_va_mapping, an L2/L3/L4 entry
 * naming it as a table, PIN_L1..L4 and UNPIN, NEW_BASEPTR and NEW_USER_BASEPTR, set_gdt,
 * CLEAR_PAGE, COPY_PAGE from it (which would leak its bytes into our page) and into it,
 * update_descriptor, MMU_MACHPHYS_UPDATE, and an mmu_update whose ptr lies in it.
 * (Xen 4.17 answers the three data mappings with -EBUSY, its "could not get a
 * reference" code; that is what the reference run expects.)
 * How: the entries used are in a scratch L1 and empty slots of the boot L2/L3/L4; after
 * each attempt they must still be empty, CR3 unchanged and our copy target unchanged.
 * AFTER=hello shows the host survived.
 * Cannot detect: a read of a foreign frame whose result is thrown away, or a write to
 * one the guest cannot see (only the second guest catches gross damage). On Xen's dom0
 * (the reference) the domain may map I/O memory and low memory, so L1 mappings of
 * those frames are only checked for an unprivileged domain.
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "xsa-a3-foreign-frames: frames not owned are never referenced";

#define SCRATCH_VA      0x20000000UL    /* boot L2 slot 256: the scratch L1 */
#define L2_SLOT         300
#define L3_SLOT         5
#define L4_SLOT         200

enum { PG_SCRATCH, PG_D, PG_S, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool ready;
static unsigned long l2e, l3e, l4e, max_mfn;

#define MAX_FRAMES 40
static struct {
    unsigned long mfn;
    char why[48];
    bool io;            /* I/O memory, low memory or beyond RAM: dom0 may map it */
} frames[MAX_FRAMES];
static unsigned int nr_frames;

static bool ours(unsigned long mfn);

/* Frames the hypervisor shares with this domain: shared_info and the grant table's
 * frames (what setup_table returns for the current size; none if it is -ENOSYS). */
static unsigned long own_shared[1 + 64];
static unsigned int nr_own_shared;

static void learn_own_shared_frames(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    static xen_pfn_t table_frames[64];

    own_shared[nr_own_shared++] = start_info->shared_info >> PAGE_SHIFT;
    if (HYPERVISOR_grant_table_op(GNTTABOP_query_size, (unsigned long)&q, 1) ||
        q.status != GNTST_okay || q.nr_frames > 64)
        return;
    struct gnttab_setup_table st = { .dom = DOMID_SELF, .nr_frames = q.nr_frames };
    set_xen_guest_handle(st.frame_list, table_frames);
    if (HYPERVISOR_grant_table_op(GNTTABOP_setup_table, (unsigned long)&st, 1) ||
        st.status != GNTST_okay)
        return;
    for (unsigned int i = 0; i < q.nr_frames; i++)
        own_shared[nr_own_shared++] = table_frames[i];
}

static bool own_shared_frame(unsigned long mfn)
{
    for (unsigned int i = 0; i < nr_own_shared; i++)
        if (own_shared[i] == mfn)
            return true;
    return false;
}

static void add_frame(unsigned long mfn, bool io, const char *why)
{
    unsigned int i;

    /* Frames of ours (shared_info has no M2P entry; Xen's L4 slot 258 is the linear
     * map, naming our own L4) are not candidates. */
    if (mfn == start_info->shared_info >> PAGE_SHIFT || (mfn <= max_mfn && ours(mfn)))
        return;

    for (i = 0; i < nr_frames; i++)
        if (frames[i].mfn == mfn)
            return;
    if (nr_frames == MAX_FRAMES)
        return;
    frames[nr_frames].mfn = mfn;
    frames[nr_frames].io = io;
    snprintf(frames[nr_frames].why, sizeof(frames[0].why), "%s", why);
    nr_frames++;
}

static bool ours(unsigned long mfn)
{
    unsigned long pfn = M2P[mfn];

    return pfn < start_info->nr_pages && pfn_to_mfn(pfn) == mfn;
}

static void setup(void)
{
    struct xen_machphys_mapping m;
    const uint64_t *l4 = mfn_to_virt(cur_l4_mfn());
    unsigned long first = ~0UL, last = 0, mfn, pfn, none_below = 0, none_above = 0;
    unsigned int i, stale = 0;

    if (HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&m)) {
        test_error("XENMEM_machphys_mapping failed");
        return;
    }
    max_mfn = m.max_mfn;
    if (!scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA))
        return;
    l2e = entry_maddr((unsigned long)L2_SLOT << 21, 2, NULL);
    l3e = entry_maddr((unsigned long)L3_SLOT << 30, 3, NULL);
    l4e = entry_maddr((unsigned long)L4_SLOT << 39, 4, NULL);
    if (!l2e || !l3e || !l4e || read_entry((unsigned long)L2_SLOT << 21, 2) ||
        read_entry((unsigned long)L3_SLOT << 30, 3) ||
        read_entry((unsigned long)L4_SLOT << 39, 4)) {
        test_error("the L2/L3/L4 slots used for the attacks are missing or in use");
        return;
    }

    add_frame(0, true, "mfn 0");
    add_frame(1, true, "mfn 1");
    for (i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++)
        if (l4[i] & PTE_P) {
            char why[48];

            snprintf(why, sizeof(why), "hypervisor table of L4 slot %u", i);
            add_frame(pte_mfn(l4[i]), false, why);
        }
    for (pfn = 0; pfn < start_info->nr_pages; pfn++) {
        mfn = pfn_to_mfn(pfn);
        if (mfn < first)
            first = mfn;
        if (mfn > last)
            last = mfn;
    }
    learn_own_shared_frames();
    /* Nobody's frames near our memory, and M2P entries naming a pfn of ours wrongly.
     * Frames the hypervisor shares with us (shared_info, grant-table frames) have no
     * pfn either, but they are ours to map: skip them. */
    for (mfn = 0x100; mfn <= max_mfn; mfn++) {
        unsigned long e = M2P[mfn];

        if (e == ~0UL && own_shared_frame(mfn))
            continue;
        if (e == ~0UL) {
            if (mfn < first && none_below++ < 2)
                add_frame(mfn, false, "M2P ~0, below our memory");
            if (mfn > last && none_above++ < 2)
                add_frame(mfn, false, "M2P ~0, above our memory");
        } else if (e < start_info->nr_pages && pfn_to_mfn(e) != mfn && stale++ < 2) {
            add_frame(mfn, false, "M2P names a pfn of ours wrongly");
        }
    }
    if (max_mfn != ~0UL && M2P[max_mfn] == ~0UL)
        add_frame(max_mfn, false, "max_mfn (M2P ~0)");
    add_frame(max_mfn + 1, true, "max_mfn + 1");
    add_frame(max_mfn + 0x12345, true, "far beyond max_mfn");
    add_frame(PTE_ADDR >> PAGE_SHIFT, true, "the largest mfn a PTE holds");
    add_frame(0xfee00, true, "local APIC");
    add_frame(0xfec00, true, "I/O APIC");
    add_frame(0xb8, true, "VGA text");
    add_frame(0xa0, true, "VGA window");
    add_frame(0xf0, true, "BIOS (0xf0000)");
    add_frame(0xfffff, true, "BIOS flash (top of 4 GiB)");
    printk("  %u foreign frames; our memory is mfn %lx-%lx, max_mfn %lx\n", nr_frames,
           first, last, max_mfn);
    ready = true;
}

/* ---- the attacks ---------------------------------------------------------------------- */

static long a_l1_ro(unsigned long f)
{
    return mmu_update1(scr.l1_maddr + 8, f << PAGE_SHIFT | PT_RO);
}
static long a_l1_rw(unsigned long f)
{
    return mmu_update1(scr.l1_maddr + 16, f << PAGE_SHIFT | PT_RW);
}
static long a_uvm(unsigned long f)
{
    return HYPERVISOR_update_va_mapping((unsigned long)scratch_va(&scr, 3),
                                        f << PAGE_SHIFT | PT_RO, UVMF_INVLPG);
}
static long a_l2(unsigned long f) { return mmu_update1(l2e, f << PAGE_SHIFT | PT_TABLE); }
static long a_l3(unsigned long f) { return mmu_update1(l3e, f << PAGE_SHIFT | PT_TABLE); }
static long a_l4(unsigned long f) { return mmu_update1(l4e, f << PAGE_SHIFT | PT_TABLE); }
static long a_pin1(unsigned long f) { return pin_mfn(1, f); }
static long a_pin2(unsigned long f) { return pin_mfn(2, f); }
static long a_pin3(unsigned long f) { return pin_mfn(3, f); }
static long a_pin4(unsigned long f) { return pin_mfn(4, f); }
static long a_unpin(unsigned long f) { return mmuext(MMUEXT_UNPIN_TABLE, f, 0); }
static long a_base(unsigned long f) { return mmuext(MMUEXT_NEW_BASEPTR, f, 0); }
static long a_ubase(unsigned long f) { return mmuext(MMUEXT_NEW_USER_BASEPTR, f, 0); }
static long a_gdt(unsigned long f) { return HYPERVISOR_set_gdt((unsigned long)&f, 16); }
static long a_clear(unsigned long f) { return mmuext(MMUEXT_CLEAR_PAGE, f, 0); }
static long a_copy_from(unsigned long f)
{
    return mmuext(MMUEXT_COPY_PAGE, virt_to_mfn(pages[PG_D]), f);
}
static long a_copy_to(unsigned long f)
{
    return mmuext(MMUEXT_COPY_PAGE, f, virt_to_mfn(pages[PG_S]));
}
static long a_desc(unsigned long f)
{
    return HYPERVISOR_update_descriptor(f << PAGE_SHIFT | 0x10, 0);
}
static long a_m2p(unsigned long f) { return mmu_update1(f << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, 0); }
static long a_write_in(unsigned long f) { return mmu_update1(f << PAGE_SHIFT | 0x18, 0); }

static const struct {
    const char *name;
    long (*fn)(unsigned long mfn);
    bool mapping;       /* a data mapping: dom0 may do it for I/O memory */
} attacks[] = {
    { "read-only L1 entry (mmu_update)", a_l1_ro, true },
    { "writable L1 entry (mmu_update)", a_l1_rw, true },
    { "update_va_mapping", a_uvm, true },
    { "L2 entry naming it as an L1", a_l2, false },
    { "L3 entry naming it as an L2", a_l3, false },
    { "L4 entry naming it as an L3", a_l4, false },
    { "PIN_L1_TABLE", a_pin1, false },
    { "PIN_L2_TABLE", a_pin2, false },
    { "PIN_L3_TABLE", a_pin3, false },
    { "PIN_L4_TABLE", a_pin4, false },
    { "UNPIN_TABLE", a_unpin, false },
    { "NEW_BASEPTR", a_base, false },
    { "NEW_USER_BASEPTR", a_ubase, false },
    { "set_gdt", a_gdt, false },
    { "CLEAR_PAGE", a_clear, false },
    { "COPY_PAGE from it", a_copy_from, false },
    { "COPY_PAGE into it", a_copy_to, false },
    { "update_descriptor", a_desc, false },
    { "MMU_MACHPHYS_UPDATE", a_m2p, false },
    { "mmu_update with ptr in it", a_write_in, false },
};

/* Nothing any refused attack could have touched changed. */
static bool unchanged(unsigned long cr3, uint64_t dsum)
{
    unsigned int i;

    for (i = 1; i <= 3; i++)
        if (scr.l1[i])
            return false;
    return !read_entry((unsigned long)L2_SLOT << 21, 2) &&
           !read_entry((unsigned long)L3_SLOT << 30, 3) &&
           !read_entry((unsigned long)L4_SLOT << 39, 4) && read_cr3() == cr3 &&
           page_sum(pages[PG_D]) == dsum;
}

static void test_attacks(void)
{
    unsigned long cr3 = read_cr3();
    unsigned int i, j, refused = 0;
    uint64_t dsum;

    if (!ready)
        return;
    memset(pages[PG_D], 0x5a, PAGE_SIZE);
    memset(pages[PG_S], 0xa5, PAGE_SIZE);
    dsum = page_sum(pages[PG_D]);
    for (i = 0; i < nr_frames; i++) {
        printk("  frame %lx: %s\n", frames[i].mfn, frames[i].why);
        for (j = 0; j < ARRAY_SIZE(attacks); j++) {
            long rc, want;

            if (attacks[j].mapping && frames[i].io && is_privileged())
                continue;
            /* NEW_USER_BASEPTR(0) means "no user page table", not mfn 0. */
            if (attacks[j].fn == a_ubase && frames[i].mfn == 0)
                continue;
            rc = attacks[j].fn(frames[i].mfn);
            /* Xen refuses data mappings of frames it cannot reference with -EBUSY. */
            want = attacks[j].mapping && on_xen_reference() ? -XEN_EBUSY : -XEN_EINVAL;
            if (rc != want)
                test_failure("frame %lx (%s): %s returned %ld, expected %ld",
                             frames[i].mfn, frames[i].why, attacks[j].name, rc, want);
            else
                refused++;
            if (!unchanged(cr3, dsum)) {
                test_failure("frame %lx (%s): %s changed our tables, CR3 or data",
                             frames[i].mfn, frames[i].why, attacks[j].name);
                return;
            }
        }
    }
    printk("  %u attempts refused\n", refused);
}

static void test_still_working(void)
{
    volatile uint64_t *va = scratch_va(&scr, 4);

    if (!ready)
        return;
    /* Our own frames are still usable the same ways. */
    if (check_rc("map our own page after the attacks",
                 scratch_set(&scr, 4, pte_of(pages[PG_D], PT_RW)), 0) &&
        va[3] != pages[PG_D][3])
        test_failure("our own page shows the wrong bytes");
    check_rc("COPY_PAGE between our own pages", mmuext(MMUEXT_COPY_PAGE,
             virt_to_mfn(pages[PG_D]), virt_to_mfn(pages[PG_S])), 0);
    scratch_fini(&scr);
}

static const struct subtest cases[] = {
    { "find frames that are not ours", setup },
    { "every way of naming a foreign frame is refused", test_attacks },
    { "our own frames still work", test_still_working },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
