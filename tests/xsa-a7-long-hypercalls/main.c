/*
 * xsa-a7-long-hypercalls (A7, A8): the longest hypercalls a guest can ask for give the
 * CPU back in pieces, finish with the right results, and a forged "preempted" flag only
 * changes the count the forger is told.
 *
 * role=attack (d1, the default):
 * - mmu_update of 65536 requests (the maximum), each rewriting one of our own PTEs
 *   with its current value: returns 0 and *done = 65536 although the call was cut into
 *   pieces (the count carried between pieces waits in *done);
 * - mmuext_op of 65536 MMUEXT_INVLPG_LOCAL: returns 0, *done = 65536;
 * - multicall of 4096 entries, each an mmu_update of 512 requests (2M updates): every
 *   entry's result is 0;
 * - mmu_update with count 4 | bit 31 (Xen's MMU_UPDATE_PREEMPTED) and *done = 1000: the
 *   flag is taken as a continuation, as Xen does, and *done becomes 1004; with a NULL
 *   done pointer it is simply 4 updates (A8: fake progress counters change nothing
 *   but the count reported);
 * - with peer=N on the command line (a busy domain runs beside us): the runnable time
 *   of our runstate grew during the multicall, so we were taken off the CPU inside one
 *   hypercall and the other domain ran: a continuation, not a monopoly.
 * role=watch (d2, a PEER): spins for ms=, reading system time, and fails if it ever
 *   saw a gap of a second or more (a hypercall of the attacker holding the CPU that
 *   long); prints the largest gap as a figure.
 * Each call's duration is printed (figures, not judged).
 * Cannot detect: a preemption check that fires only under real timer pressure on real
 * hardware; continuations of grant copies (not yet continued).
 */
#include "test.h"
#include "../mm-common/pv_mm.h"
#include <xen/errno.h>

const char test_title[] = "xsa-a7-long-hypercalls: long batches continue in pieces, right results";

#define BATCH        65536
#define MC_ENTRIES   4096
#define MC_EACH      512
#define PREEMPTED    (1u << 31)

static struct mmu_update reqs[BATCH];
static struct mmuext_op ext[BATCH];
static struct multicall_entry calls[MC_ENTRIES];
static uint8_t target[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static unsigned long ms(uint64_t ns) { return (unsigned long)(ns / NS_PER_MS); }

static void runstate(struct vcpu_runstate_info *rs)
{
    long rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)rs);
    if (rc)
        test_failure("VCPUOP_get_runstate_info: %ld", rc);
}

static bool fill_requests(void)
{
    uint64_t *table;
    unsigned long ptr = entry_maddr((unsigned long)target, 1, &table);
    if (!ptr) {
        test_error("no L1 entry for our target page");
        return false;
    }
    uint64_t val = table[pt_index((unsigned long)target, 1)];
    for (unsigned i = 0; i < BATCH; i++) {
        reqs[i].ptr = ptr | MMU_NORMAL_PT_UPDATE;
        reqs[i].val = val;
        ext[i].cmd = MMUEXT_INVLPG_LOCAL;
        ext[i].arg1.linear_addr = (unsigned long)target;
    }
    return true;
}

static void test_mmu_update_max(void)
{
    unsigned int done = 0;
    uint64_t t0 = pvclock_now();
    long rc = HYPERVISOR_mmu_update((unsigned long)reqs, BATCH, (unsigned long)&done, DOMID_SELF);
    printk("  mmu_update x%u: %lu ms\n", BATCH, ms(pvclock_now() - t0));
    if (rc || done != BATCH)
        test_failure("mmu_update x%u: rc %ld, done %u", BATCH, rc, done);
}

