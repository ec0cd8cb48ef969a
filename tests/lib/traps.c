/*
 * The C half of exception delivery: do_exception() is where every stub of entry.S lands.
 * In order it handles the callbacks (event: the test's upcall hook, else panic; failsafe:
 * panic; syscall: the test's hook), the end of exec_user() (int $0x20 from user mode), a
 * test's own vector handler, the exception fixups of exinfo.h, and finally prints a
 * decoded crash report and crashes.
 */
#include "guest.h"
#include "exinfo.h"
#include "events.h"
#include "test.h"

#include <stddef.h>

/* entry.S pushes struct cpu_regs by hand: its layout must match frame.h exactly. */
_Static_assert(offsetof(struct cpu_regs, r15) == REGS_R15, "r15");
_Static_assert(offsetof(struct cpu_regs, r14) == REGS_R14, "r14");
_Static_assert(offsetof(struct cpu_regs, r13) == REGS_R13, "r13");
_Static_assert(offsetof(struct cpu_regs, r12) == REGS_R12, "r12");
_Static_assert(offsetof(struct cpu_regs, rbp) == REGS_RBP, "rbp");
_Static_assert(offsetof(struct cpu_regs, rbx) == REGS_RBX, "rbx");
_Static_assert(offsetof(struct cpu_regs, r10) == REGS_R10, "r10");
_Static_assert(offsetof(struct cpu_regs, r9) == REGS_R9, "r9");
_Static_assert(offsetof(struct cpu_regs, r8) == REGS_R8, "r8");
_Static_assert(offsetof(struct cpu_regs, rdi) == REGS_RDI, "rdi");
_Static_assert(offsetof(struct cpu_regs, rsi) == REGS_RSI, "rsi");
_Static_assert(offsetof(struct cpu_regs, rdx) == REGS_RDX, "rdx");
_Static_assert(offsetof(struct cpu_regs, rax) == REGS_RAX, "rax");
_Static_assert(offsetof(struct cpu_regs, r11) == REGS_R11, "r11");
_Static_assert(offsetof(struct cpu_regs, rcx) == REGS_RCX, "rcx");
_Static_assert(offsetof(struct cpu_regs, vector) == REGS_VECTOR, "vector");
_Static_assert(offsetof(struct cpu_regs, error_code) == REGS_ERROR_CODE, "error_code");
_Static_assert(offsetof(struct cpu_regs, rip) == REGS_RIP, "rip");
_Static_assert(offsetof(struct cpu_regs, cs) == REGS_CS, "cs");
_Static_assert(offsetof(struct cpu_regs, saved_upcall_mask) == REGS_CS + 4, "upcall mask");
_Static_assert(offsetof(struct cpu_regs, rflags) == REGS_RFLAGS, "rflags");
_Static_assert(offsetof(struct cpu_regs, rsp) == REGS_RSP, "rsp");
_Static_assert(offsetof(struct cpu_regs, ss) == REGS_SS, "ss");
_Static_assert(sizeof(struct cpu_regs) == REGS_SIZE, "size");
/* The stack stays 16-byte aligned across the frame (see exception_common). */
_Static_assert(REGS_SIZE % 16 == 0, "frame size keeps the stack aligned");

struct extable_entry {
    unsigned long insn;
    unsigned long fixup;
};
extern const struct extable_entry __start_extable[], __stop_extable[];
extern unsigned long exec_user_ksp;

volatile struct probe_record probe_last;
uint16_t exec_user_last_cs;
bool exec_user_via_gp;

static vector_handler_t vector_handlers[NR_VECTOR_STUBS];
static syscall_hook_t syscall_hook;
static event_upcall_hook_t event_upcall_hook;
static evtchn_handler_t evtchn_handler;
volatile unsigned long event_upcall_count;

static const char *const vector_names[32] = {
    [X86_DE] = "#DE", [X86_DB] = "#DB", [X86_NMI] = "NMI", [X86_BP] = "#BP",
    [X86_OF] = "#OF", [X86_BR] = "#BR", [X86_UD] = "#UD", [X86_NM] = "#NM",
    [X86_DF] = "#DF", [9] = "#CSO", [X86_TS] = "#TS", [X86_NP] = "#NP",
    [X86_SS] = "#SS", [X86_GP] = "#GP", [X86_PF] = "#PF", [15] = "#RSVD",
    [X86_MF] = "#MF", [X86_AC] = "#AC", [X86_MC] = "#MC", [X86_XM] = "#XM",
    [20] = "#VE", [21] = "#CP",
};
static const char *const vector_long_names[32] = {
    [X86_DE] = "divide error", [X86_DB] = "debug", [X86_NMI] = "NMI",
    [X86_BP] = "breakpoint", [X86_OF] = "overflow", [X86_BR] = "bound range",
    [X86_UD] = "invalid opcode", [X86_NM] = "device not available",
    [X86_DF] = "double fault", [X86_TS] = "invalid TSS", [X86_NP] = "segment not present",
    [X86_SS] = "stack fault", [X86_GP] = "general protection", [X86_PF] = "page fault",
    [X86_MF] = "x87 FP error", [X86_AC] = "alignment check", [X86_MC] = "machine check",
    [X86_XM] = "SIMD FP error", [20] = "virtualisation", [21] = "control protection",
};

