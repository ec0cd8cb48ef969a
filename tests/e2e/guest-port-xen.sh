#!/usr/bin/env bash
# guest-port on the reference: Debian's Xen 4.17 boots kernel.elf as its first domain
# (dom0), the same binary Parapet runs, with the same checks. Xen halts instead of ending
# QEMU, so the log is watched and QEMU stopped. Skipped (77) without build/xen/xen-4.17.elf
# ("make test-xen" installs and unpacks it).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/guest-port.sh.inc"
XEN=$BUILD/xen/xen-4.17.elf
[[ -f $XEN ]] || { echo "no $XEN (make test-xen installs it)"; exit 77; }
: > "$LOG"
qemu-system-x86_64 -accel tcg -m 512 -cpu qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+x2apic \
  -display none -no-reboot -serial stdio -monitor none -kernel "$XEN" \
  -append "console=com1 dom0_mem=64M noreboot" -initrd "$BUILD/guest-port/kernel.elf pvops=xen" \
  > "$LOG" 2>> "$LOG.err" < /dev/null &
qemu=$!
deadline=$((SECONDS + 240))
until grep -qE 'Hardware Dom0 (halted|crashed|shutdown)|Domain 0 crashed|Panic on CPU' "$LOG"; do
  if ! kill -0 "$qemu" 2> /dev/null || [[ $SECONDS -ge $deadline ]]; then break; fi
  sleep 0.5
done
kill "$qemu" 2> /dev/null
wait "$qemu" 2> /dev/null
expect_line 'Hardware Dom0 halted'
expect_line '^guest-port: booted through the Xen PV entry, pvops=xen'
expect_line '^evtchn: a send on port [0-9]+ raised port [0-9]+'
expect_guest_port_run '(\((XEN|d0)\) )?'
