/*
 * Choosing the backend at boot: pvops_select() fills pv_ops with the named backend,
 * refusing one that cannot run after the entry the kernel came through (xen and trap
 * need the Xen entry: their devices are hypercalls), and runs the backend's set-up.
 */
#include "internal.h"

struct pv_ops pv_ops;

static const struct backend {
    const char *name;
    void (*fill)(struct pv_ops *ops);
    bool needs_xen_entry;
} backends[] = {
    { "native", pvops_fill_native, false },
    { "xen", pvops_fill_xen, true },
    { "trap", pvops_fill_trap, true },
};

static bool same(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return *a == *b;
}

int pvops_select(const char *name, struct pv_boot *boot)
{
    const struct backend *b = NULL;
    size_t i;

    for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
        if (same(name, backends[i].name))
            b = &backends[i];
    if (!b || (b->needs_xen_entry && boot->entry != PV_ENTRY_XEN))
        return -1;
    b->fill(&pv_ops);
    /* Whatever the backend, a domain's shared_info is mapped and its events masked. */
    if (boot->entry == PV_ENTRY_XEN)
        xen_setup(boot);
    boot->backend = pv_ops.name;
    return 0;
}
