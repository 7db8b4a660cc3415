/* kglock private helpers (not installed): the hardware layout of a layer's
 * weights, the random padding and the tag of a version-2 model. */
#ifndef KGLOCK_INTERNAL_H
#define KGLOCK_INTERNAL_H

#include <stdint.h>

#include "kg_aes.h"
#include "kgmac/kgm.h"
#include "kgmac/layer_pack.h"
#include "kgml/kgq.h"

/* The hardware K of layer l: an FC layer after a convolution reads the
 * convolution's pixels at their device stride (kg_pack_fc_after_conv_k). */
uint64_t kglock_hw_k(const kg_qmodel *q, uint32_t l);

/* src (K x N of layer l, row-major) as the hardware multiplies it: khw x N,
 * with zero rows for the padding bytes of each input pixel when
 * kglock_hw_k pads. malloc'd (caller frees), NULL when out of memory. */
int8_t *kglock_hw_rows(const kg_qmodel *q, uint32_t l, uint32_t khw, const int8_t *src);

/* Overwrite every padding byte of layer l's packed image img (L->w_len
 * bytes: rows past K, columns past N, tile tails, and the rows an FC after
 * a convolution has for a pixel's padding channels) with bytes from
 * /dev/urandom. KG_OK, KG_E_NOMEM or KG_E_IO. */
int kglock_random_padding(const kg_qmodel *q, uint32_t l, const kgm_layer *L, kg_geom g,
                          uint8_t *img, char *detail);

/* The AES-CMAC tag of a version-2 model with the AUTH flag: serialize it,
 * tag bytes [0, auth_size) with the model's tag key, and store the tag
 * and auth_size in m. KG_OK or the errors of kgm_serialize. */
int kglock_tag(kgm_model *m, const kg_aes_key *mac, char *detail);

#endif /* KGLOCK_INTERNAL_H */
