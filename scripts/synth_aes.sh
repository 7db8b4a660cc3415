#!/usr/bin/env bash
# Area of the AES engine: yosys synth_ice40 (LUT4 / FF / EBR) and synth_xilinx
# (LUT / FF / BRAM) for the configurations of docs/aes.md, "Area and throughput".
#
#   dl_lut     kg_weight_decrypt LANES=16 CTR_EN=0 SBOX_EBR=0  Deep-Lock unit, S-boxes in LUTs
#   dl_ebr     kg_weight_decrypt LANES=16 CTR_EN=0 SBOX_EBR=1  Deep-Lock unit, S-boxes in EBR
#   ciph_iter  kg_aes_cipher PIPELINED=0                       iterative cipher (+ round keys)
#   ciph_pipe  kg_aes_cipher PIPELINED=1                       pipelined cipher (+ round keys)
#   wd_iter    kg_weight_decrypt LANES=16 CIPHER_PIPELINED=0 SBOX_EBR=1   full unit (bypass,
#              Deep-Lock, CTR, KCV) with the iterative cipher
#
# Usage: scripts/synth_aes.sh [-j N] [config ...]   (default: all, 2 jobs)
# The pipelined cipher takes several minutes of yosys time.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
jobs=2
if [[ "${1:-}" == "-j" ]]; then jobs=$2; shift 2; fi
declare -A CFG=(
  [dl_lut]="kg_weight_decrypt LANES=16 CTR_EN=0 SBOX_EBR=0"
  [dl_ebr]="kg_weight_decrypt LANES=16 CTR_EN=0 SBOX_EBR=1"
  [ciph_iter]="kg_aes_cipher PIPELINED=0"
  [ciph_pipe]="kg_aes_cipher PIPELINED=1"
  [wd_iter]="kg_weight_decrypt LANES=16 CIPHER_PIPELINED=0 SBOX_EBR=1"
)
order=(dl_lut dl_ebr ciph_iter ciph_pipe wd_iter)
[[ $# -gt 0 ]] && order=("$@")
for n in "${order[@]}"; do
  [[ -n "${CFG[$n]:-}" ]] || { echo "synth_aes: unknown configuration '$n'" >&2; exit 2; }
done
srcs=$("$root"/scripts/rtl_files.sh rtl/aes/kg_weight_decrypt.f | sed "s|^|$root/|" | tr '\n' ' ')
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

synth_one() {  # name flow(ice40|xilinx)
  local name=$1 flow=$2
  set -- ${CFG[$name]}
  local top=$1; shift
  local chp=""
  for kv in "$@"; do chp="$chp -set ${kv%%=*} ${kv#*=}"; done
  local cmd
  if [[ $flow == ice40 ]]; then cmd="synth_ice40 -top $top"; else cmd="synth_xilinx -top $top -flatten"; fi
  if ! yosys -q -l "$tmp/$name.$flow.log" -p "read_verilog -sv $srcs; ${chp:+chparam $chp $top;} $cmd; select -assert-none t:\$dlatch t:\$_DLATCH_* t:LD*; tee -o $tmp/$name.$flow.stat stat" >/dev/null 2>&1; then
    echo "synth_aes: $name ($flow) FAILED" >&2; tail -20 "$tmp/$name.$flow.log" >&2; return 1
  fi
}
export -f synth_one
export srcs tmp
for n in "${order[@]}"; do
  for f in ice40 xilinx; do echo "$n $f"; done
done | (
  # CFG is an associative array: hand it to the workers as text.
  decl=$(declare -p CFG)
  xargs -P "$jobs" -n 2 bash -c "$decl; $(declare -f synth_one); tmp='$tmp'; srcs='$srcs'; synth_one \"\$0\" \"\$1\""
)

count() {  # stat-file awk-regex
  awk -v re="$2" '$1 ~ re {s += $2} END {print s + 0}' "$1"
}
printf "%-10s %-58s | %7s %6s %4s | %7s %6s %5s\n" config "top parameters" "iCE40" "" "" "xilinx" "" ""
printf "%-10s %-58s | %7s %6s %4s | %7s %6s %5s\n" "" "" LUT4 FF EBR LUT FF BRAM
for n in "${order[@]}"; do
  i=$tmp/$n.ice40.stat; x=$tmp/$n.xilinx.stat
  printf "%-10s %-58s | %7s %6s %4s | %7s %6s %5s\n" "$n" "${CFG[$n]}" \
    "$(count "$i" '^SB_LUT4$')" "$(count "$i" '^SB_DFF')" "$(count "$i" '^SB_RAM40_4K')" \
    "$(count "$x" '^LUT[1-6]$')" "$(count "$x" '^FD[CPRSE]+$')" "$(count "$x" '^RAMB(18|36)E1$')"
done
