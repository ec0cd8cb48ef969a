/*
 * The start-of-day layout of a PV domain: pure arithmetic placing the kernel, module,
 * p2m list, start_info, xenstore and console rings, bootstrap page tables and boot stack
 * in [virt_base, v_end). Every sum is overflow-checked. Contract in
 * include/domain/layout.h; rules in xen-pv-abi-checklist.md 1.2.
 */
#include <domain/layout.h>
#include <errno.h>
#include <stddef.h>

#define PAGE_SHIFT   12
#define PAGE_SIZE    (1ULL << PAGE_SHIFT)
#define L1_SHIFT     21          /* one L1 table maps 2 MiB */
#define L2_SHIFT     30          /* one L2 table maps 1 GiB */
#define L3_SHIFT     39          /* one L3 table maps 512 GiB */
#define PAD_BYTES    (512ULL << 10)
#define VEND_ALIGN   (4ULL << 20)

/* The x86-64 canonical halves, and the hypervisor's hole at the bottom of the upper one
 * (L4 slots 256-271, HYPERVISOR_VIRT_START/END of arch-x86/xen-x86_64.h). */
#define LOWER_HALF_END   0x0000800000000000ULL
#define UPPER_HALF_START 0xFFFF800000000000ULL
#define HV_HOLE_START    0xFFFF800000000000ULL
#define HV_HOLE_END      0xFFFF880000000000ULL

/* The page-table count grows with v_end and v_end with the count; the sequence is
 * monotonic and settles in two or three rounds. The cap only guards against a bug. */
#define MAX_ROUNDS 16

/* Tables of one level covering [start, end): one per (1 << shift)-sized slot touched. */
static uint64_t tables_for(uint64_t start, uint64_t end, unsigned shift)
{
    return ((end - 1) >> shift) - (start >> shift) + 1;
}

void layout_count_tables(uint64_t start, uint64_t end, uint64_t *nr_l3, uint64_t *nr_l2,
                         uint64_t *nr_l1)
{
    if (end <= start) {
        *nr_l3 = *nr_l2 = *nr_l1 = 0;
        return;
    }
    *nr_l3 = tables_for(start, end, L3_SHIFT);
    *nr_l2 = tables_for(start, end, L2_SHIFT);
    *nr_l1 = tables_for(start, end, L1_SHIFT);
}

bool layout_fits_one_l2(const struct layout *l)
{
    return l->v_end > l->virt_base &&
           (l->virt_base >> L2_SHIFT) == ((l->v_end - 1) >> L2_SHIFT);
}

static uint64_t pages_for(uint64_t bytes)
{
    return (bytes >> PAGE_SHIFT) + ((bytes & (PAGE_SIZE - 1)) != 0);
}

/* va = base + pfn * 4096, false on overflow. */
static bool pfn_to_va(uint64_t base, uint64_t pfn, uint64_t *va)
{
    if (pfn > (~0ULL >> PAGE_SHIFT))
        return false;
    return !__builtin_add_overflow(base, pfn << PAGE_SHIFT, va);
}

/* v_end for a region whose last used page is pfn end_pfn - 1: at least 512 KiB of
 * padding, then up to the next 4 MiB boundary (of the address, as libxenguest does). */
static bool v_end_for(uint64_t base, uint64_t end_pfn, uint64_t *v_end)
{
    uint64_t va;
    if (!pfn_to_va(base, end_pfn, &va) ||
        __builtin_add_overflow(va, PAD_BYTES + VEND_ALIGN - 1, &va))
        return false;
    *v_end = va & ~(VEND_ALIGN - 1);
    return true;
}

/* The region [start, end) must be in one canonical half and clear of the hole. */
static const char *check_range(uint64_t start, uint64_t end)
{
    if (start < LOWER_HALF_END) {
        if (end > LOWER_HALF_END)
            return "bootstrap region is not canonical";
        return NULL;
    }
    if (start < UPPER_HALF_START)
        return "bootstrap region is not canonical";
    if (start < HV_HOLE_END && end > HV_HOLE_START)
        return "bootstrap region overlaps the hypervisor hole";
    return NULL;
}

