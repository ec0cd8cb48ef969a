/*
 * Host unit tests (cmocka) of grant tables v1, hypervisor/grant/grant_table.c: four
 * domains over a fake PV MMU counting every reference per frame, fake host mappings and
 * a page pool for table frames; each test checks the GNTST_* answer, the entry flags, pins
 * and counts left behind. The entry_read hook plays a guest rewriting its entry between
 * the read and the compare-exchange. Cannot detect: a real second CPU elsewhere than there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "xen-public.h"
#include "errno.h"
#include "grant/grant_table.h"

#define D0 0
#define D1 1
#define D2 2
#define D3 3
#define NOBODY 9
#define NDOMS 4
#define MAXF 4
#define MT_MAX 256

/* Machine frames of the fake PV MMU. */
#define NR_MFNS 64
#define F2  10        /* 10..19 belong to d2 */
#define F3  20        /* 20..29 belong to d3 */
#define F1  30        /* 30..39 belong to d1 */
#define PT2 40        /* d2's, but a page table: no writable type */
#define FREE_MFN 50   /* nobody's */

#define VA(n)    (0x10000000ULL + (uint64_t)(n) * 0x1000)
#define BAD_VA   0xdead000ULL
#define RO       GNTMAP_readonly
#define HOST     GNTMAP_host_map

/* ---- the fake world ------------------------------------------------------------------ */

static struct gnttab_domain gts[NDOMS];
static struct gnttab_domain *const d0 = &gts[0], *const d1 = &gts[1], *const d2 = &gts[2],
                            *const d3 = &gts[3];
static struct gnttab_active actives[NDOMS][MAXF * GNTTAB_ENTRIES_PER_FRAME];
static struct gnttab_maptrack maptracks[NDOMS][MT_MAX];

#define POOL 24
#define POOL_MFN 1000
static uint64_t pool[POOL][512] __attribute__((aligned(4096)));
static bool pool_used[POOL];
static int alloc_fail_after = -1;     /* allocations left before one fails; -1: never */

struct fake_frame { domid_t owner; bool pt; int count, wtype; };
static struct fake_frame mfns[NR_MFNS];
static unsigned n_gets, n_puts, n_wgets, n_wputs;

struct host_map {
    bool used;
    domid_t mapper;
    uint64_t addr, pte;     /* host_addr given; where the fake "entry" is */
    uint32_t flags;
    uint64_t mfn;
};
#define PTE_AT(i) (0x7770000ULL + (uint64_t)(i) * 8)   /* fake entry addresses */
static struct host_map hmaps[512];
static bool fail_unmap_host;
static unsigned unmap_host_calls;

static void (*flip)(const struct gnttab_domain *gt, grant_ref_t ref);
static unsigned entry_reads;
static bool d2_gone;                  /* the lookup no longer finds d2 */

static struct gnttab_domain *fake_domain(domid_t id)
{
    assert_true(id < DOMID_FIRST_RESERVED);
    if (id == D2 && d2_gone)
        return NULL;
    return id < NDOMS ? &gts[id] : NULL;
}

static int fake_alloc_frame(struct gnttab_domain *gt, uint64_t *mfn, void **va)
{
    unsigned i;

    if (alloc_fail_after == 0)
        return -ENOMEM;
    if (alloc_fail_after > 0)
        alloc_fail_after--;
    for (i = 0; i < POOL; i++) {
        if (!pool_used[i]) {
            pool_used[i] = true;
            memset(pool[i], 0, sizeof(pool[i]));
            *mfn = POOL_MFN + i;
            *va = pool[i];
            return 0;
        }
    }
    return -ENOMEM;
}

static void fake_free_frame(struct gnttab_domain *gt, uint64_t mfn)
{
    assert_true(mfn >= POOL_MFN && mfn < POOL_MFN + POOL);
    assert_true(pool_used[mfn - POOL_MFN]);
    pool_used[mfn - POOL_MFN] = false;
}

static int fake_get_page(uint64_t mfn, domid_t owner)
{
    if (mfn >= NR_MFNS || mfns[mfn].owner != owner)
        return -EINVAL;
    mfns[mfn].count++;
    n_gets++;
    return 0;
}

static void fake_put_page(uint64_t mfn)
{
    assert_true(mfn < NR_MFNS);
    assert_true(mfns[mfn].count > 0);
    mfns[mfn].count--;
    n_puts++;
}

static int fake_get_page_writable(uint64_t mfn, domid_t owner)
{
    if (mfn >= NR_MFNS || mfns[mfn].owner != owner)
        return -EINVAL;
    /* The caller holds a general reference first, as the PV MMU requires. */
    assert_true(mfns[mfn].count > 0);
    if (mfns[mfn].pt)
        return -EBUSY;
    mfns[mfn].wtype++;
    n_wgets++;
    return 0;
}

static void fake_put_page_writable(uint64_t mfn)
{
    assert_true(mfn < NR_MFNS);
    assert_true(mfns[mfn].wtype > 0);
    mfns[mfn].wtype--;
    n_wputs++;
}

static struct host_map *find_hmap(domid_t mapper, uint64_t addr)
{
    unsigned i;

    for (i = 0; i < 512; i++)
        if (hmaps[i].used && hmaps[i].mapper == mapper && hmaps[i].addr == addr)
            return &hmaps[i];
    return NULL;
}

static unsigned nr_hmaps(void)
{
    unsigned i, n = 0;

    for (i = 0; i < 512; i++)
        n += hmaps[i].used;
    return n;
}

static int16_t fake_map_host(domid_t mapper, uint64_t addr, uint32_t flags, uint64_t mfn,
                             uint64_t *pte)
{
    unsigned i;

    if (addr == BAD_VA)
        return GNTST_bad_virt_addr;
    if (find_hmap(mapper, addr))
        return GNTST_general_error;
    /* Taken while the references are held, never before. */
    assert_true(mfns[mfn].count > 0);
    if (!(flags & GNTMAP_readonly))
        assert_true(mfns[mfn].wtype > 0);
    for (i = 0; i < 512; i++) {
        if (!hmaps[i].used) {
            hmaps[i] = (struct host_map){ true, mapper, addr, PTE_AT(i), flags, mfn };
            *pte = PTE_AT(i);
            return GNTST_okay;
        }
    }
    return GNTST_general_error;
}

/* By the entry map_host reported, never by host_addr. */
static int16_t fake_unmap_host(domid_t mapper, uint64_t pte, uint32_t flags, uint64_t mfn)
{
    struct host_map *m = NULL;
    unsigned i;

    for (i = 0; i < 512; i++)
        if (hmaps[i].used && hmaps[i].mapper == mapper && hmaps[i].pte == pte)
            m = &hmaps[i];

    unmap_host_calls++;
    if (fail_unmap_host || !m || m->mfn != mfn || m->flags != flags)
        return GNTST_general_error;
    m->used = false;
    return GNTST_okay;
}

static void fake_entry_read(const struct gnttab_domain *gt, grant_ref_t ref)
{
    entry_reads++;
    if (flip)
        flip(gt, ref);
}

