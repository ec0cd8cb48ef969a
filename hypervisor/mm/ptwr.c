/*
 * Writable page tables: a guest kernel stores straight into one of its page tables
 * (mapped read-only, as every page table is), the store faults, and the hypervisor
 * performs it as a validated update of that one entry, as if the guest had called
 * mmu_update. For trap guests (dom.trap) always, for PV guests that enabled
 * VMASST_TYPE_writable_pagetables (Linux does, and clears a PTE's RW bit in place with
 * a byte-wide "and" when it forks).
 *
 * Emulated, with an optional lock prefix: mov (r -> m, imm -> m), xchg, cmpxchg, and the
 * read-modify-write forms or/and (r or imm, byte to quadword) and bts/btr (register or
 * immediate bit number inside the operand). The operand may be any naturally aligned
 * part of one entry (byte, dword or the whole quadword): the entry is rebuilt around it,
 * as Xen does. Arithmetic flags follow the instruction (ZF/SF/PF for or/and, CF for
 * bts/btr, ZF for cmpxchg). Anything else, a write that is not to a validated table of
 * this domain, or an update the validation refuses leaves the guest its #PF.
 */
#include "domain.h"
#include "emul/insn.h"
#include "mm.h"
#include "mm/ptwr.h"
#include "x86.h"

#define PF_PRESENT 1
#define PF_WRITE   2
#define FLAGS_ARITH (X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_ZF | X86_EFLAGS_SF | \
                     X86_EFLAGS_OF | (1UL << 4) /* AF */)

bool ptwr_enabled(const struct domain *d)
{
    return d->trap || (d->vm_assist & (1ULL << VMASST_TYPE_writable_pagetables));
}

enum op { OP_MOV, OP_XCHG, OP_CMPXCHG, OP_OR, OP_AND, OP_BTS, OP_BTR, OP_NONE };

/* Which operation, its size in bytes and its source operand. */
static enum op classify(const struct x86_insn *i, struct cpu_regs *regs, unsigned *size,
                        uint64_t *src)
{
    *size = i->opsize;
    uint64_t reg = *emul_gpr(regs, i->reg);
    if (!i->two_byte) {
        switch (i->op) {
        case 0x89: *src = reg; return OP_MOV;
        case 0xc7: *src = i->imm; return (i->reg & 7) == 0 ? OP_MOV : OP_NONE;
        case 0x87: *src = reg; return OP_XCHG;
        case 0x09: *src = reg; return OP_OR;
        case 0x21: *src = reg; return OP_AND;
        case 0x80: case 0x81: case 0x83:
            if (i->op == 0x80)
                *size = 1;
            *src = i->op == 0x83 ? (uint64_t)(int64_t)(int8_t)i->imm : i->imm;
            return (i->reg & 7) == 1 ? OP_OR : (i->reg & 7) == 4 ? OP_AND : OP_NONE;
        }
        return OP_NONE;
    }
    switch (i->op) {
    case 0xb1: *src = reg; return OP_CMPXCHG;
    case 0xab: *src = reg; return OP_BTS;
    case 0xb3: *src = reg; return OP_BTR;
    case 0xba:
        *src = i->imm;
        return (i->reg & 7) == 5 ? OP_BTS : (i->reg & 7) == 6 ? OP_BTR : OP_NONE;
    }
    return OP_NONE;
}

static uint64_t size_mask(unsigned size) { return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1; }

/* ZF, SF and PF of a logical result of 'size' bytes; CF, OF, AF cleared. */
static void logic_flags(struct cpu_regs *regs, uint64_t result, unsigned size)
{
    uint64_t f = regs->rflags & ~FLAGS_ARITH;
    if (!result)
        f |= X86_EFLAGS_ZF;
    if (result >> (size * 8 - 1) & 1)
        f |= X86_EFLAGS_SF;
    if (!(__builtin_popcount((unsigned)(result & 0xff)) & 1))
        f |= X86_EFLAGS_PF;
    regs->rflags = f;
}

bool ptwr_emulate(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint64_t error_code)
{
    struct domain *d = v->domain;
    struct x86_insn i;
    unsigned size;
    uint64_t src;
    if ((error_code & (PF_PRESENT | PF_WRITE)) != (PF_PRESENT | PF_WRITE) || !v->kernel_mode ||
        !ptwr_enabled(d) || !emul_fetch_decode(regs, &i) || !i.has_modrm || i.mod == 3 ||
        emul_operand_address(&i, regs) != cr2)
        return false;
    enum op op = classify(&i, regs, &size, &src);
    unsigned off = (unsigned)(cr2 & 7);
    if (op == OP_NONE || (size != 1 && size != 4 && size != 8) || (cr2 & (size - 1)))
        return false;                     /* only naturally aligned parts of one entry */
    if ((op == OP_BTS || op == OP_BTR) && src >= size * 8)
        return false;                     /* a bit outside the operand: not a PTE update */

    uint64_t pte = guest_pte_of(v->kernel_l4, cr2);
    if (!(pte & _PAGE_PRESENT))
        return false;
    uint64_t mfn = pte_mfn(pte);
    struct page_info *pg = mm_owned_frame(&hv_mm_env, mfn, d->id);
    if (!pg || pg->type < PGT_l1 || pg->type > PGT_l4 || !pg->type_count)
        return false;                     /* not one of its validated page tables */
    unsigned index = (unsigned)((cr2 & (PAGE_SIZE - 1)) / 8);
    uint64_t entry = ((volatile uint64_t *)mfn_to_virt(mfn))[index];
    uint64_t mask = size_mask(size), old = (entry >> (off * 8)) & mask, val = src & mask;

    uint64_t new = old;
    switch (op) {
    case OP_MOV: case OP_XCHG: new = val; break;
    case OP_CMPXCHG:
        if (old != (regs->rax & mask)) {  /* no write: ZF clear, RAX gets the entry */
            regs->rax = size == 4 ? old : (regs->rax & ~mask) | old;
            regs->rflags &= ~X86_EFLAGS_ZF;
            regs->rip += i.len;
            return true;
        }
        new = val;
        break;
    case OP_OR: new = old | val; break;
    case OP_AND: new = old & val; break;
    case OP_BTS: new = old | (1ULL << src); break;
    case OP_BTR: new = old & ~(1ULL << src); break;
    case OP_NONE: return false;
    }
    uint64_t new_entry = (entry & ~(mask << (off * 8))) | (new << (off * 8));
    if (new_entry != entry &&
        mod_entry(&hv_mm_env, mfn, pg->type, index, new_entry, d->id, false))
        return false;                     /* validation refused: the guest's #PF */

    switch (op) {
    case OP_XCHG: {
        uint64_t *r = emul_gpr(regs, i.reg);
        *r = size == 4 ? old : (*r & ~mask) | old;
        break;
    }
    case OP_CMPXCHG: regs->rflags |= X86_EFLAGS_ZF; break;
    case OP_OR: case OP_AND: logic_flags(regs, new, size); break;
    case OP_BTS: case OP_BTR:
        regs->rflags = (regs->rflags & ~X86_EFLAGS_CF) | ((old >> src & 1) ? X86_EFLAGS_CF : 0);
        break;
    default: break;
    }
    regs->rip += i.len;
    return true;
}
