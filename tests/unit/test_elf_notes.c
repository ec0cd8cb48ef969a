/*
 * Host unit tests of hypervisor/domain/elf_notes.c (cmocka, run under ASan/UBSan).
 *
 * A small in-test ELF64 builder writes kernels with chosen notes and segments; good
 * images must parse with every field right, each bad one must be refused with -EINVAL
 * and the expected reason. A seeded mutation loop checks that hostile bytes never make
 * the parser read outside the buffer (each parse gets an exact-size heap copy).
 * Cannot detect: a reason string that is right but misleading for a combined defect.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <domain/elf_notes.h>
#include <errno.h>
#include <xen/elfnote.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- an ELF64 writer (own definitions; offsets per the ELF64 specification) ---- */

#define IMG_MAX     (128 * 1024)
#define EH_SIZE     64
#define PH_SIZE     56
#define SH_SIZE     64
#define PH_OFF      64            /* program headers right after the ELF header */
#define PH_MAX      24
#define SH_OFF      0x600         /* section headers, when the notes live in a section */
#define NOTE_OFF    0x800         /* notes start here */
#define PT_NULL_    0
#define PT_LOAD_    1
#define PT_NOTE_    4
#define SHT_NOTE_   7

/* ELF header field offsets. */
#define E_TYPE      16
#define E_MACHINE   18
#define E_ENTRY     24
#define E_PHOFF     32
#define E_SHOFF     40
#define E_PHENTSIZE 54
#define E_PHNUM     56
#define E_SHENTSIZE 58
#define E_SHNUM     60
/* Program header field offsets. */
#define P_TYPE      0
#define P_OFFSET    8
#define P_PADDR     24
#define P_FILESZ    32
#define P_MEMSZ     40
#define P_ALIGN     48

/* Default kernel: Linux-like, paddr 16 MiB, virt_base 0xffffffff80000000. */
#define K_PADDR     0x1000000ULL
#define K_VBASE     0xffffffff80000000ULL
#define K_VSTART    0xffffffff81000000ULL
#define K_FILESZ    0x1800ULL
#define K_MEMSZ     0x3000ULL
#define K_ENTRY     0xffffffff81000040ULL
#define K_E_ENTRY   0xffffffff81000000ULL
#define K_HCALL     0xffffffff81001000ULL

struct cfg {
    uint64_t paddr, vaddr, filesz, memsz, e_entry;
    bool has_entry;           uint64_t entry;
    bool has_virt_base;       uint64_t virt_base;      unsigned virt_base_size;
    bool has_paddr_offset;    uint64_t paddr_offset;
    bool has_hypercall_page;  uint64_t hypercall_page;
    unsigned int_size;        /* 4 or 8: size of the integer notes */
    uint64_t init_p2m;
    const char *xen_version, *guest_os, *loader, *features;  /* NULL: note absent */
    bool str_no_nul;          /* write string notes without their NUL */
    bool notes_in_section;    /* SHT_NOTE section instead of a PT_NOTE segment */
    unsigned note_align;      /* 4, or 8 for an 8-aligned note segment */
    unsigned extra_loads;     /* PT_LOADs after the main one */
    unsigned pad_notes;       /* empty notes of owner "" appended to the note region */
};

struct img {
    uint8_t *buf;
    size_t size;
    size_t note_off, note_len;        /* the note region */
    size_t xen_note_at[32];           /* note header offset by type (0: none) */
    size_t first_xen_note, last_xen_note;
    size_t load_off;                  /* file offset of the main segment's bytes */
    size_t extra_off[PH_MAX];         /* file offsets of the extra segments' bytes */
    unsigned nr_ph;
};

static void put16(uint8_t *p, size_t off, uint16_t v) { memcpy(p + off, &v, 2); }
static void put32(uint8_t *p, size_t off, uint32_t v) { memcpy(p + off, &v, 4); }
static void put64(uint8_t *p, size_t off, uint64_t v) { memcpy(p + off, &v, 8); }

static size_t ph_at(unsigned i) { return PH_OFF + (size_t)i * PH_SIZE; }

static void default_cfg(struct cfg *c)
{
    memset(c, 0, sizeof(*c));
    c->paddr = K_PADDR;
    c->vaddr = K_VSTART;
    c->filesz = K_FILESZ;
    c->memsz = K_MEMSZ;
    c->e_entry = K_E_ENTRY;
    c->has_entry = true;          c->entry = K_ENTRY;
    c->has_virt_base = true;      c->virt_base = K_VBASE;   c->virt_base_size = 8;
    c->has_paddr_offset = true;   c->paddr_offset = 0;
    c->has_hypercall_page = true; c->hypercall_page = K_HCALL;
    c->int_size = 8;
    c->init_p2m = 0x8000000000ULL;
    c->xen_version = "xen-3.0";
    c->guest_os = "linux";
    c->features = "!writable_page_tables|pae_pgdir_above_4gb|supervisor_mode_kernel";
    c->note_align = 4;
}

static size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }

static size_t pos_of_notes;   /* write cursor used by add_note() */

