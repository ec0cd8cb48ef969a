/*
 * Domain lifecycle. Every boot module describes a domain (include/domain/config.h);
 * they are built at boot into the slots of domain_table, at most max_running= at once
 * (default MAX_DOMAINS), and run together under the scheduler (core/sched.c). A module
 * beyond that waits for a slot. A domain ends by SCHEDOP_shutdown or domain_crash():
 * its vCPUs leave the scheduler, its event channels close, its memory is released with
 * a reference-count leak check, waiting modules start, and the others keep running.
 * When the last domain has ended the machine exits: 0 when every domain powered off,
 * else the status of the first one (in module order) that did not.
 */
#include "boot.h"
#include "console.h"
#include "console_ring.h"
#include "context.h"
#include "domain.h"
#include "domain/config.h"
#include "lib.h"
#include "mm.h"
#include "scheduler.h"
#include "shutdown.h"
#include "timer.h"
#include "x86.h"

#define DEFAULT_DOMAIN_MIB 32

struct domain domain_table[MAX_DOMAINS];

/* How each boot module's domain ended, for the summary line, in module order. */
static struct module_end {
    bool ended;
    bool built;
    bool is_initrd;                      /* a ramdisk, not a domain: not in the summary */
    domid_t id;
    unsigned status;
    char how[24];
} module_end[MAX_BOOT_MODULES];

static unsigned next_module;

/* Tell the control domain that a domain started or ended (global VIRQ_DOM_EXC), so its
 * xenstored can introduce or release it. */
static void notify_control(void)
{
    struct domain *c = domain_by_id(0);
    struct evtchn_raised r;
    if (c && c->control && evtchn_raise_virq(&c->evtchn, 0, VIRQ_DOM_EXC, &r) == 0)
        sched_event_raised(&r);
}
static domid_t next_domid = 1;

static const char *reason_name(unsigned r)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash",
                                         "watchdog", "soft_reset" };
    return r < ARRAY_SIZE(names) ? names[r] : "unknown";
}

static void record_end(unsigned module, domid_t id, unsigned status, const char *how)
{
    struct module_end *e = &module_end[module];
    e->ended = true;
    e->built = strcmp(how, "not built") != 0;
    e->id = id;
    e->status = status;
    strlcpy(e->how, how, sizeof(e->how));
}

static void start_waiting_modules(void);

/* Slots in use (running, or ended and waiting for others to unmap its frames). */
static unsigned used_slots(void)
{
    unsigned n = 0;
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        n += d->state != DOM_FREE;
    return n;
}

static unsigned running_domains(void)
{
    unsigned n = 0;
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        n += domain_is_live(d);
    return n;
}

static struct domain *free_slot(void)
{
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        if (d->state == DOM_FREE)
            return d;
    return NULL;
}

static void __attribute__((noreturn)) exit_with_summary(void)
{
    char summary[512] = "";
    unsigned status = 0;
    bool status_set = false;
    for (unsigned i = 0; i < boot_info.nr_modules; i++) {
        const struct module_end *e = &module_end[i];
        size_t len = strlen(summary);
        if (e->is_initrd)
            continue;
        if (e->built)
            snprintf(summary + len, sizeof(summary) - len, "%sd%u %s", len ? ", " : "",
                     e->id, e->how);
        else
            snprintf(summary + len, sizeof(summary) - len, "%smodule %u not built",
                     len ? ", " : "", i);
        if (e->status && !status_set) {
            status = e->status;
            status_set = true;
        }
    }
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        if (d->state == DOM_DYING)
            printk("d%u: ended with frames that no domain left can unmap: kept out of use\n",
                   d->id);
    printk("all domains ended: %s; %lu MiB free\n", summary,
           (unsigned long)(frames_free() >> 8));
    hv_exit(status);
}

/* Is boot module i a ramdisk (dom.initrd) for the module before it? */
static bool module_is_initrd(unsigned i)
{
    struct domain_config cfg;
    const char *why;
    return i < boot_info.nr_modules &&
           domain_config_parse(boot_info.modules[i].cmdline, &cfg, &why) == 0 && cfg.initrd;
}

