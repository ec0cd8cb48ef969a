/*
 * Parapet's own additions to the Xen ABI: the version constant that must be bumped on any
 * material change to hypercall-abi/, and the ranges Parapet extensions will live in.
 * Included by both sides; depends only on <stdint.h>.
 */
#ifndef PARAPET_ABI_H
#define PARAPET_ABI_H

#include <stdint.h>

/* Bump on any change to hypercalls.def, subops/ or the structures below. */
#define HCABI_VERSION 1

/* Status of a hypercall or sub-op row (hypercalls.def, subops/). */
#define HCABI_STATUS_IMPL   1
#define HCABI_STATUS_ENOSYS 2
#define HCABI_STATUS_EXT    3

/*
 * A guest pointer as the hypervisor sees it: an integer, so it cannot be
 * dereferenced by mistake; only copy_from_guest()/copy_to_guest() turn it into data.
 */
#ifdef HV_HOST
#define GUEST_PTR(T) uint64_t
#else
#define GUEST_PTR(T) T *
#endif

#endif