static void test_mmuext_max(void)
{
    unsigned int done = 0;
    uint64_t t0 = pvclock_now();
    long rc = HYPERVISOR_mmuext_op((unsigned long)ext, BATCH, (unsigned long)&done, DOMID_SELF);
    printk("  mmuext_op x%u: %lu ms\n", BATCH, ms(pvclock_now() - t0));
    if (rc || done != BATCH)
        test_failure("mmuext_op x%u: rc %ld, done %u", BATCH, rc, done);
}

static void test_multicall_max(void)
{
    struct vcpu_runstate_info before, after;
    for (unsigned i = 0; i < MC_ENTRIES; i++) {
        calls[i] = (struct multicall_entry){
            .op = __HYPERVISOR_mmu_update,
            .args = { (unsigned long)reqs, MC_EACH, 0, DOMID_SELF },
            .result = 0xdead,
        };
    }
    runstate(&before);
    uint64_t t0 = pvclock_now();
    long rc = HYPERVISOR_multicall((unsigned long)calls, MC_ENTRIES);
    uint64_t took = pvclock_now() - t0;
    runstate(&after);
    uint64_t waited = after.time[RUNSTATE_runnable] - before.time[RUNSTATE_runnable];
    printk("  multicall %u x mmu_update x%u: %lu ms, %lu ms of it runnable (others ran)\n",
           MC_ENTRIES, MC_EACH, ms(took), ms(waited));
    if (rc)
        test_failure("multicall: %ld", rc);
    for (unsigned i = 0; i < MC_ENTRIES; i++)
        if (calls[i].result != 0) {
            test_failure("multicall entry %u: result %ld", i, (long)calls[i].result);
            break;
        }
    if (cmdline_ulong("peer", 0) && waited == 0)
        test_failure("a %lu ms multicall beside a busy domain never left the CPU: no "
                     "continuation", ms(took));
}

static void test_forged_preempted_flag(void)
{
    unsigned int done = 1000;
    long rc = HYPERVISOR_mmu_update((unsigned long)reqs, 4 | PREEMPTED, (unsigned long)&done,
                                    DOMID_SELF);
    if (rc || done != 1004)
        test_failure("count 4|PREEMPTED, *done 1000: rc %ld, done %u (expected 0, 1004)", rc, done);
    rc = HYPERVISOR_mmu_update((unsigned long)reqs, 4 | PREEMPTED, 0, DOMID_SELF);
    if (rc)
        test_failure("count 4|PREEMPTED, no done pointer: rc %ld", rc);
    rc = HYPERVISOR_mmu_update((unsigned long)reqs, (BATCH + 1) | PREEMPTED, 0, DOMID_SELF);
    if (rc != -XEN_EINVAL)
        test_failure("count %u|PREEMPTED: rc %ld, expected -XEN_EINVAL", BATCH + 1, rc);
}

static void watch(void)
{
    uint64_t end = pvclock_now() + cmdline_ulong("ms", 3000) * NS_PER_MS, last = pvclock_now();
    uint64_t max_gap = 0;
    for (uint64_t now; (now = pvclock_now()) < end; last = now)
        if (now - last > max_gap)
            max_gap = now - last;
    printk("  largest gap seen: %lu ms\n", ms(max_gap));
    if (max_gap >= NS_PER_SEC)
        test_failure("the CPU was away for %lu ms at once: a hypercall did not give it back",
                     ms(max_gap));
}

void test_main(void)
{
    char role[16] = "attack";
    cmdline_get("role", role, sizeof(role));
    if (!strcmp(role, "watch")) {
        printk("Test: watching for long absences from the CPU\n");
        watch();
        return;
    }
    if (!fill_requests())
        return;
    static const struct subtest subtests[] = {
        { "mmu_update of 65536 requests: done 65536", test_mmu_update_max },
        { "mmuext_op of 65536 requests: done 65536", test_mmuext_max },
        { "multicall of 4096 mmu_updates of 512: all results 0", test_multicall_max },
        { "a forged preempted flag changes only the count reported", test_forged_preempted_flag },
    };
    RUN_SUBTESTS(subtests);
}
