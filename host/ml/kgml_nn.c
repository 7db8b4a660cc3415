/* kgml float kernels: blocked GEMMs, im2col/col2im, forward and backward.
 *
 * Every loop accumulates in a fixed order that does not depend on the
 * blocking or the thread count, so results are reproducible. Inner loops
 * run over a contiguous output row (axpy form) so the compiler vectorises
 * them without reassociating sums; zero inputs (ReLU outputs, blank
 * pixels) are skipped, which is exact. */
#include <stdlib.h>
#include <string.h>

#include "kgml_nn.h"

static uint32_t block_rows(uint32_t width) {
  uint32_t mb = 16384u / (width ? width : 1);
  if (mb < 4) mb = 4;
  if (mb > 256) mb = 256;
  return mb;
}

/* C[M][N] = A[M][K] * B[K][N] + bias[N]. */
static void gemm_fwd(uint32_t M, uint32_t K, uint32_t N, const float *restrict A,
                     const float *restrict B, const float *restrict bias, float *restrict C) {
  const uint32_t MB = block_rows(K > N ? K : N);
  for (uint32_t m0 = 0; m0 < M; m0 += MB) {
    const uint32_t m1 = m0 + MB < M ? m0 + MB : M;
    for (uint32_t m = m0; m < m1; m++) memcpy(C + (size_t)m * N, bias, N * sizeof(float));
    for (uint32_t k = 0; k < K; k++) {
      const float *restrict b = B + (size_t)k * N;
      for (uint32_t m = m0; m < m1; m++) {
        const float a = A[(size_t)m * K + k];
        if (a == 0.0f) continue;
        float *restrict c = C + (size_t)m * N;
        for (uint32_t n = 0; n < N; n++) c[n] += a * b[n];
      }
    }
  }
}

/* dB[K][N] += A^T[K][M] * dC[M][N]; db[N] += column sums of dC. */
static void gemm_dw(uint32_t M, uint32_t K, uint32_t N, const float *restrict A,
                    const float *restrict dC, float *restrict dB, float *restrict db) {
  const uint32_t MB = block_rows(K > N ? K : N);
  for (uint32_t m = 0; m < M; m++) {
    const float *restrict d = dC + (size_t)m * N;
    for (uint32_t n = 0; n < N; n++) db[n] += d[n];
  }
  for (uint32_t m0 = 0; m0 < M; m0 += MB) {
    const uint32_t m1 = m0 + MB < M ? m0 + MB : M;
    for (uint32_t k = 0; k < K; k++) {
      float *restrict g = dB + (size_t)k * N;
      for (uint32_t m = m0; m < m1; m++) {
        const float a = A[(size_t)m * K + k];
        if (a == 0.0f) continue;
        const float *restrict d = dC + (size_t)m * N;
        for (uint32_t n = 0; n < N; n++) g[n] += a * d[n];
      }
    }
  }
}

/* dA[M][K] = dC[M][N] * BT[N][K] (BT is B transposed). */
static void gemm_dx(uint32_t M, uint32_t K, uint32_t N, const float *restrict dC,
                    const float *restrict BT, float *restrict dA) {
  const uint32_t MB = block_rows(K);
  for (uint32_t m0 = 0; m0 < M; m0 += MB) {
    const uint32_t m1 = m0 + MB < M ? m0 + MB : M;
    memset(dA + (size_t)m0 * K, 0, (size_t)(m1 - m0) * K * sizeof(float));
    for (uint32_t n = 0; n < N; n++) {
      const float *restrict bt = BT + (size_t)n * K;
      for (uint32_t m = m0; m < m1; m++) {
        const float d = dC[(size_t)m * N + n];
        if (d == 0.0f) continue;
        float *restrict a = dA + (size_t)m * K;
        for (uint32_t k = 0; k < K; k++) a[k] += d * bt[k];
      }
    }
  }
}

