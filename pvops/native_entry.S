/*
 * Native entry and exit (used by the native and trap backends): one 16-byte stub per
 * exception and PIC interrupt, the `syscall` entry, and the two ways back, iretq and
 * sysretq. Every entry builds struct pv_regs and calls pv_trap_handler.
 *
 *    hardware frame (ring 0)            what the stub adds        struct pv_regs
 *    +0x20  SS                                                    0xa8 ss
 *    +0x18  RSP                                                   0xa0 rsp
 *    +0x10  RFLAGS                                                0x98 rflags
 *    +0x08  CS                                                    0x90 cs
 *    +0x00  RIP                                                   0x88 rip
 *    [error code: some exceptions]      0 if none; IRQ line       0x80 error_code
 *                                       vector (PV_VEC_EVENT      0x78 vector
 *                                       for an interrupt)
 *                                       RCX ... R15 (SAVE_GPRS)   0x70 .. 0x00
 *
 * `syscall` switches no stack and pushes nothing: the entry saves the user RSP, loads
 * native_syscall_rsp (the current thread's kernel stack top, load_kernel_stack) and
 * pushes the same frame by hand (RIP from RCX, RFLAGS from R11). One CPU, and FMASK
 * clears IF, so one scratch word for the user RSP is enough.
 */
#include "entry.h"
#include "native_sel.h"

    .text
    .code64

/* Stubs 0 .. PV_NR_EXCEPTIONS + PV_NR_IRQS - 1: vector v's is native_vector_stubs + 16 v. */
    .balign 16
    .globl native_vector_stubs
native_vector_stubs:
    .set vec, 0
    .rept PV_NR_EXCEPTIONS + PV_NR_IRQS
    .if vec < PV_NR_EXCEPTIONS
    .if HAS_ERROR_CODE(vec) == 0
    push  $0                            /* no error code: a zero in its place */
    .endif
    push  $vec
    .else
    push  $(vec - PV_IRQ_BASE)          /* the PIC line, in the error-code slot */
    push  $PV_VEC_EVENT
    .endif
    jmp   native_common
    .org  native_vector_stubs + 16 * (vec + 1), 0xcc
    .set vec, vec + 1
    .endr

native_common:
    SAVE_GPRS
    CALL_HANDLER
    /* fall through: return to the frame at RDI */

/* void native_iret(const struct pv_regs *regs): back to any frame (the handler runs
 * and returns with interrupts off, so the frame is not disturbed while we leave). */
    .globl native_iret
native_iret:
    mov   %rdi, %rsp
    RESTORE_GPRS
    add   $16, %rsp                     /* vector, error code */
    iretq

/* `syscall` from user mode (LSTAR). */
    .globl native_syscall_entry
native_syscall_entry:
    mov   %rsp, native_user_rsp(%rip)
    mov   native_syscall_rsp(%rip), %rsp
    push  $NATIVE_USER_DS               /* SS */
    push  native_user_rsp(%rip)         /* RSP */
    push  %r11                          /* RFLAGS, as syscall saved them */
    push  $NATIVE_USER_CS               /* CS */
    push  %rcx                          /* RIP: the instruction after syscall */
    push  $0
    push  $PV_VEC_SYSCALL
    SAVE_GPRS
    CALL_HANDLER
    /* fall through */

/* void native_sysret(const struct pv_regs *regs): back from a syscall. RCX and R11
 * take RIP and RFLAGS (sysret's inputs); the frame's RIP is the one syscall saved,
 * canonical, so sysret cannot fault in ring 0. */
    .globl native_sysret
native_sysret:
    mov   %rdi, %rsp
    RESTORE_GPRS
    add   $16, %rsp                     /* vector, error code */
    mov   0x00(%rsp), %rcx              /* RIP */
    mov   0x10(%rsp), %r11              /* RFLAGS */
    mov   0x18(%rsp), %rsp              /* user RSP: no stack use from here */
    sysretq

    .bss
    .balign 8
    .globl native_syscall_rsp
native_syscall_rsp:
    .quad 0
native_user_rsp:
    .quad 0

    .section .note.GNU-stack, "", @progbits
