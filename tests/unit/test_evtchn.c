/*
 * Host unit tests (cmocka) of the 2-level event channels, hypervisor/event/evtchn.c.
 * Three domains (d0 privileged, d1 with two vCPUs, d2) with real struct shared_info
 * pages; every test checks Xen's return code and the table and bitmap state left
 * behind. Cannot detect: races with a guest on another CPU (the bit operations are
 * atomic builtins; only their sequential effect is checked here).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include "xen-public.h"
#include "errno.h"
#include "event/evtchn.h"

#define D0 0
#define D1 1
#define D2 2
#define NOBODY 7

static struct shared_info si[3] __attribute__((aligned(4096)));
static struct evtchn_domain doms[3];
static struct evtchn_domain *const d0 = &doms[0], *const d1 = &doms[1], *const d2 = &doms[2];
static struct vcpu_info moved_vi __attribute__((aligned(64)));
static unsigned lookups;

static struct evtchn_domain *fake_domain(domid_t id)
{
    lookups++;
    assert_true(id < DOMID_FIRST_RESERVED);   /* reserved ids never reach the lookup */
    return id < 3 ? &doms[id] : NULL;
}

static const struct evtchn_env env = { .domain = fake_domain };

static int setup(void **state)
{
    memset(si, 0, sizeof(si));
    memset(&moved_vi, 0, sizeof(moved_vi));
    assert_int_equal(evtchn_domain_init(d0, D0, true, 1, EVTCHN_DEFAULT_MAX_PORT, &si[0]), 0);
    assert_int_equal(evtchn_domain_init(d1, D1, false, 2, EVTCHN_DEFAULT_MAX_PORT, &si[1]), 0);
    assert_int_equal(evtchn_domain_init(d2, D2, false, 1, EVTCHN_DEFAULT_MAX_PORT, &si[2]), 0);
    lookups = 0;
    return 0;
}

/* Every test ends with tables the auditor accepts. */
static int teardown(void **state)
{
    const char *why = NULL;
    unsigned i;

    for (i = 0; i < 3; i++)
        if (evtchn_audit(&env, &doms[i], &why))
            fail_msg("audit of d%u: %s", i, why);
    return 0;
}

/* ---- small helpers ---------------------------------------------------------------- */

static evtchn_port_t alloc_unbound(struct evtchn_domain *ed, domid_t dom, domid_t remote)
{
    struct evtchn_alloc_unbound op = { .dom = dom, .remote_dom = remote };

    assert_int_equal(evtchn_op_alloc_unbound(&env, ed, &op), 0);
    return op.port;
}

static evtchn_port_t bind_inter(struct evtchn_domain *ed, domid_t rdom, evtchn_port_t rport)
{
    struct evtchn_bind_interdomain op = { .remote_dom = rdom, .remote_port = rport };

    assert_int_equal(evtchn_op_bind_interdomain(&env, ed, &op, NULL), 0);
    return op.local_port;
}

static evtchn_port_t bind_virq(struct evtchn_domain *ed, uint32_t virq, uint32_t vcpu)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };

    assert_int_equal(evtchn_op_bind_virq(ed, &op), 0);
    return op.port;
}

static evtchn_port_t bind_ipi(struct evtchn_domain *ed, uint32_t vcpu)
{
    struct evtchn_bind_ipi op = { .vcpu = vcpu };

    assert_int_equal(evtchn_op_bind_ipi(ed, &op), 0);
    return op.port;
}

static struct evtchn_status status_of(struct evtchn_domain *ed, domid_t dom, evtchn_port_t port)
{
    struct evtchn_status st = { .dom = dom, .port = port };

    assert_int_equal(evtchn_op_status(&env, ed, &st), 0);
    return st;
}

static int status_rc(struct evtchn_domain *ed, domid_t dom, evtchn_port_t port)
{
    struct evtchn_status st = { .dom = dom, .port = port };

    return evtchn_op_status(&env, ed, &st);
}

static bool pending(struct shared_info *s, unsigned port)
{
    return (s->evtchn_pending[port / 64] >> (port % 64)) & 1;
}

static void set_mask(struct shared_info *s, unsigned port)
{
    s->evtchn_mask[port / 64] |= 1UL << (port % 64);
}

static bool masked(struct shared_info *s, unsigned port)
{
    return (s->evtchn_mask[port / 64] >> (port % 64)) & 1;
}

/* ---- set-up ------------------------------------------------------------------------- */

static void test_init(void **state)
{
    struct evtchn_domain *tmp = d0;
    struct evtchn_status st;

    assert_int_equal(d1->chan[0].state, EVTCHN_RESERVED);
    assert_int_equal(d1->valid, 64);
    assert_int_equal(d1->nr_open, 0);
    assert_ptr_equal(d1->vcpu_info[0], &si[1].vcpu_info[0]);
    assert_ptr_equal(d1->vcpu_info[1], &si[1].vcpu_info[1]);
    assert_null(d1->vcpu_info[2]);

    /* Port 0 exists, is closed and cannot be closed. */
    st = status_of(d1, DOMID_SELF, 0);
    assert_int_equal(st.status, EVTCHNSTAT_closed);
    assert_int_equal(evtchn_op_close(&env, d1, 0), -EINVAL);

    /* Bad parameters leave the struct alone. */
    assert_int_equal(evtchn_domain_init(tmp, 9, false, 1, 100, NULL), -EINVAL);
    assert_int_equal(evtchn_domain_init(tmp, 9, false, 0, 100, &si[0]), -EINVAL);
    assert_int_equal(evtchn_domain_init(tmp, 9, false, EVTCHN_MAX_VCPUS + 1, 100, &si[0]),
                     -EINVAL);
    assert_int_equal(evtchn_domain_init(tmp, 9, false, 1, 0, &si[0]), -EINVAL);
    assert_int_equal(d0->id, D0);

    /* max_port beyond the ABI is clamped. */
    assert_int_equal(evtchn_domain_init(tmp, D0, true, 1, 100000, &si[0]), 0);
    assert_int_equal(d0->max_port, NR_EVTCHN_PORTS - 1);
}