/* im2col of nb images: rows (img*OH*OW + oy*OW + ox), k = (ky*KW+kx)*IC+ic. */
static void im2col(const kgml_layer *L, uint32_t nb, const float *in, float *cols) {
  const uint32_t H = L->in_h, W = L->in_w, C = L->in_c, KS = L->spec.k;
  const uint32_t S = L->spec.stride, P = L->spec.pad;
  for (uint32_t i = 0; i < nb; i++) {
    const float *src = in + (size_t)i * H * W * C;
    for (uint32_t oy = 0; oy < L->out_h; oy++)
      for (uint32_t ox = 0; ox < L->out_w; ox++) {
        float *row = cols + (((size_t)i * L->out_h + oy) * L->out_w + ox) * L->K;
        for (uint32_t ky = 0; ky < KS; ky++) {
          const long iy = (long)oy * S + ky - P;
          for (uint32_t kx = 0; kx < KS; kx++) {
            const long ix = (long)ox * S + kx - P;
            float *dst = row + ((size_t)ky * KS + kx) * C;
            if (iy < 0 || ix < 0 || iy >= (long)H || ix >= (long)W)
              memset(dst, 0, C * sizeof(float));
            else
              memcpy(dst, src + ((size_t)iy * W + (size_t)ix) * C, C * sizeof(float));
          }
        }
      }
  }
}

/* Adjoint of im2col: dx (zeroed here) += scatter of dcols. */
static void col2im(const kgml_layer *L, uint32_t nb, const float *dcols, float *dx) {
  const uint32_t H = L->in_h, W = L->in_w, C = L->in_c, KS = L->spec.k;
  const uint32_t S = L->spec.stride, P = L->spec.pad;
  memset(dx, 0, (size_t)nb * H * W * C * sizeof(float));
  for (uint32_t i = 0; i < nb; i++) {
    float *dst = dx + (size_t)i * H * W * C;
    for (uint32_t oy = 0; oy < L->out_h; oy++)
      for (uint32_t ox = 0; ox < L->out_w; ox++) {
        const float *row = dcols + (((size_t)i * L->out_h + oy) * L->out_w + ox) * L->K;
        for (uint32_t ky = 0; ky < KS; ky++) {
          const long iy = (long)oy * S + ky - P;
          if (iy < 0 || iy >= (long)H) continue;
          for (uint32_t kx = 0; kx < KS; kx++) {
            const long ix = (long)ox * S + kx - P;
            if (ix < 0 || ix >= (long)W) continue;
            const float *g = row + ((size_t)ky * KS + kx) * C;
            float *d = dst + ((size_t)iy * W + (size_t)ix) * C;
            for (uint32_t c = 0; c < C; c++) d[c] += g[c];
          }
        }
      }
  }
}

int kgml_ws_init(kgml_ws *ws, const kgml_model *m, uint32_t cap, int training) {
  memset(ws, 0, sizeof *ws);
  ws->cap = cap;
  size_t in = (size_t)m->in_h * m->in_w * m->in_c;
  ws->act[0] = malloc(cap * in * sizeof(float));
  if (!ws->act[0]) goto fail;
  if (training) {
    ws->dact[0] = NULL; /* the input gradient is never needed */
  }
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgml_layer *L = &m->layer[l];
    size_t out = (size_t)cap * L->M * L->N;
    ws->act[l + 1] = malloc(out * sizeof(float));
    if (!ws->act[l + 1]) goto fail;
    if (training) {
      ws->dact[l + 1] = malloc(out * sizeof(float));
      if (!ws->dact[l + 1]) goto fail;
    }
    if (L->spec.type == KGML_LAYER_CONV) {
      size_t c = (size_t)cap * L->M * L->K;
      ws->cols[l] = malloc(c * sizeof(float));
      if (!ws->cols[l]) goto fail;
      if (training && l > 0) {
        ws->dcols[l] = malloc(c * sizeof(float));
        if (!ws->dcols[l]) goto fail;
      }
    }
  }
  return KGML_OK;
fail:
  kgml_ws_free(ws);
  return KGML_E_NOMEM;
}

void kgml_ws_free(kgml_ws *ws) {
  for (uint32_t l = 0; l <= KGML_MAX_LAYERS; l++) {
    free(ws->act[l]);
    free(ws->dact[l]);
    if (l < KGML_MAX_LAYERS) {
      free(ws->cols[l]);
      free(ws->dcols[l]);
    }
  }
  memset(ws, 0, sizeof *ws);
}

void kgml_load_pixels(const uint8_t *pix, size_t count, float *dst) {
  for (size_t i = 0; i < count; i++) dst[i] = (float)pix[i] / 255.0f;
}

void kgml_forward(const kgml_model *m, kgml_ws *ws, uint32_t nb) {
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgml_layer *L = &m->layer[l];
    const float *A = ws->act[l];
    if (L->spec.type == KGML_LAYER_CONV) {
      im2col(L, nb, ws->act[l], ws->cols[l]);
      A = ws->cols[l];
    }
    const size_t rows = (size_t)nb * L->M;
    float *out = ws->act[l + 1];
    gemm_fwd((uint32_t)rows, L->K, L->N, A, L->w, L->b, out);
    if (L->spec.relu)
      for (size_t i = 0; i < rows * L->N; i++)
        if (!(out[i] > 0.0f)) out[i] = 0.0f;
  }
}

