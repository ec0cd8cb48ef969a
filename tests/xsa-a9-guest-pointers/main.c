/*
 * xsa-a9-guest-pointers: security invariant A9. Every pointer a guest hands the
 * hypervisor is checked on the address actually accessed: the hypervisor hole
 * [0xFFFF800000000000, 0xFFFF880000000000), non-canonical addresses, arrays whose
 * element k leaves the guest range, unmapped pages and read-only pages (as outputs) all
 * give -EFAULT, nothing is read from or written to the wrong place, and the host lives.
 *
 * Checks:
 *  - every pointer argument of set_trap_table, mmu_update (reqs, pdone), set_gdt,
 *    memory_op (current/maximum_reservation, memory_map and its buffer,
 *    machphys_mapping), multicall, xen_version (every output sub-op), console_io,
 *    vcpu_op (runstate, runstate area, vcpu_info), mmuext_op (ops, pdone), sched_op
 *    shutdown and callback_op, against NULL, an unmapped VA, the RO M2P at
 *    0xFFFF800000000000, the hypervisor image at 0xFFFF828000100000, the last bytes of
 *    the hole, three non-canonical addresses and a random one: -EFAULT (a NULL trap
 *    table or pdone is legal and not tried; a bad pdone may also be ignored, as Xen
 *    does; console reads with nothing to read may return 0 untouched);
 *  - a runstate area registered in the hole or non-canonical: refused (-EINVAL, or
 *    Xen's -EFAULT), and the hypervisor survives updating it;
 *  - outputs into a read-only page of ours, into our own L4 (a typed page we map
 *    read-only: a write there would forge a page-table entry) and at the M2P: -EFAULT
 *    and the page is byte-for-byte unchanged;
 *  - arrays whose element 0 is fine and element 1 is not: across an unmapped page,
 *    across the end of the lower canonical half (a page mapped at 0x7FFFFFFFF000):
 *    -EFAULT, with *done = 1 and entry 0 processed; an output running from a RW page
 *    into a RO page: -EFAULT, the RO page unchanged;
 *  - arrays and buffers that wrap around 2^64 (a page mapped at 0xFFFFFFFFFFFFF000, VA 0
 *    mapped to a page holding a valid element): every byte touched is guest memory, so
 *    either refusal (-EFAULT) or Xen's per-element processing is accepted, and which
 *    one happened is printed; anything else fails;
 *  - counts so large that base + i * size overflows: -EINVAL, -EFAULT or (Xen's
 *    32-bit counts) 0.
 * How: direct hypercalls through the hypercall page; pages are read back by the guest.
 * The test FAILS on any other return code, a changed "nothing written" page, or an
 * element past the bad one being processed. AFTER=hello shows the host survived.
 * Cannot detect: a hypervisor read of its own memory through a hole pointer whose result
 * is discarded (only the return code is visible; console_io is the call where such a
 * leak would be printed and returned as success); writes into the hole at places the
 * guest cannot read back (the AFTER guest catches gross damage only).
 */
#include <xen/errno.h>
#include "../xsa-common/far_page.h"

const char test_title[] =
    "xsa-a9-guest-pointers: bad guest pointers give -EFAULT, host survives";

/* Addresses no guest pointer may reach. */
#define HOLE_M2P        0xFFFF800000000000UL   /* the read-only M2P, first byte */
#define HOLE_HV_IMAGE   0xFFFF828000100000UL   /* the hypervisor image */
#define HOLE_LAST       0xFFFF87FFFFFFFFF8UL   /* last 8 bytes of the hole */
#define NONCANON_LOW    0x0000800000000000UL   /* first non-canonical address */
#define NONCANON_HIGH   0xFFFF7FFFFFFFFFF8UL   /* just below the hole */
#define NONCANON_MID    0x8000000000000000UL
#define UNMAPPED_VA     0x00007F0000000000UL   /* no L4 entry at all */

static const struct {
    unsigned long va;
    const char *name;
} bad_ptrs[] = {
    { 0, "NULL" },
    { UNMAPPED_VA, "unmapped" },
    { HOLE_M2P, "RO M2P (hole)" },
    { HOLE_HV_IMAGE, "hypervisor image (hole)" },
    { HOLE_LAST, "end of the hole" },
    { NONCANON_LOW, "non-canonical 0x0000800000000000" },
    { NONCANON_HIGH, "non-canonical 0xFFFF7FFFFFFFFFF8" },
    { NONCANON_MID, "non-canonical 0x8000000000000000" },
    { 0xDEADBEEFDEADBEEFUL, "0xDEADBEEFDEADBEEF" },
};

