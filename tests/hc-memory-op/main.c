/*
 * hc-memory-op: memory_op (hypercall 12): current_reservation, maximum_reservation,
 * memory_map, machphys_mapping.
 *
 * Checks: current_reservation for DOMID_SELF equals start_info nr_pages and the maximum is
 * not below it; exactly one domain id in 0..63 answers (our own) and with the same values
 * as DOMID_SELF; other ids, e.g. 0x7fef, give -ESRCH; a NULL, non-canonical or hypervisor-
 * range domid pointer gives -EFAULT; a start extent in the command bits gives -EINVAL;
 * memory_map returns one RAM entry [0, nr_pages * 4096) and sets nr_entries to 1; with
 * room for 0 entries it returns 0 entries and writes nothing into the buffer (Xen's
 * arch_memory_op: min(room, entries)); bad pointers give -EFAULT; machphys_mapping starts
 * at MACH2PHYS_VIRT_START, ends within MACH2PHYS_VIRT_END, covers max_mfn, and the
 * read-only M2P there agrees with our p2m (m2p[p2m[pfn]] == pfn for a spread of pfns),
 * can be read and cannot be written; unknown sub-ops give -ENOSYS.
 * How: direct hypercalls; the M2P is read through a plain pointer at v_start, with
 * probes for the write.
 * Cannot detect: the M2P entries of frames that are not ours; reservation changes
 * (increase/decrease are not implemented: tests/hc-enosys). On the reference Xen, the
 * guest is dom0, whose memory_map is -ENOSYS (it has no pseudo-physical map): those
 * cases are skipped there.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-memory-op: reservations, memory_map, machphys_mapping and the M2P";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL
#define E820_RAM    1

struct e820_entry {
    uint64_t addr, size;
    uint32_t type;
} __attribute__((packed));

static bool on_xen;
static struct e820_entry map_buf[8];

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

static long reservation(unsigned int op, domid_t id)
{
    domid_t d = id;

    return HYPERVISOR_memory_op(op, (unsigned long)&d);
}

static void test_reservations(void)
{
    long cur = reservation(XENMEM_current_reservation, DOMID_SELF);
    long max = reservation(XENMEM_maximum_reservation, DOMID_SELF);
    unsigned int id, found = 0;

    printk("  DOMID_SELF: current %ld, maximum %ld pages\n", cur, max);
    if (cur != (long)start_info->nr_pages)
        test_failure("current_reservation %ld, start_info nr_pages %lu", cur,
                     start_info->nr_pages);
    if (max < cur)
        test_failure("maximum_reservation %ld below current %ld", max, cur);

    for (id = 0; id < 64; id++) {
        long c = reservation(XENMEM_current_reservation, (domid_t)id);
        long m = reservation(XENMEM_maximum_reservation, (domid_t)id);

        if (c == -XEN_ESRCH && m == -XEN_ESRCH)
            continue;
        printk("  domain %u answers: current %ld, maximum %ld\n", id, c, m);
        found++;
        if (c != cur || m != max)
            test_failure("domain %u: current %ld, maximum %ld differ from DOMID_SELF's", id,
                         c, m);
    }
    if (found != 1)
        test_failure("%u domain ids in 0..63 answered, expected exactly one (our own)", found);
    expect_rc("current_reservation of domain 0x7fef", reservation(XENMEM_current_reservation,
                                                                  0x7fef), -XEN_ESRCH);
    expect_rc("maximum_reservation of domain 0x7fef", reservation(XENMEM_maximum_reservation,
                                                                  0x7fef), -XEN_ESRCH);
}

static void test_reservation_errors(void)
{
    static const struct {
        const char *name;
        unsigned long cmd, arg;
    } cases[] = {
        { "current_reservation, NULL", XENMEM_current_reservation, 0 },
        { "current_reservation, non-canonical", XENMEM_current_reservation, NONCANON },
        { "current_reservation, hypervisor range", XENMEM_current_reservation, HV_RANGE },
        { "maximum_reservation, NULL", XENMEM_maximum_reservation, 0 },
        { "maximum_reservation, non-canonical", XENMEM_maximum_reservation, NONCANON },
        { "maximum_reservation, hypervisor range", XENMEM_maximum_reservation, HV_RANGE },
    };
    domid_t self = DOMID_SELF;
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++)
        expect_rc(cases[i].name, HYPERVISOR_memory_op(cases[i].cmd, cases[i].arg),
                  -XEN_EFAULT);
    expect_rc("current_reservation with a start extent (cmd | 1 << 6)",
              HYPERVISOR_memory_op(XENMEM_current_reservation | 1 << 6, (unsigned long)&self),
              -XEN_EINVAL);
}

static void test_memory_map(void)
{
    struct xen_memory_map map;
    unsigned int i;
    long rc;

    memset(map_buf, 0xee, sizeof(map_buf));
    map.nr_entries = ARRAY_SIZE(map_buf);
    set_xen_guest_handle(map.buffer, map_buf);
    rc = HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map);
    if (on_xen && rc == -XEN_ENOSYS) {
        printk("  -ENOSYS on the reference (dom0 has no pseudo-physical map): skipped\n");
        return;
    }
    if (rc) {
        test_failure("memory_map returned %ld", rc);
        return;
    }
    printk("  %u entries; first [0x%lx, +0x%lx) type %u\n", map.nr_entries,
           (unsigned long)map_buf[0].addr, (unsigned long)map_buf[0].size, map_buf[0].type);
    if (map.nr_entries != 1)
        test_failure("memory_map gave %u entries, expected 1", map.nr_entries);
    if (map_buf[0].addr != 0 || map_buf[0].size != start_info->nr_pages * PAGE_SIZE ||
        map_buf[0].type != E820_RAM)
        test_failure("memory_map entry [0x%lx, +0x%lx) type %u, expected RAM [0, +0x%lx)",
                     (unsigned long)map_buf[0].addr, (unsigned long)map_buf[0].size,
                     map_buf[0].type, start_info->nr_pages * PAGE_SIZE);
    for (i = 1; i < ARRAY_SIZE(map_buf); i++)
        if (map_buf[i].type != 0xeeeeeeee) {
            test_failure("memory_map wrote entry %u", i);
            break;
        }

    /* Room for no entry: nothing written, nr_entries 0. */
    memset(map_buf, 0xee, sizeof(map_buf));
    map.nr_entries = 0;
    expect_rc("memory_map with nr_entries 0",
              HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map), 0);
    if (map.nr_entries != 0 || map_buf[0].type != 0xeeeeeeee)
        test_failure("memory_map with room for nothing gave %u entries / wrote the buffer",
                     map.nr_entries);

    map.nr_entries = 1;
    set_xen_guest_handle(map.buffer, (void *)NONCANON);
    expect_rc("memory_map, non-canonical buffer",
              HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map), -XEN_EFAULT);
    set_xen_guest_handle(map.buffer, (void *)HV_RANGE);
    expect_rc("memory_map, hypervisor-range buffer",
              HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map), -XEN_EFAULT);
    expect_rc("memory_map, NULL argument", HYPERVISOR_memory_op(XENMEM_memory_map, 0),
              -XEN_EFAULT);
    expect_rc("memory_map, non-canonical argument",
              HYPERVISOR_memory_op(XENMEM_memory_map, NONCANON), -XEN_EFAULT);
}

