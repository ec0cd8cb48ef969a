/*
 * hc-mmu-update: the mmu_update hypercall (xen/include/public/xen.h, "mmu_update"):
 * validated page-table updates at every level, A/D preservation, M2P updates, plain
 * writes into ordinary frames, and its error answers.
 *
 * Checks:
 *  - an L1 built from a frame of ours (zeroed, made read-only, pinned) and hung off the
 *    boot L2 with MMU_NORMAL_PT_UPDATE maps a data page at a fresh VA: the data is
 *    visible there, writes through it land in the frame; replacing the entry switches
 *    frames, clearing it unmaps (#PF); the stored entries carry _PAGE_USER (forced on
 *    by the hypervisor for 64-bit PV);
 *  - a fresh L3 -> L2 -> L1 chain filled while writable, made read-only and pinned as L3
 *    (validated recursively) maps data through an empty L4 slot; the tables stay typed
 *    (no writable mapping possible) until the slot is cleared and the L3 unpinned;
 *  - MMU_PT_UPDATE_PRESERVE_AD ORs the old A/D bits into a present new entry (L1 and
 *    L2), including bits the CPU set itself; MMU_NORMAL_PT_UPDATE stores them as given;
 *  - MMU_MACHPHYS_UPDATE changes the M2P entry the guest reads at MACH2PHYS_VIRT_START;
 *  - MMU_NORMAL_PT_UPDATE into an ordinary frame (writable or read-only mapped) is a
 *    plain 8-byte store;
 *  - errors: ptr[2:0] 4..7 (-ENOSYS: Xen decodes the command from ptr[2:0], so a ptr
 *    that is not 8-byte aligned is an unknown command), a frame that is not ours or
 *    beyond max_mfn in ptr or in val (-EINVAL), L4 slots 256-271 (-EINVAL), a failure in
 *    the middle of a batch (the rc, *done = requests applied, the rest not applied), a
 *    bad or partly unmapped request array (-EFAULT), foreigndom naming a domain that does
 *    not exist or the caller by number (-ESRCH: only DOMID_SELF names oneself).
 * How: hypercalls on pages of our .bss, reading entries back through our read-only
 * mappings of the tables and the M2P through its fixed VA.
 * Cannot detect: TLB behaviour beyond what one vCPU sees after an explicit invlpg;
 * reference-count leaks that never surface as a refused pin or a refused writable
 * mapping; writes by the hypervisor to frames we cannot read.
 * Deliberate differences from Xen 4.17 (expected only on the reference):
 * MMU_PT_UPDATE_NO_TRANSLATE is -ENOSYS on Parapet (Xen treats it as a normal update for
 * PV guests); MMU_MACHPHYS_UPDATE to a pfn beyond the domain's is -EINVAL on Parapet
 * (Xen stores any value); Xen also sets software bit 52 (_PAGE_GUEST_KERNEL) in kernel
 * L1 entries.
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "hc-mmu-update: validated updates, A/D, M2P and errors";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define GUEST_KERNEL_BIT (1UL << 52)    /* Xen's _PAGE_GUEST_KERNEL */

enum { PG_SCRATCH, PG_D1, PG_D2, PG_L3, PG_L2, PG_L1, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok;

#define D1 pages[PG_D1]
#define D2 pages[PG_D2]

static void fill(uint64_t *p, uint64_t tag)
{
    unsigned int i;

    for (i = 0; i < 512; i++)
        p[i] = tag << 32 | i;
}

/* The entry as the hypervisor should have stored it: flags plus _PAGE_USER. */
static bool entry_is(const char *what, uint64_t got, uint64_t want)
{
    if (want & PTE_P)
        want |= PTE_US;
    if ((got & ~GUEST_KERNEL_BIT) == want)
        return true;
    test_failure("%s: entry is %lx, expected %lx", what, got, want);
    return false;
}

static unsigned long max_mfn(void)
{
    struct xen_machphys_mapping m;

    if (HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&m))
        return 0;
    return m.max_mfn;
}

