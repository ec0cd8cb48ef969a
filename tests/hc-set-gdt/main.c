/*
 * hc-set-gdt: the set_gdt hypercall (xen/include/public/xen.h; checklist 1.6): up to 14
 * frames of guest descriptors become the guest part of the GDT. Each frame must be ours
 * with no writable mapping (it takes the seg_desc type) and hold only acceptable
 * descriptors; entries above FIRST_RESERVED_GDT_ENTRY (7168) belong to the hypervisor.
 *
 * Checks:
 *  - a read-only frame with a data, a 64-bit code, a DPL-0 data and a not-present
 *    descriptor is accepted; data selectors from it load into %ds, %es and %fs natively
 *    (and stay loaded across a hypercall); the DPL-0 descriptor was raised to DPL 3 in
 *    the frame; a not-present one gives #NP(selector); the frame can no longer be mapped
 *    writable nor written with mmu_update;
 *  - a two-frame GDT (513 entries): a selector from the second frame loads;
 *  - refused with -EINVAL, the live GDT unchanged: a frame still mapped writable, more
 *    than 7168 entries, a frame with a TSS, LDT, interrupt or trap gate descriptor, or a
 *    call gate to the hypervisor's code selector, a frame not ours, beyond max_mfn, a
 *    pinned page table or shared_info; a bad frame list pointer is -EFAULT;
 *  - a frame replaced by a new set_gdt loses its type (can be mapped writable again);
 *  - set_gdt with 0 entries leaves no guest descriptor loadable.
 * How: hypercalls on pages of our .bss, then segment loads through exception probes.
 * Cannot detect: descriptor checks the CPU itself would catch anyway; the GDT of other
 * vCPUs; base/limit of data segments (ignored in 64-bit mode).
 * Deliberate difference from Xen 4.17 (expected only on the reference): Parapet refuses
 * call gates altogether; Xen accepts one whose target is a guest code selector.
 */
#include "../mm-common/seg.h"

const char test_title[] = "hc-set-gdt: GDT frames are validated, typed and live";

enum { PG_G1, PG_G2, PG_G3, PG_BAD, PG_L1, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static bool g1_live;

#define G1 pages[PG_G1]
#define G2 pages[PG_G2]
#define G3 pages[PG_G3]

static void test_good_frame(void)
{
    memset(G1, 0, PAGE_SIZE);
    G1[1] = DESC_DATA_DPL3;
    G1[2] = DESC_CODE64;
    G1[3] = DESC_DATA_DPL0;
    G1[4] = DESC_DATA_DPL3 & ~DESC_P;
    if (set_ro(G1)) {
        test_error("cannot make the GDT frame read-only");
        return;
    }
    if (!check_rc("set_gdt(one read-only frame, 16 entries)", set_gdt1(G1, 16), 0))
        return;
    g1_live = true;

    if (expect_exinfo("mov to %ds of a data selector", load_ds(SEL(1)), EXINFO_NONE) &&
        read_ds() != SEL(1))
        test_failure("%%ds reads %x, expected %x", read_ds(), SEL(1));
    expect_exinfo("mov to %es of a data selector", load_es(SEL(1)), EXINFO_NONE);
    expect_exinfo("mov to %fs of a data selector", load_fs(SEL(1)), EXINFO_NONE);
    /* A hypercall in between must not change them. */
    HYPERVISOR_xen_version(XENVER_version, 0);
    if (read_ds() != SEL(1) || read_es() != SEL(1) || read_fs() != SEL(1))
        test_failure("after a hypercall ds/es/fs are %x/%x/%x, expected %x", read_ds(),
                     read_es(), read_fs(), SEL(1));
    /* Memory accesses through the loaded %ds work (flat segment). */
    if (G1[1] == 0)
        test_failure("read through the new %%ds gave 0");

    if (!desc_stored_ok(G1[3], DESC_DATA_DPL0) || DESC_DPL(G1[3]) != 3)
        test_failure("the DPL-0 descriptor is stored as %lx: DPL not raised to 3", G1[3]);
    expect_exinfo("mov to %es of the raised DPL-0 descriptor", load_es(SEL(3)), EXINFO_NONE);
    expect_exinfo("mov to %es of a not-present descriptor", load_es(SEL(4)),
                  EXINFO(X86_NP, 4 << 3));
    /* A readable code segment may be loaded into a data segment register. */
    expect_exinfo("mov to %es of the readable code descriptor", load_es(SEL(2)), EXINFO_NONE);
    reset_segs();

    check_refused("RW mapping of the live GDT frame", set_rw(G1), -XEN_EBUSY, -XEN_EINVAL);
    check_rc("mmu_update plain write into the live GDT frame",
             mmu_update1(virt_to_maddr(&G1[5]), DESC_DATA_DPL3), -XEN_EINVAL);
    if (G1[5])
        test_failure("the refused write changed the GDT frame (%lx)", G1[5]);
}

/* The live GDT is still G1: selector 1 loads. */
static void still_g1(const char *after)
{
    if (!g1_live)
        return;
    if (load_ds(SEL(1)) != EXINFO_NONE)
        test_failure("after %s the old GDT no longer works", after);
    reset_segs();
}

static void test_refusals(void)
{
    struct xen_machphys_mapping m = { 0 };
    unsigned long f[2];
    unsigned int i;
    const struct {
        const char *name;
        uint64_t desc;
        long xen;       /* Xen 4.17's answer */
    } sys[] = {
        { "an available 64-bit TSS", DESC_TSS64, -XEN_EINVAL },
        { "an LDT descriptor", DESC_LDT, -XEN_EINVAL },
        { "an interrupt gate", DESC_INTR_GATE(FLAT_KERNEL_CS), -XEN_EINVAL },
        { "a trap gate", DESC_TRAP_GATE(FLAT_KERNEL_CS), -XEN_EINVAL },
        { "a call gate to the hypervisor's code selector", DESC_CALL_GATE(0xe008),
          -XEN_EINVAL },
        /* Parapet refuses every call gate; Xen accepts one to a guest code selector. */
        { "a call gate to FLAT_KERNEL_CS", DESC_CALL_GATE(FLAT_KERNEL_CS), 0 },
    };

    HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&m);
    memset(G2, 0, PAGE_SIZE);
    G2[1] = DESC_DATA_DPL3;
    check_rc("set_gdt(a frame still mapped writable)", set_gdt1(G2, 16), -XEN_EINVAL);
    still_g1("a refused set_gdt");
    check_rc("set_gdt(7169 entries)", set_gdt1(G1, 7169), -XEN_EINVAL);
    check_rc("set_gdt(65536 entries)", set_gdt1(G1, 65536), -XEN_EINVAL);