/* ---- alloc_unbound -------------------------------------------------------------------- */

static void test_alloc_unbound(void **state)
{
    struct evtchn_alloc_unbound op;
    struct evtchn_status st;
    evtchn_port_t p, q;

    p = alloc_unbound(d1, DOMID_SELF, D2);
    assert_int_equal(p, 1);
    st = status_of(d1, DOMID_SELF, p);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, D2);
    assert_int_equal(st.vcpu, 0);

    /* remote DOMID_SELF means the caller; the caller's own id works like DOMID_SELF. */
    q = alloc_unbound(d1, D1, DOMID_SELF);
    assert_int_equal(q, 2);
    assert_int_equal(status_of(d1, D1, q).u.unbound.dom, D1);
    assert_int_equal(d1->nr_open, 2);

    /* The lowest free port is reused. */
    assert_int_equal(evtchn_op_close(&env, d1, p), 0);
    assert_int_equal(alloc_unbound(d1, DOMID_SELF, D2), 1);

    /* No such domain; reserved ids are nobody (and never reach the lookup). */
    op = (struct evtchn_alloc_unbound){ .dom = NOBODY, .remote_dom = D2 };
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -ESRCH);
    lookups = 0;
    op.dom = DOMID_IO;
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -ESRCH);
    op.dom = DOMID_XEN;
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -ESRCH);
    assert_int_equal(lookups, 0);

    /* An unprivileged domain may not allocate in another: nothing opens there. */
    op = (struct evtchn_alloc_unbound){ .dom = D2, .remote_dom = D1, .port = 77 };
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -EPERM);
    assert_int_equal(d2->nr_open, 0);
    assert_int_equal(d2->chan[1].state, EVTCHN_FREE);
    assert_int_equal(op.port, 77);

    /* The control domain may; DOMID_SELF as remote then means the control domain. */
    op = (struct evtchn_alloc_unbound){ .dom = D2, .remote_dom = DOMID_SELF };
    assert_int_equal(evtchn_op_alloc_unbound(&env, d0, &op), 0);
    assert_int_equal(op.port, 1);
    assert_int_equal(d2->chan[1].state, EVTCHN_UNBOUND);
    assert_int_equal(d2->chan[1].remote_dom, D0);
    assert_int_equal(d0->nr_open, 0);
}

static void test_port_exhaustion(void **state)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    struct evtchn_bind_ipi ipi = { .vcpu = 0 };
    struct evtchn_bind_virq virq = { .virq = VIRQ_TIMER, .vcpu = 0 };
    struct evtchn_bind_interdomain bi;
    unsigned i;

    for (i = 1; i < NR_EVTCHN_PORTS; i++) {
        assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), 0);
        assert_int_equal(op.port, i);
    }
    assert_int_equal(d1->valid, NR_EVTCHN_PORTS);
    assert_int_equal(d1->nr_open, NR_EVTCHN_PORTS - 1);
    op.port = 0;
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -ENOSPC);
    assert_int_equal(op.port, 0);
    assert_int_equal(evtchn_op_bind_ipi(d1, &ipi), -ENOSPC);
    assert_int_equal(evtchn_op_bind_virq(d1, &virq), -ENOSPC);
    assert_int_equal(d1->virq_port[0][VIRQ_TIMER], 0);
    /* bind_interdomain needs a local port first, even for a good remote port. */
    bi = (struct evtchn_bind_interdomain){ .remote_dom = D2,
                                           .remote_port = alloc_unbound(d2, DOMID_SELF, D1) };
    assert_int_equal(evtchn_op_bind_interdomain(&env, d1, &bi, NULL), -ENOSPC);
    assert_int_equal(d2->chan[bi.remote_port].state, EVTCHN_UNBOUND);
    assert_int_equal(d1->nr_open, NR_EVTCHN_PORTS - 1);

    /* One close frees exactly that port. */
    assert_int_equal(evtchn_op_close(&env, d1, 1000), 0);
    assert_int_equal(bind_ipi(d1, 1), 1000);
    assert_int_equal(evtchn_op_bind_ipi(d1, &ipi), -ENOSPC);
}

static void test_max_port_limit(void **state)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    unsigned i;

    assert_int_equal(evtchn_domain_init(d1, D1, false, 2, 1023, &si[1]), 0);
    for (i = 1; i <= 1023; i++)
        assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), 0);
    assert_int_equal(op.port, 1023);
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -ENOSPC);
    assert_int_equal(d1->valid, 1024);
    /* Beyond the valid buckets a port does not exist: -EINVAL, not "closed". */
    assert_int_equal(status_rc(d1, DOMID_SELF, 1024), -EINVAL);
}

static void test_valid_buckets(void **state)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    unsigned i;

    /* A fresh domain has bucket 0 (ports 0..63) only. */
    assert_int_equal(status_rc(d1, DOMID_SELF, 63), 0);
    assert_int_equal(status_rc(d1, DOMID_SELF, 64), -EINVAL);
    assert_int_equal(status_rc(d1, DOMID_SELF, 4095), -EINVAL);
    assert_int_equal(status_rc(d1, DOMID_SELF, 4096), -EINVAL);
    assert_int_equal(status_rc(d1, DOMID_SELF, 0xFFFFFFFFu), -EINVAL);
    assert_int_equal(evtchn_op_unmask(d1, 64, NULL), -EINVAL);
    assert_int_equal(evtchn_op_close(&env, d1, 64), -EINVAL);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 64, 0), -EINVAL);

    /* Port 64 opens bucket 1: ports up to 127 now exist (closed). */
    for (i = 1; i <= 64; i++)
        assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), 0);
    assert_int_equal(d1->valid, 128);
    assert_int_equal(status_of(d1, DOMID_SELF, 100).status, EVTCHNSTAT_closed);
    assert_int_equal(status_rc(d1, DOMID_SELF, 128), -EINVAL);

    /* Closing everything does not shrink it. */
    for (i = 1; i <= 64; i++)
        assert_int_equal(evtchn_op_close(&env, d1, i), 0);
    assert_int_equal(d1->valid, 128);
    assert_int_equal(d1->nr_open, 0);
}

