/*
 * hc-multicall: multicall (hypercall 13), a batch of hypercalls in one entry.
 *
 * Checks: a batch of xen_version and console_io calls returns 0 and stores in each
 * entry's result exactly what the call gives when issued directly (a version number,
 * 0, -EFAULT for a bad buffer, -EINVAL for a bad feature index), with the calls' side
 * effects (a string written, a line printed); unknown and unimplemented hypercall numbers
 * give -ENOSYS per entry; a nested multicall gives -EINVAL in its entry (Xen: re-entry is
 * refused); iret in a batch gives -EINVAL in its entry on Parapet (it would change
 * privilege mid-batch, A8; Xen 4.17 executes it, so that case is not run on the
 * reference); nr 0 returns 0; a NULL, non-canonical or hypervisor-range list gives
 * -EFAULT; a list running into an unmapped page gives -EFAULT after running the entries
 * before it; a read-only list runs its entry and gives -EFAULT (the result cannot be
 * stored); 4096 entries are accepted and 4097 give -EINVAL before any entry runs
 * (Parapet's bound, A7; Xen has none, so 0 there).
 * How: a static array of multicall_entry, results pre-set to a poison value.
 * Cannot detect: preemption and continuation of long batches (Parapet has none yet).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-multicall: per-entry results, refused entries, bad lists, bounds";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL
#define POISON      0x5a5a5a5a5a5a5a5aUL
#define MAX_CALLS   4096

static bool on_xen;
static multicall_entry_t calls[MAX_CALLS + 1] __aligned(PAGE_SIZE);
static char extra[XEN_EXTRAVERSION_LEN];
static xen_feature_info_t fi_bad = { .submap_idx = 0xffff };
static const char line[] = "  multicall: this console line comes from inside a batch\n";
/* Two pages: entries at the end of the first run into the (unmapped) second. */
static multicall_entry_t edge[2 * PAGE_SIZE / sizeof(multicall_entry_t)] __aligned(PAGE_SIZE);
static multicall_entry_t ro_list[PAGE_SIZE / sizeof(multicall_entry_t)] __aligned(PAGE_SIZE);

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

static void set_call(multicall_entry_t *e, unsigned long op, unsigned long a0,
                     unsigned long a1, unsigned long a2)
{
    memset(e, 0, sizeof(*e));
    e->op = op;
    e->result = POISON;
    e->args[0] = a0;
    e->args[1] = a1;
    e->args[2] = a2;
}

static void test_batch(void)
{
    static struct {
        const char *name;
        unsigned long op, a0, a1, a2;
        long want;              /* filled for xen_version at run time */
    } cases[] = {
        { "xen_version(version)", __HYPERVISOR_xen_version, XENVER_version, 0, 0, 0 },
        { "console_io(write, line)", __HYPERVISOR_console_io, CONSOLEIO_write,
          sizeof(line) - 1, (unsigned long)line, 0 },
        { "xen_version(extraversion, buf)", __HYPERVISOR_xen_version, XENVER_extraversion,
          (unsigned long)extra, 0, 0 },
        { "xen_version(extraversion, NULL)", __HYPERVISOR_xen_version, XENVER_extraversion,
          0, 0, -XEN_EFAULT },
        { "xen_version(get_features, bad index)", __HYPERVISOR_xen_version,
          XENVER_get_features, (unsigned long)&fi_bad, 0, -XEN_EINVAL },
        { "console_io(write, non-canonical)", __HYPERVISOR_console_io, CONSOLEIO_write, 4,
          NONCANON, -XEN_EFAULT },
        { "hypercall 60 (unused number)", 60, 0, 0, 0, -XEN_ENOSYS },
        { "hypercall 200 (out of range)", 200, 0, 0, 0, -XEN_ENOSYS },
        { "sched_op(yield)", __HYPERVISOR_sched_op, SCHEDOP_yield, 0, 0, 0 },
        { "nested multicall", __HYPERVISOR_multicall, (unsigned long)calls, 1, 0,
          -XEN_EINVAL },
    };
    unsigned int i, n = ARRAY_SIZE(cases);
    long rc;

    cases[0].want = HYPERVISOR_xen_version(XENVER_version, 0);
    memset(extra, 0xff, sizeof(extra));
    for (i = 0; i < n; i++)
        set_call(&calls[i], cases[i].op, cases[i].a0, cases[i].a1, cases[i].a2);
    rc = HYPERVISOR_multicall((unsigned long)calls, n);
    expect_rc("multicall of the batch", rc, 0);
    for (i = 0; i < n; i++) {
        printk("  entry %u %s -> %ld\n", i, cases[i].name, (long)calls[i].result);
        if ((long)calls[i].result != cases[i].want)
            test_failure("entry %u %s: result %ld (0x%lx), expected %ld", i, cases[i].name,
                         (long)calls[i].result, (unsigned long)calls[i].result,
                         cases[i].want);
    }
    if (strnlen(extra, sizeof(extra)) == sizeof(extra))
        test_failure("xen_version(extraversion) in the batch wrote no string");
}

