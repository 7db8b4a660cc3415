#!/usr/bin/env bash
# Icarus Verilog 11 (`iverilog -g2012`) elaborates every RTL module as its
# own top: the RTL stays inside the subset Verilator, Yosys and Icarus share.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
# Sources: every RTL manifest (rtl/**/*.f, scripts/rtl_files.sh).
srcs=$(scripts/rtl_files.sh --all | sort -u)
incs=$(scripts/rtl_files.sh --incdirs --all | sort -u | sed 's/^/-I/' | tr '\n' ' ')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0; n=0
for f in $srcs; do
  top=$(basename "$f" .v)
  n=$((n+1))
  if ! out=$(iverilog -g2012 $incs -s "$top" -o "$tmp/$top.vvp" $srcs 2>&1); then
    echo "iverilog: $top FAILED"; echo "$out" | head -20; fail=1
  fi
done
[[ $fail -eq 0 ]] || exit 1
echo "iverilog: $n modules elaborate under Icarus"
