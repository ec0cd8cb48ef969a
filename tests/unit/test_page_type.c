/*
 * Host unit tests (cmocka) of the PV MMU core, hypervisor/mm/page_type.c and pte_check.c.
 * A fake machine of 64 frames and a fake mm_env drive validation, devalidation,
 * mod_entry, pins and grant mappings' entries; every test checks the return codes and
 * the counts and types left behind, one rule (security invariants A1-A5, A13,
 * docs/memory.md) per test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "errno.h"
#include "pte.h"
#include "mm/page_type.h"

/* ---- the fake machine ---------------------------------------------------------------- */

#define NR_FRAMES 64
#define DOM   1
#define OTHER 2

/* Frame layout: 1..39 belong to DOM (one allocation reference each), then foreign, free,
 * a xen_shared frame of DOM, and hypervisor frames. */
enum {
    L4 = 1, L3 = 2, L2 = 3, L1 = 4, DATA_RW = 5, DATA_RO = 6,
    L4B = 7, L3B = 8, L2B = 9, L1B = 10, L1C = 11, L1D = 12, DATA = 20,
    LAST_DOM = 39,
    FOREIGN = 40, FREE = 44, SHARED = 48, HV = 56, HV_SLOT = 60,
};

#define P   _PAGE_PRESENT
#define RW  _PAGE_RW
#define US  _PAGE_USER
#define A   _PAGE_ACCESSED
#define D   _PAGE_DIRTY

static uint64_t mem[NR_FRAMES][PT_ENTRIES] __attribute__((aligned(4096)));
static struct page_info frames[NR_FRAMES];
static struct page_info baseline[NR_FRAMES];

/* Spies. */
static unsigned entries_calls[NR_FRAMES];
static unsigned flush_calls, install_calls;
static uint64_t *installed_l4;
static int watch_mfn = -1;
static int type_at_flush = -1;
static int bug_expected;
static unsigned bug_calls;

void mm_bug(const char *why)
{
    bug_calls++;
    if (!bug_expected)
        fail_msg("mm_bug: %s", why);
}

static uint64_t pte(uint64_t mfn, uint64_t flags)
{
    return (mfn << PAGE_SHIFT) | flags;
}

static uint64_t *fake_entries(uint64_t mfn)
{
    assert_true(mfn < NR_FRAMES);
    entries_calls[mfn]++;
    return mem[mfn];
}

/* Writes hypervisor entries (to a hypervisor frame): devalidation must skip them, or
 * it would put references on HV_SLOT that were never taken (mm_bug). */
static void fake_install_xen_slots(uint64_t *l4)
{
    unsigned i;

    install_calls++;
    installed_l4 = l4;
    for (i = 256; i < 272; i++)
        l4[i] = pte(HV_SLOT, P | RW | A);
}

static void fake_flush_tlb(void)
{
    flush_calls++;
    if (watch_mfn >= 0)
        type_at_flush = frames[watch_mfn].type;
}

static const struct mm_env env = {
    .frames = frames,
    .nr_frames = NR_FRAMES,
    .entries = fake_entries,
    .install_xen_slots = fake_install_xen_slots,
    .flush_tlb = fake_flush_tlb,
};

static void set_frame(unsigned mfn, domid_t owner, uint32_t count, uint8_t flags)
{
    frames[mfn] = (struct page_info){ .count = count, .owner = owner, .flags = flags };
}

static int setup(void **state)
{
    unsigned m;

    memset(mem, 0, sizeof(mem));
    for (m = 0; m < NR_FRAMES; m++) {
        if (m < FOREIGN)
            set_frame(m, DOM, 1, 0);
        else if (m < FREE)
            set_frame(m, OTHER, 1, 0);
        else if (m < SHARED)
            set_frame(m, DOMID_FREE_FRAME, 0, 0);
        else if (m < HV)
            set_frame(m, DOM, 1, m == SHARED ? PGF_xen_shared : 0);
        else
            set_frame(m, DOMID_HV, 1, 0);
    }
    memcpy(baseline, frames, sizeof(frames));
    memset(entries_calls, 0, sizeof(entries_calls));
    flush_calls = install_calls = bug_calls = 0;
    installed_l4 = NULL;
    watch_mfn = type_at_flush = -1;
    bug_expected = 0;
    return 0;
}

/* ---- assertions ------------------------------------------------------------------------ */

#define assert_frame(mfn, cnt, tcnt, typ) do {                     \
        assert_int_equal(frames[mfn].count, (cnt));                 \
        assert_int_equal(frames[mfn].type_count, (tcnt));           \
        assert_int_equal(frames[mfn].type, (typ));                  \
    } while (0)

/* Every frame's counts, type, owner and flags (PGF_was_writable aside) equal 'ref'. */
static void assert_frames_equal(const struct page_info *ref)
{
    unsigned m;

    for (m = 0; m < NR_FRAMES; m++) {
        const struct page_info *a = &frames[m], *b = &ref[m];
        uint8_t mask = (uint8_t)~PGF_was_writable;

        if (a->count != b->count || a->type_count != b->type_count || a->type != b->type ||
            a->owner != b->owner || (a->flags & mask) != (b->flags & mask))
            fail_msg("frame %u: count %u/%u type_count %u/%u type %u/%u flags %x/%x", m,
                     a->count, b->count, a->type_count, b->type_count, a->type, b->type,
                     a->flags, b->flags);
    }
}

#define assert_baseline() assert_frames_equal(baseline)

static struct page_info snap[NR_FRAMES];
static void snapshot(void)
{
    memcpy(snap, frames, sizeof(frames));
}

/* L4 -> L3 -> L2 -> L1 -> {DATA_RW writable, DATA_RO, the L4 read-only}, with guest
 * garbage in two hypervisor L4 slots and a non-present garbage entry. */
