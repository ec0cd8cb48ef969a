/*
 * Transactions. TRANSACTION_START takes a snapshot of the store (a reference to its
 * root: the tree is persistent, so this copies nothing). Requests with that tx_id read
 * the snapshot with the transaction's own changes applied to a private version of it,
 * and every path they read or change is logged. TRANSACTION_END "T" commits: if any
 * logged path is different in the store now from the snapshot (created, removed, or its
 * value, permissions or children changed: its generation), the answer is EAGAIN and
 * nothing happens; otherwise the logged changes are applied to the store as one change,
 * checked again as the caller, and their watches fire. "F", or any failure, abandons it.
 * An id the caller did not start is EINVAL. Quotas: quota.transactions open per
 * domain, quota.txn_ops logged per transaction.
 */
#include "internal.h"

struct xs_txn *txn_find(struct xs_conn *c, uint32_t id)
{
    struct xs_txn *t;

    for (t = c->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

static bool id_in_use(struct xs_store *s, uint32_t id)
{
    unsigned int i;

    for (i = 0; i < XS_MAX_CONNS; i++)
        if (s->conns[i].in_use && txn_find(&s->conns[i], id))
            return true;
    return false;
}

int txn_start(struct xs_conn *c, uint32_t *id)
{
    struct xs_store *s = c->store;
    struct xs_txn *t;

    if (!c->privileged && c->ntxns >= s->quota.transactions)
        return XEN_ENOSPC;
    t = xs_alloc(sizeof(*t));
    if (!t)
        return XEN_ENOMEM;
    memset(t, 0, sizeof(*t));
    do {
        t->id = s->next_txid++;
    } while (!t->id || id_in_use(s, t->id));
    t->base = s->root;
    t->root = s->root;
    node_get(t->base);
    node_get(t->root);
    t->tail = &t->ops;
    t->max_ops = c->privileged ? ~0u : s->quota.txn_ops;
    t->next = c->txns;
    c->txns = t;
    c->ntxns++;
    *id = t->id;
    return 0;
}

int txn_log(struct xs_txn *t, enum xs_txop_kind kind, const char *path, const char *data,
            uint32_t len)
{
    struct xs_txop *op;

    if (kind == TXOP_READ)
        for (op = t->ops; op; op = op->next)
            if (!strcmp(op->path, path))
                return 0;                   /* already logged: its state is checked */
    if (t->nops >= t->max_ops)
        return XEN_E2BIG;
    op = xs_alloc(sizeof(*op));
    if (!op)
        return XEN_ENOMEM;
    op->next = NULL;
    op->kind = kind;
    op->len = len;
    op->path = xs_strdup(path);
    op->data = data ? xs_memdup(data, len) : NULL;
    if (!op->path || (data && !op->data)) {
        xs_free(op->path);
        xs_free(op->data);
        xs_free(op);
        return XEN_ENOMEM;
    }
    *t->tail = op;
    t->tail = &op->next;
    t->nops++;
    return 0;
}

static void txn_free(struct xs_txn *t)
{
    while (t->ops) {
        struct xs_txop *op = t->ops;

        t->ops = op->next;
        xs_free(op->path);
        xs_free(op->data);
        xs_free(op);
    }
    node_put(t->base);
    node_put(t->root);
    xs_free(t);
}

static void unlink_txn(struct xs_conn *c, struct xs_txn *t)
{
    struct xs_txn **p;

    for (p = &c->txns; *p; p = &(*p)->next) {
        if (*p == t) {
            *p = t->next;
            c->ntxns--;
            return;
        }
    }
}

/* Is path as it was when t started? */
static bool unchanged(struct xs_store *s, struct xs_txn *t, const char *path)
{
    struct xs_node *then = node_lookup(t->base, path), *now = node_lookup(s->root, path);

    if (!then || !now)
        return !then && !now;
    return then->gen == now->gen;
}

int txn_commit(struct xs_store *s, struct xs_conn *c, struct xs_txn *t, struct xs_node **old)
{
    struct xs_txop *op;
    struct xs_work w;
    int rc = 0;

    for (op = t->ops; op; op = op->next)
        if (!unchanged(s, t, op->path))
            return XEN_EAGAIN;
    work_begin(&w, s, s->root, c, NULL);
    for (op = t->ops; op && !rc; op = op->next)
        if (op->kind != TXOP_READ)
            rc = op_apply(&w, c, op->kind, op->path, op->data, op->len);
    if (rc) {
        work_abort(&w);
        return rc == XEN_ENOSPC || rc == XEN_ENOMEM ? rc : XEN_EAGAIN;
    }
    *old = work_commit_store(&w);
    return 0;
}

void txn_fire(struct xs_store *s, struct xs_txn *t, struct xs_node *old)
{
    struct xs_txop *op;

    for (op = t->ops; op; op = op->next)
        if (op->kind != TXOP_READ)
            watch_fire(s, op->path, old, s->root);
}

void txn_close(struct xs_conn *c, struct xs_txn *t)
{
    unlink_txn(c, t);
    txn_free(t);
}

void txn_free_all(struct xs_conn *c)
{
    while (c->txns) {
        struct xs_txn *t = c->txns;

        c->txns = t->next;
        txn_free(t);
    }
    c->ntxns = 0;
}
