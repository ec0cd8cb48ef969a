#!/usr/bin/env bash
# Teardown leaves nothing behind, over repeated cycles: sixteen domains in one hypervisor
# run (the most it boots), guests that pin page tables, hand over GDT frames, grow grant
# tables, copy through grants, bind event channels, arm timers and register vcpu_info,
# twice over; the second round leaves grant mappings in place at exit (hc-grant-map in
# place of hc-grant-table). Free memory after the last must equal free memory before the
# first, and no frame may have been kept out of use after a reference-count mismatch.
. "$(dirname "$0")/lib.sh"
set -- hc-mmu-update hc-mmuext-op hc-set-gdt hc-evtchn hc-timers hc-vcpu-op xsa-a1-writable-pt
guests=()
for grant_test in hc-grant-table hc-grant-map; do
  for t in "$@" "$grant_test"; do guests+=("$BUILD/tests/$t.elf"); done
done
"$ROOT/scripts/parapet" run --timeout 240 --append audit --log "$LOG" "${guests[@]}" >/dev/null 2>>"$LOG.err"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
n=$(grep -c '^(d[0-9]*) Test result: SUCCESS' "$LOG")
[[ $n -eq 16 ]] || fail "$n of 16 domains reported SUCCESS"
expect_no_line 'kept out of use|still has count|still referenced|AUDIT FAILED'
before=$(sed -n 's/.*4\/7 frames: \([0-9]*\) MiB free.*/\1/p' "$LOG")
after=$(sed -n 's/.*all domains ended: .*; \([0-9]*\) MiB free.*/\1/p' "$LOG")
[[ -n $before && $before == "$after" ]] || fail "free memory $before MiB before, $after MiB after: a leak"
