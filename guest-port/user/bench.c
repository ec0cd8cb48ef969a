/*
 * bench: the user-mode half of the benchmark (docs/bench.md), started by the kernel
 * under init=bench. Measures syscall, page_fault, spawn_exit and ctx_switch: rdtsc
 * around N iterations, the counters (SYS_bench_counters) read just outside, less their
 * own cost; each result, or what was wrong, goes to the kernel (SYS_bench_report).
 * Exits 0, or 1 if the kernel refused a report.
 */
#include "ulib.h"
#include "bench.h"

#define PAGE_SIZE           4096UL
#define SYSCALL_ITERS       2000
#define PAGE_FAULT_PAGES    512
#define SPAWN_ITERS         100

struct window {
    struct bench_counters a, b;
    uint64_t t0, t1;
};

static bool counting;
static struct bench_counters overhead;  /* what one begin/end pair counts by itself */
static int refused;

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;

    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
    return (uint64_t)hi << 32 | lo;
}

static void begin(struct window *w)
{
    if (counting)
        bench_counters(&w->a);
    w->t0 = rdtsc();
}

static void end(struct window *w)
{
    w->t1 = rdtsc();
    if (counting)
        bench_counters(&w->b);
}

static void send(struct bench_report *r)
{
    if (bench_report(r))
        refused++;
}

static void report(const char *name, unsigned long iters, const struct window *w)
{
    const uint64_t *a = &w->a.hypercalls, *b = &w->b.hypercalls, *o = &overhead.hypercalls;
    struct bench_report r;
    int i;

    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    r.kind = BENCH_MEASURED;
    r.iters = iters;
    r.ticks = w->t1 - w->t0;
    for (i = 0; i < BENCH_COUNTERS; i++)
        r.counters[i] = counting ? (int64_t)(b[i] - a[i] - o[i]) : -1;
    send(&r);
}

static void report_error(const char *name, const char *why)
{
    struct bench_report r;

    memset(&r, 0, sizeof(r));
    snprintf(r.name, sizeof(r.name), "%s", name);
    snprintf(r.why, sizeof(r.why), "%s", why);
    r.kind = BENCH_ERROR;
    send(&r);
}

/* The counters' own cost: an empty window, the least of three (a tick may land in one). */
static void calibrate(void)
{
    uint64_t *o = &overhead.hypercalls;
    struct window w;
    int i, k;

    counting = bench_counters(&w.a) == 0;
    if (!counting)
        return;
    for (k = 0; k < 3; k++) {
        begin(&w);
        end(&w);
        for (i = 0; i < BENCH_COUNTERS; i++) {
            uint64_t d = (&w.b.hypercalls)[i] - (&w.a.hypercalls)[i];

            if (k == 0 || d < o[i])
                o[i] = d;
        }
    }
}

/* getpid, each result checked by its sum. */
static void op_syscall(void)
{
    long pid = getpid(), sum = 0;
    struct window w;
    int i;

    begin(&w);
    for (i = 0; i < SYSCALL_ITERS; i++)
        sum += getpid();
    end(&w);
    if (sum != pid * SYSCALL_ITERS)
        report_error("syscall", "getpid gave another pid");
    else
        report("syscall", SYSCALL_ITERS, &w);
}

/* One write to each page of a fresh heap: every first touch is a fault the kernel
 * resolves with a zeroed page; afterwards each page holds its own mark and zeroes. */
static void op_page_fault(void)
{
    uint8_t *heap = brk(0);
    struct window w;
    unsigned long i;

    if (brk(heap + PAGE_FAULT_PAGES * PAGE_SIZE) != heap + PAGE_FAULT_PAGES * PAGE_SIZE) {
        report_error("page_fault", "brk refused the heap");
        return;
    }
    begin(&w);
    for (i = 0; i < PAGE_FAULT_PAGES; i++)
        *(volatile uint64_t *)(heap + i * PAGE_SIZE) = i + 1;
    end(&w);
    for (i = 0; i < PAGE_FAULT_PAGES; i++) {
        const volatile uint64_t *p = (const volatile uint64_t *)(heap + i * PAGE_SIZE);

        if (p[0] != i + 1 || p[1] || p[PAGE_SIZE / 8 - 1]) {
            report_error("page_fault", "a touched page does not hold what was written");
            return;
        }
    }
    report("page_fault", PAGE_FAULT_PAGES, &w);
}

/* nop started and reaped, each with status 0. */
static void op_spawn_exit(void)
{
    struct window w;
    int i, bad = 0, status, pid;

    begin(&w);
    for (i = 0; i < SPAWN_ITERS; i++) {
        pid = spawn("nop");
        bad += pid < 0 || wait(pid, &status) != pid || status != 0;
    }
    end(&w);
    if (bad)
        report_error("spawn_exit", "a spawn or a wait failed, or nop did not exit 0");
    else
        report("spawn_exit", SPAWN_ITERS, &w);
}

/* bench and yielder the only runnable tasks: each yield switches to the other, which
 * yields straight back. One iteration is one round trip, two switches. */
static void op_ctx_switch(void)
{
    struct window w;
    int i, status, pid = spawn("yielder");

    if (pid < 0) {
        report_error("ctx_switch", "cannot start yielder");
        return;
    }
    yield();                    /* its first run (entry to user mode) is not measured */
    begin(&w);
    for (i = 0; i < CTX_SWITCH_ROUNDS; i++)
        yield();
    end(&w);
    if (wait(pid, &status) != pid || status != 0)
        report_error("ctx_switch", "yielder did not exit 0");
    else
        report("ctx_switch", CTX_SWITCH_ROUNDS, &w);
}

int main(void)
{
    calibrate();
    op_syscall();
    op_page_fault();
    op_spawn_exit();
    op_ctx_switch();
    return refused ? 1 : 0;
}
