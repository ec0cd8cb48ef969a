#!/usr/bin/env bash
# guest-port's benchmark (init=bench, docs/bench.md) booted natively, as a PV guest and
# as a trap guest on Parapet, each under QEMU's -icount (one tick = one instruction) and
# each twice. Checks the exact facts, never a timing: every boot powers off with status
# 0 and prints the 16 operations in order (measured, or na with a reason), BENCH-DONE
# ops=16 with its backend and no BENCH-ERROR; natively every counter is -1 and
# evtchn_self is na; on Parapet the PV null_call counts exactly iters hypercalls and
# no emulation, the trap null_call exactly iters emulations and no hypercall; and the
# second boot of each prints the same BENCH lines, ticks included (icount is
# deterministic). Cannot detect: a figure that is stable but wrong.
. "$(dirname "$0")/lib.sh"

OPS="loop_empty null_call irq_pair cr3_write pte_update pte_batch512 tlb_flush invlpg cpuid
msr_rw port_io syscall page_fault spawn_exit ctx_switch evtchn_self"
NUM='-?[0-9]+'
MEASURED="^BENCH op=[a-z0-9_]+ iters=[0-9]+ ticks=[0-9]+ hypercalls=$NUM emulations=$NUM exceptions=$NUM upcalls=$NUM switches=$NUM$"
NA='^BENCH op=[a-z0-9_]+ na="[^"]+"$'
ALLLOGS=$LOG
: > "$ALLLOGS"

# boot BACKEND RUN: one boot under icount; its log is $LOGDIR/e2e-$NAME-BACKEND-RUN.log.
boot() {
  LOG="$LOGDIR/e2e-$NAME-$1-$2.log"
  local st
  case $1 in
    native) "$ROOT/scripts/parapet" native --icount --timeout 120 --log "$LOG" \
              "$BUILD/guest-port/kernel.bin" init=bench > /dev/null 2>> "$LOG.err" ;;
    xen)    run_parapet --icount "$BUILD/guest-port/kernel.elf:pvops=xen init=bench" ;;
    trap)   run_parapet --icount "$BUILD/guest-port/kernel.elf:dom.trap pvops=trap init=bench" ;;
  esac
  st=$?
  cat "$LOG" >> "$ALLLOGS"
  [[ $st -eq 0 ]] || fail "$1: exit status $st, expected 0"
}

# The BENCH lines of $LOG without Parapet's "(d1) " prefix.
bench_lines() { sed -n 's/^\((d1) \)\{0,1\}\(BENCH.*\)$/\2/p' "$LOG" | tr -d '\r'; }

# field OP KEY: the value of KEY= on OP's line.
field() { bench_lines | sed -n "s/^BENCH op=$1 \(.* \)\{0,1\}$2=\(-\{0,1\}[0-9]*\).*/\2/p"; }

check_boot() {
  local backend=$1 names line
  names=$(bench_lines | sed -n 's/^BENCH op=\([a-z0-9_]*\) .*/\1/p' | tr '\n' ' ')
  [[ $names == "$(echo $OPS) " ]] || fail "$backend: operations '$names', expected '$(echo $OPS)'"
  while IFS= read -r line; do
    [[ $line =~ $MEASURED || $line =~ $NA ]] || fail "$backend: malformed line: $line"
  done < <(bench_lines | grep '^BENCH op=')
  bench_lines | grep -qE '^BENCH-CLOCK khz=[1-9][0-9]*$' || fail "$backend: no BENCH-CLOCK"
  bench_lines | grep -qx "BENCH-DONE ops=16 backend=$backend" ||
    fail "$backend: no 'BENCH-DONE ops=16 backend=$backend'"
  ! bench_lines | grep -q '^BENCH-ERROR' || fail "$backend: $(bench_lines | grep -m1 '^BENCH-ERROR')"
  expect_no_line 'PANIC|\*\*\* kernel'
}

for backend in native xen trap; do
  boot $backend 1
  check_boot $backend
  case $backend in
    native)
      [[ $(bench_lines | grep -c 'hypercalls=-1 emulations=-1 exceptions=-1 upcalls=-1 switches=-1$') -eq 15 ]] ||
        fail "native: a measured line with counters other than -1"
      bench_lines | grep -q '^BENCH op=evtchn_self na=' || fail "native: evtchn_self is not na" ;;
    xen)
      iters=$(field null_call iters)
      [[ $(field null_call hypercalls) == "$iters" && $(field null_call emulations) == 0 ]] ||
        fail "xen: null_call counted $(field null_call hypercalls) hypercalls and $(field null_call emulations) emulations for $iters iterations" ;;
    trap)
      iters=$(field null_call iters)
      [[ $(field null_call emulations) == "$iters" && $(field null_call hypercalls) == 0 ]] ||
        fail "trap: null_call counted $(field null_call emulations) emulations and $(field null_call hypercalls) hypercalls for $iters iterations" ;;
  esac
  first=$(bench_lines)
  boot $backend 2
  [[ $(bench_lines) == "$first" ]] ||
    fail "$backend: a second boot under icount printed other figures: $(diff <(echo "$first") <(bench_lines) | head -4 | tr '\n' ' ')"
done
exit 0
