#!/usr/bin/env bash
# The build's dependency step: checks that the host has what Parapet builds and runs
# with, and installs what is missing from Debian's archive (as root, or through sudo).
# One line per missing piece says what, why, and what was done about it.
set -euo pipefail

# command-or-file  debian-package  why
need=(
  "qemu-system-x86_64 qemu-system-x86 boots the hypervisor (make run, make test)"
  "/usr/include/xen/xen.h libxen-dev the Xen public ABI headers Parapet speaks"
  "/usr/include/cmocka.h libcmocka-dev runs the host unit tests"
  "gcc gcc compiles everything"
  "ld binutils links the hypervisor and the guests"
  "python3 python3 generates the ABI doc and checks the ABI table"
  "timeout coreutils bounds each test boot"
  "/usr/lib/python3/dist-packages/matplotlib/__init__.py python3-matplotlib draws the chart of make bench (bench.png)"
)

# --xen: also Debian's Xen 4.17 hypervisor, the reference for `make test-xen`.
if [[ ${1-} == --xen ]]; then
  need+=("/boot/xen-4.17-amd64.gz xen-hypervisor-4.17-amd64 the Xen 4.17 reference hypervisor (make test-xen)")
fi

missing_pkgs=()
for row in "${need[@]}"; do
  read -r what pkg why <<<"$row"
  if [[ $what == /* ]]; then [[ -e $what ]] && continue; else command -v "$what" >/dev/null && continue; fi
  echo "deps: $what is missing ($why); will install Debian package $pkg" >&2
  missing_pkgs+=("$pkg")
done
[[ ${#missing_pkgs[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -eq 0 ]]; then sudo=(); elif command -v sudo >/dev/null; then sudo=(sudo); else
  echo "deps: cannot install ${missing_pkgs[*]}: not root and no sudo. Run: apt-get install ${missing_pkgs[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null || true
if ! "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/tmp/parapet-deps.log 2>&1; then
  echo "deps: apt-get install ${missing_pkgs[*]} failed; see /tmp/parapet-deps.log" >&2
  exit 1
fi
echo "deps: installed ${missing_pkgs[*]}" >&2