/* ---- interdomain ------------------------------------------------------------------------ */

static void test_bind_interdomain(void **state)
{
    struct evtchn_bind_interdomain op;
    struct evtchn_raised r;
    struct evtchn_status st;
    evtchn_port_t p1, p2;

    p1 = alloc_unbound(d1, DOMID_SELF, D2);
    op = (struct evtchn_bind_interdomain){ .remote_dom = D1, .remote_port = p1 };
    memset(&r, 0xAA, sizeof(r));
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, &r), 0);
    p2 = op.local_port;
    assert_int_equal(p2, 1);

    st = status_of(d1, DOMID_SELF, p1);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.u.interdomain.dom, D2);
    assert_int_equal(st.u.interdomain.port, p2);
    st = status_of(d2, DOMID_SELF, p2);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.u.interdomain.dom, D1);
    assert_int_equal(st.u.interdomain.port, p1);

    /* The new local port is raised at once (events sent while unbound were lost). */
    assert_ptr_equal(r.ed, d2);
    assert_int_equal(r.port, p2);
    assert_int_equal(r.vcpu, 0);
    assert_true(r.newly_pending);
    assert_true(r.kick);
    assert_true(pending(&si[2], p2));
    assert_int_equal(si[2].vcpu_info[0].evtchn_upcall_pending, 1);
    assert_int_equal(si[2].vcpu_info[0].evtchn_pending_sel, 1);
    assert_false(pending(&si[1], p1));
    assert_int_equal(d1->nr_open, 1);
    assert_int_equal(d2->nr_open, 1);
}

static void test_bind_interdomain_errors(void **state)
{
    struct evtchn_bind_interdomain op;
    evtchn_port_t for_d0, for_d2, ipi;

    for_d0 = alloc_unbound(d1, DOMID_SELF, D0);
    for_d2 = alloc_unbound(d1, DOMID_SELF, D2);
    ipi = bind_ipi(d1, 0);

    /* No such domain, reserved ids. */
    op = (struct evtchn_bind_interdomain){ .remote_dom = NOBODY, .remote_port = for_d2 };
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -ESRCH);
    op.remote_dom = DOMID_XEN;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -ESRCH);
    /* The remote port waits for someone else. */
    op = (struct evtchn_bind_interdomain){ .remote_dom = D1, .remote_port = for_d0 };
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    /* Not unbound: an IPI, a free port, port 0, beyond the valid buckets, beyond 4096. */
    op.remote_port = ipi;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    op.remote_port = 20;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    op.remote_port = 0;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    op.remote_port = 64;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    op.remote_port = 5000;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    op.remote_port = 0xFFFFFFFFu;
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    /* None of the failures left a port behind or touched the targets. */
    assert_int_equal(d2->nr_open, 0);
    assert_int_equal(d1->chan[for_d0].state, EVTCHN_UNBOUND);
    assert_int_equal(d1->chan[for_d2].state, EVTCHN_UNBOUND);

    /* Already connected: a second binder is refused. */
    bind_inter(d2, D1, for_d2);
    op = (struct evtchn_bind_interdomain){ .remote_dom = D1, .remote_port = for_d2 };
    assert_int_equal(evtchn_op_bind_interdomain(&env, d2, &op, NULL), -EINVAL);
    assert_int_equal(evtchn_op_bind_interdomain(&env, d0, &op, NULL), -EINVAL);
    assert_int_equal(d2->nr_open, 1);
    assert_int_equal(d0->nr_open, 0);
}

static void test_loopback(void **state)
{
    struct evtchn_target t;
    evtchn_port_t a, b;

    a = alloc_unbound(d1, DOMID_SELF, DOMID_SELF);
    b = bind_inter(d1, DOMID_SELF, a);
    assert_int_equal(a, 1);
    assert_int_equal(b, 2);
    assert_int_equal(d1->chan[a].remote_port, b);
    assert_int_equal(d1->chan[b].remote_port, a);

    assert_int_equal(evtchn_op_send(&env, d1, b, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_GUEST);
    assert_ptr_equal(t.ed, d1);
    assert_int_equal(t.port, a);

    /* Closing one end leaves the other waiting for this same domain. */
    assert_int_equal(evtchn_op_close(&env, d1, a), 0);
    assert_int_equal(d1->chan[b].state, EVTCHN_UNBOUND);
    assert_int_equal(d1->chan[b].remote_dom, D1);
    assert_int_equal(bind_inter(d1, DOMID_SELF, b), a);
}

static void test_close_interdomain(void **state)
{
    struct evtchn_status st;
    struct evtchn_target t;
    evtchn_port_t p1, p2;

    p1 = alloc_unbound(d1, DOMID_SELF, D2);
    p2 = bind_inter(d2, D1, p1);
    assert_int_equal(evtchn_op_bind_vcpu(d1, p1, 1), 0);
    set_mask(&si[1], p1);
    si[1].evtchn_pending[0] |= 1UL << p1;

    assert_int_equal(evtchn_op_close(&env, d1, p1), 0);
    /* Our end is free, its pending bit gone, the guest's mask bit untouched. */
    assert_int_equal(d1->chan[p1].state, EVTCHN_FREE);
    assert_int_equal(d1->chan[p1].vcpu, 0);
    assert_false(pending(&si[1], p1));
    assert_true(masked(&si[1], p1));
    assert_int_equal(status_of(d1, DOMID_SELF, p1).status, EVTCHNSTAT_closed);
    /* The peer is unbound, waiting for d1 again. */
    st = status_of(d2, DOMID_SELF, p2);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, D1);
    assert_int_equal(evtchn_op_send(&env, d2, p2, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_DROPPED);
    assert_int_equal(d1->nr_open, 0);
    assert_int_equal(d2->nr_open, 1);

    /* Double close. */
    assert_int_equal(evtchn_op_close(&env, d1, p1), -EINVAL);
    assert_int_equal(d1->nr_open, 0);

    /* d1 can reconnect to the waiting end; a re-used port notifies vCPU 0 again. */
    assert_int_equal(bind_inter(d1, D2, p2), p1);
    assert_int_equal(status_of(d1, DOMID_SELF, p1).vcpu, 0);
    assert_int_equal(status_of(d2, DOMID_SELF, p2).u.interdomain.port, p1);

    /* Closing the other end this time. */
    assert_int_equal(evtchn_op_close(&env, d2, p2), 0);
    st = status_of(d1, DOMID_SELF, p1);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, D2);
    assert_int_equal(evtchn_op_close(&env, d2, p2), -EINVAL);
    assert_int_equal(evtchn_op_close(&env, d1, p1), 0);
    assert_int_equal(evtchn_op_close(&env, d1, p1), -EINVAL);
}