static void build_tree(void)
{
    mem[L4][0] = pte(L3, P | RW);
    mem[L4][256] = pte(FOREIGN, P | RW);
    mem[L4][271] = pte(NR_FRAMES + 5, P);
    mem[L3][0] = pte(L2, P | RW);
    mem[L2][0] = pte(L1, P | RW);
    mem[L1][0] = pte(DATA_RW, P | RW);
    mem[L1][1] = pte(DATA_RO, P);
    mem[L1][2] = pte(L4, P);
    mem[L1][3] = pte(FOREIGN, RW | _PAGE_PCD);
}

static void pin_tree(void)
{
    build_tree();
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
}

/* ---- tests ------------------------------------------------------------------------------ */

static void test_pin_l4_validates_tree(void **state)
{
    pin_tree();
    assert_frame(L4, 3, 1, PGT_l4);            /* allocation + pin + RO map from L1 */
    assert_true(frames[L4].flags & PGF_pinned);
    assert_frame(L3, 2, 1, PGT_l3);
    assert_frame(L2, 2, 1, PGT_l2);
    assert_frame(L1, 2, 1, PGT_l1);
    assert_frame(DATA_RW, 2, 1, PGT_writable);
    assert_frame(DATA_RO, 2, 0, PGT_none);
    assert_frame(FOREIGN, 1, 0, PGT_none);     /* garbage in slot 256 took nothing */
    assert_frame(HV_SLOT, 1, 0, PGT_none);
    assert_int_equal(install_calls, 1);
    assert_ptr_equal(installed_l4, mem[L4]);
    /* Stored values are adjusted: US everywhere, A on L4. */
    assert_int_equal(mem[L4][0], pte(L3, P | RW | US | A));
    assert_int_equal(mem[L3][0], pte(L2, P | RW | US));
    assert_int_equal(mem[L1][1], pte(DATA_RO, P | US));
    assert_int_equal(mem[L1][3], pte(FOREIGN, RW | _PAGE_PCD)); /* non-present: as is */
    assert_int_equal(flush_calls, 0);
}

static void test_unpin_releases_all(void **state)
{
    pin_tree();
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_false(frames[L4].flags & PGF_pinned);
    assert_baseline();
    /* The tree can be validated again and released again. */
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
    assert_frame(L1, 2, 1, PGT_l1);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_baseline();
}

static void test_mod_entry_validates_and_releases_subtree(void **state)
{
    build_tree();
    mem[L4][0] = 0;
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
    assert_frame(L3, 1, 0, PGT_none);
    /* Installing an L4 entry validates the subtree below (what Mini-OS relies on). */
    assert_int_equal(mod_entry(&env, L4, 4, 0, pte(L3, P | RW), DOM, false), 0);
    assert_frame(L3, 2, 1, PGT_l3);
    assert_frame(L1, 2, 1, PGT_l1);
    assert_frame(DATA_RW, 2, 1, PGT_writable);
    /* Removing it devalidates the whole subtree at once. */
    assert_int_equal(mod_entry(&env, L4, 4, 0, 0, DOM, false), 0);
    assert_frame(L3, 1, 0, PGT_none);
    assert_frame(L2, 1, 0, PGT_none);
    assert_frame(L1, 1, 0, PGT_none);
    assert_frame(DATA_RW, 1, 0, PGT_none);
    assert_frame(L4, 2, 1, PGT_l4);   /* allocation + pin: the L1's RO view is gone */
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_baseline();
}

/* A1: no writable mapping of a frame typed page table or seg_desc. */
static void test_a1_rw_map_of_table_refused(void **state)
{
    static const unsigned tables[] = { L4, L3, L2, L1 };
    unsigned i;

    pin_tree();
    assert_int_equal(get_page_and_type(&env, DATA, PGT_seg_desc, DOM), 0);
    snapshot();
    for (i = 0; i < 4; i++) {
        assert_int_equal(mod_entry(&env, L1, 1, 5, pte(tables[i], P | RW), DOM, false),
                         -EBUSY);
        assert_int_equal(mem[L1][5], 0);
        assert_frames_equal(snap);
    }
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(DATA, P | RW), DOM, false), -EBUSY);
    assert_int_equal(mem[L1][5], 0);
    assert_frames_equal(snap);
    /* Read-only mappings of tables are fine. */
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(L2, P), DOM, false), 0);
    assert_frame(L2, 3, 1, PGT_l2);
    assert_int_equal(mod_entry(&env, L1, 1, 6, pte(DATA, P), DOM, false), 0);
    assert_frame(DATA, 3, 1, PGT_seg_desc);
}

/* A1, the other way round: a writable-mapped frame can't take a table type. */
static void test_a1_writable_frame_cannot_become_table(void **state)
{
    pin_tree();
    snapshot();
    assert_int_equal(pin_table(&env, DATA_RW, 1, DOM), -EBUSY);
    assert_false(frames[DATA_RW].flags & PGF_pinned);
    assert_frames_equal(snap);
    assert_int_equal(mod_entry(&env, L2, 2, 1, pte(DATA_RW, P | RW), DOM, false), -EBUSY);
    assert_int_equal(mem[L2][1], 0);
    assert_frames_equal(snap);
    assert_int_equal(get_page_and_type(&env, DATA_RW, PGT_seg_desc, DOM), -EBUSY);
    assert_frames_equal(snap);
    assert_frame(DATA_RW, 2, 1, PGT_writable);
}

