/*
 * xsa-a25-early-syscall: security invariant A25. The ways into a guest kernel that
 * need a callback or a trap-table entry (int $0x80, 64-bit syscall from user mode,
 * syscall from 32-bit compatibility code, sysenter) raise a clean #GP or #UD in the
 * guest while that callback or entry is missing, instead of jumping to address 0, using
 * a stale value, or faulting in the hypervisor (XSA-259, XSA-44 class).
 *
 * Checks:
 *  - int $0x80 with no trap-table entry for 0x80, from user and from kernel mode:
 *    #GP(0x402) at the int; with an entry of DPL 0, from user mode: #GP(0x402) too
 *    (Xen 4.17's int $0x80 fast path delivers it anyway: a warning on the reference);
 *  - a user-mode `syscall` while the syscall callback is 0: #UD at the syscall
 *    instruction, in user mode (CS RPL 3); a kernel-mode `syscall` is still a hypercall;
 *  - `syscall` from 32-bit user code (far return to CS 0xe023) with no syscall32
 *    callback: #UD at the syscall, with CS 0xe023 in the frame;
 *  - `sysenter` with no sysenter callback, from user and kernel mode: #GP(0) or #UD.
 * How: the framework registers the syscall callback before test_main() and callbacks
 * cannot be unregistered, so "no callback" is obtained by registering address 0 (which
 * the ABI accepts: Xen treats a 0 callback as none) and the framework's entry is
 * registered again afterwards; the framework never registers syscall32 or sysenter
 * callbacks, nor vector 0x80. Exception probes observe the outcome. On the Xen
 * reference, QEMU < 9's #GP(n*16+2) for a refused int (see tests/README.md) is a
 * warning.
 * Cannot detect: the state of a vCPU before its kernel ran at all (the framework has
 * already registered its callbacks when test_main() starts).
 */
#include "test.h"

const char test_title[] =
    "xsa-a25-early-syscall: int 0x80, syscall, sysenter without callbacks";

/* #GP error code of a refused int $0x80: the architectural one, or QEMU < 9's. */
static void expect_int80_gp(const char *what, exinfo_t e)
{
    if (e == EXINFO(X86_GP, 0x80 << 3 | 2))
        return;
    if (e == EXINFO(X86_GP, 0x80 << 4 | 2) && cmdline_flag("xen-reference"))
        test_warning("%s: #GP[%x], QEMU < 9's error code (Xen trusts it)", what,
                     0x80 << 4 | 2);
    else
        expect_exinfo(what, e, EXINFO(X86_GP, 0x80 << 3 | 2));
}

/* ---- 1. int $0x80 ------------------------------------------------------------------- */

static unsigned long user_int80(void)
{
    return probe_exec("int $0x80");
}

static void test_int80(void)
{
    struct trap_info t[2] = {
        { .vector = 0x80, .flags = 0, .cs = FLAT_KERNEL_CS,
          .address = vector_stub_address(0x2f) },
        { 0 },
    };
    exinfo_t e;
    long rc;

    expect_int80_gp("int $0x80 from user mode, no trap-table entry",
                    exec_user(user_int80));
    expect_int80_gp("int $0x80 from kernel mode, no trap-table entry",
                    probe_exec("int $0x80"));
    rc = HYPERVISOR_set_trap_table((unsigned long)t);
    if (rc) {
        test_error("set_trap_table(0x80, DPL 0) failed: %ld", rc);
        return;
    }
    e = exec_user(user_int80);
    /* Xen 4.17's int $0x80 fast path ignores the entry's DPL (checked under QEMU):
     * Parapet keeps the architectural answer. */
    if (e == EXINFO(0x2f, 0) && cmdline_flag("xen-reference"))
        test_warning("int $0x80 from user mode reached a DPL-0 entry (Xen's fast path)");
    else
        expect_int80_gp("int $0x80 from user mode, entry with DPL 0", e);
    /* Entries are merged and cannot be removed one by one: clear, then reinstall. */
    HYPERVISOR_set_trap_table(0);
    install_default_traps();
}

/* ---- 2. 64-bit syscall with no syscall callback -------------------------------------- */

static long register_syscall_callback(unsigned long address)
{
    struct callback_register cb = {
        .type = CALLBACKTYPE_syscall, .flags = CALLBACKF_mask_events, .address = address,
    };

    return HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);
}

static unsigned long syscall_insn_addr;

