/*
 * Writable page tables (mm/ptwr.c): a store into a read-only mapped page table,
 * performed as a validated update. For trap guests and PV guests with
 * VMASST_TYPE_writable_pagetables.
 */
#ifndef HV_MM_PTWR_H
#define HV_MM_PTWR_H

#include <stdbool.h>
#include "domain.h"

bool ptwr_enabled(const struct domain *d);
/* A #PF at cr2 with this error code: true when it was such a store and is now done. */
bool ptwr_emulate(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint64_t error_code);

#endif
