/*
 * xsa-a20-iret-rsp-noncanonical (EXPECT_CRASH): HYPERVISOR_iret with RSP
 * 0x8000000000000000 (non-canonical).
 *
 * Checks: the guest cannot use the iret to make the hypervisor write through, or run
 * with, a non-canonical stack. Whether the CPU refuses the return (the #GP is handed to
 * the guest kernel, whose frame would go on that same stack) or the guest's first push
 * faults, the bounce frame cannot be written on a non-canonical stack and the domain is
 * crashed (Xen 4.17 crashes it too, checked under QEMU); the host survives
 * (AFTER=hello).
 * How: an iret frame {rip: a push, cs 0xe030, rflags IF, rsp 0x8000000000000000, ss
 * 0xe02b}. If the guest ever gets control back (an exception, or the instruction after
 * the push), that is reported as FAILURE (../xsa-common/crash_attack.h).
 * Cannot detect: which of the two paths led to the crash (both end in the same reason).
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xsa-a20-iret-rsp-noncanonical: iret with a non-canonical RSP";

void rsp_target_survived(void) __noreturn;
void rsp_target_survived(void)
{
    crash_attack_survived();
}

extern char rsp_target[];
__asm__(".pushsection .text\n"
        "rsp_target:\n\t"
        "push  %rax\n\t"                  /* must fault: RSP is non-canonical */
        "lea   boot_stack_top(%rip), %rsp\n\t"
        "jmp   rsp_target_survived\n"
        ".popsection");

void test_main(void)
{
    crash_attack_arm("HYPERVISOR_iret with rsp 0x8000000000000000 (non-canonical)");
    iret_with_frame((unsigned long)rsp_target, SEL_KERNEL_CS_RPL0, 0x202,
                    0x8000000000000000UL, SEL_KERNEL_SS);
    crash_attack_survived();
}
