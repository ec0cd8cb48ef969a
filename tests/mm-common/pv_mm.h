/*
 * pv_mm.h: helpers shared by the PV MMU tests (hc-mmu-update, hc-mmuext-op,
 * hc-update-va-mapping, hc-set-gdt, hc-update-descriptor and the xsa-a* guests).
 * Header only (every function static), included as "../mm-common/pv_mm.h"; not a test.
 *
 * What it gives: Xen errno values, the PTE bits tests/lib does not name, one-request
 * wrappers for mmu_update and mmuext_op, pin/unpin and read-only/read-write remaps of a
 * page of ours, the M2P (mfn -> pfn, read at MACH2PHYS_VIRT_START), a walk of the current
 * page tables to the machine address of an entry, a "scratch" L1 hung off the boot L2 so
 * a test can map frames at fresh VAs, and rc checks that know where Xen 4.17 (the
 * reference, booted with "xen-reference" on the command line) answers differently.
 *
 * Guest memory facts relied on: virt_base is 0, so a VA of the boot region is its
 * pseudo-physical address and every frame of ours in that region (kernel image, .bss,
 * page tables) is found at VA = M2P[mfn] << 12. The boot page-table pages are mapped
 * read-only there, so a test can read (never write) any entry of its tables.
 */
#ifndef PARAPET_TEST_PV_MM_H
#define PARAPET_TEST_PV_MM_H

#include <xen/errno.h>
#include "test.h"

/* PTE bits tests/lib/guest.h does not define. */
#define PTE_PWT         0x008UL
#define PTE_PCD         0x010UL
#define PTE_PSE         0x080UL     /* L2/L3: superpage */
#define PTE_PAT         0x080UL     /* L1: PAT index bit */
#define PTE_G           0x100UL
#define PTE_AVAIL       0xe00UL     /* bits 9-11 */
#define PTE_AVAIL_HI    (0x7ffUL << 52)
#define PTE_NX          (1UL << 63)
#define PTE_GNTTAB      (1UL << 62) /* L1: a grant mapping (Parapet; Xen debug builds) */
#define PTE_ADDR        0x000ffffffffff000UL

#define PT_RO           (PTE_P | PTE_A)                   /* read-only data mapping */
#define PT_RW           (PTE_P | PTE_RW | PTE_A | PTE_D)  /* read-write data mapping */
#define PT_TABLE        (PTE_P | PTE_RW | PTE_A)          /* L2-L4 entry to a table */

#define L4_XEN_FIRST    256         /* L4 slots 256..271 belong to the hypervisor */
#define L4_XEN_LAST     271

typedef uint64_t page_t[PAGE_SIZE / 8];

/* ---- environment ------------------------------------------------------------------- */

/* Booted on the reference (Xen 4.17 as dom0): the runner adds "xen-reference". */
static inline bool on_xen_reference(void)
{
    return cmdline_flag("xen-reference");
}

/* dom0 on Xen may map I/O memory and use cache attributes: rules for unprivileged
 * domains do not apply to it. A Parapet domain is never privileged. */
static inline bool is_privileged(void)
{
    return start_info->flags & SIF_PRIVILEGED;
}

/* ---- frames -------------------------------------------------------------------------- */

#define M2P ((const volatile unsigned long *)MACH2PHYS_VIRT_START)

static inline unsigned long mfn_to_pfn(unsigned long mfn)
{
    return M2P[mfn];
}

/* The VA of a frame of ours in the boot region (VA == pfn << 12). */
static inline void *mfn_to_virt(unsigned long mfn)
{
    return (void *)(M2P[mfn] << PAGE_SHIFT);
}

static inline unsigned long virt_to_maddr(const void *va)
{
    return virt_to_mfn(va) << PAGE_SHIFT | ((unsigned long)va & (PAGE_SIZE - 1));
}

static inline unsigned long pte_mfn(uint64_t pte)
{
    return (pte & PTE_ADDR) >> PAGE_SHIFT;
}

/* A PTE for the frame holding va. */
static inline uint64_t pte_of(const void *va, unsigned long flags)
{
    return virt_to_mfn(va) << PAGE_SHIFT | flags;
}

/* ---- hypercall wrappers ---------------------------------------------------------------- */

