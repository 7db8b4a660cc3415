/* kglock_pad: the hardware layout of a layer and its random padding
 * (docs/spec.md 8, "Padding bytes"). */
#include <stdlib.h>
#include <string.h>

#include "kglock_internal.h"
#include "kgmac/file_io.h"
#include "kgmac/layer_pack.h"

uint64_t kglock_hw_k(const kg_qmodel *q, uint32_t l) {
  const kg_qlayer *L = &q->layers[l];
  if (L->type == KGQ_FC && l > 0 && q->layers[l - 1].type == KGQ_CONV && L->in_c % 16u)
    return kg_pack_fc_after_conv_k(L->in_h, L->in_w, L->in_c);
  return L->K;
}

int8_t *kglock_hw_rows(const kg_qmodel *q, uint32_t l, uint32_t khw, const int8_t *src) {
  const kg_qlayer *L = &q->layers[l];
  int8_t *W = calloc((size_t)khw * L->N, 1);
  if (!W) return NULL;
  if (khw == L->K) {
    memcpy(W, src, (size_t)L->K * L->N);
    return W;
  }
  const uint32_t c = L->in_c, cp = (uint32_t)kg_pack_act_stride(c);
  for (uint32_t k = 0; k < L->K; k++) {
    const size_t row = (size_t)(k / c) * cp + k % c;
    memcpy(W + row * L->N, src + (size_t)k * L->N, L->N);
  }
  return W;
}

int kglock_random_padding(const kg_qmodel *q, uint32_t l, const kgm_layer *L, kg_geom g,
                          uint8_t *img, char *detail) {
  const kg_qlayer *Q = &q->layers[l];
  /* The layer's real weights as 1s, laid out exactly like the weights:
   * every byte the layout leaves 0 is padding. */
  const size_t kn = (size_t)Q->K * Q->N;
  int8_t *ones = malloc(kn ? kn : 1u);
  uint8_t *mask = malloc(L->w_len ? L->w_len : 1u);
  int8_t *hw = NULL;
  uint8_t *rnd = NULL;
  int rc = KG_OK;
  if (ones && mask) {
    memset(ones, 1, kn);
    hw = kglock_hw_rows(q, l, L->K, ones);
  }
  if (!ones || !mask || !hw) {
    rc = kg_fail(detail, KG_E_NOMEM, "out of memory for the padding of layer %u", l);
    goto done;
  }
  if (kg_pack_weights(L->K, L->N, hw, g, mask, L->w_len) != KG_REF_OK) {
    rc = kg_fail(detail, KG_E_LAYER, "layer %u: cannot pack its padding mask", l);
    goto done;
  }
  size_t n_pad = 0;
  for (size_t i = 0; i < L->w_len; i++) n_pad += mask[i] == 0;
  if (n_pad == 0) goto done;
  rnd = malloc(n_pad);
  if (!rnd) {
    rc = kg_fail(detail, KG_E_NOMEM, "out of memory for the padding of layer %u", l);
    goto done;
  }
  rc = kg_urandom(rnd, n_pad, detail);
  if (rc != KG_OK) goto done;
  for (size_t i = 0, j = 0; i < L->w_len; i++)
    if (mask[i] == 0) img[i] = rnd[j++];
done:
  free(ones);
  free(mask);
  free(hw);
  free(rnd);
  return rc;
}
