/*
 * client.h: a xenstore client for test guests, speaking xs_wire on the domain's own
 * ring (start_info store_mfn, through the bootstrap mapping) and store event channel,
 * with every wait bounded (XS_WAIT_NS): a store that stops answering is a FAILURE, not
 * a hang. Header only, included as "../xs-common/client.h" by tests/xs-hostile; not a
 * test. Events stay masked: waits poll the store port (SCHEDOP_poll).
 *
 * The ring discipline of the guest side (xenstore-ring.txt): read the consumer index,
 * copy into the free space, write barrier, publish the producer index, notify; read
 * the producer index, read barrier, copy out, barrier, publish the consumer, notify.
 * Watch events that arrive while a reply is awaited are kept (the last XS_EVENTS).
 */
#ifndef XS_COMMON_CLIENT_H
#define XS_COMMON_CLIENT_H

#include "test.h"
#include <xen/io/xs_wire.h>

#define XS_WAIT_NS      (10 * NS_PER_SEC)
#define XS_EVENTS       8
#define XS_RSIZE        XENSTORE_RING_SIZE
#define XS_MASK(i)      ((i) & (XS_RSIZE - 1))

static volatile struct xenstore_domain_interface *xs;
static evtchn_port_t xs_port;
static uint32_t xs_next_id = 1;
static char xs_reply[XENSTORE_PAYLOAD_MAX + 1];
static uint32_t xs_reply_len;
static unsigned long xs_events;                     /* watch events seen so far */
static struct { char path[128], token[64]; } xs_event[XS_EVENTS];

#define XS_RMB() __atomic_thread_fence(__ATOMIC_ACQUIRE)
#define XS_WMB() __atomic_thread_fence(__ATOMIC_RELEASE)
#define XS_MB()  __atomic_thread_fence(__ATOMIC_SEQ_CST)

/* The ring page and port of start_info; false when there is no store (store_evtchn 0). */
static inline bool xs_find_ring(void)
{
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;

    xs_port = start_info->store_evtchn;
    if (!xs_port)
        return false;
    for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++)
        if (p2m[pfn] == start_info->store_mfn)
            xs = (volatile struct xenstore_domain_interface *)(pfn << PAGE_SHIFT);
    return xs != NULL;
}

/* Wait for the store to advertise its features (it does so when it introduces us). */
static inline bool xs_wait_server(uint64_t ns)
{
    uint64_t deadline = pvclock_now() + ns;

    while (!xs->server_features) {
        if (pvclock_now() >= deadline)
            return false;
        evtchn_clear_pending(xs_port);
        if (!xs->server_features)
            poll_ports(&xs_port, 1, pvclock_now() + 100 * NS_PER_MS);
    }
    return true;
}

/* A decimal number at the start of s (0 if none). */
static inline unsigned long strtoul_simple(const char *s)
{
    unsigned long v = 0;

    for (; *s >= '0' && *s <= '9'; s++)
        v = v * 10 + (unsigned long)(*s - '0');
    return v;
}

static inline void xs_kick(void)
{
    evtchn_send(xs_port);
}

/* Until the deadline: false when it passed. Clears the port first: no lost wake-up. */
static inline bool xs_wait(uint64_t deadline)
{
    if (pvclock_now() >= deadline)
        return false;
    poll_ports(&xs_port, 1, deadline);
    evtchn_clear_pending(xs_port);
    return true;
}

/* Room on the request queue, and whole bytes waiting on the reply queue. */
static inline uint32_t xs_space(void)
{
    uint32_t used = xs->req_prod - xs->req_cons;

    return used > XS_RSIZE ? 0 : XS_RSIZE - used;
}

static inline uint32_t xs_avail(void)
{
    uint32_t n = xs->rsp_prod - xs->rsp_cons;

    XS_RMB();
    return n > XS_RSIZE ? 0 : n;
}

/* Put len bytes on the request queue, waiting for room. */
static inline bool xs_put(const void *data, uint32_t len, uint64_t deadline)
{
    const char *p = data;

    while (len) {
        uint32_t prod = xs->req_prod, n = xs_space();

        if (!n) {
            xs_kick();
            if (!xs_wait(deadline))
                return false;
            continue;
        }
        if (n > len)
            n = len;
        if (n > XS_RSIZE - XS_MASK(prod))
            n = XS_RSIZE - XS_MASK(prod);
        for (uint32_t i = 0; i < n; i++)
            xs->req[XS_MASK(prod) + i] = p[i];
        XS_WMB();                                    /* the bytes before the index */
        xs->req_prod = prod + n;
        p += n;
        len -= n;
    }
    xs_kick();
    return true;
}

