/*
 * xsa-a10-residue: security invariant A10 (XSA-122, 100, 165, 62, 220, 67). Nothing of
 * the hypervisor or of an earlier domain is readable: pages are scrubbed before a domain
 * gets them, FPU/SSE state starts initialised, and output structures are filled
 * completely (no stack or heap bytes in padding or after a string's NUL).
 *
 * Checks:
 *  - FPU/SSE state at the very start of test_main (stored before anything can use it):
 *    FXSAVE shows FCW 0x37f, FSW 0, all x87 tags empty, FOP/FIP/FDP 0, MXCSR 0x1f80, and
 *    all-zero ST0-ST7 and XMM0-XMM15 registers (FNINIT alone leaves the ST registers'
 *    old bytes in place); FNSTSW/FNSTENV agree (tag word 0xffff); MOVDQU of XMM0-15 reads
 *    zero;
 *  - memory: every page of ours that no part of the boot layout uses is all zero: the
 *    spare pages from the boot stack up to v_end, the pages below the kernel (pfn 0 is
 *    mapped at a scratch VA) and every page from v_end to nr_pages (each mapped in turn
 *    at a scratch VA); also the tail of start_info after the structure and after the
 *    command line's NUL, the tail of shared_info after the structure, and the vcpu_info
 *    slots of vCPUs that do not exist (apart from their upcall mask);
 *  - outputs, into buffers filled with 0xAA first: xen_version strings (extraversion,
 *    capabilities, changeset, commandline, compile_info) are NUL-terminated and zero
 *    after the NUL up to their fixed size; XENVER_guest_handle, platform_parameters and
 *    get_features write their whole structure; VCPUOP_get_runstate_info and a registered
 *    runstate area have zero padding after 'state'; XENMEM_machphys_mapping and the
 *    XENMEM_memory_map entries are fully written.
 * Residue from an earlier domain: before it ends the test dirties what the next domain
 * would see if the hypervisor did not clean up (all spare pages filled with 0xA5, x87
 * stack full, XMM registers and MXCSR/FCW changed). test.conf runs this test a second
 * time as the AFTER guest (instead of hello; it equally shows the host survived), and
 * that second domain finds nothing of the first.
 * How: FXSAVE/FNSTENV/MOVDQU by inline assembly; memory read directly or through a
 * scratch L1 hung off the boot L2.
 * On Xen's dom0 (the reference run) memory residue is only a warning: dom0 is trusted
 * and built from boot memory Xen does not scrub for it.
 * Cannot detect: residue in state this CPU model does not have (AVX/XSAVE components:
 * qemu64 has none), in registers the guest cannot read (e.g. hypervisor MSRs), or in
 * frames the guest is never given; bytes after a string's NUL that happen to be 0.
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "xsa-a10-residue: fresh pages, FPU state and outputs are clean";

#define SCRATCH_VA      0x20000000UL

extern char _start[];           /* head.S: the first byte of the image */

static uint8_t fxs[512] __aligned(16);
static uint8_t fenv[28];
static uint16_t fsw_start;
static uint32_t mxcsr_start;
static uint8_t xmm_start[16][16];
static exinfo_t capture_fault;

