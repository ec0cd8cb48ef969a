/*
 * Multiboot (v1) information: the memory map, the boot modules and the command lines.
 * Everything is read through the direct map; addresses the loader gives are checked
 * against what the boot map covers before use.
 */
#include "boot.h"
#include "lib.h"
#include "mm.h"

#define MULTIBOOT_LOADER_MAGIC 0x2BADB002
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)

struct mbi {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
    uint32_t syms[4];
    uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_module { uint32_t start, end, string, reserved; } __attribute__((packed));
struct mb_mmap { uint32_t size; uint64_t base, length; uint32_t type; } __attribute__((packed));

struct boot_info boot_info;

/* Loader strings can sit in memory the hypervisor reuses (QEMU puts them just after the
 * image): copy them into this pool while parsing. Too long a string is cut. */
static char string_pool[4096];
static size_t pool_used;

static const char *phys_string(uint32_t pa)
{
    if (!pa)
        return "";
    char *dst = &string_pool[pool_used];
    size_t room = sizeof(string_pool) - pool_used;
    if (room < 2)
        return "";
    size_t n = strlcpy(dst, (const char *)maddr_to_virt(pa), room);
    pool_used += MIN(n, room - 1) + 1;
    return dst;
}

const char *multiboot_parse(uint32_t magic, uint64_t mbi_pa)
{
    if (magic != MULTIBOOT_LOADER_MAGIC)
        return "not started by a multiboot loader (bad magic in EAX)";
    const struct mbi *mbi = maddr_to_virt(mbi_pa);
    boot_info.cmdline = (mbi->flags & MBI_FLAG_CMDLINE) ? phys_string(mbi->cmdline) : "";
    if (!(mbi->flags & MBI_FLAG_MMAP))
        return "the loader gave no memory map";

    for (uint64_t off = 0; off + sizeof(struct mb_mmap) <= mbi->mmap_length;) {
        const struct mb_mmap *e = maddr_to_virt(mbi->mmap_addr + off);
        if (boot_info.nr_regions < ARRAY_SIZE(boot_info.regions)) {
            struct mem_region *r = &boot_info.regions[boot_info.nr_regions++];
            r->start = e->base;
            r->end = e->base + e->length;
            r->type = e->type;
            if (e->type == E820_RAM && r->end > boot_info.max_phys)
                boot_info.max_phys = r->end;
        }
        off += e->size + sizeof(e->size);
    }

    if (mbi->flags & MBI_FLAG_MODS) {
        const struct mb_module *m = maddr_to_virt(mbi->mods_addr);
        for (uint32_t i = 0; i < mbi->mods_count && i < MAX_BOOT_MODULES; i++) {
            boot_info.modules[i].start = m[i].start;
            boot_info.modules[i].end = m[i].end;
            boot_info.modules[i].cmdline = phys_string(m[i].string);
            boot_info.nr_modules++;
        }
        if (mbi->mods_count > MAX_BOOT_MODULES)
            return "more boot modules than MAX_BOOT_MODULES (16)";
    }
    return NULL;
}

/* The hypervisor command line is "word word name=value ..."; find name=. */
static const char *cmdline_find(const char *name)
{
    size_t len = strlen(name);
    const char *p = boot_info.cmdline;
    while (p && *p) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, name, len) && (p[len] == '=' || p[len] == ' ' || !p[len]))
            return p + len;
        while (*p && *p != ' ')
            p++;
    }
    return NULL;
}

unsigned long cmdline_ulong(const char *name, unsigned long def)
{
    const char *v = cmdline_find(name);
    return (v && *v == '=') ? strtoul(v + 1, NULL, 0) : def;
}

int cmdline_has(const char *flag) { return cmdline_find(flag) != NULL; }
