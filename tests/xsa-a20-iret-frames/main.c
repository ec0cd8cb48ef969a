/*
 * xsa-a20-iret-frames: security invariant A20, the part whose answer is not a crash.
 * Whatever RFLAGS a guest puts in a HYPERVISOR_iret frame or carries into a hypercall,
 * it runs afterwards with IOPL 0, NT 0, VM 0 and the hardware IF set (the virtual IF is
 * the upcall mask); and a syscall whose return address is non-canonical, or whose RSP
 * points into the hypervisor hole, is delivered to the guest kernel like any other.
 *
 * How:
 *  - iret kernel->kernel with IOPL 3, NT, VM, AC, reserved bits and IF clear, then
 *    pushf: IOPL 0, NT 0, IF 1, and the upcall mask is 1 (IF was clear); with IF set the
 *    mask becomes 0.
 *  - iret kernel->user (our own exec_user with chosen flags) with IOPL 3 and NT: in user
 *    mode pushf shows IOPL 0 and NT 0, and `in`, `out` and `cli` still raise #GP(0): the
 *    guest cannot reach real ports or clear the host's interrupt flag.
 *  - a hypercall issued with DF, AC (and, separately, TF) set in RFLAGS, i.e. odd R11:
 *    DF and AC survive, the host survives the single-step, the guest sees at most #DBs.
 *  - user mode: `syscall` as the last two bytes of the lower half (a page the test maps
 *    at 0x7FFFFFFFF000), so RCX = 0x0000800000000000 is non-canonical (the SYSRET
 *    hazard of XSA-7): the syscall callback gets a frame with exactly that RIP, nothing
 *    crashes. And `syscall` / `ud2` from user mode with RSP non-canonical or in the hole:
 *    the frame goes on the registered kernel stack, with the bad RSP recorded in it.
 * The bad RIP/CS/SS/RSP frames, whose answer is a domain crash, are the EXPECT_CRASH
 * tests xsa-a20-iret-* and xsa-a20-syscall-top.
 *
 * Cannot detect: a hypervisor that leaks IOPL into the guest only for some ports or only
 * in kernel mode (kernel-mode port I/O is emulated, so it never faults there); VM=1
 * effects (pushf never shows VM; surviving the iret is the check); the hardware IF in
 * the instant between iret and pushf.
 */
#include "test.h"

const char test_title[] = "xsa-a20-iret-frames: iret and syscall flags are sanitised";

#define X86_EFLAGS_TF   0x00000100UL
#define X86_EFLAGS_IF   0x00000200UL
#define X86_EFLAGS_DF   0x00000400UL
#define X86_EFLAGS_IOPL 0x00003000UL
#define X86_EFLAGS_NT   0x00004000UL
#define X86_EFLAGS_RF   0x00010000UL
#define X86_EFLAGS_VM   0x00020000UL
#define X86_EFLAGS_AC   0x00040000UL

#define SEL_KERNEL_CS_RPL0 0xe030      /* a frame CS with RPL 0: stay in kernel mode */

#define LOW_TOP_VA      0x00007FFFFFFFF000UL
#define HOLE_HV_IMAGE   0xFFFF828000100000UL

#define PAGES __aligned(PAGE_SIZE) __attribute__((section(".bss.page_aligned")))
static uint8_t low_top_code[PAGE_SIZE] PAGES;
static uint64_t pt_low[3][512] PAGES;

/* ---- iret helpers -------------------------------------------------------------------- */

/* HYPERVISOR_iret back to the next instruction, in kernel mode, with the given RFLAGS;
 * returns RFLAGS as pushf sees it right after. */
