/*
 * xsa-a1-writable-pt: security invariant A1 (XSA-148, 182, 185, 401, 408). A frame that
 * is a page table (L1-L4) or a descriptor table (seg_desc) never has a writable mapping
 * or a writable TLB entry, and the hypervisor's own writes never land in one.
 *
 * Attacks, each of which must be refused (or, for outputs, write nothing):
 *  - against pinned L1, L2, L3 and L4 frames of ours and the boot L4, L3, L2 and the
 *    boot L1 mapping our code: an RW L1 entry to the frame by mmu_update (normal and
 *    PRESERVE_AD), an RO entry then flipped to RW, update_va_mapping of the frame's own
 *    VA or of another VA with RW, mmu_update of the boot L1 entry of its own VA with RW,
 *    an unvalidated L1 holding an RW entry to it that we then pin or hang off an L2 (and
 *    an L2 above such an L1 that we pin), and 2 MiB / 1 GiB superpages covering it;
 *  - pinning (as L1) a frame that is mapped writable, at its own VA or only at a second
 *    VA; the frame keeps no type after the refusal;
 *  - a stale writable TLB entry: a frame written through a mapping that is then removed
 *    with UVMF_NONE (no flush) is pinned as L1 or handed to set_gdt; a write through the
 *    stale VA afterwards must fault (the hypervisor flushes before the type change);
 *  - a live GDT frame: RW mapping by update_va_mapping and mmu_update, a plain
 *    mmu_update write, pinning it, an unvalidated L1 mapping it RW, CLEAR_PAGE and
 *    COPY_PAGE into it; and set_gdt of a pinned L1;
 *  - the hypervisor as a confused deputy: output pointers (mmu_update and mmuext_op
 *    *done, xen_version strings, vcpu_op runstate, memory_op structures), a registered
 *    runstate area, vcpu_info registration, CLEAR_PAGE, COPY_PAGE and update_descriptor,
 *    all aimed at page-table frames we map read-only.
 * After every attack the attacked frame's bytes are compared with a snapshot, and a
 * native write of a bad entry through our own read-only view of it must still fault
 * (Xen's writable-page-table emulation validates such a write and faults too).
 *
 * How: the attacks run against frames of our .bss built into tables here, and against
 * the boot tables found by walking CR3; a scratch L1 hung off the boot L2 gives VAs for
 * the mappings tried. The second guest (AFTER=hello) shows the host survived.
 * Cannot detect: writable mappings the hypervisor keeps for itself that the guest
 * cannot see; a stale TLB entry on another (v)CPU; damage outside the frames we snapshot
 * (the hello guest only catches gross corruption).
 */
#include "../mm-common/seg.h"

const char test_title[] = "xsa-a1-writable-pt: no writable mapping of a page table or GDT";

#define SCRATCH_VA      0x20000000UL    /* boot L2 slot 256 */
#define HOOK_L2_SLOT    300             /* boot L2 slot used to hang attack L1s */
#define HOOK_L3_SLOT    5               /* boot L3 slot used for 1 GiB superpages */

enum {
    PG_SCRATCH, PG_P1, PG_P2, PG_P3, PG_P4, PG_X, PG_X2, PG_W, PG_F, PG_F2, PG_G, PG_D,
    NR_PAGES
};
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok;

/* Scratch L1 entries used by the attacks. */
enum { S_RW = 1, S_RO, S_UVM, S_W2, S_STALE, S_STALE2, S_CTRL };

static bool build_pinned(uint64_t *t, int level)
{
    memset(t, 0, PAGE_SIZE);
    if (set_ro(t) || pin_va(level, t)) {
        test_error("cannot build a pinned L%d", level);
        return false;
    }
    return true;
}

static void setup(void)
{
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    build_pinned(pages[PG_P1], 1);
    build_pinned(pages[PG_P2], 2);
    build_pinned(pages[PG_P3], 3);
    build_pinned(pages[PG_P4], 4);
    if (read_entry((unsigned long)HOOK_L2_SLOT << 21, 2))
        test_error("boot L2 slot %u is in use", HOOK_L2_SLOT);
    if (read_entry((unsigned long)HOOK_L3_SLOT << 30, 3))
        test_error("boot L3 slot %u is in use", HOOK_L3_SLOT);
}