/* Take len bytes off the reply queue, waiting for them. */
static inline bool xs_take(void *data, uint32_t len, uint64_t deadline)
{
    char *p = data;

    while (len) {
        uint32_t cons = xs->rsp_cons, n = xs_avail();

        if (!n) {
            if (!xs_wait(deadline))
                return false;
            continue;
        }
        if (n > len)
            n = len;
        if (n > XS_RSIZE - XS_MASK(cons))
            n = XS_RSIZE - XS_MASK(cons);
        for (uint32_t i = 0; i < n; i++)
            p[i] = xs->rsp[XS_MASK(cons) + i];
        XS_MB();                                     /* done reading before the index */
        xs->rsp_cons = cons + n;
        p += n;
        len -= n;
        xs_kick();                                   /* the store may wait for room */
    }
    return true;
}

static inline bool xs_send(uint32_t type, uint32_t id, uint32_t tx, const void *p, uint32_t len)
{
    struct xsd_sockmsg h = { .type = type, .req_id = id, .tx_id = tx, .len = len };
    uint64_t deadline = pvclock_now() + XS_WAIT_NS;

    return xs_put(&h, sizeof(h), deadline) && xs_put(p, len, deadline);
}

/* One message off the ring into xs_reply (NUL-terminated): false on a timeout or a
 * length the protocol does not allow. */
static inline bool xs_recv(struct xsd_sockmsg *h)
{
    uint64_t deadline = pvclock_now() + XS_WAIT_NS;

    if (!xs_take(h, sizeof(*h), deadline))
        return false;
    if (h->len > XENSTORE_PAYLOAD_MAX) {
        test_failure("the store sent a message of %u bytes", h->len);
        return false;
    }
    if (!xs_take(xs_reply, h->len, deadline))
        return false;
    xs_reply[h->len] = 0;
    xs_reply_len = h->len;
    return true;
}

static inline void xs_note_event(void)
{
    unsigned int slot = xs_events++ % XS_EVENTS;
    size_t plen = strlen(xs_reply);

    snprintf(xs_event[slot].path, sizeof(xs_event[slot].path), "%s", xs_reply);
    snprintf(xs_event[slot].token, sizeof(xs_event[slot].token), "%s",
             plen < xs_reply_len ? xs_reply + plen + 1 : "");
}

/* A request and its reply: the reply's type (XS_ERROR: the errno name in xs_reply), or
 * XS_INVALID with a failure recorded when none came. */
static inline uint32_t xs_call(uint32_t type, uint32_t tx, const void *p, uint32_t len)
{
    uint32_t id = xs_next_id++;
    struct xsd_sockmsg h;

    if (!xs_send(type, id, tx, p, len)) {
        test_failure("request %u (type %u): no room on the ring within %llu s", id, type,
                     XS_WAIT_NS / NS_PER_SEC);
        return XS_INVALID;
    }
    for (;;) {
        if (!xs_recv(&h)) {
            test_failure("request %u (type %u): no reply within %llu s (ring error %u)", id,
                         type, XS_WAIT_NS / NS_PER_SEC, xs->error);
            return XS_INVALID;
        }
        if (h.type == XS_WATCH_EVENT) {
            xs_note_event();
            continue;
        }
        if (h.req_id != id) {
            test_failure("a reply for request %u while waiting for %u", h.req_id, id);
            continue;
        }
        return h.type;
    }
}

/* The last event seen, if it is path with token. */
static inline bool xs_last_event_is(const char *path, const char *token)
{
    unsigned int slot = (unsigned int)((xs_events - 1) % XS_EVENTS);

    return xs_events && !strcmp(xs_event[slot].path, path) &&
           !strcmp(xs_event[slot].token, token);
}

/* Payloads: a string with its NUL; "path\0value" without a final NUL (WRITE). */
static inline uint32_t xs_str(const char *s)
{
    return (uint32_t)strlen(s) + 1;
}

static inline uint32_t xs_path_value(char *buf, size_t cap, const char *path,
                                     const char *value)
{
    size_t pl = strlen(path) + 1, vl = strlen(value);

    if (pl + vl > cap)
        return 0;
    memcpy(buf, path, pl);
    memcpy(buf + pl, value, vl);
    return (uint32_t)(pl + vl);
}

/* Ask for a reconnection (xenstore-ring.txt) and wait until the store has reset the
 * ring: false if it did not within XS_WAIT_NS. */
static inline bool xs_reconnect(void)
{
    uint64_t deadline = pvclock_now() + XS_WAIT_NS;

    xs->connection = XENSTORE_RECONNECT;
    XS_MB();
    xs_kick();
    while (xs->connection != XENSTORE_CONNECTED)
        if (!xs_wait(deadline))
            return false;
    return true;
}

#endif
