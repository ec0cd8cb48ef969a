/*
 * The shared body of the xsa-a21-kernel-stack-* attacks: register a page of ours as the
 * guest kernel stack (stack_switch), replace its mapping with 'pte' (0 = unmapped, or a
 * read-only entry), then raise #UD in user mode so the hypervisor must write a bounce
 * frame there. The hypervisor must crash the domain (../xsa-common/crash_attack.h
 * reports any return of control as FAILURE).
 */
#ifndef XSA_COMMON_KSTACK_ATTACK_H
#define XSA_COMMON_KSTACK_ATTACK_H

#include "crash_attack.h"

static uint8_t kstack[PAGE_SIZE] __aligned(PAGE_SIZE)
    __attribute__((section(".bss.page_aligned")));

static unsigned long user_ud2(void)
{
    __asm__ volatile("ud2");
    return 0;
}

/* A present entry for the stack page with these flags (for the read-only variant). */
static inline uint64_t kstack_mfn_pte(uint64_t flags)
{
    return virt_to_mfn(kstack) << PAGE_SHIFT | flags;
}

/* state: how the stack is left, for the messages ("unmapped", "read-only"). */
static void kstack_attack(uint64_t pte, const char *state)
{
    long rc = HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kstack + PAGE_SIZE);

    if (rc) {
        test_error("stack_switch to our page failed: %ld", rc);
        return;
    }
    rc = HYPERVISOR_update_va_mapping((unsigned long)kstack, pte, UVMF_INVLPG);
    if (rc) {
        test_error("making the kernel stack %s failed: %ld", state, rc);
        return;
    }
    static char attack[96];    /* crash_attack_arm keeps the pointer */
    snprintf(attack, sizeof(attack), "ud2 in user mode with the registered kernel stack %s",
             state);
    crash_attack_arm(attack);
    exec_user(user_ud2);
    crash_attack_survived();
}

#endif
