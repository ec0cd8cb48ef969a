/*
 * hc-fpu-taskswitch: fpu_taskswitch (hypercall 5), the guest's virtual CR0.TS.
 *
 * Checks: fpu_taskswitch(1) returns 0 and makes the next x87 or SSE instruction raise #NM
 * exactly once: the #NM handler returns without touching anything and the instruction,
 * retried, completes with the register contents it had before (the hypervisor cleared TS
 * when it delivered #NM, as Xen's do_device_not_available does); a second FPU instruction
 * raises nothing; fpu_taskswitch(0) and set-then-clear leave no #NM behind; CR0.TS read
 * with the emulated mov from %cr0 follows the virtual TS; any non-zero argument sets TS.
 * How: a #NM vector handler counts deliveries and returns true (retry); an SSE register
 * holds a pattern across the #NM; probes observe CR0 through the emulated instruction.
 * Cannot detect: FPU state being saved and restored for another vCPU or domain (one runs
 * here); whether TS is also honoured for AVX/XSAVE state (hidden from PV guests).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-fpu-taskswitch: TS set -> one #NM on the next FPU instruction; clear -> none";

#define CR0_TS 0x8UL

static volatile unsigned int nm_hits;   /* changed behind the compiler's back */

static bool nm_handler(struct cpu_regs *regs)
{
    nm_hits++;
    if (nm_hits > 3) {
        /* TS stays set after delivery: stop the loop so the test can report it. */
        HYPERVISOR_fpu_taskswitch(0);
    }
    return true;                        /* retry the instruction */
}

static unsigned long read_cr0(void)
{
    unsigned long cr0;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    return cr0;
}

/* Each returns a value computed by FPU/SSE code, so a lost state shows. */
static unsigned long x87_op(void)
{
    uint16_t cw;

    __asm__ volatile("fnstcw %0" : "=m"(cw));
    return cw;
}

static unsigned long sse_op(void)
{
    unsigned long out;

    __asm__ volatile("movq %%xmm7, %0" : "=r"(out));
    return out;
}

static void load_xmm7(unsigned long v)
{
    __asm__ volatile("movq %0, %%xmm7" : : "r"(v));
}

static const struct {
    const char *name;
    unsigned long (*op)(void);
} ops[] = {
    { "x87 (fnstcw)", x87_op },
    { "SSE (movq from xmm7)", sse_op },
};

static void test_set(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(ops); i++) {
        unsigned long before, after;
        long rc;

        load_xmm7(0x1122334455667788UL);
        before = ops[i].op();
        rc = HYPERVISOR_fpu_taskswitch(1);
        if (rc) {
            test_failure("fpu_taskswitch(1) returned %ld", rc);
            continue;
        }
        if (!(read_cr0() & CR0_TS))
            test_failure("%s: CR0.TS reads clear after fpu_taskswitch(1)", ops[i].name);
        nm_hits = 0;
        after = ops[i].op();
        if (nm_hits != 1)
            test_failure("%s after fpu_taskswitch(1): %u #NM, expected exactly 1",
                         ops[i].name, nm_hits);
        if (after != before)
            test_failure("%s: result 0x%lx after the #NM, 0x%lx before: FPU state lost",
                         ops[i].name, after, before);
        if (read_cr0() & CR0_TS)
            test_failure("%s: CR0.TS still reads set after the #NM", ops[i].name);
        nm_hits = 0;
        ops[i].op();
        if (nm_hits)
            test_failure("%s: a second FPU instruction raised %u #NM", ops[i].name, nm_hits);
    }
}

static void test_clear(void)
{
    static const struct {
        const char *name;
        bool set_first;
    } cases[] = {
        { "fpu_taskswitch(0)", false },
        { "fpu_taskswitch(1) then fpu_taskswitch(0)", true },
    };
    unsigned int i, j;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        if (cases[i].set_first && HYPERVISOR_fpu_taskswitch(1))
            test_failure("fpu_taskswitch(1) failed");
        if (HYPERVISOR_fpu_taskswitch(0))
            test_failure("fpu_taskswitch(0) failed");
        if (read_cr0() & CR0_TS)
            test_failure("%s: CR0.TS reads set", cases[i].name);
        for (j = 0; j < ARRAY_SIZE(ops); j++) {
            nm_hits = 0;
            ops[j].op();
            if (nm_hits)
                test_failure("%s: %s raised %u #NM", cases[i].name, ops[j].name, nm_hits);
        }
    }
}

static void test_nonzero(void)
{
    static const unsigned long vals[] = { 2, 0xff, 0x80000000UL };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(vals); i++) {
        long rc = HYPERVISOR_fpu_taskswitch(vals[i]);

        nm_hits = 0;
        x87_op();
        if (rc || nm_hits != 1)
            test_failure("fpu_taskswitch(0x%lx): returned %ld, then %u #NM (expected 0, 1)",
                         vals[i], rc, nm_hits);
        HYPERVISOR_fpu_taskswitch(0);
    }
}

static const struct subtest cases[] = {
    { "set: one #NM on the next FPU instruction, then cleared", test_set },
    { "clear: no #NM", test_clear },
    { "any non-zero argument sets TS", test_nonzero },
};

void test_main(void)
{

    set_vector_handler(X86_NM, nm_handler);
    RUN_SUBTESTS(cases);
    HYPERVISOR_fpu_taskswitch(0);
    set_vector_handler(X86_NM, NULL);
    test_success();
}
