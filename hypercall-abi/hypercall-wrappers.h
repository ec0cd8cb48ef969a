/*
 * Guest-side hypercall wrappers, generated from hypercalls.def: one
 * HYPERVISOR_<name>(...) per row. Arguments go in rdi, rsi, rdx, r10, r8 and the
 * result comes back in rax (a negative Xen errno on failure).
 *
 * By default a wrapper calls the hypercall page slot (hypercall_page + 32*nr), which the
 * domain builder filled in; define HYPERCALL_RAW_SYSCALL before including this file to
 * issue `syscall` directly, as Linux 6.1.121+ does. Both paths must work.
 * iret (23) has no wrapper: it never returns; guests jump to its page slot.
 */
#ifndef PARAPET_HYPERCALL_WRAPPERS_H
#define PARAPET_HYPERCALL_WRAPPERS_H

#include "xen-public.h"

#ifdef HYPERCALL_RAW_SYSCALL
/* The arguments are clobbered by the hypervisor, rcx/r11 by the syscall instruction. */
#define HYPERCALL_INSN "syscall"
#define HYPERCALL_TARGET(nr) "a"((long)(nr))
#define HYPERCALL_CLOBBERS "memory", "rcx", "r11"
#else
extern char hypercall_page[4096];
#define HYPERCALL_INSN "call hypercall_page + %c[slot]"
#define HYPERCALL_TARGET(nr) [slot] "i"((nr) * 32)
#define HYPERCALL_CLOBBERS "memory", "rcx", "r11"
#endif

#define hypercall_n(nr, a1, a2, a3, a4, a5) ({                                      \
    register unsigned long _a1 __asm__("rdi") = (unsigned long)(a1);                 \
    register unsigned long _a2 __asm__("rsi") = (unsigned long)(a2);                 \
    register unsigned long _a3 __asm__("rdx") = (unsigned long)(a3);                 \
    register unsigned long _a4 __asm__("r10") = (unsigned long)(a4);                 \
    register unsigned long _a5 __asm__("r8") = (unsigned long)(a5);                  \
    long _res;                                                                      \
    __asm__ volatile(HYPERCALL_INSN                                                 \
                     : "=a"(_res), "+r"(_a1), "+r"(_a2), "+r"(_a3), "+r"(_a4),     \
                       "+r"(_a5)                                                    \
                     : HYPERCALL_TARGET(nr)                                         \
                     : HYPERCALL_CLOBBERS);                                         \
    _res;                                                                           \
})

#define HC_WRAP_0(nr, name)
#define HC_WRAP_1(nr, name)                                                          \
    static inline long HYPERVISOR_##name(unsigned long a1)                           \
    { return hypercall_n(nr, a1, 0, 0, 0, 0); }
#define HC_WRAP_2(nr, name)                                                          \
    static inline long HYPERVISOR_##name(unsigned long a1, unsigned long a2)         \
    { return hypercall_n(nr, a1, a2, 0, 0, 0); }
#define HC_WRAP_3(nr, name)                                                          \
    static inline long HYPERVISOR_##name(unsigned long a1, unsigned long a2,         \
                                         unsigned long a3)                           \
    { return hypercall_n(nr, a1, a2, a3, 0, 0); }
#define HC_WRAP_4(nr, name)                                                          \
    static inline long HYPERVISOR_##name(unsigned long a1, unsigned long a2,         \
                                         unsigned long a3, unsigned long a4)         \
    { return hypercall_n(nr, a1, a2, a3, a4, 0); }
#define HC_WRAP_5(nr, name)                                                          \
    static inline long HYPERVISOR_##name(unsigned long a1, unsigned long a2,         \
                                         unsigned long a3, unsigned long a4,         \
                                         unsigned long a5)                           \
    { return hypercall_n(nr, a1, a2, a3, a4, a5); }

#define HC(nr, name, nargs, status, test) HC_WRAP_##nargs(nr, name)
#include "hypercalls.def"
#undef HC

#endif
