/*
 * kgml float32 models: a chain of fully connected (FC) and convolution
 * (CONV) layers, each of which maps onto one kgmac layer.
 *
 * Tensor layout is NHWC throughout. A convolution is an im2col GEMM with
 * reduction index k = (ky*KW + kx)*IC + ic and weights W[k][oc] (K x N),
 * exactly the order of kgmac/ref_layer.h. An FC layer after a convolution
 * flattens its input in (y, x, c) order, i.e. the NHWC memory order, so
 * K = H*W*C with k = (y*W + x)*C + c. Every layer but the last may apply
 * ReLU; the last layer produces logits.
 *
 * Ownership: a kgml_model owns its parameter block `params`; release it
 * with kgml_model_free(). kgml_layer.w and .b point into that block.
 * Models are not modified by forward/predict calls, which may run from
 * several threads at once.
 */
#ifndef KGML_FMODEL_H
#define KGML_FMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "kgml/error.h"
#include "kgml/idx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGML_MAX_LAYERS 16
#define KGML_ARCH_LEN 16

enum { KGML_LAYER_FC = 1, KGML_LAYER_CONV = 2 };

/* What a caller specifies for one layer. */
typedef struct kgml_layer_spec {
  uint32_t type;    /* KGML_LAYER_FC or KGML_LAYER_CONV */
  uint32_t out_c;   /* output features (FC) or channels (CONV) */
  uint32_t k;       /* CONV: square kernel size 1..7; FC: 0 */
  uint32_t stride;  /* CONV: 1 or 2; FC: 0 */
  uint32_t pad;     /* CONV: zero padding < k; FC: 0 */
  uint32_t relu;    /* 0 or 1 (must be 0 for the last layer) */
} kgml_layer_spec;

/* A built layer with all shapes resolved. */
typedef struct kgml_layer {
  kgml_layer_spec spec;
  uint32_t in_h, in_w, in_c;
  uint32_t out_h, out_w, out_c;
  uint32_t K, N;   /* GEMM: W is K x N */
  uint32_t M;      /* GEMM rows per image: out_h * out_w (1 for FC) */
  float *w;        /* K x N, into params */
  float *b;        /* N, into params */
} kgml_layer;

typedef struct kgml_model {
  char arch[KGML_ARCH_LEN];  /* "mlp", "cnn" or a caller's name */
  uint32_t in_h, in_w, in_c;
  uint32_t n_layers;
  kgml_layer layer[KGML_MAX_LAYERS];
  size_t n_params;
  float *params;             /* owned */
} kgml_model;

/* Build a model from specs with He-uniform weights drawn from `seed` and
 * zero biases. Validates every shape (KGML_E_DIMS / KGML_E_CONV /
 * KGML_E_LAYER_TYPE / KGML_E_HEADER for a ReLU on the last layer). */
int kgml_model_build(kgml_model *m, const char *arch, uint32_t in_h, uint32_t in_w,
                     uint32_t in_c, const kgml_layer_spec *specs, uint32_t n_layers,
                     uint64_t seed, char *detail);

/* The two kgmac reference models for 28x28x1 inputs:
 *  "mlp": FC 784-256 ReLU, FC 256-128 ReLU, FC 128-10.
 *  "cnn": conv3x3/1 1->16 ReLU, conv3x3/2 16->32 ReLU, conv3x3/2 32->32
 *         ReLU (7x7x32), FC 1568-128 ReLU, FC 128-10. */
int kgml_model_create(kgml_model *m, const char *arch, uint64_t seed, char *detail);

void kgml_model_free(kgml_model *m);

/* Deep copy (dst is overwritten; free it afterwards). */
int kgml_model_copy(kgml_model *dst, const kgml_model *src);

/* Float model file (.kgf): see docs/training.md. save writes atomically. */
int kgml_model_save(const kgml_model *m, const char *path, char *detail);
int kgml_model_load(kgml_model *m, const char *path, char *detail);
/* In-memory forms. kgml_model_serialize returns a malloc'd buffer. */
int kgml_model_serialize(const kgml_model *m, uint8_t **buf, size_t *len);
int kgml_model_parse(kgml_model *m, const uint8_t *buf, size_t len, char *detail);

/* Inputs are pixels scaled to [0, 1]: x = pixel / 255. */
/* Predict classes of n images (in_h*in_w*in_c bytes each) with nthreads
 * worker threads (1 or 2 typically); the result does not depend on
 * nthreads. logits (n x classes) may be NULL. */
int kgml_predict(const kgml_model *m, const uint8_t *pix, uint32_t n, uint32_t nthreads,
                 uint8_t *pred, float *logits);

/* Accuracy in [0, 1] of m on a labelled set. */
int kgml_evaluate(const kgml_model *m, const kgml_dataset *ds, uint32_t nthreads,
                  double *acc);

/* Number of classes (N of the last layer). */
uint32_t kgml_model_classes(const kgml_model *m);

#ifdef __cplusplus
}
#endif

#endif /* KGML_FMODEL_H */
