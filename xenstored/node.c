/*
 * The node tree, persistent: every version of the store (the current one, each
 * transaction's snapshot and working copy) is a root, and versions share the nodes
 * neither has changed. A node is only ever changed while exactly one reference leads
 * to it from a root being worked on (struct xs_work); otherwise node_own() copies it
 * first, so a change copies the nodes from the root down to what it changes and no
 * other version sees it. Counting: each node created or removed is charged to its
 * owner, checked against the owner's quota, and settled only when the change is kept.
 */
#include "internal.h"

void node_get(struct xs_node *n)
{
    n->refs++;
}

void node_put(struct xs_node *n)
{
    uint16_t i;

    if (!n || --n->refs)
        return;
    for (i = 0; i < n->nkids; i++)
        node_put(n->kids[i]);
    xs_free(n->kids);
    xs_free(n->perms);
    xs_free(n->value);
    xs_free(n->name);
    xs_free(n);
}

struct xs_node *node_new(const char *name, size_t len, const struct xs_perm *perms,
                         uint16_t nperms)
{
    struct xs_node *n = xs_alloc(sizeof(*n));

    if (!n)
        return NULL;
    memset(n, 0, sizeof(*n));
    n->refs = 1;
    n->name = xs_memdup(name, len);
    n->perms = xs_alloc(nperms * sizeof(*perms));
    if (!n->name || !n->perms) {
        node_put(n);
        return NULL;
    }
    memcpy(n->perms, perms, nperms * sizeof(*perms));
    n->nperms = nperms;
    return n;
}

/* A private copy of n: the same value, permissions and children (now shared). */
static struct xs_node *node_clone(const struct xs_node *n)
{
    struct xs_node *c = node_new(n->name, strlen(n->name), n->perms, n->nperms);
    uint16_t i;

    if (!c)
        return NULL;
    c->gen = n->gen;
    if (n->vlen) {
        c->value = xs_memdup(n->value, n->vlen);
        if (!c->value) {
            node_put(c);
            return NULL;
        }
        c->vlen = n->vlen;
    }
    if (n->nkids) {
        c->kids = xs_alloc(n->nkids * sizeof(*c->kids));
        if (!c->kids) {
            node_put(c);
            return NULL;
        }
        for (i = 0; i < n->nkids; i++) {
            c->kids[i] = n->kids[i];
            node_get(c->kids[i]);
        }
        c->nkids = n->nkids;
    }
    return c;
}

/* Make *slot a node only this version reaches (the slot's holder is already ours). */
static int node_own(struct xs_node **slot)
{
    struct xs_node *c;

    if ((*slot)->refs == 1)
        return 0;
    c = node_clone(*slot);
    if (!c)
        return XEN_ENOMEM;
    node_put(*slot);
    *slot = c;
    return 0;
}

static int child_index(const struct xs_node *n, const char *name, size_t len)
{
    uint16_t i;

    for (i = 0; i < n->nkids; i++)
        if (!strncmp(n->kids[i]->name, name, len) && n->kids[i]->name[len] == 0)
            return i;
    return -1;
}

/* The next component of *p (which points after a '/'): its length; *p moves past it
 * and its '/'. */
static size_t next_component(const char **p, const char **comp)
{
    const char *s = *p, *e = strchr(s, '/');
    size_t len = e ? (size_t)(e - s) : strlen(s);

    *comp = s;
    *p = e ? e + 1 : s + len;
    return len;
}

/* Walk from root along path; stop at the last node found: *missing is true when the
 * path goes on below it. */
static struct xs_node *walk(struct xs_node *root, const char *path, bool *missing)
{
    struct xs_node *n = root;
    const char *p = path + 1, *comp;

    *missing = false;
    while (*p) {
        size_t len = next_component(&p, &comp);
        int i = child_index(n, comp, len);

        if (i < 0) {
            *missing = true;
            return n;
        }
        n = n->kids[i];
    }
    return n;
}

struct xs_node *node_lookup(struct xs_node *root, const char *path)
{
    bool missing;
    struct xs_node *n = walk(root, path, &missing);

