/* .kgq reader, writer and validation (docs/kgq-format.md). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kgmac/ref_layer.h"
#include "kgml/kgq.h"
#include "kgml_internal.h"

/* Header field offsets. */
enum {
  H_MAGIC = 0, H_VERSION = 4, H_HDRSIZE = 6, H_FLAGS = 8, H_NLAYERS = 12, H_IN_H = 16,
  H_IN_W = 20, H_IN_C = 24, H_IN_SCALE = 28, H_IN_ZERO = 32, H_LT_OFF = 36, H_P_OFF = 40,
  H_P_SIZE = 44, H_W_OFF = 48, H_W_SIZE = 52, H_TOTAL = 56, H_RESERVED = 60
};
/* Layer entry field offsets. */
enum {
  L_TYPE = 0, L_RELU = 1, L_KH = 2, L_KW = 3, L_STRIDE = 4, L_PAD = 5, L_RES0 = 6,
  L_IN_H = 8, L_IN_W = 12, L_IN_C = 16, L_OUT_H = 20, L_OUT_W = 24, L_OUT_C = 28, L_K = 32,
  L_N = 36, L_SCALE = 40, L_P_OFF = 44, L_W_OFF = 48, L_W_SIZE = 52, L_RES1 = 56, L_RES2 = 60
};

static uint64_t params_size(uint32_t N) {
  return 12ull * N + ((N + 3ull) & ~3ull);
}

void kg_qmodel_free(kg_qmodel *m) {
  if (!m) return;
  if (m->layers)
    for (uint32_t l = 0; l < m->n_layers; l++) {
      kg_qlayer *L = &m->layers[l];
      free(L->bias);
      free(L->mult);
      free(L->shift);
      free(L->w_scale);
      free(L->W);
    }
  free(m->layers);
  memset(m, 0, sizeof *m);
}

static int scale_ok(float s) {
  return isfinite(s) && s > 0.0f;
}

static int side_ok(uint32_t v) {
  return v >= 1 && v <= KGQ_MAX_SIDE;
}
static int ch_ok(uint32_t v) {
  return v >= 1 && v <= KGQ_MAX_CHANNELS;
}

