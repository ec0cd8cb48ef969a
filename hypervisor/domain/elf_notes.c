/*
 * Parsing a PV kernel image (ELF64 x86-64 with Xen ELF notes) from an untrusted buffer.
 *
 * Every structure is copied out of the buffer only after its whole extent has been shown
 * to lie inside [image, image + size), and every sum or product of file-supplied values
 * is overflow-checked first. Contract in include/domain/elf_notes.h; checklist 1.1.
 */
#include <domain/elf_notes.h>
#include <errno.h>
#include <xen/elfnote.h>

/* ---- ELF64 on-disk structures (little-endian file, read on a little-endian host) ---- */

#define EI_NIDENT    16
#define EI_CLASS     4
#define EI_DATA      5
#define ELFCLASS64   2
#define ELFDATA2LSB  1
#define ET_EXEC      2
#define EM_X86_64    62
#define PT_LOAD      1
#define PT_NOTE      4
#define SHT_NOTE     7

struct elf64_ehdr {
    uint8_t  e_ident[EI_NIDENT];
    uint16_t e_type;
    uint16_t e_machine;
    uint32_t e_version;
    uint64_t e_entry;
    uint64_t e_phoff;
    uint64_t e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize;
    uint16_t e_phentsize;
    uint16_t e_phnum;
    uint16_t e_shentsize;
    uint16_t e_shnum;
    uint16_t e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type;
    uint32_t p_flags;
    uint64_t p_offset;
    uint64_t p_vaddr;
    uint64_t p_paddr;
    uint64_t p_filesz;
    uint64_t p_memsz;
    uint64_t p_align;
};

struct elf64_shdr {
    uint32_t sh_name;
    uint32_t sh_type;
    uint64_t sh_flags;
    uint64_t sh_addr;
    uint64_t sh_offset;
    uint64_t sh_size;
    uint32_t sh_link;
    uint32_t sh_info;
    uint64_t sh_addralign;
    uint64_t sh_entsize;
};

struct elf64_nhdr {
    uint32_t n_namesz;
    uint32_t n_descsz;
    uint32_t n_type;
};

_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr is 64 bytes");
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr is 56 bytes");
_Static_assert(sizeof(struct elf64_shdr) == 64, "Elf64_Shdr is 64 bytes");
_Static_assert(sizeof(struct elf64_nhdr) == 12, "Elf64_Nhdr is 12 bytes");

/* A hostile file could list thousands of note segments all covering the whole file;
 * cap the work instead of scanning it over and over. Real kernels carry a few dozen. */
#define MAX_NOTES 4096

#define PAGE_SIZE 4096ULL

/* ---- small helpers (no libc here) ---- */

/* The parse state shared by the helpers below. */
struct parse {
    const uint8_t *img;
    uint64_t size;
    struct pv_kernel_info *info;
    const char *why;
    unsigned nr_notes;      /* notes looked at, all owners */
    unsigned nr_xen_notes;  /* notes of owner "Xen" */
};

/* Whether [off, off + len) lies inside the image, with no wrap-around. */
static bool in_image(const struct parse *p, uint64_t off, uint64_t len)
{
    return off <= p->size && len <= p->size - off;
}

/* Copy len bytes at off out of the image; the caller has checked in_image(). */
static void fetch(const struct parse *p, uint64_t off, void *dst, size_t len)
{
    __builtin_memcpy(dst, p->img + off, len);
}

static int fail(struct parse *p, const char *why)
{
    p->why = why;
    return -EINVAL;
}

