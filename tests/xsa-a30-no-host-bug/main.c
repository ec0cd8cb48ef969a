/*
 * xsa-a30-no-host-bug: security invariant A30. No guest-reachable path of the
 * hypervisor ends in a host BUG, assertion, fault or hang: a few thousand hypercalls
 * with random numbers and random arguments, then every hypercall number 0-63 with
 * all-ones arguments, leave the host running (AFTER=hello) and this guest intact.
 *
 * Checks:
 *  - the host survives: the AFTER guest boots and succeeds;
 *  - this guest survives and still works: a hypercall, a reflected #UD and a round trip
 *    to user mode after the burst; its code and read-only data are unchanged (checksum),
 *    so no hypercall wrote outside the scratch arena it was pointed at;
 *  - no hypercall returns a value inside the hypervisor hole (a leaked hypervisor
 *    pointer).
 * How: a fixed-seed xorshift generator (seed printed; "seed=N" on the command line
 * replays another). Hypercall numbers are drawn from 0-63 and beyond, issued with a bare
 * `syscall`. Each argument is either a number (small, boundary, powers of two, random
 * 32/64-bit, DOMID_SELF) or a pointer: NULL, into a scratch arena of 8 pages (whose
 * contents are random and whose end runs into an unmapped guard page), into a read-only
 * page, unmapped, inside the hypervisor hole, non-canonical, or at the top of the
 * address space. Multicall lists are built from the same generator.
 * What is kept out, because it would legitimately end or wreck this guest rather than
 * the host: iret; sched_op shutdown and block (block unmasks events), also inside
 * multicalls; any argument or arena word naming one of our own frames (as an MFN or a
 * machine address: it could remap or rewrite our memory), checked again before every
 * call since the hypervisor writes into the arena; any value that is a pointer into our
 * memory outside the arena; update_va_mapping of our low 64 MiB. console_io writes from
 * valid memory print a line of dots (never a partial line that could hide the result
 * line). Trap table, callbacks, kernel stack, user base pointer, FPU TS, runstate area
 * and the upcall mask are put back after every call that can change them.
 * On the Xen reference (command line "xen-reference") the guest is dom0, for which
 * random platform_op/domctl/sysctl/physdev_op calls are privileged operations: SKIP.
 * Cannot detect: damage that shows only later or in another domain's lifetime beyond
 * the AFTER guest; a hang shorter than the runner's timeout is fine, a longer one is
 * reported as TIMEOUT; bugs reachable only through sequences this seed does not draw.
 */
#include <xen/errno.h>
#include "test.h"

const char test_title[] = "xsa-a30-no-host-bug: random hypercalls never hurt the host";

#define NR_CALLS        5000
#define ARENA_PAGES     8
#define HOLE_START      0xFFFF800000000000UL
#define HOLE_END        0xFFFF880000000000UL
#define OUR_LOW_LIMIT   0x4000000UL     /* 64 MiB: everything of ours lies below */
#define FAR_AWAY        0x40000000UL    /* where filtered values are moved: unmapped */

#define PAGES __aligned(PAGE_SIZE) __attribute__((section(".bss.page_aligned")))
static uint8_t arena[ARENA_PAGES + 1][PAGE_SIZE] PAGES;   /* last page: unmapped guard */
static uint8_t ro_page[PAGE_SIZE] PAGES;
static char dots[16];                   /* "...............\n" */

static uint64_t own_mfn_lo, own_mfn_hi, shinfo_mfn;

/* ---- random numbers ------------------------------------------------------------------ */

static uint64_t rng_state;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1DULL;
}

static uint64_t rnd_below(uint64_t n)
{
    return n ? rnd() % n : 0;
}

/* ---- filters ------------------------------------------------------------------------- */

static bool is_own_mfn(uint64_t mfn)
{
    return (mfn >= own_mfn_lo && mfn <= own_mfn_hi) || mfn == shinfo_mfn;
}

static bool in_arena_or_ro(uint64_t v)
{
    uint64_t a = (uint64_t)arena, r = (uint64_t)ro_page;

    return (v >= a && v < a + sizeof(arena)) || (v >= r && v < r + PAGE_SIZE);
}

