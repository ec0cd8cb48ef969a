/*
 * xsa-a21-bad-callbacks: security invariant A21, the cases whose answer is not a crash.
 * Every address the guest registers as a place to be entered (trap-table handlers,
 * event/failsafe/syscall/syscall32/sysenter/NMI callbacks, the stack_switch kernel
 * stack) is checked when registered: non-canonical or inside the hypervisor hole gives
 * -EINVAL and changes nothing. A handler that is fine when registered but unmapped when
 * used makes the guest take a #PF at that address, never the host.
 *
 * Checks:
 *  - set_trap_table with one entry whose address is non-canonical (three kinds) or in
 *    the hole (the M2P, the hypervisor image, the last byte): -EINVAL, and the vector
 *    stays undelivered (int $0x2e still gives #GP);
 *  - callback_op(register) of each callback type, and set_callbacks, with the same
 *    addresses: -EINVAL;
 *  - stack_switch with a kernel stack pointer that is non-canonical or whose frames
 *    would lie in the hole: -EINVAL;
 *  - the #UD handler registered in a page of ours that is then unmapped: ud2 in kernel
 *    and in user mode gives a #PF (instruction fetch, not present) at exactly the
 *    handler's address, with CR2 the same, on a frame whose RSP points at the #UD frame;
 *    the syscall callback likewise for a user-mode syscall.
 * How: direct hypercalls; the framework's trap table, callbacks and kernel stack are
 * restored after each case. Xen 4.17 checks only canonicality (not the hole) for trap
 * handlers and callbacks, ignores the result in set_callbacks, and checks nothing for
 * stack_switch (checked under QEMU): on the reference (command line "xen-reference")
 * those acceptances are warnings.
 * The crash answers (kernel stack unmapped or read-only at a user->kernel bounce; no
 * handler at all) are the EXPECT_CRASH tests xsa-a21-kernel-stack-* and
 * xsa-a21-no-handler.
 * Cannot detect: a hypervisor that checks at registration but later trusts a stored
 * address it modified itself; LDT base addresses (MMUEXT_SET_LDT with entries is not
 * implemented by Parapet).
 */
#include <xen/errno.h>
#include "test.h"

const char test_title[] =
    "xsa-a21-bad-callbacks: callback and handler addresses are checked";

#define VEC_SPARE       0x2e        /* a vector the framework never registers */

static const struct {
    unsigned long va;
    bool in_hole;               /* canonical, but the hypervisor's */
    const char *name;
} bad_addrs[] = {
    { 0x0000800000000000UL, false, "non-canonical 0x0000800000000000" },
    { 0x8000000000000000UL, false, "non-canonical 0x8000000000000000" },
    { 0xFFFF7FFFFFFFFFFFUL, false, "non-canonical 0xFFFF7FFFFFFFFFFF" },
    { 0xFFFF800000000000UL, true, "the RO M2P (hole)" },
    { 0xFFFF828000100000UL, true, "the hypervisor image (hole)" },
    { 0xFFFF87FFFFFFFFFFUL, true, "the last byte of the hole" },
};

static uint8_t handler_page[PAGE_SIZE] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));

/*
 * -EINVAL is the answer. On the Xen reference a hole address is accepted (Xen checks
 * only canonicality), and set_callbacks returns 0 whatever register_guest_callback
 * said: both are warnings there.
 */
static void expect_refused(const char *what, const char *addr_name, bool xen_may_accept,
                           long rc)
{
    if (rc == -XEN_EINVAL)
        return;
    if (rc == 0 && xen_may_accept && cmdline_flag("xen-reference"))
        test_warning("%s at %s accepted (as Xen does)", what, addr_name);
    else
        test_failure("%s at %s returned %ld, expected -EINVAL", what, addr_name, rc);
}

static void restore_callbacks(void)
{
    static const struct {
        unsigned int type;
        char *entry;
    } cbs[] = {
        { CALLBACKTYPE_event, entry_event },
        { CALLBACKTYPE_failsafe, entry_failsafe },
        { CALLBACKTYPE_syscall, entry_syscall },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cbs); i++) {
        struct callback_register cb = {
            .type = (uint16_t)cbs[i].type,
            .flags = CALLBACKF_mask_events,
            .address = (unsigned long)cbs[i].entry,
        };
        long rc = HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);

        if (rc)
            panic("re-registering callback %u failed: %ld", cbs[i].type, rc);
    }
}

