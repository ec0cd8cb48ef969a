/*
 * xd-grant-copy: GNTTABOP_copy between two domains running at once: a grantee reads and
 * writes what a granter grants it, only that, and nothing once access is revoked.
 *
 * One binary, two roles (test.conf boots d1 as "role=granter peer=2" and d2 as
 * "role=grantee peer=1"):
 * - granter (d1): sets up its grant table (setup_table, the frame mapped read-write
 *   through a scratch L1, ../mm-common/grant.h), fills two pages with patterns and grants
 *   them to d2, ref 8 read-write and ref 9 read-only, and ref 10 (read-write) to another
 *   domain id; then offers an event channel to d2 (../xd-common/peer.h), which is how d2
 *   knows the grants are in place. Refs are fixed by this file: 8-10, the first after the
 *   8 that Linux reserves.
 * - grantee (d2): binds the channel, copies, signals "copied"; waits for "revoked",
 *   tries again, signals "tried".
 * Checks (xen/include/public/grant_table.h; Xen 4.17 common/grant_table.c
 * acquire_grant_for_copy and _set_status_v1 are the reference for the statuses):
 * - grantee, while granted: copy of ref 9 and of ref 8 into its own page: GNTST_okay and
 *   exactly the granter's patterns; a copy from its own page into ref 8 at offset 100,
 *   1000 bytes: okay, and reading ref 8 back shows those bytes there and the granter's
 *   pattern around them; a copy into read-only ref 9: GNTST_general_error ("write-pin
 *   of a r/o grant") and ref 9 reads back unchanged; a copy from ref 10 (granted to
 *   another domain): GNTST_general_error; from a ref past the end of the granter's
 *   table: GNTST_bad_gntref; a failed copy leaves the destination untouched;
 * - granter, after "copied": ref 8's page holds the grantee's 1000 bytes at offset 100
 *   and its own pattern elsewhere, ref 9's page is unchanged, and the three entries are
 *   exactly as written (GTF_reading/GTF_writing cleared once the copies ended);
 *   it then revokes refs 8 and 9: clears the flags with a compare-exchange once
 *   GTF_reading/GTF_writing are clear (the way a guest must end foreign access);
 * - grantee, after "revoked": copies from refs 8 and 9 and into ref 8 give
 *   GNTST_general_error and leave its page untouched;
 * - granter, after "tried": both pages are exactly as before the revocation.
 * How: two domains under the scheduler (test.conf PEERS); every step is handed over
 * with an interdomain event, each wait bounded (5 s) in system time.
 * Cannot detect: a copy that races with the revocation (the steps are serialised by
 * the events, and one vCPU each cannot look mid-copy), GNTTABOP_map_grant_ref
 * (tests/xd-grant-map), grant tables larger than one frame.
 */
#include "../mm-common/grant.h"
#include "../xd-common/peer.h"
#include "../xd-common/grant_peer.h"

const char test_title[] = "xd-grant-copy: copy through another domain's grants, then revoked";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define REF_RW      8
#define REF_RO      9
#define REF_OTHER   10
#define REF_PAST    0xfff0              /* far past a one-frame table (512 entries) */
#define WRITE_OFF   100
#define WRITE_LEN   1000
#define SEED_RW     0x21
#define SEED_RO     0x5a
#define SEED_OURS   0xc7
#define SENTINEL    0xee

enum { PG_SCRATCH, PG_RW, PG_RO, PG_BUF, PG_SRC, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static page_t want_rw, want_ro;         /* expected contents of the granter's pages */

static domid_t peer;
static evtchn_port_t link;
static bool scratch_ok;                 /* the granter's table frame is mapped */

static bool step(const char *what)
{
    printk("Test: %s\n", what);
    return true;
}

/* ---- granter --------------------------------------------------------------------------- */

static bool granter_setup(void)
{
    xen_pfn_t frame = 0;

    uint32_t nr = 0;

    if (!expect_st("setup_table(1)", setup(DOMID_SELF, 1, &frame), GNTST_okay) ||
        !expect_st("query_size", query(DOMID_SELF, &nr, NULL), GNTST_okay))
        return false;
    if (nr != 1) {      /* REF_PAST relies on it */
        test_error("the grant table has %u frames, expected 1", nr);
        return false;
    }
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    if (!scratch_ok)
        return false;
    if (scratch_set(&scr, 0, frame << PAGE_SHIFT | PT_RW)) {
        test_error("cannot map grant-table frame %lx read-write", frame);
        return false;
    }
    peer_pattern(pages[PG_RW], SEED_RW);
    peer_pattern(pages[PG_RO], SEED_RO);
    memcpy(want_rw, pages[PG_RW], PAGE_SIZE);
    memcpy(want_ro, pages[PG_RO], PAGE_SIZE);
    grant(REF_RW, GTF_permit_access, peer, virt_to_mfn(pages[PG_RW]));
    grant(REF_RO, GTF_permit_access | GTF_readonly, peer, virt_to_mfn(pages[PG_RO]));
    grant(REF_OTHER, GTF_permit_access, (domid_t)(peer + 100), virt_to_mfn(pages[PG_RW]));
    printk("  granted ref %u (rw) and %u (ro) to d%u, ref %u to d%u\n", REF_RW, REF_RO,
           peer, REF_OTHER, peer + 100);
    return true;
}

static void granter(void)
{
    uint8_t *rw = (uint8_t *)pages[PG_RW];

    if (!granter_setup() || !peer_offer(peer, &link))
        return;

    step("d2 copies through the grants");
    if (!peer_wait_step(link, peer, "copied"))
        return;
    peer_pattern(pages[PG_SRC], SEED_OURS);      /* what d2 wrote, at WRITE_OFF */
    memcpy((uint8_t *)want_rw + WRITE_OFF, (uint8_t *)pages[PG_SRC] + WRITE_OFF, WRITE_LEN);
    peer_same_page("ref 8's page after d2 wrote into it", rw, want_rw);
    peer_same_page("ref 9's (read-only) page", pages[PG_RO], want_ro);
    peer_grant_entry_is(REF_RW, GTF_permit_access, peer, pages[PG_RW]);
    peer_grant_entry_is(REF_RO, GTF_permit_access | GTF_readonly, peer, pages[PG_RO]);
    peer_grant_entry_is(REF_OTHER, GTF_permit_access, (domid_t)(peer + 100), pages[PG_RW]);

    step("revoke refs 8 and 9, d2 copies again");
    if (!peer_revoke(REF_RW) || !peer_revoke(REF_RO))
        return;
    memcpy(want_rw, rw, PAGE_SIZE);
    if (!peer_signal(link) || !peer_wait_step(link, peer, "tried"))
        return;
    peer_same_page("ref 8's page after revocation", rw, want_rw);
    peer_same_page("ref 9's page after revocation", pages[PG_RO], want_ro);
}

/* ---- grantee --------------------------------------------------------------------------- */

/* A grant ref of the granter's table (by_ref names our own). */
static struct side theirs(grant_ref_t ref, uint16_t off)
{
    struct side s = by_ref(ref, off);