static unsigned long iret_kernel_with_flags(unsigned long rflags)
{
    unsigned long out;

    __asm__ volatile("mov   %%rsp, %%rax\n\t"
                     "push  $" STR(SEL_KERNEL_SS) "\n\t"
                     "push  %%rax\n\t"
                     "push  %[fl]\n\t"
                     "push  $" STR(SEL_KERNEL_CS_RPL0) "\n\t"
                     "lea   1f(%%rip), %%rcx\n\t"
                     "push  %%rcx\n\t"
                     "push  $0\n\t"                      /* iret flags: full return */
                     "jmp   hypercall_page + 23 * 32\n"
                     "1:\n\t"
                     "pushf\n\t"
                     "pop   %[out]\n\t"
                     "pushf\n\t"                        /* AC and DF off again */
                     "andq  $~" STR(0x40400) ", (%%rsp)\n\t"
                     "popf"
                     : [out] "=&r"(out)
                     : [fl] "r"(rflags)
                     : "rax", "rcx", "r11", "memory", "cc");
    return out;
}

/*
 * exec_user() with chosen RFLAGS: the same frame and the same way back as the
 * framework's (exec_user_ksp, then int $0x20 at exec_user_int, which exec_user_return
 * unwinds), so the framework's trap handling ends it.
 */
unsigned long exec_user_flags(unsigned long (*fn)(void), unsigned long rflags);
__asm__(".pushsection .text\n"
        ".globl exec_user_flags\n"
        "exec_user_flags:\n\t"
        "push  %rbp\n\t"
        "push  %rbx\n\t"
        "push  %r12\n\t"
        "push  %r13\n\t"
        "push  %r14\n\t"
        "push  %r15\n\t"
        "mov   %rsp, exec_user_ksp(%rip)\n\t"
        "push  $" STR(SEL_USER_SS) "\n\t"
        "lea   user_stack_top(%rip), %rax\n\t"
        "push  %rax\n\t"
        "push  %rsi\n\t"                        /* RFLAGS */
        "push  $" STR(SEL_USER_CS) "\n\t"
        "lea   exec_user_flags_tramp(%rip), %rax\n\t"
        "push  %rax\n\t"
        "push  $0\n\t"
        "mov   %rdi, %rax\n\t"
        "jmp   hypercall_page + 23 * 32\n"
        "exec_user_flags_tramp:\n\t"
        "call  *%rax\n\t"
        "jmp   exec_user_int\n"
        ".popsection");

static uint8_t *upcall_mask_byte(void)
{
    return &shared_info->vcpu_info[0].evtchn_upcall_mask;
}

/* ---- 1. kernel -> kernel iret ---------------------------------------------------------- */

static void test_iret_kernel_flags(void)
{
    static const struct {
        unsigned long flags;
        const char *name;
    } cases[] = {
        { 0x2 | X86_EFLAGS_IOPL, "IOPL 3" },
        { 0x2 | X86_EFLAGS_NT, "NT" },
        { 0x2 | X86_EFLAGS_VM, "VM" },
        { 0x2 | X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_VM | X86_EFLAGS_AC |
              X86_EFLAGS_RF, "IOPL 3, NT, VM, AC, RF" },
        { ~0UL & ~(X86_EFLAGS_TF | X86_EFLAGS_IF), "every bit but TF and IF" },
        { 0, "all clear (even the always-one bit 1)" },
    };
    unsigned int i;

    if (shared_info->vcpu_info[0].evtchn_upcall_pending)
        test_warning("an event is pending: the IF=1 case may deliver it");

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned long f = iret_kernel_with_flags(cases[i].flags);

        if (f & X86_EFLAGS_IOPL)
            test_failure("kernel iret with %s: IOPL is %lu afterwards", cases[i].name,
                         (f & X86_EFLAGS_IOPL) >> 12);
        if (f & X86_EFLAGS_NT)
            test_failure("kernel iret with %s: NT is set afterwards", cases[i].name);
        if (!(f & X86_EFLAGS_IF))
            test_failure("kernel iret with %s: the hardware IF is clear afterwards",
                         cases[i].name);
        if (*upcall_mask_byte() != 1)
            test_failure("kernel iret with IF clear (%s): upcall mask is %u, expected 1",
                         cases[i].name, *upcall_mask_byte());
        *upcall_mask_byte() = 1;
    }

    /* IF set in the frame: events unmasked (the guest's "sti" through iret). */
    if (!shared_info->vcpu_info[0].evtchn_upcall_pending) {
        unsigned long f = iret_kernel_with_flags(0x2 | X86_EFLAGS_IF | X86_EFLAGS_IOPL);
        uint8_t mask = *upcall_mask_byte();

        *upcall_mask_byte() = 1;
        if (mask != 0)
            test_failure("kernel iret with IF set: upcall mask is %u, expected 0", mask);
        if (f & X86_EFLAGS_IOPL)
            test_failure("kernel iret with IF and IOPL 3: IOPL is set afterwards");
    }
}

