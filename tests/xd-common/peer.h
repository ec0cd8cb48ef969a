/*
 * peer.h: the shared half of the multi-domain tests (tests/xd-*): how two test domains
 * booted side by side (test.conf PEERS) find each other and take turns over one
 * interdomain event channel. Header only, included as "../xd-common/peer.h"; not a test.
 *
 * The handshake: the offering side allocates an unbound port for the other domain
 * (EVTCHNOP_alloc_unbound), prints it, and yields until EVTCHNOP_status says the port
 * is connected. The connecting side does not need to be told the port: it tries
 * EVTCHNOP_bind_interdomain on the peer's ports 1..PEER_SCAN_PORTS (the console ring
 * already holds one), which fails with -EINVAL for every port that is not unbound for
 * it, and retries (yielding) until one succeeds. Every wait is bounded in system time:
 * a peer that never shows up, or an event that never arrives, is a FAILURE, not a hang.
 *
 * Waiting for an event keeps the upcall mask set (as every test starts) and uses
 * SCHEDOP_poll on the one port, so only that port (or the poll's timeout) ends it.
 */
#ifndef XD_COMMON_PEER_H
#define XD_COMMON_PEER_H

#include <xen/errno.h>
#include "test.h"

#define PEER_SCAN_PORTS     16              /* ports of the peer tried when none is given */
#define PEER_CONNECT_NS     (10 * NS_PER_SEC)   /* the other domain must show up by then */
#define PEER_EVENT_NS       (5 * NS_PER_SEC)    /* one event must arrive by then */

/* Poll wake-ups that found the port still idle (allowed: a poller must re-check). */
static unsigned long peer_spurious;