enum { PG_SCRATCH, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok;
static unsigned long spare_start, spare_end;

/* ---- FPU ------------------------------------------------------------------------------ */

/* Run from the first line of test_main: store the state before anything touches it. */
static inline __attribute__((always_inline)) void capture_fpu(void)
{
    probe_reset();
    __asm__ volatile("1: fxsave %0\n2:\n\t" EXTABLE_ENTRY("1b", "2b") : "=m"(fxs));
    capture_fault = probe_last.info;
    __asm__ volatile("fnstsw %0" : "=m"(fsw_start));
    __asm__ volatile("fnstenv %0\n\tfldcw %0" : "=m"(fenv));   /* fnstenv masks; restore */
    __asm__ volatile("stmxcsr %0" : "=m"(mxcsr_start));
    __asm__ volatile("movdqu %%xmm0, 0x00(%0)\n\tmovdqu %%xmm1, 0x10(%0)\n\t"
                     "movdqu %%xmm2, 0x20(%0)\n\tmovdqu %%xmm3, 0x30(%0)\n\t"
                     "movdqu %%xmm4, 0x40(%0)\n\tmovdqu %%xmm5, 0x50(%0)\n\t"
                     "movdqu %%xmm6, 0x60(%0)\n\tmovdqu %%xmm7, 0x70(%0)\n\t"
                     "movdqu %%xmm8, 0x80(%0)\n\tmovdqu %%xmm9, 0x90(%0)\n\t"
                     "movdqu %%xmm10, 0xa0(%0)\n\tmovdqu %%xmm11, 0xb0(%0)\n\t"
                     "movdqu %%xmm12, 0xc0(%0)\n\tmovdqu %%xmm13, 0xd0(%0)\n\t"
                     "movdqu %%xmm14, 0xe0(%0)\n\tmovdqu %%xmm15, 0xf0(%0)"
                     : : "r"(xmm_start) : "memory");
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t get32(const uint8_t *p) { return get16(p) | (uint32_t)get16(p + 2) << 16; }

static bool zero_bytes(const uint8_t *p, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

static void test_fpu(void)
{
    unsigned int i;

    if (capture_fault) {
        test_failure("FXSAVE at the start of test_main faulted (%lx): no FPU/SSE for guests",
                     (unsigned long)capture_fault);
        return;
    }
    /* FXSAVE layout: FCW 0, FSW 2, abridged FTW 4, FOP 6, FIP 8, FDP 16, MXCSR 24,
     * ST0-7 at 32 (16 bytes each, 10 used), XMM0-15 at 160. */
    if (get16(fxs + 0) != 0x37f)
        test_failure("FCW is %x at start, expected 0x37f", get16(fxs + 0));
    if (get16(fxs + 2) != 0)
        test_failure("FSW is %x at start, expected 0", get16(fxs + 2));
    if (fxs[4] != 0)
        test_failure("abridged FTW is %x at start: x87 registers in use", fxs[4]);
    if (get16(fxs + 6) || !zero_bytes(fxs + 8, 8) || !zero_bytes(fxs + 16, 8))
        test_failure("FOP/FIP/FDP are not 0 at start: the last x87 instruction of someone");
    if (get32(fxs + 24) != 0x1f80)
        test_failure("MXCSR is %x at start, expected 0x1f80", get32(fxs + 24));
    for (i = 0; i < 8; i++)
        if (!zero_bytes(fxs + 32 + 16 * i, 10))
            test_failure("x87 register %u holds %02x%02x%02x%02x... at start: residue (tags "
                         "empty but the data registers were never cleared)", i,
                         fxs[32 + 16 * i + 9], fxs[32 + 16 * i + 8], fxs[32 + 16 * i + 7],
                         fxs[32 + 16 * i + 6]);
    for (i = 0; i < 16; i++) {
        if (!zero_bytes(fxs + 160 + 16 * i, 16))
            test_failure("XMM%u in FXSAVE is not zero at start", i);
        if (!zero_bytes(xmm_start[i], 16))
            test_failure("XMM%u read by MOVDQU is not zero at start", i);
    }
    if (fsw_start != 0)
        test_failure("FNSTSW gave %x at start, expected 0", fsw_start);
    if (get16(fenv + 8) != 0xffff)
        test_failure("FNSTENV tag word is %x at start, expected 0xffff (all empty)",
                     get16(fenv + 8));
    if (mxcsr_start != 0x1f80)
        test_failure("STMXCSR gave %x at start, expected 0x1f80", mxcsr_start);
}

/* ---- memory ---------------------------------------------------------------------------- */

/* First non-zero byte offset in a page, or -1. */
static long first_nonzero(const void *page)
{
    const volatile uint64_t *q = page;
    unsigned int i;

    for (i = 0; i < 512; i++)
        if (q[i]) {
            const uint8_t *b = (const uint8_t *)&q[i];
            unsigned int j;

            for (j = 0; j < 8 && !b[j]; j++)
                ;
            return i * 8 + j;
        }
    return -1;
}

static void setup(void)
{
    unsigned long va;

    scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    /* The spare pages: from the boot stack page (after the page tables) to the first
     * unmapped VA of the boot region. */
    spare_start = start_info->pt_base + start_info->nr_pt_frames * PAGE_SIZE;
    for (va = spare_start; va < spare_start + (64UL << 20); va += PAGE_SIZE)
        if (probe_read((void *)va))
            break;
    spare_end = va;
    printk("  spare pages %lx-%lx (%lu), nr_pages %lu\n", spare_start, spare_end,
           (spare_end - spare_start) >> PAGE_SHIFT, start_info->nr_pages);
}

static unsigned int dirty_pages;

/*
 * Memory residue is a failure for an ordinary domain. Xen's dom0 (the reference run) is
 * trusted and built from boot memory that Xen does not scrub for it, so there it is
 * only reported.
 */
#define residue(...) (is_privileged() ? test_warning(__VA_ARGS__) : test_failure(__VA_ARGS__))

static void report_dirty(const char *where, unsigned long pfn, long off, const uint8_t *p)
{
    if (dirty_pages++ < 8)
        residue("%s: pfn %lx is not zero (offset %lx holds %02x)", where, pfn, off, p[off]);
}

static void test_spare_pages(void)
{
    unsigned long va;

    for (va = spare_start; va < spare_end; va += PAGE_SIZE) {
        long off = first_nonzero((void *)va);

        if (off >= 0)
            report_dirty("spare page of the boot region", va >> PAGE_SHIFT, off,
                         (const uint8_t *)va);
    }
}

/* Map pfn at scratch slot 0 and return its VA, or NULL. */
static const uint8_t *map_pfn(unsigned long pfn, bool rw)
{
    void *va = scratch_va(&scr, 0);

    if (HYPERVISOR_update_va_mapping((unsigned long)va,
                                     pfn_to_mfn(pfn) << PAGE_SHIFT | (rw ? PT_RW : PT_RO),
                                     UVMF_INVLPG))
        return NULL;
    return va;
}

static void test_low_and_high_pages(void)
{
    unsigned long pfn, kernel_pfn = (unsigned long)_start >> PAGE_SHIFT;
    unsigned long first_high = spare_end >> PAGE_SHIFT, scanned = 0;

    if (!scratch_ok)
        return;
    for (pfn = 0; pfn < kernel_pfn; pfn++) {
        const uint8_t *p = pfn ? (const uint8_t *)(pfn << PAGE_SHIFT) : map_pfn(0, false);
        long off;

        if (!p) {
            test_error("cannot map pfn 0");
            continue;
        }
        off = first_nonzero(p);
        if (off >= 0)
            report_dirty("page below the kernel", pfn, off, p);
        scanned++;
    }
    for (pfn = first_high; pfn < start_info->nr_pages; pfn++) {
        const uint8_t *p = map_pfn(pfn, false);
        long off;

        if (!p) {
            test_error("cannot map pfn %lx", pfn);
            break;
        }
        off = first_nonzero(p);
        if (off >= 0)
            report_dirty("page above the boot region", pfn, off, p);
        scanned++;
    }
    HYPERVISOR_update_va_mapping((unsigned long)scratch_va(&scr, 0), 0, UVMF_INVLPG);
    printk("  %lu more pages scanned\n", scanned);
    if (dirty_pages > 8)
        residue("%u non-zero pages in all", dirty_pages);
}

static void test_start_info_shared_info(void)
{
    const uint8_t *si = (const uint8_t *)start_info, *sh = (const uint8_t *)shared_info;
    const char *cl = (const char *)start_info->cmd_line;
    size_t n = strnlen(cl, MAX_GUEST_CMDLINE);
    unsigned int v;

    if (!zero_bytes(si + sizeof(*start_info), PAGE_SIZE - sizeof(*start_info))) {
        size_t i = sizeof(*start_info);

        while (!si[i])
            i++;
        residue("start_info page is not zero after the structure (offset %lx holds %02x)",
                (unsigned long)i, si[i]);
    }
    if (n < MAX_GUEST_CMDLINE && !zero_bytes((const uint8_t *)cl + n, MAX_GUEST_CMDLINE - n))
        residue("start_info cmd_line is not zero after its NUL");
    if (!zero_bytes(sh + sizeof(*shared_info), PAGE_SIZE - sizeof(*shared_info)))
        residue("shared_info page is not zero after the structure");
    for (v = 1; v < XEN_LEGACY_MAX_VCPUS; v++) {
        struct vcpu_info vi = shared_info->vcpu_info[v];

        vi.evtchn_upcall_mask = 0;
        if (!zero_bytes((const uint8_t *)&vi, sizeof(vi))) {
            residue("vcpu_info[%u] of a vCPU that does not exist is not zero", v);
            break;
        }
    }
}

/* ---- outputs ----------------------------------------------------------------------------- */

static uint8_t buf[1024];

/* A NUL-terminated string in the first 'size' bytes at s, zero after its NUL. */
static void check_str_at(const char *what, long rc, const uint8_t *s, size_t size)
{
    size_t n = strnlen((const char *)s, size);

    if (rc < 0) {
        test_warning("%s: not available (%ld)", what, rc);
        return;
    }
    if (n == size)
        test_failure("%s: no NUL in its %lu bytes", what, (unsigned long)size);
    else if (!zero_bytes(s + n, size - n))
        test_failure("%s: bytes after the NUL (at %lu of %lu) are not zero: residue",
                     what, (unsigned long)n, (unsigned long)size);
}

static void check_string(const char *what, long rc, size_t size)
{
    check_str_at(what, rc, buf, size);
}

static long xv(unsigned int cmd)
{
    memset(buf, 0xaa, sizeof(buf));
    return HYPERVISOR_xen_version(cmd, (unsigned long)buf);
}

static void test_xen_version(void)
{
    struct xen_compile_info *ci = (struct xen_compile_info *)buf;
    long rc;

    check_string("XENVER_extraversion", xv(XENVER_extraversion), sizeof(xen_extraversion_t));
    check_string("XENVER_capabilities", xv(XENVER_capabilities),
                 sizeof(xen_capabilities_info_t));
    check_string("XENVER_changeset", xv(XENVER_changeset), sizeof(xen_changeset_info_t));
    rc = xv(XENVER_commandline);
    if (rc == 0 && on_xen_reference() == false && strnlen((char *)buf, 1024) &&
        strcmp((char *)buf, "<denied>"))
        test_warning("XENVER_commandline gives an unprivileged guest the hypervisor "
                     "command line (\"%.40s\"); Xen answers \"<denied>\"", (char *)buf);
    /* Xen's "<denied>" copies only strlen + 1 bytes: the rest of our buffer stays. */
    if (rc == 0 && strcmp((char *)buf, "<denied>"))
        check_string("XENVER_commandline", rc, sizeof(xen_commandline_t));
    rc = xv(XENVER_compile_info);
    if (rc == 0) {
        check_str_at("compile_info.compiler", 0, (uint8_t *)ci->compiler,
                     sizeof(ci->compiler));
        check_str_at("compile_info.compile_by", 0, (uint8_t *)ci->compile_by,
                     sizeof(ci->compile_by));
        check_str_at("compile_info.compile_domain", 0, (uint8_t *)ci->compile_domain,
                     sizeof(ci->compile_domain));
        check_str_at("compile_info.compile_date", 0, (uint8_t *)ci->compile_date,
                     sizeof(ci->compile_date));
    }
    if (xv(XENVER_guest_handle) == 0 && buf[sizeof(xen_domain_handle_t) - 1] == 0xaa &&
        buf[0] == 0xaa)
        test_failure("XENVER_guest_handle left its buffer unwritten");
    if (xv(XENVER_platform_parameters) == 0 &&
        ((struct xen_platform_parameters *)buf)->virt_start == 0xaaaaaaaaaaaaaaaaUL)
        test_failure("XENVER_platform_parameters left virt_start unwritten");
    memset(buf, 0xaa, sizeof(buf));
    ((struct xen_feature_info *)buf)->submap_idx = 0;
    if (HYPERVISOR_xen_version(XENVER_get_features, (unsigned long)buf) == 0 &&
        ((struct xen_feature_info *)buf)->submap == 0xaaaaaaaa)
        test_failure("XENVER_get_features left submap unwritten");
}

static void check_runstate(const char *what, const struct vcpu_runstate_info *r)
{
    const uint8_t *b = (const uint8_t *)r;

    if (r->state < RUNSTATE_running || r->state > RUNSTATE_offline)
        test_failure("%s: state %d", what, r->state);
    if (!zero_bytes(b + 4, 4))
        test_failure("%s: padding after state is %02x%02x%02x%02x, not zero: residue", what,
                     b[7], b[6], b[5], b[4]);
    if (r->time[RUNSTATE_running] == 0xaaaaaaaaaaaaaaaaUL ||
        r->state_entry_time == 0xaaaaaaaaaaaaaaaaUL)
        test_failure("%s: fields left unwritten", what);
}

static void test_vcpu_and_memory(void)
{
    static struct vcpu_runstate_info area __aligned(64);
    struct vcpu_register_runstate_memory_area reg;
    struct xen_machphys_mapping *mm = (struct xen_machphys_mapping *)buf;
    struct xen_memory_map map;
    long rc;

    memset(buf, 0xaa, sizeof(buf));
    rc = HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, (unsigned long)buf);
    if (check_rc("VCPUOP_get_runstate_info", rc, 0))
        check_runstate("VCPUOP_get_runstate_info", (struct vcpu_runstate_info *)buf);

    memset(&area, 0xaa, sizeof(area));
    reg.addr.v = &area;
    rc = HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&reg);
    if (check_rc("VCPUOP_register_runstate_memory_area", rc, 0)) {
        HYPERVISOR_sched_op(SCHEDOP_yield, 0);
        check_runstate("registered runstate area", &area);
        reg.addr.v = NULL;
        HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&reg);
    }