/* Make v harmless to this guest: not one of our frames (as an MFN, or as the address
 * field of a machine address or PTE), not a pointer into our memory outside the arena. */
static uint64_t sanitize(uint64_t v)
{
    if (is_own_mfn(v) || is_own_mfn((v & 0x000FFFFFFFFFF000UL) >> 12))
        v ^= 1UL << 62;
    if (v >= PAGE_SIZE && v < OUR_LOW_LIMIT && !in_arena_or_ro(v))
        v |= FAR_AWAY;
    return v;
}

/* ---- argument generators ------------------------------------------------------------- */

static uint64_t rnd_number(void)
{
    static const uint64_t boundary[] = {
        0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 255, 256, 4095, 4096, 0x7FF0, 0x7FF1,
        0x7FF2, 0x7FFF, 0xFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 0x100000000UL,
        0x7FFFFFFFFFFFFFFFUL, 0x8000000000000000UL, ~0UL, ~1UL, (uint64_t)-4096,
    };

    switch (rnd_below(6)) {
    case 0: return rnd_below(64);
    case 1: return boundary[rnd_below(ARRAY_SIZE(boundary))];
    case 2: return 1UL << rnd_below(64);
    case 3: return (uint32_t)rnd();
    case 4: return DOMID_SELF;
    default: return rnd();
    }
}

static uint64_t rnd_pointer(void)
{
    switch (rnd_below(9)) {
    case 0: return 0;
    case 1:
    case 2: return (uint64_t)arena + rnd_below(ARENA_PAGES * PAGE_SIZE);
    case 3: return (uint64_t)arena + ARENA_PAGES * PAGE_SIZE - 1 - rnd_below(64);
    case 4: return (uint64_t)ro_page + rnd_below(PAGE_SIZE);
    case 5: return 0x00007F0000000000UL + rnd_below(1UL << 39);          /* unmapped */
    case 6: return HOLE_START + rnd_below(HOLE_END - HOLE_START);        /* the hole */
    case 7: return 0x0000800000000000UL + rnd_below(0xFFFF000000000000UL); /* non-can. */
    default: return 0xFFFFFFFFFFFFF000UL + rnd_below(PAGE_SIZE);        /* top */
    }
}

static uint64_t rnd_arg(void)
{
    return sanitize(rnd_below(2) ? rnd_pointer() : rnd_number());
}

/* iret and shutdown end this guest; block unmasks events (the ABI's "sti"), which the
 * framework treats as fatal once an event is pending. */
static bool excluded(uint64_t nr, uint64_t a1)
{
    return nr == __HYPERVISOR_iret ||
           ((nr == __HYPERVISOR_sched_op || nr == __HYPERVISOR_sched_op_compat) &&
            (a1 == SCHEDOP_shutdown || a1 == SCHEDOP_block));
}

/* Mostly the hypercalls Parapet implements (where the bugs can be), some other Xen
 * numbers, some beyond the table. */
static uint64_t rnd_hypercall_nr(void)
{
    static const uint8_t impl[] = {
        __HYPERVISOR_set_trap_table, __HYPERVISOR_mmu_update, __HYPERVISOR_set_gdt,
        __HYPERVISOR_stack_switch, __HYPERVISOR_set_callbacks,
        __HYPERVISOR_fpu_taskswitch, __HYPERVISOR_update_descriptor,
        __HYPERVISOR_memory_op, __HYPERVISOR_multicall, __HYPERVISOR_update_va_mapping,
        __HYPERVISOR_xen_version, __HYPERVISOR_console_io, __HYPERVISOR_vm_assist,
        __HYPERVISOR_vcpu_op, __HYPERVISOR_set_segment_base, __HYPERVISOR_mmuext_op,
        __HYPERVISOR_sched_op, __HYPERVISOR_callback_op,
    };

    switch (rnd_below(10)) {
    case 0: return rnd_below(1UL << 32);        /* far beyond the table */
    case 1: return 43 + rnd_below(213);
    case 2: return rnd_below(43);               /* any Xen number */
    default: return impl[rnd_below(ARRAY_SIZE(impl))];
    }
}

