#!/bin/sh
# The symbol table is generated from the first link pass; it is only right if the
# second pass put every text symbol at the same address. Fail the build otherwise.
a=$(nm -n "$1" | awk '$2 ~ /^[tT]$/ {print $1, $3}' | md5sum)
b=$(nm -n "$2" | awk '$2 ~ /^[tT]$/ {print $1, $3}' | md5sum)
[ "$a" = "$b" ] || { echo "symtab: text moved between link passes ($1 vs $2)" >&2; exit 1; }
