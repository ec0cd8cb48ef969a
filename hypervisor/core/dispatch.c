/*
 * Hypercall dispatch: the table generated from hypercall-abi/hypercalls.def (every
 * slot filled; unimplemented ones answer -ENOSYS, logged once per domain and hypercall),
 * and the entry from a guest syscall.
 */
#include "audit.h"
#include "console.h"
#include "domain.h"
#include "errno.h"
#include "hypercall.h"
#include "lib.h"

#define HC_FN_IMPL(name) hc_##name
#define HC_FN_ENOSYS(name) NULL
#define HC_FN_EXT(name) hc_##name
#define HC(nr, name, nargs, status, test) [nr] = HC_FN_##status(name),
static hypercall_fn *const hypercall_table[64] = {
#include "hypercalls.def"
};
#undef HC

#define HC(nr, name, nargs, status, test) [nr] = #name,
static const char *const hypercall_names[64] = {
#include "hypercalls.def"
};
#undef HC

/* Every sub-op's name, from the sub-op tables, for the -ENOSYS lines and summaries. */
struct subop_name {
    uint16_t nr;
    uint16_t value;
    const char *name;
};
#define SUBOP(name, value, status, test) { FAMILY_NR, (uint16_t)(value), #name },
static const struct subop_name subop_names[] = {
#define FAMILY_NR __HYPERVISOR_callback_op
#include "subops/callback_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_console_io
#include "subops/console_io.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_event_channel_op
#include "subops/event_channel_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_grant_table_op
#include "subops/grant_table_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_memory_op
#include "subops/memory_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_mmu_update
#include "subops/mmu_update.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_mmuext_op
#include "subops/mmuext_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_physdev_op
#include "subops/physdev_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_sched_op
#include "subops/sched_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_vcpu_op
#include "subops/vcpu_op.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_vm_assist
#include "subops/vm_assist.def"
#undef FAMILY_NR
#define FAMILY_NR __HYPERVISOR_xen_version
#include "subops/xen_version.def"
#undef FAMILY_NR
};
#undef SUBOP

static const char *subop_name(unsigned nr, unsigned long value)
{
    for (size_t i = 0; i < ARRAY_SIZE(subop_names); i++)
        if (subop_names[i].nr == nr && subop_names[i].value == value)
            return subop_names[i].name;
    return NULL;
}

/* Remember a refusal for the domain's end line (domain_enosys_summary). */
static void remember(struct domain *d, unsigned nr, long subop)
{
    if (d->enosys_count < ARRAY_SIZE(d->enosys_seen)) {
        d->enosys_seen[d->enosys_count].nr = (uint16_t)nr;
        d->enosys_seen[d->enosys_count].subop = (int16_t)(subop < 0 ? -1 : MIN(subop, 32767L));
    }
    d->enosys_count++;
}

void domain_enosys_summary(struct domain *d, char *buf, size_t len)
{
    buf[0] = 0;
    for (unsigned i = 0; i < MIN(d->enosys_count, ARRAY_SIZE(d->enosys_seen)); i++) {
        size_t used = strlen(buf);
        unsigned nr = d->enosys_seen[i].nr;
        const char *name = nr < 64 && hypercall_names[nr] ? hypercall_names[nr] : "unknown";
        int sub = d->enosys_seen[i].subop;
        const char *sname = sub < 0 ? NULL : subop_name(nr, (unsigned long)sub);
        if (sub < 0)
            snprintf(buf + used, len - used, "%s%s", i ? ", " : "", name);
        else if (sname)
            snprintf(buf + used, len - used, "%s%s/%s", i ? ", " : "", name, sname);
        else
            snprintf(buf + used, len - used, "%s%s/%d", i ? ", " : "", name, sub);
    }
    if (d->enosys_count > ARRAY_SIZE(d->enosys_seen)) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, " and %u more",
                 d->enosys_count - (unsigned)ARRAY_SIZE(d->enosys_seen));
    }
}

long hc_enosys(unsigned nr)
{
    struct domain *d = current_domain();
    if (nr < 256 && !(d->enosys_logged[nr / 64] & (1ULL << (nr % 64)))) {
        d->enosys_logged[nr / 64] |= 1ULL << (nr % 64);
        remember(d, nr, -1);
        printk("d%u: hypercall %u (%s) is not implemented: -ENOSYS\n", d->id, nr,
               nr < 64 && hypercall_names[nr] ? hypercall_names[nr] : "unknown");
    }
    return -ENOSYS;
}

long hc_enosys_subop(const char *hypercall, unsigned nr, unsigned long subop)
{
    struct domain *d = current_domain();
    unsigned key = (nr * 64 + (unsigned)(subop < 63 ? subop : 63)) % 4096;
    if (!(d->enosys_subop_logged[key / 64] & (1ULL << (key % 64)))) {
        d->enosys_subop_logged[key / 64] |= 1ULL << (key % 64);
        remember(d, nr, (long)MIN(subop, 32767UL));
        const char *name = subop_name(nr, subop);
        if (name)
            printk("d%u: %s sub-op %lu (%s) is not implemented: -ENOSYS\n", d->id, hypercall,
                   subop, name);
        else
            printk("d%u: %s sub-op %lu is not implemented: -ENOSYS\n", d->id, hypercall, subop);
    }
    return -ENOSYS;
}

long do_hypercall(uint64_t nr, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4,
                  uint64_t a5)
{
    current_vcpu()->stats.hypercalls++;
    if (nr >= ARRAY_SIZE(hypercall_table) || !hypercall_table[nr])
        return hc_enosys((unsigned)(nr < 256 ? nr : 255));
    long rc = hypercall_table[nr](a1, a2, a3, a4, a5);
    if (unlikely(audit_enabled))
        audit_after_hypercall(nr);
    return rc;
}
