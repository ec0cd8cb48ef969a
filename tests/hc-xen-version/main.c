/*
 * hc-xen-version: xen_version (hypercall 17), every XENVER_* sub-op Parapet implements.
 *
 * Checks: XENVER_version ignores its argument and equals EAX of CPUID leaf 0x40000001
 * (both say which interface version the hypervisor speaks); every sub-op with an output
 * buffer writes exactly the size of its public struct (xen/version.h: a canary right after
 * it survives), terminates its strings, and gives -EFAULT for a NULL, non-canonical,
 * hypervisor-range or read-only buffer; capabilities names "xen-3.0-x86_64";
 * platform_parameters gives HYPERVISOR_VIRT_START; get_features submap 0 has the bits
 * Linux panics without (writable_page_tables is not required, mmu_pt_update_preserve_ad
 * and gnttab_map_avail_bits are), a submap index >= XENFEAT_NR_SUBMAPS is -EINVAL;
 * pagesize (NULL argument) is 4096; unknown sub-ops give -ENOSYS.
 * How: direct hypercalls into page-sized buffers pre-filled with a canary byte; the
 * read-only buffer is a page remapped without RW by update_va_mapping.
 * Cannot detect: whether the strings are true (version numbers, compile date and the
 * command line are Parapet's own and are only printed); feature bits beyond submap 0.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-xen-version: every XENVER_* sub-op, output sizes, bad buffers";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL
#define CANARY      0xa5

static uint8_t out[PAGE_SIZE] __aligned(PAGE_SIZE);
static uint8_t ro_page[PAGE_SIZE] __aligned(PAGE_SIZE);

/* The FEP cpuid: ud2; .ascii "xen"; cpuid. */
static void fep_cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("ud2a; .ascii \"xen\"; cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "0"(leaf), "2"(0));
}

static void test_version(void)
{
    static const unsigned long args[] = { 0, NONCANON, HV_RANGE, (unsigned long)out };
    uint32_t r[4];
    long v = HYPERVISOR_xen_version(XENVER_version, 0);
    unsigned int i;

    printk("  version %ld.%ld\n", v >> 16, v & 0xffff);
    if (v < 0 || (v >> 16) < 3) {
        test_failure("XENVER_version returned %ld (0x%lx)", v, v);
        return;
    }
    for (i = 0; i < ARRAY_SIZE(args); i++) {
        long w = HYPERVISOR_xen_version(XENVER_version, args[i]);

        if (w != v)
            test_failure("XENVER_version with argument 0x%lx returned %ld, expected %ld",
                         args[i], w, v);
    }
    fep_cpuid(0x40000001, r);
    if (r[0] != (uint32_t)v)
        test_failure("XENVER_version 0x%lx differs from CPUID 0x40000001 eax 0x%x", v, r[0]);
}

/* One sub-op that fills a buffer of `size` bytes. */
struct out_case {
    const char *name;
    unsigned int cmd;
    size_t size;
    bool is_string;             /* NUL-terminated within size */
};

static const struct out_case out_cases[] = {
    { "extraversion", XENVER_extraversion, sizeof(xen_extraversion_t), true },
    { "compile_info", XENVER_compile_info, sizeof(xen_compile_info_t), false },
    { "capabilities", XENVER_capabilities, sizeof(xen_capabilities_info_t), true },
    { "changeset", XENVER_changeset, sizeof(xen_changeset_info_t), true },
    { "platform_parameters", XENVER_platform_parameters,
      sizeof(xen_platform_parameters_t), false },
    { "guest_handle", XENVER_guest_handle, sizeof(xen_domain_handle_t), false },
    { "commandline", XENVER_commandline, sizeof(xen_commandline_t), true },
    { "get_features", XENVER_get_features, sizeof(xen_feature_info_t), false },
};

static bool terminated(const uint8_t *p, size_t size)
{
    return strnlen((const char *)p, size) < size;
}

static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay; hay++)
        if (!strncmp(hay, needle, n))
            return true;
    return false;
}

static void check_outputs(const struct out_case *c)
{
    const xen_compile_info_t *ci = (const void *)out;
    const xen_platform_parameters_t *pp = (const void *)out;
    const xen_feature_info_t *fi = (const void *)out;

    if (c->is_string)
        printk("    \"%s\"\n", (const char *)out);
    switch (c->cmd) {
    case XENVER_compile_info:
        if (!terminated((const uint8_t *)ci->compiler, sizeof(ci->compiler)) ||
            !terminated((const uint8_t *)ci->compile_by, sizeof(ci->compile_by)) ||
            !terminated((const uint8_t *)ci->compile_domain, sizeof(ci->compile_domain)) ||
            !terminated((const uint8_t *)ci->compile_date, sizeof(ci->compile_date)))
            test_failure("compile_info: a field is not NUL-terminated");
        else
            printk("    compiler \"%s\", date \"%s\"\n", ci->compiler, ci->compile_date);
        break;
    case XENVER_capabilities:
        if (!contains((const char *)out, "xen-3.0-x86_64"))
            test_failure("capabilities \"%s\" lacks xen-3.0-x86_64", (const char *)out);
        break;
    case XENVER_platform_parameters:
        if (pp->virt_start != HYPERVISOR_VIRT_START)
            test_failure("platform_parameters virt_start 0x%lx, expected 0x%lx",
                         (unsigned long)pp->virt_start, (unsigned long)HYPERVISOR_VIRT_START);
        break;
    case XENVER_get_features: {
        uint32_t need = (1u << XENFEAT_mmu_pt_update_preserve_ad) |
                        (1u << XENFEAT_gnttab_map_avail_bits);

        printk("    submap 0: 0x%x\n", fi->submap);
        if ((fi->submap & need) != need)
            test_failure("get_features submap 0 = 0x%x lacks 0x%x (Linux panics)", fi->submap,
                         need);
        if (fi->submap_idx != 0)
            test_failure("get_features changed submap_idx to %u", fi->submap_idx);
        break;
    }
    }
}

