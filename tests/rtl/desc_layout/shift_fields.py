#!/usr/bin/env python3
"""Writes a copy of the register map with descriptor fields moved to other
free bits (desc_layout test): CFG.CRYPT 10:9 -> 13:12, CFG.SIGN 11 -> 9,
DIM2.STRIDE 9:8 -> 17:16, DIM2.PAD 14:12 -> 22:20.
Usage: shift_fields.py IN.json OUT.json"""
import json
import sys

MOVES = {("CFG", "CRYPT"): 12, ("CFG", "SIGN"): 9, ("DIM2", "STRIDE"): 16, ("DIM2", "PAD"): 20}


def main(argv):
    if len(argv) != 2:
        raise SystemExit("shift_fields: usage: shift_fields.py IN.json OUT.json")
    with open(argv[0]) as f:
        spec = json.load(f)
    moved = 0
    for w in spec["descriptor"]["words"]:
        for fld in w["fields"]:
            lsb = MOVES.get((w["name"], fld[0]))
            if lsb is not None:
                if fld[1] == lsb:
                    raise SystemExit("shift_fields: %s.%s is already at bit %d" % (w["name"], fld[0], lsb))
                fld[1] = lsb
                moved += 1
    if moved != len(MOVES):
        raise SystemExit("shift_fields: found %d of the %d fields to move" % (moved, len(MOVES)))
    with open(argv[1], "w") as f:
        json.dump(spec, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
