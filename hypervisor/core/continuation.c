/*
 * Hypercall continuations (include/continuation.h). One pending continuation per CPU:
 * a hypercall runs to its end with interrupts off, so at most one is being built.
 */
#include "continuation.h"
#include "domain.h"
#include "scheduler.h"
#include "tsc.h"

bool hypercall_continuation_pending;

static struct {
    unsigned nested;
    uint64_t nr, args[5];
} cont;

bool hypercall_preempt_check(void)
{
    return !cont.nested && system_time_ns() >= sched_slice_end();
}

long hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                        uint64_t a5)
{
    hypercall_continuation_pending = true;
    cont.nr = nr;
    cont.args[0] = a1;
    cont.args[1] = a2;
    cont.args[2] = a3;
    cont.args[3] = a4;
    cont.args[4] = a5;
    return 0;
}

void hypercall_nested_enter(void) { cont.nested++; }
void hypercall_nested_exit(void) { cont.nested--; }

void hypercall_apply_continuation(struct cpu_regs *regs)
{
    hypercall_continuation_pending = false;
    regs->rax = cont.nr;
    regs->rdi = cont.args[0];
    regs->rsi = cont.args[1];
    regs->rdx = cont.args[2];
    regs->r10 = cont.args[3];
    regs->r8 = cont.args[4];
    regs->rip -= 2;                      /* back onto the syscall instruction */
    sched_vcpu_yield(current_vcpu());    /* the slice is over: let the others run */
}
