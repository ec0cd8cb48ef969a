/*
 * The guest's view of its hypervisor: start_info and shared_info, the hypercall
 * wrappers (hypercall-abi/), page-table entry bits and frame-number helpers, and the
 * trap interface of traps.c (vector handlers, the syscall hook, exec_user).
 */
#ifndef PARAPET_TEST_GUEST_H
#define PARAPET_TEST_GUEST_H

#include "lib.h"
#include "frame.h"
#include "hypercall-wrappers.h"

/* Set by start_kernel() before anything else runs. */
extern start_info_t *start_info;
/* Mapped by start_kernel() before test_main(); NULL before that. */
extern shared_info_t *shared_info;

/* Page-table entry bits (x86-64). */
#define PTE_P           0x001UL
#define PTE_RW          0x002UL
#define PTE_US          0x004UL
#define PTE_A           0x020UL
#define PTE_D           0x040UL
#define PAGE_SHIFT      12
#define PAGE_MASK       (~(unsigned long)(PAGE_SIZE - 1))

/* virt_base is 0: a bootstrap-region VA is its pseudo-physical address. */
static inline unsigned long virt_to_pfn(const void *va)
{
    return (unsigned long)va >> PAGE_SHIFT;
}
static inline unsigned long pfn_to_mfn(unsigned long pfn)
{
    return ((const unsigned long *)start_info->mfn_list)[pfn];
}
static inline unsigned long virt_to_mfn(const void *va)
{
    return pfn_to_mfn(virt_to_pfn(va));
}

/* Remap the page at va onto frame mfn with the given PTE flags (UVMF_INVLPG). */
long remap_page(void *va, unsigned long mfn, unsigned long flags);

/* ---- traps.c ------------------------------------------------------------------------- */

/* Address of the entry stub for vector vec (0 .. NR_VECTOR_STUBS-1), for trap tables. */
unsigned long vector_stub_address(unsigned int vec);

/*
 * A test's own handler for a vector, called before the exception fixups. Return true if
 * the exception was handled (the guest returns to regs->rip, possibly changed), false to
 * fall through to the fixups and the crash report. NULL removes it.
 */
typedef bool (*vector_handler_t)(struct cpu_regs *regs);
void set_vector_handler(unsigned int vec, vector_handler_t fn);

/*
 * Called for a `syscall` executed in user mode (Xen's syscall callback). It may change
 * regs (e.g. rax) before the return to user mode. Without a hook such a syscall panics.
 */
typedef void (*syscall_hook_t)(struct cpu_regs *regs);
void set_syscall_hook(syscall_hook_t fn);

/*
 * Run fn in user mode (ring 3 with RPL-3 selectors; Xen switches to the user L4) on the
 * user stack, and return its result. fn must not make hypercalls (a user-mode syscall
 * goes to the syscall hook) and so must not printk. Not reentrant.
 */
unsigned long exec_user(unsigned long (*fn)(void));
/* The CS that the int $0x20 frame ending the last exec_user() carried. */
extern uint16_t exec_user_last_cs;
/*
 * True if the last exec_user() came back through a #GP at its int $0x20 instead of the
 * trap itself. That happens on Xen under QEMU TCG < 9.0, whose #GP error code for a
 * software interrupt is vector*16+2 instead of vector*8+2, so Xen decodes the wrong
 * vector (QEMU commit "target/i386: Fix #GP error code for INT instructions").
 */
extern bool exec_user_via_gp;

/* CR2 of the last #PF, as the hypervisor wrote it in vcpu_info (0 before shared_info). */
unsigned long read_vcpu_cr2(void);

/* entry.S symbols. */
extern char vector_stubs[], entry_event[], entry_failsafe[], entry_syscall[];
extern char exec_user_int[];
extern char boot_stack_top[], kernel_stack_top[], user_stack_top[];
void exec_user_return(unsigned long result) __noreturn;

/* Called by entry.S. */
void do_exception(struct cpu_regs *regs);
/* setup.c: the C entry point, called by _start. */
void start_kernel(start_info_t *si) __noreturn;
/* Install the framework's trap table (done by start_kernel; tests may call it again). */
void install_default_traps(void);

/* Shut the domain down with a SHUTDOWN_* reason; does not return. */
void shutdown(unsigned int reason) __noreturn;

#endif
