/*
 * Kernel console output through pv_ops.console: each printk formats into a buffer and
 * writes it in one call (a hypervisor that prefixes lines with "(d1) " sees whole
 * lines). panic() and pvops' pv_panic() print and power off with status 3 (a crash).
 */
#include "kernel.h"

#define PANIC_STATUS 3

void vprintk(const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);

    if (n > (int)sizeof(buf) - 1) {     /* cut, keeping the line ending */
        n = (int)sizeof(buf) - 1;
        buf[n - 1] = '\n';
    }
    pv_ops.console.write(buf, (size_t)n);
}

void printk(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vprintk(fmt, ap);
    va_end(ap);
}

/* One line, one console write: "PANIC: " and the message. */
void panic(const char *fmt, ...)
{
    static const char prefix[] = "PANIC: ";
    char line[400];
    va_list ap;
    int n;

    memcpy(line, prefix, sizeof(prefix) - 1);
    va_start(ap, fmt);
    n = vsnprintf(line + sizeof(prefix) - 1, sizeof(line) - sizeof(prefix), fmt, ap);
    va_end(ap);
    n += (int)sizeof(prefix) - 1;
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    pv_ops.console.write(line, (size_t)n);
    pv_ops.cpu.power_off(PANIC_STATUS);
}

void pv_panic(const char *what, long code)
{
    panic("pvops: %s failed (%ld)", what, code);
}