/* Page-aligned scratch memory: a RW page, a page made read-only, two adjacent pages of
 * which the second is unmapped, a RW page followed by a RO one, the two pages mapped at
 * the ends of the address space, the page VA 0 is mapped to, and page tables. */
#define PAGES __aligned(PAGE_SIZE) __attribute__((section(".bss.page_aligned")))
static uint8_t scratch[PAGE_SIZE] PAGES;
static uint8_t ro_page[PAGE_SIZE] PAGES;
static uint8_t edge[2][PAGE_SIZE] PAGES;          /* edge[1] unmapped during the test */
static uint8_t rw_ro[2][PAGE_SIZE] PAGES;         /* rw_ro[1] read-only */
static uint8_t low_top_data[PAGE_SIZE] PAGES;     /* shown at LOW_TOP_VA */
static uint8_t top_data[PAGE_SIZE] PAGES;         /* shown at TOP_VA */
static uint8_t zero_data[PAGE_SIZE] PAGES;        /* shown at VA 0 */
static uint64_t pt_low[3][512] PAGES;             /* L3, L2, L1 for LOW_TOP_VA */
static uint64_t pt_top[3][512] PAGES;             /* L3, L2, L1 for TOP_VA */

static struct far_page low_top = { LOW_TOP_VA, pt_low, false };
static struct far_page top = { TOP_VA, pt_top, false };
static bool have_m2p;

/* ---- small helpers ------------------------------------------------------------------- */

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

/* -EFAULT is the answer; for some outputs Xen ignores the failed write and returns alt. */
static void expect_rc2(const char *what, long got, long want, long alt)
{
    if (got != want && got != alt)
        test_failure("%s: returned %ld, expected %ld or %ld", what, got, want, alt);
}

static bool map_va0(bool on)
{
    long rc = HYPERVISOR_update_va_mapping(
        0, on ? (virt_to_mfn(zero_data) << PAGE_SHIFT | PTE_P | PTE_RW | PTE_A | PTE_D) : 0,
        UVMF_INVLPG);

    if (rc)
        test_error("update_va_mapping(VA 0 %s) failed: %ld", on ? "on" : "off", rc);
    return rc == 0;
}

/* A harmless mmu_update request: set the M2P entry of scratch to what it already is. */
static struct mmu_update harmless_mmu_req(void)
{
    struct mmu_update u = {
        .ptr = virt_to_mfn(scratch) << PAGE_SHIFT | MMU_MACHPHYS_UPDATE,
        .val = virt_to_pfn(scratch),
    };
    return u;
}

/* ---- 1. every pointer argument against the bad-pointer table ------------------------- */

