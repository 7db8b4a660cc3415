/*
 * kgmac bit-exact C reference: requantization and whole layers.
 *
 * Requantization (docs/spec.md, Requantization), fixed once for the RTL,
 * the functional model and the host quantizer:
 *
 *   x = acc + bias                          (int32, wraps modulo 2^32)
 *   y = (x * mult + 2^(shift-1)) >> shift   (int64 product, arithmetic shift:
 *                                            round half toward +infinity)
 *   z = clamp(y, -128, 127); if relu: z = max(z, 0)
 *
 * with mult in [0, 2^31) and shift in [1, 62] per output channel, so the
 * effective scale is mult / 2^shift. The int64 sum never overflows:
 * |x * mult| < 2^62 and the rounding term is at most 2^61.
 *
 * Activations are symmetric int8 (zero point 0) throughout; a convolution
 * pads with 0.
 *
 * Convolution: NHWC tensors. The reduction index of the im2col matrix is
 *   k = (ky * KW + kx) * IC + ic        (input channel fastest)
 * so the weight matrix is W[k][oc] with K = KH*KW*IC rows, and the GEMM
 * row index m = oy * OW + ox. The sign key maps W[k][oc] to PE(k mod R,
 * oc mod C) exactly as for a fully connected layer.
 *
 * Ownership: pointers are borrowed for the call; no state is kept.
 * Errors: KG_REF_OK, KG_REF_EINVAL (bad pointer, zero or inconsistent
 * dimension, shift outside [1, 62], negative mult).
 */
#ifndef KGMAC_REF_LAYER_H
#define KGMAC_REF_LAYER_H

#include "kgmac/ref_gemm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Per-output-channel requantization parameters (arrays of N entries). */
typedef struct kg_requant {
  const int32_t *bias;   /* may be NULL: all zero */
  const int32_t *mult;   /* [0, 2^31) */
  const uint8_t *shift;  /* [1, 62] */
  int relu;              /* 0 or 1 */
} kg_requant;

/* One output value. mult and shift must be in range (not checked here). */
int8_t kg_requant_one(int32_t acc, int32_t bias, int32_t mult, uint8_t shift, int relu);

/* Check a requant parameter set for N channels. */
int kg_requant_check(const kg_requant *q, uint32_t N);

/* Fully connected: out (M x N int8) = requant(A (M x K) x W (K x N, locked)). */
int kg_ref_fc(uint32_t M, uint32_t K, uint32_t N, const int8_t *A, const int8_t *W,
              const uint8_t *key_s, kg_geom g, const kg_requant *q, int8_t *out);

/* The FC input mask (docs/spec.md, "Input mask"; descriptor word IN_MASK):
 * with group != 0, input byte k of every row counts as 0 when
 * k mod group >= valid, whatever the row holds there. An FC that reads a
 * convolution's output (its pixels at the device stride) has group =
 * kg_pack_act_stride(c) and valid = c, so the padding rows of its weights
 * may hold anything. group = valid = 0: no mask. */
typedef struct kg_in_mask {
  uint32_t group;   /* 0, or a multiple of 16 (<= 0xffff) that divides K */
  uint32_t valid;   /* 1..group when group != 0, else 0 */
} kg_in_mask;

/* KG_REF_OK if the device accepts mask mk (NULL: none) on an FC of
 * reduction length K, else KG_REF_EINVAL. */
int kg_in_mask_check(const kg_in_mask *mk, uint32_t K);

/* kg_ref_fc with the input mask mk (NULL: none) applied to A; A itself is
 * not modified. KG_REF_EINVAL also for a mask kg_in_mask_check refuses. */
int kg_ref_fc_masked(uint32_t M, uint32_t K, uint32_t N, const int8_t *A, const int8_t *W,
                     const uint8_t *key_s, kg_geom g, const kg_in_mask *mk, const kg_requant *q,
                     int8_t *out);

/* Convolution geometry. */
typedef struct kg_conv_shape {
  uint32_t h, w, ic;     /* input */
  uint32_t oc;           /* output channels */
  uint32_t kh, kw;       /* kernel, 1..7 */
  uint32_t stride;       /* 1 or 2 */
  uint32_t pad;          /* zero padding on every side, < kernel size */
} kg_conv_shape;

/* Output height/width; 0 if the shape is invalid. */
uint32_t kg_conv_out_h(const kg_conv_shape *s);
uint32_t kg_conv_out_w(const kg_conv_shape *s);
int kg_conv_shape_check(const kg_conv_shape *s);

/* im2col of one image: cols is (OH*OW) x (KH*KW*IC), row-major. */
int kg_ref_im2col(const kg_conv_shape *s, const int8_t *in, int8_t *cols);

/* Convolution: in (H x W x IC, NHWC) -> out (OH x OW x OC, NHWC). W is
 * (KH*KW*IC) x OC, locked. `scratch` must hold OH*OW*KH*KW*IC bytes and
 * `acc` OH*OW*OC int32 values (both owned by the caller). */
int kg_ref_conv2d(const kg_conv_shape *s, const int8_t *in, const int8_t *W,
                  const uint8_t *key_s, kg_geom g, const kg_requant *q,
                  int8_t *scratch, int32_t *acc, int8_t *out);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_REF_LAYER_H */
