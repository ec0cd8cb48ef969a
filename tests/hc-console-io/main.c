/*
 * hc-console-io: console_io (hypercall 18), CONSOLEIO_write and CONSOLEIO_read.
 *
 * Checks: write returns 0 for a good buffer, also with count 0 and a NULL buffer (nothing
 * to read); a buffer that is NULL, non-canonical, in the hypervisor's range, unmapped, or
 * that runs into an unmapped page gives -EFAULT; read with count 0 returns 0, read with a
 * count above INT_MAX gives -E2BIG (Xen 4.17 drivers/char/console.c do_console_io) and read
 * never returns more than count; an unknown sub-op gives -ENOSYS. Parapet refuses a write
 * above its 64 KiB per-call bound with -EINVAL (A7); that case is not run on Xen, which
 * would print memory until it faults.
 * How: direct hypercalls with a table of (cmd, count, buffer) cases; the buffer that
 * runs into an unmapped page is the tail of a page whose successor we unmap with
 * update_va_mapping for the duration of the case.
 * Cannot detect: text that is accepted but never reaches the serial line (only the runner
 * reading the log sees it: the "visible" line below must appear); input handling, since
 * nothing types on the console during a test; writes between 64 KiB and INT_MAX (Xen
 * prints them, Parapet refuses them).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-console-io: console_io write/read, bad buffers, bad sub-ops";

#define NONCANON    0x8000000000000000UL     /* not canonical */
#define HV_RANGE    0xffff830000000000UL     /* hypervisor direct map (Xen and Parapet) */
#define UNMAPPED    0x00007f0000000000UL     /* canonical, no L4 entry */
#define ON_XEN_SKIP 1L                       /* never a console_io result */

static bool on_xen;                          /* "xen-reference": Xen 4.17 is the subject */

static const char hello[] = "  console_io: this line is visible\n";
static char read_buf[64];

/* Two pages: text at the end of the first one, the second one unmapped by a case. */
static char straddle[2 * PAGE_SIZE] __aligned(PAGE_SIZE);
#define STRADDLE_TAIL (straddle + PAGE_SIZE - 8)

static const struct {
    const char *name;
    unsigned long cmd, count, buf;
    long want;          /* Parapet's answer */
    long want_xen;      /* Xen 4.17's, or ON_XEN_SKIP where running it there is harmful */
} cases[] = {
    { "write a line", CONSOLEIO_write, sizeof(hello) - 1, (unsigned long)hello, 0, 0 },
    { "write count 0, NULL buffer", CONSOLEIO_write, 0, 0, 0, 0 },
    { "write count 0, good buffer", CONSOLEIO_write, 0, (unsigned long)hello, 0, 0 },
    { "write NULL buffer", CONSOLEIO_write, 5, 0, -XEN_EFAULT, -XEN_EFAULT },
    { "write non-canonical buffer", CONSOLEIO_write, 5, NONCANON, -XEN_EFAULT, -XEN_EFAULT },
    { "write hypervisor-range buffer", CONSOLEIO_write, 5, HV_RANGE, -XEN_EFAULT, -XEN_EFAULT },
    { "write unmapped buffer", CONSOLEIO_write, 5, UNMAPPED, -XEN_EFAULT, -XEN_EFAULT },
    { "write buffer wrapping past the top", CONSOLEIO_write, 32, 0xfffffffffffffff0UL,
      -XEN_EFAULT, -XEN_EFAULT },
    /* Parapet bounds one write at 64 KiB (A7); Xen 4.17 would print memory until a fault. */
    { "write count > INT_MAX", CONSOLEIO_write, 0x80000000UL, (unsigned long)hello,
      -XEN_EINVAL, ON_XEN_SKIP },
    { "read count 0, NULL buffer", CONSOLEIO_read, 0, 0, 0, 0 },
    { "read count > INT_MAX", CONSOLEIO_read, 0x80000000UL, (unsigned long)read_buf,
      -XEN_E2BIG, -XEN_E2BIG },
    { "sub-op 2", 2, 5, (unsigned long)hello, -XEN_ENOSYS, -XEN_ENOSYS },
    { "sub-op 0xffff", 0xffff, 5, (unsigned long)hello, -XEN_ENOSYS, -XEN_ENOSYS },
    { "sub-op 0x7fffffff", 0x7fffffff, 5, (unsigned long)hello, -XEN_ENOSYS, -XEN_ENOSYS },
};

static void test_table(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        long want = on_xen ? cases[i].want_xen : cases[i].want, rc;

        if (want == ON_XEN_SKIP) {
            printk("  case: %s: not run on the reference\n", cases[i].name);
            continue;
        }
        rc = HYPERVISOR_console_io(cases[i].cmd, cases[i].count, cases[i].buf);
        printk("  case: %s -> %ld\n", cases[i].name, rc);
        if (rc != want)
            test_failure("%s: returned %ld, expected %ld", cases[i].name, rc, want);
    }
}

/* A buffer whose first bytes are readable and whose rest is on an unmapped page. */
static void test_straddle(void)
{
    unsigned long mfn = virt_to_mfn(straddle + PAGE_SIZE);
    long rc;

    memcpy(STRADDLE_TAIL, "  tail: ", 8);
    rc = HYPERVISOR_update_va_mapping((unsigned long)(straddle + PAGE_SIZE), 0, UVMF_INVLPG);
    if (rc) {
        test_error("update_va_mapping(unmap) returned %ld", rc);
        return;
    }
    rc = HYPERVISOR_console_io(CONSOLEIO_write, 64, (unsigned long)STRADDLE_TAIL);
    /* End whatever part was printed, so the next line starts clean. */
    HYPERVISOR_console_io(CONSOLEIO_write, 1, (unsigned long)"\n");
    if (rc != -XEN_EFAULT)
        test_failure("write running into an unmapped page: returned %ld, expected %d", rc,
                     -XEN_EFAULT);
    rc = remap_page(straddle + PAGE_SIZE, mfn, PTE_P | PTE_RW | PTE_A | PTE_D);
    if (rc)
        test_error("update_va_mapping(remap) returned %ld", rc);
}

/* No input is typed during a test: read returns 0..count bytes and never more. */
static void test_read(void)
{
    long rc;

    memset(read_buf, 0x5a, sizeof(read_buf));
    rc = HYPERVISOR_console_io(CONSOLEIO_read, 16, (unsigned long)read_buf);
    if (rc < 0 || rc > 16)
        test_failure("read of 16 bytes returned %ld, expected 0..16", rc);
    else if (read_buf[16] != 0x5a)
        test_failure("read of 16 bytes wrote beyond the 16th byte");
}

static const struct {
    const char *name;
    void (*fn)(void);
} subtests[] = {
    { "table of (cmd, count, buffer) cases", test_table },
    { "write running into an unmapped page", test_straddle },
    { "read stays within count", test_read },
};

void test_main(void)
{
    unsigned int i;

    on_xen = cmdline_flag("xen-reference");
    for (i = 0; i < ARRAY_SIZE(subtests); i++) {
        printk("Test: %s\n", subtests[i].name);
        subtests[i].fn();
    }
    test_success();
}
