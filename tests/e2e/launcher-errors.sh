#!/usr/bin/env bash
# The launcher answers bad input with one line (what, and what to do) and status 2,
# before QEMU starts.
. "$(dirname "$0")/lib.sh"
out=$("$ROOT/scripts/parapet" run "$LOGDIR/no-such-kernel.elf" 2>&1); st=$?
[[ $st -eq 2 ]] || fail "missing guest: status $st, expected 2"
grep -q "guest kernel .*no-such-kernel.elf not found" <<<"$out" || fail "missing guest: message was: $out"
out=$("$ROOT/scripts/parapet" run 2>&1); st=$?
[[ $st -eq 2 ]] || fail "no guest: status $st, expected 2"
out=$("$ROOT/scripts/parapet" frobnicate 2>&1); st=$?
[[ $st -eq 2 ]] && grep -q "unknown command" <<<"$out" || fail "unknown command: status $st, message: $out"
out=$("$ROOT/scripts/parapet" run --hv "$LOGDIR/none.bin" "$BUILD/tests/hello.elf" 2>&1); st=$?
[[ $st -eq 2 ]] && grep -q "hypervisor image .* not found" <<<"$out" || fail "missing hypervisor: status $st, message: $out"
exit 0
