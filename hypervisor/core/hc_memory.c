/*
 * memory_op: what a PV guest asks about its memory: current and maximum reservation,
 * its pseudo-physical memory map (one RAM region covering its pages) and where the
 * read-only M2P is. Reservation changes (balloon) are -ENOSYS for now.
 */
#include "config.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "mm.h"
#include "lib.h"

/* memory_op cmd bits 6 and up carry a continuation start extent (Xen internal). */
#define MEMOP_EXTENT_SHIFT 6

static long domid_arg(uint64_t arg, struct domain **out)
{
    domid_t id;
    if (copy_from_guest(&id, arg, sizeof(id)))
        return -EFAULT;
    struct domain *d = current_domain();
    if (id != DOMID_SELF && id != d->id)
        return -ESRCH;           /* no other domain is visible to an unprivileged one */
    *out = d;
    return 0;
}

static long mem_current_reservation(uint64_t arg)
{
    struct domain *d;
    long rc = domid_arg(arg, &d);
    return rc ? rc : (long)d->nr_pages;
}

static long mem_maximum_reservation(uint64_t arg)
{
    struct domain *d;
    long rc = domid_arg(arg, &d);
    return rc ? rc : (long)d->max_pages;
}

static long mem_memory_map(uint64_t arg)
{
    struct xen_memory_map map;
    struct domain *d = current_domain();
    if (copy_from_guest(&map, arg, sizeof(map)))
        return -EFAULT;
    struct { uint64_t addr, size; uint32_t type; } __attribute__((packed)) e820 = {
        0, d->nr_pages << PAGE_SHIFT, 1 };
    /* As Xen: copy min(room, entries) entries; a buffer with no room gets none. */
    map.nr_entries = MIN(map.nr_entries, 1u);
    if (map.nr_entries && copy_to_guest((uint64_t)map.buffer.p, &e820, sizeof(e820)))
        return -EFAULT;
    return copy_to_guest(arg, &map, sizeof(map)) ? -EFAULT : 0;
}

static long mem_machphys_mapping(uint64_t arg)
{
    struct xen_machphys_mapping m = {
        .v_start = RO_MPT_VIRT_START,
        .v_end = RO_MPT_VIRT_START + ((max_mfn * 8 + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1)),
        .max_mfn = max_mfn - 1,
    };
    return copy_to_guest(arg, &m, sizeof(m)) ? -EFAULT : 0;
}

typedef long mem_fn(uint64_t arg);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(mem_, name),
static mem_fn *const mem_ops[] = {
#include "subops/memory_op.def"
};
#undef SUBOP

long hc_memory_op(uint64_t cmd, uint64_t arg, uint64_t a3, uint64_t a4, uint64_t a5)
{
    /* Bits 6+ of cmd carry a continuation start extent (MEMOP_EXTENT_SHIFT). */
    uint64_t op = cmd & ((1u << MEMOP_EXTENT_SHIFT) - 1);
    mem_fn *fn = SUBOP_TABLE_LOOKUP(mem_ops, op);
    if (!fn)
        return hc_enosys_subop("memory_op", __HYPERVISOR_memory_op, op);
    if (cmd >> MEMOP_EXTENT_SHIFT)
        return -EINVAL;    /* no sub-op here takes a start extent */
    return fn(arg);
}
