/*
 * The native descriptor tables, shared by the native and trap backends: a GDT with
 * kernel and user code and data and one TSS (whose RSP0 is where interrupts from user
 * mode land), an IDT of interrupt gates to the stubs of native_entry.S, and the MSRs
 * that make `syscall` enter native_syscall_entry. Under trap every lgdt, ltr, lidt and
 * wrmsr here is the instruction the hypervisor is meant to trap and emulate.
 */
#include "internal.h"

#define MSR_EFER        0xc0000080u
#define MSR_STAR        0xc0000081u
#define MSR_LSTAR       0xc0000082u
#define MSR_FMASK       0xc0000084u
#define EFER_SCE        (1UL << 0)
/* syscall clears IF, TF, DF, AC and NT: the entry runs with interrupts off. */
#define SYSCALL_FMASK   ((1UL << 9) | (1UL << 8) | (1UL << 10) | (1UL << 18) | (1UL << 14))

/* The 64-bit TSS: of its 104 bytes only RSP0 (the stack of entries from user mode)
 * and the I/O map base (past the end: no port is the user's) matter here. */
struct tss64 {
    uint32_t pad0;
    uint64_t rsp0, rsp1, rsp2, pad1, ist[7], pad2;
    uint16_t pad3, iomap_base;
} __attribute__((packed));

struct idt_gate {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;              /* P, DPL, type 0xE (64-bit interrupt gate) */
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
};

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static struct tss64 tss __attribute__((aligned(16)));

static uint64_t gdt[7] __attribute__((aligned(16))) = {
    0,
    0x00af9a000000ffffUL,           /* 0x08 kernel code, 64-bit */
    0x00cf92000000ffffUL,           /* 0x10 kernel data */
    0x00cff2000000ffffUL,           /* 0x18 user data, DPL 3 */
    0x00affa000000ffffUL,           /* 0x20 user code, 64-bit, DPL 3 */
    0, 0,                           /* 0x28 TSS, filled in at load time */
};

static struct idt_gate idt[PV_NR_EXCEPTIONS + PV_NR_IRQS] __attribute__((aligned(16)));

pv_trap_fn pv_trap_handler;

/* The 16-byte TSS descriptor of our TSS, into desc[0..1] of some GDT. */
void native_tss_descriptor(uint64_t *desc)
{
    uint64_t base = (uint64_t)&tss, limit = sizeof(tss) - 1;

    tss.iomap_base = sizeof(tss);   /* no I/O bitmap: user port access faults */
    desc[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89UL << 40) |
              ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
    desc[1] = base >> 32;
}

void native_lgdt_ltr(const uint64_t *table, unsigned int entries, uint16_t tss_selector)
{
    struct desc_ptr p = { .limit = (uint16_t)(entries * 8 - 1), .base = (uint64_t)table };

    __asm__ volatile("lgdt %0; ltr %w1" : : "m"(p), "r"(tss_selector) : "memory");
}

/* Our GDT, then the data segments and (by a far return) CS reloaded from it. */
void native_load_gdt(void)
{
    native_tss_descriptor(&gdt[NATIVE_TSS_SEL / 8]);
    native_lgdt_ltr(gdt, sizeof(gdt) / 8, NATIVE_TSS_SEL);
    __asm__ volatile("mov %0, %%ds\n\t"
                     "mov %0, %%es\n\t"
                     "mov %0, %%ss\n\t"
                     "pushq %1\n\t"
                     "lea 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:"
                     : : "r"((uint64_t)NATIVE_KERNEL_DS), "i"(NATIVE_KERNEL_CS)
                     : "rax", "memory");
}

/* Interrupt gates to nr stubs 16 bytes apart (int3 and into also from user mode). */
void native_install_idt(const char *stubs, unsigned int nr, uint16_t cs)
{
    struct desc_ptr p = { .limit = (uint16_t)(nr * sizeof(idt[0]) - 1), .base = (uint64_t)idt };
    unsigned int v;

    for (v = 0; v < nr; v++) {
        uint64_t a = (uint64_t)stubs + 16UL * v;
        uint8_t dpl = (v == 3 || v == 4) ? 3 : 0;

        idt[v] = (struct idt_gate){
            .offset_low = (uint16_t)a,
            .selector = cs,
            .type_attr = (uint8_t)(0x8e | dpl << 5),
            .offset_mid = (uint16_t)(a >> 16),
            .offset_high = (uint32_t)(a >> 32),
        };
    }
    __asm__ volatile("lidt %0" : : "m"(p) : "memory");
}

void native_load_idt(pv_trap_fn handler)
{
    pv_trap_handler = handler;
    native_install_idt(native_vector_stubs, PV_NR_EXCEPTIONS + PV_NR_IRQS, NATIVE_KERNEL_CS);
}

/* syscall enters entry with interrupts off (FMASK clears IF). */
void native_syscall_msrs(const char *entry)
{
    uint64_t efer;

    pv_ops.cpu.write_msr(MSR_STAR, (uint64_t)NATIVE_KERNEL_CS << 32 |
                                   (uint64_t)(NATIVE_USER_DS - 8 - 3) << 48);
    pv_ops.cpu.write_msr(MSR_LSTAR, (uint64_t)entry);
    pv_ops.cpu.write_msr(MSR_FMASK, SYSCALL_FMASK);
    efer = pv_ops.cpu.read_msr(MSR_EFER);
    if (!(efer & EFER_SCE))             /* a hypervisor keeps EFER to itself */
        pv_ops.cpu.write_msr(MSR_EFER, efer | EFER_SCE);
}

void native_syscall_init(void)
{
    native_syscall_msrs(native_syscall_entry);
}

void native_load_kernel_stack(unsigned long top)
{
    tss.rsp0 = top;
    native_syscall_rsp = top;
}