static void add_note(struct img *im, const struct cfg *c, const char *name, uint32_t type,
                     const void *desc, uint32_t descsz)
{
    size_t at = pos_of_notes;
    uint32_t namesz = (uint32_t)strlen(name) + 1;

    assert_true(at + 12 + align_up(namesz, 8) + align_up(descsz, 8) < IMG_MAX - 0x4000);
    put32(im->buf, at, namesz);
    put32(im->buf, at + 4, descsz);
    put32(im->buf, at + 8, type);
    memcpy(im->buf + at + 12, name, namesz);
    pos_of_notes = at + 12 + align_up(namesz, c->note_align);
    memcpy(im->buf + pos_of_notes, desc, descsz);
    pos_of_notes += align_up(descsz, c->note_align);
    if (!strcmp(name, "Xen")) {
        if (type < ARRAY_SIZE(im->xen_note_at))
            im->xen_note_at[type] = at;
        if (!im->first_xen_note)
            im->first_xen_note = at;
        im->last_xen_note = at;
    }
}

static void add_int(struct img *im, const struct cfg *c, uint32_t type, uint64_t v,
                    unsigned size)
{
    uint8_t d[8];
    memcpy(d, &v, 8);             /* little-endian host: the low bytes come first */
    add_note(im, c, "Xen", type, d, size);
}

static void add_str(struct img *im, const struct cfg *c, uint32_t type, const char *s)
{
    if (s)
        add_note(im, c, "Xen", type, s, (uint32_t)strlen(s) + (c->str_no_nul ? 0 : 1));
}

static void add_phdr(struct img *im, uint32_t type, uint64_t off, uint64_t vaddr,
                     uint64_t paddr, uint64_t filesz, uint64_t memsz, uint64_t align)
{
    size_t at = ph_at(im->nr_ph++);
    assert_true(im->nr_ph <= PH_MAX);
    put32(im->buf, at + P_TYPE, type);
    put32(im->buf, at + 4, 5);                /* p_flags R+X */
    put64(im->buf, at + P_OFFSET, off);
    put64(im->buf, at + 16, vaddr);
    put64(im->buf, at + P_PADDR, paddr);
    put64(im->buf, at + P_FILESZ, filesz);
    put64(im->buf, at + P_MEMSZ, memsz);
    put64(im->buf, at + P_ALIGN, align);
    put16(im->buf, E_PHNUM, (uint16_t)im->nr_ph);
}

/* Build the image described by c. The caller frees im->buf. */
static void build(struct img *im, const struct cfg *c)
{
    static const uint8_t gnu_id[20] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
    size_t off;

    memset(im, 0, sizeof(*im));
    im->buf = calloc(1, IMG_MAX);
    assert_non_null(im->buf);

    /* ELF header. */
    memcpy(im->buf, "\x7f" "ELF", 4);
    im->buf[4] = 2;                           /* ELFCLASS64 */
    im->buf[5] = 1;                           /* ELFDATA2LSB */
    im->buf[6] = 1;                           /* EV_CURRENT */
    put16(im->buf, E_TYPE, 2);                /* ET_EXEC */
    put16(im->buf, E_MACHINE, 62);            /* EM_X86_64 */
    put32(im->buf, 20, 1);
    put64(im->buf, E_ENTRY, c->e_entry);
    put64(im->buf, E_PHOFF, PH_OFF);
    put16(im->buf, 52, EH_SIZE);
    put16(im->buf, E_PHENTSIZE, PH_SIZE);

    /* Notes: a foreign note first (must be skipped), then the Xen ones. */
    pos_of_notes = NOTE_OFF;
    add_note(im, c, "GNU", 3, gnu_id, sizeof(gnu_id));
    add_str(im, c, XEN_ELFNOTE_GUEST_OS, c->guest_os);
    add_str(im, c, XEN_ELFNOTE_GUEST_VERSION, "2.6");
    add_str(im, c, XEN_ELFNOTE_XEN_VERSION, c->xen_version);
    add_str(im, c, XEN_ELFNOTE_LOADER, c->loader);
    if (c->has_virt_base)
        add_int(im, c, XEN_ELFNOTE_VIRT_BASE, c->virt_base, c->virt_base_size);
    if (c->has_paddr_offset)
        add_int(im, c, XEN_ELFNOTE_PADDR_OFFSET, c->paddr_offset, c->int_size);
    if (c->has_entry)
        add_int(im, c, XEN_ELFNOTE_ENTRY, c->entry, c->int_size);
    if (c->has_hypercall_page)
        add_int(im, c, XEN_ELFNOTE_HYPERCALL_PAGE, c->hypercall_page, c->int_size);
    add_str(im, c, XEN_ELFNOTE_FEATURES, c->features);
    add_int(im, c, XEN_ELFNOTE_INIT_P2M, c->init_p2m, c->int_size);
    add_int(im, c, XEN_ELFNOTE_MOD_START_PFN, 1, 4);
    add_int(im, c, XEN_ELFNOTE_SUPPORTED_FEATURES, 0x801, 4);
    add_note(im, c, "Xen", 0x77, "??", 2);    /* unknown type: ignored */
    for (unsigned i = 0; i < c->pad_notes; i++)
        add_note(im, c, "", 0, "", 0);
    im->note_off = NOTE_OFF;
    im->note_len = pos_of_notes - NOTE_OFF;

    /* Segment bytes: a recognisable pattern. */
    off = align_up(pos_of_notes, 0x1000);
    im->load_off = off;
    for (size_t i = 0; i < c->filesz; i++)
        im->buf[off + i] = (uint8_t)(i * 7 + 1);
    off += c->filesz;
    for (unsigned i = 0; i < c->extra_loads; i++) {
        off = align_up(off, 16);
        im->extra_off[i] = off;
        memset(im->buf + off, 0x40 + i, 0x100);
        off += 0x100;
    }
    im->size = align_up(off, 16);
    assert_true(im->size <= IMG_MAX);

    /* Program headers. */
    add_phdr(im, PT_LOAD_, im->load_off, c->vaddr, c->paddr, c->filesz, c->memsz, 0x1000);
    if (!c->notes_in_section)
        add_phdr(im, PT_NOTE_, im->note_off, 0, 0, im->note_len, im->note_len,
                 c->note_align);
    for (unsigned i = 0; i < c->extra_loads; i++) {
        uint64_t pa = c->paddr + c->memsz + 0x1000 + i * 0x1000ULL;
        add_phdr(im, PT_LOAD_, im->extra_off[i], c->vaddr + (pa - c->paddr), pa,
                 0x100, 0x200, 0x1000);
    }

    /* Section headers: [0] null, [1] the note section (only if the notes are there). */
    if (c->notes_in_section) {
        size_t sh = SH_OFF + SH_SIZE;
        put64(im->buf, E_SHOFF, SH_OFF);
        put16(im->buf, E_SHENTSIZE, SH_SIZE);
        put16(im->buf, E_SHNUM, 2);
        put32(im->buf, sh + 4, SHT_NOTE_);
        put64(im->buf, sh + 24, im->note_off);
        put64(im->buf, sh + 32, im->note_len);
        put64(im->buf, sh + 48, c->note_align);
    }
}

