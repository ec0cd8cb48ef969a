/*
 * Where entries from guests and faults go after entry.S: hypercalls and guest system
 * calls (syscall_dispatch), exceptions (exception_dispatch), and the IST vectors
 * (paranoid_dispatch). A fault in the hypervisor itself is either fixed up (guest
 * memory access) or ends in the fault report; a fault in a guest is emulated or
 * reflected to the guest.
 */
#include "bounce.h"
#include "context.h"
#include "continuation.h"
#include "console.h"
#include "domain.h"
#include "emul.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lapic.h"
#include "lib.h"
#include "mm/ptwr.h"
#include "timer.h"
#include "x86.h"

void fatal_fault(struct cpu_regs *regs) __attribute__((noreturn));

void syscall_dispatch(struct cpu_regs *regs)
{
    struct vcpu *v = current_vcpu();

    if (regs->vector == VEC_SYSCALL && v->kernel_mode) {
        regs->rax = (uint64_t)do_hypercall(regs->rax, regs->rdi, regs->rsi, regs->rdx,
                                           regs->r10, regs->r8);
        hypercall_finish(regs);          /* a continuation re-issues the call */
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
    uint64_t cr2 = read_cr2();
    if (ptwr_emulate(v, regs, cr2, regs->error_code)) {
        v->stats.emulations++;        /* a store into a page table, done as an update */
        return;
    }
    v->cr2 = cr2;
    v->vcpu_info->arch.cr2 = v->cr2;
    /* The guest kernel runs in ring 3, so the CPU always reports U/S = 1: tell the
     * guest which mode it was really in. */
    uint64_t ec = regs->error_code & ~4ULL;
    if (!v->kernel_mode)
        ec |= 4;
    inject_exception(v, regs, 14, ec);
}

/*
 * The iretq of return_to_guest refused the guest's frame (a CS or SS that is not a
 * usable ring-3 selector, e.g. one a guest kernel took from a user's sigreturn frame):
 * hand the fault to the guest kernel, as Xen does, with the refused frame as the
 * interrupted state. The CPU loaded nothing, so the guest's GPRs are in regs (saved by
 * this entry) and its rip..ss still lie at the top of the stack, where this entry's own
 * frame did not reach; everything below them is rebuilt, then the frame is left again.
 */
static void __attribute__((noreturn)) reflect_iret_fault(struct cpu_regs *regs)
{
    struct cpu_regs gprs = *regs;
    struct cpu_regs *g = guest_regs();
    unsigned vec = (unsigned)regs->vector;

    /* Only a selector check can refuse the frame (#NP, #SS, #GP); anything else would
     * be a fault reading our own descriptor tables: not the guest's to handle. */
    if (vec < 11 || vec > 13)
        domain_crash("the guest's return frame faulted in the hypervisor (vector %u, "
                     "error 0x%lx)", vec, (unsigned long)regs->error_code);
    memcpy(g, &gprs, offsetof(struct cpu_regs, vector));
    g->vector = vec;
    g->error_code = gprs.error_code;
    inject_exception(current_vcpu(), g, vec, gprs.error_code);
    return_to_guest_now();
}

void exception_dispatch(struct cpu_regs *regs)
{
    if (!(regs->cs & 3)) {
        if (regs->rip == (uint64_t)iret_to_guest_insn)
            reflect_iret_fault(regs);
        uint64_t fixup = extable_find(regs->rip);
        if (fixup) {
            regs->rip = fixup;
            return;
        }
        if (regs->vector == LAPIC_TIMER_VECTOR) {
            timer_interrupt();     /* while the hypervisor waits in block or poll */
            return;
        }
        if (regs->vector >= 32)
            return;    /* a stray hardware interrupt: nothing else is unmasked */
        fatal_fault(regs);
    }

    struct vcpu *v = current_vcpu();
    unsigned vec = (unsigned)regs->vector;
    switch (vec) {
    case 6:
        if (emulate_forced_cpuid(v, regs)) {
            v->stats.emulations++;
            return;
        }
        break;
    case 7:
        /* #NM: the guest set TS with fpu_taskswitch; it sees the #NM once. */
        __asm__ volatile("clts");
        if (!v->fpu_ts)
            return;
        v->fpu_ts = false;
        break;
    case 13:
        if (emulate_gp(v, regs)) {
            v->stats.emulations++;
            return;
        }
        break;
    case 14:
        guest_page_fault(v, regs);
        return;
    default:
        if (vec == LAPIC_TIMER_VECTOR)
            timer_interrupt();
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
            debugregs_on_db(current_vcpu());
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
