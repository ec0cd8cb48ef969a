/*
 * Domains and virtual CPUs: what the hypervisor keeps per guest. A running vCPU's
 * guest registers live in the frame at the top of the CPU's stack; a vCPU that is not
 * running keeps them, with its segment bases and FPU state, in struct vcpu (saved and
 * loaded by core/context.c when the scheduler switches). Domains live in a fixed table
 * of MAX_DOMAINS slots.
 */
#ifndef HV_DOMAIN_H
#define HV_DOMAIN_H

#include <stdint.h>
#include <stdbool.h>
#include "xen-public.h"
#include "parapet-abi.h"
#include "cpu.h"
#include "mm/page_type.h"
#include "event/evtchn.h"
#include "grant/grant_table.h"
#include "time/pvclock.h"

#define MAX_VCPUS 1
#define MAX_DOMAINS 8              /* slots; more boot modules wait for a free one */
#define DOMU_GRANT_FRAMES 32       /* the table may grow to this many frames (xl default) */
#define DOMU_MAPTRACK_ENTRIES 1024 /* grant mappings a domain may hold */

struct guest_trap {
    uint64_t address;   /* 0 = no handler */
    uint8_t  dpl;       /* lowest privilege allowed to raise it with int n */
    bool     mask_events;
};

/* Where a vCPU is, for the scheduler (core/sched.c). */
enum vcpu_sched_state {
    VCPU_DOWN,        /* not started, or its domain ended */
    VCPU_RUNNABLE,    /* on the run queue */
    VCPU_RUNNING,     /* this CPU's current */
    VCPU_BLOCKED,     /* SCHEDOP_block or poll: off the run queue until woken */
};

struct vcpu {
    struct domain *domain;
    unsigned id;
    /* Saved while not running (core/context.c); the FXSAVE image first, 16-aligned. */
    uint8_t fpu[512] __attribute__((aligned(16)));
    struct cpu_regs regs;
    uint16_t sel_ds, sel_es, sel_fs, sel_gs;
    /* The scheduler's. */
    enum vcpu_sched_state sched_state;
    struct vcpu *run_next;            /* run-queue link */
    bool need_resched;                /* leave the CPU on the way back to the guest */
    bool polling;                     /* blocked in SCHEDOP_poll (ports below) */
    uint32_t poll_nr;
    evtchn_port_t poll_ports[128];
    struct parapet_vcpu_stats stats;  /* event counters (parapet_op, the exit summary) */
    bool kernel_mode;                 /* guest kernel (true) or guest user mode */
    uint64_t kernel_l4, user_l4;      /* MFNs; user_l4 0 = none */
    uint64_t kernel_ss, kernel_sp;    /* stack_switch */
    uint64_t gs_base_kernel, gs_base_user, fs_base;  /* while not loaded in MSRs */
    struct guest_trap traps[256];
    uint64_t event_callback, failsafe_callback, syscall_callback, syscall32_callback,
             sysenter_callback, nmi_callback;
    bool syscall_masks_events, failsafe_masks_events, syscall32_masks_events;
    struct vcpu_info *vcpu_info;      /* hypervisor view (shared_info or registered) */
    uint64_t vcpu_info_mfn;           /* registered page, or INVALID_MFN */
    bool vcpu_info_registered;
    uint64_t cr2;                     /* virtual CR2 */
    uint64_t tss_base;                /* trap guests: the TSS their ltr named (0: none) */
    uint64_t trap_star, trap_sfmask;  /* trap guests: their STAR and SFMASK MSRs */
    bool fpu_ts;                      /* virtual CR0.TS */
    uint8_t iopl;                     /* virtual IOPL (PHYSDEVOP_set_iopl) */
    uint64_t debugreg[8];             /* DR0-3, DR6, DR7 (core/hc_debugreg.c); 4, 5 unused */
    uint64_t gdt_frames[14];
    unsigned gdt_nr_frames, gdt_entries;
    uint64_t ldt_base, ldt_entries;
    uint64_t runstate_area;           /* guest VA, 0 = none */
    struct vcpu_runstate_info runstate;
    struct pvclock_timer singleshot;  /* set_timer_op and VCPUOP_set_singleshot_timer */
    struct pvclock_periodic periodic; /* VCPUOP_set_periodic_timer (10 ms at start) */
    struct pvclock_timer poll_timeout;/* SCHEDOP_poll's timeout, while polling */
};

/* FREE: an unused slot. RUNNING: built and alive. DYING: ended; its memory is being
 * (or waiting to be) released; back to FREE when nothing of it is left. */
enum domain_state { DOM_FREE, DOM_RUNNING, DOM_DYING };

