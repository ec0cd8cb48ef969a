/*
 * hc-evtchn: event_channel_op (hypercall 32), the 2-level ABI, every sub-op on one vCPU.
 *
 * Checks (Xen 4.17 common/event_channel.c is the reference):
 * - bind_ipi, bind_virq, alloc_unbound and bind_interdomain give a port in 1..4095, the
 *   lowest free one, and status reports its kind, vCPU and binding (ipi; virq + number;
 *   unbound + the domain allowed to bind; interdomain + peer domain and port);
 * - bind_ipi / bind_virq on a vCPU that does not exist: -ENOENT; a virq >= NR_VIRQS or a
 *   global virq on vCPU 1: -EINVAL; binding a virq twice: -EEXIST, and once closed it
 *   can be bound again;
 * - send on an IPI port sets its pending bit, the selector bit and evtchn_upcall_pending;
 *   on a masked port only the pending bit; EVTCHNOP_unmask then sets the other two; with
 *   the upcall mask 0 and a handler, one send is exactly one upcall for that port, a
 *   send while the upcall mask is 1 arrives (once) when it is cleared, and a send to a
 *   masked port arrives (once) on EVTCHNOP_unmask;
 * - send on an unbound port is dropped (0), on a VIRQ port -EINVAL;
 * - a loopback interdomain channel (alloc_unbound for ourselves, bind_interdomain to it):
 *   the new local port is raised at bind time (Xen does so for notifications lost while
 *   unbound), a send on either end raises the other end only, closing one end leaves the
 *   other unbound waiting for us; bind_interdomain to a port that is not unbound for us
 *   (an IPI port, a free port, port 0, 4096, a port reserved for another domain) gives -EINVAL
 *   and does not use up a port, to an unknown domain -ESRCH;
 * - bad ports: port 0 (reserved) and a closed port are "closed" to status, 0 to unmask,
 *   -EINVAL to close, send and bind_vcpu; ports in buckets never allocated (4095 here),
 *   4096, 0x10000 and 0xffffffff are -EINVAL to all five;
 * - close frees (a second close is -EINVAL) and clears the pending bit;
 * - bind_vcpu: fine for unbound ports, -EINVAL for IPI and per-vCPU VIRQ ports, -ENOENT
 *   for vCPU 1 (checked before the port);
 * - set_priority on an open port: -ENOSYS (2-level ABI); an unknown sub-op: -ENOSYS;
 *   init_control and expand_array: -ENOSYS on Parapet (not run on the reference, where
 *   the FIFO ABI exists);
 * - a NULL, non-canonical or hypervisor-range argument: -EFAULT for every sub-op;
 * - reset (DOMID_SELF, or our own id) closes every port and frees the virq bindings; an
 *   unknown domain gives -ESRCH.
 * How: the pending/mask/selector bits are read directly in shared_info with events
 * masked; upcalls go to set_evtchn_handler() (tests/lib/events.h), which counts them.
 * Our domain id is learnt from the status of an unbound port allocated for DOMID_SELF.
 * Cannot detect: delivery to another vCPU (one vCPU), a real second domain (loopback
 * only), or an event raised twice between two observations (pending is one bit).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] =
    "hc-evtchn: event channel sub-ops, errors, pending/mask bits and upcalls";

#define NONCANON        0x8000000000000000UL
#define HV_RANGE        0xffff830000000000UL
#define NO_SUCH_DOMAIN  ((domid_t)1000)
/* A domain id that is not ours (we are d1 alone, or dN in a longer run, or dom0 on Xen). */
#define OTHER_DOMAIN    ((domid_t)(self_id == 5 ? 6 : 5))

static domid_t self_id = DOMID_SELF;
static bool on_xen;

static bool expect_rc(const char *what, long got, long want)
{
    if (got == want)
        return true;
    test_failure("%s: returned %ld, expected %ld", what, got, want);
    return false;
}

/* A port we need to go on: false (and a failure recorded) if the bind failed. */
static bool need(const char *what, long rc, const evtchn_port_t *portp)
{
    evtchn_port_t port = *portp;

    if (rc) {
        test_failure("%s: returned %ld, expected a port", what, rc);
        return false;
    }
    if (port == 0 || port >= NR_EVTCHN_PORTS_2L) {
        test_failure("%s: gave port %u, outside 1..4095", what, port);
        return false;
    }
    return true;
}

