/*
 * Grant tables v1: table growth, pins with the compare-exchange on guest-written entries,
 * maptrack handles, map/unmap/copy with balanced references through the PV MMU hooks,
 * revocation and the auditor's check. Pure logic; the contract is
 * include/grant/grant_table.h.
 */
#include "xen-public.h"
#include "errno.h"
#include "lib.h"
#include "grant/grant_table.h"

#define PAGE_BYTES 4096u
#define PIN_FLAGS  ((uint16_t)(GTF_reading | GTF_writing))

/* ---- entries: one 64-bit load, decoded into a local ------------------------------- */

static uint64_t *entry_ptr(const struct gnttab_domain *gt, grant_ref_t ref)
{
    return &gt->frame_va[ref / GNTTAB_ENTRIES_PER_FRAME][ref % GNTTAB_ENTRIES_PER_FRAME];
}

static grant_entry_v1_t decode(uint64_t raw)
{
    return (grant_entry_v1_t){ .flags = (uint16_t)raw, .domid = (domid_t)(raw >> 16),
                               .frame = (uint32_t)(raw >> 32) };
}

static uint32_t nr_entries(const struct gnttab_domain *gt)
{
    return gt->nr_frames * GNTTAB_ENTRIES_PER_FRAME;
}

/* Clear some of GTF_reading/GTF_writing, leaving every other bit as the guest has it. */
static void clear_flags(const struct gnttab_domain *gt, grant_ref_t ref, uint16_t bits)
{
    if (bits)
        __atomic_fetch_and(entry_ptr(gt, ref), ~(uint64_t)bits, __ATOMIC_SEQ_CST);
}

/*
 * Set GTF_reading (and GTF_writing unless readonly) in the entry, checking on the same
 * snapshot the exchange compares against: the grant type and domid when the grant is
 * not pinned yet (mapflag: GTF_sub_page refused too), GTF_readonly for a writable pin.
 * *seen gets the entry as it was when the flags landed.
 */
static int16_t set_status(const struct gnttab_env *env, const struct gnttab_domain *gt,
                          grant_ref_t ref, domid_t mapper, bool readonly, bool pinned,
                          bool mapflag, grant_entry_v1_t *seen)
{
    uint64_t *p = entry_ptr(gt, ref);
    uint64_t cur = __atomic_load_n(p, __ATOMIC_SEQ_CST);
    uint16_t type_mask = (uint16_t)(GTF_type_mask | (mapflag ? GTF_sub_page : 0));
    unsigned tries;

    for (tries = 1; ; tries++) {
        grant_entry_v1_t e;
        uint64_t want;

        if (env->entry_read)
            env->entry_read(gt, ref);
        e = decode(cur);
        if (!pinned && ((e.flags & type_mask) != GTF_permit_access || e.domid != mapper))
            return GNTST_general_error;
        if (!readonly && (e.flags & GTF_readonly))
            return GNTST_general_error;
        want = cur | GTF_reading | (readonly ? 0 : GTF_writing);
        if (__atomic_compare_exchange_n(p, &cur, want, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST)) {
            *seen = e;
            return GNTST_okay;
        }
        if (tries == GNTTAB_CAS_TRIES)
            return GNTST_general_error;     /* the guest keeps changing it */
    }
}

/* The flags to clear once the active entry's counts are as they now are, after a pin
 * of this kind went (or failed to come). */
static uint16_t flags_to_clear(const struct gnttab_active *act, bool readonly)
{
    uint16_t bits = 0;

    if (!act->ro && !act->rw)
        bits |= GTF_reading;
    if (!readonly && !act->rw)
        bits |= GTF_writing;
    return bits;
}

/* ---- pins ----------------------------------------------------------------------------- */

