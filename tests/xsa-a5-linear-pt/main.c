/*
 * xsa-a5-linear-pt: security invariant A5 (XSA-240, 290, 309). Parapet refuses linear
 * (recursive) page tables entirely: an entry of level n must point at a frame of level
 * n-1, and a frame has one type, so no table can map itself or a peer of its own level,
 * and teardown never recurses more than the four levels.
 *
 * Attacks, each refused on Parapet with the table unchanged:
 *  - an L4 entry naming the L4 itself (read-only, and writable) and another pinned L4;
 *  - an L3 entry naming the L3 itself, another pinned L3, and our boot L4;
 *  - an L2 entry naming the L2 itself, our boot L2 (a peer in use), and a pinned L3;
 *  - the same self-references written into a fresh frame before it is pinned (pin
 *    refused), and two-frame cycles (Y1 -> Y2 -> Y1) pinned as L3 or L2;
 *  - an L1 that maps itself writable (refused), next to one that maps itself read-only
 *    (accepted: that is how a guest reads its tables).
 * Counts unchanged: afterwards every table unpins, becomes writable (no type or
 * reference left behind by a refused attempt), and pins again.
 * How: mmu_update on pinned tables of our .bss and on empty slots of the boot tables,
 * entries read back through our read-only mappings. AFTER=hello shows the host survived.
 * Cannot detect: leaks of general references that never block a later type change.
 * Deliberate difference from Xen 4.17: Xen allows read-only linear entries (an entry
 * naming a table of its own level, "pv-linear-pt"); XTF's xsa-182 then tests Xen's
 * rules. On the reference run those cases are expected to be accepted (and are undone).
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "xsa-a5-linear-pt: no linear or recursive page tables";

#define L2_SLOT         300
#define L4_SLOT         200

enum { PG_P2, PG_P3, PG_P4, PG_Q2, PG_Q3, PG_Y1, PG_Y2, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static bool ready;

static bool pinned(uint64_t *t, int level)
{
    memset(t, 0, PAGE_SIZE);
    return !set_ro(t) && !pin_va(level, t);
}

static void setup(void)
{
    ready = pinned(pages[PG_P2], 2) && pinned(pages[PG_P3], 3) && pinned(pages[PG_P4], 4) &&
            pinned(pages[PG_Q2], 2) && pinned(pages[PG_Q3], 3);
    if (!ready)
        test_error("cannot build the pinned tables");
}

/*
 * Write val into entry idx of table t (level lvl). xen_allows: Xen's read-only linear
 * page tables accept it (the reference run expects 0 and the entry is cleared again).
 */
static void attack(const char *what, uint64_t *t, unsigned int idx, uint64_t val,
                   bool xen_allows)
{
    unsigned long maddr = virt_to_maddr(&t[idx]);
    uint64_t sum = page_sum(t);
    long rc = mmu_update1(maddr, val);

    if (xen_allows && on_xen_reference()) {
        if (rc)
            test_failure("%s: Xen refused it (%ld), expected accepted (linear pt)", what, rc);
        mmu_update1(maddr, 0);
        flush_tlb();
        return;
    }
    if (rc == 0) {
        test_failure("%s: accepted, expected refused", what);
        mmu_update1(maddr, 0);
        flush_tlb();
        return;
    }
    if (page_sum(t) != sum)
        test_failure("%s: refused (%ld) but the table changed", what, rc);
}

static void test_l4(void)
{
    uint64_t *boot = mfn_to_virt(cur_l4_mfn()), *p4 = pages[PG_P4];

    if (!ready)
        return;
    attack("boot L4 slot -> the boot L4 (read-only)", boot, L4_SLOT,
           cur_l4_mfn() << PAGE_SHIFT | PT_RO, true);
    attack("boot L4 slot -> the boot L4 (writable)", boot, L4_SLOT,
           cur_l4_mfn() << PAGE_SHIFT | PT_TABLE, false);
    attack("boot L4 slot -> a pinned L4 (read-only)", boot, L4_SLOT,
           pte_of(p4, PT_RO), true);
    attack("pinned L4 slot -> itself (read-only)", p4, 7, pte_of(p4, PT_RO), true);
    attack("pinned L4 slot -> itself (writable)", p4, 7, pte_of(p4, PT_TABLE), false);
    attack("pinned L4 slot -> the boot L4 (read-only)", p4, 8,
           cur_l4_mfn() << PAGE_SHIFT | PT_RO, true);
}

static void test_l3(void)
{
    uint64_t *p3 = pages[PG_P3];

    if (!ready)
        return;
    attack("pinned L3 entry -> itself (read-only)", p3, 3, pte_of(p3, PT_RO), true);
    attack("pinned L3 entry -> itself (writable)", p3, 3, pte_of(p3, PT_TABLE), false);
    attack("pinned L3 entry -> another pinned L3 (read-only)", p3, 4,
           pte_of(pages[PG_Q3], PT_RO), true);
    attack("pinned L3 entry -> the boot L4 (read-only)", p3, 5,
           cur_l4_mfn() << PAGE_SHIFT | PT_RO, false);
    attack("pinned L3 entry -> a pinned L4 (read-only)", p3, 6,
           pte_of(pages[PG_P4], PT_RO), false);
}

