/*
 * Bounce frames and the last step before the guest runs again.
 *
 * The 64-bit PV bounce frame, from the final guest rsp upwards (Xen's layout):
 *     rcx, r11, [error code], rip, cs (bits 32-39: upcall mask before delivery),
 *     rflags (IF = !upcall mask), rsp, ss
 * The guest handler pops rcx and r11 first. A frame for a guest in kernel mode has the
 * CS RPL cleared so the guest can tell kernel (0xe030) from user (0xe033).
 */
#include "bounce.h"
#include "scheduler.h"
#include "config.h"
#include "console.h"
#include "errno.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "x86.h"

#define TSS_RSP0_OFFSET 4   /* 64-bit TSS: reserved dword, then rsp0 */

void vcpu_load_cr3(struct vcpu *v)
{
    uint64_t mfn = v->kernel_mode ? v->kernel_l4 : v->user_l4;
    write_cr3(mfn << PAGE_SHIFT);
}

void toggle_guest_mode(struct vcpu *v)
{
    /* The guest's active GS base is in KERNEL_GS_BASE while we run (swapgs). */
    uint64_t active = rdmsr(MSR_KERNEL_GS_BASE);
    if (v->kernel_mode) {
        v->gs_base_kernel = active;
        wrmsr(MSR_KERNEL_GS_BASE, v->gs_base_user);
    } else {
        v->gs_base_user = active;
        wrmsr(MSR_KERNEL_GS_BASE, v->gs_base_kernel);
    }
    v->kernel_mode = !v->kernel_mode;
    vcpu_load_cr3(v);
}

void bounce_to_guest(struct vcpu *v, struct cpu_regs *regs, uint64_t handler,
                     uint64_t error_code, bool mask_events, const char *what)
{
    if (!handler)
        domain_crash("%s with no handler registered (rip 0x%lx)", what,
                     (unsigned long)regs->rip);

    uint8_t saved_mask = *upcall_mask(v);
    bool was_kernel = v->kernel_mode;
    uint64_t sp;
    if (was_kernel) {
        sp = regs->rsp;
    } else {
        toggle_guest_mode(v);
        sp = v->kernel_sp;
        /* A trap guest keeps its kernel stack where the CPU would look: rsp0 of the
         * TSS its (emulated) ltr named, read now through its kernel page tables. */
        if (v->domain->trap && v->tss_base &&
            copy_from_guest(&sp, v->tss_base + TSS_RSP0_OFFSET, sizeof(sp)))
            domain_crash("%s: the TSS at 0x%lx named by ltr is not readable", what,
                         (unsigned long)v->tss_base);
    }
    sp &= ~15ULL;

    uint64_t cs = regs->cs & 0xffff;
    if (was_kernel)
        cs &= ~3ULL;
    uint64_t rflags = (regs->rflags & ~(X86_EFLAGS_IF | X86_EFLAGS_IOPL)) |
                      (saved_mask ? 0 : X86_EFLAGS_IF);

    uint64_t frame[8];
    unsigned n = 0;
    frame[n++] = regs->rcx;
    frame[n++] = regs->r11;
    if (error_code != NO_ERROR_CODE)
        frame[n++] = error_code;
    frame[n++] = regs->rip;
    frame[n++] = cs | ((uint64_t)saved_mask << 32);
    frame[n++] = rflags;
    frame[n++] = regs->rsp;
    frame[n++] = regs->ss & 0xffff;

    uint64_t frame_va = sp - n * 8;
    if (!is_canonical(frame_va) || copy_to_guest(frame_va, frame, n * 8))
        domain_crash("%s: cannot write the bounce frame at 0x%lx (guest kernel stack)",
                     what, (unsigned long)frame_va);

    regs->rsp = frame_va;
    regs->rip = handler;
    regs->cs = FLAT_GUEST_CS64;
    regs->ss = FLAT_GUEST_DS;
    regs->rflags &= ~(X86_EFLAGS_TF | X86_EFLAGS_NT | X86_EFLAGS_RF | X86_EFLAGS_VM |
                      X86_EFLAGS_AC);
    if (mask_events)
        *upcall_mask(v) = 1;
}

static bool has_error_code(unsigned vector)
{
    return vector == 8 || (vector >= 10 && vector <= 14) || vector == 17 || vector == 21 ||
           vector == 29 || vector == 30;
}

void inject_exception(struct vcpu *v, struct cpu_regs *regs, unsigned vector,
                      uint64_t error_code)
{
    /* What a crash report calls it (static: nothing is formatted on this path). */
    static const char *const what[32] = {
        "exception 0 #DE", "exception 1 #DB", "exception 2 NMI", "exception 3 #BP",
        "exception 4 #OF", "exception 5 #BR", "exception 6 #UD", "exception 7 #NM",
        "exception 8 #DF", "exception 9 #CSO", "exception 10 #TS", "exception 11 #NP",
        "exception 12 #SS", "exception 13 #GP", "exception 14 #PF", "exception 15 #15",
        "exception 16 #MF", "exception 17 #AC", "exception 18 #MC", "exception 19 #XM",
        "exception 20 #VE", "exception 21 #CP", "exception 22 ", "exception 23 ",
        "exception 24 ", "exception 25 ", "exception 26 ", "exception 27 ",
        "exception 28 ", "exception 29 ", "exception 30 ", "exception 31 ",
    };
    struct guest_trap *t = &v->traps[vector & 0xff];
    v->stats.exceptions++;
    bounce_to_guest(v, regs, t->address, has_error_code(vector) ? error_code : NO_ERROR_CODE,
                    t->mask_events, vector < 32 ? what[vector] : "software interrupt");
}

/* Called with interrupts off just before iretq: let the scheduler switch vCPUs (the
 * frame then becomes the next one's), sanitise the frame (A20) and deliver a pending
 * event upcall if the guest has events unmasked. */
void prepare_return_to_guest(struct cpu_regs *regs)
{
    sched_before_guest(regs);
    struct vcpu *v = current_vcpu();
    struct vcpu_info *vi = v->vcpu_info;

    if (vi->evtchn_upcall_pending && !vi->evtchn_upcall_mask && v->event_callback) {
        v->stats.upcalls++;
        bounce_to_guest(v, regs, v->event_callback, NO_ERROR_CODE, true, "event upcall");
    }

    regs->cs |= 3;
    regs->ss |= 3;
    regs->rflags = (regs->rflags & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_NT)) |
                   X86_EFLAGS_IF | X86_EFLAGS_MBS;
    /* iretq to a non-canonical RIP would fault in ring 0 on some CPUs and in ring 3 on
     * others: give the guest the #GP(0) at that RIP either way, as Xen does. */
    if (!is_canonical(regs->rip))
        inject_exception(v, regs, 13, 0);
}
