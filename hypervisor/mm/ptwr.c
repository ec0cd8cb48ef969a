/*
 * Writable page tables: a guest kernel stores straight into one of its page tables
 * (mapped read-only, as every page table is), the store faults, and the hypervisor
 * performs it as a validated update of that one entry, as if the guest had called
 * mmu_update. For trap guests (dom.trap) always, for PV guests that enabled
 * VMASST_TYPE_writable_pagetables. The forms compilers and kernels use for a 64-bit
 * entry are emulated: mov r64 -> m64, mov imm32 -> m64, xchg, (lock) cmpxchg. Anything
 * else, a misaligned or partial write, a write that is not to a validated table of
 * this domain, or an update the validation refuses leaves the guest its #PF.
 */
#include "domain.h"
#include "emul/insn.h"
#include "mm.h"
#include "mm/ptwr.h"
#include "x86.h"

#define PF_PRESENT 1
#define PF_WRITE   2

bool ptwr_enabled(const struct domain *d)
{
    return d->trap || (d->vm_assist & (1ULL << VMASST_TYPE_writable_pagetables));
}

bool ptwr_emulate(struct vcpu *v, struct cpu_regs *regs, uint64_t cr2, uint64_t error_code)
{
    struct domain *d = v->domain;
    struct x86_insn i;
    if ((error_code & (PF_PRESENT | PF_WRITE)) != (PF_PRESENT | PF_WRITE) || !v->kernel_mode ||
        !ptwr_enabled(d) || (cr2 & 7) || !emul_fetch_decode(regs, &i) ||
        !i.has_modrm || i.mod == 3 || i.opsize != 8 || emul_operand_address(&i, regs) != cr2)
        return false;
    bool is_mov = !i.two_byte && (i.op == 0x89 || (i.op == 0xc7 && (i.reg & 7) == 0));
    bool is_xchg = !i.two_byte && i.op == 0x87;
    bool is_cmpxchg = i.two_byte && i.op == 0xb1;
    if (!is_mov && !is_xchg && !is_cmpxchg)
        return false;

    uint64_t pte = guest_pte_of(v->kernel_l4, cr2);
    if (!(pte & _PAGE_PRESENT))
        return false;
    uint64_t mfn = pte_mfn(pte);
    struct page_info *pg = mm_owned_frame(&hv_mm_env, mfn, d->id);
    if (!pg || pg->type < PGT_l1 || pg->type > PGT_l4 || !pg->type_count)
        return false;                     /* not one of its validated page tables */
    unsigned index = (unsigned)((cr2 & (PAGE_SIZE - 1)) / 8);
    uint64_t old = ((volatile uint64_t *)mfn_to_virt(mfn))[index];
    uint64_t src = i.op == 0xc7 ? i.imm : *emul_gpr(regs, i.reg);

    if (is_cmpxchg && old != regs->rax) {
        regs->rax = old;                  /* no write: ZF clear, as the CPU does */
        regs->rflags &= ~X86_EFLAGS_ZF;
        regs->rip += i.len;
        return true;
    }
    if (mod_entry(&hv_mm_env, mfn, pg->type, index, src, d->id, false))
        return false;                     /* validation refused: the guest's #PF */
    if (is_xchg)
        *emul_gpr(regs, i.reg) = old;
    if (is_cmpxchg)
        regs->rflags |= X86_EFLAGS_ZF;
    regs->rip += i.len;
    return true;
}