/* A1: a frame that was writable gets a TLB flush before it becomes a table. */
static void test_a1_flush_on_writable_to_table(void **state)
{
    pin_tree();
    assert_int_equal(flush_calls, 0);          /* no tree frame was ever writable */
    assert_true(frames[DATA_RW].flags & PGF_was_writable);
    assert_int_equal(mod_entry(&env, L1, 1, 0, 0, DOM, false), 0);
    assert_frame(DATA_RW, 1, 0, PGT_none);
    assert_int_equal(flush_calls, 0);
    watch_mfn = DATA_RW;
    assert_int_equal(pin_table(&env, DATA_RW, 1, DOM), 0);
    assert_int_equal(flush_calls, 1);
    assert_int_equal(type_at_flush, PGT_none); /* flushed before the type was visible */
    assert_false(frames[DATA_RW].flags & PGF_was_writable);
    assert_frame(DATA_RW, 2, 1, PGT_l1);
    /* Not writable since: no further flush. */
    assert_int_equal(unpin_table(&env, DATA_RW, DOM), 0);
    assert_int_equal(pin_table(&env, DATA_RW, 1, DOM), 0);
    assert_int_equal(flush_calls, 1);
    /* Same for seg_desc. */
    watch_mfn = DATA;
    assert_int_equal(get_page_and_type(&env, DATA, PGT_writable, DOM), 0);
    put_page_and_type(&env, DATA);
    assert_int_equal(get_page_and_type(&env, DATA, PGT_seg_desc, DOM), 0);
    assert_int_equal(flush_calls, 2);
    assert_int_equal(type_at_flush, PGT_none);
}

/* A2: A, D and the software bits take the fast path (no reference moves). A saturated
 * target count makes any reference move fail, so success proves the fast path. */
static void test_a2_fast_path_only_ad_avail(void **state)
{
    static const uint64_t bits[] = {
        A, D, 1ULL << 9, 1ULL << 10, 1ULL << 11, 1ULL << 52, 1ULL << 61,
        A | D | _PAGE_AVAIL | (_PAGE_AVAIL_HI & ~_PAGE_GNTTAB),
    };
    unsigned i;

    pin_tree();
    frames[DATA_RW].count = PAGE_COUNT_MAX;
    frames[L1].count = PAGE_COUNT_MAX;
    for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
        uint64_t want = mem[L1][0] ^ bits[i];

        assert_int_equal(mod_entry(&env, L1, 1, 0, want, DOM, false), 0);
        assert_int_equal(mem[L1][0], want);
        assert_frame(DATA_RW, PAGE_COUNT_MAX, 1, PGT_writable);
    }
    assert_int_equal(mod_entry(&env, L2, 2, 0, mem[L2][0] ^ (A | D | (1ULL << 60)), DOM,
                               false), 0);
    assert_frame(L1, PAGE_COUNT_MAX, 1, PGT_l1);
    /* Same flags, other frame: not the fast path. */
    frames[DATA_RO].count = PAGE_COUNT_MAX;
    assert_int_equal(mod_entry(&env, L1, 1, 0, pte(DATA_RO, P | RW | US), DOM, false),
                     -EBUSY);
    /* Non-present -> present is never the fast path either. */
    assert_int_equal(mod_entry(&env, L1, 1, 9, pte(DATA_RW, P), DOM, false), -EBUSY);
    assert_int_equal(mem[L1][9], 0);
}

/* A2: RW, NX, G flips are fully re-validated; cache bits are refused; US is forced. */
static void test_a2_other_flips_revalidate(void **state)
{
    uint64_t old;

    pin_tree();
    old = mem[L1][0];
    frames[DATA_RW].count = PAGE_COUNT_MAX;
    assert_int_equal(mod_entry(&env, L1, 1, 0, old & ~RW, DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L1, 1, 0, old | _PAGE_NX, DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L1, 1, 0, old | _PAGE_GLOBAL, DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L1, 1, 0, old | _PAGE_PCD, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 1, 0, old | _PAGE_PWT, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 1, 0, old | _PAGE_PAT, DOM, false), -EINVAL);
    assert_int_equal(mem[L1][0], old);
    /* Clearing US is undone by pte_adjust: nothing changes, fast path. */
    assert_int_equal(mod_entry(&env, L1, 1, 0, old & ~US, DOM, false), 0);
    assert_int_equal(mem[L1][0], old);
    frames[L1].count = PAGE_COUNT_MAX;
    assert_int_equal(mod_entry(&env, L2, 2, 0, mem[L2][0] | _PAGE_NX, DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L2, 2, 0, mem[L2][0] & ~RW, DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L2, 2, 0, mem[L2][0] | _PAGE_PSE, DOM, false), -EINVAL);
    frames[DATA_RW].count = 2;
    frames[L1].count = 2;
    /* Re-validation moves references: RW -> RO drops the writable type. */
    assert_int_equal(mod_entry(&env, L1, 1, 0, old & ~RW, DOM, false), 0);
    assert_frame(DATA_RW, 2, 0, PGT_none);
    /* The classic attack: a read-only view of a page table, then flip RW. */
    assert_int_equal(mod_entry(&env, L1, 1, 7, pte(L2, P), DOM, false), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L1, 1, 7, pte(L2, P | RW), DOM, false), -EBUSY);
    assert_int_equal(mem[L1][7], pte(L2, P | US));
    assert_frames_equal(snap);
}

/* A3: foreign, hypervisor, free and out-of-range frames are refused at every level. */
static void test_a3_unowned_frames_refused(void **state)
{
    static const uint64_t bad[] = {
        FOREIGN, FREE, HV, HV_SLOT, NR_FRAMES, NR_FRAMES + 100, 1ULL << 39,
    };
    unsigned i;
    int level;

    pin_tree();
    snapshot();
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        for (level = 1; level <= 4; level++)
            assert_int_equal(pte_check(&env, level, pte(bad[i], P), DOM), -EINVAL);
        assert_int_equal(mod_entry(&env, L1, 1, 7, pte(bad[i], P), DOM, false), -EINVAL);
        assert_int_equal(mod_entry(&env, L2, 2, 7, pte(bad[i], P), DOM, false), -EINVAL);
        assert_int_equal(mem[L1][7], 0);
        assert_int_equal(mem[L2][7], 0);
        assert_int_equal(pin_table(&env, bad[i], 1, DOM), -EINVAL);
        assert_int_equal(get_page(&env, bad[i], DOM), -EINVAL);
        assert_int_equal(get_page_type(&env, bad[i], PGT_writable, DOM), -EINVAL);
    }
    assert_frames_equal(snap);
    /* Owner ids of free and hypervisor frames are not domains. */
    assert_int_equal(get_page(&env, FREE, DOMID_FREE_FRAME), -EINVAL);
    assert_int_equal(get_page(&env, HV, DOMID_HV), -EINVAL);
    /* The other domain owns its frame, not ours. */
    assert_int_equal(get_page(&env, L1, OTHER), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 1, 7, pte(DATA, P), OTHER, false), -EINVAL);
    assert_frames_equal(snap);
    /* Bits 52-61 are software bits, not address (62 is the grant marker). */
    assert_int_equal(mod_entry(&env, L1, 1, 7,
                               pte(LAST_DOM, P) | (_PAGE_AVAIL_HI & ~_PAGE_GNTTAB), DOM,
                               false), 0);
    assert_frame(LAST_DOM, 2, 0, PGT_none);
}