/* Model-level fields and every layer's shape (no arrays). */
static int validate_shapes(const kg_qmodel *m, char *detail) {
  if (m->n_layers == 0 || m->n_layers > KGQ_MAX_LAYERS)
    return kg_fail(detail, KGML_E_HEADER, "%u layers (allowed 1..%u)", m->n_layers,
                     KGQ_MAX_LAYERS);
  if (!side_ok(m->in_h) || !side_ok(m->in_w) || !ch_ok(m->in_c))
    return kg_fail(detail, KGML_E_DIMS, "input %ux%ux%u out of range", m->in_h, m->in_w,
                     m->in_c);
  if (!scale_ok(m->in_scale))
    return kg_fail(detail, KGML_E_SCALE, "input scale %g is not a positive number",
                     (double)m->in_scale);
  if (m->in_zero != 0)
    return kg_fail(detail, KGML_E_HEADER, "input zero point %d (must be 0: symmetric)",
                     m->in_zero);
  uint32_t h = m->in_h, w = m->in_w, c = m->in_c;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_qlayer *L = &m->layers[l];
    if (L->type != KGQ_FC && L->type != KGQ_CONV)
      return kg_fail(detail, KGML_E_LAYER_TYPE, "layer %u: type %u (1 = FC, 2 = CONV)", l,
                       L->type);
    if (L->relu > 1) return kg_fail(detail, KGML_E_HEADER, "layer %u: relu %u", l, L->relu);
    if (L->in_h != h || L->in_w != w || L->in_c != c)
      return kg_fail(detail, KGML_E_CHAIN, "layer %u: input %ux%ux%u but %s is %ux%ux%u", l,
                       L->in_h, L->in_w, L->in_c, l ? "the previous output" : "the model input",
                       h, w, c);
    if (!side_ok(L->out_h) || !side_ok(L->out_w) || !ch_ok(L->out_c))
      return kg_fail(detail, KGML_E_DIMS, "layer %u: output %ux%ux%u out of range", l,
                       L->out_h, L->out_w, L->out_c);
    if (L->type == KGQ_FC) {
      if (L->kh || L->kw || L->stride || L->pad)
        return kg_fail(detail, KGML_E_CONV, "layer %u: FC with kernel/stride/pad set", l);
      if (L->out_h != 1 || L->out_w != 1)
        return kg_fail(detail, KGML_E_DIMS, "layer %u: FC output must be 1x1xN", l);
      if ((uint64_t)L->K != (uint64_t)h * w * c)
        return kg_fail(detail, KGML_E_DIMS, "layer %u: FC K = %u, input has %llu values", l,
                         L->K, (unsigned long long)h * w * c);
    } else {
      const kg_conv_shape s = {h, w, c, L->out_c, L->kh, L->kw, L->stride, L->pad};
      if (kg_conv_shape_check(&s) != KG_REF_OK)
        return kg_fail(detail, KGML_E_CONV, "layer %u: kernel %ux%u stride %u pad %u on %ux%u",
                         l, L->kh, L->kw, L->stride, L->pad, h, w);
      if (L->out_h != kg_conv_out_h(&s) || L->out_w != kg_conv_out_w(&s))
        return kg_fail(detail, KGML_E_DIMS, "layer %u: conv output %ux%u, expected %ux%u", l,
                         L->out_h, L->out_w, kg_conv_out_h(&s), kg_conv_out_w(&s));
      if (L->K != L->kh * L->kw * c)
        return kg_fail(detail, KGML_E_DIMS, "layer %u: conv K = %u, expected %u", l, L->K,
                         L->kh * L->kw * c);
    }
    if (L->N != L->out_c)
      return kg_fail(detail, KGML_E_DIMS, "layer %u: N = %u but %u output channels", l, L->N,
                       L->out_c);
    if (L->K == 0 || (uint64_t)L->K * L->N > KGQ_MAX_LAYER_WEIGHTS)
      return kg_fail(detail, KGML_E_DIMS, "layer %u: %u x %u weights (limit %u)", l, L->K,
                       L->N, KGQ_MAX_LAYER_WEIGHTS);
    if (!scale_ok(L->out_scale))
      return kg_fail(detail, KGML_E_SCALE, "layer %u: output scale %g", l,
                       (double)L->out_scale);
    h = L->out_h;
    w = L->out_w;
    c = L->out_c;
  }
  return KGML_OK;
}

static int validate_values(const kg_qmodel *m, char *detail) {
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_qlayer *L = &m->layers[l];
    if (!L->bias || !L->mult || !L->shift || !L->w_scale || !L->W)
      return kg_fail(detail, KGML_E_INVAL, "layer %u: missing array", l);
    for (uint32_t n = 0; n < L->N; n++) {
      if (L->mult[n] < 0 || L->shift[n] < 1 || L->shift[n] > 62)
        return kg_fail(detail, KGML_E_REQUANT,
                         "layer %u channel %u: mult %d shift %u (need [0,2^31) and [1,62])", l, n,
                         L->mult[n], L->shift[n]);
      if (!scale_ok(L->w_scale[n]))
        return kg_fail(detail, KGML_E_SCALE, "layer %u channel %u: weight scale %g", l, n,
                         (double)L->w_scale[n]);
    }
    const size_t kn = (size_t)L->K * L->N;
    for (size_t i = 0; i < kn; i++)
      if (L->W[i] == INT8_MIN)
        return kg_fail(detail, KGML_E_WEIGHT, "layer %u: weight W[%zu][%zu] is -128", l,
                         i / L->N, i % L->N);
  }
  return KGML_OK;
}

int kg_qmodel_validate(const kg_qmodel *m, char *detail) {
  if (!m || !m->layers) return kg_fail(detail, KGML_E_INVAL, "no model");
  int rc = validate_shapes(m, detail);
  return rc != KGML_OK ? rc : validate_values(m, detail);
}

