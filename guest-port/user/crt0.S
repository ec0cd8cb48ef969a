/*
 * The first instructions of a user program: the kernel enters _start with RSP at the top
 * of the user stack (16-byte aligned); main()'s return value is the exit status.
 */
#include "uapi.h"

    .section .text.start, "ax", @progbits
    .globl _start
_start:
    xor   %ebp, %ebp
    call  main
    mov   %eax, %edi
    mov   $SYS_exit, %eax
    syscall
    ud2

    .section .note.GNU-stack, "", @progbits
