/*
 * hello: the default guest of `make run`. Prints what the guest sees of itself and of
 * its hypervisor: the start_info magic, nr_pages, flags and command line, the first
 * bytes of the hypercall page, and xen_version (major.minor, extraversion).
 *
 * Checks: the start_info magic starts with "xen-3.0-x86_64" (Xen's dom0 builder adds "p"
 * for PAE); nr_pages is non-zero; XENVER_version succeeds; console_io works through both
 * the hypercall page and a bare `syscall`.
 * Cannot detect: a wrong nr_pages or version number (any value is printed, not judged),
 * or a console that drops the raw-syscall line (only a human reading the log sees that).
 */
#include "test.h"

const char test_title[] = "hello: the guest's view of itself";

void test_main(void)
{
    static const char raw_line[] = "Hello through a bare syscall (no hypercall page)\n";
    const uint8_t *hp = (const uint8_t *)hypercall_page;
    char extra[XEN_EXTRAVERSION_LEN] = "";
    long ver, rc;

    printk("Hello from a Parapet test guest.\n");
    printk("  start_info magic   \"%.32s\"\n", (const char *)start_info->magic);
    printk("  nr_pages           %lu (%lu MiB)\n", start_info->nr_pages,
           start_info->nr_pages >> 8);
    printk("  flags              0x%x%s\n", start_info->flags,
           start_info->flags & SIF_INITDOMAIN ? " (initial domain)" : "");
    printk("  command line       \"%s\"\n", cmdline());
    printk("  hypercall page     %s (slot 0: %02x %02x %02x %02x ...)\n",
           hp[0] != 0xc3 ? "filled" : "NOT filled", hp[0], hp[1], hp[2], hp[3]);

    if (memcmp(start_info->magic, "xen-3.0-x86_64", 14))
        test_failure("start_info magic does not start with \"xen-3.0-x86_64\"");
    if (!start_info->nr_pages)
        test_failure("start_info nr_pages is 0");

    ver = HYPERVISOR_xen_version(XENVER_version, 0);
    if (ver < 0)
        test_failure("xen_version(XENVER_version) failed: %ld", ver);
    rc = HYPERVISOR_xen_version(XENVER_extraversion, (unsigned long)extra);
    extra[sizeof(extra) - 1] = '\0';
    printk("  xen_version        %ld.%ld%s\n", ver >> 16, ver & 0xffff, rc ? "" : extra);

    rc = raw_console_write(raw_line, sizeof(raw_line) - 1);
    if (rc < 0)
        test_failure("console_io through a bare syscall failed: %ld", rc);

    test_success();
}