/* ---- building and using tables --------------------------------------------------------- */

static void test_scratch_l1(void)
{
    uint64_t l2e;

    fill(D1, 0xd1);
    fill(D2, 0xd2);
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    if (!scratch_ok)
        return;
    l2e = read_entry(SCRATCH_VA, 2);
    entry_is("L2 entry to the new L1", l2e, pte_of(pages[PG_SCRATCH], PT_TABLE));
    /* Pinned and referenced: no writable mapping of it may exist. */
    check_refused("update_va_mapping(RW) of the pinned L1", set_rw(pages[PG_SCRATCH]),
                  -XEN_EBUSY, -XEN_EINVAL);
}

static void test_map_data(void)
{
    volatile uint64_t *va = scratch_va(&scr, 0);

    if (!scratch_ok)
        return;
    if (!check_rc("mmu_update(L1[0] = D1 RW)", scratch_set(&scr, 0, pte_of(D1, PT_RW)), 0))
        return;
    entry_is("L1[0]", scr.l1[0], pte_of(D1, PT_RW));
    if (va[7] != D1[7])
        test_failure("data at the fresh VA is %lx, expected %lx (D1)", va[7], D1[7]);
    va[9] = 0x5a5a;
    if (D1[9] != 0x5a5a)
        test_failure("write through the fresh VA did not reach D1 (%lx)", D1[9]);
    D1[9] = 0xd100000009UL;
}

static void test_replace_clear(void)
{
    volatile uint64_t *va = scratch_va(&scr, 0);

    if (!scratch_ok)
        return;
    if (check_rc("mmu_update(L1[0] = D2 RW), replacing D1",
                 scratch_set(&scr, 0, pte_of(D2, PT_RW)), 0) &&
        va[7] != D2[7])
        test_failure("after the replace the VA reads %lx, expected %lx (D2)", va[7], D2[7]);
    if (check_rc("mmu_update(L1[0] = 0)", scratch_set(&scr, 0, 0), 0)) {
        entry_is("cleared L1[0]", scr.l1[0], 0);
        expect_exinfo("read of the cleared VA", probe_read(va), EXINFO(X86_PF, 0));
    }
}

static void test_preserve_ad(void)
{
    const unsigned long ad = PTE_A | PTE_D;
    volatile uint64_t *va = scratch_va(&scr, 1);
    unsigned long e1 = scr.l1_maddr + 8;
    uint64_t old;

    if (!scratch_ok)
        return;
    /* Normal update stores A/D as given, set or clear. */
    check_rc("normal L1 update with A|D", mmu_update1(e1, pte_of(D1, PTE_P | PTE_RW | ad)), 0);
    entry_is("L1[1] after a normal update with A|D", scr.l1[1], pte_of(D1, PTE_P | PTE_RW | ad));
    check_rc("PRESERVE_AD update without A|D",
             mmu_update1(e1 | MMU_PT_UPDATE_PRESERVE_AD, pte_of(D1, PTE_P | PTE_RW)), 0);
    entry_is("L1[1] after PRESERVE_AD", scr.l1[1], pte_of(D1, PTE_P | PTE_RW | ad));
    check_rc("normal L1 update without A|D", mmu_update1(e1, pte_of(D1, PTE_P | PTE_RW)), 0);
    entry_is("L1[1] after a normal update without A|D", scr.l1[1], pte_of(D1, PTE_P | PTE_RW));

    /* A/D the CPU sets are kept too, also when the new entry maps another frame. */
    invlpg((unsigned long)va);
    va[0] = va[0];
    if ((scr.l1[1] & ad) != ad)
        test_warning("the CPU did not set A/D in L1[1] (%lx): hardware case not checked",
                     scr.l1[1]);
    else {
        check_rc("PRESERVE_AD update to another frame",
                 mmu_update1(e1 | MMU_PT_UPDATE_PRESERVE_AD, pte_of(D2, PTE_P | PTE_RW)), 0);
        entry_is("L1[1] after PRESERVE_AD to D2", scr.l1[1], pte_of(D2, PTE_P | PTE_RW | ad));
    }
    /* A not-present new value gets them too (xen.h: "A/D bits currently in the PTE are
     * ORed into the value written"); a normal update then clears the entry. */
    old = scr.l1[1];
    check_rc("PRESERVE_AD update to 0", mmu_update1(e1 | MMU_PT_UPDATE_PRESERVE_AD, 0), 0);
    entry_is("L1[1] after PRESERVE_AD to 0", scr.l1[1], old & ad);
    check_rc("normal update to 0", mmu_update1(e1, 0), 0);
    entry_is("L1[1] after a normal update to 0", scr.l1[1], 0);
    invlpg((unsigned long)va);

    /* The same at L2: the entry pointing at the scratch L1 has A set. */
    check_rc("PRESERVE_AD L2 update without A",
             mmu_update1(scr.l2e_maddr | MMU_PT_UPDATE_PRESERVE_AD,
                         pte_of(pages[PG_SCRATCH], PTE_P | PTE_RW)), 0);
    if (!(read_entry(SCRATCH_VA, 2) & PTE_A))
        test_failure("PRESERVE_AD on an L2 entry dropped A: %lx", read_entry(SCRATCH_VA, 2));
}

