/*
 * hc-sched-poll: SCHEDOP_poll {ports, nr_ports, timeout} (sched_op 29, sub-op 3).
 *
 * Checks (Xen 4.17 common/sched/core.c do_poll, xen/event.h evtchn_port_poll):
 * - a listed port that is already pending: poll returns 0 at once (also as the second of
 *   two ports), and does not clear the pending bit or touch the upcall mask;
 * - a listed port that becomes pending while we poll (VIRQ_TIMER from set_timer_op, the
 *   port masked so that only the poll wake-up path can end the wait): poll returns 0
 *   after the timer's deadline and long before its own timeout;
 * - no listed port pending: poll returns 0 once the absolute timeout has passed (not
 *   earlier than 1 ms before it, not later than 1 s after it); a timeout already in the
 *   past returns at once; nr_ports 0 just sleeps until the timeout;
 * - an upcall that needs delivery (an unlisted, unmasked port pending with the upcall
 *   mask 0) ends the poll: already pending when poll is called (Xen's do_poll checks
 *   local_events_need_delivery first) or raised while it sleeps (Xen's vcpu_kick
 *   unblocks the poller); the same with the upcall mask set is printed, not judged;
 * - errors: nr_ports above 128 or a listed port that is not an open port (port 0, a
 *   closed port, a port in a bucket never allocated, 4096, 0xffffffff): -EINVAL; a port
 *   array at NULL, non-canonical or hypervisor-range addresses, or a bad argument
 *   pointer: -EFAULT.
 * How: one IPI port P (made pending by EVTCHNOP_send) and VIRQ_TIMER port T, events
 * masked throughout. Every wait that should end on a timeout also lists T with a backstop
 * set_timer_op 2 s later, so a hypervisor that ignores the timeout ends the wait at
 * about 2 s (reported) instead of hanging; times are the guest's own pvclock reads.
 * Cannot detect: polling on several vCPUs, spurious early wake-ups shorter than 1 ms, a
 * wake-up caused by an unlisted masked port (allowed: a poller must re-check anyway).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] =
    "hc-sched-poll: SCHEDOP_poll wakes on a listed port or its timeout";

#define NONCANON        0x8000000000000000UL
#define HV_RANGE        0xffff830000000000UL
#define BACKSTOP_NS     (2 * NS_PER_SEC)
#define LATE_LIMIT_NS   (1 * NS_PER_SEC)
#define SLACK_EARLY_NS  (1 * NS_PER_MS)

static evtchn_port_t ipi, tport;

static bool expect_rc(const char *what, long got, long want)
{
    if (got == want)
        return true;
    test_failure("%s: returned %ld, expected %ld", what, got, want);
    return false;
}

static unsigned long us(uint64_t ns)
{
    return (unsigned long)(ns / NS_PER_US);
}

/* Start from nothing pending, the timer port masked, no timer armed. */
static void quiet(void)
{
    HYPERVISOR_set_timer_op(0);
    events_disable();
    events_clear_all();
}

static void test_already_pending(void)
{
    evtchn_port_t two[2];
    uint64_t t0, el;
    long rc;

    quiet();
    expect_rc("send(P)", evtchn_send(ipi), 0);
    t0 = pvclock_now();
    rc = poll_ports(&ipi, 1, t0 + BACKSTOP_NS);
    el = pvclock_now() - t0;
    printk("  poll on a pending port returned %ld after %lu us\n", rc, us(el));
    expect_rc("poll({P pending})", rc, 0);
    if (el > LATE_LIMIT_NS)
        test_failure("poll on an already pending port slept %lu ms", us(el) / 1000);
    if (!evtchn_is_pending(ipi))
        test_failure("poll cleared the pending bit of the port it found");
    if (this_vcpu_info()->evtchn_upcall_mask != 1)
        test_failure("poll changed evtchn_upcall_mask to %u",
                     this_vcpu_info()->evtchn_upcall_mask);

    two[0] = tport;
    two[1] = ipi;
    t0 = pvclock_now();
    rc = poll_ports(two, 2, t0 + BACKSTOP_NS);
    el = pvclock_now() - t0;
    expect_rc("poll({T idle, P pending})", rc, 0);
    if (el > LATE_LIMIT_NS)
        test_failure("poll with the second port pending slept %lu ms", us(el) / 1000);
    quiet();
}

