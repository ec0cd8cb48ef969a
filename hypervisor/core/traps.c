/*
 * Where entries from guests and faults go after entry.S: hypercalls and guest system
 * calls (syscall_dispatch), exceptions (exception_dispatch), and the IST vectors
 * (paranoid_dispatch). A fault in the hypervisor itself is either fixed up (guest
 * memory access) or ends in the fault report; a fault in a guest is emulated or
 * reflected to the guest.
 */
#include "bounce.h"
#include "console.h"
#include "domain.h"
#include "emul.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "x86.h"

void fatal_fault(struct cpu_regs *regs) __attribute__((noreturn));

void syscall_dispatch(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();

    if (regs->vector == VEC_SYSCALL && v->kernel_mode) {
        regs->rax = (uint64_t)do_hypercall(regs->rax, regs->rdi, regs->rsi, regs->rdx,
                                           regs->r10, regs->r8);
        return;
    }
    /* A system call from guest user mode (or 32-bit code): the guest kernel's. */
    bool is32 = regs->vector == VEC_SYSCALL32;
    uint64_t cb = is32 ? v->syscall32_callback : v->syscall_callback;
    bool mask = is32 ? v->syscall32_masks_events : v->syscall_masks_events;
    if (!cb) {
        /* No callback registered: the syscall instruction is undefined (A25). */
        regs->rip -= 2;
        inject_exception(v, regs, 6, 0);
        return;
    }
    regs->rflags &= ~X86_EFLAGS_DF;
    bounce_to_guest(v, regs, cb, NO_ERROR_CODE, mask, "syscall");
}

static void guest_page_fault(struct vcpu *v, struct cpu_regs *regs)
{
    v->cr2 = read_cr2();
    v->vcpu_info->arch.cr2 = v->cr2;
    /* The guest kernel runs in ring 3, so the CPU always reports U/S = 1: tell the
     * guest which mode it was really in. */
    uint64_t ec = regs->error_code & ~4ULL;
    if (!v->kernel_mode)
        ec |= 4;
    inject_exception(v, regs, 14, ec);
}

void exception_dispatch(struct cpu_regs *regs)
{
    if (!(regs->cs & 3)) {
        if (regs->rip == (uint64_t)iret_to_guest_insn)
            domain_crash("the guest's return frame was refused by the CPU (%s, error 0x%lx):"
                         " bad selector or address", regs->vector == 13 ? "#GP" : "fault",
                         (unsigned long)regs->error_code);
        uint64_t fixup = extable_find(regs->rip);
        if (fixup) {
            regs->rip = fixup;
            return;
        }
        if (regs->vector >= 32)
            return;    /* a stray hardware interrupt: nothing is unmasked */
        fatal_fault(regs);
    }

    struct vcpu *v = current_vcpu();
    unsigned vec = (unsigned)regs->vector;
    switch (vec) {
    case 6:
        if (emulate_forced_cpuid(v, regs))
            return;
        break;
    case 7:
        /* #NM: the guest set TS with fpu_taskswitch; it sees the #NM once. */
        __asm__ volatile("clts");
        if (!v->fpu_ts)
            return;
        v->fpu_ts = false;
        break;
    case 13:
        if (emulate_gp(v, regs))
            return;
        break;
    case 14:
        guest_page_fault(v, regs);
        return;
    default:
        if (vec >= 32)
            return;    /* hardware interrupt while the guest ran */
    }
    inject_exception(v, regs, vec, regs->error_code);
}

void paranoid_dispatch(struct cpu_regs *regs)
{
    switch (regs->vector) {
    case 1:   /* #DB */
        if (regs->cs & 3) {
            inject_exception(current_vcpu(), regs, 1, 0);
            return;
        }
        printk("#DB in the hypervisor at 0x%lx ignored\n", (unsigned long)regs->rip);
        return;
    case 2:
        printk("NMI received (rip 0x%lx), ignored\n", (unsigned long)regs->rip);
        return;
    default:
        fatal_fault(regs);
    }
}