/* Parse an exact-size heap copy of buf[0..size), so ASan sees any read past its end. */
static int parse_copy(const uint8_t *buf, size_t size, struct pv_kernel_info *info,
                      const char **why)
{
    uint8_t *copy = malloc(size ? size : 1);
    int rc;
    assert_non_null(copy);
    memcpy(copy, buf, size);
    rc = pv_kernel_parse(copy, size, info, why);
    free(copy);
    return rc;
}

static void parse_ok(const struct img *im, struct pv_kernel_info *info)
{
    const char *why = "unset";
    int rc = parse_copy(im->buf, im->size, info, &why);
    if (rc)
        fail_msg("good image refused: %s", why);
    assert_null(why);
}

/* ---- good images ---- */

static void test_good_linux_like(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    build(&im, &c);
    parse_ok(&im, &info);

    assert_int_equal(info.virt_base, K_VBASE);
    assert_int_equal(info.paddr_offset, 0);
    /* ENTRY note wins over e_entry. */
    assert_int_equal(info.entry, K_ENTRY);
    assert_true(info.has_hypercall_page);
    assert_int_equal(info.hypercall_page, K_HCALL);
    assert_int_equal(info.init_p2m, 0x8000000000ULL);
    assert_true(info.mod_start_pfn);
    assert_string_equal(info.guest_os, "linux");
    assert_string_equal(info.loader, "");
    assert_string_equal(info.xen_version, "xen-3.0");
    assert_string_equal(info.features, c.features);
    /* pstart/pend from p_paddr; kstart = pstart + (virt_base - paddr_offset). */
    assert_int_equal(info.pstart, K_PADDR);
    assert_int_equal(info.pend, K_PADDR + K_MEMSZ);
    assert_int_equal(info.virt_kstart, K_VSTART);
    assert_int_equal(info.virt_kend, K_VSTART + K_MEMSZ);
    assert_int_equal(info.nr_segments, 1);
    assert_int_equal(info.segments[0].offset, im.load_off);
    assert_int_equal(info.segments[0].paddr, K_PADDR);
    assert_int_equal(info.segments[0].filesz, K_FILESZ);
    assert_int_equal(info.segments[0].memsz, K_MEMSZ);
    free(im.buf);
}

/* XTF-like: 4-byte integer notes, no ENTRY (e_entry used), LOADER=generic, virt_base 0,
 * PADDR_OFFSET absent (defaults to 0), no hypercall page. */
static void test_good_xtf_like(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.paddr = c.vaddr = 0x100000;
    c.e_entry = 0x100000;
    c.has_entry = false;
    c.has_virt_base = true; c.virt_base = 0; c.virt_base_size = 4;
    c.has_paddr_offset = false;
    c.has_hypercall_page = false;
    c.int_size = 4;
    c.init_p2m = 0x40000000;
    c.guest_os = "XTF";
    c.loader = "generic";
    c.features = NULL;
    build(&im, &c);
    parse_ok(&im, &info);

    assert_int_equal(info.virt_base, 0);
    assert_int_equal(info.paddr_offset, 0);
    assert_int_equal(info.entry, 0x100000);
    assert_false(info.has_hypercall_page);
    assert_int_equal(info.init_p2m, 0x40000000);        /* from a 4-byte note */
    assert_string_equal(info.guest_os, "XTF");
    assert_string_equal(info.loader, "generic");
    assert_string_equal(info.features, "");
    assert_int_equal(info.virt_kstart, 0x100000);
    assert_int_equal(info.virt_kend, 0x100000 + K_MEMSZ);
    free(im.buf);
}

