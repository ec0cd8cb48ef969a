/*
 * hc-enosys: every hypercall and sub-op the ABI table marks ENOSYS answers -ENOSYS.
 *
 * Checks: each ENOSYS row of hypercall-abi/hypercalls.def returns -ENOSYS (called through
 * the hypercall page and through a bare syscall); numbers with no row (11, 43, 47, 56,
 * 60, 62) and numbers beyond the table (64, 200, 255, 0x1000, 0x100000011, ~0) return
 * -ENOSYS, the last one even though its low 32 bits name xen_version; each ENOSYS row of
 * hypercall-abi/subops/<family>.def, called on its implemented hypercall, returns -ENOSYS;
 * none of them wrote into the zeroed page passed as their argument.
 * How: the case tables are compiled from the .def files themselves (HC()/SUBOP() rows),
 * so a row that becomes IMPL drops out and a new ENOSYS row is covered without an edit.
 * On the reference Xen implements most of these rows, so only the numbers without a
 * hypercall are checked there.
 * Cannot detect: that an ENOSYS hypercall has no side effect other than on its argument
 * page (Parapet logs each once; the log is not read back).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-enosys: ENOSYS rows, unknown numbers and ENOSYS sub-ops give -ENOSYS";

#define ST_IMPL   0
#define ST_ENOSYS 1
#define ST_EXT    2

static uint8_t zero_page[PAGE_SIZE] __aligned(PAGE_SIZE);
static bool on_xen;

/* A hypercall by number through a bare syscall (any number, even beyond the page). */
static long raw_hypercall(unsigned long nr, unsigned long a1, unsigned long a2,
                          unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r1 __asm__("rdi") = a1;
    register unsigned long r2 __asm__("rsi") = a2;
    register unsigned long r3 __asm__("rdx") = a3;
    register unsigned long r4 __asm__("r10") = a4;
    register unsigned long r5 __asm__("r8") = a5;
    long rax = (long)nr;

    __asm__ volatile("syscall"
                     : "+a"(rax), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
                     : : "rcx", "r11", "r9", "memory");
    return rax;
}

/* The same through hypercall page slot nr (nr < 128). */
static long page_hypercall(unsigned long nr, unsigned long a1, unsigned long a2,
                           unsigned long a3, unsigned long a4, unsigned long a5)
{
    register unsigned long r1 __asm__("rdi") = a1;
    register unsigned long r2 __asm__("rsi") = a2;
    register unsigned long r3 __asm__("rdx") = a3;
    register unsigned long r4 __asm__("r10") = a4;
    register unsigned long r5 __asm__("r8") = a5;
    unsigned long target = (unsigned long)hypercall_page + nr * 32;
    long rax;

    __asm__ volatile("call *%[t]"
                     : "=a"(rax), "+r"(r1), "+r"(r2), "+r"(r3), "+r"(r4), "+r"(r5)
                     : [t] "r"(target) : "rcx", "r11", "r9", "memory");
    return rax;
}

static void expect_enosys(const char *what, long rc)
{
    if (rc != -XEN_ENOSYS)
        test_failure("%s: returned %ld, expected %d", what, rc, -XEN_ENOSYS);
}

static void check_zero_page(const char *what)
{
    unsigned int i;

    for (i = 0; i < PAGE_SIZE; i++)
        if (zero_page[i]) {
            test_failure("%s wrote into its argument page (byte %u = 0x%x)", what, i,
                         zero_page[i]);
            memset(zero_page, 0, sizeof(zero_page));
            return;
        }
}

/* ---- hypercall numbers ---------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned int nr;
    int status;
} hc_rows[] = {
#define HC(nr, name, nargs, status, test) { #name, nr, ST_##status },
#include "hypercalls.def"
#undef HC
};

static void test_rows(void)
{
    unsigned int i, n = 0;
    char what[64];

    if (on_xen) {
        printk("  not run on the reference: Xen implements these hypercalls\n");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(hc_rows); i++) {
        unsigned long a = (unsigned long)zero_page;

        if (hc_rows[i].status != ST_ENOSYS)
            continue;
        n++;
        printk("  %u %s\n", hc_rows[i].nr, hc_rows[i].name);
        snprintf(what, sizeof(what), "hypercall %u (%s), page", hc_rows[i].nr,
                 hc_rows[i].name);
        expect_enosys(what, page_hypercall(hc_rows[i].nr, 0, a, a, a, a));
        snprintf(what, sizeof(what), "hypercall %u (%s), syscall", hc_rows[i].nr,
                 hc_rows[i].name);
        expect_enosys(what, raw_hypercall(hc_rows[i].nr, 0, a, a, a, a));
        check_zero_page(what);
    }
    printk("  %u ENOSYS rows\n", n);
}

static bool has_row(unsigned long nr)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(hc_rows); i++)
        if (hc_rows[i].nr == nr)
            return true;
    return false;
}

static void test_unknown_numbers(void)
{
    static const unsigned long nrs[] = { 11, 43, 47, 56, 60, 62, 64, 127, 200, 255, 0x1000,
                                         0x100000011UL, ~0UL };
    unsigned int i;
    char what[64];

    for (i = 0; i < ARRAY_SIZE(nrs); i++) {
        unsigned long a = (unsigned long)zero_page;

        if (has_row(nrs[i])) {
            test_error("hypercall %lu now has a row: pick another unused number", nrs[i]);
            continue;
        }
        snprintf(what, sizeof(what), "hypercall 0x%lx, syscall", nrs[i]);
        expect_enosys(what, raw_hypercall(nrs[i], XENVER_extraversion, a, a, a, a));
        if (nrs[i] < 128) {
            snprintf(what, sizeof(what), "hypercall 0x%lx, page", nrs[i]);
            expect_enosys(what, page_hypercall(nrs[i], XENVER_extraversion, a, a, a, a));
        }
        check_zero_page(what);
    }
}

/* ---- sub-ops -------------------------------------------------------------------------- */