static const struct gnttab_env env = {
    .domain = fake_domain,
    .alloc_frame = fake_alloc_frame,
    .free_frame = fake_free_frame,
    .get_page = fake_get_page,
    .put_page = fake_put_page,
    .get_page_writable = fake_get_page_writable,
    .put_page_writable = fake_put_page_writable,
    .map_host = fake_map_host,
    .unmap_host = fake_unmap_host,
    .entry_read = fake_entry_read,
};

static int setup(void **state)
{
    unsigned i;

    memset(pool_used, 0, sizeof(pool_used));
    memset(hmaps, 0, sizeof(hmaps));
    alloc_fail_after = -1;
    fail_unmap_host = false;
    d2_gone = false;
    flip = NULL;
    entry_reads = unmap_host_calls = 0;
    n_gets = n_puts = n_wgets = n_wputs = 0;
    for (i = 0; i < NR_MFNS; i++) {
        domid_t owner = DOMID_INVALID;

        if (i >= F2 && i < F2 + 10)
            owner = D2;
        else if (i >= F3 && i < F3 + 10)
            owner = D3;
        else if (i >= F1 && i < F1 + 10)
            owner = D1;
        else if (i == PT2)
            owner = D2;
        mfns[i] = (struct fake_frame){ .owner = owner, .pt = i == PT2 };
    }
    for (i = 0; i < NDOMS; i++)
        assert_int_equal(gnttab_domain_init(&env, &gts[i], (domid_t)i, i == D0, MAXF,
                                            actives[i], maptracks[i], MT_MAX), 0);
    return 0;
}

static struct gnttab_domain *const all[NDOMS] = { &gts[0], &gts[1], &gts[2], &gts[3] };

static int teardown(void **state)
{
    const char *why = NULL;

    if (gnttab_audit(&env, all, NDOMS, &why))
        fail_msg("grant audit: %s", why);
    return 0;
}

/* ---- helpers --------------------------------------------------------------------------- */

static uint64_t *raw_entry(struct gnttab_domain *gt, grant_ref_t ref)
{
    return &gt->frame_va[ref / 512][ref % 512];
}

static void grant(struct gnttab_domain *gt, grant_ref_t ref, domid_t to, uint32_t frame,
                  uint16_t flags)
{
    *raw_entry(gt, ref) = (uint64_t)flags | (uint64_t)to << 16 | (uint64_t)frame << 32;
}

static uint16_t eflags(struct gnttab_domain *gt, grant_ref_t ref)
{
    return (uint16_t)*raw_entry(gt, ref);
}

static int16_t map(struct gnttab_domain *mapper, domid_t dom, grant_ref_t ref, uint64_t addr,
                   uint32_t flags, grant_handle_t *handle)
{
    struct gnttab_map_grant_ref op = { .host_addr = addr, .flags = flags, .ref = ref,
                                       .dom = dom, .handle = 0xAAAA, .status = 99 };
    int16_t st = gnttab_op_map(&env, mapper, &op);

    assert_int_equal(op.status, st);
    if (st == GNTST_okay) {
        struct host_map *m = find_hmap(mapper->id, addr);

        assert_non_null(m);
        assert_int_equal(op.dev_bus_addr, m->mfn << 12);
    } else {
        assert_int_equal(op.handle, 0xAAAA);
    }
    if (handle)
        *handle = op.handle;
    return st;
}

static grant_handle_t map_ok(struct gnttab_domain *mapper, domid_t dom, grant_ref_t ref,
                             uint64_t addr, uint32_t flags)
{
    grant_handle_t h;

    assert_int_equal(map(mapper, dom, ref, addr, flags, &h), GNTST_okay);
    return h;
}

static int16_t unmap(struct gnttab_domain *mapper, grant_handle_t h, uint64_t addr)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = addr, .handle = h, .status = 99 };
    int16_t st = gnttab_op_unmap(&env, mapper, &op);

    assert_int_equal(op.status, st);
    return st;
}

/* Nothing mapped or pinned anywhere, every reference given back. */
static void assert_baseline(void)
{
    unsigned i;

    for (i = 0; i < NR_MFNS; i++) {
        if (mfns[i].count || mfns[i].wtype)
            fail_msg("mfn %u: count %d wtype %d", i, mfns[i].count, mfns[i].wtype);
    }
    assert_int_equal(n_gets, n_puts);
    assert_int_equal(n_wgets, n_wputs);
    assert_int_equal(nr_hmaps(), 0);
    for (i = 0; i < NDOMS; i++) {
        assert_int_equal(gts[i].maptrack_used, 0);
        assert_int_equal(gts[i].nr_active, 0);
        assert_false(gnttab_in_use(&gts[i]));
    }
}

/* ---- set-up, setup_table, query_size ---------------------------------------------------- */

static struct gnttab_active tmp_active[GNTTAB_ENTRIES_PER_FRAME];
static struct gnttab_maptrack tmp_maptrack[1];

static void test_init(void **state)
{
    struct gnttab_domain tmp;
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    unsigned i;

    assert_int_equal(d1->nr_frames, 1);
    assert_int_equal(d1->max_frames, MAXF);
    assert_non_null(d1->frame_va[0]);
    assert_int_equal(gnttab_op_query_size(&env, d1, &q), GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, MAXF);
    /* The free list hands out 0, 1, 2, ... */
    assert_int_equal(d1->maptrack_free, 0);
    for (i = 0; i + 1 < MT_MAX; i++)
        assert_int_equal(d1->maptrack[i].ref, i + 1);
    assert_int_equal(d1->maptrack[MT_MAX - 1].ref, GNTTAB_NO_HANDLE);

    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 0, tmp_active, tmp_maptrack, 1),
                     -EINVAL);
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, GNTTAB_MAX_FRAMES + 1,
                                        tmp_active, tmp_maptrack, 1), -EINVAL);
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 1, NULL, tmp_maptrack, 1),
                     -EINVAL);
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 1, tmp_active, NULL, 1),
                     -EINVAL);
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 1, tmp_active, tmp_maptrack, 0),
                     -EINVAL);
    alloc_fail_after = 0;
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 1, tmp_active, tmp_maptrack, 1),
                     -ENOMEM);
    alloc_fail_after = -1;
    assert_int_equal(gnttab_domain_init(&env, &tmp, 5, false, 1, tmp_active, tmp_maptrack, 1),
                     0);
    assert_int_equal(tmp.maptrack_free, 0);
    assert_int_equal(tmp_maptrack[0].ref, GNTTAB_NO_HANDLE);
    assert_int_equal(gnttab_domain_free_frames(&env, &tmp), 0);
}

