/*
 * Requests: one function per xs_wire message type, in xenstore.txt's order. Each checks
 * its payload (NUL-terminated strings where the protocol says so, else EINVAL), the
 * transaction it names (a tx_id the caller did not start: EINVAL), the caller's
 * permissions and quotas, then acts and queues exactly one reply: the request's type
 * with its result, or XS_ERROR with the errno name. Changes outside a transaction are
 * made on a private version of the tree and kept whole or not at all (op_apply, then
 * work_commit_store); their watches fire after the reply is queued.
 */
#include "internal.h"

struct req {
    struct xs_store *s;
    struct xs_conn *c;
    const struct xsd_sockmsg *h;
    const char *p;
    uint32_t len;
    struct xs_txn *t;                    /* the transaction named by tx_id, if any */
    char path[XS_PATH_BUF];
};

static void reply(struct req *r, const void *data, uint32_t len)
{
    conn_queue(r->c, r->h->type, r->h->req_id, r->h->tx_id, data, len);
}

static void reply_ok(struct req *r)
{
    reply(r, "OK", 3);
}

static void reply_err(struct req *r, int err)
{
    const char *name = xs_errname(err);

    r->c->stats.errors++;
    conn_queue(r->c, XS_ERROR, r->h->req_id, r->h->tx_id, name, (uint32_t)strlen(name) + 1);
}

static void reply_rc(struct req *r, int rc)
{
    if (rc)
        reply_err(r, rc);
    else
        reply_ok(r);
}

/* The payload's NUL-terminated strings (it must end with a NUL): how many, up to max. */
static unsigned int strings(const struct req *r, const char **out, unsigned int max)
{
    unsigned int n = 0;
    uint32_t at = 0;

    if (!r->len || r->p[r->len - 1])
        return 0;
    while (at < r->len && n < max) {
        out[n++] = r->p + at;
        at += (uint32_t)strlen(r->p + at) + 1;
    }
    return n;
}

/* Exactly one string. */
static const char *one_arg(const struct req *r)
{
    const char *a;

    if (strings(r, &a, 1) != 1 || strlen(a) + 1 != r->len)
        return NULL;
    return a;
}

static bool parse_ulong(const char *s, unsigned long max, unsigned long *out)
{
    unsigned long v = 0;

    if (!*s)
        return false;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || v > (max - (unsigned long)(*s - '0')) / 10)
            return false;
        v = v * 10 + (unsigned long)(*s - '0');
    }
    *out = v;
    return true;
}

static bool parse_domid(const char *s, uint16_t *domid)
{
    unsigned long v;

    if (!parse_ulong(s, 0xffff, &v))
        return false;
    *domid = (uint16_t)v;
    return true;
}

static struct xs_node *view(const struct req *r)
{
    return r->t ? r->t->root : r->s->root;
}

/* A node to look at: ENOENT where it is missing but its nearest ancestor is readable,
 * EACCES where that ancestor or the node itself does not allow want. Logged in the
 * transaction (its absence too). */
static int get_node(struct req *r, const char *path, unsigned int want, struct xs_node **out)
{
    struct xs_node *n = node_lookup(view(r), path);
    int rc = 0;

    if (!n)
        rc = perm_allows(r->c, node_nearest(view(r), path), XS_PERM_READ) ? XEN_ENOENT
                                                                           : XEN_EACCES;
    else if (!perm_allows(r->c, n, want))
        rc = XEN_EACCES;
    if (r->t && rc != XEN_EACCES) {
        int lrc = txn_log(r->t, TXOP_READ, path, NULL, 0);

        if (lrc)
            return lrc;
    }
    *out = n;
    return rc;
}

/* The canonical form of the path string a in r->path. */
static int path_arg(struct req *r, const char *a)
{
    return a ? xs_canonical(r->c, a, r->path) : XEN_EINVAL;
}

/* ---- changes --------------------------------------------------------------------------- */

