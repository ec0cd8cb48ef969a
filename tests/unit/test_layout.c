/*
 * Host unit tests of hypervisor/domain/layout.c (cmocka, run under ASan/UBSan).
 *
 * Each good case states its expected frame numbers, worked out by hand in the comment
 * above it from the rules of include/domain/layout.h; bad requests must be refused with
 * -EINVAL and the expected reason. Cannot detect: a rule misread identically in the
 * code and in the hand computation (the numbers were cross-checked against checklist 1.2).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdbool.h>
#include <string.h>
#include <cmocka.h>

#include <domain/layout.h>
#include <errno.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define LINUX_BASE 0xffffffff80000000ULL

static void compute_ok(const struct layout_request *req, struct layout *l)
{
    const char *why = "unset";
    int rc = layout_compute(req, l, &why);
    if (rc)
        fail_msg("layout refused: %s", why ? why : "(null)");
    assert_null(why);
}

/* Invariants every successful layout has, whatever the request. */
static void check_invariants(const struct layout_request *req, const struct layout *l)
{
    uint64_t l3, l2, l1;

    assert_int_equal(l->v_end % (4 * MiB), 0);
    assert_true(l->p2m_pfn >= l->kernel_pfn + l->kernel_pages + l->module_pages);
    assert_int_equal(l->start_info_pfn, l->p2m_pfn + l->p2m_pages);
    assert_int_equal(l->xenstore_pfn, l->start_info_pfn + 1);
    assert_int_equal(l->console_pfn, l->xenstore_pfn + 1);
    assert_int_equal(l->pt_pfn, l->console_pfn + 1);
    assert_int_equal(l->nr_pt_pages, 1 + l->nr_l3 + l->nr_l2 + l->nr_l1);
    assert_int_equal(l->boot_stack_pfn, l->pt_pfn + l->nr_pt_pages);
    assert_int_equal(l->boot_stack_top, layout_pfn_to_va(l, l->boot_stack_pfn + 1));
    /* >= 512 KiB of padding after the stack, and the tables map exactly [base, v_end). */
    assert_true(l->v_end - l->boot_stack_top >= 512 * 1024);
    layout_count_tables(l->virt_base, l->v_end, &l3, &l2, &l1);
    assert_int_equal(l3, l->nr_l3);
    assert_int_equal(l2, l->nr_l2);
    assert_int_equal(l1, l->nr_l1);
    assert_true((l->v_end - l->virt_base) / 4096 <= req->nr_pages);
}

/*
 * XTF-like: virt_base 0, kernel [1 MiB, 1.5 MiB), 128 MiB = 32768 pages.
 *   kernel      pfn 0x100 = 256, 512 KiB = 128 pages      -> next 384
 *   p2m         32768 * 8 = 256 KiB = 64 pages, pfn 384    -> next 448
 *   start_info  448, xenstore 449, console 450, tables from 451
 *   round 1: 1 table  -> stack 452, last page 452, end 453*4K = 0x1c5000,
 *            + 512 KiB = 0x245000, up to 4 MiB: v_end 0x400000;
 *            [0, 4 MiB) needs L3 1, L2 1, L1 2 -> 5 tables
 *   round 2: 5 tables -> end 457*4K = 0x1c9000 + 512 KiB = 0x249000 -> 0x400000,
 *            5 tables again: fixed point.
 *   tables 451..455 (L4 451, L3 452, L2 453, L1 454-455), stack 456,
 *   stack top 457*4K = 0x1c9000, v_end 0x400000 (1024 pages <= 32768).
 */
static void test_xtf_like(void **state)
{
    struct layout_request req = {
        .virt_base = 0, .virt_kstart = 0x100000, .virt_kend = 0x180000,
        .module_bytes = 0, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.virt_base, 0);
    assert_int_equal(l.kernel_pfn, 256);
    assert_int_equal(l.kernel_pages, 128);
    assert_int_equal(l.module_pfn, 0);
    assert_int_equal(l.module_pages, 0);
    assert_int_equal(l.p2m_pfn, 384);
    assert_int_equal(l.p2m_pages, 64);
    assert_int_equal(l.start_info_pfn, 448);
    assert_int_equal(l.xenstore_pfn, 449);
    assert_int_equal(l.console_pfn, 450);
    assert_int_equal(l.pt_pfn, 451);
    assert_int_equal(l.nr_pt_pages, 5);
    assert_int_equal(l.nr_l3, 1);
    assert_int_equal(l.nr_l2, 1);
    assert_int_equal(l.nr_l1, 2);
    assert_int_equal(l.boot_stack_pfn, 456);
    assert_int_equal(l.boot_stack_top, 0x1c9000);
    assert_int_equal(l.v_end, 0x400000);
    assert_true(layout_fits_one_l2(&l));
    check_invariants(&req, &l);
}