static void test_setup_table(void **state)
{
    uint64_t list[MAXF + 2], first;
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    unsigned used_before, i;

    first = d2->frame_mfn[0];
    memset(list, 0, sizeof(list));
    assert_int_equal(gnttab_op_setup_table(&env, d2, DOMID_SELF, 3, list), GNTST_okay);
    assert_int_equal(d2->nr_frames, 3);
    assert_int_equal(list[0], first);
    assert_int_equal(list[1], d2->frame_mfn[1]);
    assert_int_equal(list[2], d2->frame_mfn[2]);
    assert_int_equal(list[3], 0);
    assert_int_not_equal(list[1], list[0]);

    /* Smaller requests return the same first frames and never shrink; own id works. */
    memset(list, 0, sizeof(list));
    assert_int_equal(gnttab_op_setup_table(&env, d2, D2, 1, list), GNTST_okay);
    assert_int_equal(list[0], first);
    assert_int_equal(list[1], 0);
    assert_int_equal(d2->nr_frames, 3);
    assert_int_equal(gnttab_op_setup_table(&env, d2, DOMID_SELF, 0, list), GNTST_okay);
    assert_int_equal(gnttab_op_query_size(&env, d2, &q), GNTST_okay);
    assert_int_equal(q.nr_frames, 3);

    /* Beyond max_frames: refused, nothing written, nothing grown. */
    memset(list, 0xFF, sizeof(list));
    assert_int_equal(gnttab_op_setup_table(&env, d2, DOMID_SELF, MAXF + 1, list),
                     GNTST_general_error);
    assert_int_equal(gnttab_op_setup_table(&env, d2, DOMID_SELF, 0xFFFFFFFFu, list),
                     GNTST_general_error);
    assert_int_equal(list[0], ~0ULL);
    assert_int_equal(d2->nr_frames, 3);

    /* Out of memory half-way: the table stays as it was, the new frames go back. */
    for (used_before = 0, i = 0; i < POOL; i++)
        used_before += pool_used[i];
    alloc_fail_after = 1;
    assert_int_equal(gnttab_op_setup_table(&env, d3, DOMID_SELF, 4, list), GNTST_general_error);
    assert_int_equal(d3->nr_frames, 1);
    assert_null(d3->frame_va[1]);
    for (i = 0; i < POOL; i++)
        used_before -= pool_used[i];
    assert_int_equal(used_before, 0);
    alloc_fail_after = -1;

    /* Domains: unprivileged on others, bad and reserved ids; the control domain may. */
    assert_int_equal(gnttab_op_setup_table(&env, d1, D2, 1, list), GNTST_permission_denied);
    assert_int_equal(gnttab_op_setup_table(&env, d1, NOBODY, 1, list), GNTST_bad_domain);
    assert_int_equal(gnttab_op_setup_table(&env, d1, DOMID_IO, 1, list), GNTST_bad_domain);
    assert_int_equal(gnttab_op_setup_table(&env, d1, DOMID_XEN, 1, list), GNTST_bad_domain);
    assert_int_equal(gnttab_op_setup_table(&env, d0, D3, 2, list), GNTST_okay);
    assert_int_equal(d3->nr_frames, 2);
    assert_int_equal(list[1], d3->frame_mfn[1]);
}

static void test_query_size_domains(void **state)
{
    struct gnttab_query_size q = { .dom = D2 };

    assert_int_equal(gnttab_op_query_size(&env, d1, &q), GNTST_permission_denied);
    assert_int_equal(q.status, GNTST_permission_denied);
    q.dom = NOBODY;
    assert_int_equal(gnttab_op_query_size(&env, d1, &q), GNTST_bad_domain);
    q.dom = DOMID_XEN;
    assert_int_equal(gnttab_op_query_size(&env, d1, &q), GNTST_bad_domain);
    q = (struct gnttab_query_size){ .dom = D2 };
    assert_int_equal(gnttab_op_query_size(&env, d0, &q), GNTST_okay);
    assert_int_equal(q.nr_frames, 1);
    assert_int_equal(q.max_nr_frames, MAXF);
}

/* ---- map / unmap in every kind --------------------------------------------------------- */

static void test_map_readonly(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access | GTF_readonly);
    h = map_ok(d1, D2, 8, VA(1), HOST | RO);
    assert_int_equal(h, 0);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(mfns[F2].count, 1);
    assert_int_equal(mfns[F2].wtype, 0);
    assert_true(find_hmap(D1, VA(1))->flags & GNTMAP_readonly);
    assert_int_equal(d2->active[8].ro, 1);
    assert_int_equal(d2->active[8].rw, 0);
    assert_int_equal(d2->active[8].domid, D1);
    assert_int_equal(d2->active[8].frame, F2);
    assert_int_equal(d1->maptrack_used, 1);
    assert_true(gnttab_in_use(d2));
    assert_false(gnttab_in_use(d1));

    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly);
    assert_baseline();
}

