/*
 * The xenstore ring of one domain (struct xenstore_domain_interface, xenstore-ring.txt):
 * two byte queues of XENSTORE_RING_SIZE with free-running 32-bit indices. The guest
 * produces requests (req_prod) and consumes replies (rsp_cons); the store consumes
 * requests (req_cons) and produces replies (rsp_prod). The guest can write anything
 * anywhere on the page at any time, so:
 *  - the store's own indices live here (c->req_cons, c->rsp_prod) and are only ever
 *    written to the page, never read back;
 *  - each index of the guest's is read once per pass, and rejected (error RINGIDX) if it
 *    claims more than a ring's worth of data or space;
 *  - request bytes are copied out once, into the message being assembled, before any is
 *    looked at; a header announcing more than XENSTORE_PAYLOAD_MAX is a protocol error
 *    (error PROTO): the connection stops until the guest asks to reconnect;
 *  - replies go in only where the guest has made room, never beyond the ring.
 * Barriers: read the producer, then the data (acquire); finish with the data, then
 * publish our index (release, full fence before the consumer index: our reads of the
 * request bytes are done before the guest may overwrite them).
 * Reconnection: when the guest sets connection to XENSTORE_RECONNECT, everything of the
 * connection is dropped, the indices are zeroed, error cleared and connection set back.
 */
#include "internal.h"

#define RING_SIZE XENSTORE_RING_SIZE

static void ring_fail(struct xs_conn *c, uint32_t error)
{
    c->ring_error = error;
    c->stats.ring_error = error;
    conn_forget(c);
    c->ring->error = error;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    c->kick = true;
}

static void reconnect(struct xs_conn *c)
{
    volatile struct xenstore_domain_interface *r = c->ring;

    conn_forget(c);
    c->ring_error = 0;
    c->req_cons = c->rsp_prod = 0;
    r->req_cons = r->req_prod = 0;
    r->rsp_cons = r->rsp_prod = 0;
    r->error = XENSTORE_ERROR_NONE;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    r->connection = XENSTORE_CONNECTED;
    c->stats.reconnects++;
    c->kick = true;
}

/* Replies and events out, as far as the guest has made room. */
static bool flush(struct xs_conn *c)
{
    volatile struct xenstore_domain_interface *r = c->ring;
    uint32_t cons, used, space, n;
    bool moved = false;

    if (c->ring_error || !c->out_len)
        return false;
    cons = __atomic_load_n(&r->rsp_cons, __ATOMIC_ACQUIRE);
    used = c->rsp_prod - cons;
    if (used > RING_SIZE) {
        ring_fail(c, XENSTORE_ERROR_RINGIDX);
        return true;
    }
    space = RING_SIZE - used;
    while (space && c->out_len) {
        uint32_t at = MASK_XENSTORE_IDX(c->rsp_prod);

        n = RING_SIZE - at;
        if (n > space)
            n = space;
        n = (uint32_t)xs_conn_output(c, (char *)r->rsp + at, n);
        c->rsp_prod += n;
        space -= n;
        moved = true;
    }
    if (moved) {
        __atomic_thread_fence(__ATOMIC_RELEASE);        /* the bytes before the index */
        r->rsp_prod = c->rsp_prod;
        c->kick = true;
    }
    return moved;
}

/* Request bytes in, until one message is whole or the ring is empty. 1: a message is
 * ready; 0: not yet; -1: the connection failed. */
static int pull(struct xs_conn *c, bool *moved)
{
    volatile struct xenstore_domain_interface *r = c->ring;
    uint32_t prod = __atomic_load_n(&r->req_prod, __ATOMIC_ACQUIRE);
    uint32_t avail = prod - c->req_cons;
    uint32_t hdr = sizeof(struct xsd_sockmsg);

    if (avail > RING_SIZE) {
        ring_fail(c, XENSTORE_ERROR_RINGIDX);
        return -1;
    }
    for (;;) {
        uint32_t want = c->in_have < hdr ? hdr - c->in_have : hdr + c->in.hdr.len - c->in_have;
        uint32_t at = MASK_XENSTORE_IDX(c->req_cons), n = want;

        if (c->in_have >= hdr && !want)
            break;                                  /* whole */
        if (!avail)
            break;
        if (n > avail)
            n = avail;
        if (n > RING_SIZE - at)
            n = RING_SIZE - at;
        memcpy(c->in.bytes + c->in_have, (const char *)r->req + at, n);
        c->in_have += n;
        c->req_cons += n;
        avail -= n;
        *moved = true;
        if (c->in_have == hdr && c->in.hdr.len > XENSTORE_PAYLOAD_MAX) {
            ring_fail(c, XENSTORE_ERROR_PROTO);
            return -1;
        }
    }
    if (*moved) {
        __atomic_thread_fence(__ATOMIC_SEQ_CST);        /* done reading what we consumed */
        r->req_cons = c->req_cons;
        c->kick = true;
    }
    return c->in_have >= hdr && c->in_have == hdr + c->in.hdr.len;
}

bool xs_ring_service(struct xs_store *s, struct xs_conn *c)
{
    volatile struct xenstore_domain_interface *r = c->ring;
    bool progress = false;
    unsigned int budget;

    if (!c->in_use || !r)
        return false;
    if (__atomic_load_n(&r->connection, __ATOMIC_ACQUIRE) == XENSTORE_RECONNECT) {
        reconnect(c);
        progress = true;
    }
    for (budget = XS_BATCH; budget && !c->ring_error; budget--) {
        bool moved = false;
        int ready;

        progress |= flush(c);
        if (c->ring_error || conn_out_free(c) < XS_MSG_MAX)
            break;                                  /* the guest must read first */
        ready = pull(c, &moved);
        progress |= moved;
        if (ready <= 0)
            break;
        c->in_have = 0;
        xs_handle(s, c, &c->in.hdr, c->in.bytes + sizeof(struct xsd_sockmsg));
        progress = true;
    }
    progress |= flush(c);
    if (c->kick) {
        c->kick = false;
        if (s->hooks.notify)
            s->hooks.notify(s->hooks.ctx, c->cookie);
    }
    return progress;
}

bool xs_service(struct xs_store *s)
{
    bool progress = false;
    unsigned int i;

    for (i = 0; i < XS_MAX_CONNS; i++) {
        struct xs_conn *c = &s->conns[(s->next_poll + i) % XS_MAX_CONNS];

        if (c->in_use && c->ring)
            progress |= xs_ring_service(s, c);
    }
    s->next_poll = (s->next_poll + 1) % XS_MAX_CONNS;
    return progress;
}
