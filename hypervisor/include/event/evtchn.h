/*
 * Event channels, 2-level ABI: the per-domain port table, the EVTCHNOP_* sub-ops with
 * Xen's error codes, and raising events on the shared_info bitmaps. Pure logic (no
 * hardware, no globals): domains are reached through struct evtchn_env, so the host unit
 * tests (tests/unit/test_evtchn.c) drive it over plain structs. Implemented in
 * hypervisor/event/evtchn.c; facts from xen-pv-abi-checklist.md 1.7, attacks A17/A19.
 */
#ifndef HV_EVENT_EVTCHN_H
#define HV_EVENT_EVTCHN_H

#include <stdint.h>
#include <stdbool.h>
#include "xen-public.h"

/*
 * Ports and storage.
 *
 *  - Ports 1 .. NR_EVTCHN_PORTS-1 (4095 for a 64-bit guest); port 0 is reserved
 *    (EVTCHNSTAT_closed, never allocated, cannot be closed), as in Xen.
 *  - Storage is one fixed array per domain (struct evtchn_domain, about 34 KiB), no
 *    allocator. Xen allocates ports in buckets of 64 and answers -EINVAL for a port in a
 *    bucket never allocated; 'valid' reproduces that answer: ports [0, valid) exist,
 *    valid starts at 64 (bucket 0) and grows by 64 when the lowest free port lies in the
 *    next bucket. It never shrinks (as Xen's valid_evtchns).
 *  - Allocation takes the lowest free port; ports above max_port give -ENOSPC (Xen's
 *    max_evtchn_port: xl gives domUs 1023 by default, dom0 is unlimited = 4095).
 *
 * Port states (enum evtchn_state) and what EVTCHNOP_status reports:
 *   FREE, RESERVED          closed
 *   UNBOUND(remote_dom)     unbound: remote_dom may bind_interdomain to it
 *   INTERDOMAIN(dom, port)  interdomain: connected to (dom, port), and that port to us
 *   VIRQ(virq, vcpu)        virq
 *   IPI(vcpu)               ipi
 *   XEN(shown dom/port)     interdomain(shown dom, shown port): the peer is a backend
 *                           inside the hypervisor (Parapet's extension for the console
 *                           and xenstore rings it serves itself). A guest send reaches the
 *                           backend (EVTCHN_SEND_XEN); the backend notifies with
 *                           evtchn_raise(). The guest may close it like any of its ports.
 *
 * Concurrency. The table (struct evtchn_domain minus the guest memory) is changed only
 * by these functions, and the caller serialises them: one lock per domain (operations
 * naming two domains hold both, lower domid first) or a single big lock. The bitmaps in
 * shared_info and the vcpu_info fields are guest memory the guest writes concurrently:
 * they are only touched with atomic operations, and never trusted (a guest setting
 * pending bits on its own ports only fools itself).
 */
#define NR_EVTCHN_PORTS      EVTCHN_2L_NR_CHANNELS   /* 4096 */
#define EVTCHN_BUCKET_PORTS  64u
#define EVTCHN_MAX_VCPUS     XEN_LEGACY_MAX_VCPUS    /* vcpu_info slots of shared_info */
#define EVTCHN_WORD_BITS     (sizeof(xen_ulong_t) * 8)
#define EVTCHN_DEFAULT_MAX_PORT (NR_EVTCHN_PORTS - 1)

enum evtchn_state {
    EVTCHN_FREE = 0,
    EVTCHN_RESERVED,     /* port 0 */
    EVTCHN_UNBOUND,
    EVTCHN_INTERDOMAIN,
    EVTCHN_VIRQ,
    EVTCHN_IPI,
    EVTCHN_XEN,
};

struct evtchn_chan {
    uint8_t  state;        /* enum evtchn_state */
    uint8_t  tag;          /* VIRQ: the virq; XEN: the backend's consumer id */
    uint16_t vcpu;         /* the vCPU this port notifies (0 when free) */
    domid_t  remote_dom;   /* UNBOUND: who may bind; INTERDOMAIN: the peer; XEN: shown */
    uint16_t remote_port;  /* INTERDOMAIN: the peer's port; XEN: shown */
};
_Static_assert(sizeof(struct evtchn_chan) == 8, "evtchn_chan is 8 bytes");

/* One domain's event-channel state. Initialise with evtchn_domain_init(); the fields are
 * read-only for everyone else (the auditor reads them). */
