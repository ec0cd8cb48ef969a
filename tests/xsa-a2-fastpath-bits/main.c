/*
 * xsa-a2-fastpath-bits: security invariant A2 (XSA-148, 182). Changing bits of an entry
 * that is already validated takes a fast path only for A, D and the software-available
 * bits; every other change (RW, NX, US, PCD/PWT/PAT, PSE, G, present, the frame) is
 * validated in full, exactly as a new entry would be.
 *
 * Attacks and checks, on validated entries of pinned or in-use tables at each level:
 *  - L1: RW added to a read-only entry mapping a page table (refused, entry unchanged);
 *    RW added to an entry mapping a data frame (accepted, and the frame then counts as
 *    writable: pinning it as an L1 is refused; once RW is taken away again the pin
 *    succeeds, so no reference leaked either way); the same through PRESERVE_AD; NX
 *    and G flips (accepted, references unchanged); US cleared (accepted, stored with US:
 *    the hypervisor forces it); PCD, PWT, PAT (refused for a domain without I/O memory);
 *    present cleared then set again with RW to a page table (the second refused);
 *  - L2, L3, L4 (entries pointing at pinned tables of ours): PSE, PCD, PWT and G added
 *    (refused, entry unchanged); RW removed, NX, US cleared (accepted); the frame
 *    changed to one mapped writable (refused);
 *  - A, D, bits 9-11 and 52-62 flipped at every level: accepted, stored as written, and
 *    afterwards every reference is where it should be (the mapped data frame can be
 *    pinned once unmapped, the pinned tables unpinned and made writable); except bit 62
 *    in an L1 entry, the grant marker, refused on Parapet (Xen's release build has no
 *    marker and accepts it).
 * How: mmu_update on entries of a scratch L1 and of the boot L2/L3/L4 (slots that are
 * empty in the boot layout); each entry is read back through our read-only mapping of
 * its table. AFTER=hello shows the host survived.
 * Cannot detect: a fast path that takes the right decision for the wrong reason; A/D
 * updates raced by another CPU (one vCPU); effects on TLBs of other CPUs.
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "xsa-a2-fastpath-bits: only A/D/avail bits skip validation";

#define SCRATCH_VA      0x20000000UL    /* boot L2 slot 256: the scratch L1 */
#define L2_SLOT         300             /* boot L2 slot for the L2 cases */
#define L3_SLOT         5               /* boot L3 slot for the L3 cases */
#define L4_SLOT         200             /* boot L4 slot for the L4 cases */
#define GK              (1UL << 52)     /* Xen's _PAGE_GUEST_KERNEL (software bit) */

enum { PG_SCRATCH, PG_P1, PG_P2, PG_P3, PG_D, PG_W, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool ready;

#define P1 pages[PG_P1]
#define P2 pages[PG_P2]
#define P3 pages[PG_P3]
#define D  pages[PG_D]

/* An entry and the table holding it. */
struct slot {
    const char *name;
    int level;
    unsigned long maddr;        /* machine address of the entry */
    volatile uint64_t *entry;   /* our read-only view of it */
};

static struct slot l1s, l2s, l3s, l4s;

static bool slot_init(struct slot *s, const char *name, int level, unsigned long va)
{
    uint64_t *t;

    s->name = name;
    s->level = level;
    s->maddr = entry_maddr(va, level, &t);
    if (!s->maddr || t[pt_index(va, level)]) {
        test_error("%s: the entry for VA %lx is missing or in use", name, va);
        return false;
    }
    s->entry = &t[pt_index(va, level)];
    return true;
}

static void setup(void)
{
    if (!scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA))
        return;
    l1s.name = "L1";
    l1s.level = 1;
    l1s.maddr = scr.l1_maddr + 8;
    l1s.entry = &scr.l1[1];
    memset(P1, 0, 3 * PAGE_SIZE);
    if (set_ro(P1) || set_ro(P2) || set_ro(P3) || pin_va(1, P1) || pin_va(2, P2) ||
        pin_va(3, P3)) {
        test_error("cannot build the pinned tables");
        return;
    }
    ready = slot_init(&l2s, "L2", 2, (unsigned long)L2_SLOT << 21) &&
            slot_init(&l3s, "L3", 3, (unsigned long)L3_SLOT << 30) &&
            slot_init(&l4s, "L4", 4, (unsigned long)L4_SLOT << 39);
}

/* What the hypervisor stores for a guest value: US on present entries, A on L4s. */
static uint64_t stored(int level, uint64_t v)
{
    if (!(v & PTE_P))
        return v;
    v |= PTE_US;
    if (level == 4)
        v |= PTE_A;
    return v;
}

static bool same_entry(uint64_t got, uint64_t want)
{
    if ((want & GK) && !(got & GK))
        return false;
    return (got & ~GK) == (want & ~GK);
}

