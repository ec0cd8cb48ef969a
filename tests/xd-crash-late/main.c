/*
 * xd-crash-late (EXPECT_CRASH): a domain that the hypervisor must crash while another
 * domain is running beside it, after it has shared the CPU for a while.
 *
 * Checks: after delay_ms= of system time (default 100) spent spinning, so that the
 * scheduler has switched between it and its peer many times, the domain clears its
 * trap table (set_trap_table(NULL), which the ABI allows) and executes ud2: with no
 * handler to bounce to, the only correct answer is to crash this domain ("exception 6
 * #UD with no handler registered", the reason xsa-a21-no-handler expects too). The
 * peer, xd-busy (test.conf PEERS), keeps running and must report SUCCESS: its clock,
 * timer and runstate stay right across the crash. tests/e2e/crash-beside-healthy.sh
 * boots the two the other way round and checks the log around the crash.
 * How: ../xsa-common/crash_attack.h; a hypervisor that let the guest continue is caught
 * by the instruction after the ud2 and reported as FAILURE.
 * Cannot detect: what the crash leaves behind beyond what the peer and the hypervisor's
 * own teardown checks (audit, leak check) see.
 */
#include "../xsa-common/crash_attack.h"

const char test_title[] = "xd-crash-late: crashed beside a running domain";

void test_main(void)
{
    unsigned long delay_ms = cmdline_ulong("delay_ms", 100);
    long rc;

    printk("Test: spin %lu ms beside the peer, then an exception with no trap table\n",
           delay_ms);
    spin_ns(delay_ms * NS_PER_MS);
    crash_attack_arm("ud2 in kernel mode after set_trap_table(NULL), beside a peer");
    rc = HYPERVISOR_set_trap_table(0);
    if (rc) {
        install_default_traps();
        test_error("set_trap_table(NULL) failed: %ld", rc);
        return;
    }
    __asm__ volatile("ud2");
    install_default_traps();
    crash_attack_survived();
}
