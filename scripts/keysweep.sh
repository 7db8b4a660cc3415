#!/usr/bin/env bash
# make keysweep: Fashion-MNIST accuracy against the number of wrong sign-key
# bits on the functional model back-end, drawn with gnuplot (docs/results.md).
#   scripts/keysweep.sh [BUILD_DIR] [TRIALS]     environment: MODEL, COUNT, DATA
# Uses the demo's cached int8 model (runs the training/quantize steps if absent).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-build}"
TRIALS="${2:-5}"
MODEL="${MODEL:-mlp}"
COUNT="${COUNT:-10000}"
. "$here/demo_common.sh"
mkdir -p "$here/../docs/img"
ensure_model
run "$KG" keygen --out "$D/sweep.kgk" --force
run "$BUILD/host/demo/kg_keysweep" --model "$D/$MODEL.kgq" --keys "$D/sweep.kgk" \
    --out "$D/keysweep-$MODEL.dat" --data "$DATA" --count "$COUNT" --trials "$TRIALS"
out="$here/../docs/img/key_sensitivity_$MODEL.svg"
run gnuplot -e "datafile='$D/keysweep-$MODEL.dat'; outfile='$out'" "$here/plot_keysweep.gp"
echo "wrote $out"
