/*
 * xsa-a20-ldt-selectors: a guest that has no LDT (it never issued MMUEXT_SET_LDT with
 * entries) cannot use selectors with TI=1 at all: every one of them is refused with
 * #GP(selector), whatever the guest keeps at low virtual addresses. Found by the A20
 * selector cases: if the hypervisor never loads LDTR, the CPU keeps its reset LDT (base
 * 0, limit 0xFFFF), so descriptors are fetched from the guest's own VA 0 without any
 * validation; a 64-bit call gate there to 0xe008 runs guest code in ring 0.
 *
 * Checks:
 *  - a far call through selector 0x7 while VA 0 holds a DPL-3 64-bit call gate to the
 *    hypervisor's CS 0xe008 and our own code: #GP(4), and our code never runs (it would
 *    record CS 0xe008 and read CR0, which only ring 0 can);
 *  - loading DS, ES, FS and GS with LDT selectors while VA 0 holds valid DPL-3 data
 *    descriptors: #GP(selector), in kernel and in user mode;
 *  - HYPERVISOR_iret with CS 0x7 / SS 0xf while VA 0 holds a valid DPL-3 64-bit code and
 *    data descriptor: the guest kernel gets #GP(selector) for the refused frame (Xen's
 *    answer), it never runs on a segment taken from guest memory;
 *  - the same iret with VA 0 unmapped: #GP(selector), no page fault anywhere.
 * How: VA 0 is mapped to a page of ours holding the fake descriptors; exception probes
 * and a #GP handler observe the outcome. Xen 4.17 gives #GP(4) for the far call (checked
 * under QEMU). The host must survive (AFTER=hello).
 * Cannot detect: an LDT the hypervisor loads from somewhere else the guest controls; a
 * call gate reached through the GDT (the GDT tests of update_descriptor and set_gdt
 * cover which descriptors may enter it).
 */
#include "test.h"

const char test_title[] = "xsa-a20-ldt-selectors: no LDT means no LDT selectors, ever";

#define SEL_KERNEL_CS_RPL0 0xe030
#define DESC_CODE64_DPL3   0x00affa000000ffffUL   /* P, DPL 3, code, L, not accessed */
#define DESC_DATA_DPL3     0x00cff2000000ffffUL   /* P, DPL 3, data, writable */

static uint64_t fake_ldt[PAGE_SIZE / 8] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));

/* ---- the fake LDT at VA 0 ------------------------------------------------------------ */

static bool map_fake_ldt(bool on)
{
    long rc = HYPERVISOR_update_va_mapping(
        0, on ? (virt_to_mfn(fake_ldt) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A | PTE_D) : 0,
        UVMF_INVLPG);

    if (rc)
        test_error("update_va_mapping(VA 0 %s) failed: %ld", on ? "on" : "off", rc);
    return rc == 0;
}

/* ---- 1. far call through a call gate in the fake LDT --------------------------------- */

volatile unsigned long gate_ran, gate_cs, gate_cr0;
extern char gate_target[];
__asm__(".pushsection .text\n"
        "gate_target:\n\t"                  /* reached only in ring 0 through the gate */
        "movq  $1, gate_ran(%rip)\n\t"
        "mov   %cs, %rax\n\t"
        "mov   %rax, gate_cs(%rip)\n\t"
        "mov   %cr0, %rax\n\t"
        "mov   %rax, gate_cr0(%rip)\n\t"
        "lretq\n"
        ".popsection");

static bool ring0_reached;

static void test_call_gate(void)
{
    unsigned long off = (unsigned long)gate_target;
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) fp = { 0, 0x7 };
    exinfo_t e;

    memset(fake_ldt, 0, sizeof(fake_ldt));
    /* Entry 0 (selector 0x7): 64-bit call gate, DPL 3, to 0xe008:gate_target. */
    fake_ldt[0] = (off & 0xffff) | (0xe008UL << 16) | (0xecUL << 40) |
                  ((off >> 16) & 0xffff) << 48;
    fake_ldt[1] = off >> 32;
    if (!map_fake_ldt(true))
        return;
    probe_reset();
    __asm__ volatile("1: lcall *%0\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "m"(fp) : "rax", "memory");
    e = probe_last.info;
    map_fake_ldt(false);
    if (gate_ran) {
        ring0_reached = true;
        test_failure("a call gate in guest memory at VA 0 ran guest code with CS %lx, "
                     "CR0 %lx: the CPU uses an LDT the hypervisor never loaded (lldt)",
                     gate_cs, gate_cr0);
        return;
    }
    expect_exinfo("lcall through LDT selector 0x7 (fake call gate at VA 0)", e,
                  EXINFO(X86_GP, 0x4));
}

/* ---- 2. data segment loads ----------------------------------------------------------- */

#define LOAD_SEG_PROBE(seg, sel) ({                                                     \
    unsigned long _old;                                                                \
    __asm__ volatile("mov %%" seg ", %0" : "=r"(_old));                                \
    probe_reset();                                                                     \
    __asm__ volatile("1: mov %w0, %%" seg "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")          \
                     : : "r"(sel) : "memory");                                         \
    __asm__ volatile("mov %w0, %%" seg : : "r"(_old));                                 \
    probe_last.info;                                                                   \
})

