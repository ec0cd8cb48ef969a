/*
 * run_guest_batch: the request loop of mmu_update and mmuext_op (see mm/batch.h).
 * -ESRCH unless foreigndom is DOMID_SELF (Xen's answer even for the caller's own id),
 * -EINVAL for too many requests, -EFAULT for an unreadable request or done pointer.
 */
#include "continuation.h"
#include "errno.h"
#include "guest_access.h"
#include "lib.h"
#include "mm/batch.h"
#include "xen-public.h"

long run_guest_batch(unsigned hypercall, uint64_t list, uint64_t count, size_t item_size,
                     uint64_t max_count, uint64_t pdone, uint64_t foreigndom,
                     batch_item_fn *apply)
{
    uint8_t item[BATCH_ITEM_MAX] __attribute__((aligned(8)));
    unsigned int done_before = 0;
    long rc = 0;
    uint64_t i;

    BUG_ON(item_size > sizeof(item));
    if ((uint16_t)foreigndom != DOMID_SELF)
        return -ESRCH;
    count = (uint32_t)count;                /* the ABI's count is an unsigned int */
    if (count & BATCH_PREEMPTED) {
        count &= ~(uint64_t)BATCH_PREEMPTED;
        if (pdone && copy_from_guest(&done_before, pdone, sizeof(done_before)))
            return -EFAULT;
    }
    if (count > max_count)
        return -EINVAL;
    for (i = 0; i < count; i++) {
        if (i && i % PREEMPT_CHECK_EVERY == 0 && hypercall_preempt_check()) {
            unsigned int done = done_before + (unsigned int)i;
            if (pdone && copy_to_guest(pdone, &done, sizeof(done)))
                return -EFAULT;
            return hypercall_continue(hypercall, list + i * item_size,
                                      (count - i) | BATCH_PREEMPTED, pdone, foreigndom, 0);
        }
        if (copy_from_guest(item, list + i * item_size, item_size)) {
            rc = -EFAULT;
            break;
        }
        rc = apply(item);
        if (rc)
            break;
    }
    if (pdone) {
        unsigned int done = done_before + (unsigned int)i;
        if (copy_to_guest(pdone, &done, sizeof(done)))
            return -EFAULT;
    }
    return rc;
}
