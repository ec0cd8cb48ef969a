/*
 * The benchmark (init=bench, docs/bench.md): sixteen operations through pv_ops, one
 * BENCH line each. The kernel's run here in the boot task: rdtsc around N iterations,
 * the hypervisor's counters read just outside, less their own cost. The user-mode ones
 * are the program bench's (user/bench.c), reported through SYS_bench_report. A wrong
 * result prints BENCH-ERROR and the machine powers off with status 1 (else 0).
 */
#include "sched.h"

#define SCRATCH_VA      (256UL << 30)   /* an L1's worth of kernel addresses, unmapped */
#define SCRATCH_FLAGS   (PTE_P | PTE_RW | PTE_A | PTE_D)
#define MSR_FS_BASE     0xc0000100u
#define UNUSED_PORT     0x80            /* the POST diagnostic port */
#define BATCH           PTES_PER_TABLE
#define EVENT_WAIT_NS   (10 * TICK_NS)

/* A kernel operation: prepare (NULL, or why it does not apply here), run n iterations,
 * check the result (NULL, or what is wrong). A user operation has no loop. */
struct op {
    const char *name;
    unsigned long iters;
    bool irqs_on;
    const char *(*prepare)(void);
    void (*loop)(unsigned long n);
    const char *(*check)(unsigned long n);
};

static bool counting;                   /* pv_ops.hv.counters answers */
static struct pv_counters overhead;     /* what one window counts by itself */
static unsigned int lines, errors;
static const struct op *next_user_op;   /* what the user program must report next */

/* ---- measuring ----------------------------------------------------------------------- */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static void read_counters(struct pv_counters *c)
{
    if (counting)
        pv_ops.hv.counters(c);
}

/* rdtsc around op->loop(n), the counters outside the rdtsc window. */
static uint64_t window(const struct op *op, unsigned long n, struct pv_counters *delta)
{
    struct pv_counters a, b;
    const uint64_t *pa = &a.hypercalls, *pb = &b.hypercalls;
    uint64_t *d = &delta->hypercalls, t0, t1;
    unsigned int i;

    read_counters(&a);
    t0 = rdtsc();
    op->loop(n);
    t1 = rdtsc();
    read_counters(&b);
    for (i = 0; counting && i < BENCH_COUNTERS; i++)
        d[i] = pb[i] - pa[i];
    return t1 - t0;
}

static void print_line(const struct bench_report *r)
{
    if (r->kind == BENCH_ERROR) {
        printk("BENCH-ERROR op=%s %s\n", r->name, r->why);
        errors++;
    } else if (r->kind == BENCH_NA) {
        printk("BENCH op=%s na=\"%s\"\n", r->name, r->why);
        lines++;
    } else {
        printk("BENCH op=%s iters=%lu ticks=%lu hypercalls=%ld emulations=%ld "
               "exceptions=%ld upcalls=%ld switches=%ld\n", r->name, r->iters, r->ticks,
               r->counters[0], r->counters[1], r->counters[2], r->counters[3],
               r->counters[4]);
        lines++;
    }
}

static void print_why(const char *name, uint32_t kind, const char *why)
{
    struct bench_report r = { .kind = kind };

    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.why, sizeof(r.why), "%s", why);
    print_line(&r);
}

static void run_kernel_op(const struct op *op)
{
    struct bench_report r = { .kind = BENCH_MEASURED, .iters = op->iters };
    const char *why = op->prepare ? op->prepare() : NULL;
    struct pv_counters d;
    unsigned long flags = 0;
    unsigned int i;

    if (why) {
        print_why(op->name, BENCH_NA, why);
        return;
    }
    if (!op->irqs_on)
        flags = pv_ops.cpu.irq_save();
    r.ticks = window(op, op->iters, &d);
    if (!op->irqs_on)
        pv_ops.cpu.irq_restore(flags);
    why = op->check ? op->check(op->iters) : NULL;
    if (why) {
        print_why(op->name, BENCH_ERROR, why);
        return;
    }
    snprintf(r.name, sizeof(r.name), "%s", op->name);
    for (i = 0; i < BENCH_COUNTERS; i++)
        r.counters[i] = counting ? (int64_t)((&d.hypercalls)[i] - (&overhead.hypercalls)[i])
                                 : -1;
    print_line(&r);
}

