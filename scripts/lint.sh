#!/usr/bin/env bash
# verilator --lint-only -Wall on every RTL module, each as its own top.
# Every file under rtl/ holds exactly one module named after the file.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
incs=()
for d in $(find rtl -type d); do incs+=("-y" "$d" "-I$d"); done
incs+=("-Icommon/regs/include")
fail=0; n=0
for f in $(find rtl -name '*.v' | sort); do
  top=$(basename "$f" .v)
  n=$((n+1))
  if ! out=$(verilator --lint-only -Wall "${incs[@]}" --top-module "$top" "$f" 2>&1); then
    echo "lint: $top FAILED"; echo "$out"; fail=1
  fi
done
if [[ $fail -ne 0 ]]; then echo "lint: failures"; exit 1; fi
echo "lint: $n modules clean under verilator -Wall"