const char *vector_mnemonic(unsigned int vec)
{
    static char other[16];

    if (vec < 32 && vector_names[vec])
        return vector_names[vec];
    snprintf(other, sizeof(other), "vec 0x%x", vec);
    return other;
}

const char *exinfo_str(exinfo_t e, char *buf, size_t len)
{
    unsigned int vec = exinfo_vector(e);

    if (!(e & EXINFO_VALID))
        snprintf(buf, len, "none");
    else if (exinfo_ec(e) || vec == X86_PF || vec == X86_GP)
        snprintf(buf, len, "%s[%04x]", vector_mnemonic(vec), exinfo_ec(e));
    else
        snprintf(buf, len, "%s", vector_mnemonic(vec));
    return buf;
}

unsigned long vector_stub_address(unsigned int vec)
{
    if (vec >= NR_VECTOR_STUBS)
        panic("no entry stub for vector 0x%x", vec);
    return (unsigned long)vector_stubs + 16UL * vec;
}

void set_vector_handler(unsigned int vec, vector_handler_t fn)
{
    if (vec >= NR_VECTOR_STUBS)
        panic("set_vector_handler: vector 0x%x has no stub", vec);
    vector_handlers[vec] = fn;
}

void set_syscall_hook(syscall_hook_t fn)
{
    syscall_hook = fn;
}

void set_event_upcall_hook(event_upcall_hook_t fn)
{
    evtchn_handler = NULL;
    event_upcall_hook = fn;
}

unsigned int evtchn_dispatch(evtchn_handler_t fn)
{
    struct vcpu_info *vi = this_vcpu_info();
    xen_ulong_t sel, words;
    unsigned int handled = 0;

    __atomic_store_n(&vi->evtchn_upcall_pending, 0, __ATOMIC_SEQ_CST);
    sel = __atomic_exchange_n(&vi->evtchn_pending_sel, 0, __ATOMIC_SEQ_CST);
    for (words = sel; words; words &= words - 1) {
        unsigned int w = (unsigned int)__builtin_ctzl(words);
        xen_ulong_t ready = shared_info->evtchn_pending[w] & ~shared_info->evtchn_mask[w];

        for (; ready; ready &= ready - 1) {
            evtchn_port_t port = w * EVTCHN_WORD_BITS + (unsigned int)__builtin_ctzl(ready);

            if (!evtchn_clear_pending(port))
                continue;               /* someone else took it */
            handled++;
            if (fn)
                fn(port);
        }
    }
    return handled;
}

static void dispatch_hook(struct cpu_regs *regs)
{
    (void)regs;
    evtchn_dispatch(evtchn_handler);
}

void set_evtchn_handler(evtchn_handler_t fn)
{
    event_upcall_hook = fn ? dispatch_hook : NULL;
    evtchn_handler = fn;
}

unsigned long read_vcpu_cr2(void)
{
    return shared_info ? shared_info->vcpu_info[0].arch.cr2 : 0;
}

/* Events after which RIP already points past the instruction (trap semantics). */
static bool is_trap_vector(unsigned int vec)
{
    return vec == X86_DB || vec == X86_BP || vec == X86_OF || vec >= 32;
}

static bool apply_fixup(struct cpu_regs *regs)
{
    unsigned int vec = (unsigned int)regs->vector;
    const struct extable_entry *e;

    for (e = __start_extable; e < __stop_extable; e++) {
        if (regs->rip == e->insn || (is_trap_vector(vec) && regs->rip == e->fixup)) {
            probe_last.info = EXINFO(vec, regs->error_code);
            probe_last.rip = regs->rip;
            probe_last.cs = regs->cs;
            probe_last.cr2 = vec == X86_PF ? read_vcpu_cr2() : 0;
            regs->rip = e->fixup;
            return true;
        }
    }
    return false;
}

