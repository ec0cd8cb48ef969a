/*
 * The completeness check of struct pv_ops: a table naming every member by its offset,
 * which must cover the struct exactly (a member added without its line here fails the
 * build), and pvops_has_empty_member(), which the kernel runs at boot and the host
 * unit test tests/unit/test_pvops.c runs on all three backends. Also the checks that
 * the entry stubs' frame layout (pv_regs.h) matches struct pv_regs.
 */
#include "internal.h"

#define MEMBER(group, member) \
    { offsetof(struct pv_ops, group.member), #group "." #member }

static const struct member {
    size_t offset;
    const char *name;
} members[] = {
    { offsetof(struct pv_ops, name), "name" },
    MEMBER(cpu, irq_disable), MEMBER(cpu, irq_enable), MEMBER(cpu, irq_save),
    MEMBER(cpu, irq_restore), MEMBER(cpu, safe_halt), MEMBER(cpu, cpuid),
    MEMBER(cpu, read_msr), MEMBER(cpu, write_msr), MEMBER(cpu, read_cr0),
    MEMBER(cpu, write_cr0), MEMBER(cpu, read_cr2), MEMBER(cpu, read_cr4),
    MEMBER(cpu, write_cr4), MEMBER(cpu, clts), MEMBER(cpu, inb), MEMBER(cpu, outb),
    MEMBER(cpu, load_gdt), MEMBER(cpu, load_idt), MEMBER(cpu, syscall_init),
    MEMBER(cpu, load_kernel_stack), MEMBER(cpu, set_fs_base), MEMBER(cpu, set_gs_base),
    MEMBER(cpu, iret), MEMBER(cpu, sysret), MEMBER(cpu, enter_user),
    MEMBER(cpu, power_off),
    MEMBER(mmu, set_pte), MEMBER(mmu, set_pmd), MEMBER(mmu, set_pud), MEMBER(mmu, set_pgd),
    MEMBER(mmu, read_cr3), MEMBER(mmu, write_cr3), MEMBER(mmu, write_user_cr3),
    MEMBER(mmu, flush_tlb), MEMBER(mmu, invlpg), MEMBER(mmu, alloc_pt),
    MEMBER(mmu, release_pt), MEMBER(mmu, pin), MEMBER(mmu, unpin),
    MEMBER(mmu, lazy_enter), MEMBER(mmu, lazy_leave),
    MEMBER(time, init), MEMBER(time, now_ns), MEMBER(time, set_timer),
    MEMBER(time, wallclock), MEMBER(time, tsc_khz),
    MEMBER(console, init), MEMBER(console, write), MEMBER(console, read),
    MEMBER(evtchn, init), MEMBER(evtchn, bind_virq), MEMBER(evtchn, mask),
    MEMBER(evtchn, unmask), MEMBER(evtchn, send), MEMBER(evtchn, close),
    MEMBER(evtchn, alloc_unbound), MEMBER(evtchn, bind_interdomain),
    MEMBER(evtchn, dispatch),
    MEMBER(grant, init), MEMBER(grant, grant_access), MEMBER(grant, end_access),
    MEMBER(grant, map), MEMBER(grant, unmap),
    MEMBER(hv, null_call), MEMBER(hv, counters), MEMBER(hv, domain_info),
};

/* Every member is one pointer: the table covers the struct iff the sizes agree. */
_Static_assert(sizeof(members) / sizeof(members[0]) * sizeof(void *) == sizeof(struct pv_ops),
               "struct pv_ops has a member the table in pvops/check.c does not name");

bool pvops_has_empty_member(const struct pv_ops *ops, const char **where)
{
    size_t i;

    for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
        const void *const *slot =
            (const void *const *)(const void *)((const char *)ops + members[i].offset);

        if (!*slot) {
            if (where)
                *where = members[i].name;
            return true;
        }
    }
    return false;
}

/* The entry stubs write struct pv_regs by hand: each offset of pv_regs.h, checked. */
#define AT(field, offset) _Static_assert(offsetof(struct pv_regs, field) == (offset), #field)
AT(r15, PV_REGS_R15); AT(r14, PV_REGS_R14); AT(r13, PV_REGS_R13); AT(r12, PV_REGS_R12);
AT(rbp, PV_REGS_RBP); AT(rbx, PV_REGS_RBX); AT(r10, PV_REGS_R10); AT(r9, PV_REGS_R9);
AT(r8, PV_REGS_R8); AT(rdi, PV_REGS_RDI); AT(rsi, PV_REGS_RSI); AT(rdx, PV_REGS_RDX);
AT(rax, PV_REGS_RAX); AT(r11, PV_REGS_R11); AT(rcx, PV_REGS_RCX);
AT(vector, PV_REGS_VECTOR); AT(error_code, PV_REGS_ERROR); AT(rip, PV_REGS_RIP);
AT(cs, PV_REGS_CS); AT(rflags, PV_REGS_RFLAGS); AT(rsp, PV_REGS_RSP); AT(ss, PV_REGS_SS);
_Static_assert(sizeof(struct pv_regs) == PV_REGS_SIZE, "size");
_Static_assert(PV_REGS_SIZE % 16 == 0, "the frame keeps the stack 16-byte aligned");