/* An unused guest L4 slot of the current L4 (1..255). */
static unsigned int free_l4_slot(void)
{
    const uint64_t *l4 = mfn_to_virt(cur_l4_mfn());
    unsigned int i;

    for (i = 1; i < 256; i++)
        if (!l4[i])
            return i;
    return 0;
}

static void test_chain(void)
{
    uint64_t *l3 = pages[PG_L3], *l2 = pages[PG_L2], *l1 = pages[PG_L1];
    unsigned int slot = free_l4_slot();
    unsigned long base = (unsigned long)slot << 39, l4e = entry_maddr(base, 4, NULL);
    volatile uint64_t *va = (volatile uint64_t *)(base + (3UL << 30) + (5UL << 21) +
                                                 (7UL << 12));
    long rc;

    if (!slot) {
        test_error("no free L4 slot for the chain");
        return;
    }
    memset(l3, 0, 3 * PAGE_SIZE);
    l1[7] = pte_of(D1, PT_RO);
    l2[5] = pte_of(l1, PT_TABLE);
    l3[3] = pte_of(l2, PT_TABLE);
    if (set_ro(l1) || set_ro(l2) || set_ro(l3)) {
        test_error("cannot make the chain read-only");
        return;
    }
    if (!check_rc("pin the L3 of a filled L3 -> L2 -> L1 chain", pin_va(3, l3), 0))
        return;
    rc = mmu_update1(l4e, pte_of(l3, PT_TABLE));
    if (check_rc("mmu_update(L4 slot = the pinned L3)", rc, 0)) {
        if (va[11] != D1[11])
            test_failure("data through the new chain is %lx, expected %lx", va[11], D1[11]);
        entry_is("validated L1[7] of the chain", l1[7], pte_of(D1, PT_RO));
        expect_exinfo("write through the read-only chain entry", probe_write(va),
                      EXINFO(X86_PF, PFEC_P | PFEC_W));
    }
    /* Typed through the chain: the lower tables may not become writable. */
    check_refused("RW mapping of the chain's L2", set_rw(l2), -XEN_EBUSY, -XEN_EINVAL);
    check_refused("RW mapping of the chain's L1", set_rw(l1), -XEN_EBUSY, -XEN_EINVAL);

    check_rc("clear the L4 slot", mmu_update1(l4e, 0), 0);
    flush_tlb();
    check_rc("unpin the chain's L3", unpin_va(l3), 0);
    /* Untyped again: every frame may be mapped writable. */
    check_rc("RW mapping of the L3 after unpin", set_rw(l3), 0);
    check_rc("RW mapping of the L2 after unpin", set_rw(l2), 0);
    check_rc("RW mapping of the L1 after unpin", set_rw(l1), 0);
}

