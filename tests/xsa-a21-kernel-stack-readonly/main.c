/*
 * xsa-a21-kernel-stack-readonly (EXPECT_CRASH): the kernel stack registered with
 * stack_switch is read-only at the moment a user-mode exception needs it for the
 * bounce frame.
 *
 * Checks: the hypervisor writes bounce frames with a checked, fault-tolerant copy; when
 * the frame cannot be written on the registered kernel stack it crashes the domain
 * (there is no other stack the guest gave it), never faults itself, never writes the
 * frame anywhere else; the host survives (AFTER=hello). Xen does the same
 * (create_bounce_frame's fault path).
 * How: stack_switch to the top of a page of ours, which is then made read-only; a ud2
 * in user mode (exec_user). If the guest ever gets control back (its #UD handler, or
 * the user function returning), that is reported as FAILURE (../xsa-common/crash_attack.h).
 * Cannot detect: a hypervisor that writes the frame on the current (user) stack instead
 * and crashes later for another reason (the EXPECT_CRASH regex names the bounce frame).
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] =
    "xsa-a21-kernel-stack-readonly: kernel stack read-only at a bounce";

static uint8_t kstack[PAGE_SIZE] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));

static unsigned long user_ud2(void)
{
    __asm__ volatile("ud2");
    return 0;
}

void test_main(void)
{
    long rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kstack + PAGE_SIZE);

    if (rc) {
        test_error("stack_switch to our page failed: %ld", rc);
        return;
    }
    rc = HYPERVISOR_update_va_mapping((unsigned long)kstack,
                                      virt_to_mfn(kstack) << PAGE_SHIFT | PTE_P | PTE_A,
                                      UVMF_INVLPG);
    if (rc) {
        test_error("making the kernel stack read-only failed: %ld", rc);
        return;
    }
    crash_attack_arm("ud2 in user mode with the registered kernel stack read-only");
    exec_user(user_ud2);
    crash_attack_survived();
}