/* ---- the kernel's operations --------------------------------------------------------- */

static void loop_empty(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        barrier();
}

static void loop_null_call(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.hv.null_call();
}

static void loop_irq_pair(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++) {
        pv_ops.cpu.irq_disable();
        pv_ops.cpu.irq_enable();
    }
}

static const char *check_irq_pair(unsigned long n)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    pv_ops.cpu.irq_restore(flags);
    return flags & PV_IRQ_ENABLED ? NULL : "interrupts still off after irq_enable";
}

static unsigned long cr3_pfn;

static const char *prepare_cr3(void)
{
    cr3_pfn = pv_ops.mmu.read_cr3();
    return NULL;
}

static void loop_cr3_write(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.mmu.write_cr3(cr3_pfn);
}

static const char *check_cr3_write(unsigned long n)
{
    return pv_ops.mmu.read_cr3() == cr3_pfn ? NULL : "CR3 names other page tables";
}

/* The scratch mapping: one L1 at SCRATCH_VA whose entries point at one of two frames,
 * each holding its own mark. Made once, kept until power-off. */
static pte_t *scratch_l1;
static pte_t scratch_entry[2];
static const uint64_t scratch_mark[2] = { 0x5c7a7c4000000000UL, 0x5c7a7c4011111111UL };

static const char *prepare_scratch(void)
{
    unsigned int i;

    if (scratch_l1)
        return NULL;
    for (i = 0; i < 2; i++) {
        unsigned long pfn = frame_alloc();

        *(uint64_t *)pfn_to_virt(pfn) = scratch_mark[i];
        scratch_entry[i] = pfn_to_mfn(pfn) << PAGE_SHIFT | SCRATCH_FLAGS;
    }
    scratch_l1 = mm_kernel_pte(SCRATCH_VA);
    return NULL;
}

/* The mark seen through scratch page `page` is that of frame `which`. */
static bool scratch_shows(unsigned int page, unsigned long which)
{
    unsigned long va = SCRATCH_VA + page * PAGE_SIZE;

    pv_ops.mmu.invlpg(va);
    return *(volatile uint64_t *)va == scratch_mark[which & 1];
}

static void loop_pte_update(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.mmu.set_pte(scratch_l1, scratch_entry[i & 1]);
}

static const char *check_pte_update(unsigned long n)
{
    return scratch_shows(0, n - 1) ? NULL : "the scratch page shows the wrong frame";
}

/* All 512 entries of the scratch L1, then one TLB flush, in one lazy batch. */
static void loop_pte_batch(unsigned long n)
{
    unsigned long i;
    unsigned int j;

    for (i = 0; i < n; i++) {
        pv_ops.mmu.lazy_enter();
        for (j = 0; j < BATCH; j++)
            pv_ops.mmu.set_pte(&scratch_l1[j], scratch_entry[i & 1]);
        pv_ops.mmu.flush_tlb();
        pv_ops.mmu.lazy_leave();
    }
}

static const char *check_pte_batch(unsigned long n)
{
    static const unsigned int pages[] = { 0, 1, BATCH / 2, BATCH - 1 };
    unsigned int k;

    for (k = 0; k < ARRAY_SIZE(pages); k++)
        if (!scratch_shows(pages[k], n - 1))
            return "a scratch page shows the wrong frame after the batch";
    return NULL;
}

static void loop_tlb_flush(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.mmu.flush_tlb();
}

static void loop_invlpg(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.mmu.invlpg(SCRATCH_VA);
}

/* Leaf 0: the highest basic leaf and the vendor, the same every time. */
static uint32_t cpuid_first[4], cpuid_last[4];

static const char *prepare_cpuid(void)
{
    pv_ops.cpu.cpuid(0, 0, cpuid_first);
    return NULL;
}