/* ---- send ------------------------------------------------------------------------------ */

static void test_send(void **state)
{
    struct evtchn_target t;
    evtchn_port_t p1, p2, ipi, virq, unbound, xen;

    p1 = alloc_unbound(d1, DOMID_SELF, D2);
    p2 = bind_inter(d2, D1, p1);
    ipi = bind_ipi(d1, 1);
    virq = bind_virq(d1, VIRQ_TIMER, 0);
    unbound = alloc_unbound(d1, DOMID_SELF, D2);
    assert_int_equal(evtchn_bind_xen(d1, D0, 9, 3, &xen), 0);

    assert_int_equal(evtchn_op_send(&env, d1, p1, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_GUEST);
    assert_ptr_equal(t.ed, d2);
    assert_int_equal(t.port, p2);
    assert_int_equal(evtchn_op_send(&env, d2, p2, &t), 0);
    assert_ptr_equal(t.ed, d1);
    assert_int_equal(t.port, p1);

    assert_int_equal(evtchn_op_send(&env, d1, ipi, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_GUEST);
    assert_ptr_equal(t.ed, d1);
    assert_int_equal(t.port, ipi);

    assert_int_equal(evtchn_op_send(&env, d1, unbound, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_DROPPED);
    assert_null(t.ed);

    assert_int_equal(evtchn_op_send(&env, d1, xen, &t), 0);
    assert_int_equal(t.kind, EVTCHN_SEND_XEN);
    assert_ptr_equal(t.ed, d1);
    assert_int_equal(t.port, xen);
    assert_int_equal(t.consumer, 3);

    /* VIRQ, free, reserved, beyond valid, beyond the ABI. */
    t.kind = EVTCHN_SEND_GUEST;
    assert_int_equal(evtchn_op_send(&env, d1, virq, &t), -EINVAL);
    assert_int_equal(t.kind, EVTCHN_SEND_DROPPED);
    assert_int_equal(evtchn_op_send(&env, d1, 40, &t), -EINVAL);
    assert_int_equal(evtchn_op_send(&env, d1, 0, &t), -EINVAL);
    assert_int_equal(evtchn_op_send(&env, d1, 64, &t), -EINVAL);
    assert_int_equal(evtchn_op_send(&env, d1, 1u << 31, &t), -EINVAL);

    /* send itself raises nothing: the caller does. */
    assert_int_equal(si[1].evtchn_pending[0], 0);
    assert_int_equal(si[2].evtchn_pending[0], 1UL << p2);   /* from bind_interdomain */
}

/* ---- virq, ipi, bind_vcpu --------------------------------------------------------------- */

static void test_bind_virq(void **state)
{
    struct evtchn_bind_virq op;
    struct evtchn_status st;
    evtchn_port_t t0, t1, dbg;

    t0 = bind_virq(d1, VIRQ_TIMER, 0);
    t1 = bind_virq(d1, VIRQ_TIMER, 1);
    assert_int_not_equal(t0, t1);
    assert_int_equal(d1->virq_port[0][VIRQ_TIMER], t0);
    assert_int_equal(d1->virq_port[1][VIRQ_TIMER], t1);
    st = status_of(d1, DOMID_SELF, t1);
    assert_int_equal(st.status, EVTCHNSTAT_virq);
    assert_int_equal(st.u.virq, VIRQ_TIMER);
    assert_int_equal(st.vcpu, 1);

    /* One port per virq per vCPU. */
    op = (struct evtchn_bind_virq){ .virq = VIRQ_TIMER, .vcpu = 1, .port = 99 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EEXIST);
    assert_int_equal(op.port, 99);
    /* Global virqs only on vCPU 0. */
    op = (struct evtchn_bind_virq){ .virq = VIRQ_CONSOLE, .vcpu = 1 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EINVAL);
    op = (struct evtchn_bind_virq){ .virq = VIRQ_ARCH_0, .vcpu = 1 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EINVAL);
    /* Out of range virq, then no such vCPU (global check first, as Xen). */
    op = (struct evtchn_bind_virq){ .virq = NR_VIRQS, .vcpu = 0 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EINVAL);
    op = (struct evtchn_bind_virq){ .virq = 0xFFFFFFFFu, .vcpu = 0 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EINVAL);
    op = (struct evtchn_bind_virq){ .virq = VIRQ_DEBUG, .vcpu = 2 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -ENOENT);
    op = (struct evtchn_bind_virq){ .virq = VIRQ_CONSOLE, .vcpu = 2 };
    assert_int_equal(evtchn_op_bind_virq(d1, &op), -EINVAL);
    assert_int_equal(d1->nr_open, 2);

    /* Per-vCPU virqs are allowed on any vCPU; global ones on 0. */
    dbg = bind_virq(d1, VIRQ_CONSOLE, 0);
    assert_int_equal(d1->virq_port[0][VIRQ_CONSOLE], dbg);

    /* Close releases the virq slot of that vCPU only; it can be bound again. */
    assert_int_equal(evtchn_op_close(&env, d1, t1), 0);
    assert_int_equal(d1->virq_port[1][VIRQ_TIMER], 0);
    assert_int_equal(d1->virq_port[0][VIRQ_TIMER], t0);
    assert_int_equal(bind_virq(d1, VIRQ_TIMER, 1), t1);
}

static void test_bind_ipi(void **state)
{
    struct evtchn_bind_ipi op = { .vcpu = 2, .port = 5 };
    struct evtchn_status st;
    evtchn_port_t p;

    p = bind_ipi(d1, 1);
    st = status_of(d1, DOMID_SELF, p);
    assert_int_equal(st.status, EVTCHNSTAT_ipi);
    assert_int_equal(st.vcpu, 1);
    assert_int_equal(evtchn_op_bind_ipi(d1, &op), -ENOENT);
    op.vcpu = 0xFFFFFFFFu;
    assert_int_equal(evtchn_op_bind_ipi(d1, &op), -ENOENT);
    assert_int_equal(op.port, 5);
    assert_int_equal(d1->nr_open, 1);
}

static void test_bind_vcpu(void **state)
{
    evtchn_port_t unb, p1, p2, gvirq, pvirq, ipi, xen;
    struct evtchn_raised r;

    unb = alloc_unbound(d1, DOMID_SELF, D2);
    p2 = alloc_unbound(d2, DOMID_SELF, D1);
    p1 = bind_inter(d1, D2, p2);
    gvirq = bind_virq(d1, VIRQ_CONSOLE, 0);
    pvirq = bind_virq(d1, VIRQ_TIMER, 0);
    ipi = bind_ipi(d1, 0);
    assert_int_equal(evtchn_bind_xen(d1, D0, 1, 0, &xen), 0);

    assert_int_equal(evtchn_op_bind_vcpu(d1, unb, 1), 0);
    assert_int_equal(d1->chan[unb].vcpu, 1);
    assert_int_equal(evtchn_op_bind_vcpu(d1, p1, 1), 0);
    assert_int_equal(status_of(d1, DOMID_SELF, p1).vcpu, 1);
    assert_int_equal(evtchn_op_bind_vcpu(d1, xen, 1), 0);
    assert_int_equal(evtchn_op_bind_vcpu(d1, gvirq, 1), 0);
    assert_int_equal(d1->chan[gvirq].vcpu, 1);

    /* Fixed bindings and closed ports. */
    assert_int_equal(evtchn_op_bind_vcpu(d1, pvirq, 1), -EINVAL);
    assert_int_equal(evtchn_op_bind_vcpu(d1, ipi, 1), -EINVAL);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 50, 1), -EINVAL);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 0, 1), -EINVAL);
    assert_int_equal(d1->chan[pvirq].vcpu, 0);
    assert_int_equal(d1->chan[ipi].vcpu, 0);
    /* No such vCPU is checked before the port. */
    assert_int_equal(evtchn_op_bind_vcpu(d1, p1, 2), -ENOENT);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 5000, 2), -ENOENT);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 5000, 1), -EINVAL);
    assert_int_equal(d1->chan[p1].vcpu, 1);

    /* A re-bound global virq is delivered to its new vCPU (bind_interdomain raised p1
     * on vCPU 0 above: start from clean bitmaps). */
    memset(&si[1], 0, sizeof(si[1]));
    assert_int_equal(evtchn_raise_virq(d1, 0, VIRQ_CONSOLE, &r), 0);
    assert_int_equal(r.vcpu, 1);
    assert_true(r.kick);
    assert_int_equal(si[1].vcpu_info[1].evtchn_upcall_pending, 1);
    assert_int_equal(si[1].vcpu_info[0].evtchn_upcall_pending, 0);
    /* And the peer's send to p1 reaches vCPU 1 too. */
    memset(&si[1], 0, sizeof(si[1]));
    assert_int_equal(evtchn_raise(d1, p1, &r), 0);
    assert_int_equal(si[1].vcpu_info[1].evtchn_pending_sel, 1);
    assert_int_equal(si[1].vcpu_info[0].evtchn_pending_sel, 0);
}

