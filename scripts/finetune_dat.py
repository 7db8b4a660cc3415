#!/usr/bin/env python3
"""`kgmac attack finetune --json` -> the whitespace table scripts/plot_finetune.gp reads:
a header line (fraction, scratch, one name per thief), then one row per fraction
with accuracies in percent ("nan" for a run whose training diverged)."""
import json
import sys


def main():
    if len(sys.argv) != 2:
        print("usage: finetune_dat.py FINETUNE.json > FILE.dat", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1]) as f:
            r = json.load(f)
        names = [t["scheme"] + ("+search" if t["start"] == "sign-search" else "")
                 for t in r["thieves"]]
        rows = r["rows"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        print(f"finetune_dat.py: {sys.argv[1]}: {e}", file=sys.stderr)
        return 1
    pct = lambda a: "nan" if a is None else f"{100.0 * a:.2f}"
    print(" ".join(["fraction", "scratch"] + names))
    for row in rows:
        print(" ".join([f"{100.0 * row['fraction']:g}", pct(row["scratch"])] +
                       [pct(a) for a in row["thief"]]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