static void test_wakes_on_port(void)
{
    uint64_t t0, deadline, el;
    long rc;

    quiet();
    t0 = pvclock_now();
    deadline = t0 + 20 * NS_PER_MS;
    expect_rc("set_timer_op(now + 20 ms)", HYPERVISOR_set_timer_op(deadline), 0);
    rc = poll_ports(&tport, 1, t0 + BACKSTOP_NS);
    el = pvclock_now() - t0;
    printk("  poll({T masked}, timeout +2 s), timer at +20 ms: returned %ld after %lu us, "
           "T pending %u\n", rc, us(el), evtchn_is_pending(tport));
    expect_rc("poll({T})", rc, 0);
    if (!evtchn_is_pending(tport))
        test_failure("poll returned after %lu us with its port not pending", us(el));
    if (t0 + el + SLACK_EARLY_NS < deadline)
        test_failure("poll returned %lu us before the timer that was to end it",
                     us(deadline - t0 - el));
    if (el >= BACKSTOP_NS - SLACK_EARLY_NS)
        test_failure("poll slept until its timeout: the pending port did not wake it");

    /* Same with no timeout at all (0): only the port can end it. */
    quiet();
    t0 = pvclock_now();
    deadline = t0 + 20 * NS_PER_MS;
    expect_rc("set_timer_op(now + 20 ms)", HYPERVISOR_set_timer_op(deadline), 0);
    printk("  poll({T}, no timeout): a hang here means a pending port does not end poll\n");
    rc = poll_ports(&tport, 1, 0);
    el = pvclock_now() - t0;
    printk("  returned %ld after %lu us\n", rc, us(el));
    expect_rc("poll({T}, timeout 0)", rc, 0);
    if (t0 + el + SLACK_EARLY_NS < deadline)
        test_failure("poll without timeout returned %lu us before the port was raised",
                     us(deadline - t0 - el));
    quiet();
}

/* poll on ports that stay quiet; T is listed with a backstop timer 2 s away. */
static void timed_poll(const char *what, evtchn_port_t *ports, unsigned int nr,
                       uint64_t rel_timeout, bool past)
{
    uint64_t t0, timeout, el;
    long rc;

    quiet();
    t0 = pvclock_now();
    timeout = past ? t0 - rel_timeout : t0 + rel_timeout;
    HYPERVISOR_set_timer_op(t0 + BACKSTOP_NS);
    rc = poll_ports(ports, nr, timeout);
    el = pvclock_now() - t0;
    HYPERVISOR_set_timer_op(0);
    printk("  %s: returned %ld after %lu us (timeout %s%lu us)\n", what, rc, us(el),
           past ? "-" : "+", us(rel_timeout));
    expect_rc(what, rc, 0);
    if (el >= BACKSTOP_NS - SLACK_EARLY_NS)
        test_failure("%s: slept until the 2 s backstop: the timeout was ignored", what);
    else if (!past && t0 + el + SLACK_EARLY_NS < timeout)
        test_failure("%s: returned %lu us before its timeout with nothing pending", what,
                     us(timeout - t0 - el));
    else if (t0 + el > timeout + LATE_LIMIT_NS && !past)
        test_failure("%s: returned %lu ms after its timeout", what,
                     us(t0 + el - timeout) / 1000);
    else if (past && el > LATE_LIMIT_NS)
        test_failure("%s: a past timeout slept %lu ms", what, us(el) / 1000);
    if (evtchn_is_pending(ipi))
        test_failure("%s: P became pending by itself", what);
    quiet();
}

static void test_timeout(void)
{
    evtchn_port_t both[2] = { ipi, tport };

    timed_poll("poll({P, T}, now + 30 ms)", both, 2, 30 * NS_PER_MS, false);
    timed_poll("poll({P, T}, now - 1 ms)", both, 2, NS_PER_MS, true);
    timed_poll("poll({P, T}, 1 ns after boot)", both, 2, pvclock_now() - 1, true);
}

static void test_no_ports(void)
{
    uint64_t t0, el;
    long rc;

    /* No ports: only the timeout ends it (T is not listed, so no backstop either way). */
    quiet();
    t0 = pvclock_now();
    HYPERVISOR_set_timer_op(t0 + BACKSTOP_NS);
    printk("  poll({}, now + 30 ms): a hang here means the timeout was ignored\n");
    rc = poll_ports(NULL, 0, t0 + 30 * NS_PER_MS);
    el = pvclock_now() - t0;
    HYPERVISOR_set_timer_op(0);
    printk("  returned %ld after %lu us\n", rc, us(el));
    expect_rc("poll(nr_ports 0)", rc, 0);
    if (el + SLACK_EARLY_NS < 30 * NS_PER_MS)
        test_failure("poll with no ports returned %lu us before its timeout",
                     us(30 * NS_PER_MS - el));
    quiet();
}

static volatile unsigned int hits;

static void count(evtchn_port_t port)
{
    (void)port;
    hits++;
}

/*
 * Poll for P (never raised) with the upcall mask as given while an unlisted, unmasked
 * port needs delivery: already pending (q != 0: sent before) or raised by the timer
 * during the poll (q == 0). Returns the time poll slept.
 */
static uint64_t poll_with_event(evtchn_port_t q, uint8_t mask, uint64_t timeout_rel)
{
    uint64_t t0, el;
    long rc;

    quiet();
    hits = 0;
    if (q)
        evtchn_send(q);
    else
        evtchn_clear_mask(tport);
    t0 = pvclock_now();
    if (!q)
        HYPERVISOR_set_timer_op(t0 + 20 * NS_PER_MS);
    set_evtchn_handler(count);
    barrier();
    this_vcpu_info()->evtchn_upcall_mask = mask;    /* no hypercall: no delivery yet */
    barrier();
    rc = poll_ports(&ipi, 1, t0 + timeout_rel);
    el = pvclock_now() - t0;
    events_disable();
    if (!mask && !hits)
        events_enable();                            /* deliver it now, then count */
    events_disable();
    set_evtchn_handler(NULL);
    evtchn_set_mask(tport);
    if (rc)
        test_failure("poll({P}) returned %ld", rc);
    quiet();
    return el;
}

