/*
 * The hypervisor's virtual memory map and fixed sizes. Everything the hypervisor maps
 * lives in the PV hypervisor hole [0xFFFF800000000000, 0xFFFF880000000000), L4 slots
 * 256..271, which every guest L4 carries (docs/memory.md has the picture).
 */
#ifndef HV_CONFIG_H
#define HV_CONFIG_H

/* slot 256: the read-only machine-to-phys table guests read (Xen ABI, fixed). */
#define RO_MPT_VIRT_START   0xFFFF800000000000
#define RO_MPT_VIRT_END     0xFFFF804000000000
/* slot 257: per-CPU GDT windows, 16 pages each (guest frames 0-13, ours at 14). */
#define GDT_WINDOW_BASE     0xFFFF808000000000
#define GDT_WINDOW_SIZE     0x10000
/* slot 261: the hypervisor image, physical address + HV_VIRT_OFFSET. */
#define HV_VIRT_OFFSET      0xFFFF828000000000
#define HV_PHYS_START       0x100000
/* slots 262..: the direct map of machine memory (first 64 GiB supported). */
#define DIRECTMAP_BASE      0xFFFF830000000000
#define DIRECTMAP_MAX_BYTES (64ULL << 30)

#define HYPERVISOR_HOLE_START 0xFFFF800000000000
#define HYPERVISOR_HOLE_END   0xFFFF880000000000

#define HV_STACK_PAGES      4      /* per-CPU hypervisor stack */
#define HV_IST_PAGES        1      /* per IST stack */
#define MAX_CPUS            1      /* SMP-ready structures; one CPU used for now */
#define MAX_BOOT_MODULES    16

/* Flat guest selectors in our GDT page (Xen's numbers). */
#define HV_CS               0xe008
#define HV_DS               0xe010
#define FLAT_USER_CS32_SEL  0xe023
#define FLAT_GUEST_DS       0xe02b
#define FLAT_GUEST_CS64     0xe033
#define HV_TSS_SEL          0xe040
#define HV_LDT_SEL          0xe050

#endif