/* Pin grant 'ref' of gt for domain 'mapper' and take the frame's references. */
static int16_t acquire(const struct gnttab_env *env, struct gnttab_domain *gt,
                       grant_ref_t ref, domid_t mapper, bool readonly, bool mapflag,
                       uint64_t *mfn)
{
    struct gnttab_active *act;
    grant_entry_v1_t seen = { 0 };
    bool pinned;
    uint64_t frame;
    int16_t st;

    if (ref >= nr_entries(gt))
        return GNTST_bad_gntref;
    act = &gt->active[ref];
    pinned = act->ro || act->rw;
    if (pinned && (act->domid != mapper || act->ro >= GNTTAB_MAX_PIN ||
                   act->rw >= GNTTAB_MAX_PIN))
        return GNTST_general_error;
    if (!pinned || (!readonly && !act->rw)) {
        st = set_status(env, gt, ref, mapper, readonly, pinned, mapflag, &seen);
        if (st != GNTST_okay)
            return st;
    }
    frame = pinned ? act->frame : seen.frame;

    if (env->get_page(frame, gt->id)) {
        clear_flags(gt, ref, flags_to_clear(act, readonly));
        return pinned ? GNTST_general_error : GNTST_bad_page;
    }
    if (!readonly && env->get_page_writable(frame, gt->id)) {
        env->put_page(frame);
        clear_flags(gt, ref, flags_to_clear(act, readonly));
        return GNTST_general_error;
    }

    if (!pinned) {
        act->frame = (uint32_t)frame;
        act->domid = mapper;
        gt->nr_active++;
    }
    if (readonly)
        act->ro++;
    else
        act->rw++;
    *mfn = frame;
    return GNTST_okay;
}

/* Undo one acquire: references put, the pin dropped (if gt still exists), flags
 * cleared when the last pin of their kind went. */
static void release(const struct gnttab_env *env, struct gnttab_domain *gt, grant_ref_t ref,
                    bool readonly, uint64_t mfn)
{
    struct gnttab_active *act;

    if (!readonly)
        env->put_page_writable(mfn);
    env->put_page(mfn);
    if (!gt || ref >= nr_entries(gt))
        return;
    act = &gt->active[ref];
    if (readonly ? !act->ro : !act->rw)
        return;                         /* cannot happen: the auditor would say so */
    if (readonly)
        act->ro--;
    else
        act->rw--;
    clear_flags(gt, ref, flags_to_clear(act, readonly));
    if (!act->ro && !act->rw) {
        *act = (struct gnttab_active){ 0 };
        gt->nr_active--;
    }
}

/* ---- domains -------------------------------------------------------------------------- */

/* A real domain id's table; reserved ids (DOMID_SELF included) have none. */
static struct gnttab_domain *lookup(const struct gnttab_env *env, struct gnttab_domain *self,
                                    domid_t id)
{
    if (id >= DOMID_FIRST_RESERVED)
        return NULL;
    if (id == self->id)
        return self;
    return env->domain(id);
}

/* DOMID_SELF or a real id. */
static struct gnttab_domain *lookup_any(const struct gnttab_env *env,
                                        struct gnttab_domain *self, domid_t id)
{
    return id == DOMID_SELF ? self : lookup(env, self, id);
}

/* setup_table / query_size: the target domain, and whether the caller may name it. */
static int16_t target(const struct gnttab_env *env, struct gnttab_domain *caller, domid_t dom,
                      struct gnttab_domain **out)
{
    struct gnttab_domain *gt = lookup_any(env, caller, dom);

    if (!gt)
        return GNTST_bad_domain;
    if (gt != caller && !caller->privileged)
        return GNTST_permission_denied;
    *out = gt;
    return GNTST_okay;
}