/*
 * Linux-like: virt_base 0xffffffff80000000, kernel at +16 MiB, 32 MiB long, 256 MiB
 * = 65536 pages.
 *   kernel      pfn 0x1000 = 4096, 8192 pages             -> next 12288
 *   p2m         65536 * 8 = 512 KiB = 128 pages            -> next 12416
 *   start_info  12416, xenstore 12417, console 12418, tables from 12419
 *   round 1: end (12419+1+1)*4K = 12421*4K = 0x3085000, + 512 KiB = 0x3105000,
 *            up to 4 MiB: 0x3400000 (52 MiB); 52 MiB / 2 MiB = 26 L1s, 1 L2, 1 L3
 *            -> 29 tables
 *   round 2: end 12449*4K = 0x30a1000 + 512 KiB = 0x3121000 -> 0x3400000: 29, fixed.
 *   tables 12419..12447, stack 12448, stack top base + 12449*4K = base + 0x30a1000,
 *   v_end base + 0x3400000.
 */
static void test_linux_like(void **state)
{
    struct layout_request req = {
        .virt_base = LINUX_BASE, .virt_kstart = LINUX_BASE + 16 * MiB,
        .virt_kend = LINUX_BASE + 48 * MiB, .module_bytes = 0, .nr_pages = 65536,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.kernel_pfn, 4096);
    assert_int_equal(l.kernel_pages, 8192);
    assert_int_equal(l.module_pages, 0);
    assert_int_equal(l.p2m_pfn, 12288);
    assert_int_equal(l.p2m_pages, 128);
    assert_int_equal(l.start_info_pfn, 12416);
    assert_int_equal(l.xenstore_pfn, 12417);
    assert_int_equal(l.console_pfn, 12418);
    assert_int_equal(l.pt_pfn, 12419);
    assert_int_equal(l.nr_l3, 1);
    assert_int_equal(l.nr_l2, 1);
    assert_int_equal(l.nr_l1, 26);
    assert_int_equal(l.nr_pt_pages, 29);
    assert_int_equal(l.boot_stack_pfn, 12448);
    assert_int_equal(l.boot_stack_top, 0xffffffff830a1000ULL);
    assert_int_equal(l.v_end, 0xffffffff83400000ULL);
    assert_true(layout_fits_one_l2(&l));
    check_invariants(&req, &l);
}

/*
 * Same with a 10 MiB module (2560 pages):
 *   module      pfn 12288, 2560 pages                       -> next 14848
 *   p2m         14848, 128 pages                            -> next 14976
 *   start_info  14976, xenstore 14977, console 14978, tables from 14979
 *   round 1: end 14981*4K = 0x3a85000 + 512 KiB = 0x3b05000 -> 0x3c00000 (60 MiB):
 *            30 L1s -> 33 tables
 *   round 2: end 15013*4K = 0x3aa5000 + 512 KiB = 0x3b25000 -> 0x3c00000: fixed.
 *   tables 14979..15011, stack 15012, stack top base + 0x3aa5000, v_end base + 0x3c00000.
 */
static void test_linux_like_module(void **state)
{
    struct layout_request req = {
        .virt_base = LINUX_BASE, .virt_kstart = LINUX_BASE + 16 * MiB,
        .virt_kend = LINUX_BASE + 48 * MiB, .module_bytes = 10 * MiB, .nr_pages = 65536,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.kernel_pfn, 4096);
    assert_int_equal(l.module_pfn, 12288);
    assert_int_equal(l.module_pages, 2560);
    assert_int_equal(l.p2m_pfn, 14848);
    assert_int_equal(l.start_info_pfn, 14976);
    assert_int_equal(l.xenstore_pfn, 14977);
    assert_int_equal(l.console_pfn, 14978);
    assert_int_equal(l.pt_pfn, 14979);
    assert_int_equal(l.nr_l1, 30);
    assert_int_equal(l.nr_pt_pages, 33);
    assert_int_equal(l.boot_stack_pfn, 15012);
    assert_int_equal(l.boot_stack_top, 0xffffffff83aa5000ULL);
    assert_int_equal(l.v_end, 0xffffffff83c00000ULL);
    check_invariants(&req, &l);
}

