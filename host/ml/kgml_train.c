/* kgml trainer (see kgml/train.h). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kgml/train.h"
#include "kgml_internal.h"
#include "kgml_nn.h"

void kgml_train_defaults(kgml_train_opts *o, const char *arch) {
  memset(o, 0, sizeof *o);
  o->epochs = (arch && strcmp(arch, "cnn") == 0) ? 8 : 12;
  o->batch = 64;
  o->lr = 1e-3;
  o->lr_final = 2e-5;
  o->seed = 1;
  o->nthreads = 2;
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* Softmax cross-entropy of one row; writes (p - onehot) * scale to d. */
static double xent(const float *z, uint32_t C, uint32_t y, float scale, float *d,
                   uint32_t *argmax) {
  uint32_t best = 0;
  for (uint32_t c = 1; c < C; c++)
    if (z[c] > z[best]) best = c;
  *argmax = best;
  const double mx = z[best];
  double sum = 0.0;
  for (uint32_t c = 0; c < C; c++) sum += exp((double)z[c] - mx);
  const double lse = mx + log(sum);
  if (d)
    for (uint32_t c = 0; c < C; c++) {
      const double p = exp((double)z[c] - lse);
      d[c] = (float)((p - (c == y ? 1.0 : 0.0)) * scale);
    }
  return lse - z[y];
}

typedef struct shard {
  const kgml_model *m;
  const kgml_dataset *ds;
  const uint32_t *idx;   /* image indices of this shard */
  uint32_t nb;           /* images in this shard */
  uint32_t batch;        /* whole minibatch size (loss normaliser) */
  float *const *wt;
  kgml_ws ws;
  float *grad;
  double loss;
  uint32_t correct;
} shard;

static void *shard_step(void *arg) {
  shard *s = arg;
  const kgml_model *m = s->m;
  memset(s->grad, 0, m->n_params * sizeof(float));
  s->loss = 0.0;
  s->correct = 0;
  if (s->nb == 0) return NULL;
  const size_t in = (size_t)m->in_h * m->in_w * m->in_c;
  for (uint32_t i = 0; i < s->nb; i++)
    kgml_load_pixels(s->ds->pix + (size_t)s->idx[i] * in, in, s->ws.act[0] + i * in);
  kgml_forward(m, &s->ws, s->nb);
  const uint32_t C = kgml_model_classes(m);
  const float *z = s->ws.act[m->n_layers];
  float *d = s->ws.dact[m->n_layers];
  for (uint32_t i = 0; i < s->nb; i++) {
    uint32_t am;
    const uint8_t y = s->ds->labels[s->idx[i]];
    s->loss += xent(z + (size_t)i * C, C, y, 1.0f / (float)s->batch, d + (size_t)i * C, &am);
    s->correct += am == y;
  }
  kgml_backward(m, &s->ws, s->nb, s->wt, s->grad);
  return NULL;
}

