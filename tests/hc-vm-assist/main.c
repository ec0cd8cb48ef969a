/*
 * hc-vm-assist: vm_assist (hypercall 21), enable and disable of every VMASST_TYPE_*.
 *
 * Checks, with the rows of hypercall-abi/subops/vm_assist.def as the table: an IMPL type
 * can be enabled and disabled (0 both times, twice in a row too); an ENOSYS type answers
 * -ENOSYS (Parapet says so rather than pretend; Xen 4.17 accepts it, so on the reference
 * 0 is expected); a type Xen does not define for 64-bit PV (6..31, 33..63, 64 and above)
 * gives -EINVAL whatever the command; a valid type with an unknown command gives -ENOSYS
 * (Xen common/kernel.c do_vm_assist checks the type first, then the command).
 * How: direct hypercalls; the table is compiled from the .def file, so a row changing
 * status changes what is expected.
 * Cannot detect: whether an enabled assist has any effect (for 64-bit PV most are
 * historical; writable page tables and the runstate update flag are covered by their
 * own tests), or whether the enable/disable bit is kept at all.
 */
#include "test.h"
#include <xen/errno.h>

const char test_title[] = "hc-vm-assist: enable/disable of every VMASST type, bad types and commands";

#define ST_IMPL   0
#define ST_ENOSYS 1
#define ST_EXT    2

static const struct {
    const char *name;
    unsigned int type;
    int status;
} rows[] = {
#define SUBOP(name, value, status, test) { #name, value, ST_##status },
#include "subops/vm_assist.def"
#undef SUBOP
};

static bool on_xen;

static void expect(const char *what, long got, long want)
{
    if (got != want)
        test_failure("%s: returned %ld, expected %ld", what, got, want);
}

static void test_rows(void)
{
    unsigned int i, n;
    char what[80];

    for (i = 0; i < ARRAY_SIZE(rows); i++) {
        long want = rows[i].status == ST_ENOSYS && !on_xen ? -XEN_ENOSYS : 0;

        printk("  %s (type %u): expect %ld\n", rows[i].name, rows[i].type, want);
        for (n = 0; n < 2; n++) {
            snprintf(what, sizeof(what), "enable %s (#%u)", rows[i].name, n + 1);
            expect(what, HYPERVISOR_vm_assist(VMASST_CMD_enable, rows[i].type), want);
        }
        for (n = 0; n < 2; n++) {
            snprintf(what, sizeof(what), "disable %s (#%u)", rows[i].name, n + 1);
            expect(what, HYPERVISOR_vm_assist(VMASST_CMD_disable, rows[i].type), want);
        }
    }
}

static bool in_table(unsigned long type)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(rows); i++)
        if (rows[i].type == type)
            return true;
    return false;
}

static void test_bad_types(void)
{
    static const unsigned long extra[] = { 64, 65, 255, 0x10000, 0xffffffff,
                                           0xffffffffffffffffUL };
    unsigned long type;
    unsigned int cmd;
    char what[80];

    for (type = 0; type < 64 + ARRAY_SIZE(extra); type++) {
        unsigned long t = type < 64 ? type : extra[type - 64];

        if (in_table(t))
            continue;
        for (cmd = 0; cmd < 3; cmd++) {      /* enable, disable, and an unknown command */
            snprintf(what, sizeof(what), "cmd %u, type 0x%lx", cmd, t);
            expect(what, HYPERVISOR_vm_assist(cmd, t), -XEN_EINVAL);
        }
    }
}

static void test_bad_cmds(void)
{
    static const unsigned long cmds[] = { 2, 3, 0xff, 0x7fffffff };
    unsigned int i;
    char what[80];

    for (i = 0; i < ARRAY_SIZE(cmds); i++) {
        snprintf(what, sizeof(what), "cmd 0x%lx on type pae_extended_cr3", cmds[i]);
        expect(what, HYPERVISOR_vm_assist(cmds[i], VMASST_TYPE_pae_extended_cr3),
               -XEN_ENOSYS);
    }
}

static const struct subtest cases[] = {
    { "every vm_assist.def row: enable and disable", test_rows },
    { "types outside the table -> -EINVAL, whatever the command", test_bad_types },
    { "a valid type with an unknown command -> -ENOSYS", test_bad_cmds },
};

void test_main(void)
{

    on_xen = cmdline_flag("xen-reference");
    RUN_SUBTESTS(cases);
    test_success();
}
