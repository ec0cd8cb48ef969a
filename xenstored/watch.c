/*
 * Watches. A watch on a path fires once when it is registered, then whenever that
 * node or one below it is written, created, removed or has its permissions changed
 * (a change inside a transaction: when it commits), and for a watch below a node that
 * is removed with its subtree. The event names the changed path (or the watch's own,
 * for the subtree case), relative when the watch was registered relative, with the
 * watch's token. Only what the watcher may read fires. "@introduceDomain" and
 * "@releaseDomain" fire when a domain is introduced or released. Each domain has at
 * most quota.watches; an event that does not fit in its output queue is dropped and
 * counted (xenstore.txt allows spurious events, and a client that does not read its
 * ring hurts only itself).
 */
#include "internal.h"

int watch_add(struct xs_conn *c, const char *path, const char *token, bool relative)
{
    struct xs_watch *w, **tail = &c->watches;

    for (w = c->watches; w; w = w->next) {
        if (!strcmp(w->path, path) && !strcmp(w->token, token))
            return XEN_EEXIST;
        tail = &w->next;
    }
    if (!c->privileged && c->nwatches >= c->store->quota.watches)
        return XEN_E2BIG;
    w = xs_alloc(sizeof(*w));
    if (!w)
        return XEN_ENOMEM;
    w->next = NULL;
    w->relative = relative;
    w->path = xs_strdup(path);
    w->token = xs_strdup(token);
    if (!w->path || !w->token) {
        xs_free(w->path);
        xs_free(w->token);
        xs_free(w);
        return XEN_ENOMEM;
    }
    *tail = w;
    c->nwatches++;
    return 0;
}

static void watch_free(struct xs_watch *w)
{
    xs_free(w->path);
    xs_free(w->token);
    xs_free(w);
}

int watch_remove(struct xs_conn *c, const char *path, const char *token)
{
    struct xs_watch **p, *w;

    for (p = &c->watches; (w = *p); p = &w->next) {
        if (!strcmp(w->path, path) && !strcmp(w->token, token)) {
            *p = w->next;
            watch_free(w);
            c->nwatches--;
            return 0;
        }
    }
    return XEN_ENOENT;
}

void watch_free_all(struct xs_conn *c)
{
    while (c->watches) {
        struct xs_watch *w = c->watches;

        c->watches = w->next;
        watch_free(w);
    }
    c->nwatches = 0;
}

void watch_event(struct xs_conn *c, const struct xs_watch *w, const char *epath)
{
    const char *p = epath;

    if (w->relative) {
        char home[32];
        size_t n;

        xs_home(c->domid, home, sizeof(home));
        n = strlen(home);
        if (!strncmp(epath, home, n) && epath[n] == '/')
            p = epath + n + 1;
    }
    if (conn_queue2(c, XS_WATCH_EVENT, 0, 0, p, (uint32_t)strlen(p) + 1, w->token,
                    (uint32_t)strlen(w->token) + 1))
        c->stats.events++;
    else
        c->stats.dropped++;
}

void watch_fire(struct xs_store *s, const char *path, struct xs_node *old_root,
                struct xs_node *new_root)
{
    bool special = path[0] == '@';
    struct xs_node *now = special ? NULL : node_lookup(new_root, path);
    struct xs_node *node = now;
    unsigned int i;

    if (!special && !node)
        node = node_lookup(old_root, path);
    if (!special && !node)
        node = node_nearest(new_root, path);
    for (i = 0; i < XS_MAX_CONNS; i++) {
        struct xs_conn *c = &s->conns[i];
        struct xs_watch *w;

        if (!c->in_use || c->ring_error)
            continue;
        for (w = c->watches; w; w = w->next) {
            const char *epath;

            if (special || w->path[0] == '@') {
                if (!strcmp(w->path, path))
                    watch_event(c, w, path);
                continue;
            }
            if (xs_is_child(path, w->path))
                epath = path;
            else if (!now && xs_is_child(w->path, path))
                epath = w->path;            /* removed with a node above it */
            else
                continue;
            if (perm_allows(c, node, XS_PERM_READ))
                watch_event(c, w, epath);
        }
    }
}
