/*
 * hv_main: the boot sequence, in numbered stages that the log shows:
 *   1/7 serial  2/7 multiboot  3/7 paging  4/7 frames  5/7 descriptors  6/7 time
 *   7/7 domains. Then the boot modules run as domains and the machine exits.
 */
#include "audit.h"
#include "boot.h"
#include "console.h"
#include "cpu.h"
#include "domain.h"
#include "lapic.h"
#include "lib.h"
#include "mm.h"
#include "shutdown.h"
#include "timer.h"
#include "tsc.h"
#include "x86.h"

#define STAGES 7
#define stage(n, ...) do { printk("%d/%d ", n, STAGES); printk_raw(__VA_ARGS__); } while (0)

void hv_main(uint32_t magic, uint32_t mbi);

/* "debug_fault" on the hypervisor command line: fault on purpose once the IDT is up,
 * so tests/e2e/fault-report.sh can check the fault report end to end. Not inlined, so
 * the backtrace names it. */
static void __attribute__((noinline)) debug_planted_fault(void)
{
    volatile uint64_t *bad = (volatile uint64_t *)0x0000000000dead00ULL;
    printk("debug_fault: reading unmapped address %p on purpose\n", (void *)bad);
    (void)*bad;
}

void mm_bug(const char *why)
{
    panic("page reference counts are inconsistent: %s", why);
}

static void pic_mask_all(void)
{
    /* Remap the legacy PICs above the exception vectors, then mask every line:
     * the hypervisor polls the UART and uses no interrupt yet. */
    outb(0x20, 0x11); outb(0xa0, 0x11);
    outb(0x21, 0x20); outb(0xa1, 0x28);
    outb(0x21, 0x04); outb(0xa1, 0x02);
    outb(0x21, 0x01); outb(0xa1, 0x01);
    outb(0x21, 0xff); outb(0xa1, 0xff);
}

void hv_main(uint32_t magic, uint32_t mbi)
{
    serial_init();
    printk_raw("\n");
    stage(1, "Parapet hypervisor: serial console up (COM1, 115200 8N1)\n");

    const char *why = multiboot_parse(magic, mbi);
    if (why) {
        printk("cannot boot: %s. Start Parapet with a multiboot loader (QEMU -kernel, GRUB).\n", why);
        hv_exit(EXIT_HV_FAILURE);
    }
    stage(2, "multiboot: %u memory regions, %lu MiB RAM, %u modules, cmdline \"%s\"\n",
          boot_info.nr_regions, (unsigned long)(boot_info.max_phys >> 20),
          boot_info.nr_modules, boot_info.cmdline);

    paging_init();
    stage(3, "paging: direct map, frame table and read-only M2P for %lu frames\n",
          (unsigned long)max_mfn);

    frame_alloc_init();
    stage(4, "frames: %lu MiB free for domains\n", (unsigned long)(frames_free() >> 8));

    pic_mask_all();
    desc_init();
    write_cr4(read_cr4() | (1 << 9) | (1 << 10));   /* OSFXSR, OSXMMEXCPT for guests */
    stage(5, "descriptors: GDT window, TSS with IST stacks, IDT, syscall entry\n");

    tsc_calibrate();
    lapic_init();
    time_init();
    stage(6, "time: TSC %lu.%03lu MHz, local APIC timer %lu ticks/ms\n",
          (unsigned long)(tsc_khz / 1000), (unsigned long)(tsc_khz % 1000),
          (unsigned long)lapic_ticks_per_ms);

    audit_init();
    if (cmdline_has("debug_fault"))
        debug_planted_fault();

    if (!boot_info.nr_modules) {
        printk("no domain to run: give a guest kernel as a boot module "
               "(QEMU -initrd guest.elf, or scripts/parapet run guest.elf)\n");
        hv_exit(EXIT_HV_FAILURE);
    }
    stage(7, "domains: %u to run, at most %lu at once\n", boot_info.nr_modules,
          MIN(cmdline_ulong("max_running", MAX_DOMAINS), (unsigned long)MAX_DOMAINS));
    domains_start();
}
