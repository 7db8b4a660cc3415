# Sourced by scripts/demo.sh and scripts/keysweep.sh: paths, the echoing
# runner, and the cached float -> int8 model of $MODEL in $D.
# Needs BUILD and MODEL set; sets KG, D, DATA.
DATA="${DATA:-/usr/share/datasets/fashion-mnist}"
KG="$BUILD/host/kgmac"
D="$BUILD/demo"
mkdir -p "$D"
case "$MODEL" in mlp|cnn) ;; *) echo "kgmac: MODEL must be mlp or cnn, not '$MODEL'" >&2; exit 2;; esac

run() { echo "+ $*" >&2; "$@"; }

# Train once (kgmac train keeps an existing file), quantize when stale.
ensure_model() {
  run "$KG" train --model "$MODEL" --out "$D/$MODEL.kgf" --data "$DATA"
  if [[ ! -s "$D/$MODEL.kgq" || "$D/$MODEL.kgf" -nt "$D/$MODEL.kgq" ]]; then
    run "$KG" quantize --in "$D/$MODEL.kgf" --out "$D/$MODEL.kgq" --data "$DATA"
  fi
}