struct flag_case { int level; uint64_t bit; int rc; };

/* A4: the flag policy of each level. */
static void test_a4_flags_per_level(void **state)
{
    static const struct flag_case cases[] = {
        { 1, _PAGE_PWT, -EINVAL }, { 1, _PAGE_PCD, -EINVAL }, { 1, _PAGE_PAT, -EINVAL },
        { 1, _PAGE_GLOBAL, 0 }, { 1, D, 0 }, { 1, _PAGE_GNTTAB, -EINVAL },
        { 2, _PAGE_PSE, -EINVAL }, { 2, _PAGE_PWT, -EINVAL }, { 2, _PAGE_PCD, -EINVAL },
        { 2, _PAGE_GLOBAL, -EINVAL }, { 2, D, 0 }, { 2, _PAGE_GNTTAB, 0 },
        { 3, _PAGE_PSE, -EINVAL }, { 3, _PAGE_PWT, -EINVAL }, { 3, _PAGE_PCD, -EINVAL },
        { 3, _PAGE_GLOBAL, -EINVAL }, { 3, D, 0 }, { 3, _PAGE_GNTTAB, 0 },
        { 4, _PAGE_PSE, -EINVAL }, { 4, _PAGE_PWT, -EINVAL }, { 4, _PAGE_PCD, -EINVAL },
        { 4, _PAGE_GLOBAL, -EINVAL }, { 4, D, 0 },  /* Xen's builder sets D at L4 */
        { 4, _PAGE_GNTTAB, 0 },     /* the grant marker is an L1 matter (as in Xen) */
    };
    static const uint64_t always_ok[] = {
        RW, US, A, _PAGE_AVAIL, _PAGE_AVAIL_HI & ~_PAGE_GNTTAB, _PAGE_NX,
    };
    static const unsigned table[5] = { 0, L1, L2, L3, L4 };
    unsigned i;
    int level;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(pte_check(&env, cases[i].level, pte(DATA, P | cases[i].bit), DOM),
                         cases[i].rc);
        /* Not present: anything goes. */
        assert_int_equal(pte_check(&env, cases[i].level, pte(FOREIGN, cases[i].bit), DOM), 0);
    }
    for (level = 1; level <= 4; level++)
        for (i = 0; i < sizeof(always_ok) / sizeof(always_ok[0]); i++)
            assert_int_equal(pte_check(&env, level, pte(DATA, P | always_ok[i]), DOM), 0);
    /* mod_entry applies the policy at each level. */
    pin_tree();
    snapshot();
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned t = table[cases[i].level];
        if (cases[i].rc == 0)
            continue;
        assert_int_equal(mod_entry(&env, t, cases[i].level, 9,
                                   pte(DATA, P | cases[i].bit), DOM, false), -EINVAL);
        assert_int_equal(mem[t][9], 0);
    }
    assert_frames_equal(snap);
}

/* A4: hypervisor L4 slots are skipped, refilled by install_xen_slots and not updatable. */
static void test_a4_l4_xen_slots(void **state)
{
    unsigned i;

    pin_tree();   /* slots 256 and 271 hold a foreign and an out-of-range entry */
    assert_int_equal(install_calls, 1);
    for (i = 256; i < 272; i++)
        assert_int_equal(mem[L4][i], pte(HV_SLOT, P | RW | A));
    assert_frame(FOREIGN, 1, 0, PGT_none);
    assert_frame(HV_SLOT, 1, 0, PGT_none);
    snapshot();
    assert_int_equal(mod_entry(&env, L4, 4, 256, pte(L3, P), DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L4, 4, 271, pte(L3, P), DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L4, 4, 263, 0, DOM, false), -EINVAL);
    assert_int_equal(mem[L4][256], pte(HV_SLOT, P | RW | A));
    assert_int_equal(mem[L4][263], pte(HV_SLOT, P | RW | A));
    assert_frames_equal(snap);
    assert_int_equal(mod_entry(&env, L4, 4, 255, pte(L3, P), DOM, false), 0);
    assert_int_equal(mod_entry(&env, L4, 4, 272, pte(L3, P), DOM, false), 0);
    assert_frame(L3, 4, 3, PGT_l3);
    /* Devalidation skips the hypervisor slots (else mm_bug on HV_SLOT) and clears them,
     * so a devalidated L4 shows the guest no hypervisor frame numbers. */
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_int_equal(bug_calls, 0);
    for (i = 256; i < 272; i++)
        assert_int_equal(mem[L4][i], 0);
    assert_baseline();
}

/* A5: an L4 entry pointing at its own L4 is refused, with nothing leaked. */
static void test_a5_l4_self_map_refused(void **state)
{
    build_tree();
    mem[L4][1] = pte(L4, P | RW);
    assert_int_equal(pin_table(&env, L4, 4, DOM), -EBUSY);
    assert_int_equal(install_calls, 0);
    assert_baseline();
    /* The same through mod_entry on a live L4. */
    mem[L4][1] = 0;
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L4, 4, 1, pte(L4, P | RW), DOM, false), -EBUSY);
    assert_int_equal(mem[L4][1], 0);
    assert_frames_equal(snap);
}

