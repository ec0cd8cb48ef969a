/*
 * trap-insns: every privileged instruction a trap guest's kernel (dom.trap) executes
 * natively is emulated on its virtual CPU, or refused with the #GP the CPU raised, as
 * docs/trap-and-emulate.md's table says (hypervisor/emul/trap.c, mm/ptwr.c).
 *
 * Checks, one subtest per instruction:
 *  - cli/sti set and clear the virtual IF (evtchn_upcall_mask = !IF); an event sent
 *    while IF is clear waits, and sti delivers it before the next instruction;
 *  - hlt with an event pending returns before a timer 200 ms ahead; with none it sleeps
 *    until a VIRQ_TIMER (set_timer_op 20 ms ahead) and returns after that deadline;
 *  - invlpg m: after an mmu_update of a PTE (no flush), invlpg makes the read see the
 *    new frame;
 *  - lgdt m: a read-only page with a data descriptor becomes the GDT (its selector loads
 *    into %fs; the TSS descriptor in it is made not-present); refused with #GP(0), the
 *    old GDT kept: a base that is not page-aligned, a page still mapped writable, a page
 *    holding an LDT descriptor; the operand RIP-relative, %fs- and %gs-relative (the
 *    active segment bases); a two-page GDT: a selector of the second page loads;
 *  - ltr: a 64-bit TSS descriptor names the TSS; a user-mode exception and syscall then
 *    arrive on its rsp0 stack, and on the kernel stack again once rsp0 is put back; a
 *    TSS descriptor across the two pages of a GDT works too; refused: a data
 *    descriptor, the null selector, an LDT (TI) selector, an index whose upper half
 *    lies beyond the GDT limit;
 *  - lldt: the null selector (register, RPL 3 and memory forms, and with a REX.R prefix,
 *    which the CPU ignores for this opcode); any other is #GP(0);
 *  - lidt m: the gates become the trap table: int3 reaches the stub its gate names,
 *    int $0x21 through a DPL-0 gate works from kernel mode and is #GP(0x10a) from user
 *    mode, an interrupt gate masks events and a trap gate does not; refused, the table
 *    kept: a call gate, a gate to a non-canonical address; install_default_traps()
 *    restores the framework's table;
 *  - clts: after fpu_taskswitch(1) an SSE instruction raises #NM; after fpu_taskswitch(1)
 *    and clts it does not, and mov from %cr0 shows TS clear;
 *  - rdmsr/wrmsr: LSTAR reads the registered syscall callback; LSTAR, CSTAR, STAR and
 *    SFMASK read back what was written; a non-canonical LSTAR and one in the hypervisor
 *    hole are #GP(0) and change nothing; a user-mode syscall enters at the new LSTAR;
 *  - sysretq from a syscall hook (RCX, R11, RSP, RAX set, kernel mode kept): back in user
 *    mode right after the syscall with RAX preserved (int $0x20 comes from CS RPL 3), the
 *    upcall mask = !R11.IF there; refused: a 32-bit sysret (no REX.W), a non-canonical
 *    RCX; from user mode with events unmasked (sysretq with R11.IF) a syscall enters
 *    with events masked exactly when SFMASK has IF, and an event upcall (VIRQ_TIMER)
 *    arrives on the TSS's rsp0 stack;
 *  - in/out on COM1: the line status (0x3fd) reads 0x60 with the rest of RAX kept; one
 *    line goes out byte by byte to 0x3f8; COM2 reads all-ones as for a PV guest;
 *  - user mode: each of these instructions is the guest kernel's #GP(0);
 *  - a mov into an L1 entry through its read-only mapping (no VMASST: a trap guest
 *    always has writable page tables) becomes a validated update; one making the L1
 *    frame writable is the guest's #PF.
 * How: the instructions run natively in probes (exinfo.h); user-mode cases through
 * exec_user; the framework's vector stubs serve as the targets of the IDT's gates.
 * On Xen 4.17 (the reference) the test is skipped: Xen has no trap mode.
 * Cannot detect: that the COM1 line reaches the serial port as "(d1) ..." (look for it
 * in the log); interrupt shadows (an event arriving between sti and the next
 * instruction); busy TSS semantics (a second ltr of the same selector is accepted).
 */
#include "../trap-common/trap.h"

const char test_title[] = "trap-insns: the emulated privileged instructions of a trap guest";

#define SCRATCH_VA  0x20000000UL        /* boot L2 slot 256: empty in the boot layout */
#define GP0         EXINFO(X86_GP, 0)
#define GDT_ENTRIES 16
#define GDT_LIMIT   (GDT_ENTRIES * 8 - 1)
#define VEC_ALT_BP  0x22                /* the stub our IDT's gate 3 names */
#define VEC_INTR0   0x21                /* a DPL-0 interrupt gate */
#define VEC_TRAP0   0x23                /* a DPL-0 trap gate */
#define IDT_VECTORS 0x24
#define IDT_LIMIT   (IDT_VECTORS * 16 - 1)

enum { PG_GDT, PG_GDT_RW, PG_GDT_BAD, PG_IDT, PG_IDT_BAD, PG_TSS, PG_SCRATCH, PG_A, PG_B,
       NR_PAGES };
static page_t pages[NR_PAGES] __aligned(PAGE_SIZE);
static uint64_t gdt2[1024] __aligned(PAGE_SIZE);   /* a two-page GDT */
static uint8_t priv_stack[4 * PAGE_SIZE] __aligned(PAGE_SIZE);
static struct scratch scr;
static bool scratch_ok, gdt_built;

#define TSS ((struct tss64 *)pages[PG_TSS])

/* ---- shared set-up ------------------------------------------------------------------ */

static bool scratch_ready(void)
{
    if (!scratch_ok)
        scratch_ok = scratch_init(&scr, pages[PG_SCRATCH], SCRATCH_VA);
    return scratch_ok;
}

/* The GDT page (1 data, 2-3 a TSS descriptor, 4 data: not a TSS) and the two-page GDT,
 * both read-only. */