int kg_qmodel_serialize(const kg_qmodel *m, uint8_t **buf, size_t *len, char *detail) {
  if (!buf || !len) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  int rc = kg_qmodel_validate(m, detail);
  if (rc != KGML_OK) return rc;
  const uint64_t lt = KGQ_HEADER_SIZE, poff = lt + (uint64_t)m->n_layers * KGQ_LAYER_SIZE;
  uint64_t psz = 0, wsz = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    psz += params_size(m->layers[l].N);
    wsz += (uint64_t)m->layers[l].K * m->layers[l].N;
  }
  const uint64_t woff = poff + psz, total = woff + wsz + 4;
  if (total > KGQ_MAX_FILE)
    return kg_fail(detail, KGML_E_DIMS, "model of %llu bytes exceeds the %u limit",
                     (unsigned long long)total, KGQ_MAX_FILE);
  uint8_t *b = calloc(1, (size_t)total);
  if (!b) return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  memcpy(b + H_MAGIC, KGQ_MAGIC, 4);
  kgml_wr_le16(b + H_VERSION, KGQ_VERSION);
  kgml_wr_le16(b + H_HDRSIZE, KGQ_HEADER_SIZE);
  kgml_wr_le32(b + H_NLAYERS, m->n_layers);
  kgml_wr_le32(b + H_IN_H, m->in_h);
  kgml_wr_le32(b + H_IN_W, m->in_w);
  kgml_wr_le32(b + H_IN_C, m->in_c);
  kgml_wr_le32(b + H_IN_SCALE, kgml_f2u(m->in_scale));
  kgml_wr_le32(b + H_IN_ZERO, (uint32_t)m->in_zero);
  kgml_wr_le32(b + H_LT_OFF, (uint32_t)lt);
  kgml_wr_le32(b + H_P_OFF, (uint32_t)poff);
  kgml_wr_le32(b + H_P_SIZE, (uint32_t)psz);
  kgml_wr_le32(b + H_W_OFF, (uint32_t)woff);
  kgml_wr_le32(b + H_W_SIZE, (uint32_t)wsz);
  kgml_wr_le32(b + H_TOTAL, (uint32_t)total);
  uint64_t pr = 0, wr = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_qlayer *L = &m->layers[l];
    uint8_t *e = b + lt + (size_t)l * KGQ_LAYER_SIZE;
    e[L_TYPE] = (uint8_t)L->type;
    e[L_RELU] = (uint8_t)L->relu;
    e[L_KH] = (uint8_t)L->kh;
    e[L_KW] = (uint8_t)L->kw;
    e[L_STRIDE] = (uint8_t)L->stride;
    e[L_PAD] = (uint8_t)L->pad;
    const uint32_t dims[8] = {L->in_h, L->in_w, L->in_c, L->out_h, L->out_w, L->out_c, L->K, L->N};
    for (int i = 0; i < 8; i++) kgml_wr_le32(e + L_IN_H + 4 * i, dims[i]);
    kgml_wr_le32(e + L_SCALE, kgml_f2u(L->out_scale));
    kgml_wr_le32(e + L_P_OFF, (uint32_t)pr);
    kgml_wr_le32(e + L_W_OFF, (uint32_t)wr);
    kgml_wr_le32(e + L_W_SIZE, L->K * L->N);
    uint8_t *p = b + poff + pr;
    for (uint32_t n = 0; n < L->N; n++) {
      kgml_wr_le32(p + 4 * n, (uint32_t)L->bias[n]);
      kgml_wr_le32(p + 4 * ((size_t)L->N + n), (uint32_t)L->mult[n]);
      kgml_wr_le32(p + 4 * (2 * (size_t)L->N + n), kgml_f2u(L->w_scale[n]));
      p[12 * (size_t)L->N + n] = L->shift[n];
    }
    memcpy(b + woff + wr, L->W, (size_t)L->K * L->N);
    pr += params_size(L->N);
    wr += (uint64_t)L->K * L->N;
  }
  kgml_wr_le32(b + total - 4, (uint32_t)crc32(0L, b, (uInt)(total - 4)));
  *buf = b;
  *len = (size_t)total;
  return KGML_OK;
}

int kg_qmodel_save(const kg_qmodel *m, const char *path, char *detail) {
  if (!path) return kg_fail(detail, KGML_E_INVAL, "no path");
  uint8_t *b;
  size_t len;
  int rc = kg_qmodel_serialize(m, &b, &len, detail);
  if (rc != KGML_OK) return rc;
  rc = kgml_write_file(path, b, len, detail);
  free(b);
  return rc;
}

