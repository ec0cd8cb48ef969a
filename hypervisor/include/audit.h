/*
 * The invariant auditor (core/audit.c): "audit" on the hypervisor command line checks
 * the frame table and event channels after every hypercall that can change them.
 */
#ifndef HV_AUDIT_H
#define HV_AUDIT_H

#include <stdbool.h>
#include <stdint.h>

extern bool audit_enabled;
void audit_init(void);
void audit_after_hypercall(uint64_t nr);
uint64_t audit_count(void);

#endif
