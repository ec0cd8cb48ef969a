/*
 * The MMU members of the xen backend. Page tables are read-only to the guest: every
 * entry is written by mmu_update (the hypervisor validates it), a frame becomes a page
 * table by being remapped read-only (alloc_pt) and an L4 is pinned before it is used.
 *
 * Lazy mode batches: between lazy_enter and lazy_leave, set_pte, write_cr3,
 * write_user_cr3, flush_tlb and invlpg are queued and leave in one hypercall: a
 * multicall of one mmu_update (all the entries) and one mmuext_op (the rest) when
 * both kinds are queued. The ordering rule: within a batch every entry update lands
 * before every extended op, whatever order they were queued in (safe for the queued
 * kinds: a flush or base-pointer change after an entry write is what one wants anyway).
 * Everything else (set_pmd/pud/pgd, alloc_pt, release_pt, pin, unpin) flushes the
 * queue first and runs at once, so a walk never reads a table level not yet written.
 * Reading back an L1 entry written inside lazy mode may see the old value.
 *
 * The queue is one for the CPU and an event can arrive on the way out of any hypercall,
 * its handler switching tasks and so address spaces: every queue operation and every
 * flush runs with interrupts off. A task preempted inside lazy mode may find its queue
 * already sent by the switch; what was queued still lands in the order it was queued.
 */
#include "internal.h"

#define BATCH_UPDATES   128
#define BATCH_EXT_OPS   8

static struct mmu_update updates[BATCH_UPDATES];
static struct mmuext_op ext_ops[BATCH_EXT_OPS];
static unsigned int nr_updates, nr_ext_ops;
static bool lazy;
static unsigned long cr3_pfn;           /* the kernel L4 once the queue has gone out */

static void flush_locked(void)
{
    struct multicall_entry calls[2] = {
        { .op = __HYPERVISOR_mmu_update,
          .args = { (unsigned long)updates, nr_updates, 0, DOMID_SELF } },
        { .op = __HYPERVISOR_mmuext_op,
          .args = { (unsigned long)ext_ops, nr_ext_ops, 0, DOMID_SELF } },
    };
    long rc;

    if (nr_updates && nr_ext_ops) {
        rc = HYPERVISOR_multicall((unsigned long)calls, 2);
        if (!rc)
            rc = (long)calls[0].result ? (long)calls[0].result : (long)calls[1].result;
    } else if (nr_updates) {
        rc = HYPERVISOR_mmu_update((unsigned long)updates, nr_updates, 0, DOMID_SELF);
    } else if (nr_ext_ops) {
        rc = HYPERVISOR_mmuext_op((unsigned long)ext_ops, nr_ext_ops, 0, DOMID_SELF);
    } else {
        return;
    }
    if (rc)
        pv_panic(nr_updates ? "mmu_update batch" : "mmuext_op batch", rc);
    nr_updates = nr_ext_ops = 0;
}

static void flush(void)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    flush_locked();
    pv_ops.cpu.irq_restore(flags);
}

void xen_set_pte(pte_t *ptep, pte_t value)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    if (nr_updates == BATCH_UPDATES)
        flush_locked();
    updates[nr_updates].ptr = virt_to_maddr(ptep) | MMU_NORMAL_PT_UPDATE;
    updates[nr_updates].val = value;
    nr_updates++;
    if (!lazy)
        flush_locked();
    pv_ops.cpu.irq_restore(flags);
}

static void queue_ext_op(unsigned int cmd, unsigned long arg1)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    if (nr_ext_ops == BATCH_EXT_OPS)
        flush_locked();
    ext_ops[nr_ext_ops].cmd = cmd;
    ext_ops[nr_ext_ops].arg1.linear_addr = arg1;    /* same slot as arg1.mfn */
    nr_ext_ops++;
    if (!lazy)
        flush_locked();
    pv_ops.cpu.irq_restore(flags);
}

/* An upper-level entry: never queued, so a walk after it sees the new level. */
void xen_set_upper(pte_t *ptep, pte_t value)
{
    flush();
    xen_set_pte(ptep, value);
    flush();
}

unsigned long xen_read_cr3(void)
{
    if (!cr3_pfn) {                     /* the first time: the (emulated) instruction */
        cr3_pfn = native_read_cr3();
    }
    return cr3_pfn;
}

void xen_write_cr3(unsigned long pfn)
{
    cr3_pfn = pfn;
    queue_ext_op(MMUEXT_NEW_BASEPTR, pfn_to_mfn(pfn));
}

void xen_write_user_cr3(unsigned long pfn)
{
    queue_ext_op(MMUEXT_NEW_USER_BASEPTR, pfn ? pfn_to_mfn(pfn) : 0);
}

void xen_flush_tlb(void)
{
    queue_ext_op(MMUEXT_TLB_FLUSH_LOCAL, 0);
}

void xen_invlpg(unsigned long va)
{
    queue_ext_op(MMUEXT_INVLPG_LOCAL, va);
}

/* No writable mapping of a page table may exist: its direct-map page goes read-only. */
void xen_alloc_pt(unsigned long pfn, int level)
{
    (void)level;
    flush();
    xen_remap((unsigned long)pfn_to_virt(pfn), pfn_to_mfn(pfn), PTE_P | PTE_A);
}

/* Once nothing references it as a table, the frame may be written again. */
void xen_release_pt(unsigned long pfn, int level)
{
    (void)level;
    flush();
    xen_remap((unsigned long)pfn_to_virt(pfn), pfn_to_mfn(pfn),
              PTE_P | PTE_RW | PTE_A | PTE_D);
}

void xen_pin(unsigned long pfn, int level)
{
    static const unsigned int cmd[5] = {
        0, MMUEXT_PIN_L1_TABLE, MMUEXT_PIN_L2_TABLE, MMUEXT_PIN_L3_TABLE,
        MMUEXT_PIN_L4_TABLE,
    };

    if (level < 1 || level > 4)
        pv_panic("pin: no such level", level);
    flush();
    queue_ext_op(cmd[level], pfn_to_mfn(pfn));
    flush();
}

void xen_unpin(unsigned long pfn)
{
    flush();
    queue_ext_op(MMUEXT_UNPIN_TABLE, pfn_to_mfn(pfn));
    flush();
}

void xen_lazy_enter(void)
{
    lazy = true;
}

void xen_lazy_leave(void)
{
    flush();
    lazy = false;
}
