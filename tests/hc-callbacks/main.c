/*
 * hc-callbacks: callback_op (hypercall 30) register/unregister, and set_callbacks (4).
 *
 * Checks: registering each callback type (event, failsafe, syscall, syscall32, sysenter,
 * nmi) at a good address returns 0; the syscall registration takes effect (a user-mode
 * syscall enters at the newly registered address) and CALLBACKF_mask_events decides
 * whether the upcall mask is set on entry; unregistering nmi returns 0 and the other
 * known types give -EINVAL; an unknown type gives -ENOSYS for both sub-ops (Xen
 * pv/callback.c); a non-canonical address gives -EINVAL and leaves the old registration
 * in place; a hypervisor-range address gives -EINVAL on Parapet (docs/decisions.md D9;
 * Xen accepts any canonical address, so there 0 is expected); a NULL, non-canonical or
 * hypervisor-range argument pointer gives -EFAULT; unknown sub-ops give -ENOSYS;
 * set_callbacks registers event, failsafe and syscall with flags 0, and with a
 * non-canonical syscall address leaves the syscall callback alone (Parapet returns
 * -EINVAL, Xen 0).
 * How: the syscall callback is pointed at small stubs that count their entries and then
 * join the framework's entry_syscall; the user function clears the upcall mask before
 * its syscall, so the mask seen by the syscall hook tells whether the hypervisor set it.
 * Cannot detect: whether the event, failsafe, nmi, syscall32 and sysenter callbacks are
 * entered at their registered addresses (no event, failing segment load, NMI or 32-bit
 * code happens in this test); a hypervisor that masks events only when they are pending.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-callbacks: callback_op register/unregister of every type, set_callbacks";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL
#define USER_RAX    0x5c5c

static bool on_xen;

/* Two syscall entry points that count and then join the framework's. */
volatile unsigned int sc1_hits, sc2_hits;
void sc1_entry(void);
void sc2_entry(void);
__asm__(
    "    .pushsection .text\n"
    "    .globl sc1_entry, sc2_entry\n"
    "sc1_entry:\n"
    "    lock incl sc1_hits(%rip)\n"
    "    jmp   entry_syscall\n"
    "sc2_entry:\n"
    "    lock incl sc2_hits(%rip)\n"
    "    jmp   entry_syscall\n"
    "    .popsection\n");

/* An address that is only registered, never entered. */
void never_entered(void);
__asm__(".pushsection .text\nnever_entered:\n    ud2\n.popsection\n");

static long cb_register(unsigned int type, unsigned int flags, unsigned long address)
{
    struct callback_register cb = {
        .type = (uint16_t)type, .flags = (uint16_t)flags, .address = address,
    };

    return HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);
}

static long cb_unregister(unsigned int type)
{
    struct callback_unregister cb = { .type = (uint16_t)type };

    return HYPERVISOR_callback_op(CALLBACKOP_unregister, (unsigned long)&cb);
}

