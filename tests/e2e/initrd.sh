#!/usr/bin/env bash
# A ramdisk given with --initrd (a boot module marked dom.initrd after its kernel's)
# reaches that domain, whole and unchanged: the guest's length and checksum match the
# file's; the domain beside it gets none; a dom.initrd module with no kernel before it
# is refused with one line. The ramdisk is not counted as a domain in the summary.
. "$(dirname "$0")/lib.sh"
rd="$LOGDIR/initrd-sample.bin"
head -c 200003 /dev/urandom > "$rd"
want=$(python3 -c 'import sys
s = 0
for b in open(sys.argv[1], "rb").read(): s = (s * 31 + b) % (1 << 64)
print(s)' "$rd")
run_parapet "$BUILD/tests/boot-initrd.elf" --initrd "$rd" "$BUILD/tests/boot-initrd.elf"
st=$?
[[ $st -eq 0 ]] || fail "exit status $st, expected 0"
expect_line '^\[parapet\] d1: boot-initrd.elf started, .*, with a ramdisk'
expect_line "^\(d1\)   ramdisk: 200003 bytes, checksum $want\s*$"
expect_line '^\(d2\)   no ramdisk given'
expect_line 'all domains ended: d1 poweroff, d2 poweroff;'
run_parapet "$rd:dom.initrd" "$BUILD/tests/hello.elf"
st=$?
[[ $st -eq 3 ]] || fail "exit status $st, expected 3 (a ramdisk with no kernel before it)"
expect_line "module 0 \('.*initrd-sample.bin dom.initrd'\): a dom.initrd module must follow the kernel module"
exit 0
