/*
 * hc-parapet-stats: parapet_op(PARAPET_OP_stats) (hypercall 63, Parapet's own): the
 * calling vCPU's event counters move by exactly what the guest did between two reads.
 *
 * Checks: 10 xen_version hypercalls add 11 to `hypercalls` (the second stats call counts
 * itself); a multicall of 3 entries adds 4 (+1 for the read); 3 forced-emulation cpuids
 * add 3 to `emulations`; 2 int3 caught by our handler add 2 to `exceptions`; one event
 * raised on an IPI port with events enabled adds 1 to `upcalls`; `switches` is at least
 * 1 (we run); a bad pointer gives -EFAULT and an unknown sub-op -ENOSYS;
 * PARAPET_OP_domain_info is the control domain's only: -EPERM here. On Xen 4.17 the
 * hypercall does not exist (-ENOSYS): the test skips.
 * Cannot detect: counts of events this guest does not cause (other vCPUs, other domains).
 */
#include "test.h"
#include <xen/errno.h>
#include "parapet-abi.h"

const char test_title[] = "hc-parapet-stats: parapet_op stats count exactly what happened";

static long stats(struct parapet_vcpu_stats *s)
{
    return HYPERVISOR_parapet_op(PARAPET_OP_stats, (unsigned long)s);
}

static void expect_delta(const char *what, uint64_t before, uint64_t after, uint64_t want)
{
    if (after - before != want)
        test_failure("%s: moved by %lu, expected %lu", what, (unsigned long)(after - before),
                     (unsigned long)want);
}

static unsigned long upcalls_seen;
static void on_event(evtchn_port_t port) { upcalls_seen++; }

void test_main(void)
{
    struct parapet_vcpu_stats a, b;
    long rc = stats(&a);
    if (rc == -XEN_ENOSYS) {
        test_skip("no parapet_op here (Xen): nothing to count");
        return;
    }
    if (rc) {
        test_failure("parapet_op(stats): %ld", rc);
        return;
    }
    if (a.switches < 1)
        test_failure("switches is %lu while we run", (unsigned long)a.switches);

    printk("Test: hypercalls\n");
    stats(&a);
    for (int i = 0; i < 10; i++)
        HYPERVISOR_xen_version(XENVER_version, 0);
    stats(&b);
    expect_delta("10 xen_version", a.hypercalls, b.hypercalls, 11);
    struct multicall_entry mc[3];
    for (int i = 0; i < 3; i++)
        mc[i] = (struct multicall_entry){ .op = __HYPERVISOR_xen_version,
                                          .args = { XENVER_version, 0 } };
    stats(&a);
    HYPERVISOR_multicall((unsigned long)mc, 3);
    stats(&b);
    expect_delta("multicall of 3", a.hypercalls, b.hypercalls, 5);

    printk("Test: emulations and exceptions\n");
    stats(&a);
    for (int i = 0; i < 3; i++) {
        uint32_t eax = 0, ebx, ecx = 0, edx;
        __asm__ volatile("ud2; .ascii \"xen\"; cpuid"
                         : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
    }
    stats(&b);
    expect_delta("3 forced cpuid", a.emulations, b.emulations, 3);
    stats(&a);
    for (int i = 0; i < 2; i++)
        if (exinfo_vector(probe_exec("int3")) != 3)
            test_error("int3 was not caught as #BP");
    stats(&b);
    expect_delta("2 int3", a.exceptions, b.exceptions, 2);

    printk("Test: upcalls\n");
    evtchn_port_t port;
    if (evtchn_bind_ipi(0, &port)) {
        test_error("bind_ipi failed");
        return;
    }
    set_evtchn_handler(on_event);
    events_enable();
    stats(&a);
    evtchn_send(port);
    stats(&b);
    events_disable();
    expect_delta("one send to ourselves", a.upcalls, b.upcalls, 1);
    if (upcalls_seen != 1)
        test_failure("our handler saw %lu events, expected 1", upcalls_seen);

    printk("Test: errors\n");
    rc = HYPERVISOR_parapet_op(PARAPET_OP_stats, 0);
    if (rc != -XEN_EFAULT)
        test_failure("stats to NULL: %ld, expected -EFAULT", rc);
    struct parapet_domain_info di = { .domid = 0 };
    rc = HYPERVISOR_parapet_op(PARAPET_OP_domain_info, (unsigned long)&di);
    if (rc != -XEN_EPERM)
        test_failure("domain_info from an unprivileged domain: %ld, expected -EPERM", rc);
    rc = HYPERVISOR_parapet_op(99, (unsigned long)&a);
    if (rc != -XEN_ENOSYS)
        test_failure("sub-op 99: %ld, expected -ENOSYS", rc);
}
