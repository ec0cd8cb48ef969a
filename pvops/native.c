/*
 * The native backend: the kernel runs in ring 0 on the bare (virtual) machine and every
 * pv_ops member is the instruction or the device access itself. Page tables are written
 * with plain stores and hold frame numbers that are also physical (the p2m is the
 * identity). The trap backend reuses the CPU and MMU members below.
 */
#include "internal.h"

#define CR0_TS (1UL << 3)

/* ---- interrupt flag ---------------------------------------------------------------- */

void native_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static void native_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static unsigned long native_irq_save(void)
{
    unsigned long flags;

    __asm__ volatile("pushfq; pop %0; cli" : "=r"(flags) : : "memory");
    return flags & PV_IRQ_ENABLED;
}

static void native_irq_restore(unsigned long flags)
{
    if (flags & PV_IRQ_ENABLED)
        native_irq_enable();
    else
        native_irq_disable();
}

/* sti's one-instruction shadow makes "sti; hlt" atomic: no wake-up is lost. */
static void native_safe_halt(void)
{
    __asm__ volatile("sti; hlt" ::: "memory");
}

/* ---- instructions ------------------------------------------------------------------ */

static void native_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
    __asm__ volatile("cpuid"
                     : "=a"(regs[0]), "=b"(regs[1]), "=c"(regs[2]), "=d"(regs[3])
                     : "a"(leaf), "c"(subleaf));
}

uint64_t native_read_msr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (uint64_t)hi << 32 | lo;
}

void native_write_msr(uint32_t msr, uint64_t value)
{
    __asm__ volatile("wrmsr"
                     : : "c"(msr), "a"((uint32_t)value), "d"((uint32_t)(value >> 32))
                     : "memory");
}

unsigned long native_read_cr0(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static void native_write_cr0(unsigned long value)
{
    __asm__ volatile("mov %0, %%cr0" : : "r"(value) : "memory");
}

static unsigned long native_read_cr2(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

unsigned long native_read_cr4(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static void native_write_cr4(unsigned long value)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(value) : "memory");
}

static void native_clts(void)
{
    __asm__ volatile("clts" ::: "memory");
}

uint8_t native_inb(uint16_t port)
{
    uint8_t v;

    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

void native_outb(uint16_t port, uint8_t value)
{
    __asm__ volatile("outb %0, %1" : : "a"(value), "Nd"(port));
}

#define MSR_FS_BASE         0xc0000100u
#define MSR_GS_BASE         0xc0000101u

static void native_set_fs_base(unsigned long base)
{
    native_write_msr(MSR_FS_BASE, base);
}

/* The kernel never uses GS: the user's base is the live one (no swapgs anywhere). */
static void native_set_gs_base(unsigned long base)
{
    native_write_msr(MSR_GS_BASE, base);
}

/* First entry to user mode: a frame for iretq with user selectors and IF on. */
static PV_NORETURN void native_enter_user(unsigned long rip, unsigned long rsp)
{
    struct pv_regs r = {
        .rip = rip, .cs = NATIVE_USER_CS, .rflags = PV_IRQ_ENABLED | 0x2,
        .rsp = rsp, .ss = NATIVE_USER_DS,
    };

    pv_ops.cpu.iret(&r);
}

/* ---- MMU: stores and the real CR3 ---------------------------------------------------- */

void native_set_entry(pte_t *ptep, pte_t value)
{
    *(volatile pte_t *)ptep = value;
}

unsigned long native_read_cr3(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return mfn_to_pfn(pte_frame(v));
}

static void native_write_cr3(unsigned long pfn)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(pfn_to_mfn(pfn) << PAGE_SHIFT) : "memory");
}

static void native_flush_tlb(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(v) : : "memory");
}