struct evtchn_domain {
    domid_t  id;
    bool     privileged;     /* may name other domains (alloc_unbound, status, reset) */
    bool     dying;          /* set by evtchn_domain_destroy: no new ports */
    uint32_t nr_vcpus;       /* 1 .. EVTCHN_MAX_VCPUS */
    uint32_t max_port;       /* highest port that may be allocated */
    uint32_t valid;          /* ports [0, valid) exist (multiple of 64) */
    uint32_t nr_open;        /* ports in a state other than FREE/RESERVED */
    struct shared_info *shared_info;                /* hypervisor view, guest-written */
    struct vcpu_info *vcpu_info[EVTCHN_MAX_VCPUS];  /* each vCPU's (NULL: none) */
    uint16_t virq_port[EVTCHN_MAX_VCPUS][NR_VIRQS]; /* global virqs in row 0; 0 = none */
    struct evtchn_chan chan[NR_EVTCHN_PORTS];
};

/* What the logic needs from its surroundings. */
struct evtchn_env {
    /* The domain with this real id (never DOMID_SELF or another reserved id), or NULL
     * if there is none. Mandatory. */
    struct evtchn_domain *(*domain)(domid_t id);
};

/* What raising an event did. 'kick' asks the caller to wake the vCPU (or send it an
 * IPI) so it takes the upcall; 'newly_pending' asks it to wake SCHEDOP_poll waiters on
 * (ed, port), masked or not. ed is NULL when nothing was raised. */
struct evtchn_raised {
    struct evtchn_domain *ed;
    evtchn_port_t port;
    uint32_t vcpu;          /* the vCPU the port notifies */
    bool newly_pending;     /* the pending bit went 0 -> 1 */
    bool kick;              /* evtchn_upcall_pending went 0 -> 1 */
};

/* Where EVTCHNOP_send goes. GUEST: call evtchn_raise(ed, port). XEN: call the backend
 * 'consumer' (ed, port are the sender's). DROPPED: nothing (an unbound port). */
enum evtchn_send_kind { EVTCHN_SEND_DROPPED, EVTCHN_SEND_GUEST, EVTCHN_SEND_XEN };
struct evtchn_target {
    enum evtchn_send_kind kind;
    struct evtchn_domain *ed;
    evtchn_port_t port;
    uint32_t consumer;
};

/* ---- set-up and teardown --------------------------------------------------------- */

/* Zero ed and make it domain 'id' with nr_vcpus vCPUs whose vcpu_info start in
 * si->vcpu_info[]. max_port is clamped to NR_EVTCHN_PORTS-1. -EINVAL if si is NULL,
 * nr_vcpus is 0 or above EVTCHN_MAX_VCPUS, or max_port is 0. */
int evtchn_domain_init(struct evtchn_domain *ed, domid_t id, bool privileged,
                       uint32_t nr_vcpus, uint32_t max_port, struct shared_info *si);

/* The vCPU's vcpu_info moved (VCPUOP_register_vcpu_info; the caller has copied the old
 * contents over). Like Xen, every selector bit and evtchn_upcall_pending are set so no
 * event is lost. Returns true when the vCPU should be kicked (upcall_pending went
 * 0 -> 1); a vcpu out of range or a NULL vi changes nothing and returns false. */
bool evtchn_vcpu_info_moved(struct evtchn_domain *ed, uint32_t vcpu, struct vcpu_info *vi);

/* Domain teardown: no new ports, then every port closed (interdomain peers go back to
 * unbound, waiting for this domid, as Xen leaves them). */
void evtchn_domain_destroy(const struct evtchn_env *env, struct evtchn_domain *ed);

/* ---- EVTCHNOP_* (ed: the calling domain; op: the guest's argument, copied in, and the
 * results written to it for the caller to copy out) ---------------------------------- */

/* Allocate a port in op->dom (DOMID_SELF or another domain if ed is privileged) that
 * op->remote_dom (DOMID_SELF = the caller) may bind to; op->port out.
 * -ESRCH no such domain, -ENOSPC table full, -EPERM naming another domain unprivileged,
 * -EINVAL domain dying. */
int evtchn_op_alloc_unbound(const struct evtchn_env *env, struct evtchn_domain *ed,
                            struct evtchn_alloc_unbound *op);

/* Connect a fresh local port to (op->remote_dom, op->remote_port), which must be
 * UNBOUND and waiting for the caller; op->local_port out. The local port is then raised
 * (notifications sent while the remote port was unbound were lost), reported in *raised
 * (may be NULL). -ESRCH no such domain, -ENOSPC no local port, -EINVAL remote port not
 * valid, not unbound or waiting for someone else. */
int evtchn_op_bind_interdomain(const struct evtchn_env *env, struct evtchn_domain *ed,
                               struct evtchn_bind_interdomain *op,
                               struct evtchn_raised *raised);

/* Bind op->virq on op->vcpu; op->port out. -EINVAL virq >= NR_VIRQS or a global virq on
 * a vCPU other than 0, -ENOENT no such vCPU, -EEXIST already bound on that vCPU,
 * -ENOSPC full. */
int evtchn_op_bind_virq(struct evtchn_domain *ed, struct evtchn_bind_virq *op);