static void test_outputs(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(out_cases); i++) {
        const struct out_case *c = &out_cases[i];
        long rc;

        printk("  %s (%zu bytes)\n", c->name, c->size);
        memset(out, CANARY, sizeof(out));
        if (c->cmd == XENVER_get_features)
            memset(out, 0, sizeof(xen_feature_info_t));    /* submap_idx 0 */
        rc = HYPERVISOR_xen_version(c->cmd, (unsigned long)out);
        if (rc) {
            test_failure("%s returned %ld, expected 0", c->name, rc);
            continue;
        }
        if (out[c->size] != CANARY)
            test_failure("%s wrote past its %zu-byte struct", c->name, c->size);
        if (c->is_string && !terminated(out, c->size))
            test_failure("%s: string not NUL-terminated within %zu bytes", c->name, c->size);
        check_outputs(c);
    }
}

static void test_bad_buffers(void)
{
    const unsigned long bad[] = { 0, NONCANON, HV_RANGE, (unsigned long)ro_page };
    static const char *const bad_names[] = { "NULL", "non-canonical", "hypervisor-range",
                                             "read-only" };
    unsigned int i, j;
    long rc;

    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_A);
    if (rc) {
        test_error("update_va_mapping(read-only) returned %ld", rc);
        return;
    }
    for (i = 0; i < ARRAY_SIZE(out_cases); i++) {
        for (j = 0; j < ARRAY_SIZE(bad); j++) {
            rc = HYPERVISOR_xen_version(out_cases[i].cmd, bad[j]);
            if (rc != -XEN_EFAULT)
                test_failure("%s into a %s buffer returned %ld, expected %d",
                             out_cases[i].name, bad_names[j], rc, -XEN_EFAULT);
        }
    }
    for (j = 0; j < PAGE_SIZE; j++)
        if (ro_page[j]) {
            test_failure("the read-only page was written (byte %u is 0x%x)", j, ro_page[j]);
            break;
        }
    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_RW | PTE_A | PTE_D);
    if (rc)
        test_error("update_va_mapping(read-write) returned %ld", rc);
}

static void test_features_index(void)
{
    static const uint32_t bad_idx[] = { XENFEAT_NR_SUBMAPS, 0x100, 0xffffffff };
    xen_feature_info_t *fi = (void *)out;
    unsigned int i;
    long rc;

    for (i = 0; i < ARRAY_SIZE(bad_idx); i++) {
        fi->submap_idx = bad_idx[i];
        fi->submap = 0x12345678;
        rc = HYPERVISOR_xen_version(XENVER_get_features, (unsigned long)fi);
        if (rc != -XEN_EINVAL)
            test_failure("get_features submap_idx 0x%x returned %ld, expected %d", bad_idx[i],
                         rc, -XEN_EINVAL);
    }
}

/* The argument must be NULL (Xen 4.17 gives other answers for a non-NULL one). */
static void test_pagesize(void)
{
    long rc = HYPERVISOR_xen_version(XENVER_pagesize, 0);

    if (rc != PAGE_SIZE)
        test_failure("pagesize returned %ld, expected 4096", rc);
}

static void test_unknown(void)
{
    static const unsigned long cmds[] = { 64, 0xffff, 0x7fffffff };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cmds); i++) {
        long rc = HYPERVISOR_xen_version(cmds[i], (unsigned long)out);

        if (rc != -XEN_ENOSYS)
            test_failure("sub-op 0x%lx returned %ld, expected %d", cmds[i], rc, -XEN_ENOSYS);
    }
}

static const struct subtest cases[] = {
    { "XENVER_version: argument ignored, matches CPUID 0x40000001", test_version },
    { "sub-ops with output: size, termination, content", test_outputs },
    { "sub-ops with output: NULL/non-canonical/hypervisor/read-only -> -EFAULT",
      test_bad_buffers },
    { "get_features: submap index out of range -> -EINVAL", test_features_index },
    { "pagesize is 4096", test_pagesize },
    { "unknown sub-ops -> -ENOSYS", test_unknown },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
