/*
 * xsa-a24-segment-bases: security invariant A24. A guest cannot give the CPU a
 * non-canonical FS or GS base (the hypervisor would fault on its own wrmsr or swapgs
 * with it: XSA-193 class), cannot reach hypervisor memory through a segment base, and
 * cannot turn on CR4 features behind the kernel's back (XSA-293 class).
 *
 * Checks:
 *  - set_segment_base(FS, GS_USER, GS_KERNEL) with non-canonical bases: -EINVAL, and
 *    the bases read back (emulated rdmsr) unchanged;
 *  - the emulated wrmsr of FS_BASE, GS_BASE and SHADOW_GS_BASE with non-canonical
 *    values: #GP(0), bases unchanged;
 *  - an FS base inside the hypervisor hole (canonical, so accepted, as on Xen): a load
 *    through %fs faults (#PF) instead of reading hypervisor memory;
 *  - set_segment_base(GS_USER_SEL) with selectors the hypervisor would load in ring 0
 *    (0xe008 ring-0 code, 0xe040 the TSS, 0xfff8 beyond our GDT, 0x7 LDT): 0 or -EINVAL,
 *    and the hypervisor keeps working (its own %gs base survives: the next hypercalls
 *    and exceptions work);
 *  - a kernel GS base at every 8-byte step within 64 KiB of the IDT (whose address sidt
 *    gives: the hypervisor's per-CPU block lies there), each followed by a single-step
 *    #DB (an IST entry, where the hypervisor cannot trust the interrupted CS alone): the
 *    #DB reaches the guest every time and the host survives (a bug once found here);
 *  - mov to CR4 setting FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE, UMIP, LA57, VMXE one
 *    at a time: accepted and filtered (the bit reads back as before), and wrfsbase,
 *    rdfsbase still raise #UD, sgdt still works (UMIP off); mov to CR4 from user mode:
 *    #GP(0).
 * How: hypercalls, emulated rdmsr/wrmsr and mov to/from CR4 (the kernel runs in ring 3
 * and these trap), exception probes.
 * Cannot detect: a CR4 bit that the hypervisor sets on the real CPU but hides from the
 * emulated read and that has no instruction we can probe (e.g. SMEP: its effect is on
 * ring 0 only).
 */
#include <xen/errno.h>
#include "test.h"

const char test_title[] = "xsa-a24-segment-bases: canonical segment bases, filtered CR4";

#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_SHADOW_GS_BASE  0xc0000102

static const unsigned long noncanon[] = {
    0x0000800000000000UL, 0x8000000000000000UL, 0xFFFF7FFFFFFFFFFFUL, 0x00FF000000000000UL,
};

/* ---- emulated MSR access ------------------------------------------------------------- */

