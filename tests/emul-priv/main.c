/*
 * emul-priv: the instructions a PV kernel runs natively although it is in ring 3, which
 * the hypervisor emulates (xen-pv-abi-checklist.md 1.5, 1.11).
 *
 * Checks: rdmsr/wrmsr of FS_BASE, GS_BASE and SHADOW_GS_BASE round-trip, take effect
 * (%fs:0, %gs:0 in kernel mode, %gs:0 in user mode) and a non-canonical wrmsr is #GP(0)
 * with the old value kept; an unknown MSR is #GP(0); PAT reads 0x0000050100070406; in
 * from a port reads all-ones for 8, 16 and 32 bits (upper RAX bits kept for 8/16, cleared
 * for 32) in both the imm8 and the %dx forms, and out completes (on Parapet out goes to
 * QEMU's isa-debug-exit port 0xf4: were it not dropped, the machine would stop with no
 * result line); mov from %cr0 has PE and PG, from %cr2 gives the last #PF address, from
 * %cr3 gives the MFN of start_info pt_base << 12, from %cr4 has PAE and not PSE/PGE
 * (hidden from PV guests); the forced-emulation prefix with cpuid: leaf 0x40000000 is
 * "XenVMMXenVMM" with max leaf >= 0x40000002, leaf 0x40000001 is the version
 * xen_version gives, leaf 0x40000002 announces at least one hypercall page, leaf 1 has the
 * hypervisor bit and neither PSE nor PGE; the prefix followed by anything but cpuid is #UD
 * at the prefix; privileged instructions in user mode are #GP(0).
 * How: probes (exinfo.h) around each instruction; user-mode cases through exec_user.
 * On the reference Xen the guest is dom0, which owns the I/O ports: there the port cases
 * first raise the virtual IOPL (PHYSDEVOP_set_iopl) and use an unassigned port.
 * Cannot detect: that out really reaches no device other than 0xf4; MSRs and control
 * registers beyond those named; ins/outs string I/O (not emulated by Parapet).
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "emul-priv: MSRs, port I/O, control registers, FEP cpuid, user-mode #GP";

#define MSR_FS_BASE         0xc0000100
#define MSR_GS_BASE         0xc0000101
#define MSR_SHADOW_GS_BASE  0xc0000102
#define MSR_PAT             0x00000277
#define XEN_PAT             0x0000050100070406UL
#define NONCANON            0x8000000000000000UL
#define GP0                 EXINFO(X86_GP, 0)

static bool on_xen;
static uint64_t page_a[PAGE_SIZE / 8] __aligned(PAGE_SIZE);
static uint64_t page_b[PAGE_SIZE / 8] __aligned(PAGE_SIZE);
static uint64_t page_c[PAGE_SIZE / 8] __aligned(PAGE_SIZE);

/* rdmsr/wrmsr with fault capture. */
static exinfo_t rdmsr_probe(uint32_t msr, uint64_t *val)
{
    uint32_t lo = 0, hi = 0;

    probe_reset();
    __asm__ volatile("1: rdmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(lo), "+d"(hi) : "c"(msr) : "memory");
    *val = (uint64_t)hi << 32 | lo;
    return probe_last.info;
}

static exinfo_t wrmsr_probe(uint32_t msr, uint64_t val)
{
    probe_reset();
    __asm__ volatile("1: wrmsr\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "c"(msr), "a"((uint32_t)val), "d"((uint32_t)(val >> 32))
                     : "memory");
    return probe_last.info;
}

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

static void test_msrs(void)
{
    static const struct {
        const char *name;
        uint32_t msr;
        uint64_t *page;
        unsigned long (*read)(void);
        bool user;                      /* the base is visible in user mode */
    } cases[] = {
        { "FS_BASE", MSR_FS_BASE, page_a, read_fs0, false },
        { "GS_BASE", MSR_GS_BASE, page_b, read_gs0, false },
        { "SHADOW_GS_BASE", MSR_SHADOW_GS_BASE, page_c, read_gs0, true },
    };
    unsigned int i;
    uint64_t v;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        unsigned long want = (unsigned long)cases[i].page, seen;

        cases[i].page[0] = 0xabcd0000UL + i;
        if (!expect_exinfo(cases[i].name, wrmsr_probe(cases[i].msr, want), EXINFO_NONE))
            continue;
        expect_exinfo(cases[i].name, rdmsr_probe(cases[i].msr, &v), EXINFO_NONE);
        if (v != want)
            test_failure("%s reads 0x%lx after writing 0x%lx", cases[i].name,
                         (unsigned long)v, want);
        seen = cases[i].user ? exec_user(cases[i].read) : cases[i].read();
        if (seen != cases[i].page[0])
            test_failure("%s: the segment reads 0x%lx, expected 0x%lx", cases[i].name, seen,
                         (unsigned long)cases[i].page[0]);
        expect_exinfo("non-canonical wrmsr", wrmsr_probe(cases[i].msr, NONCANON), GP0);
        rdmsr_probe(cases[i].msr, &v);
        if (v != want)
            test_failure("%s changed to 0x%lx by a refused wrmsr", cases[i].name,
                         (unsigned long)v);
        wrmsr_probe(cases[i].msr, 0);
    }

    expect_exinfo("rdmsr PAT", rdmsr_probe(MSR_PAT, &v), EXINFO_NONE);
    if (v != XEN_PAT)
        test_failure("PAT reads 0x%lx, expected 0x%lx", (unsigned long)v, XEN_PAT);
    expect_exinfo("rdmsr of an unknown MSR 0xdeadbeef", rdmsr_probe(0xdeadbeef, &v), GP0);
}

