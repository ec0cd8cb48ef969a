/*
 * The only way the hypervisor touches guest memory: copies through the current guest
 * page tables, range-checked on the actual address first (canonical, outside the
 * hypervisor hole, no wrap-around: security invariant A9), with an exception fixup so a
 * missing or read-only guest page gives -EFAULT instead of a hypervisor fault. Writes
 * honour read-only guest mappings (CR0.WP is set).
 */
#ifndef HV_GUEST_ACCESS_H
#define HV_GUEST_ACCESS_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

/* [va, va + len) is entirely guest-addressable (not necessarily mapped). */
bool guest_range_ok(uint64_t va, uint64_t len);

/* 0 or -EFAULT; on -EFAULT, a failing copy_to may have written a prefix. */
int copy_from_guest_at(void *dst, uint64_t src_va, size_t len, const char *file, int line);
int copy_to_guest_at(uint64_t dst_va, const void *src, size_t len, const char *file, int line);
#define copy_from_guest(d, va, n) copy_from_guest_at((d), (va), (n), __FILE__, __LINE__)
#define copy_to_guest(va, s, n) copy_to_guest_at((va), (s), (n), __FILE__, __LINE__)

/* Copy with the checks of guest access but no range check (hypervisor-chosen VAs). */
size_t raw_copy(void *dst, const void *src, size_t n);

/* Look up a fixup for a fault at rip in the hypervisor; 0 if none. */
uint64_t extable_find(uint64_t rip);

#endif