/* GS is left alone: loading a selector would change the guest's GS base. */
static unsigned long load_segs(void)
{
    unsigned long bad = 0;

    if (LOAD_SEG_PROBE("ds", 0x17) != EXINFO(X86_GP, 0x14))
        bad |= 1;
    if (LOAD_SEG_PROBE("es", 0x1f) != EXINFO(X86_GP, 0x1c))
        bad |= 2;
    if (LOAD_SEG_PROBE("fs", 0x17) != EXINFO(X86_GP, 0x14))
        bad |= 4;
    return bad;
}

static void test_data_segments(void)
{
    unsigned long bad;

    memset(fake_ldt, 0, sizeof(fake_ldt));
    fake_ldt[2] = DESC_DATA_DPL3;           /* selector 0x17 */
    fake_ldt[3] = DESC_DATA_DPL3;           /* selector 0x1f */
    if (!map_fake_ldt(true))
        return;
    bad = load_segs();
    if (bad)
        test_failure("kernel mode: LDT selector loads accepted or wrong fault (mask %lx: "
                     "1 DS, 2 ES, 4 FS)", bad);
    bad = exec_user(load_segs);
    if (bad)
        test_failure("user mode: LDT selector loads accepted or wrong fault (mask %lx: "
                     "1 DS, 2 ES, 4 FS)", bad);
    map_fake_ldt(false);
}

/* ---- 3. iret with LDT selectors ------------------------------------------------------ */

static unsigned int gp_hits;
static uint64_t gp_ec;

static bool gp_handler(struct cpu_regs *regs)
{
    gp_hits++;
    gp_ec = regs->error_code;
    regs->cs = SEL_KERNEL_CS_RPL0;
    regs->ss = SEL_KERNEL_SS;
    return true;
}

static unsigned int other_hits;
static uint64_t other_vec;

static bool other_handler(struct cpu_regs *regs)
{
    other_hits++;
    other_vec = regs->vector;
    regs->cs = SEL_KERNEL_CS_RPL0;
    regs->ss = SEL_KERNEL_SS;
    return true;
}

static void iret_with_selectors(unsigned long cs, unsigned long ss)
{
    __asm__ volatile("lea   1f(%%rip), %%rcx\n\t"
                     "mov   %%rsp, %%rax\n\t"
                     "push  %[ss]\n\t"
                     "push  %%rax\n\t"
                     "push  $0x202\n\t"
                     "push  %[cs]\n\t"
                     "push  %%rcx\n\t"
                     "push  $0\n\t"
                     "jmp   hypercall_page + 23 * 32\n"
                     "1:"
                     : : [cs] "r"(cs), [ss] "r"(ss)
                     : "rax", "rcx", "r11", "memory", "cc");
}

static void check_iret(const char *what, unsigned long cs, unsigned long ss, uint64_t ec)
{
    gp_hits = other_hits = 0;
    iret_with_selectors(cs, ss);
    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
    if (other_hits)
        test_failure("%s: the guest got %s, expected #GP[%lx]", what,
                     vector_mnemonic((unsigned int)other_vec), ec);
    else if (gp_hits != 1 || gp_ec != ec)
        test_failure("%s: %u #GP (error %lx), expected one #GP[%lx]: the frame was %s",
                     what, gp_hits, gp_ec, ec, gp_hits ? "refused wrongly" : "accepted");
}

static void test_iret(void)
{
    if (ring0_reached) {
        test_failure("iret with LDT selectors: not tried, the LDT is guest memory (above)");
        return;
    }
    set_vector_handler(X86_GP, gp_handler);
    set_vector_handler(X86_PF, other_handler);
    set_vector_handler(X86_NP, other_handler);
    set_vector_handler(X86_SS, other_handler);

    check_iret("iret with CS 0x7 (LDT), VA 0 unmapped", 0x7, SEL_KERNEL_SS, 0x4);
    check_iret("iret with SS 0xf (LDT), VA 0 unmapped", SEL_KERNEL_CS_RPL0, 0xf, 0xc);

    memset(fake_ldt, 0, sizeof(fake_ldt));
    fake_ldt[0] = DESC_CODE64_DPL3;         /* selector 0x7 */
    fake_ldt[1] = DESC_DATA_DPL3;           /* selector 0xf */
    if (map_fake_ldt(true)) {
        check_iret("iret with CS 0x7, a valid code descriptor at VA 0", 0x7,
                   SEL_KERNEL_SS, 0x4);
        check_iret("iret with SS 0xf, a valid data descriptor at VA 0",
                   SEL_KERNEL_CS_RPL0, 0xf, 0xc);
        map_fake_ldt(false);
    }

    set_vector_handler(X86_GP, NULL);
    set_vector_handler(X86_PF, NULL);
    set_vector_handler(X86_NP, NULL);
    set_vector_handler(X86_SS, NULL);
}

static const struct subtest cases[] = {
    { "far call through a call gate in a fake LDT at VA 0", test_call_gate },
    { "DS/ES/FS loads of LDT selectors (kernel and user mode)", test_data_segments },
    { "iret with LDT selectors for CS and SS", test_iret },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
