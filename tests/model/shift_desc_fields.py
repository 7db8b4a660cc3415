#!/usr/bin/env python3
"""Write a copy of the generated kg_regs.h with descriptor fields moved.

Usage: shift_desc_fields.py <kg_regs.h> <out kg_regs.h> MOVE ...

A MOVE is FIELD=LSB or @WORD=INDEX. FIELD is a generated descriptor field
name without the KG_DESC_ prefix (e.g. CFG_SIGN, DIM2_PAD): its _SHIFT
becomes LSB and its _MASK moves with it, width kept. WORD is a descriptor
word name (e.g. W_POS): its word index becomes INDEX. The caller keeps the
result consistent (no overlapping fields used together, words swapped in
pairs). This stands for the same change to the register map JSON: the
model's decoder must follow the header alone (tests/model/test_desc_layout.cpp).
"""
import re
import sys


def main(argv):
    if len(argv) < 4:
        raise SystemExit(__doc__)
    src, dst, moves = argv[1], argv[2], argv[3:]
    text = open(src).read()
    for mv in moves:
        name, _, lsb = mv.partition("=")
        if name.startswith("@"):
            word = re.search(r"#define KG_DESC_%s (\d+)u\n" % name[1:], text)
            if not word or not lsb.isdigit():
                raise SystemExit("shift_desc_fields: bad word move '%s'" % mv)
            text = text.replace(word.group(0), "#define KG_DESC_%s %su\n" % (name[1:], lsb))
            print("KG_DESC_%s: word %s -> %s" % (name[1:], word.group(1), lsb))
            continue
        if not lsb.isdigit():
            raise SystemExit("shift_desc_fields: bad move '%s' (want FIELD=LSB)" % mv)
        lsb = int(lsb)
        sh = re.search(r"#define KG_DESC_%s_SHIFT (\d+)u" % name, text)
        mk = re.search(r"#define KG_DESC_%s_MASK 0x([0-9a-f]{8})u" % name, text)
        if not sh or not mk:
            raise SystemExit("shift_desc_fields: no field KG_DESC_%s in %s" % (name, src))
        old, mask = int(sh.group(1)), int(mk.group(1), 16)
        width = bin(mask).count("1")
        if lsb + width > 32:
            raise SystemExit("shift_desc_fields: %s does not fit at bit %d" % (name, lsb))
        new_mask = ((1 << width) - 1) << lsb
        text = text.replace(sh.group(0), "#define KG_DESC_%s_SHIFT %du" % (name, lsb))
        text = text.replace(mk.group(0), "#define KG_DESC_%s_MASK 0x%08xu" % (name, new_mask))
        print("KG_DESC_%s: bits %d..%d -> %d..%d" % (name, old, old + width - 1, lsb, lsb + width - 1))
    open(dst, "w").write(text)


if __name__ == "__main__":
    main(sys.argv)
