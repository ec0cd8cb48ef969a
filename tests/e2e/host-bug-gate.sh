#!/usr/bin/env bash
# Static gate for invariant A30: the hypervisor may stop the machine (BUG_ON, panic,
# mm_bug) only where tests/e2e/host-bug-sites.allow says why no guest-controlled value
# reaches it. A new site fails until it is listed with its reason.
. "$(dirname "$0")/lib.sh"
cd "$ROOT"
allowed=$(grep -v '^#' tests/e2e/host-bug-sites.allow | awk -F' @@ ' 'NF == 3 { print $1 " @@ " $2 }')
found=$(grep -rnE 'BUG_ON\(|[^_a-z]panic\(|mm_bug\(' hypervisor --include=*.c |
        grep -vE '^[^:]+:[0-9]+:\s*(\*|//)|void (panic|mm_bug)\(' |
        sed -E 's/^([^:]+):[0-9]+:\s*(.*);\s*$/\1 @@ \2/')
[[ -n $found ]] || { echo "host-bug-gate: no site found at all: the search is broken" >&2; exit 1; }
status=0
while IFS= read -r site; do
  grep -qxF -- "$site" <<<"$allowed" && continue
  echo "host-bug-gate: '$site' is not in tests/e2e/host-bug-sites.allow (add it with the reason no guest reaches it)" >&2
  status=1
done <<<"$found"
exit $status
