/*
 * kgml post-training quantizer: float model -> unlocked int8 kg_qmodel.
 *
 *  - Input: scale 1/127, zero point 0 (pixel/255 in [0, 1] -> [0, 127]).
 *  - Weights: symmetric per output channel, s_w[n] = max_k |W[k][n]| / 127,
 *    q = clamp(round(W / s_w[n]), -127, 127) (never -128); an all-zero
 *    channel gets s_w = 1.
 *  - Activations: per tensor, symmetric, s_out = max |y| / 127 over the
 *    calibration images (float model, after ReLU where there is one).
 *  - Bias: int32, round(b[n] / (s_in * s_w[n])).
 *  - Requantization: mult/2^shift = s_in * s_w[n] / s_out, see
 *    kgml_requant_params().
 */
#ifndef KGML_QUANT_H
#define KGML_QUANT_H

#include <stdint.h>

#include "kgml/fmodel.h"
#include "kgml/idx.h"
#include "kgml/kgq.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Represent a real scale s > 0 as mult / 2^shift with mult in [2^30, 2^31)
 * and the largest shift <= 62 (maximum precision); mult = round(s * 2^shift).
 * Scales below 2^-32 lose precision (shift capped at 62, mult < 2^30) and
 * are rejected once mult would round to 0; scales >= 2^30 (shift < 1) are
 * rejected too. Returns KGML_OK or KGML_E_SCALE. */
int kgml_requant_params(double s, int32_t *mult, uint8_t *shift);

/* Quantize fm, calibrating activation scales on the first n_calib images of
 * calib (a subset of the training set). out is filled (caller frees with
 * kg_qmodel_free). */
int kgml_quantize(const kgml_model *fm, const kgml_dataset *calib, uint32_t n_calib,
                  kg_qmodel *out, char *detail);

#ifdef __cplusplus
}
#endif

#endif /* KGML_QUANT_H */
