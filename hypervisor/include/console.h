/*
 * The hypervisor's console: the 16550 UART on COM1, and printk on top of it. Every
 * hypervisor line is prefixed "[parapet] "; guest text is written with its own prefix
 * ("(dN) ") by the console hypercall.
 */
#ifndef HV_CONSOLE_H
#define HV_CONSOLE_H

#include <stddef.h>

void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
int serial_getc_nonblock(void);   /* -1 when nothing is waiting */

void printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print without the "[parapet] " prefix (continuation of a line, reports). */
void printk_raw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
