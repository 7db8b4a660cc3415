/*
 * kgmac bit-exact C reference: sign-keyed GEMM and sign locking.
 *
 * This is the arithmetic the kgmac array implements (docs/spec.md,
 * "Numbers and arithmetic" and "Sign lock"), written once and reused by the
 * functional model, the host tools and the tests.
 *
 * Conventions
 *  - Matrices are dense and row-major. A is M x K (activations), W is K x N
 *    (weights: k is the reduction index, n the output channel), C is M x N.
 *  - Geometry: an array of `rows` x `cols` PEs. Weight W[k][n] is held by
 *    PE(k mod rows, n mod cols).
 *  - Sign key: rows*cols bits packed LSB-first in bytes; bit i = r*cols + c
 *    (byte i/8, bit i%8) is the key bit of PE(r, c). The same bit order is
 *    the RTL's key_s port. A NULL key means "all zeros".
 *  - Arithmetic: int8 x int8 -> int16 product; a key bit of 1 negates the
 *    product; accumulation into int32 wraps modulo 2^32.
 *  - Weights of a locked model lie in [-127, 127]. The hardware folds the
 *    sign into the weight as it loads, so a weight of -128 (which can only
 *    come from a wrong decryption key) is used as -128 whatever its key bit.
 *    kg_ref_gemm() reproduces this bit for bit.
 *
 * Ownership: every pointer argument is borrowed for the duration of the
 * call; nothing is retained or freed. The functions have no global state
 * and are safe to call from several threads on disjoint outputs.
 */
#ifndef KGMAC_REF_GEMM_H
#define KGMAC_REF_GEMM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes returned by the kg_ref_* functions. */
enum {
  KG_REF_OK      = 0,
  KG_REF_EINVAL  = -1,  /* NULL pointer, zero dimension or size overflow */
  KG_REF_ERANGE  = -2   /* a weight equal to -128 passed to kg_ref_lock_sign */
};

/* Array geometry a model is locked for. */
typedef struct kg_geom {
  uint32_t rows;  /* R >= 1 */
  uint32_t cols;  /* C >= 1 */
} kg_geom;

/* Number of bytes a sign key for geometry g occupies: ceil(R*C / 8). */
size_t kg_key_bytes(kg_geom g);

/* Key bit of PE(r, c); 0 when key_s is NULL. r < g.rows, c < g.cols. */
int kg_key_bit(const uint8_t *key_s, kg_geom g, uint32_t r, uint32_t c);

/* The weight a PE effectively multiplies by: k ? -w : w, with -(-128)
 * wrapping to -128 as in the hardware's load-time sign fold. */
int8_t kg_fold_weight(int8_t w, int k);

/*
 * C = A x W with the sign key applied per PE (docs/spec.md, Sign lock):
 *   C[m][n] = sum_k A[m][k] * (key[k mod R][n mod C] ? -W[k][n] : W[k][n])
 * Returns KG_REF_OK or KG_REF_EINVAL.
 */
int kg_ref_gemm(uint32_t M, uint32_t K, uint32_t N,
                const int8_t *A, const int8_t *W,
                const uint8_t *key_s, kg_geom g, int32_t *C);

/*
 * W_locked[k][n] = key[k mod R][n mod C] ? -W[k][n] : W[k][n].
 * W and W_locked may be the same buffer. Returns KG_REF_ERANGE (and leaves
 * W_locked unspecified) if any weight is -128, KG_REF_EINVAL on bad
 * arguments, otherwise KG_REF_OK.
 */
int kg_ref_lock_sign(uint32_t K, uint32_t N, const int8_t *W,
                     const uint8_t *key_s, kg_geom g, int8_t *W_locked);

/* A static English message for a KG_REF_* code. */
const char *kg_ref_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_REF_GEMM_H */
