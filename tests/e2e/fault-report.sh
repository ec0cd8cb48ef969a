#!/usr/bin/env bash
# A fault inside the hypervisor ends in a decoded, symbolized report and exit status
# 125, never a hang: "debug_fault" on the hypervisor command line plants a read of an
# unmapped address in debug_planted_fault().
. "$(dirname "$0")/lib.sh"
run_parapet --append debug_fault "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 125 ]] || fail "exit status $st, expected 125 (hypervisor failure)"
expect_line '\[parapet\] FATAL: page fault \(vector 14\) in the hypervisor'
expect_line 'error code 0x0 \[not-present read supervisor\]'
expect_line 'cr2 0xdead00 '
expect_line 'rip debug_planted_fault\+0x'
expect_line '^    hv_main\+0x'
expect_no_line 'Test result'
