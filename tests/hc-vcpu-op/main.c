/*
 * hc-vcpu-op: vcpu_op (hypercall 24): is_up, get_runstate_info,
 * register_runstate_memory_area, register_vcpu_info.
 *
 * Checks: is_up(0) is 1; vCPU 1 and 100 give -ENOENT for every sub-op (the vCPU is checked
 * first, as in Xen's do_vcpu_op); get_runstate_info reports RUNSTATE_running with a
 * non-decreasing entry time and running time, and -EFAULT for a NULL, non-canonical,
 * hypervisor-range or read-only buffer; register_runstate_memory_area fills the area at
 * once with the running state and gives -EFAULT for a bad argument pointer;
 * register_vcpu_info refuses an offset past PAGE_SIZE - 64 or not 8-byte aligned with
 * -ENXIO (Xen 4.17 map_vcpu_info, as Debian ships it), and a frame that is not ours or a
 * page-table frame with -EINVAL; on success the new vcpu_info holds a
 * copy of the old one (mask 1) with the pending flag and all selector bits set (Xen
 * map_vcpu_info), the hypervisor honours the mask written there (clearing it delivers the
 * pending upcall; masking it there keeps an upcall pending in the old place from being
 * delivered), a #PF's CR2 is written to the new place, and a second registration gives
 * -EINVAL; unknown sub-ops give -ENOSYS.
 * How: our own event callback (evt_entry) counts upcalls and clears the pending flag in
 * whichever vcpu_info evt_vcpu_info points at; a cheap hypercall is the "check events"
 * point after changing a mask.
 * Cannot detect: runstate updates on context switches (one vCPU, nothing else runs);
 * time info written to the new vcpu_info.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-vcpu-op: is_up, runstate, register_vcpu_info and its checks";

#define NONCANON    0x8000000000000000UL
#define HV_RANGE    0xffff830000000000UL
#define NEW_OFFSET  64

static uint8_t vi_page[PAGE_SIZE] __aligned(PAGE_SIZE);
static uint8_t ro_page[PAGE_SIZE] __aligned(PAGE_SIZE);
static struct vcpu_runstate_info rs_area;

volatile unsigned int evt_hits;
struct vcpu_info *volatile evt_vcpu_info;
void evt_entry(void);

/* Event callback: count, clear evtchn_upcall_pending where it was raised, iret. */
__asm__(
    "    .pushsection .text\n"
    "    .globl evt_entry\n"
    "evt_entry:\n"
    "    pop   %rcx\n"
    "    pop   %r11\n"
    "    push  %rax\n"
    "    mov   evt_vcpu_info(%rip), %rax\n"
    "    movb  $0, (%rax)\n"
    "    lock incl evt_hits(%rip)\n"
    "    pop   %rax\n"
    "    push  $0\n"
    "    jmp   hypercall_page + 23 * 32\n"
    "    .popsection\n");

