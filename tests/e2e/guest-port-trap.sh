#!/usr/bin/env bash
# guest-port deprivileged on Parapet with trap-and-emulate (dom.trap, pvops=trap): the
# same kernel.elf runs the native privileged instructions in ring 3 and the hypervisor
# emulates each (docs/trap-and-emulate.md); its page-table stores are emulated as
# validated updates. Beside it, the same kernel as a PV guest: both complete the same
# run and power off, with the auditor on.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-port.sh.inc"
run_parapet --append audit "$BUILD/guest-port/kernel.elf:dom.trap pvops=trap init=init" \
            "$BUILD/guest-port/kernel.elf:pvops=xen init=init"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\[parapet\] d1: kernel.elf started \(trap and emulate\)'
expect_line '^\(d1\) guest-port: booted through the Xen PV entry, pvops=trap'
expect_line '^\(d2\) guest-port: booted through the Xen PV entry, pvops=xen'
expect_guest_port_run '\(d1\) '
expect_guest_port_run '\(d2\) '
expect_line 'all domains ended: d1 poweroff, d2 poweroff'
expect_no_line 'AUDIT FAILED'