static void loop_cpuid(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.cpu.cpuid(0, 0, cpuid_last);
}

static const char *check_cpuid(unsigned long n)
{
    if (!cpuid_first[0] || !cpuid_first[1])
        return "leaf 0 gave no basic leaves or no vendor";
    return memcmp(cpuid_first, cpuid_last, sizeof(cpuid_first)) ? "leaf 0 changed" : NULL;
}

/* FS_BASE (unused by the kernel) read and written one higher, n times. */
static uint64_t fs_base_start;

static const char *prepare_msr(void)
{
    fs_base_start = pv_ops.cpu.read_msr(MSR_FS_BASE);
    return NULL;
}

static void loop_msr_rw(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.cpu.write_msr(MSR_FS_BASE, pv_ops.cpu.read_msr(MSR_FS_BASE) + 1);
}

static const char *check_msr_rw(unsigned long n)
{
    uint64_t now = pv_ops.cpu.read_msr(MSR_FS_BASE);

    pv_ops.cpu.write_msr(MSR_FS_BASE, fs_base_start);
    return now == fs_base_start + n ? NULL : "FS_BASE did not read back what was written";
}

/* The first access may ask for I/O privilege (xen): not measured. */
static const char *prepare_port_io(void)
{
    pv_ops.cpu.outb(UNUSED_PORT, 0);
    return NULL;
}

static void loop_port_io(unsigned long n)
{
    unsigned long i;

    for (i = 0; i < n; i++)
        pv_ops.cpu.outb(UNUSED_PORT, (uint8_t)i);
}

/* evtchn_self: a send on one end of a loopback pair raises the other, whose upcall
 * counts it; each send waits for its own delivery. */
static long event_port = -1, event_sender = -1;
static volatile unsigned long events_seen;
static unsigned long event_failures;

bool bench_event(unsigned int port)
{
    if ((long)port != event_port)
        return false;
    events_seen++;
    return true;
}

static const char *prepare_evtchn(void)
{
    long a = pv_ops.evtchn.alloc_unbound(PV_DOMID_SELF), b;

    if (a < 0)
        return "no event channels here: natively a send is an IPI, and the native "
               "backend drives no local APIC";
    b = pv_ops.evtchn.bind_interdomain(PV_DOMID_SELF, (unsigned int)a);
    if (b < 0) {
        pv_ops.evtchn.close((unsigned int)a);
        return "bind_interdomain to our own port failed";
    }
    event_port = a;
    event_sender = b;
    pv_ops.evtchn.unmask((unsigned int)a);
    return NULL;
}

static void loop_evtchn_self(unsigned long n)
{
    unsigned long i, want = events_seen;
    uint64_t deadline;

    for (i = 0; i < n; i++) {
        want++;
        if (pv_ops.evtchn.send((unsigned int)event_sender)) {
            event_failures++;
            continue;
        }
        if (events_seen == want)
            continue;
        deadline = pv_ops.time.now_ns() + EVENT_WAIT_NS;   /* delivered later, if ever */
        while (events_seen != want && pv_ops.time.now_ns() < deadline)
            barrier();
        event_failures += events_seen != want;
        want = events_seen;
    }
}

static const char *check_evtchn_self(unsigned long n)
{
    pv_ops.evtchn.close((unsigned int)event_sender);
    pv_ops.evtchn.close((unsigned int)event_port);
    event_port = event_sender = -1;
    return event_failures ? "a send failed or its event never arrived" : NULL;
}

/* ---- the suite ----------------------------------------------------------------------- */