static void test_bad_pointer_table(void)
{
    static const unsigned int xv_out[] = {
        XENVER_extraversion, XENVER_compile_info, XENVER_capabilities, XENVER_changeset,
        XENVER_platform_parameters, XENVER_get_features, XENVER_guest_handle,
        XENVER_commandline,
    };
    static struct mmu_update req;
    static struct mmuext_op ext = { .cmd = MMUEXT_TLB_FLUSH_LOCAL };
    static struct xen_memory_map mm;
    static unsigned int done;
    char what[96];
    unsigned int i, j;

    req = harmless_mmu_req();
    for (i = 0; i < ARRAY_SIZE(bad_ptrs); i++) {
        unsigned long p = bad_ptrs[i].va;
        const char *n = bad_ptrs[i].name;

#define CHECK(call, want) do {                                                      \
            snprintf(what, sizeof(what), "%s, %s", #call, n);                       \
            expect_rc(what, (call), (want));                                        \
        } while (0)
#define CHECK2(call, want, alt) do {                                                \
            snprintf(what, sizeof(what), "%s, %s", #call, n);                       \
            expect_rc2(what, (call), (want), (alt));                                \
        } while (0)

        if (p)      /* a NULL trap table is legal: it clears the table */
            CHECK(HYPERVISOR_set_trap_table(p), -XEN_EFAULT);
        CHECK(HYPERVISOR_mmu_update(p, 1, 0, DOMID_SELF), -XEN_EFAULT);
        CHECK(HYPERVISOR_mmu_update(p, 3, (unsigned long)&done, DOMID_SELF), -XEN_EFAULT);
        if (p)      /* a NULL pdone means "not wanted" */
            CHECK2(HYPERVISOR_mmu_update((unsigned long)&req, 1, p, DOMID_SELF),
                   -XEN_EFAULT, 0);
        CHECK(HYPERVISOR_set_gdt(p, 16), -XEN_EFAULT);
        CHECK(HYPERVISOR_memory_op(XENMEM_current_reservation, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_memory_op(XENMEM_maximum_reservation, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_memory_op(XENMEM_memory_map, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_memory_op(XENMEM_machphys_mapping, p), -XEN_EFAULT);
        /* memory_map: the struct is fine, the buffer it names is not. */
        mm.nr_entries = 4;
        set_xen_guest_handle(mm.buffer, (void *)p);
        CHECK2(HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&mm), -XEN_EFAULT,
               -XEN_ENOSYS);   /* Xen 4.17 has no memory_map for this (dom0) guest */
        CHECK(HYPERVISOR_multicall(p, 1), -XEN_EFAULT);
        for (j = 0; j < ARRAY_SIZE(xv_out); j++) {
            snprintf(what, sizeof(what), "xen_version(%u), %s", xv_out[j], n);
            expect_rc(what, HYPERVISOR_xen_version(xv_out[j], p), -XEN_EFAULT);
        }
        CHECK(HYPERVISOR_console_io(CONSOLEIO_write, 8, p), -XEN_EFAULT);
        /* Nothing to read on the serial line: Xen and Parapet may return 0 untouched. */
        CHECK2(HYPERVISOR_console_io(CONSOLEIO_read, 8, p), -XEN_EFAULT, 0);
        CHECK(HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_mmuext_op(p, 1, 0, DOMID_SELF), -XEN_EFAULT);
        if (p)
            CHECK2(HYPERVISOR_mmuext_op((unsigned long)&ext, 1, p, DOMID_SELF),
                   -XEN_EFAULT, 0);
        CHECK(HYPERVISOR_sched_op(SCHEDOP_shutdown, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_callback_op(CALLBACKOP_register, p), -XEN_EFAULT);
        CHECK(HYPERVISOR_callback_op(CALLBACKOP_unregister, p), -XEN_EFAULT);
#undef CHECK
#undef CHECK2
    }
}

/* ---- 2. a registered runstate area in the hole is refused or never written ----------- */

static void test_runstate_area(void)
{
    static const unsigned long bad[] = { HOLE_HV_IMAGE, HOLE_M2P, NONCANON_LOW,
                                         HOLE_LAST };
    struct vcpu_register_runstate_memory_area area;
    struct vcpu_runstate_info ri;
    unsigned int i;
    long rc;

    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        area.addr.v = (struct vcpu_runstate_info *)bad[i];
        rc = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
                                (unsigned long)&area);
        /* Parapet refuses at registration (-EINVAL); Xen 4.17 answers -EFAULT (its
         * guest_handle_okay); a hypervisor may also store it and let later copies
         * fail. Either way it must then survive updating it. */
        if (rc != -XEN_EINVAL && rc != -XEN_EFAULT && rc != 0)
            test_failure("register_runstate_memory_area(%lx) returned %ld", bad[i], rc);
        HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)&ri);
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
    }
    area.addr.v = NULL;
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&area);
    if (rc)
        test_error("unregistering the runstate area failed: %ld", rc);
}

/* ---- 3. read-only outputs: -EFAULT and not one byte written -------------------------- */

