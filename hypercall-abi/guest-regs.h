/*
 * How the guests of this tree (tests/lib's struct cpu_regs, pvops' struct pv_regs) save
 * the general registers right after an entry frame, as gas macros: RCX first, so it lies
 * highest, R15 last, at offset 0 of the struct; RESTORE_GPRS pops in the reverse order.
 * Assembly only.
 */
#ifndef PARAPET_GUEST_REGS_H
#define PARAPET_GUEST_REGS_H

.macro SAVE_GPRS
    push  %rcx
    push  %r11
    push  %rax
    push  %rdx
    push  %rsi
    push  %rdi
    push  %r8
    push  %r9
    push  %r10
    push  %rbx
    push  %rbp
    push  %r12
    push  %r13
    push  %r14
    push  %r15
.endm

.macro RESTORE_GPRS
    pop   %r15
    pop   %r14
    pop   %r13
    pop   %r12
    pop   %rbp
    pop   %rbx
    pop   %r10
    pop   %r9
    pop   %r8
    pop   %rdi
    pop   %rsi
    pop   %rdx
    pop   %rax
    pop   %r11
    pop   %rcx
.endm

#endif
