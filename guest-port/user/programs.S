/*
 * The user programs, embedded in the kernel image: each ELF (built from user/<name>.c,
 * found through the assembler's include path) and a table of { name, start, end }
 * ending in a NULL name (proc.c). USER_PROGRAMS comes from the Makefile: the user-y
 * list of guest-port/Kbuild, comma-separated.
 */
    .section .rodata.programs, "a"
    .irp name, USER_PROGRAMS
    .balign 16
program_\name\()_start:
    .incbin "\name\().elf"
program_\name\()_end:
program_\name\()_name:
    .asciz "\name"
    .endr

    .balign 8
    .globl programs
programs:
    .irp name, USER_PROGRAMS
    .quad program_\name\()_name, program_\name\()_start, program_\name\()_end
    .endr
    .quad 0, 0, 0

    .section .note.GNU-stack, "", @progbits