static void test_map_writable(void **state)
{
    grant_handle_t h;

    grant(d2, 9, D1, F2 + 1, GTF_permit_access);
    h = map_ok(d1, D2, 9, VA(2), HOST);
    assert_int_equal(eflags(d2, 9), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(mfns[F2 + 1].count, 1);
    assert_int_equal(mfns[F2 + 1].wtype, 1);
    assert_int_equal(d2->active[9].rw, 1);
    assert_int_equal(unmap(d1, h, VA(2)), GNTST_okay);
    assert_int_equal(eflags(d2, 9), GTF_permit_access);
    assert_baseline();
}

static void test_map_writable_of_readonly_grant(void **state)
{
    grant(d2, 10, D1, F2, GTF_permit_access | GTF_readonly);
    assert_int_equal(map(d1, D2, 10, VA(1), HOST, NULL), GNTST_general_error);
    assert_int_equal(eflags(d2, 10), GTF_permit_access | GTF_readonly);
    assert_int_equal(n_gets, 0);
    assert_int_equal(d1->maptrack_used, 0);
    assert_int_equal(d1->maptrack_free, 0);   /* the handle went back */
    assert_baseline();
}

/* ro then rw on the same grant; rw unmapped first: writing clears, reading stays. */
static void test_map_ro_then_rw(void **state)
{
    grant_handle_t hr, hw;

    grant(d2, 11, D1, F2 + 2, GTF_permit_access | GTF_PWT);
    hr = map_ok(d1, D2, 11, VA(1), HOST | RO);
    assert_int_equal(eflags(d2, 11), GTF_permit_access | GTF_PWT | GTF_reading);
    hw = map_ok(d1, D2, 11, VA(2), HOST);
    assert_int_not_equal(hr, hw);
    assert_int_equal(eflags(d2, 11), GTF_permit_access | GTF_PWT | GTF_reading | GTF_writing);
    assert_int_equal(mfns[F2 + 2].count, 2);
    assert_int_equal(mfns[F2 + 2].wtype, 1);
    assert_int_equal(d2->nr_active, 1);

    assert_int_equal(unmap(d1, hw, VA(2)), GNTST_okay);
    assert_int_equal(eflags(d2, 11), GTF_permit_access | GTF_PWT | GTF_reading);
    assert_int_equal(mfns[F2 + 2].count, 1);
    assert_int_equal(mfns[F2 + 2].wtype, 0);
    assert_int_equal(unmap(d1, hr, VA(1)), GNTST_okay);
    assert_int_equal(eflags(d2, 11), GTF_permit_access | GTF_PWT);
    assert_baseline();
}

/* rw then ro; ro unmapped first: both flags stay until the writer goes. */
static void test_map_rw_then_ro(void **state)
{
    grant_handle_t hr, hw;

    grant(d2, 12, D1, F2 + 3, GTF_permit_access);
    hw = map_ok(d1, D2, 12, VA(1), HOST);
    hr = map_ok(d1, D2, 12, VA(2), HOST | RO);
    assert_int_equal(d2->active[12].ro, 1);
    assert_int_equal(d2->active[12].rw, 1);
    assert_int_equal(unmap(d1, hr, VA(2)), GNTST_okay);
    assert_int_equal(eflags(d2, 12), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(mfns[F2 + 3].count, 1);
    assert_int_equal(mfns[F2 + 3].wtype, 1);
    assert_int_equal(unmap(d1, hw, VA(1)), GNTST_okay);
    assert_int_equal(eflags(d2, 12), GTF_permit_access);
    assert_baseline();
}

/* Two of a kind: the flag goes with the last one only. */
static void test_map_two_of_a_kind(void **state)
{
    grant_handle_t a, b;

    grant(d2, 13, D1, F2, GTF_permit_access);
    a = map_ok(d1, D2, 13, VA(1), HOST | RO);
    b = map_ok(d1, D2, 13, VA(2), HOST | RO);
    assert_int_equal(unmap(d1, a, VA(1)), GNTST_okay);
    assert_int_equal(eflags(d2, 13), GTF_permit_access | GTF_reading);
    assert_int_equal(unmap(d1, b, VA(2)), GNTST_okay);
    assert_int_equal(eflags(d2, 13), GTF_permit_access);

    a = map_ok(d1, D2, 13, VA(1), HOST);
    b = map_ok(d1, D2, 13, VA(2), HOST);
    assert_int_equal(mfns[F2].wtype, 2);
    assert_int_equal(unmap(d1, b, VA(2)), GNTST_okay);
    assert_int_equal(eflags(d2, 13), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(unmap(d1, a, VA(1)), GNTST_okay);
    assert_int_equal(eflags(d2, 13), GTF_permit_access);
    assert_baseline();
}

/* The first pin's frame is used for every later pin, whatever the entry says now. */
static void test_pinned_frame_is_kept(void **state)
{
    grant_handle_t a, b;

    grant(d2, 14, D1, F2 + 4, GTF_permit_access);
    a = map_ok(d1, D2, 14, VA(1), HOST | RO);
    grant(d2, 14, D1, F2 + 5, GTF_permit_access | GTF_reading);
    b = map_ok(d1, D2, 14, VA(2), HOST);
    assert_int_equal(find_hmap(D1, VA(2))->mfn, F2 + 4);
    assert_int_equal(mfns[F2 + 4].count, 2);
    assert_int_equal(mfns[F2 + 4].wtype, 1);
    assert_int_equal(mfns[F2 + 5].count, 0);
    assert_int_equal(unmap(d1, a, VA(1)), GNTST_okay);
    assert_int_equal(unmap(d1, b, VA(2)), GNTST_okay);
    assert_baseline();
}

static void test_self_grant(void **state)
{
    grant_handle_t h;

    grant(d1, 20, D1, F1, GTF_permit_access);
    h = map_ok(d1, D1, 20, VA(1), HOST);
    assert_int_equal(mfns[F1].wtype, 1);
    assert_true(gnttab_in_use(d1));
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

/* ---- map errors ------------------------------------------------------------------------ */

static void test_map_errors(void **state)
{
    grant(d2, 8, D1, F2, GTF_permit_access);

    /* Flags. */
    assert_int_equal(map(d1, D2, 8, VA(1), 0, NULL), GNTST_bad_gntref);
    assert_int_equal(map(d1, D2, 8, VA(1), RO, NULL), GNTST_bad_gntref);
    assert_int_equal(map(d1, D2, 8, VA(1), GNTMAP_device_map, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 8, VA(1), HOST | GNTMAP_device_map, NULL),
                     GNTST_general_error);
    /* Domains: unknown, DOMID_SELF (map wants a real id), DOMID_IO, DOMID_XEN. */
    assert_int_equal(map(d1, NOBODY, 8, VA(1), HOST, NULL), GNTST_bad_domain);
    assert_int_equal(map(d1, DOMID_SELF, 8, VA(1), HOST, NULL), GNTST_bad_domain);
    assert_int_equal(map(d1, DOMID_IO, 8, VA(1), HOST, NULL), GNTST_bad_domain);
    assert_int_equal(map(d1, DOMID_XEN, 8, VA(1), HOST, NULL), GNTST_bad_domain);
    /* Refs beyond the table (one frame = 512 entries). */
    assert_int_equal(map(d1, D2, 512, VA(1), HOST, NULL), GNTST_bad_gntref);
    assert_int_equal(map(d1, D2, 0xFFFFFFFFu, VA(1), HOST, NULL), GNTST_bad_gntref);
    assert_int_equal(map(d1, D2, MAXF * 512, VA(1), HOST, NULL), GNTST_bad_gntref);
    /* Not a usable grant: invalid, transfer, transitive, sub-page, someone else's. */
    grant(d2, 30, D1, F2, GTF_invalid);
    grant(d2, 31, D1, F2, GTF_accept_transfer);
    grant(d2, 32, D1, F2, GTF_transitive);
    grant(d2, 33, D1, F2, GTF_permit_access | GTF_sub_page);
    grant(d2, 34, D3, F2, GTF_permit_access);
    grant(d2, 35, DOMID_SELF, F2, GTF_permit_access);
    assert_int_equal(map(d1, D2, 30, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 31, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 32, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 33, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 34, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 35, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(eflags(d2, 33), GTF_permit_access | GTF_sub_page);
    assert_int_equal(eflags(d2, 34), GTF_permit_access);
    assert_int_equal(n_gets, 0);
    assert_baseline();
}

/* The granted frame is checked through the PV MMU; failures undo the flags. */
static void test_map_bad_frames(void **state)
{
    /* Another domain's frame, a free frame, a frame beyond memory. */
    grant(d2, 40, D1, F3, GTF_permit_access);
    grant(d2, 41, D1, FREE_MFN, GTF_permit_access | GTF_readonly);
    grant(d2, 42, D1, 0xFFFFFFF0u, GTF_permit_access);
    assert_int_equal(map(d1, D2, 40, VA(1), HOST, NULL), GNTST_bad_page);
    assert_int_equal(map(d1, D2, 41, VA(1), HOST | RO, NULL), GNTST_bad_page);
    assert_int_equal(map(d1, D2, 42, VA(1), HOST | RO, NULL), GNTST_bad_page);
    assert_int_equal(eflags(d2, 40), GTF_permit_access);
    assert_int_equal(eflags(d2, 41), GTF_permit_access | GTF_readonly);
    assert_int_equal(eflags(d2, 42), GTF_permit_access);

    /* A page table can be mapped read-only but never writable. */
    grant(d2, 43, D1, PT2, GTF_permit_access);
    assert_int_equal(map(d1, D2, 43, VA(1), HOST, NULL), GNTST_general_error);
    assert_int_equal(eflags(d2, 43), GTF_permit_access);
    assert_int_equal(mfns[PT2].count, 0);
    assert_int_equal(n_gets, n_puts);
    {
        grant_handle_t h = map_ok(d1, D2, 43, VA(1), HOST | RO);

        /* ... nor upgraded to writable while read-only mapped: writing is cleared again,
         * reading kept. */
        assert_int_equal(map(d1, D2, 43, VA(2), HOST, NULL), GNTST_general_error);
        assert_int_equal(eflags(d2, 43), GTF_permit_access | GTF_reading);
        assert_int_equal(mfns[PT2].count, 1);
        assert_int_equal(d2->active[43].ro, 1);
        assert_int_equal(d2->active[43].rw, 0);
        assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    }
    assert_baseline();
}

static void test_map_host_failure_undone(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    assert_int_equal(map(d1, D2, 8, BAD_VA, HOST, NULL), GNTST_bad_virt_addr);
    assert_int_equal(eflags(d2, 8), GTF_permit_access);
    assert_int_equal(d2->nr_active, 0);
    assert_int_equal(d1->maptrack_used, 0);
    assert_baseline();

    /* With a pin already there, the failed one leaves exactly the first behind. */
    h = map_ok(d1, D2, 8, VA(1), HOST | RO);
    assert_int_equal(map(d1, D2, 8, VA(1), HOST, NULL), GNTST_general_error); /* VA taken */
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_reading);
    assert_int_equal(d2->active[8].ro, 1);
    assert_int_equal(d2->active[8].rw, 0);
    assert_int_equal(mfns[F2].count, 1);
    assert_int_equal(mfns[F2].wtype, 0);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

/* Only the domain holding the pins may add more; each kind stops at GNTTAB_MAX_PIN. */
static void test_pin_owner_and_limit(void **state)
{
    grant_handle_t h[GNTTAB_MAX_PIN];
    unsigned i;

    grant(d2, 50, D1, F2, GTF_permit_access);
    h[0] = map_ok(d1, D2, 50, VA(0), HOST | RO);
    /* The granter now names d3, but d1 holds the pins. */
    grant(d2, 50, D3, F2, GTF_permit_access | GTF_reading);
    assert_int_equal(map(d3, D2, 50, VA(0), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(d3->maptrack_used, 0);
    grant(d2, 50, D1, F2, GTF_permit_access | GTF_reading);

    for (i = 1; i < GNTTAB_MAX_PIN; i++)
        h[i] = map_ok(d1, D2, 50, VA(i), HOST | RO);
    assert_int_equal(d2->active[50].ro, GNTTAB_MAX_PIN);
    assert_int_equal(map(d1, D2, 50, VA(200), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(map(d1, D2, 50, VA(200), HOST, NULL), GNTST_general_error);
    assert_int_equal(d2->active[50].ro, GNTTAB_MAX_PIN);
    assert_int_equal(d2->active[50].rw, 0);
    assert_int_equal(mfns[F2].count, GNTTAB_MAX_PIN);
    for (i = 0; i < GNTTAB_MAX_PIN; i++)
        assert_int_equal(unmap(d1, h[i], VA(i)), GNTST_okay);
    assert_baseline();
}

/* ---- handles ------------------------------------------------------------------------------ */

static void test_double_unmap_and_bad_handles(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_bad_handle);
    assert_int_equal(unmap(d1, 5, VA(1)), GNTST_bad_handle);
    assert_int_equal(unmap(d1, MT_MAX, VA(1)), GNTST_bad_handle);
    assert_int_equal(unmap(d1, 0xFFFFFFFFu, VA(1)), GNTST_bad_handle);
    /* A handle is the mapper's own: d3 cannot unmap d1's. */
    h = map_ok(d1, D2, 8, VA(1), HOST);
    assert_int_equal(unmap(d3, h, VA(1)), GNTST_bad_handle);
    assert_int_equal(d1->maptrack_used, 1);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_int_equal(n_gets, n_puts);
    assert_int_equal(n_wgets, n_wputs);
    assert_baseline();
}

static void test_handle_reuse(void **state)
{
    grant_handle_t a, b, c;

    grant(d2, 8, D1, F2, GTF_permit_access);
    grant(d2, 9, D1, F2 + 1, GTF_permit_access | GTF_readonly);
    a = map_ok(d1, D2, 8, VA(1), HOST);
    b = map_ok(d1, D2, 9, VA(2), HOST | RO);
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(unmap(d1, a, VA(1)), GNTST_okay);
    /* The freed handle is handed out next. */
    c = map_ok(d1, D2, 9, VA(3), HOST | RO);
    assert_int_equal(c, a);
    /* A stale unmap of the old mapping does not reach the new one. */
    assert_int_equal(unmap(d1, a, VA(1)), GNTST_general_error);
    assert_non_null(find_hmap(D1, VA(3)));
    assert_int_equal(d2->active[9].ro, 2);
    assert_int_equal(unmap(d1, c, VA(3)), GNTST_okay);
    assert_int_equal(unmap(d1, b, VA(2)), GNTST_okay);
    assert_baseline();
}

static void test_handle_exhaustion(void **state)
{
    grant_handle_t h[4];
    unsigned i;

    assert_int_equal(gnttab_domain_free_frames(&env, d1), 0);
    assert_int_equal(gnttab_domain_init(&env, d1, D1, false, MAXF, actives[1], maptracks[1], 4),
                     0);
    grant(d2, 8, D1, F2, GTF_permit_access);
    for (i = 0; i < 4; i++)
        h[i] = map_ok(d1, D2, 8, VA(i), HOST | RO);
    assert_int_equal(d1->maptrack_free, GNTTAB_NO_HANDLE);
    assert_int_equal(map(d1, D2, 8, VA(9), HOST | RO, NULL), GNTST_no_space);
    assert_int_equal(d2->active[8].ro, 4);
    assert_int_equal(mfns[F2].count, 4);
    assert_int_equal(unmap(d1, h[2], VA(2)), GNTST_okay);
    assert_int_equal(map_ok(d1, D2, 8, VA(9), HOST | RO), h[2]);
    assert_int_equal(unmap(d1, h[2], VA(9)), GNTST_okay);
    for (i = 0; i < 4; i++)
        if (i != 2)
            assert_int_equal(unmap(d1, h[i], VA(i)), GNTST_okay);
    assert_baseline();
}

/* ---- all-or-nothing unmap (A13) --------------------------------------------------------- */

static void test_partial_unmap_refused(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST);

    /* host_addr 0 (Xen would unmap nothing and say okay) or another address. */
    assert_int_equal(unmap(d1, h, 0), GNTST_general_error);
    assert_int_equal(unmap(d1, h, VA(2)), GNTST_general_error);
    assert_int_equal(unmap_host_calls, 0);
    /* The host mapping is gone behind our back (or changed): nothing moves. */
    fail_unmap_host = true;
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_general_error);
    assert_int_equal(unmap_host_calls, 1);
    fail_unmap_host = false;
    assert_int_equal(d1->maptrack_used, 1);
    assert_int_equal(d2->active[8].rw, 1);
    assert_int_equal(mfns[F2].count, 1);
    assert_int_equal(mfns[F2].wtype, 1);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_reading | GTF_writing);
    assert_non_null(find_hmap(D1, VA(1)));

    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

/* The mapping is removed where map_host said it put it: the maptrack entry keeps that
 * place, and unmap (also by revocation) hands it back, never re-deriving it from
 * host_addr (the mapper may run on other page tables by then). */
static void test_unmap_at_reported_entry(void **state)
{
    struct host_map *m;
    grant_handle_t h, h2;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST);
    h2 = map_ok(d1, D2, 8, VA(2), HOST | RO);
    m = find_hmap(D1, VA(1));
    assert_int_equal(d1->maptrack[h].pte, m->pte);
    assert_int_not_equal(d1->maptrack[h2].pte, m->pte);
    m->addr = VA(9);                            /* another address space now */
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_false(m->used);
    assert_int_equal(unmap_host_calls, 1);
    find_hmap(D1, VA(2))->addr = VA(10);
    assert_int_equal(gnttab_release_mappings(&env, d1), 1);
    assert_int_equal(nr_hmaps(), 0);
    assert_baseline();
}

/* ---- revocation and teardown ---------------------------------------------------------- */

static void test_release_mappings(void **state)
{
    grant(d2, 8, D1, F2, GTF_permit_access);
    grant(d2, 9, D1, F2 + 1, GTF_permit_access | GTF_readonly);
    grant(d3, 8, D1, F3, GTF_permit_access);
    grant(d2, 10, D3, F2 + 2, GTF_permit_access);
    map_ok(d1, D2, 8, VA(1), HOST);
    map_ok(d1, D2, 8, VA(2), HOST | RO);
    map_ok(d1, D2, 9, VA(3), HOST | RO);
    map_ok(d1, D3, 8, VA(4), HOST);
    map_ok(d3, D2, 10, VA(1), HOST);          /* d3's own mapping stays */
    /* One of d1's host mappings already vanished: revocation goes on regardless. */
    find_hmap(D1, VA(2))->used = false;

    assert_int_equal(gnttab_release_mappings(&env, d1), 4);
    assert_int_equal(d1->maptrack_used, 0);
    assert_null(find_hmap(D1, VA(1)));
    assert_null(find_hmap(D1, VA(4)));
    assert_int_equal(eflags(d2, 8), GTF_permit_access);
    assert_int_equal(eflags(d2, 9), GTF_permit_access | GTF_readonly);
    assert_int_equal(eflags(d3, 8), GTF_permit_access);
    assert_false(gnttab_in_use(d3));
    assert_true(gnttab_in_use(d2));           /* d3 still maps d2's ref 10 */
    assert_int_equal(gnttab_domain_free_frames(&env, d2), -EBUSY);
    assert_int_equal(d2->nr_frames, 1);

    assert_int_equal(gnttab_release_mappings(&env, d3), 1);
    assert_int_equal(gnttab_release_mappings(&env, d3), 0);
    assert_baseline();
    {
        uint64_t frame = d2->frame_mfn[0];

        assert_int_equal(gnttab_domain_free_frames(&env, d2), 0);
        assert_false(pool_used[frame - POOL_MFN]);
        assert_int_equal(d2->nr_frames, 0);
    }
    /* Give d2 a table again so the teardown audit sees a sane domain. */
    assert_int_equal(gnttab_domain_init(&env, d2, D2, false, MAXF, actives[2], maptracks[2],
                                        MT_MAX), 0);
}

/* The granter disappears while mapped: unmap still n_puts the references and frees the
 * handle (the pins went with the granter). */
static void test_unmap_after_granter_gone(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST);
    d2_gone = true;
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_int_equal(mfns[F2].count, 0);
    assert_int_equal(mfns[F2].wtype, 0);
    assert_int_equal(d1->maptrack_used, 0);
    assert_null(find_hmap(D1, VA(1)));
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_bad_handle);
    /* The pin left in d2's (now unreachable) state: a new d2 would start afresh. */
    assert_int_equal(d2->active[8].rw, 1);
    d2_gone = false;
    d2->active[8] = (struct gnttab_active){ 0 };
    d2->nr_active = 0;
    assert_baseline();
}

/* ---- a guest rewriting its entry between the read and the exchange --------------------- */

static unsigned flip_calls;

static void flip_to_readonly(const struct gnttab_domain *gt, grant_ref_t ref)
{
    if (flip_calls++ == 0)
        *raw_entry(d2, ref) |= GTF_readonly;
}

static void flip_frame(const struct gnttab_domain *gt, grant_ref_t ref)
{
    if (flip_calls++ == 0)
        grant(d2, ref, D1, F2 + 7, GTF_permit_access);
}

static void flip_domid(const struct gnttab_domain *gt, grant_ref_t ref)
{
    if (flip_calls++ == 0)
        grant(d2, ref, D3, F2, GTF_permit_access);
}

static void flip_revoke(const struct gnttab_domain *gt, grant_ref_t ref)
{
    if (flip_calls++ == 0)
        grant(d2, ref, D1, F2, GTF_invalid);
}

static void flip_always(const struct gnttab_domain *gt, grant_ref_t ref)
{
    flip_calls++;
    *raw_entry(d2, ref) ^= (uint64_t)1 << 40;   /* frame F2 <-> F2 + 256: still valid-looking */
}

static void test_toctou_readonly(void **state)
{
    grant(d2, 8, D1, F2, GTF_permit_access);
    flip = flip_to_readonly;
    flip_calls = 0;
    assert_int_equal(map(d1, D2, 8, VA(1), HOST, NULL), GNTST_general_error);
    assert_int_equal(flip_calls, 2);          /* the exchange failed, the re-read refused */
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly);
    assert_int_equal(n_gets, 0);
    flip = NULL;
    assert_baseline();
}

static void test_toctou_frame(void **state)
{
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    flip = flip_frame;
    flip_calls = 0;
    h = map_ok(d1, D2, 8, VA(1), HOST);
    flip = NULL;
    /* The frame used is the one in the entry when GTF_writing landed, never the first. */
    assert_int_equal(find_hmap(D1, VA(1))->mfn, F2 + 7);
    assert_int_equal(d2->active[8].frame, F2 + 7);
    assert_int_equal(mfns[F2 + 7].count, 1);
    assert_int_equal(mfns[F2 + 7].wtype, 1);
    assert_int_equal(mfns[F2].count, 0);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

static void test_toctou_domid_and_revoke(void **state)
{
    grant(d2, 8, D1, F2, GTF_permit_access);
    flip = flip_domid;
    flip_calls = 0;
    assert_int_equal(map(d1, D2, 8, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(eflags(d2, 8), GTF_permit_access);

    grant(d2, 9, D1, F2, GTF_permit_access);
    flip = flip_revoke;
    flip_calls = 0;
    assert_int_equal(map(d1, D2, 9, VA(1), HOST | RO, NULL), GNTST_general_error);
    assert_int_equal(eflags(d2, 9), GTF_invalid);
    flip = NULL;
    assert_baseline();
}

static void test_toctou_unstable(void **state)
{
    uint64_t before;

    grant(d2, 8, D1, F2, GTF_permit_access);
    flip = flip_always;
    flip_calls = 0;
    assert_int_equal(map(d1, D2, 8, VA(1), HOST, NULL), GNTST_general_error);
    assert_int_equal(flip_calls, GNTTAB_CAS_TRIES);
    flip = NULL;
    before = *raw_entry(d2, 8);
    assert_int_equal((uint16_t)before, GTF_permit_access);   /* no flag of ours left */
    assert_int_equal(d1->maptrack_used, 0);
    assert_baseline();
}

/* ---- copy -------------------------------------------------------------------------------- */

static struct gnttab_copy copy_op(uint16_t flags, domid_t sdom, uint64_t s, uint16_t soff,
                                  domid_t ddom, uint64_t d, uint16_t doff, uint16_t len)
{
    struct gnttab_copy op = { .flags = flags, .len = len };

    op.source.domid = sdom;
    op.source.offset = soff;
    op.dest.domid = ddom;
    op.dest.offset = doff;
    if (flags & GNTCOPY_source_gref)
        op.source.u.ref = (grant_ref_t)s;
    else
        op.source.u.gmfn = s;
    if (flags & GNTCOPY_dest_gref)
        op.dest.u.ref = (grant_ref_t)d;
    else
        op.dest.u.gmfn = d;
    return op;
}

static int16_t copy_once(struct gnttab_domain *caller, const struct gnttab_copy *op)
{
    struct gnttab_copy_plan plan;
    int16_t st = gnttab_op_copy_prepare(&env, caller, op, &plan);

    if (st != GNTST_okay) {
        assert_false(plan.src.held);
        assert_false(plan.dst.held);
    }
    gnttab_op_copy_finish(&env, &plan);
    return st;
}

static void test_copy_from_grant(void **state)
{
    struct gnttab_copy op;
    struct gnttab_copy_plan plan;

    grant(d2, 8, D1, F2 + 1, GTF_permit_access | GTF_readonly);
    op = copy_op(GNTCOPY_source_gref, D2, 8, 100, DOMID_SELF, F1, 200, 300);
    assert_int_equal(gnttab_op_copy_prepare(&env, d1, &op, &plan), GNTST_okay);
    assert_int_equal(plan.src.mfn, F2 + 1);
    assert_int_equal(plan.src.offset, 100);
    assert_int_equal(plan.dst.mfn, F1);
    assert_int_equal(plan.dst.offset, 200);
    assert_int_equal(plan.len, 300);
    assert_true(plan.src.held && plan.src.gref && !plan.src.writable);
    assert_true(plan.dst.held && !plan.dst.gref && plan.dst.writable);
    /* During the copy: the grant is pinned and flagged, both frames referenced. */
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly | GTF_reading);
    assert_int_equal(d2->active[8].ro, 1);
    assert_int_equal(mfns[F2 + 1].count, 1);
    assert_int_equal(mfns[F1].count, 1);
    assert_int_equal(mfns[F1].wtype, 1);
    gnttab_op_copy_finish(&env, &plan);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly);
    gnttab_op_copy_finish(&env, &plan);       /* twice is harmless */
    assert_baseline();
}

static void test_copy_to_grant(void **state)
{
    struct gnttab_copy op;
    struct gnttab_copy_plan plan;

    grant(d3, 8, D1, F3, GTF_permit_access);
    op = copy_op(GNTCOPY_dest_gref, DOMID_SELF, F1 + 1, 0, D3, 8, 0, 4096);
    assert_int_equal(gnttab_op_copy_prepare(&env, d1, &op, &plan), GNTST_okay);
    assert_int_equal(eflags(d3, 8), GTF_permit_access | GTF_reading | GTF_writing);
    assert_int_equal(mfns[F3].wtype, 1);
    assert_int_equal(mfns[F1 + 1].wtype, 0);
    assert_int_equal(mfns[F1 + 1].count, 1);
    gnttab_op_copy_finish(&env, &plan);
    assert_int_equal(eflags(d3, 8), GTF_permit_access);

    /* Grant to grant, across two granters, and a sub-page grant may be copied. */
    grant(d2, 8, D1, F2, GTF_permit_access | GTF_readonly | GTF_sub_page);
    op = copy_op(GNTCOPY_source_gref | GNTCOPY_dest_gref, D2, 8, 0, D3, 8, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_okay);
    /* Same grant both sides: a read pin and a write pin on one entry. */
    op = copy_op(GNTCOPY_source_gref | GNTCOPY_dest_gref, D3, 8, 0, D3, 8, 2048, 2048);
    assert_int_equal(gnttab_op_copy_prepare(&env, d1, &op, &plan), GNTST_okay);
    assert_int_equal(d3->active[8].ro, 1);
    assert_int_equal(d3->active[8].rw, 1);
    gnttab_op_copy_finish(&env, &plan);
    assert_int_equal(eflags(d3, 8), GTF_permit_access);
    assert_baseline();
}

static void test_copy_errors(void **state)
{
    struct gnttab_copy op;

    grant(d2, 8, D1, F2, GTF_permit_access | GTF_readonly);
    grant(d2, 9, D1, F2 + 1, GTF_permit_access);
    grant(d2, 10, D3, F2 + 2, GTF_permit_access);

    /* Frames by number only for DOMID_SELF. */
    op = copy_op(0, D2, F2, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_permission_denied);
    op = copy_op(GNTCOPY_source_gref, D2, 8, 0, D3, F3, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_permission_denied);
    /* Domains. */
    op = copy_op(GNTCOPY_source_gref, NOBODY, 8, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_domain);
    op = copy_op(GNTCOPY_source_gref, DOMID_IO, 8, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_domain);
    op = copy_op(GNTCOPY_dest_gref, DOMID_SELF, F1, 0, DOMID_XEN, 8, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_domain);
    /* Grants: beyond the table, someone else's, read-only as destination. */
    op = copy_op(GNTCOPY_source_gref, D2, 512, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_gntref);
    op = copy_op(GNTCOPY_source_gref, D2, 10, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_general_error);
    op = copy_op(GNTCOPY_dest_gref, DOMID_SELF, F1, 0, D2, 8, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_general_error);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_readonly);
    /* Own frames: not ours, or a page table as destination. */
    op = copy_op(0, DOMID_SELF, F2, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_page);
    op = copy_op(0, DOMID_SELF, F1, 0, DOMID_SELF, 1ULL << 40, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_page);
    mfns[F1 + 2].pt = true;
    op = copy_op(GNTCOPY_source_gref, D2, 9, 0, DOMID_SELF, F1 + 2, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_general_error);
    assert_int_equal(eflags(d2, 9), GTF_permit_access);   /* the source pin was undone */
    mfns[F1 + 2].pt = false;
    /* Crossing the page: checked after both sides (errors there come first). */
    op = copy_op(GNTCOPY_source_gref, D2, 9, 4000, DOMID_SELF, F1, 0, 97);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_copy_arg);
    op = copy_op(GNTCOPY_source_gref, D2, 9, 0, DOMID_SELF, F1, 4095, 2);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_copy_arg);
    op = copy_op(GNTCOPY_source_gref, D2, 9, 0xFFFF, DOMID_SELF, F1, 0, 0xFFFF);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_copy_arg);
    op = copy_op(GNTCOPY_source_gref, D2, 600, 4000, DOMID_SELF, F1, 0, 97);
    assert_int_equal(copy_once(d1, &op), GNTST_bad_gntref);
    op = copy_op(GNTCOPY_source_gref, D2, 9, 4096, DOMID_SELF, F1, 0, 0);
    assert_int_equal(copy_once(d1, &op), GNTST_okay);
    assert_int_equal(eflags(d2, 9), GTF_permit_access);
    assert_baseline();
}

