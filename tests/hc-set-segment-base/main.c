/*
 * hc-set-segment-base: set_segment_base (hypercall 25): SEGBASE_FS, SEGBASE_GS_USER,
 * SEGBASE_GS_KERNEL, SEGBASE_GS_USER_SEL.
 *
 * Checks: an FS base set by the hypercall is what %fs:0 reads, in kernel mode and in user
 * mode alike; the kernel GS base is what %gs:0 reads in kernel mode and the user GS base
 * what it reads in user mode, both surviving a round trip through user mode; a
 * non-canonical base gives -EINVAL for FS, GS_USER and GS_KERNEL and changes nothing; an
 * unknown `which` gives -EINVAL; SEGBASE_GS_USER_SEL loads a user %gs selector (the flat
 * 0xe02b gives a user GS base of 0, read back as MSR_SHADOW_GS_BASE) and, for a selector
 * that cannot be loaded, loads the null selector and still returns 0, as Xen does (Linux
 * BUG()s if this hypercall fails: xen_load_gs_index).
 * How: each base points at a page of ours holding a distinct magic value; %fs:0/%gs:0
 * are read with plain movs (no rdfsbase), in user mode through exec_user.
 * Cannot detect: the GS selector's effect in user mode beyond its base; bases that would
 * only go wrong across a context switch to another vCPU.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-set-segment-base: FS, GS kernel/user bases seen through %fs:0/%gs:0";

#define MAGIC_FS   0xf5f5f5f5f5f5f5f5UL
#define MAGIC_GSK  0x6b6b6b6b6b6b6b6bUL
#define MAGIC_GSU  0x7575757575757575UL
#define MAGIC_FS2  0x2f2f2f2f2f2f2f2fUL
#define MSR_SHADOW_GS_BASE 0xc0000102

static uint64_t page_fs[PAGE_SIZE / 8] __aligned(PAGE_SIZE);
static uint64_t page_fs2[PAGE_SIZE / 8] __aligned(PAGE_SIZE);
static uint64_t page_gsk[PAGE_SIZE / 8] __aligned(PAGE_SIZE);
static uint64_t page_gsu[PAGE_SIZE / 8] __aligned(PAGE_SIZE);

static unsigned long read_fs0(void)
{
    unsigned long v;

    __asm__ volatile("mov %%fs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static unsigned long read_gs0(void)
{
    unsigned long v;

    __asm__ volatile("mov %%gs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static unsigned long read_gs_sel(void)
{
    unsigned long sel = 0;

    __asm__ volatile("mov %%gs, %k0" : "=r"(sel));
    return sel & 0xffff;
}

static unsigned long rdmsr(uint32_t msr)
{
    uint32_t lo, hi;

    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return (unsigned long)hi << 32 | lo;
}

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

static void expect_val(const char *what, unsigned long got, unsigned long want)
{
    if (got != want)
        test_failure("%s: read 0x%lx, expected 0x%lx", what, got, want);
}

static void set_all(void)
{
    expect_rc("SEGBASE_FS", HYPERVISOR_set_segment_base(SEGBASE_FS, (unsigned long)page_fs),
              0);
    expect_rc("SEGBASE_GS_KERNEL",
              HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, (unsigned long)page_gsk), 0);
    expect_rc("SEGBASE_GS_USER",
              HYPERVISOR_set_segment_base(SEGBASE_GS_USER, (unsigned long)page_gsu), 0);
}

static void test_fs(void)
{
    set_all();
    expect_val("%fs:0 in kernel mode", read_fs0(), MAGIC_FS);
    expect_val("%fs:0 in user mode", exec_user(read_fs0), MAGIC_FS);
    expect_val("%fs:0 in kernel mode after user mode", read_fs0(), MAGIC_FS);
    expect_rc("SEGBASE_FS again", HYPERVISOR_set_segment_base(SEGBASE_FS,
                                                              (unsigned long)page_fs2), 0);
    expect_val("%fs:0 after a second SEGBASE_FS", read_fs0(), MAGIC_FS2);
}

static void test_gs(void)
{
    set_all();
    expect_val("%gs:0 in kernel mode", read_gs0(), MAGIC_GSK);
    expect_val("%gs:0 in user mode", exec_user(read_gs0), MAGIC_GSU);
    expect_val("%gs:0 in kernel mode after user mode", read_gs0(), MAGIC_GSK);
    expect_val("%gs:0 in user mode, second time", exec_user(read_gs0), MAGIC_GSU);
    expect_val("MSR_SHADOW_GS_BASE (user base)", rdmsr(MSR_SHADOW_GS_BASE),
               (unsigned long)page_gsu);
}

static void test_noncanonical(void)
{
    static const unsigned long bad[] = { 0x8000000000000000UL, 0x0000800000000000UL,
                                         0xfffe000000000000UL };
    static const struct {
        const char *name;
        unsigned int which;
    } whiches[] = {
        { "SEGBASE_FS", SEGBASE_FS },
        { "SEGBASE_GS_USER", SEGBASE_GS_USER },
        { "SEGBASE_GS_KERNEL", SEGBASE_GS_KERNEL },
    };
    unsigned int i, j;
    char what[80];

    set_all();
    for (i = 0; i < ARRAY_SIZE(whiches); i++)
        for (j = 0; j < ARRAY_SIZE(bad); j++) {
            snprintf(what, sizeof(what), "%s 0x%lx", whiches[i].name, bad[j]);
            expect_rc(what, HYPERVISOR_set_segment_base(whiches[i].which, bad[j]),
                      -XEN_EINVAL);
        }
    expect_val("%fs:0 after refused bases", read_fs0(), MAGIC_FS);
    expect_val("%gs:0 (kernel) after refused bases", read_gs0(), MAGIC_GSK);
    expect_val("%gs:0 (user) after refused bases", exec_user(read_gs0), MAGIC_GSU);
}

static void test_bad_which(void)
{
    static const unsigned long whiches[] = { 4, 5, 0xff, 0x7fffffff };
    unsigned int i;
    char what[48];

    for (i = 0; i < ARRAY_SIZE(whiches); i++) {
        snprintf(what, sizeof(what), "which = 0x%lx", whiches[i]);
        expect_rc(what, HYPERVISOR_set_segment_base(whiches[i], (unsigned long)page_fs),
                  -XEN_EINVAL);
    }
}

static void test_user_sel(void)
{
    set_all();
    expect_rc("SEGBASE_GS_USER_SEL 0xe02b",
              HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, FLAT_KERNEL_DS64 | 3), 0);
    expect_val("%gs selector after GS_USER_SEL 0xe02b", read_gs_sel(), FLAT_KERNEL_DS64 | 3);
    expect_val("MSR_SHADOW_GS_BASE after GS_USER_SEL 0xe02b", rdmsr(MSR_SHADOW_GS_BASE), 0);
    expect_val("%gs:0 (kernel) after GS_USER_SEL", read_gs0(), MAGIC_GSK);

    /* Selector 0x1ff3 is far beyond our 16-entry GDT: the load faults in the hypervisor. */
    expect_rc("SEGBASE_GS_USER_SEL 0x1ff3 (beyond the GDT)",
              HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0x1ff3), 0);
    expect_val("%gs selector after a faulting GS_USER_SEL", read_gs_sel(), 0);
    expect_val("%gs:0 (kernel) after a faulting GS_USER_SEL", read_gs0(), MAGIC_GSK);

    expect_rc("SEGBASE_GS_USER_SEL 0", HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0), 0);
}

static const struct subtest cases[] = {
    { "SEGBASE_FS: %fs:0 in kernel and user mode", test_fs },
    { "SEGBASE_GS_KERNEL / SEGBASE_GS_USER: %gs:0 per mode", test_gs },
    { "non-canonical bases -> -EINVAL, nothing changed", test_noncanonical },
    { "unknown which -> -EINVAL", test_bad_which },
    { "SEGBASE_GS_USER_SEL: good and faulting selectors", test_user_sel },
};

void test_main(void)
{

    page_fs[0] = MAGIC_FS;
    page_fs2[0] = MAGIC_FS2;
    page_gsk[0] = MAGIC_GSK;
    page_gsu[0] = MAGIC_GSU;
    RUN_SUBTESTS(cases);
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
    HYPERVISOR_set_segment_base(SEGBASE_GS_USER, 0);
    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
    test_success();
}