/* Grow to nr frames, all or nothing. */
static int grow(const struct gnttab_env *env, struct gnttab_domain *gt, uint32_t nr)
{
    uint32_t i;

    for (i = gt->nr_frames; i < nr; i++) {
        void *va;

        if (env->alloc_frame(gt, &gt->frame_mfn[i], &va)) {
            while (i-- > gt->nr_frames) {
                env->free_frame(gt, gt->frame_mfn[i]);
                gt->frame_mfn[i] = 0;
                gt->frame_va[i] = NULL;
            }
            return -ENOMEM;
        }
        gt->frame_va[i] = va;
    }
    gt->nr_frames = nr;
    return 0;
}

int gnttab_domain_init(const struct gnttab_env *env, struct gnttab_domain *gt, domid_t id,
                       bool privileged, uint32_t max_frames, struct gnttab_active *active,
                       struct gnttab_maptrack *maptrack, uint32_t maptrack_max)
{
    uint32_t h;

    if (max_frames == 0 || max_frames > GNTTAB_MAX_FRAMES || !active || !maptrack ||
        maptrack_max == 0 || maptrack_max == GNTTAB_NO_HANDLE)
        return -EINVAL;
    memset(gt, 0, sizeof(*gt));
    gt->id = id;
    gt->privileged = privileged;
    gt->max_frames = max_frames;
    gt->active = active;
    memset(active, 0, (size_t)max_frames * GNTTAB_ENTRIES_PER_FRAME * sizeof(*active));
    gt->maptrack = maptrack;
    gt->maptrack_max = maptrack_max;
    memset(maptrack, 0, (size_t)maptrack_max * sizeof(*maptrack));
    for (h = 0; h < maptrack_max; h++)
        maptrack[h].ref = h + 1 < maptrack_max ? h + 1 : GNTTAB_NO_HANDLE;
    gt->maptrack_free = 0;
    return grow(env, gt, 1);
}

bool gnttab_in_use(const struct gnttab_domain *gt)
{
    return gt->nr_active != 0;
}

int gnttab_domain_free_frames(const struct gnttab_env *env, struct gnttab_domain *gt)
{
    uint32_t i;

    if (gnttab_in_use(gt))
        return -EBUSY;
    for (i = 0; i < gt->nr_frames; i++) {
        env->free_frame(gt, gt->frame_mfn[i]);
        gt->frame_mfn[i] = 0;
        gt->frame_va[i] = NULL;
    }
    gt->nr_frames = 0;
    return 0;
}

/* ---- maptrack handles -------------------------------------------------------------- */

static uint32_t get_handle(struct gnttab_domain *gt)
{
    uint32_t h = gt->maptrack_free;

    if (h == GNTTAB_NO_HANDLE)
        return h;
    gt->maptrack_free = gt->maptrack[h].ref;
    gt->maptrack[h].ref = 0;
    gt->maptrack_used++;
    return h;
}

static void put_handle(struct gnttab_domain *gt, uint32_t h)
{
    gt->maptrack[h] = (struct gnttab_maptrack){ .ref = gt->maptrack_free };
    gt->maptrack_free = h;
    gt->maptrack_used--;
}

/* ---- GNTTABOP_* ---------------------------------------------------------------------- */

int16_t gnttab_op_setup_table(const struct gnttab_env *env, struct gnttab_domain *caller,
                              domid_t dom, uint32_t nr_frames, uint64_t *frame_list)
{
    struct gnttab_domain *gt = NULL;
    int16_t st = target(env, caller, dom, &gt);
    uint32_t i;

    if (st != GNTST_okay)
        return st;
    if (nr_frames > gt->max_frames)
        return GNTST_general_error;
    if (nr_frames > gt->nr_frames && grow(env, gt, nr_frames))
        return GNTST_general_error;
    for (i = 0; i < nr_frames; i++)
        frame_list[i] = gt->frame_mfn[i];
    return GNTST_okay;
}

int16_t gnttab_op_query_size(const struct gnttab_env *env, struct gnttab_domain *caller,
                             struct gnttab_query_size *op)
{
    struct gnttab_domain *gt = NULL;

