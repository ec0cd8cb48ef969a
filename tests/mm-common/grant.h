/*
 * Grant-table helpers shared by the grant tests (hc-grant-table, hc-grant-map,
 * xsa-grant-abuse, xsa-a13-grant-unmap, xsa-a14-contains-pte): GNTST_* names and
 * checks, our domain id, query_size/setup_table wrappers, the table's v1 entries as
 * mapped at the scratch window (scratch entry f = table frame f), one-element
 * GNTTABOP_copy built from two "sides" (a grant ref or a frame of our own), one-element
 * map_grant_ref / unmap_grant_ref, and a bare-syscall hypercall probe that also catches
 * an exception delivered on the way back. Header-only, like pv_mm.h: each test is one
 * translation unit.
 */
#ifndef MM_COMMON_GRANT_H
#define MM_COMMON_GRANT_H

#include "pv_mm.h"

#define BAD_RC ((int16_t)0x7fff)        /* the hypercall itself failed (not a status) */

static struct scratch scr;              /* table frames mapped at entries 0.. */
static domid_t self_id;                 /* our domain id, learnt by the test */

static const char *const gntst_names[] = GNTTABOP_error_msgs;

static inline const char *st_name(int16_t st)
{
    if (st == BAD_RC)
        return "(hypercall failed)";
    if (st <= 0 && -st < (int)ARRAY_SIZE(gntst_names))
        return gntst_names[-st];
    return "(unknown status)";
}

static inline bool expect_st(const char *what, int16_t got, int16_t want)
{
    if (got == want)
        return true;
    test_failure("%s: status %d %s, expected %d %s", what, got, st_name(got), want,
                 st_name(want));
    return false;
}

static inline long gnt(unsigned int cmd, void *arg, unsigned long count)
{
    return HYPERVISOR_grant_table_op(cmd, (unsigned long)arg, count);
}

static inline int16_t query(domid_t dom, uint32_t *nr, uint32_t *max)
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

static inline int16_t setup(domid_t dom, uint32_t nr, xen_pfn_t *list)
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

/* Our domain id, from EVTCHNOP_status of an unbound port allocated for DOMID_SELF. */
static inline bool learn_self_id(void)
{
    evtchn_port_t port;
    struct evtchn_status st;

    if (evtchn_alloc_unbound(DOMID_SELF, &port) || evtchn_status(port, &st)) {
        test_error("cannot learn our domain id (alloc_unbound/status failed)");
        return false;
    }
    self_id = st.u.unbound.dom;
    evtchn_close(port);
    return true;
}

static inline volatile grant_entry_v1_t *gent(grant_ref_t ref)
{
    return (volatile grant_entry_v1_t *)scratch_va(&scr, ref / 512) + ref % 512;
}

static inline uint16_t gflags(grant_ref_t ref)
{
    return gent(ref)->flags;
}

/* The scratch L1 at va (its page l1page) with table frame 0 mapped read-write at
 * scratch entry 0; *frame0 gets the frame. */
static inline bool table_frame0_mapped(uint64_t *l1page, unsigned long va,
                                       xen_pfn_t *frame0)
{
    xen_pfn_t list[1] = { 0 };
    long rc;

    if (!scratch_init(&scr, l1page, va) ||
        !expect_st("setup_table(1)", setup(DOMID_SELF, 1, list), GNTST_okay))
        return false;
    rc = scratch_set(&scr, 0, list[0] << PAGE_SHIFT | PT_RW);
    if (rc) {
        test_error("mapping table frame 0 (mfn %lx) RW: %ld", list[0], rc);
        return false;
    }
    *frame0 = list[0];
    return true;
}

/* Write a v1 entry the way a guest must: domid and frame, then the flags. */
static inline void grant(grant_ref_t ref, uint16_t flags, domid_t dom, unsigned long frame)
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

static inline void set_ptr(struct gnttab_copy_ptr *p, const struct side *s)
{
    if (s->gref)
        p->u.ref = (grant_ref_t)s->v;
    else
        p->u.gmfn = s->v;
    p->domid = s->dom;
    p->offset = s->off;
}

static inline void make_copy(struct gnttab_copy *c, struct side src, struct side dst,
                             uint16_t len)
{
    memset(c, 0, sizeof(*c));
    set_ptr(&c->source, &src);
    set_ptr(&c->dest, &dst);
    c->len = len;
    c->flags = (uint16_t)((src.gref ? GNTCOPY_source_gref : 0) |
                          (dst.gref ? GNTCOPY_dest_gref : 0));
    c->status = 0x55;
}

static inline int16_t copy1(struct side src, struct side dst, uint16_t len)
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

static inline struct side by_ref(grant_ref_t ref, uint16_t off)
{
    return (struct side){ .gref = true, .v = ref, .dom = self_id, .off = off };
}

static inline struct side by_frame(const void *page, uint16_t off)
{
    return (struct side){ .gref = false, .v = virt_to_mfn(page), .dom = DOMID_SELF,
                          .off = off };
}

/* ---- map_grant_ref / unmap_grant_ref, one element each ------------------------------ */

/* Map (dom, ref) at host_addr; the handle and dev_bus_addr the hypervisor wrote back. */
static inline int16_t map_ref(domid_t dom, grant_ref_t ref, unsigned long host_addr,
                              uint32_t flags, grant_handle_t *handle, uint64_t *bus)
{
    struct gnttab_map_grant_ref m = { .host_addr = host_addr, .flags = flags, .ref = ref,
                                      .dom = dom, .handle = 0xdead, .status = 0x55 };
    long rc = gnt(GNTTABOP_map_grant_ref, &m, 1);

    if (rc) {
        test_failure("map_grant_ref(ref %u at %lx, flags %x): returned %ld", ref,
                     host_addr, flags, rc);
        return BAD_RC;
    }
    if (handle)
        *handle = m.handle;
    if (bus)
        *bus = m.dev_bus_addr;
    return m.status;
}

static inline int16_t unmap_ref(grant_handle_t handle, unsigned long host_addr, uint64_t bus)
{
    struct gnttab_unmap_grant_ref u = { .host_addr = host_addr, .dev_bus_addr = bus,
                                        .handle = handle, .status = 0x55 };
    long rc = gnt(GNTTABOP_unmap_grant_ref, &u, 1);

    if (rc) {
        test_failure("unmap_grant_ref(handle %u at %lx): returned %ld", handle, host_addr,
                     rc);
        return BAD_RC;
    }
    return u.status;
}

/*
 * A hypercall by a bare syscall (no hypercall page) with four arguments, catching an
 * exception raised at the syscall or delivered by the hypervisor on the way back (its
 * RIP is the instruction after the syscall, where Xen and Parapet put an injected #GP).
 */
static inline exinfo_t probe_hypercall4(long *res, unsigned long nr, unsigned long a1,
                                        unsigned long a2, unsigned long a3, unsigned long a4)
{
    register unsigned long r1 __asm__("rdi") = a1;
    register unsigned long r2 __asm__("rsi") = a2;
    register unsigned long r3 __asm__("rdx") = a3;
    register unsigned long r4 __asm__("r10") = a4;
    unsigned long rax = nr;

    probe_reset();
    __asm__ volatile("1: syscall\n2: nop\n3:\n\t"
                     EXTABLE_ENTRY("1b", "3b") EXTABLE_ENTRY("2b", "3b")
                     : "+a"(rax), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4)
                     : : "rcx", "r11", "r8", "r9", "memory", "cc");
    *res = (long)rax;
    return probe_last.info;
}

#endif
