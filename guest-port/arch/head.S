/*
 * The two ways into guest-port, in one ELF image linked at 1 MiB (VA == pseudo-physical
 * address): the Xen PV entry _start (the Xen notes below; the domain builder enters it
 * in ring 3 with RSI = start_info) and the multiboot entry start32 (the header below,
 * with address fields, for QEMU -kernel on the flat image build/guest-port/kernel.bin;
 * entered in 32-bit protected mode, paging off). Both reach pvops (pv_boot_xen or
 * pv_boot_multiboot: the p2m and the backend) and then kernel_main(), on boot_stack.
 */
#include "xen-elfnote.h"

#define PAGE_SIZE           4096
#define BOOT_STACK_SIZE     (4 * PAGE_SIZE)
#define MB_MAGIC            0x1badb002
#define MB_FLAGS            ((1 << 1) | (1 << 16))  /* memory info, address fields */
#define PTE_P_RW            0x003
/* The native boot tables map the first BOOT_L1_TABLES * 2 MiB with 4 KiB pages, the
 * granularity the kernel's own page-table code expects to find. */
#define BOOT_L1_TABLES      4

    /* No VIRT_BASE, no ENTRY: virt_base 0, entry e_entry (_start). */
    xen_note XEN_ELFNOTE_GUEST_OS,       str, "Parapet-guest-port"
    xen_note XEN_ELFNOTE_GUEST_VERSION,  str, "1"
    xen_note XEN_ELFNOTE_LOADER,         str, "generic"
    xen_note XEN_ELFNOTE_XEN_VERSION,    str, "xen-3.0"
    xen_note XEN_ELFNOTE_HYPERCALL_PAGE, int, hypercall_page
    xen_note XEN_ELFNOTE_FEATURES,       str, "!writable_page_tables|pae_pgdir_above_4gb"
    xen_note XEN_ELFNOTE_PAE_MODE,       str, "yes"

/* Multiboot header: first in the image, so in the first 8 KiB of kernel.bin. */
    .section .multiboot, "a"
    .balign 4
    .globl multiboot_header
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long multiboot_header              /* header_addr */
    .long _image_start                  /* load_addr: byte 0 of kernel.bin */
    .long _load_end                     /* load_end_addr */
    .long _end                          /* bss_end_addr */
    .long start32                       /* entry_addr */

/* ---- the Xen PV entry ------------------------------------------------------------- */
    .section .text.head, "ax", @progbits
    .code64
    .globl _start
_start:
    mov   %rsp, %rdx                    /* the builder's stack ends the boot region */
    lea   boot_stack_top(%rip), %rsp
    xor   %ebp, %ebp
    lea   kernel_boot(%rip), %rdi       /* pv_boot_xen(&kernel_boot, si, rsp, _end) */
    lea   _end(%rip), %rcx
    call  pv_boot_xen
    jmp   enter_kernel

/* ---- the multiboot entry: protected mode to long mode ------------------------------ */
    .section .text.boot32, "ax", @progbits
    .code32
    .globl start32
start32:
    cli
    cld
    mov   %eax, %ebp                    /* multiboot magic */
    mov   %ebx, %esi                    /* multiboot information */

    /* .bss first (the boot tables live there), whatever the loader did. */
    mov   $__bss_start, %edi
    mov   $__bss_end, %ecx
    sub   %edi, %ecx
    shr   $2, %ecx
    xor   %eax, %eax
    rep stosl

    /* L4[0] -> L3, L3[0] -> L2, L2[0..] -> the L1s, which map 0.. with 4 KiB pages. */
    movl  $(boot_l3 + PTE_P_RW), boot_l4
    movl  $(boot_l2 + PTE_P_RW), boot_l3
    xor   %ecx, %ecx
1:  mov   %ecx, %eax
    shl   $12, %eax
    add   $(boot_l1 + PTE_P_RW), %eax
    mov   %eax, boot_l2(, %ecx, 8)
    inc   %ecx
    cmp   $BOOT_L1_TABLES, %ecx
    jb    1b
    xor   %ecx, %ecx
2:  mov   %ecx, %eax
    shl   $12, %eax
    or    $PTE_P_RW, %eax
    mov   %eax, boot_l1(, %ecx, 8)
    inc   %ecx
    cmp   $(BOOT_L1_TABLES * 512), %ecx
    jb    2b

    /* CR4.PAE, CR3, EFER.LME, then CR0.PG|WP|NE|MP|PE: long mode. */
    mov   %cr4, %eax
    or    $(1 << 5), %eax
    mov   %eax, %cr4
    mov   $boot_l4, %eax
    mov   %eax, %cr3
    mov   $0xc0000080, %ecx
    rdmsr
    or    $(1 << 8), %eax
    wrmsr
    mov   %cr0, %eax
    and   $~((1 << 2) | (1 << 3)), %eax /* no EM, no TS */
    or    $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | (1 << 0)), %eax
    mov   %eax, %cr0
    lgdt  boot_gdtr
    ljmp  $0x08, $start64

    .code64
start64:
    mov   $0x10, %eax                   /* data selectors: the loader's mean nothing now */
    mov   %eax, %ds
    mov   %eax, %es
    mov   %eax, %ss
    lea   boot_stack_top(%rip), %rsp
    lea   kernel_boot(%rip), %rdi       /* pv_boot_multiboot(&kernel_boot, magic, mbi, _end) */
    mov   %esi, %edx
    mov   %ebp, %esi
    xor   %ebp, %ebp
    lea   _end(%rip), %rcx
    call  pv_boot_multiboot
    /* fall through */

enter_kernel:
    lea   kernel_boot(%rip), %rdi
    call  kernel_main
    ud2                                 /* kernel_main never returns */

/* ---- data ---------------------------------------------------------------------------- */
    .data
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff            /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt

    .section .bss.page_aligned, "aw", @nobits
    .balign PAGE_SIZE
boot_l4:
    .skip PAGE_SIZE
boot_l3:
    .skip PAGE_SIZE
boot_l2:
    .skip PAGE_SIZE
boot_l1:
    .skip BOOT_L1_TABLES * PAGE_SIZE
    .globl boot_stack, boot_stack_top
boot_stack:
    .skip BOOT_STACK_SIZE
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