static bool gdt_ready(void)
{
    uint64_t *g = pages[PG_GDT];

    if (gdt_built)
        return true;
    memset(g, 0, PAGE_SIZE);
    g[1] = DESC_DATA_DPL3;
    tss_descriptor(&g[2], TSS);
    g[4] = DESC_DATA_DPL3;
    if (set_ro(g)) {
        test_error("cannot map the GDT page read-only");
        return false;
    }
    /* Two pages: data at 513, a TSS descriptor across the page boundary (511-512). */
    memset(gdt2, 0, sizeof(gdt2));
    gdt2[513] = DESC_DATA_DPL3;
    tss_descriptor(&gdt2[511], TSS);
    if (set_ro(&gdt2[0]) || set_ro(&gdt2[512])) {
        test_error("cannot map the two-page GDT read-only");
        return false;
    }
    gdt_built = true;
    return true;
}

/* ---- cli / sti --------------------------------------------------------------------- */

static evtchn_port_t ipi_port;
static volatile unsigned int ipi_hits;

static void on_ipi(evtchn_port_t port)
{
    if (port == ipi_port)
        ipi_hits++;
}

static void test_cli_sti(void)
{
    struct vcpu_info *vi = this_vcpu_info();
    unsigned int seen;

    if (evtchn_bind_ipi(0, &ipi_port)) {
        test_error("EVTCHNOP_bind_ipi failed");
        return;
    }
    set_evtchn_handler(on_ipi);
    events_clear_all();

    if (expect_exinfo("sti", probe_exec("sti"), EXINFO_NONE) && vi->evtchn_upcall_mask != 0)
        test_failure("after sti the upcall mask is %u, expected 0 (virtual IF 1)",
                     vi->evtchn_upcall_mask);
    if (expect_exinfo("cli", probe_exec("cli"), EXINFO_NONE) && vi->evtchn_upcall_mask != 1)
        test_failure("after cli the upcall mask is %u, expected 1 (virtual IF 0)",
                     vi->evtchn_upcall_mask);

    ipi_hits = 0;
    evtchn_send(ipi_port);
    if (ipi_hits)
        test_failure("an event was delivered with the virtual IF clear (after cli)");
    if (!vi->evtchn_upcall_pending)
        test_error("the IPI sent to ourselves left no upcall pending");
    __asm__ volatile("sti" ::: "memory");
    seen = ipi_hits;                    /* right after sti: no hypercall in between */
    __asm__ volatile("cli" ::: "memory");
    printk("  sti with an IPI pending: %u upcall(s) before the next instruction\n", seen);
    if (seen != 1)
        test_failure("sti with an event pending delivered %u upcalls, expected 1", seen);

    events_clear_all();
    evtchn_close(ipi_port);
    set_evtchn_handler(NULL);
}

/* ---- hlt ----------------------------------------------------------------------------- */

static evtchn_port_t timer_port;
static volatile unsigned int timer_hits;
static volatile uint64_t timer_hit_at;

static void on_timer(evtchn_port_t port)
{
    if (port == timer_port) {
        timer_hits++;
        timer_hit_at = pvclock_now();
    } else if (port == ipi_port) {
        ipi_hits++;
    }
}

static void test_hlt(void)
{
    uint64_t deadline, t0, t1;

    if (vcpu_stop_periodic() || evtchn_bind_virq(VIRQ_TIMER, 0, &timer_port) ||
        evtchn_bind_ipi(0, &ipi_port)) {
        test_error("stopping the periodic timer or binding VIRQ_TIMER / an IPI failed");
        return;
    }
    set_evtchn_handler(on_timer);
    events_clear_all();

    /* An event already pending (virtual IF clear): hlt does not sleep. */
    evtchn_send(ipi_port);
    deadline = pvclock_now() + 200 * NS_PER_MS;
    HYPERVISOR_set_timer_op(deadline);
    if (expect_exinfo("hlt with an event pending", probe_exec("hlt"), EXINFO_NONE) &&
        pvclock_now() >= deadline)
        test_failure("hlt with an event pending slept until the 200 ms timer");
    HYPERVISOR_set_timer_op(0);
    events_clear_all();

    /* Nothing pending: hlt sleeps until the timer's event. */
    timer_hits = 0;
    t0 = pvclock_now();
    deadline = t0 + 20 * NS_PER_MS;
    HYPERVISOR_set_timer_op(deadline);
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    t1 = pvclock_now();
    printk("  hlt slept %lu us; returned %ld us after the 20 ms deadline; %u timer upcall(s)\n",
           (unsigned long)((t1 - t0) / 1000), ((long)(t1 - deadline)) / 1000, timer_hits);
    if (t1 < deadline)
        test_failure("hlt returned %lu us before the timer deadline",
                     (unsigned long)((deadline - t1) / 1000));
    if (timer_hits != 1)
        test_failure("%u VIRQ_TIMER upcalls after hlt, expected 1", timer_hits);
    else if (timer_hit_at < deadline)
        test_failure("the VIRQ_TIMER upcall came before the deadline");
    if (t1 - t0 > 2000 * NS_PER_MS)
        test_failure("hlt slept %lu ms for a 20 ms timer", (unsigned long)((t1 - t0) / NS_PER_MS));

    events_clear_all();
    evtchn_close(timer_port);
    evtchn_close(ipi_port);
    set_evtchn_handler(NULL);
}

/* ---- invlpg -------------------------------------------------------------------------- */

