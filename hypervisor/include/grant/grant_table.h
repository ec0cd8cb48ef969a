/*
 * Grant tables v1: each domain's table of grant entries (frames the guest maps and
 * writes), the mapping side (maptrack handles, per-grant pin counts that decide
 * GTF_reading/GTF_writing) and GNTTABOP_copy's checks. Pure logic: frames, references
 * and host mappings are reached through struct gnttab_env; implemented in
 * hypervisor/grant/grant_table.c, tested by tests/unit/test_grant_table.c. Facts from
 * xen-pv-abi-checklist.md 1.9; attacks A13-A16.
 */
#ifndef HV_GRANT_GRANT_TABLE_H
#define HV_GRANT_GRANT_TABLE_H

#include <stdint.h>
#include <stdbool.h>
#include "xen-public.h"

/*
 * The rules.
 *
 *  - Entries live in frames the granting guest writes at any time. Every read of an
 *    entry is one 64-bit load into a local grant_entry_v1_t; checks look only at that
 *    copy, and GTF_reading/GTF_writing are set with a 64-bit compare-exchange of the
 *    whole entry against it, so flags, domid and frame are the ones checked at the
 *    instant the flags land (a guest flipping the entry makes the exchange fail; it is
 *    retried on the new value up to GNTTAB_CAS_TRIES times, then GNTST_general_error).
 *  - A grant (granter, ref) is "pinned" while a mapping or a copy uses it: its active
 *    entry holds the frame read when the first pin was taken, the mapping domain, and
 *    counts of read-only and writable pins (at most GNTTAB_MAX_PIN each; Xen's limit).
 *    Later pins use the pinned frame, never a re-read one. Only the domain holding the
 *    pins may add more (GNTST_general_error otherwise). GTF_writing clears when the last
 *    writable pin goes, GTF_reading when the last pin goes; only those two bits are
 *    ever cleared, with an atomic AND.
 *  - Each pin (mapping or copy) holds a general reference on the frame for the granter
 *    (env->get_page), plus a writable type reference (env->get_page_writable) when it is
 *    writable, so the frame stays allocated and can never become a page table or
 *    descriptor table while mapped writable. Unpinning puts exactly what was taken.
 *  - A mapping is tracked by a handle in the mapping domain's maptrack table (caller
 *    storage, a LIFO free list: the handle freed last is reused first). Unmap is
 *    all-or-nothing: the handle must be in use and host_addr must be the one it was
 *    mapped at (0 is refused: no partial unmap, A13); the host mapping is removed first
 *    (env->unmap_host, at the entry map_host reported, whatever address space the mapper
 *    runs in now) and if that fails nothing changes. A handle is freed exactly once.
 *  - Only host mappings (GNTMAP_host_map) are supported; GNTMAP_device_map gives
 *    GNTST_general_error (no IOMMU, no bus addresses). Version 1 only.
 *  - Reserved domids (DOMID_SELF where Xen wants a real id, DOMID_IO, DOMID_XEN, ...)
 *    have no grant table: GNTST_bad_domain (A16).
 *
 * Concurrency: as for event channels, the caller serialises these functions (one lock
 * per domain, both held lowest domid first when two are involved, or a big lock); only
 * the entries are shared with guests and they are accessed atomically.
 */
#define GNTTAB_ENTRIES_PER_FRAME 512u        /* 4096 / sizeof(grant_entry_v1_t) */
#define GNTTAB_MAX_FRAMES        64u         /* largest max_frames a table may have */
#define GNTTAB_MAX_PIN           128u        /* pins of one kind per grant */
#define GNTTAB_CAS_TRIES         5u          /* compare-exchange attempts per pin */
#define GNTTAB_NO_HANDLE         0xFFFFFFFFu /* end of the maptrack free list */

_Static_assert(sizeof(grant_entry_v1_t) == 8, "grant_entry_v1 is 8 bytes");
_Static_assert(offsetof(grant_entry_v1_t, flags) == 0, "flags at 0");
_Static_assert(offsetof(grant_entry_v1_t, domid) == 2, "domid at 2");
_Static_assert(offsetof(grant_entry_v1_t, frame) == 4, "frame at 4");

/* Pins of one grant of the granter (hypervisor memory; all zero when unpinned). */
struct gnttab_active {
    uint32_t frame;      /* the frame pinned by the first pin */
    domid_t  domid;      /* the domain holding the pins */
    uint8_t  ro, rw;     /* read-only and writable pins */
};
_Static_assert(sizeof(struct gnttab_active) == 8, "gnttab_active is 8 bytes");

/* One mapping made by the mapping domain (flags 0: free, 'ref' links the free list). */
struct gnttab_maptrack {
    uint32_t flags;      /* GNTMAP_* of the mapping; 0 = free handle */
    grant_ref_t ref;     /* the grant; free: the next free handle */
    domid_t  granter;
    uint16_t pad;
    uint32_t pad2;
    uint64_t host_addr;  /* as given to map (a VA, or a PTE address with contains_pte) */
    uint64_t mfn;        /* the frame mapped */
    uint64_t pte;        /* where map_host put the mapping (machine address of the entry) */
};

