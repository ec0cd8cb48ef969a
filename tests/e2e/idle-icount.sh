#!/usr/bin/env bash
# An idle CPU under QEMU's icount mode (what make bench uses): hc-sched-poll blocks and
# polls on timers for hundreds of milliseconds in all. With every vCPU blocked the
# hypervisor must halt until the earliest timer; if it re-arms the local APIC for a time
# slice that has already ended, it spins through timer interrupts instead, and under
# -icount shift=0,sleep=off virtual time then only advances with the spin's instructions:
# the test then runs for minutes (this one for more than 60 s) instead of about 2 s. A
# 30 s timeout catches it. Cannot detect: a spin shorter than what the timeout allows.
. "$(dirname "$0")/lib.sh"
"$ROOT/scripts/parapet" run --icount --timeout 30 --log "$LOG" "$BUILD/tests/hc-sched-poll.elf" \
  >/dev/null 2>>"$LOG.err"
st=$?
[[ $st -ne 124 ]] || fail "timed out after 30 s under --icount: the idle CPU spins instead of halting"
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\) Test result: SUCCESS'
exit 0
