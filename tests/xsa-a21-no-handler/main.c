/*
 * xsa-a21-no-handler (EXPECT_CRASH): a #UD after the guest cleared its whole trap table
 * (set_trap_table(NULL), which the ABI allows).
 *
 * Checks: with no handler to bounce to, the hypervisor crashes the domain (Xen:
 * create_bounce_frame_bad_bounce_ip), it never jumps to address 0 in the guest nor
 * faults itself; the host survives (AFTER=hello).
 * How: set_trap_table(NULL), then ud2 in kernel mode. With no trap table the guest's own
 * handlers cannot run, so a hypervisor that ignored the exception is caught by the
 * instruction after the ud2 (../xsa-common/crash_attack.h); one that jumped to 0 would
 * take a #PF there with no handler either and crash for that reason instead (the
 * EXPECT_CRASH regex names the first one).
 * Cannot detect: nothing more than the crash reason says.
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xsa-a21-no-handler: an exception with no trap table";

void test_main(void)
{
    long rc;

    crash_attack_arm("ud2 in kernel mode after set_trap_table(NULL)");
    rc = HYPERVISOR_set_trap_table(0);
    if (rc) {
        install_default_traps();
        test_error("set_trap_table(NULL) failed: %ld", rc);
        return;
    }
    __asm__ volatile("ud2");
    install_default_traps();
    crash_attack_survived();
}
