/*
 * xsa-a4-xen-slots: security invariant A4 (the DISALLOW masks of Xen's mm.c). L4 slots
 * 256-271 (the hypervisor hole, 0xFFFF800000000000-0xFFFF880000000000) belong to the
 * hypervisor: it fills them in every L4 it validates, the guest can neither write nor
 * choose them, and of the hole the guest may touch only the read-only M2P. Each level
 * refuses the flags it disallows: PSE at L2/L3, PCD/PWT/G above L1, PAT/PCD/PWT at L1
 * for a domain without I/O memory.
 *
 * Checks:
 *  - our L4's slots 256-271 are identical in every L4 the hypervisor validates (a new
 *    empty L4 we pin), apart from A/D, a slot naming the L4 itself (Xen's linear map)
 *    and, until the L4 is first a base pointer, an empty slot 256 (Xen fills the
 *    read-only M2P slot then);
 *  - in the hole, the M2P reads and refuses writes; every other probed VA of the hole
 *    (one per slot, and Parapet's GDT window, image and direct map) faults on read;
 *  - mmu_update of slots 256-271 (to 0, to their own value, made writable, pointing at a
 *    guest L3, by PRESERVE_AD) of the boot L4 and of a pinned L4: -EINVAL, unchanged;
 *  - an L4 filled by the guest with entries in slots 256-271 (pointing at a writable
 *    guest L3 and at junk) pins, and the hypervisor's values replace them: the guest L3
 *    gets no type, and with that L4 as CR3 the M2P reads the same; unpinning it leaves
 *    the hypervisor working;
 *  - update_va_mapping at a VA of each slot 256-271: -EINVAL;
 *  - PSE at L2 and L3 (by mmu_update and inside a table we pin): refused; PCD, PWT and G
 *    at L2-L4: refused; PAT, PCD and PWT at L1 (unprivileged): refused; G at L1: fine.
 * How: entries are read through our read-only mappings of the tables; faults through
 * exception probes. AFTER=hello shows the host survived.
 * Cannot detect: what the hypervisor maps in the hole beyond what the probes touch;
 * slots of L4s on other vCPUs.
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "xsa-a4-xen-slots: hypervisor L4 slots and per-level flag masks";

#define SCRATCH_VA      0x20000000UL
#define L2_SLOT         300
#define L3_SLOT         5
#define HOLE_VA(slot)   (0xffff000000000000UL | (unsigned long)(slot) << 39)

enum { PG_SCRATCH, PG_L4B, PG_L4C, PG_X3, PG_P1, PG_P2, PG_P3, PG_T, PG_D, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok;
static uint64_t boot_slots[16];

#define D pages[PG_D]

static uint64_t *cur_l4(void)
{
    return mfn_to_virt(cur_l4_mfn());
}

/*
 * Slots 256-271 of l4 (at mfn) equal the reference ones, apart from A/D (set by the CPU
 * when it walks them) and a slot naming the L4 itself (Xen's linear map). Xen fills
 * slot 256 (the read-only M2P) only when an L4 becomes a base pointer, so in an L4 that
 * never was one the slot may be empty.
 */
static bool slots_match(const char *what, const uint64_t *l4, unsigned long mfn,
                        const uint64_t *ref, unsigned long ref_mfn, bool never_base)
{
    const uint64_t ad = PTE_A | PTE_D;
    unsigned int i;
    bool ok = true;

    for (i = 0; i < 16; i++) {
        uint64_t a = l4[L4_XEN_FIRST + i] & ~ad, b = ref[i] & ~ad;

        if (pte_mfn(a) == mfn && pte_mfn(b) == ref_mfn &&
            (a & ~PTE_ADDR) == (b & ~PTE_ADDR))
            continue;                   /* linear map of the L4 itself */
        if (i == 0 && a == 0 && never_base)
            continue;
        if (a != b) {
            test_failure("%s: slot %u is %lx, expected %lx", what, L4_XEN_FIRST + i, a, b);
            ok = false;
        }
    }
    return ok;
}

static void setup(void)
{
    memcpy(boot_slots, cur_l4() + L4_XEN_FIRST, sizeof(boot_slots));
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    memset(pages[PG_P1], 0, 3 * PAGE_SIZE);
    if (set_ro(pages[PG_P1]) || set_ro(pages[PG_P2]) || set_ro(pages[PG_P3]) ||
        pin_va(1, pages[PG_P1]) || pin_va(2, pages[PG_P2]) || pin_va(3, pages[PG_P3]))
        test_error("cannot build pinned L1-L3");
    if (!(boot_slots[0] & PTE_P))
        test_failure("L4 slot 256 (the read-only M2P) is not present");
}

