/*
 * xd-evtchn-pingpong: events between two domains running at once: every EVTCHNOP_send
 * on an interdomain channel wakes the peer that waits for it, and arrives exactly once.
 *
 * One binary, two roles (command line; test.conf boots d1 as "role=ping" and d2 as
 * "role=pong peer=1"):
 * - ping (d1): offers a port to d2 (EVTCHNOP_alloc_unbound, then EVTCHNOP_status until
 *   interdomain-connected, ../xd-common/peer.h), then n round trips (default 1000):
 *   send, SCHEDOP_poll on the port until it is pending, clear it. Then blocks= more
 *   round trips (default 100) in which it waits with SCHEDOP_block and an upcall
 *   handler instead (events_enable/set_evtchn_handler), VIRQ_TIMER armed as a backstop.
 *   Prints "round trips: N in X us, Y ns each" for each phase (system time; a figure,
 *   never judged).
 * - pong (d2): binds to d1's offered port (scanning d1's ports, retrying while it is
 *   not allocated yet; port= names it instead), then n + blocks times: poll, clear,
 *   send back; then waits for a last "done" event, so that it is still there (not being
 *   torn down) while ping times its last round trip.
 * Checks: each wait ends with the port pending within 5 s (a lost wake-up is a FAILURE,
 * not a hang); the port is not pending again before we send the next event (no
 * duplicate delivery); in the block phase, the upcall handler sees the channel's port
 * exactly once per round and no other port (VIRQ_TIMER only if a wait timed out);
 * EVTCHNOP_close of each end succeeds at the end. Both domains report SUCCESS.
 * How: two domains under the round-robin scheduler (test.conf PEERS); poll and block
 * take the waiter off the CPU, so each round trip is two sends and two wake-ups.
 * Cannot detect: a wake-up that is late but within 5 s (the figure shows it), events
 * on more than one vCPU, fairness (tests/e2e/sched-fairness.sh).
 */
#include "../xd-common/peer.h"

const char test_title[] = "xd-evtchn-pingpong: interdomain events wake the peer, once each";

static evtchn_port_t link;                  /* our end of the channel */
static unsigned long rounds, blocks;

/* ---- figures ------------------------------------------------------------------------ */

static void figure(const char *what, unsigned long n, uint64_t ns)
{
    printk("%s: %lu in %lu us, %lu ns each\n", what, n, (unsigned long)(ns / NS_PER_US),
           n ? (unsigned long)(ns / n) : 0UL);
}

/* ---- ping, phase 1: poll --------------------------------------------------------------- */

static bool ping_round(unsigned long i)
{
    if (evtchn_is_pending(link)) {
        test_failure("round %lu: port %u pending before we sent (a duplicate event)", i,
                     link);
        return false;
    }
    if (!peer_signal(link))
        return false;
    if (!peer_wait(link)) {
        test_failure("round %lu: no reply from the peer within %llu s (a lost wake-up?)", i,
                     PEER_EVENT_NS / NS_PER_SEC);
        return false;
    }
    return true;
}

/* ---- ping, phase 2: block with an upcall handler ------------------------------------- */

static evtchn_port_t tport;
static volatile unsigned long link_hits, timer_hits, stray_hits;
static unsigned long block_calls;

static void on_event(evtchn_port_t port)
{
    if (port == link)
        link_hits++;
    else if (port == tport)
        timer_hits++;
    else
        stray_hits++;
}

/* Block until the handler has seen the channel once more, or the backstop timer fires.
 * The backstop is set_timer_op, not VCPUOP_set_singleshot_timer: the auditor the tests
 * run with checks all our memory after every vcpu_op, which would dwarf the figure. */
static bool block_for_reply(unsigned long i)
{
    uint64_t deadline = pvclock_now() + PEER_EVENT_NS;
    unsigned long seen = link_hits;
    bool got;

    if (HYPERVISOR_set_timer_op(deadline)) {
        test_error("cannot arm the backstop timer");
        return false;
    }
    for (;;) {
        events_disable();
        if (link_hits != seen || pvclock_now() >= deadline)
            break;
        block_calls++;
        HYPERVISOR_sched_op(SCHEDOP_block, 0);  /* unmasks: the upcall runs on return */
    }
    HYPERVISOR_set_timer_op(0);
    got = link_hits != seen;
    if (!got)
        test_failure("block round %lu: no reply within %llu s (upcalls %lu, timer %lu)", i,
                     PEER_EVENT_NS / NS_PER_SEC, event_upcall_count, timer_hits);
    else if (link_hits != seen + 1)
        test_failure("block round %lu: the channel was delivered %lu times for one send", i,
                     link_hits - seen);
    return got && link_hits == seen + 1;
}