/* A copy needs the grant's pins to be its own, like a map. */
static void test_copy_vs_mapping(void **state)
{
    struct gnttab_copy op;
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST | RO);
    op = copy_op(GNTCOPY_source_gref, D2, 8, 0, DOMID_SELF, F1, 0, 8);
    assert_int_equal(copy_once(d1, &op), GNTST_okay);
    assert_int_equal(eflags(d2, 8), GTF_permit_access | GTF_reading);   /* map's stays */
    assert_int_equal(d2->active[8].ro, 1);
    grant(d2, 8, D3, F2, GTF_permit_access | GTF_reading);
    op = copy_op(GNTCOPY_source_gref, D2, 8, 0, DOMID_SELF, F3, 0, 8);
    assert_int_equal(copy_once(d3, &op), GNTST_general_error);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

/* ---- balance over a longer mixed run, and the auditor ----------------------------------- */

static void test_mixed_run_balanced(void **state)
{
    grant_handle_t hs[64];
    unsigned i, n = 0;

    for (i = 0; i < 8; i++)
        grant(d2, 8 + i, D1, F2 + i, GTF_permit_access | (i & 1 ? GTF_readonly : 0));
    for (i = 0; i < 8; i++)
        grant(d3, 8 + i, D1, F3 + i, GTF_permit_access);
    for (i = 0; i < 48; i++) {
        struct gnttab_domain *g = (i % 3 == 2) ? d3 : d2;
        grant_ref_t ref = 8 + (i * 5) % 8;
        uint32_t flags = HOST | ((i % 4 == 0 || (g == d2 && ref % 2)) ? RO : 0);

        hs[n++] = map_ok(d1, g->id, ref, VA(i), flags);
        if (i % 7 == 6) {            /* unmap an older one now and then */
            unsigned k = (i * 3) % n;

            if (hs[k] != 0xFFFFFFFFu) {
                uint64_t va = d1->maptrack[hs[k]].host_addr;

                assert_int_equal(unmap(d1, hs[k], va), GNTST_okay);
                hs[k] = 0xFFFFFFFFu;
            }
        }
        assert_int_equal(gnttab_audit(&env, all, NDOMS, NULL), 0);
    }
    for (i = 0; i < n; i++) {
        if (hs[i] == 0xFFFFFFFFu)
            continue;
        assert_int_equal(unmap(d1, hs[i], d1->maptrack[hs[i]].host_addr), GNTST_okay);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(eflags(d2, 8 + i), GTF_permit_access | (i & 1 ? GTF_readonly : 0));
        assert_int_equal(eflags(d3, 8 + i), GTF_permit_access);
    }
    assert_true(n_gets > 40);
    assert_baseline();
}