int op_apply(struct xs_work *w, struct xs_conn *c, enum xs_txop_kind kind, const char *path,
             const char *data, uint32_t len)
{
    struct xs_node *n = node_lookup(w->root, path);
    struct xs_perm perms[XS_PERMS_MAX];
    uint16_t np;
    int rc;

    switch (kind) {
    case TXOP_WRITE:
    case TXOP_MKDIR:
        if (!perm_allows(c, n ? n : node_nearest(w->root, path), XS_PERM_WRITE))
            return XEN_EACCES;
        if (kind == TXOP_WRITE && !c->privileged && len > w->s->quota.value_len)
            return XEN_ENOSPC;
        return tree_write(w, path, data, len, kind == TXOP_MKDIR);
    case TXOP_RM:
        if (!strcmp(path, "/"))
            return XEN_EINVAL;
        if (n)
            return perm_allows(c, n, XS_PERM_WRITE) ? tree_rm(w, path) : XEN_EACCES;
        if (!perm_allows(c, node_nearest(w->root, path), XS_PERM_READ))
            return XEN_EACCES;
        return node_parent(w->root, path) ? 0 : XEN_ENOENT;    /* already gone */
    case TXOP_SET_PERMS:
        rc = perms_parse(data, len, perms, c->privileged ? XS_PERMS_MAX : (uint16_t)w->s->quota.perms,
                         &np);
        if (rc)
            return rc;
        if (!n)
            return perm_allows(c, node_nearest(w->root, path), XS_PERM_READ) ? XEN_ENOENT
                                                                              : XEN_EACCES;
        if (!perm_allows(c, n, XS_PERM_WRITE | XS_PERM_OWNER))
            return XEN_EACCES;
        if (!c->privileged && perms[0].domid != n->perms[0].domid)
            return XEN_EPERM;       /* an unprivileged owner cannot give a node away */
        return tree_set_perms(w, path, perms, np);
    case TXOP_READ:
        break;
    }
    return XEN_EINVAL;
}

/* A change, in the caller's transaction or to the store directly. */
static void change(struct req *r, enum xs_txop_kind kind, const char *data, uint32_t len)
{
    struct xs_work w;
    uint64_t gen = r->s->gen;
    struct xs_node *old;
    int rc;

    work_begin(&w, r->s, view(r), r->c, r->t);
    rc = op_apply(&w, r->c, kind, r->path, data, len);
    if (!rc && r->t)
        rc = txn_log(r->t, kind, r->path, data, len);
    if (rc) {
        work_abort(&w);
        reply_err(r, rc);
        return;
    }
    if (r->t) {
        node_put(r->t->root);
        r->t->root = w.root;
        r->t->own_nodes += w.txn_delta;
        reply_ok(r);
        return;
    }
    old = work_commit_store(&w);
    reply_ok(r);
    if (r->s->gen != gen)
        watch_fire(r->s, r->path, old, r->s->root);
    node_put(old);
}

/* ---- the requests --------------------------------------------------------------------- */

static void do_read(struct req *r)
{
    struct xs_node *n;
    int rc = path_arg(r, one_arg(r));

    if (!rc)
        rc = get_node(r, r->path, XS_PERM_READ, &n);
    if (rc)
        reply_err(r, rc);
    else
        reply(r, n->value, n->vlen);
}

/* "path NUL payload" (write, set_perms): canonicalise the path and apply op to the
 * payload; EINVAL when the path is not terminated, or when the payload is required
 * (set_perms' list) and empty. */
static void path_then_payload(struct req *r, enum xs_txop_kind op, bool payload_required)
{
    size_t plen = strnlen(r->p, r->len);
    int rc;

    if (plen + (payload_required ? 1 : 0) >= r->len) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    rc = xs_canonical(r->c, r->p, r->path);
    if (rc)
        reply_err(r, rc);
    else
        change(r, op, r->p + plen + 1, r->len - (uint32_t)plen - 1);
}

static void do_write(struct req *r) { path_then_payload(r, TXOP_WRITE, false); }

