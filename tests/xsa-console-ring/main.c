/*
 * xsa-console-ring: a hostile producer on the console ring (the ring page is guest
 * memory the hypervisor's backend reads; security-invariants.md A7/A9 in spirit: bounded
 * work, never a read or write outside the ring, no trust in guest-written indices).
 *
 * Checks:
 * - out_prod far ahead of out_cons (0x10000, 2049, 2^31, 2^32 - 1 bytes) and out_cons
 *   beyond out_prod: EVTCHNOP_send returns 0 and the backend resyncs out_cons to
 *   out_prod (nothing is printed: out[] holds "LEAK" text the e2e script must not see);
 * - indices near 2^32: a legitimate line written across the u32 wrap is drained
 *   (out_cons follows out_prod through the wrap);
 * - a storm of sends on a hostile ring: each returns 0, the host lives;
 * - the ring frame pinned as an L1 page table with text pending: the backend must not
 *   write out_cons into it (that would change a validated page-table entry), checked
 *   through a read-only mapping after a send and a yield;
 * - the console port closed and its number reused for an IPI: a yield still drains the
 *   ring but does not raise the IPI port; a send on the closed port is -EINVAL;
 * - the host survives: the AFTER guest (hello) runs once we end.
 * How: we write the indices and out[] directly (tests/lib/cons_ring.h), events masked.
 * Cannot detect: text printed that should not be (tests/e2e/console-ring.sh looks for
 * "LEAK" in the log), nor reads outside the ring that happen to hit mapped memory.
 */
#include "test.h"
#include "cons_ring.h"
#include "../mm-common/pv_mm.h"
#include <xen/errno.h>

const char test_title[] = "xsa-console-ring: hostile console ring indices";

static volatile struct xencons_interface *ring;
static evtchn_port_t port;

static void fill_leak(void)
{
    static const char leak[] = "ring-LEAK-if-printed\n";

    for (uint32_t i = 0; i < CONS_OUT_SIZE; i++)
        ring->out[i] = leak[i % (sizeof(leak) - 1)];
}

/* Set the indices, send, and expect out_cons == out_prod afterwards. */
static void hostile(const char *what, uint32_t cons, uint32_t prod)
{
    long rc;

    ring->out_cons = cons;
    ring->out_prod = prod;
    rc = evtchn_send(port);
    if (rc)
        test_failure("%s: send returned %ld", what, rc);
    if (ring->out_cons != prod || ring->out_prod != prod)
        test_failure("%s: out_cons 0x%x, out_prod 0x%x after the send, expected 0x%x",
                     what, ring->out_cons, ring->out_prod, prod);
    events_clear_all();
}

static void test_setup_ring(void)
{
    ring = cons_ring();
    port = start_info->console.domU.evtchn;
    if (!ring || !port) {
        test_skip("no console ring (mfn 0x%lx, port %u)",
                  (unsigned long)start_info->console.domU.mfn, port);
        ring = NULL;
    }
}

static void test_far_ahead(void)
{
    fill_leak();
    hostile("out_prod 0x10000 ahead", 0x100, 0x10100);
    hostile("out_prod 2049 ahead", 0x200, 0x200 + CONS_OUT_SIZE + 1);
    hostile("out_prod 2^31 ahead", 0x300, 0x80000300);
    hostile("out_prod 2^32 - 1 ahead", 0x400, 0x3ff);
    hostile("out_prod 0x10 vs out_cons 0xfffff000", 0xfffff000u, 0x10);
}

static void test_cons_beyond(void)
{
    fill_leak();
    hostile("out_cons 5 beyond out_prod", 0x505, 0x500);
    hostile("out_cons 0x7fffffff beyond out_prod", 0x7fffffff + 0x600u, 0x600);
}

static void test_wrap_2_32(void)
{
    static const char line[] = "ring: a line across the 2^32 index wrap\n";
    uint32_t n = sizeof(line) - 1;

    ring->out_cons = ring->out_prod = 0xfffffff0u;
    cons_ring_put(ring, line, n);
    if (evtchn_send(port))
        test_failure("send across the wrap failed");
    if (ring->out_cons != 0xfffffff0u + n)
        test_failure("across 2^32: out_cons 0x%x, expected 0x%x", ring->out_cons,
                     0xfffffff0u + n);
    events_clear_all();
}

