/*
 * The console ring of start_info (struct xencons_interface, xen/io/console.h) as a test
 * guest sees it: the page through the bootstrap mapping (virt_base 0: VA = pfn << 12,
 * the pfn found in the p2m list) and a producer that writes out[] without notifying.
 * Header-only; used by tests/hc-console-ring and tests/xsa-console-ring.
 */
#ifndef PARAPET_TEST_CONS_RING_H
#define PARAPET_TEST_CONS_RING_H

#include "guest.h"

#define CONS_OUT_SIZE ((uint32_t)sizeof(((struct xencons_interface *)0)->out))

/* The ring page, or NULL if start_info's ring frame is not one of our pages. */
static inline volatile struct xencons_interface *cons_ring(void)
{
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;

    for (unsigned long pfn = 0; pfn < start_info->nr_pages; pfn++)
        if (p2m[pfn] == start_info->console.domU.mfn)
            return (volatile struct xencons_interface *)(pfn << PAGE_SHIFT);
    return NULL;
}

/* Produce n bytes (the caller checks there is room): text, then the index. */
static inline void cons_ring_put(volatile struct xencons_interface *r, const char *s,
                                 uint32_t n)
{
    uint32_t prod = r->out_prod;

    for (uint32_t i = 0; i < n; i++)
        r->out[(prod + i) & (CONS_OUT_SIZE - 1)] = s[i];
    __asm__ volatile("" ::: "memory");   /* wmb: the text before the index (x86) */
    r->out_prod = prod + n;
}

#endif
