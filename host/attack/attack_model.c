/* kgattack: weight-image layout, parameter records and the bit-exact host
 * forward pass of an unencrypted .kgm (kgref), for the attacks and their
 * verification. Everything here is derived from the file's clear header,
 * layer table and parameters. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "attack_internal.h"
#include "kgmac/layer_pack.h"

double kga_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int kga_fail(char *detail, int code, const char *fmt, ...) {
  if (detail) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(detail, KGA_DETAIL_LEN, fmt, ap);
    va_end(ap);
  }
  return code;
}

void kga_report(const kga_progress *p, const char *phase, uint64_t done, uint64_t total) {
  if (p && p->fn) p->fn(p->user, phase, done, total);
}

uint32_t kga_tile_bytes(const kgm_model *m) {
  return (uint32_t)kg_pack_tile_bytes((kg_geom){m->rows, m->cols});
}

uint64_t kga_weight_pos(const kgm_model *m, const kgm_layer *L, uint32_t k, uint32_t n) {
  const uint32_t R = m->rows, C = m->cols;
  const uint64_t KT = (L->K + R - 1) / R;
  const uint64_t tile = (uint64_t)(n / C) * KT + k / R;
  return L->w_off + tile * kga_tile_bytes(m) + (uint64_t)(k % R) * C + n % C;
}

/* The locker pads K when an FC reads a convolution output whose channel
 * count is not a multiple of 16 (docs/model-format.md, chain). */
static uint32_t stride_channels(const kgm_model *m, uint32_t l, uint32_t *c) {
  if (l == 0 || m->layers[l].type != KGM_LAYER_FC) return 0;
  const kgm_layer *P = &m->layers[l - 1];
  if (P->type != KGM_LAYER_CONV) return 0;
  const uint32_t cp = (uint32_t)kg_pack_act_stride(P->out_c);
  if (cp == P->out_c || (uint64_t)P->out_h * P->out_w * cp != m->layers[l].K) return 0;
  *c = P->out_c;
  return cp;
}

int kga_is_stride_row(const kgm_model *m, uint32_t l, uint32_t k) {
  uint32_t c = 0;
  const uint32_t cp = stride_channels(m, l, &c);
  return cp != 0 && k % cp >= c;
}

uint32_t kga_hw_row(const kgm_model *m, uint32_t l, uint32_t k) {
  uint32_t c = 0;
  const uint32_t cp = stride_channels(m, l, &c);
  return cp ? (k / c) * cp + k % c : k;
}

void kga_unpack_layer(const kgm_model *m, uint32_t l, const uint8_t *img, int8_t *W) {
  const kgm_layer *L = &m->layers[l];
  for (uint32_t k = 0; k < L->K; k++)
    for (uint32_t n = 0; n < L->N; n++)
      W[(size_t)k * L->N + n] = (int8_t)img[kga_weight_pos(m, L, k, n)];
}

static uint32_t rd32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int kga_params_read(const kgm_model *m, uint32_t l, kga_params *p) {
  memset(p, 0, sizeof *p);
  const kgm_layer *L = &m->layers[l];
  p->bias = malloc(L->N * sizeof *p->bias);
  p->mult = malloc(L->N * sizeof *p->mult);
  p->shift = malloc(L->N);
  if (!p->bias || !p->mult || !p->shift) {
    kga_params_free(p);
    return KG_E_NOMEM;
  }
  for (uint32_t n = 0; n < L->N; n++) {
    const uint8_t *r = m->params + L->p_off + (size_t)n * KGM_PARAM_SIZE;
    p->bias[n] = (int32_t)rd32(r);
    p->mult[n] = (int32_t)rd32(r + 4);
    p->shift[n] = r[8];
  }
  p->q.bias = p->bias;
  p->q.mult = p->mult;
  p->q.shift = p->shift;
  p->q.relu = (int)L->relu;
  return KG_OK;
}

void kga_params_free(kga_params *p) {
  free(p->bias);
  free(p->mult);
  free(p->shift);
  memset(p, 0, sizeof *p);
}

uint64_t kga_layer_out_size(const kgm_layer *L) {
  return (uint64_t)L->out_h * L->out_w * L->out_c;
}

uint32_t kga_model_input_size(const kgm_model *m) {
  return m->in_h * m->in_w * m->in_c;
}

uint32_t kga_model_output_size(const kgm_model *m) {
  return (uint32_t)kga_layer_out_size(&m->layers[m->n_layers - 1]);
}

/* acc (M x N) = A (M x K) x Wf (K x N, the sign key already folded in),
 * int8 x int8 products accumulated modulo 2^32 as the array does; rows of
 * A and Wf are walked in memory order. */
static void gemm_folded(uint32_t M, uint32_t K, uint32_t N, const int8_t *A, const int8_t *Wf,
                        uint32_t *acc) {
  memset(acc, 0, (size_t)M * N * sizeof *acc);
  for (uint32_t m = 0; m < M; m++) {
    uint32_t *dst = acc + (size_t)m * N;
    for (uint32_t k = 0; k < K; k++) {
      const int32_t a = A[(size_t)m * K + k];
      if (!a) continue;
      const int8_t *w = Wf + (size_t)k * N;
      for (uint32_t n = 0; n < N; n++) dst[n] += (uint32_t)(a * w[n]);
    }
  }
}

static void requant_rows(uint32_t M, uint32_t N, const uint32_t *acc, const kga_params *p,
                         int8_t *out) {
  for (size_t i = 0; i < (size_t)M * N; i++) {
    const uint32_t n = (uint32_t)(i % N);
    out[i] = kg_requant_one((int32_t)acc[i], p->bias[n], p->mult[n], p->shift[n], p->q.relu);
  }
}

