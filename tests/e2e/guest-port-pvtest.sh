#!/usr/bin/env bash
# guest-port's pv_ops self-test (init=pvtest, docs/pvops.md "How each member is tested")
# booted natively, as a PV guest on Parapet (auditor on), as a trap guest on Parapet
# (dom.trap pvops=trap, auditor on) and, when build/xen/xen-4.17.elf exists, as dom0 of
# Xen 4.17 (skipped with a note otherwise). The list of members is read from
# pvops/include/pvops.h, so a member added there without a test fails here (and the
# kernel's build fails too). Each boot must print every member exactly once, no FAIL,
# "na" only where the allowlist below says so (with its reason), PVTEST-DONE with the
# member count, failed=0 and its backend, power off with status 0, and show the lines
# only this script can judge: console.write's line, and outb's line where COM1 is the
# console's (native, trap). On Parapet and natively the script types a word on the serial
# line that console.read must find (typed=); on Xen it types nothing (keys before dom0
# has the input focus are Xen's debug keys) and read must return 0 at once.
# Cannot detect: what the kernel's checks cannot (the header of guest-port/pvtest.c).
. "$(dirname "$0")/lib.sh"

HEADER=$ROOT/pvops/include/pvops.h
TYPED=pvtest-typed-4711
ALLLOGS=$LOG
: > "$ALLLOGS"

# Where a member cannot apply, and why (the kernel's reason must contain it); and where a
# hypervisor bug blocks one check of it (the member's other checks must pass).
# BOOT MEMBER REASON
NA_ALLOWED=$(cat <<'EOF'
native evtchn.send natively there are no event channels
native evtchn.close natively there are no event channels
native evtchn.alloc_unbound natively there are no event channels
native evtchn.bind_interdomain natively there are no event channels
native grant.init natively there is no other domain and no grant table
native grant.grant_access natively there is no other domain and no grant table
native grant.end_access natively there is no other domain and no grant table
native grant.map natively there is no other domain and no grant table
native grant.unmap natively there is no other domain and no grant table
native hv.counters no hypervisor counts natively
native hv.domain_info no hypervisor lists domains natively
xen417 hv.counters this hypervisor has no parapet_op (Xen)
xen417 hv.domain_info this hypervisor has no parapet_op (Xen)
EOF
)

# group.member for every function pointer of the groups of struct pv_ops, in order.
members() {
  awk '
    /^struct pv_ops \{/ { inops = 1; next }
    /^struct pv_[a-z_]+_ops \{/ { cur = $2; next }
    /^\};/ { cur = ""; inops = 0; next }
    cur != "" && match($0, /\(\*[a-z_0-9]+\)/) {
      list[cur] = list[cur] " " substr($0, RSTART + 2, RLENGTH - 3); next
    }
    inops && $1 == "struct" { name = $3; sub(/;.*/, "", name); order[++n] = name; type[name] = $2 }
    END {
      for (i = 1; i <= n; i++) {
        k = split(list[type[order[i]]], m, " ")
        for (j = 1; j <= k; j++) print order[i] "." m[j]
      }
    }' "$HEADER"
}
MEMBERS=$(members)
N=$(echo "$MEMBERS" | wc -l)
[[ $N -ge 60 ]] || fail "only $N members read from $HEADER"

# The PVTEST lines of $LOG without Parapet's "(d1) " or Xen's "(XEN) " and any CR.
pvtest_lines() { sed -n 's/^\(([a-zA-Z0-9]*) \)\{0,1\}\(PVTEST.*\)$/\2/p' "$LOG" | tr -d '\r'; }

# check_boot BOOT BACKEND: the lines of one boot.
check_boot() {
  local boot=$1 backend=$2 m lines n line reason
  lines=$(pvtest_lines)
  for m in $MEMBERS; do
    n=$(grep -cE "^PVTEST ${m//./\\.} (ok$|FAIL |na )" <<< "$lines")
    [[ $n -eq 1 ]] || fail "$boot: pv_ops.$m printed $n times, expected once"
  done
  while IFS= read -r line; do
    m=${line#PVTEST }; m=${m%% *}
    grep -qxF "$m" <<< "$MEMBERS" || fail "$boot: a line for a member pvops.h does not have: $line"
    case $line in
      "PVTEST $m ok") ;;
      "PVTEST $m FAIL"*) fail "$boot: $line" ;;
      "PVTEST $m na "*)
        reason=$(awk -v b="$boot" -v m="$m" '$1 == b && $2 == m { $1 = $2 = ""; sub(/^  /, ""); print }' <<< "$NA_ALLOWED")
        [[ -n $reason ]] || fail "$boot: na not allowed here: $line"
        [[ $line == *"$reason"* ]] || fail "$boot: na for another reason than '$reason': $line" ;;
      *) fail "$boot: malformed line: $line" ;;
    esac
  done < <(grep -E '^PVTEST [a-z]+\.' <<< "$lines")
  grep -qx "PVTEST-DONE members=$N failed=0 backend=$backend" <<< "$lines" ||
    fail "$boot: no 'PVTEST-DONE members=$N failed=0 backend=$backend'"
  grep -q "^PVTEST-CONSOLE written by console.write after console.init" <<< "$lines" ||
    fail "$boot: console.write's line never arrived"
  if [[ $backend != xen ]]; then
    grep -qx "PVTEST-OUTB $backend" <<< "$lines" || fail "$boot: outb's line never arrived"
  fi
  expect_no_line 'PANIC|\*\*\* kernel|AUDIT FAILED'
}

