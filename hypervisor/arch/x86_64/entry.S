/*
 * Every way into the hypervisor from a guest, and the one way back.
 *
 * All entries build the same frame (struct cpu_regs, include/cpu.h) at the top of the
 * per-CPU stack, so C finds the guest's state at this_cpu()->stack_top - REGS_size:
 *
 *      stack_top ->  +------------+
 *              0xa8  | ss         |  \
 *              0xa0  | rsp        |   |  pushed by the CPU (exception from ring 3)
 *              0x98  | rflags     |   |  or by entry_syscall (syscall does not
 *              0x90  | cs         |   |  switch stacks or push anything)
 *              0x88  | rip        |  /
 *              0x80  | error_code |  the CPU's, or 0 pushed by the stub
 *              0x78  | vector     |  0..255, VEC_SYSCALL, VEC_SYSCALL32
 *              0x70  | rdi .. r15 |  SAVE_GPRS, r15 lowest
 *      rsp ->  0x00  +------------+
 *
 * The guest runs with its own %gs base; the hypervisor's per-CPU block is reached
 * with swapgs on entry from ring 3 and swapgs again just before iretq. Returns always
 * use iretq (never sysret: no non-canonical-RCX hazard, security invariant A20).
 */
#include "config.h"
#include "asm-offsets.h"

.macro SAVE_GPRS
    push %rdi
    push %rsi
    push %rdx
    push %rcx
    push %rax
    push %r8
    push %r9
    push %r10
    push %r11
    push %rbx
    push %rbp
    push %r12
    push %r13
    push %r14
    push %r15
.endm

.macro RESTORE_GPRS
    pop %r15
    pop %r14
    pop %r13
    pop %r12
    pop %rbp
    pop %rbx
    pop %r11
    pop %r10
    pop %r9
    pop %r8
    pop %rax
    pop %rcx
    pop %rdx
    pop %rsi
    pop %rdi
.endm

    .text

/* syscall: a hypercall from guest kernel mode, a system call from guest user mode.
 * RCX = guest rip, R11 = guest rflags; interrupts are off (FMASK). */
    .globl entry_syscall
entry_syscall:
    swapgs
    mov %rsp, %gs:PERCPU_scratch_rsp
    mov %gs:PERCPU_stack_top, %rsp
    push $FLAT_GUEST_DS                 /* ss */
    push %gs:PERCPU_scratch_rsp         /* rsp */
    push %r11                           /* rflags */
    push $FLAT_GUEST_CS64               /* cs */
    push %rcx                           /* rip */
    push $0                             /* error_code */
    push $VEC_SYSCALL_ASM               /* vector */
    jmp syscall_common

/* syscall from 32-bit compatibility mode: same frame, its own vector. */
    .globl entry_syscall32
entry_syscall32:
    swapgs
    mov %rsp, %gs:PERCPU_scratch_rsp
    mov %gs:PERCPU_stack_top, %rsp
    push $FLAT_GUEST_DS
    push %gs:PERCPU_scratch_rsp
    push %r11
    push $FLAT_USER_CS32_SEL
    push %rcx
    push $0
    push $VEC_SYSCALL32_ASM
syscall_common:
    SAVE_GPRS
    mov %rsp, %rdi
    call syscall_dispatch
    jmp return_to_guest

/* Exception stubs, 16 bytes apart: push a 0 error code where the CPU pushes none,
 * push the vector, join exception_common. desc.c points the IDT at them. */
    .balign 16
    .globl exception_stubs
exception_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if !((vec == 8) || (vec >= 10 && vec <= 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30))
    push $0
    .endif
    .if (vec == 1) || (vec == 2) || (vec == 8) || (vec == 18)
    push $vec
    jmp paranoid_common                 /* IST vectors: %gs may be either */
    .else
    push $vec
    jmp exception_common
    .endif
    .set vec, vec + 1
    .endr

exception_common:
    testb $3, REGS_cs - REGS_vector(%rsp)
    jnz 1f
    /* From ring 0. The only ring-0 fault that can see the guest's %gs is the
     * iretq below (a bad guest frame): swap back to ours. */
    push %rax
    lea iret_to_guest_insn(%rip), %rax
    cmp %rax, REGS_rip - REGS_vector + 8(%rsp)
    pop %rax                            /* pop leaves the flags alone */
    jne 2f
1:  swapgs
2:  SAVE_GPRS
    cld                                 /* the CPU keeps a guest's DF=1: C needs DF=0 */
    mov %rsp, %rdi
    call exception_dispatch
    testb $3, REGS_cs(%rsp)
    jnz return_to_guest
    RESTORE_GPRS                        /* back into the hypervisor (fixups) */
    add $16, %rsp
    iretq

/* #DB, NMI, #DF, #MC arrive on their own IST stacks and may interrupt the few
 * instructions where %gs is the guest's. From guest mode (CS RPL 3) %gs is always the
 * guest's: swapgs, exactly like exception_common, so KERNEL_GS_BASE keeps the guest's
 * active base (toggle_guest_mode relies on it). From ring 0 it may be either, and the
 * guest chooses its GS base freely (any canonical value, even one inside our per-CPU
 * block), so nothing about the value can be trusted: save GS_BASE, load ours, put the
 * saved one back on the way out. rbx = 1 (swapped) or 0 (saved in r12:r13). */
#if MAX_CPUS != 1
#error "paranoid_common loads percpu_area[0]: find this CPU's block (IST stack)"
#endif
paranoid_common:
    SAVE_GPRS
    cld                                 /* as in exception_common */
    xor %ebx, %ebx
    testb $3, REGS_cs(%rsp)
    jz 1f
    swapgs                              /* from the guest */
    mov $1, %ebx
    jmp 3f
1:  mov $0xC0000101, %ecx               /* MSR_GS_BASE, from ring 0 */
    rdmsr
    mov %eax, %r12d
    mov %edx, %r13d
    lea percpu_area(%rip), %rax
    mov %rax, %rdx
    shr $32, %rdx
    wrmsr
3:  mov %rsp, %rdi
    call paranoid_dispatch              /* rbx, r12, r13 are callee-saved */
    test %ebx, %ebx
    jz 4f
    swapgs
    jmp 5f
4:  mov $0xC0000101, %ecx
    mov %r12d, %eax
    mov %r13d, %edx
    wrmsr
5:  RESTORE_GPRS
    add $16, %rsp
    iretq

/* Leave for the guest whose frame is at %rsp: last checks in C (pending events,
 * sanitised flags), then restore and iretq with the guest's %gs. */
    .globl return_to_guest
return_to_guest:
    cli
    mov %rsp, %rdi
    call prepare_return_to_guest
    RESTORE_GPRS
    add $16, %rsp
    swapgs
    .globl iret_to_guest_insn
iret_to_guest_insn:
    iretq

/* return_to_guest_now(void): enter the guest frame at the top of this CPU's stack. */
    .globl return_to_guest_now
return_to_guest_now:
    mov %gs:PERCPU_stack_top, %rsp
    sub $REGS_size, %rsp
    jmp return_to_guest

/* reset_stack_and_call(fn): abandon whatever is on this CPU's stack (a domain that
 * died mid-hypercall) and run fn on a fresh one. Leaves room for a guest frame. */
    .globl reset_stack_and_call
reset_stack_and_call:
    mov %gs:PERCPU_stack_top, %rsp
    sub $REGS_size, %rsp
    xor %ebp, %ebp
    call *%rdi
    ud2

    .section .note.GNU-stack, "", @progbits
