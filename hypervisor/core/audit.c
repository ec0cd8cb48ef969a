/*
 * The invariant auditor ("audit" on the hypervisor command line; the test suite runs
 * with it). After every hypercall that can change page tables, descriptor tables or
 * event channels, it recomputes from first principles what each frame of the domain
 * must hold (one allocation reference, one per present entry of a validated table that
 * maps it, one per pin, base pointer, GDT slot and registered vcpu_info, one per grant
 * pin and per grant mapping on its L1; type references likewise) and compares with the
 * frame table; it checks that no frame is both typed and mapped writable, that every
 * validated L4 still carries the hypervisor's slots 256..271, that grant-marked L1
 * entries and the domain's grant mappings match one to one, and the event-channel and
 * grant tables' own consistency. A mismatch is a hypervisor bug: it is reported and
 * the machine stops.
 */
#include "audit.h"
#include "boot.h"
#include "console.h"
#include "domain.h"
#include "lib.h"
#include "mm.h"
#include "shutdown.h"

#define AUDIT_MAX_FRAMES (1u << 18)   /* 1 GiB domains; larger ones are not audited */
#define AUDIT_SLOTS (AUDIT_MAX_FRAMES + 1 + DOMU_GRANT_FRAMES)

bool audit_enabled;
static unsigned long audit_every;      /* recount after every Nth table-changing call */
static uint32_t want_count[AUDIT_SLOTS], want_type[AUDIT_SLOTS];
static uint32_t writable_refs[AUDIT_SLOTS];
static uint32_t grant_entries;        /* grant-marked L1 entries seen by count_table */
static uint64_t audits_run;

void audit_init(void)
{
    audit_enabled = cmdline_has("audit");
    audit_every = cmdline_ulong("audit_every", 1);
    if (!audit_every)
        audit_every = 1;
    if (audit_enabled)
        printk("audit: checking page-table and event-channel invariants after hypercalls"
               " (every %lu%s)\n", audit_every, audit_every == 1 ? "" : "th hypercall");
}

/* The domain's frames, in scratch-array order: its memory, shared_info, then its
 * grant-table frames. */
static uint64_t nr_slots(const struct domain *d) { return d->nr_pages + 1 + d->gnttab.nr_frames; }

static uint64_t slot_mfn(const struct domain *d, uint64_t i)
{
    if (i < d->nr_pages)
        return d->first_mfn + i;
    if (i == d->nr_pages)
        return d->shared_info_mfn;
    return d->gnttab.frame_mfn[i - d->nr_pages - 1];
}

/* Index of a domain frame in the scratch arrays, or -1 if the frame is not the
 * domain's (which a validated entry can never point at). */
static long slot(const struct domain *d, uint64_t mfn)
{
    if (mfn >= d->first_mfn && mfn < d->first_mfn + d->nr_pages)
        return (long)(mfn - d->first_mfn);
    if (mfn == d->shared_info_mfn)
        return (long)d->nr_pages;
    for (uint32_t f = 0; f < d->gnttab.nr_frames; f++)
        if (mfn == d->gnttab.frame_mfn[f])
            return (long)(d->nr_pages + 1 + f);
    return -1;
}

static void __attribute__((noreturn)) audit_fail(struct domain *d, const char *what,
                                                 uint64_t mfn, uint64_t got, uint64_t want)
{
    printk("AUDIT FAILED after a hypercall of d%u: %s: frame 0x%lx has %lu, expected %lu\n",
           d->id, what, (unsigned long)mfn, (unsigned long)got, (unsigned long)want);
    hv_exit(EXIT_HV_FAILURE);
}

static void add_ref(struct domain *d, uint64_t mfn, bool typed, const char *what)
{
    long i = slot(d, mfn);
    if (i < 0)
        audit_fail(d, what, mfn, 1, 0);   /* a reference to a frame not the domain's */
    want_count[i]++;
    if (typed)
        want_type[i]++;
}

/* A grant-marked entry at machine address maddr holds no PV MMU reference (its grant
 * does): it must be the entry of one of the domain's grant mappings, of its frame and
 * kind. */
