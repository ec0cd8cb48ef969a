/*
 * Source of build/hypervisor/asm-offsets.h: the structure offsets the entry assembly
 * needs, computed by the compiler (scripts/gen-asm-offsets.sh extracts them).
 */
#include "cpu.h"
#include "config.h"

#define DEFINE(name, value) __asm__ volatile("\n.ascii \"->" #name " %c0\"" :: "i"(value))
#define OFFSET(name, type, member) DEFINE(name, offsetof(type, member))

void asm_offsets(void);
void asm_offsets(void)
{
    OFFSET(REGS_r15, struct cpu_regs, r15);
    OFFSET(REGS_vector, struct cpu_regs, vector);
    OFFSET(REGS_error_code, struct cpu_regs, error_code);
    OFFSET(REGS_rip, struct cpu_regs, rip);
    OFFSET(REGS_cs, struct cpu_regs, cs);
    DEFINE(REGS_size, sizeof(struct cpu_regs));
    OFFSET(PERCPU_stack_top, struct percpu, stack_top);
    OFFSET(PERCPU_scratch_rsp, struct percpu, scratch_rsp);
    DEFINE(PERCPU_size, sizeof(struct percpu));
    DEFINE(VEC_SYSCALL_ASM, VEC_SYSCALL);
    DEFINE(VEC_SYSCALL32_ASM, VEC_SYSCALL32);
}
