/*
 * The register frame every entry into the hypervisor builds (the same for syscall,
 * exceptions and interrupts, so one return path serves all), and the per-CPU block
 * that %gs points at while the hypervisor runs. Offsets used by the entry assembly are
 * generated from these structs (arch/x86_64/asm-offsets.c), never written by hand.
 */
#ifndef HV_CPU_H
#define HV_CPU_H

#include <stdint.h>
#include <stddef.h>

struct cpu_regs {
    /* 0x00 */ uint64_t r15, r14, r13, r12;
    /* 0x20 */ uint64_t rbp, rbx, r11, r10;
    /* 0x40 */ uint64_t r9, r8, rax, rcx;
    /* 0x60 */ uint64_t rdx, rsi, rdi;
    /* 0x78 */ uint64_t vector;      /* pushed by the stub; VEC_SYSCALL for syscall */
    /* 0x80 */ uint64_t error_code;  /* hardware's, or 0 */
    /* 0x88 */ uint64_t rip, cs, rflags, rsp, ss;  /* the hardware iret frame */
};
_Static_assert(sizeof(struct cpu_regs) == 0xb0, "cpu_regs layout");
_Static_assert(offsetof(struct cpu_regs, vector) == 0x78, "vector offset");
_Static_assert(offsetof(struct cpu_regs, rip) == 0x88, "iret frame offset");

#define VEC_SYSCALL   0x100   /* 64-bit syscall instruction */
#define VEC_SYSCALL32 0x101   /* syscall from 32-bit compatibility mode */

struct vcpu;

struct tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

struct percpu {
    struct percpu *self;     /* %gs:0 */
    uint64_t stack_top;      /* the frame of the current guest sits just below */
    uint64_t scratch_rsp;    /* guest rsp during syscall entry */
    struct vcpu *current;
    uint32_t cpu_id;
    struct tss64 tss __attribute__((aligned(16)));
};

extern struct percpu percpu_area[];

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* The guest's frame: always at the top of this CPU's stack while it is in the
 * hypervisor. */
static inline struct cpu_regs *guest_regs(void)
{
    return (struct cpu_regs *)(this_cpu()->stack_top - sizeof(struct cpu_regs));
}

static inline struct vcpu *current_vcpu(void) { return this_cpu()->current; }

void desc_init(void);                 /* GDT, TSS, IDT, syscall MSRs for this CPU */
void desc_load_guest_gdt(struct vcpu *v);  /* map v's GDT frames into the window */
void exception_dispatch(struct cpu_regs *regs);  /* from entry.S */
void syscall_dispatch(struct cpu_regs *regs);    /* from entry.S */
void paranoid_dispatch(struct cpu_regs *regs);   /* IST vectors, from entry.S */
void prepare_return_to_guest(struct cpu_regs *regs);
/* Leave the hypervisor for the guest frame at the top of the stack; never returns. */
void return_to_guest_now(void) __attribute__((noreturn));
/* Reset this CPU's stack and call fn on it; never returns. */
void reset_stack_and_call(void (*fn)(void)) __attribute__((noreturn));

extern char iret_to_guest_insn[];

#endif