    op->status = target(env, caller, op->dom, &gt);
    if (op->status == GNTST_okay) {
        op->nr_frames = gt->nr_frames;
        op->max_nr_frames = gt->max_frames;
    }
    return op->status;
}

int16_t gnttab_op_map(const struct gnttab_env *env, struct gnttab_domain *mapper,
                      struct gnttab_map_grant_ref *op)
{
    uint32_t flags = op->flags;
    bool readonly = (flags & GNTMAP_readonly) != 0;
    struct gnttab_domain *gt;
    struct gnttab_maptrack *mt;
    uint64_t mfn = 0, pte = 0;
    uint32_t h;
    int16_t st;

    if (!(flags & (GNTMAP_device_map | GNTMAP_host_map)))
        return op->status = GNTST_bad_gntref;
    if (flags & GNTMAP_device_map)
        return op->status = GNTST_general_error;
    gt = lookup(env, mapper, op->dom);
    if (!gt)
        return op->status = GNTST_bad_domain;
    h = get_handle(mapper);
    if (h == GNTTAB_NO_HANDLE)
        return op->status = GNTST_no_space;

    st = acquire(env, gt, op->ref, mapper->id, readonly, true, &mfn);
    if (st == GNTST_okay) {
        st = env->map_host(mapper->id, op->host_addr, flags, mfn, &pte);
        if (st != GNTST_okay)
            release(env, gt, op->ref, readonly, mfn);
    }
    if (st != GNTST_okay) {
        put_handle(mapper, h);
        return op->status = st;
    }

    mt = &mapper->maptrack[h];
    mt->flags = flags;
    mt->ref = op->ref;
    mt->granter = gt->id;
    mt->host_addr = op->host_addr;
    mt->mfn = mfn;
    mt->pte = pte;
    op->handle = h;
    op->dev_bus_addr = mfn << 12;
    return op->status = GNTST_okay;
}

/* Remove the mapping behind handle h (in use), optionally without caring whether the
 * host mapping could be removed (revocation). */
static int16_t unmap_handle(const struct gnttab_env *env, struct gnttab_domain *mapper,
                            uint32_t h, bool force)
{
    struct gnttab_maptrack *mt = &mapper->maptrack[h];
    int16_t st = env->unmap_host(mapper->id, mt->pte, mt->flags, mt->mfn);

    if (st != GNTST_okay && !force)
        return st;
    release(env, lookup(env, mapper, mt->granter), mt->ref,
            (mt->flags & GNTMAP_readonly) != 0, mt->mfn);
    put_handle(mapper, h);
    return GNTST_okay;
}

int16_t gnttab_op_unmap(const struct gnttab_env *env, struct gnttab_domain *mapper,
                        struct gnttab_unmap_grant_ref *op)
{
    uint32_t h = op->handle;

    if (h >= mapper->maptrack_max || !mapper->maptrack[h].flags)
        return op->status = GNTST_bad_handle;
    if (op->host_addr != mapper->maptrack[h].host_addr)
        return op->status = GNTST_general_error;
    return op->status = unmap_handle(env, mapper, h, false);
}

uint32_t gnttab_release_mappings(const struct gnttab_env *env, struct gnttab_domain *gt)
{
    uint32_t h, n = 0;

    for (h = 0; h < gt->maptrack_max; h++) {
        if (!gt->maptrack[h].flags)
            continue;
        unmap_handle(env, gt, h, true);
        n++;
    }
    return n;
}

/* ---- copy -------------------------------------------------------------------------- */

static int16_t copy_domain(const struct gnttab_env *env, struct gnttab_domain *caller,
                           domid_t dom, bool is_gref, struct gnttab_domain **out)
{
    /* Xen 4.17's order: an unknown domain first, then "frames by number are your own
     * only" (DOMID_SELF). */
    *out = lookup_any(env, caller, dom);
    if (!*out)
        return GNTST_bad_domain;
    return dom == DOMID_SELF || is_gref ? GNTST_okay : GNTST_permission_denied;
}

