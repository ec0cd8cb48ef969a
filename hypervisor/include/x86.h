/*
 * Thin inline wrappers over the x86-64 instructions the hypervisor uses: port I/O,
 * MSRs, control registers, TLB, CPUID, TSC. One instruction each, no policy.
 */
#ifndef HV_X86_H
#define HV_X86_H

#include <stdint.h>

#define MSR_EFER            0xC0000080
#define MSR_STAR            0xC0000081
#define MSR_LSTAR           0xC0000082
#define MSR_CSTAR           0xC0000083
#define MSR_FMASK           0xC0000084
#define MSR_FS_BASE         0xC0000100
#define MSR_GS_BASE         0xC0000101
#define MSR_KERNEL_GS_BASE  0xC0000102
#define MSR_APIC_BASE       0x0000001B
#define MSR_PAT             0x00000277
#define MSR_MISC_ENABLE     0x000001A0

#define X86_CR0_TS (1UL << 3)
#define X86_EFLAGS_CF   0x00000001UL
#define X86_EFLAGS_MBS  0x00000002UL   /* must be set */
#define X86_EFLAGS_TF   0x00000100UL
#define X86_EFLAGS_PF   0x00000004UL
#define X86_EFLAGS_ZF   0x00000040UL
#define X86_EFLAGS_SF   0x00000080UL
#define X86_EFLAGS_OF   0x00000800UL
#define X86_EFLAGS_IF   0x00000200UL
#define X86_EFLAGS_DF   0x00000400UL
#define X86_EFLAGS_IOPL 0x00003000UL
#define X86_EFLAGS_NT   0x00004000UL
#define X86_EFLAGS_RF   0x00010000UL
#define X86_EFLAGS_VM   0x00020000UL
#define X86_EFLAGS_AC   0x00040000UL

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}
static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

#define DEFINE_CR(n)                                                                     \
    static inline uint64_t read_cr##n(void)                                              \
    { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; }          \
    static inline void write_cr##n(uint64_t v)                                           \
    { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

/* Debug registers by number (the register is part of the instruction). */
static inline uint64_t read_dr(unsigned n)
{
    uint64_t v = 0;
    switch (n) {
    case 0: __asm__ volatile("mov %%db0, %0" : "=r"(v)); break;
    case 1: __asm__ volatile("mov %%db1, %0" : "=r"(v)); break;
    case 2: __asm__ volatile("mov %%db2, %0" : "=r"(v)); break;
    case 3: __asm__ volatile("mov %%db3, %0" : "=r"(v)); break;
    case 6: __asm__ volatile("mov %%db6, %0" : "=r"(v)); break;
    case 7: __asm__ volatile("mov %%db7, %0" : "=r"(v)); break;
    }
    return v;
}

static inline void write_dr(unsigned n, uint64_t v)
{
    switch (n) {
    case 0: __asm__ volatile("mov %0, %%db0" :: "r"(v)); break;
    case 1: __asm__ volatile("mov %0, %%db1" :: "r"(v)); break;
    case 2: __asm__ volatile("mov %0, %%db2" :: "r"(v)); break;
    case 3: __asm__ volatile("mov %0, %%db3" :: "r"(v)); break;
    case 6: __asm__ volatile("mov %0, %%db6" :: "r"(v)); break;
    case 7: __asm__ volatile("mov %0, %%db7" :: "r"(v)); break;
    }
}

static inline void invlpg(uint64_t va) { __asm__ volatile("invlpg (%0)" :: "r"(va) : "memory"); }
static inline void flush_tlb_local(void) { write_cr3(read_cr3()); }

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t *a, uint32_t *b,
                               uint32_t *c, uint32_t *d)
{
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d) : "a"(leaf), "c"(sub));
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline __attribute__((noreturn)) void halt_forever(void) { for (;;) __asm__ volatile("cli; hlt"); }

static inline int is_canonical(uint64_t va)
{
    return (uint64_t)(((int64_t)va << 16) >> 16) == va;
}

#endif