/* ---- status ---------------------------------------------------------------------------- */

static void test_status_permissions(void **state)
{
    struct evtchn_status st;
    evtchn_port_t p;

    p = alloc_unbound(d2, DOMID_SELF, D1);
    /* Another domain's port: unprivileged refused, control domain allowed. */
    assert_int_equal(status_rc(d1, D2, p), -EPERM);
    st = status_of(d0, D2, p);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, D1);
    /* Error order: domain, then port, then permission. */
    assert_int_equal(status_rc(d1, NOBODY, p), -ESRCH);
    assert_int_equal(status_rc(d1, DOMID_IO, p), -ESRCH);
    assert_int_equal(status_rc(d1, D2, 64), -EINVAL);
    assert_int_equal(status_rc(d0, D2, 64), -EINVAL);

    /* The union is zeroed, not left with guest bytes. */
    st = (struct evtchn_status){ .dom = DOMID_SELF, .port = bind_ipi(d2, 0) };
    memset(&st.u, 0xEE, sizeof(st.u));
    assert_int_equal(evtchn_op_status(&env, d2, &st), 0);
    assert_int_equal(st.status, EVTCHNSTAT_ipi);
    assert_int_equal(st.u.interdomain.dom, 0);
    assert_int_equal(st.u.interdomain.port, 0);
}