static size_t str_len(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static bool starts_with(const char *s, const char *prefix)
{
    for (; *prefix; s++, prefix++)
        if (*s != *prefix)
            return false;
    return true;
}

static bool bytes_equal(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (a[i] != b[i])
            return false;
    return true;
}

/* Copy a note's string: stops at the first NUL or at the end of the descriptor,
 * truncates to the buffer and always NUL-terminates. */
static void copy_string(char *dst, size_t dst_size, const uint8_t *src, uint64_t src_len)
{
    size_t n = 0;
    while (n + 1 < dst_size && n < src_len && src[n] != 0) {
        dst[n] = (char)src[n];
        n++;
    }
    dst[n] = 0;
}

/* FEATURES is copied like any string, except that a string too long for the buffer is
 * cut after its last whole '|'-separated token: a cut token could otherwise read as a
 * different feature ("!abc_def" cut to "!abc"). */
static void copy_features(char *dst, size_t dst_size, const uint8_t *src, uint64_t src_len)
{
    size_t n;

    copy_string(dst, dst_size, src, src_len);
    n = str_len(dst);
    if (n + 1 < dst_size || n == src_len || src[n] == 0 || src[n] == '|')
        return;                          /* not truncated, or cut at a token boundary */
    while (n > 0 && dst[n - 1] != '|')
        n--;
    while (n > 0 && dst[n - 1] == '|')   /* no trailing separator */
        n--;
    dst[n] = 0;
}

/* Length of a string held in a descriptor: up to its first NUL or the descriptor end. */
static uint64_t desc_strlen(const uint8_t *s, uint64_t len)
{
    uint64_t n = 0;
    while (n < len && s[n] != 0)
        n++;
    return n;
}

/*
 * Look for feature 'name' (namelen bytes, no '!') in a '|'-separated FEATURES string
 * s[0..len). Returns 0 if absent, 1 if listed as supported, 2 if listed as required.
 */
static int feature_lookup(const char *s, size_t len, const char *name, size_t namelen)
{
    int found = 0;
    size_t i = 0;
    while (i < len) {
        size_t start = i, end;
        while (i < len && s[i] != '|')
            i++;
        end = i++;                       /* skip the '|' */
        bool required = end > start && s[start] == '!';
        if (required)
            start++;
        if (end - start == namelen && bytes_equal(s + start, name, namelen)) {
            if (required)
                return 2;
            found = 1;
        }
    }
    return found;
}

bool pv_kernel_feature(const struct pv_kernel_info *info, const char *name)
{
    if (*name == '!')
        name++;
    return feature_lookup(info->features, str_len(info->features), name, str_len(name)) != 0;
}

bool pv_kernel_feature_required(const struct pv_kernel_info *info, const char *name)
{
    if (*name == '!')
        name++;
    return feature_lookup(info->features, str_len(info->features), name, str_len(name)) == 2;
}

/* ---- notes ---- */

static bool is_integer_note(uint32_t type)
{
    switch (type) {
    case XEN_ELFNOTE_ENTRY:
    case XEN_ELFNOTE_HYPERCALL_PAGE:
    case XEN_ELFNOTE_VIRT_BASE:
    case XEN_ELFNOTE_PADDR_OFFSET:
    case XEN_ELFNOTE_HV_START_LOW:
    case XEN_ELFNOTE_SUSPEND_CANCEL:
    case XEN_ELFNOTE_INIT_P2M:
    case XEN_ELFNOTE_MOD_START_PFN:
    case XEN_ELFNOTE_SUPPORTED_FEATURES:
        return true;
    default:
        return false;
    }
}

/* Notes whose absence changes a default (VIRT_BASE and PADDR_OFFSET default to 0,
 * which needs no flag). */
struct seen {
    bool entry;
};

/* Act on one note of owner "Xen"; desc[0..descsz) is inside the image. */
static int xen_note(struct parse *p, struct seen *seen, uint32_t type, const uint8_t *desc,
                    uint64_t descsz)
{
    struct pv_kernel_info *info = p->info;
    uint64_t val = 0;

    if (is_integer_note(type)) {
        if (descsz == 4) {
            uint32_t v32;
            __builtin_memcpy(&v32, desc, 4);
            val = v32;
        } else if (descsz == 8) {
            __builtin_memcpy(&val, desc, 8);
        } else {
            return fail(p, "integer Xen note is neither 4 nor 8 bytes");
        }
    }

    switch (type) {
    case XEN_ELFNOTE_ENTRY:
        info->entry = val;
        seen->entry = true;
        break;
    case XEN_ELFNOTE_HYPERCALL_PAGE:
        info->hypercall_page = val;
        info->has_hypercall_page = true;
        break;
    case XEN_ELFNOTE_VIRT_BASE:
        info->virt_base = val;
        break;
    case XEN_ELFNOTE_PADDR_OFFSET:
        info->paddr_offset = val;
        break;
    case XEN_ELFNOTE_INIT_P2M:
        info->init_p2m = val;
        break;
    case XEN_ELFNOTE_MOD_START_PFN:
        info->mod_start_pfn = val != 0;
        break;
    case XEN_ELFNOTE_XEN_VERSION:
        copy_string(info->xen_version, sizeof(info->xen_version), desc, descsz);
        break;
    case XEN_ELFNOTE_GUEST_OS:
        copy_string(info->guest_os, sizeof(info->guest_os), desc, descsz);
        break;
    case XEN_ELFNOTE_LOADER:
        copy_string(info->loader, sizeof(info->loader), desc, descsz);
        break;
    case XEN_ELFNOTE_FEATURES:
        /* Checked on the whole note, so a long string cannot hide it past the
         * truncation of info->features. */
        if (feature_lookup((const char *)desc, desc_strlen(desc, descsz),
                           "supervisor_mode_kernel", 22) == 2)
            return fail(p, "kernel requires supervisor_mode_kernel");
        copy_features(info->features, sizeof(info->features), desc, descsz);
        break;
    default:
        /* GUEST_VERSION, PAE_MODE, BSD_SYMTAB, L1_MFN_VALID, PHYS32_ENTRY, unknown: the
         * PV builder has no use for them. Integer sizes were checked above. */
        break;
    }
    return 0;
}

/*
 * Walk the notes in image[off, off + len). Each note is a 12-byte header, the name
 * padded to 'align' and the descriptor padded to 'align' (4, or 8 for an 8-aligned
 * note segment). A note that does not fit in the region is an error; trailing bytes
 * too short for a header are padding.
 */
static int walk_notes(struct parse *p, struct seen *seen, uint64_t off, uint64_t len,
                      uint64_t align)
{
    uint64_t pos = 0;

    if (!in_image(p, off, len))
        return fail(p, "note segment or section beyond end of file");

    while (len - pos >= sizeof(struct elf64_nhdr)) {
        struct elf64_nhdr nh;
        uint64_t name_off, name_space, desc_off, desc_space;

        if (++p->nr_notes > MAX_NOTES)
            return fail(p, "too many ELF notes");
        fetch(p, off + pos, &nh, sizeof(nh));
        pos += sizeof(nh);

        /* 32-bit sizes rounded up in 64-bit arithmetic cannot overflow. */
        name_space = ((uint64_t)nh.n_namesz + align - 1) & ~(align - 1);
        desc_space = ((uint64_t)nh.n_descsz + align - 1) & ~(align - 1);
        if (name_space > len - pos)
            return fail(p, "note name runs past its segment");
        name_off = pos;
        pos += name_space;
        if (desc_space > len - pos)
            return fail(p, "note descriptor runs past its segment");
        desc_off = pos;
        pos += desc_space;

        if (nh.n_namesz == 4 && bytes_equal((const char *)p->img + off + name_off, "Xen", 4)) {
            int rc;
            p->nr_xen_notes++;
            rc = xen_note(p, seen, nh.n_type, p->img + off + desc_off, nh.n_descsz);
            if (rc)
                return rc;
        }
    }
    return 0;
}

static uint64_t note_align(uint64_t elf_align)
{
    return elf_align == 8 ? 8 : 4;
}

/* Notes from SHT_NOTE sections, used only when no PT_NOTE segment held a Xen note. */
static int section_notes(struct parse *p, struct seen *seen, const struct elf64_ehdr *eh)
{
    uint64_t table;

    if (eh->e_shoff == 0 || eh->e_shnum == 0)
        return 0;
    if (eh->e_shentsize < sizeof(struct elf64_shdr))
        return fail(p, "section header entries too small");
    table = (uint64_t)eh->e_shnum * eh->e_shentsize;   /* < 2^32: no overflow */
    if (!in_image(p, eh->e_shoff, table))
        return fail(p, "section headers beyond end of file");

    for (unsigned i = 0; i < eh->e_shnum; i++) {
        struct elf64_shdr sh;
        int rc;

        fetch(p, eh->e_shoff + (uint64_t)i * eh->e_shentsize, &sh, sizeof(sh));
        if (sh.sh_type != SHT_NOTE)
            continue;
        rc = walk_notes(p, seen, sh.sh_offset, sh.sh_size, note_align(sh.sh_addralign));
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- headers and segments ---- */

static int check_ehdr(struct parse *p, struct elf64_ehdr *eh)
{
    if (p->size < EI_NIDENT)
        return fail(p, "not ELF (file too small)");
    if (p->img[0] != 0x7f || p->img[1] != 'E' || p->img[2] != 'L' || p->img[3] != 'F')
        return fail(p, "not ELF (bad magic)");
    if (p->img[EI_CLASS] != ELFCLASS64)
        return fail(p, "not ELF64");
    if (p->img[EI_DATA] != ELFDATA2LSB)
        return fail(p, "not little-endian ELF");
    if (!in_image(p, 0, sizeof(*eh)))
        return fail(p, "truncated ELF header");
    fetch(p, 0, eh, sizeof(*eh));
    if (eh->e_machine != EM_X86_64)
        return fail(p, "not an x86-64 ELF (e_machine)");
    if (eh->e_type != ET_EXEC)
        return fail(p, "not an executable ELF (e_type is not ET_EXEC)");
    if (eh->e_phnum == 0)
        return fail(p, "no program headers");
    if (eh->e_phentsize < sizeof(struct elf64_phdr))
        return fail(p, "program header entries too small");
    /* phnum and phentsize are 16-bit: the product cannot overflow. */
    if (!in_image(p, eh->e_phoff, (uint64_t)eh->e_phnum * eh->e_phentsize))
        return fail(p, "program headers beyond end of file");
    return 0;
}

static void fetch_phdr(const struct parse *p, const struct elf64_ehdr *eh, unsigned i,
                       struct elf64_phdr *ph)
{
    fetch(p, eh->e_phoff + (uint64_t)i * eh->e_phentsize, ph, sizeof(*ph));
}

/* Record the PT_LOAD segments and their physical extent [pstart, pend). */
static int load_segments(struct parse *p, const struct elf64_ehdr *eh)
{
    struct pv_kernel_info *info = p->info;
    uint64_t pstart = ~0ULL, pend = 0;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;
        uint64_t end;

        fetch_phdr(p, eh, i, &ph);
        if (ph.p_type != PT_LOAD)
            continue;
        if (ph.p_filesz > ph.p_memsz)
            return fail(p, "PT_LOAD file size exceeds its memory size");
        if (ph.p_memsz == 0)
            continue;                    /* loads nothing */
        if (info->nr_segments == ELF_MAX_LOAD_SEGMENTS)
            return fail(p, "too many PT_LOAD segments");
        if (!in_image(p, ph.p_offset, ph.p_filesz))
            return fail(p, "PT_LOAD segment beyond end of file");
        if (__builtin_add_overflow(ph.p_paddr, ph.p_memsz, &end))
            return fail(p, "PT_LOAD physical range overflows");

        struct elf_load_segment *seg = &info->segments[info->nr_segments++];
        seg->offset = ph.p_offset;
        seg->paddr = ph.p_paddr;
        seg->filesz = ph.p_filesz;
        seg->memsz = ph.p_memsz;
        if (ph.p_paddr < pstart)
            pstart = ph.p_paddr;
        if (end > pend)
            pend = end;
    }
    if (info->nr_segments == 0)
        return fail(p, "no PT_LOAD segment");
    info->pstart = pstart;
    info->pend = pend;
    return 0;
}

/* Notes from PT_NOTE segments, then (if none was of owner Xen) from SHT_NOTE sections. */
static int find_notes(struct parse *p, struct seen *seen, const struct elf64_ehdr *eh)
{
    int rc;

    for (unsigned i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph;

        fetch_phdr(p, eh, i, &ph);
        if (ph.p_type != PT_NOTE)
            continue;
        rc = walk_notes(p, seen, ph.p_offset, ph.p_filesz, note_align(ph.p_align));
        if (rc)
            return rc;
    }
    if (p->nr_xen_notes == 0) {
        rc = section_notes(p, seen, eh);
        if (rc)
            return rc;
    }
    if (p->nr_xen_notes == 0)
        return fail(p, "no Xen ELF notes");
    return 0;
}

/* virt_kstart = pstart + virt_base - paddr_offset, computed without wrap-around: the
 * exact integer result must lie in [0, 2^64), and so must virt_kend. */
static int address_calc(struct parse *p)
{
    struct pv_kernel_info *info = p->info;
    uint64_t span = info->pend - info->pstart;

    if (info->virt_base >= info->paddr_offset) {
        if (__builtin_add_overflow(info->pstart, info->virt_base - info->paddr_offset,
                                   &info->virt_kstart))
            return fail(p, "kernel virtual address overflows");
    } else {
        uint64_t down = info->paddr_offset - info->virt_base;
        if (info->pstart < down)
            return fail(p, "PADDR_OFFSET above the kernel's physical start");
        info->virt_kstart = info->pstart - down;
    }
    if (__builtin_add_overflow(info->virt_kstart, span, &info->virt_kend))
        return fail(p, "kernel virtual address overflows");

    if (info->virt_base > info->virt_kstart)
        return fail(p, "VIRT_BASE above the kernel start");
    if (info->entry < info->virt_kstart || info->entry >= info->virt_kend)
        return fail(p, "entry outside the kernel image");

    if (info->has_hypercall_page) {
        uint64_t hp = info->hypercall_page;
        uint64_t lo = info->virt_kstart & ~(PAGE_SIZE - 1);
        if (hp & (PAGE_SIZE - 1))
            return fail(p, "HYPERCALL_PAGE not page aligned");
        /* hp is aligned, so hp < virt_kend means its page starts in the image; the page
         * rounded up from virt_kend belongs to the kernel too. */
        if (hp < lo || hp >= info->virt_kend)
            return fail(p, "HYPERCALL_PAGE outside the kernel image");
    }
    return 0;
}

int pv_kernel_parse(const void *image, size_t size, struct pv_kernel_info *info,
                    const char **why)
{
    struct parse p = { .img = image, .size = size, .info = info };
    struct seen seen = { false };
    struct elf64_ehdr eh;
    int rc;

    __builtin_memset(info, 0, sizeof(*info));
    if (!image)
        rc = fail(&p, "no image");
    else if ((rc = check_ehdr(&p, &eh)) == 0 && (rc = load_segments(&p, &eh)) == 0 &&
             (rc = find_notes(&p, &seen, &eh)) == 0) {
        if (!seen.entry)
            info->entry = eh.e_entry;
        /* VIRT_BASE and PADDR_OFFSET default to 0: already zero. */
        if (!starts_with(info->xen_version, "xen-3.0"))
            rc = fail(&p, "XEN_VERSION must start with xen-3.0");
        else if (!starts_with(info->loader, "generic") && !starts_with(info->guest_os, "linux"))
            rc = fail(&p, "neither LOADER=generic nor GUEST_OS=linux");
        else
            rc = address_calc(&p);
    }

    if (why)
        *why = rc ? p.why : NULL;
    return rc;
}

void pv_kernel_load(const void *image, const struct pv_kernel_info *info, void *dest)
{
    const uint8_t *img = image;
    uint8_t *out = dest;

    /* Zero everything first (bss and any gaps between segments), then copy file bytes:
     * this way overlapping segments cannot have their file bytes wiped by another's bss. */
    __builtin_memset(out, 0, info->pend - info->pstart);
    for (unsigned i = 0; i < info->nr_segments; i++) {
        const struct elf_load_segment *seg = &info->segments[i];
        __builtin_memcpy(out + (seg->paddr - info->pstart), img + seg->offset, seg->filesz);
    }
}