/* A refused attempt: any error (Xen and Parapet may differ in the code). */
static void refused(const char *target, const char *how, long rc)
{
    char what[128];

    snprintf(what, sizeof(what), "%s: %s", target, how);
    if (rc == 0)
        test_failure("%s was accepted", what);
}

/* Every way of mapping frame t (level lvl, VA tv in our boot region) writable. */
static void attack_table(const char *name, unsigned long t, void *tv)
{
    uint64_t *x = pages[PG_X], *x2 = pages[PG_X2];
    uint64_t sum = page_sum(tv), sva = (unsigned long)scratch_va(&scr, S_RW);
    unsigned long l2e = entry_maddr((unsigned long)HOOK_L2_SLOT << 21, 2, NULL);
    unsigned long l3e = entry_maddr((unsigned long)HOOK_L3_SLOT << 30, 3, NULL);
    unsigned long own_l1e = entry_maddr((unsigned long)tv, 1, NULL);
    uint64_t rw = t << PAGE_SHIFT | PT_RW;

    printk("  target: %s (mfn %lx)\n", name, t);
    refused(name, "RW L1 entry by mmu_update", mmu_update1(scr.l1_maddr + S_RW * 8, rw));
    refused(name, "RW L1 entry by PRESERVE_AD",
            mmu_update1((scr.l1_maddr + S_RW * 8) | MMU_PT_UPDATE_PRESERVE_AD, rw));
    refused(name, "RW mapping by update_va_mapping at another VA",
            HYPERVISOR_update_va_mapping(sva, rw, UVMF_INVLPG));
    if (scr.l1[S_RW])
        test_failure("%s: a refused RW entry was stored (%lx)", name, scr.l1[S_RW]);

    /* Read-only is fine; flipping it to RW is not. */
    if (check_rc("read-only L1 entry to a page table",
                 scratch_set(&scr, S_RO, t << PAGE_SHIFT | PT_RO), 0)) {
        refused(name, "RO entry flipped to RW", mmu_update1(scr.l1_maddr + S_RO * 8, rw));
        refused(name, "RO entry flipped to RW by update_va_mapping",
                HYPERVISOR_update_va_mapping((unsigned long)scratch_va(&scr, S_RO), rw,
                                             UVMF_INVLPG));
        invlpg((unsigned long)scratch_va(&scr, S_RO));
        expect_write_faults("write of an RW self-entry through the RO entry",
                            (uint64_t *)scratch_va(&scr, S_RO) + 100, rw);
        scratch_set(&scr, S_RO, 0);
    }
    refused(name, "update_va_mapping of its own VA to RW",
            HYPERVISOR_update_va_mapping((unsigned long)tv, rw, UVMF_INVLPG));
    if (own_l1e)
        refused(name, "mmu_update of the boot L1 entry of its own VA to RW",
                mmu_update1(own_l1e, rw));
    invlpg((unsigned long)tv);
    expect_write_faults("write of an RW self-entry through the table's own VA",
                        (uint64_t *)tv + 101, rw);

    /* An unvalidated L1 holding the RW entry, pinned or hung off an L2. */
    if (!set_rw(x) && !set_rw(x2)) {
        memset(x, 0, PAGE_SIZE);
        memset(x2, 0, PAGE_SIZE);
        x[17] = rw;
        x2[3] = pte_of(x, PT_TABLE);
        if (!set_ro(x) && !set_ro(x2)) {
            refused(name, "pin of an L1 holding an RW entry to it", pin_va(1, x));
            refused(name, "L2 entry to an L1 holding an RW entry to it",
                    l2e ? mmu_update1(l2e, pte_of(x, PT_TABLE)) : -1);
            refused(name, "pin of an L2 above such an L1", pin_va(2, x2));
            check_rc("the attack L1 kept no type", set_rw(x), 0);
            check_rc("the attack L2 kept no type", set_rw(x2), 0);
        }
    }
    /* Superpages covering it (PSE is never allowed to a PV guest). */
    if (l2e)
        refused(name, "2 MiB superpage over it",
                mmu_update1(l2e, (t & ~511UL) << PAGE_SHIFT | PT_RW | PTE_PSE));
    if (l3e)
        refused(name, "1 GiB superpage over it",
                mmu_update1(l3e, (t & ~0x3ffffUL) << PAGE_SHIFT | PT_RW | PTE_PSE));
    if (read_entry((unsigned long)HOOK_L2_SLOT << 21, 2) ||
        read_entry((unsigned long)HOOK_L3_SLOT << 30, 3))
        test_failure("%s: a refused hook or superpage entry was stored", name);

    if (page_sum(tv) != sum)
        test_failure("%s: the table's contents changed during the attacks", name);
}

