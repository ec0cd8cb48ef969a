/*
 * Console output and the ways a guest ends: printk formats into a buffer and hands it
 * to HYPERVISOR_console_io(CONSOLEIO_write) in one call, so a hypervisor that prefixes
 * each line ("(d1) ") sees whole lines. shutdown() is SCHEDOP_shutdown; panic() prints
 * and crashes the domain without a result line, which the runner reports as CRASH.
 */
#include "guest.h"

void console_write(const char *s, size_t len)
{
    HYPERVISOR_console_io(CONSOLEIO_write, len, (unsigned long)s);
}

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n > (int)sizeof(buf) - 1) {         /* cut: keep the line ending */
        n = (int)sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    console_write(buf, (size_t)n);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

void shutdown(unsigned int reason)
{
    struct sched_shutdown sd = { .reason = reason };

    HYPERVISOR_sched_op(SCHEDOP_shutdown, (unsigned long)&sd);
    /*
     * Still running: the hypervisor ignored the shutdown. Make the next exception
     * undeliverable (empty trap table) and raise one, so the domain must be crashed.
     */
    HYPERVISOR_set_trap_table(0);
    for (;;)
        __asm__ volatile("ud2");
}

void crash(void)
{
    shutdown(SHUTDOWN_crash);
}

void panic(const char *fmt, ...)
{
    char buf[400];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printk("PANIC: %s\n", buf);
    crash();
}