static void expect_rc(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

static void test_is_up(void)
{
    static const unsigned int bad_vcpus[] = { 1, 100, 0xffff };
    unsigned int i, op;
    char what[64];

    expect_rc("is_up(0)", HYPERVISOR_vcpu_op(VCPUOP_is_up, 0, 0), 1);
    for (i = 0; i < ARRAY_SIZE(bad_vcpus); i++)
        for (op = 0; op <= VCPUOP_register_vcpu_time_memory_area + 1; op++) {
            snprintf(what, sizeof(what), "sub-op %u on vCPU %u", op, bad_vcpus[i]);
            expect_rc(what, HYPERVISOR_vcpu_op(op, bad_vcpus[i], (unsigned long)vi_page),
                      -XEN_ENOENT);
        }
}

static void test_runstate(void)
{
    struct vcpu_runstate_info a, b;
    const unsigned long bad[] = { 0, NONCANON, HV_RANGE, (unsigned long)ro_page };
    unsigned int i;
    long rc;

    expect_rc("get_runstate_info", HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0,
                                                      (unsigned long)&a), 0);
    expect_rc("get_runstate_info again", HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0,
                                                            (unsigned long)&b), 0);
    printk("  state %d, entry %lu ns, running %lu ns\n", a.state,
           (unsigned long)a.state_entry_time, (unsigned long)a.time[RUNSTATE_running]);
    if (a.state != RUNSTATE_running || b.state != RUNSTATE_running)
        test_failure("runstate %d/%d, expected running (%d)", a.state, b.state,
                     RUNSTATE_running);
    if (b.state_entry_time < a.state_entry_time ||
        b.time[RUNSTATE_running] < a.time[RUNSTATE_running])
        test_failure("runstate times went backwards");

    rc = remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_A);
    if (rc) {
        test_error("update_va_mapping(read-only) returned %ld", rc);
        return;
    }
    for (i = 0; i < ARRAY_SIZE(bad); i++) {
        char what[64];

        snprintf(what, sizeof(what), "get_runstate_info into 0x%lx", bad[i]);
        expect_rc(what, HYPERVISOR_vcpu_op(VCPUOP_get_runstate_info, 0, bad[i]), -XEN_EFAULT);
    }
    remap_page(ro_page, virt_to_mfn(ro_page), PTE_P | PTE_RW | PTE_A | PTE_D);

    memset(&rs_area, 0xff, sizeof(rs_area));
    {
        struct vcpu_register_runstate_memory_area area;

        memset(&area, 0, sizeof(area));
        area.addr.v = &rs_area;
        expect_rc("register_runstate_memory_area",
                  HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0,
                                     (unsigned long)&area), 0);
    }
    if (rs_area.state != RUNSTATE_running)
        test_failure("registered runstate area not filled in at once (state %d)",
                     rs_area.state);
    expect_rc("register_runstate_memory_area, NULL argument",
              HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, 0), -XEN_EFAULT);
    expect_rc("register_runstate_memory_area, non-canonical argument",
              HYPERVISOR_vcpu_op(VCPUOP_register_runstate_memory_area, 0, NONCANON),
              -XEN_EFAULT);
}

static long register_vi(unsigned long mfn, unsigned int offset)
{
    struct vcpu_register_vcpu_info info = { .mfn = mfn, .offset = offset };

    return HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, (unsigned long)&info);
}

static void test_vcpu_info_errors(void)
{
    unsigned long own = virt_to_mfn(vi_page);
    unsigned long l4 = virt_to_mfn((void *)start_info->pt_base);
    static const struct {
        const char *name;
        unsigned int offset;
    } offsets[] = {
        { "offset PAGE_SIZE - 64 + 8", PAGE_SIZE - 64 + 8 },
        { "offset PAGE_SIZE", PAGE_SIZE },
        { "offset 0xffffffc0", 0xffffffc0 },
        { "unaligned offset 4", 4 },
        { "unaligned offset 65", 65 },
    };
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(offsets); i++)
        expect_rc(offsets[i].name, register_vi(own, offsets[i].offset), -XEN_ENXIO);
    expect_rc("a frame that is not ours (mfn 0)", register_vi(0, 0), -XEN_EINVAL);
    expect_rc("a frame that does not exist", register_vi(0xfffffffffUL, 0), -XEN_EINVAL);
    expect_rc("our L4 page-table frame", register_vi(l4, 0), -XEN_EINVAL);
    expect_rc("NULL argument", HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, 0),
              -XEN_EFAULT);
    expect_rc("hypervisor-range argument",
              HYPERVISOR_vcpu_op(VCPUOP_register_vcpu_info, 0, HV_RANGE), -XEN_EFAULT);
}

/* A cheap hypercall: the hypervisor checks for upcalls on the way back. */
static void poke(void)
{
    HYPERVISOR_xen_version(XENVER_version, 0);
    barrier();
}

