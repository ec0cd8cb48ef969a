/*
 * xd-grant-orphan: one side of a grant mapping ends while the mapping is in place. A
 * granter that ends leaves the mapped frame to the mapper until its last unmap; a
 * mapper that ends has its mapping revoked, and the granter sees its entry free again.
 *
 * One binary, two roles, and who ends with the mapping in place (ends=granter, the
 * default, ends=mapper, or ends=both: the granter, then the mapper): d1 is
 * "role=granter peer=2", d2 "role=mapper peer=1", both given the same ends= (test.conf
 * runs ends=granter; tests/e2e/grant-outlives-granter.sh runs every variant and checks
 * the hypervisor's lines around them).
 * Common start: the granter sets up its table (frame 0 mapped read-write at a scratch
 * L1, ../mm-common/grant.h), patterns two pages, grants them read-write to d2 (refs 8
 * and 9) and offers a channel (../xd-common/peer.h). The mapper maps ref 8 twice,
 * writable at a VA and read-only by GNTMAP_contains_pte, reads the granter's pattern,
 * writes its own bytes over part of it and signals "mapped"; the granter checks those
 * bytes in its page and GTF_reading|GTF_writing in entry 8, and signals "checked".
 * Checks, ends=granter:
 * - the granter returns (SUCCESS, power off) with ref 8 mapped;
 * - the mapper waits until its port is no longer interdomain (the granter's channels
 *   close when it ends), then: the page still holds exactly the granter's pattern and
 *   its own bytes (not freed, not scrubbed); a new pattern written through the
 *   writable mapping reads back through both mappings, also after ~100 ms; mapping
 *   ref 9 or ref 8 again, and a copy from ref 8, are refused with GNTST_bad_domain (the
 *   ended domain's id names no live domain); unmapping the VA mapping gives GNTST_okay
 *   and the read-only one still reads the page; unmapping it gives GNTST_okay, both
 *   entries are then empty and their VAs fault.
 * Checks, ends=both: as ends=granter up to the refused maps and copy; then the mapper
 *   ends (how=, as below) with both mappings of the ended granter's frame in place.
 * Checks, ends=mapper (how=poweroff, the default, or how=crash):
 * - the mapper powers off (SUCCESS) or crashes itself (SHUTDOWN_crash, no result line)
 *   with both mappings of the live granter's frame in place;
 * - the granter waits until its port is no longer interdomain, then: entry 8 is
 *   exactly as it wrote it (the teardown cleared GTF_reading and GTF_writing), the page
 *   holds the mapper's bytes; it revokes refs 8 and 9 (compare-exchange, only while
 *   GTF_reading/GTF_writing are clear).
 * How: every step is an event or a channel status the other side observes, each wait
 * bounded in system time (5 s per event, 10 s for the other's end).
 * Cannot detect: by itself, a frame of the ended granter that is never freed (Parapet
 * scrubs a frame as it frees it, so a frame freed too early shows here as a broken
 * pattern, but one kept for ever reads the same as one kept until the last unmap), nor
 * whether the mapper's teardown gave everything back: the e2e script checks the
 * hypervisor's "still mapped" and "last frames ... are free" lines, their order around
 * the mapper's unmaps, and free memory at the end.
 */
#include "../mm-common/grant.h"
#include "../xd-common/peer.h"
#include "../xd-common/grant_peer.h"

const char test_title[] = "xd-grant-orphan: a grant mapping outlives one of its domains";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define REF_MAPPED  8
#define REF_SPARE   9                   /* granted, never mapped before the end */
#define E           64                  /* mapper: scratch entries E.. are targets */
#define E_RW        E                   /* ref 8 writable at a VA */
#define E_RO        (E + 1)             /* ref 8 read-only by contains_pte */
#define E_SPARE     (E + 2)             /* target of the refused maps */
#define WRITE_OFF   100
#define WRITE_LEN   1000
#define SEED_GRANT  0x21
#define SEED_SPARE  0x5a
#define SEED_OURS   0xc7
#define SEED_LATE   0x93                /* written after the granter ended */
#define SPIN_MS     100
#define END_NS      (10 * NS_PER_SEC)   /* the other domain must end by then */

