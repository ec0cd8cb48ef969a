/*
 * What the files of xenstored/ share: the node tree (node.c), paths (path.c),
 * permissions (perms.c), a change in progress (node.c: struct xs_work), watches
 * (watch.c), transactions (txn.c), connections and their output (conn.c), requests
 * (ops.c) and the ring (ring.c). Errors are positive Xen errno values (xen/errno.h),
 * named on the wire by xs_errname().
 */
#ifndef XENSTORED_INTERNAL_H
#define XENSTORED_INTERNAL_H

#include "xenstored.h"
#include <xen/errno.h>

#ifdef XS_HOSTED                 /* the host unit tests: the C library */
#include <stdio.h>
#include <string.h>
#else                            /* guest-port: the freestanding string code of tests/lib */
#include "lib.h"
#endif

#define XS_PERM_NONE   0u
#define XS_PERM_READ   1u
#define XS_PERM_WRITE  2u
#define XS_PERM_BOTH   (XS_PERM_READ | XS_PERM_WRITE)
#define XS_PERM_OWNER  4u        /* asked for, never stored: only the owner may */

#define XS_PATH_BUF    (XENSTORE_ABS_PATH_MAX + 1)
#define XS_BATCH       8         /* requests taken from one ring per xs_ring_service */
#define XS_INVALID_DOMID 0xffffu
#define XS_DOMID_RESERVED 0x7ff0u   /* DOMID_FIRST_RESERVED: DOMID_SELF and the like */
#define XS_PERMS_MAX   32        /* the most quota.perms may allow */
#define XS_DEPTH_MAX   32        /* components in a path: the tree code recurses that deep */

/* One entry of a permission list: entry 0 names the owner and what everyone else
 * may do; the others what one domain may do. */
struct xs_perm {
    uint16_t domid;
    uint8_t mode;                /* XS_PERM_NONE, _READ, _WRITE or _BOTH */
};

/*
 * A node. Trees are persistent: a node is shared by every tree version (the store's
 * current one, transaction snapshots) that has not changed it, counted by refs, and
 * never changed while shared. A change copies the path from the root down to what it
 * changes (node_own) and leaves the other versions as they were.
 */
struct xs_node {
    uint32_t refs;
    uint16_t nkids, nperms;
    uint32_t vlen;
    uint64_t gen;                /* store generation of the last change of its value,
                                    permissions or set of children */
    char *name;                  /* its last path component; "" for the root */
    char *value;                 /* vlen bytes, not NUL-terminated; NULL when empty */
    struct xs_perm *perms;
    struct xs_node **kids;
};

struct xs_watch {
    struct xs_watch *next;
    char *path;                  /* absolute, or @special */
    char *token;
    bool relative;               /* registered relative: events are given relative */
};

/* A transaction's log entry: a change to replay at commit, or a path it looked at. */
enum xs_txop_kind { TXOP_READ, TXOP_WRITE, TXOP_MKDIR, TXOP_RM, TXOP_SET_PERMS };
struct xs_txop {
    struct xs_txop *next;
    enum xs_txop_kind kind;
    char *path;                  /* absolute */
    char *data;                  /* WRITE: the value; SET_PERMS: the list, as sent */
    uint32_t len;
};

struct xs_txn {
    struct xs_txn *next;
    uint32_t id;
    struct xs_node *base;        /* the store when it started */
    struct xs_node *root;        /* base and its own changes: what it reads */
    struct xs_txop *ops, **tail;
    unsigned int nops, max_ops;
    int own_nodes;               /* nodes it created (-removed) that the caller owns */
};

struct xs_conn {
    struct xs_store *store;
    uint16_t domid;
    bool privileged;
    bool in_use;
    /* ring connections */
    volatile struct xenstore_domain_interface *ring;
    void *cookie;
    uint32_t req_cons, rsp_prod;         /* ours: never read back from the page */
    uint32_t ring_error;                 /* XENSTORE_ERROR_*: stopped until reconnect */
    bool kick;                           /* indices moved: notify before returning */
    uint32_t in_have;                    /* bytes of the message being assembled */
    union {
        struct xsd_sockmsg hdr;
        char bytes[XS_MSG_MAX];
    } in;
    /* queued output: a byte ring of quota.out_bytes */
    char *out;
    size_t out_head, out_len;
    /* its share of the store */
    unsigned int nodes;                  /* nodes it owns in the current tree */
    int pending;                         /* ... and in the change being made */
    struct xs_watch *watches;
    unsigned int nwatches;
    struct xs_txn *txns;
    unsigned int ntxns;
    struct xs_conn_stats stats;
};

struct xs_store {
    struct xs_node *root;
    uint64_t gen;
    uint32_t next_txid;
    struct xs_quota quota;
    struct xs_hooks hooks;
    struct xs_conn conns[XS_MAX_CONNS];
    unsigned int next_poll;              /* round robin of xs_service */
    char scratch[XENSTORE_PAYLOAD_MAX];  /* a reply being built */
};

/* ---- path.c ---- */
/* The absolute form of path as c sent it (relative: under /local/domain/<domid>), in
 * out[XS_PATH_BUF]. 0, or EINVAL (empty, bad character, "//", trailing '/', too long). */
