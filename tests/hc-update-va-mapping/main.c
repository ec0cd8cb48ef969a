/*
 * hc-update-va-mapping: the update_va_mapping hypercall (xen/include/public/xen.h,
 * "update_va_mapping"; checklist 1.6): replace the L1 entry mapping one VA in the current
 * page tables, validated like mmu_update, then flush as the flags ask.
 *
 * Checks:
 *  - a data page mapped at a fresh VA (under an L1 of ours hung off the boot L2) is
 *    readable and writable there; PTE 0 unmaps it (#PF); a read-only mapping faults on
 *    write; the stored entry is the one asked for (plus _PAGE_USER);
 *  - UVMF_INVLPG and UVMF_TLB_FLUSH (local and UVMF_ALL) make a replaced mapping visible
 *    although the old translation was just used; UVMF_NONE plus an explicit INVLPG does
 *    too; so do UVMF_MULTI with a bitmap naming vCPU 0; an unreadable bitmap is -EFAULT
 *    after the entry was written (as Xen: the update is not undone);
 *  - shared_info, a hypervisor-written page of ours, maps read-write at a second VA and
 *    both VAs show the same bytes;
 *  - refused, with the entry unchanged: a VA whose L2 entry is empty or whose L4 slot is
 *    empty (no L1: -EINVAL), VAs in the hypervisor hole and non-canonical VAs (-EINVAL),
 *    PTEs naming a frame that is not ours or does not exist (-EINVAL), a writable PTE to
 *    one of our page tables (-EBUSY), disallowed flags (PSE/PAT, PCD, PWT: -EINVAL).
 * How: hypercalls on pages of our .bss; the data pages carry distinct patterns.
 * Cannot detect: flushes on other vCPUs (one vCPU); an implementation that flushes more
 * than asked (harmless).
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "hc-update-va-mapping: map, unmap, flush flags, refusals";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define NO_L1_VA    0x30000000UL        /* boot L2 slot 384: no L1 */
#define NO_L4_VA    0x7f0000000000UL    /* L4 slot 254: empty */