/* One domain's grant state: its own table (as granter) and its maptrack (as mapper).
 * Set up by gnttab_domain_init(); read-only for everyone else. */
struct gnttab_domain {
    domid_t  id;
    bool     privileged;          /* may name other domains in setup_table/query_size */
    uint32_t nr_frames;           /* current table size (>= 1), grows only */
    uint32_t max_frames;          /* <= GNTTAB_MAX_FRAMES */
    uint64_t frame_mfn[GNTTAB_MAX_FRAMES];
    uint64_t *frame_va[GNTTAB_MAX_FRAMES];   /* hypervisor view: 512 raw entries each */
    struct gnttab_active *active; /* max_frames * 512 entries, caller storage */
    uint32_t nr_active;           /* active entries with a pin */
    struct gnttab_maptrack *maptrack;        /* maptrack_max entries, caller storage */
    uint32_t maptrack_max, maptrack_used, maptrack_free;
};

/* What the logic needs from its surroundings. All hooks are mandatory except
 * entry_read. */
struct gnttab_env {
    /* The domain with this real id, or NULL. Never called with a reserved id. */
    struct gnttab_domain *(*domain)(domid_t id);
    /* A zeroed frame for gt's table: owned by gt's domain and flagged hypervisor-shared
     * (PGF_xen_shared) so the guest may map it but never type it. 0 or -ENOMEM. */
    int  (*alloc_frame)(struct gnttab_domain *gt, uint64_t *mfn, void **va);
    void (*free_frame)(struct gnttab_domain *gt, uint64_t mfn);
    /* The PV MMU's references on a granted frame, which must be owned by 'owner'
     * (get_page / get_page_type(PGT_writable) of mm/page_type.h). 0 or negative. */
    int  (*get_page)(uint64_t mfn, domid_t owner);
    void (*put_page)(uint64_t mfn);
    int  (*get_page_writable)(uint64_t mfn, domid_t owner);
    void (*put_page_writable)(uint64_t mfn);
    /* Install the mapper's host mapping of mfn at host_addr (a VA in the mapper's
     * current address space, or with GNTMAP_contains_pte the machine address of an L1
     * entry, which must be 8-byte aligned and in an L1 the mapper owns: A14), read-only
     * if GNTMAP_readonly, and say in *pte where it is (the entry's machine address).
     * The entry is marked so the PV MMU neither takes nor drops references for it (the
     * grant holds them). GNTST_okay, or a GNTST_* error with nothing changed. */
    int16_t (*map_host)(domid_t mapper, uint64_t host_addr, uint32_t flags, uint64_t mfn,
                        uint64_t *pte);
    /* Remove the mapping map_host made at *pte: the entry there must still be the
     * marked mapping of mfn of that kind (GNTST_general_error, nothing changed, if not). */
    int16_t (*unmap_host)(domid_t mapper, uint64_t pte, uint32_t flags, uint64_t mfn);
    /* Optional, for tests: called right after each read of an entry, before the
     * compare-exchange, to play a guest writing the entry at that moment. */
    void (*entry_read)(const struct gnttab_domain *granter, grant_ref_t ref);
};

/* ---- set-up and teardown --------------------------------------------------------- */

/* Make gt domain 'id' with a one-frame table (as Xen starts), at most max_frames
 * (1..GNTTAB_MAX_FRAMES); active must hold max_frames * GNTTAB_ENTRIES_PER_FRAME
 * entries and maptrack maptrack_max (>= 1) entries; both are zeroed here.
 * -EINVAL bad sizes or NULL storage, -ENOMEM no frame. */
int gnttab_domain_init(const struct gnttab_env *env, struct gnttab_domain *gt, domid_t id,
                       bool privileged, uint32_t max_frames, struct gnttab_active *active,
                       struct gnttab_maptrack *maptrack, uint32_t maptrack_max);

/* Revoke: remove every mapping gt holds of others' (or its own) grants, as unmap would
 * (host mapping removed, references put, pins dropped), whatever unmap_host answers.
 * Call before the domain's page tables are torn down. Returns how many it released. */
uint32_t gnttab_release_mappings(const struct gnttab_env *env, struct gnttab_domain *gt);

/* Does anyone (gt's own domain included) still have a grant of gt pinned? While true
 * the granter's frames hold references and gt must be kept (unmaps reach it). */
bool gnttab_in_use(const struct gnttab_domain *gt);

/* Give the table frames back (env->free_frame). Only when !gnttab_in_use(gt) and the
 * guest's own mappings of them are gone; returns -EBUSY (nothing freed) if in use. */
int gnttab_domain_free_frames(const struct gnttab_env *env, struct gnttab_domain *gt);

/* ---- GNTTABOP_* (caller: the calling domain; results in GNTST_* form) ---------------- */