static void do_mkdir(struct req *r)
{
    int rc = path_arg(r, one_arg(r));

    if (rc)
        reply_err(r, rc);
    else
        change(r, TXOP_MKDIR, NULL, 0);
}

static void do_rm(struct req *r)
{
    int rc = path_arg(r, one_arg(r));

    if (rc)
        reply_err(r, rc);
    else
        change(r, TXOP_RM, NULL, 0);
}

/* The children's names, each NUL-terminated, into the scratch buffer: their length, or
 * -1 if they do not fit in cap. */
static long list_children(struct req *r, const struct xs_node *n, size_t cap)
{
    size_t at = 0;
    uint16_t i;

    for (i = 0; i < n->nkids; i++) {
        size_t l = strlen(n->kids[i]->name) + 1;

        if (at + l > cap)
            return -1;
        memcpy(r->s->scratch + at, n->kids[i]->name, l);
        at += l;
    }
    return (long)at;
}

static void do_directory(struct req *r)
{
    struct xs_node *n;
    long len;
    int rc = path_arg(r, one_arg(r));

    if (!rc)
        rc = get_node(r, r->path, XS_PERM_READ, &n);
    if (rc) {
        reply_err(r, rc);
        return;
    }
    len = list_children(r, n, sizeof(r->s->scratch));
    if (len < 0)
        reply_err(r, XEN_E2BIG);            /* DIRECTORY_PART reads such a list */
    else
        reply(r, r->s->scratch, (uint32_t)len);
}

/* path, byte offset into the list: "<generation>\0" and the names from there that fit,
 * then an empty name when the list ends here. */
static void do_directory_part(struct req *r)
{
    const char *a[2];
    unsigned long offset;
    struct xs_node *n;
    char gen[24];
    size_t glen, at = 0, out = 0;
    uint16_t i;
    int rc;

    if (strings(r, a, 2) != 2 || !parse_ulong(a[1], 0xffffffffUL, &offset)) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    rc = path_arg(r, a[0]);
    if (!rc)
        rc = get_node(r, r->path, XS_PERM_READ, &n);
    if (rc) {
        reply_err(r, rc);
        return;
    }
    glen = (size_t)snprintf(gen, sizeof(gen), "%lu", (unsigned long)n->gen) + 1;
    memcpy(r->s->scratch, gen, glen);
    out = glen;
    for (i = 0; i < n->nkids; i++) {
        size_t l = strlen(n->kids[i]->name) + 1;

        if (at >= offset) {
            if (out + l + 1 > sizeof(r->s->scratch))
                break;
            memcpy(r->s->scratch + out, n->kids[i]->name, l);
            out += l;
        }
        at += l;
    }
    if (i == n->nkids)
        r->s->scratch[out++] = 0;
    reply(r, r->s->scratch, (uint32_t)out);
}

static void do_get_perms(struct req *r)
{
    struct xs_node *n;
    int rc = path_arg(r, one_arg(r));

    if (!rc)
        rc = get_node(r, r->path, XS_PERM_READ, &n);
    if (rc)
        reply_err(r, rc);
    else
        reply(r, r->s->scratch, perms_format(n, r->s->scratch, sizeof(r->s->scratch)));
}

static void do_set_perms(struct req *r) { path_then_payload(r, TXOP_SET_PERMS, true); }

static void do_watch(struct req *r)
{
    const char *a[2];
    struct xs_watch *w;
    bool relative;
    int rc = strings(r, a, 2) == 2 ? 0 : XEN_EINVAL;

    if (!rc)
        rc = xs_watch_path(r->c, a[0], r->path, &relative);
    if (!rc)
        rc = watch_add(r->c, r->path, a[1], relative);
    reply_rc(r, rc);
    if (rc)
        return;
    for (w = r->c->watches; w->next; w = w->next)
        ;                                   /* the one just added, last */
    watch_event(r->c, w, r->path);          /* every watch fires once when set */
}

