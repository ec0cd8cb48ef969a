/*
 * Host unit tests (cmocka) of pvops/: every member of struct pv_ops is set by each of the
 * three fillers (native, xen, trap), the completeness check names the member it finds
 * empty, trap is native for the CPU and the MMU but for the fixes its hypervisor needs
 * (docs/pvops.md) and xen for the devices and the counters (its null call is native's
 * mov from CR0, trapped), pvops_select() refuses backends that cannot run after an
 * entry, and pv_cmdline_value() reads key=value words. pvops is linked whole, compiled
 * for the host; no member is called. Cannot detect: a member that is set but wrong
 * (the e2e boots of guest-port check those by running them).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "pvops.h"

/* What a kernel linking pvops supplies. */
char hypercall_page[4096];

void pv_panic(const char *what, long code)
{
    fail_msg("pv_panic(%s, %ld)", what, code);
    abort();
}

static struct pv_ops filled(void (*fill)(struct pv_ops *))
{
    struct pv_ops ops;

    memset(&ops, 0, sizeof(ops));
    fill(&ops);
    return ops;
}

static void expect_complete(void (*fill)(struct pv_ops *), const char *name)
{
    struct pv_ops ops = filled(fill);
    const char *empty = NULL;

    if (pvops_has_empty_member(&ops, &empty))
        fail_msg("backend %s leaves pv_ops.%s empty", name, empty);
    assert_string_equal(ops.name, name);
}

static void test_native_complete(void **state)
{
    (void)state;
    expect_complete(pvops_fill_native, "native");
}

static void test_xen_complete(void **state)
{
    (void)state;
    expect_complete(pvops_fill_xen, "xen");
}

static void test_trap_complete(void **state)
{
    (void)state;
    expect_complete(pvops_fill_trap, "trap");
}

/* The check itself: an emptied member is found and named, first and last included. */
static void test_check_names_empty_member(void **state)
{
    struct pv_ops ops = filled(pvops_fill_native);
    const char *empty = NULL;

    (void)state;
    ops.hv.counters = NULL;
    assert_true(pvops_has_empty_member(&ops, &empty));
    assert_string_equal(empty, "hv.counters");
    ops = filled(pvops_fill_xen);
    ops.name = NULL;
    assert_true(pvops_has_empty_member(&ops, &empty));
    assert_string_equal(empty, "name");
    ops = filled(pvops_fill_trap);
    ops.mmu.lazy_leave = NULL;
    assert_true(pvops_has_empty_member(&ops, &empty));
    assert_string_equal(empty, "mmu.lazy_leave");
}

/* trap = the native instructions, the paravirtual fixes of docs/trap-and-emulate.md
 * (virtual IF for irq_save, forced-emulation cpuid, HYPERVISOR_iret, the user's GS base
 * where the hypervisor keeps it), hypercalls for
 * the user L4 and pins, read-only page-table frames, and the xen devices. */
