/*
 * The store and its connections: one per domain introduced (a ring) and local ones (the
 * control domain's own, the unit tests'). A connection keeps what it owns (nodes,
 * watches, transactions, each within its quota) and a bounded queue of output waiting
 * for its ring. Introduction and release of domains, and the standard entries of a
 * domain, are here too: what Xen's toolstack would write, Parapet's control domain
 * writes itself.
 */
#include "internal.h"

static const struct xs_quota default_quota = {
    .nodes = 500,
    .value_len = 2048,
    .watches = 128,
    .transactions = 10,
    .txn_ops = 256,
    .perms = 16,
    .out_bytes = 4 * XS_MSG_MAX,
};

const struct xs_quota *xs_default_quota(void)
{
    return &default_quota;
}

const char *xs_errname(int err)
{
    static const struct { int err; const char *name; } names[] = {
        { XEN_EINVAL, "EINVAL" }, { XEN_EACCES, "EACCES" }, { XEN_EEXIST, "EEXIST" },
        { XEN_EISDIR, "EISDIR" }, { XEN_ENOENT, "ENOENT" }, { XEN_ENOMEM, "ENOMEM" },
        { XEN_ENOSPC, "ENOSPC" }, { XEN_EIO, "EIO" }, { XEN_ENOTEMPTY, "ENOTEMPTY" },
        { XEN_ENOSYS, "ENOSYS" }, { XEN_EROFS, "EROFS" }, { XEN_EBUSY, "EBUSY" },
        { XEN_EAGAIN, "EAGAIN" }, { XEN_EISCONN, "EISCONN" }, { XEN_E2BIG, "E2BIG" },
        { XEN_EPERM, "EPERM" },
    };
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].err == err)
            return names[i].name;
    return "EIO";
}

/* ---- the store -------------------------------------------------------------------------- */

static const struct xs_perm dom0_only = { 0, XS_PERM_NONE };

struct xs_store *xs_store_create(const struct xs_hooks *hooks, const struct xs_quota *quota)
{
    static const char *const base[] = { "/local", "/local/domain", "/tool" };
    struct xs_store *s = xs_alloc(sizeof(*s));
    struct xs_work w;
    size_t i;

    if (!s)
        return NULL;
    memset(s, 0, sizeof(*s));
    s->quota = quota ? *quota : default_quota;
    if (s->quota.perms > XS_PERMS_MAX)
        s->quota.perms = XS_PERMS_MAX;
    if (s->quota.out_bytes < 2 * XS_MSG_MAX)
        s->quota.out_bytes = 2 * XS_MSG_MAX;
    if (hooks)
        s->hooks = *hooks;
    s->next_txid = 1;
    s->root = node_new("", 0, &dom0_only, 1);
    if (!s->root) {
        xs_free(s);
        return NULL;
    }
    work_begin(&w, s, s->root, NULL, NULL);
    for (i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
        if (tree_write(&w, base[i], NULL, 0, true)) {
            work_abort(&w);
            xs_store_destroy(s);
            return NULL;
        }
    }
    node_put(work_commit_store(&w));
    return s;
}

void xs_store_destroy(struct xs_store *s)
{
    unsigned int i;

    if (!s)
        return;
    for (i = 0; i < XS_MAX_CONNS; i++)
        if (s->conns[i].in_use)
            xs_conn_free(s, &s->conns[i]);
    node_put(s->root);
    xs_free(s);
}

/* ---- connections ------------------------------------------------------------------------ */

struct xs_conn *conn_of_domid(struct xs_store *s, uint16_t domid)
{
    unsigned int i;

    for (i = 0; i < XS_MAX_CONNS; i++)
        if (s->conns[i].in_use && s->conns[i].domid == domid)
            return &s->conns[i];
    return NULL;
}

struct xs_conn *xs_conn_find(struct xs_store *s, uint16_t domid)
{
    return conn_of_domid(s, domid);
}

struct xs_conn *conn_alloc(struct xs_store *s, uint16_t domid)
{
    struct xs_conn *c = NULL;
    unsigned int i;

    if (conn_of_domid(s, domid))
        return NULL;
    for (i = 0; i < XS_MAX_CONNS && !c; i++)
        if (!s->conns[i].in_use)
            c = &s->conns[i];
    if (!c)
        return NULL;
    memset(c, 0, sizeof(*c));
    c->out = xs_alloc(s->quota.out_bytes);
    if (!c->out)
        return NULL;
    c->in_use = true;
    c->store = s;
    c->domid = domid;
    c->privileged = domid == 0;
    c->nodes = node_count_owned(s->root, domid);
    c->stats.domid = domid;
    return c;
}

struct xs_conn *xs_conn_local(struct xs_store *s, uint16_t domid)
{
    return conn_alloc(s, domid);
}

void conn_forget(struct xs_conn *c)
{
    watch_free_all(c);
    txn_free_all(c);
    c->in_have = 0;
    c->out_head = c->out_len = 0;
}

void xs_conn_free(struct xs_store *s, struct xs_conn *c)
{
    (void)s;
    conn_forget(c);
    xs_free(c->out);
    c->out = NULL;
    c->in_use = false;
}

size_t conn_out_free(const struct xs_conn *c)
{
    return c->store->quota.out_bytes - c->out_len;
}

size_t xs_conn_pending(const struct xs_conn *c)
{
    return c->out_len;
}