int xs_canonical(const struct xs_conn *c, const char *path, char *out);
/* A watch path: as xs_canonical, or "@name" for the special events. */
int xs_watch_path(const struct xs_conn *c, const char *path, char *out, bool *relative);
/* child is parent itself or below it. */
bool xs_is_child(const char *child, const char *parent);
/* /local/domain/<domid> */
void xs_home(uint16_t domid, char *out, size_t cap);
size_t xs_strlcpy(char *dst, const char *src, size_t cap);
char *xs_strdup(const char *s);
char *xs_memdup(const void *p, size_t len);

/* ---- node.c ---- */
void node_get(struct xs_node *n);
void node_put(struct xs_node *n);
struct xs_node *node_new(const char *name, size_t len, const struct xs_perm *perms,
                         uint16_t nperms);
struct xs_node *node_lookup(struct xs_node *root, const char *path);
/* The deepest existing node on the way to path (the root at least). */
struct xs_node *node_nearest(struct xs_node *root, const char *path);
/* path's parent, if it exists (NULL for "/"). */
struct xs_node *node_parent(struct xs_node *root, const char *path);

/* A change being made: a private version of a tree, and what it did to node counts. */
struct xs_work {
    struct xs_store *s;
    struct xs_node *root;        /* owned reference */
    bool count;                  /* charge created and removed nodes to their owners */
    struct xs_txn *txn;          /* inside this transaction (count: to its own_nodes) */
    struct xs_conn *caller;      /* NULL: the store itself (privileged, domain 0) */
    uint16_t domid;              /* who creates nodes */
    bool privileged;
    int txn_delta;               /* inside a transaction: the caller's nodes, +created */
};
void work_begin(struct xs_work *w, struct xs_store *s, struct xs_node *from,
                struct xs_conn *caller, struct xs_txn *txn);
void work_abort(struct xs_work *w);
/* The changes, applied to the store's tree (not in a transaction): counts settled,
 * the old tree given back. */
struct xs_node *work_commit_store(struct xs_work *w);

int tree_write(struct xs_work *w, const char *path, const char *value, uint32_t vlen,
               bool mkdir_only);
int tree_rm(struct xs_work *w, const char *path);
int tree_set_perms(struct xs_work *w, const char *path, const struct xs_perm *perms,
                   uint16_t nperms);
/* Give every node owned by domid to domain 0. */
int tree_disown(struct xs_work *w, uint16_t domid);
unsigned int node_count_owned(const struct xs_node *n, uint16_t domid);

/* ---- perms.c ---- */
unsigned int perm_of(const struct xs_conn *c, const struct xs_node *n);
bool perm_allows(const struct xs_conn *c, const struct xs_node *n, unsigned int want);
/* Parse "r1\0b2\0..." (len bytes, every entry NUL-terminated): 0, EINVAL or E2BIG. */
int perms_parse(const char *data, uint32_t len, struct xs_perm *out, uint16_t max,
                uint16_t *n);
/* "n0\0r1\0" into out: bytes written. */
uint32_t perms_format(const struct xs_node *n, char *out, size_t cap);
/* What a node created by domain domid below parent gets: the parent's list, owned by
 * domid if it is unprivileged. Returns the count (out holds XS_PERMS_MAX). */
uint16_t perms_inherit(uint16_t domid, bool privileged, const struct xs_node *parent,
                       struct xs_perm *out);

/* ---- watch.c ---- */
int watch_add(struct xs_conn *c, const char *path, const char *token, bool relative);
int watch_remove(struct xs_conn *c, const char *path, const char *token);
void watch_free_all(struct xs_conn *c);
/* path (absolute or @special) changed between old and new trees: queue the events. */
void watch_fire(struct xs_store *s, const char *path, struct xs_node *old_root,
                struct xs_node *new_root);
void watch_event(struct xs_conn *c, const struct xs_watch *w, const char *epath);

/* ---- txn.c ---- */
struct xs_txn *txn_find(struct xs_conn *c, uint32_t id);
int txn_start(struct xs_conn *c, uint32_t *id);
int txn_log(struct xs_txn *t, enum xs_txop_kind kind, const char *path, const char *data,
            uint32_t len);
/* Apply t's changes to the store: 0 with *old the store's previous tree (for
 * txn_fire, then node_put), EAGAIN on a conflict, or the error of a change. */
int txn_commit(struct xs_store *s, struct xs_conn *c, struct xs_txn *t, struct xs_node **old);
void txn_fire(struct xs_store *s, struct xs_txn *t, struct xs_node *old);
/* Forget t, committed or not. */
void txn_close(struct xs_conn *c, struct xs_txn *t);
void txn_free_all(struct xs_conn *c);

/* ---- conn.c ---- */
struct xs_conn *conn_alloc(struct xs_store *s, uint16_t domid);
/* Queue one message on c's output; false when it does not fit. */
bool conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                const void *payload, uint32_t len);
/* The same with the payload in two pieces. */
bool conn_queue2(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                 const void *a, uint32_t alen, const void *b, uint32_t blen);
size_t conn_out_free(const struct xs_conn *c);
void conn_forget(struct xs_conn *c);     /* watches, transactions, partial and queued data */
struct xs_conn *conn_of_domid(struct xs_store *s, uint16_t domid);

/* ---- ops.c ---- */
/* One change of a request or a replayed transaction entry, checked against c's
 * permissions in w's tree. */
int op_apply(struct xs_work *w, struct xs_conn *c, enum xs_txop_kind kind, const char *path,
             const char *data, uint32_t len);

#endif
