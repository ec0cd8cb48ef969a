# Shared helpers of the end-to-end tests: each test script boots the real hypervisor
# through scripts/parapet, checks the serial log and the exit status, and ends with
# exit 0 (pass) or 1 (fail) after printing why. Sourced, not run.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build}
LOGDIR=${LOGDIR:-$BUILD/logs}
mkdir -p "$LOGDIR"
NAME=$(basename "$0" .sh)
LOG="$LOGDIR/e2e-$NAME.log"

fail() { echo "e2e $NAME: $*" >&2; echo "  log: $LOG" >&2; tail -n 8 "$LOG" 2>/dev/null | sed 's/^/  | /' >&2; exit 1; }
expect_line() { grep -qE -- "$1" "$LOG" || fail "missing log line matching: $1"; }
expect_no_line() { ! grep -qE -- "$1" "$LOG" || fail "unexpected log line matching: $1"; }
run_parapet() { "$ROOT/scripts/parapet" run --timeout 60 --log "$LOG" "$@" >/dev/null 2>>"$LOG.err"; }
