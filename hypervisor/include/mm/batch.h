/*
 * The shape mmu_update and mmuext_op share: an array of fixed-size requests in guest
 * memory, applied in order until the first failure, a bound on the count (time per
 * call, A7), the caller named only as DOMID_SELF, and the number applied reported
 * through an optional guest pointer.
 *
 * A batch longer than the time slice continues (include/continuation.h) as the same
 * hypercall with (list + done items, remaining | BATCH_PREEMPTED, pdone, foreigndom),
 * as Xen does: the count carried so far waits in *pdone, and a call with
 * BATCH_PREEMPTED set adds the value it finds there. A guest that sets the flag itself
 * only changes the count it is told (A8).
 */
#ifndef HV_MM_BATCH_H
#define HV_MM_BATCH_H

#include <stddef.h>
#include <stdint.h>

#define BATCH_ITEM_MAX 32   /* bytes: the largest request (mmuext_op is 24) */
#define BATCH_PREEMPTED (1u << 31)   /* Xen's MMU_UPDATE_PREEMPTED: in the 32-bit count */

/* Apply one request (a hypervisor copy of it); 0 or a negative errno. */
typedef long batch_item_fn(const void *item);

long run_guest_batch(unsigned hypercall, uint64_t list, uint64_t count, size_t item_size,
                     uint64_t max_count, uint64_t pdone, uint64_t foreigndom,
                     batch_item_fn *apply);

#endif
