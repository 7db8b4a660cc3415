#!/usr/bin/env python3
"""Check kgmac's include layering: host -> driver -> firmware | sim -> common.

Every quoted #include in a C/C++ source under those folders is resolved to the
file it names (first beside the includer, then anywhere in the tree by its
path suffix). A file may include its own layer's headers and those of the
layers below it; firmware and sim stand side by side and may not include
each other. Headers that are not in the tree (Verilator's, generated V*.h,
the C library) are ignored.

Usage: check_layers.py [--table]   (--table: print folder -> folders it includes)
Exits 1 and names every include that points up or across.
"""
import os
import re
import sys

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
LAYERS = {"common": 0, "firmware": 1, "sim": 1, "driver": 2, "host": 3}
EXTS = (".c", ".h", ".cpp", ".hpp", ".cc", ".in")
INC = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def sources():
    for top in LAYERS:
        for d, _dirs, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(EXTS):
                    yield os.path.relpath(os.path.join(d, f), ROOT)


def main():
    files = sorted(sources())
    by_suffix = {}
    for f in files:
        parts = f.split(os.sep)
        for i in range(len(parts)):
            by_suffix.setdefault("/".join(parts[i:]), []).append(f)
    bad, edges = [], {}
    for f in files:
        src_top = f.split(os.sep)[0]
        folder = os.path.dirname(f)
        with open(os.path.join(ROOT, f), errors="replace") as fh:
            text = fh.read()
        for inc in INC.findall(text):
            beside = os.path.normpath(os.path.join(folder, inc))
            if os.path.exists(os.path.join(ROOT, beside)):
                target = beside
            else:
                cands = by_suffix.get(inc, [])
                if not cands:
                    continue
                target = cands[0]
            dst_top = target.split(os.sep)[0]
            if dst_top not in LAYERS:
                continue
            dst_folder = os.path.dirname(target)
            if dst_folder != folder:
                edges.setdefault(folder, set()).add(dst_folder)
            if dst_top == src_top:
                continue
            if LAYERS[dst_top] >= LAYERS[src_top]:
                bad.append("%s includes \"%s\" (%s): %s may not include %s"
                           % (f, inc, target, src_top, dst_top))
    if "--table" in sys.argv:
        for k in sorted(edges):
            print("%-28s -> %s" % (k, ", ".join(sorted(edges[k]))))
    for b in bad:
        print("layering: " + b)
    if bad:
        return 1
    print("layering: %d files, no include points up or across "
          "(host -> driver -> firmware | sim -> common)" % len(files))
    return 0


if __name__ == "__main__":
    sys.exit(main())
