/*
 * Event channels, 2-level ABI: port allocation and state changes for the EVTCHNOP_*
 * sub-ops, and the raise/unmask rules on the shared_info bitmaps, touched only with
 * atomic operations because the guest writes them at the same time. Pure logic; the
 * contract is include/event/evtchn.h.
 */
#include "xen-public.h"
#include "errno.h"
#include "lib.h"
#include "event/evtchn.h"

#define WORD_OF(port) ((port) / EVTCHN_WORD_BITS)
#define BIT_OF(port)  ((xen_ulong_t)1 << ((port) % EVTCHN_WORD_BITS))

/* ---- atomic bit operations on guest memory ---------------------------------------- */

static bool test_and_set(xen_ulong_t *word, xen_ulong_t bit)
{
    return (__atomic_fetch_or(word, bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

static bool test_and_clear(xen_ulong_t *word, xen_ulong_t bit)
{
    return (__atomic_fetch_and(word, ~bit, __ATOMIC_SEQ_CST) & bit) != 0;
}

static bool test_bit(const xen_ulong_t *word, xen_ulong_t bit)
{
    return (__atomic_load_n(word, __ATOMIC_SEQ_CST) & bit) != 0;
}

/* Bit 0 of evtchn_upcall_pending, as the ABI defines it: true if it was already set. */
static bool upcall_test_and_set(struct vcpu_info *vi)
{
    return (__atomic_fetch_or(&vi->evtchn_upcall_pending, 1, __ATOMIC_SEQ_CST) & 1) != 0;
}

/* ---- helpers ---------------------------------------------------------------------- */

static bool port_valid(const struct evtchn_domain *ed, evtchn_port_t port)
{
    return port < ed->valid;
}

static bool state_open(uint8_t state)
{
    return state != EVTCHN_FREE && state != EVTCHN_RESERVED;
}

bool evtchn_virq_is_global(uint32_t virq)
{
    switch (virq) {
    case VIRQ_TIMER:
    case VIRQ_DEBUG:
    case VIRQ_XENOPROF:
    case VIRQ_XENPMU:
        return false;
    default:
        return true;    /* the rest, VIRQ_ARCH_* included, are global on x86 */
    }
}

/* The domain a guest names: DOMID_SELF or its own id is ed; a reserved id is nobody. */
static struct evtchn_domain *resolve(const struct evtchn_env *env, struct evtchn_domain *ed,
                                     domid_t dom)
{
    if (dom == DOMID_SELF || dom == ed->id)
        return ed;
    if (dom >= DOMID_FIRST_RESERVED)
        return NULL;
    return env->domain(dom);
}

/* The lowest free port, growing 'valid' by one bucket when needed. */
static int get_free_port(struct evtchn_domain *ed)
{
    uint32_t port;

    if (ed->dying)
        return -EINVAL;
    for (port = 1; port < NR_EVTCHN_PORTS; port++) {
        if (port > ed->max_port)
            return -ENOSPC;
        if (port >= ed->valid) {
            ed->valid += EVTCHN_BUCKET_PORTS;   /* the new bucket is all free */
            return (int)port;
        }
        if (ed->chan[port].state == EVTCHN_FREE)
            return (int)port;
    }
    return -ENOSPC;
}

/* Make a free port open in 'state' (the caller fills the rest of the channel). */
static struct evtchn_chan *open_port(struct evtchn_domain *ed, uint32_t port, uint8_t state,
                                     uint32_t vcpu)
{
    struct evtchn_chan *c = &ed->chan[port];

    *c = (struct evtchn_chan){ .state = state, .vcpu = (uint16_t)vcpu };
    ed->nr_open++;
    return c;
}

/* A port becomes free: its pending bit goes (so a re-bind starts clean), it notifies
 * vCPU 0 again. */
static void free_port(struct evtchn_domain *ed, uint32_t port)
{
    test_and_clear(&ed->shared_info->evtchn_pending[WORD_OF(port)], BIT_OF(port));
    ed->chan[port] = (struct evtchn_chan){ .state = EVTCHN_FREE };
    ed->nr_open--;
}

/* Deliver a pending, unmasked port to vcpu: selector bit, then upcall_pending. */
static void mark_selector(struct evtchn_domain *ed, uint32_t port, uint32_t vcpu,
                          struct evtchn_raised *r)
{
    struct vcpu_info *vi = vcpu < ed->nr_vcpus ? ed->vcpu_info[vcpu] : NULL;

    if (!vi)
        return;
    if (test_and_set(&vi->evtchn_pending_sel, (xen_ulong_t)1 << WORD_OF(port)))
        return;
    if (!upcall_test_and_set(vi))
        r->kick = true;
}

static void raised_init(struct evtchn_raised *r, struct evtchn_domain *ed, uint32_t port,
                        uint32_t vcpu)
{
    *r = (struct evtchn_raised){ .ed = ed, .port = port, .vcpu = vcpu };
}

static void set_pending(struct evtchn_domain *ed, uint32_t port, struct evtchn_raised *r)
{
    struct shared_info *si = ed->shared_info;
    uint32_t vcpu = ed->chan[port].vcpu;

    raised_init(r, ed, port, vcpu);
    if (test_and_set(&si->evtchn_pending[WORD_OF(port)], BIT_OF(port)))
        return;
    r->newly_pending = true;
    if (!test_bit(&si->evtchn_mask[WORD_OF(port)], BIT_OF(port)))
        mark_selector(ed, port, vcpu, r);
}

/* ---- set-up and teardown ---------------------------------------------------------- */

int evtchn_domain_init(struct evtchn_domain *ed, domid_t id, bool privileged,
                       uint32_t nr_vcpus, uint32_t max_port, struct shared_info *si)
{
    uint32_t v;

    if (!si || nr_vcpus == 0 || nr_vcpus > EVTCHN_MAX_VCPUS || max_port == 0)
        return -EINVAL;
    memset(ed, 0, sizeof(*ed));
    ed->id = id;
    ed->privileged = privileged;
    ed->nr_vcpus = nr_vcpus;
    ed->max_port = max_port < NR_EVTCHN_PORTS ? max_port : NR_EVTCHN_PORTS - 1;
    ed->valid = EVTCHN_BUCKET_PORTS;
    ed->shared_info = si;
    for (v = 0; v < nr_vcpus; v++)
        ed->vcpu_info[v] = &si->vcpu_info[v];
    ed->chan[0].state = EVTCHN_RESERVED;
    return 0;
}

bool evtchn_vcpu_info_moved(struct evtchn_domain *ed, uint32_t vcpu, struct vcpu_info *vi)
{
    if (vcpu >= ed->nr_vcpus || !vi)
        return false;
    ed->vcpu_info[vcpu] = vi;
    __atomic_fetch_or(&vi->evtchn_pending_sel, ~(xen_ulong_t)0, __ATOMIC_SEQ_CST);
    return !upcall_test_and_set(vi);
}

/* Close an open port (the caller has checked it is valid). */
static void close_port(const struct evtchn_env *env, struct evtchn_domain *ed, uint32_t port)
{
    struct evtchn_chan *c = &ed->chan[port];
    uint32_t v;

    switch (c->state) {
    case EVTCHN_VIRQ:
        for (v = 0; v < ed->nr_vcpus; v++)
            if (ed->virq_port[v][c->tag] == port)
                ed->virq_port[v][c->tag] = 0;
        break;
    case EVTCHN_INTERDOMAIN: {
        struct evtchn_domain *peer = resolve(env, ed, c->remote_dom);

        /* The peer's end waits for us again. Checked, though the table guarantees it. */
        if (peer && c->remote_port < peer->valid) {
            struct evtchn_chan *pc = &peer->chan[c->remote_port];

            if (pc->state == EVTCHN_INTERDOMAIN && pc->remote_dom == ed->id &&
                pc->remote_port == port) {
                pc->state = EVTCHN_UNBOUND;
                pc->remote_port = 0;
            }
        }
        break;
    }
    default:
        break;
    }
    free_port(ed, port);
}

static void close_all(const struct evtchn_env *env, struct evtchn_domain *ed)
{
    uint32_t port;

    for (port = 1; port < ed->valid; port++)
        if (state_open(ed->chan[port].state))
            close_port(env, ed, port);
}

void evtchn_domain_destroy(const struct evtchn_env *env, struct evtchn_domain *ed)
{
    ed->dying = true;
    close_all(env, ed);
}

/* ---- EVTCHNOP_* --------------------------------------------------------------------- */

int evtchn_op_alloc_unbound(const struct evtchn_env *env, struct evtchn_domain *ed,
                            struct evtchn_alloc_unbound *op)
{
    struct evtchn_domain *d = resolve(env, ed, op->dom);
    struct evtchn_chan *c;
    int port;

    if (!d)
        return -ESRCH;
    port = get_free_port(d);           /* Xen allocates before its permission check */
    if (port < 0)
        return port;
    if (d != ed && !ed->privileged)
        return -EPERM;
    c = open_port(d, (uint32_t)port, EVTCHN_UNBOUND, 0);
    c->remote_dom = op->remote_dom == DOMID_SELF ? ed->id : op->remote_dom;
    op->port = (evtchn_port_t)port;
    return 0;
}

int evtchn_op_bind_interdomain(const struct evtchn_env *env, struct evtchn_domain *ed,
                               struct evtchn_bind_interdomain *op,
                               struct evtchn_raised *raised)
{
    struct evtchn_domain *rd = resolve(env, ed, op->remote_dom);
    evtchn_port_t rport = op->remote_port;
    struct evtchn_chan *lc, *rc;
    struct evtchn_raised r;
    int lport;

    if (!rd)
        return -ESRCH;
    lport = get_free_port(ed);
    if (lport < 0)
        return lport;
    if (!port_valid(rd, rport))
        return -EINVAL;
    rc = &rd->chan[rport];
    if (rc->state != EVTCHN_UNBOUND || rc->remote_dom != ed->id)
        return -EINVAL;

    lc = open_port(ed, (uint32_t)lport, EVTCHN_INTERDOMAIN, 0);
    lc->remote_dom = rd->id;
    lc->remote_port = (uint16_t)rport;
    rc->state = EVTCHN_INTERDOMAIN;     /* keeps the vCPU it notifies */
    rc->remote_port = (uint16_t)lport;

    set_pending(ed, (uint32_t)lport, &r);
    if (raised)
        *raised = r;
    op->local_port = (evtchn_port_t)lport;
    return 0;
}

int evtchn_op_bind_virq(struct evtchn_domain *ed, struct evtchn_bind_virq *op)
{
    uint32_t virq = op->virq, vcpu = op->vcpu;
    struct evtchn_chan *c;
    int port;

    if (virq >= NR_VIRQS)
        return -EINVAL;
    if (evtchn_virq_is_global(virq) && vcpu != 0)
        return -EINVAL;
    if (vcpu >= ed->nr_vcpus)
        return -ENOENT;
    if (ed->virq_port[vcpu][virq] != 0)
        return -EEXIST;
    port = get_free_port(ed);
    if (port < 0)
        return port;
    c = open_port(ed, (uint32_t)port, EVTCHN_VIRQ, vcpu);
    c->tag = (uint8_t)virq;
    ed->virq_port[vcpu][virq] = (uint16_t)port;
    op->port = (evtchn_port_t)port;
    return 0;
}

int evtchn_op_bind_ipi(struct evtchn_domain *ed, struct evtchn_bind_ipi *op)
{
    int port;

    if (op->vcpu >= ed->nr_vcpus)
        return -ENOENT;
    port = get_free_port(ed);
    if (port < 0)
        return port;
    open_port(ed, (uint32_t)port, EVTCHN_IPI, op->vcpu);
    op->port = (evtchn_port_t)port;
    return 0;
}

int evtchn_op_close(const struct evtchn_env *env, struct evtchn_domain *ed,
                    evtchn_port_t port)
{
    if (!port_valid(ed, port) || !state_open(ed->chan[port].state))
        return -EINVAL;
    close_port(env, ed, port);
    return 0;
}

int evtchn_op_send(const struct evtchn_env *env, struct evtchn_domain *ed,
                   evtchn_port_t port, struct evtchn_target *t)
{
    const struct evtchn_chan *c;

    *t = (struct evtchn_target){ .kind = EVTCHN_SEND_DROPPED };
    if (!port_valid(ed, port))
        return -EINVAL;
    c = &ed->chan[port];
    switch (c->state) {
    case EVTCHN_INTERDOMAIN: {
        struct evtchn_domain *rd = resolve(env, ed, c->remote_dom);

        /* A peer that does not point back cannot happen (close and destroy unpair
         * both ends); should it, the event is dropped rather than misdelivered. */
        if (rd && c->remote_port < rd->valid &&
            rd->chan[c->remote_port].state == EVTCHN_INTERDOMAIN &&
            rd->chan[c->remote_port].remote_dom == ed->id &&
            rd->chan[c->remote_port].remote_port == port)
            *t = (struct evtchn_target){ .kind = EVTCHN_SEND_GUEST, .ed = rd,
                                         .port = c->remote_port };
        return 0;
    }
    case EVTCHN_IPI:
        *t = (struct evtchn_target){ .kind = EVTCHN_SEND_GUEST, .ed = ed, .port = port };
        return 0;
    case EVTCHN_XEN:
        *t = (struct evtchn_target){ .kind = EVTCHN_SEND_XEN, .ed = ed, .port = port,
                                     .consumer = c->tag };
        return 0;
    case EVTCHN_UNBOUND:
        return 0;                       /* silently dropped, as Xen does */
    default:
        return -EINVAL;                 /* free, reserved, VIRQ */
    }
}

int evtchn_op_status(const struct evtchn_env *env, struct evtchn_domain *ed,
                     struct evtchn_status *op)
{
    struct evtchn_domain *d = resolve(env, ed, op->dom);
    const struct evtchn_chan *c;

    if (!d)
        return -ESRCH;
    if (!port_valid(d, op->port))
        return -EINVAL;
    if (d != ed && !ed->privileged)
        return -EPERM;
    c = &d->chan[op->port];
    memset(&op->u, 0, sizeof(op->u));
    switch (c->state) {
    case EVTCHN_UNBOUND:
        op->status = EVTCHNSTAT_unbound;
        op->u.unbound.dom = c->remote_dom;
        break;
    case EVTCHN_INTERDOMAIN:
    case EVTCHN_XEN:
        op->status = EVTCHNSTAT_interdomain;
        op->u.interdomain.dom = c->remote_dom;
        op->u.interdomain.port = c->remote_port;
        break;
    case EVTCHN_VIRQ:
        op->status = EVTCHNSTAT_virq;
        op->u.virq = c->tag;
        break;
    case EVTCHN_IPI:
        op->status = EVTCHNSTAT_ipi;
        break;
    default:
        op->status = EVTCHNSTAT_closed;
        break;
    }
    op->vcpu = c->vcpu;
    return 0;
}

int evtchn_op_bind_vcpu(struct evtchn_domain *ed, evtchn_port_t port, uint32_t vcpu)
{
    struct evtchn_chan *c;

    if (vcpu >= ed->nr_vcpus)
        return -ENOENT;
    if (!port_valid(ed, port))
        return -EINVAL;
    c = &ed->chan[port];
    switch (c->state) {
    case EVTCHN_VIRQ:
        if (!evtchn_virq_is_global(c->tag))
            return -EINVAL;
        break;
    case EVTCHN_UNBOUND:
    case EVTCHN_INTERDOMAIN:
    case EVTCHN_XEN:
        break;
    default:
        return -EINVAL;
    }
    c->vcpu = (uint16_t)vcpu;
    return 0;
}

int evtchn_op_unmask(struct evtchn_domain *ed, evtchn_port_t port,
                     struct evtchn_raised *raised)
{
    struct shared_info *si = ed->shared_info;
    struct evtchn_raised r;

    if (!port_valid(ed, port))
        return -EINVAL;
    raised_init(&r, ed, port, ed->chan[port].vcpu);
    if (test_and_clear(&si->evtchn_mask[WORD_OF(port)], BIT_OF(port)) &&
        test_bit(&si->evtchn_pending[WORD_OF(port)], BIT_OF(port)))
        mark_selector(ed, port, r.vcpu, &r);
    if (raised)
        *raised = r;
    return 0;
}

int evtchn_op_reset(const struct evtchn_env *env, struct evtchn_domain *ed, domid_t dom)
{
    struct evtchn_domain *d = resolve(env, ed, dom);

    if (!d)
        return -ESRCH;
    if (d != ed && !ed->privileged)
        return -EPERM;
    close_all(env, d);
    return 0;
}

/* ---- used by the hypervisor itself -------------------------------------------------- */

int evtchn_bind_xen(struct evtchn_domain *ed, domid_t shown_dom, evtchn_port_t shown_port,
                    uint32_t consumer, evtchn_port_t *port)
{
    struct evtchn_chan *c;
    int p;

    if (shown_port >= NR_EVTCHN_PORTS || consumer > 0xFF)
        return -EINVAL;
    p = get_free_port(ed);
    if (p < 0)
        return p;
    c = open_port(ed, (uint32_t)p, EVTCHN_XEN, 0);
    c->remote_dom = shown_dom;
    c->remote_port = (uint16_t)shown_port;
    c->tag = (uint8_t)consumer;
    *port = (evtchn_port_t)p;
    return 0;
}

int evtchn_raise(struct evtchn_domain *ed, evtchn_port_t port, struct evtchn_raised *raised)
{
    struct evtchn_raised r;

    if (!port_valid(ed, port) || !state_open(ed->chan[port].state))
        return -EINVAL;
    set_pending(ed, port, &r);
    if (raised)
        *raised = r;
    return 0;
}

int evtchn_raise_virq(struct evtchn_domain *ed, uint32_t vcpu, uint32_t virq,
                      struct evtchn_raised *raised)
{
    uint32_t row = vcpu;
    uint16_t port;

    if (virq >= NR_VIRQS)
        return -EINVAL;
    if (evtchn_virq_is_global(virq))
        row = 0;
    else if (vcpu >= ed->nr_vcpus)
        return -EINVAL;
    port = ed->virq_port[row][virq];
    if (port == 0)
        return -ENOENT;
    return evtchn_raise(ed, port, raised);
}

int evtchn_is_pending(const struct evtchn_domain *ed, evtchn_port_t port)
{
    if (port >= NR_EVTCHN_PORTS)
        return -EINVAL;
    return test_bit(&ed->shared_info->evtchn_pending[WORD_OF(port)], BIT_OF(port));
}

evtchn_port_t evtchn_first_pending(const struct evtchn_domain *ed, uint32_t vcpu)
{
    const struct shared_info *si = ed->shared_info;
    uint32_t w, words = ed->valid / EVTCHN_WORD_BITS;

    for (w = 0; w < words; w++) {
        xen_ulong_t bits = __atomic_load_n(&si->evtchn_pending[w], __ATOMIC_SEQ_CST) &
                           ~__atomic_load_n(&si->evtchn_mask[w], __ATOMIC_SEQ_CST);

        while (bits) {
            uint32_t port = w * EVTCHN_WORD_BITS + (uint32_t)__builtin_ctzl(bits);

            bits &= bits - 1;
            if (state_open(ed->chan[port].state) && ed->chan[port].vcpu == vcpu)
                return port;
        }
    }
    return 0;
}

/* ---- the auditor's check -------------------------------------------------------------- */

static int audit_fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -EINVAL;
}

static int audit_chan(const struct evtchn_env *env, const struct evtchn_domain *ed,
                      uint32_t port, const char **why)
{
    const struct evtchn_chan *c = &ed->chan[port];

    if (c->vcpu >= ed->nr_vcpus)
        return audit_fail(why, "port notifies a vCPU that does not exist");
    switch (c->state) {
    case EVTCHN_FREE:
        if (c->vcpu || c->tag || c->remote_dom || c->remote_port)
            return audit_fail(why, "free port with stale fields");
        return 0;
    case EVTCHN_VIRQ: {
        uint32_t row = evtchn_virq_is_global(c->tag) ? 0 : c->vcpu;

        if (c->tag >= NR_VIRQS || ed->virq_port[row][c->tag] != port)
            return audit_fail(why, "VIRQ port missing from the virq table");
        return 0;
    }
    case EVTCHN_INTERDOMAIN: {
        const struct evtchn_domain *rd;
        const struct evtchn_chan *rc;

        rd = c->remote_dom == ed->id ? ed
             : c->remote_dom >= DOMID_FIRST_RESERVED ? NULL : env->domain(c->remote_dom);
        if (!rd)
            return audit_fail(why, "interdomain port whose peer domain is gone");
        if (c->remote_port == 0 || c->remote_port >= rd->valid)
            return audit_fail(why, "interdomain port whose peer port is not valid");
        rc = &rd->chan[c->remote_port];
        if (rc->state != EVTCHN_INTERDOMAIN || rc->remote_dom != ed->id ||
            rc->remote_port != port)
            return audit_fail(why, "interdomain pair does not point back");
        return 0;
    }
    case EVTCHN_UNBOUND:
        if (c->tag || c->remote_port)
            return audit_fail(why, "unbound port with stale fields");
        return 0;
    case EVTCHN_IPI:
        if (c->tag || c->remote_dom || c->remote_port)
            return audit_fail(why, "IPI port with stale fields");
        return 0;
    case EVTCHN_XEN:
        return 0;
    default:
        return audit_fail(why, "port in an unknown state");
    }
}

int evtchn_audit(const struct evtchn_env *env, const struct evtchn_domain *ed,
                 const char **why)
{
    uint32_t port, v, virq, open = 0;
    int rc;

    if (why)
        *why = NULL;
    if (ed->valid < EVTCHN_BUCKET_PORTS || ed->valid > NR_EVTCHN_PORTS ||
        ed->valid % EVTCHN_BUCKET_PORTS)
        return audit_fail(why, "valid is not a whole number of buckets");
    if (ed->nr_vcpus == 0 || ed->nr_vcpus > EVTCHN_MAX_VCPUS)
        return audit_fail(why, "nr_vcpus out of range");
    if (ed->chan[0].state != EVTCHN_RESERVED)
        return audit_fail(why, "port 0 is not reserved");
    for (port = 1; port < NR_EVTCHN_PORTS; port++) {
        if (port >= ed->valid) {
            if (ed->chan[port].state != EVTCHN_FREE)
                return audit_fail(why, "port beyond the valid buckets is in use");
            continue;
        }
        if (ed->chan[port].state == EVTCHN_RESERVED)
            return audit_fail(why, "reserved state on a port other than 0");
        if (state_open(ed->chan[port].state))
            open++;
        if (port > ed->max_port && ed->chan[port].state != EVTCHN_FREE)
            return audit_fail(why, "port above max_port in use");
        rc = audit_chan(env, ed, port, why);
        if (rc)
            return rc;
    }
    if (open != ed->nr_open)
        return audit_fail(why, "nr_open does not match the table");
    for (v = 0; v < EVTCHN_MAX_VCPUS; v++) {
        for (virq = 0; virq < NR_VIRQS; virq++) {
            uint32_t p = ed->virq_port[v][virq];

            if (!p)
                continue;
            if (v >= ed->nr_vcpus || p >= ed->valid)
                return audit_fail(why, "virq table entry out of range");
            if (ed->chan[p].state != EVTCHN_VIRQ || ed->chan[p].tag != virq)
                return audit_fail(why, "virq table points at a port not bound to it");
            if (evtchn_virq_is_global(virq) ? v != 0 : ed->chan[p].vcpu != v)
                return audit_fail(why, "virq table row disagrees with the port's vCPU");
        }
    }
    return 0;
}