static const char *const stat_names[] = {
    "closed", "unbound", "interdomain", "pirq", "virq", "ipi",
};

static const char *stat_name(uint32_t s)
{
    return s < ARRAY_SIZE(stat_names) ? stat_names[s] : "unknown";
}

/*
 * status(port) must succeed with status 'want'; for virq, a = the virq; for unbound,
 * a = the remote domain; for interdomain, a = the peer domain, b = the peer port.
 */
static void expect_status(const char *what, evtchn_port_t port, uint32_t want, uint32_t a,
                          uint32_t b)
{
    struct evtchn_status st;
    long rc = evtchn_status(port, &st);

    if (rc) {
        test_failure("%s: status(%u) returned %ld", what, port, rc);
        return;
    }
    if (st.status != want) {
        test_failure("%s: status(%u) is %s (%u), expected %s", what, port,
                     stat_name(st.status), st.status, stat_name(want));
        return;
    }
    if (st.vcpu != 0)
        test_failure("%s: status(%u) names vCPU %u, expected 0", what, port, st.vcpu);
    switch (want) {
    case EVTCHNSTAT_virq:
        if (st.u.virq != a)
            test_failure("%s: status(%u) virq %u, expected %u", what, port, st.u.virq, a);
        break;
    case EVTCHNSTAT_unbound:
        if (st.u.unbound.dom != a)
            test_failure("%s: status(%u) unbound for domain %u, expected %u", what, port,
                         st.u.unbound.dom, a);
        break;
    case EVTCHNSTAT_interdomain:
        if (st.u.interdomain.dom != a || st.u.interdomain.port != b)
            test_failure("%s: status(%u) connected to d%u port %u, expected d%u port %u",
                         what, port, st.u.interdomain.dom, st.u.interdomain.port, a, b);
        break;
    default:
        break;
    }
}

/* The lowest port >= 1 that status calls closed (what the next bind must return). */
static evtchn_port_t lowest_closed_port(void)
{
    struct evtchn_status st;
    evtchn_port_t p;

    for (p = 1; p < NR_EVTCHN_PORTS_2L; p++) {
        long rc = evtchn_status(p, &st);

        if (rc == -XEN_EINVAL || (rc == 0 && st.status == EVTCHNSTAT_closed))
            return p;       /* -EINVAL: a bucket never allocated, whose ports are free */
    }
    return 0;
}

/* ---- upcall counting ----------------------------------------------------------------- */

static volatile unsigned int hits;
static volatile evtchn_port_t last_port;

static void count_port(evtchn_port_t port)
{
    hits++;
    last_port = port;
}

/* ---- subtests ------------------------------------------------------------------------ */

/* Learn our domain id: the status of a port allocated for DOMID_SELF names it. */
static void test_self_id(void)
{
    struct evtchn_status st;
    evtchn_port_t p = 0;

    if (!need("alloc_unbound(remote DOMID_SELF)", evtchn_alloc_unbound(DOMID_SELF, &p), &p))
        return;
    if (!expect_rc("status of that port", evtchn_status(p, &st), 0))
        goto out;
    if (st.status != EVTCHNSTAT_unbound) {
        test_failure("status of a fresh unbound port is %s", stat_name(st.status));
        goto out;
    }
    self_id = st.u.unbound.dom;
    printk("  our domain id: %u (%s)\n", self_id,
           start_info->flags & SIF_INITDOMAIN ? "initial domain" : "unprivileged");
    if (self_id >= DOMID_FIRST_RESERVED)
        test_failure("DOMID_SELF as remote_dom was stored as 0x%x, not our id", self_id);
    else if ((start_info->flags & SIF_INITDOMAIN) && self_id != 0)
        test_failure("the initial domain's id is %u, expected 0", self_id);
out:
    expect_rc("close", evtchn_close(p), 0);
}

