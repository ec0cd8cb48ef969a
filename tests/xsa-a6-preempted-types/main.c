/*
 * xsa-a6-preempted-types (A6, in the form it takes with one vCPU per domain): type
 * changes of one frame, promoted and demoted tens of thousands of times inside single
 * hypercalls that the hypervisor cuts into pieces (continuations) while another domain
 * runs in between, end in exactly the state the requests say. With one vCPU nothing
 * else of ours can race the type word; what can go wrong is the preemption state: a
 * piece applied twice, skipped, or a count carried wrong across the seam.
 *
 * Checks, with a busy domain beside us (test.conf PEERS) so the batches really are cut:
 * - mmuext_op of 65536 requests alternating PIN_L1_TABLE and UNPIN_TABLE of one frame
 *   (an empty page mapped read-only): returns 0, *done = 65536, and afterwards the frame
 *   is unpinned: an UNPIN gives -EINVAL and a writable mapping of it is accepted;
 * - the same with 65535 requests (odd): the frame ends pinned: a writable mapping is
 *   refused, one UNPIN succeeds, a second gives -EINVAL;
 * - a batch whose last request fails (a pin of a frame we have mapped writable) after
 *   30000 good ones: returns an error (the PV MMU's type conflict), *done = 30000 (the failing one not counted), and
 *   the good ones stayed applied;
 * - the runnable time of our runstate grew during the batches (we were preempted inside
 *   them), or, alone, a note that nothing cut them;
 * the auditor (on in every test run) re-checks every count after each piece.
 * Cannot detect: two vCPUs of one domain racing (one vCPU per domain).
 */
#include "test.h"
#include "../mm-common/pv_mm.h"
#include <xen/errno.h>

const char test_title[] = "xsa-a6-preempted-types: type changes across continuations end exact";

#define N 65536
static struct mmuext_op ops[N];
static uint8_t frame[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint8_t other[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static uint64_t runnable_ns(void)
{
    struct vcpu_runstate_info rs;
    if (HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)&rs))
        return 0;
    return rs.time[RUNSTATE_runnable];
}

static void fill(unsigned n, unsigned long mfn)
{
    for (unsigned i = 0; i < n; i++) {
        ops[i] = (struct mmuext_op){ .cmd = i % 2 ? MMUEXT_UNPIN_TABLE : MMUEXT_PIN_L1_TABLE };
        ops[i].arg1.mfn = mfn;
    }
}

static long batch(unsigned n, unsigned *done)
{
    *done = 0xdeadbeef;
    return HYPERVISOR_mmuext_op((unsigned long)ops, n, (unsigned long)done, DOMID_SELF);
}

static uint64_t waited;

static void test_even(void)
{
    unsigned done;
    uint64_t r0 = runnable_ns();
    fill(N, virt_to_mfn(frame));
    long rc = batch(N, &done);
    waited += runnable_ns() - r0;
    if (rc || done != N)
        test_failure("65536 pin/unpin: rc %ld, done %u", rc, done);
    if ((rc = unpin_va(frame)) != -XEN_EINVAL)
        test_failure("unpin after an even batch: %ld, expected -EINVAL (not pinned)", rc);
}

static void test_odd(void)
{
    unsigned done;
    uint64_t r0 = runnable_ns();
    fill(N - 1, virt_to_mfn(frame));
    long rc = batch(N - 1, &done);
    waited += runnable_ns() - r0;
    if (rc || done != N - 1)
        test_failure("65535 pin/unpin: rc %ld, done %u", rc, done);
    if ((rc = set_rw(frame)) == 0) {
        test_failure("a writable mapping of a frame left pinned as an L1 was accepted");
        set_ro(frame);
    }
    if ((rc = unpin_va(frame)) != 0)
        test_failure("unpin after an odd batch: %ld, expected 0", rc);
    if ((rc = unpin_va(frame)) != -XEN_EINVAL)
        test_failure("second unpin: %ld, expected -EINVAL", rc);
}

static void test_fails_at_the_end(void)
{
    unsigned done;
    fill(30000, virt_to_mfn(frame));
    ops[30000] = (struct mmuext_op){ .cmd = MMUEXT_PIN_L1_TABLE };
    ops[30000].arg1.mfn = virt_to_mfn(other);          /* mapped writable: refused */
    long rc = batch(30001, &done);
    if (rc >= 0 || done != 30000)
        test_failure("30000 good + 1 bad: rc %ld, done %u (expected an error, 30000)", rc, done);
    if ((rc = unpin_va(frame)) != -XEN_EINVAL)
        test_failure("the good part (even) should leave the frame unpinned: unpin %ld", rc);
}

void test_main(void)
{
    if (set_ro(frame)) {
        test_error("cannot map our frame read-only");
        return;
    }
    static const struct subtest subtests[] = {
        { "65536 alternating pin/unpin in one call: done 65536, ends unpinned", test_even },
        { "65535 of them: ends pinned, exactly one unpin left", test_odd },
        { "a failure after 30000: done 30000, the good part applied", test_fails_at_the_end },
    };
    RUN_SUBTESTS(subtests);
    if (set_rw(frame))
        test_failure("the frame cannot be mapped writable again after the batches");
    printk("  %lu ms runnable inside the batches (time the neighbour ran)\n",
           (unsigned long)(waited / NS_PER_MS));
    if (cmdline_flag("expect-preemption") && waited == 0)
        test_failure("the batches were never cut although a busy domain ran beside us");
}
