/*
 * The PV MMU core: general and type references per machine frame, recursive validation
 * of page tables when they first take their type, eager devalidation when the last type
 * reference goes, guest entry updates (mod_entry) and pins. Pure logic over struct
 * mm_env; the rules are stated in mm/page_type.h (security invariants A1-A5).
 */
#include "errno.h"
#include "pte.h"
#include "mm/page_type.h"

/* Bits an entry may change without moving references (invariant A2). */
#define PTE_FAST_PATH_BITS (_PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_AVAIL | _PAGE_AVAIL_HI)

__attribute__((weak)) void mm_bug(const char *why)
{
    (void)why;
    __builtin_trap();
}

/* ---- small helpers ------------------------------------------------------------------ */

static bool is_pt_type(int type)
{
    return type >= PGT_l1 && type <= PGT_l4;
}

/* Types that forbid any writable mapping of the frame. */
static bool is_table_type(int type)
{
    return is_pt_type(type) || type == PGT_seg_desc;
}

static bool slot_skipped(int level, unsigned index)
{
    return level == 4 && l4_slot_is_xen(index);
}

/* Entries are read and written with single 64-bit accesses. */
static uint64_t read_entry(const uint64_t *e)
{
    return *(const volatile uint64_t *)e;
}

static void write_entry(uint64_t *e, uint64_t val)
{
    *(volatile uint64_t *)e = val;
}

/* The frame of a put: the caller holds a reference, so a bad mfn is a hypervisor bug. */
static struct page_info *frame_for_put(const struct mm_env *env, uint64_t mfn)
{
    if (mfn >= env->nr_frames) {
        mm_bug("put on an invalid mfn");
        return 0;
    }
    return &env->frames[mfn];
}

/* ---- general references ------------------------------------------------------------- */

int get_page(const struct mm_env *env, uint64_t mfn, domid_t d)
{
    struct page_info *pg = mm_owned_frame(env, mfn, d);

    if (!pg)
        return -EINVAL;
    if (pg->count >= PAGE_COUNT_MAX)
        return -EBUSY;
    pg->count++;
    return 0;
}

void put_page(const struct mm_env *env, uint64_t mfn)
{
    struct page_info *pg = frame_for_put(env, mfn);

    if (!pg)
        return;
    if (pg->count == 0) {
        mm_bug("put_page: count underflow");
        return;
    }
    pg->count--;
}

/* ---- validation ------------------------------------------------------------------------ */

/* Drop the references held by entries [0, upto) of a table of 'level'. */
static void release_entries(const struct mm_env *env, int level, uint64_t *e, unsigned upto)
{
    unsigned i;

    for (i = 0; i < upto; i++)
        if (!slot_skipped(level, i))
            put_entry_refs(env, level, read_entry(&e[i]));
}

/* Check every entry of table mfn as 'level', take its references and store its adjusted
 * value. On failure, release what the earlier entries took. Recursion: an entry of level
 * n validates at most a table of level n-1, and level 1 validates nothing, so the depth
 * is at most 4. */
static int validate_table(const struct mm_env *env, uint64_t mfn, int level, domid_t d)
{
    uint64_t *e = env->entries(mfn);
    unsigned i;

    for (i = 0; i < PT_ENTRIES; i++) {
        uint64_t val;
        int rc;

        if (slot_skipped(level, i))
            continue;
        val = read_entry(&e[i]);
        rc = get_entry_refs(env, level, val, d);
        if (rc) {
            release_entries(env, level, e, i);
            return rc;
        }
        write_entry(&e[i], pte_adjust(level, val));
    }
    if (level == 4)
        env->install_xen_slots(e);
    return 0;
}

/* Give frame mfn its first type reference (type_count is 0). */
static int take_first_type(const struct mm_env *env, uint64_t mfn, struct page_info *pg,
                           enum page_type type, domid_t d)
{
    int rc;

    if (type == PGT_writable) {
        pg->flags |= PGF_was_writable;
        pg->type = PGT_writable;
        pg->type_count = 1;
        return 0;
    }
    /* No writable mapping exists now, but a TLB may still hold one (A1). */
    if (pg->flags & PGF_was_writable) {
        env->flush_tlb();
        pg->flags &= (uint8_t)~PGF_was_writable;
    }
    /* Hold the type while validating: any entry below that refers back to this frame
     * asks for another type or a writable mapping and is refused (A1, A5). */
    pg->type = (uint8_t)type;
    pg->type_count = 1;
    if (!is_pt_type(type))
        return 0;
    rc = validate_table(env, mfn, (int)type, d);
    if (rc) {
        pg->type_count = 0;
        pg->type = PGT_none;
    }
    return rc;
}

