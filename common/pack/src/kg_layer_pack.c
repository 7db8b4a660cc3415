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

void kg_pack_desc(const kg_layer_desc *d, uint32_t w[16]) {
  memset(w, 0, 16 * sizeof(uint32_t));
  w[KG_DESC_CFG] = (d->op & 0xffu) | ((d->relu & 1u) << KG_DESC_CFG_RELU_SHIFT) |
                   ((d->crypt & 3u) << KG_DESC_CFG_CRYPT_SHIFT) |
                   ((d->sign & 1u) << KG_DESC_CFG_SIGN_SHIFT) |
                   (KG_DESC_MAGIC << KG_DESC_CFG_MAGIC_SHIFT);
  if (d->op == KG_OP_CONV) {
    const kg_conv_shape *s = &d->conv;
    w[KG_DESC_DIM0] = (s->h & 0xffffu) | ((s->w & 0xffffu) << 16);
    w[KG_DESC_DIM1] = (s->ic & 0xffffu) | ((s->oc & 0xffffu) << 16);
    w[KG_DESC_DIM2] = (s->kh & 0xfu) | ((s->kw & 0xfu) << 4) | ((s->stride & 3u) << 8) |
                      ((s->pad & 7u) << 12);
  } else {
    w[KG_DESC_DIM0] = d->m;
    w[KG_DESC_DIM1] = d->k;
    w[KG_DESC_DIM2] = d->n;
  }
  w[KG_DESC_IN_ADDR] = d->in_addr;
  w[KG_DESC_IN_STRIDE] = d->in_stride;
  w[KG_DESC_OUT_ADDR] = d->out_addr;
  w[KG_DESC_OUT_STRIDE] = d->out_stride;
  w[KG_DESC_W_ADDR] = d->w_addr;
  w[KG_DESC_W_POS] = d->w_pos;
  w[KG_DESC_P_ADDR] = d->p_addr;
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