/* ---- M2P and plain writes ---------------------------------------------------------------- */

static void test_machphys(void)
{
    unsigned long mfn = virt_to_mfn(D1), pfn = virt_to_pfn(D1);
    unsigned long other = start_info->nr_pages - 1;

    if (M2P[mfn] != pfn) {
        test_failure("M2P[%lx] is %lx, expected pfn %lx", mfn, M2P[mfn], pfn);
        return;
    }
    if (check_rc("MMU_MACHPHYS_UPDATE(D1 -> last pfn)",
                 mmu_update1(mfn << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, other), 0) &&
        M2P[mfn] != other)
        test_failure("M2P[%lx] reads %lx after the update, expected %lx", mfn, M2P[mfn],
                     other);
    check_rc("MMU_MACHPHYS_UPDATE back", mmu_update1(mfn << PAGE_SHIFT | MMU_MACHPHYS_UPDATE,
                                                     pfn), 0);
    if (M2P[mfn] != pfn)
        test_failure("M2P[%lx] reads %lx after the restore, expected %lx", mfn, M2P[mfn], pfn);
    /* Parapet keeps M2P entries of a domain's frames within its pfn range; Xen stores
     * any value (only the guest reads it). */
    check_rc2("MMU_MACHPHYS_UPDATE to a pfn beyond nr_pages",
              mmu_update1(mfn << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, start_info->nr_pages + 5),
              -XEN_EINVAL, 0);
    mmu_update1(mfn << PAGE_SHIFT | MMU_MACHPHYS_UPDATE, pfn);
    if (!is_privileged())
        check_rc("MMU_MACHPHYS_UPDATE of mfn 0 (not ours)",
                 mmu_update1(0 | MMU_MACHPHYS_UPDATE, 0), -XEN_EINVAL);
}

static void test_plain_write(void)
{
    const uint64_t v = 0x1122334455667788UL;

    if (check_rc("mmu_update into an ordinary writable frame",
                 mmu_update1(virt_to_maddr(&D1[3]), v), 0) && D1[3] != v)
        test_failure("D1[3] is %lx after the plain write, expected %lx", D1[3], v);
    if (set_ro(D2)) {
        test_error("cannot map D2 read-only");
        return;
    }
    if (check_rc("mmu_update into an ordinary read-only mapped frame",
                 mmu_update1(virt_to_maddr(&D2[4]), v), 0) && D2[4] != v)
        test_failure("D2[4] is %lx after the plain write, expected %lx", D2[4], v);
    check_rc("D2 writable again", set_rw(D2), 0);
}

/* ---- errors -------------------------------------------------------------------------------- */

