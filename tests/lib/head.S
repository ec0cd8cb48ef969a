/*
 * The first code of every test guest: the Xen ELF notes the domain builder reads, the
 * three stacks, and _start, which the builder enters in kernel mode with RSI = the
 * start_info page. _start moves onto our own boot stack and calls start_kernel()
 * (setup.c), which never returns.
 */
#include "xen-elfnote.h"
#include "frame.h"

    /* No VIRT_BASE and no ENTRY: virt_base is 0, VA == pseudo-physical address, and
     * the entry point is e_entry (_start). */
    xen_note XEN_ELFNOTE_GUEST_OS,       str, "Parapet-test"
    xen_note XEN_ELFNOTE_GUEST_VERSION,  str, "0"
    xen_note XEN_ELFNOTE_LOADER,         str, "generic"
    xen_note XEN_ELFNOTE_XEN_VERSION,    str, "xen-3.0"
    xen_note XEN_ELFNOTE_HYPERCALL_PAGE, int, hypercall_page
    xen_note XEN_ELFNOTE_FEATURES,       str, "!writable_page_tables|pae_pgdir_above_4gb"
    xen_note XEN_ELFNOTE_PAE_MODE,       str, "yes"

    .section .text.head, "ax", @progbits
    .code64
    .globl _start
    .type _start, @function
_start:
    mov   %rsi, %rdi                   /* start_info: first argument of start_kernel */
    lea   boot_stack_top(%rip), %rsp   /* leave the builder's stack for our own */
    xor   %ebp, %ebp                   /* terminate frame-pointer chains */
    call  start_kernel
    ud2                                /* start_kernel never returns */
    .size _start, . - _start

    /*
     * Stacks, all in .bss (the builder zero-fills it):
     *   boot stack    start_kernel() and test_main() run here;
     *   kernel stack  given to stack_switch: Xen builds the bounce frame of every
     *                 user -> kernel transition at its top;
     *   user stack    what exec_user() runs its function on, in user mode.
     */
    .section .bss.page_aligned, "aw", @nobits
    .balign PAGE_SIZE
    .globl boot_stack_top, kernel_stack_top, user_stack_top
boot_stack:
    .skip 4 * PAGE_SIZE
boot_stack_top:
kernel_stack:
    .skip 2 * PAGE_SIZE
kernel_stack_top:
user_stack:
    .skip 2 * PAGE_SIZE
user_stack_top:
