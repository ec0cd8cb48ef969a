/*
 * hc-iret: HYPERVISOR_iret (hypercall 23), the return from a bounce frame.
 *
 * Checks: a return to kernel mode (CS RPL 0) restores RAX, RCX and R11 from the iret
 * context, and RIP, RSP and RFLAGS from the frame, with CS/SS RPL forced to 3, IOPL
 * cleared and arithmetic flags kept, both through hypercall page slot 23 and through a
 * bare syscall with a hand-pushed context (the Linux 6.1.121+ way); with VGCF_in_syscall
 * RCX and R11 are not taken from the context; a CS with RPL 3 returns to user mode and
 * switches to the user page table (a second L4, pinned and set with
 * MMUEXT_NEW_USER_BASEPTR, aliases our memory at a VA the kernel L4 leaves unmapped: the
 * target reads it in user mode, the kernel cannot); IF in the saved RFLAGS sets or clears
 * the upcall mask (IF=0: mask 1, IF=1: mask 0) and, when IF=1 with an event pending, the
 * event callback runs before the first instruction at the return address.
 * How: iret_probe (below) pushes a context built from a struct iret_req and enters the
 * iret; iret_target records its registers and ends in a ud2 whose #UD handler (kernel
 * mode) or whose bounce (user mode) brings control back to the C caller.
 * With the guest command-line word "no-user-l4", the test instead clears the user L4 and
 * irets to user mode, which must crash the domain (Xen do_iret: "no user page tables");
 * run it by hand: scripts/parapet run build/tests/hc-iret.elf:no-user-l4 (no result line,
 * "[parapet] d1 crashed: iret to user mode with no user page table").
 * Cannot detect: an iret context that cannot be read (that crashes the domain too);
 * NMI-related iret semantics.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-iret: registers, VGCF_in_syscall, user mode and its L4, IF and the upcall mask";

#define RFLAGS_CF   0x001UL
#define RFLAGS_ZF   0x040UL
#define RFLAGS_IF   0x200UL
#define RFLAGS_IOPL 0x3000UL
#define KERNEL_CS0  (FLAT_KERNEL_CS & ~3)       /* 0xe030: RPL 0 = "back to kernel" */
#define ALIAS_SLOT  1UL                         /* L4 slot only the user L4 fills */

struct iret_req {
    uint64_t rax, r11, rcx, flags, rip, cs, rflags, rsp, ss;
    uint64_t method;                            /* 0 = hypercall page, 1 = bare syscall */
};
_Static_assert(sizeof(struct iret_req) == 80, "iret_req layout used by iret_probe");

void iret_probe(const struct iret_req *req);
void iret_target(void);
void iret_target_ud(void);
void iret_back(void);
void evt_entry(void);

unsigned long iret_ksp, iret_alias;
volatile unsigned long seen_rax, seen_rcx, seen_r11, seen_rsp, seen_rflags, seen_cs,
    seen_mask, seen_alias;
volatile unsigned int evt_hits;
volatile unsigned long evt_rip;

