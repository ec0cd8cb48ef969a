/*
 * Paths: what a client may name, and the absolute form the store keys on. A path is
 * "/" or '/'-separated components of [A-Za-z0-9_@-] with no empty component (so no
 * "//" and no trailing '/'), at most XENSTORE_ABS_PATH_MAX bytes. A domain's relative
 * path is taken below its home, /local/domain/<domid>, and may be at most
 * XENSTORE_REL_PATH_MAX bytes. A path has at most XS_DEPTH_MAX components (Parapet's
 * limit: the tree code recurses that deep, on a guest kernel's stack). Watches may also
 * name special events, "@<name>".
 */
#include "internal.h"

size_t xs_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);

    if (cap) {
        size_t m = n < cap - 1 ? n : cap - 1;

        memcpy(dst, src, m);
        dst[m] = 0;
    }
    return n;
}

char *xs_memdup(const void *p, size_t len)
{
    char *d = xs_alloc(len + 1);

    if (d) {
        if (len)
            memcpy(d, p, len);
        d[len] = 0;
    }
    return d;
}

char *xs_strdup(const char *s)
{
    return xs_memdup(s, strlen(s));
}

void xs_home(uint16_t domid, char *out, size_t cap)
{
    snprintf(out, cap, "/local/domain/%u", (unsigned int)domid);
}

static bool valid_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '-' || ch == '_' || ch == '@' || ch == '/';
}

/* An absolute path: "/" or /component(/component)*, valid characters only. */
static bool valid_absolute(const char *p)
{
    size_t i, n = strlen(p), depth = 0;

    if (n == 0 || p[0] != '/' || n > XENSTORE_ABS_PATH_MAX)
        return false;
    if (n == 1)
        return true;
    if (p[n - 1] == '/')
        return false;
    for (i = 0; i < n; i++) {
        if (!valid_char(p[i]))
            return false;
        if (p[i] == '/' && (p[i + 1] == '/' || ++depth > XS_DEPTH_MAX))
            return false;
    }
    return true;
}

int xs_canonical(const struct xs_conn *c, const char *path, char *out)
{
    size_t n = strlen(path);

    if (n == 0)
        return XEN_EINVAL;
    if (path[0] == '/') {
        if (n > XENSTORE_ABS_PATH_MAX)
            return XEN_EINVAL;
        memcpy(out, path, n + 1);
    } else {
        char home[32];
        size_t h;

        if (n > XENSTORE_REL_PATH_MAX)
            return XEN_EINVAL;
        xs_home(c->domid, home, sizeof(home));
        h = strlen(home);
        memcpy(out, home, h);
        out[h] = '/';
        memcpy(out + h + 1, path, n + 1);
    }
    return valid_absolute(out) ? 0 : XEN_EINVAL;
}

int xs_watch_path(const struct xs_conn *c, const char *path, char *out, bool *relative)
{
    size_t i, n = strlen(path);

    *relative = false;
    if (path[0] == '@') {
        if (n < 2 || n > XENSTORE_ABS_PATH_MAX)
            return XEN_EINVAL;
        for (i = 1; i < n; i++)
            if (!valid_char(path[i]) || path[i] == '/')
                return XEN_EINVAL;
        memcpy(out, path, n + 1);
        return 0;
    }
    *relative = n && path[0] != '/';
    return xs_canonical(c, path, out);
}

bool xs_is_child(const char *child, const char *parent)
{
    size_t n = strlen(parent);

    if (n == 1 && parent[0] == '/')
        return child[0] == '/';
    return !strncmp(child, parent, n) && (child[n] == 0 || child[n] == '/');
}