/* xen_version outputs into [dst, dst+32) must fail and leave it as it was. */
static void check_ro_output(const char *name, void *dst)
{
    static const unsigned int xv_out[] = {
        XENVER_extraversion, XENVER_compile_info, XENVER_capabilities, XENVER_changeset,
        XENVER_platform_parameters, XENVER_guest_handle, XENVER_commandline,
    };
    static uint8_t before[PAGE_SIZE];
    unsigned long page = (unsigned long)dst & PAGE_MASK;
    struct vcpu_runstate_info *ri = dst;
    unsigned int j;
    long rc;

    memcpy(before, (void *)page, PAGE_SIZE);
    for (j = 0; j < ARRAY_SIZE(xv_out); j++) {
        rc = HYPERVISOR_xen_version(xv_out[j], (unsigned long)dst);
        if (rc != -XEN_EFAULT)
            test_failure("xen_version(%u) into %s returned %ld, expected -EFAULT",
                         xv_out[j], name, rc);
    }
    rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)ri);
    if (rc != -XEN_EFAULT)
        test_failure("get_runstate_info into %s returned %ld, expected -EFAULT", name, rc);
    rc = HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)dst);
    if (rc != -XEN_EFAULT)
        test_failure("machphys_mapping into %s returned %ld, expected -EFAULT", name, rc);
    if (memcmp(before, (void *)page, PAGE_SIZE))
        test_failure("%s changed although every write to it was refused", name);
}

static void test_ro_outputs(void)
{
    uint64_t *l4 = (uint64_t *)start_info->pt_base;
    static struct multicall_entry *mc;
    long rc;

    memset(ro_page, 0x5a, sizeof(ro_page));
    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_A);
    if (rc) {
        test_error("remap read-only failed: %ld", rc);
        return;
    }
    check_ro_output("a read-only page", ro_page + 64);

    /* Our own L4, slot 300 (empty): a write there would forge a page-table entry. */
    if (l4[300])
        test_error("L4 slot 300 is in use: pick another");
    else
        check_ro_output("our L4 page table (typed, mapped read-only)", &l4[300]);

    /* A multicall list in a RO page: the entry runs, its result cannot be stored. */
    mc = (struct multicall_entry *)ro_page;
    rc = HYPERVISOR_multicall((unsigned long)mc, 1);
    /* The RO page holds op 0x5a5a... (unknown): -ENOSYS as result, store refused. */
    if (rc != -XEN_EFAULT)
        test_failure("multicall with its list in a read-only page returned %ld", rc);

    /* The RO M2P: a write through a hole pointer must change nothing we can read. */
    if (have_m2p) {
        static uint8_t m2p_before[64];

        memcpy(m2p_before, (void *)HOLE_M2P, sizeof(m2p_before));
        HYPERVISOR_xen_version(XENVER_compile_info, HOLE_M2P);
        HYPERVISOR_xen_version(XENVER_extraversion, HOLE_M2P);
        HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, HOLE_M2P);
        if (memcmp(m2p_before, (void *)HOLE_M2P, sizeof(m2p_before)))
            test_failure("the M2P changed after writes aimed at 0xFFFF800000000000");
    }

    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_RW | PTE_A | PTE_D);
    if (rc)
        test_error("remap read-write failed: %ld", rc);
}

/* ---- 4. arrays whose element k is bad ------------------------------------------------ */

/* The last n bytes before an unmapped page. */
static void *before_unmapped(size_t n)
{
    return &edge[0][PAGE_SIZE - n];
}

