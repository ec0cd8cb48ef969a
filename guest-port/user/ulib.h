/*
 * The C library of guest-port's user programs, such as it is: one wrapper per system
 * call (uapi.h) and printf to the console; memset, strlen, vsnprintf and friends come
 * from tests/lib (lib.h), compiled again for user mode.
 */
#ifndef GUEST_PORT_ULIB_H
#define GUEST_PORT_ULIB_H

#include "lib.h"
#include "uapi.h"

long write(int fd, const void *buf, size_t len);
void exit(int status) __noreturn;
int spawn(const char *program);
int wait(int pid, int *status);
int getpid(void);
void yield(void);
unsigned long time_ns(void);
void *brk(void *end);
long bench_counters(struct bench_counters *out);
long bench_report(const struct bench_report *r);
int printf(const char *fmt, ...) __printf(1, 2);

int main(void);

#endif
