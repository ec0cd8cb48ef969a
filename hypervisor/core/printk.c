/*
 * printk: formatted hypervisor messages on the serial console, one "[parapet] " prefix
 * per call. Messages longer than the line buffer are cut, never overrun.
 */
#include "console.h"
#include "lib.h"

static void vprint(const char *prefix, const char *fmt, va_list ap)
{
    char buf[512];
    int n = vsnprintf(buf, sizeof(buf), fmt, ap);
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    if (prefix)
        serial_write(prefix, strlen(prefix));
    serial_write(buf, (size_t)n);
}

void printk(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint("[parapet] ", fmt, ap);
    va_end(ap);
}

void printk_raw(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprint(NULL, fmt, ap);
    va_end(ap);
}