/* A module of 1 byte takes a page; of 4097 bytes, two. */
static void test_module_rounding(void **state)
{
    struct layout_request req = {
        .virt_base = 0, .virt_kstart = 0x100000, .virt_kend = 0x180000,
        .module_bytes = 1, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.module_pfn, 384);
    assert_int_equal(l.module_pages, 1);
    assert_int_equal(l.p2m_pfn, 385);
    req.module_bytes = 4097;
    compute_ok(&req, &l);
    assert_int_equal(l.module_pages, 2);
    assert_int_equal(l.p2m_pfn, 386);
    check_invariants(&req, &l);
}

/*
 * Fixed point crossing a 4 MiB boundary: virt_base 0, kernel [1 MiB, 0x339000) = 569
 * pages, 32768 pages of memory.
 *   kernel 256 + 569 = 825 = p2m_pfn; p2m 64 pages -> start_info 889, xenstore 890,
 *   console 891, tables from 892.
 *   round 1: 1 table  -> end (892+1+1) = 894 pages, + 128 pages padding = 1022
 *            <= 1024: v_end 4 MiB -> 1 L3, 1 L2, 2 L1 = 5 tables
 *   round 2: 5 tables -> end 898 + 128 = 1026 > 1024: v_end 8 MiB -> 4 L1s, 7 tables
 *   round 3: 7 tables -> end 900 + 128 = 1028: v_end 8 MiB, 7 tables: fixed point.
 *   A single pass would have stopped at 5 tables and a 4 MiB region that the stack
 *   and padding no longer fit in.
 *   tables 892..898, stack 899, stack top 900*4K = 0x384000, v_end 0x800000.
 */
static void test_fixed_point(void **state)
{
    struct layout_request req = {
        .virt_base = 0, .virt_kstart = 0x100000, .virt_kend = 0x339000,
        .module_bytes = 0, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.kernel_pages, 569);
    assert_int_equal(l.pt_pfn, 892);
    assert_int_equal(l.nr_l1, 4);
    assert_int_equal(l.nr_pt_pages, 7);
    assert_int_equal(l.boot_stack_pfn, 899);
    assert_int_equal(l.boot_stack_top, 0x384000);
    assert_int_equal(l.v_end, 0x800000);
    check_invariants(&req, &l);

    /* One page less of kernel: round 2 ends at 897 + 128 = 1025 pages, still over;
     * two pages less (567): 896 + 128 = 1024 fits, so 5 tables and v_end 4 MiB. */
    req.virt_kend = 0x337000;
    compute_ok(&req, &l);
    assert_int_equal(l.nr_pt_pages, 5);
    assert_int_equal(l.v_end, 0x400000);
    assert_int_equal(l.boot_stack_top, 0x380000);
    check_invariants(&req, &l);
}

/* An unaligned kernel start is rounded down; the end rounded up. */
static void test_unaligned_kernel(void **state)
{
    struct layout_request req = {
        .virt_base = 0, .virt_kstart = 0x100800, .virt_kend = 0x180001,
        .module_bytes = 0, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.kernel_pfn, 256);
    assert_int_equal(l.kernel_pages, 129);
    check_invariants(&req, &l);
}

/* v_end is a 4 MiB boundary of the address, even when virt_base is not one:
 * virt_base 0x1000, kernel pfn 0x100 (va 0x101000): as XTF but one page up. */