static void out_put(struct xs_conn *c, const void *p, size_t len)
{
    size_t cap = c->store->quota.out_bytes;
    const char *b = p;

    while (len) {
        size_t at = (c->out_head + c->out_len) % cap;
        size_t n = cap - at < len ? cap - at : len;

        memcpy(c->out + at, b, n);
        c->out_len += n;
        b += n;
        len -= n;
    }
}

bool conn_queue2(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                 const void *a, uint32_t alen, const void *b, uint32_t blen)
{
    struct xsd_sockmsg h = { .type = type, .req_id = req_id, .tx_id = tx_id,
                             .len = alen + blen };

    if (alen > XENSTORE_PAYLOAD_MAX || blen > XENSTORE_PAYLOAD_MAX - alen ||
        conn_out_free(c) < sizeof(h) + h.len)
        return false;
    out_put(c, &h, sizeof(h));
    out_put(c, a, alen);
    out_put(c, b, blen);
    return true;
}

bool conn_queue(struct xs_conn *c, uint32_t type, uint32_t req_id, uint32_t tx_id,
                const void *payload, uint32_t len)
{
    return conn_queue2(c, type, req_id, tx_id, payload, len, NULL, 0);
}

size_t xs_conn_output(struct xs_conn *c, void *buf, size_t cap)
{
    size_t qcap = c->store->quota.out_bytes, done = 0;
    char *b = buf;

    while (done < cap && c->out_len) {
        size_t n = qcap - c->out_head;

        if (n > c->out_len)
            n = c->out_len;
        if (n > cap - done)
            n = cap - done;
        memcpy(b + done, c->out + c->out_head, n);
        c->out_head = (c->out_head + n) % qcap;
        c->out_len -= n;
        done += n;
    }
    return done;
}

void xs_conn_stats(const struct xs_conn *c, struct xs_conn_stats *out)
{
    *out = c->stats;
    out->nodes = c->nodes;
}

/* ---- domains ------------------------------------------------------------------------------ */

struct xs_conn *xs_introduce(struct xs_store *s, uint16_t domid, void *ring, void *cookie)
{
    struct xs_conn *c = conn_alloc(s, domid);
    volatile struct xenstore_domain_interface *r = ring;

    if (!c)
        return NULL;
    c->ring = r;
    c->cookie = cookie;
    c->privileged = false;          /* a ring is a guest's, whatever its id */
    /* Features first, before any byte moves (xenstore-ring.txt); indices as we find them. */
    r->server_features |= XENSTORE_SERVER_FEATURE_RECONNECTION | XENSTORE_SERVER_FEATURE_ERROR;
    c->req_cons = r->req_cons;
    c->rsp_prod = r->rsp_prod;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    watch_fire(s, "@introduceDomain", s->root, s->root);
    xs_ring_service(s, c);
    return c;
}

int xs_release(struct xs_store *s, uint16_t domid)
{
    struct xs_conn *c = conn_of_domid(s, domid);
    char home[32];
    struct xs_work w;
    struct xs_node *old;

    if (c)
        xs_conn_free(s, c);
    xs_home(domid, home, sizeof(home));
    work_begin(&w, s, s->root, NULL, NULL);
    if ((node_lookup(w.root, home) && tree_rm(&w, home)) || tree_disown(&w, domid)) {
        work_abort(&w);             /* out of memory: the nodes stay */
    } else {
        old = work_commit_store(&w);
        watch_fire(s, home, old, s->root);
        node_put(old);
    }
    if (c)
        watch_fire(s, "@releaseDomain", s->root, s->root);
    return c ? 0 : XEN_ENOENT;
}

int xs_domain_nodes(struct xs_store *s, uint16_t domid, const char *name, uint64_t mem_kib)
{
    static const char *const owned[] = { "control", "data", "device", "drivers" };
    struct xs_perm readable[2] = { { 0, XS_PERM_NONE }, { domid, XS_PERM_READ } };
    struct xs_perm mine = { domid, XS_PERM_NONE };
    char home[32], path[64], num[24];
    struct xs_work w;
    struct xs_node *old;
    size_t i;
    int rc;

    xs_home(domid, home, sizeof(home));
    work_begin(&w, s, s->root, NULL, NULL);
    rc = tree_write(&w, home, NULL, 0, true);
    if (!rc)
        rc = tree_set_perms(&w, home, readable, domid ? 2 : 1);
#define PUT(sub, value) do { \
        if (!rc) { \
            snprintf(path, sizeof(path), "%s/%s", home, sub); \
            rc = tree_write(&w, path, value, (uint32_t)strlen(value), false); \
        } \
    } while (0)
    snprintf(num, sizeof(num), "%u", (unsigned int)domid);
    PUT("domid", num);
    PUT("name", name);
    snprintf(num, sizeof(num), "%lu", (unsigned long)mem_kib);
    PUT("memory/static-max", num);
    PUT("memory/target", num);
    PUT("cpu/0/availability", "online");
#undef PUT
    for (i = 0; i < sizeof(owned) / sizeof(owned[0]) && !rc; i++) {
        snprintf(path, sizeof(path), "%s/%s", home, owned[i]);
        rc = tree_write(&w, path, NULL, 0, true);
        if (!rc)
            rc = tree_set_perms(&w, path, &mine, 1);
    }
    if (rc) {
        work_abort(&w);
        return rc;
    }
    old = work_commit_store(&w);
    watch_fire(s, home, old, s->root);
    node_put(old);
    return 0;
}
