/*
 * sign-oracle: recover the R x C sign key from a device whose vault holds
 * it (docs/security.md). The attack never sees the key: it only submits
 * models or inputs through libkgmac and reads int8 outputs.
 *
 * (The crafted-layer settings are in attack_sign_crafted.c.)
 *
 * I/O setting (in the spirit of the oracle attacks of Li et al., DAC 2024).
 * The attacker can only run the victim's model on inputs he chooses and
 * read its int8 logits, but the model is sign-only (crypt none), so he reads
 * the locked weights, biases and requantization in clear: the key is the
 * only unknown. He submits Q chosen inputs (random sparse pixel patterns),
 * then searches the key whose bit-exact host simulation of the model
 * reproduces the observed logits: coordinate descent over the R*C bits on
 * the L1 distance between simulated and observed logits, starting from the
 * all-zero key, flipping a bit whenever that lowers the distance, until the
 * distance is 0 or a whole pass changes nothing. A key that explains every
 * query is then checked on V fresh inputs. The first layer's accumulators
 * are precomputed once per residue class k mod R, so a hypothesis costs R
 * additions per first-layer output plus the rest of the network.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"
#include "kgmac/layer_pack.h"

/* Bound on the precomputed first-layer accumulators (queries x model). */
#define KGA_IO_MAX_BYTES (1024.0 * 1024.0 * 1024.0)

static int key_get(const uint8_t *key, uint32_t bit) { return key[bit / 8] >> (bit % 8) & 1; }
static void key_flip(uint8_t *key, uint32_t bit) { key[bit / 8] ^= (uint8_t)(1u << (bit % 8)); }

/* ---- I/O only ------------------------------------------------------------- */

typedef struct io_ctx {
  const kgm_model *m;
  int8_t **Wl;          /* hardware weights per layer, sign-locked */
  uint32_t n;           /* inputs */
  uint32_t rows0;       /* GEMM rows of layer 0 per input (1 for FC, OH*OW for conv) */
  int32_t *part;        /* R x (n*rows0) x N0 partial accumulators of layer 0 */
  kga_params p0;
  int8_t *h1;           /* layer 0 output, n x out0 */
  int8_t *sim;          /* n x out */
  const int8_t *obs;    /* n x out */
  uint32_t out_size;
} io_ctx;

/* part[r][row][n] = sum over k = r mod R of A[row][k] * W0[k][n]. */
static int io_precompute(io_ctx *x, const int8_t *in) {
  const kgm_model *m = x->m;
  const kgm_layer *L = &m->layers[0];
  const uint32_t R = m->rows;
  const uint64_t isz = kga_model_input_size(m);
  x->rows0 = L->type == KGM_LAYER_CONV ? L->out_h * L->out_w : 1u;
  const size_t rows = (size_t)x->n * x->rows0;
  if ((double)R * rows * L->N * sizeof *x->part > KGA_IO_MAX_BYTES) return KG_E_TOO_BIG;
  x->part = calloc((size_t)R * rows * L->N, sizeof *x->part);
  int8_t *cols = malloc((size_t)x->rows0 * L->K);
  if (!x->part || !cols) {
    free(cols);
    return KG_E_NOMEM;
  }
  const kg_conv_shape s = {L->in_h, L->in_w, L->in_c, L->N, L->kh, L->kw, L->stride, L->pad};
  for (uint32_t i = 0; i < x->n; i++) {
    const int8_t *A = in + i * isz;
    if (L->type == KGM_LAYER_CONV) {
      if (kg_ref_im2col(&s, A, cols) != KG_REF_OK) {
        free(cols);
        return KG_E_INVAL;
      }
      A = cols;
    }
    for (uint32_t j = 0; j < x->rows0; j++) {
      const int8_t *a = A + (size_t)j * L->K;
      for (uint32_t k = 0; k < L->K; k++) {
        if (!a[k]) continue;
        int32_t *dst = x->part + ((size_t)(k % R) * rows + (size_t)i * x->rows0 + j) * L->N;
        const int8_t *w = x->Wl[0] + (size_t)k * L->N;
        for (uint32_t n = 0; n < L->N; n++) dst[n] += (int32_t)a[k] * w[n];
      }
    }
  }
  free(cols);
  return KG_OK;
}

/* Simulate every input with key `key`; return the L1 distance to obs. */
static int io_distance(io_ctx *x, const uint8_t *key, uint64_t *dist) {
  const kgm_model *m = x->m;
  const kgm_layer *L = &m->layers[0];
  const uint32_t R = m->rows, C = m->cols;
  const size_t rows = (size_t)x->n * x->rows0;
  for (size_t row = 0; row < rows; row++)
    for (uint32_t n = 0; n < L->N; n++) {
      int32_t acc = 0;
      for (uint32_t r = 0; r < R; r++) {
        const int32_t v = x->part[((size_t)r * rows + row) * L->N + n];
        acc += key_get(key, r * C + n % C) ? -v : v;
      }
      x->h1[row * L->N + n] =
          kg_requant_one(acc, x->p0.bias[n], x->p0.mult[n], x->p0.shift[n], (int)L->relu);
    }
  const int8_t *last = x->h1;
  if (m->n_layers > 1) {
    const int rc = kga_forward_from(m, x->Wl, key, 1, x->h1, x->n, x->sim);
    if (rc != KG_OK) return rc;
    last = x->sim;
  }
  uint64_t d = 0;
  for (size_t i = 0; i < (size_t)x->n * x->out_size; i++) {
    const int e = (int)last[i] - (int)x->obs[i];
    d += (uint64_t)(e < 0 ? -e : e);
  }
  *dist = d;
  return KG_OK;
}

