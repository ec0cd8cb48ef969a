/*
 * Trap-and-emulate: what a trap guest's kernel (dom.trap) executes natively although it
 * runs deprivileged in ring 3. Every privileged instruction raises #GP there; this file
 * decodes it (emul/decode.c) and does what the instruction would have done to the
 * virtual CPU, following the hardware's rules, or refuses it with the #GP the CPU gave.
 *
 *   cli / sti          virtual IF = !evtchn_upcall_mask (an sti lets a pending event in;
 *                      "sti; hlt" is emulated as one, as the interrupt shadow makes it)
 *   hlt                sleep until an event is pending (the vCPU blocks)
 *   invlpg m           flush that page
 *   lgdt m             the pages under [base, base+limit] become the GDT (validated)
 *   lidt m             the IDT's gates become the trap table (present gates, their DPL,
 *                      interrupt gates mask events)
 *   ltr r/m16          the TSS named in the GDT: its rsp0 is the kernel stack from then on
 *   lldt r/m16         only the null selector (no LDT contents, as for PV guests)
 *   clts               virtual CR0.TS = 0
 *   sysretq            back to user mode: RIP = RCX, RFLAGS = R11, user page tables
 *   wrmsr/rdmsr        LSTAR, CSTAR (the syscall entry points), STAR, SFMASK (IF in it
 *                      masks events on entry); others as for PV guests (emul_priv.c)
 *   in/out             COM1 (0x3f8-0x3ff): transmit goes to the domain's console,
 *                      the line status says "ready"; other ports as for PV guests
 *   mov crN, wbinvd    as for PV guests (emul_priv.c): CR3 loads are validated
 *
 * What does not trap in ring 3, and so cannot be emulated (Popek and Goldberg's
 * sensitive-but-unprivileged instructions; docs/trap-and-emulate.md): popf (IF is
 * silently kept), pushf (shows the real IF), cpuid (no CPUID faulting), iretq to user
 * mode (a ring-3 to ring-3 return: the hypervisor never sees the mode change). swapgs
 * does trap (#GP(0) in ring 3) but is not emulated: the GS bases switch with the mode.
 * The trap backend uses the paravirtual fix for each.
 */
#include "console_ring.h"
#include "domain.h"
#include "emul.h"
#include "emul/insn.h"
#include "guest_access.h"
#include "lib.h"
#include "mm.h"
#include "mm/descriptor.h"
#include "scheduler.h"
#include "x86.h"

#define MSR_STAR   0xC0000081
#define MSR_LSTAR  0xC0000082
#define MSR_CSTAR  0xC0000083
#define MSR_SFMASK 0xC0000084
#define COM1       0x3f8
#define GATE_INTERRUPT 0xe
#define GATE_TRAP      0xf

/* The 16-bit selector operand of lldt/ltr (register or memory). */
static bool selector_operand(const struct x86_insn *i, struct cpu_regs *regs, uint16_t *sel)
{
    if (i->mod == 3) {
        *sel = (uint16_t)*emul_gpr(regs, i->rm);
        return true;
    }
    return copy_from_guest(sel, emul_operand_address(i, regs), sizeof(*sel)) == 0;
}