static void print_pfec(uint64_t ec)
{
    printk("  page fault: cr2 %016lx (from vcpu_info), %s %s %s%s%s\n", read_vcpu_cr2(),
           ec & PFEC_P ? "protection" : "not-present",
           ec & PFEC_I ? "fetch" : ec & PFEC_W ? "write" : "read",
           ec & PFEC_U ? "user" : "kernel", ec & PFEC_RSVD ? " reserved-bit" : "",
           shared_info ? "" : " (shared_info not mapped yet: cr2 unknown)");
}

static void __noreturn crash_report(const struct cpu_regs *r, const char *why)
{
    unsigned int vec = (unsigned int)r->vector;

    printk("*** %s: %s (vector %u, %s) in %s mode\n", why, vector_mnemonic(vec), vec,
           vec < 32 && vector_long_names[vec] ? vector_long_names[vec] : "no name",
           (r->cs & 3) == 3 ? "user" : "kernel");
    printk("  error code %04lx  rip %016lx  cs %04x  rflags %08lx\n", r->error_code, r->rip,
           r->cs, r->rflags);
    printk("  rsp %016lx  ss %04lx  saved upcall mask %u\n", r->rsp, r->ss,
           r->saved_upcall_mask);
    if (vec == X86_PF)
        print_pfec(r->error_code);
    printk("  rax %016lx rbx %016lx rcx %016lx\n", r->rax, r->rbx, r->rcx);
    printk("  rdx %016lx rsi %016lx rdi %016lx\n", r->rdx, r->rsi, r->rdi);
    printk("  rbp %016lx r8  %016lx r9  %016lx\n", r->rbp, r->r8, r->r9);
    printk("  r10 %016lx r11 %016lx r12 %016lx\n", r->r10, r->r11, r->r12);
    printk("  r13 %016lx r14 %016lx r15 %016lx\n", r->r13, r->r14, r->r15);
    shutdown(SHUTDOWN_crash);
}

void do_exception(struct cpu_regs *regs)
{
    unsigned int vec = (unsigned int)regs->vector;

    switch (vec) {
    case VEC_EVENT:
        if (!event_upcall_hook)
            panic("unexpected event upcall (rip %016lx): events are masked unless a test "
                  "sets an upcall hook", regs->rip);
        event_upcall_count++;
        event_upcall_hook(regs);
        return;
    case VEC_FAILSAFE:
        panic("failsafe callback: the hypervisor could not load a data segment "
              "(rip %016lx)", regs->rip);
    case VEC_SYSCALL:
        if (!syscall_hook)
            panic("syscall from user mode with no syscall hook (rax %lx, rip %016lx)",
                  regs->rax, regs->rip);
        syscall_hook(regs);
        return;
    case VEC_RET2KERN:
        if ((regs->cs & 3) == 3 && exec_user_ksp) {
            exec_user_last_cs = regs->cs;
            exec_user_via_gp = false;
            exec_user_return(regs->rax);
        }
        break;
    case X86_GP:
        /* int $0x20 turned into #GP (see exec_user_via_gp): the return all the same. */
        if ((regs->cs & 3) == 3 && exec_user_ksp && (regs->error_code & 3) == 2 &&
            regs->rip == (unsigned long)exec_user_int) {
            exec_user_last_cs = regs->cs;
            exec_user_via_gp = true;
            exec_user_return(regs->rax);
        }
        break;
    default:
        break;
    }

    if (vec < NR_VECTOR_STUBS && vector_handlers[vec] && vector_handlers[vec](regs))
        return;
    if (apply_fixup(regs))
        return;
    crash_report(regs, "Unhandled exception");
}

void install_default_traps(void)
{
    static struct trap_info table[24];
    unsigned int vec, n = 0;
    long rc;

    for (vec = 0; vec < 20; vec++) {
        if (vec == 9 || vec == 15)      /* coprocessor overrun, reserved: never raised */
            continue;
        table[n].vector = (uint8_t)vec;
        /* DPL 3 for int3/into so they work from both modes; mask events on entry. */
        table[n].flags = (uint8_t)((vec == X86_BP || vec == X86_OF ? 3 : 0) | 4);
        table[n].cs = FLAT_KERNEL_CS;
        table[n].address = vector_stub_address(vec);
        n++;
    }
    table[n].vector = VEC_RET2KERN;     /* exec_user's way back: int $0x20 from ring 3 */
    table[n].flags = 3 | 4;
    table[n].cs = FLAT_KERNEL_CS;
    table[n].address = vector_stub_address(VEC_RET2KERN);
    n++;
    memset(&table[n], 0, sizeof(table[n]));  /* address 0 ends the table */

    rc = HYPERVISOR_set_trap_table((unsigned long)table);
    if (rc)
        panic("set_trap_table failed: %ld", rc);
}