/* ---- port I/O ------------------------------------------------------------------------- */

#define RAX_IN 0x1122334455667788UL

static void test_ports(void)
{
    unsigned long a;
    exinfo_t e;

    if (on_xen) {
        struct physdev_set_iopl iopl = { .iopl = 1 };

        if (HYPERVISOR_physdev_op(PHYSDEVOP_set_iopl, (unsigned long)&iopl))
            test_error("PHYSDEVOP_set_iopl failed on the reference");
    }
#define IN_CASE(insn, name, want)                                                   \
    do {                                                                            \
        a = RAX_IN;                                                                 \
        probe_reset();                                                              \
        __asm__ volatile("1: " insn "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")            \
                         : "+a"(a) : "d"(0x1ef0) : "memory");                       \
        if (expect_exinfo(name, probe_last.info, EXINFO_NONE) && a != (want))       \
            test_failure("%s: rax 0x%lx, expected 0x%lx", name, a, (unsigned long)(want)); \
    } while (0)
    IN_CASE("inb $0xe0, %%al", "inb imm8", 0x11223344556677ffUL);
    IN_CASE("inw $0xe0, %%ax", "inw imm8", 0x112233445566ffffUL);
    IN_CASE("inl $0xe0, %%eax", "inl imm8", 0xffffffffUL);
    IN_CASE("inb %%dx, %%al", "inb dx", 0x11223344556677ffUL);
    IN_CASE("inw %%dx, %%ax", "inw dx", 0x112233445566ffffUL);
    IN_CASE("inl %%dx, %%eax", "inl dx", 0xffffffffUL);
#undef IN_CASE

    /* 0xf4 is Parapet's exit device under QEMU: a write reaching it ends the run. */
#define OUT_CASE(insn, name)                                                        \
    do {                                                                            \
        probe_reset();                                                              \
        __asm__ volatile("1: " insn "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")            \
                         : : "a"(0UL), "d"(on_xen ? 0x1ef0 : 0xf4) : "memory");     \
        expect_exinfo(name, probe_last.info, EXINFO_NONE);                          \
    } while (0)
    OUT_CASE("outb %%al, %%dx", "outb dx");
    OUT_CASE("outw %%ax, %%dx", "outw dx");
    OUT_CASE("outl %%eax, %%dx", "outl dx");
#undef OUT_CASE
    if (!on_xen) {
        probe_reset();
        __asm__ volatile("1: outb %%al, $0xf4\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                         : : "a"(0UL) : "memory");
        e = probe_last.info;
        expect_exinfo("outb imm8", e, EXINFO_NONE);
    }
}

/* ---- control registers ---------------------------------------------------------------- */

static void test_crs(void)
{
    unsigned long cr0, cr2, cr3, cr4, want3;
    const unsigned long pf_va = 0x7f0000002000UL;

    __asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
    if ((cr0 & 0x80000001UL) != 0x80000001UL)
        test_failure("CR0 0x%lx lacks PE/PG", cr0);

    expect_exinfo("read of an unmapped address", probe_read((void *)pf_va), EXINFO(X86_PF, 0));
    __asm__ volatile("mov %%cr2, %0" : "=r"(cr2));
    if (cr2 != pf_va)
        test_failure("CR2 0x%lx, expected the #PF address 0x%lx", cr2, pf_va);

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    want3 = virt_to_mfn((void *)start_info->pt_base) << PAGE_SHIFT;
    if (cr3 != want3)
        test_failure("CR3 0x%lx, expected 0x%lx (mfn of pt_base)", cr3, want3);

    __asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
    printk("  cr0 0x%lx cr3 0x%lx cr4 0x%lx\n", cr0, cr3, cr4);
    if (!(cr4 & 0x20))
        test_failure("CR4 0x%lx lacks PAE", cr4);
    if (cr4 & (0x10 | 0x80))
        test_failure("CR4 0x%lx shows PSE or PGE, which PV guests must not see", cr4);
}

/* ---- FEP cpuid ------------------------------------------------------------------------ */

