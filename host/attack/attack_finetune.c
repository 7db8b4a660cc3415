/* The fine-tuning thief: a float model from a .kgm's readable bytes, a
 * stratified slice of the training set, and the C trainer
 * (kgattack/attack_ml.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kg_aes.h"
#include "kgattack/attack_ml.h"
#include "kgmac/layer_pack.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int32_t rd_le32s(const uint8_t *p) {
  return (int32_t)((uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
                   ((uint32_t)p[3] << 24));
}

const char *kga_scheme_name(const kgm_model *f) {
  const int sign = (f->flags & KGM_FLAG_SIGN) != 0;
  switch (f->crypt) {
    case KGM_CRYPT_NONE: return sign ? "sign-only" : "none";
    case KGM_CRYPT_DEEPLOCK: return sign ? "deeplock+sign" : "deeplock";
    case KGM_CRYPT_CTR: return sign ? "ctr+sign" : "ctr";
    default: return "unknown";
  }
}

/* The float architecture of f's layer table. */
static int thief_specs(const kgm_model *f, kgml_layer_spec *s, char *detail) {
  if (f->n_layers == 0 || f->n_layers > KGML_MAX_LAYERS)
    return kg_fail(detail, KGML_E_LAYOUT, "%u layers (the float trainer takes 1..%u)", f->n_layers,
                KGML_MAX_LAYERS);
  for (uint32_t l = 0; l < f->n_layers; l++) {
    const kgm_layer *L = &f->layers[l];
    memset(&s[l], 0, sizeof s[l]);
    s[l].out_c = L->N;
    s[l].relu = L->relu;
    if (L->type == KGM_LAYER_FC) {
      s[l].type = KGML_LAYER_FC;
    } else {
      if (L->kh != L->kw)
        return kg_fail(detail, KGML_E_LAYOUT, "layer %u: %ux%u kernel (the float trainer is square)",
                    l, L->kh, L->kw);
      s[l].type = KGML_LAYER_CONV;
      s[l].k = L->kh;
      s[l].stride = L->stride;
      s[l].pad = L->pad;
    }
  }
  return KGML_OK;
}

/* Hardware K of float layer l: FC after a convolution reads 16-byte pixels. */
static uint64_t hw_rows(const kgml_model *m, uint32_t l) {
  const kgml_layer *L = &m->layer[l];
  if (L->spec.type == KGML_LAYER_FC && l > 0 && m->layer[l - 1].spec.type == KGML_LAYER_CONV &&
      L->in_c % 16u)
    return kg_pack_fc_after_conv_k(L->in_h, L->in_w, L->in_c);
  return L->K;
}

/* Undo the tile layout of one layer and dequantize it into float layer F. */
static int read_layer(const kgm_model *f, uint32_t l, const uint8_t *img, kgml_layer *F,
                      char *detail) {
  const kgm_layer *L = &f->layers[l];
  const uint32_t R = f->rows, C = f->cols, K = L->K, N = L->N;
  const size_t tile = ((size_t)R * C + 15u) & ~(size_t)15u;
  const uint32_t KT = (K + R - 1) / R, NT = (N + C - 1) / C;
  if ((uint64_t)tile * KT * NT > L->w_len || (uint64_t)L->w_off + L->w_len > f->wimg_len ||
      (uint64_t)L->p_off + 16ull * N > f->params_len)
    return kg_fail(detail, KGML_E_LAYOUT, "layer %u: sections shorter than its tiles", l);
  const double s_in = l == 0 ? (double)f->in_scale : (double)f->layers[l - 1].out_scale;
  const double s_out = (double)L->out_scale;
  if (!(s_in > 0.0) || !(s_out > 0.0) || !isfinite(s_in) || !isfinite(s_out))
    return kg_fail(detail, KGML_E_SCALE, "layer %u: scales %g -> %g", l, s_in, s_out);
  const uint32_t c_in = F->in_c, c_hw = (uint32_t)kg_pack_act_stride(c_in);
  const int padded = K != F->K;
  for (uint32_t n = 0; n < N; n++) {
    const uint8_t *rec = f->params + L->p_off + 16u * (size_t)n;
    const int32_t bias = rd_le32s(rec), mult = rd_le32s(rec + 4);
    const uint8_t shift = rec[8];
    const double sw = ldexp((double)mult, -(int)shift) * s_out / s_in;
    F->b[n] = (float)((double)bias * s_in * sw);
    const uint32_t nt = n / C, c = n % C;
    for (uint32_t k = 0; k < F->K; k++) {
      /* float row k sits at hardware row kh (past the pixel padding). */
      const uint32_t kh = padded ? (k / c_in) * c_hw + k % c_in : k;
      const uint32_t kt = kh / R, r = kh % R;
      const int8_t q = (int8_t)img[L->w_off + ((size_t)nt * KT + kt) * tile + (size_t)r * C + c];
      F->w[(size_t)k * N + n] = (float)((double)q * sw);
    }
  }
  return KGML_OK;
}

