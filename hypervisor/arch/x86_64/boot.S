/*
 * Boot: the multiboot header, the 32-bit entry and the switch to long mode.
 * The loader (QEMU -kernel, GRUB) enters start32 in protected mode with paging off,
 * EAX = multiboot magic and EBX = physical address of the multiboot info. We build
 * nothing at run time here: the boot page tables below are static and map
 *   - the first 1 GiB identity (only to survive the switch),
 *   - the same 1 GiB at HV_VIRT_OFFSET (slot 261), where the image is linked,
 *   - the first 4 GiB at DIRECTMAP_BASE (slot 262); paging.c replaces all of this.
 * Code in .text.boot32 runs at physical addresses: symbols are written "sym - OFFSET".
 */
#include "config.h"

#define PHYS(sym) ((sym) - HV_VIRT_OFFSET)
#define MB_MAGIC  0x1BADB002
#define MB_FLAGS  ((1 << 0) | (1 << 1) | (1 << 16)) /* page-align modules, memory map, address fields */

    .section .multiboot, "a"
    .balign 4
multiboot_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long PHYS(multiboot_header)      /* header_addr */
    .long PHYS(_image_start)          /* load_addr: file byte 0 loads here */
    .long PHYS(_load_end)             /* load_end_addr */
    .long PHYS(_image_end)            /* bss_end_addr: the loader zeroes up to here */
    .long PHYS(start32)               /* entry_addr */

    .section .text.boot32, "ax"
    .code32
    .globl start32
start32:
    cli
    cld
    mov %eax, %edi                    /* multiboot magic, kept for hv_main */
    mov %ebx, %esi                    /* multiboot info (physical) */

    /* A flat 64-bit GDT of our own; the loader's may be anywhere. */
    lgdt PHYS(boot_gdtr)

    /* CR4.PAE, then CR3 = boot L4. */
    mov %cr4, %eax
    or $(1 << 5), %eax
    mov %eax, %cr4
    mov $PHYS(boot_l4), %eax
    mov %eax, %cr3

    /* EFER: LME (long mode), NXE (guests use NX), SCE (syscall = hypercall). */
    mov $0xC0000080, %ecx
    rdmsr
    or $((1 << 8) | (1 << 11) | (1 << 0)), %eax
    wrmsr

    /* CR0: PG, WP (the hypervisor honours read-only guest mappings), NE, MP, PE. */
    mov %cr0, %eax
    and $~((1 << 2) | (1 << 3)), %eax /* no EM, no TS */
    or $((1 << 31) | (1 << 16) | (1 << 5) | (1 << 1) | (1 << 0)), %eax
    mov %eax, %cr0

    ljmp $0x08, $PHYS(start64_low)

    .code64
start64_low:
    /* Still running at the identity mapping: jump to the linked address. */
    movabs $start64, %rax
    jmp *%rax

    .text
start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs

    /* Zero .bss ourselves rather than trust every loader to have done it. */
    mov %rdi, %r12
    mov %rsi, %r13
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb

    lea boot_stack_top(%rip), %rsp
    xor %ebp, %ebp
    mov %r12d, %edi
    mov %r13d, %esi
    call hv_main
1:  hlt
    jmp 1b

/* ---- static data ------------------------------------------------------------------ */
    .data
    .balign 8
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff          /* 0x08: ring-0 64-bit code */
    .quad 0x00cf92000000ffff          /* 0x10: ring-0 data */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .long PHYS(boot_gdt)

#define PTE_P_RW   0x003
#define PTE_LARGE  0x083                 /* present, writable, 2 MiB page */

    .balign 4096
    .globl boot_l4
boot_l4:
    .quad PHYS(boot_l3_ident) + PTE_P_RW      /* slot 0: identity, boot only */
    .fill 260, 8, 0
    .quad PHYS(boot_l3_image) + PTE_P_RW      /* slot 261: the image */
    .quad PHYS(boot_l3_dmap) + PTE_P_RW       /* slot 262: direct map */
    .fill 249, 8, 0

    .balign 4096
boot_l3_ident:
    .quad PHYS(boot_l2_low) + PTE_P_RW
    .fill 511, 8, 0
boot_l3_image:
    .quad PHYS(boot_l2_low) + PTE_P_RW
    .fill 511, 8, 0
boot_l3_dmap:
    .quad PHYS(boot_l2_dmap) + PTE_P_RW
    .quad PHYS(boot_l2_dmap) + 0x1000 + PTE_P_RW
    .quad PHYS(boot_l2_dmap) + 0x2000 + PTE_P_RW
    .quad PHYS(boot_l2_dmap) + 0x3000 + PTE_P_RW
    .fill 508, 8, 0

    .balign 4096
boot_l2_low:                              /* 512 x 2 MiB = physical 0..1 GiB */
    .set i, 0
    .rept 512
    .quad (i << 21) + PTE_LARGE
    .set i, i + 1
    .endr
boot_l2_dmap:                             /* 2048 x 2 MiB = physical 0..4 GiB */
    .set i, 0
    .rept 2048
    .quad (i << 21) + PTE_LARGE
    .set i, i + 1
    .endr

    .section .bss.page_aligned, "aw", @nobits
    .balign 4096
boot_stack:
    .skip 4096 * HV_STACK_PAGES
    .globl boot_stack_top
boot_stack_top:

    .section .note.GNU-stack, "", @progbits
