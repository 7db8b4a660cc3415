/* White-box adversarial examples on the float model (FGSM, PGD, and a
 * random-sign control), and their success on a device model
 * (kgattack/attack_ml.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgattack/attack_ml.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

static float clamp01(float v) {
  return v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
}

static float sgn(float g) {
  return g > 0.0f ? 1.0f : g < 0.0f ? -1.0f : 0.0f;
}

/* x += a * sign(g), then project onto [x0 - eps, x0 + eps] and [0, 1]. */
static void signed_step(float *x, const float *x0, const float *g, size_t cnt, float a, float eps) {
  for (size_t i = 0; i < cnt; i++) {
    float v = x[i] + a * sgn(g[i]);
    if (v > x0[i] + eps) v = x0[i] + eps;
    if (v < x0[i] - eps) v = x0[i] - eps;
    x[i] = clamp01(v);
  }
}

int kga_adv_craft(const kgml_model *m, const uint8_t *pix, const uint8_t *labels, uint32_t n,
                  const kga_adv_opts *o, float *adv, uint8_t *adv_pred, char *detail) {
  if (!m || !m->params || !pix || !labels || !o || !adv || n == 0)
    return kg_fail(detail, KGML_E_INVAL, "bad argument");
  if (!(o->eps >= 0.0f && o->eps <= 1.0f))
    return kg_fail(detail, KGML_E_INVAL, "epsilon %g outside [0, 1]", (double)o->eps);
  if (o->method == KGA_ADV_PGD && (o->steps == 0 || !(o->step >= 0.0f)))
    return kg_fail(detail, KGML_E_INVAL, "PGD needs steps >= 1 and a step >= 0");
  if (o->method != KGA_ADV_FGSM && o->method != KGA_ADV_PGD && o->method != KGA_ADV_RANDOM)
    return kg_fail(detail, KGML_E_INVAL, "unknown method %d", o->method);
  const size_t cnt = (size_t)n * m->in_h * m->in_w * m->in_c;
  float *x0 = malloc(cnt * sizeof(float));
  float *g = malloc(cnt * sizeof(float));
  if (!x0 || !g) {
    free(x0);
    free(g);
    return kg_fail(detail, KGML_E_NOMEM, "out of memory for %u images", n);
  }
  kgml_load_pixels(pix, cnt, x0);
  memcpy(adv, x0, cnt * sizeof(float));
  int rc = KGML_OK;
  if (o->method == KGA_ADV_RANDOM) {
    kgml_rng rng = {o->seed ^ 0x72616e646f6d2121ull};
    for (size_t i = 0; i < cnt; i++)
      g[i] = (kgml_rng_next(&rng) >> 63) ? 1.0f : -1.0f;
    signed_step(adv, x0, g, cnt, o->eps, o->eps);
  } else {
    const uint32_t steps = o->method == KGA_ADV_PGD ? o->steps : 1;
    const float a = o->method == KGA_ADV_PGD ? o->step : o->eps;
    for (uint32_t s = 0; s < steps && rc == KGML_OK; s++) {
      rc = kgml_input_grad(m, adv, labels, n, g, NULL, NULL);
      if (rc == KGML_OK) signed_step(adv, x0, g, cnt, a, o->eps);
    }
    if (rc != KGML_OK) kg_fail(detail, rc, "input gradient: %s", kgml_strerror(rc));
  }
  if (rc == KGML_OK && adv_pred) {
    rc = kgml_input_grad(m, adv, labels, n, g, adv_pred, NULL);
    if (rc != KGML_OK) kg_fail(detail, rc, "prediction on the adversarial images failed");
  }
  free(x0);
  free(g);
  return rc;
}

int kga_device_predict(kg_model *dm, const float *x, uint32_t n, uint8_t *pred) {
  if (!dm || !x || !pred) return KG_E_INVAL;
  kg_model_info info;
  int rc = kg_model_query(dm, &info);
  if (rc != KG_OK) return rc;
  if (info.output_size == 0 || info.output_size > 256u) return KG_E_INVAL;
  enum { CHUNK = 256 };
  int8_t *out = malloc((size_t)CHUNK * info.output_size);
  if (!out) return KG_E_NOMEM;
  for (uint32_t i0 = 0; i0 < n && rc == KG_OK; i0 += CHUNK) {
    const uint32_t nb = n - i0 < CHUNK ? n - i0 : CHUNK;
    rc = kg_infer_float(dm, x + (size_t)i0 * info.input_size, nb, out);
    for (uint32_t i = 0; i < nb && rc == KG_OK; i++) {
      const int8_t *z = out + (size_t)i * info.output_size;
      uint32_t best = 0;
      for (uint32_t c = 1; c < info.output_size; c++)
        if (z[c] > z[best]) best = c;
      pred[i0 + i] = (uint8_t)best;
    }
  }
  free(out);
  return rc;
}

double kga_adv_success(const uint8_t *clean_pred, const uint8_t *adv_pred,
                       const uint8_t *labels, uint32_t n, uint32_t *n_correct) {
  uint32_t ok = 0, flipped = 0;
  for (uint32_t i = 0; i < n; i++)
    if (clean_pred[i] == labels[i]) {
      ok++;
      flipped += adv_pred[i] != labels[i];
    }
  if (n_correct) *n_correct = ok;
  return ok ? (double)flipped / ok : 0.0;
}