/* A5: an L2 pointing at an L2 (a peer, or itself) is refused. */
static void test_a5_l2_to_l2_refused(void **state)
{
    assert_int_equal(pin_table(&env, L2B, 2, DOM), 0);
    snapshot();
    mem[L2][0] = pte(L1, P | RW);
    mem[L1][0] = pte(DATA, P | RW);
    mem[L2][1] = pte(L2B, P | RW);
    assert_int_equal(pin_table(&env, L2, 2, DOM), -EBUSY);
    assert_frames_equal(snap);
    mem[L2][1] = pte(L2, P);
    assert_int_equal(pin_table(&env, L2, 2, DOM), -EBUSY);
    assert_frames_equal(snap);
    /* And through mod_entry on a live L2. */
    mem[L2][1] = 0;
    assert_int_equal(pin_table(&env, L2, 2, DOM), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L2, 2, 1, pte(L2B, P), DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L2, 2, 1, pte(L2, P), DOM, false), -EBUSY);
    assert_int_equal(mem[L2][1], 0);
    assert_frames_equal(snap);
}

/* A5: an L3 pointing back at its own L4, and an L1 mapping its L4 writable. */
static void test_a5_l3_to_own_l4_refused(void **state)
{
    build_tree();
    mem[L3][1] = pte(L4, P | RW);
    assert_int_equal(pin_table(&env, L4, 4, DOM), -EBUSY);
    assert_baseline();
    mem[L3][1] = 0;
    mem[L1][2] = pte(L4, P | RW);
    assert_int_equal(pin_table(&env, L4, 4, DOM), -EBUSY);
    assert_baseline();
    mem[L1][2] = pte(L4, P);
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L3, 3, 1, pte(L4, P), DOM, false), -EBUSY);
    assert_int_equal(mem[L3][1], 0);
    assert_frames_equal(snap);
}

/* A failure deep in the tree releases everything the earlier entries took. */
static void test_deep_failure_releases_all(void **state)
{
    build_tree();
    mem[L2][1] = pte(L1B, P | RW);
    mem[L2][2] = pte(L1C, P | RW);
    mem[L2][4] = pte(L1D, P | RW);
    mem[L1B][0] = pte(DATA, P | RW);
    mem[L1C][0] = pte(DATA, P);
    mem[L1D][0] = pte(DATA, P | RW);
    mem[L1D][100] = pte(FOREIGN, P);
    assert_int_equal(pin_table(&env, L4, 4, DOM), -EINVAL);
    assert_int_equal(install_calls, 0);
    assert_false(frames[L4].flags & PGF_pinned);
    assert_baseline();
    /* Through mod_entry: the failing subtree hangs under a live L4. */
    mem[L4][0] = 0;
    assert_int_equal(pin_table(&env, L4, 4, DOM), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L4, 4, 0, pte(L3, P | RW), DOM, false), -EINVAL);
    assert_int_equal(mem[L4][0], 0);
    assert_frames_equal(snap);
    /* Fix the bad entry: now it validates; DATA is mapped three times, twice RW. */
    mem[L1D][100] = 0;
    assert_int_equal(mod_entry(&env, L4, 4, 0, pte(L3, P | RW), DOM, false), 0);
    assert_frame(DATA, 4, 2, PGT_writable);
    assert_frame(L1C, 2, 1, PGT_l1);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_baseline();
}

static void test_count_saturation(void **state)
{
    frames[DATA].count = PAGE_COUNT_MAX - 1;
    assert_int_equal(get_page(&env, DATA, DOM), 0);
    assert_int_equal(frames[DATA].count, PAGE_COUNT_MAX);
    assert_int_equal(get_page(&env, DATA, DOM), -EBUSY);
    assert_int_equal(frames[DATA].count, PAGE_COUNT_MAX);
    frames[DATA].count = 1;
    assert_int_equal(get_page_and_type(&env, DATA, PGT_writable, DOM), 0);
    frames[DATA].type_count = PAGE_COUNT_MAX;
    assert_int_equal(get_page_type(&env, DATA, PGT_writable, DOM), -EBUSY);
    assert_int_equal(get_page_and_type(&env, DATA, PGT_writable, DOM), -EBUSY);
    assert_frame(DATA, 2, PAGE_COUNT_MAX, PGT_writable); /* general ref given back */
    /* Through mod_entry: refused, entry unchanged. */
    pin_tree();
    snapshot();
    frames[DATA_RO].count = PAGE_COUNT_MAX;
    assert_int_equal(mod_entry(&env, L1, 1, 8, pte(DATA_RO, P), DOM, false), -EBUSY);
    assert_int_equal(mem[L1][8], 0);
    frames[L1B].count = PAGE_COUNT_MAX;
    assert_int_equal(mod_entry(&env, L2, 2, 8, pte(L1B, P), DOM, false), -EBUSY);
    assert_frame(L1B, PAGE_COUNT_MAX, 0, PGT_none);
}

static void test_pin_twice(void **state)
{
    assert_int_equal(pin_table(&env, L1, 1, DOM), 0);
    snapshot();
    assert_int_equal(pin_table(&env, L1, 1, DOM), -EBUSY);
    assert_int_equal(pin_table(&env, L1, 2, DOM), -EBUSY);
    assert_frames_equal(snap);
    assert_frame(L1, 2, 1, PGT_l1);
    assert_int_equal(unpin_table(&env, L1, DOM), 0);
    assert_baseline();
    /* Pinning a frame typed otherwise is a conflict. */
    assert_int_equal(get_page_and_type(&env, L1, PGT_l2, DOM), 0);
    assert_int_equal(pin_table(&env, L1, 1, DOM), -EBUSY);
    assert_frame(L1, 2, 1, PGT_l2);
}

