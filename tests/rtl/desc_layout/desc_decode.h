/* desc_decode.h: the descriptor fields as the ORIGINAL register map
 * (common/regs/kg_regs.json) places them, for the negative control of the
 * desc_layout test. Deliberately free of kg_regs.h: the test program that
 * includes it is built against a different, generated one. */
#ifndef KG_DESC_DECODE_H
#define KG_DESC_DECODE_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct desc_fields {
  uint32_t op, relu, crypt, sign, magic;
  uint32_t kh, kw, stride, pad;
} desc_fields;

/* Decodes words[0..15] with the positions of common/regs/include/kgmac/kg_regs.h. */
void desc_decode_orig(const uint32_t words[16], desc_fields *f);

#ifdef __cplusplus
}
#endif

#endif
