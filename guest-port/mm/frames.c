/*
 * The frame allocator: one bit per pseudo-physical frame the kernel was given, set when
 * the frame is in use. Boot releases the frames that are free (pt_init, as it maps
 * them); after that frames come and go one at a time (page tables, user pages) or a
 * few contiguous ones (kernel stacks, kmalloc's large blocks). A frame in the pool is
 * always mapped writable in the direct map, so it can be zeroed here.
 */
#include "mm.h"

static uint64_t in_use[PV_MAX_PAGES / 64];
static unsigned long nr_frames, nr_free, next_hint;

static bool used(unsigned long pfn)
{
    return in_use[pfn / 64] >> (pfn % 64) & 1;
}

static void mark(unsigned long pfn, bool busy)
{
    if (busy)
        in_use[pfn / 64] |= 1UL << (pfn % 64);
    else
        in_use[pfn / 64] &= ~(1UL << (pfn % 64));
}

void frames_init(unsigned long nr_pages)
{
    nr_frames = nr_pages;
    nr_free = 0;
    memset(in_use, 0xff, sizeof(in_use));
}

void frame_release(unsigned long pfn)
{
    if (pfn >= nr_frames || !used(pfn))
        panic("frame_release: frame %lx is not a used frame of ours", pfn);
    mark(pfn, false);
    nr_free++;
}

unsigned long frames_alloc_try(unsigned int n)
{
    unsigned long flags = pv_ops.cpu.irq_save(), start, run = 0, pfn;

    for (pfn = next_hint, start = next_hint; pfn < nr_frames + next_hint; pfn++) {
        unsigned long p = pfn % nr_frames;

        if (p == 0 || used(p)) {        /* a run never wraps or includes frame 0 */
            run = 0;
            start = p + 1;
            continue;
        }
        if (++run < n)
            continue;
        for (p = start; p < start + n; p++)
            mark(p, true);
        nr_free -= n;
        next_hint = start + n;
        pv_ops.cpu.irq_restore(flags);
        return start;
    }
    pv_ops.cpu.irq_restore(flags);
    return 0;
}

unsigned long frames_alloc(unsigned int n)
{
    unsigned long pfn = frames_alloc_try(n);

    if (!pfn)
        panic("out of memory: no %u free frames in a row (%lu free)", n, nr_free);
    return pfn;
}

unsigned long frame_alloc(void)
{
    unsigned long pfn = frames_alloc(1);

    memset(pfn_to_virt(pfn), 0, PAGE_SIZE);
    return pfn;
}

void frames_free(unsigned long pfn, unsigned int n)
{
    unsigned long flags = pv_ops.cpu.irq_save();

    for (; n; n--, pfn++) {
        if (pfn >= nr_frames || !used(pfn))
            panic("frame_free: frame %lx was not allocated", pfn);
        mark(pfn, false);
        nr_free++;
    }
    pv_ops.cpu.irq_restore(flags);
}

void frame_free(unsigned long pfn)
{
    frames_free(pfn, 1);
}

unsigned long frames_free_count(void)
{
    return nr_free;
}