static void test_unpin_not_pinned(void **state)
{
    assert_int_equal(unpin_table(&env, DATA, DOM), -EINVAL);
    assert_baseline();
    pin_tree();
    snapshot();
    /* Typed through an entry but not pinned. */
    assert_int_equal(unpin_table(&env, L3, DOM), -EINVAL);
    /* Pinned, but by the owner only. */
    assert_int_equal(unpin_table(&env, L4, OTHER), -EINVAL);
    assert_int_equal(unpin_table(&env, NR_FRAMES, DOM), -EINVAL);
    assert_frames_equal(snap);
    assert_true(frames[L4].flags & PGF_pinned);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_int_equal(unpin_table(&env, L4, DOM), -EINVAL);
    assert_baseline();
}

static void test_xen_shared_never_table(void **state)
{
    int level;

    for (level = 1; level <= 4; level++)
        assert_int_equal(pin_table(&env, SHARED, level, DOM), -EINVAL);
    assert_int_equal(get_page_and_type(&env, SHARED, PGT_seg_desc, DOM), -EINVAL);
    for (level = 2; level <= 4; level++)
        assert_int_equal(pte_check(&env, level, pte(SHARED, P), DOM), -EINVAL);
    assert_baseline();
    pin_tree();
    assert_int_equal(mod_entry(&env, L2, 2, 5, pte(SHARED, P), DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(SHARED, P), DOM, false), 0);
    assert_int_equal(mod_entry(&env, L1, 1, 6, pte(SHARED, P | RW), DOM, false), 0);
    assert_frame(SHARED, 3, 1, PGT_writable);
    assert_int_equal(mod_entry(&env, L1, 1, 6, 0, DOM, false), 0);
    assert_int_equal(mod_entry(&env, L1, 1, 5, 0, DOM, false), 0);
    assert_frame(SHARED, 1, 0, PGT_none);
    assert_int_equal(pin_table(&env, SHARED, 1, DOM), -EINVAL);
    assert_frame(SHARED, 1, 0, PGT_none);
}

/* Replacing an entry by itself (or by one to the same frame) moves no last reference. */
static void test_mod_entry_replace_with_itself(void **state)
{
    pin_tree();
    snapshot();
    assert_int_equal(mod_entry(&env, L1, 1, 0, mem[L1][0], DOM, false), 0);
    assert_int_equal(mod_entry(&env, L3, 3, 0, mem[L3][0], DOM, false), 0);
    assert_frames_equal(snap);
    /* Slow path to the same frame: the L2 below must not be devalidated in between
     * (its entries would be walked again). */
    memset(entries_calls, 0, sizeof(entries_calls));
    assert_int_equal(mod_entry(&env, L3, 3, 0, mem[L3][0] | _PAGE_NX, DOM, false), 0);
    assert_int_equal(mem[L3][0], pte(L2, P | RW | US | _PAGE_NX));
    assert_int_equal(entries_calls[L2], 0);
    assert_int_equal(entries_calls[L1], 0);
    assert_frames_equal(snap);
    assert_int_equal(mod_entry(&env, L1, 1, 0, mem[L1][0] | _PAGE_NX, DOM, false), 0);
    assert_frames_equal(snap);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_baseline();
}

static void test_preserve_ad(void **state)
{
    pin_tree();
    mem[L1][0] |= A | D;                      /* as the hardware would */
    assert_int_equal(mod_entry(&env, L1, 1, 0, pte(DATA_RW, P | RW | _PAGE_NX), DOM, true), 0);
    assert_int_equal(mem[L1][0], pte(DATA_RW, P | RW | US | _PAGE_NX | A | D));
    assert_int_equal(mod_entry(&env, L1, 1, 0, pte(DATA_RW, P | RW), DOM, false), 0);
    assert_int_equal(mem[L1][0], pte(DATA_RW, P | RW | US));
    /* Only A and D are preserved, and never cleared from the new value. */
    mem[L1][0] |= D | (1ULL << 9);
    assert_int_equal(mod_entry(&env, L1, 1, 0, pte(DATA_RW, P | RW | A), DOM, true), 0);
    assert_int_equal(mem[L1][0], pte(DATA_RW, P | RW | US | A | D));
    mem[L2][0] |= A;
    assert_int_equal(mod_entry(&env, L2, 2, 0, pte(L1, P | RW), DOM, true), 0);
    assert_int_equal(mem[L2][0], pte(L1, P | RW | US | A));
    /* An unmap keeps the old A/D bits too (Xen ORs them in, present or not), and
     * drops the references of the old entry. */
    assert_int_equal(mod_entry(&env, L1, 1, 0, 0, DOM, true), 0);
    assert_int_equal(mem[L1][0], A | D);
    assert_frame(DATA_RW, 1, 0, PGT_none);
    /* A not-present entry's A/D bits are ORed into the next present value. */
    assert_int_equal(mod_entry(&env, L1, 1, 0, pte(DATA_RW, P | RW), DOM, true), 0);
    assert_int_equal(mem[L1][0], pte(DATA_RW, P | RW | US | A | D));
    assert_int_equal(mod_entry(&env, L1, 1, 0, 0, DOM, false), 0);
    assert_int_equal(mem[L1][0], 0);
    assert_frame(DATA_RW, 1, 0, PGT_none);
}

static void test_pte_adjust(void **state)
{
    int level;

    for (level = 1; level <= 3; level++)
        assert_int_equal(pte_adjust(level, pte(DATA, P)), pte(DATA, P | US));
    assert_int_equal(pte_adjust(4, pte(DATA, P)), pte(DATA, P | US | A));
    for (level = 1; level <= 4; level++)
        assert_int_equal(pte_adjust(level, pte(DATA, RW)), pte(DATA, RW));
}