/* Build boot module i (with module i + 1 as its ramdisk when that one is dom.initrd)
 * into slot d and queue its vCPU; false if it could not be built (said why, recorded
 * as "not built"). */
static bool start_module(struct domain *d, unsigned i)
{
    const struct boot_module *m = &boot_info.modules[i];
    struct domain_config cfg;
    const char *why = NULL;
    memset(d, 0, sizeof(*d));
    d->module = i;
    int rc = domain_config_parse(m->cmdline, &cfg, &why);
    domid_t id = rc == 0 && cfg.control ? 0 : next_domid;
    if (rc == 0 && cfg.control && domain_by_id(0))
        rc = -1, why = "dom.control is given to more than one module";
    if (rc == 0 && cfg.initrd)
        rc = -1, why = "a dom.initrd module must follow the kernel module it belongs to";
    if (rc) {
        printk("module %u ('%s'): %s\n", i, m->cmdline, why);
        record_end(i, id, 3, "not built");
        return false;
    }
    d->id = id;
    d->control = cfg.control;
    d->trap = cfg.trap;
    strlcpy(d->name, cfg.name, sizeof(d->name));
    d->nr_pages = d->max_pages =
        (cfg.mem_mib ? cfg.mem_mib : cmdline_ulong("dom_mem", DEFAULT_DOMAIN_MIB)) << 8;

    struct domain_initrd initrd = { 0 };
    if (module_is_initrd(i + 1)) {
        const struct boot_module *rd = &boot_info.modules[i + 1];
        initrd = (struct domain_initrd){ maddr_to_virt(rd->start), rd->end - rd->start };
        module_end[i + 1].is_initrd = true;
    }
    uint64_t free_before = frames_free();
    if (domain_build(d, maddr_to_virt(m->start), m->end - m->start, cfg.args, &initrd, &why)) {
        printk("module %u (%s): cannot build the domain: %s\n", i, d->name, why);
        record_end(i, id, 3, "not built");
        memset(d, 0, sizeof(*d));
        return false;
    }
    if (id)
        next_domid++;                    /* ids go to domains that were built */
    d->state = DOM_RUNNING;
    printk("d%u: %s started%s%s, %lu MiB, %lu frames used%s\n", d->id, d->name,
           d->control ? " as the control domain" : "", d->trap ? " (trap and emulate)" : "",
           (unsigned long)(d->nr_pages >> 8), (unsigned long)(free_before - frames_free()),
           initrd.size ? ", with a ramdisk" : "");
    if (cmdline_has("debug_audit_corrupt")) {
        /* Plant one wrong reference count so tests/e2e/audit-catches.sh can see the
         * auditor stop the machine; never on in normal runs. */
        printk("debug_audit_corrupt: frame 0x%lx gets one reference too many\n",
               (unsigned long)d->first_mfn);
        mfn_to_page(d->first_mfn)->count++;
    }
    time_domain_start(d);
    for (unsigned v = 0; v < MAX_VCPUS; v++)
        sched_start_vcpu(&d->vcpus[v]);
    notify_control();
    return true;
}

/* Start waiting modules while slots and the max_running= limit allow. */
static void start_waiting_modules(void)
{
    unsigned max_running = (unsigned)cmdline_ulong("max_running", MAX_DOMAINS);
    max_running = MAX(1u, MIN(max_running, (unsigned)MAX_DOMAINS));
    while (next_module < boot_info.nr_modules && used_slots() < max_running) {
        struct domain *d = free_slot();
        if (!d)
            break;
        unsigned i = next_module++;
        if (module_is_initrd(next_module))
            next_module++;                   /* the ramdisk goes with module i */
        start_module(d, i);
    }
}

struct domain *domain_by_id(domid_t id)
{
    struct domain *d = domain_by_id_any(id);
    return d && domain_is_live(d) ? d : NULL;
}

struct domain *domain_by_id_any(domid_t id)
{
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++)
        if (d->state != DOM_FREE && d->id == id)
            return d;
    return NULL;
}

