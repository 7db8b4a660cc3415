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
    r, run = load(f"{d}/{p}-kpa-aes256.json"), load(f"{d}/{p}-kpa-aes256.run.json")
    if r:
        rows.append(row(["padding-kpa", "Deep-Lock + sign, AES-256",
                         f"AES-256 key recovered, KCV {'matches' if r['kcv_ok'] else 'differs'}"
                         if r["success"] else f"no key: {r['reason']}",
                         f"{r['known_bytes']} known bytes, {r['derived_bytes']} schedule bytes derived",
                         secs(r["seconds"]), secs(run["wall_ms"] / 1000) if run else "-", "-"]))
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


SBEGIN = "<!-- SCHEMES-BEGIN (scripts/security_table.py writes this block) -->"
SEND = "<!-- SCHEMES-END -->"


def scheme_tables(d, p, model):
    """Per scheme: the papers' figures next to ours, from model p's results."""
    kpa, ctr = load(f"{d}/{p}-kpa-default.json"), load(f"{d}/{p}-kpa-ctr.json")
    cr, io = load(f"{d}/{p}-oracle-crafted.json"), load(f"{d}/{p}-oracle-io.json")
    ch, cs = load(f"{d}/{p}-default-chain.json"), load(f"{d}/{p}-ctr-shared-key.json")
    if not (kpa and ctr and cr and io):
        return []
    head = [row(["figure", "paper", f"ours ({model.upper()}, {cr['rows']}x{cr['cols']})"]),
            row(["---"] * 3)]
    after = lambda r: (f"{pct(r['acc_recovered'])} under the recovered key(s), "
                       f"{r['verify_agree']}/{r['verify_inputs']} outputs identical to the victim's device")
    out = ["**Sign key only (HPNN-style: crypt none + SIGN)**", ""] + head + [
        row(["right key", "<= 0.5% cost (HPNN)", f"{pct(cr['acc_device'])}, the int8 model's accuracy"]),
        row(["wrong key", "73.22-80.17% drop (HPNN)", f"{pct(cr['acc_no_key'])} with no sign key (all zero), a drop of "
             f"{100 * (cr['acc_device'] - cr['acc_no_key']):.2f} pp"]),
        row(["fine-tune", "recovers easily (HPNN)", "section 6"]),
        row(["key recovery, crafted layer", "- (not measured by the papers)",
             f"{cr['bits_correct']}/{cr['bits']} bits, {cr['queries']} layer run, {secs(cr['seconds'])}"]),
        row(["key recovery, I/O only", "broken by an I/O-oracle attack (Li et al., DAC 2024)",
             f"{io['bits_correct']}/{io['bits']} bits, {io['queries']} chosen inputs, {secs(io['seconds'])}"]),
        row(["after recovery", "-", after(io)]),
        row(["adversarial examples", "-", "section 6"]), "",
        "**Deep-Lock (crypt deeplock) and the default lock (Deep-Lock + sign key)**", ""] + head + [
        row(["key recovery from the file", "none published for the schedule inversion",
             (f"AES-128 key in {secs(kpa['seconds'])} from {kpa['padding_bytes']} padding bytes, "
              f"KCV checked" if kpa["success"] else "no key")]),
        row(["fine-tune", "no progress with 10% of the data (Deep-Lock)", "section 6"]),
        row(["opened, still sign-locked", "-", f"{pct(kpa.get('accuracy'))}"])]
    if ch:
        out.append(row(["default lock, both keys", "-",
                        f"AES key from the file, sign key from {ch['queries']} chosen inputs "
                        f"({secs(kpa['seconds'] + ch['seconds'])}): " + after(ch)]))
    out += ["", "**AES-CTR (crypt ctr, the secure mode) + sign key**", ""] + head + [
        row(["key recovery from the file", "-",
             "key recovered" if ctr["success"] else f"no key: {ctr['ks_learnt']} keystream bytes at the padding"]),
        row(["sign key", "-", "falls to the crafted layer as above; the weights stay encrypted"])]
    if cs:
        out.append(row(["same key file as a Deep-Lock model", "-",
                        "the Deep-Lock file's AES key opens it: " + after(cs)]))
    return out + [""]


def replace_block(doc, begin, end, block, path):
    if begin not in doc or end not in doc:
        sys.exit(f"{path}: the markers {begin!r} are missing")
    head, rest = doc.split(begin, 1)
    _, tail = rest.split(end, 1)
    return head + block + tail


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dir", required=True)
    ap.add_argument("--doc", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--geometry", required=True)
    ap.add_argument("--seed", required=True)
    ap.add_argument("--queries", required=True)
    ap.add_argument("--seconds", type=int, required=True)
    a = ap.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = [BEGIN, "",
           f"Generated {now} by `make security` (`scripts/security.sh`): models {a.models}, "
           f"sign-key geometry {a.geometry}, fresh keys from /dev/urandom, attack seed {a.seed}, "
           f"{a.queries} I/O queries per search, accuracies on the first N Fashion-MNIST "
           f"test images (N per model below), back-end `model` (bit-exact with the RTL). Last run: "
           f"{a.seconds} s wall time, model training excluded when cached. 'Attack time' is the attack alone; "
           f"'wall' adds the victim's setup and the verification runs.", ""]
    for m in a.models.split():
        p = f"{m}-{a.geometry}"
        rows = model_rows(a.dir, p)
        if not rows:
            continue
        crafted = load(f"{a.dir}/{p}-oracle-crafted.json") or {}
        n = crafted.get("verify_inputs", "?")
        out += [f"**{m.upper()}** (N = {n})", "",
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
    first = a.models.split()[0]
    schemes = "\n".join([SBEGIN, ""] + scheme_tables(a.dir, f"{first}-{a.geometry}", first) + [SEND])
    with open(a.doc) as f:
        doc = f.read()
    doc = replace_block(doc, BEGIN, END, block, a.doc)
    doc = replace_block(doc, SBEGIN, SEND, schemes, a.doc)
    with open(a.doc, "w") as f:
        f.write(doc)
    print(schemes)
    print(block)


if __name__ == "__main__":
    main()
