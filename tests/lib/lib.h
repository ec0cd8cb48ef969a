/*
 * The freestanding basics every test guest has: types, ARRAY_SIZE and friends, the
 * string functions, printk/vsnprintf, panic and the command-line accessors.
 * No hosted libc is linked: everything here is implemented in tests/lib.
 */
#ifndef PARAPET_TEST_LIB_H
#define PARAPET_TEST_LIB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a)   (sizeof(a) / sizeof((a)[0]))
#define __aligned(n)    __attribute__((aligned(n)))
#define __noreturn      __attribute__((noreturn))
#define __printf(f, a)  __attribute__((format(printf, f, a)))
#define __used          __attribute__((used))
#define barrier()       __asm__ volatile("" ::: "memory")

#define STR_(x)         #x
#define STR(x)          STR_(x)

/* string.c */
void *memset(void *s, int c, size_t n);
void *memcpy(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* printf.c: %s %c %d %i %u %x %X %p %%, l/ll/z sizes, width, '0' and '-' flags. */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) __printf(3, 0);
int snprintf(char *buf, size_t size, const char *fmt, ...) __printf(3, 4);

/* console.c: one console_io write per call (lines longer than 511 bytes are cut). */
void printk(const char *fmt, ...) __printf(1, 2);
void vprintk(const char *fmt, va_list ap) __printf(1, 0);
void console_write(const char *s, size_t len);
/* Print "PANIC: ..." and crash the domain (SHUTDOWN_crash): no result line. */
void panic(const char *fmt, ...) __printf(1, 2) __noreturn;
/* Crash the domain without printing anything more. */
void crash(void) __noreturn;

/*
 * rawcall.c: console_io write and sched_op shutdown by a bare `syscall` instead of the
 * hypercall page: what start_kernel() uses when the page was not filled in.
 */
long raw_console_write(const char *s, size_t len);
long raw_shutdown(unsigned int reason);

/*
 * cmdline.c: the guest command line (start_info->cmd_line), words separated by spaces.
 * cmdline_flag("x") is true if the word "x" is present; cmdline_get("k", ...) copies the
 * value of "k=value" and returns true; cmdline_ulong("k", d) parses it (0x for hex).
 */
const char *cmdline(void);
bool cmdline_flag(const char *word);
bool cmdline_get(const char *key, char *out, size_t outlen);
unsigned long cmdline_ulong(const char *key, unsigned long dflt);

#endif
