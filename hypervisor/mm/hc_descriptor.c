/*
 * Descriptor tables: set_gdt hands the hypervisor up to 14 frames that become the
 * guest part of the GDT window (each frame must be the domain's and have no writable
 * mapping: it takes the seg_desc type), and update_descriptor writes one validated
 * descriptor. Validation: not-present descriptors pass; code and data segments pass
 * with DPL forced to 3 and the accessed bit set (so the CPU never writes them); every
 * system descriptor (TSS, LDT, gates) is refused, call gates included. A trap guest
 * (emul/trap.c) may keep its 64-bit TSS descriptor: it is made not-present in place, so
 * the CPU can never load it, and the emulated ltr reads the TSS base from it.
 */
#include "domain.h"
#include "errno.h"
#include "guest_access.h"
#include "hypercall.h"
#include "mm.h"
#include "mm/descriptor.h"

#define GDT_GUEST_FRAMES 14
#define DESC_PRESENT (1ULL << 47)
#define DESC_S       (1ULL << 44)   /* code/data (1) or system (0) */
#define DESC_DPL3    (3ULL << 45)
#define DESC_ACCESSED (1ULL << 40)

static bool desc_fixup(uint64_t *desc, bool trap)
{
    if (!(*desc & DESC_PRESENT))
        return true;
    if (!(*desc & DESC_S)) {
        unsigned type = (unsigned)(*desc >> 40) & 0xf;
        if (trap && (type == DESC_TYPE_TSS64 || type == DESC_TYPE_TSS64_BUSY)) {
            *desc &= ~DESC_PRESENT;
            return true;
        }
        return false;
    }
    *desc |= DESC_DPL3 | DESC_ACCESSED;
    return true;
}

static bool frame_descs_ok(uint64_t mfn, bool trap)
{
    uint64_t *d = mfn_to_virt(mfn);
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
        uint64_t copy = d[i];
        if (!desc_fixup(&copy, trap))
            return false;
    }
    for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
        desc_fixup(&d[i], trap);
    return true;
}

long hc_set_gdt(uint64_t frame_list, uint64_t entries, uint64_t a3, uint64_t a4, uint64_t a5)
{
    uint64_t frames[GDT_GUEST_FRAMES];
    if (entries > GDT_GUEST_FRAMES * 512)
        return -EINVAL;
    unsigned nr = (unsigned)((entries + 511) / 512);
    if (copy_from_guest(frames, frame_list, nr * sizeof(frames[0])))
        return -EFAULT;
    return vcpu_set_gdt(current_vcpu(), frames, entries);
}

int vcpu_set_gdt(struct vcpu *v, const uint64_t *frames, uint64_t entries)
{
    domid_t d = v->domain->id;
    if (entries > GDT_GUEST_FRAMES * 512)
        return -EINVAL;
    unsigned nr = (unsigned)((entries + 511) / 512);
    unsigned taken;
    for (taken = 0; taken < nr; taken++) {
        if (get_page_and_type(&hv_mm_env, frames[taken], PGT_seg_desc, d))
            break;
        if (!frame_descs_ok(frames[taken], v->domain->trap)) {
            put_page_and_type(&hv_mm_env, frames[taken]);
            break;
        }
    }
    if (taken < nr) {
        while (taken--)
            put_page_and_type(&hv_mm_env, frames[taken]);
        return -EINVAL;
    }
    for (unsigned i = 0; i < v->gdt_nr_frames; i++)
        put_page_and_type(&hv_mm_env, v->gdt_frames[i]);
    for (unsigned i = 0; i < nr; i++)
        v->gdt_frames[i] = frames[i];
    v->gdt_nr_frames = nr;
    v->gdt_entries = (unsigned)entries;
    desc_load_guest_gdt(v);
    return 0;
}

long hc_update_descriptor(uint64_t maddr, uint64_t desc, uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct domain *dom = current_domain();
    uint64_t mfn = maddr >> PAGE_SHIFT;
    if (maddr & 7)
        return -EINVAL;
    struct page_info *pg = mm_owned_frame(&hv_mm_env, mfn, dom->id);
    if (!pg || (pg->flags & PGF_xen_shared) || !desc_fixup(&desc, dom->trap))
        return -EINVAL;
    volatile uint64_t *slot = (uint64_t *)mfn_to_virt(mfn) + (maddr & (PAGE_SIZE - 1)) / 8;
    if (pg->type == PGT_seg_desc && pg->type_count) {
        *slot = desc;
        return 0;
    }
    if (get_page_type(&hv_mm_env, mfn, PGT_writable, dom->id))
        return -EINVAL;
    *slot = desc;
    put_page_type(&hv_mm_env, mfn);
    return 0;
}