    for (i = 0; i < ARRAY_SIZE(sys); i++) {
        char what[96];
        long rc;

        if (set_rw(G2)) {
            test_error("cannot make the test frame writable");
            return;
        }
        memset(G2, 0, PAGE_SIZE);
        G2[1] = DESC_DATA_DPL3;
        G2[6] = sys[i].desc;
        if (set_ro(G2)) {
            test_error("cannot make the test frame read-only");
            return;
        }
        snprintf(what, sizeof(what), "set_gdt(a frame with %s)", sys[i].name);
        rc = set_gdt1(G2, 16);
        check_rc2(what, rc, -XEN_EINVAL, sys[i].xen);
        if (rc == 0) {
            /* Accepted (only on the reference): go back to G1. */
            set_gdt1(G1, 16);
            continue;
        }
        still_g1(what);
    }

    check_rc("set_gdt(bad frame list pointer)", HYPERVISOR_set_gdt(0x7f0000000000UL, 16),
             -XEN_EFAULT);
    check_rc("set_gdt(frame list in the hypervisor hole)",
             HYPERVISOR_set_gdt(0xffff830000000000UL, 16), -XEN_EFAULT);
    if (!is_privileged()) {
        f[0] = 0;
        check_rc("set_gdt(mfn 0, not ours)", HYPERVISOR_set_gdt((unsigned long)f, 16),
                 -XEN_EINVAL);
    }
    f[0] = m.max_mfn + 1;
    check_rc("set_gdt(beyond max_mfn)", HYPERVISOR_set_gdt((unsigned long)f, 16), -XEN_EINVAL);
    f[0] = start_info->shared_info >> PAGE_SHIFT;
    check_rc("set_gdt(shared_info)", HYPERVISOR_set_gdt((unsigned long)f, 16), -XEN_EINVAL);

    memset(pages[PG_L1], 0, PAGE_SIZE);
    if (!set_ro(pages[PG_L1]) && !pin_va(1, pages[PG_L1])) {
        check_rc("set_gdt(a pinned L1)", set_gdt1(pages[PG_L1], 16), -XEN_EINVAL);
        unpin_va(pages[PG_L1]);
    }
    /* A good first frame and a bad second one: nothing is taken. */
    f[0] = virt_to_mfn(G3);
    f[1] = virt_to_mfn(pages[PG_BAD]);
    memset(G3, 0, PAGE_SIZE);
    G3[1] = DESC_DATA_DPL3;
    if (!set_ro(G3)) {
        check_rc("set_gdt(a good frame, then a writable one)",
                 HYPERVISOR_set_gdt((unsigned long)f, 600), -XEN_EINVAL);
        check_rc("the good frame of the refused list kept no type", set_rw(G3), 0);
    }
    still_g1("the refused set_gdt calls");
}

static void test_two_frames(void)
{
    unsigned long f[2] = { virt_to_mfn(G2), virt_to_mfn(G3) };

    set_rw(G2);
    set_rw(G3);
    memset(G2, 0, PAGE_SIZE);
    memset(G3, 0, PAGE_SIZE);
    G2[1] = DESC_DATA_DPL3;
    G3[1] = DESC_DATA_DPL3;         /* entry 513 */
    if (set_ro(G2) || set_ro(G3)) {
        test_error("cannot make the two frames read-only");
        return;
    }
    if (!check_rc("set_gdt(two frames, 513 entries)", HYPERVISOR_set_gdt((unsigned long)f,
                                                                         513), 0))
        return;
    g1_live = false;
    expect_exinfo("mov to %ds of entry 513 (second frame)", load_ds(SEL(513)), EXINFO_NONE);
    expect_exinfo("mov to %ds of entry 1 (first frame)", load_ds(SEL(1)), EXINFO_NONE);
    reset_segs();
    /* G1 is no longer a GDT frame: its type is gone. */
    check_rc("RW mapping of the replaced GDT frame", set_rw(G1), 0);
}

static void test_zero_entries(void)
{
    unsigned long f[1] = { 0 };

    if (!check_rc("set_gdt(0 entries)", HYPERVISOR_set_gdt((unsigned long)f, 0), 0))
        return;
    expect_exinfo("mov to %ds with an empty guest GDT", load_ds(SEL(1)),
                  EXINFO(X86_GP, 1 << 3));
    reset_segs();
    check_rc("RW mapping of the frames of the replaced GDT", set_rw(G2), 0);
    check_rc("RW mapping of the second frame of the replaced GDT", set_rw(G3), 0);
}

static const struct subtest cases[] = {
    { "a GDT frame with code/data descriptors is live after set_gdt", test_good_frame },
    { "writable frames, too many entries, system descriptors, bad frames", test_refusals },
    { "a two-frame GDT", test_two_frames },
    { "set_gdt with 0 entries", test_zero_entries },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
