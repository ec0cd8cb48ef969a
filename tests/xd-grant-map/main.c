/*
 * xd-grant-map: GNTTABOP_map_grant_ref / unmap_grant_ref between two domains running at
 * once: the mapper sees and changes exactly the granter's frame, the granter sees the
 * grant in use while it is mapped, and a revoked grant can no longer be mapped.
 *
 * One binary, two roles (test.conf boots d1 as "role=granter peer=2" and d2 as
 * "role=mapper peer=1"):
 * - granter (d1): sets up its grant table (frame 0 mapped read-write at a scratch L1,
 *   ../mm-common/grant.h), fills two pages with patterns and grants them to d2, ref 8
 *   read-write and ref 9 read-only, and ref 10 to another domain id; then offers an
 *   event channel (../xd-common/peer.h), which tells d2 that the grants are in place.
 * - mapper (d2): binds the channel and maps the grants at entries of its own scratch L1.
 * Each step below ends with an event to the other side ("mapped", "checked",
 * "unmapped", "revoked", "tried").
 * Checks (xen/include/public/grant_table.h; Xen 4.17 common/grant_table.c map_grant_ref
 * and unmap_common are the reference; docs/abi/grants.md):
 * - mapper: ref 8 mapped writable at a VA, ref 9 read-only at a VA, ref 8 again writable
 *   with GNTMAP_contains_pte (by the machine address of an L1 entry): GNTST_okay, each
 *   entry present, marked (bit 62), no-execute, writable only for the writable ones,
 *   for the frame dev_bus_addr names (the same frame for both mappings of ref 8); the
 *   mappings read the granter's patterns; a write through the VA mapping is read
 *   through the contains_pte one and the other way round; a write through the
 *   read-only mapping takes #PF(P|W) and changes nothing; ref 9 mapped writable, ref 10
 *   (granted to another domain) and a ref past the table are refused
 *   (GNTST_general_error, GNTST_general_error, GNTST_bad_gntref) and leave their target
 *   entry empty;
 * - granter, while mapped: its own pages hold exactly the mapper's writes over its
 *   patterns (ref 9's page unchanged); entry 8 has GTF_reading|GTF_writing, entry 9
 *   GTF_reading, entry 10 its flags as written; it then writes a word into each page,
 *   which the mapper reads through its mappings (the mapping is the live frame, not a
 *   copy);
 * - mapper: the three unmaps give GNTST_okay, a second unmap GNTST_bad_handle, and the
 *   entries are empty and their VAs fault;
 * - granter: entries 8 and 9 are back to exactly what it wrote; it revokes them
 *   (flags to 0 by compare-exchange, only while GTF_reading/GTF_writing are clear);
 * - mapper: mapping revoked ref 8 (writable or read-only) or ref 9 gives
 *   GNTST_general_error and leaves the entries empty;
 * - granter: the refused maps set no flag in the revoked entries, its pages are as
 *   they were at the revocation.
 * How: two domains under the scheduler (test.conf PEERS), every step handed over with
 * an interdomain event and each wait bounded (5 s) in system time.
 * Cannot detect: a map or unmap racing with the granter's own writes to the entry (the
 * steps are serialised), the hypervisor's reference counts (the auditor, on in every
 * run, recomputes them after each grant_table_op), what happens when either side ends
 * with a mapping in place (tests/xd-grant-orphan, tests/e2e/grant-outlives-granter.sh).
 */
#include "../mm-common/grant.h"
#include "../xd-common/peer.h"
#include "../xd-common/grant_peer.h"