struct pseudo_descriptor {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static bool emulate_lgdt(struct vcpu *v, uint64_t base, uint16_t limit)
{
    uint64_t frames[14];
    uint64_t entries = ((uint64_t)limit + 1) / 8;
    unsigned nr = (unsigned)((entries + 511) / 512);
    if ((base & (PAGE_SIZE - 1)) || nr > ARRAY_SIZE(frames))
        return false;
    for (unsigned f = 0; f < nr; f++) {
        uint64_t pte = guest_pte_of(v->kernel_l4, base + f * PAGE_SIZE);
        if (!(pte & _PAGE_PRESENT))
            return false;
        frames[f] = pte_mfn(pte);
    }
    return vcpu_set_gdt(v, frames, entries) == 0;
}

static bool emulate_lidt(struct vcpu *v, uint64_t base, uint16_t limit)
{
    struct guest_trap traps[256] = { 0 };
    unsigned n = MIN(((unsigned)limit + 1) / 16, 256u);
    for (unsigned vec = 0; vec < n; vec++) {
        uint64_t gate[2];
        if (copy_from_guest(gate, base + vec * 16, sizeof(gate)))
            return false;
        if (!(gate[0] & (1ULL << 47)))
            continue;                                   /* not present */
        unsigned type = (unsigned)(gate[0] >> 40) & 0xf, dpl = (unsigned)(gate[0] >> 45) & 3;
        uint64_t addr = (gate[0] & 0xffff) | ((gate[0] >> 32) & 0xffff0000ULL) |
                        (gate[1] << 32);
        if ((type != GATE_INTERRUPT && type != GATE_TRAP) || !guest_range_ok(addr, 1))
            return false;
        /* A DPL-0 gate is the kernel's only: PV's "ring 1". */
        traps[vec] = (struct guest_trap){ .address = addr, .dpl = (uint8_t)(dpl ? dpl : 1),
                                          .mask_events = type == GATE_INTERRUPT };
    }
    memcpy(v->traps, traps, sizeof(traps));
    return true;
}

/* ltr: the selector must name a 64-bit TSS descriptor in the guest's GDT (kept there
 * not-present by the descriptor validation). */
static bool emulate_ltr(struct vcpu *v, uint16_t sel)
{
    unsigned index = sel >> 3;
    if ((sel & 4) || index + 1 >= v->gdt_entries)
        return false;
    const uint64_t *lo = (uint64_t *)mfn_to_virt(v->gdt_frames[index / 512]) + index % 512;
    const uint64_t *hi = (uint64_t *)mfn_to_virt(v->gdt_frames[(index + 1) / 512]) +
                         (index + 1) % 512;
    unsigned type = (unsigned)(*lo >> 40) & 0xf;
    if ((*lo & (1ULL << 44)) || (type != DESC_TYPE_TSS64 && type != DESC_TYPE_TSS64_BUSY))
        return false;
    uint64_t base = ((*lo >> 16) & 0xffffff) | (((*lo >> 56) & 0xff) << 24) |
                    ((*hi & 0xffffffffULL) << 32);
    if (!guest_range_ok(base, 104))
        return false;
    v->tss_base = base;
    return true;
}

/* sysretq: to user mode at RCX with RFLAGS from R11 (IF becomes the upcall mask). */
static bool emulate_sysret(struct vcpu *v, struct cpu_regs *regs, const struct x86_insn *i)
{
    if (i->opsize != 8 || !v->user_l4 || !is_canonical(regs->rcx))
        return false;
    toggle_guest_mode(v);
    *upcall_mask(v) = !(regs->r11 & X86_EFLAGS_IF);
    regs->rip = regs->rcx;
    regs->rflags = (regs->r11 & ~(X86_EFLAGS_IOPL | X86_EFLAGS_VM | X86_EFLAGS_NT)) |
                   X86_EFLAGS_IF | X86_EFLAGS_MBS;
    regs->cs = FLAT_GUEST_CS64;
    regs->ss = FLAT_GUEST_DS;
    return true;
}

static bool trap_msr(struct vcpu *v, struct cpu_regs *regs, bool write)
{
    uint32_t msr = (uint32_t)regs->rcx;
    uint64_t val = (regs->rdx << 32) | (uint32_t)regs->rax;
    uint64_t *slot;
    switch (msr) {
    case MSR_LSTAR: slot = &v->syscall_callback; break;
    case MSR_CSTAR: slot = &v->syscall32_callback; break;
    case MSR_STAR:  slot = &v->trap_star; break;
    case MSR_SFMASK: slot = &v->trap_sfmask; break;
    default: return false;
    }
    if (write) {
        if ((msr == MSR_LSTAR || msr == MSR_CSTAR) && val && !guest_range_ok(val, 1))
            return false;
        *slot = val;
        if (msr == MSR_SFMASK)
            v->syscall_masks_events = v->syscall32_masks_events = val & X86_EFLAGS_IF;
    } else {
        regs->rax = (uint32_t)*slot;
        regs->rdx = *slot >> 32;
    }
    return true;
}

/* COM1 as the trap guest's serial console; false for any other port. */
static bool trap_port(struct vcpu *v, struct cpu_regs *regs, const struct x86_insn *i)
{
    bool out = i->op == 0xe6 || i->op == 0xe7 || i->op == 0xee || i->op == 0xef;
    unsigned port = (i->op == 0xe4 || i->op == 0xe5 || i->op == 0xe6 || i->op == 0xe7)
                    ? (unsigned)i->imm : (unsigned)(regs->rdx & 0xffff);
    bool byte = i->op == 0xe4 || i->op == 0xe6 || i->op == 0xec || i->op == 0xee;
    if (port < COM1 || port > COM1 + 7 || !byte)
        return false;
    if (out) {
        if (port == COM1) {
            char c = (char)regs->rax;
            console_put_text(v->domain, &c, 1);
        }
        return true;                                   /* other UART registers: accepted */
    }
    uint8_t val = port == COM1 + 5 ? 0x60 : 0;         /* LSR: transmitter empty */
    regs->rax = (regs->rax & ~0xffULL) | val;
    return true;
}

/* The CPU takes no interrupt in the instruction after sti (the interrupt shadow), which
 * is what makes "sti; hlt" sleep without losing a wake-up. Delivering a pending event
 * right after the emulated sti would break that: so an sti followed by hlt is emulated
 * as one, blocking unless an event is already pending (it is then delivered on the way
 * out, after the hlt, as on hardware). */
static bool sti_then_hlt(struct vcpu *v, struct cpu_regs *regs, const struct x86_insn *i)
{
    uint8_t next;
    if (copy_from_guest(&next, regs->rip + i->len, 1) || next != 0xf4)
        return false;
    regs->rip += i->len + 1u;
    if (!v->vcpu_info->evtchn_upcall_pending)
        sched_vcpu_block(v);
    return true;
}

bool emulate_trap_gp(struct vcpu *v, struct cpu_regs *regs)
{
    struct x86_insn i;
    if (!emul_fetch_decode(regs, &i))
        return false;
    bool ok = false;
    if (!i.two_byte) {
        switch (i.op) {
        case 0xfa: *upcall_mask(v) = 1; ok = true; break;                 /* cli */
        case 0xfb:                                                        /* sti */
            *upcall_mask(v) = 0;
            ok = true;
            if (sti_then_hlt(v, regs, &i))
                return true;
            break;
        case 0xf4:                                                        /* hlt */
            if (!v->vcpu_info->evtchn_upcall_pending)
                sched_vcpu_block(v);
            ok = true;
            break;
        case 0xe4: case 0xe5: case 0xe6: case 0xe7:
        case 0xec: case 0xed: case 0xee: case 0xef:
            ok = trap_port(v, regs, &i);
            break;
        }
    } else {
        struct pseudo_descriptor pd;
        uint16_t sel;
        unsigned ext = i.reg & 7;      /* groups 6 and 7: ModRM.reg selects, REX.R ignored */
        switch (i.op) {
        case 0x01:
            if (i.mod == 3)
                break;
            if (ext == 7) {                                               /* invlpg */
                invlpg(emul_operand_address(&i, regs));
                ok = true;
            } else if ((ext == 2 || ext == 3) &&
                       !copy_from_guest(&pd, emul_operand_address(&i, regs), sizeof(pd))) {
                ok = ext == 2 ? emulate_lgdt(v, pd.base, pd.limit)
                              : emulate_lidt(v, pd.base, pd.limit);
            }
            break;
        case 0x00:
            if ((ext == 2 || ext == 3) && selector_operand(&i, regs, &sel))
                ok = ext == 2 ? (sel & ~3) == 0 : emulate_ltr(v, sel);    /* lldt, ltr */
            break;
        case 0x06:                                                        /* clts */
            v->fpu_ts = false;
            __asm__ volatile("clts");
            ok = true;
            break;
        case 0x07:                                                        /* sysret */
            return emulate_sysret(v, regs, &i);                           /* RIP is set */
        case 0x30: case 0x32:
            ok = trap_msr(v, regs, i.op == 0x30);
            break;
        }
    }
    if (ok)
        regs->rip += i.len;
    return ok;
}
