#!/usr/bin/env bash
# make security: the attack lab on the Fashion-MNIST MLP and CNN that
# `make demo` trains (cached in BUILD/demo, see scripts/demo_common.sh), and
# the figures block of docs/security.md regenerated from the JSON it writes.
#
#   scripts/security.sh [BUILD_DIR]
#   environment: MODELS ("mlp cnn"), ROWS/COLS (sign-key geometry, default
#   the build's KG_ROWS x KG_COLS), COUNT (test images for accuracies, 10000),
#   SEED (attack input seed, 1), QUERIES (sign-oracle io queries, 64),
#   CHAINS (1: also the two-key chains per model; 0 skips them),
#   ML (1: also the fine-tuning thief, FGSM and PGD; 0 skips them),
#   TABLE_MODELS (models whose results the document shows, default MODELS;
#   earlier runs' results stay in BUILD/security), DOC (docs/security.md)
#
# Every attack runs on the functional model back-end ("model", bit-exact
# with the RTL); the crafted sign-oracle is repeated on the Verilated RTL
# when the build's geometry is the one attacked, as a spot check.
# Keys are fresh from /dev/urandom on every run; attack seeds are fixed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
BUILD="${1:-build}"
MODELS="${MODELS:-mlp cnn}"
COUNT="${COUNT:-10000}"
SEED="${SEED:-1}"
QUERIES="${QUERIES:-64}"
CHAINS="${CHAINS:-1}"
ML="${ML:-1}"
TABLE_MODELS="${TABLE_MODELS:-$MODELS}"
DOC="${DOC:-$here/../docs/security.md}"
cache_val() { sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"; }
BROWS="$(cache_val KG_ROWS)"; BCOLS="$(cache_val KG_COLS)"
ROWS="${ROWS:-${BROWS:-8}}"; COLS="${COLS:-${BCOLS:-8}}"
OUT="$BUILD/security"
mkdir -p "$OUT"
t_all=$(date +%s)

# Run one attack, keep its JSON and wall time; exit 1 (attack failed) is a
# result, not an error. Usage: attack NAME kgmac-attack-args...
attack() {
  local name=$1; shift
  echo "+ $KG attack $* --json" >&2
  local t0 t1 rc=0
  t0=$(date +%s%N)
  "$KG" attack "$@" --json > "$OUT/$name.json" || rc=$?
  t1=$(date +%s%N)
  if [[ $rc -gt 1 ]]; then echo "kgmac attack $1 failed with status $rc" >&2; exit 1; fi
  python3 -c 'import json,sys; print(json.dumps({"name": sys.argv[1], "exit": int(sys.argv[2]),
      "wall_ms": int(sys.argv[3]), "cmd": "kgmac attack " + " ".join(sys.argv[4:]) + " --json"}))' \
      "$name" "$rc" "$(( (t1 - t0) / 1000000 ))" "$@" > "$OUT/$name.run.json"
}

imgs=(--images "${DATA:-/usr/share/datasets/fashion-mnist}/t10k-images-idx3-ubyte.gz"
      --labels "${DATA:-/usr/share/datasets/fashion-mnist}/t10k-labels-idx1-ubyte.gz")