/* ---- 2. kernel -> user iret with IOPL 3 ------------------------------------------------ */

static unsigned long user_pushf(void)
{
    unsigned long f;

    __asm__ volatile("pushf; pop %0" : "=r"(f));
    return f;
}

static unsigned long user_in(void)
{
    probe_reset();
    __asm__ volatile("1: inb $0x80, %%al\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     ::: "rax", "memory");
    return probe_last.info;
}

static unsigned long user_in_dx(void)
{
    probe_reset();
    __asm__ volatile("mov $0x3f8, %%edx\n"
                     "1: inb %%dx, %%al\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     ::: "rax", "rdx", "memory");
    return probe_last.info;
}

static unsigned long user_out(void)
{
    probe_reset();
    __asm__ volatile("xor %%eax, %%eax\n"
                     "1: outb %%al, $0x80\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     ::: "rax", "memory");
    return probe_last.info;
}

static unsigned long user_cli(void)
{
    exinfo_t e = probe_exec("cli");

    if (e == EXINFO_NONE)
        __asm__ volatile("sti");     /* it worked: undo it at once */
    return e;
}

static void test_iret_user_iopl(void)
{
    static const unsigned long flags[] = {
        0x2 | X86_EFLAGS_IOPL,
        0x2 | X86_EFLAGS_IOPL | X86_EFLAGS_NT | X86_EFLAGS_VM,
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(flags); i++) {
        unsigned long f = exec_user_flags(user_pushf, flags[i]);

        *upcall_mask_byte() = 1;
        if (f & X86_EFLAGS_IOPL)
            test_failure("user iret with flags %lx: user mode runs with IOPL %lu", flags[i],
                         (f & X86_EFLAGS_IOPL) >> 12);
        if (f & X86_EFLAGS_NT)
            test_failure("user iret with flags %lx: NT set in user mode", flags[i]);
        if (!(f & X86_EFLAGS_IF))
            test_failure("user iret with flags %lx: hardware IF clear in user mode",
                         flags[i]);
        expect_exinfo("user-mode inb $0x80 after an iret with IOPL 3",
                      exec_user_flags(user_in, flags[i]), EXINFO(X86_GP, 0));
        expect_exinfo("user-mode inb %dx (COM1) after an iret with IOPL 3",
                      exec_user_flags(user_in_dx, flags[i]), EXINFO(X86_GP, 0));
        expect_exinfo("user-mode outb $0x80 after an iret with IOPL 3",
                      exec_user_flags(user_out, flags[i]), EXINFO(X86_GP, 0));
        expect_exinfo("user-mode cli after an iret with IOPL 3",
                      exec_user_flags(user_cli, flags[i]), EXINFO(X86_GP, 0));
        *upcall_mask_byte() = 1;
    }
}

/* ---- 3. hypercalls with odd RFLAGS (R11 at the syscall) -------------------------------- */

static unsigned int db_count;

static bool db_handler(struct cpu_regs *regs)
{
    db_count++;
    regs->rflags &= ~X86_EFLAGS_TF;
    return true;
}

static void test_hypercall_odd_flags(void)
{
    unsigned long after;
    long rc;

    /* DF and AC set across a hypercall: both come back (R11 is the guest's RFLAGS). */
    __asm__ volatile("pushf\n\t"
                     "orq   $" STR(0x40400) ", (%%rsp)\n\t"
                     "popf\n\t"
                     "mov   $" STR(__HYPERVISOR_xen_version) ", %%eax\n\t"
                     "xor   %%edi, %%edi\n\t"
                     "xor   %%esi, %%esi\n\t"
                     "syscall\n\t"
                     "pushf\n\t"
                     "pop   %[after]\n\t"
                     "cld\n\t"
                     "pushf\n\t"
                     "andq  $~" STR(0x40000) ", (%%rsp)\n\t"
                     "popf"
                     : [after] "=r"(after), "=a"(rc)
                     : : "rcx", "r11", "rdi", "rsi", "memory", "cc");
    if (rc != ((4L << 16) | 17) && rc < 0)
        test_failure("xen_version with DF and AC set returned %ld", rc);
    if (!(after & X86_EFLAGS_DF) || !(after & X86_EFLAGS_AC))
        test_failure("a hypercall with DF and AC set came back with flags %lx", after);
    if (after & (X86_EFLAGS_IOPL | X86_EFLAGS_NT))
        test_failure("a hypercall came back with flags %lx (IOPL or NT)", after);

    /* TF set at the syscall instruction (set through an iret frame, so the first
     * instruction run with it is the syscall): the host must survive the single-step;
     * the guest may see #DB after the hypercall returns with R11's TF. */
    db_count = 0;
    set_vector_handler(X86_DB, db_handler);
    __asm__ volatile("mov   $" STR(__HYPERVISOR_xen_version) ", %%eax\n\t"
                     "xor   %%edi, %%edi\n\t"
                     "xor   %%esi, %%esi\n\t"
                     "mov   %%rsp, %%rcx\n\t"
                     "push  $" STR(SEL_KERNEL_SS) "\n\t"
                     "push  %%rcx\n\t"
                     "push  $" STR(0x102) "\n\t"       /* TF */
                     "push  $" STR(SEL_KERNEL_CS_RPL0) "\n\t"
                     "lea   1f(%%rip), %%rcx\n\t"
                     "push  %%rcx\n\t"
                     "push  $0\n\t"
                     "jmp   hypercall_page + 23 * 32\n"
                     "1: syscall\n\t"
                     "nop\n\t"
                     "nop\n\t"
                     "pushf\n\t"
                     "andq  $~" STR(0x100) ", (%%rsp)\n\t"
                     "popf"
                     : "=a"(rc) : : "rcx", "r11", "rdi", "rsi", "memory", "cc");
    set_vector_handler(X86_DB, NULL);
    printk("  hypercall with TF set: returned %ld, %u #DB delivered to the guest\n", rc,
           db_count);
    if (rc < 0)
        test_failure("xen_version with TF set returned %ld", rc);
}

/* ---- 4. user-mode syscalls and faults with odd RIP/RSP ------------------------------- */

static uint64_t hook_rip, hook_rsp, hook_cs;
static unsigned int hook_hits;
static unsigned long hook_resume_rsp;

/* Record the frame, then resume at exec_user_int on a sane user stack. */
static void syscall_hook(struct cpu_regs *regs)
{
    hook_hits++;
    hook_rip = regs->rip;
    hook_rsp = regs->rsp;
    hook_cs = regs->cs;
    regs->rip = (unsigned long)exec_user_int;
    regs->rsp = hook_resume_rsp;
}

static bool ud_hook(struct cpu_regs *regs)
{
    if ((regs->cs & 3) != 3)
        return false;
    syscall_hook(regs);
    return true;
}

static bool map_low_top_page(void)
{
    const uint64_t *l4 = (const uint64_t *)start_info->pt_base;
    unsigned long va = LOW_TOP_VA;
    unsigned int i4 = (va >> 39) & 511, i;
    struct mmu_update u;
    unsigned long cr3;
    long rc;

    if (l4[i4]) {
        test_error("L4 slot %u already in use", i4);
        return false;
    }
    memset(pt_low, 0, sizeof(pt_low));
    pt_low[2][(va >> 12) & 511] = virt_to_mfn(low_top_code) << PAGE_SHIFT | PTE_P | PTE_RW |
                                  PTE_A | PTE_D;
    pt_low[1][(va >> 21) & 511] = virt_to_mfn(pt_low[2]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A;
    pt_low[0][(va >> 30) & 511] = virt_to_mfn(pt_low[1]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A;
    for (i = 0; i < 3; i++) {
        rc = remap_page(pt_low[i], virt_to_mfn(pt_low[i]), PTE_P | PTE_A);
        if (rc) {
            test_error("cannot make page table %u read-only: %ld", i, rc);
            return false;
        }
    }
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    u.ptr = (cr3 & PAGE_MASK) + i4 * 8UL;
    u.val = virt_to_mfn(pt_low[0]) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A;
    rc = HYPERVISOR_mmu_update((unsigned long)&u, 1, 0, DOMID_SELF);
    if (rc) {
        test_error("mmu_update of L4 slot %u failed: %ld", i4, rc);
        return false;
    }
    return true;
}

/* User mode: jump to the syscall in the last two bytes of the lower half. */
static unsigned long user_syscall_at_top(void)
{
    __asm__ volatile("mov %%rsp, %0" : "=m"(hook_resume_rsp));
    __asm__ volatile("jmp *%0" : : "r"(LOW_TOP_VA + PAGE_SIZE - 2) : "memory");
    __builtin_unreachable();
}

static unsigned long bad_rsp_value;

static unsigned long user_syscall_bad_rsp(void)
{
    __asm__ volatile("mov %%rsp, %0" : "=m"(hook_resume_rsp));
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "syscall"
                     : : "r"(bad_rsp_value) : "rcx", "r11", "memory");
    __builtin_unreachable();
}

static unsigned long user_ud2_bad_rsp(void)
{
    __asm__ volatile("mov %%rsp, %0" : "=m"(hook_resume_rsp));
    __asm__ volatile("mov %0, %%rsp\n\t"
                     "ud2"
                     : : "r"(bad_rsp_value) : "memory");
    __builtin_unreachable();
}

static void test_user_odd_syscalls(void)
{
    static const unsigned long bad_rsps[] = {
        0x8000000000000000UL, 0x0000800000000000UL, HOLE_HV_IMAGE, 0,
    };
    unsigned int i;

    set_syscall_hook(syscall_hook);
    if (map_low_top_page()) {
        low_top_code[PAGE_SIZE - 2] = 0x0f;      /* syscall */
        low_top_code[PAGE_SIZE - 1] = 0x05;
        hook_hits = 0;
        exec_user(user_syscall_at_top);
        if (hook_hits != 1)
            test_failure("syscall at 0x7FFFFFFFFFFE: the callback ran %u times", hook_hits);
        else if (hook_rip != 0x0000800000000000UL)
            test_failure("syscall at 0x7FFFFFFFFFFE: frame RIP %lx, expected the "
                         "non-canonical 0x0000800000000000", hook_rip);
        else if ((hook_cs & 3) != 3)
            test_failure("syscall at 0x7FFFFFFFFFFE: frame CS %lx is not user", hook_cs);
    }

    for (i = 0; i < ARRAY_SIZE(bad_rsps); i++) {
        bad_rsp_value = bad_rsps[i];
        hook_hits = 0;
        exec_user(user_syscall_bad_rsp);
        if (hook_hits != 1 || hook_rsp != bad_rsps[i])
            test_failure("user syscall with RSP %lx: callback ran %u times, frame RSP %lx",
                         bad_rsps[i], hook_hits, hook_rsp);

        set_vector_handler(X86_UD, ud_hook);
        hook_hits = 0;
        exec_user(user_ud2_bad_rsp);
        set_vector_handler(X86_UD, NULL);
        if (hook_hits != 1 || hook_rsp != bad_rsps[i])
            test_failure("user ud2 with RSP %lx: #UD handler ran %u times, frame RSP %lx",
                         bad_rsps[i], hook_hits, hook_rsp);
    }
    set_syscall_hook(NULL);
}

void test_main(void)
{
    printk("Test: kernel iret with IOPL 3, NT, VM, AC, reserved bits, IF clear or set\n");
    test_iret_kernel_flags();
    printk("Test: iret to user mode with IOPL 3: no port access, no cli\n");
    test_iret_user_iopl();
    printk("Test: hypercalls with DF, AC or TF in RFLAGS (odd R11)\n");
    test_hypercall_odd_flags();
    printk("Test: user syscall with a non-canonical return RIP, user traps with a bad RSP\n");
    test_user_odd_syscalls();
    test_success();
}