static void check_grant_entry(struct domain *d, uint64_t maddr, uint64_t e)
{
    const struct gnttab_domain *gt = &d->gnttab;
    for (uint32_t h = 0; h < gt->maptrack_max; h++) {
        const struct gnttab_maptrack *mt = &gt->maptrack[h];
        if (!mt->flags || mt->pte != maddr)
            continue;
        if (mt->mfn != pte_mfn(e) || !(mt->flags & GNTMAP_readonly) != !!(e & _PAGE_RW))
            audit_fail(d, "grant-marked entry disagrees with its mapping",
                       maddr >> PAGE_SHIFT, e, mt->mfn);
        grant_entries++;
        return;
    }
    audit_fail(d, "grant-marked entry without a grant mapping", maddr >> PAGE_SHIFT, e, 0);
}

/* References held by the present entries of a validated table. */
static void count_table(struct domain *d, uint64_t mfn, int level)
{
    const uint64_t *e = mfn_to_virt(mfn);
    for (unsigned i = 0; i < PT_ENTRIES; i++) {
        if (level == 4 && l4_slot_is_xen(i)) {
            /* The CPU sets A (and D) while walking: only they may differ. */
            const uint64_t hw_bits = _PAGE_ACCESSED | _PAGE_DIRTY;
            if ((e[i] | hw_bits) != (idle_l4()[i] | hw_bits))
                audit_fail(d, "hypervisor L4 slot changed", mfn, e[i], idle_l4()[i]);
            continue;
        }
        if (!pte_present(e[i]))
            continue;
        if (level == 1 && pte_is_grant(e[i])) {
            check_grant_entry(d, mfn << PAGE_SHIFT | i * 8UL, e[i]);
            continue;
        }
        bool rw_leaf = level == 1 && (e[i] & _PAGE_RW);
        add_ref(d, pte_mfn(e[i]), level > 1 || rw_leaf, "page-table entry");
        if (rw_leaf)
            writable_refs[slot(d, pte_mfn(e[i]))]++;
    }
}

/* What grants hold. Each of the domain's grant mappings: its entry is a grant-marked
 * entry of its frame in a validated L1 of the domain (at host_addr with contains_pte),
 * and the L1 holds a general and a type reference for it; with check_grant_entry, the
 * mappings and the marked entries match one to one. Each pin of the domain's own grants:
 * a general reference on the pinned frame, and a writable type reference if writable. */
static void audit_grants(struct domain *d)
{
    const struct gnttab_domain *gt = &d->gnttab;
    uint32_t maps = 0;
    for (uint32_t h = 0; h < gt->maptrack_max; h++) {
        const struct gnttab_maptrack *mt = &gt->maptrack[h];
        if (!mt->flags)
            continue;
        maps++;
        uint64_t l1 = mt->pte >> PAGE_SHIFT;
        const struct page_info *pg = mfn_valid(l1) ? mfn_to_page(l1) : NULL;
        if (!pg || pg->owner != d->id || pg->type != PGT_l1 || !pg->type_count)
            audit_fail(d, "grant mapping outside a validated L1", l1, pg ? pg->type : 0,
                       PGT_l1);
        uint64_t e = ((const uint64_t *)mfn_to_virt(l1))[(mt->pte & (PAGE_SIZE - 1)) / 8];
        if (!pte_is_grant(e) || pte_mfn(e) != mt->mfn)
            audit_fail(d, "grant mapping whose entry is gone", l1, e, mt->mfn);
        if ((mt->flags & GNTMAP_contains_pte) && mt->host_addr != mt->pte)
            audit_fail(d, "grant mapping away from its host_addr", l1, mt->pte,
                       mt->host_addr);
        add_ref(d, l1, true, "grant mapping's L1");
    }
    if (maps != grant_entries)
        audit_fail(d, "grant mappings vs grant-marked entries", 0, maps, grant_entries);
    for (uint32_t i = 0; i < gt->nr_frames * GNTTAB_ENTRIES_PER_FRAME; i++) {
        const struct gnttab_active *act = &gt->active[i];
        for (unsigned k = 0; k < act->ro + act->rw; k++)
            add_ref(d, act->frame, k < act->rw, "grant pin");
        if (act->rw)
            writable_refs[slot(d, act->frame)] += act->rw;
    }
}