    memset(buf, 0xaa, sizeof(buf));
    if (check_rc("XENMEM_machphys_mapping",
                 HYPERVISOR_memory_op(XENMEM_machphys_mapping, (unsigned long)buf), 0) &&
        (mm->v_start == 0xaaaaaaaaaaaaaaaaUL || mm->v_end == 0xaaaaaaaaaaaaaaaaUL ||
         mm->max_mfn == 0xaaaaaaaaaaaaaaaaUL))
        test_failure("XENMEM_machphys_mapping left fields unwritten");

    memset(buf, 0xaa, sizeof(buf));
    map.nr_entries = 8;
    set_xen_guest_handle(map.buffer, buf);
    rc = HYPERVISOR_memory_op(XENMEM_memory_map, (unsigned long)&map);
    if (rc == -XEN_ENOSYS && on_xen_reference())
        return;                         /* Xen's dom0 has no pseudo-physical map */
    if (check_rc("XENMEM_memory_map", rc, 0)) {
        unsigned int i;

        for (i = 0; i < map.nr_entries && i < 8; i++) {
            const uint8_t *e = buf + 20 * i;    /* packed: addr, size, type */

            if (get32(e + 16) == 0xaaaaaaaa || get32(e + 16) == 0 || get32(e + 16) > 5)
                test_failure("XENMEM_memory_map entry %u has type %x", i, get32(e + 16));
        }
    }
}

