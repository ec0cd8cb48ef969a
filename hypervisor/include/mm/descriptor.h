/*
 * Guest descriptor tables (mm/hc_descriptor.c), for the hypercalls and for the
 * trap-and-emulate path's lgdt and ltr.
 */
#ifndef HV_MM_DESCRIPTOR_H
#define HV_MM_DESCRIPTOR_H

#include <stdint.h>
#include "domain.h"

#define DESC_TYPE_TSS64      0x9
#define DESC_TYPE_TSS64_BUSY 0xb

/* Install frames (each validated and typed PGT_seg_desc) as v's GDT of 'entries'
 * descriptors, dropping the old frames. 0 or -EINVAL (nothing changed). */
int vcpu_set_gdt(struct vcpu *v, const uint64_t *frames, uint64_t entries);

#endif