static void test_bind_ipi(void)
{
    evtchn_port_t want = lowest_closed_port(), p = 0, q = 0;

    if (!need("bind_ipi(vCPU 0)", evtchn_bind_ipi(0, &p), &p))
        return;
    if (p != want)
        test_failure("bind_ipi gave port %u, the lowest free one is %u", p, want);
    expect_status("ipi port", p, EVTCHNSTAT_ipi, 0, 0);
    if (need("second bind_ipi", evtchn_bind_ipi(0, &q), &q) && q == p)
        test_failure("two bind_ipi gave the same port %u", p);
    expect_rc("bind_ipi(vCPU 1)", evtchn_bind_ipi(1, NULL), -XEN_ENOENT);
    expect_rc("bind_ipi(vCPU 0xffffffff)", evtchn_bind_ipi(0xffffffff, NULL), -XEN_ENOENT);
    expect_rc("close first", evtchn_close(p), 0);
    expect_rc("close second", evtchn_close(q), 0);
    if (lowest_closed_port() != want)
        test_failure("after closing both, the lowest free port is %u, expected %u again",
                     lowest_closed_port(), want);
}

static void test_send_bits(void)
{
    struct vcpu_info *vi = this_vcpu_info();
    evtchn_port_t p = 0;

    if (!need("bind_ipi", evtchn_bind_ipi(0, &p), &p))
        return;
    evtchn_clear_mask(p);
    events_clear_all();
    expect_rc("send(ipi)", evtchn_send(p), 0);
    printk("  after send(%u): pending %u, selector bit %u, upcall_pending %u\n", p,
           evtchn_is_pending(p), evtchn_sel_is_set(p), vi->evtchn_upcall_pending);
    if (!evtchn_is_pending(p))
        test_failure("send on an IPI port did not set its pending bit");
    if (!evtchn_sel_is_set(p))
        test_failure("send on an unmasked port did not set selector bit %u",
                     p / (unsigned int)EVTCHN_WORD_BITS);
    if (vi->evtchn_upcall_pending != 1)
        test_failure("send on an unmasked port left evtchn_upcall_pending at %u",
                     vi->evtchn_upcall_pending);
    expect_rc("send again while pending", evtchn_send(p), 0);

    /* Masked: only the pending bit; unmask delivers the rest. */
    events_clear_all();
    evtchn_set_mask(p);
    expect_rc("send(masked ipi)", evtchn_send(p), 0);
    if (!evtchn_is_pending(p))
        test_failure("send on a masked port did not set its pending bit");
    if (evtchn_sel_is_set(p) || vi->evtchn_upcall_pending)
        test_failure("send on a masked port set the selector (%u) or upcall_pending (%u)",
                     evtchn_sel_is_set(p), vi->evtchn_upcall_pending);
    expect_rc("unmask(pending port)", evtchn_unmask(p), 0);
    if (evtchn_is_masked(p))
        test_failure("EVTCHNOP_unmask left the mask bit set");
    if (!evtchn_is_pending(p))
        test_failure("EVTCHNOP_unmask cleared the pending bit");
    if (!evtchn_sel_is_set(p) || vi->evtchn_upcall_pending != 1)
        test_failure("unmask of a pending port did not re-raise it (selector %u, "
                     "upcall_pending %u)", evtchn_sel_is_set(p), vi->evtchn_upcall_pending);

    /* Unmask of a port that is not pending raises nothing. */
    events_clear_all();
    evtchn_set_mask(p);
    expect_rc("unmask(idle port)", evtchn_unmask(p), 0);
    if (evtchn_is_pending(p) || evtchn_sel_is_set(p) || vi->evtchn_upcall_pending)
        test_failure("unmask of an idle port raised something");
    events_clear_all();
    expect_rc("close", evtchn_close(p), 0);
}

