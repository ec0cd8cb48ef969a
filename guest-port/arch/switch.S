/*
 * Switching kernel stacks between tasks. switch_to saves the callee-saved registers on
 * the old task's stack and its stack pointer in *prev_ksp, then resumes the new task
 * where its own switch_to saved it. A new task's stack (sched.c, task_alloc) holds six
 * zero registers and task_trampoline as the return address:
 *
 *    top - 0x08   task_trampoline       <- ret lands here, RSP = top (16-byte aligned)
 *    top - 0x10   r15 = 0
 *    ...
 *    top - 0x38   rbp = 0               <- ksp
 */
    .text
    .code64

/* void switch_to(uint64_t *prev_ksp, uint64_t next_ksp) */
    .globl switch_to
switch_to:
    push  %r15
    push  %r14
    push  %r13
    push  %r12
    push  %rbx
    push  %rbp
    mov   %rsp, (%rdi)                  /* the old task stops here */
    mov   %rsi, %rsp                    /* the new one resumes where it stopped */
    pop   %rbp
    pop   %rbx
    pop   %r12
    pop   %r13
    pop   %r14
    pop   %r15
    ret

/* A new task's first instructions: on its own stack, interrupts off. */
    .globl task_trampoline
task_trampoline:
    call  task_first_run
    ud2

    .section .note.GNU-stack, "", @progbits
