/*
 * multicall: a batch of hypercalls in one entry (the fast path for page-table
 * updates). Each entry runs as if issued directly and its result is written back.
 * Refused inside a batch: iret (a change of privilege mid-batch, A8) and multicall
 * itself. A batch is bounded, and when the time slice ends between two entries the
 * rest continues as a new multicall of the remaining entries (A7); the entries
 * themselves never continue (include/continuation.h).
 */
#include "continuation.h"
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"

#define MULTICALL_MAX 4096

long hc_multicall(uint64_t list, uint64_t nr, uint64_t a3, uint64_t a4, uint64_t a5)
{
    if (nr > MULTICALL_MAX)
        return -EINVAL;
    for (uint64_t i = 0; i < nr; i++) {
        struct multicall_entry e;
        uint64_t va = list + i * sizeof(e);
        if (i && hypercall_preempt_check())
            return hypercall_continue(__HYPERVISOR_multicall, va, nr - i, 0, 0, 0);
        if (copy_from_guest(&e, va, sizeof(e)))
            return -EFAULT;
        long r;
        if (e.op == __HYPERVISOR_iret || e.op == __HYPERVISOR_multicall)
            r = -EINVAL;
        else {
            hypercall_nested_enter();
            r = do_hypercall(e.op, e.args[0], e.args[1], e.args[2], e.args[3], e.args[4]);
            hypercall_nested_exit();
        }
        e.result = (xen_ulong_t)r;
        if (copy_to_guest(va + offsetof(struct multicall_entry, result), &e.result,
                          sizeof(e.result)))
            return -EFAULT;
    }
    return 0;
}