void domains_reap(void)
{
    bool freed = false;
    for (struct domain *d = domain_table; d < domain_table + MAX_DOMAINS; d++) {
        if (d->state != DOM_DYING || domain_free_frames(d))
            continue;
        printk("d%u: its last frames, mapped by other domains until now, are free\n", d->id);
        memset(d, 0, sizeof(*d));        /* DOM_FREE */
        freed = true;
    }
    if (freed)
        start_waiting_modules();
}

/* Event channels may only name domains that exist. */
static struct evtchn_domain *evtchn_lookup(domid_t id)
{
    struct domain *d = domain_by_id(id);
    return d ? &d->evtchn : NULL;
}
const struct evtchn_env domain_evtchn_env = { .domain = evtchn_lookup };

/* sched_run by a local address (the image is linked outside the code models' reach
 * for a direct function-pointer relocation). */
static void run_scheduler(void) { sched_run(); }

/* The current domain has ended: take it off the CPU, release it, let the others run. */
static void __attribute__((noreturn)) end_domain(struct domain *d, unsigned status,
                                                 const char *how)
{
    sched_stop_domain(d);
    d->state = DOM_DYING;
    timer_reprogram();
    if (d->evtchn.shared_info)
        evtchn_domain_destroy(&domain_evtchn_env, &d->evtchn);
    write_cr3(virt_to_maddr(idle_l4()));
    desc_load_guest_gdt(NULL);
    write_dr(7, 0);                      /* none of its breakpoints outlive it */
    record_end(d->module, d->id, status, how);
    uint64_t held = domain_release_memory(d);
    notify_control();
    if (held)
        printk("d%u: %lu frames are still mapped by other domains: freed when unmapped\n",
               d->id, (unsigned long)held);
    else
        memset(d, 0, sizeof(*d));        /* DOM_FREE */
    domains_reap();                      /* what d mapped of ended domains is free now */
    start_waiting_modules();
    if (!running_domains())
        exit_with_summary();
    reset_stack_and_call(run_scheduler);
}

/* Everything the domain printed goes out before the line that says how it ended: what
 * it left in its console ring, then its last partial line. */
static void drain_console(struct domain *d)
{
    console_ring_end(d);
    console_flush(d);
}

/* What the domain asked for and did not get: one line, for a user porting a kernel. */
static void report_enosys(struct domain *d)
{
    char list[256];
    if (!d->enosys_count)
        return;
    domain_enosys_summary(d, list, sizeof(list));
    printk("d%u: refused with -ENOSYS: %s\n", d->id, list);
}

static void print_cpu_time(struct domain *d, const char *prefix)
{
    struct vcpu *v = &d->vcpus[0];
    vcpu_runstate_refresh(v);
    printk("%s (%lu hypercalls, %lu exceptions reflected, %lu ms on the CPU in %lu slices)\n",
           prefix, (unsigned long)v->stats.hypercalls, (unsigned long)v->stats.exceptions,
           (unsigned long)(v->runstate.time[RUNSTATE_running] / 1000000),
           (unsigned long)v->stats.switches);
}

void domain_crash(const char *fmt, ...)
{
    struct domain *d = current_domain();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->crash_reason, sizeof(d->crash_reason), fmt, ap);
    va_end(ap);
    d->crashed = true;
    drain_console(d);
    report_enosys(d);
    printk("d%u crashed: %s\n", d->id, d->crash_reason);
    end_domain(d, 3, "crashed");
}

void domain_shutdown(unsigned reason)
{
    struct domain *d = current_domain();
    char line[48];
    d->shutdown_reason = reason;
    drain_console(d);
    report_enosys(d);
    snprintf(line, sizeof(line), "d%u shutdown: %s", d->id, reason_name(reason));
    print_cpu_time(d, line);
    end_domain(d, reason, reason_name(reason));
}

void domains_start(void)
{
    start_waiting_modules();
    if (!running_domains())
        exit_with_summary();
    reset_stack_and_call(run_scheduler);
}