/* Older kernels: p_paddr holds the virtual address and PADDR_OFFSET = VIRT_BASE. */
static void test_good_legacy_paddr_offset(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.paddr = K_VSTART;
    c.paddr_offset = K_VBASE;
    build(&im, &c);
    parse_ok(&im, &info);
    assert_int_equal(info.pstart, K_VSTART);
    assert_int_equal(info.virt_kstart, K_VSTART);       /* offset 0 */
    assert_int_equal(info.virt_kend, K_VSTART + K_MEMSZ);
    free(im.buf);
}

/* virt_base != paddr_offset != 0: kstart = 0x1200000 + (0xffffffff80000000 - 0x200000)
 * = 0xffffffff81000000. */
static void test_good_offset_arithmetic(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.paddr = 0x1200000;
    c.paddr_offset = 0x200000;
    build(&im, &c);
    parse_ok(&im, &info);
    assert_int_equal(info.virt_kstart, 0xffffffff81000000ULL);
    assert_int_equal(info.virt_kend, 0xffffffff81000000ULL + K_MEMSZ);
    free(im.buf);
}

static void test_good_notes_in_section(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.notes_in_section = true;
    build(&im, &c);
    parse_ok(&im, &info);
    assert_int_equal(info.entry, K_ENTRY);
    assert_string_equal(info.xen_version, "xen-3.0");
    free(im.buf);
}

static void test_good_8_aligned_notes(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.note_align = 8;
    c.guest_os = "linux-6";    /* 8 bytes with NUL: padding differs between 4 and 8 */
    build(&im, &c);
    parse_ok(&im, &info);
    assert_string_equal(info.guest_os, "linux-6");
    assert_int_equal(info.hypercall_page, K_HCALL);
    free(im.buf);
}

/* Long strings are cut and terminated; FEATURES is cut after its last whole token. */
static void test_strings_truncated(void **state)
{
    char long_os[101], long_feat[500] = "";
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    memset(long_os, 'x', 100);
    memcpy(long_os, "linux", 5);
    long_os[100] = 0;
    /* 30 tokens "abcdefghij_NN" of 13 bytes, '|'-separated: 18 whole tokens take 18*14-1
     * = 251 bytes, and byte 255 falls inside token 18 ("abc" of it would remain). */
    for (int i = 0; i < 30; i++)
        sprintf(long_feat + strlen(long_feat), "%sabcdefghij_%02d", i ? "|" : "", i);
    default_cfg(&c);
    c.guest_os = long_os;
    c.features = long_feat;
    c.str_no_nul = true;          /* and no terminator in the file */
    build(&im, &c);
    parse_ok(&im, &info);
    assert_int_equal(strlen(info.guest_os), sizeof(info.guest_os) - 1);
    assert_memory_equal(info.guest_os, long_os, sizeof(info.guest_os) - 1);
    assert_int_equal(strlen(info.features), 251);
    assert_memory_equal(info.features, long_feat, 251);
    assert_true(pv_kernel_feature(&info, "abcdefghij_17"));
    assert_false(pv_kernel_feature(&info, "abcdefghij_18"));
    assert_false(pv_kernel_feature(&info, "abc"));
    assert_string_equal(info.xen_version, "xen-3.0");   /* unterminated, fits */
    free(im.buf);
}

static void test_features(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    build(&im, &c);
    parse_ok(&im, &info);
    assert_true(pv_kernel_feature(&info, "writable_page_tables"));
    assert_true(pv_kernel_feature(&info, "!writable_page_tables"));
    assert_true(pv_kernel_feature_required(&info, "writable_page_tables"));
    assert_true(pv_kernel_feature(&info, "pae_pgdir_above_4gb"));
    assert_false(pv_kernel_feature_required(&info, "pae_pgdir_above_4gb"));
    /* Listed, not required: accepted. */
    assert_true(pv_kernel_feature(&info, "supervisor_mode_kernel"));
    assert_false(pv_kernel_feature_required(&info, "supervisor_mode_kernel"));
    /* Whole-token matches only. */
    assert_false(pv_kernel_feature(&info, "writable"));
    assert_false(pv_kernel_feature(&info, "pae_pgdir_above_4gbX"));
    assert_false(pv_kernel_feature(&info, "auto_translated_physmap"));
    assert_false(pv_kernel_feature(&info, ""));
    free(im.buf);
}

/* ELF_MAX_LOAD_SEGMENTS PT_LOADs are fine; a zero-memsz PT_LOAD does not count. */
static void test_max_segments(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;

    default_cfg(&c);
    c.extra_loads = ELF_MAX_LOAD_SEGMENTS - 1;
    build(&im, &c);
    add_phdr(&im, PT_LOAD_, 0, 0, 0, 0, 0, 0x1000);
    parse_ok(&im, &info);
    assert_int_equal(info.nr_segments, ELF_MAX_LOAD_SEGMENTS);
    assert_int_equal(info.pstart, K_PADDR);
    /* Last extra segment: paddr + memsz + 0x1000 + 14 * 0x1000, 0x200 long. */
    assert_int_equal(info.pend, K_PADDR + K_MEMSZ + 0x1000 + 14 * 0x1000 + 0x200);
    free(im.buf);
}

