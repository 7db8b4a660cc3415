#!/usr/bin/env bash
# iCE40 area of kg_array (no DSPs) with and without key gating.
# Prints LUT and FF counts for KEYGATE=1 (fold at weight load, the default),
# KEYGATE=1 KEY_IN_PE=1 (XOR + carry-in in every PE) and KEYGATE=0, and the
# LUT ratios against KEYGATE=0.
# Usage: scripts/synth_array.sh [ROWS] [COLS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
R=${1:-4}; C=${2:-4}
srcs=$("$root"/scripts/rtl_files.sh rtl/array/kg_array.f | sed "s|^|$root/|" | tr '\n' ' ')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
run() {  # name params...
  local name=$1; shift
  local chp=""
  for kv in "$@"; do chp="$chp -set ${kv%%=*} ${kv#*=}"; done
  yosys -q -l "$tmp/$name.log" -p "read_verilog -sv $srcs; chparam $chp kg_array; synth_ice40 -top kg_array; tee -o $tmp/$name.stat stat" >/dev/null
  local luts ffs
  luts=$(awk '/SB_LUT4/ {s+=$2} END {print s+0}' "$tmp/$name.stat")
  ffs=$(awk '/SB_DFF/ {s+=$2} END {print s+0}' "$tmp/$name.stat")
  echo "$name $luts $ffs"
}
echo "kg_array ${R}x${C}, yosys synth_ice40 (no DSP):"
printf "%-28s %8s %8s\n" variant LUT4 FF
base=$(run keygate0 ROWS=$R COLS=$C KEYGATE=0)
fold=$(run keygate1_fold ROWS=$R COLS=$C KEYGATE=1 KEY_IN_PE=0)
inpe=$(run keygate1_in_pe ROWS=$R COLS=$C KEYGATE=1 KEY_IN_PE=1)
for l in "$base" "$fold" "$inpe"; do set -- $l; printf "%-28s %8s %8s\n" "$1" "$2" "$3"; done
bl=$(echo "$base" | awk '{print $2}')
fl=$(echo "$fold" | awk '{print $2}')
il=$(echo "$inpe" | awk '{print $2}')
awk -v b="$bl" -v f="$fl" -v i="$il" 'BEGIN {
  printf "LUT ratio KEYGATE=1 (fold at load) / KEYGATE=0: %.4f\n", f/b;
  printf "LUT ratio KEYGATE=1 (XOR in PE)    / KEYGATE=0: %.4f\n", i/b }'
