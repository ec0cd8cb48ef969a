/*
 * Pseudo-physical to machine frame numbers and back. A kernel booted through the Xen
 * entry gets the p2m list in start_info and reads the read-only M2P the hypervisor maps
 * at MACH2PHYS_VIRT_START; a native boot has no list and both directions are the
 * identity. pvops assumes the kernel maps pseudo-physical memory 1:1 at VA 0 (Xen's
 * virt_base 0), so a kernel VA below the direct-map limit is a pseudo-physical address.
 */
#ifndef PVOPS_PV_P2M_H
#define PVOPS_PV_P2M_H

#include "pv_pte.h"

/* NULL when native. Set once by pv_boot_*() (boot.c). */
extern const unsigned long *pv_p2m_list;

/* Xen's M2P (xen/arch-x86/xen-x86_64.h: MACH2PHYS_VIRT_START). */
#define PV_M2P ((const unsigned long *)0xFFFF800000000000UL)

static inline unsigned long pfn_to_mfn(unsigned long pfn)
{
    return pv_p2m_list ? pv_p2m_list[pfn] : pfn;
}

static inline unsigned long mfn_to_pfn(unsigned long mfn)
{
    return pv_p2m_list ? PV_M2P[mfn] : mfn;
}

static inline void *pfn_to_virt(unsigned long pfn)
{
    return (void *)(pfn << PAGE_SHIFT);
}

static inline unsigned long virt_to_pfn(const void *va)
{
    return (unsigned long)va >> PAGE_SHIFT;
}

static inline unsigned long virt_to_mfn(const void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

/* Machine address of a kernel pointer (for mmu_update's ptr). */
static inline unsigned long virt_to_maddr(const void *va)
{
    return (virt_to_mfn(va) << PAGE_SHIFT) | ((unsigned long)va & (PAGE_SIZE - 1));
}

#endif
