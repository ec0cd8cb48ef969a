/*
 * The console ring backend: drains the out[] half of each domain's console ring page to
 * the serial console through the domain's "(dN) " line buffer (console_put_text), on
 * EVTCHNOP_send to the console port, on SCHEDOP_yield and when the domain ends. The
 * contract and the threat model are in include/console_ring.h.
 *
 * Per-domain state lives in a small table here (slots found by domain id) rather than
 * in struct domain. A drain runs inside one hypercall of the ring's own domain with interrupts off, so the frame's owner and type cannot change under it;
 * the guest's own writes to the ring can (another vCPU, later), hence the read-once
 * indices and the masked reads.
 */
#include "console.h"
#include "console_ring.h"
#include "domain.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"

#define CONSOLE_RING_SLOTS 64
#define OUT_SIZE ((uint32_t)sizeof(((struct xencons_interface *)0)->out))

_Static_assert((OUT_SIZE & (OUT_SIZE - 1)) == 0, "out[] is a power of two");
_Static_assert(sizeof(struct xencons_interface) <= PAGE_SIZE, "the ring fits its page");

/* Compiler barrier: on x86 loads are not reordered with loads, nor stores with older
 * loads, so this is Xen's rmb()/mb() for a consumer on the same machine. */
#define ring_barrier() __asm__ volatile("" ::: "memory")

struct console_ring {
    bool used;
    bool hostile_logged;    /* "hostile ring" printed once per domain */
    bool frame_logged;      /* "ring frame not servable" printed once per domain */
    domid_t dom;
    uint32_t port;          /* the console port as bound (the guest may close it) */
    uint64_t mfn;           /* the ring frame */
};

static struct console_ring rings[CONSOLE_RING_SLOTS];

static struct console_ring *ring_of(const struct domain *d)
{
    for (unsigned i = 0; i < CONSOLE_RING_SLOTS; i++)
        if (rings[i].used && rings[i].dom == d->id)
            return &rings[i];
    return NULL;
}

int console_ring_init(struct domain *d, uint64_t ring_mfn, uint32_t *port)
{
    struct console_ring *r = ring_of(d);   /* a stale slot of the same id is reused */
    for (unsigned i = 0; !r && i < CONSOLE_RING_SLOTS; i++)
        if (!rings[i].used)
            r = &rings[i];
    if (!r)
        return -ENOSPC;
    if (!mfn_valid(ring_mfn))
        return -EINVAL;
    evtchn_port_t p;
    int rc = evtchn_bind_xen(&d->evtchn, CONSOLE_RING_SHOWN_DOM, CONSOLE_RING_SHOWN_PORT,
                             CONSOLE_RING_CONSUMER, &p);
    if (rc)
        return rc;
    *r = (struct console_ring){ .used = true, .dom = d->id, .port = p, .mfn = ring_mfn };
    *port = p;
    return 0;
}

/* The ring page, if the backend may read and write it now: owned by d and not a page
 * table or descriptor table (writing out_cons there would bypass validation). */
static struct xencons_interface *ring_page(struct domain *d, struct console_ring *r)
{
    const struct page_info *pg = mfn_to_page(r->mfn);
    if (pg->owner == d->id && (pg->type == PGT_none || pg->type == PGT_writable))
        return mfn_to_virt(r->mfn);
    if (!r->frame_logged) {
        r->frame_logged = true;
        printk("d%u: console ring frame 0x%lx is not servable (owner %u, type %u): "
               "output not drained while it stays so\n", d->id, (unsigned long)r->mfn,
               pg->owner, pg->type);
    }
    return NULL;
}

/* Copy out_cons..out_prod to d's line buffer and advance out_cons. Returns true if
 * out_cons was written (something consumed, or a hostile ring resynced). */
static bool drain(struct domain *d, struct console_ring *r)
{
    struct xencons_interface *ring = ring_page(d, r);
    if (!ring)
        return false;
    volatile struct xencons_interface *vr = ring;
    uint32_t cons = vr->out_cons;
    uint32_t prod = vr->out_prod;
    ring_barrier();                      /* the indices before the text */
    uint32_t gap = prod - cons;
    if (gap == 0)
        return false;
    if (gap > OUT_SIZE) {
        if (!r->hostile_logged) {
            r->hostile_logged = true;
            printk("d%u: hostile console ring (out_cons 0x%x, out_prod 0x%x): resynced, "
                   "further ones not logged\n", d->id, cons, prod);
        }
        ring_barrier();
        vr->out_cons = prod;
        return true;
    }
    char chunk[128];
    uint32_t done = 0;
    while (done < gap) {
        uint32_t n = MIN((uint32_t)sizeof(chunk), gap - done);
        for (uint32_t i = 0; i < n; i++)
            chunk[i] = vr->out[(cons + done + i) & (OUT_SIZE - 1)];
        console_put_text(d, chunk, n);
        done += n;
    }
    ring_barrier();                      /* the text read before the slots are freed */
    vr->out_cons = prod;
    return true;
}

/* Raise the console port, if the guest still has it (it may have closed the port and
 * reused the number for something else). */
static void notify_guest(struct domain *d, uint32_t port)
{
    struct evtchn_domain *ed = &d->evtchn;
    if (port >= ed->valid || ed->chan[port].state != EVTCHN_XEN ||
        ed->chan[port].tag != CONSOLE_RING_CONSUMER)
        return;
    struct evtchn_raised raised;
    evtchn_raise(ed, port, &raised);        /* the upcall goes out on return */
}

void console_ring_notify(struct domain *d, uint32_t port)
{
    struct console_ring *r = ring_of(d);
    if (!r)
        return;
    drain(d, r);
    notify_guest(d, port);
}

void console_ring_yield(struct domain *d)
{
    struct console_ring *r = ring_of(d);
    if (r && drain(d, r))
        notify_guest(d, r->port);
}

void console_ring_end(struct domain *d)
{
    struct console_ring *r = ring_of(d);
    if (!r)
        return;
    drain(d, r);
    r->used = false;
}
