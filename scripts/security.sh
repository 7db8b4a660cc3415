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
  # The locks: the default (CTR + sign, version 2: per-model keys, random
  # padding, authenticated), Deep-Lock + sign and sign only (version 2), and
  # the old default (Deep-Lock + sign, version 1: device keys, zero padding,
  # no tag) that only a device with legacy models allowed runs: the "before".
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --out "$K.kgm" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt deeplock --out "$K-dl.kgm" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt none --out "$K-sign.kgm" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K.kgk" --crypt deeplock --format 1 \
      --out "$K-v1.kgm" --force
  p="$MODEL-${ROWS}x${COLS}"
  # padding-kpa: the file alone; the harness then counts how many of the
  # padding bytes the attack assumed to be 0 really are (--victim-keys).
  attack "$p-kpa-v1" padding-kpa "$K-v1.kgm" --out "$K-opened.kgm" --force --victim-keys "$K.kgk" \
      "${imgs[@]}" --count "$COUNT"
  attack "$p-kpa-default" padding-kpa "$K.kgm" --victim-keys "$K.kgk"
  attack "$p-kpa-deeplock" padding-kpa "$K-dl.kgm" --victim-keys "$K.kgk"
  # The same attack on AES-256 (Nk = 8).
  run "$KG" keygen --aes 256 --rows "$ROWS" --cols "$COLS" --out "$K-aes256.kgk" --force
  run "$KG" lock --model "$D/$MODEL.kgq" --keys "$K-aes256.kgk" --crypt deeplock \
      --out "$K-aes256.kgm" --force
  attack "$p-kpa-aes256" padding-kpa "$K-aes256.kgm" --victim-keys "$K-aes256.kgk"
  # sign-oracle, crafted layer written straight into device memory: a device
  # that runs version-1 layers with its device keys (--legacy, the "before"),
  # the default device (refuse), and the default device under the run policy.
  attack "$p-oracle-crafted-legacy" sign-oracle --setting crafted --victim-keys "$K.kgk" --legacy
  attack "$p-oracle-crafted" sign-oracle --setting crafted --victim-keys "$K.kgk"
  attack "$p-oracle-crafted-run" sign-oracle --setting crafted --victim-keys "$K.kgk" --policy run
  # The crafted layer written over the victim's authenticated image after
  # VERIFY: a sign-only model, then the default lock.
  attack "$p-oracle-image-sign" sign-oracle --setting image --victim-keys "$K.kgk" \
      --model "$K-sign.kgm" "${imgs[@]}" --count "$COUNT"
  attack "$p-oracle-image-default" sign-oracle --setting image --victim-keys "$K.kgk" \
      --model "$K.kgm"
  # I/O only: the sign-only model (weights in clear: the HPNN baseline), and
  # the default lock, whose stored weights are ciphertext.
  attack "$p-oracle-io" sign-oracle --setting io --victim-keys "$K.kgk" --model "$K-sign.kgm" \
      --queries "$QUERIES" --seed "$SEED" "${imgs[@]}" --count "$COUNT"
  attack "$p-oracle-io-default" sign-oracle --setting io --victim-keys "$K.kgk" --model "$K.kgm" \
      --as-stored --queries "$QUERIES" --seed "$SEED"
  # The old default lock end to end: AES key from the file, then the sign
  # key through I/O queries on the victim's own version-1 model.
  aes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("key",""))' \
        "$OUT/$p-kpa-v1.json")
  if [[ -n "$aes" && "$CHAINS" == 1 ]]; then
    attack "$p-v1-chain" sign-oracle --setting io --victim-keys "$K.kgk" --model "$K-v1.kgm" \
        --legacy --aes-key "$aes" --queries "$QUERIES" --seed "$SEED" "${imgs[@]}" --count "$COUNT"
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
    locked="$K-sign.kgm,$K-dl-only.kgm,$K-ctr-only.kgm,$K-dl.kgm,$K.kgm"
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
  attack "rtl-${BROWS}x${BCOLS}-oracle-crafted-legacy" sign-oracle --setting crafted \
      --victim-keys "$R.kgk" --backend rtl --legacy
  attack "rtl-${BROWS}x${BCOLS}-oracle-crafted" sign-oracle --setting crafted \
      --victim-keys "$R.kgk" --backend rtl
fi

python3 "$here/security_table.py" --dir "$OUT" --doc "$DOC" --models "$TABLE_MODELS" \
    --geometry "${ROWS}x${COLS}" --seed "$SEED" --queries "$QUERIES" \
    --seconds $(( $(date +%s) - t_all ))
