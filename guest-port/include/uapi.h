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
/* The pv_ops self-test (init=pvtest, docs/pvops.md "How each member is tested"): the
 * program pvtest asks the kernel to use one member for it, or reports a check. -ENOSYS
 * outside init=pvtest. */
#define SYS_pvtest        11  /* (op, arg) -> what the op says, -EINVAL: no such op */

#define PVTEST_OP_RESULT        1   /* arg: check | PVTEST_FAILED when it failed -> 0 */
#define PVTEST_OP_SET_FS        2   /* arg: the FS base (cpu.set_fs_base) -> 0 */
#define PVTEST_OP_SET_GS        3   /* arg: the user's GS base (cpu.set_gs_base) -> 0 */
#define PVTEST_OP_SYSRET        4   /* -> ~arg, returned through cpu.sysret itself */
#define PVTEST_OP_KSTACK_MOVE   5   /* entries from user mode land 8 KiB lower from now on
                                       (cpu.load_kernel_stack) -> 0 */
#define PVTEST_OP_KSTACK_CHECK  6   /* -> 0 if this entry and the last int3 landed there;
                                       the stack is put back either way */
#define PVTEST_OP_USER_EVENTS   7   /* -> events taken while in user mode so far */
#define PVTEST_OP_USER_L4       8   /* arg: a VA in L4 slot 2: a user L4 that maps it too is
                                       loaded (mmu.write_user_cr3) -> the word there, or 0
                                       where user mode runs on the kernel's L4 (native) */
#define PVTEST_OP_USER_L4_END   9   /* the process's own user L4 back -> 0 */

/* The checks of the program pvtest, in the order it makes them. */
#define PVTEST_CHECK_RING3      0   /* %cs has RPL 3 at main */
#define PVTEST_CHECK_STACK      1   /* RSP is in the user stack below USER_STACK_TOP */
#define PVTEST_CHECK_SYSCALL    2   /* getpid by a bare syscall; all but RCX, R11 kept */
#define PVTEST_CHECK_SYSRET     3   /* PVTEST_OP_SYSRET gives ~arg, RSP and RIP kept */
#define PVTEST_CHECK_IRET       4   /* int3 comes back with the RAX and RIP the kernel set */
#define PVTEST_CHECK_KSTACK     5   /* PVTEST_OP_KSTACK_CHECK said 0 */
#define PVTEST_CHECK_FS         6   /* %fs:0 reads the word whose address was set */
#define PVTEST_CHECK_EVENTS     7   /* an event arrived while the program ran in user mode */
#define PVTEST_CHECK_HEAP       8   /* a first touch of a heap page faults and comes back */
#define PVTEST_CHECK_GS         9   /* %gs:0 reads the word whose address was set */
#define PVTEST_CHECK_USER_L4    10  /* the word PVTEST_OP_USER_L4 named is mapped */
#define PVTEST_CHECKS           11
#define PVTEST_FAILED           0x100
#define PVTEST_IRET_MAGIC       0x1e7c0de5a11ed0ffUL   /* RAX after a pvtest int3 */
#define PVTEST_USER_L4_VA       (2UL << 39)             /* L4 slot 2, outside the process */

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
