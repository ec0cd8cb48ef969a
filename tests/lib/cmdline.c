/*
 * Access to the guest command line (start_info->cmd_line, up to MAX_GUEST_CMDLINE bytes,
 * not trusted to be terminated). Options are space-separated words: a bare flag ("quick")
 * or key=value ("loops=10"). On Xen the hypervisor may append words of its own.
 */
#include "guest.h"

const char *cmdline(void)
{
    static char copy[MAX_GUEST_CMDLINE + 1];

    if (!copy[0] && start_info)
        memcpy(copy, start_info->cmd_line, MAX_GUEST_CMDLINE);
    return copy;
}

/*
 * Find the word that is exactly name (want_value false) or starts with "name="
 * (want_value true); return what follows name in it, or NULL.
 */
static const char *find_word(const char *name, bool want_value)
{
    size_t len = strlen(name);
    const char *p = cmdline();

    while (*p) {
        const char *end;

        while (*p == ' ')
            p++;
        for (end = p; *end && *end != ' '; end++)
            ;
        if ((size_t)(end - p) >= len && !strncmp(p, name, len)) {
            if (!want_value && p + len == end)
                return p + len;
            if (want_value && p + len < end && p[len] == '=')
                return p + len;
        }
        p = end;
    }
    return NULL;
}

bool cmdline_flag(const char *word)
{
    return find_word(word, false) != NULL;
}

bool cmdline_get(const char *key, char *out, size_t outlen)
{
    const char *v = find_word(key, true);
    size_t n = 0;

    if (!v)
        return false;
    v++;                                /* skip '=' */
    while (v[n] && v[n] != ' ')
        n++;
    if (outlen) {
        if (n > outlen - 1)
            n = outlen - 1;
        memcpy(out, v, n);
        out[n] = '\0';
    }
    return true;
}

unsigned long cmdline_ulong(const char *key, unsigned long dflt)
{
    char buf[24], *p = buf;
    unsigned long v = 0, base = 10;

    if (!cmdline_get(key, buf, sizeof(buf)) || !buf[0])
        return dflt;
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    for (; *p; p++) {
        unsigned long d;

        if (*p >= '0' && *p <= '9')
            d = (unsigned long)(*p - '0');
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = (unsigned long)(*p - 'a' + 10);
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = (unsigned long)(*p - 'A' + 10);
        else
            return dflt;
        v = v * base + d;
    }
    return v;
}
