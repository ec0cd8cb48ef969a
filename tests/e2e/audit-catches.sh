#!/usr/bin/env bash
# The invariant auditor is not a check that cannot fail: with one reference count
# planted wrong (debug_audit_corrupt), the first page-table hypercall of the guest stops
# the machine with a report naming the frame, and exit status 125.
. "$(dirname "$0")/lib.sh"
run_parapet --append "audit debug_audit_corrupt" "$BUILD/tests/selftest.elf"
st=$?
[[ $st -eq 125 ]] || fail "exit status $st, expected 125 (auditor stop)"
frame=$(sed -n 's/.*debug_audit_corrupt: frame \(0x[0-9a-f]*\) .*/\1/p' "$LOG")
[[ -n $frame ]] || fail "the corruption was not planted"
expect_line "AUDIT FAILED after a hypercall of d1: reference count: frame $frame has "
expect_no_line 'Test result: SUCCESS'