static exinfo_t probe_invlpg(const volatile void *va)
{
    probe_reset();
    __asm__ volatile("1: invlpg (%0)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(va) : "memory");
    return probe_last.info;
}

static void test_invlpg(void)
{
    volatile uint64_t *va;
    uint64_t before;

    if (!scratch_ready())
        return;
    pages[PG_A][0] = 0xaaaa0000aaaa0001UL;
    pages[PG_B][0] = 0xbbbb0000bbbb0002UL;
    va = scratch_va(&scr, 0);
    if (scratch_set(&scr, 0, pte_of(pages[PG_A], PT_RO))) {
        test_error("mapping page A at the scratch VA failed");
        return;
    }
    if (*va != pages[PG_A][0]) {             /* and the TLB holds the translation */
        test_error("the scratch VA does not show page A");
        return;
    }
    if (mmu_update1(scr.l1_maddr, pte_of(pages[PG_B], PT_RO))) {
        test_error("mmu_update of the scratch PTE to page B failed");
        return;
    }
    before = *va;
    printk("  before invlpg the VA reads page %s\n",
           before == pages[PG_A][0] ? "A (the stale TLB entry)" : "B (no stale entry)");
    if (expect_exinfo("invlpg", probe_invlpg(va), EXINFO_NONE) && *va != pages[PG_B][0])
        test_failure("after invlpg the VA reads %lx, expected page B's %lx", *va,
                     pages[PG_B][0]);
    scratch_set(&scr, 0, 0);
}

/* ---- lgdt ---------------------------------------------------------------------------- */

/* A pseudo-descriptor at a fixed place, for the RIP-relative and segment-relative forms. */
static struct pseudo_desc gdt_pd;

/* lgdt through %fs / %gs (base = &gdt_pd - 64) and RIP-relative: the operand address is
 * computed with the segment base and the next instruction's RIP. */
static void lgdt_operand_forms(void)
{
    unsigned long base = (unsigned long)&gdt_pd - 64;

    gdt_pd.limit = GDT_LIMIT;
    gdt_pd.base = (unsigned long)pages[PG_GDT];
    probe_reset();
    __asm__ volatile("1: lgdt gdt_pd(%%rip)\n2:\n\t" EXTABLE_ENTRY("1b", "2b") ::: "memory");
    if (expect_exinfo("lgdt gdt_pd(%rip)", probe_last.info, EXINFO_NONE))
        expect_exinfo("mov to %fs of entry 1 after lgdt (rip-relative)", load_fs(SEL(1)),
                      EXINFO_NONE);
    reset_segs();

    if (HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, base)) {
        test_error("set_segment_base of GS failed");
        return;
    }
    /* Between the forms the two-page GDT (entry 1 null) is loaded, so that entry 1
     * loading shows which lgdt took effect. */
    probe_lgdt(gdt2, sizeof(gdt2) - 1);
    probe_reset();
    __asm__ volatile("1: lgdt %%gs:64\n2:\n\t" EXTABLE_ENTRY("1b", "2b") ::: "memory");
    if (expect_exinfo("lgdt %gs:64 (the active GS base)", probe_last.info, EXINFO_NONE))
        expect_exinfo("mov to %fs of entry 1 after lgdt %gs:64", load_fs(SEL(1)),
                      EXINFO_NONE);
    reset_segs();
    probe_lgdt(gdt2, sizeof(gdt2) - 1);
    /* After the selector loads: a segment load replaces the FS base. */
    if (HYPERVISOR_set_segment_base(SEGBASE_FS, base)) {
        test_error("set_segment_base of FS failed");
        return;
    }
    probe_reset();
    __asm__ volatile("1: lgdt %%fs:64\n2:\n\t" EXTABLE_ENTRY("1b", "2b") ::: "memory");
    if (expect_exinfo("lgdt %fs:64", probe_last.info, EXINFO_NONE))
        expect_exinfo("mov to %fs of entry 1 after lgdt %fs:64", load_fs(SEL(1)),
                      EXINFO_NONE);
    reset_segs();
    HYPERVISOR_set_segment_base(SEGBASE_GS_KERNEL, 0);
    HYPERVISOR_set_segment_base(SEGBASE_FS, 0);
}

static void test_lgdt(void)
{
    uint64_t *g = pages[PG_GDT], *w = pages[PG_GDT_RW], *bad = pages[PG_GDT_BAD];

    if (!gdt_ready())
        return;
    if (!expect_exinfo("lgdt of a read-only page, 16 entries", probe_lgdt(g, GDT_LIMIT),
                       EXINFO_NONE))
        return;
    if (expect_exinfo("mov to %fs of entry 1 after lgdt", load_fs(SEL(1)), EXINFO_NONE) &&
        read_fs() != SEL(1))
        test_failure("%%fs reads %x, expected %x", read_fs(), SEL(1));
    reset_segs();
    if (g[2] & DESC_P)
        test_failure("the TSS descriptor is still present in the GDT (%lx): the CPU could "
                     "load it", g[2]);

    /* Refused: the live GDT stays the first page (entry 1 is only in it). */
    memset(w, 0, PAGE_SIZE);
    w[5] = DESC_DATA_DPL3;
    memset(bad, 0, PAGE_SIZE);
    bad[5] = DESC_DATA_DPL3;
    bad[6] = DESC_LDT;
    if (set_ro(bad)) {
        test_error("cannot map the bad GDT page read-only");
        return;
    }
    expect_exinfo("lgdt with a base that is not page-aligned",
                  probe_lgdt((const char *)g + 8, GDT_LIMIT - 8), GP0);
    expect_exinfo("lgdt of a page mapped writable", probe_lgdt(w, GDT_LIMIT), GP0);
    expect_exinfo("lgdt of a page with an LDT descriptor", probe_lgdt(bad, GDT_LIMIT), GP0);
    if (load_fs(SEL(1)) != EXINFO_NONE)
        test_failure("after the refused lgdt the GDT page is no longer live");
    reset_segs();
    w[5] = 0;                               /* still ours and writable */
    set_rw(bad);

    lgdt_operand_forms();
    if (expect_exinfo("lgdt of two read-only pages", probe_lgdt(gdt2, sizeof(gdt2) - 1),
                      EXINFO_NONE)) {
        expect_exinfo("mov to %fs of entry 513 (second page)", load_fs(SEL(513)),
                      EXINFO_NONE);
        reset_segs();
    }
}

/* ---- ltr ----------------------------------------------------------------------------- */

static volatile unsigned long seen_sp;

