/*
 * The hypervisor's own fault report: a fault in ring 0 that no fixup covers is a
 * hypervisor bug. Print one block a person can act on (vector name, decoded error code,
 * CR2, registers, a backtrace symbolized with the embedded symbol table) and end QEMU
 * with EXIT_HV_FAILURE, never hang silently. panic() ends the same way.
 */
#include "console.h"
#include "cpu.h"
#include "lib.h"
#include "shutdown.h"
#include "x86.h"

extern const uint64_t symtab_count, symtab_addrs[];
extern const char *const symtab_names[];

static const char *const vector_names[32] = {
    "divide error", "debug", "NMI", "breakpoint", "overflow", "bound range",
    "invalid opcode", "device not available", "double fault", "coprocessor overrun",
    "invalid TSS", "segment not present", "stack fault", "general protection",
    "page fault", "reserved", "x87 error", "alignment check", "machine check",
    "SIMD error", "virtualization", "control protection",
};

static void symbolize(uint64_t addr, char *buf, size_t size)
{
    uint64_t lo = 0, hi = symtab_count;
    while (lo < hi) {                       /* last symbol <= addr */
        uint64_t mid = (lo + hi) / 2;
        if (symtab_addrs[mid] <= addr) lo = mid + 1; else hi = mid;
    }
    if (lo == 0)
        snprintf(buf, size, "0x%lx", (unsigned long)addr);
    else
        snprintf(buf, size, "%s+0x%lx", symtab_names[lo - 1],
                 (unsigned long)(addr - symtab_addrs[lo - 1]));
}

static void decode_error(const struct cpu_regs *r, char *buf, size_t size)
{
    if (r->vector == 14) {
        uint64_t e = r->error_code;
        snprintf(buf, size, "[%s %s %s%s%s]", e & 1 ? "protection" : "not-present",
                 e & 2 ? "write" : "read", e & 4 ? "user" : "supervisor",
                 e & 8 ? " reserved-bit" : "", e & 16 ? " fetch" : "");
    } else if (r->error_code) {
        uint64_t e = r->error_code;
        snprintf(buf, size, "[selector 0x%lx%s%s]", (unsigned long)(e & ~7ULL),
                 e & 2 ? " IDT" : (e & 4 ? " LDT" : " GDT"), e & 1 ? " external" : "");
    } else {
        snprintf(buf, size, "[none]");
    }
}

static void backtrace(uint64_t rip, uint64_t rbp)
{
    char sym[96];
    symbolize(rip, sym, sizeof(sym));
    printk_raw("  backtrace:\n    %s\n", sym);
    for (int depth = 0; depth < 16 && rbp >= 0xFFFF800000000000ULL && !(rbp & 7); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        symbolize(frame[1], sym, sizeof(sym));
        printk_raw("    %s\n", sym);
        if (frame[0] <= rbp)
            break;
        rbp = frame[0];
    }
}

void fatal_fault(struct cpu_regs *r) __attribute__((noreturn));
void fatal_fault(struct cpu_regs *r)
{
    char err[96], sym[96];
    decode_error(r, err, sizeof(err));
    symbolize(r->rip, sym, sizeof(sym));
    printk("FATAL: %s (vector %lu) in the hypervisor\n",
           r->vector < 32 && vector_names[r->vector] ? vector_names[r->vector] : "interrupt",
           (unsigned long)r->vector);
    printk_raw("  error code 0x%lx %s\n  rip %s (0x%lx)  cs 0x%lx  rflags 0x%lx\n"
               "  cr2 0x%lx  cr3 0x%lx\n",
               (unsigned long)r->error_code, err, sym, (unsigned long)r->rip,
               (unsigned long)r->cs, (unsigned long)r->rflags, (unsigned long)read_cr2(),
               (unsigned long)read_cr3());
    printk_raw("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n"
               "  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n"
               "  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n"
               "  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n",
               r->rax, r->rbx, r->rcx, r->rdx, r->rsi, r->rdi, r->rbp, r->rsp,
               r->r8, r->r9, r->r10, r->r11, r->r12, r->r13, r->r14, r->r15);
    backtrace(r->rip, r->rbp);
    hv_exit(EXIT_HV_FAILURE);
}

void panic(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("PANIC: %s\n", buf);
    uint64_t rbp;
    __asm__ volatile("mov %%rbp, %0" : "=r"(rbp));
    backtrace((uint64_t)__builtin_return_address(0), rbp);
    hv_exit(EXIT_HV_FAILURE);
}