/* Chosen inputs: sparse pixel patterns (1 to 16 active pixels at values
 * 32..127, the range of kgmac's in_scale 1/127), which keep the network's
 * activations away from saturation so that one key bit's effect shows. */
static void io_inputs(int8_t *in, uint32_t n, uint32_t isz, uint64_t *seed) {
  memset(in, 0, (size_t)n * isz);
  for (uint32_t i = 0; i < n; i++) {
    const uint32_t active = 1u + i % 16u;
    for (uint32_t a = 0; a < active; a++) {
      *seed = *seed * 6364136223846793005ull + 1442695040888963407ull;
      const uint32_t r = (uint32_t)(*seed >> 32);
      in[(size_t)i * isz + r % isz] = (int8_t)(32u + (r >> 24) % 96u);
    }
  }
}

static int io_ctx_init(io_ctx *x, const kgm_model *m, uint32_t n, const int8_t *in,
                       const int8_t *obs) {
  memset(x, 0, sizeof *x);
  x->m = m;
  x->n = n;
  x->obs = obs;
  x->out_size = kga_model_output_size(m);
  x->Wl = calloc(m->n_layers, sizeof *x->Wl);
  if (!x->Wl) return KG_E_NOMEM;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    x->Wl[l] = malloc((size_t)m->layers[l].K * m->layers[l].N);
    if (!x->Wl[l]) return KG_E_NOMEM;
    kga_unpack_layer(m, l, m->wimg, x->Wl[l]);
  }
  int rc = kga_params_read(m, 0, &x->p0);
  if (rc == KG_OK) rc = io_precompute(x, in);
  if (rc != KG_OK) return rc;
  x->h1 = malloc((size_t)n * kga_layer_out_size(&m->layers[0]));
  x->sim = malloc((size_t)n * x->out_size);
  return x->h1 && x->sim ? KG_OK : KG_E_NOMEM;
}

static void io_ctx_free(io_ctx *x) {
  for (uint32_t l = 0; x->Wl && l < x->m->n_layers; l++) free(x->Wl[l]);
  free(x->Wl);
  free(x->part);
  kga_params_free(&x->p0);
  free(x->h1);
  free(x->sim);
  memset(x, 0, sizeof *x);
}

/* Submit n chosen inputs to the victim's model (one kg_infer call). */
static int io_query(kg_model *victim, const kgm_model *m, uint32_t n, uint64_t *seed,
                    int8_t **in, int8_t **out, kga_sign_result *res, char *detail) {
  const uint32_t isz = kga_model_input_size(m), osz = kga_model_output_size(m);
  *in = malloc((size_t)n * isz);
  *out = malloc((size_t)n * osz);
  if (!*in || !*out) return kga_fail(detail, KG_E_NOMEM, "out of memory");
  io_inputs(*in, n, isz, seed);
  const int rc = kg_infer(victim, *in, n, *out);
  if (rc != KG_OK)
    return kga_fail(detail, rc, "the victim's model did not run: %s", kg_strerror(rc));
  res->queries += n;
  res->device_runs++;
  return KG_OK;
}

/* Flip bits one at a time, keeping every flip that lowers the distance,
 * until the distance is 0, a pass changes nothing, or `sweeps` passes. */
static int descend(io_ctx *x, uint8_t *key, uint64_t *best, uint32_t sweeps,
                   kga_sign_result *res, const kga_progress *prog, uint64_t budget) {
  for (uint32_t s = 0; *best > 0 && s < sweeps; s++) {
    int changed = 0;
    res->sweeps++;
    for (uint32_t b = 0; b < res->bits && *best > 0; b++) {
      key_flip(key, b);
      uint64_t d = 0;
      const int rc = io_distance(x, key, &d);
      res->hypotheses++;
      if (rc != KG_OK) return rc;
      if (d < *best) {
        *best = d;
        changed = 1;
      } else {
        key_flip(key, b);
      }
      kga_report(prog, "search", res->hypotheses < budget ? res->hypotheses : budget, budget);
    }
    if (!changed) break;
  }
  return KG_OK;
}

