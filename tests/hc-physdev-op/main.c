/*
 * hc-physdev-op: physdev_op (hypercall 33): PHYSDEVOP_set_iopl and what it changes.
 *
 * Checks (Xen 4.17 arch/x86/physdev.c, arch/x86/pv/emul-priv-op.c iopl_ok):
 * - with the virtual IOPL at 0 (the start), a kernel-mode cli or sti is #GP(0);
 * - set_iopl(1): 0; then cli and sti run without a fault and change nothing a guest
 *   can see: evtchn_upcall_mask stays as it was (Xen treats them as no-ops);
 * - set_iopl(3): 0; in user mode a cli is still #GP on Parapet (no user I/O privilege
 *   is emulated; printed, not judged, on the reference);
 * - set_iopl(0) again: cli is #GP again;
 * - iopl 4: -EINVAL; a NULL argument: -EFAULT;
 * - on Parapet, every other sub-op (eoi, irq_status_query, map_pirq) is -ENOSYS.
 * Cannot detect: the effect of IOPL on port I/O (Parapet's ports read all-ones anyway).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-physdev-op: set_iopl, and cli/sti under it";

static long set_iopl(unsigned int iopl)
{
    struct physdev_set_iopl op = { .iopl = iopl };
    return HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (unsigned long)&op);
}

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: %ld, expected %ld", what, got, want);
}

static void expect_gp(const char *what, exinfo_t e)
{
    if (e != EXINFO(13, 0)) {
        char buf[32];
        test_failure("%s: %s, expected #GP[0000]", what, exinfo_str(e, buf, sizeof(buf)));
    }
}

static unsigned long user_cli(void)
{
    return probe_exec("cli");
}

void test_main(void)
{
    bool reference = cmdline_flag("xen-reference");
    uint8_t mask = this_vcpu_info()->evtchn_upcall_mask;

    printk("Test: IOPL 0: cli and sti are #GP\n");
    expect_gp("cli at IOPL 0", probe_exec("cli"));
    expect_gp("sti at IOPL 0", probe_exec("sti"));

    printk("Test: IOPL 1: cli and sti are accepted and change nothing\n");
    expect_rc("set_iopl(1)", set_iopl(1), 0);
    expect_rc("cli at IOPL 1 (exception)", (long)probe_exec("cli"), 0);
    if (this_vcpu_info()->evtchn_upcall_mask != mask)
        test_failure("cli at IOPL 1 changed evtchn_upcall_mask");
    expect_rc("sti at IOPL 1 (exception)", (long)probe_exec("sti"), 0);
    if (this_vcpu_info()->evtchn_upcall_mask != mask)
        test_failure("sti at IOPL 1 changed evtchn_upcall_mask");

    printk("Test: IOPL 3: user mode\n");
    expect_rc("set_iopl(3)", set_iopl(3), 0);
    exinfo_t e = exec_user(user_cli);
    if (!reference)
        expect_gp("user-mode cli at IOPL 3", e);
    else {
        char buf[32];
        printk("  user-mode cli at IOPL 3 on the reference: %s\n", exinfo_str(e, buf, sizeof(buf)));
    }

    printk("Test: IOPL 0 again\n");
    expect_rc("set_iopl(0)", set_iopl(0), 0);
    expect_gp("cli at IOPL 0 again", probe_exec("cli"));

    printk("Test: errors\n");
    expect_rc("set_iopl(4)", set_iopl(4), -XEN_EINVAL);
    expect_rc("set_iopl(NULL)", HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, 0), -XEN_EFAULT);
    if (!reference) {
        struct physdev_eoi eoi = { .irq = 1 };
        expect_rc("eoi", HYPERVISOR_physdev_op(PHYSDEVOP_eoi, (unsigned long)&eoi), -XEN_ENOSYS);
        struct physdev_irq_status_query q = { .irq = 1 };
        expect_rc("irq_status_query",
                  HYPERVISOR_physdev_op(PHYSDEVOP_irq_status_query, (unsigned long)&q),
                  -XEN_ENOSYS);
    }
}