static void test_pinned_tables(void)
{
    static const char *const names[] = { "", "pinned L1", "pinned L2", "pinned L3",
                                         "pinned L4" };
    int level;

    if (!scratch_ok)
        return;
    for (level = 1; level <= 4; level++) {
        uint64_t *t = pages[PG_P1 + level - 1];

        attack_table(names[level], virt_to_mfn(t), t);
    }
}

static void test_boot_tables(void)
{
    unsigned long code = (unsigned long)test_main;
    uint64_t *table;
    int level;

    if (!scratch_ok)
        return;
    for (level = 4; level >= 1; level--) {
        static const char *const names[] = { "", "boot L1 mapping our code", "boot L2",
                                             "boot L3", "boot L4 (in CR3)" };
        unsigned long maddr = entry_maddr(code, level, &table);

        if (!maddr) {
            test_error("no boot L%d for our code", level);
            return;
        }
        attack_table(names[level], maddr >> PAGE_SHIFT, table);
    }
}

static void test_pin_writable(void)
{
    uint64_t *w = pages[PG_W];

    memset(w, 0, PAGE_SIZE);
    refused("frame mapped writable", "pin as L1", pin_va(1, w));
    expect_exinfo("write to the frame after the refused pin", probe_write(w), EXINFO_NONE);
    if (!scratch_ok)
        return;
    /* Writable only through a second VA. */
    if (scratch_set(&scr, S_W2, pte_of(w, PT_RW)) || set_ro(w)) {
        test_error("cannot set up the second writable mapping");
        return;
    }
    refused("frame mapped writable at a second VA", "pin as L1", pin_va(1, w));
    refused("frame mapped writable at a second VA", "pin as L4", pin_va(4, w));
    refused("frame mapped writable at a second VA", "set_gdt", set_gdt1(w, 16));
    expect_exinfo("write through the second VA after the refusals",
                  probe_write(scratch_va(&scr, S_W2)), EXINFO_NONE);
    scratch_set(&scr, S_W2, 0);
    if (check_rc("pin as L1 once the last writable mapping is gone", pin_va(1, w), 0)) {
        refused("pinned L1", "RW entry at the second VA",
                scratch_set(&scr, S_W2, pte_of(w, PT_RW)));
        unpin_va(w);
    }
    set_rw(w);
}

/*
 * Frame f is written through scratch VA entry s and its own VA, then both mappings lose
 * write access without any flush; 'make_typed' gives it a table type. Writes through the
 * two VAs must fault afterwards.
 */
static void stale_case(const char *name, uint64_t *f, unsigned int s,
                       long (*make_typed)(uint64_t *), void (*undo)(uint64_t *))
{
    volatile uint8_t *sva = scratch_va(&scr, s);
    uint64_t sum;
    long rc;

    memset(f, 0, PAGE_SIZE);
    if (scratch_set(&scr, s, pte_of(f, PT_RW))) {
        test_error("%s: cannot map the frame at the scratch VA", name);
        return;
    }
    sva[8] = 0;                 /* writable TLB entries for both VAs */
    ((volatile uint64_t *)f)[2] = 0;
    if (HYPERVISOR_update_va_mapping((unsigned long)sva, 0, UVMF_NONE) ||
        HYPERVISOR_update_va_mapping((unsigned long)f, pte_of(f, PT_RO), UVMF_NONE)) {
        test_error("%s: cannot drop the mappings without a flush", name);
        return;
    }
    sum = page_sum(f);
    rc = make_typed(f);
    if (!check_rc(name, rc, 0))
        return;
    expect_write_faults("write through the stale scratch VA after the type change",
                        (uint64_t *)sva + 5, pte_of(f, PT_RW));
    expect_write_faults("write through the frame's own VA after the type change",
                        f + 6, pte_of(f, PT_RW));
    if (page_sum(f) != sum)
        test_failure("%s: the frame changed through a stale TLB entry", name);
    undo(f);
}

