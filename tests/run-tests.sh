#!/usr/bin/env bash
# run-tests.sh: runs every test of Parapet and prints one line per test, then exactly
# "N passed, N failed[, N skipped]" as the last line; exit 0 iff nothing failed and
# something ran. Host unit tests are cmocka binaries (one test per cmocka case); guest
# tests are booted one QEMU at a time by scripts/parapet (or by Debian's Xen with --xen,
# the reference implementation) and judged by their "Test result: X" lines.
#
#   tests/run-tests.sh --build DIR --unit "BIN..." --guests "NAME..." [--xen XENIMAGE]
#                      [--only NAME] [--e2e "SCRIPT..."]
#
# --e2e runs end-to-end scripts (tests/e2e/*.sh) with BUILD and LOGDIR exported: exit 0
# passes, 77 skips, anything else fails. They need Parapet, so --xen leaves them out.
#
# Per-test options live in tests/<name>/test.conf (KEY=value lines, all optional):
#   CATEGORY       functional | adversarial | selftest | e2e       (default functional)
#   CMDLINE        the guest's command line
#   TIMEOUT        seconds before the boot counts as TIMEOUT       (default 60)
#   AFTER          a second guest booted in the same hypervisor run after the first one
#                  ends (max_running=1); it must report SUCCESS too (proves the host
#                  survived)
#   PEERS          guests that run at the same time as the first one, as d2, d3, ...:
#                  "name[:cmdline]" separated by ";"; each must report SUCCESS. A test
#                  with PEERS needs several domains: --xen skips it.
#   EXPECT_CRASH   extended regex: the hypervisor must crash d1 with a log line
#                  "[parapet] d1 crashed: <reason>" whose reason matches; d1 then
#                  prints no result line
#   EXPECT_STATUS  expected exit status of scripts/parapet (default 0 unless EXPECT_CRASH)
#
# Log formats relied on (Parapet): guest console lines "(dN) text", domains numbered d1,
# d2 in boot order; hypervisor lines "[parapet] ...", among them "[parapet] dN crashed:
# <reason>". Under --xen the guest is dom0 and its console lines appear as-is or with a
# "(XEN) "/"(d0) " prefix. PARAPET_LAUNCHER overrides the launcher (for testing this script).
set -uo pipefail

tests_dir=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$tests_dir/.." && pwd)
launcher=${PARAPET_LAUNCHER:-$root/scripts/parapet}
# Every guest test runs with the invariant auditor on (hypervisor/core/audit.c).
hv_append=${PARAPET_TEST_APPEND-audit}

usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

build="" unit_bins="" guest_names="" xen_image="" only="" e2e_scripts=""
while [[ $# -gt 0 ]]; do
  case $1 in
    --build)  build=${2:?--build needs a directory}; shift 2 ;;
    --unit)   unit_bins=${2-}; shift 2 ;;
    --guests) guest_names=${2-}; shift 2 ;;
    --xen)    xen_image=${2:?--xen needs a Xen image}; shift 2 ;;
    --only)   only=${2:?--only needs a test name}; shift 2 ;;
    --e2e)    e2e_scripts=${2-}; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run-tests: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ -n $build ]] || { echo "run-tests: --build DIR is required" >&2; usage; }
[[ -z $xen_image || -f $xen_image ]] || {
  echo "run-tests: Xen image '$xen_image' not found (see tests/README.md, 'Reference runs on Xen')" >&2
  exit 2; }
logs=$build/logs
mkdir -p "$logs"

passed=0 failed=0 skipped=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1: $2"; failed=$((failed + 1)); }
skip() { echo "SKIP $1: $2"; skipped=$((skipped + 1)); }
note() { echo "    $*"; }
# The last 10 lines of a log, and where it is.
show_log() {
  [[ -s $1 ]] || { note "(log $1 is empty)"; return; }
  note "--- last 10 lines of $1:"
  tail -n 10 "$1" | tr -d '\r' | sed 's/^/    | /'
}
selected() { [[ -z $only || $only == "$1" ]]; }