enum { PG_SCRATCH, PG_DATA, PG_SPARE, PG_TMP, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static page_t want;                     /* what the page of ref 8 must hold */

static domid_t peer;
static evtchn_port_t link;
static bool scratch_ok, granter_ends, mapper_unmaps, mapper_crashes;
static grant_handle_t h_rw, h_ro;

/* ---- shared -------------------------------------------------------------------------- */

/* What the page of ref 8 holds once the mapper has written its bytes. */
static void want_after_mapper(void)
{
    peer_pattern(want, SEED_GRANT);
    peer_pattern(pages[PG_TMP], SEED_OURS);
    memcpy((uint8_t *)want + WRITE_OFF, (uint8_t *)pages[PG_TMP] + WRITE_OFF, WRITE_LEN);
}

/* The other domain has ended once our end of the channel is no longer interdomain
 * (its ports close when it ends). Bounded; prints what the port became. */
static bool wait_for_end(void)
{
    uint64_t deadline = pvclock_now() + END_NS;
    struct evtchn_status st;
    unsigned long polls = 0;
    long rc;

    for (;;) {
        rc = evtchn_status(link, &st);
        if (rc) {
            test_failure("status of port %u: returned %ld", link, rc);
            return false;
        }
        if (st.status != EVTCHNSTAT_interdomain)
            break;
        if (pvclock_now() >= deadline) {
            test_failure("d%u did not end within %llu s", peer, END_NS / NS_PER_SEC);
            return false;
        }
        polls++;
        peer_yield();
    }
    printk("  d%u has ended: port %u is now status %u (after %lu polls)\n", peer, link,
           st.status, polls);
    return true;
}

/* ---- granter ------------------------------------------------------------------------- */

static bool granter_setup(void)
{
    xen_pfn_t frame0;

    scratch_ok = table_frame0_mapped(pages[PG_SCRATCH], SCRATCH_VA, &frame0);
    if (!scratch_ok)
        return false;
    peer_pattern(pages[PG_DATA], SEED_GRANT);
    peer_pattern(pages[PG_SPARE], SEED_SPARE);
    grant(REF_MAPPED, GTF_permit_access, peer, virt_to_mfn(pages[PG_DATA]));
    grant(REF_SPARE, GTF_permit_access, peer, virt_to_mfn(pages[PG_SPARE]));
    printk("  granted refs %u (mfn %lx) and %u (mfn %lx) to d%u; d%u ends first\n",
           REF_MAPPED, virt_to_mfn(pages[PG_DATA]), REF_SPARE, virt_to_mfn(pages[PG_SPARE]),
           peer, granter_ends ? self_id : peer);
    return peer_offer(peer, &link);
}

static bool granter_while_mapped(void)
{
    if (!peer_wait_step(link, peer, "mapped"))
        return false;
    want_after_mapper();
    peer_same_page("ref 8's page after d2 wrote into it", pages[PG_DATA], want);
    peer_grant_entry_is(REF_MAPPED, GTF_permit_access | GTF_reading | GTF_writing, peer,
                        pages[PG_DATA]);
    if (!peer_signal(link))
        return false;
    if (granter_ends)
        printk("  ending with ref %u mapped by d%u\n", REF_MAPPED, peer);
    return true;
}

/* End foreign access to ref: flags to 0 while nothing holds the entry (no waiting:
 * the mapper has ended). */
static void revoke_now(grant_ref_t ref)
{
    volatile grant_entry_v1_t *e = gent(ref);
    uint16_t flags = e->flags;

    if ((flags & (GTF_reading | GTF_writing)) ||
        !__atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                     __ATOMIC_SEQ_CST))
        test_failure("entry %u (flags 0x%x) cannot be revoked after d%u ended", ref, flags,
                     peer);
}

static bool granter_after_mapper_end(void)
{
    if (!wait_for_end())
        return false;
    /* The mapper's teardown revoked both mappings before anything of ours ran again. */
    if (peer_grant_entry_is(REF_MAPPED, GTF_permit_access, peer, pages[PG_DATA]))
        printk("  entry %u: GTF_reading/GTF_writing cleared by d%u's teardown\n",
               REF_MAPPED, peer);
    peer_grant_entry_is(REF_SPARE, GTF_permit_access, peer, pages[PG_SPARE]);
    peer_same_page("ref 8's page after d2 ended", pages[PG_DATA], want);
    revoke_now(REF_MAPPED);
    revoke_now(REF_SPARE);
    return true;
}

