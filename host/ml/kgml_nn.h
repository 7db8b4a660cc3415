/* kgml private: float forward/backward passes over a batch (not installed). */
#ifndef KGML_NN_H
#define KGML_NN_H

#include "kgml/fmodel.h"

/* Per-thread buffers for a batch of up to `cap` images. act[0] is the input
 * (cap x in_h*in_w*in_c), act[l+1] the output of layer l (after ReLU).
 * cols[l] is the im2col matrix of a conv layer (NULL for FC: the GEMM reads
 * act[l] directly). The d* buffers exist only when training. */
typedef struct kgml_ws {
  uint32_t cap;
  float *act[KGML_MAX_LAYERS + 1];
  float *cols[KGML_MAX_LAYERS];
  float *dact[KGML_MAX_LAYERS + 1];
  float *dcols[KGML_MAX_LAYERS];
} kgml_ws;

int kgml_ws_init(kgml_ws *ws, const kgml_model *m, uint32_t cap, int training);
void kgml_ws_free(kgml_ws *ws);

/* x = pixel / 255 for n images of `size` bytes. */
void kgml_load_pixels(const uint8_t *pix, size_t count, float *dst);

/* Forward nb <= cap images from ws->act[0]; fills every act[l]. */
void kgml_forward(const kgml_model *m, kgml_ws *ws, uint32_t nb);

/* Backward from ws->dact[n_layers] (gradient of the loss with respect to
 * the logits); accumulates parameter gradients into grad (n_params, same
 * layout as m->params). wt[l] is layer l's weight transposed (N x K). */
void kgml_backward(const kgml_model *m, kgml_ws *ws, uint32_t nb, float *const *wt,
                   float *grad);

/* After kgml_backward: the gradient with respect to the input ws->act[0]
 * (nb x in_h*in_w*in_c) into dx, from the ReLU-masked ws->dact[1] that
 * kgml_backward leaves. wt0 is layer 0's weight transposed (N x K);
 * dcols0 is scratch of nb*M*K floats for a convolution (unused for FC). */
void kgml_backward_input(const kgml_model *m, kgml_ws *ws, uint32_t nb, const float *wt0,
                         float *dcols0, float *dx);

/* Transpose the weights of every layer but the first (whose input gradient
 * is never needed) into wt[l] (allocated by the caller: K*N floats). */
void kgml_transpose_weights(const kgml_model *m, float *const *wt);

/* splitmix64-based deterministic PRNG. */
typedef struct kgml_rng { uint64_t s; } kgml_rng;
uint64_t kgml_rng_next(kgml_rng *r);
/* Uniform in [0, 1). */
double kgml_rng_unit(kgml_rng *r);
/* Uniform integer in [0, n). */
uint32_t kgml_rng_below(kgml_rng *r, uint32_t n);



/* Thread count for n items (1..16, at most n) and the contiguous share
 * [*first, *first + *count) of part i of parts. */
uint32_t kgml_threads_for(uint32_t n, uint32_t nthreads);
void kgml_share(uint32_t n, uint32_t parts, uint32_t i, uint32_t *first, uint32_t *count);

/* Run fn(arg_i) for i in [0, n) with arg_i = (char *)args + i*arg_size:
 * i = 0 on the calling thread, the others on new threads; waits for all.
 * If a thread cannot be started its work runs on the calling thread, so the
 * result is the same. Returns KGML_OK, or KGML_E_INVAL for n = 0 or > 16. */
int kgml_run_threads(uint32_t n, void *(*fn)(void *), void *args, size_t arg_size);
#endif