static exinfo_t rdmsr_probe(uint32_t msr, unsigned long *val)
{
    uint32_t lo = 0, hi = 0;

    probe_reset();
    __asm__ volatile("1: rdmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (unsigned long)hi << 32 | lo;
    return probe_last.info;
}

static exinfo_t wrmsr_probe(uint32_t msr, unsigned long val)
{
    probe_reset();
    __asm__ volatile("1: wrmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return probe_last.info;
}

static unsigned long read_base(uint32_t msr)
{
    unsigned long v;

    if (rdmsr_probe(msr, &v))
        test_error("rdmsr %x faulted", msr);
    return v;
}

/* ---- 1. set_segment_base ----------------------------------------------------------- */

static void test_set_segment_base(void)
{
    static const struct {
        unsigned int which;
        uint32_t msr;           /* where the base reads back */
        const char *name;
    } segs[] = {
        { SEGBASE_FS, MSR_FS_BASE, "FS" },
        { SEGBASE_GS_USER, MSR_SHADOW_GS_BASE, "GS_USER" },
        { SEGBASE_GS_KERNEL, MSR_GS_BASE, "GS_KERNEL" },
    };
    unsigned int i, j;

    for (i = 0; i < ARRAY_SIZE(segs); i++) {
        unsigned long before = read_base(segs[i].msr), after;

        for (j = 0; j < ARRAY_SIZE(noncanon); j++) {
            long rc = HYPERVISOR_set_segment_base(segs[i].which, noncanon[j]);

            if (rc != -XEN_EINVAL)
                test_failure("set_segment_base(%s, %lx) returned %ld, expected -EINVAL",
                             segs[i].name, noncanon[j], rc);
        }
        after = read_base(segs[i].msr);
        if (after != before)
            test_failure("%s base changed from %lx to %lx by refused set_segment_base",
                         segs[i].name, before, after);
    }
}

/* ---- 2. wrmsr ------------------------------------------------------------------------ */

static void test_wrmsr(void)
{
    static const struct {
        uint32_t msr;
        const char *name;
    } msrs[] = {
        { MSR_FS_BASE, "FS_BASE" },
        { MSR_GS_BASE, "GS_BASE" },
        { MSR_SHADOW_GS_BASE, "SHADOW_GS_BASE" },
    };
    unsigned int i, j;

    for (i = 0; i < ARRAY_SIZE(msrs); i++) {
        unsigned long before = read_base(msrs[i].msr), after;
        char what[64];

        for (j = 0; j < ARRAY_SIZE(noncanon); j++) {
            snprintf(what, sizeof(what), "wrmsr %s = %lx", msrs[i].name, noncanon[j]);
            expect_exinfo(what, wrmsr_probe(msrs[i].msr, noncanon[j]), EXINFO(X86_GP, 0));
        }
        after = read_base(msrs[i].msr);
        if (after != before)
            test_failure("%s changed from %lx to %lx by refused wrmsrs", msrs[i].name,
                         before, after);
    }
}

/* ---- 3. a base in the hole ----------------------------------------------------------- */

static void test_base_in_hole(void)
{
    unsigned long before = read_base(MSR_FS_BASE);
    long rc = HYPERVISOR_set_segment_base(SEGBASE_FS, 0xFFFF828000100000UL);
    exinfo_t e;

    if (rc) {
        /* Refusing is safe too; Xen accepts any canonical base. */
        printk("  FS base in the hole refused (%ld)\n", rc);
        return;
    }
    probe_reset();
    __asm__ volatile("1: movb %%fs:0, %%al\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     ::: "rax", "memory");
    e = probe_last.info;
    HYPERVISOR_set_segment_base(SEGBASE_FS, before);
    if (exinfo_vector(e) != X86_PF)
        test_failure("a read through an FS base at the hypervisor image gave %lx, "
                     "expected #PF", (unsigned long)e);
}

/* ---- 4. user GS selectors loaded by the hypervisor ----------------------------------- */

static void test_gs_user_sel(void)
{
    static const unsigned long sels[] = { 0xe008, 0xe040, 0xfff8, 0x7, 0xe010, 0x3 };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(sels); i++) {
        long rc = HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, sels[i]);
        long ver = HYPERVISOR_xen_version(XENVER_version, 0);

        if (rc != 0 && rc != -XEN_EINVAL)
            test_failure("set_segment_base(GS_USER_SEL, %lx) returned %ld", sels[i], rc);
        if (ver != ((4L << 16) | 17))
            test_failure("after GS_USER_SEL %lx, xen_version returned %lx", sels[i], ver);
        expect_exinfo("ud2 after a GS_USER_SEL load", probe_exec("ud2"), EXINFO(X86_UD, 0));
    }
    HYPERVISOR_set_segment_base(SEGBASE_GS_USER_SEL, 0);
}

/* ---- 5. a GS base on the hypervisor's own data, then #DB ----------------------------- */

/*
 * A guest may give itself any canonical GS base, including one inside the hypervisor's
 * per-CPU block. Entries on IST stacks (#DB, NMI) cannot use the interrupted CS alone to
 * know whose %gs is loaded, and Parapet once decided by looking at the GS base itself:
 * a base a few bytes into its per-CPU block passed for its own, and a single-step #DB
 * then made it use guest-chosen data as its per-CPU pointer (host page fault). The block
 * lies near the IDT (both are the hypervisor's descriptor data), whose address sidt
 * gives away: every 8-byte-aligned base within 64 KiB of it is tried.
 */
static unsigned int db_hits;

static bool db_handler(struct cpu_regs *regs)
{
    db_hits++;
    regs->rflags &= ~0x100UL;           /* TF */
    return true;
}

static void test_gs_base_on_percpu(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr;
    unsigned long before = read_base(MSR_GS_BASE), start, va;
    unsigned int tried = 0;

    idtr.base = 0;
    probe_reset();
    __asm__ volatile("1: sidt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(idtr));
    if (probe_last.info) {
        test_warning("sidt faults (UMIP?): no hypervisor address to aim at, case not run");
        return;
    }
    if ((idtr.base >> 47) != 0x1ffff) {
        test_warning("sidt gives %lx: not a hypervisor address, case not run",
                  (unsigned long)idtr.base);
        return;
    }
    start = (idtr.base & ~0xfffUL) - 0x10000;
    set_vector_handler(X86_DB, db_handler);
    db_hits = 0;
    for (va = start; va < start + 0x20000; va += 8) {
        if (HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, va))
            continue;
        /* One single step with that GS base loaded. */
        __asm__ volatile("pushf; orq $0x100, (%%rsp); popf; nop; nop" ::: "memory", "cc");
        tried++;
    }
    set_vector_handler(X86_DB, NULL);
    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, before);
    printk("  %u GS bases around the IDT (%lx) tried, %u #DB delivered\n", tried,
           (unsigned long)idtr.base, db_hits);
    if (db_hits != tried)
        test_failure("%u single steps with a hypervisor GS base gave %u #DB", tried,
                     db_hits);
}