static inline void peer_yield(void)
{
    HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

/* Our own domain id: the remote end EVTCHNOP_status shows for a port offered to
 * DOMID_SELF (the port is closed again). DOMID_INVALID if that fails. */
static inline domid_t peer_self_id(void)
{
    struct evtchn_status st;
    evtchn_port_t port;
    domid_t id = DOMID_INVALID;

    if (evtchn_alloc_unbound(DOMID_SELF, &port))
        return id;
    if (!evtchn_status(port, &st) && st.status == EVTCHNSTAT_unbound)
        id = st.u.unbound.dom;
    evtchn_close(port);
    return id;
}

/*
 * Offer a port to domain 'peer' and wait until it is bound. Returns true with *port set;
 * records a failure (or an error for our own setup) and returns false otherwise.
 */
static inline bool peer_offer(domid_t peer, evtchn_port_t *port)
{
    struct evtchn_status st;
    uint64_t deadline;
    long rc;

    rc = evtchn_alloc_unbound(peer, port);
    if (rc) {
        test_failure("alloc_unbound for d%u: returned %ld", peer, rc);
        return false;
    }
    printk("  port %u offered to d%u\n", *port, peer);
    deadline = pvclock_now() + PEER_CONNECT_NS;
    for (;;) {
        rc = evtchn_status(*port, &st);
        if (rc) {
            test_failure("status of port %u: returned %ld", *port, rc);
            return false;
        }
        if (st.status == EVTCHNSTAT_interdomain)
            break;
        if (st.status != EVTCHNSTAT_unbound || st.u.unbound.dom != peer) {
            test_failure("port %u changed to status %u (dom %u) while waiting for d%u",
                         *port, st.status, st.u.unbound.dom, peer);
            return false;
        }
        if (pvclock_now() >= deadline) {
            test_failure("d%u did not bind port %u within %llu s", peer, *port,
                         PEER_CONNECT_NS / NS_PER_SEC);
            return false;
        }
        peer_yield();
    }
    if (st.u.interdomain.dom != peer) {
        test_failure("port %u is connected to d%u, expected d%u", *port,
                     st.u.interdomain.dom, peer);
        return false;
    }
    printk("  port %u connected to d%u port %u\n", *port, peer, st.u.interdomain.port);
    return true;
}

/*
 * Bind to the port domain 'peer' offers us: remote_port if nonzero, else the first of
 * its ports 1..PEER_SCAN_PORTS that accepts. Retries until PEER_CONNECT_NS have passed.
 * The local port starts pending (bind_interdomain raises it, as Xen does): checked and
 * cleared here. Returns true with *local set.
 */
static inline bool peer_connect(domid_t peer, evtchn_port_t remote_port, evtchn_port_t *local)
{
    uint64_t deadline = pvclock_now() + PEER_CONNECT_NS;
    evtchn_port_t first = remote_port ? remote_port : 1;
    evtchn_port_t last = remote_port ? remote_port : PEER_SCAN_PORTS;
    evtchn_port_t p;
    unsigned long tries = 0;
    long rc = 0;

    for (;;) {
        for (p = first; p <= last; p++) {
            rc = evtchn_bind_interdomain(peer, p, local);
            if (!rc)
                goto bound;
            if (rc != -XEN_EINVAL) {
                test_failure("bind_interdomain(d%u, port %u): returned %ld, expected 0 or "
                             "-EINVAL", peer, p, rc);
                return false;
            }
        }
        tries++;
        if (pvclock_now() >= deadline) {
            test_failure("no port of d%u in %u..%u could be bound within %llu s (%lu "
                         "rounds, last -EINVAL)", peer, first, last,
                         PEER_CONNECT_NS / NS_PER_SEC, tries);
            return false;
        }
        peer_yield();
    }
bound:
    printk("  bound d%u port %u as local port %u (after %lu rounds of refusals)\n", peer,
           p, *local, tries);
    if (!evtchn_is_pending(*local))
        test_failure("local port %u not pending after bind_interdomain (Xen sets it)",
                     *local);
    evtchn_clear_pending(*local);
    return true;
}

/*
 * Wait until 'port' is pending (SCHEDOP_poll, re-polled after a wake-up that found it
 * idle), then clear it. False, with nothing recorded, if PEER_EVENT_NS pass first.
 */
static inline bool peer_wait(evtchn_port_t port)
{
    uint64_t deadline = pvclock_now() + PEER_EVENT_NS;
    long rc;

    while (!evtchn_is_pending(port)) {
        if (pvclock_now() >= deadline)
            return false;
        rc = poll_ports(&port, 1, deadline);
        if (rc) {
            test_failure("poll(port %u): returned %ld", port, rc);
            return false;
        }
        if (!evtchn_is_pending(port) && pvclock_now() < deadline)
            peer_spurious++;
    }
    evtchn_clear_pending(port);
    return true;
}

/* Notify the peer; a failure is recorded. */
static inline bool peer_signal(evtchn_port_t port)
{
    long rc = evtchn_send(port);

    if (rc)
        test_failure("send(port %u): returned %ld", port, rc);
    return rc == 0;
}

/* ---- shared by the grant tests: page patterns and waiting for a step ---------------- */

/* Fill a page with a pattern only 'seed' chooses (byte i: seed + 13 i + i / 256). */
static inline void peer_pattern(void *page, uint8_t seed)
{
    uint8_t *p = page;
    unsigned int i;

    for (i = 0; i < PAGE_SIZE; i++)
        p[i] = (uint8_t)(seed + i * 13 + (i >> 8));
}

/* Record a failure at the first byte where got differs from want. */
static inline bool peer_same_page(const char *what, const volatile void *got, const void *want)
{
    const volatile uint8_t *g = got;
    const uint8_t *w = want;
    unsigned int i;

    for (i = 0; i < PAGE_SIZE; i++)
        if (g[i] != w[i]) {
            test_failure("%s: byte %u is 0x%x, expected 0x%x", what, i, g[i], w[i]);
            return false;
        }
    return true;
}

/* Wait for the event that ends step 'what' of domain 'peer' on 'port'; a failure when it
 * does not come within PEER_EVENT_NS. */
static inline bool peer_wait_step(evtchn_port_t port, domid_t peer, const char *what)
{
    if (peer_wait(port))
        return true;
    test_failure("no \"%s\" event from d%u within %llu s", what, peer,
                 PEER_EVENT_NS / NS_PER_SEC);
    return false;
}

/* A sequence of steps, each printed as a "Test:" line; the first that fails (returns
 * false, having recorded why) ends the sequence: the later ones depend on it. */
struct peer_step {
    const char *name;
    bool (*fn)(void);
};

static inline void peer_run_steps(const struct peer_step *steps, unsigned int n)
{
    unsigned int i;

    for (i = 0; i < n; i++) {
        printk("Test: %s\n", steps[i].name);
        if (!steps[i].fn())
            return;
    }
}

#endif