static void test_upcall_once(void)
{
    evtchn_port_t p = 0;
    unsigned long before;

    if (!need("bind_ipi", evtchn_bind_ipi(0, &p), &p))
        return;
    evtchn_clear_mask(p);
    events_clear_all();
    hits = 0;
    last_port = 0;
    set_evtchn_handler(count_port);
    before = event_upcall_count;
    events_enable();
    if (hits)
        test_failure("%u upcalls with nothing pending", hits);

    expect_rc("send(ipi) with upcalls enabled", evtchn_send(p), 0);
    barrier();
    if (hits != 1 || last_port != p)
        test_failure("one send gave %u port upcalls (last port %u), expected 1 for port %u",
                     hits, last_port, p);
    if (evtchn_is_pending(p))
        test_failure("the port is still pending after the handler cleared it");
    if (this_vcpu_info()->evtchn_upcall_mask)
        test_failure("the upcall mask is %u after the upcall returned, expected 0",
                     this_vcpu_info()->evtchn_upcall_mask);

    /* While masked nothing arrives; unmasking lets exactly that one in. */
    events_disable();
    hits = 0;
    expect_rc("send(ipi) with the upcall mask set", evtchn_send(p), 0);
    expect_rc("send(ipi) again, still masked", evtchn_send(p), 0);
    events_poke();
    if (hits)
        test_failure("an upcall arrived while evtchn_upcall_mask was 1");
    events_enable();
    events_poke();
    events_disable();
    if (hits != 1)
        test_failure("clearing the upcall mask gave %u port upcalls, expected 1", hits);

    /* A masked port: nothing until EVTCHNOP_unmask, which delivers it, once. */
    hits = 0;
    evtchn_set_mask(p);
    events_enable();
    expect_rc("send(masked port) with upcalls enabled", evtchn_send(p), 0);
    if (hits)
        test_failure("an upcall arrived for a masked port");
    expect_rc("unmask(pending port) with upcalls enabled", evtchn_unmask(p), 0);
    barrier();
    events_disable();
    if (hits != 1 || last_port != p)
        test_failure("EVTCHNOP_unmask of a pending port gave %u upcalls (last port %u), "
                     "expected 1 for port %u", hits, last_port, p);
    printk("  upcalls: %lu raw, handler hits as expected: %s\n",
           event_upcall_count - before, hits == 1 ? "yes" : "no");
    set_evtchn_handler(NULL);
    events_clear_all();
    expect_rc("close", evtchn_close(p), 0);
}

static void test_virq(void)
{
    evtchn_port_t d = 0, t = 0, d2 = 0;
    long rc;

    if (!need("bind_virq(VIRQ_DEBUG, vCPU 0)", evtchn_bind_virq(VIRQ_DEBUG, 0, &d), &d))
        return;
    expect_status("VIRQ_DEBUG port", d, EVTCHNSTAT_virq, VIRQ_DEBUG, 0);
    expect_rc("bind_virq(VIRQ_DEBUG) again", evtchn_bind_virq(VIRQ_DEBUG, 0, NULL),
              -XEN_EEXIST);
    if (need("bind_virq(VIRQ_TIMER, vCPU 0)", evtchn_bind_virq(VIRQ_TIMER, 0, &t), &t)) {
        expect_status("VIRQ_TIMER port", t, EVTCHNSTAT_virq, VIRQ_TIMER, 0);
        if (t == d)
            test_failure("VIRQ_TIMER and VIRQ_DEBUG share port %u", t);
        expect_rc("bind_virq(VIRQ_TIMER) again", evtchn_bind_virq(VIRQ_TIMER, 0, NULL),
                  -XEN_EEXIST);
        expect_rc("send(VIRQ port)", evtchn_send(t), -XEN_EINVAL);
        expect_rc("bind_vcpu(per-vCPU VIRQ port, 0)", evtchn_bind_vcpu(t, 0), -XEN_EINVAL);
        expect_rc("close VIRQ_TIMER", evtchn_close(t), 0);
    }
    expect_rc("bind_virq(NR_VIRQS)", evtchn_bind_virq(NR_VIRQS, 0, NULL), -XEN_EINVAL);
    expect_rc("bind_virq(0xffffffff)", evtchn_bind_virq(0xffffffff, 0, NULL), -XEN_EINVAL);
    expect_rc("bind_virq(VIRQ_TIMER, vCPU 1)", evtchn_bind_virq(VIRQ_TIMER, 1, NULL),
              -XEN_ENOENT);
    expect_rc("bind_virq(VIRQ_CONSOLE (global), vCPU 1)",
              evtchn_bind_virq(VIRQ_CONSOLE, 1, NULL), -XEN_EINVAL);
    expect_rc("close VIRQ_DEBUG", evtchn_close(d), 0);
    rc = evtchn_bind_virq(VIRQ_DEBUG, 0, &d2);
    if (need("bind_virq(VIRQ_DEBUG) after close", rc, &d2))
        expect_rc("close it", evtchn_close(d2), 0);
    events_clear_all();
}