static void test_mod_entry_bad_table(void **state)
{
    pin_tree();
    snapshot();
    assert_int_equal(mod_entry(&env, DATA, 1, 0, 0, DOM, false), -EINVAL);    /* untyped */
    assert_int_equal(mod_entry(&env, DATA_RW, 1, 0, 0, DOM, false), -EINVAL); /* writable */
    assert_int_equal(mod_entry(&env, L1, 2, 0, 0, DOM, false), -EINVAL);      /* level */
    assert_int_equal(mod_entry(&env, L1, 1, 0, 0, OTHER, false), -EINVAL);    /* owner */
    assert_int_equal(mod_entry(&env, L1, 1, PT_ENTRIES, 0, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 0, 0, 0, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 5, 0, 0, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, NR_FRAMES, 1, 0, 0, DOM, false), -EINVAL);
    assert_int_equal(mem[L1][0], pte(DATA_RW, P | RW | US));
    assert_frames_equal(snap);
    assert_int_equal(get_page_type(&env, DATA, PGT_none, DOM), -EINVAL);
    assert_int_equal(get_page_type(&env, DATA, (enum page_type)7, DOM), -EINVAL);
    assert_frames_equal(snap);
}

/* ---- grant mappings (A13) ------------------------------------------------------------ */

/* A grant mapping's entry as the hypervisor writes it. */
static uint64_t gpte(uint64_t mfn, uint64_t flags)
{
    return pte(mfn, P | US | A | D | _PAGE_NX | _PAGE_GNTTAB | flags);
}

/* The references a writable grant pin holds on DATA (grant_table.c takes them). */
static void grant_refs_on_data(void)
{
    assert_int_equal(get_page_and_type(&env, DATA, PGT_writable, DOM), 0);
}

static void test_grant_map_unmap(void **state)
{
    pin_tree();
    grant_refs_on_data();
    snapshot();
    flush_calls = 0;
    assert_int_equal(grant_entry_map(&env, L1, 5, gpte(DATA, RW), DOM), 0);
    assert_int_equal(mem[L1][5], gpte(DATA, RW));
    assert_int_equal(flush_calls, 1);
    /* The table holds one more of each; the mapped frame nothing more. */
    assert_frame(L1, 3, 2, PGT_l1);
    assert_frame(DATA, 2, 1, PGT_writable);
    /* Unmap: only the very mapping, of that kind. */
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA_RO, true, DOM), -EINVAL);
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA, false, DOM), -EINVAL);
    assert_int_equal(grant_entry_unmap(&env, L1, 4, DATA, true, DOM), -EINVAL);
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA, true, OTHER), -EINVAL);
    assert_int_equal(grant_entry_unmap(&env, L2, 5, DATA, true, DOM), -EINVAL);
    assert_int_equal(mem[L1][5], gpte(DATA, RW));
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA, true, DOM), 0);
    assert_int_equal(mem[L1][5], 0);
    assert_int_equal(flush_calls, 2);
    assert_frames_equal(snap);
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA, true, DOM), -EINVAL);
    /* Read-only: no RW in the entry. */
    assert_int_equal(grant_entry_map(&env, L1, 6, gpte(DATA, 0), DOM), 0);
    assert_int_equal(grant_entry_unmap(&env, L1, 6, DATA, true, DOM), -EINVAL);
    assert_int_equal(grant_entry_unmap(&env, L1, 6, DATA, false, DOM), 0);
    assert_frames_equal(snap);
}

