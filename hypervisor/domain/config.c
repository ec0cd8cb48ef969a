/*
 * Parse a boot module's string into a domain's configuration: path, "dom." options,
 * guest command line. The grammar is in include/domain/config.h.
 */
#include <domain/config.h>
#include <errno.h>
#include <stddef.h>

static bool starts_with(const char *s, const char *prefix)
{
    while (*prefix)
        if (*s++ != *prefix++)
            return false;
    return true;
}

static const char *word_end(const char *s)
{
    while (*s && *s != ' ')
        s++;
    return s;
}

static const char *skip_spaces(const char *s)
{
    while (*s == ' ')
        s++;
    return s;
}

/* Copy [from, to) into the name, cut at DOMAIN_NAME_MAX - 1 characters. */
static void set_name(struct domain_config *c, const char *from, const char *to)
{
    size_t n = 0;
    while (from + n < to && n < DOMAIN_NAME_MAX - 1) {
        c->name[n] = from[n];
        n++;
    }
    c->name[n] = 0;
}

/* A decimal number filling [s, end) exactly, at most max. */
static bool parse_mib(const char *s, const char *end, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (s == end)
        return false;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

int domain_config_parse(const char *s, struct domain_config *c, const char **why)
{
    *c = (struct domain_config){ 0 };
    s = skip_spaces(s);
    const char *path_end = word_end(s);
    if (path_end == s) {
        *why = "the module string is empty (expected 'PATH [dom.OPTION ...] [ARGS]')";
        return -EINVAL;
    }
    const char *base = s;
    for (const char *p = s; p < path_end; p++)
        if (*p == '/')
            base = p + 1;
    set_name(c, base, path_end);
    if (!c->name[0])
        set_name(c, s, path_end);

    const char *w = skip_spaces(path_end);
    while (starts_with(w, "dom.")) {
        const char *end = word_end(w);
        if (starts_with(w, "dom.mem=")) {
            if (!parse_mib(w + 8, end, DOMAIN_MEM_MIB_MAX, &c->mem_mib) || !c->mem_mib) {
                *why = "dom.mem= wants a size in MiB from 1 to 65536";
                return -EINVAL;
            }
        } else if (end - w == 11 && starts_with(w, "dom.control")) {
            c->control = true;
        } else if (end - w == 8 && starts_with(w, "dom.trap")) {
            c->trap = true;
        } else if (end - w == 10 && starts_with(w, "dom.initrd")) {
            c->initrd = true;
        } else if (starts_with(w, "dom.name=") && end > w + 9) {
            set_name(c, w + 9, end);
        } else {
            *why = "unknown domain option (known: dom.mem=MiB, dom.control, dom.name=NAME, dom.trap, dom.initrd)";
            return -EINVAL;
        }
        w = skip_spaces(end);
    }
    c->args = w;
    *why = NULL;
    return 0;
}