static void restore_stack(void)
{
    long rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack_top);

    if (rc)
        panic("stack_switch back to our kernel stack failed: %ld", rc);
}

/* ---- 1. trap table ------------------------------------------------------------------- */

static void test_trap_table(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(bad_addrs); i++) {
        struct trap_info t[2] = {
            { .vector = VEC_SPARE, .flags = 3, .cs = FLAT_KERNEL_CS,
              .address = bad_addrs[i].va },
            { 0 },
        };
        exinfo_t e;

        expect_refused("set_trap_table entry", bad_addrs[i].name, bad_addrs[i].in_hole,
                       HYPERVISOR_set_trap_table((unsigned long)t));
        install_default_traps();        /* undo whatever was merged */
        e = probe_exec("int $" STR(VEC_SPARE));
        if (e != EXINFO(X86_GP, VEC_SPARE << 3 | 2) &&
            e != EXINFO(X86_GP, VEC_SPARE << 4 | 2))    /* QEMU < 9 under Xen */
            test_failure("after refusing a handler at %s, int $0x%x gave %lx, expected "
                         "#GP", bad_addrs[i].name, VEC_SPARE, (unsigned long)e);
    }
}

/* ---- 2. callbacks -------------------------------------------------------------------- */

static void test_callbacks(void)
{
    static const struct {
        unsigned int type;
        const char *name;
    } types[] = {
        { CALLBACKTYPE_event, "event" }, { CALLBACKTYPE_failsafe, "failsafe" },
        { CALLBACKTYPE_syscall, "syscall" }, { CALLBACKTYPE_syscall32, "syscall32" },
        { CALLBACKTYPE_sysenter, "sysenter" }, { CALLBACKTYPE_nmi, "nmi" },
    };
    char what[64];
    unsigned int i, j;
    long rc;

    for (i = 0; i < ARRAY_SIZE(bad_addrs); i++) {
        unsigned long a = bad_addrs[i].va;

        for (j = 0; j < ARRAY_SIZE(types); j++) {
            struct callback_register cb = {
                .type = (uint16_t)types[j].type, .flags = CALLBACKF_mask_events,
                .address = a,
            };

            snprintf(what, sizeof(what), "callback_op(register, %s)", types[j].name);
            rc = HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);
            expect_refused(what, bad_addrs[i].name, bad_addrs[i].in_hole, rc);
        }
        rc = HYPERVISOR_set_callbacks(a, (unsigned long)entry_failsafe,
                                      (unsigned long)entry_syscall);
        expect_refused("set_callbacks(event)", bad_addrs[i].name, true, rc);
        rc = HYPERVISOR_set_callbacks((unsigned long)entry_event, a,
                                      (unsigned long)entry_syscall);
        expect_refused("set_callbacks(failsafe)", bad_addrs[i].name, true, rc);
        rc = HYPERVISOR_set_callbacks((unsigned long)entry_event,
                                      (unsigned long)entry_failsafe, a);
        expect_refused("set_callbacks(syscall)", bad_addrs[i].name, true, rc);
        restore_callbacks();
    }
}

/* ---- 3. stack_switch ----------------------------------------------------------------- */

static void test_stack_switch(void)
{
    static const struct {
        unsigned long sp;
        const char *name;
    } sps[] = {
        { 0x8000000000000000UL, "non-canonical 0x8000000000000000" },
        { 0x0000800000000010UL, "non-canonical 0x0000800000000010" },
        { 0xFFFF800000001000UL, "in the hole (M2P)" },
        { 0xFFFF828000200000UL, "in the hole (hypervisor image)" },
        { 0xFFFF880000000000UL, "the end of the hole (frames below it are the hole's)" },
    };
    unsigned int i;
    long rc;

    for (i = 0; i < ARRAY_SIZE(sps); i++) {
        rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, sps[i].sp);
        if (rc == 0 && cmdline_flag("xen-reference"))
            test_warning("stack_switch to %s accepted (Xen checks at bounce time)",
                         sps[i].name);
        else if (rc != -XEN_EINVAL)
            test_failure("stack_switch to %s returned %ld, expected -EINVAL", sps[i].name,
                         rc);
        restore_stack();
    }
}

/* ---- 4. handlers unmapped after registration ----------------------------------------- */

static unsigned long bad_handler;        /* the unmapped handler's address */
static unsigned int pf_hits;
static uint64_t pf_ec, pf_rip, pf_cr2;
static bool pf_user;                     /* the faulting event came from user mode */

