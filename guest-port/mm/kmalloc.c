/*
 * kmalloc: memory for data whose size is known only at run time (the xenstore service's
 * nodes, values and connections). Blocks of 32 to 4096 bytes come from frames cut into
 * equal pieces, one free list per size, never given back to the frame pool; larger
 * requests take whole contiguous frames and return them when freed. Each block starts
 * with a 16-byte header naming its size class or frame count. Below KMALLOC_RESERVE free
 * frames kmalloc answers NULL instead of panicking: a client of the store that floods it
 * gets ENOMEM, while page tables and kernel stacks still find frames.
 */
#include "mm.h"

#define KMALLOC_RESERVE 64                      /* frames kept for the kernel itself */
#define HDR             16
#define NR_CLASSES      8                       /* 32 << 0 .. 32 << 7 = 4096 */
#define MAGIC_SMALL     0x6b6d616cU
#define MAGIC_LARGE     0x6b6d6167U

struct header {
    uint32_t magic;
    uint32_t n;                                 /* class, or frames */
    uint64_t pad;
};
_Static_assert(sizeof(struct header) == HDR, "the header keeps blocks 16-byte aligned");

struct free_block {
    struct free_block *next;
};

static struct free_block *free_list[NR_CLASSES];
static unsigned long in_use;

static size_t class_size(unsigned int c)
{
    return (size_t)32 << c;
}

/* A fresh frame cut into blocks of class c; false when the pool is at its reserve. */
static bool refill(unsigned int c)
{
    unsigned long pfn;
    char *page;
    size_t off;

    if (frames_free_count() <= KMALLOC_RESERVE)
        return false;
    pfn = frames_alloc_try(1);
    if (!pfn)
        return false;
    page = pfn_to_virt(pfn);
    for (off = 0; off + class_size(c) <= PAGE_SIZE; off += class_size(c)) {
        struct free_block *b = (struct free_block *)(void *)(page + off);

        b->next = free_list[c];
        free_list[c] = b;
    }
    return true;
}

static void *alloc_large(size_t size)
{
    unsigned long frames = (size + HDR + PAGE_SIZE - 1) / PAGE_SIZE, pfn;
    struct header *h;

    if (frames_free_count() <= KMALLOC_RESERVE + frames)
        return NULL;
    pfn = frames_alloc_try((unsigned int)frames);
    if (!pfn)
        return NULL;
    h = pfn_to_virt(pfn);
    h->magic = MAGIC_LARGE;
    h->n = (uint32_t)frames;
    in_use += frames * PAGE_SIZE;
    return h + 1;
}

void *kmalloc(size_t size)
{
    unsigned long flags;
    struct header *h;
    unsigned int c = 0;

    if (size + HDR > class_size(NR_CLASSES - 1))
        return alloc_large(size);
    while (class_size(c) < size + HDR)
        c++;
    flags = pv_ops.cpu.irq_save();
    if (!free_list[c] && !refill(c)) {
        pv_ops.cpu.irq_restore(flags);
        return NULL;
    }
    h = (struct header *)(void *)free_list[c];
    free_list[c] = free_list[c]->next;
    in_use += class_size(c);
    pv_ops.cpu.irq_restore(flags);
    h->magic = MAGIC_SMALL;
    h->n = c;
    return h + 1;
}

void kfree(void *p)
{
    struct header *h = (struct header *)p - 1;
    unsigned long flags;
    unsigned int c;

    if (!p)
        return;
    if (h->magic == MAGIC_LARGE) {
        in_use -= h->n * PAGE_SIZE;
        h->magic = 0;
        frames_free(virt_to_pfn(h), h->n);
        return;
    }
    if (h->magic != MAGIC_SMALL || h->n >= NR_CLASSES)
        panic("kfree(%p): not a block kmalloc handed out", p);
    c = h->n;                               /* the link below overwrites the header */
    h->magic = 0;
    flags = pv_ops.cpu.irq_save();
    in_use -= class_size(c);
    ((struct free_block *)(void *)h)->next = free_list[c];
    free_list[c] = (struct free_block *)(void *)h;
    pv_ops.cpu.irq_restore(flags);
}

unsigned long kmalloc_in_use(void)
{
    return in_use;
}
