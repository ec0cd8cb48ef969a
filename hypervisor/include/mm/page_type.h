/*
 * The PV MMU's ownership rules: per machine frame an owner, a type and two counts.
 *
 * Pure logic (no hardware access): it sees frames only through struct mm_env, so the
 * host unit tests (tests/unit/test_page_type.c) drive it over a fake machine memory and the
 * hypervisor drives it over its direct map. Implemented in hypervisor/mm/page_type.c and
 * hypervisor/mm/pte_check.c. The rules, as docs/memory.md states them:
 *
 *  - count: general references. The owning domain holds one (the allocation reference)
 *    while the frame is assigned; every present page-table entry that maps the frame
 *    holds one; a pin holds one; a base pointer (CR3) holds one.
 *  - type_count: references that require the frame to keep 'type'. A type other than
 *    PGT_none can be taken only while type_count == 0 (or when it is already that type):
 *    a frame is a page table (L1..L4), a descriptor table (seg_desc) or writable,
 *    never two at once. A writable L1 mapping holds a PGT_writable type reference;
 *    an Ln entry pointing at a frame holds a PGT_l(n-1) type reference on it.
 *  - Taking a page-table type from type_count 0 validates the frame: every present
 *    entry is checked (pte_check.c) and takes its references, recursively down to L1.
 *    On failure everything taken so far is released and the frame stays untyped.
 *    When type_count of a page-table frame drops to 0 the frame is devalidated at once:
 *    the references its entries held are released and its type becomes PGT_none.
 *  - Linear (recursive) page tables are refused: an entry must point at a frame of the
 *    level below, and a frame has one type, so no table can map itself or its peers.
 *  - Frames flagged PGF_xen_shared (shared_info, later grant-table frames) can be
 *    mapped (read-only or writable) by their owner but never take a page-table or
 *    seg_desc type: the hypervisor writes them.
 *  - Counts saturate: a reference that would overflow is refused with -EBUSY.
 *  - Guest L4 slots 256..271 belong to the hypervisor: validation skips them and
 *    env->install_xen_slots() fills them in; guest updates to them get -EINVAL.
 *  - Grant mappings are L1 entries carrying _PAGE_GNTTAB (bit 62), written and removed
 *    only by grant_entry_map / grant_entry_unmap: the grant holds their references, so
 *    the PV MMU takes and drops none for them; a guest can neither set the bit in an L1
 *    entry nor change such an entry beyond its A/D and software bits (mod_entry answers
 *    -EPERM); each holds a general and an L1 type reference on its table, which
 *    therefore stays validated while it holds one.
 */
#ifndef HV_MM_PAGE_TYPE_H
#define HV_MM_PAGE_TYPE_H

#include <stdint.h>
#include <stdbool.h>

typedef uint16_t domid_t;

#define DOMID_FREE_FRAME 0x7FF4u  /* owner of a free frame (Xen's DOMID_INVALID) */
#define DOMID_HV         0x7FF2u  /* owner of a hypervisor frame (Xen's DOMID_XEN) */

enum page_type {
    PGT_none = 0,
    PGT_l1 = 1, PGT_l2 = 2, PGT_l3 = 3, PGT_l4 = 4,  /* == page-table level */
    PGT_seg_desc = 5,                                /* GDT/LDT frame */
    PGT_writable = 6,                                /* mapped writable somewhere */
};

#define PGF_pinned     0x01u  /* an MMUEXT_PIN_* reference is held */
#define PGF_xen_shared 0x02u  /* hypervisor-written page shared with its owner */
#define PGF_was_writable 0x04u /* had a PGT_writable type since its last TLB flush: the
                                * next page-table/seg_desc type flushes first (A1) */

struct page_info {
    uint32_t count;       /* general references */
    uint32_t type_count;  /* references that hold 'type' */
    domid_t  owner;       /* domain, DOMID_FREE_FRAME or DOMID_HV */
    uint8_t  type;        /* enum page_type */
    uint8_t  flags;       /* PGF_* */
    uint32_t pad;
};
_Static_assert(sizeof(struct page_info) == 16, "page_info is 16 bytes");

#define PAGE_COUNT_MAX 0x7FFFFFF0u

/* What the pure logic needs from its surroundings. All hooks are mandatory. */
struct mm_env {
    struct page_info *frames;                /* indexed by mfn */
    uint64_t nr_frames;                      /* mfn_valid(m) is m < nr_frames */
    uint64_t *(*entries)(uint64_t mfn);      /* the 512 entries of a frame, writable */
    void (*install_xen_slots)(uint64_t *l4); /* write slots 256..271 of a guest L4 */
    void (*flush_tlb)(void);                 /* local TLB flush */
};

/* A proven refcount inconsistency (a put without a matching get): a hypervisor bug, never
 * reachable from guest input. The hypervisor implements it as a panic; the unit tests
 * make it fail the test. The callers return without touching the counts if it returns.
 * page_type.c holds a weak default (a trap), so unit tests that link the pure objects
 * without using them need not define it. */
void mm_bug(const char *why);

/* The frame mfn if it is valid and owned by domain d (never a free or hypervisor
 * frame), else NULL. */
static inline struct page_info *mm_owned_frame(const struct mm_env *env, uint64_t mfn,
                                               domid_t d)
{
    struct page_info *pg;

    if (mfn >= env->nr_frames)
        return 0;
    pg = &env->frames[mfn];
    if (pg->owner != d || pg->owner == DOMID_FREE_FRAME || pg->owner == DOMID_HV)
        return 0;
    return pg;
}

