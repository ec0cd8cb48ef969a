#!/usr/bin/env bash
# new-test.sh: scaffold a guest test. Creates tests/NAME/main.c (header comment to fill
# in, a subtest table, test_main) and tests/NAME/test.conf, then prints the one line
# to add to tests/Kbuild. It never edits Kbuild itself: that line is a visible diff.
#
#   tests/new-test.sh [--category functional|adversarial|selftest|e2e] NAME
set -euo pipefail

tests_dir=$(cd "$(dirname "$0")" && pwd)
category=functional
usage() { sed -n '2,6p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

while [[ $# -gt 0 ]]; do
  case $1 in
    --category) category=${2:?--category needs a value}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "new-test: unknown option '$1'" >&2; usage ;;
    *) break ;;
  esac
done
[[ $# -eq 1 ]] || usage
name=$1

case $category in functional|adversarial|selftest|e2e) ;;
  *) echo "new-test: category '$category' is not functional, adversarial, selftest or e2e" >&2; exit 2 ;;
esac
if [[ ! $name =~ ^[a-z0-9][a-z0-9-]*$ ]]; then
  echo "new-test: '$name' must be lower-case letters, digits and dashes (e.g. hc-set-gdt)" >&2
  exit 2
fi
dir=$tests_dir/$name
if [[ -e $dir ]]; then echo "new-test: $dir already exists" >&2; exit 1; fi
if grep -qE "^tests-y \+= $name\$" "$tests_dir/Kbuild"; then
  echo "new-test: tests/Kbuild already lists $name" >&2; exit 1
fi

mkdir -p "$dir"
cat > "$dir/main.c" <<EOF
/*
 * $name: <one line: the behaviour under test>.
 *
 * Checks: <what exactly is compared with what; cite the ABI source (xen/include/public/...,
 * docs/abi/...)>.
 * How: <the hypercalls or instructions issued, and how the outcome is observed>.
 * Cannot detect: <what a wrong hypervisor could still get away with>.
 */
#include "test.h"

const char test_title[] = "$name: <title>";

static void test_example(void)
{
    /* Replace with a real check; record problems with test_failure("..."). */
    if (HYPERVISOR_xen_version(XENVER_version, 0) < 0)
        test_failure("xen_version(XENVER_version) failed");
}

static const struct {
    const char *name;
    void (*fn)(void);
} cases[] = {
    { "example", test_example },
};

void test_main(void)
{
    unsigned int i;

    for (i = 0; i < ARRAY_SIZE(cases); i++) {
        printk("Test: %s\\n", cases[i].name);
        cases[i].fn();
    }
    test_success();
}
EOF

cat > "$dir/test.conf" <<EOF
# Options of tests/$name for tests/run-tests.sh (see tests/README.md). All optional.
CATEGORY=$category
# CMDLINE="key=value flag"
# TIMEOUT=60
# AFTER=hello                   # boot this guest after; it must report SUCCESS too
# EXPECT_CRASH='reason regex'   # the hypervisor must crash d1 ("[parapet] d1 crashed: ...")
# EXPECT_STATUS=3               # expected scripts/parapet exit status
EOF

echo "created tests/$name/main.c and tests/$name/test.conf; add this line to tests/Kbuild:"
echo "tests-y += $name"
