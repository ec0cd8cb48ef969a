#!/usr/bin/env bash
# A grant mapping outlives one of its two domains (tests/xd-grant-orphan, both roles):
# d1 grants a frame, d2 maps it twice (writable at a VA, read-only by contains_pte).
#  granter: d1 powers off with the frame mapped. The hypervisor says d1 keeps 2 frames
#           (the mapped one and its grant-table frame) right after d1's end line; d2
#           then still uses the frame, is refused new maps and copies (GNTST_bad_domain,
#           judged by d2), and unmaps: the "last frames ... are free" line comes after
#           d2's first unmap and before it reports the second done. Run with
#           max_running=2 and a third module (hello): d1's slot stays taken, so d3
#           starts only once d1's frames are free.
#  mapper:  d2 powers off with the mappings of a live d1's frame in place; its teardown
#           revokes them and d1 then finds GTF_reading/GTF_writing clear (judged by d1,
#           which prints a line we look for after d2's end line); nothing is held.
#  crash:   the same, d2 crashing itself (SHUTDOWN_crash): exit status 3.
#  both:    d1 ends as in "granter", then d2 crashes with the ended d1's frame still
#           mapped: its teardown frees d1's last frames.
# Every variant: each domain that reports says SUCCESS, no reference-count complaint,
# and free memory at the end equals the figure of boot stage 4.
. "$(dirname "$0")/lib.sh"
ELF="$BUILD/tests/xd-grant-orphan.elf"
STILL='^\[parapet\] d1: [0-9]+ frames are still mapped by other domains: freed when'
FREED='^\[parapet\] d1: its last frames, mapped by other domains until now, are free'

# Line number of the first line matching $1 (empty if none).
line_of() { tr -d '\r' < "$LOG" | grep -n -m1 -E -- "$1" | cut -d: -f1; }
# The first line matching $1 comes before the first matching $2 (both present).
in_order() {
  local a b
  a=$(line_of "$1"); b=$(line_of "$2")
  [[ -n $a ]] || fail "missing log line matching: $1"
  [[ -n $b ]] || fail "missing log line matching: $2"
  [[ $a -lt $b ]] || fail "\"$1\" (line $a) should come before \"$2\" (line $b)"
}
memory_back() {
  local before after
  before=$(sed -n 's/.*4\/7 frames: \([0-9]*\) MiB free.*/\1/p' "$LOG")
  after=$(sed -n 's/.*all domains ended: .*; \([0-9]*\) MiB free.*/\1/p' "$LOG")
  [[ -n $before && $before == "$after" ]] ||
    fail "free memory $before MiB before, $after MiB after: a leak"
}
common() {
  expect_no_line 'reference-count mismatch|still has count|still referenced'
  expect_no_line 'no domain left can unmap'
  expect_no_line '^\(d[0-9]\) (FAILURE|ERROR):'
  memory_back
}
variant() { LOG="$LOGDIR/e2e-$NAME-$1.log"; echo "  variant $1"; }

variant granter
run_parapet --append "audit max_running=2" "$ELF:role=granter peer=2 ends=granter" \
  "$ELF:role=mapper peer=1 ends=granter" "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\) Test result: SUCCESS'
expect_line '^\(d2\) Test result: SUCCESS'
expect_line '^\(d3\) Test result: SUCCESS'
expect_line '^\[parapet\] d1: 2 frames are still mapped by other domains'
in_order '^\[parapet\] d1 shutdown: poweroff' "$STILL"
in_order "$STILL" "^\(d2\)   writing and reading d1's frame after its end"
in_order '^\(d2\)   unmapped the first mapping' "$FREED"
in_order "$FREED" "^\(d2\)   unmapped the last mapping of d1's frame"
in_order "$FREED" '^\[parapet\] d3: hello.elf started'
expect_line 'all domains ended: d1 poweroff, d2 poweroff, d3 poweroff;'
common

variant mapper
run_parapet --append audit "$ELF:role=granter peer=2 ends=mapper" \
  "$ELF:role=mapper peer=1 ends=mapper how=poweroff"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\) Test result: SUCCESS'
expect_line '^\(d2\) Test result: SUCCESS'
in_order '^\(d2\)   ending \(poweroff\) with ref 8 of d1 mapped' \
  '^\[parapet\] d2 shutdown: poweroff'
in_order '^\[parapet\] d2 shutdown: poweroff' \
  "^\(d1\)   entry 8: GTF_reading/GTF_writing cleared by d2's teardown"
expect_no_line 'frames are still mapped by other domains|its last frames'
expect_line 'all domains ended: d1 poweroff, d2 poweroff;'
common

variant crash
run_parapet --append audit "$ELF:role=granter peer=2 ends=mapper" \
  "$ELF:role=mapper peer=1 ends=mapper how=crash"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3 (d2 crashed)"
expect_line '^\(d1\) Test result: SUCCESS'
expect_no_line '^\(d2\) Test result:'
in_order '^\(d2\)   ending \(crash\) with ref 8 of d1 mapped' \
  '^\[parapet\] d2 shutdown: crash'
in_order '^\[parapet\] d2 shutdown: crash' \
  "^\(d1\)   entry 8: GTF_reading/GTF_writing cleared by d2's teardown"
expect_no_line 'frames are still mapped by other domains|its last frames'
expect_line 'all domains ended: d1 poweroff, d2 crash;'
common

variant both
run_parapet --append audit "$ELF:role=granter peer=2 ends=both" \
  "$ELF:role=mapper peer=1 ends=both how=crash"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3 (d2 crashed)"
expect_line '^\(d1\) Test result: SUCCESS'
expect_no_line '^\(d2\) Test result:'
in_order '^\[parapet\] d1 shutdown: poweroff' "$STILL"
in_order "$STILL" '^\(d2\)   ending \(crash\) with ref 8 of d1 \(ended\) mapped'
in_order '^\[parapet\] d2 shutdown: crash' "$FREED"
in_order "$FREED" 'all domains ended: d1 poweroff, d2 crash;'
common
exit 0