# ---- host unit tests (cmocka) ----------------------------------------------------------
# cmocka prints "[       OK ] case", "[  FAILED  ] case", "[  SKIPPED ] case" per case on
# stdout, then on stderr "[  PASSED  ] N test(s)." and "[  FAILED  ] N test(s), listed
# below:" (and the same for SKIPPED); it returns the number of failed cases. The counts
# come from the summary lines, the per-case lines are printed for the reader.
run_unit() {
  local bin=$1 name out err log st npass=0 nfail=0 nskip=0 summary=0 line
  name=unit/$(basename "$bin")
  log=$logs/$(basename "$bin").log
  if [[ ! -x $bin ]]; then fail "$name" "binary $bin not found (build it with 'make unit')"; return; fi
  out=$(mktemp) err=$(mktemp)
  ( timeout -k 5 300 "$bin" > "$out" 2> "$err" < /dev/null ) 2> /dev/null
  st=$?
  cat "$out" "$err" > "$log"
  while IFS= read -r line; do
    case $line in
      "[==========] "*" run.") break ;;
      "[       OK ] "*) echo "PASS $name:${line#"[       OK ] "}" ;;
      "[  FAILED  ] "*) echo "FAIL $name:${line#"[  FAILED  ] "}: assertion failed (log: $log)" ;;
      "[  SKIPPED ] "*) echo "SKIP $name:${line#"[  SKIPPED ] "}: skipped by the test" ;;
    esac
  done < "$out"
  while IFS= read -r line; do
    case $line in
      "[  PASSED  ] "*" test(s).") npass=${line//[^0-9]/}; summary=1 ;;
      "[  FAILED  ] "*" test(s), listed below:") nfail=${line%% test(s)*}; nfail=${nfail//[^0-9]/}; summary=1 ;;
      "[  SKIPPED ] "*" test(s), listed below:") nskip=${line%% test(s)*}; nskip=${nskip//[^0-9]/} ;;
    esac
  done < "$log"
  rm -f "$out" "$err"
  if [[ $summary == 0 ]]; then
    fail "$name" "no cmocka summary (exit status $st: crashed or not a cmocka binary)"
    show_log "$log"
    return
  fi
  passed=$((passed + npass)) failed=$((failed + nfail)) skipped=$((skipped + nskip))
  if [[ $st -ne $((nfail & 255)) ]]; then
    fail "$name" "exit status $st after reporting $nfail failed case(s) (sanitizer or crash at exit?)"
    show_log "$log"
  elif [[ $nfail -gt 0 ]]; then
    show_log "$log"
  fi
}

# ---- end-to-end scripts ------------------------------------------------------------------
run_e2e() {
  local script=$1 name st out
  name=e2e/$(basename "$script" .sh)
  if [[ ! -f $script ]]; then fail "$name" "script $script not found"; return; fi
  out=$(BUILD=$build LOGDIR=$logs timeout -k 5 600 bash "$script" 2>&1 < /dev/null)
  st=$?
  case $st in
    0) pass "$name" ;;
    77) skip "$name" "$(tail -n 1 <<< "$out")" ;;
    *) fail "$name" "exit status $st"
       [[ -n $out ]] && tail -n 10 <<< "$out" | sed 's/^/    | /' ;;
  esac
}