static inline long mmu_update1(unsigned long ptr, uint64_t val)
{
    struct mmu_update u = { .ptr = ptr, .val = val };

    return HYPERVISOR_mmu_update((unsigned long)&u, 1, 0, DOMID_SELF);
}

static inline long mmuext(unsigned int cmd, unsigned long arg1, unsigned long arg2)
{
    struct mmuext_op op = { .cmd = cmd };

    op.arg1.mfn = arg1;
    op.arg2.src_mfn = arg2;     /* the widest member: nr_ents is its low half */
    return HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF);
}

static inline long pin_mfn(int level, unsigned long mfn)
{
    return mmuext(MMUEXT_PIN_L1_TABLE + (unsigned int)(level - 1), mfn, 0);
}

static inline long pin_va(int level, const void *va)
{
    return pin_mfn(level, virt_to_mfn(va));
}

static inline long unpin_va(const void *va)
{
    return mmuext(MMUEXT_UNPIN_TABLE, virt_to_mfn(va), 0);
}

static inline long invlpg(unsigned long va)
{
    return mmuext(MMUEXT_INVLPG_LOCAL, va, 0);
}

static inline long flush_tlb(void)
{
    return mmuext(MMUEXT_TLB_FLUSH_LOCAL, 0, 0);
}

/* Our own mapping of a page of the boot region, read-only or read-write. */
static inline long set_ro(const void *va)
{
    return remap_page((void *)va, virt_to_mfn(va), PT_RO);
}

static inline long set_rw(const void *va)
{
    return remap_page((void *)va, virt_to_mfn(va), PT_RW);
}

/* ---- page-table walk ---------------------------------------------------------------- */

static inline unsigned long read_cr3(void)
{
    unsigned long cr3;

    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    return cr3;
}

static inline unsigned long cur_l4_mfn(void)
{
    return read_cr3() >> PAGE_SHIFT;
}

static inline unsigned int pt_index(unsigned long va, int level)
{
    return (unsigned int)(va >> (PAGE_SHIFT + 9 * (level - 1))) & 511;
}

/*
 * The machine address of the entry for va at 'level' (1..4) in the current page tables,
 * and in *table the VA of the table holding it; 0 if a table above it is missing (or is
 * not in the boot region, where we can read it).
 */
static inline unsigned long entry_maddr(unsigned long va, int level, uint64_t **table)
{
    unsigned long mfn = cur_l4_mfn();
    uint64_t *t;
    int l;

    for (l = 4;; l--) {
        t = mfn_to_virt(mfn);
        if (l == level)
            break;
        if (!(t[pt_index(va, l)] & PTE_P) || (t[pt_index(va, l)] & PTE_PSE))
            return 0;
        mfn = pte_mfn(t[pt_index(va, l)]);
    }
    if (table)
        *table = t;
    return mfn << PAGE_SHIFT | pt_index(va, level) * 8UL;
}

/* The entry for va at level, or 0 if there is none. */
static inline uint64_t read_entry(unsigned long va, int level)
{
    uint64_t *t;

    if (!entry_maddr(va, level, &t))
        return 0;
    return ((volatile uint64_t *)t)[pt_index(va, level)];
}

/* ---- a scratch L1 at a fresh VA ------------------------------------------------------- */

/*
 * An empty L1 of ours hung off the boot L2 at the 2 MiB-aligned VA 'va' (whose L2 entry
 * must be empty), so frames can be mapped at va + i * 4 KiB with mmu_update on entry i.
 */
struct scratch {
    unsigned long va;       /* first VA the L1 maps */
    uint64_t *l1;           /* its read-only mapping, for reading entries */
    unsigned long l1_maddr; /* machine address of entry 0 */
    unsigned long l2e_maddr;/* machine address of the L2 entry pointing at it */
};

