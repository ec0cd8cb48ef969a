/*
 * start_kernel(): the C start of every test guest, in XTF's order. Check the hypercall
 * page, install the trap table and the callbacks, hand over a GDT frame, give Xen a
 * kernel stack, set the user page table, unmap VA 0, map shared_info, then run
 * test_main() and report its result (test.c). Any failed step panics with the error.
 */
#include "guest.h"
#include "test.h"

start_info_t *start_info;
shared_info_t *shared_info;

/* Page-aligned frames we give away: the GDT and the VA shared_info gets mapped at. */
static uint64_t gdt_page[PAGE_SIZE / 8] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));
static uint8_t shared_info_va[PAGE_SIZE] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));

/* GDT entries handed to set_gdt: all null descriptors, we use only Xen's selectors. */
#define NR_GDT_ENTRIES 16

long remap_page(void *va, unsigned long mfn, unsigned long flags)
{
    return HYPERVISOR_update_va_mapping((unsigned long)va, (mfn << PAGE_SHIFT) | flags,
                                        UVMF_INVLPG);
}

/* The builder fills hypercall_page; if it still holds our 0xC3 poison, nothing works. */
static void check_hypercall_page(void)
{
    static const char msg[] =
        "PANIC: hypercall page not filled in (first byte still 0xc3): "
        "is the HYPERCALL_PAGE note honoured?\n";

    if ((uint8_t)hypercall_page[0] != 0xc3)
        return;
    raw_console_write(msg, sizeof(msg) - 1);
    raw_shutdown(SHUTDOWN_crash);
    for (;;)                            /* no trap table yet: this #UD must crash us */
        __asm__ volatile("ud2");
}

static void register_callback(unsigned int type, void *entry, const char *name)
{
    struct callback_register cb = {
        .type = (uint16_t)type,
        .flags = CALLBACKF_mask_events,
        .address = (unsigned long)entry,
    };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);

    if (rc)
        panic("callback_op(register, %s) failed: %ld", name, rc);
}

/* The GDT frame must have no writable mapping before set_gdt: remap it read-only. */
static void setup_gdt(void)
{
    unsigned long frames[1] = { virt_to_mfn(gdt_page) };
    long rc;

    rc = remap_page(gdt_page, frames[0], PTE_P | PTE_A);
    if (rc)
        panic("update_va_mapping(GDT read-only) failed: %ld", rc);
    rc = HYPERVISOR_set_gdt((unsigned long)frames, NR_GDT_ENTRIES);
    if (rc)
        panic("set_gdt failed: %ld", rc);
}

/* User mode runs on the same L4 as the kernel: read CR3 (emulated) and reuse it. */
static void setup_user_pagetable(void)
{
    struct mmuext_op op = { .cmd = MMUEXT_NEW_USER_BASEPTR };
    unsigned long cr3;
    long rc;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    op.arg1.mfn = cr3 >> PAGE_SHIFT;
    rc = HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF);
    if (rc)
        panic("mmuext_op(NEW_USER_BASEPTR, mfn %lx) failed: %ld", cr3 >> PAGE_SHIFT, rc);
}

static void map_shared_info(void)
{
    long rc = HYPERVISOR_update_va_mapping((unsigned long)shared_info_va,
                                           start_info->shared_info | PTE_P | PTE_RW |
                                               PTE_A | PTE_D,
                                           UVMF_INVLPG);

    if (rc)
        panic("update_va_mapping(shared_info at maddr %lx) failed: %ld",
              start_info->shared_info, rc);
    shared_info = (shared_info_t *)shared_info_va;
    /* Events stay masked unless a test opts in (events.h: set_event_upcall_hook). */
    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
}

void start_kernel(start_info_t *si)
{
    long rc;

    start_info = si;
    check_hypercall_page();
    printk("--- Parapet test framework: %s ---\n", test_title);

    install_default_traps();
    register_callback(CALLBACKTYPE_event, entry_event, "event");
    register_callback(CALLBACKTYPE_failsafe, entry_failsafe, "failsafe");
    register_callback(CALLBACKTYPE_syscall, entry_syscall, "syscall");
    setup_gdt();

    rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack_top);
    if (rc)
        panic("stack_switch failed: %ld", rc);
    setup_user_pagetable();

    rc = HYPERVISOR_update_va_mapping(0, 0, UVMF_INVLPG);
    if (rc)
        panic("update_va_mapping(unmap VA 0) failed: %ld", rc);
    map_shared_info();

    test_main();
    test_exit();
}
