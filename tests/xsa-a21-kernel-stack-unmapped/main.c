/*
 * xsa-a21-kernel-stack-unmapped (EXPECT_CRASH): the kernel stack registered with
 * stack_switch is unmapped at the moment a user-mode exception needs it for the
 * bounce frame.
 *
 * Checks: the hypervisor writes bounce frames with a checked, fault-tolerant copy; when
 * the frame cannot be written on the registered kernel stack it crashes the domain
 * (there is no other stack the guest gave it), never faults itself, never writes the
 * frame anywhere else; the host survives (AFTER=hello). Xen does the same
 * (create_bounce_frame's fault path).
 * How: stack_switch to the top of a page of ours, which is then made unmapped; a ud2
 * in user mode (exec_user). If the guest ever gets control back (its #UD handler, or
 * the user function returning), that is reported as FAILURE (../xsa-common/kstack_attack.h).
 * Cannot detect: a hypervisor that writes the frame on the current (user) stack instead
 * and crashes later for another reason (the EXPECT_CRASH regex names the bounce frame).
 */
#include "../xsa-common/kstack_attack.h"

const char test_title[] =
    "xsa-a21-kernel-stack-unmapped: kernel stack unmapped at a bounce";

void test_main(void)
{
    kstack_attack(0, "unmapped");
}
