/*
 * xsa-a19-event-storm: A19 of security-invariants.md (XSA-332, XSA-391): event storms,
 * hundreds of thousands of EVTCHNOP_send to our own ports, masked and delivered.
 *
 * Checks:
 * - 400000 sends to an IPI port with both the port and the upcalls masked: every send
 *   returns 0, the port ends pending, the selector and evtchn_upcall_pending stay clear;
 * - 400000 sends with the port unmasked and upcalls masked: upcall_pending is set, and
 *   clearing the upcall mask then gives exactly one upcall;
 * - 200000 sends with upcalls delivered: each send is followed by its upcall before the
 *   next (at least one, at most one per send: a difference is printed as a warning);
 * - a chain of 100000 upcalls in which the handler itself sends again, on one IPI port and
 *   across a loopback interdomain pair: the chain ends when we stop sending (nothing
 *   keeps firing on its own);
 * - afterwards one send is one upcall, and system time has kept advancing;
 * - the host survives: the AFTER guest (hello) runs once we end.
 * How: sends in a tight loop; the upcalls go to set_evtchn_handler(); rates are printed
 * in sends per second of guest system time. The counts can be changed with
 * "sends=N" on the command line (test.conf CMDLINE).
 * Cannot detect: the cost to other domains (one domain runs at a time), host CPU time
 * spent outside this guest, a hypervisor that drops sends silently while returning 0
 * (pending is one bit: only the delivered phase counts them).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] =
    "xsa-a19-event-storm: hundreds of thousands of sends, masked and delivered";

static unsigned long n_masked, n_delivered, n_chain;
static evtchn_port_t ipi, la, lb;

static volatile unsigned long hits, chain_left;
static volatile evtchn_port_t last_port;

static void count(evtchn_port_t port)
{
    hits++;
    last_port = port;
}

/* Handler of the chains: each upcall sends again while the budget lasts. */
static void resend(evtchn_port_t port)
{
    hits++;
    if (!chain_left)
        return;
    chain_left--;
    if (port == ipi)
        evtchn_send(ipi);
    else if (port == la)
        evtchn_send(la);        /* raises lb */
    else if (port == lb)
        evtchn_send(lb);        /* raises la */
}

static void rate(const char *what, unsigned long n, uint64_t ns)
{
    printk("  %s: %lu in %lu ms (%lu per second)\n", what, n,
           (unsigned long)(ns / NS_PER_MS),
           ns ? (unsigned long)(n * NS_PER_SEC / ns) : 0UL);
}

static unsigned long storm(unsigned long n, evtchn_port_t port)
{
    unsigned long i, bad = 0;
    long first_bad = 0;

    for (i = 0; i < n; i++) {
        long rc = evtchn_send(port);

        if (rc && !bad++)
            first_bad = rc;
    }
    if (bad)
        test_failure("%lu of %lu sends failed (first: %ld)", bad, n, first_bad);
    return bad;
}

static void test_masked(void)
{
    struct vcpu_info *vi = this_vcpu_info();
    uint64_t t0;

    events_disable();
    events_clear_all();
    evtchn_set_mask(ipi);
    t0 = pvclock_now();
    storm(n_masked, ipi);
    rate("sends, port and upcalls masked", n_masked, pvclock_now() - t0);
    if (!evtchn_is_pending(ipi))
        test_failure("the port is not pending after the storm");
    if (evtchn_sel_is_set(ipi) || vi->evtchn_upcall_pending)
        test_failure("a masked port set the selector (%u) or upcall_pending (%u)",
                     evtchn_sel_is_set(ipi), vi->evtchn_upcall_pending);

    events_clear_all();
    evtchn_clear_mask(ipi);
    t0 = pvclock_now();
    storm(n_masked, ipi);
    rate("sends, port unmasked, upcalls masked", n_masked, pvclock_now() - t0);
    if (!vi->evtchn_upcall_pending)
        test_failure("upcall_pending is clear after the storm on an unmasked port");
    hits = 0;
    set_evtchn_handler(count);
    events_enable();
    events_disable();
    printk("  unmasking after the storm: %lu upcall(s)\n", hits);
    if (hits != 1 || last_port != ipi)
        test_failure("unmasking after %lu sends gave %lu upcalls, expected 1", n_masked,
                     hits);
    set_evtchn_handler(NULL);
    events_clear_all();
}

