/*
 * init=xenstored: guest-port as the control domain's xenstore service (docs/xenstore.md).
 * The store itself is the library of xenstored/; this file connects it to the machine,
 * playing the toolstack Parapet does not have. A kernel thread asks the hypervisor for
 * the domains (pv_ops.hv.domain_info, Parapet's parapet_op) and, for each new one with
 * a store port, writes its standard entries, maps its ring (grant reference 1, which
 * the domain builder granted to domain 0), binds its store port and introduces it; a
 * domain that ended (gone, or dying while we still map its ring) is released: store
 * entries, mapping and port. VIRQ_DOM_EXC says when to look again; a store port's
 * event, when to serve. One line per domain introduced and released; power-off once
 * every other domain has ended.
 */
#include "sched.h"
#include "xenstored.h"

#define VIRQ_DOM_EXC        3               /* xen.h: a domain started or ended */
#define STORE_GRANT_REF     1               /* GNTTAB_RESERVED_XENSTORE */
#define MAX_DOMS            XS_MAX_CONNS
#define RING_VA(slot)       ((259UL << 30) + (unsigned long)(slot) * PAGE_SIZE)

/* Each domain we know of; slot i maps its ring at RING_VA(i). */
static struct dom {
    bool used, seen;
    uint16_t domid;
    char name[32];
    bool served;                            /* ring mapped and port bound */
    long handle, port;
    struct xs_conn *conn;
} doms[MAX_DOMS];

static struct xs_store *store;
static long exc_port = -1;
static volatile bool kicked, dom_exc;
static const char wait_chan;                /* what the service thread sleeps on */

/* The store's memory is kmalloc's. */
void *xs_alloc(size_t size)
{
    return kmalloc(size);
}

void xs_free(void *p)
{
    kfree(p);
}

static void notify(void *ctx, void *cookie)
{
    struct dom *d = cookie;

    (void)ctx;
    pv_ops.evtchn.send((unsigned int)d->port);
}

/* From the event upcall: ours if it is VIRQ_DOM_EXC or a store port. */
bool xenstored_event(unsigned int port)
{
    unsigned int i;
    bool ours = exc_port >= 0 && (long)port == exc_port;

    if (ours)
        dom_exc = true;
    for (i = 0; i < MAX_DOMS && !ours; i++)
        ours = doms[i].used && doms[i].served && doms[i].port == (long)port;
    if (ours) {
        kicked = true;
        wakeup(&wait_chan);
    }
    return ours;
}

static struct dom *find(uint16_t domid)
{
    unsigned int i;

    for (i = 0; i < MAX_DOMS; i++)
        if (doms[i].used && doms[i].domid == domid)
            return &doms[i];
    return NULL;
}

static void introduce(const struct pv_domain_info *info)
{
    struct dom *d = NULL;
    unsigned long va;
    unsigned int i;
    int rc;

    for (i = 0; i < MAX_DOMS && !d; i++)
        if (!doms[i].used)
            d = &doms[i];
    if (!d) {
        printk("xenstored: no room for d%u (%s): more than %u domains\n", info->domid,
               info->name, MAX_DOMS);
        return;
    }
    memset(d, 0, sizeof(*d));
    d->used = d->seen = true;
    d->domid = info->domid;
    snprintf(d->name, sizeof(d->name), "%s", info->name);
    if (!info->store_port) {
        printk("xenstored: d%u (%s) has no store port: the hypervisor runs without its "
               "xenstore option\n", d->domid, d->name);
        return;
    }
    va = RING_VA(d - doms);
    mm_kernel_pte(va);                      /* the L1 the mapping goes into */
    rc = xs_domain_nodes(store, d->domid, d->name, info->nr_pages * (PAGE_SIZE / 1024));
    d->handle = rc ? -1 : pv_ops.grant.map(d->domid, STORE_GRANT_REF, va, false);
    d->port = d->handle < 0 ? -1 : pv_ops.evtchn.bind_interdomain(d->domid,
                                                                 info->store_port);
    if (rc || d->handle < 0 || d->port < 0) {
        printk("xenstored: cannot connect d%u (%s): entries %d, ring map %ld, port %u "
               "bind %ld\n", d->domid, d->name, rc, d->handle, info->store_port, d->port);
        if (d->handle >= 0)
            pv_ops.grant.unmap((unsigned long)d->handle, va);
        xs_release(store, d->domid);
        return;
    }
    d->served = true;
    pv_ops.evtchn.unmask((unsigned int)d->port);
    d->conn = xs_introduce(store, d->domid, (void *)va, d);
    printk("xenstored: introduced d%u (%s): ring (grant ref %u) mapped, store port %u bound "
           "as port %ld, %lu KiB\n", d->domid, d->name, STORE_GRANT_REF, info->store_port,
           d->port, (unsigned long)(info->nr_pages * (PAGE_SIZE / 1024)));
}

