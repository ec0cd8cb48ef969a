/*
 * The x86-64 page-table format as pvops and its kernel share it: entry bits, the four
 * levels and their index shifts. Entries always hold MACHINE frame numbers (the p2m of
 * pv_p2m.h translates; it is the identity when native).
 */
#ifndef PVOPS_PV_PTE_H
#define PVOPS_PV_PTE_H

#include <stdint.h>

typedef uint64_t pte_t;

#define PAGE_SHIFT      12
#ifndef PAGE_SIZE
#define PAGE_SIZE       4096
#endif
#define PFN_UP(x)       (((x) + PAGE_SIZE - 1) >> PAGE_SHIFT)

#define PTE_P           0x001UL     /* present */
#define PTE_RW          0x002UL     /* writable */
#define PTE_US          0x004UL     /* user (xen forces it on: its guest kernel is ring 3) */
#define PTE_A           0x020UL     /* accessed */
#define PTE_D           0x040UL     /* dirty */
#define PTE_ADDR_MASK   0x000ffffffffff000UL
#define PTES_PER_TABLE  512

/* Levels: 1 = L1 (PTE, 4 KiB), 2 = L2 (PMD), 3 = L3 (PUD), 4 = L4 (PGD). */
static inline unsigned int pt_index(unsigned long va, int level)
{
    return (unsigned int)(va >> (PAGE_SHIFT + 9 * (level - 1))) & (PTES_PER_TABLE - 1);
}

static inline unsigned long pte_frame(pte_t e)
{
    return (e & PTE_ADDR_MASK) >> PAGE_SHIFT;
}

#endif