static void ping_block_phase(void)
{
    unsigned long i;
    uint64_t t0;

    if (vcpu_stop_periodic() || evtchn_bind_virq(VIRQ_TIMER, 0, &tport)) {
        test_error("cannot stop the periodic timer or bind VIRQ_TIMER");
        return;
    }
    events_clear_all();
    set_evtchn_handler(on_event);
    t0 = pvclock_now();
    for (i = 0; i < blocks; i++) {
        if (!peer_signal(link) || !block_for_reply(i))
            break;
    }
    figure("round trips (SCHEDOP_block + upcall)", i, pvclock_now() - t0);
    printk("  %lu SCHEDOP_block calls, %lu upcalls\n", block_calls, event_upcall_count);
    events_disable();
    set_evtchn_handler(NULL);
    if (stray_hits)
        test_failure("the upcall handler saw %lu events on ports other than %u and %u",
                     stray_hits, link, tport);
    if (timer_hits && i == blocks)
        test_failure("the backstop timer fired %lu times though every reply arrived",
                     timer_hits);
    evtchn_close(tport);
}

static void ping(void)
{
    domid_t peer = (domid_t)cmdline_ulong("peer", 2);
    unsigned long i;
    uint64_t t0;

    if (!peer_offer(peer, &link))
        return;
    t0 = pvclock_now();
    for (i = 0; i < rounds; i++)
        if (!ping_round(i))
            break;
    figure("round trips (SCHEDOP_poll)", i, pvclock_now() - t0);
    if (peer_spurious)
        printk("  %lu poll wake-ups found the port idle (re-polled)\n", peer_spurious);
    if (i == rounds && blocks)
        ping_block_phase();
    if (test_status() == TEST_SUCCESS)
        peer_signal(link);                  /* "done": the peer may end now */
}

/* ---- pong ---------------------------------------------------------------------------- */

static void pong(void)
{
    domid_t peer = (domid_t)cmdline_ulong("peer", 1);
    unsigned long i, total = rounds + blocks;
    uint64_t t0;

    if (!peer_connect(peer, (evtchn_port_t)cmdline_ulong("port", 0), &link))
        return;
    t0 = pvclock_now();
    for (i = 0; i < total; i++) {
        if (!peer_wait(link)) {
            test_failure("round %lu: no event from d%u within %llu s (a lost wake-up?)", i,
                         peer, PEER_EVENT_NS / NS_PER_SEC);
            break;
        }
        if (evtchn_is_pending(link)) {
            test_failure("round %lu: port %u pending again before we replied (a duplicate "
                         "event)", i, link);
            break;
        }
        if (!peer_signal(link))
            break;
    }
    figure("events answered", i, pvclock_now() - t0);
    if (peer_spurious)
        printk("  %lu poll wake-ups found the port idle (re-polled)\n", peer_spurious);
    if (i == total && !peer_wait(link))
        test_failure("no \"done\" event from d%u within %llu s", peer,
                     PEER_EVENT_NS / NS_PER_SEC);
}

void test_main(void)
{
    char role[8] = "";
    long rc;

    rounds = cmdline_ulong("n", 1000);
    blocks = cmdline_ulong("blocks", 100);
    cmdline_get("role", role, sizeof(role));
    printk("Test: %s, %lu polled and %lu blocked round trips\n", role, rounds, blocks);
    if (!strcmp(role, "ping"))
        ping();
    else if (!strcmp(role, "pong"))
        pong();
    else {
        test_error("command line needs role=ping or role=pong (got \"%s\")", cmdline());
        return;
    }
    if (link) {
        rc = evtchn_close(link);
        if (rc)
            test_failure("close(port %u): returned %ld", link, rc);
    }
}
