/*
 * xsa-a20-iret-rip-hole (EXPECT_CRASH): HYPERVISOR_iret to a RIP inside the hypervisor
 * hole (0xFFFF828000100000, where Parapet's image lives).
 *
 * Checks: the hypervisor refuses to return to a RIP outside the guest range and crashes
 * the domain (Parapet's answer in core/hc_iret.c; Xen 4.17 returns and the guest takes
 * a #PF at that RIP, checked under QEMU: just as safe, since the hole is
 * supervisor-only); no guest instruction ever runs there with privilege, and the host
 * survives (AFTER=hello). Should hc_iret adopt Xen's answer, this test must change.
 * How: an iret frame {rip 0xFFFF828000100000, cs 0xe030, rflags IF, our rsp, ss
 * 0xe02b}; every exception the guest could get afterwards, and continuing after the
 * call, is reported as FAILURE (../xsa-common/crash_attack.h).
 * Cannot detect: nothing more than the crash reason says.
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xsa-a20-iret-rip-hole: iret to a RIP in the hypervisor hole";

void test_main(void)
{
    crash_attack_arm("HYPERVISOR_iret to rip 0xFFFF828000100000 (hypervisor image)");
    iret_with_frame(0xFFFF828000100000UL, SEL_KERNEL_CS_RPL0, 0x202, 0, SEL_KERNEL_SS);
    crash_attack_survived();
}