static void test_bad_requests(void)
{
    unsigned long top = max_mfn();
    unsigned long l4 = cur_l4_mfn() << PAGE_SHIFT;
    const uint64_t *l4v = mfn_to_virt(cur_l4_mfn());
    uint64_t e0 = scratch_ok ? scr.l1_maddr : 0;
    unsigned int i;
    const struct {
        const char *name;
        unsigned long ptr;
        uint64_t val;
        long want, xen;
        bool unprivileged_only;         /* dom0 on Xen may map I/O frames */
    } cases[] = {
        { "ptr[2:0] = 4 (unaligned entry)", e0 + 4, 0, -XEN_ENOSYS, -XEN_ENOSYS, false },
        { "ptr[2:0] = 5", e0 + 5, 0, -XEN_ENOSYS, -XEN_ENOSYS, false },
        { "ptr[2:0] = 6", e0 + 6, 0, -XEN_ENOSYS, -XEN_ENOSYS, false },
        { "ptr[2:0] = 7", e0 + 7, 0, -XEN_ENOSYS, -XEN_ENOSYS, false },
        { "L1 entry to mfn 0 (the hypervisor's)", e0, PT_RO, -XEN_EINVAL, -XEN_EINVAL, true },
        { "L1 entry to max_mfn + 1", e0, (top + 1) << PAGE_SHIFT | PT_RO,
          -XEN_EINVAL, -XEN_EINVAL, true },
        { "L1 entry to the last possible mfn", e0, PTE_ADDR | PT_RO, -XEN_EINVAL, -XEN_EINVAL, false },
        { "ptr in mfn 0 (not ours)", 8, 0, -XEN_EINVAL, -XEN_EINVAL, true },
        { "ptr beyond max_mfn", (top + 1) << PAGE_SHIFT, 0, -XEN_EINVAL, -XEN_EINVAL, false },
        { "L4 slot 256 cleared", l4 + 256 * 8, 0, -XEN_EINVAL, -XEN_EINVAL, false },
        { "L4 slot 256 rewritten with its own value", l4 + 256 * 8, l4v[256],
          -XEN_EINVAL, -XEN_EINVAL, false },
        { "L4 slot 262 made writable", l4 + 262 * 8, l4v[262] | PTE_RW,
          -XEN_EINVAL, -XEN_EINVAL, false },
        { "L4 slot 271 pointed at our L4", l4 + 271 * 8, l4 | PT_TABLE,
          -XEN_EINVAL, -XEN_EINVAL, false },
        /* Xen treats NO_TRANSLATE as a normal update for PV; Parapet does not implement
         * it (hypercall-abi/subops/mmu_update.def). */
        { "MMU_PT_UPDATE_NO_TRANSLATE into an ordinary frame",
          virt_to_maddr(&D1[5]) | MMU_PT_UPDATE_NO_TRANSLATE, 5, -XEN_ENOSYS, 0, false },
    };

    if (!scratch_ok || !top) {
        test_error("no scratch L1 or no max_mfn: error cases skipped");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        char what[96];
        long rc;

        if (cases[i].unprivileged_only && is_privileged())
            continue;
        snprintf(what, sizeof(what), "mmu_update: %s", cases[i].name);
        rc = mmu_update1(cases[i].ptr, cases[i].val);
        check_rc2(what, rc, cases[i].want, cases[i].xen);
    }
    if (scr.l1[0])
        test_failure("a refused request changed scratch L1[0] to %lx", scr.l1[0]);
}

static void test_batch_done(void)
{
    struct mmu_update req[4] = {
        { virt_to_maddr(&D1[0]), 0xa0 },
        { virt_to_maddr(&D1[1]), 0xa1 },
        { scr.l1_maddr + 16, PTE_ADDR | PT_RO },        /* refused: no such frame */
        { virt_to_maddr(&D1[2]), 0xa2 },
    };
    unsigned int done = 0xdead;
    long rc;

    if (!scratch_ok)
        return;
    D1[0] = D1[1] = D1[2] = 0;
    rc = HYPERVISOR_mmu_update((unsigned long)req, 4, (unsigned long)&done, DOMID_SELF);
    check_rc("batch of 4 with a bad third request", rc, -XEN_EINVAL);
    if (done != 2)
        test_failure("*done is %u after a failure at request 3, expected 2", done);
    if (D1[0] != 0xa0 || D1[1] != 0xa1)
        test_failure("requests before the failure were not applied (%lx %lx)", D1[0], D1[1]);
    if (D1[2])
        test_failure("the request after the failure was applied (%lx)", D1[2]);

    done = 0xdead;
    rc = HYPERVISOR_mmu_update((unsigned long)req, 2, (unsigned long)&done, DOMID_SELF);
    check_rc("batch of 2 good requests", rc, 0);
    if (done != 2)
        test_failure("*done is %u after a batch of 2, expected 2", done);
    done = 0xdead;
    rc = HYPERVISOR_mmu_update((unsigned long)req, 0, (unsigned long)&done, DOMID_SELF);
    check_rc("batch of 0", rc, 0);
    if (done != 0)
        test_failure("*done is %u after an empty batch, expected 0", done);
}

