/*
 * Grant tables v1 for the xen and trap backends: one table frame asked for with
 * GNTTABOP_setup_table and mapped over a page of ours, entries handed out from the
 * first one not reserved for the toolstack (0-7). Granting writes frame and domain,
 * then (after a barrier) the flags; ending clears the flags only if the other side
 * is not using the entry. Mapping another domain's grant: GNTTABOP_map_grant_ref at a
 * kernel address (the hypervisor writes the L1 entry), undone by unmap_grant_ref.
 */
#include "internal.h"

#define GRANT_FIRST_FREE    8           /* GNTTAB_NR_RESERVED_ENTRIES */
#define NR_GRANT_ENTRIES    (PAGE_SIZE / sizeof(struct grant_entry_v1))
#define EBUSY               16
#define ENOSPC              28
#define EINVAL              22

static struct grant_entry_v1 table_page[NR_GRANT_ENTRIES]
    __attribute__((aligned(PAGE_SIZE))) __attribute__((section(".bss.page_aligned")));
static struct grant_entry_v1 *table;

long xen_grant_init(void)
{
    xen_pfn_t frame = 0;
    struct gnttab_setup_table op = { .dom = DOMID_SELF, .nr_frames = 1 };
    long rc;

    set_xen_guest_handle(op.frame_list, &frame);
    rc = HYPERVISOR_grant_table_op(GNTTABOP_setup_table, (unsigned long)&op, 1);
    if (rc)
        return rc;
    if (op.status != GNTST_okay)
        return -EINVAL;
    xen_remap((unsigned long)table_page, frame, PTE_P | PTE_RW | PTE_A | PTE_D);
    table = table_page;
    return (long)(NR_GRANT_ENTRIES - GRANT_FIRST_FREE);
}

long xen_grant_access(uint16_t domid, unsigned long pfn, bool readonly)
{
    unsigned long ref;

    if (!table)
        return -EINVAL;
    for (ref = GRANT_FIRST_FREE; ref < NR_GRANT_ENTRIES; ref++)
        if (!table[ref].flags && !table[ref].frame)
            break;
    if (ref == NR_GRANT_ENTRIES)
        return -ENOSPC;
    table[ref].frame = (uint32_t)pfn_to_mfn(pfn);
    table[ref].domid = domid;
    __atomic_thread_fence(__ATOMIC_RELEASE);    /* frame and domain before the flags */
    table[ref].flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0));
    return (long)ref;
}

long xen_end_access(unsigned long ref)
{
    uint16_t flags;

    if (!table || ref < GRANT_FIRST_FREE || ref >= NR_GRANT_ENTRIES)
        return -EINVAL;
    flags = table[ref].flags;
    do {
        if (flags & (GTF_reading | GTF_writing))
            return -EBUSY;
    } while (!__atomic_compare_exchange_n(&table[ref].flags, &flags, 0, false,
                                          __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST));
    table[ref].frame = 0;
    return 0;
}

long xen_grant_map(uint16_t domid, unsigned long ref, unsigned long va, bool readonly)
{
    struct gnttab_map_grant_ref op = {
        .host_addr = va, .dom = domid, .ref = (grant_ref_t)ref,
        .flags = GNTMAP_host_map | (readonly ? GNTMAP_readonly : 0),
    };
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_map_grant_ref, (unsigned long)&op, 1);

    if (rc)
        return rc;
    return op.status == GNTST_okay ? (long)op.handle : -EINVAL;
}

long xen_grant_unmap(unsigned long handle, unsigned long va)
{
    struct gnttab_unmap_grant_ref op = { .host_addr = va, .handle = (grant_handle_t)handle };
    long rc = HYPERVISOR_grant_table_op(GNTTABOP_unmap_grant_ref, (unsigned long)&op, 1);

    if (rc)
        return rc;
    return op.status == GNTST_okay ? 0 : -EINVAL;
}