# ---- test.conf ---------------------------------------------------------------------------
# Parsed, not sourced: KEY=value, KEY="value" or KEY='value', # comments. Sets conf_*.
conf_error=""
read_conf() {
  local file=$1 line key val n=0
  conf_CATEGORY=functional conf_CMDLINE="" conf_TIMEOUT=60 conf_AFTER="" conf_PEERS=""
  conf_EXPECT_CRASH="" conf_EXPECT_STATUS="" conf_error=""
  [[ -f $file ]] || return 0
  while IFS= read -r line || [[ -n $line ]]; do
    n=$((n + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#.*)?$ ]] && continue
    if [[ ! $line =~ ^[[:space:]]*([A-Z_]+)=(.*)$ ]]; then
      conf_error="$file:$n: expected KEY=value"; return 1
    fi
    key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
    if [[ $val =~ ^\"(.*)\"[[:space:]]*$ || $val =~ ^\'(.*)\'[[:space:]]*$ ]]; then
      val=${BASH_REMATCH[1]}
    else
      val=${val%%[[:space:]]#*}                       # trailing comment
      val=${val%"${val##*[![:space:]]}"}              # trailing blanks
    fi
    case $key in
      CATEGORY|CMDLINE|TIMEOUT|AFTER|PEERS|EXPECT_CRASH|EXPECT_STATUS) printf -v "conf_$key" '%s' "$val" ;;
      *) conf_error="$file:$n: unknown key $key"; return 1 ;;
    esac
  done < "$file"
  case $conf_CATEGORY in functional|adversarial|selftest|e2e) ;;
    *) conf_error="$file: CATEGORY '$conf_CATEGORY' is not functional, adversarial, selftest or e2e"; return 1 ;;
  esac
  [[ $conf_TIMEOUT =~ ^[1-9][0-9]*$ ]] || { conf_error="$file: TIMEOUT '$conf_TIMEOUT' is not a number of seconds"; return 1; }
  [[ -z $conf_EXPECT_STATUS || $conf_EXPECT_STATUS =~ ^[0-9]+$ ]] || { conf_error="$file: EXPECT_STATUS '$conf_EXPECT_STATUS' is not a number"; return 1; }
  [[ -z $conf_AFTER || $conf_AFTER =~ ^[A-Za-z0-9_-]+$ ]] || { conf_error="$file: AFTER '$conf_AFTER' is not a test name"; return 1; }
  [[ -z $conf_AFTER || -z $conf_PEERS ]] || { conf_error="$file: AFTER and PEERS exclude each other"; return 1; }
  local peer
  local -a peers=()
  IFS=';' read -r -a peers <<< "$conf_PEERS"
  for peer in "${peers[@]}"; do
    [[ ${peer%%:*} =~ ^[A-Za-z0-9_-]+$ ]] || { conf_error="$file: PEERS entry '$peer' does not start with a test name"; return 1; }
  done
  return 0
}

# ---- reading a serial log ------------------------------------------------------------------
# Console lines of domain $2 in log $1, prefix removed. Domain "xen" means the --xen
# reference: lines as-is or with a "(XEN) "/"(dN) " prefix.
domain_lines() {
  if [[ $2 == xen ]]; then
    tr -d '\r' < "$1" | sed -E 's/^\((XEN|d[0-9]+)\) //'
  else
    tr -d '\r' < "$1" | sed -n -E "s/^\(d$2\) //p"
  fi
}

# Sets dom_status (SUCCESS|SKIP|ERROR|FAILURE|CRASH|BAD) and dom_why for one domain.
judge_domain() {
  local log=$1 dom=$2 results n first
  results=$(domain_lines "$log" "$dom" | grep -E '^Test result: ' || true)
  n=$(grep -c . <<< "$results")
  [[ -z $results ]] && n=0
  dom_why=""
  if [[ $n -eq 0 ]]; then
    dom_status=CRASH
    first=$(domain_lines "$log" "$dom" | grep -m1 -E '^(PANIC: |\*\*\* )' || true)
    dom_why="no result line${first:+ ($first)}"
    return
  fi
  if [[ $n -gt 1 ]]; then dom_status=BAD; dom_why="$n result lines (exactly one expected)"; return; fi
  dom_status=${results#Test result: }
  dom_status=${dom_status%%[[:space:]]*}
  case $dom_status in
    SUCCESS) ;;
    SKIP|ERROR|FAILURE)
      first=$(domain_lines "$log" "$dom" | grep -m1 -E "^$dom_status: " || true)
      dom_why=${first#"$dom_status: "} ;;
    *) dom_why="unknown result '$dom_status'"; dom_status=BAD ;;
  esac
}

# ---- booting a guest -------------------------------------------------------------------------
# On Parapet: the launcher, one QEMU per test. Sets boot_status (launcher exit status).
boot_parapet() {
  local timeout=$1 log=$2 errf=$3 append=$4; shift 4
  timeout -k 10 $((timeout + 30)) "$launcher" run --timeout "$timeout" --log "$log" \
    --append "$append" "$@" \
    > /dev/null 2> "$errf" < /dev/null
  boot_status=$?
}