    s.dom = peer;
    return s;
}

/* Copy into our buffer from 'src' and expect status want; a failed copy must leave the
 * buffer (filled with SENTINEL first) untouched. */
static void copy_in(const char *what, struct side src, int16_t want)
{
    uint8_t *buf = (uint8_t *)pages[PG_BUF];
    unsigned int i;

    memset(buf, SENTINEL, PAGE_SIZE);
    if (!expect_st(what, copy1(src, by_frame(buf, 0), PAGE_SIZE), want) || want == GNTST_okay)
        return;
    for (i = 0; i < PAGE_SIZE; i++)
        if (buf[i] != SENTINEL) {
            test_failure("%s: failed, yet destination byte %u changed to 0x%x", what, i,
                         buf[i]);
            return;
        }
}

static void grantee_copies(void)
{
    uint8_t *buf = (uint8_t *)pages[PG_BUF], *src = (uint8_t *)pages[PG_SRC];

    peer_pattern(want_ro, SEED_RO);
    peer_pattern(want_rw, SEED_RW);
    peer_pattern(src, SEED_OURS);

    copy_in("copy from read-only ref 9", theirs(REF_RO, 0), GNTST_okay);
    peer_same_page("ref 9 as copied", buf, want_ro);
    copy_in("copy from ref 8", theirs(REF_RW, 0), GNTST_okay);
    peer_same_page("ref 8 as copied", buf, want_rw);

    expect_st("copy 1000 bytes into ref 8 at offset 100",
              copy1(by_frame(src, WRITE_OFF), theirs(REF_RW, WRITE_OFF), WRITE_LEN),
              GNTST_okay);
    memcpy((uint8_t *)want_rw + WRITE_OFF, src + WRITE_OFF, WRITE_LEN);
    copy_in("copy ref 8 back", theirs(REF_RW, 0), GNTST_okay);
    peer_same_page("ref 8 after our write", buf, want_rw);

    expect_st("copy into read-only ref 9",
              copy1(by_frame(src, 0), theirs(REF_RO, 0), PAGE_SIZE), GNTST_general_error);
    copy_in("copy ref 9 back", theirs(REF_RO, 0), GNTST_okay);
    peer_same_page("ref 9 after the refused write", buf, want_ro);

    copy_in("copy from ref 10 (granted to another domain)", theirs(REF_OTHER, 0),
            GNTST_general_error);
    copy_in("copy from a ref past the table", theirs(REF_PAST, 0), GNTST_bad_gntref);
}

static void grantee_after_revoke(void)
{
    uint8_t *src = (uint8_t *)pages[PG_SRC];

    copy_in("copy from revoked ref 8", theirs(REF_RW, 0), GNTST_general_error);
    copy_in("copy from revoked ref 9", theirs(REF_RO, 0), GNTST_general_error);
    expect_st("copy into revoked ref 8",
              copy1(by_frame(src, 0), theirs(REF_RW, 0), PAGE_SIZE), GNTST_general_error);
}

static void grantee(void)
{
    if (!peer_connect(peer, (evtchn_port_t)cmdline_ulong("port", 0), &link))
        return;
    step("copy through d1's grants");
    grantee_copies();
    if (!peer_signal(link))
        return;
    step("copy after d1 revoked");
    if (!peer_wait_step(link, peer, "revoked"))
        return;
    grantee_after_revoke();
    peer_signal(link);
}

void test_main(void)
{
    char role[12] = "";

    self_id = peer_self_id();
    cmdline_get("role", role, sizeof(role));
    printk("  domain id %u, role %s\n", self_id, role);
    if (!strcmp(role, "granter")) {
        peer = (domid_t)cmdline_ulong("peer", 2);
        granter();
        if (scratch_ok)
            scratch_fini(&scr);
    } else if (!strcmp(role, "grantee")) {
        peer = (domid_t)cmdline_ulong("peer", 1);
        grantee();
    } else {
        test_error("command line needs role=granter or role=grantee (got \"%s\")",
                   cmdline());
    }
}
