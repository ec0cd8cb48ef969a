/*
 * grant_peer.h: what the two-domain grant tests (tests/xd-grant-*) do to their own grant
 * entries: check one, and revoke one the way a guest must end foreign access. Header
 * only, included after ../mm-common/grant.h and ./peer.h; not a test.
 */
#ifndef PARAPET_TEST_XD_GRANT_PEER_H
#define PARAPET_TEST_XD_GRANT_PEER_H

/* Entry ref is exactly {flags, dom, page's frame}; a failure is recorded otherwise. */
static inline bool peer_grant_entry_is(grant_ref_t ref, uint16_t flags, domid_t dom,
                                       const void *page)
{
    volatile grant_entry_v1_t *e = gent(ref);
    uint32_t frame = (uint32_t)virt_to_mfn(page);

    if (e->flags == flags && e->domid == dom && e->frame == frame)
        return true;
    test_failure("entry %u is flags 0x%x domid %u frame 0x%x, expected 0x%x %u 0x%x", ref,
                 e->flags, e->domid, e->frame, flags, dom, frame);
    return false;
}

/* End foreign access to ref: its flags to 0 with a compare-exchange once no copy or
 * mapping holds the entry (GTF_reading/GTF_writing clear), within PEER_EVENT_NS. */
static inline bool peer_revoke(grant_ref_t ref)
{
    volatile grant_entry_v1_t *e = gent(ref);
    uint64_t deadline = pvclock_now() + PEER_EVENT_NS;
    uint16_t flags;

    for (;;) {
        flags = e->flags;
        if (!(flags & (GTF_reading | GTF_writing)) &&
            __atomic_compare_exchange_n(&e->flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return true;
        if (pvclock_now() >= deadline) {
            test_failure("entry %u stays in use (flags 0x%x): cannot revoke it", ref, flags);
            return false;
        }
        peer_yield();
    }
}

#endif
