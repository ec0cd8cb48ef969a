/*
 * copy_from_guest / copy_to_guest: range check, then a `rep movsb` whose faults are
 * fixed up through the exception table (.extable: pairs of faulting instruction and
 * continuation). Violations are logged with the calling file and line when the
 * hypervisor command line has "guest_access_log".
 */
#include "config.h"
#include "console.h"
#include "errno.h"
#include "guest_access.h"
#include "boot.h"

struct extable_entry { uint64_t insn, fixup; };
extern const struct extable_entry __extable_start[], __extable_end[];

#define GUEST_LOW_END 0x0000800000000000ULL

bool guest_range_ok(uint64_t va, uint64_t len)
{
    if (len == 0)
        return true;
    uint64_t last = va + len - 1;
    if (last < va)
        return false;                       /* wraps around */
    if (last < GUEST_LOW_END)
        return true;                        /* lower half */
    return va >= HYPERVISOR_HOLE_END;       /* upper half above the hole */
}

size_t raw_copy(void *dst, const void *src, size_t n)
{
    __asm__ volatile("1: rep movsb\n"
                     "2:\n"
                     ".pushsection .extable, \"a\"\n"
                     ".balign 8\n"
                     ".quad 1b, 2b\n"
                     ".popsection"
                     : "+D"(dst), "+S"(src), "+c"(n) :: "memory");
    return n;   /* bytes not copied */
}

static int violation(const char *what, uint64_t va, size_t len, const char *file, int line)
{
    static int enabled = -1;
    if (enabled < 0)
        enabled = cmdline_has("guest_access_log");
    if (enabled)
        printk("guest access refused: %s va=0x%lx len=%lu at %s:%d\n", what,
               (unsigned long)va, (unsigned long)len, file, line);
    return -EFAULT;
}

int copy_from_guest_at(void *dst, uint64_t src_va, size_t len, const char *file, int line)
{
    if (!guest_range_ok(src_va, len))
        return violation("read outside guest range", src_va, len, file, line);
    if (raw_copy(dst, (const void *)src_va, len))
        return violation("read of unmapped guest page", src_va, len, file, line);
    return 0;
}

int copy_to_guest_at(uint64_t dst_va, const void *src, size_t len, const char *file, int line)
{
    if (!guest_range_ok(dst_va, len))
        return violation("write outside guest range", dst_va, len, file, line);
    if (raw_copy((void *)dst_va, src, len))
        return violation("write to unmapped or read-only guest page", dst_va, len, file, line);
    return 0;
}

uint64_t extable_find(uint64_t rip)
{
    for (const struct extable_entry *e = __extable_start; e < __extable_end; e++)
        if (e->insn == rip)
            return e->fixup;
    return 0;
}