static void test_crossing_unmapped(void)
{
    struct mmu_update *u = before_unmapped(sizeof(*u));
    struct mmuext_op *x = before_unmapped(sizeof(*x));
    struct multicall_entry *m = before_unmapped(sizeof(*m));
    struct trap_info *t = before_unmapped(sizeof(*t));
    unsigned long *frames = before_unmapped(8);
    unsigned int done = 0xdead;
    long rc;

    *u = harmless_mmu_req();
    rc = HYPERVISOR_mmu_update((unsigned long)u, 2, (unsigned long)&done, DOMID_SELF);
    expect_rc("mmu_update, element 1 in an unmapped page", rc, -XEN_EFAULT);
    if (done != 1)
        test_failure("mmu_update, element 1 unmapped: done = %u, expected 1", done);

    memset(x, 0, sizeof(*x));
    x->cmd = MMUEXT_TLB_FLUSH_LOCAL;
    done = 0xdead;
    rc = HYPERVISOR_mmuext_op((unsigned long)x, 2, (unsigned long)&done, DOMID_SELF);
    expect_rc("mmuext_op, element 1 in an unmapped page", rc, -XEN_EFAULT);
    if (done != 1)
        test_failure("mmuext_op, element 1 unmapped: done = %u, expected 1", done);

    memset(m, 0, sizeof(*m));
    m->op = __HYPERVISOR_xen_version;
    m->args[0] = XENVER_version;
    m->result = 0xdead;
    rc = HYPERVISOR_multicall((unsigned long)m, 2);
    expect_rc("multicall, entry 1 in an unmapped page", rc, -XEN_EFAULT);
    if (m->result != ((4UL << 16) | 17) && m->result != 0xdead)
        test_failure("multicall entry 0 result %lx", (unsigned long)m->result);

    memset(t, 0, sizeof(*t));
    t->vector = 0x2f;                 /* unused by the framework */
    t->cs = FLAT_KERNEL_CS;
    t->address = vector_stub_address(0x2f);
    expect_rc("set_trap_table, entry 1 in an unmapped page",
              HYPERVISOR_set_trap_table((unsigned long)t), -XEN_EFAULT);

    frames[0] = virt_to_mfn(scratch);
    expect_rc("set_gdt, frame 1 of its list in an unmapped page",
              HYPERVISOR_set_gdt((unsigned long)frames, 1024), -XEN_EFAULT);

    memcpy(before_unmapped(8), "crossing", 8);
    expect_rc("console_io write across into an unmapped page",
              HYPERVISOR_console_io(CONSOLEIO_write, 16, (unsigned long)before_unmapped(8)),
              -XEN_EFAULT);
    expect_rc("xen_version(extraversion) across into an unmapped page",
              HYPERVISOR_xen_version(XENVER_extraversion,
                                     (unsigned long)before_unmapped(8)),
              -XEN_EFAULT);
    expect_rc("xen_version(get_features) across into an unmapped page",
              HYPERVISOR_xen_version(XENVER_get_features,
                                     (unsigned long)before_unmapped(4)),
              -XEN_EFAULT);
    expect_rc("sched_op(shutdown) with its argument across into an unmapped page",
              HYPERVISOR_sched_op(SCHEDOP_shutdown, (unsigned long)before_unmapped(2)),
              -XEN_EFAULT);
}

/* An output that starts in a RW page and runs into a RO one. */
static void test_crossing_readonly(void)
{
    uint8_t *p = &rw_ro[0][PAGE_SIZE - 8];
    long rc;

    memset(rw_ro[1], 0x77, PAGE_SIZE);
    rc = remap_page(rw_ro[1], virt_to_mfn(rw_ro[1]), PTE_P | PTE_A);
    if (rc) {
        test_error("remap read-only failed: %ld", rc);
        return;
    }
    expect_rc("xen_version(compile_info) from a RW page into a RO page",
              HYPERVISOR_xen_version(XENVER_compile_info, (unsigned long)p), -XEN_EFAULT);
    expect_rc("get_runstate_info from a RW page into a RO page",
              HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)p),
              -XEN_EFAULT);
    for (unsigned int i = 0; i < PAGE_SIZE; i++) {
        if (rw_ro[1][i] != 0x77) {
            test_failure("the read-only page was written at offset %u", i);
            break;
        }
    }
    remap_page(rw_ro[1], virt_to_mfn(rw_ro[1]), PTE_P | PTE_RW | PTE_A | PTE_D);
}

/* Arrays whose first element is in the last lower-half page: element 1 is at
 * 0x0000800000000000, the first non-canonical address. */
static void test_crossing_noncanonical(void)
{
    unsigned long end = LOW_TOP_VA + PAGE_SIZE;
    struct mmu_update *u = (void *)(end - sizeof(*u));
    struct multicall_entry *m = (void *)(end - sizeof(*m));
    unsigned int done = 0xdead;
    long rc;

    if (!low_top.mapped)
        return;
    *u = harmless_mmu_req();
    rc = HYPERVISOR_mmu_update((unsigned long)u, 2, (unsigned long)&done, DOMID_SELF);
    expect_rc("mmu_update, element 1 non-canonical", rc, -XEN_EFAULT);
    if (done != 1)
        test_failure("mmu_update, element 1 non-canonical: done = %u, expected 1", done);

    memset(m, 0, sizeof(*m));
    m->op = __HYPERVISOR_xen_version;
    rc = HYPERVISOR_multicall((unsigned long)m, 3);
    expect_rc("multicall, entry 1 non-canonical", rc, -XEN_EFAULT);

    memcpy((void *)(end - 16), "noncanonnoncanon", 16);
    expect_rc("console_io write across the end of the lower half",
              HYPERVISOR_console_io(CONSOLEIO_write, 16, end - 8), -XEN_EFAULT);
    /* 64 KiB from 16 bytes before the end: at most those 16 bytes may be printed. */
    expect_rc("console_io write of 64 KiB running off the lower half",
              HYPERVISOR_console_io(CONSOLEIO_write, 65536, end - 16), -XEN_EFAULT);
    expect_rc("xen_version(capabilities) across the end of the lower half",
              HYPERVISOR_xen_version(XENVER_capabilities, end - 16), -XEN_EFAULT);
}

