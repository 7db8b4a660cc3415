/*
 * kgml trainer: minibatch Adam on softmax cross-entropy with a cosine
 * learning-rate decay, deterministic for a given seed.
 *
 * Determinism: the shuffle (Fisher-Yates on a splitmix64 stream) and the
 * weight initialisation depend only on the seed. Each minibatch is split
 * into KGML_TRAIN_SHARDS fixed halves whose gradients are computed
 * independently and summed in shard order, so the result is bit-identical
 * whether the shards run on 1 or 2 threads, and from run to run.
 */
#ifndef KGML_TRAIN_H
#define KGML_TRAIN_H

#include <stdint.h>

#include "kgml/fmodel.h"
#include "kgml/idx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGML_TRAIN_SHARDS 2

typedef struct kgml_train_progress {
  uint32_t epoch, epochs;  /* 1-based epoch */
  uint32_t step, steps;    /* 1-based step within the epoch */
  double loss;             /* mean loss so far in this epoch */
} kgml_train_progress;

typedef struct kgml_epoch_stats {
  uint32_t epoch, epochs;
  double loss;        /* mean training loss of the epoch */
  double train_acc;   /* accuracy on the batches seen, in [0, 1] */
  double test_acc;    /* on opts.test after the epoch, or -1 */
  double seconds;     /* wall time of the epoch (training only) */
} kgml_epoch_stats;

typedef struct kgml_train_opts {
  uint32_t epochs;      /* full passes over the data (>= 1) */
  uint32_t batch;       /* minibatch size (>= 2) */
  double lr;            /* peak Adam learning rate */
  double lr_final;      /* learning rate at the end of the cosine decay */
  uint64_t seed;        /* shuffle seed */
  uint32_t nthreads;    /* 1 or 2 worker threads; does not change results */
  uint32_t n_train;     /* use the first n_train images only (0 = all) */
  uint32_t max_steps;   /* stop after this many steps in total (0 = no limit) */
  const kgml_dataset *test;  /* evaluated after each epoch if not NULL */
  void (*on_step)(void *ctx, const kgml_train_progress *p);  /* may be NULL */
  void (*on_epoch)(void *ctx, const kgml_epoch_stats *s);    /* may be NULL */
  void *ctx;
} kgml_train_opts;

/* Defaults for "mlp" or "cnn" (epochs, batch, learning rate; seed 1). */
void kgml_train_defaults(kgml_train_opts *o, const char *arch);

/* Train m in place on `train`. last (may be NULL) receives the statistics
 * of the final epoch. Returns KGML_E_NUMERIC if the loss diverges. */
int kgml_train(kgml_model *m, const kgml_dataset *train, const kgml_train_opts *o,
               kgml_epoch_stats *last, char *detail);

/* Mean cross-entropy loss of m on the first n images of ds (n = 0: all). */
int kgml_mean_loss(const kgml_model *m, const kgml_dataset *ds, uint32_t n, double *loss);

/* Gradient of each image's cross-entropy loss with respect to its input
 * (white-box adversarial examples). x holds n images in [0, 1] (NHWC,
 * in_h*in_w*in_c floats each), labels their classes; grad (same size as x)
 * receives d loss_i / d x_i. pred (may be NULL) gets the argmax of the
 * logits on x, loss (may be NULL) the mean loss. Single-threaded,
 * deterministic. KGML_E_INVAL, _MISMATCH (a label >= classes), _NOMEM,
 * _NUMERIC. */
int kgml_input_grad(const kgml_model *m, const float *x, const uint8_t *labels, uint32_t n,
                    float *grad, uint8_t *pred, double *loss);

#ifdef __cplusplus
}
#endif

#endif /* KGML_TRAIN_H */