/*
 * The #PF at the unmapped handler: its frame's RSP points at the bounce frame of the
 * event that was being delivered (rcx, r11, rip, cs, rflags, rsp, ss: #UD and syscall
 * have no error code). Resume the interrupted code as if the handler had skipped it.
 */
static bool pf_at_handler(struct cpu_regs *regs)
{
    const uint64_t *inner = (const uint64_t *)regs->rsp;

    if (regs->rip != bad_handler)
        return false;
    pf_hits++;
    pf_ec = regs->error_code;
    pf_rip = regs->rip;
    pf_cr2 = read_vcpu_cr2();
    if ((inner[3] & 3) == 3) {          /* from user mode: end exec_user() */
        pf_user = true;
        exec_user_return(0x5a5a);
    }
    regs->rcx = inner[0];
    regs->r11 = inner[1];
    regs->rip = inner[2] + 2;           /* past the ud2 */
    regs->rsp = inner[5];
    return true;
}

static unsigned long user_ud2(void)
{
    __asm__ volatile("ud2");
    return 0;
}

static unsigned long user_syscall(void)
{
    __asm__ volatile("syscall" ::: "rcx", "r11", "memory");
    return 0;
}

static void check_pf(const char *what, bool user)
{
    if (pf_hits != 1)
        test_failure("%s: %u #PF at the unmapped handler, expected 1", what, pf_hits);
    else if (pf_rip != bad_handler || pf_cr2 != bad_handler)
        test_failure("%s: #PF at rip %lx, cr2 %lx; expected both %lx", what, pf_rip, pf_cr2,
                     bad_handler);
    else if (pf_ec != PFEC_I && pf_ec != 0)
        test_failure("%s: #PF error code %lx, expected an instruction fetch, not present, "
                     "kernel (%x)", what, pf_ec, PFEC_I);
    else if (user != pf_user)
        test_failure("%s: the event was %s mode, expected %s", what,
                     pf_user ? "user" : "kernel", user ? "user" : "kernel");
}

static void test_unmapped_handler(void)
{
    struct trap_info t[2] = {
        { .vector = X86_UD, .flags = 0, .cs = FLAT_KERNEL_CS, .address = 0 },
        { 0 },
    };
    long rc;

    /* A handler page that is mapped when registered, unmapped when used. */
    memset(handler_page, 0x90, sizeof(handler_page));
    bad_handler = (unsigned long)handler_page + 0x100;
    t[0].address = bad_handler;
    rc = HYPERVISOR_set_trap_table((unsigned long)t);
    if (rc) {
        test_error("set_trap_table(#UD -> %lx) failed: %ld", bad_handler, rc);
        return;
    }
    rc = HYPERVISOR_update_va_mapping((unsigned long)handler_page, 0, UVMF_INVLPG);
    if (rc) {
        test_error("unmapping the handler page failed: %ld", rc);
        install_default_traps();
        return;
    }
    set_vector_handler(X86_PF, pf_at_handler);

    pf_hits = 0;
    pf_user = false;
    __asm__ volatile("ud2" ::: "rcx", "r11", "memory");
    check_pf("ud2 in kernel mode, #UD handler unmapped", false);

    pf_hits = 0;
    pf_user = false;
    exec_user(user_ud2);
    check_pf("ud2 in user mode, #UD handler unmapped", true);
    install_default_traps();

    /* The syscall callback, likewise. */
    {
        struct callback_register cb = {
            .type = CALLBACKTYPE_syscall, .flags = CALLBACKF_mask_events,
            .address = bad_handler,
        };

        rc = HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);
        if (rc) {
            test_error("registering the syscall callback at %lx failed: %ld", bad_handler,
                       rc);
        } else {
            pf_hits = 0;
            pf_user = false;
            exec_user(user_syscall);
            check_pf("user syscall, syscall callback unmapped", true);
        }
        restore_callbacks();
    }

    set_vector_handler(X86_PF, NULL);
    remap_page(handler_page, virt_to_mfn(handler_page), PTE_P | PTE_RW | PTE_A | PTE_D);
}

static const struct subtest cases[] = {
    { "trap-table handlers outside the guest range", test_trap_table },
    { "callbacks outside the guest range", test_callbacks },
    { "stack_switch stacks outside the guest range", test_stack_switch },
    { "handlers unmapped after registration give the guest a #PF there",
      test_unmapped_handler },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
