/*
 * x86-64 page-table entry bits and accessors, shared by the hypervisor and the host
 * unit tests. Pure definitions, no code that touches hardware.
 */
#ifndef HV_PTE_H
#define HV_PTE_H

#include <stdint.h>

#define PAGE_SHIFT 12
#define PAGE_SIZE  4096UL
#define PT_ENTRIES 512

#define _PAGE_PRESENT  (1ULL << 0)
#define _PAGE_RW       (1ULL << 1)
#define _PAGE_USER     (1ULL << 2)
#define _PAGE_PWT      (1ULL << 3)
#define _PAGE_PCD      (1ULL << 4)
#define _PAGE_ACCESSED (1ULL << 5)
#define _PAGE_DIRTY    (1ULL << 6)
#define _PAGE_PSE      (1ULL << 7)   /* L2/L3: large page */
#define _PAGE_PAT      (1ULL << 7)   /* L1: PAT index bit */
#define _PAGE_GLOBAL   (1ULL << 8)
#define _PAGE_AVAIL    (7ULL << 9)   /* bits 9-11, software */
#define _PAGE_AVAIL_HI (0x7FFULL << 52) /* bits 52-62, software */
#define _PAGE_NX       (1ULL << 63)
/* Software bit 62: set by the hypervisor in the L1 entries of grant mappings
 * (GNTTABOP_map_grant_ref), never accepted from a guest in an L1 entry. Xen reserves the
 * same bit (its _PAGE_GNTTAB, debug builds). The grant holds the references of such an
 * entry, so the PV MMU neither takes nor drops any for it. */
#define _PAGE_GNTTAB   (1ULL << 62)

#define PTE_ADDR_MASK  0x000FFFFFFFFFF000ULL
#define pte_mfn(e)     (((e) & PTE_ADDR_MASK) >> PAGE_SHIFT)
#define pte_flags(e)   ((e) & ~PTE_ADDR_MASK)
#define pte_present(e) (((e) & _PAGE_PRESENT) != 0)
/* A present L1 entry made by map_grant_ref (a non-present one may carry any bits). */
#define PTE_GRANT_BITS  (_PAGE_PRESENT | _PAGE_GNTTAB)
#define pte_is_grant(e) (((e) & PTE_GRANT_BITS) == PTE_GRANT_BITS)

/* Index of a virtual address in the table of a level (1..4). */
#define pt_index(va, level) (((va) >> (PAGE_SHIFT + 9 * ((level) - 1))) & 511)

#endif
