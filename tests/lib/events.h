/*
 * Event channels for test guests (2-level ABI): receiving event upcalls, the pending and
 * mask bitmaps of shared_info, and thin wrappers for the EVTCHNOP_* sub-ops.
 *
 * By default no test receives upcalls: start_kernel() leaves evtchn_upcall_mask at 1 and
 * an upcall that arrives anyway panics ("unexpected event upcall"). A test opts in with
 * set_event_upcall_hook() (raw: the hook sees every upcall) or set_evtchn_handler() (the
 * framework does the usual 2-level scan and calls the handler once per pending, unmasked
 * port), then clears the mask with events_enable(). The hook runs in do_exception() on
 * the kernel stack with the upcall mask set (the callback is registered with
 * CALLBACKF_mask_events); the iret that ends it restores the mask the frame recorded.
 * A raw hook must clear evtchn_upcall_pending itself, or the hypervisor delivers again
 * at once on the way back.
 */
#ifndef PARAPET_TEST_EVENTS_H
#define PARAPET_TEST_EVENTS_H

#include "lib.h"
#include "guest.h"
#include "frame.h"

#define NR_EVTCHN_PORTS_2L  (sizeof(xen_ulong_t) * 8 * sizeof(xen_ulong_t) * 8)  /* 4096 */
#define EVTCHN_WORD_BITS    (sizeof(xen_ulong_t) * 8)

/* ---- upcalls (traps.c) --------------------------------------------------------------- */

typedef void (*event_upcall_hook_t)(struct cpu_regs *regs);
typedef void (*evtchn_handler_t)(evtchn_port_t port);

/* Receive every event upcall in fn (NULL: back to the panic). */
void set_event_upcall_hook(event_upcall_hook_t fn);
/*
 * Receive upcalls through the framework's 2-level scan: fn(port) once per port found
 * pending and not masked (its pending bit is cleared first). NULL: back to the panic.
 */
void set_evtchn_handler(evtchn_handler_t fn);
/*
 * The 2-level scan, for a raw hook: clear evtchn_upcall_pending, take (xchg) the
 * selector word, and for every port pending and not masked in the selected words clear
 * its pending bit and call fn(port). Returns the number of ports handled.
 */
unsigned int evtchn_dispatch(evtchn_handler_t fn);
/* Upcalls that reached a hook or handler since boot (including ones with no port). */
extern volatile unsigned long event_upcall_count;

static inline struct vcpu_info *this_vcpu_info(void)
{
    return &shared_info->vcpu_info[0];
}

/*
 * A cheap hypercall: the hypervisor delivers a pending upcall on its way back, the
 * "force event check" idiom of Linux (xen_version(0, NULL)).
 */
static inline void events_poke(void)
{
    HYPERVISOR_xen_version(XENVER_version, 0);
    barrier();
}

/* Clear evtchn_upcall_mask ("sti") and let anything already pending in. */
static inline void events_enable(void)
{
    barrier();
    this_vcpu_info()->evtchn_upcall_mask = 0;
    barrier();
    events_poke();
}

/* Set evtchn_upcall_mask ("cli"). */
static inline void events_disable(void)
{
    barrier();
    this_vcpu_info()->evtchn_upcall_mask = 1;
    barrier();
}

/*
 * Forget everything pending: every pending bit, every selector bit and the upcall flag
 * (with events masked). For the start of a subtest that counts upcalls.
 */
static inline void events_clear_all(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(shared_info->evtchn_pending); i++)
        __atomic_store_n(&shared_info->evtchn_pending[i], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&this_vcpu_info()->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&this_vcpu_info()->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
}

/* ---- pending and mask bits in shared_info (atomic) ----------------------------------- */

static inline bool evtchn_bit_test(volatile xen_ulong_t *map, evtchn_port_t port)
{
    return (map[port / EVTCHN_WORD_BITS] >> (port % EVTCHN_WORD_BITS)) & 1;
}

static inline void evtchn_bit_set(volatile xen_ulong_t *map, evtchn_port_t port)
{
    __atomic_fetch_or(&map[port / EVTCHN_WORD_BITS], 1UL << (port % EVTCHN_WORD_BITS),
                      __ATOMIC_SEQ_CST);
}

/* Clear the bit; returns its old value. */
static inline bool evtchn_bit_clear(volatile xen_ulong_t *map, evtchn_port_t port)
{
    xen_ulong_t bit = 1UL << (port % EVTCHN_WORD_BITS);

    return __atomic_fetch_and(&map[port / EVTCHN_WORD_BITS], ~bit, __ATOMIC_SEQ_CST) & bit;
}

