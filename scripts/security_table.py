#!/usr/bin/env python3
"""Regenerate the figures block of docs/security.md from the JSON files that
scripts/security.sh writes (one kgmac attack --json result and one run record
per attack). The block sits between the FIGURES-BEGIN and FIGURES-END marker
comments; everything else in the document is left as it is."""
import argparse
import datetime
import json
import os
import sys

BEGIN = "<!-- FIGURES-BEGIN (scripts/security_table.py writes this block) -->"
END = "<!-- FIGURES-END -->"


def load(path):
    try:
        with open(path) as f:
            text = f.read().strip()
        return json.loads(text) if text else None
    except (OSError, ValueError):
        return None


def pct(x):
    return "-" if x is None else f"{100.0 * x:.2f}%"


def secs(x):
    return "-" if x is None else (f"{x * 1000:.1f} ms" if x < 1 else f"{x:.2f} s")


def row(cells):
    return "| " + " | ".join(str(c) for c in cells) + " |"


def model_rows(d, p):
    rows = []
    r, run = load(f"{d}/{p}-kpa-default.json"), load(f"{d}/{p}-kpa-default.run.json")
    if r:
        outcome = (f"AES-{4 * len(r['key'])} key `{r['key']}`, KCV {'matches' if r['kcv_ok'] else 'differs'}"
                   if r["success"] else f"no key: {r['reason']}")
        rows.append(row(["padding-kpa", "default lock (Deep-Lock + sign)", outcome,
                         f"{r['known_bytes']} known bytes (padding {r['padding_bytes']}), "
                         f"{r['derived_bytes']} schedule bytes derived, {r['candidates']} KCV check(s)",
                         secs(r["seconds"]), secs(run["wall_ms"] / 1000) if run else "-",
                         f"opened model {pct(r.get('accuracy'))} (sign lock still on, zero sign key)"]))
    r, run = load(f"{d}/{p}-kpa-ctr.json"), load(f"{d}/{p}-kpa-ctr.run.json")
    if r:
        rows.append(row(["padding-kpa", "CTR + sign", "key recovered" if r["success"] else
                         f"no key; {r['ks_learnt']} keystream bytes learnt",
                         f"{r['known_bytes']} known bytes", secs(r["seconds"]),
                         secs(run["wall_ms"] / 1000) if run else "-", "-"]))
    for name, target in (("oracle-crafted", "sign only, crafted layer"),
                         ("oracle-io", "sign only, I/O only"),
                         ("default-chain", "default lock: padding-kpa key, then I/O only"),
                         ("ctr-shared-key", "CTR + sign, same key file: the Deep-Lock file's "
                                            "AES key, then I/O only")):
        r, run = load(f"{d}/{p}-{name}.json"), load(f"{d}/{p}-{name}.run.json")
        if not r:
            continue
        cost = (f"{r['queries']} layer run" if "crafted" in name else
                f"{r['queries']} chosen inputs, {r['hypotheses']} hypotheses, "
                f"{r['sweeps']} passes, {r['restarts']} restarts")
        acc = "-"
        if "acc_recovered" in r:
            acc = (f"{pct(r['acc_recovered'])} recovered key vs {pct(r['acc_device'])} right key "
                   f"({r['verify_agree']}/{r['verify_inputs']} outputs identical; "
                   f"{pct(r['acc_no_key'])} without the sign key)")
        rows.append(row(["sign-oracle", target,
                         f"{r['bits_correct']}/{r['bits']} bits right ({r['bits_decided']} decided)",
                         cost, secs(r["seconds"]), secs(run["wall_ms"] / 1000) if run else "-", acc]))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--geometry", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--count", required=True)
    ap.add_argument("--seconds", type=int, required=True)
    a = ap.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "",
           f"Generated {now} by `make security` (`scripts/security.sh`): models {a.models}, "
           f"sign-key geometry {a.geometry}, fresh keys from /dev/urandom, attack seed {a.seed}, "
           f"{a.queries} I/O queries per search, accuracies on the first {a.count} Fashion-MNIST "
           f"test images, back-end `model` (bit-exact with the RTL). Whole run: {a.seconds} s "
           f"wall time, model training excluded when cached. 'Attack time' is the attack alone; "
           f"'wall' adds the victim's setup and the verification runs.", ""]
    for m in a.models.split():
        p = f"{m}-{a.geometry}"
        rows = model_rows(a.dir, p)
        if not rows:
            continue
        out += [f"**{m.upper()}**", "",
                row(["attack", "target", "outcome", "cost", "attack time", "wall", "accuracy"]),
                row(["---"] * 7)] + rows + [""]
        for r in sorted(os.listdir(a.dir)):
            if r.startswith(p) and r.endswith(".run.json"):
                run = load(os.path.join(a.dir, r))
                if run:
                    out.append(f"- `{run['cmd']}` (exit {run['exit']})")
        out.append("")
    rtl = [f for f in sorted(os.listdir(a.dir)) if f.startswith("rtl-") and
           f.endswith("-oracle-crafted.json")]
    for f in rtl:
        r, run = load(os.path.join(a.dir, f)), load(os.path.join(a.dir, f[:-5] + ".run.json"))
        if r and run:
            out.append(f"RTL spot check ({r['rows']}x{r['cols']} Verilated kg_top, `{run['cmd']}`): "
                       f"crafted layer, {r['bits_correct']}/{r['bits']} bits right in "
                       f"{r['queries']} layer run, {secs(r['seconds'])}.")
            out.append("")
    out.append(END)
    block = "\n".join(out)
    with open(a.doc) as f:
        doc = f.read()
    if BEGIN not in doc or END not in doc:
        sys.exit(f"{a.doc}: the figure markers are missing")
    head, rest = doc.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    with open(a.doc, "w") as f:
        f.write(head + block + tail)
    print(block)


if __name__ == "__main__":
    main()