    return missing ? NULL : n;
}

struct xs_node *node_nearest(struct xs_node *root, const char *path)
{
    bool missing;

    return walk(root, path, &missing);
}

struct xs_node *node_parent(struct xs_node *root, const char *path)
{
    struct xs_node *n = root;
    const char *p = path + 1, *comp;

    while (*p) {
        size_t len = next_component(&p, &comp);
        int i;

        if (!*p)
            return n;
        i = child_index(n, comp, len);
        if (i < 0)
            return NULL;
        n = n->kids[i];
    }
    return NULL;
}

unsigned int node_count_owned(const struct xs_node *n, uint16_t domid)
{
    unsigned int count = n->perms[0].domid == domid;
    uint16_t i;

    for (i = 0; i < n->nkids; i++)
        count += node_count_owned(n->kids[i], domid);
    return count;
}

/* ---- a change in progress ------------------------------------------------------------ */

void work_begin(struct xs_work *w, struct xs_store *s, struct xs_node *from,
                struct xs_conn *caller, struct xs_txn *txn)
{
    w->s = s;
    w->root = from;
    node_get(from);
    w->count = true;
    w->txn = txn;
    w->caller = caller;
    w->domid = caller ? caller->domid : 0;
    w->privileged = caller ? caller->privileged : true;
    w->txn_delta = 0;
}

static void settle(struct xs_store *s, bool keep)
{
    unsigned int i;

    for (i = 0; i < XS_MAX_CONNS; i++) {
        struct xs_conn *c = &s->conns[i];

        if (keep)
            c->nodes = (unsigned int)((int)c->nodes + c->pending);
        c->pending = 0;
    }
}

void work_abort(struct xs_work *w)
{
    node_put(w->root);
    w->root = NULL;
    settle(w->s, false);
}

struct xs_node *work_commit_store(struct xs_work *w)
{
    struct xs_node *old = w->s->root;

    w->s->root = w->root;
    w->root = NULL;
    settle(w->s, true);
    return old;
}

/* Charge delta nodes to owner; ENOSPC when an unprivileged owner would exceed its quota.
 * Inside a transaction only the caller's own nodes are counted, against the quota less
 * what it owns in the store. */
static int charge(struct xs_work *w, uint16_t owner, int delta)
{
    struct xs_conn *c = conn_of_domid(w->s, owner);
    int have;

    if (!w->count || !c || c->privileged)
        return 0;
    if (w->txn) {
        if (c != w->caller)
            return 0;
        have = (int)c->nodes + w->txn->own_nodes + w->txn_delta;
    } else {
        have = (int)c->nodes + c->pending;
    }
    if (delta > 0 && have + delta > (int)w->s->quota.nodes)
        return XEN_ENOSPC;
    if (w->txn)
        w->txn_delta += delta;
    else
        c->pending += delta;
    return 0;
}

static void uncharge_subtree(struct xs_work *w, const struct xs_node *n)
{
    uint16_t i;

    charge(w, n->perms[0].domid, -1);
    for (i = 0; i < n->nkids; i++)
        uncharge_subtree(w, n->kids[i]);
}

static int add_child(struct xs_node *parent, struct xs_node *kid)
{
    struct xs_node **kids = xs_alloc((parent->nkids + 1u) * sizeof(*kids));

    if (!kids)
        return XEN_ENOMEM;
    if (parent->nkids)
        memcpy(kids, parent->kids, parent->nkids * sizeof(*kids));
    kids[parent->nkids] = kid;
    xs_free(parent->kids);
    parent->kids = kids;
    parent->nkids++;
    return 0;
}