/* ---- 6. CR4 -------------------------------------------------------------------------- */

static exinfo_t read_cr4(unsigned long *v)
{
    probe_reset();
    __asm__ volatile("1: mov %%cr4, %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "=r"(*v) : : "memory");
    return probe_last.info;
}

static exinfo_t write_cr4(unsigned long v)
{
    probe_reset();
    __asm__ volatile("1: mov %0, %%cr4\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(v) : "memory");
    return probe_last.info;
}

static unsigned long user_write_cr4(void)
{
    return write_cr4(1UL << 16);
}

static void test_cr4(void)
{
    static const struct {
        unsigned int bit;
        const char *name;
    } bits[] = {
        { 16, "FSGSBASE" }, { 17, "PCIDE" }, { 18, "OSXSAVE" }, { 20, "SMEP" },
        { 21, "SMAP" }, { 22, "PKE" }, { 11, "UMIP" }, { 12, "LA57" }, { 13, "VMXE" },
    };
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr;
    unsigned long cr4, now;
    unsigned int i;
    exinfo_t e;

    if (read_cr4(&cr4)) {
        test_failure("mov from %%cr4 in kernel mode faulted");
        return;
    }
    for (i = 0; i < ARRAY_SIZE(bits); i++) {
        unsigned long m = 1UL << bits[i].bit;

        e = write_cr4(cr4 | m);
        if (e != EXINFO_NONE && e != EXINFO(X86_GP, 0))
            test_failure("mov to %%cr4 with %s gave %lx", bits[i].name, (unsigned long)e);
        if (read_cr4(&now) == EXINFO_NONE && (now & m) != (cr4 & m))
            test_failure("CR4.%s reads %lu after the guest set it: not filtered",
                         bits[i].name, (now & m) >> bits[i].bit);
        write_cr4(cr4);
    }
    expect_exinfo("wrfsbase after CR4 writes", probe_exec("wrfsbase %%rax"),
                  EXINFO(X86_UD, 0));
    expect_exinfo("rdfsbase after CR4 writes", probe_exec("rdfsbase %%rax"),
                  EXINFO(X86_UD, 0));
    probe_reset();
    __asm__ volatile("1: sgdt %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(gdtr));
    expect_exinfo("sgdt after CR4 writes (UMIP must stay off)", probe_last.info,
                  EXINFO_NONE);
    expect_exinfo("mov to %cr4 from user mode", exec_user(user_write_cr4),
                  EXINFO(X86_GP, 0));
    if (read_cr4(&now) == EXINFO_NONE && now != cr4)
        test_failure("CR4 reads %lx at the end, %lx at the start", now, cr4);
}

static const struct subtest cases[] = {
    { "set_segment_base with non-canonical bases", test_set_segment_base },
    { "wrmsr of the segment base MSRs with non-canonical values", test_wrmsr },
    { "an FS base inside the hypervisor hole", test_base_in_hole },
    { "user GS selectors the hypervisor loads for the guest", test_gs_user_sel },
    { "a GS base inside the hypervisor's per-CPU data, then #DB", test_gs_base_on_percpu },
    { "CR4 feature bits the guest may not turn on", test_cr4 },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
