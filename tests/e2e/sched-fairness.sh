#!/usr/bin/env bash
# Round robin shares the CPU fairly: two copies of tests/xd-busy spin for the same 2 s of
# system time side by side; the loop iterations each counts (its share of the CPU) must
# be within 10% of each other, and each must have been given the CPU more than once
# (the two were interleaved, not run one after the other). Both must report SUCCESS (the
# guest also checks its clock, timer and runstate while the other runs) and the run
# must exit 0. The figures are printed: iterations, the guests' runstate lines and the
# hypervisor's "ms on the CPU in S slices".
. "$(dirname "$0")/lib.sh"
ms=2000
run_parapet --append audit "$BUILD/tests/xd-busy.elf:ms=$ms" "$BUILD/tests/xd-busy.elf:ms=$ms"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\(d1\) Test result: SUCCESS'
expect_line '^\(d2\) Test result: SUCCESS'
iters() { tr -d '\r' < "$LOG" | sed -n "s/^(d$1) iterations: \([0-9]*\)$/\1/p"; }
slices() { tr -d '\r' < "$LOG" | sed -n "s/^\[parapet\] d$1 shutdown: .* in \([0-9]*\) slices)$/\1/p"; }
a=$(iters 1) b=$(iters 2) sa=$(slices 1) sb=$(slices 2)
[[ -n $a && -n $b ]] || fail "no 'iterations: N' line from d1 or d2"
[[ -n $sa && -n $sb ]] || fail "no '... in S slices' shutdown line for d1 or d2"
tr -d '\r' < "$LOG" | grep -E '^\(d[12]\) ((iterations|timer):|runstate over)|^\[parapet\] d[12] shutdown:' |
  sed "s/^/e2e $NAME: /"
hi=$((a > b ? a : b)) lo=$((a > b ? b : a))
echo "e2e $NAME: d1 $a, d2 $b iterations: the smaller is $((lo * 1000 / hi / 10)).$((lo * 1000 / hi % 10))% of the larger"
[[ $((hi - lo)) -le $((hi / 10)) ]] || fail "iterations d1 $a, d2 $b differ by more than 10%"
[[ $sa -gt 1 && $sb -gt 1 ]] || fail "d1 ran in $sa slices, d2 in $sb: not interleaved"
exit 0