int kgml_train(kgml_model *m, const kgml_dataset *ds, const kgml_train_opts *o,
               kgml_epoch_stats *last, char *detail) {
  if (!m || !m->params || !ds || !o) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  if (o->epochs == 0 || o->batch < 2 || !(o->lr > 0.0) || o->lr_final < 0.0)
    return kg_fail(detail, KGML_E_INVAL, "epochs, batch or learning rate out of range");
  if ((size_t)ds->rows * ds->cols != (size_t)m->in_h * m->in_w * m->in_c)
    return kg_fail(detail, KGML_E_MISMATCH, "images are %ux%u, the model takes %ux%ux%u",
                     ds->rows, ds->cols, m->in_h, m->in_w, m->in_c);
  if (kgml_model_classes(m) < 10)
    return kg_fail(detail, KGML_E_MISMATCH, "the model has fewer than 10 outputs");
  const uint32_t n = (o->n_train && o->n_train < ds->n) ? o->n_train : ds->n;
  const uint32_t B = o->batch < n ? o->batch : n;
  if (n < 2) return kg_fail(detail, KGML_E_INVAL, "need at least 2 training images");
  const uint32_t steps_per_epoch = (n + B - 1) / B;
  uint64_t total_steps = (uint64_t)steps_per_epoch * o->epochs;
  if (o->max_steps && o->max_steps < total_steps) total_steps = o->max_steps;

  int rc = KGML_OK;
  const size_t P = m->n_params;
  uint32_t *perm = malloc(n * sizeof *perm);
  float *adam = calloc(2 * P, sizeof(float)); /* first and second moments */
  float *wt[KGML_MAX_LAYERS] = {0};
  shard sh[KGML_TRAIN_SHARDS];
  memset(sh, 0, sizeof sh);
  if (!perm || !adam) {
    rc = kg_fail(detail, KGML_E_NOMEM, "out of memory");
    goto out;
  }
  for (uint32_t l = 1; l < m->n_layers; l++) {
    wt[l] = malloc((size_t)m->layer[l].K * m->layer[l].N * sizeof(float));
    if (!wt[l]) {
      rc = kg_fail(detail, KGML_E_NOMEM, "out of memory");
      goto out;
    }
  }
  const uint32_t cap = (B + KGML_TRAIN_SHARDS - 1) / KGML_TRAIN_SHARDS;
  for (int s = 0; s < KGML_TRAIN_SHARDS; s++) {
    sh[s].grad = malloc(P * sizeof(float));
    if (!sh[s].grad || kgml_ws_init(&sh[s].ws, m, cap, 1) != KGML_OK) {
      rc = kg_fail(detail, KGML_E_NOMEM, "out of memory");
      goto out;
    }
    sh[s].m = m;
    sh[s].ds = ds;
    sh[s].wt = wt;
  }
  for (uint32_t i = 0; i < n; i++) perm[i] = i;
  kgml_rng rng = {o->seed ^ 0x73687566666c6521ull};
  const uint32_t nthreads = o->nthreads >= 2 ? 2 : 1;
  const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
  uint64_t t = 0;
  float *mom = adam, *vel = adam + P;
  for (uint32_t ep = 1; ep <= o->epochs && t < total_steps; ep++) {
    const double t0 = now_s();
    for (uint32_t i = n - 1; i > 0; i--) { /* Fisher-Yates */
      const uint32_t j = kgml_rng_below(&rng, i + 1);
      const uint32_t tmp = perm[i];
      perm[i] = perm[j];
      perm[j] = tmp;
    }
    double loss_sum = 0.0;
    uint64_t seen = 0, correct = 0;
    uint32_t step = 0;
    for (uint32_t b0 = 0; b0 < n && t < total_steps; b0 += B) {
      const uint32_t nb = n - b0 < B ? n - b0 : B;
      kgml_transpose_weights(m, wt);
      for (int s = 0; s < KGML_TRAIN_SHARDS; s++) {
        const uint32_t a = nb * s / KGML_TRAIN_SHARDS, z = nb * (s + 1) / KGML_TRAIN_SHARDS;
        sh[s].idx = perm + b0 + a;
        sh[s].nb = z - a;
        sh[s].batch = nb;
      }
      if (nthreads == 2) {
        kgml_run_threads(KGML_TRAIN_SHARDS, shard_step, sh, sizeof sh[0]);
      } else {
        for (int s = 0; s < KGML_TRAIN_SHARDS; s++) shard_step(&sh[s]);
      }
      float *g = sh[0].grad;
      for (int s = 1; s < KGML_TRAIN_SHARDS; s++)
        for (size_t i = 0; i < P; i++) g[i] += sh[s].grad[i];
      double bl = 0.0;
      for (int s = 0; s < KGML_TRAIN_SHARDS; s++) {
        bl += sh[s].loss;
        correct += sh[s].correct;
      }
      if (!isfinite(bl)) {
        rc = kg_fail(detail, KGML_E_NUMERIC, "loss diverged at epoch %u step %u", ep, step + 1);
        goto out;
      }
      loss_sum += bl;
      seen += nb;
      /* Adam with cosine decay from lr to lr_final over all steps. */
      t++;
      const double pi = 3.14159265358979323846;
      const double lr_t = o->lr_final + (o->lr - o->lr_final) * 0.5 *
                                            (1.0 + cos(pi * (double)(t - 1) / (double)total_steps));
      const float step_size =
          (float)(lr_t * sqrt(1.0 - pow(b2, (double)t)) / (1.0 - pow(b1, (double)t)));
      const float fb1 = (float)b1, fb2 = (float)b2, feps = (float)eps;
      for (size_t i = 0; i < P; i++) {
        mom[i] = fb1 * mom[i] + (1.0f - fb1) * g[i];
        vel[i] = fb2 * vel[i] + (1.0f - fb2) * g[i] * g[i];
        m->params[i] -= step_size * mom[i] / (sqrtf(vel[i]) + feps);
      }
      step++;
      if (o->on_step) {
        kgml_train_progress p = {ep, o->epochs, step, steps_per_epoch, loss_sum / (double)seen};
        o->on_step(o->ctx, &p);
      }
    }
    kgml_epoch_stats st = {ep, o->epochs, loss_sum / (double)seen,
                           (double)correct / (double)seen, -1.0, now_s() - t0};
    if (o->test) {
      rc = kgml_evaluate(m, o->test, nthreads, &st.test_acc);
      if (rc != KGML_OK) {
        kg_fail(detail, rc, "evaluation failed");
        goto out;
      }
    }
    if (last) *last = st;
    if (o->on_epoch) o->on_epoch(o->ctx, &st);
  }
out:
  for (int s = 0; s < KGML_TRAIN_SHARDS; s++) {
    free(sh[s].grad);
    kgml_ws_free(&sh[s].ws);
  }
  for (uint32_t l = 0; l < KGML_MAX_LAYERS; l++) free(wt[l]);
  free(adam);
  free(perm);
  return rc;
}