struct subop_row {
    const char *name;
    unsigned long value;
    int status;
};

#define SUBOP(name, value, status, test) { #name, value, ST_##status },
static const struct subop_row memory_rows[] = {
#include "subops/memory_op.def"
};
static const struct subop_row mmu_rows[] = {
#include "subops/mmu_update.def"
};
static const struct subop_row mmuext_rows[] = {
#include "subops/mmuext_op.def"
};
static const struct subop_row sched_rows[] = {
#include "subops/sched_op.def"
};
static const struct subop_row vcpu_rows[] = {
#include "subops/vcpu_op.def"
};
static const struct subop_row vm_assist_rows[] = {
#include "subops/vm_assist.def"
};
static const struct subop_row xen_version_rows[] = {
#include "subops/xen_version.def"
};
static const struct subop_row console_rows[] = {
#include "subops/console_io.def"
};
static const struct subop_row callback_rows[] = {
#include "subops/callback_op.def"
};
#undef SUBOP

/* How each family is called with sub-op v and the zeroed page as its argument. */
static long call_memory(unsigned long v)
{
    return HYPERVISOR_memory_op(v, (unsigned long)zero_page);
}
static long call_mmu(unsigned long v)
{
    static struct mmu_update req;
    static unsigned int done;

    /* ptr[2:0] is the command; the rest names our own first frame. */
    req.ptr = (pfn_to_mfn(0) << PAGE_SHIFT) | v;
    req.val = 0;
    return HYPERVISOR_mmu_update((unsigned long)&req, 1, (unsigned long)&done, DOMID_SELF);
}
static long call_mmuext(unsigned long v)
{
    static struct mmuext_op op;

    memset(&op, 0, sizeof(op));
    op.cmd = (unsigned int)v;
    return HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF);
}
static long call_sched(unsigned long v)
{
    return HYPERVISOR_sched_op(v, (unsigned long)zero_page);
}
static long call_vcpu(unsigned long v)
{
    return HYPERVISOR_vcpu_op(v, 0, (unsigned long)zero_page);
}
static long call_vm_assist(unsigned long v)
{
    return HYPERVISOR_vm_assist(VMASST_CMD_enable, v);
}
static long call_xen_version(unsigned long v)
{
    return HYPERVISOR_xen_version(v, (unsigned long)zero_page);
}
static long call_console(unsigned long v)
{
    return HYPERVISOR_console_io(v, 0, (unsigned long)zero_page);
}
static long call_callback(unsigned long v)
{
    return HYPERVISOR_callback_op(v, (unsigned long)zero_page);
}

static const struct {
    const char *family;
    const struct subop_row *rows;
    unsigned int nr_rows;
    long (*call)(unsigned long v);
} families[] = {
#define FAMILY(name, rows, fn) { name, rows, ARRAY_SIZE(rows), fn }
    FAMILY("memory_op", memory_rows, call_memory),
    FAMILY("mmu_update", mmu_rows, call_mmu),
    FAMILY("mmuext_op", mmuext_rows, call_mmuext),
    FAMILY("sched_op", sched_rows, call_sched),
    FAMILY("vcpu_op", vcpu_rows, call_vcpu),
    FAMILY("vm_assist", vm_assist_rows, call_vm_assist),
    FAMILY("xen_version", xen_version_rows, call_xen_version),
    FAMILY("console_io", console_rows, call_console),
    FAMILY("callback_op", callback_rows, call_callback),
#undef FAMILY
};

static void test_subops(void)
{
    unsigned int f, i, n = 0;
    char what[80];

    if (on_xen) {
        printk("  not run on the reference: Xen implements these sub-ops\n");
        return;
    }
    for (f = 0; f < ARRAY_SIZE(families); f++)
        for (i = 0; i < families[f].nr_rows; i++) {
            const struct subop_row *r = &families[f].rows[i];

            if (r->status != ST_ENOSYS)
                continue;
            n++;
            printk("  %s %s (%lu)\n", families[f].family, r->name, r->value);
            snprintf(what, sizeof(what), "%s sub-op %s (%lu)", families[f].family, r->name,
                     r->value);
            expect_enosys(what, families[f].call(r->value));
            check_zero_page(what);
        }
    printk("  %u ENOSYS sub-op rows\n", n);
}

static const struct subtest cases[] = {
    { "ENOSYS rows of hypercalls.def", test_rows },
    { "numbers without a hypercall", test_unknown_numbers },
    { "ENOSYS rows of subops/*.def", test_subops },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