static inline bool scratch_init(struct scratch *s, uint64_t *l1page, unsigned long va)
{
    long rc;

    s->va = va;
    s->l1 = l1page;
    s->l1_maddr = virt_to_maddr(l1page);
    s->l2e_maddr = entry_maddr(va, 2, NULL);
    if (!s->l2e_maddr) {
        test_error("scratch L1: no L2 covers VA %lx", va);
        return false;
    }
    if (read_entry(va, 2)) {
        test_error("scratch L1: the L2 entry for VA %lx is in use", va);
        return false;
    }
    memset(l1page, 0, PAGE_SIZE);
    rc = set_ro(l1page);
    if (!rc)
        rc = pin_va(1, l1page);
    if (!rc)
        rc = mmu_update1(s->l2e_maddr, pte_of(l1page, PT_TABLE));
    if (rc) {
        test_error("scratch L1 at VA %lx: building it failed: %ld", va, rc);
        return false;
    }
    return true;
}

/* Write entry i of the scratch L1 (validated by the hypervisor), then flush its VA. */
static inline long scratch_set(struct scratch *s, unsigned int i, uint64_t pte)
{
    long rc = mmu_update1(s->l1_maddr + i * 8UL, pte);

    invlpg(s->va + i * PAGE_SIZE);
    return rc;
}

static inline void *scratch_va(struct scratch *s, unsigned int i)
{
    return (void *)(s->va + i * PAGE_SIZE);
}

/* Unhook and unpin the scratch L1 and make its page writable again. */
static inline void scratch_fini(struct scratch *s)
{
    unsigned int i;

    for (i = 0; i < 512; i++)
        if (s->l1[i])
            mmu_update1(s->l1_maddr + i * 8UL, 0);
    mmu_update1(s->l2e_maddr, 0);
    flush_tlb();
    unpin_va(s->l1);
    set_rw(s->l1);
}

/* Write the 8-byte value v at p natively; the exception it raised, if any. */
static inline exinfo_t probe_write_val(volatile void *p, uint64_t v)
{
    probe_reset();
    __asm__ volatile("1: movq %1, (%0)\n2:\n\t" EXTABLE_ENTRY("1b", "2b")
                     : : "r"(p), "r"(v) : "memory");
    return probe_last.info;
}

/*
 * A native write of a bad value into a page table (or GDT) through a mapping that is
 * not writable must fault. It may not fault only through writable-page-table emulation
 * (Xen's VMASST_TYPE_writable_pagetables), which validates the value first and so also
 * faults for the bad values the tests use. The caller checks the bytes did not change.
 */
static inline bool expect_write_faults(const char *what, volatile void *p, uint64_t v)
{
    exinfo_t e = probe_write_val(p, v);

    if (exinfo_vector(e) == X86_PF && e)
        return true;
    if (e == EXINFO_NONE)
        test_failure("%s: the write of %lx did not fault", what, v);
    else
        expect_exinfo(what, e, EXINFO(X86_PF, PFEC_P | PFEC_W));
    return false;
}

/* ---- result checks --------------------------------------------------------------------- */

/*
 * rc must be 'want' on Parapet. 'xen' is what Xen 4.17 answers where Parapet deliberately
 * differs (the caller says why); on the reference that is what is expected instead.
 */
static inline bool check_rc2(const char *what, long got, long want, long xen)
{
    long w = on_xen_reference() ? xen : want;

    if (got == w)
        return true;
    test_failure("%s: returned %ld, expected %ld", what, got, w);
    return false;
}

static inline bool check_rc(const char *what, long got, long want)
{
    return check_rc2(what, got, want, want);
}

/* A refusal: any error code from 'allowed' (Xen and Parapet differ on the exact code of
 * some refusals; the caller lists them), never 0. */
static inline bool check_refused(const char *what, long got, long want, long alt)
{
    if (got == want)
        return true;
    if (got == alt) {
        printk("  (%s: refused with %ld)\n", what, got);
        return true;
    }
    if (got == 0)
        test_failure("%s: accepted (returned 0), expected %ld", what, want);
    else
        test_failure("%s: returned %ld, expected %ld", what, got, want);
    return false;
}

/* A simple checksum of a page, to prove refused operations left it alone. */
static inline uint64_t page_sum(const void *p)
{
    const volatile uint64_t *q = p;
    uint64_t s = 0x9e3779b97f4a7c15UL;
    unsigned int i;

    for (i = 0; i < PAGE_SIZE / 8; i++)
        s = (s ^ q[i]) * 0x100000001b3UL + i;
    return s;
}

#endif