static void test_machphys(void)
{
    struct xen_machphys_mapping mm;
    const uint64_t *m2p;
    unsigned long pfns[8], nr = start_info->nr_pages, i;
    long rc;

    memset(&mm, 0, sizeof(mm));
    rc = HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)&mm);
    if (rc) {
        test_failure("machphys_mapping returned %ld", rc);
        return;
    }
    printk("  M2P [0x%lx, 0x%lx), max_mfn 0x%lx\n", (unsigned long)mm.v_start,
           (unsigned long)mm.v_end, (unsigned long)mm.max_mfn);
    if (mm.v_start != MACH2PHYS_VIRT_START || mm.v_end <= mm.v_start ||
        mm.v_end > MACH2PHYS_VIRT_END)
        test_failure("M2P range [0x%lx, 0x%lx) is not within [0x%lx, 0x%lx)",
                     (unsigned long)mm.v_start, (unsigned long)mm.v_end,
                     (unsigned long)MACH2PHYS_VIRT_START, (unsigned long)MACH2PHYS_VIRT_END);
    if ((mm.v_end - mm.v_start) / 8 < mm.max_mfn + 1)
        test_failure("M2P range holds %lu entries, max_mfn is 0x%lx",
                     (unsigned long)((mm.v_end - mm.v_start) / 8), (unsigned long)mm.max_mfn);

    pfns[0] = 0;
    pfns[1] = 1;
    pfns[2] = nr / 3;
    pfns[3] = nr / 2;
    pfns[4] = nr - 1;
    pfns[5] = virt_to_pfn(start_info);
    pfns[6] = virt_to_pfn(test_title);
    pfns[7] = virt_to_pfn((void *)start_info->pt_base);
    m2p = (const uint64_t *)mm.v_start;
    for (i = 0; i < ARRAY_SIZE(pfns); i++) {
        unsigned long mfn = pfn_to_mfn(pfns[i]);
        const volatile uint64_t *slot = &m2p[mfn];

        if (mfn > mm.max_mfn) {
            test_failure("pfn 0x%lx: mfn 0x%lx above max_mfn 0x%lx", pfns[i], mfn,
                         (unsigned long)mm.max_mfn);
            continue;
        }
        if (!expect_exinfo("read of the M2P", probe_read(slot), EXINFO_NONE))
            continue;
        if (*slot != pfns[i])
            test_failure("m2p[p2m[0x%lx] = 0x%lx] = 0x%lx", pfns[i], mfn,
                         (unsigned long)*slot);
    }
    expect_exinfo("write to the read-only M2P",
                  probe_write((void *)&m2p[pfn_to_mfn(0)]), EXINFO(X86_PF, PFEC_P | PFEC_W));

    expect_rc("machphys_mapping, NULL", HYPERVISOR_memory_op(XENMEM_machphys_mapping, 0),
              -XEN_EFAULT);
    expect_rc("machphys_mapping, non-canonical",
              HYPERVISOR_memory_op(XENMEM_machphys_mapping, NONCANON), -XEN_EFAULT);
    expect_rc("machphys_mapping, hypervisor range",
              HYPERVISOR_memory_op(XENMEM_machphys_mapping, HV_RANGE), -XEN_EFAULT);
}

static void test_unknown(void)
{
    static const unsigned long ops[] = { 60, 63 };
    unsigned int i;
    char what[48];

    for (i = 0; i < ARRAY_SIZE(ops); i++) {
        snprintf(what, sizeof(what), "sub-op %lu", ops[i]);
        expect_rc(what, HYPERVISOR_memory_op(ops[i], (unsigned long)map_buf), -XEN_ENOSYS);
    }
}

static const struct subtest cases[] = {
    { "current/maximum reservation: DOMID_SELF, own id, others", test_reservations },
    { "reservation: bad pointers, start extent", test_reservation_errors },
    { "memory_map: one RAM entry covering nr_pages", test_memory_map },
    { "machphys_mapping and the read-only M2P", test_machphys },
    { "unknown sub-ops -> -ENOSYS", test_unknown },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