static unsigned long user_syscall(void)
{
    probe_reset();
    __asm__ volatile("lea 1f(%%rip), %%rax\n\t"
                     "mov %%rax, %0\n"
                     "1: syscall\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "=m"(syscall_insn_addr) : : "rax", "rcx", "r11", "memory");
    return probe_last.info;
}

static void test_syscall_no_callback(void)
{
    exinfo_t e;
    long rc = register_syscall_callback(0);

    if (rc) {
        test_error("registering a 0 syscall callback failed: %ld", rc);
        return;
    }
    e = exec_user(user_syscall);
    if (expect_exinfo("user-mode syscall with no syscall callback", e,
                      EXINFO(X86_UD, 0))) {
        if (probe_last.rip != syscall_insn_addr)
            test_failure("#UD for the syscall at rip %lx, the syscall is at %lx",
                         probe_last.rip, syscall_insn_addr);
        if ((probe_last.cs & 3) != 3)
            test_failure("#UD for the user-mode syscall has CS %lx: not user mode",
                         probe_last.cs);
    }
    /* In kernel mode the same instruction is a hypercall, callback or not. */
    rc = HYPERVISOR_xen_version(XENVER_version, 0);
    if (rc != ((4L << 16) | 17))
        test_failure("a hypercall with no syscall callback returned %lx", rc);
    rc = register_syscall_callback((unsigned long)entry_syscall);
    if (rc)
        panic("registering the framework's syscall callback again failed: %ld", rc);
}

/* ---- 3. syscall from 32-bit compatibility mode --------------------------------------- */

static unsigned int compat_ud_hits;
static uint64_t compat_ud_rip, compat_ud_cs;
extern char compat_syscall_insn[], compat_back[];
unsigned long user_compat_syscall(void);

/* User mode: far return into CS 0xe023 (32-bit), syscall there, come back to 64-bit at
 * compat_back (the #UD handler sends us there). */
__asm__(".pushsection .text\n"
        ".globl user_compat_syscall\n"
        "user_compat_syscall:\n\t"
        "push  %rbx\n\t"
        "mov   %rsp, %rbx\n\t"
        "lea   compat_syscall_insn(%rip), %rax\n\t"
        "pushq $0xe023\n\t"
        "push  %rax\n\t"
        "lretq\n\t"
        ".code32\n"
        "compat_syscall_insn:\n\t"
        "syscall\n\t"
        "ud2\n\t"                         /* if it returned in 32-bit mode */
        ".code64\n"
        "compat_back:\n\t"
        "mov   %rbx, %rsp\n\t"
        "pop   %rbx\n\t"
        "xor   %eax, %eax\n\t"
        "ret\n"
        ".popsection");

static bool compat_ud_handler(struct cpu_regs *regs)
{
    if ((regs->cs & 3) != 3)
        return false;
    compat_ud_hits++;
    compat_ud_rip = regs->rip;
    compat_ud_cs = regs->cs;
    regs->cs = SEL_USER_CS;               /* back to 64-bit user code */
    regs->rip = (unsigned long)compat_back;
    return true;
}

static unsigned int compat_syscall_hits;

static void compat_syscall_hook(struct cpu_regs *regs)
{
    compat_syscall_hits++;
    regs->cs = SEL_USER_CS;
    regs->rip = (unsigned long)compat_back;
}

static void test_compat_syscall(void)
{
    compat_ud_hits = compat_syscall_hits = 0;
    set_vector_handler(X86_UD, compat_ud_handler);
    set_syscall_hook(compat_syscall_hook);
    exec_user(user_compat_syscall);
    set_vector_handler(X86_UD, NULL);
    set_syscall_hook(NULL);
    if (compat_syscall_hits)
        test_failure("syscall from 32-bit code reached the 64-bit syscall callback");
    if (compat_ud_hits != 1) {
        test_failure("syscall from 32-bit code: %u #UD, expected 1", compat_ud_hits);
        return;
    }
    if (compat_ud_rip != (unsigned long)compat_syscall_insn)
        test_failure("#UD for the 32-bit syscall at rip %lx, the syscall is at %lx",
                     compat_ud_rip, (unsigned long)compat_syscall_insn);
    if (compat_ud_cs != 0xe023)
        test_failure("#UD for the 32-bit syscall has CS %lx, expected 0xe023",
                     compat_ud_cs);
}

/* ---- 4. sysenter --------------------------------------------------------------------- */

static unsigned long user_sysenter(void)
{
    return probe_exec("sysenter");
}

static void expect_gp_or_ud(const char *what, exinfo_t e)
{
    if (e != EXINFO(X86_GP, 0) && e != EXINFO(X86_UD, 0))
        expect_exinfo(what, e, EXINFO(X86_GP, 0));
}

static void test_sysenter(void)
{
    expect_gp_or_ud("sysenter from user mode, no sysenter callback",
                    exec_user(user_sysenter));
    expect_gp_or_ud("sysenter from kernel mode, no sysenter callback",
                    probe_exec("sysenter"));
}

static const struct subtest cases[] = {
    { "int $0x80 without a trap-table entry", test_int80 },
    { "64-bit syscall from user mode with no syscall callback", test_syscall_no_callback },
    { "syscall from 32-bit user code with no syscall32 callback", test_compat_syscall },
    { "sysenter with no sysenter callback", test_sysenter },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
