/*
 * kernel_main(): guest-port from its first C line to power-off, the same whichever way
 * it booted and whichever pv_ops backend runs it. Entry tables, memory, tasks, the tick,
 * checks of the event channels and the grant table where there are some and of
 * preemption (two kernel threads that never yield must both run), then the init program
 * (init=, default "init"); its exit status is the machine's. init=bench runs the
 * benchmark instead (bench.c), init=pvtest the pv_ops self-test (pvtest.c), each around
 * the user program of that name, and init=xenstored the control domain's xenstore
 * service (xenstored.c).
 */
#include "sched.h"

struct pv_boot kernel_boot;

bool kernel_option(const char *key, char *out, size_t outlen)
{
    return pv_cmdline_value(kernel_boot.cmdline, key, out, outlen);
}

static const char *entry_name(enum pv_entry e)
{
    return e == PV_ENTRY_XEN ? "Xen PV" : "multiboot";
}

static void announce(const struct pv_boot *b)
{
    const char *empty;

    printk("%s: booted through the %s entry, pvops=%s, %lu MiB (%lu MiB given)\n",
           KERNEL_NAME, entry_name(b->entry), b->backend, b->nr_pages >> 8,
           b->mem_pages >> 8);
    if (b->requested[0] && strcmp(b->requested, b->backend))
        printk("%s: pvops=%s cannot run after the %s entry: %s instead\n", KERNEL_NAME,
               b->requested, entry_name(b->entry), b->backend);
    printk("%s: command line \"%s\"\n", KERNEL_NAME, b->cmdline);
    if (pvops_has_empty_member(&pv_ops, &empty))
        panic("pv_ops.%s is empty in the %s backend", empty, pv_ops.name);
}

/* A page granted to domain 0 read-only and the grant ended: the table works. */
static void grant_check(void)
{
    long entries = pv_ops.grant.init(), ref, rc;
    unsigned long pfn;

    if (entries < 0) {
        printk("grant: no grant table here (%ld)\n", entries);
        return;
    }
    pfn = frame_alloc();
    ref = pv_ops.grant.grant_access(0, pfn, true);
    rc = ref < 0 ? ref : pv_ops.grant.end_access((unsigned long)ref);
    frame_free(pfn);
    printk("grant: %ld entries; ref %ld granted to domain 0 and revoked (%ld)\n", entries, ref,
           rc);
}

/* An event channel to ourselves: an unbound port, a second one bound to it, a send on
 * the second raises the first. */
static volatile long loopback_port = -1;
static volatile bool loopback_seen;

bool loopback_event(unsigned int port)
{
    if ((long)port != loopback_port)
        return false;
    loopback_seen = true;
    return true;
}

static void evtchn_check(void)
{
    long a = pv_ops.evtchn.alloc_unbound(PV_DOMID_SELF), b, rc;
    uint64_t deadline;

    if (a < 0) {
        printk("evtchn: no event channels between domains here (%ld)\n", a);
        return;
    }
    b = pv_ops.evtchn.bind_interdomain(PV_DOMID_SELF, (unsigned int)a);
    if (b < 0)
        panic("evtchn: bind_interdomain to our own port %ld: %ld", a, b);
    loopback_port = a;
    pv_ops.evtchn.unmask((unsigned int)a);
    rc = pv_ops.evtchn.send((unsigned int)b);
    deadline = pv_ops.time.now_ns() + 100 * TICK_NS;
    while (!loopback_seen && rc == 0 && pv_ops.time.now_ns() < deadline)
        yield();
    if (!loopback_seen)
        panic("evtchn: a send on port %ld (rc %ld) never raised port %ld", b, rc, a);
    pv_ops.evtchn.close((unsigned int)b);
    pv_ops.evtchn.close((unsigned int)a);
    loopback_port = -1;
    printk("evtchn: a send on port %ld raised port %ld\n", b, a);
}

/* Two kernel threads that never yield: each spins until the other has run and three
 * ticks have passed. Without preemption the first would spin for ever. */
static volatile unsigned long spins[2];

static void spinner(void *arg)
{
    unsigned long me = (unsigned long)arg;
    uint64_t until = pv_ops.time.now_ns() + 3 * TICK_NS;

    while (!spins[1 - me] || pv_ops.time.now_ns() < until)
        spins[me]++;
}

static void preemption_check(void)
{
    struct task *a = kthread_create("spin-a", spinner, (void *)0UL);
    struct task *b = kthread_create("spin-b", spinner, (void *)1UL);
    int pa, pb;

    if (!a || !b)
        panic("no task for the preemption check");
    pa = a->pid;
    pb = b->pid;
    task_wait(pa, NULL);
    task_wait(pb, NULL);
    printk("sched: two kernel threads that never yield both ran (%lu and %lu loops, "
           "%lu ticks so far)\n", spins[0], spins[1], timer_ticks);
}

void kernel_main(struct pv_boot *b)
{
    char init[16] = "init";
    int pid, status;

    pv_ops.console.init();
    announce(b);
    pv_ops.cpu.load_gdt();
    pv_ops.cpu.load_idt(kernel_trap);
    pv_ops.cpu.syscall_init();

    pt_init(b);
    printk("mm: direct map of %lu MiB, own L4 at pfn %lx, %lu frames free\n",
           b->nr_pages >> 8, kernel_mm.pgd, frames_free_count());
    sched_init();
    timer_init();
    pv_ops.cpu.irq_enable();
    printk("time: %lu s since 1970 by the wall clock, %lu ms since boot\n",
           (unsigned long)pv_ops.time.wallclock(),
           (unsigned long)(pv_ops.time.now_ns() / 1000000));
    evtchn_check();
    grant_check();
    preemption_check();

    kernel_option("init", init, sizeof(init));
    if (!strcmp(init, "bench"))
        bench_run();
    if (!strcmp(init, "pvtest"))
        pvtest_run();
    if (!strcmp(init, "xenstored"))
        xenstored_run();
    pid = proc_spawn(init);
    if (pid < 0)
        panic("cannot start init program \"%s\": %d", init, pid);
    printk("%s: started %s as pid %d\n", KERNEL_NAME, init, pid);
    if (task_wait(pid, &status) != pid)
        panic("lost init");
    printk("%s: init exited with status %d after %lu ticks; powering off\n", KERNEL_NAME,
           status, timer_ticks);
    pv_ops.cpu.power_off(status >= 0 && status < 125 ? status : 3);
}