/* The first argument of the hypercalls with sub-operations: mostly a valid one. */
static bool has_subops(uint64_t nr)
{
    switch (nr) {
    case __HYPERVISOR_memory_op: case __HYPERVISOR_xen_version:
    case __HYPERVISOR_console_io: case __HYPERVISOR_vm_assist: case __HYPERVISOR_vcpu_op:
    case __HYPERVISOR_sched_op: case __HYPERVISOR_callback_op:
    case __HYPERVISOR_set_segment_base:
        return true;
    }
    return false;
}

static uint64_t rnd_first_arg(uint64_t nr)
{
    if (has_subops(nr) && rnd_below(4))
        return rnd_below(16);
    return rnd_arg();
}

/* Fill the arena with random words (most calls read their structures from it). */
static void scramble_arena(void)
{
    uint64_t *w = (uint64_t *)arena;
    unsigned int i;

    for (i = 0; i < ARENA_PAGES * PAGE_SIZE / 8; i++) {
        switch (rnd_below(4)) {
        case 0: w[i] = rnd_number(); break;
        case 1: w[i] = rnd_pointer(); break;
        default: w[i] = rnd(); break;
        }
    }
}

/* Before every call: what the hypervisor wrote into the arena (multicall results,
 * reservations...) can name our frames too. */
static void sanitize_arena(void)
{
    uint64_t *w = (uint64_t *)arena;
    unsigned int i;

    for (i = 0; i < ARENA_PAGES * PAGE_SIZE / 8; i++)
        w[i] = sanitize(w[i]);
}

/* The per-hypercall rules (see the header) for a call about to be issued. */
static void fix_args(uint64_t nr, uint64_t *a)
{
    if (nr == __HYPERVISOR_vcpu_op && rnd_below(4))
        a[1] = rnd_below(2);                /* vCPU 0 mostly */
    if (nr == __HYPERVISOR_update_va_mapping && a[0] < OUR_LOW_LIMIT)
        a[0] |= FAR_AWAY;                   /* never remap our own pages */
    if (nr == __HYPERVISOR_console_io && a[0] == CONSOLEIO_write &&
        (in_arena_or_ro(a[2]) || a[2] == (uint64_t)dots)) {
        a[1] = 1 + rnd_below(8);            /* from valid memory: dots and a newline */
        a[2] = (uint64_t)dots + sizeof(dots) - a[1];
    }
}

/* A multicall list of up to 8 entries at a random place in the arena. */
static uint64_t build_multicall(uint64_t *nr)
{
    unsigned int n = (unsigned int)rnd_below(9), i, j;
    uint64_t room = ARENA_PAGES * PAGE_SIZE - 8 * sizeof(struct multicall_entry);
    struct multicall_entry *m = (void *)(arena[0] + (rnd_below(room) & ~7UL));

    for (i = 0; i < n; i++) {
        do {
            m[i].op = rnd_hypercall_nr();
            m[i].args[0] = rnd_first_arg(m[i].op);
        } while (excluded(m[i].op, m[i].args[0]) || m[i].op == __HYPERVISOR_multicall);
        for (j = 1; j < 6; j++)
            m[i].args[j] = rnd_arg();
        fix_args(m[i].op, (uint64_t *)m[i].args);
        m[i].result = 0;
    }
    /* The count is n, or so large that it must be refused before any entry is read:
     * a count past our n entries would run arena words as hypercalls. */
    *nr = rnd_below(4) ? n : (1UL << 32) + rnd();
    if (*nr < n)
        *nr = n;
    return (uint64_t)m;
}

/* ---- issuing and repairing ----------------------------------------------------------- */

static long raw_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                          uint64_t a5)
{
    register uint64_t r10 __asm__("r10") = a4;
    register uint64_t r8 __asm__("r8") = a5;
    long rax = (long)nr;

    __asm__ volatile("syscall"
                     : "+a"(rax), "+D"(a1), "+S"(a2), "+d"(a3), "+r"(r10), "+r"(r8)
                     : : "rcx", "r11", "r9", "memory", "cc");
    return rax;
}