__asm__(
    "    .pushsection .text\n"
    /* void iret_probe(const struct iret_req *req): never returns here; iret_back does. */
    "    .globl iret_probe\n"
    "iret_probe:\n"
    "    push  %rbp\n"
    "    push  %rbx\n"
    "    push  %r12\n"
    "    push  %r13\n"
    "    push  %r14\n"
    "    push  %r15\n"
    "    mov   %rsp, iret_ksp(%rip)\n"
    "    pushq 64(%rdi)\n"                      /* ss */
    "    pushq 56(%rdi)\n"                      /* rsp */
    "    pushq 48(%rdi)\n"                      /* rflags */
    "    pushq 40(%rdi)\n"                      /* cs */
    "    pushq 32(%rdi)\n"                      /* rip */
    "    pushq 24(%rdi)\n"                      /* flags */
    "    cmpq  $0, 72(%rdi)\n"
    "    jne   1f\n"
    "    mov   0(%rdi), %rax\n"                 /* the page slot pushes rcx, r11, rax */
    "    mov   8(%rdi), %r11\n"
    "    mov   16(%rdi), %rcx\n"
    "    jmp   hypercall_page + 23 * 32\n"
    "1:  pushq 16(%rdi)\n"                      /* rcx */
    "    pushq 8(%rdi)\n"                       /* r11 */
    "    pushq 0(%rdi)\n"                       /* rax */
    "    mov   $23, %eax\n"
    "    syscall\n"
    "    ud2\n"
    /* Where the iret lands: record, then ud2 back to C (kernel or user mode alike). */
    "    .globl iret_target, iret_target_ud\n"
    "iret_target:\n"
    "    mov   %rax, seen_rax(%rip)\n"
    "    mov   %rcx, seen_rcx(%rip)\n"
    "    mov   %r11, seen_r11(%rip)\n"
    "    mov   %rsp, seen_rsp(%rip)\n"
    "    pushfq\n"
    "    popq  seen_rflags(%rip)\n"
    "    mov   %cs, %eax\n"
    "    mov   %rax, seen_cs(%rip)\n"
    "    mov   shared_info(%rip), %rax\n"
    "    movzbl 1(%rax), %eax\n"
    "    mov   %rax, seen_mask(%rip)\n"
    "    mov   iret_alias(%rip), %rbx\n"
    "2:  mov   (%rbx), %rax\n"                  /* #PF here is fixed up to 3: */
    "    mov   %rax, seen_alias(%rip)\n"
    "3:\n"
    "iret_target_ud:\n"
    "    ud2\n"
    "    .pushsection .extable, \"a\"\n"
    "    .balign 8\n"
    "    .quad 2b, 3b\n"
    "    .popsection\n"
    /* Back in kernel mode on iret_probe's stack. */
    "    .globl iret_back\n"
    "iret_back:\n"
    "    pop   %r15\n"
    "    pop   %r14\n"
    "    pop   %r13\n"
    "    pop   %r12\n"
    "    pop   %rbx\n"
    "    pop   %rbp\n"
    "    ret\n"
    /* Event callback: count, note where it interrupted, clear pending, iret. */
    "    .globl evt_entry\n"
    "evt_entry:\n"
    "    pop   %rcx\n"
    "    pop   %r11\n"
    "    push  %rax\n"
    "    mov   8(%rsp), %rax\n"
    "    mov   %rax, evt_rip(%rip)\n"
    "    mov   shared_info(%rip), %rax\n"
    "    movb  $0, (%rax)\n"
    "    lock incl evt_hits(%rip)\n"
    "    pop   %rax\n"
    "    push  $0\n"
    "    jmp   hypercall_page + 23 * 32\n"
    "    .popsection\n");

static uint8_t target_stack[4 * PAGE_SIZE] __aligned(PAGE_SIZE);
#define TARGET_SP ((unsigned long)target_stack + sizeof(target_stack) - 0x40)
static uint64_t user_l4[512] __aligned(PAGE_SIZE);
static volatile uint64_t alias_magic = 0xa11a5a11a5a11a5aUL;
static unsigned long back_cs;

/* The target's ud2: return to iret_back in kernel mode on iret_probe's stack. */
static bool ud_back(struct cpu_regs *regs)
{
    if (regs->rip != (unsigned long)iret_target_ud)
        return false;
    back_cs = regs->cs;
    regs->rip = (unsigned long)iret_back;
    regs->cs = KERNEL_CS0;
    regs->ss = FLAT_KERNEL_SS;
    regs->rsp = iret_ksp;
    regs->rflags = 0x2;                         /* IF clear: events stay masked */
    return true;
}

static void run(const struct iret_req *req)
{
    seen_rax = seen_rcx = seen_r11 = seen_rsp = seen_rflags = seen_cs = ~0UL;
    seen_mask = seen_alias = ~0UL;
    back_cs = ~0UL;
    set_vector_handler(X86_UD, ud_back);
    iret_probe(req);
    set_vector_handler(X86_UD, NULL);
    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
}

static struct iret_req kernel_req(uint64_t method, uint64_t flags, uint64_t rflags)
{
    return (struct iret_req){
        .rax = 0xa1a1a1a1a1a1UL, .r11 = 0xb1b1b1b1b1b1UL, .rcx = 0xc1c1c1c1c1c1UL,
        .flags = flags, .rip = (unsigned long)iret_target, .cs = KERNEL_CS0,
        .rflags = rflags, .rsp = TARGET_SP, .ss = FLAT_KERNEL_SS & ~3, .method = method,
    };
}