static void test_unaligned_base(void **state)
{
    struct layout_request req = {
        .virt_base = 0x1000, .virt_kstart = 0x101000, .virt_kend = 0x181000,
        .module_bytes = 0, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    assert_int_equal(l.kernel_pfn, 256);
    assert_int_equal(l.pt_pfn, 451);
    assert_int_equal(l.v_end, 0x400000);
    assert_int_equal(l.boot_stack_top, 0x1000 + 457 * 4096);
    check_invariants(&req, &l);
}

/* Exactly enough memory is fine; a page less is refused. XTF-like with 1024 pages:
 * p2m 1024*8 = 8 KiB = 2 pages (384..385), start_info 386, tables 389..393, stack 394,
 * v_end 4 MiB = 1024 pages. */
static void test_nr_pages_boundary(void **state)
{
    struct layout_request req = {
        .virt_base = 0, .virt_kstart = 0x100000, .virt_kend = 0x180000,
        .module_bytes = 0, .nr_pages = 1024,
    };
    struct layout l;
    const char *why = NULL;

    compute_ok(&req, &l);
    assert_int_equal(l.p2m_pages, 2);
    assert_int_equal(l.boot_stack_pfn, 394);
    assert_int_equal(l.v_end, 0x400000);
    check_invariants(&req, &l);

    req.nr_pages = 1023;      /* p2m still 2 pages: same layout, one page short */
    assert_int_equal(layout_compute(&req, &l, &why), -EINVAL);
    assert_string_equal(why, "domain memory too small for its boot layout");
}

/* Linux needs the region under one L2; layout_fits_one_l2 says when it is not. */
static void test_one_l2(void **state)
{
    struct layout_request req = {
        .virt_base = LINUX_BASE, .virt_kstart = LINUX_BASE + 16 * MiB,
        .virt_kend = LINUX_BASE + 48 * MiB, .module_bytes = GiB,
        .nr_pages = 2 * GiB / 4096,
    };
    struct layout l;

    compute_ok(&req, &l);     /* not enforced by layout_compute */
    assert_false(layout_fits_one_l2(&l));
    assert_int_equal(l.nr_l2, 2);
    check_invariants(&req, &l);
}

/* The region may start right above the hypervisor hole, and may end at the top of the
 * lower half. */
static void test_range_edges(void **state)
{
    struct layout_request req = {
        .virt_base = 0xffff880000000000ULL, .virt_kstart = 0xffff880000000000ULL,
        .virt_kend = 0xffff880000080000ULL, .module_bytes = 0, .nr_pages = 32768,
    };
    struct layout l;

    compute_ok(&req, &l);
    check_invariants(&req, &l);

    /* Lower half: kernel at pfn 0 right below 0x800000000000 - 4 MiB; the region
     * ends at exactly 0x0000800000000000. */
    req.virt_base = req.virt_kstart = 0x00007fffffc00000ULL;
    req.virt_kend = req.virt_kstart + 0x10000;
    compute_ok(&req, &l);
    assert_int_equal(l.v_end, 0x0000800000000000ULL);
    check_invariants(&req, &l);
}

struct bad_req {
    const char *name;
    struct layout_request req;
    const char *why;
};

static const struct bad_req bad_reqs[] = {
    { "kernel below virt_base",
      { 0x200000, 0x100000, 0x180000, 0, 32768 }, "kernel below virt_base" },
    { "virt_base not page aligned",
      { 0x800, 0x100000, 0x180000, 0, 32768 }, "virt_base not page aligned" },
    { "kernel ends before it starts",
      { 0, 0x180000, 0x100000, 0, 32768 }, "kernel ends before it starts" },
    { "kernel end overflows",
      { 0xfffffffffff00000ULL, 0xfffffffffff00000ULL, 0xfffffffffffff800ULL, 0, 32768 },
      "kernel end overflows" },
    { "region past the top of the address space",
      { 0xffffffffffc00000ULL, 0xffffffffffc00000ULL, 0xffffffffffc80000ULL, 0, 32768 },
      "bootstrap region overflows the address space" },
    { "huge module",
      { 0, 0x100000, 0x180000, ~0ULL, ~0ULL }, "bootstrap region overflows the address space" },
    { "huge nr_pages (p2m)",
      { LINUX_BASE, LINUX_BASE, LINUX_BASE + MiB, 0, 1ULL << 62 },
      "bootstrap region overflows the address space" },
    { "lower half overrun",
      { 0x00007fffffc00000ULL, 0x00007fffffc00000ULL, 0x00007fffffd00000ULL, 0, 1 << 20 },
      "bootstrap region is not canonical" },
    { "base in the non-canonical gap",
      { 0x0000900000000000ULL, 0x0000900000000000ULL, 0x0000900000080000ULL, 0, 32768 },
      "bootstrap region is not canonical" },
    { "base at the hypervisor hole",
      { 0xffff800000000000ULL, 0xffff800000100000ULL, 0xffff800000180000ULL, 0, 32768 },
      "bootstrap region overlaps the hypervisor hole" },
    { "region running out of the hole",
      { 0xffff87ffffc00000ULL, 0xffff87ffffc00000ULL, 0xffff87ffffc80000ULL, 0, 32768 },
      "bootstrap region overlaps the hypervisor hole" },
    { "nr_pages too small (Linux)",
      { LINUX_BASE, LINUX_BASE + 16 * MiB, LINUX_BASE + 48 * MiB, 0, 8192 },
      "domain memory too small for its boot layout" },
    { "nr_pages zero",
      { 0, 0, 0x1000, 0, 0 }, "domain memory too small for its boot layout" },
};

static void test_bad_request(void **state)
{
    const struct bad_req *b = *state;
    struct layout l;
    const char *why = NULL;
    int rc = layout_compute(&b->req, &l, &why);

    if (rc != -EINVAL)
        fail_msg("%s: expected -EINVAL, got %d", b->name, rc);
    assert_non_null(why);
    if (strcmp(why, b->why))
        fail_msg("%s: reason \"%s\", expected \"%s\"", b->name, why, b->why);
    /* A NULL why is allowed. */
    assert_int_equal(layout_compute(&b->req, &l, NULL), -EINVAL);
}

/* layout_count_tables on ranges crossing L1 (2 MiB), L2 (1 GiB) and L3 (512 GiB)
 * boundaries: one table per slot of that size touched by [start, end). */
struct count_case {
    uint64_t start, end, l3, l2, l1;
};

static const struct count_case count_cases[] = {
    { 0, 0x1000, 1, 1, 1 },                                   /* one page */
    { 0x200000, 0x400000, 1, 1, 1 },                          /* exactly one L1 slot */
    { 0x1ff000, 0x201000, 1, 1, 2 },                          /* across 2 MiB */
    { 0, 0x400000, 1, 1, 2 },
    { 0, 0x800000, 1, 1, 4 },
    { 0x3ffff000, 0x40001000, 1, 2, 2 },                      /* across 1 GiB */
    { 0, GiB, 1, 1, 512 },
    { 0, GiB + 0x1000, 1, 2, 513 },
    { 0x7ffffff000ULL, 0x8000001000ULL, 2, 2, 2 },            /* across 512 GiB */
    { 0, 1ULL << 47, 256, 131072, 1ULL << 26 },               /* the whole lower half */
    { LINUX_BASE, 0xffffffffc0000000ULL, 1, 1, 512 },         /* Linux's single L2 */
    { 0xffffffffffe00000ULL, 0xfffffffffffff000ULL, 1, 1, 1 },/* top of the space */
    { 0x5000, 0x5000, 0, 0, 0 },                              /* empty */
    { 0x6000, 0x5000, 0, 0, 0 },                              /* reversed */
};

static void test_count_tables(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(count_cases); i++) {
        const struct count_case *c = &count_cases[i];
        uint64_t l3 = 99, l2 = 99, l1 = 99;

        layout_count_tables(c->start, c->end, &l3, &l2, &l1);
        if (l3 != c->l3 || l2 != c->l2 || l1 != c->l1)
            fail_msg("[%#llx, %#llx): got %llu/%llu/%llu, expected %llu/%llu/%llu",
                     (unsigned long long)c->start, (unsigned long long)c->end,
                     (unsigned long long)l3, (unsigned long long)l2,
                     (unsigned long long)l1, (unsigned long long)c->l3,
                     (unsigned long long)c->l2, (unsigned long long)c->l1);
    }
}