static void test_grant_map_refusals(void **state)
{
    pin_tree();
    grant_refs_on_data();
    snapshot();
    /* Not a validated L1 of ours, a bad index, or not a grant entry. */
    assert_int_equal(grant_entry_map(&env, L2, 5, gpte(DATA, RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, DATA, 5, gpte(DATA, RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, L1B, 5, gpte(DATA, RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, L1, 5, gpte(DATA, RW), OTHER), -EINVAL);
    assert_int_equal(grant_entry_map(&env, NR_FRAMES, 5, gpte(DATA, RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, L1, PT_ENTRIES, gpte(DATA, RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, L1, 5, pte(DATA, P | RW), DOM), -EINVAL);
    assert_int_equal(grant_entry_map(&env, L1, 5, _PAGE_GNTTAB, DOM), -EINVAL);
    assert_int_equal(mem[L1][5], 0);
    assert_frames_equal(snap);
    /* A grant mapping is never replaced by another. */
    assert_int_equal(grant_entry_map(&env, L1, 5, gpte(DATA, RW), DOM), 0);
    snapshot();
    assert_int_equal(grant_entry_map(&env, L1, 5, gpte(DATA, 0), DOM), -EBUSY);
    assert_int_equal(mem[L1][5], gpte(DATA, RW));
    /* Nor when the table's count would overflow. */
    frames[L1].count = PAGE_COUNT_MAX;
    assert_int_equal(grant_entry_map(&env, L1, 6, gpte(DATA, RW), DOM), -EBUSY);
    assert_int_equal(mem[L1][6], 0);
}

/* Xen replaces a present entry with the grant mapping and drops its references. */
static void test_grant_map_over_present_entry(void **state)
{
    pin_tree();
    grant_refs_on_data();
    assert_frame(DATA_RW, 2, 1, PGT_writable);
    flush_calls = 0;
    assert_int_equal(grant_entry_map(&env, L1, 0, gpte(DATA, RW), DOM), 0);
    assert_int_equal(flush_calls, 1);
    assert_frame(DATA_RW, 1, 0, PGT_none);
    assert_int_equal(grant_entry_unmap(&env, L1, 0, DATA, true, DOM), 0);
    assert_int_equal(mem[L1][0], 0);
    assert_frame(DATA, 2, 1, PGT_writable);
}

/* Guest updates of a grant entry: fast-path bits only, marker kept; anything else is an
 * implicit unmap (-EPERM); a value the rules refuse anyway gets its own error. */
static void test_grant_entry_guest_updates(void **state)
{
    uint64_t g = gpte(DATA, RW);

    pin_tree();
    grant_refs_on_data();
    assert_int_equal(grant_entry_map(&env, L1, 5, g, DOM), 0);
    snapshot();
    assert_int_equal(mod_entry(&env, L1, 1, 5, (g & ~_PAGE_GNTTAB) & ~(A | D), DOM, false),
                     0);
    assert_int_equal(mem[L1][5], g & ~(A | D));
    assert_int_equal(mod_entry(&env, L1, 1, 5, (g & ~_PAGE_GNTTAB) | (1ULL << 9), DOM, true),
                     0);
    assert_int_equal(mem[L1][5], g | (1ULL << 9));
    g = mem[L1][5];
    assert_int_equal(mod_entry(&env, L1, 1, 5, 0, DOM, false), -EPERM);
    assert_int_equal(mod_entry(&env, L1, 1, 5, A | D, DOM, true), -EPERM);
    assert_int_equal(mod_entry(&env, L1, 1, 5, (g & ~_PAGE_GNTTAB) & ~RW, DOM, false),
                     -EPERM);
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(DATA_RO, P), DOM, false), -EPERM);
    assert_int_equal(mod_entry(&env, L1, 1, 5, g, DOM, false), -EINVAL);      /* marker */
    assert_int_equal(mod_entry(&env, L1, 1, 5, g | _PAGE_PCD, DOM, false), -EINVAL);
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(L2, P | RW), DOM, false), -EBUSY);
    assert_int_equal(mod_entry(&env, L1, 1, 5, pte(FOREIGN, P), DOM, false), -EINVAL);
    assert_int_equal(mem[L1][5], g);
    assert_frames_equal(snap);
    /* The marker is refused from guests in L1 entries only; a non-present entry may
     * carry it and is nobody's grant. */
    assert_int_equal(mod_entry(&env, L1, 1, 6, _PAGE_GNTTAB | pte(DATA, 0), DOM, false), 0);
    assert_int_equal(mod_entry(&env, L1, 1, 6, pte(DATA_RO, P), DOM, false), 0);
    assert_int_equal(mod_entry(&env, L1, 1, 6, 0, DOM, false), 0);
    assert_int_equal(mod_entry(&env, L2, 2, 0, mem[L2][0] | _PAGE_GNTTAB, DOM, false), 0);
    assert_frames_equal(snap);
}

/* The mapping keeps its table typed: unhooking and unpinning do not devalidate it. */
static void test_grant_keeps_table_typed(void **state)
{
    pin_tree();
    grant_refs_on_data();
    assert_int_equal(grant_entry_map(&env, L1, 5, gpte(DATA, RW), DOM), 0);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_frame(L1, 2, 1, PGT_l1);
    assert_frame(DATA_RW, 2, 1, PGT_writable);   /* the table's other entries stay */
    assert_int_equal(mem[L1][5], gpte(DATA, RW));
    assert_int_equal(pin_table(&env, L1, 2, DOM), -EBUSY);
    assert_int_equal(grant_entry_unmap(&env, L1, 5, DATA, true, DOM), 0);
    assert_frame(L1, 1, 0, PGT_none);
    assert_frame(DATA_RW, 1, 0, PGT_none);
    assert_frame(DATA, 2, 1, PGT_writable);
}

/* A table devalidated with a grant entry left in it (teardown after a failed unmap)
 * drops no reference for it, and is never validated again while the entry is there. */
static void test_devalidation_skips_grant_entries(void **state)
{
    pin_tree();
    grant_refs_on_data();
    mem[L1][5] = gpte(DATA, RW);
    assert_int_equal(unpin_table(&env, L4, DOM), 0);
    assert_frame(DATA, 2, 1, PGT_writable);
    assert_frame(L1, 1, 0, PGT_none);
    assert_int_equal(pin_table(&env, L1, 1, DOM), -EINVAL);
    assert_frame(L1, 1, 0, PGT_none);
    assert_frame(DATA, 2, 1, PGT_writable);
}

static void test_underflow_calls_mm_bug(void **state)
{
    bug_expected = 1;
    frames[DATA].count = 0;
    put_page(&env, DATA);
    assert_int_equal(bug_calls, 1);
    assert_int_equal(frames[DATA].count, 0);
    put_page_type(&env, DATA);
    assert_int_equal(bug_calls, 2);
    assert_int_equal(frames[DATA].type_count, 0);
    put_page(&env, NR_FRAMES);
    assert_int_equal(bug_calls, 3);
}

#define T(fn) cmocka_unit_test_setup(fn, setup)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_pin_l4_validates_tree),
        T(test_unpin_releases_all),
        T(test_mod_entry_validates_and_releases_subtree),
        T(test_a1_rw_map_of_table_refused),
        T(test_a1_writable_frame_cannot_become_table),
        T(test_a1_flush_on_writable_to_table),
        T(test_a2_fast_path_only_ad_avail),
        T(test_a2_other_flips_revalidate),
        T(test_a3_unowned_frames_refused),
        T(test_a4_flags_per_level),
        T(test_a4_l4_xen_slots),
        T(test_a5_l4_self_map_refused),
        T(test_a5_l2_to_l2_refused),
        T(test_a5_l3_to_own_l4_refused),
        T(test_deep_failure_releases_all),
        T(test_count_saturation),
        T(test_pin_twice),
        T(test_unpin_not_pinned),
        T(test_xen_shared_never_table),
        T(test_mod_entry_replace_with_itself),
        T(test_preserve_ad),
        T(test_pte_adjust),
        T(test_mod_entry_bad_table),
        T(test_grant_map_unmap),
        T(test_grant_map_refusals),
        T(test_grant_map_over_present_entry),
        T(test_grant_entry_guest_updates),
        T(test_grant_keeps_table_typed),
        T(test_devalidation_skips_grant_entries),
        T(test_underflow_calls_mm_bug),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
