#!/usr/bin/env bash
# guest-port booted natively: kernel.bin through QEMU's multiboot loader, no hypervisor,
# ring 0, the native pv_ops backend by default. Two kernel threads that never yield both
# run (preemption on the PIT); init starts hello, count and probe in ring 3: the first
# two print and end with status 0, probe is killed for reading kernel memory; the kernel
# powers off through isa-debug-exit with init's status 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-port.sh.inc"
"$ROOT/scripts/parapet" native --timeout 60 --log "$LOG" "$BUILD/guest-port/kernel.bin" \
  init=init > /dev/null 2>> "$LOG.err"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^guest-port: booted through the multiboot entry, pvops=native'
expect_line '^grant: no grant table here'
expect_line '^evtchn: no event channels between domains here'
expect_guest_port_run ''
