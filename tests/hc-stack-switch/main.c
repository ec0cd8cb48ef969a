/*
 * hc-stack-switch: stack_switch (hypercall 3), the guest kernel stack for user -> kernel
 * transitions.
 *
 * Checks: after stack_switch(ss, sp) a user-mode exception (#UD) and a user-mode syscall
 * both arrive with their bounce frame exactly at the top of the new stack (sp rounded down
 * to 16, as Xen's create_bounce_frame does), for two different stacks and for an
 * unaligned sp; a kernel-mode exception does not use that stack but the interrupted one;
 * a non-canonical sp or one in the hypervisor's range is refused with -EINVAL by Parapet
 * (docs/decisions.md D9) and leaves the previous stack in use (Xen 4.17 accepts any value,
 * so on the reference those cases expect 0 and restore the stack at once).
 * How: a #UD handler and the syscall hook record the address of the struct cpu_regs the
 * framework built on the kernel stack; with the entry stubs of tests/lib/entry.S that
 * struct ends exactly where the hypervisor's frame began, so its address must be
 * (sp & ~15) - sizeof(struct cpu_regs).
 * Cannot detect: what the hypervisor does with the ss argument (the frame carries the
 * interrupted SS, not kernel_ss); a bad stack being used (that crashes the domain).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-stack-switch: the new kernel stack takes user->kernel bounces; bad sp refused";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000001000UL

static uint8_t stack_a[2 * PAGE_SIZE] __aligned(PAGE_SIZE);
static uint8_t stack_b[2 * PAGE_SIZE] __aligned(PAGE_SIZE);
#define TOP(s) ((unsigned long)(s) + sizeof(s))

static bool on_xen;
static unsigned long seen_regs;
static unsigned int seen_hits;

static bool ud_handler(struct cpu_regs *regs)
{
    seen_regs = (unsigned long)regs;
    seen_hits++;
    return false;                       /* let the probe fixup skip the ud2 */
}

static void syscall_hook(struct cpu_regs *regs)
{
    seen_regs = (unsigned long)regs;
    seen_hits++;
}

static unsigned long user_ud2(void)
{
    return probe_exec("ud2");
}

static unsigned long user_syscall(void)
{
    unsigned long rax = 0;

    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
    return 0;
}

/* One user-mode #UD and one user-mode syscall must both land at expect_top. */
static void check_bounces(const char *what, unsigned long expect_top)
{
    unsigned long want = (expect_top & ~15UL) - sizeof(struct cpu_regs);
    exinfo_t e;

    seen_hits = 0;
    set_vector_handler(X86_UD, ud_handler);
    e = exec_user(user_ud2);
    set_vector_handler(X86_UD, NULL);
    if (expect_exinfo("user-mode ud2", e, EXINFO(X86_UD, 0)) && seen_hits == 1 &&
        seen_regs != want)
        test_failure("%s: user #UD frame at 0x%lx, expected 0x%lx (stack top 0x%lx)", what,
                     seen_regs, want, expect_top);

    seen_hits = 0;
    set_syscall_hook(syscall_hook);
    exec_user(user_syscall);
    set_syscall_hook(NULL);
    if (seen_hits != 1)
        test_failure("%s: user syscall reached the hook %u times", what, seen_hits);
    else if (seen_regs != want)
        test_failure("%s: user syscall frame at 0x%lx, expected 0x%lx (stack top 0x%lx)",
                     what, seen_regs, want, expect_top);
}

static void test_new_stacks(void)
{
    static const struct {
        const char *name;
        unsigned long sp;
    } cases[] = {
        { "stack A", TOP(stack_a) },
        { "stack B", TOP(stack_b) },
        { "stack A, sp 8 below its top (rounded down to 16)", TOP(stack_a) - 8 },
        { "stack B, sp 0x28 below its top", TOP(stack_b) - 0x28 },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        long rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, cases[i].sp);

        printk("  %s: sp 0x%lx\n", cases[i].name, cases[i].sp);
        if (rc) {
            test_failure("stack_switch(0x%lx) returned %ld", cases[i].sp, rc);
            continue;
        }
        check_bounces(cases[i].name, cases[i].sp);
    }
}

/* A kernel-mode exception stays on the interrupted (boot) stack. */
static void test_kernel_mode(void)
{
    unsigned long here = (unsigned long)&here;
    exinfo_t e;

    HYPERVISOR_stack_switch(FLAT_KERNEL_SS, TOP(stack_a));
    seen_hits = 0;
    set_vector_handler(X86_UD, ud_handler);
    e = probe_exec("ud2");
    set_vector_handler(X86_UD, NULL);
    if (!expect_exinfo("kernel-mode ud2", e, EXINFO(X86_UD, 0)) || seen_hits != 1)
        return;
    if (seen_regs >= (unsigned long)stack_a && seen_regs < TOP(stack_a))
        test_failure("kernel-mode #UD was delivered on the stack_switch stack (0x%lx)",
                     seen_regs);
    else if (seen_regs > here || here - seen_regs > PAGE_SIZE)
        test_failure("kernel-mode #UD frame at 0x%lx, not just below the current stack "
                     "(0x%lx)", seen_regs, here);
}

static void test_bad_sp(void)
{
    static const struct {
        const char *name;
        unsigned long sp;
    } cases[] = {
        { "non-canonical 0x8000000000000000", NONCANON },
        { "non-canonical 0x0000900000000000", 0x0000900000000000UL },
        { "non-canonical 0xfff0000000000000", 0xfff0000000000000UL },
        { "hypervisor range", HV_RANGE },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        long want = on_xen ? 0 : -XEN_EINVAL, rc;

        HYPERVISOR_stack_switch(FLAT_KERNEL_SS, TOP(stack_b));
        rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, cases[i].sp);
        printk("  %s -> %ld\n", cases[i].name, rc);
        if (rc != want)
            test_failure("stack_switch(%s) returned %ld, expected %ld", cases[i].name, rc,
                         want);
        if (rc == 0) {
            /* Accepted (Xen): put a usable stack back before anything bounces. */
            HYPERVISOR_stack_switch(FLAT_KERNEL_SS, TOP(stack_b));
            continue;
        }
        check_bounces("after a refused stack_switch", TOP(stack_b));
    }
}

static const struct subtest cases[] = {
    { "user -> kernel bounces use the new stack", test_new_stacks },
    { "kernel-mode exceptions stay on the current stack", test_kernel_mode },
    { "bad sp refused, old stack kept", test_bad_sp },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    if (HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack_top))
        test_error("could not restore the framework's kernel stack");
    test_success();
}
