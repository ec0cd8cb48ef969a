/*
 * struct pv_ops: everything a small x86-64 kernel does that differs between running on
 * the bare machine and running deprivileged under a hypervisor, as one table of function
 * pointers in seven groups (cpu, mmu, time, console, evtchn, grant, hv). Three backends
 * fill it, each in exactly one function: native.c (the instructions, ring 0), xen.c (hypercalls and
 * shared-memory flags, ring 3) and trap.c (the native CPU and MMU instructions executed in
 * ring 3 for the hypervisor to trap and emulate; devices as xen). select.c picks one at
 * boot. The kernel calls only through pv_ops; docs/pvops.md says what each member does in
 * each backend.
 */
#ifndef PVOPS_H
#define PVOPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pv_boot.h"
#include "pv_p2m.h"
#include "pv_pte.h"
#include "pv_regs.h"

#define PV_NORETURN __attribute__((noreturn))

/* The event numbers the kernel needs without the Xen headers (xen/xen.h, event_channel.h). */
#define PV_VIRQ_TIMER   0           /* VIRQ_TIMER: raised by time.set_timer */
#define PV_DOMID_SELF   0x7ff0      /* DOMID_SELF */

/* The hypervisor's event counters for the calling vCPU (Parapet's parapet_op stats). */
struct pv_counters {
    uint64_t hypercalls;        /* hypercalls run, multicall entries included */
    uint64_t emulations;        /* instructions emulated after a fault */
    uint64_t exceptions;        /* exceptions reflected to the kernel */
    uint64_t upcalls;           /* event upcalls delivered */
    uint64_t switches;          /* times the vCPU was given the real CPU */
};

/* A domain as the control domain sees it (Parapet's parapet_op domain_info). */
struct pv_domain_info {
    uint16_t domid;             /* in: where to start; out: the first domain at or above */
    uint16_t flags;             /* PV_DOMF_* */
    uint32_t store_port;        /* its xenstore event channel, unbound for domain 0 */
    uint64_t store_mfn;         /* its xenstore ring (also grant reference 1) */
    uint64_t nr_pages;
    char name[32];
};
#define PV_DOMF_CONTROL 1u      /* the control domain */
#define PV_DOMF_TRAP    2u      /* a trap-and-emulate guest */
#define PV_DOMF_DYING   4u      /* ended; others still map its frames */

/* An event handler: called once per pending port (an IRQ line when native). */
typedef void (*pv_event_fn)(unsigned int port);

struct pv_cpu_ops {
    /* -- interrupt flag: RFLAGS.IF natively, the vcpu_info upcall mask on xen -- */
    void (*irq_disable)(void);
    void (*irq_enable)(void);                   /* delivers what became pending */
    unsigned long (*irq_save)(void);            /* disable, return PV_IRQ_ENABLED or 0 */
    void (*irq_restore)(unsigned long flags);
    void (*safe_halt)(void);                    /* enable and wait for an interrupt */
    /* -- instruction intercepts -- */
    void (*cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);
    uint64_t (*read_msr)(uint32_t msr);
    void (*write_msr)(uint32_t msr, uint64_t value);
    unsigned long (*read_cr0)(void);
    void (*write_cr0)(unsigned long value);
    unsigned long (*read_cr2)(void);            /* the last page fault's address */
    unsigned long (*read_cr4)(void);
    void (*write_cr4)(unsigned long value);
    void (*clts)(void);
    uint8_t (*inb)(uint16_t port);
    void (*outb)(uint16_t port, uint8_t value);
    /* -- descriptor tables, entry points, stacks, segment bases -- */
    void (*load_gdt)(void);
    void (*load_idt)(pv_trap_fn handler);       /* every vector ends in handler(regs) */
    void (*syscall_init)(void);                 /* `syscall` from user mode: handler */
    void (*load_kernel_stack)(unsigned long top); /* where user-to-kernel entries land */
    void (*set_fs_base)(unsigned long base);
    void (*set_gs_base)(unsigned long base);    /* the user's GS base */
    /* -- leaving the kernel -- */
    void (*iret)(const struct pv_regs *regs) PV_NORETURN;   /* return to any frame */
    void (*sysret)(const struct pv_regs *regs) PV_NORETURN; /* return from a syscall */
    void (*enter_user)(unsigned long rip, unsigned long rsp) PV_NORETURN;
    void (*power_off)(int status) PV_NORETURN;  /* 0: powered off, else a crash status */
};

