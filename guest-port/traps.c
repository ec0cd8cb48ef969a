/*
 * kernel_trap(): where every entry stub of pvops lands, with struct pv_regs, interrupts
 * off. Events (device interrupts natively, event-channel upcalls under a hypervisor)
 * go to pv_ops.evtchn.dispatch, syscalls to syscall.c, and on the way out of either
 * the scheduler may take the CPU (preemption). A page fault on a heap page not yet
 * touched gets the page (proc_heap_fault); any other exception in user mode ends the
 * process; in kernel mode it is a kernel bug: the registers are printed and the
 * machine stops. Under init=pvtest the self-test sees every entry first (pvtest_trap:
 * the faults it provokes, its int3s).
 */
#include "sched.h"

static const char *const exception_names[PV_NR_EXCEPTIONS] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error", "virtualisation", "control protection",
};

static const char *describe(unsigned long vector)
{
    if (vector == PV_VEC_FAILSAFE)
        return "failsafe callback (a segment could not be loaded)";
    if (vector < PV_NR_EXCEPTIONS && exception_names[vector])
        return exception_names[vector];
    return "unknown vector";
}

static void __noreturn kernel_fault(const struct pv_regs *r)
{
    printk("*** kernel %s (vector %lu, error %lx) at rip %016lx\n", describe(r->vector),
           r->vector, r->error_code, r->rip);
    printk("    cs %04lx rflags %08lx rsp %016lx ss %04lx cr2 %016lx\n", r->cs & 0xffff,
           r->rflags, r->rsp, r->ss, r->vector == 14 ? pv_ops.cpu.read_cr2() : 0UL);
    printk("    rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", r->rax, r->rbx, r->rcx, r->rdx);
    printk("    rsi %016lx rdi %016lx rbp %016lx r8  %016lx\n", r->rsi, r->rdi, r->rbp, r->r8);
    panic("%s in kernel mode (task %s, pid %d)", describe(r->vector),
          current ? current->name : "-", current ? current->pid : -1);
}

/* Ports nobody bound: counted, never fatal. */
static unsigned long stray_events;

static void on_event(unsigned int port)
{
    if (!timer_event(port) && !loopback_event(port) && !bench_event(port) &&
        !pvtest_event(port) && !xenstored_event(port))
        stray_events++;
}

void kernel_trap(struct pv_regs *regs)
{
    if (pvtest_active && pvtest_trap(regs))
        return;
    switch (regs->vector) {
    case PV_VEC_EVENT:
        pv_ops.evtchn.dispatch(regs, on_event);
        preempt();
        return;
    case PV_VEC_SYSCALL:
        syscall_dispatch(regs);
        preempt();
        return;
    default:
        break;
    }
    if (!pv_user_mode(regs) || !current || current->mm == &kernel_mm)
        kernel_fault(regs);
    if (regs->vector == 14 && !(regs->error_code & 1) &&      /* not present */
        proc_heap_fault(pv_ops.cpu.read_cr2()))
        return;
    printk("%s[%d]: %s at rip %lx (error %lx, address %lx): killed\n", current->name,
           current->pid, describe(regs->vector), regs->rip, regs->error_code,
           regs->vector == 14 ? pv_ops.cpu.read_cr2() : 0UL);
    task_exit(-(int)regs->vector - 1);
}
