#!/usr/bin/env bash
# Debian's own Linux kernel (linux-image-amd64, fetched from Debian's archive once and
# cached by scripts/fetch-linux.sh) boots on Parapet as domain 1 beside a control domain,
# reaches /init of the busybox initramfs, runs linux/init's steps (proc and sys, uname,
# cpuinfo/meminfo, date and sleep against uptime, 300 fork/exec/exit, a loop of 160 MiB
# mappings, a tmpfs checksum) and powers off: exit status 0. The invariant auditor runs
# as in every test, sampled (a full recount after every 1000th hypercall: Linux makes
# hundreds of thousands). Skips (77) only when the kernel cannot be fetched (no package
# archive), saying so.
. "$(dirname "$0")/lib.sh"
if ! "$ROOT/scripts/fetch-linux.sh" >"$LOG.fetch" 2>&1; then
  echo "e2e $NAME: skipped: Debian's kernel could not be fetched ($(tail -1 "$LOG.fetch"))" >&2
  exit 77
fi
cache=$BUILD/linux-cache
"$ROOT/scripts/parapet" run --timeout 400 --mem 1024 --log "$LOG" --append "audit audit_every=1000" \
  "$BUILD/guest-port/kernel.elf:dom.control dom.mem=16" \
  "$cache/vmlinux:dom.mem=512 dom.name=linux console=hvc0" --initrd "$cache/initramfs.cpio.gz" \
  >/dev/null 2>>"$LOG.err"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\[parapet\] d0: kernel.elf started as the control domain'
expect_line '^\[parapet\] d1: linux started, 512 MiB, .*, with a ramdisk'
expect_line '^\(d1\) .*Linux version 6\.1\.'
expect_line '^\(d1\) parapet-init: /init reached'
for step in mounts uname cpuinfo-meminfo date-sleep fork-exec mmap-loop tmpfs; do
  expect_line "^\(d1\) parapet-init: $step: ok"
done
expect_no_line 'parapet-init: .*FAILED'
expect_line '^\(d1\) parapet-init: all steps passed, powering off'
expect_line '^\[parapet\] d1: refused with -ENOSYS: .*event_channel_op/init_control'
expect_line '^\[parapet\] d1 shutdown: poweroff'
expect_line 'all domains ended: d0 poweroff, d1 poweroff;'
expect_line 'audit: checking .* \(every 1000th hypercall\)'
expect_no_line 'AUDIT FAILED|not audited'
exit 0
