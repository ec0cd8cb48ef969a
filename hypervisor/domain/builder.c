/*
 * The domain builder: from a PV kernel image to a runnable domain, following the
 * start-of-day contract of the Xen x86-64 PV ABI (xen-pv-abi-checklist.md 1.2):
 * memory, M2P and p2m, the kernel loaded by physical address, start_info, the xenstore
 * and console ring pages, bootstrap page tables mapping [virt_base, v_end) with the
 * page-table pages read-only, the L4 validated and pinned through the same PV MMU code
 * every guest update goes through, the hypercall page, and the initial vCPU state.
 * domain_release_memory() undoes it all and checks that every count returns to zero.
 */
#include "boot.h"
#include "console.h"
#include "console_ring.h"
#include "context.h"
#include "domain.h"
#include "domain/elf_notes.h"
#include "domain/layout.h"
#include "errno.h"
#include "lib.h"
#include "mm.h"

#define EVTCHN_DOMU_MAX_PORT 1023   /* what xl gives an unprivileged domain */

static void *pfn_va(struct domain *d, uint64_t pfn) { return mfn_to_virt(d->first_mfn + pfn); }

/* Slot i: push rcx; push r11; mov $i, %eax; syscall; pop r11; pop rcx; ret. Slot 23
 * (iret) is jumped to and never returns: push rcx; push r11; push rax; mov $23, %eax;
 * syscall. The rest of each 32-byte slot is int3. */
static void fill_hypercall_page(uint8_t *p)
{
    memset(p, 0xcc, PAGE_SIZE);
    for (unsigned i = 0; i < PAGE_SIZE / 32; i++) {
        uint8_t *s = p + i * 32;
        unsigned n = 0;
        s[n++] = 0x51;
        s[n++] = 0x41; s[n++] = 0x53;
        if (i == __HYPERVISOR_iret)
            s[n++] = 0x50;
        s[n++] = 0xb8;
        s[n++] = (uint8_t)i; s[n++] = 0; s[n++] = 0; s[n++] = 0;
        s[n++] = 0x0f; s[n++] = 0x05;
        if (i != __HYPERVISOR_iret) {
            s[n++] = 0x41; s[n++] = 0x5b;
            s[n++] = 0x59;
            s[n++] = 0xc3;
        }
    }
}

struct pt_builder {
    struct domain *d;
    const struct layout *lay;
    uint64_t next[5];      /* next free page-table pfn per level (1..3) */
    uint64_t end[5];
};

static uint64_t *table_entry(struct pt_builder *b, uint64_t *table, unsigned idx, int child_level)
{
    if (!(table[idx] & _PAGE_PRESENT)) {
        BUG_ON(b->next[child_level] >= b->end[child_level]);
        uint64_t pfn = b->next[child_level]++;
        table[idx] = ((b->d->first_mfn + pfn) << PAGE_SHIFT) | _PAGE_PRESENT | _PAGE_RW |
                     _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_USER;
    }
    return maddr_to_virt(table[idx] & PTE_ADDR_MASK);
}

static void build_page_tables(struct domain *d, const struct layout *lay)
{
    struct pt_builder b = { .d = d, .lay = lay };
    b.next[3] = lay->pt_pfn + 1;
    b.end[3] = b.next[3] + lay->nr_l3;
    b.next[2] = b.end[3];
    b.end[2] = b.next[2] + lay->nr_l2;
    b.next[1] = b.end[2];
    b.end[1] = b.next[1] + lay->nr_l1;
    uint64_t *l4 = pfn_va(d, lay->pt_pfn);

    for (uint64_t va = lay->virt_base, pfn = 0; va < lay->v_end; va += PAGE_SIZE, pfn++) {
        uint64_t *l3 = table_entry(&b, l4, pt_index(va, 4), 3);
        uint64_t *l2 = table_entry(&b, l3, pt_index(va, 3), 2);
        uint64_t *l1 = table_entry(&b, l2, pt_index(va, 2), 1);
        bool is_pt = pfn >= lay->pt_pfn && pfn < lay->pt_pfn + lay->nr_pt_pages;
        l1[pt_index(va, 1)] = ((d->first_mfn + pfn) << PAGE_SHIFT) | _PAGE_PRESENT |
                              _PAGE_ACCESSED | _PAGE_USER | (is_pt ? 0 : _PAGE_RW);
    }
}

