/*
 * The register frame every entry stub of pvops builds, whatever the backend: native
 * hardware frames (native_entry.S) and Xen bounce frames (xen_entry.S) both end up as
 * struct pv_regs, so the kernel's trap handler sees one layout. Included by .S and .c:
 * the PV_REGS_* offsets are the only place the layout is written as numbers, and
 * select.c checks each of them against the struct with _Static_assert.
 */
#ifndef PVOPS_PV_REGS_H
#define PVOPS_PV_REGS_H

/* Pseudo-vectors above the 256 hardware ones: what the stub was entered for. */
#define PV_VEC_EVENT    0x100   /* event upcall (xen) or device interrupt (native) */
#define PV_VEC_FAILSAFE 0x101   /* xen: a data segment could not be reloaded */
#define PV_VEC_SYSCALL  0x102   /* `syscall` from user mode */

/* Native exception and interrupt stubs: vectors 0..31 and the 16 PIC lines after them. */
#define PV_NR_EXCEPTIONS 32
#define PV_IRQ_BASE      32
#define PV_NR_IRQS       16

/* RFLAGS.IF: the "interrupts on" bit of every irq_save() value, in every backend. */
#define PV_IRQ_ENABLED  0x200

/* struct pv_regs, lowest address first (the stubs push it in reverse). */
#define PV_REGS_R15     0x00
#define PV_REGS_R14     0x08
#define PV_REGS_R13     0x10
#define PV_REGS_R12     0x18
#define PV_REGS_RBP     0x20
#define PV_REGS_RBX     0x28
#define PV_REGS_R10     0x30
#define PV_REGS_R9      0x38
#define PV_REGS_R8      0x40
#define PV_REGS_RDI     0x48
#define PV_REGS_RSI     0x50
#define PV_REGS_RDX     0x58
#define PV_REGS_RAX     0x60
#define PV_REGS_R11     0x68
#define PV_REGS_RCX     0x70
#define PV_REGS_VECTOR  0x78
#define PV_REGS_ERROR   0x80    /* error code; the IRQ line for a native interrupt */
#define PV_REGS_RIP     0x88
#define PV_REGS_CS      0x90
#define PV_REGS_RFLAGS  0x98
#define PV_REGS_RSP     0xa0
#define PV_REGS_SS      0xa8
#define PV_REGS_SIZE    0xb0

#ifndef __ASSEMBLY__
#include <stdint.h>

struct pv_regs {
    /* 0x00 */ uint64_t r15, r14, r13, r12;
    /* 0x20 */ uint64_t rbp, rbx;
    /* 0x30 */ uint64_t r10, r9, r8;
    /* 0x48 */ uint64_t rdi, rsi, rdx;
    /* 0x60 */ uint64_t rax, r11, rcx;
    /* 0x78 */ uint64_t vector;      /* 0-255, or PV_VEC_* */
    /* 0x80 */ uint64_t error_code;
    /* 0x88 */ uint64_t rip;
    /* 0x90 */ uint64_t cs;          /* RPL 3: interrupted in user mode (xen clears the
                                        RPL of a guest-kernel frame; bits 32-39 hold
                                        its saved upcall mask) */
    /* 0x98 */ uint64_t rflags;
    /* 0xa0 */ uint64_t rsp;
    /* 0xa8 */ uint64_t ss;
};

static inline int pv_user_mode(const struct pv_regs *r)
{
    return (r->cs & 3) == 3;
}

/* The kernel's one C entry: every stub calls it, then returns to the frame. */
typedef void (*pv_trap_fn)(struct pv_regs *regs);
#endif

#endif
