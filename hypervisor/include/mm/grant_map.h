/*
 * Grant mappings in guest page tables (mm/grant_map.c): the host-mapping hooks that
 * core/hc_grant.c gives grant/grant_table.c, and the PV MMU's answer to a guest update
 * that would remove such a mapping behind the grant table's back.
 */
#ifndef HV_MM_GRANT_MAP_H
#define HV_MM_GRANT_MAP_H

#include <stdint.h>
#include "mm/page_type.h"

/* struct gnttab_env's map_host / unmap_host (see grant/grant_table.h). */
int16_t grant_map_host(domid_t mapper, uint64_t host_addr, uint32_t flags, uint64_t mfn,
                       uint64_t *pte);
int16_t grant_unmap_host(domid_t mapper, uint64_t pte, uint32_t flags, uint64_t mfn);

/* mod_entry answered -EPERM for entry 'index' of L1 l1 (a grant mapping): log it and give
 * the current vCPU #GP(0), as Xen 4.17's debug builds do; the entry stays as it is. */
void grant_implicit_unmap(uint64_t l1, unsigned index);

#endif