int kgml_mean_loss(const kgml_model *m, const kgml_dataset *ds, uint32_t n, double *loss) {
  if (!m || !ds || !loss || ds->n == 0) return KGML_E_INVAL;
  if ((size_t)ds->rows * ds->cols != (size_t)m->in_h * m->in_w * m->in_c)
    return KGML_E_MISMATCH;
  if (n == 0 || n > ds->n) n = ds->n;
  const uint32_t C = kgml_model_classes(m);
  float *logits = malloc((size_t)n * C * sizeof(float));
  if (!logits) return KGML_E_NOMEM;
  int rc = kgml_predict(m, ds->pix, n, 2, NULL, logits);
  if (rc == KGML_OK) {
    double sum = 0.0;
    for (uint32_t i = 0; i < n; i++) {
      uint32_t am;
      sum += xent(logits + (size_t)i * C, C, ds->labels[i], 1.0f, NULL, &am);
    }
    *loss = sum / n;
  }
  free(logits);
  return rc;
}

int kgml_input_grad(const kgml_model *m, const float *x, const uint8_t *labels, uint32_t n,
                    float *grad, uint8_t *pred, double *loss) {
  if (!m || !m->params || !x || !labels || !grad || n == 0) return KGML_E_INVAL;
  const uint32_t C = kgml_model_classes(m);
  for (uint32_t i = 0; i < n; i++)
    if (labels[i] >= C) return KGML_E_MISMATCH;
  enum { CAP = 64 };
  const size_t in = (size_t)m->in_h * m->in_w * m->in_c;
  const kgml_layer *L0 = &m->layer[0];
  kgml_ws ws;
  int rc = kgml_ws_init(&ws, m, CAP, 1);
  if (rc != KGML_OK) return rc;
  float *wt[KGML_MAX_LAYERS] = {0};
  float *pgrad = malloc(m->n_params * sizeof(float)); /* parameter gradients: unused */
  float *dcols0 = L0->spec.type == KGML_LAYER_CONV
                      ? malloc((size_t)CAP * L0->M * L0->K * sizeof(float))
                      : NULL;
  int ok = pgrad && (L0->spec.type != KGML_LAYER_CONV || dcols0);
  for (uint32_t l = 0; ok && l < m->n_layers; l++)
    ok = (wt[l] = malloc((size_t)m->layer[l].K * m->layer[l].N * sizeof(float))) != NULL;
  if (!ok) {
    rc = KGML_E_NOMEM;
    goto out;
  }
  kgml_transpose_weights(m, wt);
  for (uint32_t k = 0; k < L0->K; k++) /* kgml_transpose_weights skips layer 0 */
    for (uint32_t c = 0; c < L0->N; c++) wt[0][(size_t)c * L0->K + k] = L0->w[(size_t)k * L0->N + c];
  double sum = 0.0;
  for (uint32_t i0 = 0; i0 < n; i0 += CAP) {
    const uint32_t nb = n - i0 < CAP ? n - i0 : CAP;
    memcpy(ws.act[0], x + (size_t)i0 * in, (size_t)nb * in * sizeof(float));
    kgml_forward(m, &ws, nb);
    const float *z = ws.act[m->n_layers];
    float *d = ws.dact[m->n_layers];
    for (uint32_t i = 0; i < nb; i++) {
      uint32_t am;
      sum += xent(z + (size_t)i * C, C, labels[i0 + i], 1.0f, d + (size_t)i * C, &am);
      if (pred) pred[i0 + i] = (uint8_t)am;
    }
    kgml_backward(m, &ws, nb, wt, pgrad);
    kgml_backward_input(m, &ws, nb, wt[0], dcols0, grad + (size_t)i0 * in);
  }
  if (loss) *loss = sum / n;
  if (!isfinite(sum)) rc = KGML_E_NUMERIC;
out:
  for (uint32_t l = 0; l < KGML_MAX_LAYERS; l++) free(wt[l]);
  free(pgrad);
  free(dcols0);
  kgml_ws_free(&ws);
  return rc;
}