/* ---- references ---------------------------------------------------------------- */

/* Take a general reference on mfn for domain d: -EINVAL if mfn is not valid or not
 * owned by d, -EBUSY if the count would overflow. */
int get_page(const struct mm_env *env, uint64_t mfn, domid_t d);
void put_page(const struct mm_env *env, uint64_t mfn);

/* Take a type reference of 'type' on mfn (owned by d; the caller already holds a
 * general reference). Validates page-table types when type_count is 0. Errors:
 * -EINVAL wrong owner/bad mfn/validation failed, -EBUSY the frame has another type in
 * use or the count would overflow. A change of type away from PGT_writable calls
 * env->flush_tlb() before the new type is visible, so no stale writable TLB entry
 * survives (security invariant A1). */
int get_page_type(const struct mm_env *env, uint64_t mfn, enum page_type type, domid_t d);
void put_page_type(const struct mm_env *env, uint64_t mfn);

/* Both at once, released together: the usual way to take a typed reference. */
int get_page_and_type(const struct mm_env *env, uint64_t mfn, enum page_type type, domid_t d);
void put_page_and_type(const struct mm_env *env, uint64_t mfn);

/* ---- entries -------------------------------------------------------------------- */

/* Check one entry for a table of 'level' (1..4) owned by domain d, without taking
 * references: 0 if allowed, -EINVAL otherwise (bad flags for the level, e.g. PSE at
 * L2/L3, PWT/PCD/PAT on RAM; mfn beyond nr_frames). Non-present entries are allowed. */
int pte_check(const struct mm_env *env, int level, uint64_t pte, domid_t d);

/* The value actually stored for a guest entry: _PAGE_USER is forced on (the guest
 * kernel runs in ring 3), and _PAGE_ACCESSED on L4 entries. Non-present entries are
 * stored unchanged. */
uint64_t pte_adjust(int level, uint64_t pte);

/* Take (get_) or drop (put_) the references one present entry of a level holds:
 * level 1: general ref, plus a PGT_writable type ref if RW (refused for frames typed
 * as page tables or seg_desc); level n>1: a PGT_l(n-1) typed ref. A grant mapping's L1
 * entry (pte_is_grant) holds none: its grant holds them. */
int get_entry_refs(const struct mm_env *env, int level, uint64_t pte, domid_t d);
void put_entry_refs(const struct mm_env *env, int level, uint64_t pte);

/* Replace entry 'index' of table frame 'table_mfn' (owned by d, type == level with
 * type_count > 0) with new_pte: checks and adjusts new_pte, takes its references,
 * writes, then drops the old entry's references. If old and new map the same frame and
 * differ only in A, D and software bits, no references move (the fast path, A2).
 * preserve_ad keeps the A/D bits of the old entry (ORed into the new value, present or
 * not, as Xen's MMU_PT_UPDATE_PRESERVE_AD does). Returns 0, -EINVAL or -EBUSY (a writable
 * mapping of a frame typed page table/seg_desc, or a type conflict), or -EPERM when the
 * old entry is a grant mapping (L1, pte_is_grant) and the new value is not the same
 * mapping with other fast-path bits (an implicit unmap: refused, the caller reports it;
 * a fast-path change keeps the marker); on error the entry is unchanged. The entry is
 * written with one 64-bit store, not a cmpxchg: an A/D bit that another CPU's hardware
 * sets between the read and the store is lost (harmless for safety: refs depend only on
 * the non-A/D bits). */
int mod_entry(const struct mm_env *env, uint64_t table_mfn, int level, unsigned index,
              uint64_t new_pte, domid_t d, bool preserve_ad);

/* ---- grant mappings ------------------------------------------------------------- */

/* Write grant mapping 'pte' (pte_is_grant, built by the caller) into entry 'index' of
 * l1_mfn, an L1 owned by d and validated (type L1, type_count > 0). The mapping holds a
 * general and an L1 type reference on the table, so the table cannot be devalidated under
 * it; the entry's own references are the grant's. An old present entry is replaced and
 * its references dropped (as Xen does), after a TLB flush; an old grant mapping is never
 * replaced. 0, -EINVAL (not such a table, bad index or pte), -EBUSY (a grant mapping is
 * there, or the table's count would overflow); on error nothing changes. */
int grant_entry_map(const struct mm_env *env, uint64_t l1_mfn, unsigned index, uint64_t pte,
                    domid_t d);

/* Remove the grant mapping of mfn at entry 'index' of l1_mfn (an L1 of d): the entry must
 * be a grant mapping of that frame, writable or not as said. It becomes 0, the TLB is
 * flushed and the table's references are dropped. 0, or -EINVAL with nothing changed. */
int grant_entry_unmap(const struct mm_env *env, uint64_t l1_mfn, unsigned index,
                      uint64_t mfn, bool writable, domid_t d);

/* ---- pins ------------------------------------------------------------------------- */

/* MMUEXT_PIN_Ln_TABLE: take a type ref of level and a general ref, set PGF_pinned.
 * -EINVAL bad frame/validation, -EBUSY already pinned or type conflict. */
int pin_table(const struct mm_env *env, uint64_t mfn, int level, domid_t d);
/* MMUEXT_UNPIN_TABLE: -EINVAL if not pinned or not owned by d. */
int unpin_table(const struct mm_env *env, uint64_t mfn, domid_t d);

/* True when the hypervisor-owned L4 slot may not be touched by the guest. */
static inline bool l4_slot_is_xen(unsigned index) { return index >= 256 && index < 272; }

#endif