static void register_cb(unsigned int type, void *entry)
{
    struct callback_register cb = {
        .type = (uint16_t)type, .flags = CALLBACKF_mask_events,
        .address = (unsigned long)entry,
    };

    if (HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&cb))
        panic("repair: callback %u cannot be registered again", type);
}

/* Undo whatever a call may have changed of the framework's own state. */
static void repair(void)
{
    struct vcpu_register_runstate_memory_area area = { .addr.v = NULL };
    struct mmuext_op op = { .cmd = MMUEXT_NEW_USER_BASEPTR };
    unsigned long cr3;

    shared_info->vcpu_info[0].evtchn_upcall_mask = 1;
    HYPERVISOR_set_trap_table(0);
    install_default_traps();
    register_cb(CALLBACKTYPE_event, entry_event);
    register_cb(CALLBACKTYPE_failsafe, entry_failsafe);
    register_cb(CALLBACKTYPE_syscall, entry_syscall);
    if (HYPERVISOR_stack_switch(FLAT_KERNEL_SS, (unsigned long)kernel_stack_top))
        panic("repair: stack_switch failed");
    HYPERVISOR_fpu_taskswitch(0);
    HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, (unsigned long)&area);
    __asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
    op.arg1.mfn = cr3 >> PAGE_SHIFT;
    if (HYPERVISOR_mmuext_op((unsigned long)&op, 1, 0, DOMID_SELF))
        panic("repair: the user base pointer cannot be set again");
}

static bool needs_repair(uint64_t nr)
{
    switch (nr) {
    case __HYPERVISOR_set_trap_table: case __HYPERVISOR_stack_switch:
    case __HYPERVISOR_set_callbacks: case __HYPERVISOR_fpu_taskswitch:
    case __HYPERVISOR_multicall: case __HYPERVISOR_vcpu_op: case __HYPERVISOR_mmuext_op:
    case __HYPERVISOR_sched_op: case __HYPERVISOR_callback_op:
    case __HYPERVISOR_sched_op_compat:
        return true;
    }
    return false;
}

static unsigned long leaks;

static void judge(uint64_t nr, long rc, const uint64_t a[5])
{
    if ((uint64_t)rc >= HOLE_START && (uint64_t)rc < HOLE_END) {
        if (leaks++ < 4)
            test_failure("hypercall %lu(%lx, %lx, %lx, %lx, %lx) returned %lx, an address "
                         "inside the hypervisor hole", nr, a[0], a[1], a[2], a[3], a[4],
                         (unsigned long)rc);
    }
}

static long issue(uint64_t nr, const uint64_t a[5])
{
    long rc = raw_hypercall(nr, a[0], a[1], a[2], a[3], a[4]);

    if (needs_repair(nr))
        repair();
    judge(nr, rc, a);
    return rc;
}

/* ---- integrity of this guest --------------------------------------------------------- */

/* From _start to .extable: .text, the hypercall page and .rodata (guest.lds). */
extern char __start_extable[];
extern char _start[];

static uint64_t checksum_image(void)
{
    const uint64_t *p = (const uint64_t *)_start, *end = (const uint64_t *)__start_extable;
    uint64_t sum = 0;

    for (; p < end; p++)
        sum = (sum ^ *p) * 0x100000001B3ULL;
    return sum;
}

static unsigned long user_fn(void)
{
    return 0xfeed;
}

static void check_still_working(const char *when)
{
    long v = HYPERVISOR_xen_version(XENVER_version, 0);

    if (v != ((4L << 16) | 17))
        test_failure("%s: xen_version returned %lx", when, v);
    expect_exinfo("ud2 after the burst", probe_exec("ud2"), EXINFO(X86_UD, 0));
    if (exec_user(user_fn) != 0xfeed)
        test_failure("%s: a round trip to user mode failed", when);
}

/* ---- the two bursts ------------------------------------------------------------------ */

static long results[5];     /* 0, -EFAULT, -EINVAL, -ENOSYS, other */