static void test_delivered(void)
{
    uint64_t t0;

    events_clear_all();
    hits = 0;
    set_evtchn_handler(count);
    events_enable();
    t0 = pvclock_now();
    storm(n_delivered, ipi);
    events_disable();
    rate("sends with upcalls delivered", n_delivered, pvclock_now() - t0);
    printk("  %lu upcalls for %lu sends\n", hits, n_delivered);
    if (!hits || hits > n_delivered)
        test_failure("%lu upcalls for %lu sends", hits, n_delivered);
    else if (hits != n_delivered)
        test_warning("%lu upcalls for %lu sends: some sends found the port still pending",
                     hits, n_delivered);
    set_evtchn_handler(NULL);
    events_clear_all();
}

static void chain(const char *what, evtchn_port_t start)
{
    uint64_t t0;
    unsigned long settle;

    events_clear_all();
    hits = 0;
    chain_left = n_chain;
    set_evtchn_handler(resend);
    t0 = pvclock_now();
    events_enable();
    evtchn_send(start);
    while (chain_left)
        events_poke();          /* the chain runs in upcalls; wait for it to drain */
    rate(what, hits, pvclock_now() - t0);
    settle = hits;
    spin_ns(20 * NS_PER_MS);
    events_disable();
    if (hits != settle)
        test_failure("%s: %lu more upcalls after the chain stopped sending", what,
                     hits - settle);
    if (hits < n_chain)
        test_failure("%s: %lu upcalls for a chain of %lu sends", what, hits, n_chain);
    set_evtchn_handler(NULL);
    events_clear_all();
}

static void test_chains(void)
{
    chain("upcalls, the handler re-sending on the IPI port", ipi);
    if (la && lb)
        chain("upcalls, the handler bouncing across a loopback pair", la);
}

static void test_after(void)
{
    events_clear_all();
    hits = 0;
    set_evtchn_handler(count);
    events_enable();
    if (evtchn_send(ipi))
        test_failure("send after the storms failed");
    events_disable();
    if (hits != 1)
        test_failure("one send after the storms gave %lu upcalls", hits);
    set_evtchn_handler(NULL);
    events_clear_all();
}

static const struct subtest cases[] = {
    { "storms with the port or the upcalls masked", test_masked },
    { "a storm with every upcall delivered", test_delivered },
    { "upcall chains: the handler sends again", test_chains },
    { "one send is one upcall afterwards", test_after },
};

void test_main(void)
{
    uint64_t start = pvclock_now();
    unsigned long n = cmdline_ulong("sends", 400000);
    evtchn_port_t u = 0;
    long rc;

    n_masked = n;
    n_delivered = n / 2;
    n_chain = n / 4;
    rc = evtchn_bind_ipi(0, &ipi);
    if (rc) {
        test_error("bind_ipi returned %ld", rc);
        return;
    }
    if (evtchn_alloc_unbound(DOMID_SELF, &u) || evtchn_bind_interdomain(DOMID_SELF, u, &lb))
        test_error("no loopback interdomain pair: that chain is skipped");
    else
        la = u;
    printk("  IPI port %u, loopback pair %u <-> %u; %lu/%lu/%lu sends\n", ipi, la, lb,
           n_masked, n_delivered, n_chain);
    RUN_SUBTESTS(cases);
    printk("  still running after %lu ms\n",
           (unsigned long)((pvclock_now() - start) / NS_PER_MS));
    test_success();
}
