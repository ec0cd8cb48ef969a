/*
 * Exception, callback and user-mode entry for the test guests, and the way back out.
 * Every entry ends up in do_exception() (traps.c) with a struct cpu_regs (frame.h), and
 * every return to the interrupted context goes through the iret hypercall, never a
 * native iretq, so each trap also exercises HYPERVISOR_iret.
 *
 *    native 64-bit frame (ring 0)         Xen PV bounce frame (what the guest gets)
 *    ----------------------------         ------------------------------------------
 *                                          +0x38  SS
 *    +0x28  SS                             +0x30  RSP
 *    +0x20  RSP                            +0x28  RFLAGS (IF = !upcall mask)
 *    +0x18  RFLAGS                         +0x20  CS (RPL 0 if from kernel mode)
 *    +0x10  CS                                      | saved upcall mask << 32
 *    +0x08  RIP                            +0x18  RIP
 *    +0x00  [error code]   <- RSP          +0x10  [error code]
 *                                          +0x08  R11 (Xen enters by sysret-like means,
 *                                          +0x00  RCX  so both are saved here) <- RSP
 *
 * Each stub pops RCX and R11 back into their registers, pushes a 0 error code when the
 * vector has none, pushes its vector number, and jumps to exception_common, which pushes
 * the other GPRs: the result is struct cpu_regs, lowest field at RSP.
 * The failsafe callback frame has DS, ES, FS, GS between R11 and RIP: we drop them.
 *
 * Way out: pop every GPR, drop vector and error code, push the iret flags word (0: a
 * full return that restores RCX/R11) in the error-code slot and jump to the iret slot of
 * the hypercall page, which pushes RCX, R11, RAX (struct iret_context) and never returns.
 */
#include "frame.h"
#include "guest-regs.h"

#define HYPERCALL_IRET_SLOT (hypercall_page + 23 * 32)

/* Vectors for which the CPU pushes an error code. */
#define HAS_EC(v) (((v) == 8) || (((v) >= 10) && ((v) <= 14)) || ((v) == 17) || \
                   ((v) == 21) || ((v) == 29) || ((v) == 30))

    .text
    .code64

/*
 * Vector stubs 0 .. NR_VECTOR_STUBS-1, 16 bytes apart: the stub of vector v is at
 * vector_stubs + 16 * v (vector_stub_address() in traps.c).
 */
    .balign 16
    .globl vector_stubs
vector_stubs:
    .set vec, 0
    .rept NR_VECTOR_STUBS
    pop   %rcx
    pop   %r11
    .if HAS_EC(vec) == 0
    push  $0                    /* dummy error code */
    .endif
    push  $vec
    jmp   exception_common
    .org  vector_stubs + 16 * (vec + 1), 0xcc   /* errors out if a stub outgrows 16 */
    .set vec, vec + 1
    .endr

/* Event upcall: C calls the test's upcall hook, or panics if there is none. */
    .globl entry_event
entry_event:
    pop   %rcx
    pop   %r11
    push  $0
    push  $VEC_EVENT
    jmp   exception_common

/* Failsafe: Xen could not load our data segments. Drop DS/ES/FS/GS, C panics. */
    .globl entry_failsafe
entry_failsafe:
    pop   %rcx
    pop   %r11
    add   $32, %rsp
    push  $0
    push  $VEC_FAILSAFE
    jmp   exception_common

/* syscall from user mode (from kernel mode it is a hypercall and never gets here). */
    .globl entry_syscall
entry_syscall:
    pop   %rcx
    pop   %r11
    push  $0
    push  $VEC_SYSCALL
    jmp   exception_common

exception_common:
    /* Save the GPRs: after these pushes RSP points at struct cpu_regs. */
    SAVE_GPRS

    /* Call C. Xen aligned the frame to 16 bytes: 0xb0 bytes later RSP is still aligned. */
    mov   %rsp, %rdi
    cld
    call  do_exception

    /* Restore the GPRs, possibly changed by C (a fixup may set RIP, a handler RAX). */
    RESTORE_GPRS
    add   $16, %rsp             /* vector and error code */

    /* HYPERVISOR_iret: flags word, then the page slot pushes RCX, R11, RAX. */
    push  $0
    jmp   HYPERCALL_IRET_SLOT

/*
 * unsigned long exec_user(unsigned long (*fn)(void));
 * Runs fn in user mode on the user stack and returns its result. The way in is an iret
 * with a ring-3 CS (Xen switches to the user page tables); the way back is int $0x20
 * from exec_user_tramp, whose handler calls exec_user_return().
 */
    .globl exec_user
exec_user:
    push  %rbp
    push  %rbx
    push  %r12
    push  %r13
    push  %r14
    push  %r15
    mov   %rsp, exec_user_ksp(%rip)

    push  $SEL_USER_SS                   /* SS */
    lea   user_stack_top(%rip), %rax
    push  %rax                           /* RSP */
    push  $0x2                           /* RFLAGS: IF clear keeps events masked */
    push  $SEL_USER_CS                   /* CS, RPL 3: to user mode */
    lea   exec_user_tramp(%rip), %rax
    push  %rax                           /* RIP */
    push  $0                             /* iret flags */
    mov   %rdi, %rax                     /* fn: RAX is restored from the iret frame */
    jmp   HYPERCALL_IRET_SLOT

/* User mode from here: call fn, then hand its result (RAX) back through int $0x20. */
exec_user_tramp:
    call  *%rax
    .globl exec_user_int
exec_user_int:                           /* traps.c recognises a #GP here too */
    int   $VEC_RET2KERN
    ud2

/* void exec_user_return(unsigned long result): back onto exec_user's frame. */
    .globl exec_user_return
exec_user_return:
    mov   %rdi, %rax
    mov   exec_user_ksp(%rip), %rsp
    movq  $0, exec_user_ksp(%rip)
    pop   %r15
    pop   %r14
    pop   %r13
    pop   %r12
    pop   %rbx
    pop   %rbp
    ret

    .bss
    .balign 8
    .globl exec_user_ksp
exec_user_ksp:                           /* exec_user's kernel RSP; 0 when not in use */
    .quad 0
