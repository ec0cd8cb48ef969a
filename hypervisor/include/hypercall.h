/*
 * Hypercall handlers: one prototype per IMPL row of hypercall-abi/hypercalls.def,
 * generated here from the table. Each handler receives the five argument registers
 * (rdi, rsi, rdx, r10, r8) and returns the value for rax.
 */
#ifndef HV_HYPERCALL_H
#define HV_HYPERCALL_H

#include <stdint.h>
#include "cpu.h"

typedef long hypercall_fn(uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

#define HC_DECL_IMPL(name) hypercall_fn hc_##name;
#define HC_DECL_ENOSYS(name)
#define HC_DECL_EXT(name) hypercall_fn hc_##name;
#define HC(nr, name, nargs, status, test) HC_DECL_##status(name)
#include "hypercalls.def"
#undef HC

/* Run hypercall nr (from a syscall or a multicall entry). */
long do_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                  uint64_t a5);
/* -ENOSYS for an unimplemented hypercall or sub-op, logged once per domain. */
long hc_enosys_subop(const char *hypercall, unsigned nr, unsigned long subop);
long hc_enosys(unsigned nr);

/* Look up sub-op 'op' in a table generated from a subops/<family>.def file. */
#define SUBOP_TABLE_LOOKUP(table, op) \
    ((op) < sizeof(table) / sizeof((table)[0]) ? (table)[(op)] : NULL)

#define SUBOP_FN_IMPL(prefix, name) prefix##name
#define SUBOP_FN_ENOSYS(prefix, name) NULL
#define SUBOP_FN_EXT(prefix, name) prefix##name

#endif