static int parse(kg_qmodel *m, const uint8_t *b, size_t len, char *detail) {
  if (len < KGQ_HEADER_SIZE)
    return kg_fail(detail, KGML_E_TRUNCATED, "%zu bytes; the header alone is %u", len,
                     KGQ_HEADER_SIZE);
  if (memcmp(b + H_MAGIC, KGQ_MAGIC, 4) != 0)
    return kg_fail(detail, KGML_E_MAGIC, "not a .kgq model (magic %02x %02x %02x %02x)",
                     b[0], b[1], b[2], b[3]);
  if (kgml_rd_le16(b + H_VERSION) != KGQ_VERSION)
    return kg_fail(detail, KGML_E_VERSION, ".kgq version %u; this reader knows %u",
                     kgml_rd_le16(b + H_VERSION), KGQ_VERSION);
  const uint32_t total = kgml_rd_le32(b + H_TOTAL);
  if (len < total)
    return kg_fail(detail, KGML_E_TRUNCATED, "%zu bytes; the header declares %u", len, total);
  if (len > total)
    return kg_fail(detail, KGML_E_TRAILING, "%zu bytes; the header declares %u", len, total);
  if (total < KGQ_HEADER_SIZE + 4 || total > KGQ_MAX_FILE)
    return kg_fail(detail, KGML_E_HEADER, "declared size %u out of range", total);
  const uint32_t crc = (uint32_t)crc32(0L, b, (uInt)(total - 4));
  if (kgml_rd_le32(b + total - 4) != crc)
    return kg_fail(detail, KGML_E_CRC, "CRC-32 %08x, computed %08x",
                     kgml_rd_le32(b + total - 4), crc);
  if (kgml_rd_le16(b + H_HDRSIZE) != KGQ_HEADER_SIZE)
    return kg_fail(detail, KGML_E_HEADER, "header size %u, expected %u",
                     kgml_rd_le16(b + H_HDRSIZE), KGQ_HEADER_SIZE);
  if (kgml_rd_le32(b + H_FLAGS) != 0)
    return kg_fail(detail, KGML_E_HEADER, "unknown flags 0x%08x", kgml_rd_le32(b + H_FLAGS));
  if (kgml_rd_le32(b + H_RESERVED) != 0)
    return kg_fail(detail, KGML_E_HEADER, "reserved header field is not zero");
  const uint32_t nl = kgml_rd_le32(b + H_NLAYERS);
  if (nl == 0 || nl > KGQ_MAX_LAYERS)
    return kg_fail(detail, KGML_E_HEADER, "%u layers (allowed 1..%u)", nl, KGQ_MAX_LAYERS);
  const uint64_t lt = kgml_rd_le32(b + H_LT_OFF), poff = kgml_rd_le32(b + H_P_OFF);
  if (lt != KGQ_HEADER_SIZE || poff != lt + (uint64_t)nl * KGQ_LAYER_SIZE ||
      poff > (uint64_t)total - 4)
    return kg_fail(detail, KGML_E_LAYOUT, "layer table at %llu, parameters at %llu",
                     (unsigned long long)lt, (unsigned long long)poff);
  m->n_layers = nl;
  m->in_h = kgml_rd_le32(b + H_IN_H);
  m->in_w = kgml_rd_le32(b + H_IN_W);
  m->in_c = kgml_rd_le32(b + H_IN_C);
  m->in_scale = kgml_u2f(kgml_rd_le32(b + H_IN_SCALE));
  m->in_zero = (int32_t)kgml_rd_le32(b + H_IN_ZERO);
  m->layers = calloc(nl, sizeof *m->layers);
  if (!m->layers) return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  for (uint32_t l = 0; l < nl; l++) {
    const uint8_t *e = b + lt + (size_t)l * KGQ_LAYER_SIZE;
    kg_qlayer *L = &m->layers[l];
    L->type = e[L_TYPE];
    L->relu = e[L_RELU];
    L->kh = e[L_KH];
    L->kw = e[L_KW];
    L->stride = e[L_STRIDE];
    L->pad = e[L_PAD];
    uint32_t *dims[8] = {&L->in_h, &L->in_w, &L->in_c, &L->out_h,
                         &L->out_w, &L->out_c, &L->K, &L->N};
    for (int i = 0; i < 8; i++) *dims[i] = kgml_rd_le32(e + L_IN_H + 4 * i);
    L->out_scale = kgml_u2f(kgml_rd_le32(e + L_SCALE));
    if (kgml_rd_le16(e + L_RES0) || kgml_rd_le32(e + L_RES1) || kgml_rd_le32(e + L_RES2))
      return kg_fail(detail, KGML_E_HEADER, "layer %u: reserved field is not zero", l);
  }
  int rc = validate_shapes(m, detail);
  if (rc != KGML_OK) return rc;
  /* Sections must be exactly where the canonical layout puts them. */
  uint64_t pr = 0, wr = 0;
  for (uint32_t l = 0; l < nl; l++) {
    const uint8_t *e = b + lt + (size_t)l * KGQ_LAYER_SIZE;
    const kg_qlayer *L = &m->layers[l];
    if (kgml_rd_le32(e + L_P_OFF) != pr || kgml_rd_le32(e + L_W_OFF) != wr ||
        kgml_rd_le32(e + L_W_SIZE) != (uint64_t)L->K * L->N)
      return kg_fail(detail, KGML_E_LAYOUT,
                       "layer %u: parameters at +%u, weights at +%u (%u bytes); expected +%llu, "
                       "+%llu (%llu bytes)",
                       l, kgml_rd_le32(e + L_P_OFF), kgml_rd_le32(e + L_W_OFF),
                       kgml_rd_le32(e + L_W_SIZE), (unsigned long long)pr,
                       (unsigned long long)wr, (unsigned long long)L->K * L->N);
    pr += params_size(L->N);
    wr += (uint64_t)L->K * L->N;
  }
  const uint64_t psz = kgml_rd_le32(b + H_P_SIZE), woff = kgml_rd_le32(b + H_W_OFF),
                 wsz = kgml_rd_le32(b + H_W_SIZE);
  if (psz != pr || woff != poff + pr || wsz != wr || woff + wsz + 4 != total)
    return kg_fail(detail, KGML_E_LAYOUT,
                     "sections (params %llu+%llu, weights %llu+%llu) do not match the layers "
                     "and the file size %u",
                     (unsigned long long)poff, (unsigned long long)psz,
                     (unsigned long long)woff, (unsigned long long)wsz, total);
  pr = wr = 0;
  for (uint32_t l = 0; l < nl; l++) {
    kg_qlayer *L = &m->layers[l];
    const size_t N = L->N, kn = (size_t)L->K * L->N;
    L->bias = malloc(N * sizeof(int32_t));
    L->mult = malloc(N * sizeof(int32_t));
    L->w_scale = malloc(N * sizeof(float));
    L->shift = malloc(N);
    L->W = malloc(kn);
    if (!L->bias || !L->mult || !L->w_scale || !L->shift || !L->W)
      return kg_fail(detail, KGML_E_NOMEM, "out of memory");
    const uint8_t *p = b + poff + pr;
    for (size_t n = 0; n < N; n++) {
      L->bias[n] = (int32_t)kgml_rd_le32(p + 4 * n);
      L->mult[n] = (int32_t)kgml_rd_le32(p + 4 * (N + n));
      L->w_scale[n] = kgml_u2f(kgml_rd_le32(p + 4 * (2 * N + n)));
      L->shift[n] = p[12 * N + n];
    }
    for (size_t n = N; n < ((N + 3) & ~(size_t)3); n++)
      if (p[12 * N + n] != 0)
        return kg_fail(detail, KGML_E_HEADER, "layer %u: nonzero padding after shifts", l);
    memcpy(L->W, b + woff + wr, kn);
    pr += params_size(L->N);
    wr += kn;
  }
  return validate_values(m, detail);
}

int kg_qmodel_parse(kg_qmodel *m, const uint8_t *buf, size_t len, char *detail) {
  if (!m) return kg_fail(detail, KGML_E_INVAL, "no model");
  memset(m, 0, sizeof *m);
  if (!buf && len == 0) return kg_fail(detail, KGML_E_TRUNCATED, "empty model");
  if (!buf) return kg_fail(detail, KGML_E_INVAL, "no buffer");
  int rc = parse(m, buf, len, detail);
  if (rc != KGML_OK) kg_qmodel_free(m);
  return rc;
}

int kg_qmodel_load(kg_qmodel *m, const char *path, char *detail) {
  if (!m || !path) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(m, 0, sizeof *m);
  uint8_t *b;
  size_t len;
  int rc = kgml_read_file(path, &b, &len, KGQ_MAX_FILE, detail);
  if (rc != KGML_OK) return rc;
  rc = kg_qmodel_parse(m, b, len, detail);
  free(b);
  return rc;
}
