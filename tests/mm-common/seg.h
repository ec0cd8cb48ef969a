/*
 * seg.h: descriptors and segment-register probes shared by hc-set-gdt,
 * hc-update-descriptor and xsa-a1-writable-pt. Header only; not a test.
 *
 * A 64-bit PV guest kernel runs in ring 3, so the code and data descriptors it hands
 * the hypervisor are DPL 3 (the hypervisor raises a lower DPL to 3) and its selectors
 * have RPL 3. Loading a data selector into %ds/%es/%fs natively is how a test proves a
 * descriptor is live in the GDT the CPU uses.
 */
#ifndef PARAPET_TEST_SEG_H
#define PARAPET_TEST_SEG_H

#include "pv_mm.h"

/* Flat descriptors: base 0, limit 0xfffff, 4 KiB granularity. */
#define DESC_DATA_DPL3  0x00cff3000000ffffUL    /* data, read/write, accessed */
#define DESC_DATA_DPL0  0x00cf93000000ffffUL
#define DESC_CODE64     0x00affb000000ffffUL    /* 64-bit code, DPL 3 */
#define DESC_P          (1UL << 47)
#define DESC_DPL(d)     (((d) >> 45) & 3)
#define DESC_ACCESSED   (1UL << 40)

/* System descriptors (S = 0), present, DPL 3: each must be refused. */
#define DESC_TSS64      0x0000e90000000067UL    /* available 64-bit TSS, limit 0x67 */
#define DESC_LDT        0x0000e20000000fffUL    /* LDT, limit 0xfff */
/* 64-bit gates, low half: offset 0x1000, selector in bits 16-31. */
#define GATE(type, sel) (0x0000e00000001000UL | (unsigned long)(type) << 40 | \
                         (unsigned long)(sel) << 16)
#define DESC_CALL_GATE(sel) GATE(0xc, sel)
#define DESC_INTR_GATE(sel) GATE(0xe, sel)
#define DESC_TRAP_GATE(sel) GATE(0xf, sel)

#define SEL(index)      ((uint16_t)((index) << 3 | 3))   /* GDT selector, RPL 3 */

#define DEFINE_SEG_PROBE(reg)                                                       \
static inline exinfo_t load_##reg(uint16_t sel)                                     \
{                                                                                   \
    probe_reset();                                                                  \
    __asm__ volatile("1: mov %w0, %%" #reg "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")     \
                     : : "r"((unsigned long)sel) : "memory");                       \
    return probe_last.info;                                                         \
}                                                                                   \
static inline uint16_t read_##reg(void)                                             \
{                                                                                   \
    unsigned long v;                                                                \
    __asm__ volatile("mov %%" #reg ", %0" : "=r"(v));                               \
    return (uint16_t)v;                                                             \
}
DEFINE_SEG_PROBE(ds)
DEFINE_SEG_PROBE(es)
DEFINE_SEG_PROBE(fs)

/* Back to the null selectors the framework runs with. */
static inline void reset_segs(void)
{
    load_ds(0);
    load_es(0);
    load_fs(0);
}

static inline long set_gdt1(const void *frame, unsigned long entries)
{
    unsigned long f = virt_to_mfn(frame);

    return HYPERVISOR_set_gdt((unsigned long)&f, entries);
}

/* A descriptor as the hypervisor may store it: DPL raised to 3, the accessed bit
 * possibly set (Parapet sets it so the CPU never writes the frame; Xen does not). */
static inline bool desc_stored_ok(uint64_t got, uint64_t want)
{
    if (want & DESC_P)
        want |= 3UL << 45;
    return (got | DESC_ACCESSED) == (want | DESC_ACCESSED);
}

#endif