struct pv_mmu_ops {
    /* -- entries: L1 writes may be batched in lazy mode, the others never are -- */
    void (*set_pte)(pte_t *ptep, pte_t value);
    void (*set_pmd)(pte_t *pmdp, pte_t value);
    void (*set_pud)(pte_t *pudp, pte_t value);
    void (*set_pgd)(pte_t *pgdp, pte_t value);
    /* -- address spaces (frames are pseudo-physical; 0 = none) -- */
    unsigned long (*read_cr3)(void);            /* pfn of the current kernel L4 */
    void (*write_cr3)(unsigned long pfn);
    void (*write_user_cr3)(unsigned long pfn);  /* xen: the user-mode L4 */
    void (*flush_tlb)(void);
    void (*invlpg)(unsigned long va);
    /* -- a frame becomes, or stops being, a page table of a level -- */
    void (*alloc_pt)(unsigned long pfn, int level);
    void (*release_pt)(unsigned long pfn, int level);
    void (*pin)(unsigned long pfn, int level);
    void (*unpin)(unsigned long pfn);
    /* -- lazy mode: see docs/pvops.md for the ordering rule -- */
    void (*lazy_enter)(void);
    void (*lazy_leave)(void);
};

struct pv_time_ops {
    void (*init)(void);
    uint64_t (*now_ns)(void);                   /* since boot */
    void (*set_timer)(uint64_t deadline_ns);    /* one shot: raises the VIRQ_TIMER port */
    uint64_t (*wallclock)(void);                /* seconds since 1970 */
    uint64_t (*tsc_khz)(void);                  /* the TSC rate the clock assumes */
};

struct pv_console_ops {
    void (*init)(void);
    void (*write)(const char *s, size_t len);
    long (*read)(char *buf, size_t len);        /* what is waiting, never blocks */
};

struct pv_evtchn_ops {
    void (*init)(void);
    long (*bind_virq)(unsigned int virq);       /* port, or a negative errno */
    void (*mask)(unsigned int port);
    void (*unmask)(unsigned int port);
    long (*send)(unsigned int port);
    long (*close)(unsigned int port);
    long (*alloc_unbound)(uint16_t remote_domid);
    long (*bind_interdomain)(uint16_t remote_domid, unsigned int remote_port);
    void (*dispatch)(struct pv_regs *regs, pv_event_fn fn); /* on a PV_VEC_EVENT entry */
};

struct pv_grant_ops {
    long (*init)(void);                         /* entries available, or negative errno */
    long (*grant_access)(uint16_t domid, unsigned long pfn, bool readonly);  /* ref */
    long (*end_access)(unsigned long ref);
    /* another domain's grant ref mapped at kernel address va (its L1 must exist):
     * a handle for unmap, or a negative errno */
    long (*map)(uint16_t domid, unsigned long ref, unsigned long va, bool readonly);
    long (*unmap)(unsigned long handle, unsigned long va);
};

/* The hypervisor itself: measurements (docs/bench.md), and Parapet's list of domains
 * for a control domain's xenstored (docs/xenstore.md). */
struct pv_hv_ops {
    void (*null_call)(void);                    /* the cheapest round trip into it */
    long (*counters)(struct pv_counters *out);  /* 0, or -ENOSYS: nobody counts */
    /* 0, -ESRCH past the last domain, -EPERM not the control domain, -ENOSYS not Parapet */
    long (*domain_info)(struct pv_domain_info *info);
};

struct pv_ops {
    const char *name;
    struct pv_cpu_ops cpu;
    struct pv_mmu_ops mmu;
    struct pv_time_ops time;
    struct pv_console_ops console;
    struct pv_evtchn_ops evtchn;
    struct pv_grant_ops grant;
    struct pv_hv_ops hv;
};

/* The table the kernel calls through. */
extern struct pv_ops pv_ops;

/* The three fillers (one function each, every member assigned). */
void pvops_fill_native(struct pv_ops *ops);
void pvops_fill_xen(struct pv_ops *ops);
void pvops_fill_trap(struct pv_ops *ops);

/*
 * select.c: fill pv_ops with the backend called name ("native", "xen", "trap") and set it
 * up for the entry the kernel came through. Returns 0, or -1 if there is no such backend
 * or it cannot run after that entry (xen and trap need the Xen entry).
 */
int pvops_select(const char *name, struct pv_boot *boot);
/* True when some member of ops is NULL; *where names the first one. */
bool pvops_has_empty_member(const struct pv_ops *ops, const char **where);

/* Supplied by the kernel: report a fatal error in pvops and never return. */
void pv_panic(const char *what, long code) PV_NORETURN;

#endif