static void do_unwatch(struct req *r)
{
    const char *a[2];
    bool relative;
    int rc = strings(r, a, 2) == 2 ? 0 : XEN_EINVAL;

    if (!rc)
        rc = xs_watch_path(r->c, a[0], r->path, &relative);
    if (!rc)
        rc = watch_remove(r->c, r->path, a[1]);
    reply_rc(r, rc);
}

static void do_transaction_start(struct req *r)
{
    char id[16];
    uint32_t tid;
    int rc;

    if (r->h->tx_id) {                      /* no nesting */
        reply_err(r, txn_find(r->c, r->h->tx_id) ? XEN_EBUSY : XEN_EINVAL);
        return;
    }
    rc = txn_start(r->c, &tid);
    if (rc) {
        reply_err(r, rc);
        return;
    }
    snprintf(id, sizeof(id), "%u", tid);
    reply(r, id, (uint32_t)strlen(id) + 1);
}

static void do_transaction_end(struct req *r)
{
    const char *a = one_arg(r);
    struct xs_node *old = NULL;
    int rc = 0;

    if (!r->t || !a || (strcmp(a, "T") && strcmp(a, "F"))) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    if (a[0] == 'T')
        rc = txn_commit(r->s, r->c, r->t, &old);
    reply_rc(r, rc);
    if (a[0] == 'T' && !rc) {               /* watches after the reply, as for others */
        txn_fire(r->s, r->t, old);
        node_put(old);
    }
    txn_close(r->c, r->t);
}

static void do_introduce(struct req *r)
{
    const char *a[3];
    unsigned long mfn, port;
    uint16_t domid;
    int rc;

    if (!r->c->privileged) {
        reply_err(r, XEN_EACCES);
        return;
    }
    if (strings(r, a, 3) != 3 || !parse_domid(a[0], &domid) || !domid ||
        domid >= XS_DOMID_RESERVED || !parse_ulong(a[1], ~0UL, &mfn) ||
        !parse_ulong(a[2], 0xffffffffUL, &port)) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    if (conn_of_domid(r->s, domid))
        rc = 0;                             /* again: nothing to do */
    else if (!r->s->hooks.introduce)
        rc = XEN_ENOSYS;
    else
        rc = r->s->hooks.introduce(r->s->hooks.ctx, domid, mfn, (uint32_t)port);
    reply_rc(r, rc);
}

static void do_release(struct req *r)
{
    const char *a = one_arg(r);
    uint16_t domid;

    if (!r->c->privileged) {
        reply_err(r, XEN_EACCES);
        return;
    }
    if (!a || !parse_domid(a, &domid) || !domid || domid == r->c->domid) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    if (!conn_of_domid(r->s, domid)) {
        reply_err(r, XEN_ENOENT);
        return;
    }
    xs_release(r->s, domid);
    if (r->s->hooks.release)
        r->s->hooks.release(r->s->hooks.ctx, domid);
    reply_ok(r);
}

static void do_get_domain_path(struct req *r)
{
    const char *a = one_arg(r);
    uint16_t domid;

    if (!a || !parse_domid(a, &domid)) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    xs_home(domid, r->path, sizeof(r->path));
    reply(r, r->path, (uint32_t)strlen(r->path) + 1);
}

static void do_is_domain_introduced(struct req *r)
{
    const char *a = one_arg(r);
    uint16_t domid;

    if (!a || !parse_domid(a, &domid)) {
        reply_err(r, XEN_EINVAL);
        return;
    }
    reply(r, domid == 0 || conn_of_domid(r->s, domid) ? "T" : "F", 2);
}

static void do_resume(struct req *r)
{
    const char *a = one_arg(r);
    uint16_t domid;

    if (!r->c->privileged)
        reply_err(r, XEN_EACCES);
    else if (!a || !parse_domid(a, &domid))
        reply_err(r, XEN_EINVAL);
    else
        reply_rc(r, conn_of_domid(r->s, domid) ? 0 : XEN_ENOENT);
}