int kga_thief_model(const kgm_model *f, const uint8_t *guess_key, uint32_t guess_len,
                    kgml_model *out, char *detail) {
  if (!out) return kg_fail(detail, KGML_E_INVAL, "no output model");
  memset(out, 0, sizeof *out);
  if (!f || !f->layers || !f->params || !f->wimg)
    return kg_fail(detail, KGML_E_INVAL, "no .kgm model");
  if (f->rows == 0 || f->cols == 0) return kg_fail(detail, KGML_E_LAYOUT, "geometry 0");
  if (f->crypt != KGM_CRYPT_NONE && (!guess_key || guess_len != f->aes_len))
    return kg_fail(detail, KGML_E_INVAL, "an encrypted image needs a %u-byte key guess", f->aes_len);
  kgml_layer_spec specs[KGML_MAX_LAYERS];
  int rc = thief_specs(f, specs, detail);
  if (rc != KGML_OK) return rc;
  rc = kgml_model_build(out, "thief", f->in_h, f->in_w, f->in_c, specs, f->n_layers, 0, detail);
  if (rc != KGML_OK) return rc;
  for (uint32_t l = 0; l < f->n_layers; l++)
    if (hw_rows(out, l) != f->layers[l].K || out->layer[l].N != f->layers[l].N) {
      kgml_model_free(out);
      return kg_fail(detail, KGML_E_LAYOUT, "layer %u: K %u x N %u in the file, %llu x %u expected",
                  l, f->layers[l].K, f->layers[l].N, (unsigned long long)hw_rows(out, l),
                  out->layer[l].N);
    }
  uint8_t *img = malloc(f->wimg_len ? f->wimg_len : 1);
  if (!img) {
    kgml_model_free(out);
    return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  }
  memcpy(img, f->wimg, f->wimg_len);
  if (f->crypt != KGM_CRYPT_NONE) {
    kg_aes_key ak;
    int a = kg_aes_key_init(&ak, guess_key, guess_len);
    if (a == KG_AES_OK) a = kg_crypt_decrypt((int)f->crypt, &ak, f->nonce, 0, img, f->wimg_len);
    kg_aes_key_wipe(&ak);
    if (a != KG_AES_OK) rc = kg_fail(detail, KGML_E_INVAL, "decryption: %s", kg_aes_strerror(a));
  }
  for (uint32_t l = 0; l < f->n_layers && rc == KGML_OK; l++)
    rc = read_layer(f, l, img, &out->layer[l], detail);
  free(img);
  if (rc != KGML_OK) kgml_model_free(out);
  return rc;
}

