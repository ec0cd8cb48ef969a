/*
 * Assembly shared by native_entry.S and xen_entry.S: which vectors carry an error code,
 * the push/pop of the general registers that turns an entry frame into struct pv_regs
 * (SAVE_GPRS and RESTORE_GPRS of hypercall-abi/guest-regs.h, tests/lib's order too), and
 * the call of the kernel's handler.
 */
#ifndef PVOPS_ENTRY_H
#define PVOPS_ENTRY_H

#include "pv_regs.h"
#include "guest-regs.h"

/* Vectors for which the CPU (and Xen's bounce frame) carry an error code. */
#define HAS_ERROR_CODE(v) (((v) == 8) || (((v) >= 10) && ((v) <= 14)) || ((v) == 17) || \
                           ((v) == 21) || ((v) == 29) || ((v) == 30))

/* The C call every stub makes once struct pv_regs is complete: the frame is 0xb0 bytes
 * above a 16-byte aligned stack pointer (hardware and Xen both align it), so the call
 * is made with an aligned stack. */
.macro CALL_HANDLER
    mov   %rsp, %rdi
    cld
    call  *pv_trap_handler(%rip)
    mov   %rsp, %rdi
.endm

#endif