static long set_entry(struct slot *s, uint64_t v, bool preserve_ad)
{
    long rc = mmu_update1(s->maddr | (preserve_ad ? MMU_PT_UPDATE_PRESERVE_AD : 0), v);

    flush_tlb();
    return rc;
}

/*
 * Install e0 (must be accepted), then write e0 ^ flip. want_ok: the change must be
 * accepted (and stored), else refused with the entry left at e0.
 */
static bool flip_case(struct slot *s, const char *what, uint64_t e0, uint64_t flip,
                      bool want_ok, bool preserve_ad)
{
    uint64_t e1 = e0 ^ flip, before;
    long rc;

    if (set_entry(s, e0, false)) {
        test_error("%s %s: the starting entry %lx was refused", s->name, what, e0);
        return false;
    }
    before = *s->entry;
    rc = set_entry(s, e1, preserve_ad);
    if (want_ok) {
        if (rc) {
            test_failure("%s %s: refused (%ld), expected accepted", s->name, what, rc);
            return false;
        }
        if (!same_entry(*s->entry, stored(s->level, e1)))
            test_failure("%s %s: stored %lx, expected %lx", s->name, what, *s->entry,
                         stored(s->level, e1));
        return true;
    }
    if (rc == 0)
        test_failure("%s %s: accepted (stored %lx), expected refused", s->name, what,
                     *s->entry);
    else if (*s->entry != before)
        test_failure("%s %s: refused but the entry changed from %lx to %lx", s->name, what,
                     before, *s->entry);
    return false;
}

static void clear_entry(struct slot *s)
{
    if (set_entry(s, 0, false) || *s->entry)
        test_error("%s: cannot clear the entry", s->name);
}

/* D may be pinned as an L1 (no writable reference to it left), then unpinned. */
static void d_has_no_writable_ref(const char *after)
{
    long rc;

    if (set_ro(D)) {
        test_error("cannot map D read-only");
        return;
    }
    rc = pin_va(1, D);
    if (rc)
        test_failure("after %s, D cannot be pinned (%ld): a writable reference leaked",
                     after, rc);
    else
        unpin_va(D);
    set_rw(D);
}

/* ---- L1 ----------------------------------------------------------------------------- */

static void test_l1_rw(void)
{
    uint64_t pt_ro = pte_of(P1, PT_RO), d_ro = pte_of(D, PT_RO);

    if (!ready)
        return;
    flip_case(&l1s, "RW added to a read-only mapping of a pinned L1", pt_ro, PTE_RW,
              false, false);
    flip_case(&l1s, "RW added by PRESERVE_AD to a read-only mapping of a pinned L1", pt_ro,
              PTE_RW, false, true);
    flip_case(&l1s, "RW|D added to a read-only mapping of a pinned L1", pt_ro,
              PTE_RW | PTE_D, false, false);
    clear_entry(&l1s);

    /* D is mapped at its own VA too: make that read-only, so only our entry counts. */
    if (set_ro(D)) {
        test_error("cannot map D read-only");
        return;
    }
    if (flip_case(&l1s, "RW added to a read-only mapping of a data frame", d_ro, PTE_RW,
                  true, false)) {
        long rc = pin_va(1, D);

        if (rc == 0) {
            test_failure("D pinned as an L1 while the flipped entry maps it writable");
            unpin_va(D);
        }
        flip_case(&l1s, "RW taken away again", d_ro | PTE_RW, PTE_RW, true, false);
        rc = pin_va(1, D);
        if (rc)
            test_failure("D cannot be pinned once its only writable entry lost RW (%ld)", rc);
        else
            unpin_va(D);
    }
    clear_entry(&l1s);
    set_rw(D);
}

static void test_l1_other_bits(void)
{
    uint64_t d_ro = pte_of(D, PT_RO), d_rw = pte_of(D, PT_RW);

    if (!ready)
        return;
    flip_case(&l1s, "NX added to a writable data mapping", d_rw, PTE_NX, true, false);
    flip_case(&l1s, "NX removed", d_rw | PTE_NX, PTE_NX, true, false);
    flip_case(&l1s, "G added", d_ro, PTE_G, true, false);
    flip_case(&l1s, "US cleared (forced back on)", d_ro | PTE_US, PTE_US, true, false);
    if (!is_privileged()) {
        flip_case(&l1s, "PCD added", d_ro, PTE_PCD, false, false);
        flip_case(&l1s, "PWT added", d_ro, PTE_PWT, false, false);
        flip_case(&l1s, "PAT added", d_ro, PTE_PAT, false, false);
        flip_case(&l1s, "PCD|PWT added to a writable mapping", d_rw, PTE_PCD | PTE_PWT, false,
                  true);
    }
    /* Present cleared, then set again with RW towards a page table. */
    flip_case(&l1s, "present cleared", d_rw, PTE_P, true, false);
    flip_case(&l1s, "present set on a junk entry naming a pinned L1 RW",
              pte_of(P1, PTE_RW | PTE_A), PTE_P, false, false);
    /* The frame changed, the flags kept. */
    flip_case(&l1s, "frame changed from a data frame to a pinned L1, RW kept", d_rw,
              (virt_to_mfn(D) ^ virt_to_mfn(P1)) << PAGE_SHIFT, false, false);
    clear_entry(&l1s);
    d_has_no_writable_ref("the NX/G/US/PCD/present flips");
}