int kga_stratified_subset(const kgml_dataset *ds, double frac, uint64_t seed,
                          kgml_dataset *out, char *detail) {
  if (!out) return kg_fail(detail, KGML_E_INVAL, "no output set");
  memset(out, 0, sizeof *out);
  if (!ds || !ds->pix || !ds->labels || ds->n == 0)
    return kg_fail(detail, KGML_E_INVAL, "empty training set");
  if (!(frac > 0.0 && frac <= 1.0))
    return kg_fail(detail, KGML_E_INVAL, "fraction %g outside (0, 1]", frac);
  enum { CLASSES = 10 };
  uint32_t count[CLASSES] = {0};
  for (uint32_t i = 0; i < ds->n; i++) {
    if (ds->labels[i] >= CLASSES) return kg_fail(detail, KGML_E_IDX, "label %u", ds->labels[i]);
    count[ds->labels[i]]++;
  }
  uint32_t *idx = malloc(ds->n * sizeof *idx);
  uint8_t *keep = calloc(ds->n, 1);
  if (!idx || !keep) {
    free(idx);
    free(keep);
    return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  }
  uint32_t total = 0;
  for (uint32_t c = 0; c < CLASSES; c++) {
    if (count[c] == 0) continue;
    uint32_t m = 0;
    for (uint32_t i = 0; i < ds->n; i++)
      if (ds->labels[i] == c) idx[m++] = i;
    kgml_rng rng = {seed * 0x100000001b3ull + c};
    for (uint32_t i = m - 1; i > 0; i--) {
      const uint32_t j = kgml_rng_below(&rng, i + 1);
      const uint32_t t = idx[i];
      idx[i] = idx[j];
      idx[j] = t;
    }
    uint32_t take = (uint32_t)llround(frac * m);
    if (take < 1) take = 1;
    for (uint32_t i = 0; i < take; i++) keep[idx[i]] = 1;
    total += take;
  }
  const size_t sz = (size_t)ds->rows * ds->cols;
  out->pix = malloc(total * sz);
  out->labels = malloc(total);
  if (!out->pix || !out->labels) {
    kgml_dataset_free(out);
    free(idx);
    free(keep);
    return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  }
  out->n = total;
  out->rows = ds->rows;
  out->cols = ds->cols;
  for (uint32_t i = 0, o = 0; i < ds->n; i++)
    if (keep[i]) {
      memcpy(out->pix + (size_t)o * sz, ds->pix + (size_t)i * sz, sz);
      out->labels[o++] = ds->labels[i];
    }
  free(idx);
  free(keep);
  return KGML_OK;
}

int kga_scratch_model(const kgml_model *arch, uint64_t seed, kgml_model *out, char *detail) {
  if (!out) return kg_fail(detail, KGML_E_INVAL, "no output model");
  memset(out, 0, sizeof *out);
  if (!arch || arch->n_layers == 0) return kg_fail(detail, KGML_E_INVAL, "no architecture");
  kgml_layer_spec specs[KGML_MAX_LAYERS];
  for (uint32_t l = 0; l < arch->n_layers; l++) specs[l] = arch->layer[l].spec;
  return kgml_model_build(out, "scratch", arch->in_h, arch->in_w, arch->in_c, specs,
                          arch->n_layers, seed, detail);
}

/* Accuracy on the first n_test images of test (0 = all). */
static int eval_prefix(const kgml_model *m, const kgml_dataset *test, uint32_t n_test,
                       uint32_t nthreads, double *acc) {
  kgml_dataset view = *test;
  if (n_test && n_test < test->n) view.n = n_test;
  return kgml_evaluate(m, &view, nthreads, acc);
}

int kga_finetune(const kgml_model *start, const kgml_dataset *subset, const kgml_dataset *test,
                 uint32_t n_test, const kgml_train_opts *o, kga_finetune_result *r,
                 char *detail) {
  if (!start || !subset || !test || !o || !r) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(r, 0, sizeof *r);
  r->n_subset = subset->n;
  int rc = eval_prefix(start, test, n_test, o->nthreads, &r->acc_start);
  if (rc != KGML_OK) return kg_fail(detail, rc, "evaluation of the starting point failed");
  kgml_model m;
  rc = kgml_model_copy(&m, start);
  if (rc != KGML_OK) return kg_fail(detail, rc, "out of memory");
  kgml_train_opts to = *o;
  to.test = NULL;
  to.on_epoch = NULL;
  const double t0 = now_s();
  rc = kgml_train(&m, subset, &to, NULL, detail);
  r->seconds = now_s() - t0;
  if (rc == KGML_OK) {
    rc = eval_prefix(&m, test, n_test, o->nthreads, &r->acc_thief);
    if (rc != KGML_OK) kg_fail(detail, rc, "evaluation after fine-tuning failed");
  }
  kgml_model_free(&m);
  return rc;
}

void kga_guess_key(uint64_t seed, uint8_t *key, uint32_t len) {
  kgml_rng rng = {seed ^ 0x6775657373206b65ull};
  for (uint32_t i = 0; i < len; i++) key[i] = (uint8_t)(kgml_rng_next(&rng) >> 56);
}

