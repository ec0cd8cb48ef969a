/*
 * Memory: the frame allocator (mm/frames.c) over the pseudo-physical frames the kernel
 * was given, and the page tables (mm/pagetable.c): the direct map (VA = pseudo-physical
 * address, L4 slot 0, kernel only) and one address space per process (user region in
 * L4 slot 1, reached from the process's kernel L4 and, for the xen backend, from its
 * user L4). Every page-table write goes through pv_ops.mmu.
 */
#ifndef GUEST_PORT_MM_H
#define GUEST_PORT_MM_H

#include "kernel.h"

#define KERNEL_SLOT     0                       /* L4 slot of the direct map */
#define USER_SLOT       1                       /* L4 slot of the user region */
#define USER_BASE       (1UL << 39)             /* 0x0000008000000000 */
#define USER_END        (2UL << 39)
#define USER_STACK_TOP  (USER_BASE + (1UL << 30))
#define USER_STACK_PAGES 4
#define KSTACK_PAGES    4

/* frames.c */
void frames_init(unsigned long nr_pages);
void frame_release(unsigned long pfn);          /* a frame joins the pool (boot only) */
unsigned long frame_alloc(void);                /* a zeroed frame; panics when none */
unsigned long frames_alloc(unsigned int n);     /* n contiguous frames, not zeroed */
unsigned long frames_alloc_try(unsigned int n); /* the same, 0 when there are none */
void frame_free(unsigned long pfn);
void frames_free(unsigned long pfn, unsigned int n);
unsigned long frames_free_count(void);

/* kmalloc.c: small blocks carved from frames, large ones of whole frames; NULL when
 * the pool is down to its reserve (what the kernel itself needs keeps working). */
void *kmalloc(size_t size);
void kfree(void *p);
unsigned long kmalloc_in_use(void);             /* bytes handed out */

/* pagetable.c */
struct mm {
    unsigned long pgd;          /* pfn of the kernel-mode L4 */
    unsigned long user_pgd;     /* pfn of the user-mode L4 (only the xen backend loads it) */
    unsigned long user_l3;      /* pfn of the user region's L3, in both L4s */
};
extern struct mm kernel_mm;

void pt_init(const struct pv_boot *boot);
int mm_create(struct mm *mm);
void mm_destroy(struct mm *mm);
void mm_switch(const struct mm *prev, const struct mm *next);
int mm_map_user(struct mm *mm, unsigned long va, unsigned long pfn, bool writable);
/* The frame mapped at user address va with at least the rights asked for, or 0. */
unsigned long mm_user_frame(const struct mm *mm, unsigned long va, bool write);
/* The L1 entry for va in the kernel's tables, tables created as needed: for kernel
 * mappings outside the direct map (its L4 slot; shared by every address space). */
pte_t *mm_kernel_pte(unsigned long va);

#endif
