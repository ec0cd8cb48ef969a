/*
 * xen_version: who the guest is talking to. Parapet presents the Xen 4.17 interface
 * (version 4.17, extraversion "-parapet"), the feature bits Linux requires
 * (mmu_pt_update_preserve_ad, gnttab_map_avail_bits) and the platform parameters of
 * the 64-bit PV layout. A NULL argument is allowed where no output is written
 * (XENVER_version is the guests' cheap "check events" hypercall).
 */
#include "boot.h"
#include "config.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"

static long out_string(uint64_t arg, const char *s, size_t size)
{
    char buf[1024];
    memset(buf, 0, size);
    strlcpy(buf, s, size);
    return copy_to_guest(arg, buf, size) ? -EFAULT : 0;
}

/* Build details and the command line are for the control domain only. */
#define DENIED "<denied>"
static bool privileged(void) { return current_domain()->control; }

static long xv_version(uint64_t arg) { return (4 << 16) | 17; }
static long xv_extraversion(uint64_t arg) { return out_string(arg, "-parapet", sizeof(xen_extraversion_t)); }
static long xv_changeset(uint64_t arg)
{
    return out_string(arg, privileged() ? "parapet" : DENIED, sizeof(xen_changeset_info_t));
}
static long xv_capabilities(uint64_t arg) { return out_string(arg, "xen-3.0-x86_64 ", sizeof(xen_capabilities_info_t)); }
static long xv_commandline(uint64_t arg)
{
    return out_string(arg, privileged() ? boot_info.cmdline : DENIED, sizeof(xen_commandline_t));
}
static long xv_pagesize(uint64_t arg) { return 4096; }

static long xv_compile_info(uint64_t arg)
{
    struct xen_compile_info ci;
    memset(&ci, 0, sizeof(ci));
    bool ok = privileged();
    strlcpy(ci.compiler, ok ? "gcc " __VERSION__ : DENIED, sizeof(ci.compiler));
    strlcpy(ci.compile_by, ok ? "parapet" : DENIED, sizeof(ci.compile_by));
    strlcpy(ci.compile_domain, ok ? "parapet" : DENIED, sizeof(ci.compile_domain));
    strlcpy(ci.compile_date, ok ? __DATE__ : DENIED, sizeof(ci.compile_date));
    return copy_to_guest(arg, &ci, sizeof(ci)) ? -EFAULT : 0;
}

static long xv_platform_parameters(uint64_t arg)
{
    struct xen_platform_parameters p = { .virt_start = HYPERVISOR_HOLE_START };
    return copy_to_guest(arg, &p, sizeof(p)) ? -EFAULT : 0;
}

static long xv_get_features(uint64_t arg)
{
    struct xen_feature_info fi;
    if (copy_from_guest(&fi, arg, sizeof(fi)))
        return -EFAULT;
    if (fi.submap_idx >= XENFEAT_NR_SUBMAPS)
        return -EINVAL;
    fi.submap = (1u << XENFEAT_mmu_pt_update_preserve_ad) |
                (1u << XENFEAT_gnttab_map_avail_bits) |
                (1u << XENFEAT_pae_pgdir_above_4gb);
    return copy_to_guest(arg, &fi, sizeof(fi)) ? -EFAULT : 0;
}

static long xv_guest_handle(uint64_t arg)
{
    xen_domain_handle_t h;
    memset(h, 0, sizeof(h));
    h[0] = (uint8_t)current_domain()->id;
    return copy_to_guest(arg, h, sizeof(h)) ? -EFAULT : 0;
}

typedef long xv_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(xv_, name),
static xv_fn *const xv_ops[] = {
#include "subops/xen_version.def"
};
#undef SUBOP

long hc_xen_version(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    xv_fn *fn = SUBOP_TABLE_LOOKUP(xv_ops, cmd);
    if (!fn)
        return hc_enosys_subop("xen_version", __HYPERVISOR_xen_version, cmd);
    return fn(arg);
}