static void test_interdomain(void)
{
    evtchn_port_t a = 0, b = 0, b2 = 0;
    long rc;

    if (!need("alloc_unbound(DOMID_SELF)", evtchn_alloc_unbound(DOMID_SELF, &a), &a))
        return;
    expect_status("unbound port", a, EVTCHNSTAT_unbound, self_id, 0);
    events_clear_all();
    expect_rc("send(unbound port)", evtchn_send(a), 0);
    if (evtchn_is_pending(a))
        test_failure("send on an unbound port raised it");

    rc = evtchn_bind_interdomain(DOMID_SELF, a, &b);
    if (!need("bind_interdomain(DOMID_SELF, a)", rc, &b))
        goto out_a;
    printk("  loopback: port %u <-> port %u\n", a, b);
    if (b == a)
        test_failure("bind_interdomain returned the remote port %u itself", a);
    if (!evtchn_is_pending(b))
        test_failure("the new local port %u is not pending after bind_interdomain "
                     "(Xen always raises it)", b);
    if (evtchn_is_pending(a))
        test_failure("bind_interdomain raised the remote port %u", a);
    events_clear_all();
    expect_status("bound end a", a, EVTCHNSTAT_interdomain, self_id, b);
    expect_status("bound end b", b, EVTCHNSTAT_interdomain, self_id, a);

    expect_rc("send(b)", evtchn_send(b), 0);
    if (!evtchn_is_pending(a) || evtchn_is_pending(b))
        test_failure("send(b): pending a=%u b=%u, expected a only", evtchn_is_pending(a),
                     evtchn_is_pending(b));
    events_clear_all();
    expect_rc("send(a)", evtchn_send(a), 0);
    if (!evtchn_is_pending(b) || evtchn_is_pending(a))
        test_failure("send(a): pending a=%u b=%u, expected b only", evtchn_is_pending(a),
                     evtchn_is_pending(b));
    events_clear_all();
    expect_rc("bind_interdomain to a connected port", evtchn_bind_interdomain(DOMID_SELF, a,
                                                                              NULL),
              -XEN_EINVAL);
    expect_rc("bind_vcpu(interdomain, 0)", evtchn_bind_vcpu(a, 0), 0);

    /* Closing one end leaves the other unbound, waiting for us; it can be bound again. */
    expect_rc("close(b)", evtchn_close(b), 0);
    expect_status("a after its peer closed", a, EVTCHNSTAT_unbound, self_id, 0);
    expect_rc("send(a) with no peer", evtchn_send(a), 0);
    rc = evtchn_bind_interdomain(self_id, a, &b2);
    if (need("bind_interdomain(our id, a) again", rc, &b2)) {
        expect_status("a bound again", a, EVTCHNSTAT_interdomain, self_id, b2);
        expect_rc("close(a)", evtchn_close(a), 0);
        expect_status("b2 after a closed", b2, EVTCHNSTAT_unbound, self_id, 0);
        expect_rc("close(b2)", evtchn_close(b2), 0);
        events_clear_all();
        return;
    }
out_a:
    expect_rc("close(a)", evtchn_close(a), 0);
    events_clear_all();
}

