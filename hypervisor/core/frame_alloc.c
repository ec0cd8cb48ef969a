/*
 * The frame allocator: a bitmap over machine frames, one bit per frame, 1 = free.
 * Free RAM is what the e820 map says minus the first 1 MiB, the hypervisor image, the
 * boot modules and the tables paging.c carves out before this runs. Frames are scrubbed
 * (zeroed) when they are handed out, so no domain ever sees another's data (A10).
 */
#include "boot.h"
#include "console.h"
#include "lib.h"
#include "mm.h"

static uint64_t *free_bitmap;     /* bit set = free */
static uint64_t nr_free, nr_total;
static uint64_t search_hint;

extern char _image_end[];

static void mark(uint64_t mfn, bool free)
{
    uint64_t bit = 1ULL << (mfn % 64);
    if (free && !(free_bitmap[mfn / 64] & bit)) {
        free_bitmap[mfn / 64] |= bit;
        nr_free++;
    } else if (!free && (free_bitmap[mfn / 64] & bit)) {
        free_bitmap[mfn / 64] &= ~bit;
        nr_free--;
    }
}

static bool is_free(uint64_t mfn) { return free_bitmap[mfn / 64] & (1ULL << (mfn % 64)); }

/* Boot-time bump allocation for the allocator's own tables, before the bitmap exists. */
static uint64_t boot_bump;
uint64_t boot_alloc_pages(uint64_t n);
uint64_t boot_alloc_pages(uint64_t n)
{
    if (!boot_bump)
        boot_bump = ALIGN_UP(virt_to_maddr(_image_end), PAGE_SIZE);
    for (;;) {
        uint64_t start = boot_bump, end = start + n * PAGE_SIZE;
        bool clash = false;
        for (unsigned i = 0; i < boot_info.nr_modules; i++) {
            const struct boot_module *m = &boot_info.modules[i];
            if (start < m->end && m->start < end) {
                boot_bump = ALIGN_UP(m->end, PAGE_SIZE);
                clash = true;
            }
        }
        if (!clash) {
            boot_bump = end;
            memset(maddr_to_virt(start), 0, n * PAGE_SIZE);
            return start;
        }
    }
}

void frame_alloc_init(void)
{
    uint64_t words = (max_mfn + 63) / 64;
    free_bitmap = maddr_to_virt(boot_alloc_pages((words * 8 + PAGE_SIZE - 1) / PAGE_SIZE));

    for (unsigned i = 0; i < boot_info.nr_regions; i++) {
        const struct mem_region *r = &boot_info.regions[i];
        if (r->type != E820_RAM)
            continue;
        for (uint64_t mfn = ALIGN_UP(r->start, PAGE_SIZE) >> PAGE_SHIFT;
             mfn < (r->end >> PAGE_SHIFT) && mfn < max_mfn; mfn++) {
            uint64_t pa = mfn << PAGE_SHIFT;
            bool used = pa < boot_bump || pa < 0x100000;
            for (unsigned j = 0; j < boot_info.nr_modules; j++)
                if (pa + PAGE_SIZE > boot_info.modules[j].start && pa < boot_info.modules[j].end)
                    used = true;
            if (!used) {
                frame_table[mfn].owner = DOMID_FREE_FRAME;
                frame_table[mfn].count = 0;
                mark(mfn, true);
                nr_total++;
            }
        }
    }
    /* From here on, boot_alloc_pages must not be used: its frames are not tracked. */
    boot_bump = ~0ULL;
}

static void give(uint64_t mfn, domid_t owner)
{
    struct page_info *pg = mfn_to_page(mfn);
    mark(mfn, false);
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);
    pg->owner = owner;
    pg->count = 1;
    pg->type_count = 0;
    pg->type = PGT_none;
    pg->flags = 0;
}

uint64_t alloc_frame(domid_t owner)
{
    for (uint64_t n = 0; n < max_mfn; n++) {
        uint64_t mfn = (search_hint + n) % max_mfn;
        if (is_free(mfn)) {
            search_hint = mfn + 1;
            give(mfn, owner);
            return mfn;
        }
    }
    return INVALID_MFN;
}

uint64_t alloc_frames_contig(uint64_t n, domid_t owner)
{
    uint64_t run = 0;
    for (uint64_t mfn = 0; mfn < max_mfn; mfn++) {
        run = is_free(mfn) ? run + 1 : 0;
        if (run == n) {
            uint64_t first = mfn + 1 - n;
            for (uint64_t m = first; m <= mfn; m++)
                give(m, owner);
            return first;
        }
    }
    return INVALID_MFN;
}

void free_frame(uint64_t mfn)
{
    struct page_info *pg = mfn_to_page(mfn);
    BUG_ON(is_free(mfn));
    BUG_ON(pg->count || pg->type_count);
    memset(mfn_to_virt(mfn), 0, PAGE_SIZE);   /* scrub on free as well as on alloc */
    m2p[mfn] = INVALID_M2P_ENTRY;
    pg->owner = DOMID_FREE_FRAME;
    pg->type = PGT_none;
    pg->flags = 0;
    mark(mfn, true);
}

uint64_t frames_free(void) { return nr_free; }
uint64_t frames_total(void) { return nr_total; }
