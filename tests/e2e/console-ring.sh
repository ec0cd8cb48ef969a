#!/usr/bin/env bash
# The console ring backend (issue 3 item 6): what hc-console-ring (d1) writes through its
# console ring reaches the serial log with the (d1) prefix, exactly once, including the
# line and the partial line it leaves in the ring with no send just before it powers off;
# xsa-console-ring (d2) writes hostile indices over "LEAK" text that must never be
# printed, and its line across the 2^32 index wrap must be.
. "$(dirname "$0")/lib.sh"
run_parapet "$BUILD/tests/hc-console-ring.elf" "$BUILD/tests/xsa-console-ring.elf"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
once() {    # the exact line appears exactly once
  local n
  n=$(tr -d '\r' < "$LOG" | grep -cxF -- "$1")
  [[ $n -eq 1 ]] || fail "line seen $n times, expected once: $1"
}
once '(d1) ring: line one'
once '(d1) ring: line two, then a CR LF'
once '(d1) ring: this line wraps around the end of out[]'
for i in $(seq -w 0 31); do
  once "(d1) ring: full $i abcdefghijklmnopqrstuvwxyz                       "
done
once '(d1) ring: written with no send, drained by SCHEDOP_yield'
once '(d1) ring: last line, printed with no send just before poweroff'
once '(d1) ring: a partial line at poweroff'
expect_line '^\(d1\) Test result: SUCCESS'
once '(d2) ring: a line across the 2^32 index wrap'
once '(d2) ring: drained by a yield after the port was closed'
expect_line '^\(d2\) Test result: SUCCESS'
expect_no_line 'LEAK'
[[ $(grep -c 'd2: hostile console ring' "$LOG") -eq 1 ]] || fail "the hostile ring was not logged exactly once"
expect_line 'all domains ended: d1 poweroff, d2 poweroff'