static void test_kernel_return(void)
{
    static const char *const methods[] = { "hypercall page", "bare syscall" };
    unsigned int m;

    iret_alias = (unsigned long)&alias_magic;
    for (m = 0; m < 2; m++) {
        struct iret_req r = kernel_req(m, 0, 0x2 | RFLAGS_CF | RFLAGS_ZF | RFLAGS_IOPL);

        printk("  via the %s\n", methods[m]);
        run(&r);
        if (seen_rax != r.rax || seen_rcx != r.rcx || seen_r11 != r.r11)
            test_failure("%s: rax/rcx/r11 0x%lx/0x%lx/0x%lx, expected 0x%lx/0x%lx/0x%lx",
                         methods[m], seen_rax, seen_rcx, seen_r11, (unsigned long)r.rax,
                         (unsigned long)r.rcx, (unsigned long)r.r11);
        if (seen_rsp != r.rsp)
            test_failure("%s: rsp 0x%lx, expected 0x%lx", methods[m], seen_rsp,
                         (unsigned long)r.rsp);
        if ((seen_rflags & (RFLAGS_CF | RFLAGS_ZF)) != (RFLAGS_CF | RFLAGS_ZF) ||
            (seen_rflags & RFLAGS_IOPL))
            test_failure("%s: rflags 0x%lx: CF/ZF lost or IOPL kept", methods[m],
                         seen_rflags);
        if (seen_cs != FLAT_KERNEL_CS)
            test_failure("%s: cs 0x%lx, expected 0x%x (RPL forced to 3)", methods[m],
                         seen_cs, FLAT_KERNEL_CS);
        if (back_cs & 3)
            test_failure("%s: the target ran in user mode (its #UD frame cs 0x%lx)",
                         methods[m], back_cs);
        if (seen_alias != alias_magic)
            test_failure("%s: the target could not read memory (0x%lx)", methods[m],
                         seen_alias);
    }
}

static void test_in_syscall(void)
{
    unsigned int m;

    iret_alias = (unsigned long)&alias_magic;
    for (m = 0; m < 2; m++) {
        struct iret_req r = kernel_req(m, VGCF_in_syscall, 0x2);

        run(&r);
        if (seen_rax != r.rax)
            test_failure("VGCF_in_syscall (method %u): rax 0x%lx, expected 0x%lx", m,
                         seen_rax, (unsigned long)r.rax);
        if (seen_rcx == r.rcx || seen_r11 == r.r11)
            test_failure("VGCF_in_syscall (method %u): rcx/r11 0x%lx/0x%lx were restored "
                         "from the context", m, seen_rcx, seen_r11);
        if (back_cs & 3)
            test_failure("VGCF_in_syscall (method %u): the target ran in user mode", m);
    }
}

static void test_if_and_mask(void)
{
    static const struct {
        const char *name;
        uint64_t rflags;
        unsigned long want_mask;
    } cases[] = {
        { "IF=0 in the frame: mask 1", 0x2, 1 },
        { "IF=1 in the frame: mask 0", 0x2 | RFLAGS_IF, 0 },
    };
    unsigned int i;

    iret_alias = (unsigned long)&alias_magic;
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        struct iret_req r = kernel_req(0, 0, cases[i].rflags);

        shared_info->vcpu_info[0].evtchn_upcall_mask = (uint8_t)!cases[i].want_mask;
        run(&r);
        if (seen_mask != cases[i].want_mask)
            test_failure("%s: upcall mask %lu at the target", cases[i].name, seen_mask);
        if (!(seen_rflags & RFLAGS_IF))
            test_failure("%s: hardware IF clear at the target (rflags 0x%lx)", cases[i].name,
                         seen_rflags);
    }
}

static void test_pending_event(void)
{
    struct iret_req r = kernel_req(0, 0, 0x2 | RFLAGS_IF);
    struct vcpu_info *vi = &shared_info->vcpu_info[0];

    if (HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&(struct callback_register){
            .type = CALLBACKTYPE_event, .address = (unsigned long)evt_entry })) {
        test_error("callback_op(register event) failed");
        return;
    }
    iret_alias = (unsigned long)&alias_magic;
    evt_hits = 0;
    evt_rip = 0;
    vi->evtchn_upcall_mask = 1;
    vi->evtchn_upcall_pending = 1;
    run(&r);
    vi->evtchn_upcall_pending = 0;
    if (evt_hits != 1)
        test_failure("iret with IF=1 and an event pending: %u upcalls, expected 1", evt_hits);
    else if (evt_rip != (unsigned long)iret_target)
        test_failure("the upcall interrupted 0x%lx, expected the iret target 0x%lx", evt_rip,
                     (unsigned long)iret_target);
    if (seen_rax != r.rax)
        test_failure("rax 0x%lx at the target after the upcall, expected 0x%lx", seen_rax,
                     (unsigned long)r.rax);
    HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&(struct callback_register){
        .type = CALLBACKTYPE_event, .flags = CALLBACKF_mask_events,
        .address = (unsigned long)entry_event });
}

/* ---- user mode and the user L4 -------------------------------------------------------- */

static long set_user_l4(unsigned long mfn)
{
    struct mmuext_op op = { .cmd = MMUEXT_NEW_USER_BASEPTR };

    op.arg1.mfn = mfn;
    return HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF);
}

