/* kglock: unlocked .kgq -> locked, encrypted .kgm (kgmac/lock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kg_aes.h"
#include "kgmac/file_io.h"
#include "kgmac/layer_pack.h"
#include "kgmac/lock.h"

#define LOCK_FAIL(code, ...) kg_fail(detail, (code), __VA_ARGS__)

static int pow2_side(uint32_t v) {
  return v >= 1 && v <= 64 && (v & (v - 1)) == 0;
}

/* The hardware K of layer l: an FC layer after a convolution reads the
 * convolution's pixels at their device stride (kg_pack_fc_after_conv_k). */
static uint64_t hw_k(const kg_qmodel *q, uint32_t l) {
  const kg_qlayer *L = &q->layers[l];
  if (L->type == KGQ_FC && l > 0 && q->layers[l - 1].type == KGQ_CONV && L->in_c % 16u)
    return kg_pack_fc_after_conv_k(L->in_h, L->in_w, L->in_c);
  return L->K;
}

static int check_opts(const kg_qmodel *q, const kglock_opts *o, char *detail) {
  if (!pow2_side(o->rows) || !pow2_side(o->cols) || o->rows * o->cols > 1024u)
    return LOCK_FAIL(KG_E_INVAL, "geometry %ux%u (powers of two 1..64, rows*cols <= 1024)",
                     o->rows, o->cols);
  if (o->crypt > KGM_CRYPT_CTR) return LOCK_FAIL(KG_E_INVAL, "crypt mode %u", o->crypt);
  if ((o->crypt != KGM_CRYPT_NONE || o->sign) && !o->keys)
    return LOCK_FAIL(KG_E_INVAL, "locking needs keys");
  if (o->crypt != KGM_CRYPT_NONE && o->keys->aes_len != 16 && o->keys->aes_len != 24 &&
      o->keys->aes_len != 32)
    return LOCK_FAIL(KG_E_INVAL, "%s needs an AES key of 16, 24 or 32 bytes (have %u)",
                     kgm_crypt_name(o->crypt), o->keys->aes_len);
  if (o->sign && o->keys->sign_bits != o->rows * o->cols)
    return LOCK_FAIL(KG_E_INVAL, "sign key has %u bits, a %ux%u array needs %u", o->keys->sign_bits,
                     o->rows, o->cols, o->rows * o->cols);
  char qd[KGML_DETAIL_LEN];
  qd[0] = '\0';
  if (kg_qmodel_validate(q, qd) != KGML_OK) return LOCK_FAIL(KG_E_LAYER, "input model: %s", qd);
  if (q->n_layers > KGM_MAX_LAYERS)
    return LOCK_FAIL(KG_E_TOO_BIG, "%u layers (limit %u)", q->n_layers, KGM_MAX_LAYERS);
  if (q->in_h > KGM_MAX_SIDE || q->in_w > KGM_MAX_SIDE || q->in_c > KGM_MAX_CHANNELS)
    return LOCK_FAIL(KG_E_TOO_BIG, "input %ux%ux%u exceeds the .kgm limits", q->in_h, q->in_w,
                     q->in_c);
  for (uint32_t l = 0; l < q->n_layers; l++) {
    const kg_qlayer *L = &q->layers[l];
    if (L->out_c > KGM_MAX_CHANNELS || (L->type == KGQ_CONV && L->in_c > KGM_MAX_CHANNELS))
      return LOCK_FAIL(KG_E_TOO_BIG, "layer %u: %u -> %u channels (limit %u)", l, L->in_c,
                       L->out_c, KGM_MAX_CHANNELS);
    if (hw_k(q, l) > KGM_MAX_K)
      return LOCK_FAIL(KG_E_TOO_BIG, "layer %u: K = %llu (limit %u)", l,
                       (unsigned long long)hw_k(q, l), KGM_MAX_K);
  }
  return KG_OK;
}

/* W as the hardware multiplies it: K_hw x N, with zero rows for the
 * padding bytes of each input pixel when hw_k() pads. */
static int8_t *hw_weights(const kg_qmodel *q, uint32_t l, uint32_t khw) {
  const kg_qlayer *L = &q->layers[l];
  int8_t *W = calloc((size_t)khw * L->N, 1);
  if (!W) return NULL;
  if (khw == L->K) {
    memcpy(W, L->W, (size_t)L->K * L->N);
    return W;
  }
  const uint32_t c = L->in_c, cp = (uint32_t)kg_pack_act_stride(c);
  for (uint32_t k = 0; k < L->K; k++) {
    const size_t row = (size_t)(k / c) * cp + k % c;
    memcpy(W + row * L->N, L->W + (size_t)k * L->N, L->N);
  }
  return W;
}

