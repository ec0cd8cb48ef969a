/*
 * xsa-a17-evtchn-ports: A17 of security-invariants.md (XSA-221, XSA-317, XSA-342):
 * event-channel port numbers out of range, in buckets never allocated, and more ports
 * than the ABI allows.
 *
 * Checks:
 * - every sub-op that takes a port (close, send, unmask, bind_vcpu, status,
 *   bind_interdomain's remote port, set_priority (or -ENOSYS), SCHEDOP_poll for ports
 *   >= 4096) refuses port 4095 in a bucket never allocated, 4096 and far beyond (0x10000,
 *   2^31 - 1, 2^31, 2^32 - 2, 2^32 - 1) with -EINVAL;
 * - bind_virq with virq numbers and vCPU ids far out of range (negative as int) gives
 *   -EINVAL / -ENOENT;
 * - allocating ports (alloc_unbound, bind_ipi alternately) until the table is full ends
 *   with -ENOSPC, never another error, never a port 0 or >= 4096 or one handed out twice;
 *   bind_ipi, bind_virq and bind_interdomain on a full table also give -ENOSPC;
 * - every port then closes with 0 and reads "closed"; the table can be filled to the same
 *   count again, then EVTCHNOP_reset empties it;
 * - the host survives: the AFTER guest (hello) runs once we end.
 * How: plain hypercalls with the bad values; the count of ports obtained is printed (4095
 * on Xen's dom0: every port but 0).
 * Cannot detect: memory the hypervisor corrupted without crashing or failing a later
 * check (the invariant auditor, if enabled, is the check for that); exhaustion of
 * hypervisor memory (Parapet's table is static).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "xsa-a17-evtchn-ports: bad port numbers and port exhaustion";

#define NPORTS 4096

static evtchn_port_t ports[NPORTS];
static uint8_t seen[NPORTS];

static bool expect_rc(const char *what, long got, long want)
{
    if (got == want)
        return true;
    test_failure("%s: returned %ld, expected %ld", what, got, want);
    return false;
}

static const uint64_t bad_ports[] = {
    4095,                       /* bucket never allocated: nothing bound yet up there */
    4096, 4097, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff,
};

static void test_out_of_range(void)
{
    unsigned int i;
    char what[96];
    long rc;

    for (i = 0; i < ARRAY_SIZE(bad_ports); i++) {
        evtchn_port_t p = (evtchn_port_t)bad_ports[i];
        struct evtchn_status st;
        struct evtchn_set_priority pri = { .port = p, .priority = 0 };
        uint64_t t0;

        snprintf(what, sizeof(what), "close(0x%x)", p);
        expect_rc(what, evtchn_close(p), -XEN_EINVAL);
        snprintf(what, sizeof(what), "send(0x%x)", p);
        expect_rc(what, evtchn_send(p), -XEN_EINVAL);
        snprintf(what, sizeof(what), "unmask(0x%x)", p);
        expect_rc(what, evtchn_unmask(p), -XEN_EINVAL);
        snprintf(what, sizeof(what), "bind_vcpu(0x%x, 0)", p);
        expect_rc(what, evtchn_bind_vcpu(p, 0), -XEN_EINVAL);
        snprintf(what, sizeof(what), "status(0x%x)", p);
        expect_rc(what, evtchn_status(p, &st), -XEN_EINVAL);
        snprintf(what, sizeof(what), "bind_interdomain(DOMID_SELF, 0x%x)", p);
        expect_rc(what, evtchn_bind_interdomain(DOMID_SELF, p, NULL), -XEN_EINVAL);
        snprintf(what, sizeof(what), "set_priority(0x%x)", p);
        rc = evtchn_op(EVTCHNOP_set_priority, &pri);
        if (rc != -XEN_EINVAL && rc != -XEN_ENOSYS)
            test_failure("%s: returned %ld, expected -EINVAL or -ENOSYS", what, rc);
        if (p < NPORTS)
            continue;           /* poll on in-range ports: tests/hc-sched-poll */
        t0 = pvclock_now();
        rc = poll_ports(&p, 1, t0 + 50 * NS_PER_MS);
        if (rc != -XEN_EINVAL)
            test_failure("poll({0x%x}): returned %ld after %lu us, expected -EINVAL", p, rc,
                         (unsigned long)((pvclock_now() - t0) / NS_PER_US));
    }

    /* virq and vCPU numbers out of range (negative as int in Xen's code). */
    expect_rc("bind_virq(0x80000000, 0)", evtchn_bind_virq(0x80000000, 0, NULL),
              -XEN_EINVAL);
    expect_rc("bind_virq(NR_VIRQS, 0)", evtchn_bind_virq(NR_VIRQS, 0, NULL), -XEN_EINVAL);
    expect_rc("bind_virq(VIRQ_TIMER, 0x80000000)",
              evtchn_bind_virq(VIRQ_TIMER, 0x80000000, NULL), -XEN_ENOENT);
    expect_rc("bind_virq(VIRQ_DEBUG, 0xffffffff)",
              evtchn_bind_virq(VIRQ_DEBUG, 0xffffffff, NULL), -XEN_ENOENT);
    expect_rc("bind_ipi(0x80000000)", evtchn_bind_ipi(0x80000000, NULL), -XEN_ENOENT);
    expect_rc("bind_vcpu(1, 0x80000000)", evtchn_bind_vcpu(1, 0x80000000), -XEN_ENOENT);
    if (this_vcpu_info()->evtchn_upcall_pending)
        test_failure("the bad-port calls raised an event (upcall_pending set)");
}