static void fill_start_info(struct domain *d, const struct layout *lay, const char *cmdline)
{
    start_info_t *si = pfn_va(d, lay->start_info_pfn);
    strlcpy(si->magic, "xen-3.0-x86_64", sizeof(si->magic));
    si->nr_pages = d->nr_pages;
    si->shared_info = d->shared_info_mfn << PAGE_SHIFT;
    /* The control domain is Xen's initial domain: privileged, no rings of its own (it
     * writes through console_io, and will run the store rather than use one). */
    si->flags = d->control ? SIF_PRIVILEGED | SIF_INITDOMAIN : 0;
    si->store_mfn = d->control ? 0 : d->first_mfn + lay->xenstore_pfn;
    si->store_evtchn = 0;
    /* dom0's view of this union is console.dom0 (no VGA information: zeros). */
    si->console.domU.mfn = d->control ? 0 : d->first_mfn + lay->console_pfn;
    si->console.domU.evtchn = 0;          /* set once the port is bound (domain_build) */
    si->pt_base = layout_pfn_to_va(lay, lay->pt_pfn);
    si->nr_pt_frames = lay->nr_pt_pages;
    si->mfn_list = layout_pfn_to_va(lay, lay->p2m_pfn);
    si->mod_start = 0;
    si->mod_len = 0;
    strlcpy((char *)si->cmd_line, cmdline, sizeof(si->cmd_line));
    strlcpy(d->cmdline, cmdline, sizeof(d->cmdline));
    d->start_info_va = layout_pfn_to_va(lay, lay->start_info_pfn);
}

static void init_vcpu(struct domain *d, const struct pv_kernel_info *ki, const struct layout *lay)
{
    struct vcpu *v = &d->vcpus[0];
    v->domain = d;
    v->kernel_mode = true;
    v->kernel_l4 = d->first_mfn + lay->pt_pfn;
    v->kernel_ss = FLAT_GUEST_DS;
    v->kernel_sp = lay->boot_stack_top;
    v->vcpu_info = &d->shared_info->vcpu_info[0];
    v->vcpu_info_mfn = INVALID_MFN;
    v->runstate.state = RUNSTATE_running;

    context_init(v);
    struct cpu_regs *r = &v->regs;
    memset(r, 0, sizeof(*r));
    r->rip = ki->entry;
    r->rsp = lay->boot_stack_top;
    r->rsi = d->start_info_va;
    r->rflags = 0x202;
    r->cs = FLAT_GUEST_CS64;
    r->ss = FLAT_GUEST_DS;
}

/*
 * The xenstore ring, set up the way Xen's toolstack does it for the store of the
 * control domain (domain 0): an event channel of the domain left unbound for domain 0
 * (start_info.store_evtchn) and grant reference 1 (GNTTAB_RESERVED_XENSTORE) giving
 * domain 0 read-write access to the ring page (start_info.store_mfn). The control
 * domain's xenstored finds both (EVTCHNOP_status, parapet_op domain_info) and connects.
 * Only with the hypervisor option "xenstore" (the control domain runs a xenstored): a
 * kernel given a store port waits for the store to answer (Linux's xenbus does, for
 * ever), so without one store_evtchn stays 0.
 */
static int connect_store(struct domain *d, const struct layout *lay, const char **why)
{
    if (!cmdline_has("xenstore"))
        return 0;
    struct evtchn_alloc_unbound op = { .dom = DOMID_SELF, .remote_dom = 0 };
    if (evtchn_op_alloc_unbound(&domain_evtchn_env, &d->evtchn, &op)) {
        domain_release_memory(d);
        *why = "the xenstore event channel could not be allocated (a builder bug)";
        return -EINVAL;
    }
    uint64_t store_mfn = d->first_mfn + lay->xenstore_pfn;
    ((start_info_t *)pfn_va(d, lay->start_info_pfn))->store_evtchn = op.port;
    d->store_port = op.port;
    d->store_mfn = store_mfn;
    grant_entry_v1_t *ge = (grant_entry_v1_t *)d->gnttab.frame_va[0] + GNTTAB_RESERVED_XENSTORE;
    ge->domid = 0;
    ge->frame = (uint32_t)store_mfn;
    __atomic_store_n(&ge->flags, GTF_permit_access, __ATOMIC_RELEASE);
    return 0;
}

