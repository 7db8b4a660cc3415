/* kgmac bit-exact reference GEMM with the per-PE sign key. */
#include "kgmac/ref_gemm.h"

size_t kg_key_bytes(kg_geom g) {
  return ((size_t)g.rows * g.cols + 7u) / 8u;
}

int kg_key_bit(const uint8_t *key_s, kg_geom g, uint32_t r, uint32_t c) {
  if (key_s == NULL) return 0;
  size_t i = (size_t)r * g.cols + c;
  return (key_s[i / 8u] >> (i % 8u)) & 1;
}

int8_t kg_fold_weight(int8_t w, int k) {
  if (!k || w == INT8_MIN) return w;
  return (int8_t)-w;
}

static int dims_ok(uint32_t M, uint32_t K, uint32_t N, kg_geom g) {
  if (M == 0 || K == 0 || N == 0 || g.rows == 0 || g.cols == 0) return 0;
  /* Every M*K, K*N and M*N product must fit in size_t. */
  if ((uint64_t)M * K > SIZE_MAX || (uint64_t)K * N > SIZE_MAX ||
      (uint64_t)M * N > SIZE_MAX / sizeof(int32_t))
    return 0;
  return 1;
}

int kg_ref_gemm(uint32_t M, uint32_t K, uint32_t N,
                const int8_t *A, const int8_t *W,
                const uint8_t *key_s, kg_geom g, int32_t *C) {
  if (!A || !W || !C || !dims_ok(M, K, N, g)) return KG_REF_EINVAL;
  for (uint32_t m = 0; m < M; m++) {
    for (uint32_t n = 0; n < N; n++) {
      uint32_t acc = 0; /* unsigned: wraps modulo 2^32 like the RTL */
      for (uint32_t k = 0; k < K; k++) {
        int k_bit = kg_key_bit(key_s, g, k % g.rows, n % g.cols);
        int8_t w = kg_fold_weight(W[(size_t)k * N + n], k_bit);
        int16_t p = (int16_t)((int16_t)A[(size_t)m * K + k] * (int16_t)w);
        acc += (uint32_t)(int32_t)p;
      }
      C[(size_t)m * N + n] = (int32_t)acc;
    }
  }
  return KG_REF_OK;
}

int kg_ref_lock_sign(uint32_t K, uint32_t N, const int8_t *W,
                     const uint8_t *key_s, kg_geom g, int8_t *W_locked) {
  if (!W || !W_locked || !dims_ok(1, K, N, g)) return KG_REF_EINVAL;
  size_t total = (size_t)K * N;
  for (size_t i = 0; i < total; i++)
    if (W[i] == INT8_MIN) return KG_REF_ERANGE;
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t n = 0; n < N; n++) {
      size_t i = (size_t)k * N + n;
      W_locked[i] = kg_fold_weight(W[i], kg_key_bit(key_s, g, k % g.rows, n % g.cols));
    }
  return KG_REF_OK;
}

const char *kg_ref_strerror(int code) {
  switch (code) {
    case KG_REF_OK: return "success";
    case KG_REF_EINVAL: return "invalid argument (NULL pointer, zero dimension or size overflow)";
    case KG_REF_ERANGE: return "weight -128 cannot be sign-locked (weights must lie in [-127, 127])";
    default: return "unknown kg_ref error code";
  }
}