int kglock_model(const kg_qmodel *q, const kglock_opts *opts, kgm_model *out, char *detail) {
  if (detail) detail[0] = '\0';
  if (!out) return LOCK_FAIL(KG_E_INVAL, "no output model");
  memset(out, 0, sizeof *out);
  if (!q || !opts) return LOCK_FAIL(KG_E_INVAL, "NULL argument");
  int rc = check_opts(q, opts, detail);
  if (rc != KG_OK) return rc;
  const kg_geom g = {opts->rows, opts->cols};

  out->version = KGM_VERSION;
  out->flags = opts->sign ? KGM_FLAG_SIGN : 0u;
  out->rows = opts->rows;
  out->cols = opts->cols;
  out->crypt = opts->crypt;
  out->aes_len = opts->crypt != KGM_CRYPT_NONE ? opts->keys->aes_len : 0u;
  out->in_h = q->in_h;
  out->in_w = q->in_w;
  out->in_c = q->in_c;
  out->in_scale = q->in_scale;
  out->in_zero = q->in_zero;
  out->n_layers = q->n_layers;
  out->layers = calloc(q->n_layers, sizeof *out->layers);
  if (!out->layers) return LOCK_FAIL(KG_E_NOMEM, "out of memory");

  /* Layout: parameter records and weight tiles, in layer order. */
  uint64_t p_len = 0, w_len = 0;
  for (uint32_t l = 0; l < q->n_layers; l++) {
    const kg_qlayer *Q = &q->layers[l];
    kgm_layer *L = &out->layers[l];
    const uint32_t khw = (uint32_t)hw_k(q, l);
    L->type = Q->type;
    L->relu = Q->relu;
    if (Q->type == KGQ_FC) {
      L->in_h = L->in_w = 1;
      L->in_c = khw;
    } else {
      L->in_h = Q->in_h;
      L->in_w = Q->in_w;
      L->in_c = Q->in_c;
      L->kh = Q->kh;
      L->kw = Q->kw;
      L->stride = Q->stride;
      L->pad = Q->pad;
    }
    L->out_h = Q->out_h;
    L->out_w = Q->out_w;
    L->out_c = Q->out_c;
    L->K = khw;
    L->N = Q->N;
    L->out_scale = Q->out_scale;
    const uint64_t wb = kg_pack_weight_bytes(khw, Q->N, g);
    if (w_len + wb > KGM_MAX_FILE || p_len + 16ull * Q->N > KGM_MAX_FILE) {
      kgm_model_free(out);
      return LOCK_FAIL(KG_E_TOO_BIG, "layer %u: the weight image exceeds %u bytes", l, KGM_MAX_FILE);
    }
    L->p_off = (uint32_t)p_len;
    L->w_off = (uint32_t)w_len;
    L->w_len = (uint32_t)wb;
    p_len += 16ull * Q->N;
    w_len += wb;
  }
  out->params = calloc(p_len ? p_len : 1, 1);
  out->wimg = calloc(w_len ? w_len : 1, 1);
  out->params_len = p_len;
  out->wimg_len = w_len;
  if (!out->params || !out->wimg) {
    kgm_model_free(out);
    return LOCK_FAIL(KG_E_NOMEM, "out of memory");
  }

  /* (1) hardware layout, (2) sign lock, (3) tiles and parameters. */
  const uint8_t *key_s = opts->sign ? opts->keys->sign_key : NULL;
  for (uint32_t l = 0; l < q->n_layers && rc == KG_OK; l++) {
    const kg_qlayer *Q = &q->layers[l];
    const kgm_layer *L = &out->layers[l];
    int8_t *W = hw_weights(q, l, L->K);
    if (!W) {
      rc = LOCK_FAIL(KG_E_NOMEM, "out of memory for layer %u", l);
      break;
    }
    if (key_s && kg_ref_lock_sign(L->K, L->N, W, key_s, g, W) != KG_REF_OK)
      rc = LOCK_FAIL(KG_E_LAYER, "layer %u: a weight is -128 (cannot be sign-locked)", l);
    if (rc == KG_OK &&
        (kg_pack_weights(L->K, L->N, W, g, out->wimg + L->w_off, L->w_len) != KG_REF_OK ||
         kg_pack_params(L->N, Q->bias, Q->mult, Q->shift, out->params + L->p_off,
                        16u * (size_t)L->N) != KG_REF_OK))
      rc = LOCK_FAIL(KG_E_LAYER, "layer %u: cannot pack", l);
    free(W);
  }

  /* (4) encryption over the whole image, position = offset. */
  if (rc == KG_OK && opts->crypt != KGM_CRYPT_NONE) {
    if (opts->nonce)
      memcpy(out->nonce, opts->nonce, sizeof out->nonce);
    else
      rc = kg_urandom(out->nonce, 12, detail);
    kg_aes_key ak;
    if (rc == KG_OK && kg_aes_key_init(&ak, opts->keys->aes_key, opts->keys->aes_len) != KG_AES_OK)
      rc = LOCK_FAIL(KG_E_INVAL, "bad AES key");
    if (rc == KG_OK) {
      const int r = kg_crypt_encrypt((int)opts->crypt, &ak, out->nonce, 0, out->wimg, out->wimg_len);
      if (r != KG_AES_OK)
        rc = LOCK_FAIL(KG_E_INVAL, "encryption failed: %s", kg_aes_strerror(r));
      kg_kcv(&ak, out->nonce, out->kcv);
      kg_aes_key_wipe(&ak);
    }
  }
  if (rc == KG_OK) rc = kgm_validate(out, detail);
  if (rc != KG_OK) kgm_model_free(out);
  return rc;
}
