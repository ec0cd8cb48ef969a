/*
 * Error numbers returned to guests, negated. The values are Xen's (xen/errno.h), which
 * are Linux's: a guest decodes them without translation.
 */
#ifndef HV_ERRNO_H
#define HV_ERRNO_H

#define EPERM    1
#define ENOENT   2
#define ESRCH    3
#define EINTR    4
#define EIO      5
#define ENXIO    6
#define E2BIG    7
#define EBADF    9
#define EAGAIN  11
#define ENOMEM  12
#define EACCES  13
#define EFAULT  14
#define EBUSY   16
#define EEXIST  17
#define EXDEV   18
#define ENODEV  19
#define EINVAL  22
#define ENOSPC  28
#define ERANGE  34
#define ENOSYS  38
#define ETIME   62
#define EOVERFLOW 75
#define EOPNOTSUPP 95

#endif