/* Negate every float weight that PE (r, c) multiplies, in every layer. */
static void flip_pe(kgml_model *t, const kgm_model *f, uint32_t r, uint32_t c) {
  for (uint32_t l = 0; l < t->n_layers; l++) {
    kgml_layer *F = &t->layer[l];
    const uint32_t c_in = F->in_c, c_hw = (uint32_t)kg_pack_act_stride(c_in);
    const int padded = f->layers[l].K != F->K;
    for (uint32_t k = 0; k < F->K; k++) {
      const uint32_t kh = padded ? (k / c_in) * c_hw + k % c_in : k;
      if (kh % f->rows != r) continue;
      for (uint32_t n = c; n < F->N; n += f->cols) F->w[(size_t)k * F->N + n] = -F->w[(size_t)k * F->N + n];
    }
  }
}

/* Greedy first-improvement sweeps from t's current signs. */
static int greedy_sweeps(kgml_model *t, const kgm_model *f, const kgml_dataset *sub,
                         uint32_t n_eval, uint32_t max_sweeps, uint8_t *key, double *best,
                         uint32_t *ev) {
  const uint32_t bits = f->rows * f->cols;
  int rc = KGML_OK;
  for (uint32_t sweep = 0; sweep < max_sweeps && rc == KGML_OK; sweep++) {
    int improved = 0;
    for (uint32_t b = 0; b < bits && rc == KGML_OK; b++) {
      flip_pe(t, f, b / f->cols, b % f->cols);
      double loss;
      rc = kgml_mean_loss(t, sub, n_eval, &loss);
      (*ev)++;
      if (rc == KGML_OK && loss < *best) {
        *best = loss;
        key[b / 8] ^= (uint8_t)(1u << (b % 8));
        improved = 1;
      } else {
        flip_pe(t, f, b / f->cols, b % f->cols); /* undo */
      }
    }
    if (!improved) break;
  }
  return rc;
}

int kga_sign_search(kgml_model *t, const kgm_model *f, const kgml_dataset *sub, uint32_t n_eval,
                    uint32_t max_sweeps, uint8_t *key, uint32_t *evals, char *detail) {
  if (!t || !t->params || !f || !sub || !key || max_sweeps == 0)
    return kg_fail(detail, KGML_E_INVAL, "bad argument");
  if (t->n_layers != f->n_layers || f->rows == 0 || f->cols == 0 || f->rows * f->cols > 1024u)
    return kg_fail(detail, KGML_E_MISMATCH, "the model does not match the .kgm");
  const uint32_t bits = f->rows * f->cols, nbytes = (bits + 7) / 8;
  memset(key, 0, nbytes);
  uint32_t ev = 0;
  double best;
  int rc = kgml_mean_loss(t, sub, n_eval, &best);
  ev++;
  if (rc == KGML_OK) rc = greedy_sweeps(t, f, sub, n_eval, max_sweeps, key, &best, &ev);
  /* Iterated local search: kick KICK random bits, descend again, keep the
   * result only if the loss is lower. */
  enum { KICKS = 6, KICK = 3 };
  kgml_rng rng = {0x7369676e6b69636bull};
  uint8_t trial[128];
  for (uint32_t r = 0; r < KICKS && rc == KGML_OK; r++) {
    memcpy(trial, key, nbytes);
    uint32_t kicked[KICK];
    for (uint32_t j = 0; j < KICK; j++) {
      kicked[j] = kgml_rng_below(&rng, bits);
      flip_pe(t, f, kicked[j] / f->cols, kicked[j] % f->cols);
      trial[kicked[j] / 8] ^= (uint8_t)(1u << (kicked[j] % 8));
    }
    double loss;
    rc = kgml_mean_loss(t, sub, n_eval, &loss);
    ev++;
    if (rc == KGML_OK) rc = greedy_sweeps(t, f, sub, n_eval, max_sweeps, trial, &loss, &ev);
    if (rc != KGML_OK) break;
    if (loss < best) {
      best = loss;
      memcpy(key, trial, nbytes);
    } else {
      for (uint32_t b = 0; b < bits; b++) /* back to key's signs */
        if (((trial[b / 8] ^ key[b / 8]) >> (b % 8)) & 1) flip_pe(t, f, b / f->cols, b % f->cols);
    }
  }
  if (evals) *evals = ev;
  if (rc != KGML_OK) return kg_fail(detail, rc, "loss evaluation failed");
  return KGML_OK;
}
