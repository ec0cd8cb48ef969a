/*
 * The guest side of instruction emulation: fetch the bytes at the guest's RIP, decode
 * them (emul/decode.c), and reach the registers and memory operand they name.
 */
#ifndef HV_EMUL_INSN_H
#define HV_EMUL_INSN_H

#include "cpu.h"
#include "emul/decode.h"

/* Fetch and decode the instruction at regs->rip; false when unreadable or unknown. */
bool emul_fetch_decode(const struct cpu_regs *regs, struct x86_insn *i);
/* The register a ModRM reg/rm field (with REX) names. */
uint64_t *emul_gpr(struct cpu_regs *regs, unsigned idx);
/* The linear address of the memory operand (FS/GS overrides use the guest's bases). */
uint64_t emul_operand_address(const struct x86_insn *i, const struct cpu_regs *regs);

#endif