/* ---- type references ---------------------------------------------------------------- */

int get_page_type(const struct mm_env *env, uint64_t mfn, enum page_type type, domid_t d)
{
    struct page_info *pg = mm_owned_frame(env, mfn, d);

    if (!pg || (int)type < PGT_l1 || (int)type > PGT_writable)
        return -EINVAL;
    if (is_table_type((int)type) && (pg->flags & PGF_xen_shared))
        return -EINVAL;
    if (pg->type_count == 0)
        return take_first_type(env, mfn, pg, type, d);
    if (pg->type != type || pg->type_count >= PAGE_COUNT_MAX)
        return -EBUSY;
    pg->type_count++;
    return 0;
}

void put_page_type(const struct mm_env *env, uint64_t mfn)
{
    struct page_info *pg = frame_for_put(env, mfn);

    if (!pg)
        return;
    if (pg->type_count == 0) {
        mm_bug("put_page_type: type_count underflow");
        return;
    }
    if (--pg->type_count)
        return;
    /* Eager devalidation: the entries' references go with the type. */
    if (is_pt_type(pg->type))
        release_entries(env, pg->type, env->entries(mfn), PT_ENTRIES);
    /* The hypervisor's L4 slots name its own frames: they must not stay readable in a
     * frame the guest may map writable next. */
    if (pg->type == PGT_l4) {
        uint64_t *e = env->entries(mfn);
        for (unsigned i = 256; i < 272; i++)
            write_entry(&e[i], 0);
    }
    pg->type = PGT_none;
}

int get_page_and_type(const struct mm_env *env, uint64_t mfn, enum page_type type, domid_t d)
{
    int rc = get_page(env, mfn, d);

    if (rc)
        return rc;
    rc = get_page_type(env, mfn, type, d);
    if (rc)
        put_page(env, mfn);
    return rc;
}

void put_page_and_type(const struct mm_env *env, uint64_t mfn)
{
    put_page_type(env, mfn);
    put_page(env, mfn);
}

/* ---- entries ------------------------------------------------------------------------- */

int get_entry_refs(const struct mm_env *env, int level, uint64_t pte, domid_t d)
{
    uint64_t mfn = pte_mfn(pte);
    int rc = pte_check(env, level, pte, d);

    if (rc || !pte_present(pte))
        return rc;
    if (level > 1)
        return get_page_and_type(env, mfn, (enum page_type)(level - 1), d);
    rc = get_page(env, mfn, d);
    if (rc || !(pte & _PAGE_RW))
        return rc;
    /* -EBUSY when the frame is typed page table or seg_desc (A1). */
    rc = get_page_type(env, mfn, PGT_writable, d);
    if (rc)
        put_page(env, mfn);
    return rc;
}

void put_entry_refs(const struct mm_env *env, int level, uint64_t pte)
{
    uint64_t mfn = pte_mfn(pte);

    /* A grant mapping's references belong to its grant (grant_entry_map). */
    if (!pte_present(pte) || (level == 1 && pte_is_grant(pte)))
        return;
    if (level < 1 || level > 4) {
        mm_bug("put_entry_refs: bad level");
        return;
    }
    if (level > 1) {
        put_page_and_type(env, mfn);
        return;
    }
    if (pte & _PAGE_RW)
        put_page_type(env, mfn);
    put_page(env, mfn);
}

/* Old and new map the same frame and differ only in whitelisted bits (A2). */
static bool fast_path_ok(uint64_t old, uint64_t new)
{
    return pte_present(old) && pte_present(new) && ((old ^ new) & ~PTE_FAST_PATH_BITS) == 0;
}

/* Table frame mfn is owned by d and currently holds type 'level'. */
static bool table_ok(const struct mm_env *env, uint64_t mfn, int level, domid_t d)
{
    const struct page_info *pg = mm_owned_frame(env, mfn, d);

    return pg && level >= 1 && level <= 4 && pg->type == level && pg->type_count > 0;
}

/* A guest update of a grant mapping's L1 entry: only the fast-path bits may change, and
 * the marker stays; any other value would unmap the grant behind the grant table's
 * back (-EPERM, nothing changes). A value the rules refuse anyway gets its own error
 * first, as in Xen, whose check of the new entry comes before the old one is dropped. */