/* Fill the table; returns how many ports we got (each recorded in ports[]). */
static unsigned int fill(const char *round)
{
    unsigned int n = 0, dup = 0;
    long rc = 0;
    uint64_t t0 = pvclock_now();

    memset(seen, 0, sizeof(seen));
    while (n < NPORTS) {
        evtchn_port_t p = 0;

        rc = n & 1 ? evtchn_bind_ipi(0, &p) : evtchn_alloc_unbound(DOMID_SELF, &p);
        if (rc)
            break;
        if (p == 0 || p >= NPORTS) {
            test_failure("%s: port %u handed out (outside 1..4095)", round, p);
            break;
        }
        if (seen[p]++)
            dup++;
        ports[n++] = p;
    }
    printk("  %s: %u ports in %lu ms, then %ld\n", round, n,
           (unsigned long)((pvclock_now() - t0) / NS_PER_MS), rc);
    if (rc != -XEN_ENOSPC)
        test_failure("%s: allocation stopped with %ld after %u ports, expected -ENOSPC",
                     round, rc, n);
    if (dup)
        test_failure("%s: %u ports handed out twice", round, dup);
    if (n == 0)
        test_failure("%s: not a single port", round);
    return n;
}

static unsigned int filled;

static void test_exhaust(void)
{
    evtchn_port_t first = 0;

    filled = fill("first fill");
    if (!filled)
        return;
    expect_rc("bind_ipi on a full table", evtchn_bind_ipi(0, NULL), -XEN_ENOSPC);
    expect_rc("bind_virq on a full table", evtchn_bind_virq(VIRQ_DEBUG, 0, NULL),
              -XEN_ENOSPC);
    expect_rc("alloc_unbound on a full table", evtchn_alloc_unbound(DOMID_SELF, NULL),
              -XEN_ENOSPC);
    first = ports[0];           /* an unbound port of ours */
    expect_rc("bind_interdomain on a full table", evtchn_bind_interdomain(DOMID_SELF, first,
                                                                          NULL),
              -XEN_ENOSPC);
    /* Sends on every IPI port of a full table: all pending, nothing breaks. */
    {
        unsigned int i, bad = 0;

        for (i = 1; i < filled; i += 2)
            if (evtchn_send(ports[i]))
                bad++;
        if (bad)
            test_failure("%u sends on IPI ports of the full table failed", bad);
    }
}

static void test_close_all(void)
{
    unsigned int i, bad_close = 0, not_closed = 0, again;
    struct evtchn_status st;
    struct evtchn_reset r = { .dom = DOMID_SELF };

    for (i = 0; i < filled; i++)
        if (evtchn_close(ports[i]))
            bad_close++;
    for (i = 0; i < filled; i++)
        if (evtchn_status(ports[i], &st) || st.status != EVTCHNSTAT_closed)
            not_closed++;
    if (bad_close)
        test_failure("%u of %u closes failed", bad_close, filled);
    if (not_closed)
        test_failure("%u ports not closed after close", not_closed);
    for (i = 0; i < filled; i++)
        if (evtchn_is_pending(ports[i])) {
            test_failure("closed port %u still pending", ports[i]);
            break;
        }

    again = fill("second fill");
    if (again != filled)
        test_failure("the second fill got %u ports, the first %u: ports leaked", again,
                     filled);
    expect_rc("reset(DOMID_SELF) on a full table", evtchn_op(EVTCHNOP_reset, &r), 0);
    for (i = 0, not_closed = 0; i < again; i++)
        if (evtchn_status(ports[i], &st) || st.status != EVTCHNSTAT_closed)
            not_closed++;
    if (not_closed)
        test_failure("%u ports still open after reset", not_closed);
    events_clear_all();
}

static const struct subtest cases[] = {
    { "out-of-range and unallocated ports to every sub-op", test_out_of_range },
    { "allocate until -ENOSPC", test_exhaust },
    { "close all, fill again, reset", test_close_all },
};

void test_main(void)
{
    RUN_SUBTESTS(cases);
    test_success();
}
