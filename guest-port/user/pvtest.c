/*
 * pvtest: the user-mode half of the pv_ops self-test (init=pvtest, guest-port/pvtest.c).
 * It checks, from where they take effect, what the kernel's members did for it: that it
 * was entered in ring 3 on its stack with events on (enter_user), that a bare syscall
 * keeps the registers it must (syscall_init), that PVTEST_OP_SYSRET comes back through
 * cpu.sysret and an int3 through cpu.iret with what the kernel put in the frame, that
 * entries land where load_kernel_stack said, that %fs and %gs read through the bases
 * set for it, and that a user L4 given with write_user_cr3 is the one it runs on. Each
 * check is reported at once (PVTEST_OP_RESULT), so a fault that kills the program
 * leaves the checks after it "not reached". Exits 0.
 */
#include "ulib.h"

#define USER_STACK_TOP  ((1UL << 39) + (1UL << 30))     /* include/mm.h */
#define STACK_BYTES     (4UL * 4096)

static long pvtest(long op, long arg)
{
    long rc;

    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "a"((long)SYS_pvtest), "D"(op), "S"(arg)
                     : "rcx", "r11", "rdx", "memory");
    return rc;
}

static void report(unsigned int check, bool ok)
{
    pvtest(PVTEST_OP_RESULT, (long)(check | (ok ? 0 : PVTEST_FAILED)));
}

static bool in_ring3(void)
{
    unsigned long cs;

    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return (cs & 3) == 3;
}

static bool on_user_stack(void)
{
    unsigned long sp;

    __asm__ volatile("mov %%rsp, %0" : "=r"(sp));
    return sp < USER_STACK_TOP && sp >= USER_STACK_TOP - STACK_BYTES;
}

/* getpid by a bare syscall: RAX the pid; every register but RCX and R11 kept. */
static bool syscall_keeps_registers(void)
{
    register unsigned long r8 __asm__("r8") = 0x0808080808080808UL;
    register unsigned long r9 __asm__("r9") = 0x0909090909090909UL;
    register unsigned long r10 __asm__("r10") = 0x1010101010101010UL;
    register unsigned long r12 __asm__("r12") = 0x1212121212121212UL;
    register unsigned long r13 __asm__("r13") = 0x1313131313131313UL;
    register unsigned long r14 __asm__("r14") = 0x1414141414141414UL;
    register unsigned long r15 __asm__("r15") = 0x1515151515151515UL;
    unsigned long rax = SYS_getpid, rbx = 0x0b0b0b0b0b0b0b0bUL, rdi = 0x0d0d0d0d0d0d0d0dUL;
    unsigned long rsi = 0x0e0e0e0e0e0e0e0eUL, rdx = 0x0a0a0a0a0a0a0a0aUL;

    __asm__ volatile("syscall"
                     : "+a"(rax), "+b"(rbx), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r8),
                       "+r"(r9), "+r"(r10), "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
                     : : "rcx", "r11", "memory");
    return rax == (unsigned long)getpid() && rbx == 0x0b0b0b0b0b0b0b0bUL &&
           rdi == 0x0d0d0d0d0d0d0d0dUL && rsi == 0x0e0e0e0e0e0e0e0eUL &&
           rdx == 0x0a0a0a0a0a0a0a0aUL && r8 == 0x0808080808080808UL &&
           r9 == 0x0909090909090909UL && r10 == 0x1010101010101010UL &&
           r12 == 0x1212121212121212UL && r13 == 0x1313131313131313UL &&
           r14 == 0x1414141414141414UL && r15 == 0x1515151515151515UL;
}

/* PVTEST_OP_SYSRET: ~arg back in RAX, the stack pointer as it was. */
static bool sysret_returns(void)
{
    unsigned long rax = SYS_pvtest, rdi = PVTEST_OP_SYSRET, rsi = 0x5a5a00005a5aUL, sp0, sp1;

    __asm__ volatile("mov %%rsp, %[sp0]\n\t"
                     "syscall\n\t"
                     "mov %%rsp, %[sp1]"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)
                     : : "rcx", "r11", "rdx", "memory");
    return rax == ~0x5a5a00005a5aUL && sp0 == sp1;
}

/* int3 with RDX naming where to resume (the kernel sets RIP to it, RAX to the magic). */
static bool int3_comes_back(void)
{
    unsigned long rax = 0, rbx = 0x5eed5eedUL;

    __asm__ volatile("leaq 1f(%%rip), %%rdx\n\t"
                     "int3\n\t"
                     "xorl %%eax, %%eax\n"
                     "1:"
                     : "+a"(rax), "+b"(rbx) : : "rdx", "memory");
    return rax == PVTEST_IRET_MAGIC && rbx == 0x5eed5eedUL;
}

static volatile unsigned long fs_target = 0xf5f5f5f5000000f5UL;
static volatile unsigned long gs_target = 0x6565656500000065UL;

static unsigned long read_fs0(void)
{
    unsigned long v;

    __asm__ volatile("movq %%fs:0, %0" : "=r"(v) : : "memory");
    return v;
}

static unsigned long read_gs0(void)
{
    unsigned long v;

    __asm__ volatile("movq %%gs:0, %0" : "=r"(v) : : "memory");
    return v;
}

/* Spin in user mode (no system call inside a round) until an event has come. */
static bool events_come(void)
{
    long start = pvtest(PVTEST_OP_USER_EVENTS, 0);
    volatile unsigned long spin;
    unsigned int round;

    for (round = 0; round < 2000; round++) {
        for (spin = 0; spin < 50000; spin++)
            ;
        if (pvtest(PVTEST_OP_USER_EVENTS, 0) != start)
            return true;
    }
    return false;
}

/* The first touch of a fresh heap page faults; the kernel maps it and returns. */
static bool heap_fault_returns(void)
{
    volatile unsigned long *heap = brk(0);

    if (brk((void *)(heap + 512)) != (void *)(heap + 512))
        return false;
    heap[1] = 0x4ea9;
    return heap[1] == 0x4ea9 && heap[0] == 0;
}

int main(void)
{
    long mark;
    bool ok;

    report(PVTEST_CHECK_RING3, in_ring3());
    report(PVTEST_CHECK_STACK, on_user_stack());
    report(PVTEST_CHECK_SYSCALL, syscall_keeps_registers());
    report(PVTEST_CHECK_SYSRET, sysret_returns());
    report(PVTEST_CHECK_IRET, int3_comes_back());
    pvtest(PVTEST_OP_KSTACK_MOVE, 0);
    ok = int3_comes_back();
    report(PVTEST_CHECK_KSTACK, pvtest(PVTEST_OP_KSTACK_CHECK, 0) == 0 && ok);
    pvtest(PVTEST_OP_SET_FS, (long)&fs_target);
    report(PVTEST_CHECK_FS, read_fs0() == fs_target);
    report(PVTEST_CHECK_EVENTS, events_come());
    report(PVTEST_CHECK_HEAP, heap_fault_returns());
    /* the two that fault (and end the program) when they fail, last */
    pvtest(PVTEST_OP_SET_GS, (long)&gs_target);
    report(PVTEST_CHECK_GS, read_gs0() == gs_target);
    mark = pvtest(PVTEST_OP_USER_L4, (long)PVTEST_USER_L4_VA);
    ok = mark == 0 || (mark > 0 && *(volatile long *)PVTEST_USER_L4_VA == mark);
    pvtest(PVTEST_OP_USER_L4_END, 0);
    report(PVTEST_CHECK_USER_L4, ok);
    return 0;
}