static void test_load(void **state)
{
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;
    uint8_t *dest;
    size_t len;

    default_cfg(&c);
    c.extra_loads = 2;
    build(&im, &c);
    parse_ok(&im, &info);
    len = info.pend - info.pstart;
    assert_int_equal(len, K_MEMSZ + 0x1000 + 0x1000 + 0x200);
    dest = malloc(len);
    assert_non_null(dest);
    memset(dest, 0xAA, len);
    pv_kernel_load(im.buf, &info, dest);

    /* Main segment: file bytes, then bss zero. */
    assert_memory_equal(dest, im.buf + im.load_off, K_FILESZ);
    for (size_t i = K_FILESZ; i < K_MEMSZ; i++)
        assert_int_equal(dest[i], 0);
    /* The gap before the first extra segment is zeroed too. */
    for (size_t i = K_MEMSZ; i < K_MEMSZ + 0x1000; i++)
        assert_int_equal(dest[i], 0);
    /* Extra segments: 0x100 file bytes, 0x100 bss. */
    for (unsigned s = 0; s < 2; s++) {
        size_t at = K_MEMSZ + 0x1000 + s * 0x1000;
        for (size_t i = 0; i < 0x100; i++)
            assert_int_equal(dest[at + i], 0x40 + s);
        for (size_t i = 0x100; i < 0x200; i++)
            assert_int_equal(dest[at + i], 0);
    }
    free(dest);
    free(im.buf);
}

/* ---- bad images: one table row per defect ---- */

struct bad_case {
    const char *name;
    void (*pre)(struct cfg *c);                 /* change the description */
    void (*post)(struct img *im);               /* or the bytes */
    const char *why;
};

/* Pre-build changes. */
static void c_bad_version(struct cfg *c)       { c->xen_version = "xen-2.0"; }
static void c_no_version(struct cfg *c)        { c->xen_version = NULL; }
static void c_freebsd(struct cfg *c)           { c->guest_os = "freebsd"; }
static void c_loader_special(struct cfg *c)    { c->guest_os = NULL; c->loader = "special"; }
static void c_entry_at_end(struct cfg *c)      { c->entry = K_VSTART + K_MEMSZ; }
static void c_entry_below(struct cfg *c)       { c->entry = K_VSTART - 1; }
static void c_e_entry_out(struct cfg *c)       { c->has_entry = false; c->e_entry = 0x1000; }
/* kstart = 0x1000000 + (0xffffffff80000000 - 0x2000000) = 0xffffffff7f000000 < virt_base */
static void c_vbase_above(struct cfg *c)       { c->paddr_offset = 0x2000000; }
static void c_poff_above(struct cfg *c)        { c->virt_base = 0; c->paddr_offset = 0x2000000; }
/* kstart = 0x1000000 + 0xfffffffffeffe000 = 0xffffffffffffe000; kend wraps. */
static void c_vrange_wraps(struct cfg *c)      { c->virt_base = 0xfffffffffeffe000ULL; }
/* kstart itself = 2^64. */
static void c_kstart_wraps(struct cfg *c)      { c->virt_base = 0xffffffffff000000ULL; }
static void c_smk(struct cfg *c)               { c->features = "writable_page_tables|!supervisor_mode_kernel"; }
static void c_smk_hidden(struct cfg *c)
{
    static char f[600];
    memset(f, 0, sizeof(f));
    for (int i = 0; i < 150; i++)
        strcat(f, "a|");
    strcat(f, "!supervisor_mode_kernel");
    c->features = f;
}
static void c_int3(struct cfg *c)              { c->virt_base_size = 3; }
static void c_hcall_unaligned(struct cfg *c)   { c->hypercall_page = K_HCALL + 0x20; }
static void c_hcall_outside(struct cfg *c)     { c->hypercall_page = K_VSTART + K_MEMSZ; }
static void c_hcall_below(struct cfg *c)       { c->hypercall_page = K_VSTART - 0x1000; }
static void c_17_loads(struct cfg *c)          { c->extra_loads = ELF_MAX_LOAD_SEGMENTS; }
static void c_section(struct cfg *c)           { c->notes_in_section = true; }
static void c_many_notes(struct cfg *c)        { c->pad_notes = 4200; }