static void test_xen_port(void **state)
{
    struct evtchn_status st;
    evtchn_port_t p;

    assert_int_equal(evtchn_bind_xen(d1, D0, 12, 2, &p), 0);
    st = status_of(d1, DOMID_SELF, p);
    assert_int_equal(st.status, EVTCHNSTAT_interdomain);
    assert_int_equal(st.u.interdomain.dom, D0);
    assert_int_equal(st.u.interdomain.port, 12);
    assert_int_equal(evtchn_bind_xen(d1, D0, NR_EVTCHN_PORTS, 2, &p), -EINVAL);
    assert_int_equal(evtchn_bind_xen(d1, D0, 1, 256, &p), -EINVAL);
    /* The backend raises it like any port; the guest may close it. */
    assert_int_equal(evtchn_raise(d1, p, NULL), 0);
    assert_true(pending(&si[1], p));
    assert_int_equal(evtchn_op_close(&env, d1, p), 0);
    assert_false(pending(&si[1], p));
    assert_int_equal(evtchn_raise(d1, p, NULL), -EINVAL);
    assert_int_equal(d1->nr_open, 0);
}

/* ---- raising events on the bitmaps ------------------------------------------------------ */

static void test_raise_unmasked(void **state)
{
    struct vcpu_info *v0 = &si[1].vcpu_info[0], *v1 = &si[1].vcpu_info[1];
    struct evtchn_raised r;
    evtchn_port_t p = bind_ipi(d1, 0);

    assert_int_equal(evtchn_raise(d1, p, &r), 0);
    assert_ptr_equal(r.ed, d1);
    assert_int_equal(r.port, p);
    assert_int_equal(r.vcpu, 0);
    assert_true(r.newly_pending);
    assert_true(r.kick);
    assert_true(pending(&si[1], p));
    assert_int_equal(v0->evtchn_pending_sel, 1UL << 0);
    assert_int_equal(v0->evtchn_upcall_pending, 1);
    assert_int_equal(v1->evtchn_pending_sel, 0);
    assert_int_equal(v1->evtchn_upcall_pending, 0);

    /* Already pending: nothing new, no kick. */
    v0->evtchn_pending_sel = 0;
    v0->evtchn_upcall_pending = 0;
    assert_int_equal(evtchn_raise(d1, p, &r), 0);
    assert_false(r.newly_pending);
    assert_false(r.kick);
    assert_int_equal(v0->evtchn_pending_sel, 0);
    assert_int_equal(v0->evtchn_upcall_pending, 0);
}

static void test_raise_masked_then_unmask(void **state)
{
    struct vcpu_info *v0 = &si[1].vcpu_info[0];
    struct evtchn_raised r;
    evtchn_port_t p = bind_ipi(d1, 0);

    set_mask(&si[1], p);
    assert_int_equal(evtchn_raise(d1, p, &r), 0);
    assert_true(r.newly_pending);       /* pollers still wake */
    assert_false(r.kick);
    assert_true(pending(&si[1], p));
    assert_int_equal(v0->evtchn_pending_sel, 0);
    assert_int_equal(v0->evtchn_upcall_pending, 0);

    /* Unmask re-delivers the pending event. */
    assert_int_equal(evtchn_op_unmask(d1, p, &r), 0);
    assert_false(masked(&si[1], p));
    assert_true(r.kick);
    assert_int_equal(r.vcpu, 0);
    assert_int_equal(v0->evtchn_pending_sel, 1);
    assert_int_equal(v0->evtchn_upcall_pending, 1);

    /* Unmasking a port that was not masked delivers nothing (Xen needs the 1 -> 0). */
    v0->evtchn_pending_sel = 0;
    v0->evtchn_upcall_pending = 0;
    assert_int_equal(evtchn_op_unmask(d1, p, &r), 0);
    assert_false(r.kick);
    assert_int_equal(v0->evtchn_pending_sel, 0);
    assert_int_equal(v0->evtchn_upcall_pending, 0);

    /* Masked but not pending: unmask clears the mask only. */
    si[1].evtchn_pending[0] = 0;
    set_mask(&si[1], p);
    assert_int_equal(evtchn_op_unmask(d1, p, &r), 0);
    assert_false(masked(&si[1], p));
    assert_false(r.kick);
    assert_int_equal(v0->evtchn_pending_sel, 0);

    /* Unmask works on any valid port (even free) and refuses others. */
    set_mask(&si[1], 63);
    assert_int_equal(evtchn_op_unmask(d1, 63, NULL), 0);
    assert_false(masked(&si[1], 63));
    assert_int_equal(evtchn_op_unmask(d1, 64, NULL), -EINVAL);
    assert_int_equal(evtchn_op_unmask(d1, NR_EVTCHN_PORTS, NULL), -EINVAL);
}

