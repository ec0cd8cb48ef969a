/*
 * Grant-table helpers shared by tests/hc-grant-table and tests/xsa-grant-abuse:
 * GNTST_* names and checks, query_size/setup_table wrappers, the table's v1 entries as
 * mapped at the scratch window (scratch entry f = table frame f), and one-element
 * GNTTABOP_copy built from two "sides" (a grant ref or a frame of our own).
 * Header-only, like pv_mm.h: each test is one translation unit.
 */
#ifndef MM_COMMON_GRANT_H
#define MM_COMMON_GRANT_H

#include "pv_mm.h"

#define BAD_RC ((int16_t)0x7fff)        /* the hypercall itself failed (not a status) */

static struct scratch scr;              /* table frames mapped at entries 0.. */
static domid_t self_id;                 /* our domain id, learnt by the test */

static const char *const gntst_names[] = GNTTABOP_error_msgs;

static const char *st_name(int16_t st)
{
    if (st == BAD_RC)
        return "(hypercall failed)";
    if (st <= 0 && -st < (int)ARRAY_SIZE(gntst_names))
        return gntst_names[-st];
    return "(unknown status)";
}

static bool expect_st(const char *what, int16_t got, int16_t want)
{
    if (got == want)
        return true;
    test_failure("%s: status %d %s, expected %d %s", what, got, st_name(got), want,
                 st_name(want));
    return false;
}

static long gnt(unsigned int cmd, void *arg, unsigned long count)
{
    return HYPERVISOR_grant_table_op(cmd, (unsigned long)arg, count);
}

static int16_t query(domid_t dom, uint32_t *nr, uint32_t *max)
{
    struct gnttab_query_size q = { .dom = dom, .status = 0x55 };
    long rc = gnt(GNTTABOP_query_size, &q, 1);

    if (rc) {
        test_failure("query_size(dom 0x%x): returned %ld", dom, rc);
        return BAD_RC;
    }
    if (nr)
        *nr = q.nr_frames;
    if (max)
        *max = q.max_nr_frames;
    return q.status;
}

static int16_t setup(domid_t dom, uint32_t nr, xen_pfn_t *list)
{
    struct gnttab_setup_table s = { .dom = dom, .nr_frames = nr, .status = 0x55 };
    long rc;

    set_xen_guest_handle(s.frame_list, list);
    rc = gnt(GNTTABOP_setup_table, &s, 1);
    if (rc) {
        test_failure("setup_table(dom 0x%x, %u frames): returned %ld", dom, nr, rc);
        return BAD_RC;
    }
    return s.status;
}

static volatile grant_entry_v1_t *gent(grant_ref_t ref)
{
    return (volatile grant_entry_v1_t *)scratch_va(&scr, ref / 512) + ref % 512;
}

/* Write a v1 entry the way a guest must: domid and frame, then the flags. */
static void grant(grant_ref_t ref, uint16_t flags, domid_t dom, unsigned long frame)
{
    volatile grant_entry_v1_t *e = gent(ref);

    e->flags = 0;
    barrier();
    e->domid = dom;
    e->frame = (uint32_t)frame;
    barrier();
    e->flags = flags;
    barrier();
}

/* One side of a copy: a grant ref of 'dom', or a frame number (dom DOMID_SELF). */
struct side {
    bool gref;
    unsigned long v;        /* ref or gmfn */
    domid_t dom;
    uint16_t off;
};

static void set_ptr(struct gnttab_copy_ptr *p, const struct side *s)
{
    if (s->gref)
        p->u.ref = (grant_ref_t)s->v;
    else
        p->u.gmfn = s->v;
    p->domid = s->dom;
    p->offset = s->off;
}

static void make_copy(struct gnttab_copy *c, struct side src, struct side dst, uint16_t len)
{
    memset(c, 0, sizeof(*c));
    set_ptr(&c->source, &src);
    set_ptr(&c->dest, &dst);
    c->len = len;
    c->flags = (uint16_t)((src.gref ? GNTCOPY_source_gref : 0) |
                          (dst.gref ? GNTCOPY_dest_gref : 0));
    c->status = 0x55;
}

static int16_t copy1(struct side src, struct side dst, uint16_t len)
{
    struct gnttab_copy c;
    long rc;

    make_copy(&c, src, dst, len);
    rc = gnt(GNTTABOP_copy, &c, 1);
    if (rc) {
        test_failure("copy: returned %ld", rc);
        return BAD_RC;
    }
    return c.status;
}

static struct side by_ref(grant_ref_t ref, uint16_t off)
{
    return (struct side){ .gref = true, .v = ref, .dom = self_id, .off = off };
}

static struct side by_frame(const void *page, uint16_t off)
{
    return (struct side){ .gref = false, .v = virt_to_mfn(page), .dom = DOMID_SELF,
                          .off = off };
}

#endif
