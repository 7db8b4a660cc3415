/* kgmac layer packing (see kgmac/layer_pack.h). */
#include <string.h>

#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"

size_t kg_pack_tile_bytes(kg_geom g) {
  return (((size_t)g.rows * g.cols + 15u) / 16u) * 16u;
}

uint64_t kg_pack_act_stride(uint64_t c) {
  return (c + 15u) & ~(uint64_t)15u;
}

uint64_t kg_pack_fc_after_conv_k(uint32_t h, uint32_t w, uint32_t c) {
  return (uint64_t)h * w * kg_pack_act_stride(c);
}

size_t kg_pack_weight_bytes(uint32_t K, uint32_t N, kg_geom g) {
  if (g.rows == 0 || g.cols == 0) return 0;
  const size_t kt = ((size_t)K + g.rows - 1) / g.rows;
  const size_t nt = ((size_t)N + g.cols - 1) / g.cols;
  return kt * nt * kg_pack_tile_bytes(g);
}

int kg_pack_weights(uint32_t K, uint32_t N, const int8_t *W, kg_geom g,
                    uint8_t *out, size_t out_len) {
  if (!W || !out || K == 0 || N == 0 || g.rows == 0 || g.cols == 0) return KG_REF_EINVAL;
  const size_t need = kg_pack_weight_bytes(K, N, g);
  if (out_len < need) return KG_REF_EINVAL;
  memset(out, 0, need);
  const uint32_t KT = (K + g.rows - 1) / g.rows, NT = (N + g.cols - 1) / g.cols;
  const size_t tb = kg_pack_tile_bytes(g);
  for (uint32_t nt = 0; nt < NT; nt++)
    for (uint32_t kt = 0; kt < KT; kt++) {
      uint8_t *tile = out + ((size_t)nt * KT + kt) * tb;
      for (uint32_t r = 0; r < g.rows; r++)
        for (uint32_t c = 0; c < g.cols; c++) {
          const uint32_t k = kt * g.rows + r, n = nt * g.cols + c;
          if (k < K && n < N) tile[(size_t)r * g.cols + c] = (uint8_t)W[(size_t)k * N + n];
        }
    }
  return KG_REF_OK;
}

static void put32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

int kg_pack_params(uint32_t N, const int32_t *bias, const int32_t *mult,
                   const uint8_t *shift, uint8_t *out, size_t out_len) {
  if (!mult || !shift || !out || N == 0 || out_len < (size_t)N * 16u) return KG_REF_EINVAL;
  memset(out, 0, (size_t)N * 16u);
  for (uint32_t n = 0; n < N; n++) {
    uint8_t *r = out + (size_t)n * 16u;
    put32(r, (uint32_t)(bias ? bias[n] : 0));
    put32(r + 4, (uint32_t)mult[n]);
    r[8] = shift[n];
  }
  return KG_REF_OK;
}

/* Places v in descriptor field F (F##_SHIFT / F##_MASK, generated from the
 * register map), so a field moved in kg_regs.json moves here too. */
#define DESC_FIELD(F, v) ((((uint32_t)(v)) << F##_SHIFT) & F##_MASK)

void kg_pack_desc(const kg_layer_desc *d, uint32_t w[16]) {
  memset(w, 0, KG_DESC_WORDS * sizeof(uint32_t));
  w[KG_DESC_CFG] = DESC_FIELD(KG_DESC_CFG_OP, d->op) | DESC_FIELD(KG_DESC_CFG_RELU, d->relu) |
                   DESC_FIELD(KG_DESC_CFG_CRYPT, d->crypt) | DESC_FIELD(KG_DESC_CFG_SIGN, d->sign) |
                   DESC_FIELD(KG_DESC_CFG_MAGIC, KG_DESC_MAGIC);
  if (d->op == KG_OP_CONV) {
    const kg_conv_shape *s = &d->conv;
    w[KG_DESC_DIM0] = DESC_FIELD(KG_DESC_DIM0_H, s->h) | DESC_FIELD(KG_DESC_DIM0_W, s->w);
    w[KG_DESC_DIM1] = DESC_FIELD(KG_DESC_DIM1_IC, s->ic) | DESC_FIELD(KG_DESC_DIM1_OC, s->oc);
    w[KG_DESC_DIM2] = DESC_FIELD(KG_DESC_DIM2_KH, s->kh) | DESC_FIELD(KG_DESC_DIM2_KW, s->kw) |
                      DESC_FIELD(KG_DESC_DIM2_STRIDE, s->stride) | DESC_FIELD(KG_DESC_DIM2_PAD, s->pad);
  } else {
    w[KG_DESC_DIM0] = DESC_FIELD(KG_DESC_DIM0_M, d->m);
    w[KG_DESC_DIM1] = DESC_FIELD(KG_DESC_DIM1_K, d->k);
    w[KG_DESC_DIM2] = DESC_FIELD(KG_DESC_DIM2_N, d->n);
    w[KG_DESC_IN_MASK] = DESC_FIELD(KG_DESC_IN_MASK_GROUP, d->in_group) |
                         DESC_FIELD(KG_DESC_IN_MASK_VALID, d->in_valid);
  }
  w[KG_DESC_IN_ADDR] = DESC_FIELD(KG_DESC_IN_ADDR_ADDR, d->in_addr);
  w[KG_DESC_IN_STRIDE] = DESC_FIELD(KG_DESC_IN_STRIDE_STRIDE, d->in_stride);
  w[KG_DESC_OUT_ADDR] = DESC_FIELD(KG_DESC_OUT_ADDR_ADDR, d->out_addr);
  w[KG_DESC_OUT_STRIDE] = DESC_FIELD(KG_DESC_OUT_STRIDE_STRIDE, d->out_stride);
  w[KG_DESC_W_ADDR] = DESC_FIELD(KG_DESC_W_ADDR_ADDR, d->w_addr);
  w[KG_DESC_W_POS] = DESC_FIELD(KG_DESC_W_POS_POS, d->w_pos);
  w[KG_DESC_P_ADDR] = DESC_FIELD(KG_DESC_P_ADDR_ADDR, d->p_addr);
}

void kg_layer_dims(const kg_layer_desc *d, uint32_t *M, uint32_t *K, uint32_t *N) {
  if (d->op == KG_OP_CONV) {
    *M = kg_conv_out_h(&d->conv) * kg_conv_out_w(&d->conv);
    *K = d->conv.kh * d->conv.kw * d->conv.ic;
    *N = d->conv.oc;
  } else {
    *M = d->m;
    *K = d->k;
    *N = d->n;
  }
}