enum { PG_SCRATCH, PG_D1, PG_D2, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok;
static unsigned long vcpu0_mask __aligned(8) = 1;

#define D1 pages[PG_D1]
#define D2 pages[PG_D2]

static void fill(uint64_t *p, uint64_t tag)
{
    unsigned int i;

    for (i = 0; i < 512; i++)
        p[i] = tag << 32 | i;
}

static long uvm(unsigned long va, uint64_t pte, unsigned long flags)
{
    return HYPERVISOR_update_va_mapping(va, pte, flags);
}

static void setup(void)
{
    fill(D1, 0xd1);
    fill(D2, 0xd2);
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
}

static void test_map_unmap(void)
{
    volatile uint64_t *va = scratch_va(&scr, 0);
    uint64_t want = pte_of(D1, PT_RW) | PTE_US;

    if (!scratch_ok)
        return;
    if (!check_rc("map D1 read-write at a fresh VA", uvm((unsigned long)va, pte_of(D1, PT_RW),
                                                         UVMF_INVLPG), 0))
        return;
    if ((scr.l1[0] & ~(1UL << 52)) != want)
        test_failure("stored entry %lx, expected %lx", scr.l1[0], want);
    if (va[3] != D1[3])
        test_failure("the VA reads %lx, expected %lx (D1)", va[3], D1[3]);
    va[4] = 0x44;
    if (D1[4] != 0x44)
        test_failure("a write through the VA did not reach D1 (%lx)", D1[4]);
    D1[4] = 0xd100000004UL;

    check_rc("remap it read-only", uvm((unsigned long)va, pte_of(D1, PT_RO), UVMF_INVLPG), 0);
    expect_exinfo("write to the read-only mapping", probe_write(va),
                  EXINFO(X86_PF, PFEC_P | PFEC_W));
    expect_exinfo("read of the read-only mapping", probe_read(va), EXINFO_NONE);

    check_rc("unmap (PTE 0)", uvm((unsigned long)va, 0, UVMF_INVLPG), 0);
    if (scr.l1[0])
        test_failure("entry is %lx after the unmap, expected 0", scr.l1[0]);
    expect_exinfo("read of the unmapped VA", probe_read(va), EXINFO(X86_PF, 0));
}

/* Map 'from' at the VA, use it, replace it by 'to' with 'flags' and check what the VA
 * shows afterwards. */
static void flush_case(const char *name, unsigned long flags, bool explicit_invlpg)
{
    volatile uint64_t *va = scratch_va(&scr, 1);
    long rc;

    if (uvm((unsigned long)va, pte_of(D1, PT_RO), UVMF_INVLPG) || va[1] != D1[1]) {
        test_error("%s: cannot map D1", name);
        return;
    }
    rc = uvm((unsigned long)va, pte_of(D2, PT_RO), flags);
    if (!check_rc(name, rc, 0))
        return;
    if (explicit_invlpg)
        invlpg((unsigned long)va);
    if (va[1] != D2[1])
        test_failure("%s: the VA still shows %lx, expected %lx (D2)", name, va[1], D2[1]);
}

static void test_flush_flags(void)
{
    volatile uint64_t *va = scratch_va(&scr, 1);

    if (!scratch_ok)
        return;
    /* Control: with UVMF_NONE the old translation should still be in use. */
    if (!uvm((unsigned long)va, pte_of(D1, PT_RO), UVMF_INVLPG) && va[1] == D1[1] &&
        !uvm((unsigned long)va, pte_of(D2, PT_RO), UVMF_NONE) && va[1] != D1[1])
        test_warning("no stale TLB entry seen after UVMF_NONE: the flush checks prove less");
    flush_case("UVMF_INVLPG", UVMF_INVLPG, false);
    flush_case("UVMF_TLB_FLUSH", UVMF_TLB_FLUSH, false);
    flush_case("UVMF_INVLPG | UVMF_ALL", UVMF_INVLPG | UVMF_ALL, false);
    flush_case("UVMF_TLB_FLUSH | UVMF_ALL", UVMF_TLB_FLUSH | UVMF_ALL, false);
    flush_case("UVMF_NONE, then MMUEXT_INVLPG_LOCAL", UVMF_NONE, true);
    flush_case("UVMF_INVLPG | UVMF_MULTI (vCPU 0)", UVMF_INVLPG | (unsigned long)&vcpu0_mask,
               false);
    flush_case("UVMF_TLB_FLUSH | UVMF_MULTI (vCPU 0)",
               UVMF_TLB_FLUSH | (unsigned long)&vcpu0_mask, false);

    /* An unreadable vCPU bitmap: the entry is written first, the flush then fails. */
    if (!uvm((unsigned long)va, pte_of(D1, PT_RO), UVMF_INVLPG)) {
        check_rc("UVMF_INVLPG | UVMF_MULTI with an unmapped bitmap",
                 uvm((unsigned long)va, pte_of(D2, PT_RO), UVMF_INVLPG | NO_L4_VA),
                 -XEN_EFAULT);
        if (pte_mfn(scr.l1[1]) != virt_to_mfn(D2))
            test_failure("the entry was not written before the bad bitmap was read");
    }
    uvm((unsigned long)va, 0, UVMF_INVLPG);
}

static void test_shared_info(void)
{
    volatile shared_info_t *si2 = scratch_va(&scr, 2);

    if (!scratch_ok)
        return;
    if (!check_rc("map shared_info read-write at a second VA",
                  uvm((unsigned long)si2, start_info->shared_info | PT_RW, UVMF_INVLPG), 0))
        return;
    if (si2->vcpu_info[0].evtchn_upcall_mask != shared_info->vcpu_info[0].evtchn_upcall_mask)
        test_failure("the two shared_info mappings disagree on the upcall mask");
    /* arch.max_pfn belongs to the guest: write it through one VA, read it through the
     * other. */
    si2->arch.max_pfn = 0x1234;
    if (shared_info->arch.max_pfn != 0x1234)
        test_failure("a write through the second shared_info mapping is not visible "
                     "through the first (%lx)", shared_info->arch.max_pfn);
    shared_info->arch.max_pfn = 0;
    check_rc("unmap the second shared_info mapping", uvm((unsigned long)si2, 0, UVMF_INVLPG),
             0);
}

static void test_bad_va(void)
{
    static const struct {
        const char *name;
        unsigned long va;
    } cases[] = {
        { "a VA whose L2 entry is empty (no L1)", NO_L1_VA },
        { "a VA whose L4 slot is empty", NO_L4_VA },
        { "the first byte of the hypervisor hole", 0xffff800000000000UL },
        { "the hypervisor's direct map (hole)", 0xffff830000001000UL },
        { "the last page of the hypervisor hole", 0xffff87fffffff000UL },
        { "non-canonical 0x0000800000000000", 0x0000800000000000UL },
        { "non-canonical 0x8000000000000000", 0x8000000000000000UL },
        { "non-canonical 0xffff7ffffffff000", 0xffff7ffffffff000UL },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        char what[96];

        snprintf(what, sizeof(what), "update_va_mapping at %s", cases[i].name);
        check_rc(what, uvm(cases[i].va, pte_of(D1, PT_RO), UVMF_INVLPG), -XEN_EINVAL);
        snprintf(what, sizeof(what), "update_va_mapping(0) at %s", cases[i].name);
        check_rc(what, uvm(cases[i].va, 0, UVMF_INVLPG), -XEN_EINVAL);
    }
}

static void test_bad_pte(void)
{
    struct xen_machphys_mapping m = { 0 };
    unsigned long va;
    unsigned int i;

    if (!scratch_ok)
        return;
    va = (unsigned long)scratch_va(&scr, 3);
    HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&m);
    {
        const struct {
            const char *name;
            uint64_t pte;
            long want, alt;
            bool unprivileged_only;
        } cases[] = {
            { "mfn 0 (the hypervisor's)", PT_RO, -XEN_EINVAL, -XEN_EINVAL, true },
            { "max_mfn + 1", (m.max_mfn + 1) << PAGE_SHIFT | PT_RO, -XEN_EINVAL, -XEN_EINVAL,
              true },
            { "the last possible mfn", PTE_ADDR | PT_RO, -XEN_EINVAL, -XEN_EINVAL, false },
            { "writable, to the scratch L1 (a page table)", pte_of(scr.l1, PT_RW),
              -XEN_EBUSY, -XEN_EBUSY, false },
            { "writable, to our boot L4", cur_l4_mfn() << PAGE_SHIFT | PT_RW,
              -XEN_EBUSY, -XEN_EBUSY, false },
            { "PAT (bit 7)", pte_of(D1, PT_RO | PTE_PAT), -XEN_EINVAL, -XEN_EINVAL, true },
            { "PCD", pte_of(D1, PT_RO | PTE_PCD), -XEN_EINVAL, -XEN_EINVAL, true },
            { "PWT", pte_of(D1, PT_RO | PTE_PWT), -XEN_EINVAL, -XEN_EINVAL, true },
        };

        for (i = 0; i < ARRAY_SIZE(cases); i++) {
            char what[96];

            if (cases[i].unprivileged_only && is_privileged())
                continue;
            snprintf(what, sizeof(what), "update_va_mapping with a PTE to %s", cases[i].name);
            check_refused(what, uvm(va, cases[i].pte, UVMF_INVLPG), cases[i].want,
                          cases[i].alt);
            if (scr.l1[3]) {
                test_failure("%s: the entry changed to %lx", what, scr.l1[3]);
                uvm(va, 0, UVMF_INVLPG);
            }
        }
    }
    /* A read-only mapping of a page table is fine. */
    if (check_rc("read-only mapping of the scratch L1 itself",
                 uvm(va, pte_of(scr.l1, PT_RO), UVMF_INVLPG), 0) &&
        ((volatile uint64_t *)va)[3] != scr.l1[3])
        test_failure("the read-only mapping of the L1 shows other bytes");
    uvm(va, 0, UVMF_INVLPG);
}

static void test_cleanup(void)
{
    if (scratch_ok)
        scratch_fini(&scr);
}

static const struct subtest cases[] = {
    { "set up: data pages and a scratch L1", setup },
    { "map, remap read-only and unmap a page at a fresh VA", test_map_unmap },
    { "UVMF_INVLPG and UVMF_TLB_FLUSH make the change visible", test_flush_flags },
    { "shared_info maps read-write", test_shared_info },
    { "VAs without an L1, in the hypervisor hole, non-canonical", test_bad_va },
    { "PTEs naming foreign frames, page tables or bad flags", test_bad_pte },
    { "clean up", test_cleanup },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