static long pin_l4(unsigned int cmd, unsigned long mfn)
{
    struct mmuext_op op = { .cmd = cmd };

    op.arg1.mfn = mfn;
    return HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF);
}

/* A user L4 = the kernel L4's slot 0, plus the same L3 again in slot ALIAS_SLOT. */
static bool build_user_l4(void)
{
    const uint64_t *kl4 = (const uint64_t *)start_info->pt_base;
    unsigned long mfn = virt_to_mfn(user_l4);
    long rc;

    memset(user_l4, 0, sizeof(user_l4));
    user_l4[0] = kl4[0];
    user_l4[ALIAS_SLOT] = kl4[0];
    if ((rc = remap_page(user_l4, mfn, PTE_P | PTE_A)) ||
        (rc = pin_l4(MMUEXT_PIN_L4_TABLE, mfn)) || (rc = set_user_l4(mfn))) {
        test_error("setting up the user L4 failed: %ld", rc);
        return false;
    }
    return true;
}

static void drop_user_l4(void)
{
    unsigned long kernel_l4 = virt_to_mfn((void *)start_info->pt_base);
    unsigned long mfn = virt_to_mfn(user_l4);

    if (set_user_l4(kernel_l4) || pin_l4(MMUEXT_UNPIN_TABLE, mfn) ||
        remap_page(user_l4, mfn, PTE_P | PTE_RW | PTE_A | PTE_D))
        test_error("restoring the framework's user L4 failed");
}

static void test_user_return(void)
{
    unsigned long alias = (ALIAS_SLOT << 39) + (unsigned long)&alias_magic;
    struct iret_req r = {
        .rax = 0xa2a2a2a2UL, .r11 = 0xb2b2b2b2UL, .rcx = 0xc2c2c2c2UL, .flags = 0,
        .rip = (unsigned long)iret_target, .cs = FLAT_USER_CS, .rflags = 0x2,
        .rsp = TARGET_SP, .ss = FLAT_USER_SS, .method = 1,
    };

    if (!build_user_l4())
        return;
    expect_exinfo("kernel-mode read through the alias", probe_read((void *)alias),
                  EXINFO(X86_PF, 0));
    iret_alias = alias;
    run(&r);
    printk("  user target: cs 0x%lx, #UD frame cs 0x%lx, alias read 0x%lx\n", seen_cs,
           back_cs, seen_alias);
    if ((back_cs & 3) != 3)
        test_failure("iret with CS RPL 3: the target's #UD came from kernel mode (cs 0x%lx)",
                     back_cs);
    if (seen_rax != r.rax || seen_rcx != r.rcx || seen_r11 != r.r11)
        test_failure("user return: rax/rcx/r11 0x%lx/0x%lx/0x%lx", seen_rax, seen_rcx,
                     seen_r11);
    if (seen_alias != alias_magic)
        test_failure("user mode could not read through the user L4's alias (0x%lx): the "
                     "user page table is not in use", seen_alias);
    drop_user_l4();
    expect_exinfo("kernel-mode read through the alias afterwards",
                  probe_read((void *)alias), EXINFO(X86_PF, 0));
}

/* Command-line mode "no-user-l4": must crash. */
static void no_user_l4(void)
{
    struct iret_req r = {
        .rip = (unsigned long)iret_target, .cs = FLAT_USER_CS, .rflags = 0x2,
        .rsp = TARGET_SP, .ss = FLAT_USER_SS,
    };
    long rc = set_user_l4(0);

    printk("Test: iret to user mode with no user L4 (the domain must be crashed)\n");
    if (rc) {
        test_error("NEW_USER_BASEPTR 0 returned %ld", rc);
        return;
    }
    iret_alias = (unsigned long)&alias_magic;
    run(&r);
    test_failure("iret to user mode with no user L4 returned (target cs 0x%lx, #UD cs 0x%lx)",
                 seen_cs, back_cs);
}

static const struct subtest cases[] = {
    { "return to kernel: RAX/RCX/R11/RIP/RSP/RFLAGS/CS", test_kernel_return },
    { "VGCF_in_syscall leaves RCX/R11 alone", test_in_syscall },
    { "IF in the saved flags sets/clears the upcall mask", test_if_and_mask },
    { "IF=1 with an event pending: upcall at the return address", test_pending_event },
    { "return to user mode switches to the user L4", test_user_return },
};

void test_main(void)
{

    if (cmdline_flag("no-user-l4")) {
        no_user_l4();
        return;
    }
    RUN_SUBTESTS(cases);
    test_success();
}
