#!/usr/bin/env bash
# desc_layout_single_source: the descriptor layout has one source, the
# register map JSON. Moves descriptor fields in a copy of it
# (shift_fields.py), regenerates kg_regs.h / kg_regs.vh from the copy into a
# scratch folder (gen_regs.py --json --outdir), builds kg_top, kgpack, the
# kg_top harness and kgmodel against them there (CMakeLists.txt here; -O1,
# iterative cipher) and runs desc_layout_test.
# Usage: run_test.sh <scratch dir> [<python3>]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
[[ $# -ge 1 ]] || { echo "desc_layout: usage: run_test.sh <scratch dir> [<python3>]" >&2; exit 2; }
work="$1"
py="${2:-python3}"
mkdir -p "$work"
"$py" "$here/shift_fields.py" "$root/common/regs/kg_regs.json" "$work/kg_regs_shifted.json"
"$py" "$root/common/regs/gen_regs.py" --json "$work/kg_regs_shifted.json" --outdir "$work/gen" > /dev/null
regs="$work/gen/common/regs/include"
if cmp -s "$regs/kgmac/kg_regs.h" "$root/common/regs/include/kgmac/kg_regs.h"; then
  echo "desc_layout: FAIL the shifted map generated the same kg_regs.h"; exit 1
fi
gen=()
command -v ninja > /dev/null && gen=(-G Ninja)
cmake -S "$here" -B "$work/build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release \
  -DKG_SRC="$root" -DKG_SCRATCH_REGS="$regs" -DKG_VERILATED_OPT=-O1 > "$work/configure.log" 2>&1 ||
  { tail -30 "$work/configure.log"; echo "desc_layout: FAIL scratch configure"; exit 1; }
cmake --build "$work/build" -j2 --target desc_layout_test > "$work/build.log" 2>&1 ||
  { grep -m 20 -B2 -A8 "error" "$work/build.log" || tail -30 "$work/build.log"; echo "desc_layout: FAIL scratch build"; exit 1; }
"$work/build/desc_layout_test"
