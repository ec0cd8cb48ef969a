/*
 * xsa-a20-iret-context-in-hole (EXPECT_CRASH): the iret hypercall issued with RSP
 * pointing into the hypervisor hole, so the "iret context" it reads (rax, r11, rcx,
 * flags, rip, cs, rflags, rsp, ss) would be hypervisor memory.
 *
 * Checks: the hypervisor reads the context with a range-checked guest copy, refuses the
 * hole and crashes the domain (a PV guest has no other way to learn the failure: Xen
 * crashes it too); it never returns into a frame made of hypervisor data; the host
 * survives (AFTER=hello).
 * How: RSP = 0xFFFF828000100000 (Parapet's image), RAX = 23, then a bare `syscall`
 * (the way Linux 6.1.121+ issues iret). Any way back into the guest is reported as
 * FAILURE (../xsa-common/crash_attack.h).
 * Cannot detect: nothing more than the crash reason says.
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xsa-a20-iret-context-in-hole: iret context read from the hole";

void test_main(void)
{
    crash_attack_arm("iret hypercall with rsp 0xFFFF828000100000: its context is in the "
                     "hole");
    __asm__ volatile("mov   %%rsp, %%rbx\n\t"
                     "mov   $23, %%eax\n\t"
                     "mov   %0, %%rsp\n\t"
                     "syscall\n\t"
                     "mov   %%rbx, %%rsp"
                     : : "r"(0xFFFF828000100000UL)
                     : "rax", "rbx", "rcx", "r11", "memory");
    crash_attack_survived();
}
