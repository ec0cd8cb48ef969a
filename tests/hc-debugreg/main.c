/*
 * hc-debugreg: set_debugreg (8) and get_debugreg (9): a guest's hardware breakpoints.
 *
 * Checks (Xen 4.17 arch/x86/pv/misc-hypercalls.c and x86_set_debugreg as the reference):
 * - at start DR7 reads 0x400 and DR6 0xffff0ff0;
 * - DR0 set to the address of a variable reads back; DR7 = L0 | R/W0 write | LEN0 8
 *   bytes: a write to the variable raises #DB (a trap: RIP after the write, the write
 *   done), DR6 then has B0; a read does not; with DR7 back to 0 the write is silent;
 * - refused: DR0 in the hypervisor's range or non-canonical (-EPERM), DR7 with GD
 *   (-EPERM), an I/O breakpoint (-EPERM), register 8 (an error); reserved DR7 bits come
 *   back at their fixed values.
 * How: our own #DB handler (set_vector_handler) counts hits and records RIP and DR6.
 * Cannot detect: breakpoints surviving into another domain (tests/e2e would need one).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-debugreg: set/get_debugreg and a write breakpoint";

#define DR7_L0        0x1UL
#define DR7_RW0_WRITE (1UL << 16)
#define DR7_LEN0_8    (2UL << 18)
#define DR7_GD        (1UL << 13)

static volatile uint64_t watched;
static volatile unsigned long hits;
static volatile unsigned long hit_dr6;

static bool on_db(struct cpu_regs *regs)
{
    hits++;
    hit_dr6 = (unsigned long)HYPERVISOR_get_debugreg(6);
    return true;
}

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: %ld, expected %ld", what, got, want);
}

void test_main(void)
{
    printk("Test: start values\n");
    expect_rc("DR7 at start", HYPERVISOR_get_debugreg(7), 0x400);
    expect_rc("DR6 at start", HYPERVISOR_get_debugreg(6), 0xffff0ff0L);

    printk("Test: a write breakpoint\n");
    set_vector_handler(1, on_db);
    expect_rc("set DR0", HYPERVISOR_set_debugreg(0, (unsigned long)&watched), 0);
    expect_rc("get DR0", HYPERVISOR_get_debugreg(0), (long)(unsigned long)&watched);
    expect_rc("set DR7", HYPERVISOR_set_debugreg(7, DR7_L0 | DR7_RW0_WRITE | DR7_LEN0_8), 0);
    unsigned long before = hits;
    uint64_t v = watched;                     /* a read: no hit */
    if (hits != before)
        test_failure("a read of the watched variable raised #DB");
    watched = v + 1;
    if (hits != before + 1)
        test_failure("a write of the watched variable raised %lu #DB, expected 1",
                     hits - before);
    else if (!(hit_dr6 & 1))
        test_failure("DR6 after the hit is %lx, expected B0 set", hit_dr6);
    if (watched != v + 1)
        test_failure("the write did not happen (a #DB is a trap, after the write)");
    expect_rc("DR7 off", HYPERVISOR_set_debugreg(7, 0), 0);
    before = hits;
    watched = v + 2;
    if (hits != before)
        test_failure("a write with DR7 off raised #DB");
    set_vector_handler(1, NULL);

    printk("Test: refusals\n");
    expect_rc("DR0 in the hypervisor range", HYPERVISOR_set_debugreg(0, 0xffff830000000000UL),
              -XEN_EPERM);
    expect_rc("DR1 non-canonical", HYPERVISOR_set_debugreg(1, 0x0000800000000000UL), -XEN_EPERM);
    expect_rc("DR7 with GD", HYPERVISOR_set_debugreg(7, DR7_GD), -XEN_EPERM);
    expect_rc("DR7 I/O breakpoint", HYPERVISOR_set_debugreg(7, DR7_L0 | (2UL << 16)), -XEN_EPERM);
    if (HYPERVISOR_set_debugreg(8, 0) >= 0)
        test_failure("set_debugreg(8) accepted");
    expect_rc("DR7 with reserved bits", HYPERVISOR_set_debugreg(7, 0x800), 0);
    expect_rc("DR7 reads back", HYPERVISOR_get_debugreg(7), 0x400);
    expect_rc("DR7 off again", HYPERVISOR_set_debugreg(7, 0), 0);
}