static void test_trap_is_native_cpu_and_xen_devices(void **state)
{
    struct pv_ops native = filled(pvops_fill_native), xen = filled(pvops_fill_xen);
    struct pv_ops trap = filled(pvops_fill_trap);

    (void)state;
    assert_ptr_equal(trap.cpu.irq_disable, native.cpu.irq_disable);
    assert_ptr_equal(trap.cpu.irq_enable, native.cpu.irq_enable);
    assert_ptr_equal(trap.cpu.safe_halt, native.cpu.safe_halt);
    assert_ptr_equal(trap.cpu.write_msr, native.cpu.write_msr);
    assert_ptr_equal(trap.cpu.load_kernel_stack, native.cpu.load_kernel_stack);
    assert_ptr_equal(trap.cpu.sysret, native.cpu.sysret);
    assert_ptr_equal(trap.mmu.set_pte, native.mmu.set_pte);
    assert_ptr_equal(trap.mmu.set_pgd, native.mmu.set_pgd);
    assert_ptr_equal(trap.mmu.write_cr3, native.mmu.write_cr3);
    assert_ptr_equal(trap.mmu.invlpg, native.mmu.invlpg);
    assert_ptr_not_equal(trap.cpu.irq_save, native.cpu.irq_save);
    /* the user's GS base is KERNEL_GS_BASE under a hypervisor, not GS_BASE */
    assert_ptr_not_equal(trap.cpu.set_gs_base, native.cpu.set_gs_base);
    assert_ptr_equal(trap.cpu.set_fs_base, native.cpu.set_fs_base);
    assert_ptr_equal(trap.cpu.cpuid, xen.cpu.cpuid);
    assert_ptr_equal(trap.cpu.iret, xen.cpu.iret);
    assert_ptr_equal(trap.mmu.write_user_cr3, xen.mmu.write_user_cr3);
    assert_ptr_equal(trap.mmu.pin, xen.mmu.pin);
    assert_ptr_not_equal(trap.mmu.alloc_pt, native.mmu.alloc_pt);
    assert_ptr_not_equal(trap.mmu.alloc_pt, xen.mmu.alloc_pt);
    assert_ptr_equal(trap.time.now_ns, xen.time.now_ns);
    assert_ptr_equal(trap.console.write, xen.console.write);
    assert_ptr_equal(trap.evtchn.dispatch, xen.evtchn.dispatch);
    assert_ptr_equal(trap.grant.grant_access, xen.grant.grant_access);
    assert_ptr_equal(trap.cpu.power_off, xen.cpu.power_off);
    assert_ptr_equal(trap.time.tsc_khz, xen.time.tsc_khz);
    assert_ptr_equal(trap.hv.null_call, native.hv.null_call);
    assert_ptr_equal(trap.hv.counters, xen.hv.counters);
    assert_ptr_not_equal(xen.hv.null_call, native.hv.null_call);
    assert_ptr_not_equal(xen.cpu.irq_disable, native.cpu.irq_disable);
    assert_ptr_not_equal(xen.mmu.set_pte, native.mmu.set_pte);
}

/* After multiboot only native can run; unknown names are refused. */
static void test_select_refuses(void **state)
{
    struct pv_boot boot;

    (void)state;
    memset(&boot, 0, sizeof(boot));
    boot.entry = PV_ENTRY_MULTIBOOT;
    assert_int_equal(pvops_select("xen", &boot), -1);
    assert_int_equal(pvops_select("trap", &boot), -1);
    assert_int_equal(pvops_select("bogus", &boot), -1);
    assert_int_equal(pvops_select("nativ", &boot), -1);
    assert_int_equal(pvops_select("native", &boot), 0);
    assert_string_equal(pv_ops.name, "native");
    assert_string_equal(boot.backend, "native");
}

static void test_cmdline_value(void **state)
{
    char v[8];

    (void)state;
    assert_true(pv_cmdline_value("kernel.bin pvops=trap init=hello", "pvops", v, sizeof(v)));
    assert_string_equal(v, "trap");
    assert_true(pv_cmdline_value("init=a init=count", "init", v, sizeof(v)));
    assert_string_equal(v, "count");
    assert_false(pv_cmdline_value("xpvops=xen pvops", "pvops", v, sizeof(v)));
    assert_true(pv_cmdline_value("pvops=averylongname", "pvops", v, sizeof(v)));
    assert_string_equal(v, "averylo");
    assert_true(pv_cmdline_value("pvops=", "pvops", v, sizeof(v)));
    assert_string_equal(v, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_native_complete),
        cmocka_unit_test(test_xen_complete),
        cmocka_unit_test(test_trap_complete),
        cmocka_unit_test(test_check_names_empty_member),
        cmocka_unit_test(test_trap_is_native_cpu_and_xen_devices),
        cmocka_unit_test(test_select_refuses),
        cmocka_unit_test(test_cmdline_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
