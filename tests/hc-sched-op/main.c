/*
 * hc-sched-op: sched_op (hypercall 29): SCHEDOP_yield, SCHEDOP_block, SCHEDOP_shutdown.
 *
 * Checks: yield returns 0; block returns 0, clears the upcall mask (the implicit "sti" of
 * xen/sched.h) and lets an already-pending event through: the event callback runs once,
 * with a saved upcall mask of 0 in its frame and the mask set while it runs; shutdown
 * with a NULL, non-canonical or hypervisor-range argument gives -EFAULT and the domain
 * lives on; shutdown with a reason above SHUTDOWN_MAX gives -EINVAL (Parapet's policy:
 * Xen 4.17 does not check the reason and would end the domain, so those cases are not run
 * on the reference); unknown sub-ops give -ENOSYS.
 * How: block is always called with evtchn_upcall_pending set by hand (an event that is
 * already pending), so it must return at once on Parapet and on Xen; our own event
 * callback (evt_entry below) clears the pending flag and returns with HYPERVISOR_iret.
 * A good shutdown (SHUTDOWN_poweroff) is the framework's own exit path: the result line
 * is printed before it, and the runner checks the domain powered off.
 * Cannot detect: whether block really sleeps until an event arrives (no event source is
 * available to a test guest yet); whether yield gives the CPU away.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-sched-op: yield, block (mask cleared, pending event delivered), shutdown errors";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL

/* Written by evt_entry. */
volatile unsigned int evt_hits, evt_saved_mask, evt_mask_in_handler;
volatile unsigned long evt_rip;
struct vcpu_info *volatile evt_vcpu_info;
void evt_entry(void);

/*
 * Event callback: the bounce frame is rcx, r11, rip, cs (saved upcall mask in bits
 * 32-39), rflags, rsp, ss. Record what we need, clear evtchn_upcall_pending (the event
 * is consumed) and return through the iret hypercall with flags 0.
 */
__asm__(
    "    .pushsection .text\n"
    "    .globl evt_entry\n"
    "evt_entry:\n"
    "    pop   %rcx\n"
    "    pop   %r11\n"
    "    push  %rax\n"
    "    push  %rbx\n"
    "    mov   16(%rsp), %rax\n"                /* rip */
    "    mov   %rax, evt_rip(%rip)\n"
    "    movzbl 28(%rsp), %eax\n"               /* cs slot at 24, mask byte at +4 */
    "    mov   %eax, evt_saved_mask(%rip)\n"
    "    mov   evt_vcpu_info(%rip), %rbx\n"
    "    movzbl 1(%rbx), %eax\n"                /* evtchn_upcall_mask now */
    "    mov   %eax, evt_mask_in_handler(%rip)\n"
    "    movb  $0, (%rbx)\n"                    /* evtchn_upcall_pending = 0 */
    "    lock incl evt_hits(%rip)\n"
    "    pop   %rbx\n"
    "    pop   %rax\n"
    "    push  $0\n"                            /* iret flags */
    "    jmp   hypercall_page + 23 * 32\n"
    "    .popsection\n");

static long register_event_callback(void *entry)
{
    struct callback_register cb = {
        .type = CALLBACKTYPE_event,
        .address = (unsigned long)entry,
    };

    return HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb);
}

static void test_yield(void)
{
    long rc = HYPERVISOR_sched_op(SCHEDOP_yield, 0);

    if (rc)
        test_failure("SCHEDOP_yield returned %ld, expected 0", rc);
    rc = HYPERVISOR_sched_op(SCHEDOP_yield, NONCANON);
    if (rc)
        test_failure("SCHEDOP_yield (argument ignored) returned %ld, expected 0", rc);
}

