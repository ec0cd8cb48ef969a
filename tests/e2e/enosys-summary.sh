#!/usr/bin/env bash
# A domain's end says what it asked for and was refused with -ENOSYS (each hypercall and
# sub-op once, in the order asked, sub-ops as name/number): what a user porting a kernel
# needs to see. hc-enosys asks for every unimplemented row; hello asks for none.
. "$(dirname "$0")/lib.sh"
run_parapet "$BUILD/tests/hc-enosys.elf" "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\[parapet\] d1: refused with -ENOSYS: sched_op_compat, platform_op, event_channel_op_compat, .* and [0-9]+ more\s*$'
expect_line '^\[parapet\] d1: refused with -ENOSYS: .*'
n=$(grep -c 'refused with -ENOSYS' "$LOG")
[[ $n -eq 1 ]] || fail "$n summary lines, expected 1 (hello asks for nothing refused)"
line=$(grep -n 'refused with -ENOSYS' "$LOG" | cut -d: -f1)
end=$(grep -n '^\[parapet\] d1 shutdown:' "$LOG" | cut -d: -f1)
[[ -n $end && $line -lt $end ]] || fail "the summary must come just before d1's end line"
exit 0
