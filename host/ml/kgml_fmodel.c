/* kgml float models: building, the .kgf file format, prediction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kgml/fmodel.h"
#include "kgmac/file_io.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

#define KGF_MAGIC "KGFM"
#define KGF_VERSION 1u
#define KGF_HDR 48u
#define KGF_LAYER 24u
#define KGF_MAX_PARAMS (64u * 1024u * 1024u)
#define KGF_MAX_SIDE 4096u
#define KGF_MAX_CH 65535u

/* Resolve every shape and the parameter count; allocates nothing. */
static int build_shapes(kgml_model *m, const char *arch, uint32_t in_h, uint32_t in_w,
                        uint32_t in_c, const kgml_layer_spec *specs, uint32_t n_layers,
                        char *detail) {
  memset(m, 0, sizeof *m);
  if (n_layers == 0 || n_layers > KGML_MAX_LAYERS)
    return kg_fail(detail, KGML_E_HEADER, "%u layers (allowed 1..%u)", n_layers,
                     KGML_MAX_LAYERS);
  if (in_h == 0 || in_w == 0 || in_c == 0 || in_h > KGF_MAX_SIDE || in_w > KGF_MAX_SIDE ||
      in_c > KGF_MAX_CH)
    return kg_fail(detail, KGML_E_DIMS, "input %ux%ux%u out of range", in_h, in_w, in_c);
  snprintf(m->arch, sizeof m->arch, "%s", arch);
  m->in_h = in_h;
  m->in_w = in_w;
  m->in_c = in_c;
  m->n_layers = n_layers;
  uint32_t h = in_h, w = in_w, c = in_c;
  uint64_t total = 0;
  for (uint32_t l = 0; l < n_layers; l++) {
    kgml_layer *L = &m->layer[l];
    const kgml_layer_spec *s = &specs[l];
    L->spec = *s;
    L->in_h = h;
    L->in_w = w;
    L->in_c = c;
    if (s->out_c == 0 || s->out_c > KGF_MAX_CH)
      return kg_fail(detail, KGML_E_DIMS, "layer %u: %u outputs", l, s->out_c);
    if (s->relu > 1) return kg_fail(detail, KGML_E_HEADER, "layer %u: relu %u", l, s->relu);
    if (s->relu && l + 1 == n_layers)
      return kg_fail(detail, KGML_E_HEADER, "layer %u: the last layer has no ReLU", l);
    if (s->type == KGML_LAYER_FC) {
      if (s->k || s->stride || s->pad)
        return kg_fail(detail, KGML_E_CONV, "layer %u: FC with kernel/stride/pad", l);
      L->out_h = L->out_w = 1;
      L->K = h * w * c;
      L->M = 1;
    } else if (s->type == KGML_LAYER_CONV) {
      if (s->k < 1 || s->k > 7 || (s->stride != 1 && s->stride != 2) || s->pad >= s->k ||
          h + 2 * s->pad < s->k || w + 2 * s->pad < s->k)
        return kg_fail(detail, KGML_E_CONV, "layer %u: kernel %u stride %u pad %u on %ux%u",
                         l, s->k, s->stride, s->pad, h, w);
      L->out_h = (h + 2 * s->pad - s->k) / s->stride + 1;
      L->out_w = (w + 2 * s->pad - s->k) / s->stride + 1;
      L->K = s->k * s->k * c;
      L->M = L->out_h * L->out_w;
    } else {
      return kg_fail(detail, KGML_E_LAYER_TYPE, "layer %u: type %u", l, s->type);
    }
    L->out_c = s->out_c;
    L->N = s->out_c;
    if ((uint64_t)L->K * L->N > KGF_MAX_PARAMS)
      return kg_fail(detail, KGML_E_DIMS, "layer %u: %u x %u weights", l, L->K, L->N);
    total += (uint64_t)L->K * L->N + L->N;
    h = L->out_h;
    w = L->out_w;
    c = L->out_c;
  }
  if (total > KGF_MAX_PARAMS)
    return kg_fail(detail, KGML_E_DIMS, "%llu parameters", (unsigned long long)total);
  m->n_params = (size_t)total;
  return KGML_OK;
}

/* Allocate the zeroed parameter block and point the layers into it. */
static int alloc_params(kgml_model *m, char *detail) {
  m->params = calloc(m->n_params, sizeof(float));
  if (!m->params) return kg_fail(detail, KGML_E_NOMEM, "cannot allocate parameters");
  float *p = m->params;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    kgml_layer *L = &m->layer[l];
    L->w = p;
    p += (size_t)L->K * L->N;
    L->b = p;
    p += L->N;
  }
  return KGML_OK;
}

