/*
 * Machine memory as the hypervisor manages it: the direct map, the frame allocator,
 * the frame table (one struct page_info per machine frame, see mm/page_type.h), the
 * machine-to-phys table, and mapping helpers for the hypervisor's own page tables.
 */
#ifndef HV_MM_H
#define HV_MM_H

#include <stdint.h>
#include <stdbool.h>
#include "config.h"
#include "pte.h"
#include "mm/page_type.h"

#define INVALID_MFN       (~0ULL)
#define INVALID_M2P_ENTRY (~0ULL)

static inline void *maddr_to_virt(uint64_t ma) { return (void *)(DIRECTMAP_BASE + ma); }
static inline void *mfn_to_virt(uint64_t mfn) { return maddr_to_virt(mfn << PAGE_SHIFT); }
static inline uint64_t virt_to_maddr(const void *va)
{
    uint64_t v = (uint64_t)va;
    if (v >= DIRECTMAP_BASE && v < DIRECTMAP_BASE + DIRECTMAP_MAX_BYTES)
        return v - DIRECTMAP_BASE;
    return v - HV_VIRT_OFFSET;   /* the image */
}
static inline uint64_t virt_to_mfn(const void *va) { return virt_to_maddr(va) >> PAGE_SHIFT; }

/* ---- frame allocator (core/frame_alloc.c) ---- */
void frame_alloc_init(void);
/* A zeroed frame owned by 'owner' with count 1 (the allocation reference); INVALID_MFN
 * when memory is exhausted. */
uint64_t alloc_frame(domid_t owner);
/* n physically contiguous zeroed frames, same ownership rule. */
uint64_t alloc_frames_contig(uint64_t n, domid_t owner);
/* Scrub and return a frame whose count and type_count are already zero. */
void free_frame(uint64_t mfn);
uint64_t frames_free(void);
uint64_t frames_total(void);

/* ---- frame table and M2P (core/paging.c) ---- */
extern struct page_info *frame_table;
extern uint64_t max_mfn;          /* frames 0..max_mfn-1 have page_info */
extern uint64_t *m2p;             /* read-write view of the M2P table */
extern struct mm_env hv_mm_env;
static inline struct page_info *mfn_to_page(uint64_t mfn) { return &frame_table[mfn]; }
static inline bool mfn_valid(uint64_t mfn) { return mfn < max_mfn; }

void paging_init(void);            /* build and load the hypervisor's final L4 */
uint64_t *idle_l4(void);           /* the hypervisor's L4 (slots 256..271 source) */
void install_xen_slots(uint64_t *l4);
/* Map [va, va + n pages) to [ma, ...) in the hypervisor's tables with flags. */
void hv_map_pages(uint64_t va, uint64_t ma, uint64_t n, uint64_t flags);
/* The L1 frame (and in *index the entry) that maps guest address va through the guest
 * L4 frame l4; 0 when va is not canonical, in the hypervisor's L4 slots, or a level on
 * the way is missing (PV guests have no large pages). Below a validated L4 every table
 * reached is validated. */
uint64_t guest_l1_of(uint64_t l4, uint64_t va, unsigned *index);
/* The L1 entry that maps va through l4 (0 when there is none). */
uint64_t guest_pte_of(uint64_t l4, uint64_t va);

#endif