void kgml_backward(const kgml_model *m, kgml_ws *ws, uint32_t nb, float *const *wt,
                   float *grad) {
  for (uint32_t l = m->n_layers; l-- > 0;) {
    const kgml_layer *L = &m->layer[l];
    const size_t rows = (size_t)nb * L->M;
    float *dz = ws->dact[l + 1];
    if (L->spec.relu) {
      const float *y = ws->act[l + 1];
      for (size_t i = 0; i < rows * L->N; i++)
        if (!(y[i] > 0.0f)) dz[i] = 0.0f;
    }
    const float *A = L->spec.type == KGML_LAYER_CONV ? ws->cols[l] : ws->act[l];
    float *gw = grad + (L->w - m->params);
    float *gb = grad + (L->b - m->params);
    gemm_dw((uint32_t)rows, L->K, L->N, A, dz, gw, gb);
    if (l == 0) continue;
    if (L->spec.type == KGML_LAYER_CONV) {
      gemm_dx((uint32_t)rows, L->K, L->N, dz, wt[l], ws->dcols[l]);
      col2im(L, nb, ws->dcols[l], ws->dact[l]);
    } else {
      gemm_dx((uint32_t)rows, L->K, L->N, dz, wt[l], ws->dact[l]);
    }
  }
}

void kgml_backward_input(const kgml_model *m, kgml_ws *ws, uint32_t nb, const float *wt0,
                         float *dcols0, float *dx) {
  const kgml_layer *L = &m->layer[0];
  const uint32_t rows = nb * L->M;
  if (L->spec.type == KGML_LAYER_CONV) {
    gemm_dx(rows, L->K, L->N, ws->dact[1], wt0, dcols0);
    col2im(L, nb, dcols0, dx);
  } else {
    gemm_dx(rows, L->K, L->N, ws->dact[1], wt0, dx);
  }
}

void kgml_transpose_weights(const kgml_model *m, float *const *wt) {
  for (uint32_t l = 1; l < m->n_layers; l++) {
    const kgml_layer *L = &m->layer[l];
    for (uint32_t k = 0; k < L->K; k++)
      for (uint32_t n = 0; n < L->N; n++)
        wt[l][(size_t)n * L->K + k] = L->w[(size_t)k * L->N + n];
  }
}

uint64_t kgml_rng_next(kgml_rng *r) {
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

double kgml_rng_unit(kgml_rng *r) {
  return (double)(kgml_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

uint32_t kgml_rng_below(kgml_rng *r, uint32_t n) {
  /* Rejection sampling: exact uniform, deterministic. */
  const uint64_t lim = UINT64_MAX - UINT64_MAX % n;
  uint64_t x;
  do x = kgml_rng_next(r);
  while (x >= lim);
  return (uint32_t)(x % n);
}

#include <pthread.h>

int kgml_run_threads(uint32_t n, void *(*fn)(void *), void *args, size_t arg_size) {
  enum { MAXT = 16 };
  pthread_t tid[MAXT];
  if (n == 0 || n > MAXT) return KGML_E_INVAL;
  uint32_t started = 1;
  for (; started < n; started++)
    if (pthread_create(&tid[started], NULL, fn, (char *)args + started * arg_size) != 0) break;
  if (started < n) {
    /* Could not start them all: finish the started ones, then run the rest
     * here, so the caller still gets a complete, identical result. */
    for (uint32_t i = started; i < n; i++) fn((char *)args + i * arg_size);
  }
  fn(args);
  for (uint32_t i = 1; i < started; i++) pthread_join(tid[i], NULL);
  return KGML_OK;
}

uint32_t kgml_threads_for(uint32_t n, uint32_t nthreads) {
  if (nthreads == 0) nthreads = 1;
  if (nthreads > 16) nthreads = 16;
  if (nthreads > n) nthreads = n ? n : 1;
  return nthreads;
}

void kgml_share(uint32_t n, uint32_t parts, uint32_t i, uint32_t *first, uint32_t *count) {
  const uint32_t a = (uint32_t)((uint64_t)n * i / parts);
  const uint32_t z = (uint32_t)((uint64_t)n * (i + 1) / parts);
  *first = a;
  *count = z - a;
}