# boot BOOT: one boot; its log is $LOGDIR/e2e-$NAME-BOOT.log.
INPUT=$LOGDIR/e2e-$NAME.typed
printf '\n\n%s\n' "$TYPED" > "$INPUT"
boot() {
  LOG="$LOGDIR/e2e-$NAME-$1.log"
  case $1 in
    native) "$ROOT/scripts/parapet" native --timeout 120 --input "$INPUT" --log "$LOG" \
              "$BUILD/guest-port/kernel.bin" init=pvtest typed=$TYPED > /dev/null 2>> "$LOG.err" ;;
    pv)     "$ROOT/scripts/parapet" run --timeout 120 --input "$INPUT" --append audit --log "$LOG" \
              "$BUILD/guest-port/kernel.elf:pvops=xen init=pvtest typed=$TYPED" > /dev/null 2>> "$LOG.err" ;;
    trap)   "$ROOT/scripts/parapet" run --timeout 120 --input "$INPUT" --append audit --log "$LOG" \
              "$BUILD/guest-port/kernel.elf:dom.trap pvops=trap init=pvtest typed=$TYPED" > /dev/null 2>> "$LOG.err" ;;
  esac
  status=$?
  cat "$LOG" >> "$ALLLOGS"
}

boot native
check_boot native native
[[ $status -eq 0 ]] || fail "native: exit status $status, expected 0"
boot pv
check_boot pv xen
[[ $status -eq 0 ]] || fail "pv: exit status $status, expected 0"
expect_line 'all domains ended: d1 poweroff'
boot trap
check_boot trap trap
[[ $status -eq 0 ]] || fail "trap: exit status $status, expected 0"
expect_line '^\[parapet\] d1: kernel.elf started \(trap and emulate\)'
expect_line 'all domains ended: d1 poweroff'

# Xen 4.17, as guest-port-xen.sh boots it: Xen halts instead of ending QEMU, so the log
# is watched and QEMU stopped; dom0's power-off is "Hardware Dom0 halted".
XEN=$BUILD/xen/xen-4.17.elf
if [[ ! -f $XEN ]]; then
  echo "e2e $NAME: no $XEN (make test-xen installs it): the Xen 4.17 boot is skipped"
  exit 0
fi
LOG="$LOGDIR/e2e-$NAME-xen417.log"
: > "$LOG"
qemu-system-x86_64 -accel tcg -m 512 -cpu qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+x2apic \
  -display none -no-reboot -serial stdio -monitor none -kernel "$XEN" \
  -append "console=com1 dom0_mem=64M noreboot" \
  -initrd "$BUILD/guest-port/kernel.elf pvops=xen init=pvtest" \
  > "$LOG" 2>> "$LOG.err" < /dev/null &
qemu=$!
deadline=$((SECONDS + 240))
until grep -qE 'Hardware Dom0 (halted|crashed|shutdown)|Domain 0 crashed|Panic on CPU' "$LOG"; do
  if ! kill -0 "$qemu" 2> /dev/null || [[ $SECONDS -ge $deadline ]]; then break; fi
  sleep 0.5
done
kill "$qemu" 2> /dev/null
wait "$qemu" 2> /dev/null
cat "$LOG" >> "$ALLLOGS"
expect_line 'Hardware Dom0 halted'
check_boot xen417 xen
exit 0
