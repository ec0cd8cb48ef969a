/*
 * xd-timer-beside: a one-shot timer stays on time while another domain keeps the CPU
 * busy (test.conf PEERS: xd-busy spinning for 500 ms as d2).
 *
 * Checks: five times, VCPUOP_set_singleshot_timer 50 ms ahead, then SCHEDOP_poll on
 * the bound, masked VIRQ_TIMER port: the port is pending when the poll returns, and
 * the system time read after seeing it pending is no earlier than the deadline and
 * (a sanity bound for TCG, not a latency promise) at most 200 ms after it. Over the
 * five waits VCPUOP_get_runstate_info shows time spent blocked (the vCPU really left
 * the CPU while it waited) and none offline.
 * Prints (figures): each round's lateness, and the runstate split, whose "runnable" part
 * is the time the woken vCPU waited for the busy domain's slice to end.
 * How: events masked throughout, the periodic timer stopped so that VIRQ_TIMER is only
 * ours; the poll has a 2 s timeout as a backstop, so a timer that never fires is a
 * FAILURE, not a hang. The busy peer checks its own clock, timer and runstate.
 * Cannot detect: lateness under the TCG jitter, whether the peer was on the CPU at the
 * very moment of each deadline (it spins for the whole test, but is not asked).
 */
#include "test.h"

const char test_title[] = "xd-timer-beside: a one-shot timer is on time beside a busy domain";

#define ROUNDS          5
#define AHEAD_NS        (50 * NS_PER_MS)
#define LATE_NS         (200 * NS_PER_MS)
#define BACKSTOP_NS     (2 * NS_PER_SEC)

static evtchn_port_t tport;

static unsigned long us_of(uint64_t ns)
{
    return (unsigned long)(ns / NS_PER_US);
}

static bool runstate(struct vcpu_runstate_info *r)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)r);

    if (rc)
        test_failure("get_runstate_info: returned %ld", rc);
    return rc == 0;
}

/* One round: false if the timer never came (the rest would mean nothing). */
static bool round_trip(unsigned int i)
{
    uint64_t deadline = pvclock_now() + AHEAD_NS, seen;
    long rc;

    rc = vcpu_set_singleshot(deadline, 0);
    if (rc) {
        test_failure("round %u: set_singleshot_timer: returned %ld", i, rc);
        return false;
    }
    while (!evtchn_is_pending(tport) && pvclock_now() < deadline + BACKSTOP_NS) {
        rc = poll_ports(&tport, 1, deadline + BACKSTOP_NS);
        if (rc) {
            test_failure("round %u: poll: returned %ld", i, rc);
            return false;
        }
    }
    if (!evtchn_is_pending(tport)) {
        test_failure("round %u: the timer set for +%lu ms had not fired %lu ms after it", i,
                     us_of(AHEAD_NS) / 1000, us_of(BACKSTOP_NS) / 1000);
        return false;
    }
    seen = pvclock_now();               /* read after the bit was seen */
    evtchn_clear_pending(tport);
    if (seen < deadline) {
        test_failure("round %u: the timer fired %lu us before its deadline", i,
                     us_of(deadline - seen));
        return true;
    }
    printk("  round %u: seen %lu us after the deadline\n", i, us_of(seen - deadline));
    if (seen - deadline > LATE_NS)
        test_failure("round %u: the timer was seen %lu ms after its deadline (sanity bound "
                     "%lu ms)", i, us_of(seen - deadline) / 1000, us_of(LATE_NS) / 1000);
    return true;
}

void test_main(void)
{
    struct vcpu_runstate_info a, b;
    unsigned int i;
    uint64_t d_run, d_wait, d_blocked;

    printk("Test: %u one-shot timers %lu ms ahead beside a busy domain\n", ROUNDS,
           us_of(AHEAD_NS) / 1000);
    if (vcpu_stop_periodic() || evtchn_bind_virq(VIRQ_TIMER, 0, &tport)) {
        test_error("cannot stop the periodic timer or bind VIRQ_TIMER");
        return;
    }
    evtchn_clear_pending(tport);
    if (!runstate(&a))
        return;
    for (i = 0; i < ROUNDS; i++)
        if (!round_trip(i))
            break;
    if (!runstate(&b))
        return;
    d_run = b.time[RUNSTATE_running] - a.time[RUNSTATE_running];
    d_wait = b.time[RUNSTATE_runnable] - a.time[RUNSTATE_runnable];
    d_blocked = b.time[RUNSTATE_blocked] - a.time[RUNSTATE_blocked];
    printk("runstate over the waits: running %lu us, runnable %lu us, blocked %lu us\n",
           us_of(d_run), us_of(d_wait), us_of(d_blocked));
    if (!d_blocked)
        test_failure("no time blocked: the polls did not take the vCPU off the CPU");
    if (b.time[RUNSTATE_offline] != a.time[RUNSTATE_offline])
        test_failure("time offline grew while we ran");
    evtchn_close(tport);
}
