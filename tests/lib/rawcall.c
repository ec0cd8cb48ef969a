/*
 * Hypercalls issued with a bare `syscall` (HYPERCALL_RAW_SYSCALL), the way Linux
 * 6.1.121+ makes them, kept in their own file because the wrappers header picks one
 * mechanism per translation unit. start_kernel() needs them to report an unfilled
 * hypercall page; tests/hello uses them to check that both paths reach the hypervisor.
 */
#define HYPERCALL_RAW_SYSCALL
#include "hypercall-wrappers.h"
#include "lib.h"

long raw_console_write(const char *s, size_t len)
{
    return HYPERVISOR_console_io(CONSOLEIO_write, len, (unsigned long)s);
}

long raw_shutdown(unsigned int reason)
{
    struct sched_shutdown sd = { .reason = reason };

    return HYPERVISOR_sched_op(SCHEDOP_shutdown, (unsigned long)&sd);
}