static void expect(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

/* The framework's registrations, as start_kernel() made them. */
static void restore_framework(void)
{
    if (cb_register(CALLBACKTYPE_event, CALLBACKF_mask_events,
                    (unsigned long)entry_event) ||
        cb_register(CALLBACKTYPE_failsafe, CALLBACKF_mask_events,
                    (unsigned long)entry_failsafe) ||
        cb_register(CALLBACKTYPE_syscall, CALLBACKF_mask_events,
                    (unsigned long)entry_syscall))
        test_error("could not restore the framework's callbacks");
    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
}

/* ---- a user-mode syscall, and what its callback saw ---------------------------------- */

static unsigned int hook_hits;
static uint8_t hook_mask, hook_saved_mask;
static uint64_t hook_rax;

static void syscall_hook(struct cpu_regs *regs)
{
    hook_hits++;
    hook_mask = shared_info->vcpu_info[0].evtchn_upcall_mask;
    hook_saved_mask = regs->saved_upcall_mask;
    hook_rax = regs->rax;
    regs->rax = ~regs->rax;
}

static unsigned long user_syscall_unmasked(void)
{
    unsigned long rax = USER_RAX;

    shared_info->vcpu_info[0].evtchn_upcall_mask = 0;   /* "sti" before the syscall */
    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
    return rax;
}

/* Run one user syscall; true if it reached the hook with rax intact and came back. */
static bool user_syscall(const char *what)
{
    unsigned long r;

    hook_hits = 0;
    set_syscall_hook(syscall_hook);
    r = exec_user(user_syscall_unmasked);
    set_syscall_hook(NULL);
    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
    if (hook_hits != 1 || hook_rax != USER_RAX || r != ~(unsigned long)USER_RAX) {
        test_failure("%s: user syscall reached the hook %u times (rax in 0x%lx, back 0x%lx)",
                     what, hook_hits, hook_rax, r);
        return false;
    }
    return true;
}

/* ---- cases ---------------------------------------------------------------------------- */

static const struct {
    const char *name;
    unsigned int type;
    void *address;
} types[] = {
    { "event", CALLBACKTYPE_event, never_entered },
    { "failsafe", CALLBACKTYPE_failsafe, never_entered },
    { "syscall", CALLBACKTYPE_syscall, sc1_entry },
    { "syscall32", CALLBACKTYPE_syscall32, never_entered },
    { "sysenter", CALLBACKTYPE_sysenter, never_entered },
    { "nmi", CALLBACKTYPE_nmi, never_entered },
};

static void test_register_each(void)
{
    unsigned int i;
    char what[64];

    for (i = 0; i < ARRAY_SIZE(types); i++) {
        snprintf(what, sizeof(what), "register %s", types[i].name);
        expect(what, cb_register(types[i].type, 0, (unsigned long)types[i].address), 0);
    }
    restore_framework();
}

static void test_syscall_takes_effect(void)
{
    static const struct {
        const char *name;
        unsigned int flags;
        uint8_t want_mask;
    } flag_cases[] = {
        { "flags 0: upcall mask left clear", 0, 0 },
        { "CALLBACKF_mask_events: upcall mask set", CALLBACKF_mask_events, 1 },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(flag_cases); i++) {
        printk("  %s\n", flag_cases[i].name);
        sc1_hits = 0;
        expect("register syscall", cb_register(CALLBACKTYPE_syscall, flag_cases[i].flags,
                                               (unsigned long)sc1_entry), 0);
        if (!user_syscall(flag_cases[i].name))
            continue;
        if (sc1_hits != 1)
            test_failure("%s: the registered entry ran %u times, expected once",
                         flag_cases[i].name, sc1_hits);
        if (hook_saved_mask != 0)
            test_failure("%s: frame saved mask %u, expected 0 (user mode had cleared it)",
                         flag_cases[i].name, hook_saved_mask);
        if (hook_mask != flag_cases[i].want_mask)
            test_failure("%s: upcall mask %u in the callback, expected %u",
                         flag_cases[i].name, hook_mask, flag_cases[i].want_mask);
    }
    restore_framework();
}

static void test_unregister(void)
{
    static const struct {
        const char *name;
        unsigned int type;
        long want;
    } cases[] = {
        { "event", CALLBACKTYPE_event, -XEN_EINVAL },
        { "failsafe", CALLBACKTYPE_failsafe, -XEN_EINVAL },
        { "syscall", CALLBACKTYPE_syscall, -XEN_EINVAL },
        { "syscall32", CALLBACKTYPE_syscall32, -XEN_EINVAL },
        { "sysenter", CALLBACKTYPE_sysenter, -XEN_EINVAL },
        { "nmi", CALLBACKTYPE_nmi, 0 },
        { "nmi again", CALLBACKTYPE_nmi, 0 },
        { "type 3 (sysenter_deprecated)", 3, -XEN_ENOSYS },
        { "type 6", 6, -XEN_ENOSYS },
        { "type 8", 8, -XEN_ENOSYS },
        { "type 0xffff", 0xffff, -XEN_ENOSYS },
    };
    unsigned int i;
    char what[64];

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(what, sizeof(what), "unregister %s", cases[i].name);
        expect(what, cb_unregister(cases[i].type), cases[i].want);
    }
    /* The syscall callback survived its refused unregistration. */
    user_syscall("after unregister(syscall)");
}