int domain_build(struct domain *d, const void *image, uint64_t size, const char *cmdline,
                 const struct domain_initrd *initrd, const char **why)
{
    struct pv_kernel_info ki;
    struct layout lay;
    int rc = pv_kernel_parse(image, size, &ki, why);
    if (rc)
        return rc;

    struct layout_request req = {
        .virt_base = ki.virt_base, .virt_kstart = ki.virt_kstart & ~(PAGE_SIZE - 1),
        .virt_kend = ki.virt_kend, .module_bytes = initrd ? initrd->size : 0,
        .nr_pages = d->nr_pages,
    };
    rc = layout_compute(&req, &lay, why);
    if (rc)
        return rc;
    if (ki.has_hypercall_page &&
        (ki.hypercall_page < lay.virt_base || ki.hypercall_page >= lay.v_end ||
         (ki.hypercall_page & (PAGE_SIZE - 1)))) {
        *why = "the HYPERCALL_PAGE note is not a page inside the boot mapping";
        return -EINVAL;
    }

    d->first_mfn = alloc_frames_contig(d->nr_pages, d->id);
    if (d->first_mfn == INVALID_MFN) {
        *why = "not enough contiguous free memory for the domain (lower dom_mem= or dom.mem=)";
        return -ENOMEM;
    }
    d->p2m = pfn_va(d, lay.p2m_pfn);
    for (uint64_t pfn = 0; pfn < d->nr_pages; pfn++) {
        m2p[d->first_mfn + pfn] = pfn;
        d->p2m[pfn] = d->first_mfn + pfn;
    }

    /* shared_info: a hypervisor-written page the guest may map, never a page table. */
    d->shared_info_mfn = alloc_frame(d->id);
    if (d->shared_info_mfn == INVALID_MFN) {
        domain_release_memory(d);
        *why = "no memory for shared_info";
        return -ENOMEM;
    }
    mfn_to_page(d->shared_info_mfn)->flags |= PGF_xen_shared;
    d->shared_info = mfn_to_virt(d->shared_info_mfn);
    for (unsigned i = 0; i < XEN_LEGACY_MAX_VCPUS; i++)
        d->shared_info->vcpu_info[i].evtchn_upcall_mask = 1;

    pv_kernel_load(image, &ki, (uint8_t *)pfn_va(d, 0) + (ki.virt_kstart - ki.virt_base));
    fill_start_info(d, &lay, cmdline);
    if (initrd && initrd->size) {
        /* The ramdisk right after the kernel (layout.c placed it); start_info names it
         * by PFN when the kernel asked for that (XEN_ELFNOTE_MOD_START_PFN), else by
         * virtual address, as Xen does. */
        memcpy(pfn_va(d, lay.module_pfn), initrd->data, initrd->size);
        start_info_t *si = pfn_va(d, lay.start_info_pfn);
        si->mod_start = ki.mod_start_pfn ? lay.module_pfn : layout_pfn_to_va(&lay, lay.module_pfn);
        si->mod_len = initrd->size;
        if (ki.mod_start_pfn)
            si->flags |= SIF_MOD_START_PFN;
    }
    build_page_tables(d, &lay);
    if (ki.has_hypercall_page)
        fill_hypercall_page(pfn_va(d, (ki.hypercall_page - lay.virt_base) >> PAGE_SHIFT));

    uint64_t l4 = d->first_mfn + lay.pt_pfn;
    int prc = pin_table(&hv_mm_env, l4, 4, d->id);
    int trc = prc ? 0 : get_page_and_type(&hv_mm_env, l4, PGT_l4, d->id);
    if (prc || trc) {
        printk("d%u: pin of the boot L4 0x%lx: %d, base pointer: %d\n", d->id,
               (unsigned long)l4, prc, trc);
        domain_release_memory(d);
        *why = "the boot page tables failed validation (a builder bug)";
        return -EINVAL;
    }
    init_vcpu(d, &ki, &lay);
    if (evtchn_domain_init(&d->evtchn, d->id, d->control, MAX_VCPUS,
                           d->control ? EVTCHN_DEFAULT_MAX_PORT : EVTCHN_DOMU_MAX_PORT,
                           d->shared_info)) {
        domain_release_memory(d);
        *why = "event channels could not be set up (a builder bug)";
        return -EINVAL;
    }
    if (gnttab_domain_init(&grant_env, &d->gnttab, d->id, d->control, DOMU_GRANT_FRAMES,
                           d->gnttab_active, d->gnttab_maptrack, DOMU_MAPTRACK_ENTRIES)) {
        domain_release_memory(d);
        *why = "no memory for the grant table";
        return -ENOMEM;
    }
    /* The console ring (zeroed, start_info.console.domU.mfn) and its event channel,
     * served by the hypervisor's backend (core/console_ring.c). */
    uint32_t console_port;
    if (d->control)
        return 0;
    if (console_ring_init(d, d->first_mfn + lay.console_pfn, &console_port)) {
        domain_release_memory(d);
        *why = "the console ring could not be connected (a builder bug)";
        return -EINVAL;
    }
    ((start_info_t *)pfn_va(d, lay.start_info_pfn))->console.domU.evtchn = console_port;
    return connect_store(d, &lay, why);
}

