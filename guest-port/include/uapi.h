/*
 * The system-call interface of guest-port, shared by the kernel and its user programs:
 * `syscall` with the number in RAX and arguments in RDI, RSI, RDX; the result in RAX,
 * a negative errno on failure. RCX and R11 are clobbered (the instruction's own use).
 */
#ifndef GUEST_PORT_UAPI_H
#define GUEST_PORT_UAPI_H

#define SYS_write    1  /* (int fd, const void *buf, size_t len) -> bytes; fd 1 or 2 */
#define SYS_exit     2  /* (int status) -> does not return */
#define SYS_spawn    3  /* (const char *program) -> pid of the new child */
#define SYS_wait     4  /* (int pid or -1, int *status or NULL) -> pid of a child that ended */
#define SYS_getpid   5  /* () -> pid */
#define SYS_yield    6  /* () -> 0 */
#define SYS_time     7  /* () -> nanoseconds since boot */
#define SYS_brk      8  /* (void *end or NULL) -> the break after the call; the pages
                            between the old and the new break appear at their first touch */
/* The benchmark (init=bench, docs/bench.md) */
#define SYS_bench_counters 9  /* (struct bench_counters *) -> 0, or -ENOSYS: nobody counts */
#define SYS_bench_report  10  /* (const struct bench_report *) -> 0, or -EINVAL: not the
                                 operation the kernel expects next */

#define ENOENT      2
#define ECHILD      10
#define EAGAIN      11
#define ENOMEM      12
#define EFAULT      14
#define EINVAL      22
#define ENOSYS      38

#ifndef __ASSEMBLY__
#include <stdint.h>

/* The hypervisor's event counters for the CPU we run on (parapet_op stats). */
struct bench_counters {
    uint64_t hypercalls, emulations, exceptions, upcalls, switches;
};

#define BENCH_MEASURED  0       /* iters, ticks and counters are figures */
#define BENCH_NA        1       /* why: the reason the operation does not apply */
#define BENCH_ERROR     2       /* why: the wrong result it gave */
#define BENCH_COUNTERS  5

/* One measured operation: the kernel prints it as a BENCH line. */
struct bench_report {
    char name[16];
    char why[96];
    uint32_t kind;
    uint64_t iters, ticks;      /* rdtsc difference over all iters iterations */
    int64_t counters[BENCH_COUNTERS]; /* struct bench_counters' order; -1: not counted */
};
#endif

#endif