/* Post-build changes. */
static void m_magic(struct img *im)            { im->buf[1] = 'e'; }
static void m_tiny(struct img *im)             { im->size = 10; }
static void m_empty(struct img *im)            { im->size = 0; }
static void m_elf32(struct img *im)            { im->buf[4] = 1; }
static void m_big_endian(struct img *im)       { im->buf[5] = 2; }
static void m_machine(struct img *im)          { put16(im->buf, E_MACHINE, 3); }
static void m_et_dyn(struct img *im)           { put16(im->buf, E_TYPE, 3); }
static void m_trunc_ehdr(struct img *im)       { im->size = 40; }
static void m_trunc_phdrs(struct img *im)      { im->size = PH_OFF + PH_SIZE + 10; }
static void m_phoff_end(struct img *im)        { put64(im->buf, E_PHOFF, im->size - 8); }
static void m_phoff_wrap(struct img *im)       { put64(im->buf, E_PHOFF, ~0ULL - 16); }
static void m_phnum_huge(struct img *im)       { put16(im->buf, E_PHNUM, 0xffff); }
static void m_phnum_zero(struct img *im)       { put16(im->buf, E_PHNUM, 0); }
static void m_phentsize(struct img *im)        { put16(im->buf, E_PHENTSIZE, 32); }
static void m_seg_beyond(struct img *im)
{
    put64(im->buf, ph_at(0) + P_FILESZ, 0x100000);
    put64(im->buf, ph_at(0) + P_MEMSZ, 0x100000);
}
static void m_seg_wrap(struct img *im)         { put64(im->buf, ph_at(0) + P_OFFSET, ~0ULL - 0xfff); }
static void m_filesz_gt_memsz(struct img *im)  { put64(im->buf, ph_at(0) + P_FILESZ, K_MEMSZ + 1); }
static void m_paddr_wrap(struct img *im)       { put64(im->buf, ph_at(0) + P_PADDR, ~0ULL - 0xfff); }
static void m_no_load(struct img *im)          { put32(im->buf, ph_at(0) + P_TYPE, PT_NULL_); }
static void m_namesz_huge(struct img *im)      { put32(im->buf, im->first_xen_note, 0xffffffff); }
static void m_descsz_huge(struct img *im)      { put32(im->buf, im->first_xen_note + 4, 0xfffffffd); }
static void m_descsz_past(struct img *im)
{
    /* The last note's descriptor grows past the end of the PT_NOTE segment. */
    size_t at = im->last_xen_note;
    uint32_t d;
    memcpy(&d, im->buf + at + 4, 4);
    put32(im->buf, at + 4, d + 8);
}
static void m_note_seg_beyond(struct img *im)  { put64(im->buf, ph_at(1) + P_FILESZ, im->size); }
static void m_note_seg_wrap(struct img *im)    { put64(im->buf, ph_at(1) + P_OFFSET, ~0ULL - 4); }
static void m_no_pt_note(struct img *im)       { put32(im->buf, ph_at(1) + P_TYPE, PT_NULL_); }
static void m_not_xen(struct img *im)
{
    /* Rename every "Xen" owner: only foreign notes remain. */
    for (size_t at = im->note_off; at + 4 <= im->note_off + im->note_len; at += 4)
        if (!memcmp(im->buf + at, "Xen", 4))
            im->buf[at + 2] = 'o';
}
static void m_sh_beyond(struct img *im)        { put16(im->buf, E_SHNUM, 0x4000); }
static void m_shentsize(struct img *im)        { put16(im->buf, E_SHENTSIZE, 40); }
static void m_sh_note_beyond(struct img *im)   { put64(im->buf, SH_OFF + SH_SIZE + 32, ~0ULL); }