static void fep_cpuid(uint32_t leaf, uint32_t r[4])
{
    __asm__ volatile("ud2a; .ascii \"xen\"; cpuid"
                     : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "0"(leaf), "2"(0));
}

static void test_cpuid(void)
{
    uint32_t r[4];
    char sig[13];
    long ver = HYPERVISOR_xen_version(XENVER_version, 0);
    unsigned long ud_at;

    fep_cpuid(0x40000000, r);
    memcpy(sig, &r[1], 4);
    memcpy(sig + 4, &r[2], 4);
    memcpy(sig + 8, &r[3], 4);
    sig[12] = 0;
    printk("  0x40000000: max 0x%x \"%s\"\n", r[0], sig);
    if (strcmp(sig, "XenVMMXenVMM"))
        test_failure("leaf 0x40000000 signature \"%s\"", sig);
    if (r[0] < 0x40000002)
        test_failure("leaf 0x40000000 max leaf 0x%x < 0x40000002", r[0]);

    fep_cpuid(0x40000001, r);
    if ((long)r[0] != ver)
        test_failure("leaf 0x40000001 eax 0x%x, xen_version says 0x%lx", r[0], ver);

    fep_cpuid(0x40000002, r);
    if (r[0] < 1)
        test_failure("leaf 0x40000002 announces %u hypercall pages", r[0]);

    fep_cpuid(1, r);
    printk("  leaf 1: ecx 0x%x edx 0x%x\n", r[2], r[3]);
    if (!(r[2] & (1u << 31)))
        test_failure("leaf 1 ecx 0x%x lacks the hypervisor bit", r[2]);
    if (r[3] & ((1u << 3) | (1u << 13)))
        test_failure("leaf 1 edx 0x%x shows PSE or PGE", r[3]);

    /* The prefix followed by nop: #UD at the ud2 of the prefix. */
    probe_reset();
    __asm__ volatile("lea 1f(%%rip), %0\n"
                     "1: ud2a; .ascii \"xen\"; nop; nop\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "=r"(ud_at) : : "memory");
    if (expect_exinfo("FEP + nop", probe_last.info, EXINFO(X86_UD, 0)) &&
        probe_last.rip != ud_at)
        test_failure("FEP + nop: #UD at 0x%lx, expected at the prefix 0x%lx",
                     (unsigned long)probe_last.rip, ud_at);
}

/* ---- user mode ------------------------------------------------------------------------ */

/* setup runs first; the probed instruction is insn. */
#define USER_PROBE(fn, setup, insn, ...)                                            \
    static unsigned long fn(void)                                                   \
    {                                                                               \
        probe_reset();                                                              \
        __asm__ volatile(setup "\n1: " insn "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")     \
                         : : : "memory", ##__VA_ARGS__);                            \
        return probe_last.info;                                                     \
    }
USER_PROBE(u_rdmsr, "xor %%ecx, %%ecx", "rdmsr", "rax", "rcx", "rdx")
USER_PROBE(u_wrmsr, "mov $0xc0000100, %%ecx; xor %%eax, %%eax; xor %%edx, %%edx", "wrmsr",
           "rax", "rcx", "rdx")
USER_PROBE(u_mov_cr3, "", "mov %%cr3, %%rax", "rax")
USER_PROBE(u_mov_cr0, "", "mov %%cr0, %%rax", "rax")
USER_PROBE(u_in, "", "inb $0xe0, %%al", "rax")
USER_PROBE(u_out, "", "outb %%al, $0xe0")
USER_PROBE(u_hlt, "", "hlt")
USER_PROBE(u_cli, "", "cli")
USER_PROBE(u_wbinvd, "", "wbinvd")
USER_PROBE(u_invlpg, "", "invlpg (%%rsp)")

static void test_user(void)
{
    static const struct {
        const char *name;
        unsigned long (*fn)(void);
    } cases[] = {
        { "rdmsr", u_rdmsr }, { "wrmsr FS_BASE", u_wrmsr }, { "mov from cr3", u_mov_cr3 },
        { "mov from cr0", u_mov_cr0 }, { "inb", u_in }, { "outb", u_out }, { "hlt", u_hlt },
        { "cli", u_cli }, { "wbinvd", u_wbinvd }, { "invlpg", u_invlpg },
    };
    unsigned int i;
    char what[48];

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(what, sizeof(what), "user-mode %s", cases[i].name);
        expect_exinfo(what, exec_user(cases[i].fn), GP0);
    }
}

static const struct subtest cases[] = {
    { "rdmsr/wrmsr: FS_BASE, GS_BASE, SHADOW_GS_BASE, PAT, unknown", test_msrs },
    { "port I/O: in reads all-ones, out is dropped", test_ports },
    { "mov from cr0/cr2/cr3/cr4", test_crs },
    { "forced-emulation cpuid", test_cpuid },
    { "privileged instructions in user mode -> #GP(0)", test_user },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
