/*
 * Hypercall continuations: how a long hypercall gives the CPU back (A7). A handler
 * looping over guest-sized data calls hypercall_preempt_check() every few items; when
 * it says yes, the handler records how far it got by calling hypercall_continue() with
 * the arguments that do the rest, and returns. On the way out the guest's frame is
 * rewritten so that, when this vCPU next runs, it executes the same syscall again with
 * those arguments (RIP back over the 2-byte syscall, RAX = the hypercall number),
 * and the vCPU gives up the CPU if anyone else wants it. Everything a continuation
 * carries sits in guest registers or guest memory, so it is re-validated as untrusted
 * input on the restart like any other call (A8).
 */
#ifndef HV_CONTINUATION_H
#define HV_CONTINUATION_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu.h"

#define PREEMPT_CHECK_EVERY 64   /* items between two checks */

/* The current slice is over: a handler should stop at a clean point and continue.
 * Always false inside a multicall entry (the multicall is what continues). */
bool hypercall_preempt_check(void);

/* Re-issue hypercall nr with these arguments when the vCPU next runs. Returns 0, which
 * the handler returns (the guest never sees it). */
long hypercall_continue(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                        uint64_t a5);

/* Multicall entries run inside this bracket: no continuation in there. */
void hypercall_nested_enter(void);
void hypercall_nested_exit(void);

/* After a guest hypercall returned: apply a pending continuation to its frame. */
extern bool hypercall_continuation_pending;
void hypercall_apply_continuation(struct cpu_regs *regs);
static inline void hypercall_finish(struct cpu_regs *regs)
{
    if (__builtin_expect(hypercall_continuation_pending, 0))
        hypercall_apply_continuation(regs);
}

#endif