const char test_title[] = "xd-grant-map: map another domain's grants, then revoked";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define REF_RW      8
#define REF_RO      9
#define REF_OTHER   10
#define REF_PAST    0xfff0              /* far past a one-frame table (512 entries) */
#define E           64                  /* mapper: scratch entries E.. are targets */
#define E_RW        E                   /* ref 8 at a VA */
#define E_RO        (E + 1)             /* ref 9 at a VA, read-only */
#define E_PTE       (E + 2)             /* ref 8 by GNTMAP_contains_pte */
#define E_REFUSED   (E + 3)             /* target of the refused maps */
#define VA_OFF      100                 /* the mapper writes VA_LEN bytes here ... */
#define VA_LEN      1000
#define PTE_OFF     2000                /* ... and PTE_LEN here through contains_pte */
#define PTE_LEN     300
#define MARK_WORD   (PAGE_SIZE / 8 - 1) /* the granter's word written while mapped */
#define MARK_RW     0xd1d1000000000008UL
#define MARK_RO     0xd1d1000000000009UL
#define SEED_RW     0x21
#define SEED_RO     0x5a
#define SEED_VA     0xc7
#define SEED_PTE    0x3b

enum { PG_SCRATCH, PG_RW, PG_RO, PG_TMP, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static page_t want_rw, want_ro;         /* what the granter's pages must hold */

static domid_t peer;
static evtchn_port_t link;
static bool scratch_ok;
static grant_handle_t h_rw, h_ro, h_pte;

/* ---- shared -------------------------------------------------------------------------- */

/* want gets the bytes [off, off + len) of the page patterned with seed. */
static void overlay(void *want, uint8_t seed, unsigned int off, unsigned int len)
{
    peer_pattern(pages[PG_TMP], seed);
    memcpy((uint8_t *)want + off, (uint8_t *)pages[PG_TMP] + off, len);
}

/* One role is a table of steps, run in order until one returns false. */
/* ---- granter ------------------------------------------------------------------------- */

static bool granter_setup(void)
{
    xen_pfn_t frame0;

    scratch_ok = table_frame0_mapped(pages[PG_SCRATCH], SCRATCH_VA, &frame0);
    if (!scratch_ok)
        return false;
    peer_pattern(pages[PG_RW], SEED_RW);
    peer_pattern(pages[PG_RO], SEED_RO);
    memcpy(want_rw, pages[PG_RW], PAGE_SIZE);
    memcpy(want_ro, pages[PG_RO], PAGE_SIZE);
    grant(REF_RW, GTF_permit_access, peer, virt_to_mfn(pages[PG_RW]));
    grant(REF_RO, GTF_permit_access | GTF_readonly, peer, virt_to_mfn(pages[PG_RO]));
    grant(REF_OTHER, GTF_permit_access, (domid_t)(peer + 100), virt_to_mfn(pages[PG_RW]));
    printk("  granted ref %u (rw, mfn %lx) and %u (ro, mfn %lx) to d%u, ref %u to d%u\n",
           REF_RW, virt_to_mfn(pages[PG_RW]), REF_RO, virt_to_mfn(pages[PG_RO]), peer,
           REF_OTHER, peer + 100);
    return peer_offer(peer, &link);
}

static bool granter_while_mapped(void)
{
    if (!peer_wait_step(link, peer, "mapped"))
        return false;
    overlay(want_rw, SEED_VA, VA_OFF, VA_LEN);
    overlay(want_rw, SEED_PTE, PTE_OFF, PTE_LEN);
    peer_same_page("ref 8's page after d2 wrote through its mappings", pages[PG_RW], want_rw);
    peer_same_page("ref 9's (read-only) page", pages[PG_RO], want_ro);
    peer_grant_entry_is(REF_RW, GTF_permit_access | GTF_reading | GTF_writing, peer, pages[PG_RW]);
    peer_grant_entry_is(REF_RO, GTF_permit_access | GTF_readonly | GTF_reading, peer,
                 pages[PG_RO]);
    peer_grant_entry_is(REF_OTHER, GTF_permit_access, (domid_t)(peer + 100), pages[PG_RW]);
    ((volatile uint64_t *)pages[PG_RW])[MARK_WORD] = MARK_RW;
    ((volatile uint64_t *)pages[PG_RO])[MARK_WORD] = MARK_RO;
    want_rw[MARK_WORD] = MARK_RW;
    want_ro[MARK_WORD] = MARK_RO;
    return peer_signal(link);
}

static bool granter_after_unmap(void)
{
    bool ok;

    if (!peer_wait_step(link, peer, "unmapped"))
        return false;
    /* Exact flags: the unmaps must have cleared what the maps set, nothing else. */
    ok = peer_grant_entry_is(REF_RW, GTF_permit_access, peer, pages[PG_RW]);
    ok &= peer_grant_entry_is(REF_RO, GTF_permit_access | GTF_readonly, peer, pages[PG_RO]);
    peer_same_page("ref 8's page after the unmaps", pages[PG_RW], want_rw);
    if (!ok || !peer_revoke(REF_RW) || !peer_revoke(REF_RO))
        return false;
    printk("  refs %u and %u revoked\n", REF_RW, REF_RO);
    return peer_signal(link);
}

static bool granter_after_tries(void)
{
    if (!peer_wait_step(link, peer, "tried"))
        return false;
    peer_grant_entry_is(REF_RW, 0, peer, pages[PG_RW]);
    peer_grant_entry_is(REF_RO, 0, peer, pages[PG_RO]);
    peer_same_page("ref 8's page after revocation", pages[PG_RW], want_rw);
    peer_same_page("ref 9's page after revocation", pages[PG_RO], want_ro);
    return true;
}

static const struct peer_step granter_steps[] = {
    { "grant refs 8 (rw) and 9 (ro) to d2, offer a channel", granter_setup },
    { "while d2 maps them: our pages, GTF_reading/GTF_writing", granter_while_mapped },
    { "after d2's unmaps: flags cleared, revoke", granter_after_unmap },
    { "after d2's maps of revoked refs: nothing changed", granter_after_tries },
};

/* ---- mapper -------------------------------------------------------------------------- */

static unsigned long va_at(unsigned int i) { return (unsigned long)scratch_va(&scr, i); }
static unsigned long maddr_at(unsigned int i) { return scr.l1_maddr + i * 8UL; }
static uint64_t entry_at(unsigned int i) { return ((volatile uint64_t *)scr.l1)[i]; }
static volatile uint64_t *words(unsigned int i) { return (volatile uint64_t *)va_at(i); }

/* Scratch entry i is a grant mapping of machine frame mfn, writable or not. */
static void expect_grant_entry(const char *what, unsigned int i, unsigned long mfn, bool rw)
{
    uint64_t e = entry_at(i), want = PTE_P | (rw ? PTE_RW : 0) | PTE_NX | PTE_GNTTAB;

    printk("  %s: entry %lx\n", what, e);
    if (pte_mfn(e) != mfn || (e & (PTE_P | PTE_RW | PTE_NX | PTE_GNTTAB)) != want)
        test_failure("%s: entry %u is %lx, expected mfn %lx with flags %lx", what, i, e,
                     mfn, want);
}

static void expect_empty(const char *what, unsigned int i)
{
    if (entry_at(i))
        test_failure("%s: entry %u is %lx, expected empty", what, i, entry_at(i));
}

static bool map_one(const char *what, grant_ref_t ref, unsigned long addr, uint32_t flags,
                    grant_handle_t *h, unsigned long *mfn)
{
    uint64_t bus = 0;

    if (!expect_st(what, map_ref(peer, ref, addr, flags, h, &bus), GNTST_okay))
        return false;
    *mfn = bus >> PAGE_SHIFT;
    printk("  %s: handle %u, dev_bus_addr %lx\n", what, *h, bus);
    return true;
}

/* A map that must be refused with 'want' and leave entry i empty. */
static void refused(const char *what, grant_ref_t ref, unsigned int i, uint32_t flags,
                    int16_t want)
{
    grant_handle_t h = 0;

    if (!expect_st(what, map_ref(peer, ref, va_at(i), flags, &h, NULL), want)) {
        if (entry_at(i)) {
            printk("  (%s was mapped: handle %u; unmapping)\n", what, h);
            unmap_ref(h, va_at(i), 0);
        }
        return;
    }
    expect_empty(what, i);
}

static bool mapper_setup(void)
{
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    return scratch_ok && peer_connect(peer, 0, &link);
}

static bool mapper_map(void)
{
    unsigned long mfn_rw = 0, mfn_ro = 0, mfn_pte = 0;
    unsigned int w;

    if (!map_one("map ref 8 writable at a VA", REF_RW, va_at(E_RW), GNTMAP_host_map, &h_rw,
                 &mfn_rw) ||
        !map_one("map ref 9 read-only at a VA", REF_RO, va_at(E_RO),
                 GNTMAP_host_map | GNTMAP_readonly, &h_ro, &mfn_ro) ||
        !map_one("map ref 8 writable by contains_pte", REF_RW, maddr_at(E_PTE),
                 GNTMAP_host_map | GNTMAP_contains_pte, &h_pte, &mfn_pte))
        return false;
    expect_grant_entry("ref 8 at a VA", E_RW, mfn_rw, true);
    expect_grant_entry("ref 9 at a VA", E_RO, mfn_ro, false);
    expect_grant_entry("ref 8 by contains_pte", E_PTE, mfn_rw, true);
    if (mfn_pte != mfn_rw || mfn_ro == mfn_rw)
        test_failure("dev_bus_addr frames: ref 8 %lx and %lx, ref 9 %lx", mfn_rw, mfn_pte,
                     mfn_ro);
    if (h_rw == h_ro || h_rw == h_pte || h_ro == h_pte)
        test_failure("handles %u, %u, %u are not distinct", h_rw, h_ro, h_pte);

    peer_pattern(want_rw, SEED_RW);
    peer_pattern(want_ro, SEED_RO);
    peer_same_page("ref 8 read at its VA", words(E_RW), want_rw);
    peer_same_page("ref 8 read by contains_pte", words(E_PTE), want_rw);
    peer_same_page("ref 9 read at its VA", words(E_RO), want_ro);

    /* Bytes written through one mapping of ref 8 are read through the other. */
    peer_pattern(pages[PG_TMP], SEED_VA);
    memcpy((uint8_t *)va_at(E_RW) + VA_OFF, (uint8_t *)pages[PG_TMP] + VA_OFF, VA_LEN);
    peer_pattern(pages[PG_TMP], SEED_PTE);
    memcpy((uint8_t *)va_at(E_PTE) + PTE_OFF, (uint8_t *)pages[PG_TMP] + PTE_OFF, PTE_LEN);
    overlay(want_rw, SEED_VA, VA_OFF, VA_LEN);
    overlay(want_rw, SEED_PTE, PTE_OFF, PTE_LEN);
    peer_same_page("ref 8 by contains_pte after our writes", words(E_PTE), want_rw);
    peer_same_page("ref 8 at its VA after our writes", words(E_RW), want_rw);

    if (expect_exinfo("byte write through the read-only mapping of ref 9",
                      probe_write(words(E_RO) + 3), EXINFO(X86_PF, PFEC_P | PFEC_W)) &&
        probe_last.cr2 != (unsigned long)(words(E_RO) + 3))
        test_failure("the #PF of the read-only mapping reports CR2 %lx, expected %lx",
                     probe_last.cr2, (unsigned long)(words(E_RO) + 3));
    for (w = 0; w < PAGE_SIZE / 8; w += 511)
        expect_exinfo("write through the read-only mapping of ref 9",
                      probe_write_val(words(E_RO) + w, 0xbadbadUL),
                      EXINFO(X86_PF, PFEC_P | PFEC_W));
    peer_same_page("ref 9 after the refused writes", words(E_RO), want_ro);

    refused("map read-only ref 9 writable", REF_RO, E_REFUSED, GNTMAP_host_map,
            GNTST_general_error);
    refused("map ref 10 (granted to another domain)", REF_OTHER, E_REFUSED,
            GNTMAP_host_map | GNTMAP_readonly, GNTST_general_error);
    refused("map a ref past the table", REF_PAST, E_REFUSED, GNTMAP_host_map,
            GNTST_bad_gntref);
    return peer_signal(link);
}

static bool mapper_unmap(void)
{
    if (!peer_wait_step(link, peer, "checked"))
        return false;
    /* The granter wrote one word into each page: the mappings show the live frames. */
    if (words(E_RW)[MARK_WORD] != MARK_RW || words(E_PTE)[MARK_WORD] != MARK_RW ||
        words(E_RO)[MARK_WORD] != MARK_RO)
        test_failure("d%u's writes not seen through the mappings: %lx %lx %lx", peer,
                     words(E_RW)[MARK_WORD], words(E_PTE)[MARK_WORD],
                     words(E_RO)[MARK_WORD]);
    expect_st("unmap ref 8 at its VA", unmap_ref(h_rw, va_at(E_RW), 0), GNTST_okay);
    expect_st("unmap ref 9", unmap_ref(h_ro, va_at(E_RO), 0), GNTST_okay);
    expect_st("unmap ref 8 by contains_pte", unmap_ref(h_pte, maddr_at(E_PTE), 0),
              GNTST_okay);
    expect_st("second unmap of ref 8", unmap_ref(h_rw, va_at(E_RW), 0), GNTST_bad_handle);
    expect_empty("after unmap", E_RW);
    expect_empty("after unmap", E_RO);
    expect_empty("after unmap", E_PTE);
    expect_exinfo("read at ref 8's VA after unmap", probe_read(words(E_RW)),
                  EXINFO(X86_PF, 0));
    expect_exinfo("read at ref 9's VA after unmap", probe_read(words(E_RO)),
                  EXINFO(X86_PF, 0));
    expect_exinfo("read at the contains_pte VA after unmap", probe_read(words(E_PTE)),
                  EXINFO(X86_PF, 0));
    return peer_signal(link);
}

static bool mapper_after_revoke(void)
{
    if (!peer_wait_step(link, peer, "revoked"))
        return false;
    refused("map revoked ref 8 writable", REF_RW, E_RW, GNTMAP_host_map,
            GNTST_general_error);
    refused("map revoked ref 8 read-only", REF_RW, E_RW, GNTMAP_host_map | GNTMAP_readonly,
            GNTST_general_error);
    refused("map revoked ref 9 read-only", REF_RO, E_RO, GNTMAP_host_map | GNTMAP_readonly,
            GNTST_general_error);
    return peer_signal(link);
}

static const struct peer_step mapper_steps[] = {
    { "connect to d1", mapper_setup },
    { "map d1's grants (VA, read-only, contains_pte), refusals", mapper_map },
    { "read d1's writes, unmap", mapper_unmap },
    { "map the revoked refs", mapper_after_revoke },
};

void test_main(void)
{
    char role[12] = "";

    self_id = peer_self_id();
    cmdline_get("role", role, sizeof(role));
    printk("  domain id %u, role %s\n", self_id, role);
    if (!strcmp(role, "granter")) {
        peer = (domid_t)cmdline_ulong("peer", 2);
        peer_run_steps(granter_steps, ARRAY_SIZE(granter_steps));
        if (scratch_ok)
            scratch_fini(&scr);
    } else if (!strcmp(role, "mapper")) {
        peer = (domid_t)cmdline_ulong("peer", 1);
        peer_run_steps(mapper_steps, ARRAY_SIZE(mapper_steps));
        /* No scratch_fini if a mapping may be left: clearing a grant entry with
         * mmu_update is an implicit unmap (refused); the teardown revokes it. */
        if (scratch_ok && !entry_at(E_RW) && !entry_at(E_RO) && !entry_at(E_PTE))
            scratch_fini(&scr);
    } else {
        test_error("command line needs role=granter or role=mapper (got \"%s\")",
                   cmdline());
    }
}