# On the reference Xen: the guest is dom0. Xen does not end QEMU when dom0 powers off,
# so we watch the log and stop QEMU ourselves. Sets boot_status (0, or 124 on timeout).
boot_xen() {
  local timeout=$1 log=$2 errf=$3 module=$4 qpid deadline
  : > "$log"
  qemu-system-x86_64 -accel tcg -m 512 -cpu qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+x2apic \
    -display none -no-reboot -serial stdio -monitor none -kernel "$xen_image" \
    -append "console=com1 dom0_mem=64M noreboot" -initrd "$module" \
    > "$log" 2> "$errf" < /dev/null &
  qpid=$!
  deadline=$((SECONDS + timeout))
  boot_status=0
  while kill -0 "$qpid" 2> /dev/null; do
    if grep -q -E 'Test result: |Hardware Dom0 (halted|crashed|shutdown)|Domain 0 crashed|Panic on CPU' "$log"; then
      # Let the last lines (and Xen's own verdict) reach the log.
      for _ in 1 2 3 4; do
        grep -q -E 'Hardware Dom0 (halted|crashed|shutdown)|Domain 0 crashed|Panic on CPU' "$log" && break
        sleep 0.5
      done
      break
    fi
    if [[ $SECONDS -ge $deadline ]]; then boot_status=124; break; fi
    sleep 0.5
  done
  kill "$qpid" 2> /dev/null
  wait "$qpid" 2> /dev/null
}

