/*
 * Reading a PV kernel image: an ELF64 x86-64 file with Xen ELF notes (owner "Xen").
 *
 * Pure logic over a byte buffer that is untrusted: every offset and size is bounds-
 * checked, and a bad image gets an error string saying what is wrong. Implemented in
 * hypervisor/domain/elf_notes.c, tested by tests/unit/test_elf_notes.c. The rules are
 * libelf's (xen/common/libelf/libelf-dominfo.c), as xen-pv-abi-checklist.md 1.1 lists.
 */
#ifndef HV_DOMAIN_ELF_NOTES_H
#define HV_DOMAIN_ELF_NOTES_H

#include <stdint.h>
#include <stdbool.h>
#include <stddef.h>

#define ELF_MAX_LOAD_SEGMENTS 16

struct elf_load_segment {
    uint64_t offset;   /* p_offset in the file */
    uint64_t paddr;    /* p_paddr: it loads at dest offset paddr - pstart */
    uint64_t filesz;
    uint64_t memsz;    /* memsz - filesz bytes are zero-filled */
};

struct pv_kernel_info {
    /* From the notes (or defaults). */
    uint64_t virt_base;       /* VIRT_BASE, 0 if absent */
    uint64_t paddr_offset;    /* PADDR_OFFSET, 0 if absent */
    uint64_t entry;           /* ENTRY, else e_entry */
    uint64_t hypercall_page;  /* HYPERCALL_PAGE virtual address, 0 if absent */
    bool     has_hypercall_page;
    uint64_t init_p2m;        /* INIT_P2M, 0 if absent */
    bool     mod_start_pfn;   /* MOD_START_PFN != 0 */
    char     guest_os[32];
    char     loader[32];
    char     xen_version[32];
    char     features[256];   /* FEATURES string, verbatim; if longer than 255 bytes, cut
                                 after its last whole token (the refusal of
                                 "!supervisor_mode_kernel" reads the whole note) */
    /* Derived addresses (virtual): the kernel image occupies [virt_kstart, virt_kend). */
    uint64_t pstart, pend;    /* lowest p_paddr, highest p_paddr + p_memsz */
    uint64_t virt_kstart, virt_kend;
    unsigned nr_segments;
    struct elf_load_segment segments[ELF_MAX_LOAD_SEGMENTS];
};

/*
 * Parse image[0..size). Returns 0 and fills *info, or a negative errno (-EINVAL) and
 * points *why at a static one-line reason ("not ELF64", "no Xen ELF notes", "entry outside
 * the kernel image", "XEN_VERSION must start with xen-3.0", ...).
 * Accepts: ELF64, little-endian, EM_X86_64, ET_EXEC; at least one PT_LOAD; notes of
 * owner "Xen" found in PT_NOTE segments (or SHT_NOTE sections); LOADER starting with
 * "generic" or GUEST_OS starting with "linux"; XEN_VERSION starting with "xen-3.0";
 * FEATURES not requiring "!supervisor_mode_kernel"; entry in [virt_kstart, virt_kend);
 * virt_base <= virt_kstart; segments inside the file; HYPERCALL_PAGE, if present, page
 * aligned and inside the kernel image's pages (the builder writes it before boot, so it
 * must not land on start_info or the page tables).
 */
int pv_kernel_parse(const void *image, size_t size, struct pv_kernel_info *info,
                    const char **why);

/* Copy the PT_LOAD segments into dest, where dest[0] is the byte at pstart and dest
 * has room for pend - pstart bytes; zero-fills the bss parts (and any gap between
 * segments, so no stale memory reaches the guest). 'info' must come from a successful
 * pv_kernel_parse of this same image. */
void pv_kernel_load(const void *image, const struct pv_kernel_info *info, void *dest);

/* Whether the FEATURES string lists 'name', as "name" or as "!name" (a leading '!' in
 * 'name' itself is ignored). */
bool pv_kernel_feature(const struct pv_kernel_info *info, const char *name);

/* Whether the FEATURES string lists 'name' as required ("!name"). */
bool pv_kernel_feature_required(const struct pv_kernel_info *info, const char *name);

#endif
