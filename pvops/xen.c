/*
 * The xen backend: the kernel runs in ring 3 as a Xen PV guest (on Parapet or on Xen)
 * and asks instead of doing. The interrupt flag is the upcall mask in vcpu_info (in the
 * shared_info page), privileged state is set by hypercalls, exceptions come through a
 * trap table as bounce frames and leave by HYPERVISOR_iret. The MMU members are in
 * xen_mmu.c, the devices (shared with trap) in xen_dev.c, xen_evtchn.c and xen_grant.c.
 */
#include "internal.h"
#include "parapet-abi.h"

struct shared_info *xen_shared_info;

/* Pages of our image that we give away: their frames are never used again. */
static uint8_t shared_info_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)))
    __attribute__((section(".bss.page_aligned")));
static uint64_t gdt_page[PAGE_SIZE / 8] __attribute__((aligned(PAGE_SIZE)))
    __attribute__((section(".bss.page_aligned")));

static unsigned long cr0_shadow, cr4_shadow;

static struct vcpu_info *vcpu(void)
{
    return &xen_shared_info->vcpu_info[0];
}

/* Point the page at va to machine frame mfn (the current page tables). */
void xen_remap(unsigned long va, unsigned long mfn, pte_t flags)
{
    long rc = HYPERVISOR_update_va_mapping(va, mfn << PAGE_SHIFT | flags, UVMF_INVLPG);

    if (rc)
        pv_panic("update_va_mapping", rc);
}

/* The set-up select.c runs before any member is used: shared_info mapped over a page
 * of ours, events masked until the kernel turns them on, the shadows of CR0 and CR4
 * taken by the (emulated) mov. */
void xen_setup(struct pv_boot *boot)
{
    start_info_t *si = boot->start_info;

    xen_remap((unsigned long)shared_info_page, si->shared_info >> PAGE_SHIFT,
              PTE_P | PTE_RW | PTE_A | PTE_D);
    xen_shared_info = (struct shared_info *)shared_info_page;
    vcpu()->evtchn_upcall_mask = 1;
    cr0_shadow = native_read_cr0();
    cr4_shadow = native_read_cr4();
}

/* ---- interrupt flag: vcpu_info.evtchn_upcall_mask ----------------------------------------- */

static void xen_irq_disable(void)
{
    vcpu()->evtchn_upcall_mask = 1;
    __asm__ volatile("" ::: "memory");
}

/* Unmask, then look: an event that arrived while masked is only delivered on the way
 * out of a hypercall, so make a cheap one (Linux's "force event callback"). */
static void xen_irq_enable(void)
{
    __asm__ volatile("" ::: "memory");
    vcpu()->evtchn_upcall_mask = 0;
    __asm__ volatile("" ::: "memory");
    if (vcpu()->evtchn_upcall_pending)
        HYPERVISOR_xen_version(XENVER_version, 0);
}

static unsigned long xen_irq_save(void)
{
    unsigned long was_masked = vcpu()->evtchn_upcall_mask;

    xen_irq_disable();
    return was_masked ? 0 : PV_IRQ_ENABLED;
}

static void xen_irq_restore(unsigned long flags)
{
    if (flags & PV_IRQ_ENABLED)
        xen_irq_enable();
    else
        xen_irq_disable();
}

/* SCHEDOP_block clears the mask itself and returns when an event is pending: the
 * hypercall's way back delivers it. */
static void xen_safe_halt(void)
{
    HYPERVISOR_sched_op(SCHEDOP_block, 0);
}

/* ---- instruction intercepts ---------------------------------------------------------- */

/* cpuid does not fault in ring 3: the forced-emulation prefix asks for the
 * hypervisor's answer (ud2; "xen"; cpuid). */
void xen_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    __asm__ volatile("ud2; .ascii \"xen\"; cpuid"
                     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                     : "a"(leaf), "c"(subleaf));
}

#define MSR_FS_BASE         0xc0000100u
#define MSR_GS_BASE         0xc0000101u
#define MSR_KERNEL_GS_BASE  0xc0000102u

static void xen_set_fs_base(unsigned long base)
{
    long rc = HYPERVISOR_set_segment_base(SEGBASE_FS, base);

    if (rc)
        pv_panic("set_segment_base(fs)", rc);
}

static void xen_set_gs_base(unsigned long base)
{
    long rc = HYPERVISOR_set_segment_base(SEGBASE_GS_USER, base);

    if (rc)
        pv_panic("set_segment_base(gs user)", rc);
}

/* The segment bases have hypercalls; every other MSR is the instruction, which the
 * hypervisor emulates for the few it knows (#GP otherwise, as on a real CPU). */
static void xen_write_msr(uint32_t msr, uint64_t value)
{
    if (msr == MSR_FS_BASE)
        xen_set_fs_base(value);
    else if (msr == MSR_KERNEL_GS_BASE)
        xen_set_gs_base(value);
    else if (msr == MSR_GS_BASE)
        HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, value);
    else
        native_write_msr(msr, value);
}

