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

/*
 * parapet_op: Parapet's own hypercall, in a number Xen 4.17 leaves unused (63; Xen
 * answers -ENOSYS there). PARAPET_OP_stats copies the calling vCPU's event counters
 * into a struct parapet_vcpu_stats: what `make bench` reports beside instruction counts.
 */
#define __HYPERVISOR_parapet_op 63
#define PARAPET_OP_stats 0
#define PARAPET_OP_domain_info 1

/* PARAPET_OP_domain_info (the control domain only): the first domain whose id is at
 * least 'domid' (so a loop from 0 lists them all), with what a xenstored needs to
 * introduce it. The control domain hears of domains that start or end through the
 * global VIRQ_DOM_EXC. */
struct parapet_domain_info {
    uint16_t domid;        /* in: where to start; out: the domain described */
    uint16_t flags;        /* PARAPET_DOMF_* */
    uint32_t store_port;   /* its xenstore event channel, unbound for domain 0 (0: none) */
    uint64_t store_mfn;    /* its xenstore ring (grant reference 1 names it too) */
    uint64_t nr_pages;     /* memory it was given, in 4 KiB pages */
    char name[32];         /* dom.name or the kernel's file name, NUL-terminated */
};
#define PARAPET_DOMF_control 1u   /* the control domain */
#define PARAPET_DOMF_trap    2u   /* a trap-and-emulate guest */
#define PARAPET_DOMF_dying   4u   /* ended; its frames are still mapped by others */

struct parapet_vcpu_stats {
    uint64_t hypercalls;   /* hypercalls run for it, multicall entries and this one included */
    uint64_t emulations;   /* instructions emulated after a fault: privileged ones (#GP),
                              forced-emulation cpuid (#UD), page-table stores (#PF) */
    uint64_t exceptions;   /* exceptions reflected to the guest kernel */
    uint64_t upcalls;      /* event upcalls delivered */
    uint64_t switches;     /* times the scheduler gave it the CPU */
};


#endif
