/*
 * hc-update-descriptor: the update_descriptor hypercall (xen/include/public/xen.h):
 * write one 8-byte descriptor at a machine address, validated like a set_gdt frame.
 * The address may be in a frame of the live GDT (seg_desc type) or in an ordinary frame
 * of ours (which takes a writable type for the write).
 *
 * Checks:
 *  - into the live GDT frame: a data descriptor written into a not-present slot becomes
 *    loadable into %es at once; written back to not present, loading gives #NP; a DPL-0
 *    data descriptor is stored with DPL 3;
 *  - into an ordinary frame, mapped writable or read-only: the value lands there (with
 *    the same DPL fix);
 *  - refused with -EINVAL and nothing written: system descriptors (TSS, LDT, interrupt,
 *    trap and call gates), a maddr not 8-byte aligned, a frame not ours or beyond
 *    max_mfn, a page-table frame (the pinned L1 and the boot L4);
 * How: hypercalls on pages of our .bss; segment loads through exception probes.
 * Cannot detect: other vCPUs' view of the GDT; what a present descriptor's base/limit
 * would do (flat in 64-bit mode).
 * Deliberate differences from Xen 4.17 (expected only on the reference): Parapet refuses
 * call gates altogether (Xen accepts one to a guest code selector), and refuses
 * update_descriptor into shared_info (Xen writes it: the page is the guest's and mapped
 * writable by it anyway).
 */
#include "../mm-common/seg.h"

const char test_title[] = "hc-update-descriptor: validated descriptor writes";

enum { PG_G, PG_D, PG_L1, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static bool gdt_ok;

#define G pages[PG_G]
#define D pages[PG_D]

static long upd(const void *at, uint64_t desc)
{
    return HYPERVISOR_update_descriptor(virt_to_maddr(at), desc);
}

static void setup(void)
{
    memset(G, 0, PAGE_SIZE);
    G[1] = DESC_DATA_DPL3;
    if (set_ro(G) || set_gdt1(G, 32)) {
        test_error("cannot install a one-frame GDT");
        return;
    }
    gdt_ok = true;
}

static void test_live_gdt(void)
{
    if (!gdt_ok)
        return;
    expect_exinfo("mov to %es of the empty slot 5", load_es(SEL(5)), EXINFO(X86_GP, 5 << 3));
    if (!check_rc("update_descriptor(GDT slot 5 = data)", upd(&G[5], DESC_DATA_DPL3), 0))
        return;
    if (!desc_stored_ok(G[5], DESC_DATA_DPL3))
        test_failure("GDT slot 5 holds %lx, expected %lx", G[5], DESC_DATA_DPL3);
    expect_exinfo("mov to %es of the updated slot 5", load_es(SEL(5)), EXINFO_NONE);
    reset_segs();
    check_rc("update_descriptor(GDT slot 5 = not present)",
             upd(&G[5], DESC_DATA_DPL3 & ~DESC_P), 0);
    expect_exinfo("mov to %es of the now not-present slot 5", load_es(SEL(5)),
                  EXINFO(X86_NP, 5 << 3));
    check_rc("update_descriptor(GDT slot 6 = DPL-0 data)", upd(&G[6], DESC_DATA_DPL0), 0);
    if (DESC_DPL(G[6]) != 3)
        test_failure("GDT slot 6 holds %lx: DPL not raised to 3", G[6]);
    expect_exinfo("mov to %es of slot 6", load_es(SEL(6)), EXINFO_NONE);
    reset_segs();
    /* Still a GDT frame: no writable mapping. */
    check_refused("RW mapping of the GDT frame", set_rw(G), -XEN_EBUSY, -XEN_EINVAL);
}

static void test_ordinary_frame(void)
{
    memset(D, 0, PAGE_SIZE);
    if (check_rc("update_descriptor into an ordinary writable frame",
                 upd(&D[7], DESC_DATA_DPL0), 0) &&
        (!desc_stored_ok(D[7], DESC_DATA_DPL0) || DESC_DPL(D[7]) != 3))
        test_failure("the ordinary frame holds %lx, expected %lx with DPL 3", D[7],
                     DESC_DATA_DPL0);
    if (set_ro(D)) {
        test_error("cannot map the ordinary frame read-only");
        return;
    }
    if (check_rc("update_descriptor into an ordinary read-only frame",
                 upd(&D[8], DESC_CODE64), 0) && !desc_stored_ok(D[8], DESC_CODE64))
        test_failure("the read-only frame holds %lx, expected %lx", D[8], DESC_CODE64);
    check_rc("the ordinary frame kept no type", set_rw(D), 0);
}

static void test_refusals(void)
{
    struct xen_machphys_mapping m = { 0 };
    uint64_t *l1 = pages[PG_L1], *l4 = mfn_to_virt(cur_l4_mfn());
    uint64_t l4_100 = l4[100];
    unsigned int i;
    const struct {
        const char *name;
        uint64_t desc;
        long xen;
    } sys[] = {
        { "an available 64-bit TSS", DESC_TSS64, -XEN_EINVAL },
        { "an LDT descriptor", DESC_LDT, -XEN_EINVAL },
        { "an interrupt gate", DESC_INTR_GATE(FLAT_KERNEL_CS), -XEN_EINVAL },
        { "a trap gate", DESC_TRAP_GATE(FLAT_KERNEL_CS), -XEN_EINVAL },
        { "a call gate to the hypervisor's code selector", DESC_CALL_GATE(0xe008),
          -XEN_EINVAL },
        { "a call gate to FLAT_KERNEL_CS", DESC_CALL_GATE(FLAT_KERNEL_CS), 0 },
    };

    HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&m);
    for (i = 0; i < ARRAY_SIZE(sys); i++) {
        char what[96];

        snprintf(what, sizeof(what), "update_descriptor(GDT slot 9 = %s)", sys[i].name);
        if (check_rc2(what, upd(&G[9], sys[i].desc), -XEN_EINVAL, sys[i].xen) &&
            sys[i].xen == -XEN_EINVAL && G[9])
            test_failure("%s: the slot changed to %lx", what, G[9]);
        upd(&G[9], 0);
        snprintf(what, sizeof(what), "update_descriptor(ordinary frame = %s)", sys[i].name);
        D[9] = 0;
        check_rc2(what, upd(&D[9], sys[i].desc), -XEN_EINVAL, sys[i].xen);
    }