/* setup_table: grow dom's table to at least nr_frames frames and write the first
 * nr_frames frame numbers to frame_list (room for nr_frames entries is needed only when
 * the answer is GNTST_okay, so at most max_frames). Frames never move and the table
 * never shrinks. GNTST_bad_domain, GNTST_permission_denied (another domain,
 * unprivileged), GNTST_general_error (nr_frames > max_frames, or no memory: the table
 * is then as before). */
int16_t gnttab_op_setup_table(const struct gnttab_env *env, struct gnttab_domain *caller,
                              domid_t dom, uint32_t nr_frames, uint64_t *frame_list);

/* query_size: op->nr_frames, op->max_nr_frames, op->status. Same domain rules. */
int16_t gnttab_op_query_size(const struct gnttab_env *env, struct gnttab_domain *caller,
                             struct gnttab_query_size *op);

/*
 * map_grant_ref: map (op->dom, op->ref) for 'mapper' at op->host_addr, read-only if
 * GNTMAP_readonly. On success op->handle and op->dev_bus_addr (the frame's machine
 * address) are set. op->status is always set, and returned:
 *   GNTST_bad_gntref    no GNTMAP_host_map/device_map flag; ref beyond the table
 *   GNTST_general_error GNTMAP_device_map; entry not GTF_permit_access (or sub-page),
 *                       granted to another domain, GTF_readonly for a writable map;
 *                       pinned by another domain or GNTTAB_MAX_PIN reached; entry
 *                       unstable; writable type refused (the frame is a page table ...)
 *   GNTST_bad_domain    no such domain, or a reserved id
 *   GNTST_bad_page      the granted frame is not the granter's
 *   GNTST_no_space      no free handle
 *   anything map_host answers
 * On failure nothing stays changed (flags, pins, references, handle).
 */
int16_t gnttab_op_map(const struct gnttab_env *env, struct gnttab_domain *mapper,
                      struct gnttab_map_grant_ref *op);

/* unmap_grant_ref by op->handle, all or nothing; op->status set and returned:
 * GNTST_bad_handle (out of range, not in use: a second unmap), GNTST_general_error
 * (op->host_addr is not where the handle mapped), or unmap_host's error. dev_bus_addr
 * is ignored (there are no device mappings; Xen 4.17 ignores it for host mappings too).
 * If the granter is gone its pins are gone with it: the references are still put and
 * the handle freed. */
int16_t gnttab_op_unmap(const struct gnttab_env *env, struct gnttab_domain *mapper,
                        struct gnttab_unmap_grant_ref *op);

/* GNTTABOP_copy, one element, in three steps: prepare checks both sides and takes what
 * keeps them valid during the copy (for a grant: a pin, GTF_reading or GTF_writing, and
 * references; for a frame of the caller's own: references, writable for the
 * destination); the caller copies len bytes from src.mfn:src.offset to
 * dst.mfn:dst.offset; finish releases everything. finish is safe on a plan that failed
 * or was already finished. */
struct gnttab_copy_side {
    uint64_t mfn;
    uint16_t offset;
    bool     held;      /* references (and for a grant, a pin) are held */
    bool     gref;      /* held through a grant of 'granter' */
    bool     writable;  /* a writable pin / type reference */
    domid_t  granter;   /* gref: the granter; frame: the caller */
    grant_ref_t ref;
    struct gnttab_domain *gt;   /* gref: the granter's table */
};
struct gnttab_copy_plan {
    struct gnttab_copy_side src, dst;
    uint16_t len;
};

/* Checks in Xen's order: each side's domain (GNTST_permission_denied for a frame
 * number with a domid other than DOMID_SELF, GNTST_bad_domain), then the source, then
 * the destination (as map: GNTST_bad_gntref, GNTST_general_error, GNTST_bad_page for a
 * frame not the owner's), then GNTST_bad_copy_arg when offset + len crosses the page.
 * Returns GNTST_okay with the plan held, or an error with nothing held. */
int16_t gnttab_op_copy_prepare(const struct gnttab_env *env, struct gnttab_domain *caller,
                               const struct gnttab_copy *op, struct gnttab_copy_plan *plan);
void gnttab_op_copy_finish(const struct gnttab_env *env, struct gnttab_copy_plan *plan);

/* ---- the auditor ------------------------------------------------------------------- */

/* Check the n domains of 'all' together (every domain that exists, between hypercalls):
 * each table's sizes, maptrack free list and counts; every mapping's grant is pinned by
 * its mapper with its frame; per granter, the pins equal the mappings that all mappers
 * hold of it, kind by kind; nr_active right; nothing pinned beyond the table.
 * Guest-written entry flags are not checked (a guest may clear them). 0, or -EINVAL
 * with *why (may be NULL). */
int gnttab_audit(const struct gnttab_env *env, struct gnttab_domain *const *all, uint32_t n,
                 const char **why);

#endif