static bool record_sp(struct cpu_regs *regs)
{
    seen_sp = (unsigned long)regs;
    return false;                           /* the probe's fixup does the rest */
}

static void record_sp_syscall(struct cpu_regs *regs)
{
    seen_sp = (unsigned long)regs;
}

static unsigned long u_ud2(void)
{
    return probe_exec("ud2");
}

static unsigned long u_syscall(void)
{
    unsigned long rax = 0x5157;

    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
    return rax;
}

static bool on_stack(unsigned long sp, unsigned long lo, unsigned long hi)
{
    return sp >= lo && sp < hi;
}

static void check_entry_stack(const char *what, unsigned long (*fn)(void), unsigned long lo,
                              unsigned long hi, const char *stack)
{
    seen_sp = 0;
    exec_user(fn);
    printk("  %s arrives with its frame at %lx\n", what, seen_sp);
    if (!on_stack(seen_sp, lo, hi))
        test_failure("%s: frame at %lx, not on the %s [%lx, %lx)", what, seen_sp, stack, lo,
                     hi);
}

static void test_ltr(void)
{
    unsigned long priv_lo = (unsigned long)priv_stack, priv_hi = priv_lo + sizeof(priv_stack);
    unsigned long k_hi = (unsigned long)kernel_stack_top, k_lo = k_hi - 2 * PAGE_SIZE;

    if (!gdt_ready() || !expect_exinfo("lgdt", probe_lgdt(pages[PG_GDT], GDT_LIMIT),
                                       EXINFO_NONE))
        return;
    memset(TSS, 0, sizeof(*TSS));
    TSS->rsp0 = priv_hi;
    TSS->iomap_base = sizeof(*TSS);

    expect_exinfo("ltr of a data descriptor", probe_ltr(SEL_GDT(4)), GP0);
    expect_exinfo("ltr of the null selector", probe_ltr(0), GP0);
    expect_exinfo("ltr of an LDT selector (TI set)", probe_ltr(SEL_GDT(2) | 4), GP0);
    expect_exinfo("ltr of entry 15 (upper half beyond the limit)",
                  probe_ltr(SEL_GDT(GDT_ENTRIES - 1)), GP0);
    if (!expect_exinfo("ltr of the 64-bit TSS descriptor", probe_ltr(SEL_GDT(2)),
                       EXINFO_NONE))
        return;

    set_vector_handler(X86_UD, record_sp);
    set_syscall_hook(record_sp_syscall);
    check_entry_stack("a user-mode #UD", u_ud2, priv_lo, priv_hi, "TSS's rsp0 stack");
    check_entry_stack("a user-mode syscall", u_syscall, priv_lo, priv_hi, "TSS's rsp0 stack");
    /* A refused ltr leaves the TSS alone. */
    expect_exinfo("ltr of a data descriptor", probe_ltr(SEL_GDT(4)), GP0);
    check_entry_stack("a user-mode #UD after a refused ltr", u_ud2, priv_lo, priv_hi,
                      "TSS's rsp0 stack");

    TSS->rsp0 = (unsigned long)kernel_stack_top;
    check_entry_stack("a user-mode #UD (rsp0 = kernel_stack_top)", u_ud2, k_lo, k_hi,
                      "kernel stack");

    /* A TSS descriptor whose upper half is the first entry of the GDT's second page. */
    TSS->rsp0 = priv_hi;
    if (expect_exinfo("lgdt of the two-page GDT", probe_lgdt(gdt2, sizeof(gdt2) - 1),
                      EXINFO_NONE) &&
        expect_exinfo("ltr of a TSS descriptor across the two pages", probe_ltr(SEL_GDT(511)),
                      EXINFO_NONE))
        check_entry_stack("a user-mode #UD (TSS from entries 511-512)", u_ud2, priv_lo,
                          priv_hi, "TSS's rsp0 stack");
    TSS->rsp0 = (unsigned long)kernel_stack_top;
    set_vector_handler(X86_UD, NULL);
    set_syscall_hook(NULL);
}

/* ---- lldt ---------------------------------------------------------------------------- */

static void test_lldt(void)
{
    static const uint16_t null_sel = 0, data_sel = SEL_GDT(1);

    expect_exinfo("lldt of the null selector", probe_lldt(0), EXINFO_NONE);
    expect_exinfo("lldt of the null selector with RPL 3", probe_lldt(3), EXINFO_NONE);
    expect_exinfo("lldt of the null selector from memory", probe_lldt_mem(&null_sel),
                  EXINFO_NONE);
    expect_exinfo("lldt of a non-null selector", probe_lldt(SEL_GDT(1)), GP0);
    expect_exinfo("lldt of a non-null selector from memory", probe_lldt_mem(&data_sel), GP0);

    /* REX.R extends ModRM.reg, which is an opcode extension here: the CPU ignores it. */
    probe_reset();
    __asm__ volatile("xor %%eax, %%eax\n1: .byte 0x44, 0x0f, 0x00, 0xd0\n2:\n\t"
                     EXTABLE_ENTRY("1b", "2b") : : : "rax", "memory");
    expect_exinfo("lldt %ax with a REX.R prefix (44 0f 00 d0)", probe_last.info, EXINFO_NONE);
}

/* ---- lidt ---------------------------------------------------------------------------- */

static volatile int mask_in_handler = -1;

static bool record_mask(struct cpu_regs *regs)
{
    mask_in_handler = this_vcpu_info()->evtchn_upcall_mask;
    return false;                           /* the probe records the vector */
}

static void ignore_port(evtchn_port_t port)
{
}

static void build_idt(uint64_t *idt)
{
    unsigned int vec;

    memset(idt, 0, PAGE_SIZE);
    for (vec = 0; vec < 20; vec++)
        if (vec != 9 && vec != 15)
            idt_gate(&idt[2 * vec], vector_stub_address(vec), GATE_INTR,
                     vec == X86_BP || vec == X86_OF ? 3 : 0);
    idt_gate(&idt[2 * X86_BP], vector_stub_address(VEC_ALT_BP), GATE_INTR, 3);
    idt_gate(&idt[2 * VEC_RET2KERN], vector_stub_address(VEC_RET2KERN), GATE_INTR, 3);
    idt_gate(&idt[2 * VEC_INTR0], vector_stub_address(VEC_INTR0), GATE_INTR, 0);
    idt_gate(&idt[2 * VEC_TRAP0], vector_stub_address(VEC_TRAP0), GATE_TRAP, 0);
}