static void test_interdomain_errors(void)
{
    evtchn_port_t ipi = 0, freed = 0, other = 0, want, got = 0;
    long rc;

    if (!need("bind_ipi", evtchn_bind_ipi(0, &ipi), &ipi) ||
        !need("bind_ipi (to be closed)", evtchn_bind_ipi(0, &freed), &freed))
        return;
    expect_rc("close", evtchn_close(freed), 0);
    want = lowest_closed_port();

    expect_rc("bind_interdomain to an IPI port",
              evtchn_bind_interdomain(DOMID_SELF, ipi, NULL), -XEN_EINVAL);
    expect_rc("bind_interdomain to a closed port",
              evtchn_bind_interdomain(DOMID_SELF, freed, NULL), -XEN_EINVAL);
    expect_rc("bind_interdomain to port 0", evtchn_bind_interdomain(DOMID_SELF, 0, NULL),
              -XEN_EINVAL);
    expect_rc("bind_interdomain to port 4096",
              evtchn_bind_interdomain(DOMID_SELF, 4096, NULL), -XEN_EINVAL);
    expect_rc("bind_interdomain to port 0xffffffff",
              evtchn_bind_interdomain(DOMID_SELF, 0xffffffff, NULL), -XEN_EINVAL);
    expect_rc("bind_interdomain to an unknown domain",
              evtchn_bind_interdomain(NO_SUCH_DOMAIN, 1, NULL), -XEN_ESRCH);
    rc = evtchn_alloc_unbound(OTHER_DOMAIN, &other);
    if (need("alloc_unbound(remote: another domain)", rc, &other)) {
        expect_status("port reserved for another domain", other, EVTCHNSTAT_unbound, OTHER_DOMAIN,
                      0);
        expect_rc("bind_interdomain to a port reserved for another domain",
                  evtchn_bind_interdomain(DOMID_SELF, other, NULL), -XEN_EINVAL);
        expect_rc("close it", evtchn_close(other), 0);
    }
    {
        struct evtchn_alloc_unbound op = {
            .dom = NO_SUCH_DOMAIN,
            .remote_dom = DOMID_SELF,
        };

        expect_rc("alloc_unbound in an unknown domain",
                  evtchn_op(EVTCHNOP_alloc_unbound, &op), -XEN_ESRCH);
    }
    /* None of the failures used up a port. */
    if (need("bind_ipi after the failures", evtchn_bind_ipi(0, &got), &got)) {
        if (got != want)
            test_failure("after failed binds the next port is %u, expected %u: a failed "
                         "bind_interdomain kept a port", got, want);
        expect_rc("close", evtchn_close(got), 0);
    }
    expect_rc("close ipi", evtchn_close(ipi), 0);
}

static void test_status_op(void)
{
    evtchn_port_t p = 0;
    struct evtchn_status st;

    expect_status("port 0 (reserved)", 0, EVTCHNSTAT_closed, 0, 0);
    if (need("bind_ipi", evtchn_bind_ipi(0, &p), &p)) {
        expect_rc("close", evtchn_close(p), 0);
        expect_status("a closed port", p, EVTCHNSTAT_closed, 0, 0);
    }
    expect_rc("status(4096)", evtchn_status(4096, &st), -XEN_EINVAL);
    memset(&st, 0, sizeof(st));
    st.dom = NO_SUCH_DOMAIN;
    st.port = 1;
    expect_rc("status in an unknown domain", evtchn_op(EVTCHNOP_status, &st), -XEN_ESRCH);
    memset(&st, 0, sizeof(st));
    st.dom = self_id;
    st.port = 0;
    expect_rc("status naming our own id", evtchn_op(EVTCHNOP_status, &st), 0);

    /* Ports the domain builder connected for us (not on the initial domain). */
    if (!(start_info->flags & SIF_INITDOMAIN)) {
        if (start_info->store_evtchn) {
            printk("  xenstore port %u\n", start_info->store_evtchn);
            /* Connected to the store's domain (0), or, while no xenstored has bound it
             * yet (Parapet with no control domain), unbound for domain 0. */
            if (!evtchn_status(start_info->store_evtchn, &st) &&
                !(st.status == EVTCHNSTAT_interdomain && st.u.interdomain.dom == 0) &&
                !(st.status == EVTCHNSTAT_unbound && st.u.unbound.dom == 0))
                test_failure("the xenstore port %u is %s, expected bound or unbound "
                             "for domain 0", start_info->store_evtchn, stat_name(st.status));
        }
        if (start_info->console.domU.evtchn) {
            printk("  console port %u\n", start_info->console.domU.evtchn);
            if (!evtchn_status(start_info->console.domU.evtchn, &st) &&
                st.status != EVTCHNSTAT_interdomain)
                test_failure("the console port %u is %s, expected interdomain",
                             start_info->console.domU.evtchn, stat_name(st.status));
        }
    }
}

