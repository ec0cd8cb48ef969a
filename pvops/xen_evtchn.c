/*
 * Event channels, 2-level ABI, for the xen and trap backends: the upcall callback, the
 * EVTCHNOP_* sub-ops the kernel needs, and the scan that turns one upcall into a call
 * per pending port: take the selector word of vcpu_info, then in each selected word of
 * shared_info every port pending and not masked, clearing its pending bit first.
 */
#include "internal.h"

#define WORD_BITS (sizeof(xen_ulong_t) * 8)

void xen_evtchn_init(void)
{
    xen_set_callback(CALLBACKTYPE_event, xen_event_entry);
}

static long evtchn_op(unsigned int cmd, void *arg)
{
    return HYPERVISOR_event_channel_op(cmd, (unsigned long)arg);
}

long xen_bind_virq(unsigned int virq)
{
    struct evtchn_bind_virq op = { .virq = virq, .vcpu = 0 };
    long rc = evtchn_op(EVTCHNOP_bind_virq, &op);

    return rc ? rc : (long)op.port;
}

void xen_evtchn_mask(unsigned int port)
{
    __atomic_fetch_or(&xen_shared_info->evtchn_mask[port / WORD_BITS],
                      1UL << (port % WORD_BITS), __ATOMIC_SEQ_CST);
}

/* EVTCHNOP_unmask, not a plain clear: the hypervisor re-raises what is pending. */
void xen_evtchn_unmask(unsigned int port)
{
    struct evtchn_unmask op = { .port = port };
    long rc = evtchn_op(EVTCHNOP_unmask, &op);

    if (rc)
        pv_panic("evtchn unmask", rc);
}

long xen_evtchn_send(unsigned int port)
{
    struct evtchn_send op = { .port = port };

    return evtchn_op(EVTCHNOP_send, &op);
}

long xen_evtchn_close(unsigned int port)
{
    struct evtchn_close op = { .port = port };

    return evtchn_op(EVTCHNOP_close, &op);
}

long xen_alloc_unbound(uint16_t remote)
{
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = remote };
    long rc = evtchn_op(EVTCHNOP_alloc_unbound, &op);

    return rc ? rc : (long)op.port;
}

long xen_bind_interdomain(uint16_t remote, unsigned int remote_port)
{
    struct evtchn_bind_interdomain op = { .remote_dom = remote, .remote_port = remote_port };
    long rc = evtchn_op(EVTCHNOP_bind_interdomain, &op);

    return rc ? rc : (long)op.local_port;
}

void xen_evtchn_dispatch(struct pv_regs *regs, pv_event_fn fn)
{
    struct shared_info *s = xen_shared_info;
    struct vcpu_info *v = &s->vcpu_info[0];
    xen_ulong_t sel, ready;

    (void)regs;
    __atomic_store_n(&v->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    sel = __atomic_exchange_n(&v->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (; sel; sel &= sel - 1) {
        unsigned int w = (unsigned int)__builtin_ctzl(sel);

        ready = s->evtchn_pending[w] & ~s->evtchn_mask[w];
        for (; ready; ready &= ready - 1) {
            unsigned int bit = (unsigned int)__builtin_ctzl(ready);
            xen_ulong_t m = 1UL << bit;

            if (__atomic_fetch_and(&s->evtchn_pending[w], ~m, __ATOMIC_SEQ_CST) & m)
                fn(w * (unsigned int)WORD_BITS + bit);
        }
    }
}