/* iret cannot run inside a batch on Parapet. */
static void test_iret_entry(void)
{
    long rc;

    if (on_xen) {
        printk("  not run on the reference: Xen 4.17 executes an iret entry\n");
        return;
    }
    set_call(&calls[0], __HYPERVISOR_iret, 0, 0, 0);
    set_call(&calls[1], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    rc = HYPERVISOR_multicall((unsigned long)calls, 2);
    expect_rc("multicall with an iret entry", rc, 0);
    if ((long)calls[0].result != -XEN_EINVAL)
        test_failure("iret entry: result %ld, expected %d", (long)calls[0].result,
                     -XEN_EINVAL);
    if ((long)calls[1].result != HYPERVISOR_xen_version(XENVER_version, 0))
        test_failure("the entry after iret: result %ld", (long)calls[1].result);
}

static void test_bad_lists(void)
{
    unsigned int n = PAGE_SIZE / sizeof(multicall_entry_t);
    unsigned long page2 = (unsigned long)edge + PAGE_SIZE, mfn = virt_to_mfn((void *)page2);
    long rc;

    set_call(&calls[0], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    expect_rc("nr 0", HYPERVISOR_multicall((unsigned long)calls, 0), 0);
    if (calls[0].result != POISON)
        test_failure("nr 0 ran an entry");
    expect_rc("NULL list", HYPERVISOR_multicall(0, 1), -XEN_EFAULT);
    expect_rc("non-canonical list", HYPERVISOR_multicall(NONCANON, 1), -XEN_EFAULT);
    expect_rc("hypervisor-range list", HYPERVISOR_multicall(HV_RANGE, 1), -XEN_EFAULT);

    /* Last entry of a page, then an unmapped page: the first entry runs, then -EFAULT. */
    set_call(&edge[n - 1], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    rc = HYPERVISOR_update_va_mapping(page2, 0, UVMF_INVLPG);
    if (rc) {
        test_error("update_va_mapping(unmap) returned %ld", rc);
        return;
    }
    expect_rc("list running into an unmapped page",
              HYPERVISOR_multicall((unsigned long)&edge[n - 1], 2), -XEN_EFAULT);
    if ((long)edge[n - 1].result != HYPERVISOR_xen_version(XENVER_version, 0))
        test_failure("the entry before the unmapped page: result 0x%lx",
                     (unsigned long)edge[n - 1].result);
    rc = remap_page((void *)page2, mfn, PTE_P | PTE_RW | PTE_A | PTE_D);
    if (rc)
        test_error("update_va_mapping(remap) returned %ld", rc);

    /* A read-only list: the entry runs (it writes extraversion), its result cannot be
     * stored. */
    set_call(&ro_list[0], __HYPERVISOR_xen_version, XENVER_extraversion,
             (unsigned long)extra, 0);
    memset(extra, 0xff, sizeof(extra));
    rc = remap_page(ro_list, virt_to_mfn(ro_list), PTE_P | PTE_A);
    if (rc) {
        test_error("update_va_mapping(read-only) returned %ld", rc);
        return;
    }
    expect_rc("read-only list", HYPERVISOR_multicall((unsigned long)ro_list, 1), -XEN_EFAULT);
    if (strnlen(extra, sizeof(extra)) == sizeof(extra))
        test_failure("the entry of the read-only list did not run");
    if (ro_list[0].result != POISON)
        test_failure("the read-only list was written");
    rc = remap_page(ro_list, virt_to_mfn(ro_list), PTE_P | PTE_RW | PTE_A | PTE_D);
    if (rc)
        test_error("update_va_mapping(read-write) returned %ld", rc);
}

static void test_bounds(void)
{
    unsigned int i;
    long ver = HYPERVISOR_xen_version(XENVER_version, 0), rc;

    for (i = 0; i <= MAX_CALLS; i++)
        set_call(&calls[i], __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    rc = HYPERVISOR_multicall((unsigned long)calls, MAX_CALLS);
    expect_rc("4096 entries", rc, 0);
    if ((long)calls[0].result != ver || (long)calls[MAX_CALLS - 1].result != ver ||
        calls[MAX_CALLS].result != POISON)
        test_failure("4096 entries: results of entries 0/4095/4096 are 0x%lx/0x%lx/0x%lx",
                     (unsigned long)calls[0].result,
                     (unsigned long)calls[MAX_CALLS - 1].result,
                     (unsigned long)calls[MAX_CALLS].result);

    for (i = 0; i <= MAX_CALLS; i++)
        calls[i].result = POISON;
    rc = HYPERVISOR_multicall((unsigned long)calls, MAX_CALLS + 1);
    expect_rc("4097 entries", rc, on_xen ? 0 : -XEN_EINVAL);
    if (!on_xen && calls[0].result != POISON)
        test_failure("4097 entries: entry 0 ran although the batch was refused");
}

static const struct subtest cases[] = {
    { "a batch of xen_version/console_io calls, per-entry results", test_batch },
    { "iret inside a batch -> entry result -EINVAL", test_iret_entry },
    { "bad and partly bad lists -> -EFAULT", test_bad_lists },
    { "4096 entries accepted, 4097 refused", test_bounds },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
