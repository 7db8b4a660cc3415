#!/usr/bin/env python3
"""Regenerate the figures block of docs/security.md from the JSON files that
scripts/security.sh writes (one kgmac attack --json result and one run record
per attack). The block sits between the FIGURES-BEGIN and FIGURES-END marker
comments; everything else in the document is left as it is. Per model it holds
the padding-kpa and sign-oracle results and, when their JSON exists (ML=1), the
fine-tuning thief and FGSM/PGD tables of section 6."""
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


def kpa_row(d, p, name, target, opened=False):
    r, run = load(f"{d}/{p}-{name}.json"), load(f"{d}/{p}-{name}.run.json")
    if not r:
        return None
    if r["success"]:
        outcome = (f"AES-{4 * len(r['key'])} key recovered, "
                   + ("KCV matches" if r.get("version", 1) < 2 else "explains every other known byte"))
    elif r["crypt"] == "ctr":
        outcome = f"no key ({r['ks_learnt']} bytes of assumed keystream, no key follows)"
    else:
        outcome = f"no key: {r['reason']}"
    pad = (f"{r['padding_zero']} of {r['padding_bytes']} padding bytes really 0"
           if "padding_zero" in r else f"{r['padding_bytes']} padding bytes")
    cost = f"{pad}; {r['derived_bytes']} schedule bytes derived, {r['candidates']} candidate key(s)"
    acc = f"opened model {pct(r.get('accuracy'))} (sign lock still on)" if opened else "-"
    return row(["padding-kpa", target, outcome, cost, secs(r["seconds"]),
                secs(run["wall_ms"] / 1000) if run else "-", acc])


def oracle_row(d, p, name, target):
    r, run = load(f"{d}/{p}-{name}.json"), load(f"{d}/{p}-{name}.run.json")
    if not r:
        return None
    if "io" in name or "chain" in name:
        cost = (f"{r['queries']} chosen inputs, {r['hypotheses']} hypotheses, "
                f"{r['sweeps']} passes, {r['restarts']} restarts")
    else:
        cost = f"{r['queries']} layer run"
    acc = "-"
    if "acc_recovered" in r:
        acc = (f"{pct(r['acc_recovered'])} recovered key vs {pct(r['acc_device'])} right key "
               f"({r['verify_agree']}/{r['verify_inputs']} outputs identical; "
               f"{pct(r['acc_no_key'])} without the sign key)")
    outcome = f"{r['bits_correct']}/{r['bits']} bits right ({r['bits_decided']} decided)"
    if r["bits_decided"] == 0 and "refused" in r.get("reason", ""):
        outcome = f"refused by the device; {outcome}"
    return row(["sign-oracle", target, outcome, cost, secs(r["seconds"]),
                secs(run["wall_ms"] / 1000) if run else "-", acc])


# (kind, result name, target) in the order of the table; "before" rows are the
# version-1 lock or a device with legacy models allowed.
MODEL_ROWS = (
    ("kpa", "kpa-v1", "before: version-1 default lock (Deep-Lock + sign, zero padding)", True),
    ("kpa", "kpa-default", "default lock (CTR + sign, version 2)", False),
    ("kpa", "kpa-deeplock", "Deep-Lock + sign, version 2", False),
    ("kpa", "kpa-aes256", "Deep-Lock + sign, version 2, AES-256", False),
    ("oracle", "oracle-crafted-legacy", "before: crafted layer, device allowing version-1 models", None),
    ("oracle", "oracle-crafted", "crafted layer, default device (refuse)", None),
    ("oracle", "oracle-crafted-run", "crafted layer, default device, policy run", None),
    ("oracle", "oracle-io", "sign only (HPNN baseline), I/O only", None),
    ("oracle", "oracle-io-default", "default lock, I/O only on the stored (encrypted) weights", None),
    ("oracle", "oracle-image-sign", "sign only: crafted layer written over its image after VERIFY", None),
    ("oracle", "oracle-image-default", "default lock: crafted layer written over its image after VERIFY", None),
    ("oracle", "v1-chain", "before: version-1 default lock, padding-kpa key then I/O only", None),
)


