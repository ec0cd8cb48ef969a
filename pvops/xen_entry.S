/*
 * Xen PV entry and exit (used by the xen and the trap backends: Parapet delivers a
 * trap guest's exceptions, events and syscalls as bounce frames too):
 * one 16-byte stub per exception for the trap table, the event, failsafe and syscall
 * callbacks, and the way back through HYPERVISOR_iret. Every entry builds struct
 * pv_regs and calls pv_trap_handler.
 *
 *    Xen bounce frame                   what the stub does        struct pv_regs
 *    +0x38  SS                                                    0xa8 ss
 *    +0x30  RSP                                                   0xa0 rsp
 *    +0x28  RFLAGS (IF = !upcall mask)                            0x98 rflags
 *    +0x20  CS (RPL 0 from kernel mode,                           0x90 cs
 *               saved mask in bits 32-39)
 *    +0x18  RIP                                                   0x88 rip
 *    +0x10  [error code]                0 if none                 0x80 error_code
 *    +0x08  R11                         popped into R11           0x78 vector
 *    +0x00  RCX                         popped into RCX           (RCX .. R15 pushed)
 *
 * The failsafe frame has DS, ES, FS, GS between R11 and RIP: dropped. The way out pops
 * the registers, drops vector and error code, pushes the iret flags word and jumps to
 * the iret slot of the hypercall page, which pushes RCX, R11, RAX (struct iret_context).
 */
#include "entry.h"
#include <xen/xen.h>

#define HYPERCALL_IRET_SLOT (hypercall_page + __HYPERVISOR_iret * 32)

    .text
    .code64

/* Trap-table stubs 0 .. PV_NR_EXCEPTIONS - 1: vector v's is xen_vector_stubs + 16 v. */
    .balign 16
    .globl xen_vector_stubs
xen_vector_stubs:
    .set vec, 0
    .rept PV_NR_EXCEPTIONS
    pop   %rcx
    pop   %r11
    .if HAS_ERROR_CODE(vec) == 0
    push  $0
    .endif
    push  $vec
    jmp   xen_common
    .org  xen_vector_stubs + 16 * (vec + 1), 0xcc
    .set vec, vec + 1
    .endr

    .globl xen_event_entry
xen_event_entry:
    pop   %rcx
    pop   %r11
    push  $0
    push  $PV_VEC_EVENT
    jmp   xen_common

    .globl xen_failsafe_entry
xen_failsafe_entry:
    pop   %rcx
    pop   %r11
    add   $32, %rsp                     /* DS, ES, FS, GS */
    push  $0
    push  $PV_VEC_FAILSAFE
    jmp   xen_common

/* The syscall callback: the xen backend leaves by HYPERVISOR_iret, the trap backend by
 * sysretq (which traps and is emulated). */
.macro SYSCALL_ENTRY name, exit
    .globl \name
\name:
    pop   %rcx
    pop   %r11
    push  $0
    push  $PV_VEC_SYSCALL
    SAVE_GPRS
    CALL_HANDLER
    jmp   \exit
.endm
    SYSCALL_ENTRY xen_syscall_entry, xen_sysret
    SYSCALL_ENTRY trap_syscall_entry, native_sysret

xen_common:
    SAVE_GPRS
    CALL_HANDLER
    /* fall through */

/* void xen_iret(const struct pv_regs *regs): back to any frame, every register. */
    .globl xen_iret
xen_iret:
    mov   %rdi, %rsp
    RESTORE_GPRS
    add   $16, %rsp                     /* vector, error code */
    push  $0                            /* iret flags: restore RCX and R11 too */
    jmp   HYPERCALL_IRET_SLOT

/* void xen_sysret(const struct pv_regs *regs): back from a syscall; RCX and R11 are
 * the syscall's to clobber, so the hypervisor need not restore them. */
    .globl xen_sysret
xen_sysret:
    mov   %rdi, %rsp
    RESTORE_GPRS
    add   $16, %rsp
    push  $VGCF_in_syscall
    jmp   HYPERCALL_IRET_SLOT

    .section .note.GNU-stack, "", @progbits
