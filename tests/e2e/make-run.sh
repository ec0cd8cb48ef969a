#!/usr/bin/env bash
# What `make run` does: boot the default guest, which greets on the console and powers
# off; the launcher's exit status is 0.
. "$(dirname "$0")/lib.sh"
run_parapet "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '\[parapet\] 7/7 domains'
expect_line '^\(d1\) Hello from a Parapet test guest'
expect_line '^\(d1\) Test result: SUCCESS'
