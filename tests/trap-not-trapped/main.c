/*
 * trap-not-trapped: the sensitive x86 instructions that do not fault in ring 3 (Popek
 * and Goldberg's failures), each shown failing silently in a trap guest exactly as the
 * second table of docs/trap-and-emulate.md says, so that the table stays true.
 *
 * Checks (each printed as a "  not trapped: ..." line):
 *  - pushf after an emulated cli shows IF=1 (the real flag), while the virtual IF is 0;
 *  - popf with IF clear after an emulated sti leaves the virtual IF (upcall mask) at 1,
 *    and popf with IF set after cli leaves it at 0; neither faults;
 *  - native cpuid leaf 0x40000000 runs without a fault and does not say "XenVMMXenVMM";
 *    the forced-emulation prefix (ud2; .ascii "xen"; cpuid) does;
 *  - iretq to a user CS (RPL 3) from kernel mode completes natively, and the hypervisor
 *    never learns of it: a syscall with a hypercall number afterwards is still a
 *    hypercall (served, result as xen_version gives), not the guest's syscall callback;
 *  - swapgs is privileged after all (#GP(0) in ring 3) but not emulated: the guest
 *    kernel gets the #GP and the GS base stays;
 *  - sgdt after an emulated lgdt returns the hypervisor's GDT window (L4 slot 257,
 *    0xffff808000000000), not the base that was loaded; sidt after lidt returns a base in
 *    the hypervisor hole, not the loaded one; str after ltr returns the hypervisor's TSS
 *    selector; sldt and smsw run without a fault and return the hypervisor's values.
 * How: the instructions run natively in probes (exinfo.h); the virtual IF is read from
 * vcpu_info; a syscall hook counts syscalls that wrongly reach the guest kernel.
 * On Xen 4.17 (the reference) the test is skipped: Xen has no trap mode.
 * Cannot detect: that these instructions would behave differently on a future CPU with
 * UMIP or CPUID faulting turned on (the hypervisor turns neither on); it shows the
 * failures, it does not prove that a kernel avoids them.
 */
#include "../trap-common/trap.h"

const char test_title[] = "trap-not-trapped: sensitive instructions that do not trap (Popek-Goldberg)";

#define GDT_WINDOW_BASE 0xffff808000000000UL
#define L4_SLOT(va)     (((va) >> 39) & 511)

enum { PG_GDT, PG_IDT, PG_TSS, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);

static unsigned long read_rflags(void)
{
    unsigned long f;

    __asm__ volatile("pushf; pop %0" : "=r"(f) : : "memory");
    return f;
}

static unsigned int vmask(void)
{
    return this_vcpu_info()->evtchn_upcall_mask;
}

static void ignore_port(evtchn_port_t port)
{
}

/* ---- pushf / popf -------------------------------------------------------------------- */

static void test_pushf(void)
{
    unsigned long f;

    if (!expect_exinfo("cli", probe_exec("cli"), EXINFO_NONE))
        return;
    f = read_rflags();
    printk("  not trapped: pushf after cli gives rflags %lx (IF=%lu), the virtual IF is %u\n",
           f, (f & X86_EFLAGS_IF) >> 9, !vmask());
    if (!(f & X86_EFLAGS_IF))
        test_failure("pushf after cli shows IF=0: the real IF of a ring-3 kernel is 1");
    if (vmask() != 1)
        test_failure("the emulated cli left the upcall mask at %u", vmask());
}