static const struct bad_case bad_cases[] = {
    { "not ELF (magic)",            NULL, m_magic,          "not ELF (bad magic)" },
    { "10-byte file",               NULL, m_tiny,           "not ELF (file too small)" },
    { "empty file",                 NULL, m_empty,          "not ELF (file too small)" },
    { "ELF32",                      NULL, m_elf32,          "not ELF64" },
    { "big-endian",                 NULL, m_big_endian,     "not little-endian ELF" },
    { "wrong machine",              NULL, m_machine,        "not an x86-64 ELF (e_machine)" },
    { "ET_DYN",                     NULL, m_et_dyn,         "not an executable ELF (e_type is not ET_EXEC)" },
    { "truncated ELF header",       NULL, m_trunc_ehdr,     "truncated ELF header" },
    { "truncated program headers",  NULL, m_trunc_phdrs,    "program headers beyond end of file" },
    { "phoff near end of file",     NULL, m_phoff_end,      "program headers beyond end of file" },
    { "phoff wraps",                NULL, m_phoff_wrap,     "program headers beyond end of file" },
    { "phnum beyond file",          NULL, m_phnum_huge,     "program headers beyond end of file" },
    { "phnum zero",                 NULL, m_phnum_zero,     "no program headers" },
    { "phentsize too small",        NULL, m_phentsize,      "program header entries too small" },
    { "PT_LOAD beyond file",        NULL, m_seg_beyond,     "PT_LOAD segment beyond end of file" },
    { "p_offset+p_filesz overflows",NULL, m_seg_wrap,       "PT_LOAD segment beyond end of file" },
    { "p_filesz > p_memsz",         NULL, m_filesz_gt_memsz,"PT_LOAD file size exceeds its memory size" },
    { "p_paddr+p_memsz overflows",  NULL, m_paddr_wrap,     "PT_LOAD physical range overflows" },
    { "no PT_LOAD",                 NULL, m_no_load,        "no PT_LOAD segment" },
    { "17 PT_LOADs",                c_17_loads, NULL,       "too many PT_LOAD segments" },
    { "note namesz overflow",       NULL, m_namesz_huge,    "note name runs past its segment" },
    { "note descsz overflow",       NULL, m_descsz_huge,    "note descriptor runs past its segment" },
    { "note descsz past segment",   NULL, m_descsz_past,    "note descriptor runs past its segment" },
    { "PT_NOTE beyond file",        NULL, m_note_seg_beyond,"note segment or section beyond end of file" },
    { "PT_NOTE offset wraps",       NULL, m_note_seg_wrap,  "note segment or section beyond end of file" },
    { "too many notes",             c_many_notes, NULL,     "too many ELF notes" },
    { "no PT_NOTE, no sections",    NULL, m_no_pt_note,     "no Xen ELF notes" },
    { "only non-Xen notes",         NULL, m_not_xen,        "no Xen ELF notes" },
    { "section headers beyond file",c_section, m_sh_beyond, "section headers beyond end of file" },
    { "shentsize too small",        c_section, m_shentsize, "section header entries too small" },
    { "SHT_NOTE beyond file",       c_section, m_sh_note_beyond, "note segment or section beyond end of file" },
    { "XEN_VERSION xen-2.0",        c_bad_version, NULL,    "XEN_VERSION must start with xen-3.0" },
    { "XEN_VERSION missing",        c_no_version, NULL,     "XEN_VERSION must start with xen-3.0" },
    { "GUEST_OS freebsd",           c_freebsd, NULL,        "neither LOADER=generic nor GUEST_OS=linux" },
    { "LOADER special",             c_loader_special, NULL, "neither LOADER=generic nor GUEST_OS=linux" },
    { "ENTRY at kend",              c_entry_at_end, NULL,   "entry outside the kernel image" },
    { "ENTRY below kstart",         c_entry_below, NULL,    "entry outside the kernel image" },
    { "e_entry outside",            c_e_entry_out, NULL,    "entry outside the kernel image" },
    { "virt_base > kstart",         c_vbase_above, NULL,    "VIRT_BASE above the kernel start" },
    { "PADDR_OFFSET > pstart",      c_poff_above, NULL,     "PADDR_OFFSET above the kernel's physical start" },
    { "virtual end wraps",          c_vrange_wraps, NULL,   "kernel virtual address overflows" },
    { "virtual start wraps",        c_kstart_wraps, NULL,   "kernel virtual address overflows" },
    { "!supervisor_mode_kernel",    c_smk, NULL,            "kernel requires supervisor_mode_kernel" },
    { "!supervisor_mode_kernel past 255 bytes", c_smk_hidden, NULL, "kernel requires supervisor_mode_kernel" },
    { "3-byte integer note",        c_int3, NULL,           "integer Xen note is neither 4 nor 8 bytes" },
    { "HYPERCALL_PAGE unaligned",   c_hcall_unaligned, NULL,"HYPERCALL_PAGE not page aligned" },
    { "HYPERCALL_PAGE at kend",     c_hcall_outside, NULL,  "HYPERCALL_PAGE outside the kernel image" },
    { "HYPERCALL_PAGE below",       c_hcall_below, NULL,    "HYPERCALL_PAGE outside the kernel image" },
};

static void test_bad_case(void **state)
{
    const struct bad_case *bc = *state;
    struct cfg c;
    struct img im;
    struct pv_kernel_info info;
    const char *why = NULL;
    int rc;

    default_cfg(&c);
    if (bc->pre)
        bc->pre(&c);
    build(&im, &c);
    if (bc->post)
        bc->post(&im);
    rc = parse_copy(im.buf, im.size, &info, &why);
    free(im.buf);
    if (rc != -EINVAL)
        fail_msg("%s: expected -EINVAL, got %d", bc->name, rc);
    assert_non_null(why);
    if (strcmp(why, bc->why))
        fail_msg("%s: reason \"%s\", expected \"%s\"", bc->name, why, bc->why);
}

static void test_null_image(void **state)
{
    struct pv_kernel_info info;
    const char *why = NULL;
    assert_int_equal(pv_kernel_parse(NULL, 100, &info, &why), -EINVAL);
    assert_string_equal(why, "no image");
}

/* ---- mutation loop ---- */

static uint64_t rng_state;