static int refuse(const char **why, const char *reason)
{
    *why = reason;
    return -EINVAL;
}

int layout_compute(const struct layout_request *req, struct layout *out, const char **why)
{
    const char *dummy;
    uint64_t base = req->virt_base;
    uint64_t kstart = req->virt_kstart & ~(PAGE_SIZE - 1);
    uint64_t kend_up, pfn, nr_pt = 1, v_end = 0;
    const char *bad;

    if (!why)
        why = &dummy;
    *why = NULL;
    __builtin_memset(out, 0, sizeof(*out));

    if (base & (PAGE_SIZE - 1))
        return refuse(why, "virt_base not page aligned");
    if (kstart < base)
        return refuse(why, "kernel below virt_base");
    if (req->virt_kend < req->virt_kstart)
        return refuse(why, "kernel ends before it starts");
    if (__builtin_add_overflow(req->virt_kend, PAGE_SIZE - 1, &kend_up))
        return refuse(why, "kernel end overflows");
    kend_up &= ~(PAGE_SIZE - 1);

    /* Everything up to the kernel is ordinary RAM in the region. */
    out->virt_base = base;
    out->kernel_pfn = (kstart - base) >> PAGE_SHIFT;
    out->kernel_pages = (kend_up - kstart) >> PAGE_SHIFT;
    pfn = out->kernel_pfn + out->kernel_pages;   /* <= 2^52 each: no overflow */

    /* Then module, p2m list (8 bytes per page) and the three single pages. Every
     * addend is below 2^53, so pfn stays far from wrapping; the va conversion below
     * catches anything beyond the address space. */
    if (req->module_bytes) {
        out->module_pfn = pfn;
        out->module_pages = pages_for(req->module_bytes);
        pfn += out->module_pages;
    }
    out->p2m_pfn = pfn;
    out->p2m_pages = req->nr_pages / (PAGE_SIZE / 8) + (req->nr_pages % (PAGE_SIZE / 8) != 0);
    pfn += out->p2m_pages;
    out->start_info_pfn = pfn++;
    out->xenstore_pfn = pfn++;
    out->console_pfn = pfn++;
    out->pt_pfn = pfn;

    /* Page tables: L4 + L3s + L2s + L1s mapping [base, v_end), where v_end depends on
     * how many there are. Start from one page and grow to the fixed point. */
    for (unsigned round = 0;; round++) {
        uint64_t l3, l2, l1, need;

        if (round == MAX_ROUNDS)
            return refuse(why, "page-table count did not converge");
        /* + 1 for the boot stack page after the tables. */
        if (!v_end_for(base, pfn + nr_pt + 1, &v_end) || v_end == 0)
            return refuse(why, "bootstrap region overflows the address space");
        layout_count_tables(base, v_end, &l3, &l2, &l1);
        need = 1 + l3 + l2 + l1;
        if (need <= nr_pt) {
            /* need never drops below the previous round's, so here need == nr_pt. */
            out->nr_l3 = l3;
            out->nr_l2 = l2;
            out->nr_l1 = l1;
            break;
        }
        nr_pt = need;
    }
    out->nr_pt_pages = nr_pt;
    pfn += nr_pt;
    out->boot_stack_pfn = pfn++;
    if (!pfn_to_va(base, pfn, &out->boot_stack_top))
        return refuse(why, "bootstrap region overflows the address space");
    out->v_end = v_end;

    bad = check_range(base, v_end);
    if (bad)
        return refuse(why, bad);
    /* v_end - base is a multiple of the page size (both aligned). */
    if ((v_end - base) >> PAGE_SHIFT > req->nr_pages)
        return refuse(why, "domain memory too small for its boot layout");

    /*
     * Linux constraint (checklist 1.2 item 4), deliberately not enforced here: a Linux
     * PV kernel (virt_base 0xffffffff80000000) copies only the single L2 under
     * L4[511]/L3[510] in xen_setup_kernel_pagetable, so its whole bootstrap region must
     * fit in that 1 GiB (v_end <= 0xffffffffc0000000). layout_fits_one_l2() tells the
     * builder whether that holds, so it can warn or refuse.
     */
    return 0;
}
