/*
 * Exception probes: run one instruction (or one raw hypercall) and learn which exception
 * it raised, if any. Each probe adds an .extable entry { instruction, resume address };
 * do_exception() (traps.c) records vector, error code, RIP, CS and CR2 in probe_last and
 * resumes. Trap-type events (#DB, #BP, int n) match on the resume address instead.
 * Probes work in kernel mode and, inside exec_user(), in user mode.
 */
#ifndef PARAPET_TEST_EXINFO_H
#define PARAPET_TEST_EXINFO_H

#include "lib.h"

/*
 * exinfo_t: 0 = no exception. Otherwise bit 63 set, vector in bits 32-39, error code
 * in bits 0-31 (0 for vectors without one).
 */
typedef uint64_t exinfo_t;
#define EXINFO_NONE     ((exinfo_t)0)
#define EXINFO_VALID    (1ULL << 63)
#define EXINFO(vec, ec) (EXINFO_VALID | ((uint64_t)((vec) & 0xff) << 32) | (uint32_t)(ec))

#define X86_DE  0
#define X86_DB  1
#define X86_NMI 2
#define X86_BP  3
#define X86_OF  4
#define X86_BR  5
#define X86_UD  6
#define X86_NM  7
#define X86_DF  8
#define X86_TS  10
#define X86_NP  11
#define X86_SS  12
#define X86_GP  13
#define X86_PF  14
#define X86_MF  16
#define X86_AC  17
#define X86_MC  18
#define X86_XM  19

/* #PF error-code bits. */
#define PFEC_P     0x01
#define PFEC_W     0x02
#define PFEC_U     0x04
#define PFEC_RSVD  0x08
#define PFEC_I     0x10

static inline unsigned int exinfo_vector(exinfo_t e) { return (unsigned int)(e >> 32) & 0xff; }
static inline uint32_t exinfo_ec(exinfo_t e) { return (uint32_t)e; }

/* What the last probed exception looked like (written by the exception handler). */
struct probe_record {
    exinfo_t info;
    uint64_t rip;           /* RIP in the frame: the faulting instruction, or after a trap */
    uint64_t cs;            /* CS in the frame: RPL 3 if it happened in user mode */
    uint64_t cr2;           /* vcpu_info CR2, for #PF */
};
extern volatile struct probe_record probe_last;

/* "#PF[0003]", "#UD", "none", "vec 0x21". */
const char *exinfo_str(exinfo_t e, char *buf, size_t len);
/* "#PF" ... or "vec 0xNN" (static storage, per vector). */
const char *vector_mnemonic(unsigned int vec);

/* An .extable entry: fault at `insn`, resume at `fixup` (both asm label expressions). */
#define EXTABLE_ENTRY(insn, fixup)                                  \
    ".pushsection .extable, \"a\"\n\t.balign 8\n\t"                 \
    ".quad " insn ", " fixup "\n\t.popsection\n\t"

static inline void probe_reset(void)
{
    probe_last.info = EXINFO_NONE;
    probe_last.rip = 0;
    probe_last.cs = 0;
    probe_last.cr2 = 0;
    barrier();
}

/* Read one byte at p. */
static inline exinfo_t probe_read(const volatile void *p)
{
    uint8_t tmp;

    probe_reset();
    __asm__ volatile("1: movb (%[p]), %[t]\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : [t] "=q"(tmp) : [p] "r"(p) : "memory");
    (void)tmp;
    return probe_last.info;
}

/* Write one byte at p, preserving its value (add $0: a read-modify-write access). */
static inline exinfo_t probe_write(volatile void *p)
{
    probe_reset();
    __asm__ volatile("1: addb $0, (%[p])\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : [p] "r"(p) : "memory", "cc");
    return probe_last.info;
}

/*
 * Execute the instruction(s) in the string insn, e.g. probe_exec("ud2"). The first
 * instruction is the probed one. It must not change registers the compiler relies on.
 */
#define probe_exec(insn) ({                                                         \
    probe_reset();                                                                  \
    __asm__ volatile("1: " insn "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")                \
                     ::: "memory", "cc");                                           \
    probe_last.info;                                                                \
})

/*
 * Issue hypercall nr with a bare `syscall` instruction (not the hypercall page). In
 * kernel mode it is a hypercall (*res = its result); in user mode Xen sends it to the
 * syscall callback, or raises #UD if none is registered.
 */
static inline exinfo_t probe_hypercall(long *res, unsigned long nr, unsigned long a1,
                                       unsigned long a2, unsigned long a3)
{
    register unsigned long r1 __asm__("rdi") = a1;
    register unsigned long r2 __asm__("rsi") = a2;
    register unsigned long r3 __asm__("rdx") = a3;
    unsigned long rax = nr;

    probe_reset();
    __asm__ volatile("1: syscall\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(rax), "+r"(r1), "+r"(r2), "+r"(r3)
                     : : "rcx", "r11", "r8", "r9", "r10", "memory", "cc");
    if (res)
        *res = (long)rax;
    return probe_last.info;
}

#endif