/* ---- leave residue for the next domain ----------------------------------------------------- */

static void dirty_everything(void)
{
    static const uint8_t pattern[16] __aligned(16) = {
        0xa5, 0x5a, 0xc3, 0x3c, 0x96, 0x69, 0x0f, 0xf0,
        0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    };
    static const uint32_t mxcsr = 0x9f80;       /* FZ set */
    static const uint16_t fcw = 0x027f;         /* 53-bit precision */
    unsigned long va, pfn;

    for (va = spare_start; va < spare_end; va += PAGE_SIZE)
        memset((void *)va, 0xa5, PAGE_SIZE);
    if (scratch_ok)
        for (pfn = spare_end >> PAGE_SHIFT; pfn < start_info->nr_pages; pfn++) {
            uint8_t *p = (uint8_t *)map_pfn(pfn, true);

            if (p)
                memset(p, 0xa5, PAGE_SIZE);
        }
    __asm__ volatile("movdqa %0, %%xmm0\n\tmovdqa %0, %%xmm1\n\tmovdqa %0, %%xmm2\n\t"
                     "movdqa %0, %%xmm3\n\tmovdqa %0, %%xmm4\n\tmovdqa %0, %%xmm5\n\t"
                     "movdqa %0, %%xmm6\n\tmovdqa %0, %%xmm7\n\tmovdqa %0, %%xmm8\n\t"
                     "movdqa %0, %%xmm9\n\tmovdqa %0, %%xmm10\n\tmovdqa %0, %%xmm11\n\t"
                     "movdqa %0, %%xmm12\n\tmovdqa %0, %%xmm13\n\tmovdqa %0, %%xmm14\n\t"
                     "movdqa %0, %%xmm15" : : "m"(pattern));
    __asm__ volatile("fldpi; fld1; fldl2t; fldl2e; fldlg2; fldln2; fldpi; fld1\n\t"
                     "ldmxcsr %0\n\tfldcw %1" : : "m"(mxcsr), "m"(fcw));
    printk("  left 0xa5 in every spare page and values in x87/XMM/MXCSR/FCW\n");
}

static const struct subtest cases[] = {
    { "FPU/SSE state at the start", test_fpu },
    { "set up: find the spare pages", setup },
    { "spare pages of the boot region are zero", test_spare_pages },
    { "pages below the kernel and above the boot region are zero", test_low_and_high_pages },
    { "start_info and shared_info tails are zero", test_start_info_shared_info },
    { "xen_version outputs are zero-filled", test_xen_version },
    { "runstate and memory_op outputs are fully written", test_vcpu_and_memory },
};

void test_main(void)
{

    capture_fpu();
    RUN_SUBTESTS(cases);
    printk("Test: leave residue for the next domain\n");
    dirty_everything();
    test_success();
}
