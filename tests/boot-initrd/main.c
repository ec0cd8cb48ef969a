/*
 * boot-initrd: the ramdisk a domain was given (a boot module marked dom.initrd right
 * after its kernel; scripts/parapet --initrd FILE) reaches it through start_info, as
 * on Xen: mod_start is the ramdisk's virtual address (this kernel has no
 * XEN_ELFNOTE_MOD_START_PFN note, so SIF_MOD_START_PFN must be clear), mod_len its size
 * in bytes. The guest reads it all and prints its length and a checksum; the e2e test
 * tests/e2e/initrd.sh compares them with the file's. Booted without a ramdisk (as the
 * runner does), mod_start and mod_len must both be 0.
 * Checks: SIF_MOD_START_PFN clear; the ramdisk lies inside the boot mapping (below
 * the start_info page) and is readable to its last byte; without one, both fields 0.
 * Cannot detect: a wrong checksum by itself (the e2e test compares).
 */
#include "test.h"

const char test_title[] = "boot-initrd: the ramdisk arrives through start_info";

void test_main(void)
{
    unsigned long start = start_info->mod_start, len = start_info->mod_len;
    if (start_info->flags & SIF_MOD_START_PFN)
        test_failure("SIF_MOD_START_PFN set for a kernel without the MOD_START_PFN note");
    if (!len) {
        if (start)
            test_failure("no ramdisk, yet mod_start is 0x%lx", start);
        printk("  no ramdisk given\n");
        return;
    }
    if (start >= (unsigned long)start_info || start + len > (unsigned long)start_info)
        test_failure("the ramdisk [0x%lx, +0x%lx) is not below start_info (%p)", start, len,
                     (void *)start_info);
    const uint8_t *p = (const uint8_t *)start;
    unsigned long sum = 0;
    for (unsigned long i = 0; i < len; i++)
        sum = sum * 31 + p[i];
    printk("  ramdisk: %lu bytes, checksum %lu\n", len, sum);
}
