/*
 * Delivering things to a guest: exceptions, software interrupts, event upcalls and
 * system calls all arrive on the guest kernel stack as a Xen 64-bit bounce frame and
 * continue at a handler the guest registered.
 */
#ifndef HV_BOUNCE_H
#define HV_BOUNCE_H

#include <stdbool.h>
#include <stdint.h>
#include "cpu.h"
#include "domain.h"

#define NO_ERROR_CODE (~0ULL)

/* Build the frame [rcx r11 (ec) rip cs|mask<<32 rflags rsp ss] on the guest kernel
 * stack (switching to guest kernel mode first if needed) and continue at handler.
 * A frame that cannot be written crashes the domain (A21, A22). */
void bounce_to_guest(struct vcpu *v, struct cpu_regs *regs, uint64_t handler,
                     uint64_t error_code, bool mask_events, const char *what);

/* Deliver exception 'vector' through the guest's trap table (crash if no handler). */
void inject_exception(struct vcpu *v, struct cpu_regs *regs, unsigned vector,
                      uint64_t error_code);

#endif
