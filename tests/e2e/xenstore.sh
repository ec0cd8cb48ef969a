#!/usr/bin/env bash
# The control domain's xenstored (guest-port init=xenstored, docs/xenstore.md) under the
# hypervisor option xenstore. Part 1: tests/xs-hostile as d1 attacks the store over its
# ring while the same binary with role=polite uses it as d2: both must succeed (every
# refusal as documented, the store serving throughout), the control domain prints one
# line per domain introduced and released (the hostile one's with its two ring errors
# and reconnections), and powers off once both have ended: exit status 0. Part 2:
# Debian's Linux as d1 beside the xenstored control domain: its xenbus connects (the
# store counts its requests and the nodes it wrote, no "XENBUS: Timeout") and linux/init
# still passes. Part 2 is skipped (77) only when scripts/fetch-linux.sh cannot fetch
# the kernel, after part 1 has passed.
. "$(dirname "$0")/lib.sh"
GP=$BUILD/guest-port/kernel.elf
XS=$BUILD/tests/xs-hostile.elf

# ---- part 1: a hostile client and a polite one ----
"$ROOT/scripts/parapet" run --timeout 300 --append "xenstore audit" --log "$LOG" \
  "$GP:dom.control init=xenstored" "$XS" "$XS:role=polite" >/dev/null 2>>"$LOG.err"
st=$?
[[ $st -eq 0 ]] || fail "hostile and polite clients: exit status $st, expected 0"
expect_line '^\(d0\) xenstored: serving the store as d0 '
expect_line '^\(d0\) xenstored: introduced d1 \(xs-hostile\.elf\): ring \(grant ref 1\) mapped, store port [0-9]+ bound'
expect_line '^\(d0\) xenstored: introduced d2 \(xs-hostile\.elf\)'
expect_line '^\(d1\)   domain 1 \(hostile\), server features 3'
expect_line '^\(d2\)   domain 2 \(polite\), server features 3'
expect_line '^\(d1\)   watches: [0-9]+ set, [0-9]+ refused E2BIG'
expect_line '^\(d1\)   a message of 4097 bytes: the store stopped the ring with error 3'
expect_line '^\(d1\)   a request index 1124 ahead: the store stopped the ring with error 2'
expect_line '^\(d1\) Test result: SUCCESS'
expect_line '^\(d2\) Test result: SUCCESS'
expect_line '^\(d0\) xenstored: released d1 \(xs-hostile\.elf\): [0-9]+ requests, [0-9]+ refused, .* ring error 2, 2 reconnects'
expect_line '^\(d0\) xenstored: released d2 \(xs-hostile\.elf\): [0-9]+ requests, [0-9]+ refused, .* ring error 0, 0 reconnects'
expect_line '^\(d0\) xenstored: every other domain has ended'
expect_no_line 'FAILURE|PANIC|crashed'
expect_line 'all domains ended: d0 poweroff, d1 poweroff, d2 poweroff;'
grep -E '^\(d[12]\)   (transactions|watches|flood|nodes|[0-9]+ requests)' "$LOG" | sed 's/^/  /'
grep -E '^\(d0\) xenstored: released' "$LOG" | sed 's/^/  /'

# ---- part 2: Linux's xenbus ----
if ! "$ROOT/scripts/fetch-linux.sh" >"$LOG.fetch" 2>&1; then
  echo "e2e $NAME: part 1 passed; part 2 skipped: Debian's kernel could not be fetched ($(tail -1 "$LOG.fetch"))" >&2
  exit 77
fi
cache=$BUILD/linux-cache
LOG=$LOGDIR/e2e-$NAME-linux.log
"$ROOT/scripts/parapet" run --timeout 400 --mem 1024 --append xenstore --log "$LOG" \
  "$GP:dom.control dom.mem=32 init=xenstored" \
  "$cache/vmlinux:dom.mem=512 dom.name=linux console=hvc0" --initrd "$cache/initramfs.cpio.gz" \
  >/dev/null 2>>"$LOG.err"
st=$?
[[ $st -eq 0 ]] || fail "Linux beside xenstored: exit status $st, expected 0"
expect_line '^\(d0\) xenstored: introduced d1 \(linux\)'
expect_line '^\(d1\) .*Linux version 6\.1\.'
expect_no_line 'XENBUS: Timeout'
expect_no_line 'XENBUS.*(error|failed)'
expect_line '^\(d1\) parapet-init: all steps passed, powering off'
expect_no_line 'parapet-init: .*FAILED'
line=$(grep -E '^\(d0\) xenstored: released d1 \(linux\)' "$LOG") || fail "no release line for Linux"
requests=$(sed -E 's/.*: ([0-9]+) requests.*/\1/' <<< "$line")
nodes=$(sed -E 's/.*, ([0-9]+) nodes.*/\1/' <<< "$line")
# Linux's xenbus reads its entries and sets watches (control/shutdown, memory/target,
# device, ...) and writes control/feature-*: the four directories it owns, and more.
[[ $requests -ge 10 ]] || fail "Linux made only $requests requests to the store"
[[ $nodes -gt 4 ]] || fail "Linux owns $nodes nodes: it wrote none of its own"
expect_line 'all domains ended: d0 poweroff, d1 poweroff;'
echo "  $line"
exit 0