static uint64_t rng(void)
{
    /* xorshift64* */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static const uint64_t interesting[] = {
    0, 1, 3, 4, 8, 0x7f, 0xff, 0x1000, 0xffff, 0x7fffffff, 0x80000000, 0xfffffffc,
    0xffffffff, 0x100000000ULL, 0x7fffffffffffffffULL, 0x8000000000000000ULL,
    0xfffffffffffff000ULL, ~0ULL,
};

static void mutate(uint8_t *buf, size_t size, size_t hot)
{
    unsigned n = 1 + rng() % 6;
    for (unsigned i = 0; i < n; i++) {
        /* Mostly the headers and notes, where the parser looks. */
        size_t at = (rng() % 4) ? rng() % hot : rng() % size;
        switch (rng() % 4) {
        case 0: case 1:
            buf[at] ^= (uint8_t)(1u << (rng() % 8));
            break;
        case 2:
            buf[at] = (uint8_t)rng();
            break;
        default: {
            uint64_t v = interesting[rng() % ARRAY_SIZE(interesting)];
            size_t w = (rng() % 2) ? 8 : 4;
            at &= ~(size_t)3;
            if (at + w <= size)
                memcpy(buf + at, &v, w);
            break;
        }
        }
    }
}

/* Properties every accepted image must have. */
static void check_accepted(const uint8_t *img, size_t size, const struct pv_kernel_info *info)
{
    assert_true(info->nr_segments >= 1 && info->nr_segments <= ELF_MAX_LOAD_SEGMENTS);
    assert_true(info->pstart <= info->pend);
    assert_true(info->virt_kstart <= info->virt_kend);
    assert_int_equal(info->virt_kend - info->virt_kstart, info->pend - info->pstart);
    assert_true(info->virt_base <= info->virt_kstart);
    assert_true(info->entry >= info->virt_kstart && info->entry < info->virt_kend);
    assert_true(memchr(info->guest_os, 0, sizeof(info->guest_os)) != NULL);
    assert_true(memchr(info->loader, 0, sizeof(info->loader)) != NULL);
    assert_true(memchr(info->xen_version, 0, sizeof(info->xen_version)) != NULL);
    assert_true(memchr(info->features, 0, sizeof(info->features)) != NULL);
    assert_false(pv_kernel_feature_required(info, "supervisor_mode_kernel"));
    for (unsigned i = 0; i < info->nr_segments; i++) {
        const struct elf_load_segment *s = &info->segments[i];
        assert_true(s->offset <= size && s->filesz <= size - s->offset);
        assert_true(s->filesz <= s->memsz);
        assert_true(s->paddr >= info->pstart && s->paddr + s->memsz <= info->pend);
    }
    /* Loading must stay inside dest (ASan checks); only for modest sizes. */
    if (info->pend - info->pstart <= (1u << 20)) {
        size_t len = info->pend - info->pstart;
        uint8_t *dest = malloc(len ? len : 1);
        assert_non_null(dest);
        pv_kernel_load(img, info, dest);
        free(dest);
    }
}

static void fuzz_one(const struct cfg *c, unsigned iterations, uint64_t seed)
{
    struct img im;
    unsigned accepted = 0, refused = 0;

    build(&im, c);
    rng_state = seed;
    for (unsigned it = 0; it < iterations; it++) {
        size_t size = im.size;
        struct pv_kernel_info info;
        const char *why = NULL;
        uint8_t *copy;
        int rc;

        if (rng() % 16 == 0)
            size = rng() % (im.size + 1);          /* truncated file */
        copy = malloc(size ? size : 1);
        assert_non_null(copy);
        memcpy(copy, im.buf, size);
        if (size)
            mutate(copy, size, im.note_off + im.note_len < size ? im.note_off + im.note_len
                                                                : size);
        rc = pv_kernel_parse(copy, size, &info, &why);
        if (rc == 0) {
            assert_null(why);
            check_accepted(copy, size, &info);
            accepted++;
        } else {
            if (rc != -EINVAL)
                fail_msg("iteration %u: rc %d", it, rc);
            assert_non_null(why);
            assert_true(why[0] != 0);
            refused++;
        }
        free(copy);
    }
    free(im.buf);
    print_message("  %u iterations: %u accepted, %u refused\n", iterations, accepted,
                  refused);
    /* Both outcomes must occur, or the loop is not exercising the parser. */
    assert_true(accepted > 0 && refused > 0);
}

static void test_fuzz_segments(void **state)
{
    struct cfg c;
    default_cfg(&c);
    c.extra_loads = 2;
    fuzz_one(&c, 20000, 0x5eed0001);
}

static void test_fuzz_sections(void **state)
{
    struct cfg c;
    default_cfg(&c);
    c.notes_in_section = true;
    fuzz_one(&c, 5000, 0x5eed0002);
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_good_linux_like),
        cmocka_unit_test(test_good_xtf_like),
        cmocka_unit_test(test_good_legacy_paddr_offset),
        cmocka_unit_test(test_good_offset_arithmetic),
        cmocka_unit_test(test_good_notes_in_section),
        cmocka_unit_test(test_good_8_aligned_notes),
        cmocka_unit_test(test_strings_truncated),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_max_segments),
        cmocka_unit_test(test_load),
        cmocka_unit_test(test_null_image),
        cmocka_unit_test(test_fuzz_segments),
        cmocka_unit_test(test_fuzz_sections),
    };
    /* One named cmocka test per bad_cases row. */
    size_t n = ARRAY_SIZE(fixed) + ARRAY_SIZE(bad_cases);
    struct CMUnitTest *tests = calloc(n, sizeof(*tests));
    int failed;

    if (!tests)
        return 1;
    memcpy(tests, fixed, sizeof(fixed));
    for (size_t i = 0; i < ARRAY_SIZE(bad_cases); i++) {
        struct CMUnitTest *t = &tests[ARRAY_SIZE(fixed) + i];
        t->name = bad_cases[i].name;
        t->test_func = test_bad_case;
        t->initial_state = (void *)&bad_cases[i];
    }
    failed = _cmocka_run_group_tests("elf_notes", tests, n, NULL, NULL);
    free(tests);
    return failed;
}
