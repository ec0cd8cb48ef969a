/*
 * The saved-register frame the exception stubs of entry.S build, and the constants the
 * assembly shares with C (selectors, pseudo-vectors, stack sizes). Included by .S and .c:
 * the REGS_* offsets are the only place the layout is written as numbers, and
 * traps.c checks every one of them against struct cpu_regs with _Static_assert.
 */
#ifndef PARAPET_TEST_FRAME_H
#define PARAPET_TEST_FRAME_H

/* Xen's flat selectors (xen/arch-x86/xen-x86_64.h): kernel and user both run in ring 3. */
#define SEL_KERNEL_CS   0xe033
#define SEL_KERNEL_SS   0xe02b
#define SEL_USER_CS     0xe033
#define SEL_USER_SS     0xe02b

/* Vector 0x20: "return to kernel", the int a user-mode exec_user() ends with. */
#define VEC_RET2KERN    0x20
/* The entry stubs exist for vectors 0 .. NR_VECTOR_STUBS-1. */
#define NR_VECTOR_STUBS 0x30
/* Pseudo-vectors for the three callbacks, so C can tell them apart from exceptions. */
#define VEC_EVENT       0x100
#define VEC_FAILSAFE    0x101
#define VEC_SYSCALL     0x102

#define PAGE_SIZE       4096

/* struct cpu_regs, lowest address first: the order entry.S pushes in reverse. */
#define REGS_R15        0x00
#define REGS_R14        0x08
#define REGS_R13        0x10
#define REGS_R12        0x18
#define REGS_RBP        0x20
#define REGS_RBX        0x28
#define REGS_R10        0x30
#define REGS_R9         0x38
#define REGS_R8         0x40
#define REGS_RDI        0x48
#define REGS_RSI        0x50
#define REGS_RDX        0x58
#define REGS_RAX        0x60
#define REGS_R11        0x68
#define REGS_RCX        0x70
#define REGS_VECTOR     0x78
#define REGS_ERROR_CODE 0x80   /* becomes the iret "flags" word on the way out */
#define REGS_RIP        0x88
#define REGS_CS         0x90   /* bits 32-39: the upcall mask before delivery */
#define REGS_RFLAGS     0x98
#define REGS_RSP        0xa0
#define REGS_SS         0xa8
#define REGS_SIZE       0xb0

#ifndef __ASSEMBLY__
#include <stdint.h>

struct cpu_regs {
    /* 0x00 */ uint64_t r15, r14, r13, r12;
    /* 0x20 */ uint64_t rbp, rbx;
    /* 0x30 */ uint64_t r10, r9, r8;
    /* 0x48 */ uint64_t rdi, rsi, rdx;
    /* 0x60 */ uint64_t rax, r11, rcx;
    /* 0x78 */ uint64_t vector;      /* 0-255 exception/int, or VEC_EVENT... */
    /* 0x80 */ uint64_t error_code;  /* 0 when the vector has none */
    /* 0x88 */ uint64_t rip;
    /* 0x90 */ uint16_t cs;          /* RPL 0 = interrupted in kernel mode, 3 = user */
    /* 0x92 */ uint16_t _pad0;
    /* 0x94 */ uint8_t  saved_upcall_mask;
    /* 0x95 */ uint8_t  _pad1[3];
    /* 0x98 */ uint64_t rflags;
    /* 0xa0 */ uint64_t rsp;
    /* 0xa8 */ uint64_t ss;
};
#endif

#endif
