/*
 * trap.h: helpers shared by the trap-and-emulate tests (trap-insns, trap-not-trapped).
 * Header only (every function static), included as "../trap-common/trap.h"; not a test.
 *
 * What it gives: the check that this domain is a trap guest (dom.trap) or the skip on
 * the Xen reference, which has no trap mode; probes for the native descriptor-table
 * instructions (lgdt, lidt, ltr, lldt) a trap guest's kernel executes; encoders for a
 * 64-bit TSS descriptor, the TSS itself and interrupt/trap gates; rdmsr/wrmsr probes.
 * docs/trap-and-emulate.md describes what the hypervisor does with each instruction.
 */
#ifndef PARAPET_TEST_TRAP_H
#define PARAPET_TEST_TRAP_H

#include "../mm-common/seg.h"

#define X86_EFLAGS_IF   0x200UL
#define GATE_INTR       0xeU            /* 64-bit interrupt gate: masks events */
#define GATE_TRAP       0xfU            /* 64-bit trap gate */
#define GATE_CALL       0xcU            /* 64-bit call gate: no IDT may hold one */
#define SEL_GDT(index)  ((uint16_t)((index) << 3))       /* GDT selector, RPL 0 */

/* The operand of lgdt, lidt, sgdt and sidt. */
struct pseudo_desc {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

/* The 64-bit TSS (104 bytes): the hypervisor reads only rsp0. */
struct tss64 {
    uint32_t reserved0;
    uint64_t rsp0, rsp1, rsp2;
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS size");

/*
 * true if the test can go on: on the Xen reference record a skip (Xen has no trap
 * mode); on Parapet a kernel-mode cli must be emulated, or the module lacks dom.trap.
 */
static inline bool trap_guest_or_skip(void)
{
    exinfo_t e;

    if (on_xen_reference()) {
        test_skip("Xen 4.17 has no trap-and-emulate mode (dom.trap is Parapet's): "
                  "its PV kernel gets #GP for every privileged instruction");
        return false;
    }
    e = probe_exec("cli");                  /* events are masked already: no change */
    if (e != EXINFO_NONE) {
        char buf[24];

        test_error("cli in kernel mode raised %s: not a trap guest (test.conf CMDLINE "
                   "needs dom.trap)", exinfo_str(e, buf, sizeof(buf)));
        return false;
    }
    return true;
}

/* ---- descriptor-table instructions ---------------------------------------------------- */

static inline exinfo_t probe_lgdt(const void *base, uint16_t limit)
{
    struct pseudo_desc pd = { .limit = limit, .base = (uint64_t)base };

    probe_reset();
    __asm__ volatile("1: lgdt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : : "m"(pd) : "memory");
    return probe_last.info;
}

static inline exinfo_t probe_lidt(const void *base, uint16_t limit)
{
    struct pseudo_desc pd = { .limit = limit, .base = (uint64_t)base };

    probe_reset();
    __asm__ volatile("1: lidt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : : "m"(pd) : "memory");
    return probe_last.info;
}

static inline exinfo_t probe_ltr(uint16_t sel)
{
    probe_reset();
    __asm__ volatile("1: ltr %w0\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"((unsigned long)sel) : "memory");
    return probe_last.info;
}

static inline exinfo_t probe_lldt(uint16_t sel)
{
    probe_reset();
    __asm__ volatile("1: lldt %w0\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"((unsigned long)sel) : "memory");
    return probe_last.info;
}

/* The memory-operand form of lldt. */
static inline exinfo_t probe_lldt_mem(const uint16_t *sel)
{
    probe_reset();
    __asm__ volatile("1: lldt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "m"(*sel) : "memory");
    return probe_last.info;
}

/* ---- MSRs ---------------------------------------------------------------------------- */

#define MSR_STAR    0xc0000081U
#define MSR_LSTAR   0xc0000082U
#define MSR_CSTAR   0xc0000083U
#define MSR_SFMASK  0xc0000084U

static inline exinfo_t probe_rdmsr(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;

    probe_reset();
    __asm__ volatile("1: rdmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return probe_last.info;
}

static inline exinfo_t probe_wrmsr(uint32_t msr, uint64_t val)
{
    probe_reset();
    __asm__ volatile("1: wrmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return probe_last.info;
}

/* ---- encoders -------------------------------------------------------------------------- */

/* A present, available 64-bit TSS descriptor (DPL 0) in d[0] and d[1]. */
static inline void tss_descriptor(uint64_t *d, const struct tss64 *tss)
{
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;

    d[0] = (limit & 0xffff) | (base & 0xffffff) << 16 | 0x9UL << 40 | DESC_P |
           ((limit >> 16) & 0xf) << 48 | ((base >> 24) & 0xff) << 56;
    d[1] = base >> 32;
}

/* A present interrupt or trap gate to the kernel's code selector. */
static inline void idt_gate(uint64_t *g, unsigned long addr, unsigned int type,
                            unsigned int dpl)
{
    g[0] = (addr & 0xffff) | (uint64_t)FLAT_KERNEL_CS << 16 | (uint64_t)type << 40 |
           (uint64_t)dpl << 45 | DESC_P | ((addr >> 16) & 0xffff) << 48;
    g[1] = addr >> 32;
}

/* An address in the hypervisor hole (L4 slots 256-271): one of its own tables. */
static inline bool in_hypervisor_hole(uint64_t va)
{
    return va >= 0xffff800000000000UL && va < 0xffff880000000000UL;
}

#endif
