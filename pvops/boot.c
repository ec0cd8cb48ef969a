/*
 * The two boot protocols, made one: pv_boot_xen() reads the Xen PV start_info (the p2m
 * list, the command line, how much of the bootstrap region is taken), pv_boot_multiboot()
 * the multiboot information (memory size, command line; the p2m is the identity). Both
 * then choose the backend from pvops= on the command line, defaulting to the entry's
 * own: xen after the Xen entry, native after multiboot.
 */
#include "internal.h"

#define MULTIBOOT_MAGIC     0x2badb002u
#define MBI_FLAG_MEMORY     (1u << 0)
#define MBI_FLAG_CMDLINE    (1u << 2)

/* The first fields of the multiboot information structure (multiboot 0.6.96, 3.3). */
struct multiboot_info {
    uint32_t flags;
    uint32_t mem_lower;                 /* KiB below 1 MiB */
    uint32_t mem_upper;                 /* KiB from 1 MiB to the first hole */
    uint32_t boot_device;
    uint32_t cmdline;                   /* physical address of a C string */
};

const unsigned long *pv_p2m_list;

static void copy_cmdline(struct pv_boot *b, const char *s, size_t max)
{
    size_t i;

    for (i = 0; i + 1 < sizeof(b->cmdline) && i < max && s[i]; i++)
        b->cmdline[i] = s[i];
    b->cmdline[i] = '\0';
}

bool pv_cmdline_value(const char *cmdline, const char *key, char *out, size_t outlen)
{
    const char *p;
    size_t i, k;
    bool found = false;

    for (p = cmdline; *p; p++) {
        if (p != cmdline && p[-1] != ' ')
            continue;                   /* not the start of a word */
        for (k = 0; key[k] && p[k] == key[k]; k++)
            ;
        if (key[k] || p[k] != '=')
            continue;
        for (i = 0; i + 1 < outlen && p[k + 1 + i] && p[k + 1 + i] != ' '; i++)
            out[i] = p[k + 1 + i];
        out[i] = '\0';
        found = true;                   /* keep looking: the last one wins */
    }
    return found;
}

/* pvops= if it names a backend that can run here, else the entry's default. */
static void choose_backend(struct pv_boot *b, const char *dflt)
{
    if (!pv_cmdline_value(b->cmdline, "pvops", b->requested, sizeof(b->requested)))
        b->requested[0] = '\0';
    if (b->requested[0] && pvops_select(b->requested, b) == 0)
        return;
    if (pvops_select(dflt, b) != 0)
        pv_panic("no usable pvops backend", 0);
}

static unsigned long cap_pages(unsigned long pages)
{
    return pages < PV_MAX_PAGES ? pages : PV_MAX_PAGES;
}

void pv_boot_xen(struct pv_boot *b, void *si, unsigned long boot_rsp,
                 unsigned long image_end)
{
    start_info_t *s = si;
    unsigned long tables_end = PFN_UP(s->pt_base) + s->nr_pt_frames;

    b->entry = PV_ENTRY_XEN;
    b->start_info = si;
    pv_p2m_list = (const unsigned long *)s->mfn_list;
    copy_cmdline(b, (const char *)s->cmd_line, sizeof(s->cmd_line));
    b->mem_pages = s->nr_pages;
    b->nr_pages = cap_pages(s->nr_pages);
    /* Image, p2m list, start_info, rings, boot page tables and the boot stack, in this
     * order from pseudo-physical 0; the stack we were started on ends the region. */
    b->first_free_pfn = PFN_UP(boot_rsp);
    if (b->first_free_pfn < tables_end)
        b->first_free_pfn = tables_end;
    if (b->first_free_pfn < PFN_UP(image_end))
        b->first_free_pfn = PFN_UP(image_end);
    choose_backend(b, "xen");
}

void pv_boot_multiboot(struct pv_boot *b, uint32_t magic, uint32_t mbi_addr,
                       unsigned long image_end)
{
    const struct multiboot_info *mbi = (const struct multiboot_info *)(uintptr_t)mbi_addr;

    b->entry = PV_ENTRY_MULTIBOOT;
    b->start_info = NULL;
    pv_p2m_list = NULL;
    b->cmdline[0] = '\0';
    b->mem_pages = 16UL << (20 - PAGE_SHIFT);   /* 16 MiB if the loader says nothing */
    if (magic == MULTIBOOT_MAGIC && (mbi->flags & MBI_FLAG_CMDLINE))
        copy_cmdline(b, (const char *)(uintptr_t)mbi->cmdline, PV_CMDLINE_MAX);
    if (magic == MULTIBOOT_MAGIC && (mbi->flags & MBI_FLAG_MEMORY))
        b->mem_pages = (1024UL + mbi->mem_upper) >> (PAGE_SHIFT - 10);
    b->nr_pages = cap_pages(b->mem_pages);
    /* The multiboot information lies after the image: copied above, free from now. */
    b->first_free_pfn = PFN_UP(image_end);
    choose_backend(b, "native");
}