for MODEL in $MODELS; do
  . "$here/demo_common.sh"
  ensure_model
  K="$OUT/$MODEL-${ROWS}x${COLS}"
  run "$KG" keygen --rows "$ROWS" --cols "$COLS" --out "$K.kgk" --force
  # The locks: the default (Deep-Lock + sign), CTR + sign, sign only.
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt deeplock --out "$K.kgm" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt ctr --out "$K-ctr.kgm" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt none --out "$K-sign.kgm" --force
  p="$MODEL-${ROWS}x${COLS}"
  # padding-kpa: the file alone.
  attack "$p-kpa-default" padding-kpa "$K.kgm" --out "$K-opened.kgm" --force "${imgs[@]}" --count "$COUNT"
  attack "$p-kpa-ctr" padding-kpa "$K-ctr.kgm"
  # sign-oracle: crafted layer, then I/O only on the sign-only file.
  attack "$p-oracle-crafted" sign-oracle --setting crafted --victim-keys "$K.kgk" \
      --model "$K-sign.kgm" "${imgs[@]}" --count "$COUNT"
  attack "$p-oracle-io" sign-oracle --setting io --victim-keys "$K.kgk" --model "$K-sign.kgm" \
      --queries "$QUERIES" --seed "$SEED" "${imgs[@]}" --count "$COUNT"
  # The default lock end to end: AES key from the file, then the sign key
  # through I/O queries on the victim's own Deep-Lock model.
  aes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("key",""))' \
        "$OUT/$p-kpa-default.json")
  # The same attack on AES-256 (Nk = 8).
  run "$KG" keygen --aes 256 --rows "$ROWS" --cols "$COLS" --out "$K-aes256.kgk" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K-aes256.kgk" --crypt deeplock \
      --out "$K-aes256.kgm" --force
  attack "$p-kpa-aes256" padding-kpa "$K-aes256.kgm"
  if [[ -n "$aes" && "$CHAINS" == 1 ]]; then
    attack "$p-default-chain" sign-oracle --setting io --victim-keys "$K.kgk" --model "$K.kgm" \
        --aes-key "$aes" --queries "$QUERIES" --seed "$SEED" "${imgs[@]}" --count "$COUNT"
    # The same key file's CTR model falls to the AES key the Deep-Lock file gave.
    attack "$p-ctr-shared-key" sign-oracle --setting io --victim-keys "$K.kgk" \
        --model "$K-ctr.kgm" --aes-key "$aes" --queries "$QUERIES" --seed "$SEED" \
        "${imgs[@]}" --count "$COUNT"
  fi
  # The fine-tuning thief and white-box adversarial examples (section 6):
  # JSON in BUILD/security, the fine-tuning plot in docs/img.
  if [[ "$ML" == 1 ]]; then
    run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt deeplock --no-sign \
        --out "$K-dl-only.kgm" --force
    run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt ctr --no-sign \
        --out "$K-ctr-only.kgm" --force
    run "$KG" lock --model "$D/$MODEL.kgq" --crypt none --no-sign --rows "$ROWS" --cols "$COLS" \
        --out "$K-plain.kgm" --force
    locked="$K-sign.kgm,$K-dl-only.kgm,$K-ctr-only.kgm,$K.kgm"
    attack "$p-finetune" finetune --kgm "$locked" --fractions 1,2,5,10 --epochs 10 --seed "$SEED"
    attack "$p-fgsm" fgsm --float-model "$D/$MODEL.kgf" --keys "$K.kgk" --kgm "$K-plain.kgm,$locked" \
        --count "$COUNT"
    attack "$p-pgd" pgd --float-model "$D/$MODEL.kgf" --keys "$K.kgk" --kgm "$K-plain.kgm,$locked" \
        --count "$COUNT"
    svg="$here/../docs/img/finetune.svg"
    [[ "$MODEL" == mlp ]] || svg="$here/../docs/img/finetune_$MODEL.svg"
    python3 "$here/finetune_dat.py" "$OUT/$p-finetune.json" > "$OUT/$p-finetune.dat"
    gnuplot -e "datafile='$OUT/$p-finetune.dat'; outfile='$svg'" "$here/plot_finetune.gp"
  fi
done

# Spot check on the Verilated RTL (the build's geometry): the crafted layer.
if [[ -n "$BROWS" && -n "$BCOLS" ]]; then
  R="$OUT/rtl-${BROWS}x${BCOLS}"
  run "$KG" keygen --rows "$BROWS" --cols "$BCOLS" --out "$R.kgk" --force
  attack "rtl-${BROWS}x${BCOLS}-oracle-crafted" sign-oracle --setting crafted \
      --victim-keys "$R.kgk" --backend rtl
fi

python3 "$here/security_table.py" --dir "$OUT" --doc "$DOC" --models "$TABLE_MODELS" \
    --geometry "${ROWS}x${COLS}" --seed "$SEED" --queries "$QUERIES" \
    --seconds $(( $(date +%s) - t_all ))