static void expect_audit_failure(void)
{
    const char *why = NULL;

    assert_int_equal(gnttab_audit(&env, all, NDOMS, &why), -EINVAL);
    assert_non_null(why);
}

static void test_audit(void **state)
{
    const char *why = "unset";
    grant_handle_t h;

    grant(d2, 8, D1, F2, GTF_permit_access);
    h = map_ok(d1, D2, 8, VA(1), HOST);
    assert_int_equal(gnttab_audit(&env, all, NDOMS, &why), 0);
    assert_null(why);

    d2->active[8].rw++;
    expect_audit_failure();
    d2->active[8].rw--;

    d2->active[8].domid = D3;
    expect_audit_failure();
    d2->active[8].domid = D1;

    d1->maptrack[h].mfn = F2 + 1;
    expect_audit_failure();
    d1->maptrack[h].mfn = F2;

    d2->nr_active++;
    expect_audit_failure();
    d2->nr_active--;

    d1->maptrack_used++;
    expect_audit_failure();
    d1->maptrack_used--;

    d1->maptrack[5].flags = HOST;             /* a "mapping" on the free list */
    expect_audit_failure();
    d1->maptrack[5].flags = 0;

    d1->maptrack[MT_MAX - 1].ref = 1;         /* the free list loops */
    expect_audit_failure();
    d1->maptrack[MT_MAX - 1].ref = GNTTAB_NO_HANDLE;

    d3->active[600] = (struct gnttab_active){ .frame = F3, .domid = D1, .ro = 1 };
    d3->nr_active = 1;                        /* pinned beyond d3's one-frame table */
    expect_audit_failure();
    d3->active[600] = (struct gnttab_active){ 0 };
    d3->nr_active = 0;

    assert_int_equal(gnttab_audit(&env, all, NDOMS, NULL), 0);
    assert_int_equal(unmap(d1, h, VA(1)), GNTST_okay);
    assert_baseline();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_init),
        T(test_setup_table),
        T(test_query_size_domains),
        T(test_map_readonly),
        T(test_map_writable),
        T(test_map_writable_of_readonly_grant),
        T(test_map_ro_then_rw),
        T(test_map_rw_then_ro),
        T(test_map_two_of_a_kind),
        T(test_pinned_frame_is_kept),
        T(test_self_grant),
        T(test_map_errors),
        T(test_map_bad_frames),
        T(test_map_host_failure_undone),
        T(test_pin_owner_and_limit),
        T(test_double_unmap_and_bad_handles),
        T(test_handle_reuse),
        T(test_handle_exhaustion),
        T(test_partial_unmap_refused),
        T(test_unmap_at_reported_entry),
        T(test_release_mappings),
        T(test_unmap_after_granter_gone),
        T(test_toctou_readonly),
        T(test_toctou_frame),
        T(test_toctou_domid_and_revoke),
        T(test_toctou_unstable),
        T(test_copy_from_grant),
        T(test_copy_to_grant),
        T(test_copy_errors),
        T(test_copy_vs_mapping),
        T(test_mixed_run_balanced),
        T(test_audit),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
