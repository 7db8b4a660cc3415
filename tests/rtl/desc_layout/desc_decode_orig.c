/* desc_decode_orig.c: see desc_decode.h. Built against the repository's
 * kg_regs.h, not the scratch one. */
#include "desc_decode.h"

#include "kgmac/kg_regs.h"

#define FIELD(w, word, name) (((w)[KG_DESC_##word] & KG_DESC_##word##_##name##_MASK) >> KG_DESC_##word##_##name##_SHIFT)

void desc_decode_orig(const uint32_t words[16], desc_fields *f) {
  f->op = FIELD(words, CFG, OP);
  f->relu = FIELD(words, CFG, RELU);
  f->crypt = FIELD(words, CFG, CRYPT);
  f->sign = FIELD(words, CFG, SIGN);
  f->magic = FIELD(words, CFG, MAGIC);
  f->kh = FIELD(words, DIM2, KH);
  f->kw = FIELD(words, DIM2, KW);
  f->stride = FIELD(words, DIM2, STRIDE);
  f->pad = FIELD(words, DIM2, PAD);
}
