/*
 * System-call wrappers and printf for user programs. A system call is `syscall` with
 * the number in RAX and the arguments in RDI, RSI, RDX; RCX and R11 are lost.
 */
#include "ulib.h"

static long syscall3(long nr, long a1, long a2, long a3)
{
    long rc;

    __asm__ volatile("syscall"
                     : "=a"(rc)
                     : "a"(nr), "D"(a1), "S"(a2), "d"(a3)
                     : "rcx", "r11", "memory");
    return rc;
}

long write(int fd, const void *buf, size_t len)
{
    return syscall3(SYS_write, fd, (long)buf, (long)len);
}

void exit(int status)
{
    syscall3(SYS_exit, status, 0, 0);
    for (;;)
        ;
}

int spawn(const char *program)
{
    return (int)syscall3(SYS_spawn, (long)program, 0, 0);
}

int wait(int pid, int *status)
{
    return (int)syscall3(SYS_wait, pid, (long)status, 0);
}

int getpid(void)
{
    return (int)syscall3(SYS_getpid, 0, 0, 0);
}

void yield(void)
{
    syscall3(SYS_yield, 0, 0, 0);
}

unsigned long time_ns(void)
{
    return (unsigned long)syscall3(SYS_time, 0, 0, 0);
}

void *brk(void *end)
{
    return (void *)syscall3(SYS_brk, (long)end, 0, 0);
}

long bench_counters(struct bench_counters *out)
{
    return syscall3(SYS_bench_counters, (long)out, 0, 0);
}

long bench_report(const struct bench_report *r)
{
    return syscall3(SYS_bench_report, (long)r, 0, 0);
}

/* One write per call, so a line reaches the console whole. */
int printf(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    return (int)write(1, buf, (size_t)n);
}