static int mod_grant_entry(const struct mm_env *env, uint64_t *e, uint64_t old,
                           uint64_t new_pte, domid_t d)
{
    int rc;

    if (fast_path_ok(old & ~_PAGE_GNTTAB, new_pte)) {
        write_entry(e, new_pte | _PAGE_GNTTAB);
        return 0;
    }
    rc = get_entry_refs(env, 1, new_pte, d);
    if (rc)
        return rc;
    put_entry_refs(env, 1, new_pte);
    return -EPERM;
}

int mod_entry(const struct mm_env *env, uint64_t table_mfn, int level, unsigned index,
              uint64_t new_pte, domid_t d, bool preserve_ad)
{
    uint64_t *e, old;
    int rc;

    if (!table_ok(env, table_mfn, level, d) || index >= PT_ENTRIES)
        return -EINVAL;
    if (slot_skipped(level, index))
        return -EINVAL;
    e = env->entries(table_mfn);
    old = read_entry(&e[index]);
    /* As Xen: the A/D bits of the entry are ORed into the value written, present or
     * not (Linux writes PROT_NONE entries, which are not present, this way and must not
     * lose a D bit the CPU set meanwhile). */
    if (preserve_ad)
        new_pte |= old & (_PAGE_ACCESSED | _PAGE_DIRTY);
    rc = pte_check(env, level, new_pte, d);
    if (rc)
        return rc;
    new_pte = pte_adjust(level, new_pte);
    if (level == 1 && pte_is_grant(old))
        return mod_grant_entry(env, &e[index], old, new_pte, d);
    if (fast_path_ok(old, new_pte)) {
        write_entry(&e[index], new_pte);
        return 0;
    }
    /* New references first, so replacing an entry by one to the same frame never drops
     * the frame's last reference in between. */
    rc = get_entry_refs(env, level, new_pte, d);
    if (rc)
        return rc;
    write_entry(&e[index], new_pte);
    put_entry_refs(env, level, old);
    return 0;
}

/* ---- grant mappings ---------------------------------------------------------------- */

int grant_entry_map(const struct mm_env *env, uint64_t l1_mfn, unsigned index, uint64_t pte,
                    domid_t d)
{
    uint64_t *e, old;
    int rc;

    if (!table_ok(env, l1_mfn, 1, d) || index >= PT_ENTRIES || !pte_is_grant(pte))
        return -EINVAL;
    e = env->entries(l1_mfn);
    old = read_entry(&e[index]);
    if (pte_is_grant(old))
        return -EBUSY;
    /* The mapping keeps its table typed: no devalidation can drop the entry unseen. */
    rc = get_page_and_type(env, l1_mfn, PGT_l1, d);
    if (rc)
        return rc;
    write_entry(&e[index], pte);
    /* The old entry's translation goes before its references do (A1). */
    env->flush_tlb();
    put_entry_refs(env, 1, old);
    return 0;
}

int grant_entry_unmap(const struct mm_env *env, uint64_t l1_mfn, unsigned index,
                      uint64_t mfn, bool writable, domid_t d)
{
    uint64_t *e, old;

    if (!table_ok(env, l1_mfn, 1, d) || index >= PT_ENTRIES)
        return -EINVAL;
    e = env->entries(l1_mfn);
    old = read_entry(&e[index]);
    if (!pte_is_grant(old) || pte_mfn(old) != mfn || ((old & _PAGE_RW) != 0) != writable)
        return -EINVAL;
    write_entry(&e[index], 0);
    env->flush_tlb();
    put_page_and_type(env, l1_mfn);
    return 0;
}

/* ---- pins ----------------------------------------------------------------------------- */

int pin_table(const struct mm_env *env, uint64_t mfn, int level, domid_t d)
{
    struct page_info *pg = mm_owned_frame(env, mfn, d);
    int rc;

    if (!pg || level < 1 || level > 4)
        return -EINVAL;
    if (pg->flags & PGF_pinned)
        return -EBUSY;
    rc = get_page_and_type(env, mfn, (enum page_type)level, d);
    if (rc)
        return rc;
    pg->flags |= PGF_pinned;
    return 0;
}

int unpin_table(const struct mm_env *env, uint64_t mfn, domid_t d)
{
    struct page_info *pg = mm_owned_frame(env, mfn, d);

    if (!pg || !(pg->flags & PGF_pinned))
        return -EINVAL;
    pg->flags &= (uint8_t)~PGF_pinned;
    put_page_and_type(env, mfn);
    return 0;
}