int kgml_model_build(kgml_model *m, const char *arch, uint32_t in_h, uint32_t in_w,
                     uint32_t in_c, const kgml_layer_spec *specs, uint32_t n_layers,
                     uint64_t seed, char *detail) {
  if (!m || !arch || !specs) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  int rc = build_shapes(m, arch, in_h, in_w, in_c, specs, n_layers, detail);
  if (rc == KGML_OK) rc = alloc_params(m, detail);
  if (rc != KGML_OK) return rc;
  kgml_rng rng = {seed ^ 0x6b676d6c5f696e69ull};
  for (uint32_t l = 0; l < n_layers; l++) {
    kgml_layer *L = &m->layer[l];
    const double lim = sqrt(6.0 / (double)L->K); /* He uniform */
    for (size_t i = 0; i < (size_t)L->K * L->N; i++)
      L->w[i] = (float)((2.0 * kgml_rng_unit(&rng) - 1.0) * lim);
  }
  return KGML_OK;
}

int kgml_model_create(kgml_model *m, const char *arch, uint64_t seed, char *detail) {
  if (!arch) return kg_fail(detail, KGML_E_INVAL, "no architecture");
  if (strcmp(arch, "mlp") == 0) {
    static const kgml_layer_spec s[] = {{KGML_LAYER_FC, 256, 0, 0, 0, 1},
                                        {KGML_LAYER_FC, 128, 0, 0, 0, 1},
                                        {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    return kgml_model_build(m, "mlp", 28, 28, 1, s, 3, seed, detail);
  }
  if (strcmp(arch, "cnn") == 0) {
    static const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 16, 3, 1, 1, 1},
                                        {KGML_LAYER_CONV, 32, 3, 2, 1, 1},
                                        {KGML_LAYER_CONV, 32, 3, 2, 1, 1},
                                        {KGML_LAYER_FC, 128, 0, 0, 0, 1},
                                        {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    return kgml_model_build(m, "cnn", 28, 28, 1, s, 5, seed, detail);
  }
  return kg_fail(detail, KGML_E_INVAL, "unknown model '%s' (use mlp or cnn)", arch);
}

void kgml_model_free(kgml_model *m) {
  if (!m) return;
  free(m->params);
  memset(m, 0, sizeof *m);
}

static void rebase(kgml_model *dst, const kgml_model *src) {
  for (uint32_t l = 0; l < dst->n_layers; l++) {
    dst->layer[l].w = dst->params + (src->layer[l].w - src->params);
    dst->layer[l].b = dst->params + (src->layer[l].b - src->params);
  }
}

int kgml_model_copy(kgml_model *dst, const kgml_model *src) {
  if (!dst || !src || !src->params) return KGML_E_INVAL;
  float *p = malloc(src->n_params * sizeof(float));
  if (!p) return KGML_E_NOMEM;
  memcpy(p, src->params, src->n_params * sizeof(float));
  *dst = *src;
  dst->params = p;
  rebase(dst, src);
  return KGML_OK;
}

uint32_t kgml_model_classes(const kgml_model *m) {
  return m && m->n_layers ? m->layer[m->n_layers - 1].N : 0;
}

int kgml_model_serialize(const kgml_model *m, uint8_t **buf, size_t *len) {
  if (!m || !buf || !len || !m->params) return KGML_E_INVAL;
  const size_t total = KGF_HDR + (size_t)m->n_layers * KGF_LAYER + m->n_params * 4 + 4;
  uint8_t *b = calloc(1, total);
  if (!b) return KGML_E_NOMEM;
  memcpy(b, KGF_MAGIC, 4);
  kgml_wr_le16(b + 4, KGF_VERSION);
  kgml_wr_le16(b + 6, KGF_HDR);
  for (size_t i = 0; i < KGML_ARCH_LEN && m->arch[i]; i++) b[8 + i] = (uint8_t)m->arch[i];
  kgml_wr_le32(b + 24, m->in_h);
  kgml_wr_le32(b + 28, m->in_w);
  kgml_wr_le32(b + 32, m->in_c);
  kgml_wr_le32(b + 36, m->n_layers);
  kgml_wr_le32(b + 40, (uint32_t)m->n_params);
  kgml_wr_le32(b + 44, (uint32_t)total);
  uint8_t *p = b + KGF_HDR;
  for (uint32_t l = 0; l < m->n_layers; l++, p += KGF_LAYER) {
    const kgml_layer_spec *s = &m->layer[l].spec;
    const uint32_t v[6] = {s->type, s->out_c, s->k, s->stride, s->pad, s->relu};
    for (int i = 0; i < 6; i++) kgml_wr_le32(p + 4 * i, v[i]);
  }
  for (size_t i = 0; i < m->n_params; i++, p += 4) kgml_wr_le32(p, kgml_f2u(m->params[i]));
  kgml_wr_le32(p, (uint32_t)crc32(0L, b, (uInt)(total - 4)));
  *buf = b;
  *len = total;
  return KGML_OK;
}

int kgml_model_parse(kgml_model *m, const uint8_t *b, size_t len, char *detail) {
  if (!m) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(m, 0, sizeof *m);
  if (!b && len == 0) return kg_fail(detail, KGML_E_TRUNCATED, "empty model");
  if (!b) return kg_fail(detail, KGML_E_INVAL, "no buffer");
  if (len < KGF_HDR)
    return kg_fail(detail, KGML_E_TRUNCATED, "%zu bytes, header needs %u", len, KGF_HDR);
  if (memcmp(b, KGF_MAGIC, 4) != 0)
    return kg_fail(detail, KGML_E_MAGIC, "not a kgml float model (magic)");
  if (kgml_rd_le16(b + 4) != KGF_VERSION)
    return kg_fail(detail, KGML_E_VERSION, "float model version %u, expected %u",
                     kgml_rd_le16(b + 4), KGF_VERSION);
  const uint32_t total = kgml_rd_le32(b + 44);
  if (len < total)
    return kg_fail(detail, KGML_E_TRUNCATED, "%zu bytes, header declares %u", len, total);
  if (len > total)
    return kg_fail(detail, KGML_E_TRAILING, "%zu bytes, header declares %u", len, total);
  if (total < KGF_HDR + 4)
    return kg_fail(detail, KGML_E_HEADER, "declared size %u too small", total);
  if (kgml_rd_le32(b + total - 4) != (uint32_t)crc32(0L, b, (uInt)(total - 4)))
    return kg_fail(detail, KGML_E_CRC, "float model CRC-32 mismatch");
  if (kgml_rd_le16(b + 6) != KGF_HDR)
    return kg_fail(detail, KGML_E_HEADER, "header size %u", kgml_rd_le16(b + 6));
  const uint32_t nl = kgml_rd_le32(b + 36), np = kgml_rd_le32(b + 40);
  if (nl == 0 || nl > KGML_MAX_LAYERS)
    return kg_fail(detail, KGML_E_HEADER, "%u layers", nl);
  if ((uint64_t)KGF_HDR + (uint64_t)nl * KGF_LAYER + (uint64_t)np * 4 + 4 != total)
    return kg_fail(detail, KGML_E_LAYOUT, "size %u does not match %u layers, %u params",
                     total, nl, np);
  char arch[KGML_ARCH_LEN + 1] = {0};
  memcpy(arch, b + 8, KGML_ARCH_LEN);
  kgml_layer_spec specs[KGML_MAX_LAYERS];
  const uint8_t *p = b + KGF_HDR;
  for (uint32_t l = 0; l < nl; l++, p += KGF_LAYER) {
    specs[l].type = kgml_rd_le32(p);
    specs[l].out_c = kgml_rd_le32(p + 4);
    specs[l].k = kgml_rd_le32(p + 8);
    specs[l].stride = kgml_rd_le32(p + 12);
    specs[l].pad = kgml_rd_le32(p + 16);
    specs[l].relu = kgml_rd_le32(p + 20);
  }
  int rc = build_shapes(m, arch, kgml_rd_le32(b + 24), kgml_rd_le32(b + 28),
                        kgml_rd_le32(b + 32), specs, nl, detail);
  if (rc != KGML_OK) {
    memset(m, 0, sizeof *m);
    return rc;
  }
  if (m->n_params != np) {
    const size_t need = m->n_params;
    memset(m, 0, sizeof *m);
    return kg_fail(detail, KGML_E_LAYOUT, "layers need %zu params, file has %u", need, np);
  }
  if ((rc = alloc_params(m, detail)) != KGML_OK) {
    memset(m, 0, sizeof *m);
    return rc;
  }
  for (size_t i = 0; i < np; i++, p += 4) {
    m->params[i] = kgml_u2f(kgml_rd_le32(p));
    if (!isfinite(m->params[i])) {
      kgml_model_free(m);
      return kg_fail(detail, KGML_E_NUMERIC, "parameter %zu is not finite", i);
    }
  }
  return KGML_OK;
}

int kgml_read_file(const char *path, uint8_t **buf, size_t *len, size_t max_len, char *detail) {
  return kgml_from_kg(kg_file_read(path, max_len, buf, len, detail));
}

int kgml_write_file(const char *path, const uint8_t *buf, size_t len, char *detail) {
  return kgml_from_kg(kg_file_write(path, buf, len, 1, 0644u, detail));
}

int kgml_model_save(const kgml_model *m, const char *path, char *detail) {
  if (!path) return kg_fail(detail, KGML_E_INVAL, "no path");
  uint8_t *b;
  size_t len;
  int rc = kgml_model_serialize(m, &b, &len);
  if (rc != KGML_OK) return kg_fail(detail, rc, "cannot serialize the model");
  rc = kgml_write_file(path, b, len, detail);
  free(b);
  return rc;
}

int kgml_model_load(kgml_model *m, const char *path, char *detail) {
  if (!m || !path) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(m, 0, sizeof *m);
  uint8_t *b;
  size_t len;
  int rc = kgml_read_file(path, &b, &len, (size_t)KGF_MAX_PARAMS * 4 + 65536, detail);
  if (rc != KGML_OK) return rc;
  rc = kgml_model_parse(m, b, len, detail);
  free(b);
  return rc;
}

/* ---- prediction ---- */

typedef struct pred_job {
  const kgml_model *m;
  const uint8_t *pix;
  uint32_t first, count;
  uint8_t *pred;
  float *logits;
  int rc;
} pred_job;

static void *pred_worker(void *arg) {
  pred_job *j = arg;
  const kgml_model *m = j->m;
  const uint32_t cap = 64;
  const size_t in = (size_t)m->in_h * m->in_w * m->in_c;
  const uint32_t C = kgml_model_classes(m);
  kgml_ws ws;
  j->rc = kgml_ws_init(&ws, m, cap, 0);
  if (j->rc != KGML_OK) return NULL;
  for (uint32_t i0 = 0; i0 < j->count; i0 += cap) {
    const uint32_t nb = j->count - i0 < cap ? j->count - i0 : cap;
    const size_t first = (size_t)j->first + i0;
    kgml_load_pixels(j->pix + first * in, nb * in, ws.act[0]);
    kgml_forward(m, &ws, nb);
    const float *out = ws.act[m->n_layers];
    for (uint32_t i = 0; i < nb; i++) {
      const float *o = out + (size_t)i * C;
      uint32_t best = 0;
      for (uint32_t c = 1; c < C; c++)
        if (o[c] > o[best]) best = c;
      if (j->pred) j->pred[first + i] = (uint8_t)best;
      if (j->logits) memcpy(j->logits + (first + i) * C, o, C * sizeof(float));
    }
  }
  kgml_ws_free(&ws);
  return NULL;
}

int kgml_predict(const kgml_model *m, const uint8_t *pix, uint32_t n, uint32_t nthreads,
                 uint8_t *pred, float *logits) {
  if (!m || !m->params || !pix || (!pred && !logits)) return KGML_E_INVAL;
  nthreads = kgml_threads_for(n, nthreads);
  pred_job jobs[16];
  for (uint32_t t = 0; t < nthreads; t++) {
    jobs[t] = (pred_job){m, pix, 0, 0, pred, logits, KGML_OK};
    kgml_share(n, nthreads, t, &jobs[t].first, &jobs[t].count);
  }
  int rc = kgml_run_threads(nthreads, pred_worker, jobs, sizeof jobs[0]);
  if (rc != KGML_OK) return rc;
  for (uint32_t t = 0; t < nthreads; t++)
    if (jobs[t].rc != KGML_OK) return jobs[t].rc;
  return KGML_OK;
}

int kgml_evaluate(const kgml_model *m, const kgml_dataset *ds, uint32_t nthreads,
                  double *acc) {
  if (!m || !ds || !acc || ds->n == 0) return KGML_E_INVAL;
  if ((size_t)ds->rows * ds->cols != (size_t)m->in_h * m->in_w * m->in_c)
    return KGML_E_MISMATCH;
  uint8_t *pred = malloc(ds->n);
  if (!pred) return KGML_E_NOMEM;
  int rc = kgml_predict(m, ds->pix, ds->n, nthreads, pred, NULL);
  if (rc == KGML_OK) {
    uint32_t ok = 0;
    for (uint32_t i = 0; i < ds->n; i++) ok += pred[i] == ds->labels[i];
    *acc = (double)ok / ds->n;
  }
  free(pred);
  return rc;
}