static void test_bad_ports(void)
{
    static const struct {
        const char *name;
        evtchn_port_t port;
        bool exists;        /* a port the domain has (reserved or closed) */
    } bad[] = {
        { "port 0 (reserved)", 0, true },
        { "a closed port", 0 /* filled in */, true },
        { "port 4095 (bucket never allocated)", 4095, false },
        { "port 4096", 4096, false },
        { "port 0x10000", 0x10000, false },
        { "port 0xffffffff", 0xffffffff, false },
    };
    evtchn_port_t closed = 0;
    unsigned int i;
    char what[96];

    if (!need("bind_ipi", evtchn_bind_ipi(0, &closed), &closed))
        return;
    expect_rc("close", evtchn_close(closed), 0);

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        evtchn_port_t port = i == 1 ? closed : bad[i].port;
        struct evtchn_status st;
        long rc;

        snprintf(what, sizeof(what), "close(%s)", bad[i].name);
        expect_rc(what, evtchn_close(port), -XEN_EINVAL);
        snprintf(what, sizeof(what), "send(%s)", bad[i].name);
        expect_rc(what, evtchn_send(port), -XEN_EINVAL);
        snprintf(what, sizeof(what), "bind_vcpu(%s, 0)", bad[i].name);
        expect_rc(what, evtchn_bind_vcpu(port, 0), -XEN_EINVAL);
        snprintf(what, sizeof(what), "unmask(%s)", bad[i].name);
        expect_rc(what, evtchn_unmask(port), bad[i].exists ? 0 : -XEN_EINVAL);
        snprintf(what, sizeof(what), "status(%s)", bad[i].name);
        rc = evtchn_status(port, &st);
        if (bad[i].exists) {
            if (expect_rc(what, rc, 0) && st.status != EVTCHNSTAT_closed)
                test_failure("%s: %s, expected closed", what, stat_name(st.status));
        } else {
            expect_rc(what, rc, -XEN_EINVAL);
        }
    }
    events_clear_all();
}

static void test_close(void)
{
    evtchn_port_t p = 0, again = 0;

    if (!need("bind_ipi", evtchn_bind_ipi(0, &p), &p))
        return;
    evtchn_set_mask(p);
    expect_rc("send", evtchn_send(p), 0);
    if (!evtchn_is_pending(p))
        test_failure("send did not set the pending bit");
    expect_rc("close", evtchn_close(p), 0);
    if (evtchn_is_pending(p))
        test_failure("close left the port's pending bit set");
    expect_rc("close again", evtchn_close(p), -XEN_EINVAL);
    expect_rc("send after close", evtchn_send(p), -XEN_EINVAL);
    expect_status("after close", p, EVTCHNSTAT_closed, 0, 0);
    if (need("bind_ipi again", evtchn_bind_ipi(0, &again), &again)) {
        if (again != p)
            test_failure("the freed port %u was not reused (got %u)", p, again);
        expect_rc("close", evtchn_close(again), 0);
    }
    evtchn_clear_mask(p);
    events_clear_all();
}

static void test_bind_vcpu(void)
{
    evtchn_port_t u = 0, ipi = 0;

    if (!need("alloc_unbound", evtchn_alloc_unbound(DOMID_SELF, &u), &u) ||
        !need("bind_ipi", evtchn_bind_ipi(0, &ipi), &ipi))
        return;
    expect_rc("bind_vcpu(unbound, 0)", evtchn_bind_vcpu(u, 0), 0);
    expect_rc("bind_vcpu(unbound, 1)", evtchn_bind_vcpu(u, 1), -XEN_ENOENT);
    expect_rc("bind_vcpu(ipi, 0)", evtchn_bind_vcpu(ipi, 0), -XEN_EINVAL);
    expect_rc("bind_vcpu(4096, 1): the vCPU is checked first", evtchn_bind_vcpu(4096, 1),
              -XEN_ENOENT);
    expect_status("unbound after bind_vcpu", u, EVTCHNSTAT_unbound, self_id, 0);
    expect_rc("close", evtchn_close(u), 0);
    expect_rc("close", evtchn_close(ipi), 0);
}

static void test_enosys(void)
{
    evtchn_port_t p = 0;
    struct evtchn_set_priority pri = { .priority = 1 };
    struct evtchn_init_control ic = { .control_gfn = 0, .offset = 0, .vcpu = 0 };
    struct evtchn_expand_array ea = { .array_gfn = 0 };

    if (need("bind_ipi", evtchn_bind_ipi(0, &p), &p)) {
        pri.port = p;
        expect_rc("set_priority (2-level ABI)", evtchn_op(EVTCHNOP_set_priority, &pri),
                  -XEN_ENOSYS);
        expect_rc("close", evtchn_close(p), 0);
    }
    expect_rc("sub-op 99", evtchn_op(99, NULL), -XEN_ENOSYS);
    expect_rc("sub-op 0x7fffffff", evtchn_op(0x7fffffff, NULL), -XEN_ENOSYS);
    if (on_xen) {
        printk("  init_control / expand_array not run on the reference (Xen has the FIFO "
               "ABI)\n");
        return;
    }
    expect_rc("init_control", evtchn_op(EVTCHNOP_init_control, &ic), -XEN_ENOSYS);
    expect_rc("expand_array", evtchn_op(EVTCHNOP_expand_array, &ea), -XEN_ENOSYS);
}