/* A sweep over kernel sizes: every success satisfies the invariants, and nothing
 * other than 0 or -EINVAL comes back. */
static void test_sweep(void **state)
{
    for (uint64_t pages = 1; pages < 3000; pages += 7) {
        for (uint64_t nr = 900; nr <= 2200; nr += 260) {
            struct layout_request req = {
                .virt_base = 0, .virt_kstart = 0x100000,
                .virt_kend = 0x100000 + pages * 4096, .module_bytes = pages * 100,
                .nr_pages = nr,
            };
            struct layout l;
            const char *why = NULL;
            int rc = layout_compute(&req, &l, &why);

            if (rc == 0)
                check_invariants(&req, &l);
            else {
                assert_int_equal(rc, -EINVAL);
                assert_string_equal(why, "domain memory too small for its boot layout");
            }
        }
    }
}

int main(void)
{
    static const struct CMUnitTest fixed[] = {
        cmocka_unit_test(test_xtf_like),
        cmocka_unit_test(test_linux_like),
        cmocka_unit_test(test_linux_like_module),
        cmocka_unit_test(test_module_rounding),
        cmocka_unit_test(test_fixed_point),
        cmocka_unit_test(test_unaligned_kernel),
        cmocka_unit_test(test_unaligned_base),
        cmocka_unit_test(test_nr_pages_boundary),
        cmocka_unit_test(test_one_l2),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_count_tables),
        cmocka_unit_test(test_sweep),
    };
    struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(bad_reqs)];

    memcpy(tests, fixed, sizeof(fixed));
    for (size_t i = 0; i < ARRAY_SIZE(bad_reqs); i++) {
        struct CMUnitTest *t = &tests[ARRAY_SIZE(fixed) + i];
        memset(t, 0, sizeof(*t));
        t->name = bad_reqs[i].name;
        t->test_func = test_bad_request;
        t->initial_state = (void *)&bad_reqs[i];
    }
    return _cmocka_run_group_tests("layout", tests, ARRAY_SIZE(tests), NULL, NULL);
}
