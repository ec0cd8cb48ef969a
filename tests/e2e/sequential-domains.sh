#!/usr/bin/env bash
# Several boot modules run as domains d1, d2, ... one after another in one hypervisor
# run; each gets its command line; memory returns to where it started (leak check);
# the machine exits 0 when every domain powered off.
. "$(dirname "$0")/lib.sh"
run_parapet "$BUILD/tests/hello.elf:first" "$BUILD/tests/selftest.elf" "$BUILD/tests/hello.elf:third, with a comma"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\)   command line +"first"'
expect_line '^\(d1\) Test result: SUCCESS'
expect_line '^\(d2\) Test result: SUCCESS'
expect_line '^\(d3\)   command line +"third, with a comma"'
expect_line '^\(d3\) Test result: SUCCESS'
expect_line 'all domains ended: d1 poweroff, d2 poweroff, d3 poweroff'
before=$(sed -n 's/.*4\/7 frames: \([0-9]*\) MiB free.*/\1/p' "$LOG")
after=$(sed -n 's/.*all domains ended: .*; \([0-9]*\) MiB free.*/\1/p' "$LOG")
[[ -n $before && $before == "$after" ]] || fail "free memory $before MiB before, $after MiB after: a leak"