static void test_bad_reqs_pointer(void)
{
    static const unsigned long bad[] = {
        0x8000000000000000UL,   /* non-canonical */
        0x0000800000000000UL,   /* first non-canonical address */
        0xffff830000000000UL,   /* hypervisor hole (Parapet's direct map) */
        0x7f0000000000UL,       /* unmapped */
    };
    struct mmu_update *r;
    unsigned int i, done;
    long rc;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        char what[64];

        snprintf(what, sizeof(what), "mmu_update(reqs = %lx)", bad[i]);
        check_rc(what, HYPERVISOR_mmu_update(bad[i], 1, 0, DOMID_SELF), -XEN_EFAULT);
    }
    if (!scratch_ok)
        return;
    /* First request on the last 16 bytes of a mapped page, the second on an unmapped one. */
    if (scratch_set(&scr, 2, pte_of(D2, PT_RW)) || scratch_set(&scr, 3, 0)) {
        test_error("cannot set up the page-crossing request array");
        return;
    }
    r = (struct mmu_update *)((char *)scratch_va(&scr, 3) - sizeof(*r));
    r->ptr = virt_to_maddr(&D1[6]);
    r->val = 0x66;
    done = 0xdead;
    rc = HYPERVISOR_mmu_update((unsigned long)r, 2, (unsigned long)&done, DOMID_SELF);
    check_rc("request array running into an unmapped page", rc, -XEN_EFAULT);
    if (done != 1 || D1[6] != 0x66)
        test_failure("first request of the crossing array: done %u, D1[6] %lx (expected 1, "
                     "0x66)", done, D1[6]);
    scratch_set(&scr, 2, 0);
}

static void test_foreigndom(void)
{
    struct mmu_update req = { virt_to_maddr(&D1[8]), 0x88 };
    unsigned int dom;
    long rc;

    D1[8] = 0;
    /* Every small domid, the caller's own included (only DOMID_SELF names oneself),
     * and ids no domain has. */
    for (dom = 0; dom < 40; dom++) {
        rc = HYPERVISOR_mmu_update((unsigned long)&req, 1, 0, dom == 39 ? 0x7fef : dom);
        if (rc != -XEN_ESRCH) {
            test_failure("mmu_update(foreigndom %u) returned %ld, expected -ESRCH",
                         dom == 39 ? 0x7fef : dom, rc);
            break;
        }
    }
    if (D1[8])
        test_failure("a request with a bad foreigndom was applied");
}

static void test_cleanup(void)
{
    if (scratch_ok)
        scratch_fini(&scr);
    check_rc("scratch L1 writable after unhook and unpin", set_rw(pages[PG_SCRATCH]), 0);
}

static const struct subtest cases[] = {
    { "pin a new L1 and hang it off the boot L2", test_scratch_l1 },
    { "map a data page at a fresh VA through the pinned L1", test_map_data },
    { "replace and clear an L1 entry", test_replace_clear },
    { "MMU_PT_UPDATE_PRESERVE_AD keeps A/D (L1 and L2)", test_preserve_ad },
    { "a pinned L3 -> L2 -> L1 chain through an empty L4 slot", test_chain },
    { "MMU_MACHPHYS_UPDATE changes the read-only M2P", test_machphys },
    { "plain write into an ordinary frame", test_plain_write },
    { "bad requests: command bits, foreign frames, hypervisor L4 slots", test_bad_requests },
    { "*done after a failure in the middle of a batch", test_batch_done },
    { "bad request array pointers give -EFAULT", test_bad_reqs_pointer },
    { "bad foreigndom gives -ESRCH", test_foreigndom },
    { "unhook and unpin the scratch L1", test_cleanup },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