/* A port that notifies op->vcpu when sent to; op->port out. -ENOENT, -ENOSPC. */
int evtchn_op_bind_ipi(struct evtchn_domain *ed, struct evtchn_bind_ipi *op);

/* Close a port of ed: its pending bit is cleared, it becomes free (notifying vCPU 0),
 * an interdomain peer becomes UNBOUND waiting for ed. -EINVAL port not valid, free or
 * reserved (so a double close is -EINVAL). The mask bit is the guest's and stays. */
int evtchn_op_close(const struct evtchn_env *env, struct evtchn_domain *ed,
                    evtchn_port_t port);

/* Where a send on port goes (*t), without raising anything: the caller raises (it may
 * have to take the target's lock first). Interdomain: the peer's port; IPI: the port
 * itself; unbound: dropped, 0; XEN: the backend. -EINVAL port not valid, free, reserved
 * or a VIRQ. */
int evtchn_op_send(const struct evtchn_env *env, struct evtchn_domain *ed,
                   evtchn_port_t port, struct evtchn_target *t);

/* Status of (op->dom, op->port): status, vcpu and the union are filled (the union is
 * zeroed first). -ESRCH no such domain, -EINVAL port not valid, -EPERM another domain's
 * port and ed not privileged. */
int evtchn_op_status(const struct evtchn_env *env, struct evtchn_domain *ed,
                     struct evtchn_status *op);

/* Notify vcpu for port from now on. Allowed for UNBOUND, INTERDOMAIN, XEN and global
 * VIRQ ports; -EINVAL for others (IPI and per-vCPU VIRQ bindings are fixed), -ENOENT no
 * such vCPU (checked first, as Xen does), -EINVAL port not valid. */
int evtchn_op_bind_vcpu(struct evtchn_domain *ed, evtchn_port_t port, uint32_t vcpu);

/* Clear the mask bit; if it was set and the port is pending, deliver as a raise would
 * (selector bit, upcall_pending), reported in *raised (may be NULL). Any valid port,
 * even a free one (Xen does not look at the state). -EINVAL port not valid. */
int evtchn_op_unmask(struct evtchn_domain *ed, evtchn_port_t port,
                     struct evtchn_raised *raised);

/* EVTCHNOP_reset: close every port of op->dom. -ESRCH, -EPERM as for status. */
int evtchn_op_reset(const struct evtchn_env *env, struct evtchn_domain *ed, domid_t dom);

/* ---- used by the hypervisor itself ------------------------------------------------ */

/* A port in ed connected to an in-hypervisor backend (state XEN); EVTCHNOP_status shows
 * it as interdomain to (shown_dom, shown_port). -ENOSPC, -EINVAL (dying). */
int evtchn_bind_xen(struct evtchn_domain *ed, domid_t shown_dom, evtchn_port_t shown_port,
                    uint32_t consumer, evtchn_port_t *port);

/*
 * Raise port in ed (the 2-level rule): set its pending bit; if that bit was clear and
 * the port is not masked, set the selector bit (port / 64) in the notified vCPU's
 * evtchn_pending_sel, and if that was clear set evtchn_upcall_pending; the vCPU must be
 * kicked when upcall_pending went 0 -> 1. *raised says what happened (may be NULL).
 * -EINVAL if port is not an open port of ed (nothing changes).
 */
int evtchn_raise(struct evtchn_domain *ed, evtchn_port_t port, struct evtchn_raised *raised);

/* Raise virq for vcpu (a global virq goes to the port bound on vCPU 0, delivered to the
 * vCPU that port notifies). -ENOENT nothing bound (not an error for the caller),
 * -EINVAL virq or vcpu out of range. */
int evtchn_raise_virq(struct evtchn_domain *ed, uint32_t vcpu, uint32_t virq,
                      struct evtchn_raised *raised);

/* Global virqs (bound on vCPU 0, re-bindable); the others are per-vCPU. */
bool evtchn_virq_is_global(uint32_t virq);

/* SCHEDOP_poll: 1 if port's pending bit is set, 0 if not, -EINVAL if port is beyond
 * the 2-level ABI (Xen checks only that bound). */
int evtchn_is_pending(const struct evtchn_domain *ed, evtchn_port_t port);

/* The lowest open port that is pending, not masked and notifies vcpu; 0 if none. */
evtchn_port_t evtchn_first_pending(const struct evtchn_domain *ed, uint32_t vcpu);

/* The auditor's check of ed: port 0 reserved, ports beyond 'valid' untouched, nr_open
 * right, every notified vCPU exists, interdomain pairs point at each other, the virq
 * table and the VIRQ ports agree. 0, or -EINVAL with *why (may be NULL) set. */
int evtchn_audit(const struct evtchn_env *env, const struct evtchn_domain *ed,
                 const char **why);

#endif