/* One layer on n images: in is n x (dense input), out n x (dense output).
 * Bit-exact with kg_ref_fc / kg_ref_conv2d (the key is folded into the
 * weights once, as the hardware does at weight load). */
static int layer_run(const kgm_model *m, uint32_t l, const int8_t *W, const uint8_t *key_s,
                     const kga_params *p, const int8_t *in, uint32_t n, int8_t *out) {
  const kgm_layer *L = &m->layers[l];
  const kg_geom g = {m->rows, m->cols};
  /* Dense input per image: the previous output (an FC entry records its
   * input as 1 x 1 x K, the hardware's K). */
  const uint64_t isz = l ? kga_layer_out_size(&m->layers[l - 1]) : kga_model_input_size(m);
  const uint64_t osz = kga_layer_out_size(L);
  const uint32_t rows = L->type == KGM_LAYER_CONV ? L->out_h * L->out_w : 1u;
  int8_t *Wf = malloc((size_t)L->K * L->N);
  int8_t *A = malloc((size_t)(L->type == KGM_LAYER_CONV ? rows : n) * L->K);
  uint32_t *acc = malloc((size_t)(L->type == KGM_LAYER_CONV ? rows : n) * L->N * sizeof *acc);
  int rc = Wf && A && acc ? KG_OK : KG_E_NOMEM;
  for (uint32_t k = 0; rc == KG_OK && k < L->K; k++)
    for (uint32_t c = 0; c < L->N; c++)
      Wf[(size_t)k * L->N + c] =
          kg_fold_weight(W[(size_t)k * L->N + c], kg_key_bit(key_s, g, k % g.rows, c % g.cols));
  if (rc == KG_OK && L->type == KGM_LAYER_FC) {
    if (L->K != isz) { /* padded rows: each pixel at its 16-byte stride */
      memset(A, 0, (size_t)n * L->K);
      for (uint32_t i = 0; i < n; i++)
        for (uint64_t k = 0; k < isz; k++)
          A[(size_t)i * L->K + kga_hw_row(m, l, (uint32_t)k)] = in[i * isz + k];
    } else {
      memcpy(A, in, (size_t)n * L->K);
    }
    gemm_folded(n, L->K, L->N, A, Wf, acc);
    requant_rows(n, L->N, acc, p, out);
  } else if (rc == KG_OK) {
    const kg_conv_shape s = {L->in_h, L->in_w, L->in_c, L->N, L->kh, L->kw, L->stride, L->pad};
    for (uint32_t i = 0; rc == KG_OK && i < n; i++) {
      if (kg_ref_im2col(&s, in + i * isz, A) != KG_REF_OK) {
        rc = KG_E_INVAL;
        break;
      }
      gemm_folded(rows, L->K, L->N, A, Wf, acc);
      requant_rows(rows, L->N, acc, p, out + i * osz);
    }
  }
  free(Wf);
  free(A);
  free(acc);
  return rc;
}

int kga_forward_from(const kgm_model *m, int8_t *const *Wl, const uint8_t *key_s, uint32_t l0,
                     const int8_t *in, uint32_t n, int8_t *out) {
  uint64_t big = 0;
  for (uint32_t l = l0; l < m->n_layers; l++) {
    const uint64_t o = kga_layer_out_size(&m->layers[l]);
    if (o > big) big = o;
  }
  int8_t *a = malloc((size_t)n * big), *b = malloc((size_t)n * big);
  int rc = a && b ? KG_OK : KG_E_NOMEM;
  const int8_t *cur = in;
  for (uint32_t l = l0; rc == KG_OK && l < m->n_layers; l++) {
    kga_params p;
    rc = kga_params_read(m, l, &p);
    if (rc != KG_OK) break;
    int8_t *dst = l + 1 == m->n_layers ? out : (cur == a ? b : a);
    rc = layer_run(m, l, Wl[l], key_s, &p, cur, n, dst);
    kga_params_free(&p);
    cur = dst;
  }
  free(a);
  free(b);
  return rc;
}

int kga_model_forward(const kgm_model *m, const uint8_t *key_s, const int8_t *in, uint32_t n,
                      int8_t *out, char *detail) {
  if (!m || !in || !out || !m->n_layers)
    return kga_fail(detail, KG_E_INVAL, "NULL argument or empty model");
  if (m->crypt != KGM_CRYPT_NONE)
    return kga_fail(detail, KG_E_INVAL, "the weight image is encrypted (%s)",
                    kgm_crypt_name(m->crypt));
  int8_t **Wl = calloc(m->n_layers, sizeof *Wl);
  int rc = Wl ? KG_OK : KG_E_NOMEM;
  for (uint32_t l = 0; rc == KG_OK && l < m->n_layers; l++) {
    Wl[l] = malloc((size_t)m->layers[l].K * m->layers[l].N);
    if (!Wl[l]) rc = KG_E_NOMEM;
    else kga_unpack_layer(m, l, m->wimg, Wl[l]);
  }
  if (rc == KG_OK) rc = kga_forward_from(m, Wl, key_s, 0, in, n, out);
  for (uint32_t l = 0; Wl && l < m->n_layers; l++) free(Wl[l]);
  free(Wl);
  if (rc != KG_OK) return kga_fail(detail, rc, "host forward pass failed (%s)", kg_strerror(rc));
  return KG_OK;
}
