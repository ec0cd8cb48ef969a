/*
 * Emulation of what a PV guest kernel executes natively although it runs in ring 3:
 * CPUID after the forced-emulation prefix (ud2; .ascii "xen"; cpuid), software
 * interrupts through its trap table, and the privileged instructions Linux and Mini-OS
 * run before they have (or instead of using) hypercalls: rdmsr/wrmsr of the segment
 * bases and a few read-only MSRs, mov from/to CR0/CR2/CR3/CR4, and port I/O (reads
 * give all-ones, writes are dropped). Anything else is reflected as the #GP it was.
 */
#include "bounce.h"
#include "console.h"
#include "emul.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "x86.h"

#define XEN_MSR_PAT 0x0000050100070406ULL
#define XEN_CPUID_BASE 0x40000000u
/* The CR4 a PV guest sees: what its code depends on (PAE, FXSR/SSE exceptions), never
 * the host's paging or protection features. */
#define GUEST_CR4_VISIBLE ((1UL << 5) | (1UL << 9) | (1UL << 10))

int set_kernel_baseptr(struct vcpu *v, uint64_t mfn);   /* mm/hc_mmuext.c */

/* Fetch up to max instruction bytes at the guest rip; returns how many were readable. */
static unsigned fetch_insn(struct cpu_regs *regs, uint8_t *buf, unsigned max)
{
    if (copy_from_guest(buf, regs->rip, max) == 0)
        return max;
    unsigned n = 0;              /* near the end of a mapping: up to the first hole */
    while (n < max && copy_from_guest(&buf[n], regs->rip + n, 1) == 0)
        n++;
    return n;
}

void guest_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t out[4])
{
    uint32_t *a = &out[0], *b = &out[1], *c = &out[2], *d = &out[3];
    switch (leaf) {
    case XEN_CPUID_BASE:           /* signature "XenVMMXenVMM", max leaf */
        *a = XEN_CPUID_BASE + 2;
        *b = 0x566e6558;
        *c = 0x65584d4d;
        *d = 0x4d4d566e;
        return;
    case XEN_CPUID_BASE + 1:       /* the Xen version we speak: 4.17 */
        *a = (4u << 16) | 17;
        *b = *c = *d = 0;
        return;
    case XEN_CPUID_BASE + 2:       /* one hypercall page; preserve-A/D mmu_update */
        *a = 1;
        *b = XEN_CPUID_BASE;
        *c = 1;
        *d = 0;
        return;
    }
    if (leaf > XEN_CPUID_BASE && leaf < XEN_CPUID_BASE + 0x10000) {
        *a = *b = *c = *d = 0;
        return;
    }
    cpuid_count(leaf, subleaf, a, b, c, d);
    switch (leaf) {
    case 1:
        /* Hidden for PV (checklist 1.11): VME PSE PGE MTRR PSE36 DS ACPI ..., and MCE/MCA:
         * there are no machine-check MSRs to read (Linux panics on an empty MCG_CAP). */
        *d &= ~((1u << 1) | (1u << 3) | (1u << 7) | (1u << 12) | (1u << 13) | (1u << 14) |
                (1u << 17) | (1u << 21) | (1u << 22) | (1u << 29));
        /* ... DTES64 MONITOR VMX SMX EST TM2 PDCM PCID X2APIC TSC-DL XSAVE OSXSAVE AVX */
        *c &= ~((1u << 2) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 8) |
                (1u << 15) | (1u << 17) | (1u << 21) | (1u << 24) | (1u << 26) |
                (1u << 27) | (1u << 28));
        *c |= 1u << 31;            /* running on a hypervisor */
        break;
    case 7:
        if (subleaf == 0) {
            /* FSGSBASE HLE SMEP INVPCID RTM SMAP and friends; UMIP PKU OSPKE LA57 */
            *b &= ~((1u << 0) | (1u << 4) | (1u << 7) | (1u << 10) | (1u << 11) | (1u << 20));
            *c &= ~((1u << 2) | (1u << 3) | (1u << 4) | (1u << 16));
            *d = 0;
        }
        break;
    case 0xd:                      /* no XSAVE */
        *a = *b = *c = *d = 0;
        break;
    }
}

