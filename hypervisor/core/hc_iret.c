/*
 * HYPERVISOR_iret: return from a bounce frame. The guest pushed an iret_context
 * {rax, r11, rcx, flags, rip, cs, rflags, rsp, ss} (lowest first) and entered here
 * through hypercall page slot 23 (or its own syscall). A CS with RPL 3 returns to guest
 * user mode (switching to the user L4). The restored flags are sanitised (IF on, IOPL,
 * VM and NT off: A20); the upcall mask becomes !IF of the saved flags, which is how a
 * guest re-enables events atomically with the return.
 *
 * The return RIP is not checked (D11, as Xen 4.17): the guest takes the fault the CPU
 * would give. A non-canonical RIP becomes #GP(0) at that RIP in prepare_return_to_guest;
 * one in the hypervisor hole is fetched in ring 3, where the hole is supervisor-only or
 * no-execute, and the CPU's #PF is reflected like any other. A guest kernel that irets a
 * user's sigreturn frame can so kill the process instead of losing the domain.
 */
#include "console.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "x86.h"

long hc_iret(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct cpu_regs *regs = guest_regs();
    struct vcpu *v = current_vcpu();
    struct iret_context ctx;

    if (copy_from_guest(&ctx, regs->rsp, sizeof(ctx)))
        domain_crash("iret: the iret context at rsp 0x%lx cannot be read",
                     (unsigned long)regs->rsp);

    if ((ctx.cs & 3) == 3 && v->kernel_mode) {
        if (!v->user_l4)
            domain_crash("iret to user mode with no user page table (NEW_USER_BASEPTR)");
        toggle_guest_mode(v);
    }

    regs->rip = ctx.rip;
    regs->cs = ctx.cs | 3;
    regs->rsp = ctx.rsp;
    regs->ss = ctx.ss | 3;
    regs->rflags = (ctx.rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_NT)) |
                   X86_EFLAGS_IF | X86_EFLAGS_MBS;
    if (!(ctx.flags & VGCF_in_syscall)) {
        regs->r11 = ctx.r11;
        regs->rcx = ctx.rcx;
    }
    *upcall_mask(v) = !(ctx.rflags & X86_EFLAGS_IF);
    return (long)ctx.rax;
}