static unsigned long u_int3(void)
{
    return probe_exec("int3");
}

static unsigned long u_int21(void)
{
    return probe_exec("int $0x21");
}

/* int $vec with events enabled must reach stub vec with the upcall mask `mask`. */
static void expect_mask(const char *what, exinfo_t got, unsigned int vec, int mask)
{
    if (expect_exinfo(what, got, EXINFO(vec, 0)) && mask_in_handler != mask)
        test_failure("%s: the handler ran with upcall mask %d, expected %d", what,
                     mask_in_handler, mask);
}

static void test_lidt(void)
{
    uint64_t *idt = pages[PG_IDT], *bad = pages[PG_IDT_BAD];

    build_idt(idt);
    if (!expect_exinfo("lidt", probe_lidt(idt, IDT_LIMIT), EXINFO_NONE))
        return;
    expect_exinfo("int3 (gate 3 names stub 0x22)", probe_exec("int3"),
                  EXINFO(VEC_ALT_BP, 0));
    expect_exinfo("user-mode int3 (DPL-3 gate)", exec_user(u_int3), EXINFO(VEC_ALT_BP, 0));
    expect_exinfo("int $0x21 from kernel mode (DPL-0 gate)", probe_exec("int $0x21"),
                  EXINFO(VEC_INTR0, 0));
    expect_exinfo("int $0x21 from user mode (DPL-0 gate)", exec_user(u_int21),
                  EXINFO(X86_GP, VEC_INTR0 * 8 + 2));

    /* Interrupt gates mask events on entry, trap gates do not. */
    set_evtchn_handler(ignore_port);
    events_enable();
    set_vector_handler(VEC_INTR0, record_mask);
    set_vector_handler(VEC_TRAP0, record_mask);
    mask_in_handler = -1;
    expect_mask("int $0x21 (interrupt gate), events enabled", probe_exec("int $0x21"),
                VEC_INTR0, 1);
    mask_in_handler = -1;
    expect_mask("int $0x23 (trap gate), events enabled", probe_exec("int $0x23"), VEC_TRAP0,
                0);
    events_disable();
    set_vector_handler(VEC_INTR0, NULL);
    set_vector_handler(VEC_TRAP0, NULL);
    set_evtchn_handler(NULL);

    /* Refused loads keep the table: int3 still reaches stub 0x22. */
    build_idt(bad);
    idt_gate(&bad[2 * VEC_INTR0], vector_stub_address(VEC_INTR0), GATE_CALL, 0);
    expect_exinfo("lidt with a call gate", probe_lidt(bad, IDT_LIMIT), GP0);
    build_idt(bad);
    idt_gate(&bad[2 * VEC_INTR0], 0x0000800000000000UL, GATE_INTR, 0);
    expect_exinfo("lidt with a gate to a non-canonical address", probe_lidt(bad, IDT_LIMIT),
                  GP0);
    expect_exinfo("int3 after the refused lidt", probe_exec("int3"), EXINFO(VEC_ALT_BP, 0));

    install_default_traps();
    expect_exinfo("int3 after install_default_traps", probe_exec("int3"), EXINFO(X86_BP, 0));
}

/* ---- clts ---------------------------------------------------------------------------- */