static void test_l1_fast_bits(void)
{
    static const struct {
        const char *name;
        uint64_t bits;
    } fast[] = {
        { "A", PTE_A }, { "D", PTE_D }, { "A|D", PTE_A | PTE_D },
        { "bits 9-11", PTE_AVAIL }, { "bit 52", 1UL << 52 }, { "bits 53-58", 0x3fUL << 53 },
        { "bits 59-61", 0x7UL << 59 }, { "A|D and bits 9-11, 52-61", PTE_A | PTE_D |
                                         PTE_AVAIL | (PTE_AVAIL_HI & ~PTE_GNTTAB) },
    };
    unsigned int i;

    if (!ready)
        return;
    for (i = 0; i < ARRAY_SIZE(fast); i++) {
        char what[64];

        snprintf(what, sizeof(what), "%s flipped on a writable data mapping", fast[i].name);
        flip_case(&l1s, what, pte_of(D, PTE_P | PTE_RW), fast[i].bits, true, false);
        snprintf(what, sizeof(what), "%s flipped on a read-only page-table mapping",
                 fast[i].name);
        flip_case(&l1s, what, pte_of(P1, PTE_P), fast[i].bits, true, false);
    }
    /* Bit 62 marks grant mappings (docs/abi/grants.md): never from a guest in an L1.
     * Xen's release build has no marker and takes it as a software bit. */
    flip_case(&l1s, "bit 62 (the grant marker) set", pte_of(D, PTE_P | PTE_RW), PTE_GNTTAB,
              on_xen_reference(), false);
    clear_entry(&l1s);
    d_has_no_writable_ref("the A/D/available-bit flips");
}

/* ---- L2, L3, L4 ----------------------------------------------------------------------- */

static void upper_cases(struct slot *s, uint64_t *child)
{
    uint64_t e = pte_of(child, PT_TABLE);
    unsigned long w = virt_to_mfn(pages[PG_W]);
    char what[80];

    flip_case(s, "PSE added", e, PTE_PSE, false, false);
    flip_case(s, "PCD added", e, PTE_PCD, false, false);
    flip_case(s, "PWT added", e, PTE_PWT, false, false);
    flip_case(s, "G added", e, PTE_G, false, false);
    flip_case(s, "PSE|A|D added by PRESERVE_AD", e, PTE_PSE | PTE_D, false, true);
    flip_case(s, "RW removed", e, PTE_RW, true, false);
    flip_case(s, "NX added", e, PTE_NX, true, false);
    flip_case(s, "US cleared (forced back on)", e | PTE_US, PTE_US, true, false);
    flip_case(s, "A, D and bits 9-11, 52-62 flipped", e,
              PTE_D | PTE_AVAIL | PTE_AVAIL_HI | (s->level == 4 ? 0 : PTE_A), true, false);
    snprintf(what, sizeof(what), "frame changed to a frame mapped writable");
    flip_case(s, what, e, (virt_to_mfn(child) ^ w) << PAGE_SHIFT, false, false);
    clear_entry(s);
}

static void test_upper_levels(void)
{
    if (!ready)
        return;
    memset(pages[PG_W], 0, PAGE_SIZE);
    upper_cases(&l2s, P1);
    upper_cases(&l3s, P2);
    upper_cases(&l4s, P3);
}

static void test_references(void)
{
    unsigned int i;

    if (!ready)
        return;
    /* Every pinned table is only pinned now: unpin, and it may become writable. */
    for (i = PG_P1; i <= PG_P3; i++) {
        check_rc("unpin after the flips", unpin_va(pages[i]), 0);
        check_rc("RW mapping of the unpinned table (no reference left)", set_rw(pages[i]), 0);
    }
    check_rc("the frame used for the refused frame changes is still writable",
             set_rw(pages[PG_W]), 0);
    scratch_fini(&scr);
    check_rc("RW mapping of the scratch L1 after unpin", set_rw(pages[PG_SCRATCH]), 0);
}

static const struct subtest cases[] = {
    { "set up: scratch L1, pinned L1-L3, empty slots at L2-L4", setup },
    { "L1: RW flips are validated and counted", test_l1_rw },
    { "L1: NX, G, US, PCD/PWT/PAT, present and frame flips", test_l1_other_bits },
    { "L1: A, D and available bits take the fast path", test_l1_fast_bits },
    { "L2-L4: PSE, PCD/PWT, G refused; RW, NX, US, A/D/avail accepted", test_upper_levels },
    { "every reference is released afterwards", test_references },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
