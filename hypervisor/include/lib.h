/*
 * The hypervisor's small C library: memory and string helpers, formatted printing
 * into a buffer, and the assertion macros. No libc exists here.
 */
#ifndef HV_LIB_H
#define HV_LIB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strstr(const char *h, const char *n);
size_t strlcpy(char *d, const char *s, size_t size);
unsigned long strtoul(const char *s, const char **end, int base);

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((__typeof__(x))(a) - 1))
#define unlikely(x) __builtin_expect(!!(x), 0)

/* A hypervisor bug, never a guest's doing: guest-reachable paths use domain_crash(). */
void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
#define BUG_ON(c) do { if (unlikely(c)) panic("BUG at %s:%d: %s", __FILE__, __LINE__, #c); } while (0)

#endif
