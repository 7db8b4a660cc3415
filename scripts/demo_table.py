#!/usr/bin/env python3
"""Print the `make demo` table from the JSON that `kgmac infer --json` wrote
for each case (scripts/demo.sh), and check the demo's acceptance rules."""
import argparse
import json
import os
import sys

CASES = [
    ("right", "1. right keys"),
    ("wrong-sign", "2. wrong sign key (right AES)"),
    ("wrong-aes-run", "3. wrong AES key, policy run"),
    ("wrong-aes-refuse", "4. wrong AES key, policy refuse"),
    ("unlocked", "5. unlocked int8 model"),
]


def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else {}
    except (OSError, ValueError) as e:
        return {"error": str(e)}


def preds(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def pct(x):
    return "-" if x is None else f"{100.0 * x:.2f}%"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--clock-mhz", type=float, default=100.0)
    ap.add_argument("--seconds", type=int, default=0)
    a = ap.parse_args()

    rows, res = [], {}
    for key, label in CASES:
        r = load(os.path.join(a.dir, f"{a.model}-{key}.json"))
        res[key] = r
        if r.get("refused") or "accuracy" not in r:
            what = "refused" if r.get("refused") else "failed"
            msg = r.get("message", r.get("error", "no result"))
            rows.append([label, f"{what}: {msg} (status {r.get('status')})", "", "", "", "", ""])
            continue
        cyc = r.get("cycles_per_inference")
        us = None if cyc is None else cyc / a.clock_mhz
        rows.append([
            label,
            pct(r.get("accuracy")),
            pct(r.get("float_agreement")),
            "-" if cyc is None else f"{cyc:,.0f}",
            "-" if us is None else f"{us:,.2f}",
            "-" if r.get("utilisation") is None else f"{r['utilisation']:.3f}",
            "-" if r.get("sim_cycles_per_second") is None
            else f"{r['sim_cycles_per_second'] / 1e6:.2f} M",
        ])

    right = res["right"]
    geom = right.get("geometry", "?")
    n = right.get("images", "?")
    print()
    print(f"kgmac Fashion-MNIST demo: model {a.model}, {n} test images, back-end rtl "
          f"(Verilated kg_top, {geom} array), Deep-Lock + sign key; "
          f"µs at a nominal {a.clock_mhz:g} MHz clock")
    hdr = ["case", "accuracy", "agrees w/ float", "cycles/inf", "µs/inf",
           "utilisation", "sim cycles/s"]
    w = [max(len(str(r[i])) for r in rows + [hdr]) for i in range(len(hdr))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)) + " |"
    print(line(hdr))
    print("|" + "|".join("-" * (x + 2) for x in w) + "|")
    for r in rows:
        print(line(r))

    # Acceptance checks.
    ok = True
    def check(cond, text):
        nonlocal ok
        ok &= bool(cond)
        print(("  ok    " if cond else "  FAIL  ") + text)
    print()
    pf = lambda key: preds(os.path.join(a.dir, f"{a.model}-{key}.preds"))
    pr, pu, pm = pf("right"), pf("unlocked"), pf("model-right")
    fa = right.get("float_accuracy")
    acc = right.get("accuracy")
    if fa is None or acc is None:
        check(False, "right keys: no accuracy to compare with the float model")
    else:
        check(fa - acc <= 0.010, f"int8 on RTL loses {100 * (fa - acc):.2f} pp vs float "
              f"{100 * fa:.2f}% (limit 1.0 pp)")
    check(pr is not None and pr == pu,
          "right keys: predictions identical to the unlocked int8 model on every image")
    check(pm is not None and pm == pr,
          "functional model back-end agrees with the RTL on every prediction")
    ws = res["wrong-sign"].get("accuracy")
    check(ws is not None and ws <= 0.20, f"wrong sign key: {pct(ws)} (limit 20%)")
    wa = res["wrong-aes-run"].get("accuracy")
    check(wa is not None and wa <= 0.12, f"wrong AES key, policy run: {pct(wa)} (limit 12%)")
    rf = res["wrong-aes-refuse"]
    check(bool(rf.get("refused")), "wrong AES key, policy refuse: refused "
          f"(status {rf.get('status')}: {rf.get('message', '?')})")
    if a.seconds:
        print(f"\ndemo wall time {a.seconds // 60} min {a.seconds % 60} s")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