static void test_raise_selector_rules(void **state)
{
    struct vcpu_info *v0 = &si[1].vcpu_info[0];
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    struct evtchn_raised r;
    unsigned i;

    /* Ports 1..130, all notifying vCPU 0. */
    for (i = 1; i <= 130; i++)
        assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), 0);

    /* Selector already set for word 0 (the guest has not scanned yet), upcall cleared:
     * a new port in that word sets no new selector bit, so no upcall and no kick. */
    v0->evtchn_pending_sel = 1;
    assert_int_equal(evtchn_raise(d1, 5, &r), 0);
    assert_true(r.newly_pending);
    assert_false(r.kick);
    assert_int_equal(v0->evtchn_upcall_pending, 0);

    /* Upcall already pending, selector clear for word 2: selector set, no kick. */
    v0->evtchn_upcall_pending = 1;
    assert_int_equal(evtchn_raise(d1, 130, &r), 0);
    assert_int_equal(v0->evtchn_pending_sel, (1UL << 0) | (1UL << 2));
    assert_false(r.kick);
    assert_true(pending(&si[1], 130));
    assert_int_equal(si[1].evtchn_pending[2], 1UL << 2);

    /* Both clear, word 1: both set and a kick. */
    v0->evtchn_upcall_pending = 0;
    assert_int_equal(evtchn_raise(d1, 64, &r), 0);
    assert_true(r.kick);
    assert_int_equal(v0->evtchn_pending_sel, 0x7UL);
    assert_int_equal(v0->evtchn_upcall_pending, 1);

    /* Guest bits outside bit 0 of upcall_pending are not mistaken for it. */
    v0->evtchn_upcall_pending = 2;
    v0->evtchn_pending_sel = 0;
    assert_int_equal(evtchn_raise(d1, 65, &r), 0);
    assert_true(r.kick);
    assert_int_equal(v0->evtchn_upcall_pending, 3);

    /* Closed and out of range ports raise nothing. */
    memset(&si[1], 0, sizeof(si[1]));
    assert_int_equal(evtchn_raise(d1, 131, &r), -EINVAL);
    assert_int_equal(evtchn_raise(d1, 0, &r), -EINVAL);
    assert_int_equal(evtchn_raise(d1, 4096, &r), -EINVAL);
    assert_int_equal(si[1].evtchn_pending[2], 0);
    assert_int_equal(v0->evtchn_pending_sel, 0);
}

static void test_raise_virq(void **state)
{
    struct evtchn_raised r;
    evtchn_port_t t1;

    assert_int_equal(evtchn_raise_virq(d1, 0, VIRQ_TIMER, &r), -ENOENT);
    t1 = bind_virq(d1, VIRQ_TIMER, 1);
    assert_int_equal(evtchn_raise_virq(d1, 0, VIRQ_TIMER, &r), -ENOENT);
    assert_int_equal(evtchn_raise_virq(d1, 1, VIRQ_TIMER, &r), 0);
    assert_int_equal(r.port, t1);
    assert_int_equal(r.vcpu, 1);
    assert_true(r.kick);
    assert_int_equal(si[1].vcpu_info[1].evtchn_upcall_pending, 1);
    assert_int_equal(si[1].vcpu_info[0].evtchn_upcall_pending, 0);
    assert_int_equal(evtchn_raise_virq(d1, 2, VIRQ_TIMER, &r), -EINVAL);
    assert_int_equal(evtchn_raise_virq(d1, 0, NR_VIRQS, &r), -EINVAL);
    /* After close nothing is bound any more. */
    assert_int_equal(evtchn_op_close(&env, d1, t1), 0);
    assert_int_equal(evtchn_raise_virq(d1, 1, VIRQ_TIMER, &r), -ENOENT);
}

static void test_vcpu_info_moved(void **state)
{
    struct evtchn_raised r;
    evtchn_port_t p = bind_ipi(d1, 1);

    assert_true(evtchn_vcpu_info_moved(d1, 1, &moved_vi));
    assert_ptr_equal(d1->vcpu_info[1], &moved_vi);
    assert_int_equal(moved_vi.evtchn_pending_sel, ~0UL);
    assert_int_equal(moved_vi.evtchn_upcall_pending, 1);
    /* Already pending: no second kick. */
    assert_false(evtchn_vcpu_info_moved(d1, 1, &moved_vi));
    assert_false(evtchn_vcpu_info_moved(d1, 2, &moved_vi));
    assert_false(evtchn_vcpu_info_moved(d1, 0, NULL));
    assert_ptr_equal(d1->vcpu_info[0], &si[1].vcpu_info[0]);

    /* Raises now land in the new area, not the old slot. */
    moved_vi.evtchn_pending_sel = 0;
    moved_vi.evtchn_upcall_pending = 0;
    assert_int_equal(evtchn_raise(d1, p, &r), 0);
    assert_true(r.kick);
    assert_int_equal(moved_vi.evtchn_pending_sel, 1);
    assert_int_equal(moved_vi.evtchn_upcall_pending, 1);
    assert_int_equal(si[1].vcpu_info[1].evtchn_pending_sel, 0);
}

/* ---- scans ------------------------------------------------------------------------------ */

static void test_first_pending(void **state)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    unsigned i;

    for (i = 1; i <= 200; i++)
        assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), 0);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 70, 1), 0);
    assert_int_equal(evtchn_op_bind_vcpu(d1, 3, 1), 0);

    assert_int_equal(evtchn_first_pending(d1, 0), 0);
    assert_int_equal(evtchn_raise(d1, 150, NULL), 0);
    assert_int_equal(evtchn_raise(d1, 70, NULL), 0);
    assert_int_equal(evtchn_first_pending(d1, 0), 150);
    assert_int_equal(evtchn_first_pending(d1, 1), 70);
    assert_int_equal(evtchn_raise(d1, 3, NULL), 0);
    assert_int_equal(evtchn_first_pending(d1, 1), 3);
    /* Masked ports are skipped. */
    set_mask(&si[1], 3);
    assert_int_equal(evtchn_first_pending(d1, 1), 70);
    set_mask(&si[1], 70);
    assert_int_equal(evtchn_first_pending(d1, 1), 0);
    /* A pending bit the guest set on a free port (201) is nobody's event. */
    si[1].evtchn_pending[201 / 64] |= 1UL << (201 % 64);
    assert_int_equal(evtchn_first_pending(d1, 0), 150);
    assert_int_equal(evtchn_op_close(&env, d1, 150), 0);
    assert_int_equal(evtchn_first_pending(d1, 0), 0);
    assert_int_equal(evtchn_first_pending(d1, 5), 0);
}