static void audit_memory(struct domain *d)
{
    uint64_t n = nr_slots(d);
    memset(want_count, 0, n * sizeof(want_count[0]));
    memset(want_type, 0, n * sizeof(want_type[0]));
    memset(writable_refs, 0, n * sizeof(writable_refs[0]));
    grant_entries = 0;

    for (uint64_t i = 0; i < n; i++) {
        uint64_t mfn = slot_mfn(d, i);
        const struct page_info *pg = mfn_to_page(mfn);
        want_count[i]++;                                   /* the allocation */
        if (pg->type >= PGT_l1 && pg->type <= PGT_l4 && pg->type_count)
            count_table(d, mfn, pg->type);
        if (pg->flags & PGF_pinned)
            add_ref(d, mfn, true, "pin");
    }
    for (unsigned v = 0; v < MAX_VCPUS; v++) {
        const struct vcpu *vc = &d->vcpus[v];
        if (vc->kernel_l4)
            add_ref(d, vc->kernel_l4, true, "kernel base pointer");
        if (vc->user_l4)
            add_ref(d, vc->user_l4, true, "user base pointer");
        for (unsigned g = 0; g < vc->gdt_nr_frames; g++)
            add_ref(d, vc->gdt_frames[g], true, "GDT frame");
        if (vc->vcpu_info_registered) {
            add_ref(d, vc->vcpu_info_mfn, true, "registered vcpu_info");
            writable_refs[slot(d, vc->vcpu_info_mfn)]++;
        }
    }
    audit_grants(d);

    for (uint64_t i = 0; i < n; i++) {
        uint64_t mfn = slot_mfn(d, i);
        const struct page_info *pg = mfn_to_page(mfn);
        if (pg->owner != d->id)
            audit_fail(d, "owner", mfn, pg->owner, d->id);
        if (pg->count != want_count[i])
            audit_fail(d, "reference count", mfn, pg->count, want_count[i]);
        if (pg->type_count != want_type[i])
            audit_fail(d, "type count", mfn, pg->type_count, want_type[i]);
        if (pg->type != PGT_writable && writable_refs[i])
            audit_fail(d, "writable mapping of a typed frame (type in 'has')", mfn,
                       pg->type, PGT_writable);
    }
}

void audit_after_hypercall(uint64_t nr)
{
    struct domain *d = current_domain();
    if (!d)
        return;
    if (d->nr_pages > AUDIT_MAX_FRAMES) {
        if (!d->audit_skipped_said) {
            d->audit_skipped_said = true;
            printk("audit: d%u has %lu MiB, more than the auditor covers (%u MiB): not audited\n",
                   d->id, (unsigned long)(d->nr_pages >> 8), AUDIT_MAX_FRAMES >> 8);
        }
        return;
    }
    if (nr != __HYPERVISOR_event_channel_op && ++d->audit_calls % audit_every)
        return;                          /* sampled: a later call recounts everything */
    switch (nr) {
    case __HYPERVISOR_mmu_update:
    case __HYPERVISOR_mmuext_op:
    case __HYPERVISOR_update_va_mapping:
    case __HYPERVISOR_set_gdt:
    case __HYPERVISOR_update_descriptor:
    case __HYPERVISOR_vcpu_op:
    case __HYPERVISOR_multicall:
        audit_memory(d);
        break;
    case __HYPERVISOR_grant_table_op: {
        struct gnttab_domain *all[1] = { &d->gnttab };
        const char *why = NULL;
        audit_memory(d);
        if (gnttab_audit(&grant_env, all, 1, &why))
            audit_fail(d, why ? why : "grant table", 0, 1, 0);
        break;
    }
    case __HYPERVISOR_event_channel_op: {
        const char *why = NULL;
        if (evtchn_audit(&domain_evtchn_env, &d->evtchn, &why))
            audit_fail(d, why ? why : "event-channel table", 0, 1, 0);
        break;
    }
    default:
        return;
    }
    audits_run++;
}

uint64_t audit_count(void) { return audits_run; }