static void release(struct dom *d)
{
    struct xs_conn_stats st = { 0 };

    if (d->conn)
        xs_conn_stats(d->conn, &st);
    if (d->served) {
        xs_release(store, d->domid);
        pv_ops.evtchn.close((unsigned int)d->port);
        pv_ops.grant.unmap((unsigned long)d->handle, RING_VA(d - doms));
        printk("xenstored: released d%u (%s): %lu requests, %lu refused, %lu watch events "
               "(%lu dropped), %u nodes, ring error %u, %lu reconnects\n", d->domid, d->name,
               st.requests, st.errors, st.events, st.dropped, st.nodes, st.ring_error,
               st.reconnects);
    } else {
        printk("xenstored: d%u (%s) ended\n", d->domid, d->name);
    }
    d->used = false;
}

/* Look at the domains again: introduce the new ones, release those that ended. The
 * number of other domains still running. */
static unsigned int scan(void)
{
    struct pv_domain_info info = { .domid = 1 };
    unsigned int i, alive = 0;

    for (i = 0; i < MAX_DOMS; i++)
        doms[i].seen = false;
    while (pv_ops.hv.domain_info(&info) == 0) {
        struct dom *d = find(info.domid);

        if (!(info.flags & PV_DOMF_CONTROL)) {
            if (info.flags & PV_DOMF_DYING) {
                if (d)
                    release(d);
            } else {
                if (!d)
                    introduce(&info);
                else
                    d->seen = true;
                alive++;
            }
        }
        if (info.domid == 0xffff)
            break;
        info.domid++;
    }
    for (i = 0; i < MAX_DOMS; i++)
        if (doms[i].used && !doms[i].seen)
            release(&doms[i]);
    return alive;
}

static void serve(void *arg)
{
    (void)arg;
    for (;;) {
        unsigned long flags;

        if (dom_exc) {
            dom_exc = false;
            if (!scan())
                return;                     /* every other domain has ended */
        }
        while (xs_service(store))
            ;
        flags = pv_ops.cpu.irq_save();
        while (!kicked)
            sleep_on(&wait_chan);
        kicked = false;
        pv_ops.cpu.irq_restore(flags);
    }
}

void xenstored_run(void)
{
    static const struct xs_hooks hooks = { .notify = notify };
    struct pv_domain_info self = { .domid = 0 };
    long rc = pv_ops.hv.domain_info(&self);
    struct task *t;
    int status;

    if (rc || self.domid != 0 || !(self.flags & PV_DOMF_CONTROL)) {
        printk("xenstored: not the control domain of a Parapet (domain_info: %ld): "
               "nothing to serve\n", rc);
        pv_ops.cpu.power_off(1);
    }
    store = xs_store_create(&hooks, NULL);
    if (!store || xs_domain_nodes(store, 0, self.name, self.nr_pages * (PAGE_SIZE / 1024)))
        panic("xenstored: no memory for the store");
    exc_port = pv_ops.evtchn.bind_virq(VIRQ_DOM_EXC);
    if (exc_port < 0)
        panic("xenstored: cannot bind VIRQ_DOM_EXC: %ld", exc_port);
    pv_ops.evtchn.unmask((unsigned int)exc_port);
    printk("xenstored: serving the store as d0 (%s); VIRQ_DOM_EXC on port %ld\n", self.name,
           exc_port);
    dom_exc = true;                         /* the first look */
    t = kthread_create("xenstored", serve, NULL);
    if (!t || task_wait(t->pid, &status) != t->pid)
        panic("xenstored: lost the service thread");
    printk("xenstored: every other domain has ended (%lu bytes of store memory left in "
           "use); powering off\n", kmalloc_in_use());
    pv_ops.cpu.power_off(0);
}