static void test_needs_delivery(void)
{
    evtchn_port_t q = 0;
    uint64_t el;

    if (evtchn_bind_ipi(0, &q)) {
        test_error("bind_ipi for the unlisted port failed");
        return;
    }
    el = poll_with_event(q, 0, 500 * NS_PER_MS);
    printk("  upcall pending and unmasked before poll({P}, +500 ms): slept %lu us, %u "
           "upcall(s)\n", us(el), hits);
    if (el >= 250 * NS_PER_MS)
        test_failure("poll slept %lu ms with an unmasked upcall pending (Xen returns at "
                     "once: local_events_need_delivery)", us(el) / 1000);

    el = poll_with_event(0, 0, 500 * NS_PER_MS);
    printk("  unlisted unmasked port raised at +20 ms, upcall mask 0: slept %lu us, %u "
           "upcall(s)\n", us(el), hits);
    if (el >= 250 * NS_PER_MS)
        test_failure("poll slept %lu ms after an event needing delivery was raised at "
                     "+20 ms (Xen wakes the poller: vcpu_kick)", us(el) / 1000);

    el = poll_with_event(0, 1, 500 * NS_PER_MS);
    printk("  the same with the upcall mask set: slept %lu us (Xen wakes at +20 ms; not "
           "judged)\n", us(el));
    evtchn_close(q);
}

static void test_errors(void)
{
    static evtchn_port_t many[129];
    evtchn_port_t closed = 0, port;
    static const struct {
        const char *name;
        evtchn_port_t port;
    } bad[] = {
        { "port 0", 0 },
        { "a closed port", 0 /* filled in */ },
        { "port 4095 (bucket never allocated)", 4095 },
        { "port 4096", 4096 },
        { "port 0xffffffff", 0xffffffff },
    };
    unsigned int i;

    quiet();
    if (!evtchn_bind_ipi(0, &closed))
        evtchn_close(closed);
    for (i = 0; i < ARRAY_SIZE(many); i++)
        many[i] = ipi;
    expect_rc("poll with nr_ports 129", poll_ports(many, 129, pvclock_now() + BACKSTOP_NS),
              -XEN_EINVAL);
    expect_rc("poll with nr_ports 0xffffffff", poll_ports(many, 0xffffffff, 1),
              -XEN_EINVAL);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t t0 = pvclock_now();
        long rc;

        port = i == 1 ? closed : bad[i].port;
        rc = poll_ports(&port, 1, t0 + 100 * NS_PER_MS);
        if (rc != -XEN_EINVAL)
            test_failure("poll({%s}, timeout +100 ms): returned %ld after %lu us, expected "
                         "-EINVAL at once", bad[i].name, rc, us(pvclock_now() - t0));
    }

    expect_rc("poll with ports = NULL", poll_ports(NULL, 1, 1), -XEN_EFAULT);
    expect_rc("poll with ports non-canonical",
              poll_ports((evtchn_port_t *)NONCANON, 1, 1), -XEN_EFAULT);
    expect_rc("poll with ports in the hypervisor range",
              poll_ports((evtchn_port_t *)HV_RANGE, 1, 1), -XEN_EFAULT);
    expect_rc("sched_op(SCHEDOP_poll, NULL)", HYPERVISOR_sched_op(SCHEDOP_poll, 0),
              -XEN_EFAULT);
    expect_rc("sched_op(SCHEDOP_poll, non-canonical)",
              HYPERVISOR_sched_op(SCHEDOP_poll, NONCANON), -XEN_EFAULT);
    expect_rc("sched_op(SCHEDOP_poll, hypervisor range)",
              HYPERVISOR_sched_op(SCHEDOP_poll, HV_RANGE), -XEN_EFAULT);
    quiet();
}

static const struct subtest cases[] = {
    { "a listed port already pending: returns at once", test_already_pending },
    { "a listed port raised while polling ends the poll", test_wakes_on_port },
    { "nothing pending: returns at the absolute timeout", test_timeout },
    { "nr_ports 0 sleeps until the timeout", test_no_ports },
    { "an unlisted event needing delivery ends the poll", test_needs_delivery },
    { "-EINVAL and -EFAULT", test_errors },
};

void test_main(void)
{
    long rc;

    vcpu_stop_periodic();           /* no ticks of our own: T rises only when we say */
    rc = evtchn_bind_ipi(0, &ipi);
    if (!rc)
        rc = evtchn_bind_virq(VIRQ_TIMER, 0, &tport);
    if (rc) {
        test_error("binding the test ports failed (%ld): nothing can run", rc);
        return;
    }
    evtchn_set_mask(tport);         /* only poll's own wake-up path can see it */
    printk("  P (IPI) = port %u, T (VIRQ_TIMER, masked) = port %u\n", ipi, tport);
    RUN_SUBTESTS(cases);
    HYPERVISOR_set_timer_op(0);
    test_success();
}