static void test_block(void)
{
    struct vcpu_info *vi = &shared_info->vcpu_info[0];
    long rc;

    evt_vcpu_info = vi;
    evt_hits = 0;
    evt_saved_mask = evt_mask_in_handler = 0xff;
    rc = register_event_callback(evt_entry);
    if (rc) {
        test_error("callback_op(register event) returned %ld", rc);
        return;
    }
    vi->evtchn_upcall_mask = 1;
    barrier();
    vi->evtchn_upcall_pending = 1;              /* an event already waiting */
    barrier();
    rc = HYPERVISOR_sched_op(SCHEDOP_block, 0);
    barrier();
    printk("  block -> %ld, upcalls %u, saved mask %u, mask in handler %u, mask now %u\n",
           rc, evt_hits, evt_saved_mask, evt_mask_in_handler, vi->evtchn_upcall_mask);
    if (rc)
        test_failure("SCHEDOP_block returned %ld, expected 0", rc);
    if (evt_hits != 1)
        test_failure("the pending event was delivered %u times after block, expected once",
                     evt_hits);
    else {
        if (evt_saved_mask != 0)
            test_failure("event frame saved mask %u: block did not clear the upcall mask",
                         evt_saved_mask);
        if (evt_mask_in_handler != 1)
            test_failure("upcall mask %u inside the event callback, expected 1",
                         evt_mask_in_handler);
    }
    if (vi->evtchn_upcall_mask != 0)
        test_failure("upcall mask %u after block, expected 0", vi->evtchn_upcall_mask);

    vi->evtchn_upcall_mask = 1;                 /* the framework runs with events masked */
    vi->evtchn_upcall_pending = 0;
    rc = register_event_callback(entry_event);
    if (rc)
        test_error("callback_op(register event) back to the framework's returned %ld", rc);
}

static const struct {
    const char *name;
    unsigned long cmd, arg;
    long want;
} error_cases[] = {
    { "shutdown, NULL argument", SCHEDOP_shutdown, 0, -XEN_EFAULT },
    { "shutdown, non-canonical argument", SCHEDOP_shutdown, NONCANON, -XEN_EFAULT },
    { "shutdown, hypervisor-range argument", SCHEDOP_shutdown, HV_RANGE, -XEN_EFAULT },
    { "unknown sub-op 100", 100, 0, -XEN_ENOSYS },
    { "unknown sub-op 0x7fffffff", 0x7fffffff, 0, -XEN_ENOSYS },
};

static void test_errors(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(error_cases); i++) {
        long rc = HYPERVISOR_sched_op(error_cases[i].cmd, error_cases[i].arg);

        printk("  case: %s -> %ld\n", error_cases[i].name, rc);
        if (rc != error_cases[i].want)
            test_failure("%s: returned %ld, expected %ld", error_cases[i].name, rc,
                         error_cases[i].want);
    }
}

/* Reasons a Xen-ABI guest can name are 0..SHUTDOWN_MAX; Parapet refuses the others. */
static void test_bad_reason(void)
{
    static const unsigned int reasons[] = { SHUTDOWN_MAX + 1, 255, 0x100, 0xffffffff };
    unsigned int i;

    if (cmdline_flag("xen-reference")) {
        printk("  not run on the reference: Xen 4.17 shuts the domain down for any reason\n");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(reasons); i++) {
        struct sched_shutdown sd = { .reason = reasons[i] };
        long rc = HYPERVISOR_sched_op(SCHEDOP_shutdown, (unsigned long)&sd);

        printk("  case: reason 0x%x -> %ld\n", reasons[i], rc);
        if (rc != -XEN_EINVAL)
            test_failure("shutdown with reason 0x%x returned %ld, expected %d", reasons[i],
                         rc, -XEN_EINVAL);
    }
}

static const struct subtest cases[] = {
    { "SCHEDOP_yield returns 0", test_yield },
    { "SCHEDOP_block with an event pending: returns 0, clears the mask, event delivered",
      test_block },
    { "bad arguments and sub-ops", test_errors },
    { "SCHEDOP_shutdown with a reason above SHUTDOWN_MAX -> -EINVAL", test_bad_reason },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    printk("Test: a good SCHEDOP_shutdown (poweroff) is the framework's exit below\n");
    test_success();
}
