/* kgmac reference layers: fully connected and convolution. */
#include <stdlib.h>
#include <string.h>

#include "kgmac/ref_layer.h"

static void requant_rows(uint32_t M, uint32_t N, const int32_t *acc, const kg_requant *q,
                         int8_t *out) {
  for (uint32_t m = 0; m < M; m++)
    for (uint32_t n = 0; n < N; n++)
      out[(size_t)m * N + n] = kg_requant_one(acc[(size_t)m * N + n], q->bias ? q->bias[n] : 0,
                                              q->mult[n], q->shift[n], q->relu);
}

int kg_ref_fc(uint32_t M, uint32_t K, uint32_t N, const int8_t *A, const int8_t *W,
              const uint8_t *key_s, kg_geom g, const kg_requant *q, int8_t *out) {
  if (!out || kg_requant_check(q, N) != KG_REF_OK) return KG_REF_EINVAL;
  if (M == 0 || N == 0 || (uint64_t)M * N > SIZE_MAX / sizeof(int32_t)) return KG_REF_EINVAL;
  int32_t *acc = malloc((size_t)M * N * sizeof(int32_t));
  if (!acc) return KG_REF_EINVAL;
  int rc = kg_ref_gemm(M, K, N, A, W, key_s, g, acc);
  if (rc == KG_REF_OK) requant_rows(M, N, acc, q, out);
  free(acc);
  return rc;
}

int kg_in_mask_check(const kg_in_mask *mk, uint32_t K) {
  if (!mk || (mk->group == 0 && mk->valid == 0)) return KG_REF_OK;
  if (mk->group == 0 || mk->group > 0xffffu || mk->group % 16u != 0) return KG_REF_EINVAL;
  if (mk->valid == 0 || mk->valid > mk->group || K % mk->group != 0) return KG_REF_EINVAL;
  return KG_REF_OK;
}

int kg_ref_fc_masked(uint32_t M, uint32_t K, uint32_t N, const int8_t *A, const int8_t *W,
                     const uint8_t *key_s, kg_geom g, const kg_in_mask *mk, const kg_requant *q,
                     int8_t *out) {
  if (kg_in_mask_check(mk, K) != KG_REF_OK) return KG_REF_EINVAL;
  if (!mk || mk->group == 0) return kg_ref_fc(M, K, N, A, W, key_s, g, q, out);
  if (!A || M == 0 || K == 0 || (uint64_t)M * K > SIZE_MAX) return KG_REF_EINVAL;
  int8_t *am = malloc((size_t)M * K);
  if (!am) return KG_REF_EINVAL;
  memcpy(am, A, (size_t)M * K);
  for (size_t row = 0; row < (size_t)M * K; row += K)
    for (uint32_t g0 = 0; g0 < K; g0 += mk->group)
      memset(am + row + g0 + mk->valid, 0, mk->group - mk->valid);
  const int rc = kg_ref_fc(M, K, N, am, W, key_s, g, q, out);
  free(am);
  return rc;
}

uint32_t kg_conv_out_h(const kg_conv_shape *s) {
  if (kg_conv_shape_check(s) != KG_REF_OK) return 0;
  return (s->h + 2 * s->pad - s->kh) / s->stride + 1;
}

uint32_t kg_conv_out_w(const kg_conv_shape *s) {
  if (kg_conv_shape_check(s) != KG_REF_OK) return 0;
  return (s->w + 2 * s->pad - s->kw) / s->stride + 1;
}

int kg_conv_shape_check(const kg_conv_shape *s) {
  if (!s) return KG_REF_EINVAL;
  if (s->h == 0 || s->w == 0 || s->ic == 0 || s->oc == 0) return KG_REF_EINVAL;
  if (s->kh < 1 || s->kh > 7 || s->kw < 1 || s->kw > 7) return KG_REF_EINVAL;
  if (s->stride != 1 && s->stride != 2) return KG_REF_EINVAL;
  if (s->pad >= s->kh || s->pad >= s->kw) return KG_REF_EINVAL;
  if (s->h > 0xffffu || s->w > 0xffffu || s->ic > 0xffffu || s->oc > 0xffffu) return KG_REF_EINVAL;
  if (s->h + 2 * s->pad < s->kh || s->w + 2 * s->pad < s->kw) return KG_REF_EINVAL;
  return KG_REF_OK;
}

int kg_ref_im2col(const kg_conv_shape *s, const int8_t *in, int8_t *cols) {
  if (!in || !cols || kg_conv_shape_check(s) != KG_REF_OK) return KG_REF_EINVAL;
  const uint32_t OH = kg_conv_out_h(s), OW = kg_conv_out_w(s);
  const size_t K = (size_t)s->kh * s->kw * s->ic;
  for (uint32_t oy = 0; oy < OH; oy++)
    for (uint32_t ox = 0; ox < OW; ox++) {
      int8_t *row = cols + ((size_t)oy * OW + ox) * K;
      for (uint32_t ky = 0; ky < s->kh; ky++)
        for (uint32_t kx = 0; kx < s->kw; kx++) {
          const int64_t iy = (int64_t)oy * s->stride + ky - s->pad;
          const int64_t ix = (int64_t)ox * s->stride + kx - s->pad;
          int8_t *dst = row + ((size_t)ky * s->kw + kx) * s->ic;
          if (iy < 0 || ix < 0 || iy >= s->h || ix >= s->w)
            memset(dst, 0, s->ic);
          else
            memcpy(dst, in + ((size_t)iy * s->w + (size_t)ix) * s->ic, s->ic);
        }
    }
  return KG_REF_OK;
}

int kg_ref_conv2d(const kg_conv_shape *s, const int8_t *in, const int8_t *W,
                  const uint8_t *key_s, kg_geom g, const kg_requant *q,
                  int8_t *scratch, int32_t *acc, int8_t *out) {
  if (!W || !scratch || !acc || !out) return KG_REF_EINVAL;
  if (kg_conv_shape_check(s) != KG_REF_OK || kg_requant_check(q, s->oc) != KG_REF_OK)
    return KG_REF_EINVAL;
  int rc = kg_ref_im2col(s, in, scratch);
  if (rc != KG_REF_OK) return rc;
  const uint32_t M = kg_conv_out_h(s) * kg_conv_out_w(s);
  const uint32_t K = s->kh * s->kw * s->ic;
  rc = kg_ref_gemm(M, K, s->oc, scratch, W, key_s, g, acc);
  if (rc == KG_REF_OK) requant_rows(M, s->oc, acc, q, out);
  return rc;
}
