/*
 * What the loader told us: the machine's memory map (e820 via multiboot), the boot
 * modules (one per domain kernel, module string = its command line) and the
 * hypervisor's own command line.
 */
#ifndef HV_BOOT_H
#define HV_BOOT_H

#include <stdint.h>
#include "config.h"

#define E820_RAM 1

struct mem_region {
    uint64_t start, end;   /* [start, end) physical */
    uint32_t type;
};

struct boot_module {
    uint64_t start, end;   /* physical */
    const char *cmdline;   /* via the direct map, NUL-terminated ("" if none) */
};

struct boot_info {
    const char *cmdline;
    unsigned nr_regions;
    struct mem_region regions[64];
    unsigned nr_modules;
    struct boot_module modules[MAX_BOOT_MODULES];
    uint64_t max_phys;     /* end of the highest RAM region */
};

extern struct boot_info boot_info;

/* Parse the multiboot info at physical address mbi; returns 0 or a reason. */
const char *multiboot_parse(uint32_t magic, uint64_t mbi);

/* Value of "name=" in the hypervisor command line, or def. */
unsigned long cmdline_ulong(const char *name, unsigned long def);
int cmdline_has(const char *flag);

#endif