static void test_new_l4_slots(void)
{
    uint64_t *l4b = pages[PG_L4B];

    memset(l4b, 0, PAGE_SIZE);
    if (set_ro(l4b) || !check_rc("pin an empty L4", pin_va(4, l4b), 0))
        return;
    slots_match("a new L4", l4b, virt_to_mfn(l4b), boot_slots, cur_l4_mfn(), true);
}

static void test_hole_access(void)
{
    static const struct {
        const char *name;
        unsigned long va;
    } probes[] = {
        { "the end of the M2P range", 0xffff804000000000UL },
        { "Parapet's GDT window (slot 257)", 0xffff808000000000UL },
        { "slot 258", 0xffff810000000000UL },
        { "slot 260", 0xffff820000000000UL },
        { "Parapet's image (slot 261)", 0xffff828000100000UL },
        { "the direct map (slot 262)", 0xffff830000000000UL },
        { "the direct map, 1 MiB", 0xffff830000100000UL },
        { "slot 270", 0xffff870000000000UL },
        { "the last page of the hole", 0xffff87fffffff000UL },
    };
    volatile unsigned long *m2p = (volatile unsigned long *)MACH2PHYS_VIRT_START;
    unsigned int i;

    expect_exinfo("read of the M2P", probe_read(m2p), EXINFO_NONE);
    expect_exinfo("write to the M2P", probe_write(m2p), EXINFO(X86_PF, PFEC_P | PFEC_W));
    expect_exinfo("write to our own M2P entry",
                  probe_write(&m2p[virt_to_mfn(D)]), EXINFO(X86_PF, PFEC_P | PFEC_W));
    for (i = 0; i < ARRAY_SIZE(probes); i++) {
        char what[80];
        exinfo_t e = probe_read((void *)probes[i].va);

        snprintf(what, sizeof(what), "read of %s (%lx)", probes[i].name, probes[i].va);
        if (e == EXINFO_NONE)
            test_failure("%s succeeded: the guest can read hypervisor memory", what);
        else if (exinfo_vector(e) != X86_PF)
            expect_exinfo(what, e, EXINFO(X86_PF, 0));
    }
}

static void test_write_slots(void)
{
    uint64_t *l4 = cur_l4(), *l4b = pages[PG_L4B];
    unsigned long l4m = cur_l4_mfn() << PAGE_SHIFT, l4bm = virt_to_maddr(l4b);
    uint64_t g3 = pte_of(pages[PG_P3], PT_TABLE);
    unsigned int i, bad = 0;

    for (i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++) {
        const uint64_t vals[] = { 0, l4[i], l4[i] | PTE_RW | PTE_US, g3, PTE_P | PTE_RW };
        unsigned int v;

        for (v = 0; v < ARRAY_SIZE(vals); v++) {
            long r1 = mmu_update1(l4m + i * 8, vals[v]);
            long r2 = mmu_update1(l4bm + i * 8, vals[v]);
            long r3 = mmu_update1((l4m + i * 8) | MMU_PT_UPDATE_PRESERVE_AD, vals[v]);

            if (r1 != -XEN_EINVAL || r2 != -XEN_EINVAL || r3 != -XEN_EINVAL) {
                test_failure("slot %u = %lx: mmu_update returned %ld (boot L4), %ld (pinned "
                             "L4), %ld (PRESERVE_AD), expected -EINVAL", i, vals[v], r1, r2,
                             r3);
                bad++;
            }
        }
        if (bad > 3)
            break;
    }
    flush_tlb();
    slots_match("boot L4 after the writes", l4, cur_l4_mfn(), boot_slots, cur_l4_mfn(),
                false);
    slots_match("pinned L4 after the writes", l4b, virt_to_mfn(l4b), boot_slots,
                cur_l4_mfn(), true);
    expect_exinfo("read of the M2P after the writes",
                  probe_read((void *)MACH2PHYS_VIRT_START), EXINFO_NONE);
}

