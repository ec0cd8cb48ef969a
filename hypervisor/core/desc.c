/*
 * Descriptor tables and CPU entry points: the GDT (a 16-page window per CPU whose
 * pages 0-13 show the guest's GDT frames and page 14 ours, so guests use Xen's flat
 * selectors 0xe0xx), the TSS with IST stacks for #DB, NMI, #DF and #MC, the IDT, and
 * the syscall MSRs. The guest GDT frames are mapped by desc_load_guest_gdt().
 */
#include "config.h"
#include "cpu.h"
#include "domain.h"
#include "lib.h"
#include "mm.h"
#include "x86.h"

struct percpu percpu_area[MAX_CPUS];

static uint8_t cpu_stacks[MAX_CPUS][HV_STACK_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static uint8_t ist_stacks[MAX_CPUS][4][HV_IST_PAGES * PAGE_SIZE] __attribute__((aligned(4096)));
static uint64_t hv_gdt_page[MAX_CPUS][512] __attribute__((aligned(4096)));
static uint8_t zero_page[PAGE_SIZE] __attribute__((aligned(4096)));

struct idt_gate {
    uint16_t off_lo, sel;
    uint8_t ist, type_attr;
    uint16_t off_mid;
    uint32_t off_hi, reserved;
} __attribute__((packed));
static struct idt_gate idt[256] __attribute__((aligned(16)));

extern char exception_stubs[];
extern char entry_syscall[], entry_syscall32[];

enum { IST_DB = 1, IST_NMI = 2, IST_DF = 3, IST_MC = 4 };

/* The descriptors of our page: index = (selector - 0xe000) / 8. */
static void fill_hv_gdt(uint64_t *g, struct tss64 *tss)
{
    g[(HV_CS - 0xe000) / 8]              = 0x00af9a000000ffffULL;  /* ring-0 code 64 */
    g[(HV_DS - 0xe000) / 8]              = 0x00cf92000000ffffULL;  /* ring-0 data */
    g[(FLAT_USER_CS32_SEL - 0xe000) / 8] = 0x00cffb000000ffffULL;  /* ring-3 code 32 */
    g[(FLAT_GUEST_DS - 0xe000) / 8]      = 0x00cff3000000ffffULL;  /* ring-3 data */
    g[(FLAT_GUEST_CS64 - 0xe000) / 8]    = 0x00affb000000ffffULL;  /* ring-3 code 64 */
    uint64_t base = (uint64_t)tss, limit = sizeof(*tss) - 1;
    g[(HV_TSS_SEL - 0xe000) / 8] = (limit & 0xffff) | ((base & 0xffffff) << 16) |
                                   (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
                                   (((base >> 24) & 0xff) << 56);
    g[(HV_TSS_SEL - 0xe000) / 8 + 1] = base >> 32;
}

static void set_gate(unsigned vec, unsigned dpl, unsigned ist)
{
    uint64_t addr = (uint64_t)exception_stubs + vec * 16;
    idt[vec] = (struct idt_gate){
        .off_lo = (uint16_t)addr, .sel = HV_CS, .ist = (uint8_t)ist,
        .type_attr = (uint8_t)(0x8E | (dpl << 5)),   /* present, 64-bit interrupt gate */
        .off_mid = (uint16_t)(addr >> 16), .off_hi = (uint32_t)(addr >> 32),
    };
}

static uint64_t gdt_window(unsigned cpu) { return GDT_WINDOW_BASE + cpu * GDT_WINDOW_SIZE; }

uint64_t *hv_l1e(uint64_t va);

void desc_load_guest_gdt(struct vcpu *v)
{
    uint64_t win = gdt_window(this_cpu()->cpu_id);
    for (unsigned i = 0; i < 14; i++) {
        uint64_t mfn = (v && i < v->gdt_nr_frames) ? v->gdt_frames[i] : virt_to_mfn(zero_page);
        /* Ours, supervisor-only; RW so the CPU can set a busy/accessed bit. */
        *hv_l1e(win + i * PAGE_SIZE) = (mfn << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
        invlpg(win + i * PAGE_SIZE);
    }
}

void desc_init(void)
{
    unsigned cpu = 0;
    struct percpu *pc = &percpu_area[cpu];
    pc->self = pc;
    pc->cpu_id = cpu;
    pc->stack_top = (uint64_t)&cpu_stacks[cpu][sizeof(cpu_stacks[cpu])];
    pc->tss.rsp[0] = pc->stack_top;
    for (unsigned i = 0; i < 4; i++)
        pc->tss.ist[i] = (uint64_t)&ist_stacks[cpu][i][HV_IST_PAGES * PAGE_SIZE];
    pc->tss.iomap_base = sizeof(struct tss64);   /* no I/O bitmap: all ports trap */
    /* Hypervisor %gs = per-CPU block; the guest's lives in KERNEL_GS_BASE. */
    wrmsr(MSR_GS_BASE, (uint64_t)pc);
    wrmsr(MSR_KERNEL_GS_BASE, 0);

    /* The GDT window: guest part empty, page 14 ours, page 15 empty. */
    uint64_t win = gdt_window(cpu);
    fill_hv_gdt(hv_gdt_page[cpu], &pc->tss);
    desc_load_guest_gdt(NULL);
    *hv_l1e(win + 14 * PAGE_SIZE) = virt_to_maddr(hv_gdt_page[cpu]) | _PAGE_PRESENT | _PAGE_RW | _PAGE_NX;
    *hv_l1e(win + 15 * PAGE_SIZE) = virt_to_maddr(zero_page) | _PAGE_PRESENT | _PAGE_NX;
    flush_tlb_local();

    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = {
        GDT_WINDOW_SIZE - 1, win }, idtr = { sizeof(idt) - 1, (uint64_t)idt };
    __asm__ volatile("lgdt %0" :: "m"(gdtr));
    /* Reload CS and the data selectors from the new table. */
    __asm__ volatile("pushq %0; lea 1f(%%rip), %%rax; pushq %%rax; lretq; 1:"
                     :: "i"(HV_CS) : "rax", "memory");
    __asm__ volatile("mov %0, %%ds; mov %0, %%es; mov %0, %%ss" :: "r"(HV_DS));
    __asm__ volatile("ltr %w0" :: "r"(HV_TSS_SEL));
    /* A null LDT: the CPU's reset LDT (base 0) would let a guest selector with TI=1 read
     * descriptors, call gates included, from guest memory at VA 0. */
    __asm__ volatile("lldt %w0" :: "r"(0));

    for (unsigned v = 0; v < 256; v++)
        set_gate(v, 0, 0);
    set_gate(1, 0, IST_DB);
    set_gate(2, 0, IST_NMI);
    set_gate(8, 0, IST_DF);
    set_gate(18, 0, IST_MC);
    set_gate(3, 3, 0);       /* int3 and into are allowed from ring 3 */
    set_gate(4, 3, 0);
    __asm__ volatile("lidt %0" :: "m"(idtr));

    /* syscall: CS 0xe008/SS 0xe010 in; sysret base 0xe023 (unused: we return by iretq). */
    wrmsr(MSR_STAR, ((uint64_t)FLAT_USER_CS32_SEL << 48) | ((uint64_t)HV_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)entry_syscall);
    wrmsr(MSR_CSTAR, (uint64_t)entry_syscall32);
    wrmsr(MSR_FMASK, X86_EFLAGS_TF | X86_EFLAGS_IF | X86_EFLAGS_DF | X86_EFLAGS_AC |
                     X86_EFLAGS_NT | X86_EFLAGS_IOPL | X86_EFLAGS_RF);
    wrmsr(0x174, 0);         /* SYSENTER_CS = 0: sysenter from a guest faults (#GP) */
}