int tree_write(struct xs_work *w, const char *path, const char *value, uint32_t vlen,
               bool mkdir_only)
{
    struct xs_node **slot = &w->root;
    const char *p = path + 1, *comp;
    bool created = false;
    int rc = node_own(slot);

    while (!rc && *p) {
        struct xs_node *n = *slot;
        size_t len = next_component(&p, &comp);
        int i = child_index(n, comp, len);

        if (i < 0) {
            struct xs_perm perms[XS_PERMS_MAX];
            uint16_t np = perms_inherit(w->domid, w->privileged, n, perms);
            struct xs_node *kid;

            rc = charge(w, perms[0].domid, 1);
            if (rc)
                break;
            kid = node_new(comp, len, perms, np);
            if (!kid)
                return XEN_ENOMEM;
            kid->gen = ++w->s->gen;
            rc = add_child(n, kid);
            if (rc) {
                node_put(kid);
                break;
            }
            n->gen = ++w->s->gen;
            i = n->nkids - 1;
            created = true;
        }
        slot = &n->kids[i];
        rc = node_own(slot);
    }
    if (rc)
        return rc;
    if (mkdir_only && !created)
        return 0;
    if (!mkdir_only) {
        char *v = vlen ? xs_memdup(value, vlen) : NULL;

        if (vlen && !v)
            return XEN_ENOMEM;
        xs_free((*slot)->value);
        (*slot)->value = v;
        (*slot)->vlen = vlen;
    }
    (*slot)->gen = ++w->s->gen;
    return 0;
}

/* Own the path down to path's parent: the parent, and the child's index (-1 when the
 * child is missing). NULL if the parent is missing. */
static struct xs_node *own_parent(struct xs_work *w, const char *path, int *index, int *rc)
{
    struct xs_node **slot = &w->root;
    const char *p = path + 1, *comp;

    *rc = node_own(slot);
    while (!*rc) {
        size_t len = next_component(&p, &comp);
        int i = child_index(*slot, comp, len);

        if (!*p) {
            *index = i;
            return *slot;
        }
        if (i < 0)
            return NULL;
        slot = &(*slot)->kids[i];
        *rc = node_own(slot);
    }
    return NULL;
}

int tree_rm(struct xs_work *w, const char *path)
{
    int i, rc;
    struct xs_node *parent = own_parent(w, path, &i, &rc), *victim;

    if (rc || !parent || i < 0)
        return rc ? rc : XEN_ENOENT;
    victim = parent->kids[i];
    uncharge_subtree(w, victim);
    for (; i + 1 < parent->nkids; i++)
        parent->kids[i] = parent->kids[i + 1];
    parent->nkids--;
    parent->gen = ++w->s->gen;
    node_put(victim);
    return 0;
}

int tree_set_perms(struct xs_work *w, const char *path, const struct xs_perm *perms,
                   uint16_t nperms)
{
    struct xs_node **slot = &w->root;
    const char *p = path + 1, *comp;
    struct xs_perm *copy;
    int rc = node_own(slot);

    while (!rc && *p) {
        size_t len = next_component(&p, &comp);
        int i = child_index(*slot, comp, len);

        if (i < 0)
            return XEN_ENOENT;
        slot = &(*slot)->kids[i];
        rc = node_own(slot);
    }
    if (rc)
        return rc;
    if ((*slot)->perms[0].domid != perms[0].domid) {
        rc = charge(w, perms[0].domid, 1);
        if (rc)
            return rc;
        charge(w, (*slot)->perms[0].domid, -1);
    }
    copy = xs_alloc(nperms * sizeof(*perms));
    if (!copy)
        return XEN_ENOMEM;
    memcpy(copy, perms, nperms * sizeof(*perms));
    xs_free((*slot)->perms);
    (*slot)->perms = copy;
    (*slot)->nperms = nperms;
    (*slot)->gen = ++w->s->gen;
    return 0;
}

static int disown(struct xs_work *w, struct xs_node **slot, uint16_t domid)
{
    uint16_t i;
    int rc;

    if (!node_count_owned(*slot, domid))
        return 0;
    rc = node_own(slot);
    if (rc)
        return rc;
    if ((*slot)->perms[0].domid == domid) {
        (*slot)->perms[0].domid = 0;
        (*slot)->gen = ++w->s->gen;
    }
    for (i = 0; i < (*slot)->nkids && !rc; i++)
        rc = disown(w, &(*slot)->kids[i], domid);
    return rc;
}

int tree_disown(struct xs_work *w, uint16_t domid)
{
    return disown(w, &w->root, domid);
}