static void test_prefilled_l4(void)
{
    uint64_t *l4c = pages[PG_L4C], *x3 = pages[PG_X3];
    const uint64_t *cur = cur_l4();
    unsigned long boot = cur_l4_mfn(), mfn_d = virt_to_mfn(D);
    unsigned long m2p_d = M2P[mfn_d];
    unsigned int i;

    /* x3: a writable guest L3 whose entries map D as if they were hole addresses. */
    memset(x3, 0, PAGE_SIZE);
    for (i = 0; i < 512; i++)
        x3[i] = pte_of(D, PT_RW | PTE_PSE);
    memset(l4c, 0, PAGE_SIZE);
    for (i = 0; i < 512; i++)
        if (i < L4_XEN_FIRST || i > L4_XEN_LAST)
            l4c[i] = cur[i];
    for (i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++)
        l4c[i] = i & 1 ? pte_of(x3, PT_TABLE) : 0x8000000000000fffUL | (uint64_t)i << 12;
    if (set_ro(l4c)) {
        test_error("cannot make the prefilled L4 read-only");
        return;
    }
    if (!check_rc("pin an L4 whose hypervisor slots the guest filled", pin_va(4, l4c), 0))
        return;
    slots_match("the prefilled L4 after pinning", l4c, virt_to_mfn(l4c), boot_slots, boot,
                true);
    expect_exinfo("the guest L3 named in the hole slots is still writable", probe_write(x3),
                  EXINFO_NONE);
    if (check_rc("NEW_BASEPTR(the prefilled L4)",
                 mmuext(MMUEXT_NEW_BASEPTR, virt_to_mfn(l4c), 0), 0)) {
        exinfo_t e = probe_read(&M2P[mfn_d]);
        unsigned long seen = e ? ~0UL : M2P[mfn_d];

        check_rc("NEW_BASEPTR(boot L4)", mmuext(MMUEXT_NEW_BASEPTR, boot, 0), 0);
        expect_exinfo("read of the M2P with the prefilled L4 as base", e, EXINFO_NONE);
        if (!e && seen != m2p_d)
            test_failure("with the prefilled L4 the M2P shows %lx for D, expected %lx", seen,
                         m2p_d);
        slots_match("the prefilled L4 after use as the base", l4c, virt_to_mfn(l4c),
                    boot_slots, boot, false);
    }
    check_rc("unpin the prefilled L4", unpin_va(l4c), 0);
    check_rc("the prefilled L4 may become writable again", set_rw(l4c), 0);
}

static void test_uvm_hole(void)
{
    unsigned int i;

    for (i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++) {
        long rc = HYPERVISOR_update_va_mapping(HOLE_VA(i) + 0x5000, pte_of(D, PT_RO),
                                               UVMF_INVLPG);

        if (rc != -XEN_EINVAL)
            test_failure("update_va_mapping at %lx (slot %u) returned %ld, expected -EINVAL",
                         HOLE_VA(i) + 0x5000, i, rc);
    }
}

