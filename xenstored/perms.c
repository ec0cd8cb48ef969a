/*
 * Permissions, Xen's model: a node's list names its owner first, with what every
 * other domain may do, then exceptions for single domains. The owner and privileged
 * connections (domain 0) may do everything, including changing the list. On the wire
 * an entry is a letter and a domain id: n (none), r (read), w (write), b (both).
 * A node a domain creates is owned by that domain and otherwise inherits its parent's
 * list, so what it makes stays within what its parent allowed others.
 */
#include "internal.h"

unsigned int perm_of(const struct xs_conn *c, const struct xs_node *n)
{
    uint16_t i;

    if (c->privileged || n->perms[0].domid == c->domid)
        return XS_PERM_BOTH | XS_PERM_OWNER;
    for (i = 1; i < n->nperms; i++)
        if (n->perms[i].domid == c->domid)
            return n->perms[i].mode;
    return n->perms[0].mode;
}

bool perm_allows(const struct xs_conn *c, const struct xs_node *n, unsigned int want)
{
    return (perm_of(c, n) & want) == want;
}

static int mode_of(char letter)
{
    switch (letter) {
    case 'n': return XS_PERM_NONE;
    case 'r': return XS_PERM_READ;
    case 'w': return XS_PERM_WRITE;
    case 'b': return XS_PERM_BOTH;
    }
    return -1;
}

int perms_parse(const char *data, uint32_t len, struct xs_perm *out, uint16_t max,
                uint16_t *n)
{
    uint32_t at = 0;

    *n = 0;
    if (!len || data[len - 1])
        return XEN_EINVAL;
    while (at < len) {
        const char *e = data + at;
        size_t elen = strlen(e);
        unsigned long id = 0;
        size_t i;
        int mode = mode_of(e[0]);

        if (mode < 0 || elen < 2 || elen > 6)
            return XEN_EINVAL;
        for (i = 1; i < elen; i++) {
            if (e[i] < '0' || e[i] > '9')
                return XEN_EINVAL;
            id = id * 10 + (unsigned long)(e[i] - '0');
        }
        if (id > 0xffff)
            return XEN_EINVAL;
        if (*n == max)
            return XEN_E2BIG;
        out[*n].domid = (uint16_t)id;
        out[*n].mode = (uint8_t)mode;
        (*n)++;
        at += (uint32_t)elen + 1;
    }
    return 0;
}

uint32_t perms_format(const struct xs_node *n, char *out, size_t cap)
{
    static const char letters[] = "nrwb";
    uint32_t at = 0;
    uint16_t i;

    for (i = 0; i < n->nperms; i++) {
        int w = snprintf(out + at, cap - at, "%c%u", letters[n->perms[i].mode & 3],
                         (unsigned int)n->perms[i].domid);

        if (w < 0 || (size_t)w + 1 > cap - at)
            break;
        at += (uint32_t)w + 1;       /* keep the NUL snprintf wrote */
    }
    return at;
}

uint16_t perms_inherit(uint16_t domid, bool privileged, const struct xs_node *parent,
                       struct xs_perm *out)
{
    uint16_t i, n = 1;

    out[0] = parent->perms[0];
    if (!privileged)
        out[0].domid = domid;
    for (i = 1; i < parent->nperms && n < XS_PERMS_MAX; i++)
        if (parent->perms[i].domid != out[0].domid)
            out[n++] = parent->perms[i];
    return n;
}