def model_rows(d, p):
    rows = []
    for kind, name, target, opened in MODEL_ROWS:
        r = kpa_row(d, p, name, target, opened) if kind == "kpa" else oracle_row(d, p, name, target)
        if r:
            rows.append(r)
    return rows


ML_ATTACKS = ("finetune", "fgsm", "pgd")
SCHEME_NAMES = {"none": "unlocked int8 (no lock)", "sign-only": "sign-only", "deeplock": "Deep-Lock",
                "ctr": "CTR", "deeplock+sign": "Deep-Lock + sign", "ctr+sign": "default (CTR + sign)"}


def scheme_name(s):
    return SCHEME_NAMES.get(s, s)


def acc_cell(a):
    """A fine-tuning accuracy; null means the trainer diverged."""
    return "diverged" if a is None else f"{100.0 * a:.2f}%"


def run_line(run, r):
    return (f"- `{run['cmd']}` (exit {run['exit']}, wall {secs(run['wall_ms'] / 1000)}, "
            f"attack time {secs(r['seconds'])})" if run else f"- attack time {secs(r['seconds'])}")


def thief_name(t):
    if t["start"] == "sign-search":
        return f"{scheme_name(t['scheme'])} + sign search"
    if t["scheme"] in ("sign-only", "none"):
        return f"{scheme_name(t['scheme'])}, weights as read"
    return f"{scheme_name(t['scheme'])}, wrong key"


def finetune_table(r, run):
    """The fine-tuning thief (kgmac attack finetune --json): accuracy per fraction."""
    th = r["thieves"]
    if any(len(x[k]) != len(th) for x in r["rows"] for k in ("thief", "thief_start",
                                                              "sign_search_evals")):
        raise ValueError(f"{len(th)} thieves but rows of another length")
    epochs = f"{r['epochs']} epoch{'' if r['epochs'] == 1 else 's'}"
    out = [f"Fine-tuning thief (section 6.1): test accuracy in {r['evaluation']} on "
           f"{r['test_images']} test images, {epochs}, batch {r['batch']}, lr {r['lr']:g}, "
           f"seed {r['seed']}; scratch is the same architecture trained from a fresh initialisation.", "",
           row(["data held", "images", "scratch"] + [thief_name(t) for t in th]),
           row(["---"] * (3 + len(th)))]
    for x in r["rows"]:
        out.append(row([f"{100.0 * x['fraction']:g}%", x["images"], acc_cell(x["scratch"])] +
                       [acc_cell(a) for a in x["thief"]]))
    out += ["", "The thief's starting point, before fine-tuning (sign search: loss evaluations):", "",
            row(["start"] + [f"{100.0 * x['fraction']:g}%" for x in r["rows"]]),
            row(["---"] * (1 + len(r["rows"])))]
    for i, t in enumerate(th):
        cells = []
        for x in r["rows"]:
            c = acc_cell(x["thief_start"][i])
            if t["start"] == "sign-search":
                c += f" ({x['sign_search_evals'][i]})"
            cells.append(c)
        out.append(row([thief_name(t)] + cells))
    return out + ["", run_line(run, r), ""]


def adv_models(r):
    """Column names of an fgsm/pgd result: the float model, then one per device."""
    return ["float model"] + [scheme_name(m["scheme"]) for m in r["models"][1:]]


def adv_label(r):
    return "FGSM" if r["attack"] == "fgsm" else f"PGD-{r['steps']}"


def adv_table(results):
    """FGSM and/or PGD (kgmac attack fgsm|pgd --json): success rate per eps and
    model. One table when the results share their eps values and models."""
    first = results[0]
    cols = adv_models(first)
    if any(len(x[k]) != len(cols)
           for r in results for x in r["rows"] for k in ("success", "control")):
        raise ValueError(f"{len(cols)} models but rows of another length")
    out = [row(["eps", "attack"] + cols), row(["---"] * (2 + len(cols)))]
    for e, x in enumerate(first["rows"]):
        for r in results:
            out.append(row([f"{r['rows'][e]['eps']:g}", adv_label(r)] +
                           [pct(v) for v in r["rows"][e]["success"]]))
        ctl = [r["rows"][e]["control"] for r in results]
        out.append(row([f"{x['eps']:g}", "random signs"] + [pct(v) for v in ctl[0]]))
        for r, c in zip(results[1:], ctl[1:]):
            if c != ctl[0]:
                out.append(row([f"{x['eps']:g}", f"random signs ({adv_label(r)} run)"] +
                               [pct(v) for v in c]))
    return out