static void test_vcpu_info_move(void)
{
    struct vcpu_info *old = &shared_info->vcpu_info[0];
    struct vcpu_info *nv = (struct vcpu_info *)(vi_page + NEW_OFFSET);
    unsigned long pf_va = 0x7f0000001000UL;
    long rc;

    memset(vi_page, 0xcc, sizeof(vi_page));
    if (HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&(struct callback_register){
            .type = CALLBACKTYPE_event, .address = (unsigned long)evt_entry })) {
        test_error("callback_op(register event) failed");
        return;
    }
    evt_hits = 0;
    evt_vcpu_info = nv;
    old->evtchn_upcall_mask = 1;
    rc = register_vi(virt_to_mfn(vi_page), NEW_OFFSET);
    expect_rc("register_vcpu_info at offset 64", rc, 0);
    if (rc)
        goto out;
    printk("  new vcpu_info: pending %u, mask %u, pending_sel 0x%lx\n",
           nv->evtchn_upcall_pending, nv->evtchn_upcall_mask,
           (unsigned long)nv->evtchn_pending_sel);
    if (nv->evtchn_upcall_mask != 1)
        test_failure("the new vcpu_info has mask %u, expected the old value 1",
                     nv->evtchn_upcall_mask);
    if (nv->evtchn_upcall_pending != 1 || nv->evtchn_pending_sel != ~0UL)
        test_failure("the new vcpu_info is not marked all-pending (pending %u, sel 0x%lx)",
                     nv->evtchn_upcall_pending, (unsigned long)nv->evtchn_pending_sel);
    if (vi_page[NEW_OFFSET - 1] != 0xcc || vi_page[NEW_OFFSET + 64] != 0xcc)
        test_failure("register_vcpu_info wrote outside its 64 bytes");
    if (evt_hits)
        test_failure("an upcall arrived while the new vcpu_info was masked");

    /* Unmask through the new location: the pending upcall must arrive. */
    nv->evtchn_upcall_mask = 0;
    poke();
    nv->evtchn_upcall_mask = 1;
    if (evt_hits != 1)
        test_failure("clearing the mask in the new vcpu_info gave %u upcalls, expected 1",
                     evt_hits);

    /* The old location no longer counts: pending + unmasked there must do nothing. */
    evt_hits = 0;
    nv->evtchn_upcall_pending = 0;
    evt_vcpu_info = old;
    old->evtchn_upcall_pending = 1;
    old->evtchn_upcall_mask = 0;
    poke();
    old->evtchn_upcall_mask = 1;
    old->evtchn_upcall_pending = 0;
    if (evt_hits)
        test_failure("an upcall pending in the old vcpu_info was delivered");
    evt_vcpu_info = nv;

    /* CR2 of a #PF goes to the new place. */
    nv->arch.cr2 = 0;
    expect_exinfo("read of an unmapped address", probe_read((void *)pf_va), EXINFO(X86_PF, 0));
    if (nv->arch.cr2 != pf_va)
        test_failure("CR2 in the new vcpu_info is 0x%lx, expected 0x%lx",
                     (unsigned long)nv->arch.cr2, pf_va);

    expect_rc("second register_vcpu_info", register_vi(virt_to_mfn(vi_page), 0), -XEN_EINVAL);
    expect_rc("second register_vcpu_info, same place",
              register_vi(virt_to_mfn(vi_page), NEW_OFFSET), -XEN_EINVAL);
out:
    HYPERVISOR_callback_op(CALLBACKOP_register, (unsigned long)&(struct callback_register){
        .type = CALLBACKTYPE_event, .flags = CALLBACKF_mask_events,
        .address = (unsigned long)entry_event });
}

static void test_unknown(void)
{
    expect_rc("sub-op 99", HYPERVISOR_vcpu_op(99, 0, 0), -XEN_ENOSYS);
    expect_rc("sub-op 0x7fffffff", HYPERVISOR_vcpu_op(0x7fffffff, 0, 0), -XEN_ENOSYS);
}

static const struct subtest cases[] = {
    { "is_up; vCPUs that do not exist -> -ENOENT", test_is_up },
    { "runstate: get, register, bad buffers", test_runstate },
    { "register_vcpu_info: refused offsets and frames", test_vcpu_info_errors },
    { "register_vcpu_info: the new place is the one honoured", test_vcpu_info_move },
    { "unknown sub-ops -> -ENOSYS", test_unknown },
};

void test_main(void)
{

    RUN_SUBTESTS(cases);
    test_success();
}