/*
 * Arrays and buffers that wrap around 2^64 to VA 0, where the test put a valid element.
 * Every byte touched is guest memory (the top page and VA 0), so two answers keep the
 * invariant: refuse the wrap (-EFAULT, Parapet's guest_range_ok for one copy) or treat
 * each element on its own address (Xen 4.17, checked under QEMU: it processes the
 * element at VA 0). Any other answer, a partial refusal that still wrote VA 0, or a
 * host fault fails the test. Which answer was seen is printed.
 */
static void wrap_outcome(const char *what, long rc, bool processed_wrapped, long ok_rc)
{
    if (rc == -XEN_EFAULT && !processed_wrapped)
        printk("  %s: refused (-EFAULT)\n", what);
    else if (rc == ok_rc && processed_wrapped)
        printk("  %s: element at VA 0 processed, as Xen does\n", what);
    else
        test_failure("%s: returned %ld, %s the wrapped element", what, rc,
                     processed_wrapped ? "after processing" : "without processing");
}

static void test_wraparound(void)
{
    unsigned long end = TOP_VA + PAGE_SIZE;   /* 0 */
    struct mmu_update *u = (void *)(end - sizeof(*u));
    struct multicall_entry *m = (void *)(end - sizeof(*m));
    struct multicall_entry *m0 = (void *)zero_data;
    struct mmuext_op *x = (void *)(end - sizeof(*x));
    unsigned int done = 0xdead;
    bool wrote;
    long rc;

    if (!top.mapped || !map_va0(true))
        return;

    /* VA 0 holds a valid element of each kind. */
    memset(zero_data, 0, PAGE_SIZE);
    *(struct mmu_update *)zero_data = harmless_mmu_req();
    *u = harmless_mmu_req();
    rc = HYPERVISOR_mmu_update((unsigned long)u, 2, (unsigned long)&done, DOMID_SELF);
    if (done != 1 && done != 2)
        test_failure("mmu_update wrapping: done = %u", done);
    wrap_outcome("mmu_update, element 1 wraps around to VA 0", rc, done == 2, 0);

    memset(zero_data, 0, PAGE_SIZE);
    ((struct mmuext_op *)zero_data)->cmd = MMUEXT_TLB_FLUSH_LOCAL;
    memset(x, 0, sizeof(*x));
    x->cmd = MMUEXT_TLB_FLUSH_LOCAL;
    done = 0xdead;
    rc = HYPERVISOR_mmuext_op((unsigned long)x, 2, (unsigned long)&done, DOMID_SELF);
    if (done != 1 && done != 2)
        test_failure("mmuext_op wrapping: done = %u", done);
    wrap_outcome("mmuext_op, element 1 wraps around to VA 0", rc, done == 2, 0);

    memset(zero_data, 0, PAGE_SIZE);
    m0->op = __HYPERVISOR_xen_version;
    m0->args[0] = XENVER_version;
    m0->result = 0x5e5e5e5e;
    memset(m, 0, sizeof(*m));
    m->op = __HYPERVISOR_xen_version;
    m->args[0] = XENVER_version;
    rc = HYPERVISOR_multicall((unsigned long)m, 2);
    if (m0->result != 0x5e5e5e5e && m0->result != (unsigned long)m->result)
        test_failure("multicall wrapping: entry at VA 0 has result %lx",
                     (unsigned long)m0->result);
    wrap_outcome("multicall, entry 1 wraps around to VA 0", rc,
                 m0->result != 0x5e5e5e5e, 0);

    /* One copy that wraps: 8 bytes at the top, 8 at VA 0. */
    memcpy(zero_data, "WRAPPED\n", 8);
    memcpy((void *)(end - 8), "wrapping", 8);
    rc = HYPERVISOR_console_io(CONSOLEIO_write, 16, end - 8);
    wrap_outcome("console_io write wrapping around 2^64", rc, rc == 0, 0);

    memset(zero_data, 0xee, 64);
    rc = HYPERVISOR_xen_version(XENVER_compile_info, end - 16);
    wrote = zero_data[0] != 0xee;
    wrap_outcome("xen_version(compile_info) output wrapping around 2^64", rc, wrote, 0);

    memset(zero_data, 0xee, 64);
    rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, end - 8);
    wrote = zero_data[0] != 0xee;
    wrap_outcome("vcpu_op(get_runstate_info) output wrapping around 2^64", rc, wrote, 0);

    /* get_features: submap_idx (index 0) in the top page, submap at VA 0. */
    memset(zero_data, 0xee, 64);
    *(uint32_t *)(end - 4) = 0;
    rc = HYPERVISOR_xen_version(XENVER_get_features, end - 4);
    wrote = zero_data[0] != 0xee;
    wrap_outcome("xen_version(get_features) wrapping around 2^64", rc, wrote, 0);
    map_va0(false);
}

