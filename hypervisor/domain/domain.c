/*
 * Domain lifecycle: the boot modules run as domains d1, d2, ... one after another
 * (concurrent domains arrive with issue #3). A domain ends by SCHEDOP_shutdown or by
 * domain_crash(); either way its memory is released (with a reference-count leak check)
 * and the next one starts on a fresh stack. After the last, the machine exits with the
 * first abnormal shutdown reason, or 0 when every domain powered off.
 */
#include "boot.h"
#include "console.h"
#include "console_ring.h"
#include "domain.h"
#include "lib.h"
#include "mm.h"
#include "shutdown.h"
#include "timer.h"
#include "x86.h"

static struct domain the_domain;     /* the running one */
static unsigned next_module;
static unsigned exit_status;
static bool exit_status_set;
static char summary[512];

static const char *reason_name(unsigned r)
{
    static const char *const names[] = { "poweroff", "reboot", "suspend", "crash",
                                         "watchdog", "soft_reset" };
    return r < ARRAY_SIZE(names) ? names[r] : "unknown";
}

static void record_end(struct domain *d, unsigned status, const char *how)
{
    size_t len = strlen(summary);
    snprintf(summary + len, sizeof(summary) - len, "%sd%u %s", len ? ", " : "", d->id, how);
    if (status && !exit_status_set) {
        exit_status = status;
        exit_status_set = true;
    }
}

/* The FPU/SSE state a domain starts with: an FXSAVE image with every register zero,
 * FCW 0x37f and MXCSR 0x1f80. fninit alone marks the x87 registers empty but leaves
 * their contents readable by FXSAVE; loading a whole image leaves nothing behind (A10). */
static uint8_t clean_fpu_image[512] __attribute__((aligned(16))) = {
    [0] = 0x7f, [1] = 0x03,      /* FCW 0x037f */
    [24] = 0x80, [25] = 0x1f,    /* MXCSR 0x1f80 */
};

static void fpu_init_for_guest(void)
{
    __asm__ volatile("clts; fxrstor %0" :: "m"(clean_fpu_image) : "memory");
}

static void run_next_domain(void) __attribute__((noreturn));
static void run_next_domain(void)
{
    struct domain *d = &the_domain;
    if (next_module == boot_info.nr_modules) {
        printk("all domains ended: %s; %lu MiB free\n", summary,
               (unsigned long)(frames_free() >> 8));
        hv_exit(exit_status);
    }

    unsigned i = next_module++;
    const struct boot_module *m = &boot_info.modules[i];
    memset(d, 0, sizeof(*d));
    d->id = (domid_t)(i + 1);
    /* The module string is "path args": the path names the domain, args are its
     * command line. */
    const char *args = m->cmdline;
    while (*args && *args != ' ')
        args++;
    size_t namelen = (size_t)(args - m->cmdline);
    namelen = MIN(namelen, sizeof(d->name) - 1);
    memcpy(d->name, m->cmdline, namelen);
    d->name[namelen] = 0;
    while (*args == ' ')
        args++;

    const char *why = NULL;
    uint64_t free_before = frames_free();
    if (domain_build(d, maddr_to_virt(m->start), m->end - m->start, args, &why)) {
        printk("d%u: cannot build domain from module %u (%s): %s\n", d->id, i, d->name, why);
        record_end(d, 3, "not built");
        reset_stack_and_call(run_next_domain);
    }
    printk("d%u: %s started, %lu MiB, %lu frames used\n", d->id, d->name,
           (unsigned long)(d->nr_pages >> 8), (unsigned long)(free_before - frames_free()));

    struct vcpu *v = &d->vcpus[0];
    this_cpu()->current = v;
    wrmsr(MSR_FS_BASE, 0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    desc_load_guest_gdt(v);
    fpu_init_for_guest();
    vcpu_load_cr3(v);
    time_domain_start(d);
    timer_reprogram(v);
    if (cmdline_has("debug_audit_corrupt")) {
        /* Plant one wrong reference count so tests/e2e/audit-catches.sh can see the
         * auditor stop the machine; never on in normal runs. */
        printk("debug_audit_corrupt: frame 0x%lx gets one reference too many\n",
               (unsigned long)d->first_mfn);
        mfn_to_page(d->first_mfn)->count++;
    }
    return_to_guest_now();
}

struct domain *domain_by_id(domid_t id)
{
    return the_domain.id == id && the_domain.state == DOM_RUNNING ? &the_domain : NULL;
}

/* Event channels may only name domains that exist. */
static struct evtchn_domain *evtchn_lookup(domid_t id)
{
    struct domain *d = domain_by_id(id);
    return d ? &d->evtchn : NULL;
}
const struct evtchn_env domain_evtchn_env = { .domain = evtchn_lookup };

static void end_domain(struct domain *d) __attribute__((noreturn));
static void end_domain(struct domain *d)
{
    timer_reprogram(NULL);
    if (d->evtchn.shared_info)
        evtchn_domain_destroy(&domain_evtchn_env, &d->evtchn);
    this_cpu()->current = NULL;
    write_cr3(virt_to_maddr(idle_l4()));
    desc_load_guest_gdt(NULL);
    domain_release_memory(d);
    reset_stack_and_call(run_next_domain);
}

/* Everything the domain printed goes out before the line that says how it ended: what
 * it left in its console ring, then its last partial line. */
static void drain_console(struct domain *d)
{
    console_ring_end(d);
    console_flush(d);
}

void domain_crash(const char *fmt, ...)
{
    struct domain *d = current_domain();
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(d->crash_reason, sizeof(d->crash_reason), fmt, ap);
    va_end(ap);
    d->state = DOM_CRASHED;
    drain_console(d);
    printk("d%u crashed: %s\n", d->id, d->crash_reason);
    record_end(d, 3, "crashed");
    end_domain(d);
}

void domain_shutdown(unsigned reason)
{
    struct domain *d = current_domain();
    d->state = DOM_SHUTDOWN;
    d->shutdown_reason = reason;
    drain_console(d);
    printk("d%u shutdown: %s (%lu hypercalls, %lu exceptions reflected)\n", d->id,
           reason_name(reason), (unsigned long)d->hypercalls, (unsigned long)d->exceptions);
    record_end(d, reason, reason_name(reason));
    end_domain(d);
}

void domains_start(void)
{
    reset_stack_and_call(run_next_domain);
}