static long pin_l1_of(uint64_t *f) { return pin_va(1, f); }
static void unpin_of(uint64_t *f) { unpin_va(f); set_rw(f); }
static long gdt_of(uint64_t *f) { return set_gdt1(f, 16); }
static void gdt_undo(uint64_t *f) { (void)f; }

static void test_stale_tlb(void)
{
    volatile uint8_t *cva = scratch_va(&scr, S_CTRL);
    uint64_t *d = pages[PG_D];

    if (!scratch_ok)
        return;
    /* Control: is a stale writable TLB entry usable on this platform at all? */
    if (!scratch_set(&scr, S_CTRL, pte_of(d, PT_RW))) {
        cva[0] = 1;
        HYPERVISOR_update_va_mapping((unsigned long)cva, 0, UVMF_NONE);
        if (probe_write(cva) != EXINFO_NONE)
            test_warning("stale TLB entries are not observable here: the stale-TLB cases "
                         "prove less");
        invlpg((unsigned long)cva);
    }
    stale_case("pin as L1 a frame with a stale writable TLB entry", pages[PG_F], S_STALE,
               pin_l1_of, unpin_of);
    stale_case("set_gdt of a frame with a stale writable TLB entry", pages[PG_F2], S_STALE2,
               gdt_of, gdt_undo);
}

static void test_gdt_frame(void)
{
    uint64_t *g = pages[PG_G], *x = pages[PG_X];
    unsigned long gm = virt_to_mfn(g);
    uint64_t sum;

    memset(g, 0, PAGE_SIZE);
    g[1] = DESC_DATA_DPL3;
    if (set_ro(g) || set_gdt1(g, 16)) {
        test_error("cannot install the GDT frame");
        return;
    }
    sum = page_sum(g);
    refused("GDT frame", "update_va_mapping of its own VA to RW",
            HYPERVISOR_update_va_mapping((unsigned long)g, pte_of(g, PT_RW), UVMF_INVLPG));
    if (scratch_ok) {
        refused("GDT frame", "RW L1 entry by mmu_update",
                mmu_update1(scr.l1_maddr + S_RW * 8, pte_of(g, PT_RW)));
        refused("GDT frame", "RW mapping by update_va_mapping at another VA",
                HYPERVISOR_update_va_mapping((unsigned long)scratch_va(&scr, S_RW),
                                             pte_of(g, PT_RW), UVMF_INVLPG));
    }
    refused("GDT frame", "plain mmu_update write", mmu_update1(virt_to_maddr(&g[2]), 0x1234));
    refused("GDT frame", "pin as L1", pin_va(1, g));
    refused("GDT frame", "CLEAR_PAGE", mmuext(MMUEXT_CLEAR_PAGE, gm, 0));
    refused("GDT frame", "COPY_PAGE into it",
            mmuext(MMUEXT_COPY_PAGE, gm, virt_to_mfn(pages[PG_D])));
    if (!set_rw(x)) {
        memset(x, 0, PAGE_SIZE);
        x[4] = pte_of(g, PT_RW);
        if (!set_ro(x))
            refused("GDT frame", "pin of an L1 holding an RW entry to it", pin_va(1, x));
        set_rw(x);
    }
    expect_write_faults("write of a DPL-0 code descriptor through the GDT frame's own VA",
                        g + 3, 0x00af9a000000ffffUL);
    if (page_sum(g) != sum)
        test_failure("the GDT frame changed during the attacks");
    if (load_ds(SEL(1)) != EXINFO_NONE)
        test_failure("the GDT no longer works after the attacks");
    reset_segs();
    refused("pinned L1", "set_gdt", set_gdt1(pages[PG_P1], 16));
}

/* ---- the hypervisor as a confused deputy ----------------------------------------------- */

