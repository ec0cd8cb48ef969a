/*
 * Reading a guest's page tables from the hypervisor: the table that holds the entry
 * for a virtual address at a given level, and the frame a virtual address maps. Used
 * wherever the hypervisor is handed a guest virtual address it must turn into frames
 * (update_va_mapping, the trap-and-emulate path). Tables are reached through the direct
 * map; an entry naming a frame outside memory or a large page ends the walk.
 */
#ifndef HV_MM_WALK_H
#define HV_MM_WALK_H

#include <stdint.h>
#include "domain.h"

/* The frame of the level-'level' table (1..4) whose entry maps va under the L4 frame
 * l4, with the entry's index in *index; 0 when the walk stops above it. */
uint64_t walk_to_table(uint64_t l4, uint64_t va, int level, unsigned *index);

/* The L1 entry mapping va under l4 (0 when not present or no L1). */
uint64_t walk_to_pte(uint64_t l4, uint64_t va);

/* The kernel page tables' L4 of v (what a guest kernel's linear addresses go through). */
static inline uint64_t vcpu_kernel_l4(const struct vcpu *v) { return v->kernel_l4; }

#define DESC_TYPE_TSS64      0x9
#define DESC_TYPE_TSS64_BUSY 0xb

/* mm/hc_descriptor.c: install the GDT frames (each validated as PGT_seg_desc). */
int vcpu_set_gdt(struct vcpu *v, const uint64_t *frames, uint64_t entries);

#endif
