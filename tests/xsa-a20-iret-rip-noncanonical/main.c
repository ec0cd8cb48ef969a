/*
 * xsa-a20-iret-rip-noncanonical (EXPECT_CRASH): HYPERVISOR_iret to RIP
 * 0x0000800000000000, the first non-canonical address (XSA-7's SYSRET hazard in iret
 * form).
 *
 * Checks: the hypervisor never loads a non-canonical RIP with its ring-0 return;
 * Parapet's HYPERVISOR_iret (core/hc_iret.c) refuses RIPs outside the guest range and
 * crashes the domain, and the host survives (AFTER=hello). Xen 4.17 answers differently
 * but just as safely: the guest kernel gets #GP(0) at that RIP (checked under QEMU), and
 * so does Parapet for a hypercall whose return RIP is non-canonical
 * (xsa-a20-iret-frames). Should hc_iret adopt Xen's answer, this becomes a case there.
 * How: an iret frame {rip 0x800000000000, cs 0xe030 (stay in kernel mode), rflags IF,
 * our rsp, ss 0xe02b}; every exception the guest could get afterwards, and continuing
 * after the call, is reported as FAILURE (../xsa-common/crash_attack.h).
 * Cannot detect: a hypervisor that faults on this in ring 0 and recovers by crashing the
 * domain for another reason (the EXPECT_CRASH regex names the right ones).
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xsa-a20-iret-rip-noncanonical: iret to a non-canonical RIP";

void test_main(void)
{
    crash_attack_arm("HYPERVISOR_iret to rip 0x0000800000000000 (non-canonical)");
    iret_with_frame(0x0000800000000000UL, SEL_KERNEL_CS_RPL0, 0x202, 0, SEL_KERNEL_SS);
    crash_attack_survived();
}