struct domain {
    domid_t id;
    char name[32];
    enum domain_state state;
    bool control;                     /* the privileged control domain (domain 0) */
    bool trap;                        /* trap-and-emulate guest (emul/trap.c) */
    bool crashed;                     /* ended by domain_crash(), not by shutdown */
    unsigned module;                  /* the boot module it was built from */
    unsigned shutdown_reason;         /* SHUTDOWN_* */
    char crash_reason[160];
    uint64_t nr_pages, max_pages;
    uint64_t first_mfn;               /* memory is one contiguous run for now */
    uint64_t *p2m;                    /* hypervisor view of the guest's p2m list */
    struct shared_info *shared_info;
    uint64_t shared_info_mfn;
    uint64_t start_info_va;
    uint64_t store_mfn;               /* the xenstore ring (0 for the control domain) */
    evtchn_port_t store_port;         /* its port, unbound for domain 0 until xenstored binds */
    uint64_t vm_assist;
    char cmdline[1024];
    char console_line[256];           /* console_io text up to the next newline */
    unsigned console_len;
    uint64_t enosys_logged[4];        /* bitmap of hypercall numbers already logged */
    uint64_t enosys_subop_logged[64]; /* (hypercall, sub-op) pairs already logged */
    struct { uint16_t nr; int16_t subop; } enosys_seen[16];   /* for the end line; -1 */
    unsigned enosys_count;            /* how many were refused (may exceed the list) */
    uint64_t audit_calls;             /* table-changing hypercalls seen by the auditor */
    bool audit_skipped_said;          /* "too big to audit" said once */
    struct vcpu vcpus[MAX_VCPUS];
    struct evtchn_domain evtchn;      /* 2-level event channels (event/evtchn.c) */
    struct gnttab_domain gnttab;      /* grant table v1 (grant/grant_table.c) */
    struct gnttab_active gnttab_active[DOMU_GRANT_FRAMES * GNTTAB_ENTRIES_PER_FRAME];
    struct gnttab_maptrack gnttab_maptrack[DOMU_MAPTRACK_ENTRIES];
};

/* Grant-table operations on the domains that exist (core/hc_grant.c): grant_env finds
 * live domains only (new pins), grant_env_release also ended ones whose frames others
 * still map (unmap, teardown). */
extern const struct gnttab_env grant_env, grant_env_release;

static inline struct domain *current_domain(void) { return current_vcpu()->domain; }

/* Kill the current domain for a reason a person can read, release it, run another
 * vCPU. Never returns. This is how the hypervisor answers a guest it cannot trust to
 * continue; it is never a host panic. */
void domain_crash(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
/* SCHEDOP_shutdown: stop the current domain with a Xen shutdown reason. */
void domain_shutdown(unsigned reason) __attribute__((noreturn));
/* The live domain with this id, or NULL (none, or already ending). */
struct domain *domain_by_id(domid_t id);
/* The same, or an ended one still waiting for other domains to unmap its frames. */
struct domain *domain_by_id_any(domid_t id);
/* Free what ended domains still held once nothing maps it any more (after unmaps). */
void domains_reap(void);
/* Every domain slot, for walks over the live ones (domain_is_live). */
extern struct domain domain_table[MAX_DOMAINS];
static inline bool domain_is_live(const struct domain *d) { return d->state == DOM_RUNNING; }
/* Event-channel lookups of the domains that exist (one runs at a time). */
extern const struct evtchn_env domain_evtchn_env;

/* Build the domains of the boot modules and run them; never returns. */
void domains_start(void) __attribute__((noreturn));

/* The builder (domain/builder.c): make d runnable from a PV kernel image. */
/* The initial ramdisk handed to a domain (NULL/0: none). */
struct domain_initrd {
    const void *data;
    uint64_t size;
};
int domain_build(struct domain *d, const void *image, uint64_t size, const char *cmdline,
                 const struct domain_initrd *initrd, const char **why);
/* Drop every reference d holds, free its frames; returns how many frames are still
 * held by other domains' grant mappings (freed later by domain_free_frames). */
uint64_t domain_release_memory(struct domain *d);
/* Free d's frames that nothing references any more; returns how many remain. */
uint64_t domain_free_frames(struct domain *d);

/* "set_debugreg, physdev_op/12, ..." : what d was refused with -ENOSYS (core/dispatch.c). */
void domain_enosys_summary(struct domain *d, char *buf, size_t len);

/* Switch the running vCPU between guest kernel and guest user mode: page tables and
 * the two GS bases. */
void toggle_guest_mode(struct vcpu *v);
void vcpu_load_cr3(struct vcpu *v);

/* vcpu_info helpers. */
static inline uint8_t *upcall_mask(struct vcpu *v) { return &v->vcpu_info->evtchn_upcall_mask; }

#endif