static exinfo_t probe_popf(unsigned long flags)
{
    probe_reset();
    __asm__ volatile("push %0\n1: popf\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(flags) : "memory", "cc");
    return probe_last.info;
}

static void test_popf(void)
{
    unsigned long f;

    set_evtchn_handler(ignore_port);        /* the virtual IF is 1 for a moment */
    if (!expect_exinfo("sti", probe_exec("sti"), EXINFO_NONE))
        goto out;
    f = read_rflags() & ~X86_EFLAGS_IF;
    expect_exinfo("popf with IF clear", probe_popf(f), EXINFO_NONE);
    printk("  not trapped: popf with IF clear after sti leaves the virtual IF at %u "
           "(the real IF at %lu)\n", !vmask(), (read_rflags() & X86_EFLAGS_IF) >> 9);
    if (vmask() != 0)
        test_failure("popf with IF clear changed the upcall mask to %u", vmask());

    expect_exinfo("cli", probe_exec("cli"), EXINFO_NONE);
    expect_exinfo("popf with IF set", probe_popf(read_rflags() | X86_EFLAGS_IF), EXINFO_NONE);
    printk("  not trapped: popf with IF set after cli leaves the virtual IF at %u\n",
           !vmask());
    if (vmask() != 1)
        test_failure("popf with IF set changed the upcall mask to %u", vmask());
out:
    events_disable();
    set_evtchn_handler(NULL);
}

/* ---- cpuid --------------------------------------------------------------------------- */

static void signature(const uint32_t r[4], char sig[13])
{
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    for (unsigned int i = 0; i < 12; i++)
        if (sig[i] < 0x20 || sig[i] > 0x7e)
            sig[i] = '.';
}

static void test_cpuid(void)
{
    uint32_t r[4];
    char native[13], fep[13];

    probe_reset();
    __asm__ volatile("1: cpuid\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "0"(0x40000000U), "2"(0U) : "memory");
    if (!expect_exinfo("native cpuid", probe_last.info, EXINFO_NONE))
        return;
    signature(r, native);
    __asm__ volatile("ud2a; .ascii \"xen\"; cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "0"(0x40000000U), "2"(0U));
    signature(r, fep);
    printk("  not trapped: native cpuid 0x40000000 says \"%s\" (the CPU's), the "
           "forced-emulation one \"%s\"\n", native, fep);
    if (!strcmp(native, "XenVMMXenVMM"))
        test_failure("native cpuid returned the hypervisor's signature: it was trapped");
    if (strcmp(fep, "XenVMMXenVMM"))
        test_failure("forced-emulation cpuid says \"%s\", expected XenVMMXenVMM", fep);
}

/* ---- iretq to a user CS -------------------------------------------------------------- */

static volatile unsigned int syscall_hook_hits;

static void count_syscall(struct cpu_regs *regs)
{
    syscall_hook_hits++;
    regs->rax = (unsigned long)-1;
}

static void test_iretq(void)
{
    long want = HYPERVISOR_xen_version(XENVER_version, 0), got = 0;
    exinfo_t e;

    syscall_hook_hits = 0;
    set_syscall_hook(count_syscall);
    probe_reset();
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "push %[ss]\n\t"
                     "push %%rax\n\t"
                     "pushf\n\t"
                     "push %[cs]\n\t"
                     "lea 2f(%%rip), %%rax\n\t"
                     "push %%rax\n"
                     "1: iretq\n"
                     "2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : [cs] "i"(SEL_USER_CS), [ss] "i"(SEL_USER_SS) : "rax", "memory", "cc");
    if (!expect_exinfo("iretq to CS 0xe033 (RPL 3)", probe_last.info, EXINFO_NONE))
        goto out;
    e = probe_hypercall(&got, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
    printk("  not trapped: after iretq to a user CS a syscall is still a hypercall: "
           "xen_version %lx (want %lx), %u syscall upcalls\n", (unsigned long)got,
           (unsigned long)want, syscall_hook_hits);
    expect_exinfo("syscall after the iretq", e, EXINFO_NONE);
    if (syscall_hook_hits)
        test_failure("the syscall went to the guest kernel: the hypervisor saw the iretq");
    else if (got != want)
        test_failure("the syscall returned %lx, expected xen_version's %lx",
                     (unsigned long)got, (unsigned long)want);
out:
    set_syscall_hook(NULL);
}

/* ---- swapgs -------------------------------------------------------------------------- */

/* swapgs is privileged (#GP(0) at CPL 3, SDM vol. 2B), so it traps, but the hypervisor
 * does not emulate it: the guest kernel gets the #GP and the GS bases stay as they were. */
static unsigned long read_gs0(void)
{
    unsigned long v;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static void test_swapgs(void)
{
    static uint64_t gs_page[2] __aligned(16) = { 0x6a5e6a5e6a5e0001UL, 0 };
    exinfo_t e;
    char buf[24];

    if (HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)gs_page) ||
        HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0)) {
        test_error("set_segment_base of the GS bases failed");
        return;
    }
    e = probe_exec("swapgs");
    printk("  not emulated: swapgs in the ring-3 kernel raises %s for the guest kernel; "
           "%%gs:0 reads %lx after it\n", exinfo_str(e, buf, sizeof(buf)), read_gs0());
    expect_exinfo("swapgs", e, EXINFO(X86_GP, 0));
    if (read_gs0() != gs_page[0])
        test_failure("the GS base changed: swapgs was emulated");
    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
}

/* ---- sgdt, sidt, str, sldt, smsw ----------------------------------------------------- */

static void test_store_tables(void)
{
    struct pseudo_desc gd = { 0 }, id = { 0 };
    uint64_t *gdt = pages[PG_GDT], *idt = pages[PG_IDT];
    struct tss64 *tss = (struct tss64 *)pages[PG_TSS];
    uint16_t tr = 0, ldtr = 0xffff, msw = 0;
    unsigned int vec;

    memset(gdt, 0, PAGE_SIZE);
    gdt[1] = DESC_DATA_DPL3;
    tss->rsp0 = (unsigned long)kernel_stack_top;
    tss_descriptor(&gdt[2], tss);
    if (set_ro(gdt)) {
        test_error("cannot map the GDT page read-only");
        return;
    }
    memset(idt, 0, PAGE_SIZE);
    for (vec = 0; vec < 20; vec++)
        if (vec != 9 && vec != 15)
            idt_gate(&idt[2 * vec], vector_stub_address(vec), GATE_INTR,
                     vec == X86_BP || vec == X86_OF ? 3 : 0);
    idt_gate(&idt[2 * VEC_RET2KERN], vector_stub_address(VEC_RET2KERN), GATE_INTR, 3);
    if (!expect_exinfo("lgdt", probe_lgdt(gdt, 16 * 8 - 1), EXINFO_NONE) ||
        !expect_exinfo("lidt", probe_lidt(idt, 0x21 * 16 - 1), EXINFO_NONE) ||
        !expect_exinfo("ltr", probe_ltr(SEL_GDT(2)), EXINFO_NONE))
        goto out;

    probe_reset();
    __asm__ volatile("1: sgdt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(gd) : : "memory");
    expect_exinfo("sgdt", probe_last.info, EXINFO_NONE);
    printk("  not trapped: sgdt gives base %lx limit %x, lgdt loaded base %lx limit %x\n",
           gd.base, gd.limit, (unsigned long)gdt, 16 * 8 - 1);
    if (gd.base == (unsigned long)gdt)
        test_failure("sgdt returned the guest's lgdt base: it was emulated");
    else if (L4_SLOT(gd.base) != L4_SLOT(GDT_WINDOW_BASE))
        test_failure("sgdt base %lx is not in the hypervisor's GDT window (slot 257)",
                     gd.base);

    probe_reset();
    __asm__ volatile("1: sidt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(id) : : "memory");
    expect_exinfo("sidt", probe_last.info, EXINFO_NONE);
    printk("  not trapped: sidt gives base %lx limit %x, lidt loaded base %lx\n", id.base,
           id.limit, (unsigned long)idt);
    if (id.base == (unsigned long)idt)
        test_failure("sidt returned the guest's lidt base: it was emulated");
    else if (!in_hypervisor_hole(id.base))
        test_failure("sidt base %lx is not in the hypervisor hole", id.base);

    probe_reset();
    __asm__ volatile("1: str %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(tr) : : "memory");
    expect_exinfo("str", probe_last.info, EXINFO_NONE);
    printk("  not trapped: str gives %x, ltr loaded %x\n", tr, SEL_GDT(2));
    if (tr == SEL_GDT(2))
        test_failure("str returned the guest's ltr selector: it was emulated");

    probe_reset();
    __asm__ volatile("1: sldt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(ldtr) : : "memory");
    expect_exinfo("sldt", probe_last.info, EXINFO_NONE);
    probe_reset();
    __asm__ volatile("1: smsw %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(msw) : : "memory");
    expect_exinfo("smsw", probe_last.info, EXINFO_NONE);
    printk("  not trapped: sldt gives %x, smsw gives %x (the real CR0's low bits)\n", ldtr,
           msw);
    if (!(msw & 1))
        test_failure("smsw %x lacks PE", msw);
out:
    install_default_traps();
    tss->rsp0 = (unsigned long)kernel_stack_top;
}

static const struct subtest cases[] = {
    { "pushf shows the real IF", test_pushf },
    { "popf leaves the virtual IF alone", test_popf },
    { "cpuid runs natively; only the forced-emulation prefix reaches the hypervisor",
      test_cpuid },
    { "iretq to user mode is not seen: the vCPU stays in kernel mode", test_iretq },
    { "swapgs raises #GP(0), not emulated", test_swapgs },
    { "sgdt, sidt, str, sldt, smsw return the hypervisor's values", test_store_tables },
};

void test_main(void)
{
    if (!trap_guest_or_skip())
        return;
    RUN_SUBTESTS(cases);
    test_success();
}
