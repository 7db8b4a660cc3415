/* kgml post-training quantizer (see kgml/quant.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kgml/quant.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

int kgml_requant_params(double s, int32_t *mult, uint8_t *shift) {
  if (!mult || !shift || !isfinite(s) || !(s > 0.0)) return KGML_E_SCALE;
  int e;
  const double f = frexp(s, &e); /* s = f * 2^e, f in [0.5, 1) */
  int sh = 31 - e;
  int64_t q = (int64_t)llround(ldexp(f, 31)); /* in [2^30, 2^31] */
  if (q == ((int64_t)1 << 31)) { /* rounded up to 2^31: halve */
    q >>= 1;
    sh -= 1;
  }
  if (sh > 62) { /* too small for full precision: cap the shift */
    q = (int64_t)llround(ldexp(s, 62));
    sh = 62;
    if (q == 0) return KGML_E_SCALE;
  }
  if (sh < 1) return KGML_E_SCALE;
  *mult = (int32_t)q;
  *shift = (uint8_t)sh;
  return KGML_OK;
}

/* Largest |activation| after every layer over n calibration images. */
static int calibrate(const kgml_model *fm, const uint8_t *pix, uint32_t n, double *amax) {
  const uint32_t cap = 64;
  const size_t in = (size_t)fm->in_h * fm->in_w * fm->in_c;
  kgml_ws ws;
  int rc = kgml_ws_init(&ws, fm, cap, 0);
  if (rc != KGML_OK) return rc;
  for (uint32_t l = 0; l < fm->n_layers; l++) amax[l] = 0.0;
  for (uint32_t i0 = 0; i0 < n; i0 += cap) {
    const uint32_t nb = n - i0 < cap ? n - i0 : cap;
    kgml_load_pixels(pix + (size_t)i0 * in, nb * in, ws.act[0]);
    kgml_forward(fm, &ws, nb);
    for (uint32_t l = 0; l < fm->n_layers; l++) {
      const kgml_layer *L = &fm->layer[l];
      const size_t cnt = (size_t)nb * L->M * L->N;
      const float *a = ws.act[l + 1];
      for (size_t i = 0; i < cnt; i++) {
        const double v = fabs((double)a[i]);
        if (v > amax[l]) amax[l] = v;
      }
    }
  }
  kgml_ws_free(&ws);
  return KGML_OK;
}

int kgml_quantize(const kgml_model *fm, const kgml_dataset *calib, uint32_t n_calib,
                  kg_qmodel *out, char *detail) {
  if (!fm || !fm->params || !calib || !out) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(out, 0, sizeof *out);
  if ((size_t)calib->rows * calib->cols != (size_t)fm->in_h * fm->in_w * fm->in_c)
    return kg_fail(detail, KGML_E_MISMATCH, "calibration images do not fit the model input");
  if (n_calib == 0 || n_calib > calib->n) n_calib = calib->n;
  for (size_t i = 0; i < fm->n_params; i++)
    if (!isfinite(fm->params[i]))
      return kg_fail(detail, KGML_E_NUMERIC, "float parameter %zu is not finite", i);
  double amax[KGML_MAX_LAYERS];
  int rc = calibrate(fm, calib->pix, n_calib, amax);
  if (rc != KGML_OK) return kg_fail(detail, rc, "calibration failed");

  out->in_h = fm->in_h;
  out->in_w = fm->in_w;
  out->in_c = fm->in_c;
  out->in_scale = 1.0f / 127.0f;
  out->in_zero = 0;
  out->n_layers = fm->n_layers;
  out->layers = calloc(fm->n_layers, sizeof *out->layers);
  if (!out->layers) return kg_fail(detail, KGML_E_NOMEM, "out of memory");
  float s_in = out->in_scale;
  for (uint32_t l = 0; l < fm->n_layers; l++) {
    const kgml_layer *F = &fm->layer[l];
    kg_qlayer *L = &out->layers[l];
    L->type = F->spec.type == KGML_LAYER_CONV ? KGQ_CONV : KGQ_FC;
    L->relu = F->spec.relu;
    L->in_h = F->in_h;
    L->in_w = F->in_w;
    L->in_c = F->in_c;
    L->out_h = F->out_h;
    L->out_w = F->out_w;
    L->out_c = F->out_c;
    if (L->type == KGQ_CONV) {
      L->kh = L->kw = F->spec.k;
      L->stride = F->spec.stride;
      L->pad = F->spec.pad;
    }
    L->K = F->K;
    L->N = F->N;
    const uint32_t K = F->K, N = F->N;
    L->out_scale = amax[l] > 0.0 ? (float)(amax[l] / 127.0) : 1.0f;
    L->bias = malloc(N * sizeof(int32_t));
    L->mult = malloc(N * sizeof(int32_t));
    L->shift = malloc(N);
    L->w_scale = malloc(N * sizeof(float));
    L->W = malloc((size_t)K * N);
    if (!L->bias || !L->mult || !L->shift || !L->w_scale || !L->W) {
      kg_qmodel_free(out);
      return kg_fail(detail, KGML_E_NOMEM, "out of memory");
    }
    for (uint32_t n = 0; n < N; n++) {
      double wmax = 0.0;
      for (uint32_t k = 0; k < K; k++) {
        const double v = fabs((double)F->w[(size_t)k * N + n]);
        if (v > wmax) wmax = v;
      }
      const float sw = wmax > 0.0 ? (float)(wmax / 127.0) : 1.0f;
      L->w_scale[n] = sw;
      for (uint32_t k = 0; k < K; k++) {
        double q = nearbyint((double)F->w[(size_t)k * N + n] / (double)sw);
        if (q > 127.0) q = 127.0;
        if (q < -127.0) q = -127.0;
        L->W[(size_t)k * N + n] = (int8_t)q;
      }
      const double acc_scale = (double)s_in * (double)sw;
      const double bq = nearbyint((double)F->b[n] / acc_scale);
      if (!(fabs(bq) <= 2147483647.0)) {
        kg_qmodel_free(out);
        return kg_fail(detail, KGML_E_SCALE,
                         "layer %u channel %u: bias %g does not fit int32 at scale %g", l, n,
                         (double)F->b[n], acc_scale);
      }
      L->bias[n] = (int32_t)bq;
      const double M = acc_scale / (double)L->out_scale;
      if (kgml_requant_params(M, &L->mult[n], &L->shift[n]) != KGML_OK) {
        kg_qmodel_free(out);
        return kg_fail(detail, KGML_E_SCALE,
                         "layer %u channel %u: requantization scale %g is not representable as "
                         "mult/2^shift with mult < 2^31 and 1 <= shift <= 62",
                         l, n, M);
      }
    }
    s_in = L->out_scale;
  }
  rc = kg_qmodel_validate(out, detail);
  if (rc != KGML_OK) kg_qmodel_free(out);
  return rc;
}