bool emulate_forced_cpuid(struct vcpu *v, struct cpu_regs *regs)
{
    static const uint8_t fep_cpuid[7] = { 0x0f, 0x0b, 'x', 'e', 'n', 0x0f, 0xa2 };
    uint8_t insn[7];
    if (fetch_insn(regs, insn, 7) != 7 || memcmp(insn, fep_cpuid, 7))
        return false;              /* a real #UD, or FEP + something else: #UD */
    uint32_t out[4];
    guest_cpuid((uint32_t)regs->rax, (uint32_t)regs->rcx, out);
    regs->rax = out[0];
    regs->rbx = out[1];
    regs->rcx = out[2];
    regs->rdx = out[3];
    regs->rip += 7;
    return true;
}

/* int n through a DPL-0 gate arrives as #GP with error code (n << 3) | 2 (QEMU 7.2
 * reports (n << 4) | 2: see docs/decisions.md). Decode n from the instruction. */
static bool emulate_soft_int(struct vcpu *v, struct cpu_regs *regs)
{
    uint8_t insn[2];
    if (!(regs->error_code & 2) || fetch_insn(regs, insn, 2) != 2 || insn[0] != 0xcd)
        return false;
    unsigned n = insn[1];
    if ((regs->error_code >> 3) != n && (regs->error_code >> 4) != n)
        return false;
    struct guest_trap *t = &v->traps[n];
    unsigned need = v->kernel_mode ? 1 : 3;
    if (!t->address || t->dpl < need) {
        regs->error_code = (n << 3) | 2;     /* the architectural value */
        return false;
    }
    regs->rip += 2;
    char what[32];
    snprintf(what, sizeof(what), "int 0x%x", n);
    bounce_to_guest(v, regs, t->address, NO_ERROR_CODE, t->mask_events, what);
    return true;
}

static bool read_msr(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_FS_BASE:        *val = rdmsr(MSR_FS_BASE); return true;
    case MSR_GS_BASE:        *val = rdmsr(MSR_KERNEL_GS_BASE); return true;  /* active */
    case MSR_KERNEL_GS_BASE: *val = v->gs_base_user; return true;
    case MSR_EFER:           *val = rdmsr(MSR_EFER); return true;
    case MSR_PAT:            *val = XEN_MSR_PAT; return true;
    case MSR_APIC_BASE:      *val = 0; return true;
    case MSR_MISC_ENABLE:    *val = 0; return true;
    case 0x10:               *val = rdtsc(); return true;                   /* TSC */
    }
    return false;
}

static bool write_msr(struct vcpu *v, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_FS_BASE:
        if (!is_canonical(val))
            return false;
        wrmsr(MSR_FS_BASE, val);
        return true;
    case MSR_GS_BASE:
        if (!is_canonical(val))
            return false;
        wrmsr(MSR_KERNEL_GS_BASE, val);      /* the guest's active base while we run */
        return true;
    case MSR_KERNEL_GS_BASE:
        if (!is_canonical(val))
            return false;
        v->gs_base_user = val;
        return true;
    case MSR_PAT:
        return val == XEN_MSR_PAT;          /* the only PAT a PV guest has */
    }
    return false;
}

static uint64_t *modrm_reg(struct cpu_regs *regs, unsigned idx)
{
    uint64_t *map[16] = { &regs->rax, &regs->rcx, &regs->rdx, &regs->rbx, &regs->rsp,
                          &regs->rbp, &regs->rsi, &regs->rdi, &regs->r8, &regs->r9,
                          &regs->r10, &regs->r11, &regs->r12, &regs->r13, &regs->r14,
                          &regs->r15 };
    return map[idx & 15];
}

static bool emulate_cr(struct vcpu *v, struct cpu_regs *regs, bool write, unsigned cr,
                       uint64_t *reg)
{
    if (!write) {
        switch (cr) {
        case 0: *reg = (read_cr0() & ~X86_CR0_TS) | (v->fpu_ts ? X86_CR0_TS : 0); return true;
        case 2: *reg = v->cr2; return true;
        case 3: *reg = (v->kernel_mode ? v->kernel_l4 : v->user_l4) << PAGE_SHIFT; return true;
        case 4: *reg = read_cr4() & GUEST_CR4_VISIBLE; return true;
        }
        return false;
    }
    switch (cr) {
    case 0:
        if ((*reg ^ read_cr0()) & ~X86_CR0_TS)
            return false;                    /* only TS is the guest's */
        v->fpu_ts = *reg & X86_CR0_TS;
        if (v->fpu_ts)
            write_cr0(read_cr0() | X86_CR0_TS);
        else
            __asm__ volatile("clts");
        return true;
    case 2:
        v->cr2 = *reg;
        return true;
    case 3:
        return set_kernel_baseptr(v, *reg >> PAGE_SHIFT) == 0;
    case 4:
        return true;                         /* accepted and filtered away, as Xen does */
    }
    return false;
}