static void test_is_pending(void **state)
{
    evtchn_port_t p = bind_ipi(d1, 0);

    assert_int_equal(evtchn_is_pending(d1, p), 0);
    assert_int_equal(evtchn_raise(d1, p, NULL), 0);
    assert_int_equal(evtchn_is_pending(d1, p), 1);
    set_mask(&si[1], p);
    assert_int_equal(evtchn_is_pending(d1, p), 1);
    assert_int_equal(evtchn_is_pending(d1, 4095), 0);
    assert_int_equal(evtchn_is_pending(d1, 4096), -EINVAL);
    assert_int_equal(evtchn_is_pending(d1, 0xFFFFFFFFu), -EINVAL);
}

/* ---- teardown --------------------------------------------------------------------------- */

static void test_destroy(void **state)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = D2 };
    struct evtchn_status st;
    evtchn_port_t p1, p2, q2;

    p1 = alloc_unbound(d1, DOMID_SELF, D2);
    p2 = bind_inter(d2, D1, p1);
    q2 = alloc_unbound(d2, DOMID_SELF, D1);
    bind_virq(d1, VIRQ_TIMER, 1);
    bind_ipi(d1, 0);
    alloc_unbound(d1, DOMID_SELF, D0);
    assert_int_equal(evtchn_raise(d1, p1, NULL), 0);

    evtchn_domain_destroy(&env, d1);
    assert_int_equal(d1->nr_open, 0);
    assert_true(d1->dying);
    assert_int_equal(d1->virq_port[1][VIRQ_TIMER], 0);
    assert_int_equal(si[1].evtchn_pending[0], 0);
    st = status_of(d2, DOMID_SELF, p2);
    assert_int_equal(st.status, EVTCHNSTAT_unbound);
    assert_int_equal(st.u.unbound.dom, D1);
    assert_int_equal(d2->chan[q2].state, EVTCHN_UNBOUND);
    /* A dying domain gets no new ports. */
    assert_int_equal(evtchn_op_alloc_unbound(&env, d1, &op), -EINVAL);
    assert_int_equal(d1->nr_open, 0);
}

static void test_reset(void **state)
{
    alloc_unbound(d1, DOMID_SELF, D2);
    bind_ipi(d1, 0);
    alloc_unbound(d2, DOMID_SELF, D1);

    assert_int_equal(evtchn_op_reset(&env, d1, D2), -EPERM);
    assert_int_equal(d2->nr_open, 1);
    assert_int_equal(evtchn_op_reset(&env, d1, NOBODY), -ESRCH);
    assert_int_equal(evtchn_op_reset(&env, d1, DOMID_SELF), 0);
    assert_int_equal(d1->nr_open, 0);
    assert_false(d1->dying);
    assert_int_equal(alloc_unbound(d1, DOMID_SELF, D2), 1);
    assert_int_equal(evtchn_op_reset(&env, d0, D2), 0);
    assert_int_equal(d2->nr_open, 0);
}

/* ---- the auditor ------------------------------------------------------------------------ */

static void expect_audit_failure(const struct evtchn_domain *ed)
{
    const char *why = NULL;

    assert_int_equal(evtchn_audit(&env, ed, &why), -EINVAL);
    assert_non_null(why);
}

static void test_audit(void **state)
{
    const char *why = "unset";
    evtchn_port_t p1, p2, t;

    p1 = alloc_unbound(d1, DOMID_SELF, D2);
    p2 = bind_inter(d2, D1, p1);
    t = bind_virq(d1, VIRQ_TIMER, 1);
    assert_int_equal(evtchn_audit(&env, d1, &why), 0);
    assert_null(why);

    /* Each corruption is caught, then repaired. */
    d2->chan[p2].remote_port = 9;
    expect_audit_failure(d1);
    expect_audit_failure(d2);
    d2->chan[p2].remote_port = (uint16_t)p1;

    d1->virq_port[1][VIRQ_TIMER] = 0;
    expect_audit_failure(d1);
    d1->virq_port[1][VIRQ_TIMER] = (uint16_t)t;

    d1->virq_port[0][VIRQ_DEBUG] = (uint16_t)t;
    expect_audit_failure(d1);
    d1->virq_port[0][VIRQ_DEBUG] = 0;

    d1->nr_open++;
    expect_audit_failure(d1);
    d1->nr_open--;

    d1->chan[t].vcpu = 2;
    expect_audit_failure(d1);
    d1->chan[t].vcpu = 1;

    d1->chan[100].state = EVTCHN_IPI;
    expect_audit_failure(d1);
    d1->chan[100].state = EVTCHN_FREE;

    d1->chan[0].state = EVTCHN_FREE;
    expect_audit_failure(d1);
    d1->chan[0].state = EVTCHN_RESERVED;

    assert_int_equal(evtchn_audit(&env, d1, NULL), 0);
    assert_int_equal(evtchn_audit(&env, d2, NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
        T(test_init),
        T(test_alloc_unbound),
        T(test_port_exhaustion),
        T(test_max_port_limit),
        T(test_valid_buckets),
        T(test_bind_interdomain),
        T(test_bind_interdomain_errors),
        T(test_loopback),
        T(test_close_interdomain),
        T(test_send),
        T(test_bind_virq),
        T(test_bind_ipi),
        T(test_bind_vcpu),
        T(test_status_permissions),
        T(test_xen_port),
        T(test_raise_unmasked),
        T(test_raise_masked_then_unmask),
        T(test_raise_selector_rules),
        T(test_raise_virq),
        T(test_vcpu_info_moved),
        T(test_first_pending),
        T(test_is_pending),
        T(test_destroy),
        T(test_reset),
        T(test_audit),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
