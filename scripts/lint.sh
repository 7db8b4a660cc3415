#!/usr/bin/env bash
# verilator --lint-only -Wall on every RTL module, each as its own top, over
# the files of the RTL manifests (rtl/**/*.f, read by scripts/rtl_files.sh).
# Every file under rtl/ holds exactly one module named after the file, and
# every one must be listed in some manifest: a file no manifest lists is an
# error (it would be linted, synthesized and simulated by nothing).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
shopt -s globstar nullglob
srcs_txt=$(scripts/rtl_files.sh --all | sort -u)
incs_txt=$(scripts/rtl_files.sh --incdirs --all | sort -u | sed 's/^/-I/')
mapfile -t srcs <<< "$srcs_txt"
mapfile -t incs <<< "$incs_txt"
fail=0; n=0
for f in rtl/**/*.v; do
  if ! printf '%s\n' "${srcs[@]}" | grep -qxF "$f"; then
    echo "lint: $f is in no RTL manifest (rtl/**/*.f)"; fail=1
  fi
done
for f in "${srcs[@]}"; do
  top=$(basename "$f" .v)
  n=$((n+1))
  if ! out=$(verilator --lint-only -Wall "${incs[@]}" --top-module "$top" "${srcs[@]}" 2>&1); then
    echo "lint: $top FAILED"; echo "$out"; fail=1
  fi
done
if [[ $fail -ne 0 ]]; then echo "lint: failures"; exit 1; fi
echo "lint: $n modules clean under verilator -Wall"
