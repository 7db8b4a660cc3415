#!/usr/bin/env bash
# Build the kgmac firmware for rv32imc and print its size report.
# Usage: scripts/fw_rv32.sh <output-dir>
# Produces <output-dir>/kg_fw.elf (+ .map); exits non-zero on any failure.
set -euo pipefail
out="${1:?usage: $0 <output-dir>}"
root="$(cd "$(dirname "$0")/.." && pwd)"
fw="$root/firmware"
CC="${KG_RV32_CC:-riscv64-unknown-elf-gcc}"
SIZE="${KG_RV32_SIZE:-riscv64-unknown-elf-size}"
command -v "$CC" >/dev/null || { echo "fw_rv32: $CC not found (Debian: gcc-riscv64-unknown-elf)" >&2; exit 1; }
command -v "$SIZE" >/dev/null || { echo "fw_rv32: $SIZE not found" >&2; exit 1; }

mkdir -p "$out/obj"
flags=(-march=rv32imc -mabi=ilp32 -ffreestanding -nostdlib -Os -std=c11
       -Wall -Wextra -Werror -ffunction-sections -fdata-sections -fstack-usage
       -I"$fw/include" -I"$fw/rv32" -I"$root/common/hal/include" -I"$root/common/regs/include")
objs=()
for src in "$fw"/src/*.c "$fw"/rv32/*.c "$fw"/rv32/start.S; do
  o="$out/obj/$(basename "${src%.*}").o"
  extra=()
  [[ "$(basename "$src")" == kg_mem.c ]] && extra=(-fno-builtin -fno-tree-loop-distribute-patterns)
  "$CC" "${flags[@]}" "${extra[@]}" -c "$src" -o "$o"
  objs+=("$o")
done
"$CC" -march=rv32imc -mabi=ilp32 -ffreestanding -nostdlib -Os -T "$fw/rv32/kg_fw.ld" \
  -Wl,-Map="$out/kg_fw.map" -Wl,--gc-sections \
  -Wl,-u,kg_fw_provision,-u,kg_fw_key_check,-u,kg_fw_verify,-u,kg_fw_auth_clear,-u,kg_fw_zeroize,-u,kg_fw_strstatus -o "$out/kg_fw.elf" "${objs[@]}" -lgcc
test -s "$out/kg_fw.elf"

# --gc-sections drops what nothing reaches; -u keeps the whole public API
# (main.c calls only init and the job runner), so the report is the full size.
echo "== kgmac firmware, rv32imc, -Os: $out/kg_fw.elf"
"$SIZE" "$out/kg_fw.elf"
echo "== per object (the firmware proper is kg_fw_*.o)"
"$SIZE" "${objs[@]}" | sed "s|$out/obj/||"
echo "== largest stack frames (bytes per function, -fstack-usage)"
cat "$out"/obj/*.su | sort -t$'\t' -k2 -n -r | head -6 | sed 's|^.*/||'