static void do_reset_watches(struct req *r)
{
    watch_free_all(r->c);
    txn_free_all(r->c);
    reply_ok(r);
}

/* CONTROL and SET_TARGET: tools' requests Parapet has no use for. */
static void do_privileged_unsupported(struct req *r)
{
    reply_err(r, r->c->privileged ? XEN_ENOSYS : XEN_EACCES);
}

static const struct {
    void (*fn)(struct req *r);
    bool in_txn;                            /* tx_id names a transaction */
} handlers[XS_TYPE_COUNT] = {
    [XS_CONTROL] = { do_privileged_unsupported, false },
    [XS_DIRECTORY] = { do_directory, true },
    [XS_READ] = { do_read, true },
    [XS_GET_PERMS] = { do_get_perms, true },
    [XS_WATCH] = { do_watch, false },
    [XS_UNWATCH] = { do_unwatch, false },
    [XS_TRANSACTION_START] = { do_transaction_start, false },
    [XS_TRANSACTION_END] = { do_transaction_end, true },
    [XS_INTRODUCE] = { do_introduce, false },
    [XS_RELEASE] = { do_release, false },
    [XS_GET_DOMAIN_PATH] = { do_get_domain_path, false },
    [XS_WRITE] = { do_write, true },
    [XS_MKDIR] = { do_mkdir, true },
    [XS_RM] = { do_rm, true },
    [XS_SET_PERMS] = { do_set_perms, true },
    [XS_IS_DOMAIN_INTRODUCED] = { do_is_domain_introduced, false },
    [XS_RESUME] = { do_resume, false },
    [XS_SET_TARGET] = { do_privileged_unsupported, false },
    [XS_RESET_WATCHES] = { do_reset_watches, false },
    [XS_DIRECTORY_PART] = { do_directory_part, true },
};

void xs_handle(struct xs_store *s, struct xs_conn *c, const struct xsd_sockmsg *hdr,
               const void *payload)
{
    static struct req r;                    /* one request at a time: off the stack */

    memset(&r, 0, sizeof(r) - sizeof(r.path));
    r.s = s;
    r.c = c;
    r.h = hdr;
    r.p = payload;
    r.len = hdr->len;
    r.path[0] = 0;
    c->stats.requests++;
    if (hdr->type >= XS_TYPE_COUNT || !handlers[hdr->type].fn || hdr->len > XENSTORE_PAYLOAD_MAX) {
        reply_err(&r, XEN_EINVAL);          /* also WATCH_EVENT and ERROR, which are ours */
        return;
    }
    if (handlers[hdr->type].in_txn && hdr->tx_id) {
        r.t = txn_find(c, hdr->tx_id);
        if (!r.t) {
            reply_err(&r, XEN_EINVAL);
            return;
        }
    }
    handlers[hdr->type].fn(&r);
}

uint32_t xs_request(struct xs_store *s, struct xs_conn *c, uint32_t type, uint32_t tx_id,
                    const void *payload, uint32_t len, char *reply_buf, size_t cap,
                    uint32_t *reply_len)
{
    static uint32_t next_id = 1;
    struct xsd_sockmsg h = { .type = type, .req_id = next_id++, .tx_id = tx_id, .len = len };

    xs_handle(s, c, &h, payload);
    for (;;) {
        struct xsd_sockmsg got;
        uint32_t i;
        char ch;

        if (xs_conn_output(c, &got, sizeof(got)) != sizeof(got))
            return XS_INVALID;
        for (i = 0; i < got.len; i++) {
            xs_conn_output(c, &ch, 1);
            if (i + 1 < cap)
                reply_buf[i] = ch;
        }
        if (got.type == XS_WATCH_EVENT || got.req_id != h.req_id)
            continue;
        if (cap)
            reply_buf[got.len < cap ? got.len : cap - 1] = 0;
        if (reply_len)
            *reply_len = got.len;
        return got.type;
    }
}
