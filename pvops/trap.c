/*
 * The trap backend: the native CPU and MMU instructions, executed by a kernel that the
 * hypervisor runs deprivileged in ring 3 (trap and emulate, a dom.trap domain). cli,
 * sti, hlt, mov to and from control registers, invlpg, rdmsr, wrmsr, in, out, lgdt,
 * lidt, ltr, clts and sysretq fault and are emulated; page tables are written with
 * plain stores, and a page-table frame is mapped read-only (alloc_pt) so that those
 * stores fault into the hypervisor's validated-update path.
 *
 * Where the native instruction cannot work deprivileged (Popek and Goldberg's
 * sensitive but unprivileged instructions, docs/trap-and-emulate.md) the member takes
 * the paravirtual fix: irq_save reads the virtual interrupt flag in vcpu_info (pushf
 * shows the real one), cpuid carries the forced-emulation prefix (it never faults),
 * and returns go through HYPERVISOR_iret (exceptions arrive as bounce frames, which
 * iretq cannot return through) or sysretq (to user mode). set_gs_base writes the
 * user's base where the hypervisor keeps it (KERNEL_GS_BASE, the inactive one). Two
 * MMU operations have no instruction at all: naming the user-mode L4 and pinning a
 * table are hypercalls.
 * The devices (time, console, event channels, grants) and power-off are the xen
 * backend's hypercalls: the comparison trap versus xen is of CPU and MMU operations.
 * Under a hypervisor that does not emulate these, a trap boot stops at the first one.
 */
#include "internal.h"

/* The GDT a trap kernel loads: page-aligned, read-only, null but for our TSS (the
 * hypervisor's flat selectors serve for code and data). */
#define TRAP_GDT_ENTRIES 16
static uint64_t trap_gdt[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)))
    __attribute__((section(".bss.page_aligned")));

/* The L1 entry that maps va in the current page tables (read with plain loads). */
static pte_t *lookup_pte(unsigned long va)
{
    pte_t *table = pfn_to_virt(native_read_cr3());
    int level;

    for (level = 4; level > 1; level--) {
        pte_t e = table[pt_index(va, level)];

        if (!(e & PTE_P))
            pv_panic("trap: no page table maps the frame", (long)va);
        table = pfn_to_virt(mfn_to_pfn(pte_frame(e)));
    }
    return &table[pt_index(va, 1)];
}

/* Clear or set RW in the direct-map entry of pfn with a store, then invlpg. */
static void set_direct_map_rw(unsigned long pfn, bool writable)
{
    unsigned long va = (unsigned long)pfn_to_virt(pfn);
    pte_t *ptep = lookup_pte(va);

    native_set_entry(ptep, writable ? *ptep | PTE_RW : *ptep & ~PTE_RW);
    native_invlpg(va);
}

static void trap_alloc_pt(unsigned long pfn, int level)
{
    (void)level;
    set_direct_map_rw(pfn, false);
}

static void trap_release_pt(unsigned long pfn, int level)
{
    (void)level;
    set_direct_map_rw(pfn, true);
}

/* pushf would show the real IF (always set in ring 3): read the virtual one. */
static unsigned long trap_irq_save(void)
{
    bool enabled = !xen_shared_info->vcpu_info[0].evtchn_upcall_mask;

    native_irq_disable();
    return enabled ? PV_IRQ_ENABLED : 0;
}

/* The user's GS base. A trap kernel's GS_BASE is its own kernel-mode base: the
 * hypervisor switches the two bases at every mode change (swapgs is not emulated), and
 * while the kernel runs the user's is the inactive one, KERNEL_GS_BASE (as Xen has it
 * for PV kernels). wrmsr of GS_BASE, the native member, would leave user mode's %gs
 * at 0. */
#define MSR_KERNEL_GS_BASE 0xc0000102u

static void trap_set_gs_base(unsigned long base)
{
    native_write_msr(MSR_KERNEL_GS_BASE, base);
}

/* lgdt of a read-only page holding the TSS descriptor, then ltr: no segment reloads
 * (the selectors are the hypervisor's). The page is filled and made read-only once: a
 * second load (the descriptor is never marked busy in our copy) loads it as it is. */
static void trap_load_gdt(void)
{
    static bool filled;

    if (!filled) {
        native_tss_descriptor(&trap_gdt[NATIVE_TSS_SEL / 8]);
        set_direct_map_rw(virt_to_pfn(trap_gdt), false);
        filled = true;
    }
    native_lgdt_ltr(trap_gdt, TRAP_GDT_ENTRIES, NATIVE_TSS_SEL);
}

/* lidt of gates to the bounce-frame stubs: the hypervisor makes them its trap table. */
static void trap_load_idt(pv_trap_fn handler)
{
    pv_trap_handler = handler;
    native_install_idt(xen_vector_stubs, PV_NR_EXCEPTIONS, FLAT_KERNEL_CS);
}

static void trap_syscall_init(void)
{
    native_syscall_msrs(trap_syscall_entry);
}

/* First entry to user mode by sysretq (iretq between two ring-3 contexts would not
 * trap, so the hypervisor would never switch to the user page tables). */
static PV_NORETURN void trap_enter_user(unsigned long rip, unsigned long rsp)
{
    struct pv_regs r = { .rip = rip, .rflags = PV_IRQ_ENABLED | 0x2, .rsp = rsp };

    native_sysret(&r);
}

/* Native for the CPU and the MMU, with the fixes above; the xen backend's devices. */
void pvops_fill_trap(struct pv_ops *ops)
{
    /* cpu, mmu: the instructions, as native.c runs them in ring 0 */
    pvops_fill_native(ops);
    ops->name = "trap";
    /* cpu: what cannot be trapped, paravirtualised */
    ops->cpu.irq_save = trap_irq_save;
    ops->cpu.cpuid = xen_cpuid;
    ops->cpu.iret = xen_iret;
    ops->cpu.enter_user = trap_enter_user;
    /* cpu: the descriptor tables and entry points a ring-3 kernel can have emulated */
    ops->cpu.load_gdt = trap_load_gdt;
    ops->cpu.load_idt = trap_load_idt;
    ops->cpu.syscall_init = trap_syscall_init;
    ops->cpu.set_gs_base = trap_set_gs_base;
    /* mmu: page-table frames read-only; no instruction names a user L4 or pins */
    ops->mmu.alloc_pt = trap_alloc_pt;
    ops->mmu.release_pt = trap_release_pt;
    ops->mmu.write_user_cr3 = xen_write_user_cr3;
    ops->mmu.pin = xen_pin;
    ops->mmu.unpin = xen_unpin;
    /* time, console, evtchn, grant and power-off: hypercalls, as in the xen backend */
    xen_fill_devices(ops);
    ops->cpu.power_off = xen_power_off;
    /* hv: the null call is native's mov from CR0 (trapped here); Parapet's counters */
    ops->hv.counters = xen_counters;
    ops->hv.domain_info = xen_domain_info;
}
