#!/usr/bin/env bash
# make demo: Fashion-MNIST end to end on the cycle-accurate RTL (README.md).
#
#   scripts/demo.sh [BUILD_DIR]          environment: MODEL=mlp|cnn, COUNT, JOBS, CLOCK_MHZ
#
# Trains the float model once (cached in BUILD_DIR/demo), quantizes it to
# int8, generates keys, locks the model (sign key + Deep-Lock), then runs
# the test set on the Verilated kg_top (back-end "rtl") for five cases and
# prints one table. Every step is a plain `kgmac` command, echoed as it runs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-build}"
MODEL="${MODEL:-mlp}"
COUNT="${COUNT:-10000}"
JOBS="${JOBS:-$(nproc)}"
CLOCK_MHZ="${CLOCK_MHZ:-100}"
. "$here/demo_common.sh"
t0=$(date +%s)

# 1. Float model (cached: kgmac train keeps an existing file), int8 model.
ensure_model

# 2. Keys: the right ones, a wrong sign key (right AES key), a wrong AES
#    key (right sign key). Fresh on every run.
run "$KG" keygen --out "$D/right.kgk" --force
run "$KG" keygen --wrong-sign-from "$D/right.kgk" --out "$D/wrong-sign.kgk" --force
run "$KG" keygen --wrong-aes-from "$D/right.kgk" --out "$D/wrong-aes.kgk" --force

# 3. The locked model, and the unprotected int8 model in the same format.
run "$KG" lock --model "$D/$MODEL.kgq" --keys "$D/right.kgk" --crypt deeplock \
    --out "$D/$MODEL.kgm" --force
run "$KG" lock --model "$D/$MODEL.kgq" --crypt none --no-sign --out "$D/$MODEL-plain.kgm" --force
run "$KG" inspect "$D/$MODEL.kgm"

# 4. Five cases on the RTL.
common=(--backend rtl --images "$DATA/t10k-images-idx3-ubyte.gz"
        --labels "$DATA/t10k-labels-idx1-ubyte.gz" --count "$COUNT" --jobs "$JOBS"
        --float-model "$D/$MODEL.kgf" --json)
infer() {  # name model keys policy
  local name=$1 model=$2 keys=$3 policy=$4 kargs=()
  [[ -n "$keys" ]] && kargs=(--keys "$keys" --policy "$policy")
  local out="$D/$MODEL-$name"
  rm -f "$out.preds"   # a stale file from an earlier run must never pass a check
  echo "+ $KG infer --model $model ${kargs[*]} ${common[*]} --preds $out.preds" >&2
  "$KG" infer --model "$model" "${kargs[@]}" "${common[@]}" --preds "$out.preds" \
      > "$out.json" || true   # case 4 is meant to fail; the table reports it
}
infer right        "$D/$MODEL.kgm"       "$D/right.kgk"      refuse
infer wrong-sign   "$D/$MODEL.kgm"       "$D/wrong-sign.kgk" refuse
infer wrong-aes-run "$D/$MODEL.kgm"      "$D/wrong-aes.kgk"  run
infer wrong-aes-refuse "$D/$MODEL.kgm"   "$D/wrong-aes.kgk"  refuse
infer unlocked     "$D/$MODEL-plain.kgm" ""                  ""

# 5. The functional model must agree with the RTL on every prediction.
rm -f "$D/$MODEL-model-right.preds"
echo "+ $KG infer --model $D/$MODEL.kgm --keys $D/right.kgk --backend model ..." >&2
"$KG" infer --model "$D/$MODEL.kgm" --keys "$D/right.kgk" --backend model \
    --images "$DATA/t10k-images-idx3-ubyte.gz" --labels "$DATA/t10k-labels-idx1-ubyte.gz" \
    --count "$COUNT" --json --preds "$D/$MODEL-model-right.preds" > "$D/$MODEL-model-right.json"

python3 "$here/demo_table.py" --dir "$D" --model "$MODEL" --clock-mhz "$CLOCK_MHZ" \
    --seconds $(( $(date +%s) - t0 ))