void native_invlpg(unsigned long va)
{
    __asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

/* Natively a frame needs nothing to become or stop being a page table, and there is
 * no second L4 for user mode (kernel mappings are supervisor-only instead). */
static void native_mmu_nop(unsigned long pfn)
{
    (void)pfn;
}

static void native_mmu_level_nop(unsigned long pfn, int level)
{
    (void)pfn;
    (void)level;
}

static void native_nop(void)
{
}

/* ---- hv: no hypervisor ------------------------------------------------------------------ */

/* The instruction the trap backend's null call traps on, here run in ring 0. */
void native_null_call(void)
{
    (void)native_read_cr0();
}

static long native_no_counters(struct pv_counters *out)
{
    (void)out;
    return -PV_ENOSYS;
}

static long native_no_domain_info(struct pv_domain_info *info)
{
    (void)info;
    return -PV_ENOSYS;
}

/* ---- the table ---------------------------------------------------------------------- */

void pvops_fill_native(struct pv_ops *ops)
{
    ops->name = "native";

    /* cpu: interrupt flag */
    ops->cpu.irq_disable = native_irq_disable;
    ops->cpu.irq_enable = native_irq_enable;
    ops->cpu.irq_save = native_irq_save;
    ops->cpu.irq_restore = native_irq_restore;
    ops->cpu.safe_halt = native_safe_halt;
    /* cpu: instructions */
    ops->cpu.cpuid = native_cpuid;
    ops->cpu.read_msr = native_read_msr;
    ops->cpu.write_msr = native_write_msr;
    ops->cpu.read_cr0 = native_read_cr0;
    ops->cpu.write_cr0 = native_write_cr0;
    ops->cpu.read_cr2 = native_read_cr2;
    ops->cpu.read_cr4 = native_read_cr4;
    ops->cpu.write_cr4 = native_write_cr4;
    ops->cpu.clts = native_clts;
    ops->cpu.inb = native_inb;
    ops->cpu.outb = native_outb;
    /* cpu: descriptor tables, entries, stacks, bases */
    ops->cpu.load_gdt = native_load_gdt;
    ops->cpu.load_idt = native_load_idt;
    ops->cpu.syscall_init = native_syscall_init;
    ops->cpu.load_kernel_stack = native_load_kernel_stack;
    ops->cpu.set_fs_base = native_set_fs_base;
    ops->cpu.set_gs_base = native_set_gs_base;
    /* cpu: leaving the kernel */
    ops->cpu.iret = native_iret;
    ops->cpu.sysret = native_sysret;
    ops->cpu.enter_user = native_enter_user;
    ops->cpu.power_off = native_power_off;

    /* mmu: plain stores, the real CR3, nothing to pin */
    ops->mmu.set_pte = native_set_entry;
    ops->mmu.set_pmd = native_set_entry;
    ops->mmu.set_pud = native_set_entry;
    ops->mmu.set_pgd = native_set_entry;
    ops->mmu.read_cr3 = native_read_cr3;
    ops->mmu.write_cr3 = native_write_cr3;
    ops->mmu.write_user_cr3 = native_mmu_nop;
    ops->mmu.flush_tlb = native_flush_tlb;
    ops->mmu.invlpg = native_invlpg;
    ops->mmu.alloc_pt = native_mmu_level_nop;
    ops->mmu.release_pt = native_mmu_level_nop;
    ops->mmu.pin = native_mmu_level_nop;
    ops->mmu.unpin = native_mmu_nop;
    ops->mmu.lazy_enter = native_nop;
    ops->mmu.lazy_leave = native_nop;

    /* time: TSC calibrated against the PIT; PIT channel 0 one-shot on IRQ 0 */
    ops->time.init = native_time_init;
    ops->time.now_ns = native_now_ns;
    ops->time.set_timer = native_set_timer;
    ops->time.wallclock = native_wallclock;
    ops->time.tsc_khz = native_tsc_khz;

    /* console: COM1 */
    ops->console.init = native_console_init;
    ops->console.write = native_console_write;
    ops->console.read = native_console_read;

    /* evtchn: "ports" are the 8259 PIC's lines; nothing to bind between domains */
    ops->evtchn.init = native_pic_init;
    ops->evtchn.bind_virq = native_bind_virq;
    ops->evtchn.mask = native_irq_mask;
    ops->evtchn.unmask = native_irq_unmask;
    ops->evtchn.send = native_no_evtchn;
    ops->evtchn.close = native_no_evtchn;
    ops->evtchn.alloc_unbound = native_no_alloc_unbound;
    ops->evtchn.bind_interdomain = native_no_bind_interdomain;
    ops->evtchn.dispatch = native_irq_dispatch;

    /* grant: no other domain to grant to */
    ops->grant.init = native_no_grants;
    ops->grant.grant_access = native_no_grant_access;
    ops->grant.end_access = native_no_end_access;
    ops->grant.map = native_no_grant_map;
    ops->grant.unmap = native_no_grant_unmap;

    /* hv: nobody to call or to count */
    ops->hv.null_call = native_null_call;
    ops->hv.counters = native_no_counters;
    ops->hv.domain_info = native_no_domain_info;
}
