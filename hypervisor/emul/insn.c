/*
 * Fetching, decoding and operand access for instruction emulation (include/emul/insn.h).
 */
#include "emul/insn.h"
#include "guest_access.h"
#include "lib.h"
#include "x86.h"

bool emul_fetch_decode(const struct cpu_regs *regs, struct x86_insn *i)
{
    uint8_t buf[X86_MAX_INSN];
    unsigned n = sizeof(buf);
    /* One copy of the longest instruction; only near the end of a mapping (the next
     * page absent) byte by byte, up to the first byte that cannot be read. */
    if (copy_from_guest(buf, regs->rip, sizeof(buf))) {
        n = 0;
        while (n < sizeof(buf) && copy_from_guest(&buf[n], regs->rip + n, 1) == 0)
            n++;
    }
    return x86_decode(buf, n, i) == 0;
}

uint64_t *emul_gpr(struct cpu_regs *r, unsigned idx)
{
    uint64_t *map[16] = { &r->rax, &r->rcx, &r->rdx, &r->rbx, &r->rsp, &r->rbp, &r->rsi,
                          &r->rdi, &r->r8, &r->r9, &r->r10, &r->r11, &r->r12, &r->r13,
                          &r->r14, &r->r15 };
    return map[idx & 15];
}

uint64_t emul_operand_address(const struct x86_insn *i, const struct cpu_regs *regs)
{
    const uint64_t g[16] = { regs->rax, regs->rcx, regs->rdx, regs->rbx, regs->rsp,
                             regs->rbp, regs->rsi, regs->rdi, regs->r8, regs->r9, regs->r10,
                             regs->r11, regs->r12, regs->r13, regs->r14, regs->r15 };
    uint64_t seg = 0;
    if (i->seg == SEG_FS)
        seg = rdmsr(MSR_FS_BASE);
    else if (i->seg == SEG_GS)
        seg = rdmsr(MSR_KERNEL_GS_BASE);     /* the guest's active GS base while we run */
    return x86_effective_address(i, g, regs->rip + i->len, seg);
}