static unsigned long xen_read_cr0(void)
{
    return cr0_shadow;
}

/* Only TS is the guest's to change, through fpu_taskswitch. */
static void xen_write_cr0(unsigned long value)
{
    if ((value ^ cr0_shadow) & (1UL << 3))
        HYPERVISOR_fpu_taskswitch(!!(value & (1UL << 3)));
    cr0_shadow = value;
}

static void xen_clts(void)
{
    xen_write_cr0(cr0_shadow & ~(1UL << 3));
}

/* The fault address is saved in vcpu_info: CR2 itself belongs to the hypervisor. */
static unsigned long xen_read_cr2(void)
{
    return vcpu()->arch.cr2;
}

static unsigned long xen_read_cr4(void)
{
    return cr4_shadow;
}

/* CR4 is the hypervisor's: a PV guest may not change it. Remember what was asked. */
static void xen_write_cr4(unsigned long value)
{
    cr4_shadow = value;
}

/* Port I/O is the instruction, emulated by the hypervisor. Xen emulates it only for a
 * kernel with I/O privilege, which the first access asks for (as Linux's dom0 does);
 * Parapet emulates it for any PV kernel and answers -ENOSYS. */
static void xen_io_privilege(void)
{
    static bool asked;
    struct physdev_set_iopl io = { .iopl = 1 };

    if (asked)
        return;
    asked = true;
    HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (unsigned long)&io);
}

static uint8_t xen_inb(uint16_t port)
{
    xen_io_privilege();
    return native_inb(port);
}

static void xen_outb(uint16_t port, uint8_t value)
{
    xen_io_privilege();
    native_outb(port, value);
}

/* ---- descriptor tables, entries and stacks -------------------------------------------- */

/* Our GDT has only null entries (the hypervisor's flat selectors are reserved for
 * us), handed over read-only. */
static void xen_load_gdt(void)
{
    unsigned long frames[1] = { virt_to_mfn(gdt_page) };
    long rc;

    xen_remap((unsigned long)gdt_page, frames[0], PTE_P | PTE_A);
    rc = HYPERVISOR_set_gdt((unsigned long)frames, 16);
    if (rc)
        pv_panic("set_gdt", rc);
}

/* A callback of type at entry; it masks events on entry, as an interrupt gate. */
void xen_set_callback(unsigned int type, const void *entry)
{
    struct callback_register cb = { .type = (uint16_t)type, .flags = CALLBACKF_mask_events,
                                    .address = (unsigned long)entry };
    long rc = HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);

    if (rc)
        pv_panic("callback_op(register)", rc);
}

/* Exceptions 0-19 through the trap table; each entry masks events, as an interrupt
 * gate clears IF. */
static void xen_load_idt(pv_trap_fn handler)
{
    static struct trap_info table[PV_NR_EXCEPTIONS + 1];
    unsigned int v, n = 0;
    long rc;

    pv_trap_handler = handler;
    for (v = 0; v < 20; v++) {
        if (v == 9 || v == 15)          /* never raised */
            continue;
        table[n].vector = (uint8_t)v;
        table[n].flags = (uint8_t)((v == 3 || v == 4 ? 3 : 0) | 4);
        table[n].cs = FLAT_KERNEL_CS;
        table[n].address = (unsigned long)xen_vector_stubs + 16UL * v;
        n++;
    }
    table[n].address = 0;               /* the end */
    rc = HYPERVISOR_set_trap_table((unsigned long)table);
    if (rc)
        pv_panic("set_trap_table", rc);
    xen_set_callback(CALLBACKTYPE_failsafe, xen_failsafe_entry);
}

static void xen_syscall_init(void)
{
    xen_set_callback(CALLBACKTYPE_syscall, xen_syscall_entry);
}

static void xen_load_kernel_stack(unsigned long top)
{
    long rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, top);

    if (rc)
        pv_panic("stack_switch", rc);
}

/* First entry to user mode: HYPERVISOR_iret to an RPL-3 CS switches to the user L4. */
static PV_NORETURN void xen_enter_user(unsigned long rip, unsigned long rsp)
{
    struct pv_regs r = {
        .rip = rip, .cs = FLAT_USER_CS, .rflags = PV_IRQ_ENABLED | 0x2,
        .rsp = rsp, .ss = FLAT_USER_SS,
    };

    xen_iret(&r);
}

void xen_power_off(int status)
{
    struct sched_shutdown sd = { .reason = status ? SHUTDOWN_crash : SHUTDOWN_poweroff };

    HYPERVISOR_sched_op(SCHEDOP_shutdown, (unsigned long)&sd);
    for (;;)                            /* not reached: the domain is gone */
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
}

/* ---- hv: the cheapest hypercall, Parapet's counters and list of domains ----------------- */