    check_rc("update_descriptor(maddr + 4)", HYPERVISOR_update_descriptor(
                 virt_to_maddr(&G[10]) + 4, DESC_DATA_DPL3), -XEN_EINVAL);
    check_rc("update_descriptor(maddr + 1)", HYPERVISOR_update_descriptor(
                 virt_to_maddr(&D[10]) + 1, DESC_DATA_DPL3), -XEN_EINVAL);
    if (G[10] || D[10] || D[11])
        test_failure("an unaligned update wrote something (%lx %lx %lx)", G[10], D[10], D[11]);
    if (!is_privileged())
        check_rc("update_descriptor(mfn 0, not ours)",
                 HYPERVISOR_update_descriptor(0x800, DESC_DATA_DPL3), -XEN_EINVAL);
    check_rc("update_descriptor(beyond max_mfn)",
             HYPERVISOR_update_descriptor((m.max_mfn + 1) << PAGE_SHIFT, DESC_DATA_DPL3),
             -XEN_EINVAL);
    /* Parapet keeps hypervisor-written pages for the hypervisor; Xen writes them. */
    check_rc2("update_descriptor(shared_info, unused tail)",
              HYPERVISOR_update_descriptor(start_info->shared_info + 0xf00, 0), -XEN_EINVAL, 0);

    /* Page tables: a descriptor there would be a page-table entry nobody validated. */
    memset(l1, 0, PAGE_SIZE);
    if (!set_ro(l1) && !pin_va(1, l1)) {
        check_rc("update_descriptor(a pinned L1)", upd(&l1[3], DESC_DATA_DPL3), -XEN_EINVAL);
        if (l1[3])
            test_failure("the refused update wrote the L1 (%lx)", l1[3]);
        unpin_va(l1);
        set_rw(l1);
    }
    check_rc("update_descriptor(the boot L4, slot 100)", upd(&l4[100], DESC_DATA_DPL3),
             -XEN_EINVAL);
    if (l4[100] != l4_100)
        test_failure("the refused update changed L4 slot 100 to %lx", l4[100]);
}

static const struct subtest cases[] = {
    { "set up: a one-frame GDT", setup },
    { "update_descriptor into the live GDT frame", test_live_gdt },
    { "update_descriptor into an ordinary frame", test_ordinary_frame },
    { "system descriptors, unaligned and foreign addresses, page tables", test_refusals },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