static void test_outputs(void)
{
    uint64_t *p1 = pages[PG_P1], *p4 = pages[PG_P4];
    unsigned long p1v = (unsigned long)p1;
    uint64_t s1 = page_sum(p1), s4 = page_sum(p4);
    struct mmu_update req = { virt_to_maddr(&pages[PG_D][0]), 7 };
    struct mmuext_op op = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    struct xen_memory_map map = { .nr_entries = 4 };
    struct vcpu_register_runstate_memory_area area;
    struct vcpu_register_vcpu_info vi = { .mfn = virt_to_mfn(p1), .offset = 0 };
    long rc;

    /* *done into a page table: the request itself is fine. Parapet reports the failed
     * output (-EFAULT); Xen ignores it and returns 0. Either way nothing is written. */
    rc = HYPERVISOR_mmu_update((unsigned long)&req, 1, p1v + 8, DOMID_SELF);
    if (rc != -XEN_EFAULT && rc != 0)
        test_failure("mmu_update with *done in a page table returned %ld", rc);
    rc = HYPERVISOR_mmuext_op((unsigned long)&op, 1, p1v + 16, DOMID_SELF);
    if (rc != -XEN_EFAULT && rc != 0)
        test_failure("mmuext_op with *done in a page table returned %ld", rc);
    check_rc("xen_version(extraversion) into a page table",
             HYPERVISOR_xen_version(XENVER_extraversion, p1v + 24), -XEN_EFAULT);
    check_rc("xen_version(capabilities) into a page table",
             HYPERVISOR_xen_version(XENVER_capabilities, (unsigned long)p4), -XEN_EFAULT);
    check_rc("xen_version(get_features) into a page table",
             HYPERVISOR_xen_version(XENVER_get_features, p1v + 40), -XEN_EFAULT);
    check_rc("vcpu_op(get_runstate_info) into a page table",
             HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, p1v + 64), -XEN_EFAULT);
    check_rc("memory_op(machphys_mapping) into a page table",
             HYPERVISOR_memory_op(XENMEM_machphys_mapping, p1v + 128), -XEN_EFAULT);
    set_xen_guest_handle(map.buffer, (void *)(p1v + 256));
    /* Xen's dom0 has no pseudo-physical memory map (-ENOSYS): a domU gets -EFAULT. */
    check_rc2("memory_op(memory_map) with the buffer in a page table",
              HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map), -XEN_EFAULT,
              -XEN_ENOSYS);

    /* A runstate area the hypervisor would update on its own later. */
    area.addr.v = (void *)(p1v + 512);
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&area);
    if (rc == 0) {
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
        HYPERVISOR_xen_version(XENVER_version, 0);
        area.addr.v = NULL;
        HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&area);
    }
    /* vcpu_info in a page table would let every event write into it. */
    refused("pinned L1", "VCPUOP_register_vcpu_info",
            HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, (unsigned long)&vi));
    refused("pinned L1", "CLEAR_PAGE", mmuext(MMUEXT_CLEAR_PAGE, virt_to_mfn(p1), 0));
    refused("pinned L4", "COPY_PAGE into it",
            mmuext(MMUEXT_COPY_PAGE, virt_to_mfn(p4), virt_to_mfn(pages[PG_D])));
    refused("pinned L1", "update_descriptor",
            HYPERVISOR_update_descriptor(virt_to_maddr(&p1[9]), DESC_DATA_DPL3));
    refused("pinned L4", "update_descriptor of guest slot 9",
            HYPERVISOR_update_descriptor(virt_to_maddr(&p4[9]), DESC_DATA_DPL3));

    if (page_sum(p1) != s1)
        test_failure("the pinned L1 changed: the hypervisor wrote into a page table");
    if (page_sum(p4) != s4)
        test_failure("the pinned L4 changed: the hypervisor wrote into a page table");
}

static const struct subtest cases[] = {
    { "set up: scratch L1 and pinned L1-L4", setup },
    { "writable mappings of pinned L1-L4 frames", test_pinned_tables },
    { "writable mappings of the boot page tables", test_boot_tables },
    { "pin a frame that is mapped writable", test_pin_writable },
    { "type change with a stale writable TLB entry", test_stale_tlb },
    { "writable mappings of a GDT frame", test_gdt_frame },
    { "hypervisor writes aimed at page tables", test_outputs },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
