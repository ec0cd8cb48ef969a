/*
 * What a kernel learns at boot, whichever way it was started: boot.c turns the Xen PV
 * start_info and the multiboot information into one struct pv_boot, sets up the p2m and
 * picks the pvops backend (select.c) before the kernel's C code runs.
 */
#ifndef PVOPS_PV_BOOT_H
#define PVOPS_PV_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum pv_entry {
    PV_ENTRY_XEN = 1,           /* the Xen PV entry: ring 3 (Parapet) or Xen's ring 3 */
    PV_ENTRY_MULTIBOOT = 2,     /* multiboot, ring 0 on the bare (virtual) machine */
};

#define PV_CMDLINE_MAX  1024
/* The most pseudo-physical memory a kernel is given (1 GiB: one L3 entry). */
#define PV_MAX_PAGES    (1UL << 18)

struct pv_boot {
    enum pv_entry entry;
    char cmdline[PV_CMDLINE_MAX];
    unsigned long nr_pages;         /* usable pseudo-physical frames: [0, nr_pages) */
    unsigned long first_free_pfn;   /* everything below is the image or boot data */
    unsigned long mem_pages;        /* frames the platform reported (before the cap) */
    const char *backend;            /* the pv_ops backend chosen: "native", "xen", "trap" */
    char requested[16];             /* pvops= of the command line ("": none given) */
    void *start_info;               /* xen entry: start_info_t *; else NULL */
};

/*
 * The two ways in, called by the kernel's head.S on its boot stack. Each fills *b, the
 * p2m and pv_ops (pvops= on the command line, else the entry's default backend) and
 * sets the backend up far enough for console output and the other pv_ops to work.
 *   si, boot_rsp   start_info and the stack pointer the domain builder started us with
 *   magic, mbi     multiboot's EAX and EBX; image_end: the first byte after the image
 */
void pv_boot_xen(struct pv_boot *b, void *si, unsigned long boot_rsp,
                 unsigned long image_end);
void pv_boot_multiboot(struct pv_boot *b, uint32_t magic, uint32_t mbi,
                       unsigned long image_end);

/* The VALUE of the last word "key=VALUE" of cmdline into out (cut to outlen - 1 bytes,
 * terminated); false when there is no such word. */
bool pv_cmdline_value(const char *cmdline, const char *key, char *out, size_t outlen);

#endif
