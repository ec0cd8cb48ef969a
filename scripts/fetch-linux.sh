#!/usr/bin/env bash
# fetch-linux.sh: Debian's own Linux kernel and a busybox initramfs, for booting Linux as a
# PV guest (issue #5). Downloads the kernel package that linux-image-amd64 points at and
# busybox-static from Debian's archive into a cache, then derives:
#
#   build/linux-cache/vmlinuz             the bzImage as Debian ships it (dpkg-deb)
#   build/linux-cache/vmlinux             the ELF64 kernel inside it (what Parapet boots)
#   build/linux-cache/config              the kernel's .config
#   build/linux-cache/initramfs.cpio.gz   busybox-static + linux/init, cpio newc, gzip
#   build/linux-cache/kernel.txt          package, version, Xen notes, hypercall kind
#
#   scripts/fetch-linux.sh [--build DIR] [--refresh] [--deb FILE]
#
# --deb FILE uses that linux-image .deb instead of the archive's current one (e.g. an
# older kernel that calls through the hypercall page, which the archive no longer has);
# the derived files are remade from it (LINUX_DEB=FILE in the environment does the
# same, e.g. for `LINUX_DEB=... make test`). Without it, the newest cached one is used.
#
# The .deb files are reused when present (no network needed then); --refresh asks the
# archive for the current packages again. Derived files are remade when older than
# their inputs. One line per step; a failed download says what failed and what to do.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
refresh=0
deb=${LINUX_DEB:-}
while [[ $# -gt 0 ]]; do
  case $1 in
    --deb) deb=${2:?--deb needs a linux-image .deb}; shift 2 ;;
    --build) build=${2:?--build needs a directory}; shift 2 ;;
    --refresh) refresh=1; shift ;;
    -h|--help) sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
    *) echo "fetch-linux: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
cache=$build/linux-cache
mkdir -p "$cache"
py=${PYTHON:-python3}
helper=$here/scripts/linux-image.py

say() { echo "fetch-linux: $*" >&2; }
die() { say "$*"; exit 1; }

for tool in apt-get apt-cache dpkg-deb readelf "$py"; do
  command -v "$tool" >/dev/null || die "$tool is missing: this script needs a Debian host (apt, dpkg, binutils, python3)"
done

if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else sudo=(false); fi

# The package linux-image-amd64 depends on: the current kernel, e.g. linux-image-6.1.0-56-amd64.
kernel_package() {
  apt-cache depends linux-image-amd64 2>/dev/null |
    sed -n -E 's/^ *\|?Depends: (linux-image-[0-9][^ ]*-amd64)$/\1/p' | head -n 1
}