/* Counts so large that base + i * size overflows: refused, stopped at a fault, or (Xen,
 * whose counts are 32-bit) truncated to 0 requests. Never a walk off the guest range. */
static void test_huge_counts(void)
{
    unsigned int done = 0xdead;
    long rc;

    rc = HYPERVISOR_mmu_update((unsigned long)scratch, 1UL << 60, (unsigned long)&done,
                               DOMID_SELF);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT && rc != 0)
        test_failure("mmu_update with count 2^60 returned %ld", rc);
    rc = HYPERVISOR_mmuext_op((unsigned long)scratch, ~0UL, (unsigned long)&done,
                              DOMID_SELF);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT)
        test_failure("mmuext_op with count ~0 returned %ld", rc);
    rc = HYPERVISOR_multicall((unsigned long)scratch, 1UL << 58);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT && rc != 0)
        test_failure("multicall with nr 2^58 returned %ld", rc);
    rc = HYPERVISOR_console_io(CONSOLEIO_write, 1UL << 40, (unsigned long)scratch);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT && rc != 0)
        test_failure("console_io write of 2^40 bytes returned %ld", rc);
    rc = HYPERVISOR_set_gdt((unsigned long)scratch, ~0UL);
    if (rc != -XEN_EINVAL && rc != -XEN_EFAULT)
        test_failure("set_gdt with ~0 entries returned %ld", rc);
}

static const struct subtest cases[] = {
    { "every pointer argument against the bad-pointer table", test_bad_pointer_table },
    { "runstate areas in the hole or non-canonical", test_runstate_area },
    { "read-only outputs (own page, own L4, M2P) stay untouched", test_ro_outputs },
    { "arrays whose element 1 is in an unmapped page", test_crossing_unmapped },
    { "outputs running from a RW page into a RO page", test_crossing_readonly },
    { "arrays whose element 1 is non-canonical", test_crossing_noncanonical },
    { "arrays and buffers that wrap around 2^64", test_wraparound },
    { "counts that overflow base + i * size", test_huge_counts },
};

void test_main(void)
{
    long rc;

    /* The pages the test needs, set up once. */
    rc = HYPERVISOR_update_va_mapping((unsigned long)edge[1], 0, UVMF_INVLPG);
    if (rc) {
        test_error("cannot unmap the second edge page: %ld", rc);
        return;
    }
    map_far_page(&low_top, low_top_data);
    map_far_page(&top, top_data);
    have_m2p = probe_read((void *)HOLE_M2P) == EXINFO_NONE;
    printk("  mapped: %lx %s, %lx %s; the M2P is %sreadable\n", LOW_TOP_VA,
           low_top.mapped ? "yes" : "no", TOP_VA, top.mapped ? "yes" : "no",
           have_m2p ? "" : "not ");

    RUN_SUBTESTS(cases);

    /* Put the framework's trap table back (set_trap_table may have merged entries). */
    install_default_traps();
    unmap_far_page(&low_top);
    unmap_far_page(&top);
    remap_page(edge[1], virt_to_mfn(edge[1]), PTE_P | PTE_RW | PTE_A | PTE_D);
    test_success();
}