static void test_flag_masks(void)
{
    unsigned long l2e = entry_maddr((unsigned long)L2_SLOT << 21, 2, NULL);
    unsigned long l3e = entry_maddr((unsigned long)L3_SLOT << 30, 3, NULL);
    unsigned long l4e = entry_maddr((unsigned long)200 << 39, 4, NULL);
    uint64_t sp2 = (virt_to_mfn(D) & ~511UL) << PAGE_SHIFT;    /* 2 MiB aligned */
    uint64_t sp3 = (virt_to_mfn(D) & ~0x3ffffUL) << PAGE_SHIFT; /* 1 GiB aligned */
    uint64_t *t = pages[PG_T];
    unsigned int i;
    const struct {
        const char *name;
        unsigned long *where;
        uint64_t val;
        bool ok;
        bool unprivileged_only;
    } cases[] = {
        { "L2: PSE (2 MiB superpage)", &l2e, sp2 | PT_RW | PTE_PSE, false, false },
        { "L2: PSE, read-only", &l2e, sp2 | PT_RO | PTE_PSE, false, false },
        { "L3: PSE (1 GiB superpage)", &l3e, sp3 | PT_RW | PTE_PSE, false, false },
        { "L2: PCD", &l2e, pte_of(pages[PG_P1], PT_TABLE | PTE_PCD), false, false },
        { "L2: PWT", &l2e, pte_of(pages[PG_P1], PT_TABLE | PTE_PWT), false, false },
        { "L2: G", &l2e, pte_of(pages[PG_P1], PT_TABLE | PTE_G), false, false },
        { "L3: PCD", &l3e, pte_of(pages[PG_P2], PT_TABLE | PTE_PCD), false, false },
        { "L3: G", &l3e, pte_of(pages[PG_P2], PT_TABLE | PTE_G), false, false },
        { "L4: PCD", &l4e, pte_of(pages[PG_P3], PT_TABLE | PTE_PCD), false, false },
        { "L4: PWT", &l4e, pte_of(pages[PG_P3], PT_TABLE | PTE_PWT), false, false },
        { "L4: PSE", &l4e, pte_of(pages[PG_P3], PT_TABLE | PTE_PSE), false, false },
        { "L4: G", &l4e, pte_of(pages[PG_P3], PT_TABLE | PTE_G), false, false },
        { "L1: PAT", &scr.l1_maddr, pte_of(D, PT_RO | PTE_PAT), false, true },
        { "L1: PCD", &scr.l1_maddr, pte_of(D, PT_RO | PTE_PCD), false, true },
        { "L1: PWT", &scr.l1_maddr, pte_of(D, PT_RO | PTE_PWT), false, true },
        { "L1: PCD|PWT|PAT", &scr.l1_maddr, pte_of(D, PT_RW | PTE_PCD | PTE_PWT | PTE_PAT),
          false, true },
        { "L1: G (allowed)", &scr.l1_maddr, pte_of(D, PT_RO | PTE_G), true, false },
        { "L1: NX (allowed)", &scr.l1_maddr, pte_of(D, PT_RO | PTE_NX), true, false },
        { "L2: NX (allowed)", &l2e, pte_of(pages[PG_P1], PT_TABLE | PTE_NX), true, false },
        { "L4: NX (allowed)", &l4e, pte_of(pages[PG_P3], PT_TABLE | PTE_NX), true, false },
    };

    if (!scratch_ok || !l2e || !l3e || !l4e) {
        test_error("no scratch L1 or no L2/L3/L4 slot for the flag cases");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        long rc;

        if (cases[i].unprivileged_only && is_privileged())
            continue;
        rc = mmu_update1(*cases[i].where, cases[i].val);
        if (cases[i].ok) {
            check_rc(cases[i].name, rc, 0);
            mmu_update1(*cases[i].where, 0);
        } else {
            check_refused(cases[i].name, rc, -XEN_EINVAL, -XEN_EBUSY);
        }
    }
    flush_tlb();
    if (scr.l1[0] || read_entry((unsigned long)L2_SLOT << 21, 2) ||
        read_entry((unsigned long)L3_SLOT << 30, 3) || read_entry((unsigned long)200 << 39, 4))
        test_failure("a refused flag case left an entry behind");

    /* The same flags inside tables the guest fills and then pins. */
    for (i = 0; i < 3; i++) {
        static const char *const names[] = {
            "pin of an L2 holding a PSE entry", "pin of an L3 holding a PSE entry",
            "pin of an L2 holding a PCD entry",
        };

        if (set_rw(t)) {
            test_error("cannot make the table frame writable");
            return;
        }
        memset(t, 0, PAGE_SIZE);
        t[7] = i == 1 ? sp3 | PT_RO | PTE_PSE
             : i == 0 ? sp2 | PT_RO | PTE_PSE : pte_of(pages[PG_P1], PT_TABLE | PTE_PCD);
        if (set_ro(t)) {
            test_error("cannot make the table frame read-only");
            return;
        }
        check_refused(names[i], pin_va(i == 1 ? 3 : 2, t), -XEN_EINVAL, -XEN_EBUSY);
    }
    check_rc("the refused tables kept no type", set_rw(t), 0);
}

static void test_end(void)
{
    slots_match("boot L4 at the end", cur_l4(), cur_l4_mfn(), boot_slots, cur_l4_mfn(),
                false);
    check_rc("unpin the new L4", unpin_va(pages[PG_L4B]), 0);
    if (scratch_ok)
        scratch_fini(&scr);
}

static const struct subtest cases[] = {
    { "set up: snapshot of slots 256-271, pinned L1-L3", setup },
    { "a new L4 gets the same hypervisor slots", test_new_l4_slots },
    { "the hole: only the M2P is readable, and read-only", test_hole_access },
    { "mmu_update of slots 256-271 is refused", test_write_slots },
    { "guest-written hypervisor slots are replaced on validation", test_prefilled_l4 },
    { "update_va_mapping in slots 256-271 is refused", test_uvm_hole },
    { "per-level flag masks: PSE, PAT/PCD/PWT, G", test_flag_masks },
    { "slots 256-271 unchanged at the end", test_end },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