static int16_t claim(const struct gnttab_env *env, struct gnttab_domain *caller,
                     struct gnttab_domain *gt, const struct gnttab_copy_ptr *ptr,
                     bool is_gref, bool writable, struct gnttab_copy_side *side)
{
    int16_t st;

    side->offset = ptr->offset;
    side->writable = writable;
    if (is_gref) {
        st = acquire(env, gt, ptr->u.ref, caller->id, !writable, false, &side->mfn);
        if (st != GNTST_okay)
            return st;
        side->gref = true;
        side->gt = gt;
        side->granter = gt->id;
        side->ref = ptr->u.ref;
    } else {
        side->mfn = ptr->u.gmfn;
        if (env->get_page(side->mfn, caller->id))
            return GNTST_bad_page;
        if (writable && env->get_page_writable(side->mfn, caller->id)) {
            env->put_page(side->mfn);
            return GNTST_general_error;
        }
        side->granter = caller->id;
    }
    side->held = true;
    return GNTST_okay;
}

static void unclaim(const struct gnttab_env *env, struct gnttab_copy_side *side)
{
    if (!side->held)
        return;
    if (side->gref) {
        release(env, side->gt, side->ref, !side->writable, side->mfn);
    } else {
        if (side->writable)
            env->put_page_writable(side->mfn);
        env->put_page(side->mfn);
    }
    side->held = false;
}

int16_t gnttab_op_copy_prepare(const struct gnttab_env *env, struct gnttab_domain *caller,
                               const struct gnttab_copy *op, struct gnttab_copy_plan *plan)
{
    bool src_gref = (op->flags & GNTCOPY_source_gref) != 0;
    bool dst_gref = (op->flags & GNTCOPY_dest_gref) != 0;
    struct gnttab_domain *sd = NULL, *dd = NULL;
    int16_t st;

    memset(plan, 0, sizeof(*plan));
    plan->len = op->len;
    st = copy_domain(env, caller, op->source.domid, src_gref, &sd);
    if (st == GNTST_okay)
        st = copy_domain(env, caller, op->dest.domid, dst_gref, &dd);
    if (st == GNTST_okay)
        st = claim(env, caller, sd, &op->source, src_gref, false, &plan->src);
    if (st == GNTST_okay)
        st = claim(env, caller, dd, &op->dest, dst_gref, true, &plan->dst);
    if (st == GNTST_okay &&
        ((uint32_t)op->source.offset + op->len > PAGE_BYTES ||
         (uint32_t)op->dest.offset + op->len > PAGE_BYTES))
        st = GNTST_bad_copy_arg;
    if (st != GNTST_okay)
        gnttab_op_copy_finish(env, plan);
    return st;
}

void gnttab_op_copy_finish(const struct gnttab_env *env, struct gnttab_copy_plan *plan)
{
    unclaim(env, &plan->dst);
    unclaim(env, &plan->src);
}

/* ---- the auditor ----------------------------------------------------------------------- */

static int audit_fail(const char **why, const char *msg)
{
    if (why)
        *why = msg;
    return -EINVAL;
}

