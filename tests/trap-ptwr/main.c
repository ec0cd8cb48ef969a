/*
 * trap-ptwr: writable page tables for a PV guest (VMASST_TYPE_writable_pagetables,
 * xen/include/public/xen.h): with the assist enabled, a kernel-mode store into an L1
 * entry through its read-only mapping is performed by the hypervisor as one validated
 * update (hypervisor/mm/ptwr.c; Xen's arch/x86/pv/ro-page-fault.c).
 *
 * Checks, each on an entry of a scratch L1 and checked by reading the VA it maps after
 * a flush (MMUEXT_INVLPG_LOCAL):
 *  - mov r64 writes the entry (also %r9 into 0x10(%r12,%r13,8)); mov $imm32 writes the sign-extended immediate ($0 clears
 *    it: the VA then gives #PF); xchg writes the entry and returns the old one in the
 *    register; lock cmpxchg with RAX equal to the entry writes it and sets ZF, with RAX
 *    different writes nothing, clears ZF and loads RAX with the entry;
 *  - refused with the guest's #PF (P|W), the entry unchanged: a misaligned 8-byte store
 *    (across two entries), an entry mapping a frame we do not own (a hypervisor table
 *    from a hypervisor slot of our L4; mfn 0 too unless we are privileged), an entry
 *    mapping the L1 page itself writable, a good entry stored from user mode (#PF with
 *    U set: the emulation is for the guest kernel only);
 *  - a 4-byte store into the low half of an entry: merged into a full-entry update, as
 *    Xen 4.17 does (ptwr_emulated_update);
 *  - the read-modify-write forms Linux uses on PTEs: `andb $~RW` on the entry's low
 *    byte (fork's write-protect), `orq` of a bit, `btrq`/`btsq` with CF = the old bit;
 *  - after VMASST_CMD_disable the same store of a good entry is a plain #PF (on the
 *    reference only for a domU: Xen 4.17 emulates the hardware domain's write faults
 *    whatever the assist says, so as dom0 the store is expected to land).
 * How: vm_assist, a scratch L1 hung off the boot L2 (pv_mm.h), native stores in probes.
 * Runs on Parapet and on Xen 4.17 (the reference).
 * Cannot detect: stores into L2-L4 entries (Xen emulates L1 stores only); other
 * instruction forms the emulators may handle (add, or, bts ...: refused by Parapet).
 */
#include "../mm-common/pv_mm.h"

const char test_title[] = "trap-ptwr: VMASST_TYPE_writable_pagetables: stores into an L1 become validated updates";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define PF_PW       EXINFO(X86_PF, PFEC_P | PFEC_W)
#define ZF          0x40UL

