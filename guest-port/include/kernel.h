/*
 * What every file of guest-port includes: pvops (the only way the kernel touches the
 * machine), the freestanding string and printf code shared with tests/lib (lib.h:
 * memset, memcpy, strcmp, vsnprintf, and the printk/panic prototypes implemented in
 * printk.c), and the kernel's boot record.
 */
#ifndef GUEST_PORT_KERNEL_H
#define GUEST_PORT_KERNEL_H

#include "lib.h"
#include "pvops.h"
#include "uapi.h"

#define KERNEL_NAME     "guest-port"
#define TICK_NS         10000000ULL     /* the scheduler's time slice: 10 ms */

/* The boot record pvops filled in (head.S passes it to kernel_main). */
extern struct pv_boot kernel_boot;
extern char boot_stack[], boot_stack_top[];

void kernel_main(struct pv_boot *boot) __noreturn;

/* traps.c: the one C entry of every exception, event and syscall. */
void kernel_trap(struct pv_regs *regs);

/* timer.c; the self-test borrows the timer's port and one-shot timer (-1: the tick has
 * no port), may hand back another port, and has the tick set again afterwards */
void timer_init(void);
bool timer_event(unsigned int port);     /* true if port is the timer's */
extern volatile unsigned long timer_ticks;
long timer_port_in_use(void);
void timer_use_port(long port);          /* -1: none */
void timer_resume(void);

/* syscall.c */
void syscall_dispatch(struct pv_regs *regs);

/* bench.c: the benchmark (init=bench), which ends in power-off; a report of the user
 * program bench (0, or -EINVAL if it is not the operation expected next); the event of
 * its evtchn_self operation (true if port was its) */
void bench_run(void) __noreturn;
long bench_user_report(const struct bench_report *r);
bool bench_event(unsigned int port);

/* pvtest.c: the pv_ops self-test (init=pvtest), which ends in power-off; its look at
 * every entry before the kernel's own handling (true: handled, when it expected the
 * exception), at every event port (true if port was its) and its system call */
extern bool pvtest_active;
void pvtest_run(void) __noreturn;
bool pvtest_trap(struct pv_regs *regs);
bool pvtest_event(unsigned int port);
long pvtest_syscall(struct pv_regs *regs);

/* xenstored.c: the control domain's xenstore service (init=xenstored), which ends in
 * power-off once every other domain has ended; its events (true if port was its) */
void xenstored_run(void) __noreturn;
bool xenstored_event(unsigned int port);

/* main.c: the value of key=VALUE on the command line (pv_cmdline_value); the event of
 * the event-channel loopback check (true if port was its) */
bool kernel_option(const char *key, char *out, size_t outlen);
bool loopback_event(unsigned int port);

#endif
