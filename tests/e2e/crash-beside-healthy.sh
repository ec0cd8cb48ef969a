#!/usr/bin/env bash
# A domain the hypervisor crashes does not disturb the one running beside it: d1
# (tests/xd-busy) spins for 300 ms printing progress every 50 ms and checks its clock,
# timer and runstate; d2 (tests/xd-crash-late) spins 100 ms, then takes an exception with
# no trap table. Expected: d2 crashed for exactly that reason, d1 printed progress both
# before and after d2's crash line (the two ran at once, and d1 kept running), d1
# reports SUCCESS, the summary says "d1 poweroff, d2 crashed", the exit status is 3 (the
# first domain that did not power off crashed), and free memory is back to the figure
# of boot stage 4 (the crashed domain's memory was all returned).
. "$(dirname "$0")/lib.sh"
run_parapet --append audit "$BUILD/tests/xd-busy.elf:ms=300 progress=50" \
  "$BUILD/tests/xd-crash-late.elf:delay_ms=100"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3 (d2 crashed)"
expect_line '^\[parapet\] d2 crashed: exception 6 #UD with no handler registered'
expect_line '^\(d1\) Test result: SUCCESS'
expect_no_line '^\(d2\) Test result:'
expect_line 'all domains ended: d1 poweroff, d2 crashed;'
crash=$(tr -d '\r' < "$LOG" | grep -n -m1 '^\[parapet\] d2 crashed: ' | cut -d: -f1)
first=$(tr -d '\r' < "$LOG" | grep -n -m1 '^(d1) progress: ' | cut -d: -f1)
last=$(tr -d '\r' < "$LOG" | grep -n '^(d1) progress: ' | tail -n 1 | cut -d: -f1)
[[ -n $first ]] || fail "d1 printed no progress line"
[[ $first -lt $crash ]] || fail "d1's first progress line comes after d2's crash: they did not run at once"
[[ $last -gt $crash ]] || fail "d1 printed no progress after d2's crash line: it did not keep running"
before=$(sed -n 's/.*4\/7 frames: \([0-9]*\) MiB free.*/\1/p' "$LOG")
after=$(sed -n 's/.*all domains ended: .*; \([0-9]*\) MiB free.*/\1/p' "$LOG")
[[ -n $before && $before == "$after" ]] || fail "free memory $before MiB before, $after MiB after: a leak"
exit 0