static void test_register_bad(void)
{
    static const unsigned int bad_types[] = { 3, 6, 8, 0xffff };
    unsigned int i;
    char what[80];

    for (i = 0; i < ARRAY_SIZE(bad_types); i++) {
        snprintf(what, sizeof(what), "register type 0x%x", bad_types[i]);
        expect(what, cb_register(bad_types[i], 0, (unsigned long)never_entered), -XEN_ENOSYS);
    }

    /* From here the syscall callback is sc1_entry: a refused registration keeps it. */
    expect("register syscall", cb_register(CALLBACKTYPE_syscall, CALLBACKF_mask_events,
                                           (unsigned long)sc1_entry), 0);
    for (i = 0; i < ARRAY_SIZE(types); i++) {
        snprintf(what, sizeof(what), "register %s at a non-canonical address", types[i].name);
        expect(what, cb_register(types[i].type, 0, NONCANON), -XEN_EINVAL);
        snprintf(what, sizeof(what), "register %s at 0x0000800000000000", types[i].name);
        expect(what, cb_register(types[i].type, 0, 0x0000800000000000UL), -XEN_EINVAL);
        snprintf(what, sizeof(what), "register %s at a hypervisor address", types[i].name);
        expect(what, cb_register(types[i].type, 0, HV_RANGE), on_xen ? 0 : -XEN_EINVAL);
        if (on_xen && types[i].type == CALLBACKTYPE_syscall)   /* Xen took it: put it back */
            cb_register(CALLBACKTYPE_syscall, CALLBACKF_mask_events, (unsigned long)sc1_entry);
    }
    sc1_hits = 0;
    if (user_syscall("after refused registrations") && sc1_hits != 1)
        test_failure("a refused registration replaced the syscall callback");
    restore_framework();
}

static void test_bad_pointers(void)
{
    static const struct {
        const char *name;
        unsigned long cmd, arg;
        long want;
    } cases[] = {
        { "register, NULL argument", CALLBACKOP_register, 0, -XEN_EFAULT },
        { "register, non-canonical argument", CALLBACKOP_register, NONCANON, -XEN_EFAULT },
        { "register, hypervisor-range argument", CALLBACKOP_register, HV_RANGE, -XEN_EFAULT },
        { "unregister, NULL argument", CALLBACKOP_unregister, 0, -XEN_EFAULT },
        { "unregister, non-canonical argument", CALLBACKOP_unregister, NONCANON,
          -XEN_EFAULT },
        { "unregister, hypervisor-range argument", CALLBACKOP_unregister, HV_RANGE,
          -XEN_EFAULT },
        { "sub-op 2", 2, 0, -XEN_ENOSYS },
        { "sub-op 0xffff", 0xffff, 0, -XEN_ENOSYS },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++)
        expect(cases[i].name, HYPERVISOR_callback_op(cases[i].cmd, cases[i].arg),
               cases[i].want);
}

static void test_set_callbacks(void)
{
    long rc;

    sc2_hits = 0;
    rc = HYPERVISOR_set_callbacks((unsigned long)entry_event, (unsigned long)entry_failsafe,
                                  (unsigned long)sc2_entry);
    expect("set_callbacks(event, failsafe, sc2)", rc, 0);
    if (user_syscall("after set_callbacks")) {
        if (sc2_hits != 1)
            test_failure("set_callbacks: the new syscall entry ran %u times, expected once",
                         sc2_hits);
        if (hook_mask != 0)
            test_failure("set_callbacks registers with flags 0, but the syscall callback "
                         "ran with the upcall mask set");
    }

    /* A non-canonical syscall address: the syscall callback stays sc2_entry. */
    rc = HYPERVISOR_set_callbacks((unsigned long)entry_event, (unsigned long)entry_failsafe,
                                  NONCANON);
    expect("set_callbacks with a non-canonical syscall address", rc,
           on_xen ? 0 : -XEN_EINVAL);
    sc2_hits = 0;
    if (user_syscall("after a refused set_callbacks") && sc2_hits != 1)
        test_failure("set_callbacks with a non-canonical address replaced the syscall "
                     "callback");
    restore_framework();
}

static const struct subtest cases[] = {
    { "register each callback type", test_register_each },
    { "the syscall registration takes effect, with and without mask_events",
      test_syscall_takes_effect },
    { "unregister: nmi only; others -EINVAL; unknown types -ENOSYS", test_unregister },
    { "register: unknown types, non-canonical and hypervisor addresses", test_register_bad },
    { "bad argument pointers and sub-ops", test_bad_pointers },
    { "set_callbacks", test_set_callbacks },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