static const struct peer_step granter_steps[] = {
    { "grant refs 8 and 9 to d2, offer a channel", granter_setup },
    { "while d2 maps ref 8: our page, GTF_reading/GTF_writing", granter_while_mapped },
};

static const struct peer_step granter_stays_steps[] = {
    { "after d2 ended with ref 8 mapped: flags cleared, revoke", granter_after_mapper_end },
};

/* ---- mapper -------------------------------------------------------------------------- */

static unsigned long va_at(unsigned int i) { return (unsigned long)scratch_va(&scr, i); }
static unsigned long maddr_at(unsigned int i) { return scr.l1_maddr + i * 8UL; }
static uint64_t entry_at(unsigned int i) { return ((volatile uint64_t *)scr.l1)[i]; }
static volatile uint64_t *words(unsigned int i) { return (volatile uint64_t *)va_at(i); }

static struct side theirs(grant_ref_t ref)
{
    struct side s = by_ref(ref, 0);

    s.dom = peer;
    return s;
}

static bool mapper_setup(void)
{
    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    return scratch_ok && peer_connect(peer, 0, &link);
}

static bool mapper_map(void)
{
    if (!expect_st("map ref 8 writable at a VA",
                   map_ref(peer, REF_MAPPED, va_at(E_RW), GNTMAP_host_map, &h_rw, NULL),
                   GNTST_okay) ||
        !expect_st("map ref 8 read-only by contains_pte",
                   map_ref(peer, REF_MAPPED, maddr_at(E_RO),
                           GNTMAP_host_map | GNTMAP_contains_pte | GNTMAP_readonly, &h_ro,
                           NULL),
                   GNTST_okay))
        return false;
    printk("  ref %u mapped: entries %lx (VA) and %lx (contains_pte)\n", REF_MAPPED,
           entry_at(E_RW), entry_at(E_RO));
    peer_pattern(want, SEED_GRANT);
    peer_same_page("ref 8 as mapped", words(E_RW), want);
    want_after_mapper();
    memcpy((uint8_t *)va_at(E_RW) + WRITE_OFF, (uint8_t *)want + WRITE_OFF, WRITE_LEN);
    peer_same_page("ref 8 read-only after our write", words(E_RO), want);
    return peer_signal(link) && peer_wait_step(link, peer, "checked");
}

/* The granter has ended: its frame is still ours to use through the mappings. */
static bool mapper_after_granter_end(void)
{
    uint64_t t0;

    if (!wait_for_end())
        return false;
    printk("  writing and reading d%u's frame after its end\n", peer);
    peer_same_page("ref 8 right after d1 ended (writable mapping)", words(E_RW), want);
    peer_same_page("ref 8 right after d1 ended (read-only mapping)", words(E_RO), want);
    peer_pattern(want, SEED_LATE);
    memcpy((void *)va_at(E_RW), want, PAGE_SIZE);
    peer_same_page("ref 8 rewritten after d1 ended", words(E_RO), want);
    t0 = pvclock_now();
    spin_ns(SPIN_MS * NS_PER_MS);
    peer_same_page("ref 8 after spinning (writable mapping)", words(E_RW), want);
    peer_same_page("ref 8 after spinning (read-only mapping)", words(E_RO), want);
    printk("  the page kept our pattern for %lu ms\n",
           (unsigned long)((pvclock_now() - t0) / NS_PER_MS));
    return true;
}

static bool mapper_refused_after_end(void)
{
    grant_handle_t h = 0;
    int16_t st;

    st = map_ref(peer, REF_SPARE, va_at(E_SPARE), GNTMAP_host_map, &h, NULL);
    if (!expect_st("map ref 9 of the ended domain", st, GNTST_bad_domain) &&
        st == GNTST_okay)
        unmap_ref(h, va_at(E_SPARE), 0);
    st = map_ref(peer, REF_MAPPED, va_at(E_SPARE), GNTMAP_host_map | GNTMAP_readonly, &h,
                 NULL);
    if (!expect_st("map ref 8 of the ended domain once more", st, GNTST_bad_domain) &&
        st == GNTST_okay)
        unmap_ref(h, va_at(E_SPARE), 0);
    if (entry_at(E_SPARE))
        test_failure("the refused maps left entry %lx", entry_at(E_SPARE));
    memset(pages[PG_TMP], 0xee, PAGE_SIZE);
    expect_st("copy from ref 8 of the ended domain",
              copy1(theirs(REF_MAPPED), by_frame(pages[PG_TMP], 0), PAGE_SIZE),
              GNTST_bad_domain);
    if (pages[PG_TMP][0] != 0xeeeeeeeeeeeeeeeeUL)
        test_failure("the refused copy wrote our page");
    return true;
}

