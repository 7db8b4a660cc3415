/*
 * .kgq: kgmac's unlocked int8 model, and its bit-exact inference.
 *
 * A kg_qmodel is a chain of FC and CONV layers with int8 weights W[k][n]
 * (K x N, k = (ky*KW + kx)*IC + ic for a convolution, k = (y*W + x)*C + c
 * for an FC layer that follows a convolution), int32 bias and per-channel
 * requantization (mult, shift) exactly as in kgmac/ref_layer.h. Activations
 * are symmetric int8 with zero point 0; the input is quantized with
 * in_scale (1/127 for kgmac's models). The file format is specified in
 * docs/kgq-format.md.
 *
 * Ownership: a kg_qmodel filled by kg_qmodel_parse(), kg_qmodel_load() or
 * kgml_quantize() owns `layers` and every array its layers point to; each
 * is a separate malloc() block. kg_qmodel_free() releases them all and
 * zeroes the struct (it is safe on a zeroed or already freed struct). A
 * caller that assembles a kg_qmodel by hand and wants to use
 * kg_qmodel_free() must allocate the same way. Other functions borrow their
 * arguments for the duration of the call and keep no state; inference on
 * one model may run from several threads at once.
 */
#ifndef KGML_KGQ_H
#define KGML_KGQ_H

#include <stddef.h>
#include <stdint.h>

#include "kgml/error.h"
#include "kgml/idx.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGQ_MAGIC "KGQM"
#define KGQ_VERSION 1u
#define KGQ_HEADER_SIZE 64u
#define KGQ_LAYER_SIZE 64u
#define KGQ_MAX_LAYERS 64u
#define KGQ_MAX_SIDE 4096u          /* height / width */
#define KGQ_MAX_CHANNELS 65535u
#define KGQ_MAX_LAYER_WEIGHTS (16u * 1024u * 1024u)   /* K * N */
#define KGQ_MAX_FILE (256u * 1024u * 1024u)

enum { KGQ_FC = 1, KGQ_CONV = 2 };  /* same values as KGML_LAYER_* */

typedef struct kg_qlayer {
  uint32_t type;                   /* KGQ_FC or KGQ_CONV */
  uint32_t relu;                   /* 0 or 1 */
  uint32_t in_h, in_w, in_c;       /* input tensor (NHWC); FC: any shape, flattened */
  uint32_t out_h, out_w, out_c;    /* output tensor; FC: 1 x 1 x N */
  uint32_t kh, kw, stride, pad;    /* CONV only; 0 for FC */
  uint32_t K, N;                   /* weight matrix K x N */
  float out_scale;                 /* real value of one output step */
  int32_t *bias;                   /* N */
  int32_t *mult;                   /* N, in [0, 2^31) */
  uint8_t *shift;                  /* N, in [1, 62] */
  float *w_scale;                  /* N, weight scale per output channel (informational) */
  int8_t *W;                       /* K x N, in [-127, 127] */
} kg_qlayer;

typedef struct kg_qmodel {
  uint32_t in_h, in_w, in_c;
  float in_scale;       /* real value of one input step */
  int32_t in_zero;      /* always 0 (symmetric) */
  uint32_t n_layers;
  kg_qlayer *layers;    /* n_layers entries */
} kg_qmodel;

void kg_qmodel_free(kg_qmodel *m);

/* Check a model in memory (the checks the reader makes after the CRC). */
int kg_qmodel_validate(const kg_qmodel *m, char *detail);

/* Serialize to a malloc'd buffer (caller frees) / write atomically. The
 * model is validated first. */
int kg_qmodel_serialize(const kg_qmodel *m, uint8_t **buf, size_t *len, char *detail);
int kg_qmodel_save(const kg_qmodel *m, const char *path, char *detail);

/* Parse / load with full validation: KGML_E_TRUNCATED, _MAGIC, _VERSION,
 * _TRAILING, _CRC, _HEADER, _LAYOUT, _LAYER_TYPE, _DIMS, _CHAIN, _CONV,
 * _SCALE, _REQUANT, _WEIGHT. On error *m is left zeroed. */
int kg_qmodel_parse(kg_qmodel *m, const uint8_t *buf, size_t len, char *detail);
int kg_qmodel_load(kg_qmodel *m, const char *path, char *detail);

/* Quantize n pixels (0..255) to the model's int8 input:
 * q = clamp(round(pixel / 255 / in_scale), -128, 127); for in_scale = 1/127
 * this is round(pixel * 127 / 255), which never ties. */
void kg_qmodel_quantize_input(const kg_qmodel *m, const uint8_t *pix, size_t n, int8_t *out);

/* Size of the input (in_h*in_w*in_c) and of the output (last layer's N). */
size_t kg_qmodel_input_size(const kg_qmodel *m);
uint32_t kg_qmodel_classes(const kg_qmodel *m);

/* int8 inference of one image through kg_ref_fc / kg_ref_conv2d with no
 * sign key (key = NULL), i.e. bit-exact with the kgmac hardware running
 * the unlocked model. in has kg_qmodel_input_size() values; logits (may be
 * NULL) receives kg_qmodel_classes() int8 values; *pred (may be NULL) the
 * argmax, lowest index on ties. */
int kg_qmodel_infer(const kg_qmodel *m, const int8_t *in, int8_t *logits, uint32_t *pred);

/* Predict n images of pixels (quantized with kg_qmodel_quantize_input) on
 * nthreads threads; pred gets n classes. */
int kg_qmodel_predict(const kg_qmodel *m, const uint8_t *pix, uint32_t n, uint32_t nthreads,
                      uint8_t *pred);

/* Accuracy in [0, 1] on a labelled set. */
int kg_qmodel_evaluate(const kg_qmodel *m, const kgml_dataset *ds, uint32_t nthreads,
                       double *acc);

#ifdef __cplusplus
}
#endif

#endif /* KGML_KGQ_H */
