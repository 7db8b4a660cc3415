/* kglock: unlocked .kgq -> locked, encrypted .kgm (kgmac/lock.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kg_auth.h"
#include "kglock_internal.h"
#include "kgmac/file_io.h"
#include "kgmac/layer_pack.h"
#include "kgmac/lock.h"

#define LOCK_FAIL(code, ...) kg_fail(detail, (code), __VA_ARGS__)

static int pow2_side(uint32_t v) {
  return v >= 1 && v <= 64 && (v & (v - 1)) == 0;
}

static int check_opts(const kg_qmodel *q, const kglock_opts *o, char *detail) {
  if (!pow2_side(o->rows) || !pow2_side(o->cols) || o->rows * o->cols > 1024u)
    return LOCK_FAIL(KG_E_INVAL, "geometry %ux%u (powers of two 1..64, rows*cols <= 1024)",
                     o->rows, o->cols);
  if (o->crypt > KGM_CRYPT_CTR) return LOCK_FAIL(KG_E_INVAL, "crypt mode %u", o->crypt);
  if (o->version != 0 && (o->version < KGM_VERSION_MIN || o->version > KGM_VERSION))
    return LOCK_FAIL(KG_E_INVAL, "format version %u (%u or %u)", o->version, KGM_VERSION_MIN,
                     KGM_VERSION);
  const int keyed = o->crypt != KGM_CRYPT_NONE || o->sign;
  if (keyed && !o->keys) return LOCK_FAIL(KG_E_INVAL, "locking needs keys");
  /* Version 2 derives every model key from the device AES key, so a
   * sign-only model needs it too. */
  const int need_aes = o->crypt != KGM_CRYPT_NONE || (keyed && o->version != 1u);
  if (need_aes && o->keys->aes_len != 16 && o->keys->aes_len != 24 && o->keys->aes_len != 32)
    return LOCK_FAIL(KG_E_INVAL, "%s needs an AES key of 16, 24 or 32 bytes (have %u)",
                     o->crypt != KGM_CRYPT_NONE ? kgm_crypt_name(o->crypt)
                                                : "a version-2 sign lock (its keys derive from it)",
                     o->keys->aes_len);
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
    if (kglock_hw_k(q, l) > KGM_MAX_K)
      return LOCK_FAIL(KG_E_TOO_BIG, "layer %u: K = %llu (limit %u)", l,
                       (unsigned long long)kglock_hw_k(q, l), KGM_MAX_K);
  }
  return KG_OK;
}

int kglock_model(const kg_qmodel *q, const kglock_opts *opts, kgm_model *out, char *detail) {
  if (detail) detail[0] = '\0';
  if (!out) return LOCK_FAIL(KG_E_INVAL, "no output model");
  memset(out, 0, sizeof *out);
  if (!q || !opts) return LOCK_FAIL(KG_E_INVAL, "NULL argument");
  int rc = check_opts(q, opts, detail);
  if (rc != KG_OK) return rc;
  const kg_geom g = {opts->rows, opts->cols};

  const int keyed = opts->crypt != KGM_CRYPT_NONE || opts->sign;
  out->version = opts->version ? opts->version : KGM_VERSION;
  const int auth = out->version >= 2u && keyed;
  out->flags = (opts->sign ? KGM_FLAG_SIGN : 0u) | (auth ? KGM_FLAG_AUTH : 0u);
  out->rows = opts->rows;
  out->cols = opts->cols;
  out->crypt = opts->crypt;
  out->aes_len = opts->crypt != KGM_CRYPT_NONE || auth ? opts->keys->aes_len : 0u;
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
    const uint32_t khw = (uint32_t)kglock_hw_k(q, l);
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

  /* The nonce, the device key and (version 2) the model's keys. */
  const uint32_t bits = opts->rows * opts->cols;
  kg_aes_key dev;
  kg_model_keys mk;
  uint8_t eff_sign[KG_SIGN_MASK_MAX];
  memset(&dev, 0, sizeof dev);
  memset(&mk, 0, sizeof mk);
  memset(eff_sign, 0, sizeof eff_sign);
  const kg_aes_key *wkey = &dev;
  const uint8_t *key_s = opts->sign ? opts->keys->sign_key : NULL;
  if (out->aes_len) {
    if (opts->nonce)
      memcpy(out->nonce, opts->nonce, sizeof out->nonce);
    else
      rc = kg_urandom(out->nonce, 12, detail);
    if (rc == KG_OK && kg_aes_key_init(&dev, opts->keys->aes_key, out->aes_len) != KG_AES_OK)
      rc = LOCK_FAIL(KG_E_INVAL, "bad AES key");
    if (rc == KG_OK) kg_kcv(&dev, out->nonce, out->kcv);
  }
  if (rc == KG_OK && auth) {
    if (kg_model_keys_derive(&dev, out->nonce, bits, &mk) != KG_AES_OK)
      rc = LOCK_FAIL(KG_E_INVAL, "cannot derive the model keys");
    wkey = &mk.enc;
    if (key_s) {
      kg_model_sign_key(&mk, opts->keys->sign_key, bits, eff_sign);
      key_s = eff_sign;
    }
  }

  /* (1) hardware layout, (2) sign lock, (3) tiles and parameters,
   * (3b) version 2: random padding. */
  for (uint32_t l = 0; l < q->n_layers && rc == KG_OK; l++) {
    const kg_qlayer *Q = &q->layers[l];
    const kgm_layer *L = &out->layers[l];
    int8_t *W = kglock_hw_rows(q, l, L->K, Q->W);
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
    if (rc == KG_OK && auth)
      rc = kglock_random_padding(q, l, L, g, out->wimg + L->w_off, detail);
    free(W);
  }

  /* (4) encryption over the whole image, position = offset. */
  if (rc == KG_OK && opts->crypt != KGM_CRYPT_NONE) {
    const int r = kg_crypt_encrypt((int)opts->crypt, wkey, out->nonce, 0, out->wimg, out->wimg_len);
    if (r != KG_AES_OK) rc = LOCK_FAIL(KG_E_INVAL, "encryption failed: %s", kg_aes_strerror(r));
  }
  /* (5) version 2: the tag over header .. weight image. */
  if (rc == KG_OK && auth) rc = kglock_tag(out, &mk.mac, detail);
  kg_model_keys_wipe(&mk);
  kg_aes_key_wipe(&dev);
  for (volatile uint8_t *p = eff_sign; p < eff_sign + sizeof eff_sign; p++) *p = 0;
  if (rc == KG_OK) rc = kgm_validate(out, detail);
  if (rc != KG_OK) kgm_model_free(out);
  return rc;
}