static void count(long rc)
{
    results[rc == 0 ? 0 : rc == -XEN_EFAULT ? 1 : rc == -XEN_EINVAL ? 2 :
            rc == -XEN_ENOSYS ? 3 : 4]++;
}

static void random_burst(void)
{
    unsigned int i, j;

    for (i = 0; i < NR_CALLS; i++) {
        uint64_t a[5], nr;

        do {
            nr = rnd_hypercall_nr();
            a[0] = rnd_first_arg(nr);
        } while (excluded(nr, a[0]));
        for (j = 1; j < 5; j++)
            a[j] = rnd_arg();
        fix_args(nr, a);
        if (rnd_below(4) == 0)
            scramble_arena();
        sanitize_arena();
        if (nr == __HYPERVISOR_multicall)
            a[0] = build_multicall(&a[1]);
        count(issue(nr, a));
        if ((i + 1) % 1000 == 0)
            printk("  %u calls: %ld returned 0, %ld -EFAULT, %ld -EINVAL, %ld -ENOSYS, "
                   "%ld other\n", i + 1, results[0], results[1], results[2], results[3],
                   results[4]);
    }
}

static void all_ones_burst(void)
{
    static const uint64_t ones[5] = { ~0UL, ~0UL, ~0UL, ~0UL, ~0UL };
    uint64_t nr;

    for (nr = 0; nr < 64; nr++) {
        if (nr == __HYPERVISOR_iret)
            continue;
        count(issue(nr, ones));
    }
}

static void test_random(void)
{
    random_burst();
}

static void test_all_ones(void)
{
    all_ones_burst();
    printk("  all-ones: done (hypercall 23, iret, left out)\n");
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    { "random hypercalls with random arguments", test_random },
    { "hypercalls 0-63 with all-ones arguments", test_all_ones },
};

void test_main(void)
{
    const unsigned long *p2m = (const unsigned long *)start_info->mfn_list;
    uint64_t sum_before;
    unsigned int i;
    long rc;

    if (cmdline_flag("xen-reference")) {
        /* Xen runs this guest as dom0: random platform_op, domctl, sysctl and
         * physdev_op calls would be privileged operations on the machine. */
        test_skip("random hypercalls from Xen's dom0 reach privileged operations");
        return;
    }
    rng_state = cmdline_ulong("seed", 0x5eed0a30c0ffee11UL) | 1;
    printk("  seed 0x%lx (replay with the guest command line seed=0x%lx)\n",
           (unsigned long)rng_state, (unsigned long)rng_state);

    own_mfn_lo = ~0UL;
    own_mfn_hi = 0;
    for (i = 0; i < start_info->nr_pages; i++) {
        if (p2m[i] < own_mfn_lo)
            own_mfn_lo = p2m[i];
        if (p2m[i] > own_mfn_hi)
            own_mfn_hi = p2m[i];
    }
    shinfo_mfn = start_info->shared_info >> PAGE_SHIFT;
    printk("  our frames 0x%lx-0x%lx, shared_info 0x%lx: never passed\n",
           (unsigned long)own_mfn_lo, (unsigned long)own_mfn_hi, (unsigned long)shinfo_mfn);

    memset(dots, '.', sizeof(dots) - 1);
    dots[sizeof(dots) - 1] = '\n';
    memset(ro_page, 0x33, sizeof(ro_page));
    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_A);
    rc = rc ?: HYPERVISOR_update_va_mapping((unsigned long)arena[ARENA_PAGES], 0,
                                            UVMF_INVLPG);
    if (rc) {
        test_error("setting up the read-only and guard pages failed: %ld", rc);
        return;
    }

    sum_before = checksum_image();
    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        printk("Test: %s\n", cases[i].name);
        cases[i].fn();
        check_still_working(cases[i].name);
    }
    printk("  totals: %ld returned 0, %ld -EFAULT, %ld -EINVAL, %ld -ENOSYS, %ld other\n",
           results[0], results[1], results[2], results[3], results[4]);
    if (checksum_image() != sum_before)
        test_failure("our code or read-only data changed during the burst");
    if (leaks > 4)
        test_failure("... %lu results in the hypervisor hole in all", leaks);
    test_success();
}