static void xen_null_call(void)
{
    HYPERVISOR_xen_version(XENVER_version, 0);
}

/* parapet_op(PARAPET_OP_stats): -ENOSYS on Xen, which has no such hypercall. */
long xen_counters(struct pv_counters *out)
{
    struct parapet_vcpu_stats s;
    long rc = HYPERVISOR_parapet_op(PARAPET_OP_stats, (unsigned long)&s);

    if (rc)
        return rc;
    out->hypercalls = s.hypercalls;
    out->emulations = s.emulations;
    out->exceptions = s.exceptions;
    out->upcalls = s.upcalls;
    out->switches = s.switches;
    return 0;
}

/* parapet_op(PARAPET_OP_domain_info): the domain at or above info->domid. */
long xen_domain_info(struct pv_domain_info *info)
{
    struct parapet_domain_info d = { .domid = info->domid };
    size_t i;
    long rc = HYPERVISOR_parapet_op(PARAPET_OP_domain_info, (unsigned long)&d);

    if (rc)
        return rc;
    info->domid = d.domid;
    info->flags = (uint16_t)((d.flags & PARAPET_DOMF_control ? PV_DOMF_CONTROL : 0) |
                             (d.flags & PARAPET_DOMF_trap ? PV_DOMF_TRAP : 0) |
                             (d.flags & PARAPET_DOMF_dying ? PV_DOMF_DYING : 0));
    info->store_port = d.store_port;
    info->store_mfn = d.store_mfn;
    info->nr_pages = d.nr_pages;
    for (i = 0; i + 1 < sizeof(info->name); i++)
        info->name[i] = d.name[i];
    info->name[i] = 0;
    return 0;
}

/* ---- the table ------------------------------------------------------------------------- */

void pvops_fill_xen(struct pv_ops *ops)
{
    ops->name = "xen";

    /* cpu: interrupt flag = the upcall mask */
    ops->cpu.irq_disable = xen_irq_disable;
    ops->cpu.irq_enable = xen_irq_enable;
    ops->cpu.irq_save = xen_irq_save;
    ops->cpu.irq_restore = xen_irq_restore;
    ops->cpu.safe_halt = xen_safe_halt;
    /* cpu: instructions, asked of the hypervisor or shadowed */
    ops->cpu.cpuid = xen_cpuid;
    ops->cpu.read_msr = native_read_msr;        /* emulated by the hypervisor */
    ops->cpu.write_msr = xen_write_msr;
    ops->cpu.read_cr0 = xen_read_cr0;
    ops->cpu.write_cr0 = xen_write_cr0;
    ops->cpu.read_cr2 = xen_read_cr2;
    ops->cpu.read_cr4 = xen_read_cr4;
    ops->cpu.write_cr4 = xen_write_cr4;
    ops->cpu.clts = xen_clts;
    ops->cpu.inb = xen_inb;                     /* emulated by the hypervisor */
    ops->cpu.outb = xen_outb;
    /* cpu: descriptor tables, entries, stacks, bases */
    ops->cpu.load_gdt = xen_load_gdt;
    ops->cpu.load_idt = xen_load_idt;
    ops->cpu.syscall_init = xen_syscall_init;
    ops->cpu.load_kernel_stack = xen_load_kernel_stack;
    ops->cpu.set_fs_base = xen_set_fs_base;
    ops->cpu.set_gs_base = xen_set_gs_base;
    /* cpu: leaving the kernel through HYPERVISOR_iret */
    ops->cpu.iret = xen_iret;
    ops->cpu.sysret = xen_sysret;
    ops->cpu.enter_user = xen_enter_user;
    ops->cpu.power_off = xen_power_off;

    /* mmu: validated updates, batched in lazy mode (xen_mmu.c) */
    ops->mmu.set_pte = xen_set_pte;
    ops->mmu.set_pmd = xen_set_upper;
    ops->mmu.set_pud = xen_set_upper;
    ops->mmu.set_pgd = xen_set_upper;
    ops->mmu.read_cr3 = xen_read_cr3;
    ops->mmu.write_cr3 = xen_write_cr3;
    ops->mmu.write_user_cr3 = xen_write_user_cr3;
    ops->mmu.flush_tlb = xen_flush_tlb;
    ops->mmu.invlpg = xen_invlpg;
    ops->mmu.alloc_pt = xen_alloc_pt;
    ops->mmu.release_pt = xen_release_pt;
    ops->mmu.pin = xen_pin;
    ops->mmu.unpin = xen_unpin;
    ops->mmu.lazy_enter = xen_lazy_enter;
    ops->mmu.lazy_leave = xen_lazy_leave;

    /* time, console, evtchn, grant: hypercalls and shared memory (xen_dev.c) */
    xen_fill_devices(ops);

    /* hv: xen_version, parapet_op */
    ops->hv.null_call = xen_null_call;
    ops->hv.counters = xen_counters;
    ops->hv.domain_info = xen_domain_info;
}
