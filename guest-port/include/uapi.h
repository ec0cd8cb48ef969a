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
#define SYS_brk      8  /* (void *end or NULL) -> the break after the call */

#define ENOENT      2
#define ECHILD      10
#define EAGAIN      11
#define ENOMEM      12
#define EFAULT      14
#define EINVAL      22
#define ENOSYS      38

#endif