static void test_efault(void)
{
    static const unsigned int ops[] = {
        EVTCHNOP_bind_interdomain, EVTCHNOP_bind_virq, EVTCHNOP_close, EVTCHNOP_send,
        EVTCHNOP_status, EVTCHNOP_alloc_unbound, EVTCHNOP_bind_ipi, EVTCHNOP_bind_vcpu,
        EVTCHNOP_unmask, EVTCHNOP_reset,
    };
    static const unsigned long ptrs[] = { 0, NONCANON, HV_RANGE };
    unsigned int i, j;
    char what[64];

    for (i = 0; i < ARRAY_SIZE(ops); i++)
        for (j = 0; j < ARRAY_SIZE(ptrs); j++) {
            snprintf(what, sizeof(what), "sub-op %u with argument 0x%lx", ops[i], ptrs[j]);
            expect_rc(what, HYPERVISOR_event_channel_op(ops[i], ptrs[j]), -XEN_EFAULT);
        }
}

static void test_reset(void)
{
    evtchn_port_t ipi = 0, virq = 0, u = 0, d2 = 0;
    struct evtchn_reset r = { .dom = DOMID_SELF };

    if (!need("bind_ipi", evtchn_bind_ipi(0, &ipi), &ipi) ||
        !need("bind_virq(VIRQ_DEBUG)", evtchn_bind_virq(VIRQ_DEBUG, 0, &virq), &virq) ||
        !need("alloc_unbound", evtchn_alloc_unbound(DOMID_SELF, &u), &u))
        return;
    expect_rc("reset(DOMID_SELF)", evtchn_op(EVTCHNOP_reset, &r), 0);
    expect_status("ipi after reset", ipi, EVTCHNSTAT_closed, 0, 0);
    expect_status("virq after reset", virq, EVTCHNSTAT_closed, 0, 0);
    expect_status("unbound after reset", u, EVTCHNSTAT_closed, 0, 0);
    if (need("bind_virq(VIRQ_DEBUG) after reset", evtchn_bind_virq(VIRQ_DEBUG, 0, &d2),
             &d2))
        expect_rc("close", evtchn_close(d2), 0);
    r.dom = self_id;
    expect_rc("reset(our own id)", evtchn_op(EVTCHNOP_reset, &r), 0);
    r.dom = NO_SUCH_DOMAIN;
    expect_rc("reset(unknown domain)", evtchn_op(EVTCHNOP_reset, &r), -XEN_ESRCH);
    events_clear_all();
}

static const struct subtest cases[] = {
    { "our domain id, from an unbound port's status", test_self_id },
    { "bind_ipi: lowest free port, status ipi, -ENOENT", test_bind_ipi },
    { "send: pending, selector and upcall_pending bits; masked; unmask re-raises",
      test_send_bits },
    { "send with upcalls enabled: exactly one upcall", test_upcall_once },
    { "bind_virq: status virq, -EEXIST, -EINVAL, -ENOENT, no send", test_virq },
    { "loopback interdomain: bind, raise, send both ways, close one end",
      test_interdomain },
    { "bind_interdomain and alloc_unbound errors, no port leaked",
      test_interdomain_errors },
    { "status: reserved, closed, bad port, unknown domain, builder ports", test_status_op },
    { "bad ports to close, send, bind_vcpu, unmask, status", test_bad_ports },
    { "close: clears pending, twice is -EINVAL, the port is reused", test_close },
    { "bind_vcpu", test_bind_vcpu },
    { "-ENOSYS: set_priority, FIFO sub-ops, unknown sub-ops", test_enosys },
    { "-EFAULT for bad argument pointers", test_efault },
    { "reset closes every port", test_reset },
};

void test_main(void)
{
    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