static int audit_one(const struct gnttab_domain *gt, const char **why)
{
    uint32_t i, used = 0, free_len = 0, pinned = 0, h;

    if (gt->nr_frames == 0 || gt->nr_frames > gt->max_frames ||
        gt->max_frames > GNTTAB_MAX_FRAMES)
        return audit_fail(why, "table size out of range");
    for (i = 0; i < gt->nr_frames; i++)
        if (!gt->frame_va[i])
            return audit_fail(why, "table frame without a mapping");
    for (i = 0; i < gt->max_frames * GNTTAB_ENTRIES_PER_FRAME; i++) {
        const struct gnttab_active *act = &gt->active[i];

        if (!act->ro && !act->rw) {
            if (act->frame || act->domid)
                return audit_fail(why, "unpinned active entry with stale fields");
            continue;
        }
        if (i >= nr_entries(gt))
            return audit_fail(why, "pin beyond the table");
        if (act->ro > GNTTAB_MAX_PIN || act->rw > GNTTAB_MAX_PIN)
            return audit_fail(why, "pin count above the limit");
        pinned++;
    }
    if (pinned != gt->nr_active)
        return audit_fail(why, "nr_active does not match the pins");
    for (h = 0; h < gt->maptrack_max; h++)
        if (gt->maptrack[h].flags)
            used++;
    if (used != gt->maptrack_used)
        return audit_fail(why, "maptrack_used does not match the handles");
    for (h = gt->maptrack_free; h != GNTTAB_NO_HANDLE; h = gt->maptrack[h].ref) {
        if (h >= gt->maptrack_max || gt->maptrack[h].flags)
            return audit_fail(why, "maptrack free list reaches a bad handle");
        if (++free_len > gt->maptrack_max - used)
            return audit_fail(why, "maptrack free list is too long or loops");
    }
    if (free_len != gt->maptrack_max - used)
        return audit_fail(why, "maptrack free list loses handles");
    return 0;
}

/* Each mapping of 'mapper' is backed by a pin of its kind on its granter's grant. */
static int audit_mappings(const struct gnttab_env *env, const struct gnttab_domain *mapper,
                          const char **why)
{
    uint32_t h;

    for (h = 0; h < mapper->maptrack_max; h++) {
        const struct gnttab_maptrack *mt = &mapper->maptrack[h];
        const struct gnttab_domain *gt;
        const struct gnttab_active *act;

        if (!mt->flags)
            continue;
        if (!(mt->flags & GNTMAP_host_map) || (mt->flags & GNTMAP_device_map))
            return audit_fail(why, "mapping with impossible flags");
        gt = mt->granter == mapper->id ? mapper
             : mt->granter >= DOMID_FIRST_RESERVED ? NULL : env->domain(mt->granter);
        if (!gt)
            continue;                   /* granter gone: its pins went with it */
        if (mt->ref >= nr_entries(gt))
            return audit_fail(why, "mapping of a grant beyond the table");
        act = &gt->active[mt->ref];
        if (act->domid != mapper->id || act->frame != mt->mfn)
            return audit_fail(why, "mapping disagrees with the grant's pin");
        if ((mt->flags & GNTMAP_readonly) ? !act->ro : !act->rw)
            return audit_fail(why, "mapping without a pin of its kind");
    }
    return 0;
}

int gnttab_audit(const struct gnttab_env *env, struct gnttab_domain *const *all, uint32_t n,
                 const char **why)
{
    uint32_t g, m, i, h;
    int rc;

    if (why)
        *why = NULL;
    for (g = 0; g < n; g++) {
        rc = audit_one(all[g], why);
        if (!rc)
            rc = audit_mappings(env, all[g], why);
        if (rc)
            return rc;
    }
    /* Per granter: pins == mappings held of it, by kind. */
    for (g = 0; g < n; g++) {
        const struct gnttab_domain *gt = all[g];
        uint64_t pins_ro = 0, pins_rw = 0, maps_ro = 0, maps_rw = 0;

        for (i = 0; i < nr_entries(gt); i++) {
            pins_ro += gt->active[i].ro;
            pins_rw += gt->active[i].rw;
        }
        for (m = 0; m < n; m++) {
            for (h = 0; h < all[m]->maptrack_max; h++) {
                const struct gnttab_maptrack *mt = &all[m]->maptrack[h];

                if (!mt->flags || mt->granter != gt->id)
                    continue;
                if (mt->flags & GNTMAP_readonly)
                    maps_ro++;
                else
                    maps_rw++;
            }
        }
        if (pins_ro != maps_ro || pins_rw != maps_rw)
            return audit_fail(why, "pins of a granter differ from the mappings of it");
    }
    return 0;
}