run_guest() {
  local name=$1 elf log errf cmdline after_elf="" after_cmdline="" why="" skipwhy=""
  local crash_line reason expect_status d1_status d1_why
  if ! read_conf "$tests_dir/$name/test.conf"; then fail "$name" "$conf_error"; return; fi
  local timeout=$conf_TIMEOUT after=$conf_AFTER expect_crash=$conf_EXPECT_CRASH
  local peers_conf=$conf_PEERS peer peer_name
  local -a peers=() peer_guests=()
  local expect_status_conf=$conf_EXPECT_STATUS
  cmdline=$conf_CMDLINE
  elf=$build/tests/$name.elf
  log=$logs/$name.log
  errf=$logs/$name.launcher.txt
  if [[ ! -f $elf ]]; then fail "$name" "$elf not found (build it with 'make guests')"; return; fi
  if [[ -n $after ]]; then
    after_elf=$build/tests/$after.elf
    if ! read_conf "$tests_dir/$after/test.conf"; then fail "$name" "AFTER: $conf_error"; return; fi
    after_cmdline=$conf_CMDLINE
    if [[ ! -f $after_elf ]]; then fail "$name" "AFTER guest $after_elf not found"; return; fi
  fi

  if [[ -n $peers_conf ]]; then
    IFS=';' read -r -a peers <<< "$peers_conf"
    for peer in "${peers[@]}"; do
      peer_name=${peer%%:*}
      [[ -f $build/tests/$peer_name.elf ]] || { fail "$name" "PEERS guest $build/tests/$peer_name.elf not found"; return; }
      peer_guests+=("$build/tests/$peer_name.elf${peer#"$peer_name"}")
    done
    if [[ -n $xen_image ]]; then
      skip "$name" "needs ${#peers[@]} more domain(s) at once: the Xen reference runs one dom0"
      return
    fi
  fi

  rm -f "$log" "$errf"
  if [[ -n $xen_image ]]; then
    local module="$elf ${cmdline:+${cmdline//,/,,} }xen-reference"
    boot_xen "$timeout" "$log" "$errf" "$module"
    [[ -n $after ]] && note "(--xen: AFTER guest $after not booted: Xen runs one dom0)"
  else
    local guests=("$elf${cmdline:+:$cmdline}") append=$hv_append
    guests+=("${peer_guests[@]}")
    if [[ -n $after ]]; then
      guests+=("$after_elf${after_cmdline:+:$after_cmdline}")
      append="$append max_running=1"
    fi
    boot_parapet "$timeout" "$log" "$errf" "$append" "${guests[@]}"
  fi

  if [[ $boot_status -eq 124 ]]; then
    judge_domain "$log" "$( [[ -n $xen_image ]] && echo xen || echo 1 )"
    why="TIMEOUT after ${timeout}s"
    [[ $dom_status != CRASH ]] && why="$why (d1 had reported $dom_status: the run did not end)"
    fail "$name" "$why"
    show_log "$log"; return
  fi
  if [[ -z $xen_image && ( $boot_status -eq 2 || $boot_status -eq 126 ) && ! -s $log ]]; then
    fail "$name" "launcher failed (status $boot_status): $(head -c 300 "$errf" | tr '\n' ' ')"
    return
  fi

  # First domain.
  if [[ -n $expect_crash ]]; then
    if [[ -n $xen_image ]]; then
      crash_line=$(tr -d '\r' < "$log" | grep -m1 -E 'Hardware Dom0 crashed|Domain 0 crashed' || true)
      reason="(Xen: reason not compared)"
    else
      crash_line=$(tr -d '\r' < "$log" | grep -m1 -E '^\[parapet\] d1 crashed: ' || true)
      reason=${crash_line#"[parapet] d1 crashed: "}
    fi
    judge_domain "$log" "$( [[ -n $xen_image ]] && echo xen || echo 1 )"
    if [[ $dom_status != CRASH ]]; then
      why="d1 expected to be crashed, but it reported $dom_status"
    elif [[ -z $crash_line ]]; then
      why="d1 expected to be crashed by the hypervisor, no '[parapet] d1 crashed:' line"
    elif [[ -z $xen_image ]] && ! [[ $reason =~ $expect_crash ]]; then
      why="d1 crashed for '$reason', expected /$expect_crash/"
    fi
  else
    judge_domain "$log" "$( [[ -n $xen_image ]] && echo xen || echo 1 )"
    d1_status=$dom_status d1_why=$dom_why
    if [[ $d1_status == CRASH && -z $xen_image ]]; then
      crash_line=$(tr -d '\r' < "$log" | grep -m1 -E '^\[parapet\] d1 crashed: ' || true)
      [[ -n $crash_line ]] && d1_why="$d1_why; $crash_line"
    fi
    case $d1_status in
      SUCCESS) ;;
      SKIP) skipwhy="d1 SKIP${d1_why:+: $d1_why}" ;;
      *) why="d1 $d1_status${d1_why:+: $d1_why}" ;;
    esac
  fi

  # Second domain, on Parapet only.
  if [[ -z $why && -n $after && -z $xen_image ]]; then
    judge_domain "$log" 2
    case $dom_status in
      SUCCESS) ;;
      SKIP) skipwhy="${skipwhy:+$skipwhy; }d2 ($after) SKIP${dom_why:+: $dom_why}" ;;
      *) why="d2 ($after, booted after d1) $dom_status${dom_why:+: $dom_why}" ;;
    esac
  fi

  # Peers, on Parapet only: d2, d3, ... in PEERS order.
  local i
  for ((i = 0; i < ${#peers[@]}; i++)); do
    [[ -z $why ]] || break
    judge_domain "$log" $((i + 2))
    case $dom_status in
      SUCCESS) ;;
      SKIP) skipwhy="${skipwhy:+$skipwhy; }d$((i + 2)) (${peers[i]%%:*}) SKIP${dom_why:+: $dom_why}" ;;
      *) why="d$((i + 2)) (${peers[i]%%:*}, a peer) $dom_status${dom_why:+: $dom_why}" ;;
    esac
  done

  # Launcher exit status.
  if [[ -z $why && -z $xen_image ]]; then
    expect_status=$expect_status_conf
    [[ -z $expect_status && -z $expect_crash ]] && expect_status=0
    if [[ -n $expect_status && $boot_status -ne $expect_status ]]; then
      why="launcher exit status $boot_status, expected $expect_status"
      [[ -s $errf ]] && why="$why ($(head -c 200 "$errf" | tr '\n' ' '))"
    fi
  fi

  if [[ -n $why ]]; then
    fail "$name" "$why"
    show_log "$log"
  elif [[ -n $skipwhy ]]; then
    skip "$name" "$skipwhy"
  else
    pass "$name"
  fi
}

# ---- main ----------------------------------------------------------------------------------
matched=0
for bin in $unit_bins; do
  selected "$(basename "$bin")" || continue
  matched=1
  run_unit "$bin"
done
for name in $guest_names; do
  selected "$name" || continue
  matched=1
  run_guest "$name"
done
if [[ -z $xen_image ]]; then
  for script in $e2e_scripts; do
    selected "$(basename "$script" .sh)" || continue
    matched=1
    run_e2e "$script"
  done
fi
if [[ -n $only && $matched -eq 0 ]]; then
  echo "run-tests: --only $only matches no unit binary or guest test" >&2
fi

summary="$passed passed, $failed failed"
[[ $skipped -gt 0 ]] && summary="$summary, $skipped skipped"
if [[ $((passed + failed)) -eq 0 ]]; then
  echo "run-tests: no test ran" >&2
  echo "$summary"
  exit 1
fi
echo "$summary"
[[ $failed -eq 0 ]]
