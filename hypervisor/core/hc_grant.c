/*
 * grant_table_op: grant tables v1 for the running domain. setup_table grows the table
 * (frames the hypervisor allocates, owned by the domain, flagged hypervisor-shared so
 * it may map them but never type them) and returns their frame numbers; query_size
 * reports the size; copy moves bytes between granted frames and the caller's own,
 * with the pins and references of grant/grant_table.c held across the copy;
 * map_grant_ref / unmap_grant_ref make and remove host mappings (grant-marked L1
 * entries, mm/grant_map.c). The per-element status goes back in each element; the call
 * returns 0 unless an element cannot be read or written (-EFAULT) or the count is out
 * of range (-EINVAL).
 */
#include "console.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"
#include "mm.h"
#include "mm/grant_map.h"

#define GNTTAB_BATCH_MAX 4096   /* elements per call: a bound on time (A7) */

/* New pins (map, copy) only on live domains; unpinning (unmap, a mapper's teardown)
 * also reaches a granter that has ended but whose frames others still map. */
static struct gnttab_domain *lookup(domid_t id)
{
    struct domain *d = domain_by_id(id);
    return d ? &d->gnttab : NULL;
}

static struct gnttab_domain *lookup_any(domid_t id)
{
    struct domain *d = domain_by_id_any(id);
    return d ? &d->gnttab : NULL;
}

static int table_frame_alloc(struct gnttab_domain *gt, uint64_t *mfn, void **va)
{
    uint64_t m = alloc_frame(gt->id);
    if (m == INVALID_MFN)
        return -ENOMEM;
    mfn_to_page(m)->flags |= PGF_xen_shared;
    *mfn = m;
    *va = mfn_to_virt(m);
    return 0;
}

static void table_frame_free(struct gnttab_domain *gt, uint64_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->count != 1 || pg->type_count) {
        printk("d%u: grant-table frame 0x%lx still referenced (%u/%u): kept out of use\n",
               gt->id, (unsigned long)mfn, pg->count, pg->type_count);
        pg->owner = DOMID_HV;
        return;
    }
    pg->count = 0;
    free_frame(mfn);
}

static int ref_get(uint64_t mfn, domid_t owner) { return get_page(&hv_mm_env, mfn, owner); }
static void ref_put(uint64_t mfn) { put_page(&hv_mm_env, mfn); }
static int ref_get_writable(uint64_t mfn, domid_t owner)
{
    return get_page_type(&hv_mm_env, mfn, PGT_writable, owner);
}
static void ref_put_writable(uint64_t mfn) { put_page_type(&hv_mm_env, mfn); }

const struct gnttab_env grant_env = {
    .domain = lookup,
    .alloc_frame = table_frame_alloc,
    .free_frame = table_frame_free,
    .get_page = ref_get,
    .put_page = ref_put,
    .get_page_writable = ref_get_writable,
    .put_page_writable = ref_put_writable,
    .map_host = grant_map_host,
    .unmap_host = grant_unmap_host,
};
const struct gnttab_env grant_env_release = {
    .domain = lookup_any,
    .alloc_frame = table_frame_alloc,
    .free_frame = table_frame_free,
    .get_page = ref_get,
    .put_page = ref_put,
    .get_page_writable = ref_get_writable,
    .put_page_writable = ref_put_writable,
    .map_host = grant_map_host,
    .unmap_host = grant_unmap_host,
};

/* setup_table and query_size take exactly one element (Xen: -EINVAL otherwise). */
static long gt_setup_table(uint64_t uop, uint64_t count)
{
    struct gnttab_domain *gt = &current_domain()->gnttab;
    struct gnttab_setup_table op;
    uint64_t frames[GNTTAB_MAX_FRAMES];
    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    uint64_t list = (uint64_t)(uintptr_t)op.frame_list.p;
    if (op.nr_frames <= gt->max_frames &&
        !guest_range_ok(list, op.nr_frames * sizeof(frames[0])))
        return -EFAULT;            /* a list outside guest memory, as Xen checks it */
    op.status = gnttab_op_setup_table(&grant_env, gt, op.dom, op.nr_frames, frames);
    if (op.status == GNTST_okay &&
        copy_to_guest(list, frames, op.nr_frames * sizeof(frames[0])))
        op.status = GNTST_bad_virt_addr;
    if (copy_to_guest(uop + offsetof(struct gnttab_setup_table, status), &op.status,
                      sizeof(op.status)))
        return -EFAULT;
    return 0;
}