static bool emulate_priv(struct vcpu *v, struct cpu_regs *regs)
{
    uint8_t insn[16];
    unsigned n = fetch_insn(regs, insn, sizeof(insn)), i = 0;
    bool opsize16 = false;
    unsigned rex = 0;

    for (; i < n; i++) {                       /* prefixes */
        if (insn[i] == 0x66) opsize16 = true;
        else if (insn[i] == 0xf2 || insn[i] == 0xf3 || insn[i] == 0x2e || insn[i] == 0x3e ||
                 insn[i] == 0x26 || insn[i] == 0x36 || insn[i] == 0x64 || insn[i] == 0x65) ;
        else break;
    }
    if (i < n && (insn[i] & 0xf0) == 0x40)
        rex = insn[i++];
    if (i >= n)
        return false;

    uint8_t op = insn[i];
    unsigned size = opsize16 ? 2 : 4;
    uint64_t ones = size == 2 ? 0xffff : 0xffffffff;
    switch (op) {
    case 0xfa: case 0xfb:                           /* cli, sti */
        if (v->iopl < 1)
            return false;       /* no I/O privilege: the #GP stands */
        regs->rip += i + 1;     /* with it, a no-op as on Xen (the flag is vcpu_info's) */
        return true;
    case 0xe4: case 0xe5: case 0xec: case 0xed:     /* in: nothing is there */
        if (op == 0xe4 || op == 0xec)
            regs->rax = (regs->rax & ~0xffULL) | 0xff;
        else if (size == 2)
            regs->rax = (regs->rax & ~0xffffULL) | ones;
        else
            regs->rax = ones;
        regs->rip += i + ((op == 0xe4 || op == 0xe5) ? 2 : 1);
        return true;
    case 0xe6: case 0xe7: case 0xee: case 0xef:     /* out: dropped */
        regs->rip += i + ((op == 0xe6 || op == 0xe7) ? 2 : 1);
        return true;
    case 0x0f:
        break;
    default:
        return false;
    }
    if (i + 1 >= n)
        return false;
    uint8_t op2 = insn[i + 1];
    if (op2 == 0x30 || op2 == 0x32) {                  /* wrmsr, rdmsr */
        uint32_t msr = (uint32_t)regs->rcx;
        uint64_t val = (regs->rdx << 32) | (uint32_t)regs->rax;
        if (op2 == 0x30 ? !write_msr(v, msr, val) : !read_msr(v, msr, &val))
            return false;
        if (op2 == 0x32) {
            regs->rax = (uint32_t)val;
            regs->rdx = val >> 32;
        }
        regs->rip += i + 2;
        return true;
    }
    if ((op2 == 0x20 || op2 == 0x22) && i + 2 < n) {   /* mov from/to crN */
        uint8_t modrm = insn[i + 2];
        if ((modrm >> 6) != 3)
            return false;
        unsigned cr = ((modrm >> 3) & 7) | ((rex & 4) ? 8 : 0);
        uint64_t *reg = modrm_reg(regs, (modrm & 7) | ((rex & 1) ? 8 : 0));
        if (!emulate_cr(v, regs, op2 == 0x22, cr, reg))
            return false;
        regs->rip += i + 3;
        return true;
    }
    if (op2 == 0x09) {                                  /* wbinvd: no cache to flush for us */
        regs->rip += i + 2;
        return true;
    }
    return false;
}

bool emulate_gp(struct vcpu *v, struct cpu_regs *regs)
{
    if (regs->error_code)
        return emulate_soft_int(v, regs);
    if (!v->kernel_mode)
        return false;                 /* user mode gets the #GP */
    if (v->domain->trap && emulate_trap_gp(v, regs))
        return true;
    return emulate_priv(v, regs);
}
