/*
 * Emulation of the instructions a PV guest kernel executes before (or instead of)
 * using hypercalls: CPUID behind Xen's forced-emulation prefix (#UD), and on #GP the
 * privileged instructions of xen-pv-abi-checklist.md 1.5 (MSRs, control registers,
 * port I/O) and software interrupts through the guest's trap table.
 */
#ifndef HV_EMUL_H
#define HV_EMUL_H

#include <stdbool.h>
#include "cpu.h"
#include "domain.h"

/* Each returns true when it handled the fault (the guest continues at regs->rip,
 * possibly at a handler it registered), false when the fault must be reflected. */
bool emulate_forced_cpuid(struct vcpu *v, struct cpu_regs *regs);
bool emulate_gp(struct vcpu *v, struct cpu_regs *regs);
/* A trap guest's privileged instruction in kernel mode (emul/trap.c). */
bool emulate_trap_gp(struct vcpu *v, struct cpu_regs *regs);

/* The CPUID values a PV guest sees (Xen leaves, hidden features). */
void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4]);

#endif