static const struct op ops[] = {
    { "loop_empty",   10000, false, NULL,            loop_empty,       NULL },
    { "null_call",     2000, false, NULL,            loop_null_call,   NULL },
    { "irq_pair",      2000, true,  NULL,            loop_irq_pair,    check_irq_pair },
    { "cr3_write",     1000, false, prepare_cr3,     loop_cr3_write,   check_cr3_write },
    { "pte_update",    1000, false, prepare_scratch, loop_pte_update,  check_pte_update },
    { "pte_batch512",    20, false, prepare_scratch, loop_pte_batch,   check_pte_batch },
    { "tlb_flush",     1000, false, NULL,            loop_tlb_flush,   NULL },
    { "invlpg",        2000, false, prepare_scratch, loop_invlpg,      NULL },
    { "cpuid",         2000, false, prepare_cpuid,   loop_cpuid,       check_cpuid },
    { "msr_rw",        1000, false, prepare_msr,     loop_msr_rw,      check_msr_rw },
    { "port_io",       2000, false, prepare_port_io, loop_port_io,     NULL },
    { "syscall",          0, false, NULL,            NULL,             NULL },
    { "page_fault",       0, false, NULL,            NULL,             NULL },
    { "spawn_exit",       0, false, NULL,            NULL,             NULL },
    { "ctx_switch",       0, false, NULL,            NULL,             NULL },
    { "evtchn_self",   1000, true,  prepare_evtchn,  loop_evtchn_self, check_evtchn_self },
};

#define NR_OPS ARRAY_SIZE(ops)

/* The counters are walked as arrays of BENCH_COUNTERS. */
_Static_assert(sizeof(struct pv_counters) == BENCH_COUNTERS * sizeof(uint64_t), "counters");
_Static_assert(sizeof(struct bench_counters) == BENCH_COUNTERS * sizeof(uint64_t), "counters");

/* What a window with nothing in it counts (the second read, mostly): the least of
 * three, as a tick may land in one. */
static void calibrate(void)
{
    static const struct op empty = { "calibrate", 0, false, NULL, loop_empty, NULL };
    unsigned long flags = pv_ops.cpu.irq_save();
    struct pv_counters d;
    unsigned int k, i;

    counting = pv_ops.hv.counters(&d) == 0;
    for (k = 0; counting && k < 3; k++) {
        window(&empty, 0, &d);
        for (i = 0; i < BENCH_COUNTERS; i++)
            if (k == 0 || (&d.hypercalls)[i] < (&overhead.hypercalls)[i])
                (&overhead.hypercalls)[i] = (&d.hypercalls)[i];
    }
    pv_ops.cpu.irq_restore(flags);
}

long bench_user_report(const struct bench_report *r)
{
    struct bench_report copy = *r;

    copy.name[sizeof(copy.name) - 1] = copy.why[sizeof(copy.why) - 1] = 0;
    if (!next_user_op || next_user_op >= ops + NR_OPS || next_user_op->loop ||
        strcmp(copy.name, next_user_op->name) || copy.kind > BENCH_ERROR)
        return -EINVAL;
    next_user_op++;
    print_line(&copy);
    return 0;
}

/* The user operations from op on: the program bench reports each (bench_user_report);
 * returns the first operation after them. */
static const struct op *run_user_ops(const struct op *op)
{
    int pid, status = 0;

    next_user_op = op;
    pid = proc_spawn("bench");
    if (pid < 0 || task_wait(pid, &status) != pid)
        status = pid < 0 ? pid : -1;
    for (; next_user_op < ops + NR_OPS && !next_user_op->loop; next_user_op++) {
        char why[64];

        snprintf(why, sizeof(why), "not reported (the program bench ended with status %d)",
                 status);
        print_why(next_user_op->name, BENCH_ERROR, why);
    }
    if (status)
        print_why("bench", BENCH_ERROR, "the program bench did not exit 0");
    op = next_user_op;
    next_user_op = NULL;
    return op;
}

void bench_run(void)
{
    const struct op *op = ops;

    exit_reports = false;               /* spawn_exit would print each nop */
    printk("BENCH-CLOCK khz=%lu\n", (unsigned long)pv_ops.time.tsc_khz());
    calibrate();
    while (op < ops + NR_OPS) {
        if (!op->loop) {
            op = run_user_ops(op);
            continue;
        }
        run_kernel_op(op);
        op++;
    }
    printk("BENCH-DONE ops=%u backend=%s\n", lines, pv_ops.name);
    pv_ops.cpu.power_off(errors ? 1 : 0);
}
