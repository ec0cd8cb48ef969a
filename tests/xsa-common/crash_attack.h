/*
 * crash_attack.h: the shared half of the EXPECT_CRASH tests of invariants A20 and A21
 * (tests/xsa-a20-*, tests/xsa-a21-*). Header only, included as
 * "../xsa-common/crash_attack.h"; not a test. Each of those main.c files describes one
 * attack whose only correct answer is that the hypervisor crashes the attacking domain,
 * and uses these helpers to mount it.
 *
 * A crash test passes when the hypervisor prints "dN crashed: <reason>" matching the
 * EXPECT_CRASH regex of its test.conf and the AFTER guest then succeeds. If instead the
 * guest keeps running, every way back into it is caught here and reported as FAILURE
 * (the test then powers off with a result line, which the runner counts as a failure):
 * an exception reaching the guest, or the attack instruction "returning".
 */
#ifndef XSA_CRASH_ATTACK_H
#define XSA_CRASH_ATTACK_H

#include "test.h"

#define SEL_KERNEL_CS_RPL0 0xe030      /* frame CS with RPL 0: stay in guest kernel mode */

static const char *crash_attack_name;

static inline bool crash_attack_caught(struct cpu_regs *regs)
{
    test_failure("%s: the domain was not crashed; the guest got %s (error %lx) at rip "
                 "%lx, cs %x, rsp %lx", crash_attack_name,
                 vector_mnemonic((unsigned int)regs->vector), regs->error_code, regs->rip,
                 regs->cs, regs->rsp);
    test_exit();
}

static inline void crash_attack_syscall_hook(struct cpu_regs *regs)
{
    crash_attack_caught(regs);
}

/* Print what is about to happen and catch every exception the guest could get after. */
static inline void crash_attack_arm(const char *name)
{
    unsigned int vec;

    crash_attack_name = name;
    printk("Attack: %s\n", name);
    printk("Expected: the hypervisor crashes this domain (no result line follows)\n");
    for (vec = 0; vec < 32; vec++)
        set_vector_handler(vec, crash_attack_caught);
    set_syscall_hook(crash_attack_syscall_hook);
}

/* Reached only if the attack returned: the hypervisor accepted it. */
static inline void __noreturn crash_attack_survived(void)
{
    test_failure("%s: the hypervisor accepted it and the guest continued",
                 crash_attack_name);
    test_exit();
}

/*
 * HYPERVISOR_iret with the given frame. A frame the hypervisor accepts continues at rip;
 * with rip = 0 it continues after this call, which is itself a failure.
 */
static inline void iret_with_frame(unsigned long rip, unsigned long cs,
                                   unsigned long rflags, unsigned long rsp,
                                   unsigned long ss)
{
    __asm__ volatile("test  %[rip], %[rip]\n\t"
                     "jnz   2f\n\t"
                     "lea   1f(%%rip), %[rip]\n"
                     "2:\n\t"
                     "test  %[rsp], %[rsp]\n\t"
                     "jnz   3f\n\t"
                     "mov   %%rsp, %[rsp]\n"
                     "3:\n\t"
                     "push  %[ss]\n\t"
                     "push  %[rsp]\n\t"
                     "push  %[fl]\n\t"
                     "push  %[cs]\n\t"
                     "push  %[rip]\n\t"
                     "push  $0\n\t"
                     "jmp   hypercall_page + 23 * 32\n"
                     "1:"
                     : [rip] "+r"(rip), [rsp] "+r"(rsp)
                     : [cs] "r"(cs), [fl] "r"(rflags), [ss] "r"(ss)
                     : "rax", "rcx", "r11", "memory", "cc");
}

#endif