/* Give back one frame of d if nothing but its allocation references it. */
static bool free_if_unused(uint64_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    if (pg->count != 1 || pg->type_count)
        return false;
    pg->count = 0;
    free_frame(mfn);
    return true;
}

/*
 * Free every frame of d that nothing references any more. A frame still referenced is
 * either mapped by another domain through one of d's grants (while any grant of d is
 * pinned: kept, owned by d, until the mapper unmaps it) or, with no pin left, a proven
 * reference-count inconsistency: reported and never reused. Safe to call again: frames
 * already freed are no longer d's.
 */
uint64_t domain_free_frames(struct domain *d)
{
    bool pinned_by_others = d->gnttab.nr_frames && gnttab_in_use(&d->gnttab);
    uint64_t held = 0, leaked = 0;
    for (uint64_t mfn = d->first_mfn; d->first_mfn && mfn < d->first_mfn + d->nr_pages; mfn++) {
        struct page_info *pg = mfn_to_page(mfn);
        if (pg->owner != d->id || free_if_unused(mfn))
            continue;
        if (pinned_by_others) {
            held++;
            continue;
        }
        printk("d%u: frame 0x%lx still has count %u type %u/%u at teardown\n", d->id,
               (unsigned long)mfn, pg->count, pg->type, pg->type_count);
        pg->owner = DOMID_HV;
        leaked++;
    }
    /* Grant-table frames: the guest's own mappings of them went with its page tables. */
    if (d->gnttab.nr_frames && !pinned_by_others) {
        if (gnttab_domain_free_frames(&grant_env_release, &d->gnttab))
            leaked += d->gnttab.nr_frames;
        d->gnttab.nr_frames = 0;
    }
    held += d->gnttab.nr_frames;
    /* shared_info, like any frame of d, may be granted and still mapped elsewhere. */
    if (d->shared_info_mfn && free_if_unused(d->shared_info_mfn))
        d->shared_info_mfn = 0;
    else if (d->shared_info_mfn && pinned_by_others)
        held++;
    else if (d->shared_info_mfn) {
        mfn_to_page(d->shared_info_mfn)->owner = DOMID_HV;
        d->shared_info_mfn = 0;
        leaked++;
    }
    if (leaked)
        printk("d%u: %lu frames kept out of use after a reference-count mismatch\n", d->id,
               (unsigned long)leaked);
    return held;
}

/* Drop every reference the domain holds (its grant mappings of others' frames first,
 * while the page tables holding them exist), then free its frames. */
uint64_t domain_release_memory(struct domain *d)
{
    struct vcpu *v = &d->vcpus[0];
    if (d->gnttab.nr_frames)
        gnttab_release_mappings(&grant_env_release, &d->gnttab);
    if (v->kernel_l4)
        put_page_and_type(&hv_mm_env, v->kernel_l4);
    if (v->user_l4)
        put_page_and_type(&hv_mm_env, v->user_l4);
    v->kernel_l4 = v->user_l4 = 0;
    for (unsigned i = 0; i < v->gdt_nr_frames; i++)
        put_page_and_type(&hv_mm_env, v->gdt_frames[i]);
    v->gdt_nr_frames = 0;
    if (v->vcpu_info_registered)
        put_page_and_type(&hv_mm_env, v->vcpu_info_mfn);
    v->vcpu_info_registered = false;
    if (d->first_mfn && d->first_mfn != INVALID_MFN)
        for (uint64_t mfn = d->first_mfn; mfn < d->first_mfn + d->nr_pages; mfn++)
            if (mfn_to_page(mfn)->flags & PGF_pinned)
                unpin_table(&hv_mm_env, mfn, d->id);
    if (d->first_mfn == INVALID_MFN)
        d->first_mfn = 0;
    return domain_free_frames(d);
}
