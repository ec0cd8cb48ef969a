/*
 * A vCPU's processor state beyond its register frame: data segment selectors, FS and
 * both GS bases, the FXSAVE image and virtual CR0.TS, page tables and GDT frames.
 * context_save() takes it off the CPU into struct vcpu, context_load() puts it back
 * (core/context.c). The frame itself is copied by the scheduler.
 */
#ifndef HV_CONTEXT_H
#define HV_CONTEXT_H

#include "domain.h"

void context_save(struct vcpu *v);
void context_load(struct vcpu *v);
/* A new vCPU's state: clean FPU image (A10), null selectors, zero bases. */
void context_init(struct vcpu *v);
/* Load a guest %gs selector without losing the hypervisor's GS base; returns the base
 * the selector gave (null selector if it cannot be loaded, as Xen does). */
uint64_t context_load_gs_selector(uint16_t sel, uint16_t *loaded);

/* Hardware breakpoints (core/hc_debugreg.c): architectural start values, loading into
 * the CPU (DR7 0 when none is enabled), and DR6 taken from the CPU on a guest #DB. */
void debugregs_init(struct vcpu *v);
void debugregs_load(const struct vcpu *v);
void debugregs_on_db(struct vcpu *v);

#endif
