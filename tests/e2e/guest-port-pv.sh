#!/usr/bin/env bash
# guest-port as a PV guest on Parapet (the same kernel.elf as on Xen, pvops=xen), with
# the invariant auditor on: hypercalls for the CPU, batched validated page-table updates,
# pinned L4s with a separate user L4, VIRQ_TIMER through an event channel, a grant
# table; init, hello, count and probe as in the native test; the domain powers off.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-port.sh.inc"
run_parapet --append audit "$BUILD/guest-port/kernel.elf:pvops=xen init=init"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\) guest-port: booted through the Xen PV entry, pvops=xen'
expect_line '^\(d1\) grant: [0-9]+ entries; ref [0-9]+ granted to domain 0 and revoked \(0\)'
expect_line '^\(d1\) evtchn: a send on port [0-9]+ raised port [0-9]+'
expect_guest_port_run '\(d1\) '
expect_line 'all domains ended: d1 poweroff'
expect_line 'audit: checking page-table and event-channel invariants'
expect_no_line 'AUDIT FAILED'
