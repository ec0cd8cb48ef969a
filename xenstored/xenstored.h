/*
 * xenstored: the store the control domain serves to every other domain (docs/xenstore.md),
 * as a library with no guest dependencies: the node tree with values and permissions,
 * Xen's xs_wire requests and their error strings, watches, transactions, per-domain
 * quotas, and the framing of messages on a domain's xenstore ring. guest-port links it
 * as its init=xenstored service; tests/unit/test_xenstored.c runs it on the host.
 *
 * The embedder supplies memory (xs_alloc, xs_free) and, through struct xs_hooks, the
 * event-channel kick of a ring and what INTRODUCE and RELEASE must do to the machine.
 */
#ifndef XENSTORED_H
#define XENSTORED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
/* xs_wire.h defines a table of errno names when EINVAL is defined (guest-port's uapi.h
 * defines it, without the others the table names): keep it out. */
#pragma push_macro("EINVAL")
#undef EINVAL
#include <xen/io/xs_wire.h>
#pragma pop_macro("EINVAL")

#define XS_MAX_CONNS     16      /* connections at once: domains, and local ones */
#define XS_MSG_MAX       (sizeof(struct xsd_sockmsg) + XENSTORE_PAYLOAD_MAX)

/* Limits on what one unprivileged domain may hold; privileged ones are not counted. */
struct xs_quota {
    unsigned int nodes;          /* nodes it owns                          (ENOSPC) */
    unsigned int value_len;      /* bytes in one node's value              (ENOSPC) */
    unsigned int watches;        /* watches registered                      (E2BIG) */
    unsigned int transactions;   /* transactions open at once              (ENOSPC) */
    unsigned int txn_ops;        /* changes and reads one transaction logs  (E2BIG) */
    unsigned int perms;          /* entries in one node's permission list   (E2BIG) */
    unsigned int out_bytes;      /* replies and events waiting for its ring: requests
                                    are not read while less than XS_MSG_MAX is free,
                                    events that do not fit are dropped */
};

/* What the store asks of the machine it runs on. Any hook may be NULL. */
struct xs_hooks {
    void *ctx;
    /* Raise the event channel of a ring connection (the cookie given to xs_introduce). */
    void (*notify)(void *ctx, void *cookie);
    /* XS_INTRODUCE from a privileged connection: connect the domain (map its ring, bind
     * its port, then xs_introduce). 0 or a positive errno. NULL: ENOSYS. */
    int (*introduce)(void *ctx, uint16_t domid, uint64_t mfn, uint32_t port);
    /* XS_RELEASE from a privileged connection, after the store forgot the domain:
     * unmap and unbind. */
    void (*release)(void *ctx, uint16_t domid);
};

struct xs_store;
struct xs_conn;

/* Supplied by the embedder: NULL when out of memory (the request fails with ENOMEM). */
void *xs_alloc(size_t size);
void xs_free(void *p);

/* A store holding "/", "/local", "/local/domain" and "/tool", all "n0". NULL quota:
 * the defaults (docs/xenstore.md). NULL when out of memory. */
struct xs_store *xs_store_create(const struct xs_hooks *hooks, const struct xs_quota *quota);
void xs_store_destroy(struct xs_store *s);
const struct xs_quota *xs_default_quota(void);

/* A connection without a ring (its messages through xs_handle, its output through
 * xs_conn_output): the control domain's own, and the unit tests' clients. Domain 0 is
 * privileged. NULL when there is no room. */
struct xs_conn *xs_conn_local(struct xs_store *s, uint16_t domid);
void xs_conn_free(struct xs_store *s, struct xs_conn *c);

/* Serve domid over its ring page (struct xenstore_domain_interface, already mapped) and
 * event channel (cookie, for hooks->notify): advertises reconnection and the error
 * field, fires @introduceDomain, and reads what is already waiting. NULL if domid is
 * already introduced or there is no room. */
struct xs_conn *xs_introduce(struct xs_store *s, uint16_t domid, void *ring, void *cookie);
/* Forget domid: its connection, watches and transactions, its /local/domain/<domid>
 * subtree; nodes it owned elsewhere pass to domain 0; fires @releaseDomain. 0, or
 * ENOENT when it was not introduced (its nodes go all the same). */
int xs_release(struct xs_store *s, uint16_t domid);
struct xs_conn *xs_conn_find(struct xs_store *s, uint16_t domid);

/* The standard entries of a domain (docs/xenstore.md): its home, name, domid,
 * memory/static-max and memory/target (KiB), cpu/0/availability, read-only to it, and
 * control, data, device and drivers, which it owns. Written before xs_introduce, they
 * are there when its first request is read. 0 or a positive errno. */
int xs_domain_nodes(struct xs_store *s, uint16_t domid, const char *name, uint64_t mem_kib);

/* One request (header and hdr->len bytes of payload) from c: the reply, and any watch
 * events it causes, are queued on the connections concerned. */
void xs_handle(struct xs_store *s, struct xs_conn *c, const struct xsd_sockmsg *hdr,
               const void *payload);
/* The same for a local connection, waiting for nothing: the reply's type (XS_ERROR with
 * the errno name in reply, or the request's type) and its payload, NUL-terminated,
 * cut to cap - 1 bytes; watch events queued before it are skipped. */
uint32_t xs_request(struct xs_store *s, struct xs_conn *c, uint32_t type, uint32_t tx_id,
                    const void *payload, uint32_t len, char *reply, size_t cap,
                    uint32_t *reply_len);
/* Take up to cap bytes of c's queued output (whole or partial messages, in order). */
size_t xs_conn_output(struct xs_conn *c, void *buf, size_t cap);
size_t xs_conn_pending(const struct xs_conn *c);

/* Move messages between every ring connection and the store: requests in (at most a
 * few per connection per call, so a flood cannot starve the others), replies and
 * events out, kicks where indices moved. True when anything happened; call again until
 * false, and whenever a store event channel fires. */
bool xs_service(struct xs_store *s);
bool xs_ring_service(struct xs_store *s, struct xs_conn *c);

/* Figures for the log line of a connection. */
struct xs_conn_stats {
    uint16_t domid;
    unsigned long requests;      /* requests handled */
    unsigned long errors;        /* of which refused */
    unsigned long events;        /* watch events queued */
    unsigned long dropped;       /* watch events dropped: its output was full */
    unsigned int nodes;          /* nodes it owns now */
    uint32_t ring_error;         /* XENSTORE_ERROR_* it last caused (even if it has
                                    reconnected since), 0 none */
    unsigned long reconnects;
};
void xs_conn_stats(const struct xs_conn *c, struct xs_conn_stats *out);

/* The errno name of a positive errno value ("EINVAL"), "EIO" if it has none. */
const char *xs_errname(int err);

#endif
