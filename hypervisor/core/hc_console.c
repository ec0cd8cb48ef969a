/*
 * console_io: a domain's text to the serial console, one "(dN) " prefix per line, and
 * serial input back. Text is buffered to the end of a line; a domain that ends mid-line
 * has its last partial line flushed (console_flush), so nothing it printed is lost.
 * The console ring (core/console_ring.c) prints through the same line buffer
 * (console_put_text). Policy: a bad buffer pointer is -EFAULT; text already taken
 * stays printed. A read of more than INT_MAX bytes is -E2BIG (its result must fit an
 * int), as in Xen.
 */
#include "console.h"
#include "console_ring.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "lib.h"

#define CONSOLE_WRITE_MAX (64 * 1024)   /* per call, as a bound on time spent (A7) */

void console_flush(struct domain *d)
{
    if (!d->console_len)
        return;
    printk_raw("(d%u) ", d->id);
    serial_write(d->console_line, d->console_len);
    if (d->console_line[d->console_len - 1] != '\n')
        serial_putc('\n');
    d->console_len = 0;
}

/* The one line buffer of a domain: console_io and the console ring both print here. */
void console_put_text(struct domain *d, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '\r')
            continue;
        d->console_line[d->console_len++] = c;
        if (c == '\n' || d->console_len == sizeof(d->console_line))
            console_flush(d);
    }
}

static long console_write(uint64_t count, uint64_t buf)
{
    struct domain *d = current_domain();
    char chunk[128];
    if (count > CONSOLE_WRITE_MAX)
        return -EINVAL;
    for (uint64_t done = 0; done < count;) {
        size_t n = MIN(sizeof(chunk), count - done);
        if (copy_from_guest(chunk, buf + done, n))
            return -EFAULT;
        console_put_text(d, chunk, n);
        done += n;
    }
    return 0;
}

static long console_read(uint64_t count, uint64_t buf)
{
    long n = 0;
    int c;
    if (count > INT32_MAX)
        return -E2BIG;        /* as Xen: the byte count must fit the int result */
    while ((uint64_t)n < count && (c = serial_getc_nonblock()) >= 0) {
        char ch = (char)c;
        if (copy_to_guest(buf + (uint64_t)n, &ch, 1))
            return -EFAULT;
        n++;
    }
    return n;
}

typedef long console_fn(uint64_t count, uint64_t buf);
#define SUBOP(name, value, status, test) [value] = SUBOP_FN_##status(console_, name),
static console_fn *const console_ops[] = {
#include "subops/console_io.def"
};
#undef SUBOP

long hc_console_io(uint64_t cmd, uint64_t count, uint64_t buf, uint64_t a4, uint64_t a5)
{
    console_fn *fn = SUBOP_TABLE_LOOKUP(console_ops, cmd);
    if (!fn)
        return hc_enosys_subop("console_io", __HYPERVISOR_console_io, cmd);
    return fn(count, buf);
}