int kga_sign_oracle_io(kg_model *victim, const kgm_model *m, const kga_io_opts *opts,
                       const kga_progress *prog, kga_sign_result *res, char *detail) {
  if (!victim || !m || !res) return kga_fail(detail, KG_E_INVAL, "NULL argument");
  memset(res, 0, sizeof *res);
  if (m->crypt != KGM_CRYPT_NONE || !(m->flags & KGM_FLAG_SIGN))
    return kga_fail(detail, KG_E_INVAL,
                    "the I/O attack needs a sign-only model (crypt none, SIGN set); this one "
                    "is crypt %s%s", kgm_crypt_name(m->crypt),
                    (m->flags & KGM_FLAG_SIGN) ? "" : " without SIGN");
  if ((uint64_t)m->rows * m->cols > KGA_MAX_SIGN_BITS)
    return kga_fail(detail, KG_E_INVAL, "more than %u key bits", KGA_MAX_SIGN_BITS);
  kg_model_info vi;
  int rc = kg_model_query(victim, &vi);
  if (rc != KG_OK || vi.input_size != kga_model_input_size(m) ||
      vi.output_size != kga_model_output_size(m))
    return kga_fail(detail, KG_E_INVAL, "the victim's loaded model does not match the file");
  const double t0 = kga_now();
  const uint32_t Q = opts && opts->queries ? opts->queries : 64u;
  const uint32_t V = opts && opts->validate ? opts->validate : 64u;
  const uint32_t sweeps = opts && opts->max_sweeps ? opts->max_sweeps : 8u;
  const uint32_t restarts = opts && opts->restarts ? opts->restarts : 16u;
  uint64_t seed = (opts ? opts->seed : 0) ^ 0x6b676d6163ull;
  res->rows = m->rows;
  res->cols = m->cols;
  res->bits = m->rows * m->cols;
  int8_t *in = NULL, *obs = NULL, *vin = NULL, *vobs = NULL;
  io_ctx x, v;
  memset(&x, 0, sizeof x);
  memset(&v, 0, sizeof v);
  kga_report(prog, "query", 0, 1);
  rc = io_query(victim, m, Q, &seed, &in, &obs, res, detail);
  if (rc == KG_OK && (rc = io_ctx_init(&x, m, Q, in, obs)) != KG_OK)
    kga_fail(detail, rc, "%u queries on this model need more than %.0f MiB (or memory ran out)",
             Q, KGA_IO_MAX_BYTES / (1024.0 * 1024.0));
  uint8_t *key = res->key;
  uint64_t best = 0;
  if (rc == KG_OK) rc = io_distance(&x, key, &best);
  res->hypotheses = 1;
  const uint64_t budget = (uint64_t)sweeps * res->bits * (restarts + 1u);
  /* Coordinate descent, then restarts from the best key with random bits
   * flipped while the fit is not exact. */
  if (rc == KG_OK) rc = descend(&x, key, &best, sweeps, res, prog, budget);
  uint8_t trial[KGA_MAX_SIGN_BITS / 8];
  for (uint32_t t = 0; rc == KG_OK && best > 0 && t < restarts; t++) {
    memcpy(trial, key, sizeof trial);
    for (uint32_t bit = 0; bit < res->bits; bit++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      if ((seed >> 60) < 4) key_flip(trial, bit); /* probability 1/4 */
    }
    uint64_t d = 0;
    rc = io_distance(&x, trial, &d);
    res->hypotheses++;
    res->restarts++;
    if (rc == KG_OK) rc = descend(&x, trial, &d, sweeps, res, prog, budget);
    if (rc == KG_OK && d < best) {
      best = d;
      memcpy(key, trial, sizeof trial);
    }
  }
  res->mismatch = best;
  /* Bits the queries pin down: flipping them breaks an exact fit. */
  for (uint32_t b = 0; rc == KG_OK && best == 0 && b < res->bits; b++) {
    key_flip(key, b);
    uint64_t d = 0;
    rc = io_distance(&x, key, &d);
    res->hypotheses++;
    key_flip(key, b);
    res->bits_decided += d > 0;
  }
  /* Confirm on fresh inputs. */
  uint64_t vd = 1;
  if (rc == KG_OK && best == 0) {
    rc = io_query(victim, m, V, &seed, &vin, &vobs, res, detail);
    if (rc == KG_OK && (rc = io_ctx_init(&v, m, V, vin, vobs)) != KG_OK)
      kga_fail(detail, rc, "%u validation inputs on this model need more than %.0f MiB (or "
               "memory ran out)", V, KGA_IO_MAX_BYTES / (1024.0 * 1024.0));
    if (rc == KG_OK) rc = io_distance(&v, key, &vd);
  }
  if (rc == KG_OK) {
    res->success = best == 0 && vd == 0;
    if (res->success)
      snprintf(res->reason, sizeof res->reason,
               "a key that reproduces all %u queries and %u fresh inputs bit for bit", Q, V);
    else if (best == 0)
      snprintf(res->reason, sizeof res->reason,
               "the key fits the %u queries but not the %u fresh inputs (distance %llu)", Q, V,
               (unsigned long long)vd);
    else
      snprintf(res->reason, sizeof res->reason,
               "search stopped after %u passes and %u restarts with logit distance %llu over "
               "%u queries",
               res->sweeps, res->restarts, (unsigned long long)best, Q);
  } else if (detail && !detail[0]) {
    kga_fail(detail, rc, "host simulation failed: %s", kg_strerror(rc));
  }
  io_ctx_free(&x);
  if (v.m) io_ctx_free(&v);
  free(in);
  free(obs);
  free(vin);
  free(vobs);
  res->seconds = kga_now() - t0;
  return rc;
}