# fetch NAME GLOB: make sure one .deb of package NAME (matching GLOB) is in the cache.
fetch() {
  local name=$1 glob=$2 log=$cache/apt-get.log tmp
  if [[ $refresh -eq 0 ]] && compgen -G "$cache/$glob" >/dev/null; then return 0; fi
  tmp=$(mktemp -d "$cache/download.XXXXXX")
  # apt-get download writes into the current directory.
  if ! ( cd "$tmp" && apt-get download -o APT::Sandbox::User=root "$name" ) > "$log" 2>&1; then
    rm -rf "$tmp"
    # The reason is on the "E:" line after the URL (two spaces), else the log's last line.
    why=$(grep -m1 '^E: ' "$log" | sed -E 's/^E: (Failed to fetch [^ ]+ +)?//')
    die "cannot download $name from Debian's archive (${why:-$(tail -n 1 "$log")}); check the network and run 'apt-get update', or copy $name's .deb into $cache/ by hand (log: $log)"
  fi
  # shellcheck disable=SC2086  # $glob is a pattern: older versions of the package go
  rm -f "$cache"/$glob
  mv "$tmp"/*.deb "$cache"/
  rmdir "$tmp"
  say "downloaded $(basename "$(compgen -G "$cache/$glob" | head -n 1)")"
}

# ---- the packages ------------------------------------------------------------------------
have_kernel_deb=0
compgen -G "$cache/linux-image-*-amd64_*.deb" >/dev/null && have_kernel_deb=1
if [[ $refresh -eq 1 || $have_kernel_deb -eq 0 ]]; then
  pkg=$(kernel_package)
  if [[ -z $pkg ]]; then
    # Empty package lists (a fresh container): read them once.
    "${sudo[@]}" apt-get update -qq > "$cache/apt-get.log" 2>&1 || true
    pkg=$(kernel_package)
  fi
  [[ -n $pkg ]] || die "apt-cache does not know linux-image-amd64 (no network, or no Debian archive in the apt sources); run 'apt-get update', or copy a linux-image-*-amd64 .deb into $cache/ by hand"
  fetch "$pkg" "$pkg"_'*.deb'
fi
fetch busybox-static 'busybox-static_*.deb'

kernel_deb=$(compgen -G "$cache/linux-image-*-amd64_*.deb" | sort -V | tail -n 1)
if [[ -n $deb ]]; then
  [[ -f $deb ]] || die "--deb $deb: no such file"
  dpkg-deb --field "$deb" Package | grep -q '^linux-image-' || die "--deb $deb is not a linux-image package"
  kernel_deb=$deb
fi
# The derived files say which package they came from: another one remakes them.
source_mark=$cache/vmlinux.from
[[ -f $source_mark && $(cat "$source_mark") == "$(basename "$kernel_deb")" ]] || rm -f "$cache/vmlinux"
busybox_deb=$(compgen -G "$cache/busybox-static_*.deb" | head -n 1)

# stale OUT IN...: true when OUT is missing or older than one of IN.
stale() { local out=$1; shift; [[ ! -e $out ]] && return 0; local f; for f; do [[ $f -nt $out ]] && return 0; done; return 1; }

# ---- the kernel --------------------------------------------------------------------------
if stale "$cache/vmlinux" "$kernel_deb" "$helper"; then
  basename "$kernel_deb" > "$source_mark"
  x=$(mktemp -d "$cache/extract.XXXXXX")
  # Only ./boot of the package (vmlinuz, config); the modules are not needed yet.
  dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$x" ./boot
  vmlinuz=$(compgen -G "$x/boot/vmlinuz-*" | head -n 1) || true
  [[ -n $vmlinuz ]] || { rm -rf "$x"; die "$(basename "$kernel_deb") has no boot/vmlinuz-*"; }
  cp "$vmlinuz" "$cache/vmlinuz"
  cp "$(compgen -G "$x/boot/config-*" | head -n 1)" "$cache/config"
  rm -rf "$x"
  "$py" "$helper" vmlinux "$cache/vmlinuz" "$cache/vmlinux" >&2
fi

# Checks: an x86-64 ELF64 with Xen notes. readelf names few Xen note types, so the helper
# decodes them for kernel.txt.
readelf -h "$cache/vmlinux" | grep -q 'Class: *ELF64' || die "$cache/vmlinux is not ELF64"
readelf -h "$cache/vmlinux" | grep -q 'Machine: *Advanced Micro Devices X86-64' || die "$cache/vmlinux is not x86-64"
nxen=$(readelf -n "$cache/vmlinux" | grep -c -E '^ +Xen ' || true)
[[ $nxen -gt 0 ]] || die "$cache/vmlinux has no Xen ELF notes: Debian's kernel without CONFIG_XEN_PV?"
grep -q '^CONFIG_XEN_PV=y' "$cache/config" || die "the kernel's config has no CONFIG_XEN_PV=y"

if stale "$cache/kernel.txt" "$cache/vmlinux"; then
  {
    echo "package: $(basename "$kernel_deb" .deb)"
    echo "release: $(dpkg-deb -f "$kernel_deb" Package | sed 's/^linux-image-//'), $(dpkg-deb -f "$kernel_deb" Version)"
    echo "Xen notes ($nxen):"
    "$py" "$helper" notes "$cache/vmlinux"
    echo "config: $(grep -E '^CONFIG_(XEN_PV|HVC_XEN|XEN_BLKDEV_FRONTEND|XEN_NETDEV_FRONTEND|KERNEL_XZ|SMP)=' "$cache/config" | tr '\n' ' ' | sed 's/ $//')"
  } > "$cache/kernel.txt"
fi

# ---- the initramfs -----------------------------------------------------------------------
if stale "$cache/busybox" "$busybox_deb"; then
  x=$(mktemp -d "$cache/extract.XXXXXX")
  dpkg-deb -x "$busybox_deb" "$x"
  cp "$x/bin/busybox" "$cache/busybox"
  rm -rf "$x"
fi
if stale "$cache/initramfs.cpio.gz" "$cache/busybox" "$here/linux/init" "$helper"; then
  "$py" "$helper" initramfs "$cache/busybox" "$here/linux/init" "$cache/initramfs.cpio.gz" >&2
fi

say "$(sed -n 2p "$cache/kernel.txt" | sed 's/^release: //'): $cache/vmlinux ($(grep 'hypercalls:' "$cache/kernel.txt" | sed 's/.*hypercalls: *//' | cut -d' ' -f1-2)), $cache/initramfs.cpio.gz"
