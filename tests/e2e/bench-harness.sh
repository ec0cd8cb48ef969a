#!/usr/bin/env bash
# The harness of `make bench` (scripts/bench), without the guest side and without QEMU:
# tests/bench/test_bench.py parses recorded logs (tests/bench/fixtures/) and must fail when
# a column, an op or a line is missing or malformed, and boots stand-ins for the launcher
# and QEMU that replay them. Runs under Debian's /usr/bin/python3, as scripts/bench does.
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
[[ -x $py ]] || py=$(command -v python3) || { echo "no python3"; exit 77; }
"$py" -m unittest discover -s "$ROOT/tests/bench" -p 'test_*.py' -v > "$LOG" 2>&1 \
  || fail "tests/bench/test_bench.py failed"
expect_line '^OK'
exit 0