static bool mapper_unmap(void)
{
    printk("  unmapping the first of two mappings (writable, VA)\n");
    expect_st("unmap ref 8 at its VA", unmap_ref(h_rw, va_at(E_RW), 0), GNTST_okay);
    printk("  unmapped the first mapping; unmapping the last (read-only, contains_pte)\n");
    peer_same_page("ref 8 through the mapping left", words(E_RO), want);
    expect_st("unmap ref 8 by contains_pte", unmap_ref(h_ro, maddr_at(E_RO), 0),
              GNTST_okay);
    printk("  unmapped the last mapping of d%u's frame\n", peer);
    expect_st("second unmap", unmap_ref(h_ro, maddr_at(E_RO), 0), GNTST_bad_handle);
    if (entry_at(E_RW) || entry_at(E_RO))
        test_failure("entries %lx %lx after the unmaps", entry_at(E_RW), entry_at(E_RO));
    expect_exinfo("read at the VA after unmap", probe_read(words(E_RW)), EXINFO(X86_PF, 0));
    expect_exinfo("read at the contains_pte VA after unmap", probe_read(words(E_RO)),
                  EXINFO(X86_PF, 0));
    return true;
}

static const struct peer_step mapper_steps[] = {
    { "connect to d1", mapper_setup },
    { "map ref 8 twice, write into it", mapper_map },
};

static const struct peer_step mapper_stays_steps[] = {
    { "use d1's frame after d1 ended", mapper_after_granter_end },
    { "new maps and copies of the ended d1's grants", mapper_refused_after_end },
};

static const struct peer_step mapper_unmap_steps[] = {
    { "unmap both mappings of the ended d1's frame", mapper_unmap },
};

static void mapper_leaves(void)
{
    printk("  ending (%s) with ref %u of d%u%s mapped twice\n",
           mapper_crashes ? "crash" : "poweroff", REF_MAPPED, peer,
           granter_ends ? " (ended)" : "");
    if (mapper_crashes)
        shutdown(SHUTDOWN_crash);
}

void test_main(void)
{
    char role[12] = "", ends[12] = "granter", how[12] = "poweroff";
    bool granter;

    self_id = peer_self_id();
    cmdline_get("role", role, sizeof(role));
    cmdline_get("ends", ends, sizeof(ends));
    cmdline_get("how", how, sizeof(how));
    printk("  domain id %u, role %s, ends=%s how=%s\n", self_id, role, ends, how);
    mapper_unmaps = !strcmp(ends, "granter");
    granter_ends = mapper_unmaps || !strcmp(ends, "both");
    mapper_crashes = !strcmp(how, "crash");
    granter = !strcmp(role, "granter");
    if ((!granter && strcmp(role, "mapper")) || (!granter_ends && strcmp(ends, "mapper")) ||
        (!mapper_crashes && strcmp(how, "poweroff"))) {
        test_error("command line needs role=granter|mapper [ends=granter|mapper|both] "
                   "[how=poweroff|crash] (got \"%s\")", cmdline());
        return;
    }
    peer = (domid_t)cmdline_ulong("peer", granter ? 2 : 1);
    if (granter) {
        peer_run_steps(granter_steps, ARRAY_SIZE(granter_steps));
        if (!granter_ends && test_status() == TEST_SUCCESS)
            peer_run_steps(granter_stays_steps, ARRAY_SIZE(granter_stays_steps));
        if (scratch_ok)
            scratch_fini(&scr);
        return;
    }
    peer_run_steps(mapper_steps, ARRAY_SIZE(mapper_steps));
    if (test_status() != TEST_SUCCESS)
        return;             /* mappings left in place go with our teardown */
    if (granter_ends)
        peer_run_steps(mapper_stays_steps, ARRAY_SIZE(mapper_stays_steps));
    if (mapper_unmaps && test_status() == TEST_SUCCESS)
        peer_run_steps(mapper_unmap_steps, ARRAY_SIZE(mapper_unmap_steps));
    else if (!mapper_unmaps)
        mapper_leaves();
}