enum { PG_SCRATCH, PG_A, PG_B, PG_C, NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool ready;

static uint64_t pte_a, pte_b, pte_c;

/* ---- helpers ------------------------------------------------------------------------- */

/* What the VA of scratch entry i reads after a flush: the marker of page A, B, C. */
static const char *mapped_page(unsigned int i, uint64_t *val)
{
    volatile uint64_t *va = scratch_va(&scr, i);
    exinfo_t e;

    invlpg((unsigned long)va);
    e = probe_read(va);
    if (e != EXINFO_NONE)
        return "nothing (#PF)";
    *val = *va;
    return *val == pages[PG_A][0] ? "A" : *val == pages[PG_B][0] ? "B" :
           *val == pages[PG_C][0] ? "C" : "?";
}

/*
 * Entry i must hold want and its VA show page `page` ("nothing (#PF)" for none). Only
 * frame, present and writable are compared: the hypervisor may add bits of its own to
 * a validated entry (a 64-bit PV kernel runs in ring 3, so U/S is set; Xen also marks
 * kernel pages in a software bit).
 */
#define ENTRY_BITS (PTE_ADDR | PTE_P | PTE_RW)
static void check_entry(const char *what, unsigned int i, uint64_t want, const char *page)
{
    uint64_t got = scr.l1[i], v = 0;
    const char *seen;

    if ((got & ENTRY_BITS) != (want & ENTRY_BITS))
        test_failure("%s: entry %u is %lx, expected %lx", what, i, got, want);
    seen = mapped_page(i, &v);
    if (strcmp(seen, page))
        test_failure("%s: the VA shows page %s, expected %s", what, seen, page);
}

static bool set_entry(unsigned int i, uint64_t pte)
{
    if (scratch_set(&scr, i, pte)) {
        test_error("mmu_update of scratch entry %u failed", i);
        return false;
    }
    return true;
}

static exinfo_t probe_xchg(volatile uint64_t *p, uint64_t *val)
{
    probe_reset();
    __asm__ volatile("1: xchg %0, (%1)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+r"(*val) : "r"(p) : "memory");
    return probe_last.info;
}

static exinfo_t probe_cmpxchg(volatile uint64_t *p, uint64_t *rax, uint64_t val,
                              unsigned long *flags)
{
    probe_reset();
    __asm__ volatile("1: lock cmpxchg %2, (%3)\n2:\n\t"
                     "pushf\n\tpop %1\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(*rax), "=r"(*flags) : "r"(val), "r"(p) : "memory", "cc");
    return probe_last.info;
}

static exinfo_t probe_mov_zero(volatile uint64_t *p)
{
    probe_reset();
    __asm__ volatile("1: movq $0, (%0)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(p) : "memory");
    return probe_last.info;
}

static exinfo_t probe_write32(volatile void *p, uint32_t v)
{
    probe_reset();
    __asm__ volatile("1: movl %1, (%0)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(p), "r"(v) : "memory");
    return probe_last.info;
}

/* ---- set-up -------------------------------------------------------------------------- */

static void setup(void)
{
    long rc = HYPERVISOR_vm_assist(VMASST_CMD_enable, VMASST_TYPE_writable_pagetables);

    if (rc) {
        test_failure("vm_assist(enable, writable_pagetables) returned %ld", rc);
        return;
    }
    if (!scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA))
        return;
    pages[PG_A][0] = 0xaaaa00000000000aUL;
    pages[PG_B][0] = 0xbbbb00000000000bUL;
    pages[PG_C][0] = 0xcccc00000000000cUL;
    pte_a = pte_of(pages[PG_A], PT_RO);
    pte_b = pte_of(pages[PG_B], PT_RO);
    pte_c = pte_of(pages[PG_C], PT_RO);
    ready = true;
}

/* ---- emulated forms ------------------------------------------------------------------ */

static void test_mov(void)
{
    if (!ready)
        return;
    if (expect_exinfo("mov r64 into entry 0", probe_write_val(&scr.l1[0], pte_a), EXINFO_NONE))
        check_entry("mov r64", 0, pte_a, "A");
    if (expect_exinfo("mov r64 over entry 0", probe_write_val(&scr.l1[0], pte_b), EXINFO_NONE))
        check_entry("mov r64 over a present entry", 0, pte_b, "B");
}

/* mov %r9, 0x10(%r12,%r13,8): REX.R, REX.B and REX.X, SIB and a displacement. */
static exinfo_t probe_mov_sib(volatile uint64_t *p, uint64_t v)
{
    register uint64_t r9 __asm__("r9") = v;
    register unsigned long r12 __asm__("r12") = (unsigned long)p - 0x10 - 3 * 8;
    register unsigned long r13 __asm__("r13") = 3;

    probe_reset();
    __asm__ volatile("1: mov %%r9, 0x10(%%r12,%%r13,8)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(r9), "r"(r12), "r"(r13) : "memory");
    return probe_last.info;
}

static void test_mov_sib(void)
{
    if (!ready || !set_entry(8, pte_a))
        return;
    if (expect_exinfo("mov %r9, 0x10(%r12,%r13,8) into entry 8",
                      probe_mov_sib(&scr.l1[8], pte_c), EXINFO_NONE))
        check_entry("mov with SIB, displacement and REX.RXB", 8, pte_c, "C");
}

static void test_mov_imm(void)
{
    if (!ready || !set_entry(1, pte_a))
        return;
    if (expect_exinfo("mov $0 into entry 1", probe_mov_zero(&scr.l1[1]), EXINFO_NONE))
        check_entry("mov $0", 1, 0, "nothing (#PF)");
}

static void test_xchg(void)
{
    uint64_t v = pte_b, old;

    if (!ready || !set_entry(2, pte_a))
        return;
    old = scr.l1[2];
    if (!expect_exinfo("xchg with entry 2", probe_xchg(&scr.l1[2], &v), EXINFO_NONE))
        return;
    if (v != old)
        test_failure("xchg returned %lx, expected the old entry %lx", v, old);
    check_entry("xchg", 2, pte_b, "B");
}

static void test_cmpxchg(void)
{
    uint64_t rax, now;
    unsigned long flags = 0;

    if (!ready || !set_entry(3, pte_a))
        return;
    rax = scr.l1[3];                        /* the entry as the hypervisor stored it */
    if (expect_exinfo("lock cmpxchg, RAX = the entry", probe_cmpxchg(&scr.l1[3], &rax, pte_c,
                                                                     &flags), EXINFO_NONE)) {
        if (!(flags & ZF))
            test_failure("a successful cmpxchg left ZF clear (rflags %lx)", flags);
        check_entry("lock cmpxchg (success)", 3, pte_c, "C");
    }
    now = scr.l1[3];
    rax = pte_a;                            /* stale: the entry is C now */
    if (expect_exinfo("lock cmpxchg, RAX != the entry", probe_cmpxchg(&scr.l1[3], &rax, pte_b,
                                                                      &flags), EXINFO_NONE)) {
        if (flags & ZF)
            test_failure("a failed cmpxchg set ZF (rflags %lx)", flags);
        if (rax != now)
            test_failure("a failed cmpxchg left RAX %lx, expected the entry %lx", rax, now);
        if (scr.l1[3] != now)
            test_failure("a failed cmpxchg changed the entry to %lx", scr.l1[3]);
        check_entry("lock cmpxchg (failure)", 3, pte_c, "C");
    }
}

/* ---- refused forms ------------------------------------------------------------------- */

/* A hypervisor-owned frame: the table behind a hypervisor slot of our L4. */
static unsigned long hypervisor_frame(void)
{
    const uint64_t *l4 = mfn_to_virt(cur_l4_mfn());
    unsigned long mfn, pfn;
    unsigned int i;

    for (i = L4_XEN_FIRST; i <= L4_XEN_LAST; i++) {
        if (!(l4[i] & PTE_P))
            continue;
        mfn = pte_mfn(l4[i]);
        pfn = M2P[mfn];
        if (pfn < start_info->nr_pages && pfn_to_mfn(pfn) == mfn)
            continue;                       /* ours: the linear map names our own L4 */
        return mfn;
    }
    return 0;
}

/* The store (already made: e) must have been the guest's #PF, entry i still `before`
 * as it was read just before the store. */
static void expect_refused(const char *what, unsigned int i, exinfo_t e, uint64_t before)
{
    if (!expect_exinfo(what, e, PF_PW))
        return;
    if (scr.l1[i] != before)
        test_failure("%s: the refused store changed the entry to %lx", what, scr.l1[i]);
}

/* User mode never gets the emulation: the store of a good entry is its #PF. */
static volatile uint64_t *user_target;
static uint64_t user_value;

static unsigned long u_store(void)
{
    return probe_write_val(user_target, user_value);
}

static void test_refused(void)
{
    unsigned long hv = hypervisor_frame();
    uint64_t e4, e5;
    char what[96];

    if (!ready || !set_entry(4, pte_a) || !set_entry(5, pte_b))
        return;
    e4 = scr.l1[4];
    e5 = scr.l1[5];
    expect_refused("misaligned 8-byte store (entry 4 + 4)", 4,
                   probe_write_val((volatile char *)&scr.l1[4] + 4, pte_c), e4);
    if (scr.l1[5] != e5)
        test_failure("the misaligned store changed entry 5 to %lx", scr.l1[5]);
    if (hv) {
        snprintf(what, sizeof(what), "an entry mapping hypervisor frame %lx", hv);
        expect_refused(what, 4, probe_write_val(&scr.l1[4], hv << PAGE_SHIFT | PT_RO), e4);
    } else {
        test_error("no hypervisor frame found in our L4's hypervisor slots");
    }
    if (!is_privileged())
        expect_refused("an entry mapping mfn 0", 4, probe_write_val(&scr.l1[4], PT_RO), e4);
    expect_refused("an entry mapping the L1 itself writable", 4,
                   probe_write_val(&scr.l1[4], pte_of(scr.l1, PT_RW)), e4);
    user_target = &scr.l1[4];
    user_value = pte_c;
    if (expect_exinfo("mov r64 from user mode", exec_user(u_store),
                      EXINFO(X86_PF, PFEC_P | PFEC_W | PFEC_U)) && scr.l1[4] != e4)
        test_failure("the user-mode store changed the entry to %lx", scr.l1[4]);
    check_entry("after the refused stores", 4, pte_a, "A");
}

static void test_partial(void)
{
    uint64_t before;
    uint32_t low;
    exinfo_t e;

    if (!ready || !set_entry(6, pte_a))
        return;
    before = scr.l1[6];
    low = (uint32_t)(before & ~PTE_A);      /* the low half with A clear */
    e = probe_write32(&scr.l1[6], low);
    /* An aligned sub-word store is merged into the entry (Xen's ptwr_emulated_update). */
    if (expect_exinfo("4-byte store", e, EXINFO_NONE)) {
        if ((uint32_t)scr.l1[6] != low)
            test_failure("4-byte store: entry 6 is %lx, expected low half %x", scr.l1[6], low);
        check_entry("4-byte store", 6, pte_a, "A");
    }
    (void)before;
}

/* One instruction in a probe: the read-modify-write forms, flags captured. */
#define RMW_PROBE(insn, p, operand, flags) ({                                                  probe_reset();                                                                         __asm__ volatile("1: " insn "\n2:\n\tpushf\n\tpop %0\n\t"                                         EXTABLE_ENTRY("1b", "2b")                                                              : "=r"(flags) : "r"(p), operand : "memory", "cc");                    probe_last.info; })

static void test_rmw(void)
{
    unsigned long flags;
    exinfo_t e;

    if (!ready || !set_entry(7, pte_of(pages[PG_A], PT_RW)))
        return;
    /* fork's write-protect: a byte-wide and of the entry's low byte. */
    e = RMW_PROBE("lock andb $0xfd, (%1)", &scr.l1[7], "i"(0), flags);
    if (expect_exinfo("andb $~RW", e, EXINFO_NONE))
        check_entry("andb $~RW", 7, pte_a, "A");
    /* or of the RW bit back in (register form, quadword). */
    e = RMW_PROBE("orq %2, (%1)", &scr.l1[7], "r"((uint64_t)PTE_RW), flags);
    if (expect_exinfo("orq RW", e, EXINFO_NONE))
        check_entry("orq RW", 7, pte_of(pages[PG_A], PT_RW), "A");
    /* btr of RW: CF = 1 (it was set), the entry read-only again. */
    e = RMW_PROBE("lock btrq $1, (%1)", &scr.l1[7], "i"(0), flags);
    if (expect_exinfo("btrq $1", e, EXINFO_NONE)) {
        if (!(flags & 1))
            test_failure("btrq $1: CF clear, the bit was set");
        check_entry("btrq $1", 7, pte_a, "A");
    }
    /* bts of RW: CF = 0 (it was clear). */
    e = RMW_PROBE("btsq $1, (%1)", &scr.l1[7], "i"(0), flags);
    if (expect_exinfo("btsq $1", e, EXINFO_NONE)) {
        if (flags & 1)
            test_failure("btsq $1: CF set, the bit was clear");
        check_entry("btsq $1", 7, pte_of(pages[PG_A], PT_RW), "A");
    }
    /* a bit the validation refuses: or-ing a reserved high bit keeps the #PF. */
    uint64_t before = scr.l1[7];
    e = RMW_PROBE("orq %2, (%1)", &scr.l1[7], "r"(1UL << 51), flags);
    expect_refused("orq of reserved bit 51", 7, e, before);
}

static void test_disabled(void)
{
    exinfo_t e;
    long rc;

    if (!ready)
        return;
    rc = HYPERVISOR_vm_assist(VMASST_CMD_disable, VMASST_TYPE_writable_pagetables);
    if (rc) {
        test_failure("vm_assist(disable, writable_pagetables) returned %ld", rc);
        return;
    }
    if (!set_entry(7, 0))
        return;
    e = probe_write_val(&scr.l1[7], pte_a);
    if (on_xen_reference() && (start_info->flags & SIF_INITDOMAIN)) {
        /*
         * Xen 4.17 sends every kernel-mode write fault of the hardware domain through
         * its read-only-page emulator (for read-only MMIO) whatever the assist says,
         * and that emulator updates an L1 entry as ptwr does: dom0, which the
         * reference boots us as, keeps writable page tables. A domU gets its #PF.
         */
        printk("  (reference, hardware domain: the store is emulated regardless)\n");
        if (expect_exinfo("mov r64 with the assist disabled (Xen dom0)", e, EXINFO_NONE))
            check_entry("with the assist disabled (Xen dom0)", 7, pte_a, "A");
        return;
    }
    expect_refused("mov r64 with the assist disabled", 7, e, 0);
    check_entry("with the assist disabled", 7, 0, "nothing (#PF)");
}

static const struct subtest cases[] = {
    { "mov r64", test_mov },
    { "mov r64 through SIB + displacement, r8-r15", test_mov_sib },
    { "mov $imm32 (sign-extended: 0 clears)", test_mov_imm },
    { "xchg returns the old entry", test_xchg },
    { "lock cmpxchg: success and failure", test_cmpxchg },
    { "refused: misaligned, foreign frame, writable page table", test_refused },
    { "a 4-byte store", test_partial },
    { "read-modify-write forms: andb, orq, btrq, btsq", test_rmw },
    { "the assist disabled: a plain #PF", test_disabled },
};

void test_main(void)
{
    setup();
    RUN_SUBTESTS(cases);
    if (ready)
        scratch_fini(&scr);
    test_success();
}