static inline bool evtchn_is_pending(evtchn_port_t port)
{
    return evtchn_bit_test(shared_info->evtchn_pending, port);
}
static inline bool evtchn_clear_pending(evtchn_port_t port)
{
    return evtchn_bit_clear(shared_info->evtchn_pending, port);
}
static inline bool evtchn_is_masked(evtchn_port_t port)
{
    return evtchn_bit_test(shared_info->evtchn_mask, port);
}
static inline void evtchn_set_mask(evtchn_port_t port)
{
    evtchn_bit_set(shared_info->evtchn_mask, port);
}
/* Clears the mask bit only: EVTCHNOP_unmask (evtchn_unmask()) also re-raises. */
static inline void evtchn_clear_mask(evtchn_port_t port)
{
    evtchn_bit_clear(shared_info->evtchn_mask, port);
}
/* The selector bit of port's word in vcpu_info[0].evtchn_pending_sel. */
static inline bool evtchn_sel_is_set(evtchn_port_t port)
{
    return (this_vcpu_info()->evtchn_pending_sel >> (port / EVTCHN_WORD_BITS)) & 1;
}

/* ---- EVTCHNOP_* wrappers: the hypercall's result; *port written only on success ------ */

static inline long evtchn_op(unsigned int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, (unsigned long)arg);
}

static inline long evtchn_bind_ipi(uint32_t vcpu, evtchn_port_t *port)
{
    struct evtchn_bind_ipi op = { .vcpu = vcpu };
    long rc = evtchn_op(EVTCHNOP_bind_ipi, &op);

    if (!rc && port)
        *port = op.port;
    return rc;
}

static inline long evtchn_bind_virq(uint32_t virq, uint32_t vcpu, evtchn_port_t *port)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = vcpu };
    long rc = evtchn_op(EVTCHNOP_bind_virq, &op);

    if (!rc && port)
        *port = op.port;
    return rc;
}

/* A port of ours that remote may bind to (DOMID_SELF: ourselves). */
static inline long evtchn_alloc_unbound(domid_t remote, evtchn_port_t *port)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, &op);

    if (!rc && port)
        *port = op.port;
    return rc;
}

static inline long evtchn_bind_interdomain(domid_t remote, evtchn_port_t remote_port,
                                           evtchn_port_t *local)
{
    struct evtchn_bind_interdomain op = {
        .remote_dom = remote,
        .remote_port = remote_port,
    };
    long rc = evtchn_op(EVTCHNOP_bind_interdomain, &op);

    if (!rc && local)
        *local = op.local_port;
    return rc;
}

static inline long evtchn_close(evtchn_port_t port)
{
    struct evtchn_close op = { .port = port };

    return evtchn_op(EVTCHNOP_close, &op);
}

static inline long evtchn_send(evtchn_port_t port)
{
    struct evtchn_send op = { .port = port };

    return evtchn_op(EVTCHNOP_send, &op);
}

static inline long evtchn_unmask(evtchn_port_t port)
{
    struct evtchn_unmask op = { .port = port };

    return evtchn_op(EVTCHNOP_unmask, &op);
}

static inline long evtchn_bind_vcpu(evtchn_port_t port, uint32_t vcpu)
{
    struct evtchn_bind_vcpu op = { .port = port, .vcpu = vcpu };

    return evtchn_op(EVTCHNOP_bind_vcpu, &op);
}

/* EVTCHNOP_status of our own port; *st is filled on success. */
static inline long evtchn_status(evtchn_port_t port, struct evtchn_status *st)
{
    long rc;

    memset(st, 0, sizeof(*st));
    st->dom = DOMID_SELF;
    st->port = port;
    rc = evtchn_op(EVTCHNOP_status, st);
    return rc;
}

/* ---- sched_op and the timers that raise events --------------------------------------- */

/* SCHEDOP_poll on nr ports until one is pending or the absolute time timeout (0: none). */
static inline long poll_ports(evtchn_port_t *ports, unsigned int nr, uint64_t timeout)
{
    struct sched_poll op = { .nr_ports = nr, .timeout = timeout };

    set_xen_guest_handle(op.ports, ports);
    return HYPERVISOR_sched_op(SCHEDOP_poll, (unsigned long)&op);
}

static inline long vcpu_set_singleshot(uint64_t abs_ns, uint32_t flags)
{
    struct vcpu_set_singleshot_timer t = { .timeout_abs_ns = abs_ns, .flags = flags };

    return HYPERVISOR_vcpu_op(VCPUOP_set_singleshot_timer, 0, (unsigned long)&t);
}

static inline long vcpu_stop_singleshot(void)
{
    return HYPERVISOR_vcpu_op(VCPUOP_stop_singleshot_timer, 0, 0);
}

static inline long vcpu_set_periodic(uint64_t period_ns)
{
    struct vcpu_set_periodic_timer t = { .period_ns = period_ns };

    return HYPERVISOR_vcpu_op(VCPUOP_set_periodic_timer, 0, (unsigned long)&t);
}

static inline long vcpu_stop_periodic(void)
{
    return HYPERVISOR_vcpu_op(VCPUOP_stop_periodic_timer, 0, 0);
}

#endif
