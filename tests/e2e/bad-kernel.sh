#!/usr/bin/env bash
# A boot module that is not a PV kernel is refused with one line saying why, and the
# next domain still runs; the exit status says a domain did not start (3).
. "$(dirname "$0")/lib.sh"
bogus="$LOGDIR/not-a-kernel.bin"
printf 'this is not an ELF file\n' > "$bogus"
run_parapet "$bogus" "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3"
expect_line '\[parapet\] module 0 \(not-a-kernel.bin\): cannot build the domain: .*(ELF|elf)'
expect_line '^\(d1\) Test result: SUCCESS'
expect_line 'all domains ended: module 0 not built, d1 poweroff'
