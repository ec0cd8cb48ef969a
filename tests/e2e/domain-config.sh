#!/usr/bin/env bash
# Boot modules configure their domains: dom.control makes the privileged control domain
# (domain 0, SIF_PRIVILEGED|SIF_INITDOMAIN, console_io), dom.mem sizes a domain,
# dom.name names it, and the rest is the guest's command line. A bad option, a second
# control domain or an impossible size stops that module only, with one line saying
# why; the others run, and the exit status (3) and summary say which modules were not
# built.
. "$(dirname "$0")/lib.sh"
hello=$BUILD/tests/hello.elf

run_parapet "$hello:dom.control dom.mem=16 ctl" "$hello:dom.name=guest its args"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\[parapet\] d0: hello.elf started as the control domain, 16 MiB'
expect_line '^\[parapet\] d1: guest started, 32 MiB'
expect_line '^\(d0\)   flags +0x3 '
expect_line '^\(d0\)   nr_pages +4096 '
expect_line '^\(d0\)   command line +"ctl"'
expect_line '^\(d1\)   flags +0x0\s*$'
expect_line '^\(d1\)   command line +"its args"'
expect_line 'all domains ended: d0 poweroff, d1 poweroff;'

run_parapet "$hello:dom.control" "$hello:dom.control" "$hello:dom.bogus=1 x" \
            "$hello:dom.mem=100000" "$hello:dom.mem=8 fine"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3 (modules not built)"
expect_line "module 1 \('.*hello.elf dom.control'\): dom.control is given to more than one module"
expect_line "module 2 \('.*hello.elf dom.bogus=1 x'\): unknown domain option"
expect_line "module 3 \('.*hello.elf dom.mem=100000'\): dom.mem= wants a size in MiB"
expect_line '^\(d1\)   command line +"fine"'
expect_line 'all domains ended: d0 poweroff, module 1 not built, module 2 not built, module 3 not built, d1 poweroff;'
exit 0