static void test_l2(void)
{
    uint64_t *p2 = pages[PG_P2], *boot_l2;
    unsigned long boot_l2_maddr = entry_maddr((unsigned long)L2_SLOT << 21, 2, &boot_l2);

    if (!ready)
        return;
    attack("pinned L2 entry -> itself (read-only)", p2, 9, pte_of(p2, PT_RO), true);
    attack("pinned L2 entry -> itself (writable)", p2, 9, pte_of(p2, PT_TABLE), false);
    attack("pinned L2 entry -> another pinned L2 (read-only)", p2, 10,
           pte_of(pages[PG_Q2], PT_RO), true);
    attack("pinned L2 entry -> a pinned L3 (read-only)", p2, 11,
           pte_of(pages[PG_P3], PT_RO), false);
    if (boot_l2_maddr) {
        attack("boot L2 slot -> the boot L2 itself (read-only)", boot_l2, L2_SLOT,
               boot_l2_maddr >> PAGE_SHIFT << PAGE_SHIFT | PT_RO, true);
        attack("boot L2 slot -> a pinned L2 (read-only)", boot_l2, L2_SLOT,
               pte_of(p2, PT_RO), true);
    }
}

/* A fresh frame filled by the guest, then pinned at 'level'. */
static void pin_attack(const char *what, uint64_t *y, int level, bool xen_allows)
{
    long rc = pin_va(level, y);

    if (xen_allows && on_xen_reference()) {
        if (rc)
            test_failure("%s: Xen refused it (%ld), expected accepted (linear pt)", what, rc);
        else
            unpin_va(y);
        return;
    }
    if (rc == 0) {
        test_failure("%s: accepted, expected refused", what);
        unpin_va(y);
    }
}

static bool fill(uint64_t *y, unsigned int idx, uint64_t val)
{
    if (set_rw(y))
        return false;
    memset(y, 0, PAGE_SIZE);
    y[idx] = val;
    return !set_ro(y);
}

static void test_prebuilt(void)
{
    uint64_t *y1 = pages[PG_Y1], *y2 = pages[PG_Y2];
    int level;

    for (level = 2; level <= 4; level++) {
        char what[64];

        if (!fill(y1, 5, pte_of(y1, PT_RO)))
            goto broken;
        snprintf(what, sizeof(what), "pin as L%d a frame naming itself (read-only)", level);
        pin_attack(what, y1, level, true);
        if (!fill(y1, 5, pte_of(y1, PT_TABLE)))
            goto broken;
        snprintf(what, sizeof(what), "pin as L%d a frame naming itself (writable)", level);
        pin_attack(what, y1, level, false);
    }
    /* Two-frame cycles. */
    if (!fill(y2, 1, pte_of(y1, PT_TABLE)) || !fill(y1, 1, pte_of(y2, PT_TABLE)))
        goto broken;
    pin_attack("pin as L3 a frame in a two-frame cycle", y1, 3, false);
    pin_attack("pin as L2 a frame in a two-frame cycle", y1, 2, false);
    pin_attack("pin as L4 a frame in a two-frame cycle", y2, 4, false);
    /* L1s naming themselves: writable refused, read-only fine. */
    if (!fill(y1, 2, pte_of(y1, PT_RW)))
        goto broken;
    pin_attack("pin as L1 a frame mapping itself writable", y1, 1, false);
    if (!fill(y1, 2, pte_of(y1, PT_RO)))
        goto broken;
    if (check_rc("pin as L1 a frame mapping itself read-only", pin_va(1, y1), 0))
        check_rc("unpin it", unpin_va(y1), 0);
    check_rc("the cycle frames kept no type (Y1)", set_rw(y1), 0);
    check_rc("the cycle frames kept no type (Y2)", set_rw(y2), 0);
    return;
broken:
    test_error("cannot prepare the frames of the pre-built attacks");
}

static void test_counts(void)
{
    static const int levels[] = { 2, 3, 4, 2, 3 };
    unsigned int i;

    if (!ready)
        return;
    for (i = 0; i < ARRAY_SIZE(levels); i++) {
        uint64_t *t = pages[PG_P2 + i];
        char what[64];

        snprintf(what, sizeof(what), "unpin pinned L%d #%u", levels[i], i);
        if (!check_rc(what, unpin_va(t), 0))
            continue;
        snprintf(what, sizeof(what), "RW mapping of unpinned L%d #%u", levels[i], i);
        check_rc(what, set_rw(t), 0);
        snprintf(what, sizeof(what), "re-pin L%d #%u", levels[i], i);
        if (!set_ro(t) && check_rc(what, pin_va(levels[i], t), 0))
            unpin_va(t);
        set_rw(t);
    }
}

static const struct subtest cases[] = {
    { "set up: pinned L2, L3, L4 tables", setup },
    { "L4 entries naming an L4", test_l4 },
    { "L3 entries naming an L3 or an L4", test_l3 },
    { "L2 entries naming an L2 or an L3", test_l2 },
    { "self-references and cycles built before pinning", test_prebuilt },
    { "counts unchanged: unpin, make writable, re-pin", test_counts },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
