/* int8 inference of a .kgq model on the bit-exact C reference (kgref). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kgmac/ref_layer.h"
#include "kgml/kgq.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

size_t kg_qmodel_input_size(const kg_qmodel *m) {
  return m ? (size_t)m->in_h * m->in_w * m->in_c : 0;
}

uint32_t kg_qmodel_classes(const kg_qmodel *m) {
  return (m && m->layers && m->n_layers) ? m->layers[m->n_layers - 1].N : 0;
}

void kg_qmodel_quantize_input(const kg_qmodel *m, const uint8_t *pix, size_t n, int8_t *out) {
  const double step = 255.0 * (double)m->in_scale;
  for (size_t i = 0; i < n; i++) {
    double q = floor((double)pix[i] / step + 0.5);
    out[i] = (int8_t)(q > 127.0 ? 127 : (q < -128.0 ? -128 : (int)q));
  }
}

int kg_qmodel_infer(const kg_qmodel *m, const int8_t *in, int8_t *logits, uint32_t *pred) {
  if (!m || !m->layers || m->n_layers == 0 || !in) return KGML_E_INVAL;
  /* Two ping-pong activation buffers plus conv scratch, sized for the
   * largest layer. */
  size_t amax = kg_qmodel_input_size(m), smax = 1, cmax = 1;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_qlayer *L = &m->layers[l];
    const size_t o = (size_t)L->out_h * L->out_w * L->out_c;
    if (o > amax) amax = o;
    if (L->type == KGQ_CONV) {
      const size_t M = (size_t)L->out_h * L->out_w;
      if (M * L->K > smax) smax = M * L->K;
      if (M * L->N > cmax) cmax = M * L->N;
    }
  }
  int8_t *buf[2] = {malloc(amax), malloc(amax)};
  int8_t *scratch = malloc(smax);
  int32_t *acc = malloc(cmax * sizeof(int32_t));
  int rc = KGML_OK;
  if (!buf[0] || !buf[1] || !scratch || !acc) {
    rc = KGML_E_NOMEM;
    goto out;
  }
  const kg_geom g = {1, 1}; /* unused with key = NULL */
  const int8_t *x = in;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_qlayer *L = &m->layers[l];
    const kg_requant q = {L->bias, L->mult, L->shift, (int)L->relu};
    int8_t *y = buf[l & 1];
    int r;
    if (L->type == KGQ_FC) {
      r = kg_ref_fc(1, L->K, L->N, x, L->W, NULL, g, &q, y);
    } else if (L->type == KGQ_CONV) {
      const kg_conv_shape s = {L->in_h, L->in_w, L->in_c, L->out_c,
                               L->kh,   L->kw,   L->stride, L->pad};
      r = kg_ref_conv2d(&s, x, L->W, NULL, g, &q, scratch, acc, y);
    } else {
      r = KG_REF_EINVAL;
    }
    if (r != KG_REF_OK) {
      rc = KGML_E_INVAL;
      goto out;
    }
    x = y;
  }
  const uint32_t C = kg_qmodel_classes(m);
  uint32_t best = 0;
  for (uint32_t c = 1; c < C; c++)
    if (x[c] > x[best]) best = c;
  if (logits) memcpy(logits, x, C);
  if (pred) *pred = best;
out:
  free(buf[0]);
  free(buf[1]);
  free(scratch);
  free(acc);
  return rc;
}

typedef struct qjob {
  const kg_qmodel *m;
  const uint8_t *pix;
  uint32_t first, count;
  uint8_t *pred;
  int rc;
} qjob;

static void *qworker(void *arg) {
  qjob *j = arg;
  const size_t in = kg_qmodel_input_size(j->m);
  int8_t *x = malloc(in);
  if (!x) {
    j->rc = KGML_E_NOMEM;
    return NULL;
  }
  for (uint32_t i = 0; i < j->count && j->rc == KGML_OK; i++) {
    const size_t idx = (size_t)j->first + i;
    uint32_t p = 0;
    kg_qmodel_quantize_input(j->m, j->pix + idx * in, in, x);
    j->rc = kg_qmodel_infer(j->m, x, NULL, &p);
    j->pred[idx] = (uint8_t)p;
  }
  free(x);
  return NULL;
}

int kg_qmodel_predict(const kg_qmodel *m, const uint8_t *pix, uint32_t n, uint32_t nthreads,
                      uint8_t *pred) {
  if (!m || !m->layers || !pix || !pred) return KGML_E_INVAL;
  nthreads = kgml_threads_for(n, nthreads);
  qjob jobs[16];
  for (uint32_t t = 0; t < nthreads; t++) {
    jobs[t] = (qjob){m, pix, 0, 0, pred, KGML_OK};
    kgml_share(n, nthreads, t, &jobs[t].first, &jobs[t].count);
  }
  int rc = kgml_run_threads(nthreads, qworker, jobs, sizeof jobs[0]);
  for (uint32_t t = 0; t < nthreads && rc == KGML_OK; t++) rc = jobs[t].rc;
  return rc;
}

int kg_qmodel_evaluate(const kg_qmodel *m, const kgml_dataset *ds, uint32_t nthreads,
                       double *acc) {
  if (!m || !ds || !acc || ds->n == 0) return KGML_E_INVAL;
  if ((size_t)ds->rows * ds->cols != kg_qmodel_input_size(m)) return KGML_E_MISMATCH;
  uint8_t *pred = malloc(ds->n);
  if (!pred) return KGML_E_NOMEM;
  int rc = kg_qmodel_predict(m, ds->pix, ds->n, nthreads, pred);
  if (rc == KGML_OK) {
    uint32_t ok = 0;
    for (uint32_t i = 0; i < ds->n; i++) ok += pred[i] == ds->labels[i];
    *acc = (double)ok / ds->n;
  }
  free(pred);
  return rc;
}