static long gt_query_size(uint64_t uop, uint64_t count)
{
    struct gnttab_query_size op;
    if (count != 1)
        return -EINVAL;
    if (copy_from_guest(&op, uop, sizeof(op)))
        return -EFAULT;
    gnttab_op_query_size(&grant_env, &current_domain()->gnttab, &op);
    return copy_to_guest(uop, &op, sizeof(op)) ? -EFAULT : 0;
}

/* The loop of copy and unmap_grant_ref: each element read, handled by fn (which returns
 * its status), and only its status written back, as Xen does. */
union gt_element {
    struct gnttab_copy copy;
    struct gnttab_unmap_grant_ref unmap;
};
typedef int16_t gt_element_fn(struct gnttab_domain *gt, union gt_element *op);

static long each_element(uint64_t uop, uint64_t count, size_t size, size_t status_at,
                         gt_element_fn *fn)
{
    struct gnttab_domain *gt = &current_domain()->gnttab;
    for (uint64_t i = 0; i < count; i++) {
        union gt_element op;
        uint64_t va = uop + i * size;
        if (copy_from_guest(&op, va, size))
            return -EFAULT;
        int16_t status = fn(gt, &op);
        if (copy_to_guest(va + status_at, &status, sizeof(status)))
            return -EFAULT;
    }
    return 0;
}

static int16_t copy_one(struct gnttab_domain *gt, union gt_element *op)
{
    struct gnttab_copy_plan plan;
    int16_t status = gnttab_op_copy_prepare(&grant_env, gt, &op->copy, &plan);
    if (status == GNTST_okay) {
        memcpy((uint8_t *)mfn_to_virt(plan.dst.mfn) + plan.dst.offset,
               (const uint8_t *)mfn_to_virt(plan.src.mfn) + plan.src.offset, plan.len);
        gnttab_op_copy_finish(&grant_env, &plan);
    }
    return status;
}

static long gt_copy(uint64_t uop, uint64_t count)
{
    return each_element(uop, count, sizeof(struct gnttab_copy),
                        offsetof(struct gnttab_copy, status), copy_one);
}

static int16_t unmap_one(struct gnttab_domain *gt, union gt_element *op)
{
    int16_t status = gnttab_op_unmap(&grant_env_release, gt, &op->unmap);
    domains_reap();                 /* the last mapping of an ended domain's frame? */
    return status;
}

static long gt_unmap_grant_ref(uint64_t uop, uint64_t count)
{
    return each_element(uop, count, sizeof(struct gnttab_unmap_grant_ref),
                        offsetof(struct gnttab_unmap_grant_ref, status), unmap_one);
}

/* map_grant_ref: the whole element goes back (status, handle, dev_bus_addr). A mapping
 * whose element cannot be written back is undone first: the guest could never learn
 * its handle. */
static long gt_map_grant_ref(uint64_t uop, uint64_t count)
{
    struct gnttab_domain *gt = &current_domain()->gnttab;
    for (uint64_t i = 0; i < count; i++) {
        struct gnttab_map_grant_ref op;
        uint64_t va = uop + i * sizeof(op);
        if (copy_from_guest(&op, va, sizeof(op)))
            return -EFAULT;
        gnttab_op_map(&grant_env, gt, &op);
        if (copy_to_guest(va, &op, sizeof(op))) {
            if (op.status == GNTST_okay) {
                struct gnttab_unmap_grant_ref undo = { .host_addr = op.host_addr,
                                                       .handle = op.handle };
                gnttab_op_unmap(&grant_env_release, gt, &undo);
            }
            return -EFAULT;
        }
    }
    return 0;
}

typedef long gt_fn(uint64_t uop, uint64_t count);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(gt_, name),
static gt_fn *const gt_ops[] = {
#include "subops/grant_table_op.def"
};
#undef SUBOP

long hc_grant_table_op(uint64_t cmd, uint64_t uop, uint64_t count, uint64_t a4, uint64_t a5)
{
    gt_fn *fn = SUBOP_TABLE_LOOKUP(gt_ops, cmd);
    if (!fn)
        return hc_enosys_subop("grant_table_op", __HYPERVISOR_grant_table_op, cmd);
    if (count > GNTTAB_BATCH_MAX)
        return -EINVAL;
    return fn(uop, count);
}