static unsigned long cr0(void)
{
    unsigned long v;

    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static void test_clts(void)
{
    const unsigned long ts = 0x8;

    if (HYPERVISOR_fpu_taskswitch(1)) {
        test_error("fpu_taskswitch(1) failed");
        return;
    }
    expect_exinfo("SSE instruction with TS set", probe_exec("xorps %%xmm0, %%xmm0"),
                  EXINFO(X86_NM, 0));
    HYPERVISOR_fpu_taskswitch(1);
    if (!(cr0() & ts))
        test_failure("CR0 %lx: TS clear after fpu_taskswitch(1)", cr0());
    if (!expect_exinfo("clts", probe_exec("clts"), EXINFO_NONE))
        return;
    if (cr0() & ts)
        test_failure("CR0 %lx: TS still set after clts", cr0());
    expect_exinfo("SSE instruction after clts", probe_exec("xorps %%xmm0, %%xmm0"),
                  EXINFO_NONE);
}

/* ---- rdmsr / wrmsr of the syscall MSRs ------------------------------------------------ */

/* The LSTAR target: count the entry, then the framework's syscall entry. */
__attribute__((used)) static volatile unsigned long lstar_hits;
__asm__(".pushsection .text\n"
        "lstar_entry:\n"
        "    lock incq lstar_hits(%rip)\n"
        "    jmp entry_syscall\n"
        ".popsection\n");
extern char lstar_entry[];

static volatile unsigned int hook_hits;

static void count_syscall(struct cpu_regs *regs)
{
    hook_hits++;
}

static void roundtrip(const char *name, uint32_t msr, uint64_t val)
{
    uint64_t got;
    char what[48];

    snprintf(what, sizeof(what), "wrmsr %s", name);
    if (!expect_exinfo(what, probe_wrmsr(msr, val), EXINFO_NONE))
        return;
    snprintf(what, sizeof(what), "rdmsr %s", name);
    if (expect_exinfo(what, probe_rdmsr(msr, &got), EXINFO_NONE) && got != val)
        test_failure("%s reads %lx after writing %lx", name, got, val);
}

static void test_msrs(void)
{
    uint64_t lstar, cstar, v;

    if (!expect_exinfo("rdmsr LSTAR", probe_rdmsr(MSR_LSTAR, &lstar), EXINFO_NONE) ||
        !expect_exinfo("rdmsr CSTAR", probe_rdmsr(MSR_CSTAR, &cstar), EXINFO_NONE))
        return;
    printk("  LSTAR %lx CSTAR %lx\n", lstar, cstar);
    if (lstar != (unsigned long)entry_syscall)
        test_failure("LSTAR reads %lx, not the syscall callback %lx", lstar,
                     (unsigned long)entry_syscall);

    roundtrip("STAR", MSR_STAR, 0x0023001000000000UL);
    roundtrip("SFMASK", MSR_SFMASK, 0x47700UL);
    roundtrip("CSTAR", MSR_CSTAR, (unsigned long)lstar_entry);
    roundtrip("CSTAR", MSR_CSTAR, cstar);

    expect_exinfo("wrmsr LSTAR non-canonical", probe_wrmsr(MSR_LSTAR, 0x8000000000000000UL),
                  GP0);
    expect_exinfo("wrmsr LSTAR in the hypervisor hole",
                  probe_wrmsr(MSR_LSTAR, 0xffff830000000000UL), GP0);
    probe_rdmsr(MSR_LSTAR, &v);
    if (v != lstar)
        test_failure("a refused wrmsr changed LSTAR to %lx", v);

    roundtrip("LSTAR", MSR_LSTAR, (unsigned long)lstar_entry);
    set_syscall_hook(count_syscall);
    lstar_hits = hook_hits = 0;
    exec_user(u_syscall);
    if (lstar_hits != 1 || hook_hits != 1)
        test_failure("a user-mode syscall: %lu entries at LSTAR, %u at the hook, expected 1 "
                     "and 1", lstar_hits, hook_hits);

    roundtrip("LSTAR", MSR_LSTAR, lstar);
    /* The framework's callbacks mask events on entry (SFMASK.IF). */
    roundtrip("SFMASK", MSR_SFMASK, X86_EFLAGS_IF);
    lstar_hits = hook_hits = 0;
    exec_user(u_syscall);
    if (lstar_hits != 0 || hook_hits != 1)
        test_failure("after restoring LSTAR: %lu entries at the old LSTAR, %u at the hook",
                     lstar_hits, hook_hits);
    set_syscall_hook(NULL);
}

/* ---- sysretq ------------------------------------------------------------------------- */

#define SYSRET_MAGIC 0x5a5a0123feedUL

__asm__(".pushsection .text\n"
        "sysret_insn:\n"
        "    sysretq\n"
        "    ud2\n"
        ".popsection\n");
extern char sysret_insn[];
static volatile bool sysret_refused;

static unsigned long sysret_r11;            /* the user RFLAGS the hook hands sysretq */
static volatile unsigned int user_mask;     /* the upcall mask seen in user mode after it */

/* The user's syscall: go to sysret_insn in kernel mode with RCX/R11/RSP/RAX set. */
static void sysret_hook(struct cpu_regs *regs)
{
    hook_hits++;
    regs->rcx = regs->rip;                  /* back to just after the syscall */
    regs->r11 = sysret_r11;
    regs->rax = SYSRET_MAGIC;               /* RSP: the user stack it came with */
    regs->rip = (unsigned long)sysret_insn;
    regs->cs = SEL_KERNEL_CS & ~3;          /* RPL 0: the iret keeps kernel mode */
    regs->ss = SEL_KERNEL_SS & ~3;
}

/* A refused sysretq is a #GP at sysret_insn: end the exec_user() from there. */
static bool sysret_gp(struct cpu_regs *regs)
{
    if (regs->rip != (unsigned long)sysret_insn)
        return false;
    sysret_refused = true;
    exec_user_return(0);
}

/* User mode: a syscall, then note the upcall mask (shared_info is user-readable). */
static unsigned long u_syscall_mask(void)
{
    unsigned long r = u_syscall();

    user_mask = this_vcpu_info()->evtchn_upcall_mask;
    return r;
}

static void sysret_once(unsigned long r11, unsigned int want_mask)
{
    unsigned long r;

    hook_hits = 0;
    sysret_refused = false;
    exec_user_last_cs = 0;
    user_mask = 0xff;
    sysret_r11 = r11;
    r = exec_user(u_syscall_mask);
    printk("  user syscall -> hook -> sysretq (R11 %lx): rax %lx, user-mode upcall mask %u, "
           "the next int $0x20 from cs %x\n", r11, r, user_mask, exec_user_last_cs);
    if (hook_hits != 1)
        test_failure("the syscall hook ran %u times, expected 1", hook_hits);
    if (sysret_refused)
        test_failure("sysretq with a canonical RCX was refused (#GP)");
    else if (r != SYSRET_MAGIC)
        test_failure("after sysretq RAX is %lx, expected %lx", r, SYSRET_MAGIC);
    else if ((exec_user_last_cs & 3) != 3)
        test_failure("after sysretq the guest was not in user mode (cs %x)",
                     exec_user_last_cs);
    else if (user_mask != want_mask)
        test_failure("sysretq with R11 %lx: user-mode upcall mask %u, expected %u", r11,
                     user_mask, want_mask);
}

/* SFMASK.IF: whether a syscall from user mode masks events. The first syscall goes back
 * to user mode through sysretq with IF set (events unmasked there); the second notes
 * the upcall mask its entry left. */
static volatile int entry_mask;

static void sfmask_hook(struct cpu_regs *regs)
{
    if (hook_hits == 0) {
        sysret_hook(regs);
        return;
    }
    hook_hits++;
    entry_mask = this_vcpu_info()->evtchn_upcall_mask;
}

static unsigned long u_two_syscalls(void)
{
    u_syscall();
    return u_syscall();
}

static void sfmask_once(uint64_t sfmask, int want)
{
    hook_hits = 0;
    entry_mask = -1;
    sysret_r11 = 0x202;
    if (!expect_exinfo("wrmsr SFMASK", probe_wrmsr(MSR_SFMASK, sfmask), EXINFO_NONE))
        return;
    exec_user(u_two_syscalls);
    printk("  SFMASK %lx: a syscall from user mode (events unmasked) enters with upcall "
           "mask %d\n", sfmask, entry_mask);
    if (hook_hits != 2 || entry_mask != want)
        test_failure("SFMASK %lx: %u syscalls, entry upcall mask %d, expected 2 and %d",
                     sfmask, hook_hits, entry_mask, want);
}

static void test_sysret(void)
{
    set_syscall_hook(sysret_hook);
    set_vector_handler(X86_GP, sysret_gp);
    sysret_once(0x2, 1);                    /* IF clear: events masked */
    set_evtchn_handler(ignore_port);        /* IF set: events unmasked in user mode */
    sysret_once(0x202, 0);
    set_syscall_hook(sfmask_hook);
    sfmask_once(0, 0);
    sfmask_once(X86_EFLAGS_IF, 1);          /* also the framework's setting, kept */
    events_disable();
    set_evtchn_handler(NULL);
    set_vector_handler(X86_GP, NULL);
    set_syscall_hook(NULL);

    probe_reset();
    __asm__ volatile("lea 2f(%%rip), %%rcx\n1: sysretl\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : : "rcx", "r11", "memory");
    expect_exinfo("32-bit sysret (no REX.W)", probe_last.info, GP0);
    probe_reset();
    __asm__ volatile("movabs $0x8000000000001000, %%rcx\n1: sysretq\n2:\n\t"
                     EXTABLE_ENTRY("1b", "2b") : : : "rcx", "r11", "memory");
    expect_exinfo("sysretq to a non-canonical RCX", probe_last.info, GP0);
}

/* ---- an event upcall in user mode, on the TSS's rsp0 stack -------------------------- */

static volatile unsigned long event_sp, event_cs;

static void record_upcall(struct cpu_regs *regs)
{
    event_sp = (unsigned long)regs;
    event_cs = regs->cs;
    evtchn_dispatch(NULL);
}

/* User mode: sysretq (R11.IF set) leaves events unmasked; spin until the upcall. */
static unsigned long u_wait_event(void)
{
    unsigned long i;

    u_syscall();
    for (i = 0; i < (1UL << 26) && !event_sp; i++)
        __asm__ volatile("pause");
    return event_sp;
}

static void test_user_event(void)
{
    unsigned long priv_lo = (unsigned long)priv_stack, priv_hi = priv_lo + sizeof(priv_stack);

    if (!gdt_ready() || !expect_exinfo("lgdt", probe_lgdt(pages[PG_GDT], GDT_LIMIT),
                                       EXINFO_NONE))
        return;
    TSS->rsp0 = priv_hi;
    if (!expect_exinfo("ltr", probe_ltr(SEL_GDT(2)), EXINFO_NONE) ||
        vcpu_stop_periodic() || evtchn_bind_virq(VIRQ_TIMER, 0, &timer_port)) {
        test_error("ltr, stopping the periodic timer or binding VIRQ_TIMER failed");
        goto out;
    }
    events_clear_all();
    set_event_upcall_hook(record_upcall);
    set_syscall_hook(sysret_hook);
    set_vector_handler(X86_GP, sysret_gp);
    hook_hits = 0;
    sysret_r11 = 0x202;
    event_sp = event_cs = 0;
    HYPERVISOR_set_timer_op(pvclock_now() + 2 * NS_PER_MS);
    exec_user(u_wait_event);
    set_vector_handler(X86_GP, NULL);
    set_syscall_hook(NULL);
    events_disable();
    set_event_upcall_hook(NULL);
    events_clear_all();
    evtchn_close(timer_port);
    printk("  a VIRQ_TIMER upcall in user mode: frame at %lx, interrupted cs %lx\n", event_sp,
           event_cs);
    if (!event_sp)
        test_failure("no upcall reached the spinning user-mode code");
    else if (!on_stack(event_sp, priv_lo, priv_hi) || (event_cs & 3) != 3)
        test_failure("the user-mode upcall: frame at %lx (cs %lx), expected on the TSS's "
                     "rsp0 stack [%lx, %lx) from user mode", event_sp, event_cs, priv_lo,
                     priv_hi);
out:
    TSS->rsp0 = (unsigned long)kernel_stack_top;
}

/* ---- in / out on COM1 ---------------------------------------------------------------- */

#define COM1_DATA 0x3f8
#define COM1_LSR  0x3fd
#define COM2_DATA 0x2f8

static exinfo_t probe_inb(uint16_t port, unsigned long *rax)
{
    probe_reset();
    __asm__ volatile("1: inb %%dx, %%al\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : "+a"(*rax) : "d"((unsigned long)port) : "memory");
    return probe_last.info;
}

static exinfo_t probe_outb(uint16_t port, uint8_t val)
{
    probe_reset();
    __asm__ volatile("1: outb %%al, %%dx\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "a"((unsigned long)val), "d"((unsigned long)port) : "memory");
    return probe_last.info;
}

static void test_ports(void)
{
    static const char line[] = "trap-insns: this line went out byte by byte with outb to COM1\n";
    const unsigned long fill = 0x1122334455667788UL;
    unsigned long a = fill;
    unsigned int i, spins;

    if (expect_exinfo("inb from the COM1 line status", probe_inb(COM1_LSR, &a), EXINFO_NONE) &&
        a != ((fill & ~0xffUL) | 0x60))
        test_failure("COM1 LSR: rax %lx, expected %lx", a, (fill & ~0xffUL) | 0x60);

    for (i = 0; i < sizeof(line) - 1; i++) {
        for (spins = 0; spins < 1000; spins++) {
            a = 0;
            if (probe_inb(COM1_LSR, &a) != EXINFO_NONE || (a & 0x20))
                break;
        }
        if (spins == 1000) {
            test_failure("COM1 LSR never says the transmitter is empty");
            return;
        }
        if (probe_outb(COM1_DATA, (uint8_t)line[i]) != EXINFO_NONE) {
            test_failure("outb of byte %u to COM1 faulted", i);
            return;
        }
    }

    a = fill;
    if (expect_exinfo("inb from COM2", probe_inb(COM2_DATA, &a), EXINFO_NONE) &&
        a != (fill | 0xff))
        test_failure("COM2 (not emulated): rax %lx, expected all-ones in AL", a);
}

/* ---- user mode ----------------------------------------------------------------------- */

/* setup runs first; the probed instruction is insn. */
#define USER_PROBE(fn, setup, insn, ...)                                            \
    static unsigned long fn(void)                                                   \
    {                                                                               \
        probe_reset();                                                              \
        __asm__ volatile(setup "\n1: " insn "\n2:\n\t" EXTABLE_ENTRY("1b", "2b")     \
                         : : : "memory", ##__VA_ARGS__);                            \
        return probe_last.info;                                                     \
    }
USER_PROBE(u_cli, "", "cli")
USER_PROBE(u_sti, "", "sti")
USER_PROBE(u_hlt, "", "hlt")
USER_PROBE(u_invlpg, "", "invlpg (%%rsp)")
USER_PROBE(u_lgdt, "", "lgdt (%%rsp)")
USER_PROBE(u_lidt, "", "lidt (%%rsp)")
USER_PROBE(u_ltr, "mov $0x10, %%eax", "ltr %%ax", "rax")
USER_PROBE(u_lldt, "xor %%eax, %%eax", "lldt %%ax", "rax")
USER_PROBE(u_clts, "", "clts")
USER_PROBE(u_rdmsr, "mov $0xc0000082, %%ecx", "rdmsr", "rax", "rcx", "rdx")
USER_PROBE(u_wrmsr, "mov $0xc0000082, %%ecx; xor %%eax, %%eax; xor %%edx, %%edx", "wrmsr",
           "rax", "rcx", "rdx")
USER_PROBE(u_sysret, "lea 2f(%%rip), %%rcx; mov $2, %%r11d", "sysretq", "rcx", "r11")
USER_PROBE(u_in, "mov $0x3fd, %%edx", "inb %%dx, %%al", "rax", "rdx")
USER_PROBE(u_out, "mov $0x3f8, %%edx; mov $0x21, %%eax", "outb %%al, %%dx", "rax", "rdx")

static void test_user(void)
{
    static const struct {
        const char *name;
        unsigned long (*fn)(void);
    } cases[] = {
        { "cli", u_cli }, { "sti", u_sti }, { "hlt", u_hlt }, { "invlpg", u_invlpg },
        { "lgdt", u_lgdt }, { "lidt", u_lidt }, { "ltr", u_ltr }, { "lldt", u_lldt },
        { "clts", u_clts }, { "rdmsr LSTAR", u_rdmsr }, { "wrmsr LSTAR", u_wrmsr },
        { "sysretq", u_sysret }, { "inb COM1 LSR", u_in }, { "outb COM1", u_out },
    };
    uint64_t lstar;
    unsigned int i;
    char what[48];

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        snprintf(what, sizeof(what), "user-mode %s", cases[i].name);
        expect_exinfo(what, exec_user(cases[i].fn), GP0);
    }
    probe_rdmsr(MSR_LSTAR, &lstar);
    if (lstar != (unsigned long)entry_syscall)
        test_failure("LSTAR is %lx after the user-mode wrmsr", lstar);
}

/* ---- a page-table store -------------------------------------------------------------- */

static void test_pt_store(void)
{
    volatile uint64_t *entry, *va;
    uint64_t pte, bad;

    if (!scratch_ready())
        return;
    entry = &scr.l1[5];
    va = scratch_va(&scr, 5);
    pages[PG_A][0] = 0xaaaa5555aaaa5555UL;
    pte = pte_of(pages[PG_A], PT_RO);
    if (!expect_exinfo("mov into an L1 entry through its read-only mapping",
                       probe_write_val(entry, pte), EXINFO_NONE))
        return;
    /* Frame, present and writable as stored (the hypervisor adds U/S: ring-3 kernel). */
    if ((*entry & (PTE_ADDR | PTE_P | PTE_RW)) != (pte & (PTE_ADDR | PTE_P | PTE_RW)))
        test_failure("the L1 entry reads %lx, expected %lx", *entry, pte);
    invlpg((unsigned long)va);
    if (*va != pages[PG_A][0])
        test_failure("the VA the entry maps reads %lx, expected page A's %lx", *va,
                     pages[PG_A][0]);

    pte = *entry;
    bad = pte_of(scr.l1, PT_RW);
    expect_exinfo("mov of an entry mapping the L1 itself writable",
                  probe_write_val(entry, bad), EXINFO(X86_PF, PFEC_P | PFEC_W));
    if (*entry != pte)
        test_failure("the refused store changed the entry to %lx", *entry);
    scratch_set(&scr, 5, 0);
}

static const struct subtest cases[] = {
    { "cli/sti: the virtual IF; sti delivers a pending event", test_cli_sti },
    { "hlt: returns at once with an event pending, else sleeps until the timer", test_hlt },
    { "invlpg m: the read sees the new frame", test_invlpg },
    { "lgdt m: a read-only page becomes the GDT; refused forms", test_lgdt },
    { "ltr: rsp0 of the named TSS is the kernel stack from user mode", test_ltr },
    { "lldt: the null selector only", test_lldt },
    { "lidt m: the gates become the trap table", test_lidt },
    { "clts: TS cleared, no #NM", test_clts },
    { "rdmsr/wrmsr: LSTAR, CSTAR, STAR, SFMASK", test_msrs },
    { "sysretq: back to user mode at RCX; SFMASK.IF on syscall entry", test_sysret },
    { "an event upcall in user mode arrives on the TSS's rsp0 stack", test_user_event },
    { "in/out: COM1 is the console", test_ports },
    { "user mode: each instruction is the guest kernel's #GP(0)", test_user },
    { "a store into a read-only mapped page table", test_pt_store },
};

void test_main(void)
{
    if (!trap_guest_or_skip())
        return;
    RUN_SUBTESTS(cases);
    if (scratch_ok)
        scratch_fini(&scr);
    test_success();
}