def adv_tables(fg, pg, fg_run, pg_run):
    res = [(r, run) for r, run in ((fg, fg_run), (pg, pg_run)) if r]
    if not res:
        return []
    head = (f"Adversarial examples (section 6.2), crafted on the float model and run on a device "
            f"that holds the right key: success rate (originally-correct images now "
            f"misclassified) on {res[0][0]['images']} test images, `{res[0][0]['backend']}` "
            f"back-end; the control perturbs the same images with random signs of the same eps.")
    same = len(res) == 2 and (adv_models(fg) == adv_models(pg) and fg["images"] == pg["images"] and
                              [x["eps"] for x in fg["rows"]] == [x["eps"] for x in pg["rows"]])
    out = [head, ""]
    if same:
        out += adv_table([fg, pg]) + [""]
    else:
        for r, _ in res:
            out += adv_table([r]) + [""]
    return out + [run_line(run, r) for r, run in res] + [""]


def ml_tables(d, p):
    """Section 6's attacks for model p, from the JSON that exists (none: [])."""
    ft, ft_run = load(f"{d}/{p}-finetune.json"), load(f"{d}/{p}-finetune.run.json")
    fg, fg_run = load(f"{d}/{p}-fgsm.json"), load(f"{d}/{p}-fgsm.run.json")
    pg, pg_run = load(f"{d}/{p}-pgd.json"), load(f"{d}/{p}-pgd.run.json")
    try:
        return (finetune_table(ft, ft_run) if ft else []) + adv_tables(fg, pg, fg_run, pg_run)
    except (KeyError, IndexError, TypeError, ValueError) as e:
        sys.exit(f"{d}/{p}-{{finetune,fgsm,pgd}}.json: not the format kgmac attack --json writes "
                 f"({type(e).__name__}: {e})")


SBEGIN = "<!-- SCHEMES-BEGIN (scripts/security_table.py writes this block) -->"
SEND = "<!-- SCHEMES-END -->"


