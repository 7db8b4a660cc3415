/*
 * lock.h: turn an unlocked int8 model (.kgq, kgml/kgq.h) into a locked,
 * encrypted .kgm (kgmac/kgm.h) for one array geometry. Model owner's tool.
 *
 * Steps (docs/spec.md 7-10): (1) lay every layer out as the hardware needs it
 * (an FC layer that follows a convolution whose channel count is not a
 * multiple of 16 gets zero weight rows for the padding bytes of each pixel,
 * so its K is the hardware's K); (2) sign-lock W with the key's sign bits,
 * W_locked[k][n] = key[k mod R][n mod C] ? -W : W, when opts->sign;
 * (3) pack tiles (kgmac/layer_pack.h) and concatenate every layer's tiles
 * into the weight image; (4) encrypt the image with Deep-Lock or CTR at
 * keystream position = byte offset in the image, and record the nonce and
 * KCV = AES_K(nonce || ffffffff)[0..7].
 *
 * Ownership: *out is filled like kgm_parse fills it; release it with
 * kgm_model_free. q and opts are borrowed. No global state.
 * Errors: KG_OK, KG_E_INVAL (bad options, key sizes vs geometry),
 * KG_E_LAYER / KG_E_TOO_BIG (model does not map onto the hardware),
 * KG_E_NOMEM, KG_E_IO (no /dev/urandom for the nonce); detail explains.
 */
#ifndef KGMAC_LOCK_H
#define KGMAC_LOCK_H

#include <stdint.h>

#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgml/kgq.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kglock_opts {
  uint32_t rows, cols;         /* target array geometry */
  uint32_t crypt;              /* KGM_CRYPT_NONE / _DEEPLOCK / _CTR */
  int sign;                    /* apply the sign key */
  const kg_keys *keys;         /* aes_len must be > 0 when crypt != NONE;
                                  sign_bits == rows*cols when sign */
  const uint8_t *nonce;        /* 12 bytes, or NULL: random from /dev/urandom */
} kglock_opts;

int kglock_model(const kg_qmodel *q, const kglock_opts *opts, kgm_model *out, char *detail);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_LOCK_H */