static void test_storm(void)
{
    uint64_t t0 = pvclock_now();
    unsigned int i;

    fill_leak();
    for (i = 0; i < 20000; i++) {
        ring->out_cons = i;
        ring->out_prod = i * 0x9e3779b9u;        /* mostly hostile gaps */
        if (ring->out_prod - ring->out_cons <= CONS_OUT_SIZE)
            ring->out_prod = ring->out_cons;      /* never print the LEAK text */
        if (evtchn_send(port)) {
            test_failure("send %u of the storm failed", i);
            break;
        }
    }
    printk("  %u hostile sends in %lu ms\n", i,
           (unsigned long)((pvclock_now() - t0) / NS_PER_MS));
    ring->out_cons = ring->out_prod;
    events_clear_all();
}

/* The ring frame as a validated L1 with one byte pending: out_cons must not move. */
static void test_pinned_ring(void)
{
    volatile uint64_t *entries = (volatile uint64_t *)ring;
    unsigned long mfn = start_info->console.domU.mfn;
    long rc;

    memset((void *)ring, 0, PAGE_SIZE);     /* every entry not present */
    ring->out[0] = 'Z';                      /* 0x5a: not present either */
    ring->out_cons = 0;
    ring->out_prod = 1;                      /* out_cons 1 would make entry 385 present */
    rc = set_ro((const void *)ring);
    if (rc) {
        test_error("mapping the ring read-only: %ld", rc);
        return;
    }
    rc = pin_mfn(1, mfn);
    if (rc) {
        test_error("PIN_L1_TABLE of the ring frame: %ld", rc);
        set_rw((const void *)ring);
        return;
    }
    if (evtchn_send(port))
        test_failure("send with the ring pinned as an L1 failed");
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    if (ring->out_cons != 0 || entries[0xc08 / 8] != 0x100000000UL)
        test_failure("the backend wrote into the pinned L1: out_cons %u, entry 0x%lx",
                     ring->out_cons, (unsigned long)entries[0xc08 / 8]);
    rc = mmuext(MMUEXT_UNPIN_TABLE, mfn, 0);
    if (!rc)
        rc = set_rw((const void *)ring);
    if (rc) {
        test_error("unpinning the ring and mapping it read-write: %ld", rc);
        ring = NULL;
        return;
    }
    ring->out_cons = ring->out_prod;        /* forget the 'Z' */
    events_clear_all();
}

/* Last: the console port goes away. */
static void test_port_reused(void)
{
    static const char line[] = "ring: drained by a yield after the port was closed\n";
    evtchn_port_t ipi = 0;
    long rc;

    rc = evtchn_close(port);
    if (rc) {
        test_failure("closing the console port: %ld", rc);
        return;
    }
    rc = evtchn_bind_ipi(0, &ipi);
    if (rc) {
        test_error("bind_ipi: %ld", rc);
        return;
    }
    printk("  console port %u closed, IPI port %u\n", port, ipi);
    events_clear_all();
    cons_ring_put(ring, line, sizeof(line) - 1);
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    if (ring->out_cons != ring->out_prod)
        test_failure("a yield after the port was closed did not drain the ring");
    if (evtchn_is_pending(ipi))
        test_failure("the backend raised port %u, now an IPI port", ipi);
    if (ipi != port) {
        rc = evtchn_send(port);
        if (rc != -XEN_EINVAL)
            test_failure("send on the closed console port: %ld, expected -EINVAL", rc);
    }
    evtchn_close(ipi);
    events_clear_all();
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    { "the console ring", test_setup_ring },
    { "out_prod far ahead of out_cons", test_far_ahead },
    { "out_cons beyond out_prod", test_cons_beyond },
    { "indices across 2^32", test_wrap_2_32 },
    { "a storm of sends on a hostile ring", test_storm },
    { "the ring frame pinned as an L1 table", test_pinned_ring },
    { "the console port closed and reused", test_port_reused },
};

void test_main(void)
{
    for (unsigned int i = 0; i < ARRAY_SIZE(cases); i++) {
        printk("Test: %s\n", cases[i].name);
        cases[i].fn();
        if (!ring)
            break;                  /* no ring (or it was lost): nothing else can run */
    }
}