def scheme_tables(d, p, model):
    """Per scheme: the papers' figures next to ours, from model p's results."""
    L = lambda n: load(f"{d}/{p}-{n}.json")
    v1, kd, kdl = L("kpa-v1"), L("kpa-default"), L("kpa-deeplock")
    crl, cr, crr = L("oracle-crafted-legacy"), L("oracle-crafted"), L("oracle-crafted-run")
    io, iod, ims, imd, ch = (L("oracle-io"), L("oracle-io-default"), L("oracle-image-sign"),
                             L("oracle-image-default"), L("v1-chain"))
    if not (v1 and kd and kdl and crl and cr and io and ims):
        return []
    head = [row(["figure", "paper", f"ours ({model.upper()}, {cr['rows']}x{cr['cols']})"]),
            row(["---"] * 3)]
    after = lambda r: (f"{pct(r['acc_recovered'])} under the recovered key(s), "
                       f"{r['verify_agree']}/{r['verify_inputs']} outputs identical to the victim's device")
    bits = lambda r: f"{r['bits_correct']}/{r['bits']} bits right"
    pad = lambda r: (f"{r['padding_zero']} of {r['padding_bytes']} padding bytes really 0"
                     if "padding_zero" in r else f"{r['padding_bytes']} padding bytes")
    out = ["**Sign key only (HPNN-style: crypt none + SIGN), the paper's baseline**", ""] + head + [
        row(["right key", "<= 0.5% cost (HPNN)", f"{pct(io['acc_device'])}, the int8 model's accuracy"]),
        row(["wrong key", "73.22-80.17% drop (HPNN)", f"{pct(io['acc_no_key'])} with no sign key (all zero), a drop of "
             f"{100 * (io['acc_device'] - io['acc_no_key']):.2f} pp"]),
        row(["fine-tune", "recovers easily (HPNN)", "section 6"]),
        row(["key recovery, I/O only", "broken by an I/O-oracle attack (Li et al., DAC 2024)",
             f"{bits(io)}, {io['queries']} chosen inputs, {secs(io['seconds'])}: " + after(io)]),
        row(["key recovery, image rewritten after VERIFY", "-",
             f"{bits(ims)} in {ims['queries']} layer run, {secs(ims['seconds'])}"]),
        row(["adversarial examples", "-", "section 6"]), "",
        "**Deep-Lock (crypt deeplock)**", ""] + head + [
        row(["key recovery from the file, version 1 (before)", "none published for the schedule inversion",
             (f"AES key in {secs(v1['seconds'])} from {pad(v1)}, KCV checked; opened model "
              f"{pct(v1.get('accuracy'))} with the sign lock still on" if v1["success"] else "no key")]),
        row(["key recovery from the file, version 2", "-",
             "key recovered" if kdl["success"] else f"no key: {pad(kdl)}"]),
        row(["fine-tune", "no progress with 10% of the data (Deep-Lock)", "section 6"])]
    if ch:
        out.append(row(["version-1 default lock, both keys (before)", "-",
                        f"AES key from the file, sign key from {ch['queries']} chosen inputs "
                        f"({secs(v1['seconds'] + ch['seconds'])}): " + after(ch)]))
    out += ["", "**The default lock: AES-CTR + sign key, version 2 (per-model keys, random padding, "
            "authenticated)**", ""] + head + [
        row(["key recovery from the file", "-",
             "key recovered" if kd["success"] else f"no key: {pad(kd)}"]),
        row(["sign key, crafted layer (before: legacy device)", "-",
             f"{bits(crl)} in {crl['queries']} layer run"]),
        row(["sign key, crafted layer", "-",
             (f"refused ({cr['reason']})" if cr["bits_decided"] == 0 else bits(cr))
             + (f"; under policy run: {bits(crr)}, all read as 0 (key withheld)" if crr else "")]),
        row(["sign key, I/O only", "-",
             f"{bits(iod)} from the stored weights (ciphertext)" if iod else "-"]),
        row(["image rewritten after VERIFY", "-",
             f"{bits(imd)} ({imd['bits_decided']} outputs readable as a sign)" if imd else "-"])]
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
        rows, ml = model_rows(a.dir, p), ml_tables(a.dir, p)
        if not rows and not ml:
            continue
        io = load(f"{a.dir}/{p}-oracle-io.json") or {}
        n = io.get("verify_inputs", "?")
        out += [f"**{m.upper()}**" + (f" (N = {n})" if rows else ""), ""]
        if rows:
            out += [row(["attack", "target", "outcome", "cost", "attack time", "wall", "accuracy"]),
                    row(["---"] * 7)] + rows + [""]
            ml_runs = {f"{p}-{x}.run.json" for x in ML_ATTACKS}
            for r in sorted(os.listdir(a.dir)):
                if r.startswith(p) and r.endswith(".run.json") and r not in ml_runs:
                    run = load(os.path.join(a.dir, r))
                    if run:
                        out.append(f"- `{run['cmd']}` (exit {run['exit']})")
            out.append("")
        out += ml
    rtl = [f for f in sorted(os.listdir(a.dir)) if f.startswith("rtl-") and
           ("-oracle-crafted" in f) and f.endswith(".json") and not f.endswith(".run.json")]
    for f in rtl:
        r, run = load(os.path.join(a.dir, f)), load(os.path.join(a.dir, f[:-5] + ".run.json"))
        if r and run:
            out.append(f"RTL spot check ({r['rows']}x{r['cols']} Verilated kg_top, `{run['cmd']}`): "
                       f"crafted layer, {r['bits_correct']}/{r['bits']} bits right "
                       f"({r['bits_decided']} decided) in {r['queries']} layer run, "
                       f"{secs(r['seconds'])}: {r['reason']}.")
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
