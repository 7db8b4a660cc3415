/*
 * lock.h: turn an unlocked int8 model (.kgq, kgml/kgq.h) into a locked,
 * encrypted .kgm (kgmac/kgm.h) for one array geometry. Model owner's tool.
 *
 * Steps (docs/spec.md 7-11.1), for a model that uses a key (crypt != none
 * or sign): draw the nonce (/dev/urandom, or opts->nonce) and, in format
 * version 2 (the default), derive the model's keys Ke, Km, Ms from the
 * device AES key and the nonce (kg_model_keys_derive); (1) lay every layer
 * out as the hardware needs it (an FC layer that follows a convolution
 * whose channel count is not a multiple of 16 gets weight rows for the
 * padding bytes of each pixel, so its K is the hardware's K); (2) sign-lock
 * W, W_locked[k][n] = key[k mod R][n mod C] ? -W : W, when opts->sign, with
 * the effective key Sd XOR Ms (version 2) or the device sign key Sd
 * (version 1); (3) pack tiles (kgmac/layer_pack.h) into the weight image;
 * version 2 then overwrites every padding byte (rows past K, columns past
 * N, tile tails, the pixel-padding rows) with random bytes; (4) encrypt the
 * image with Deep-Lock or CTR at keystream position = byte offset in the
 * image, with Ke (version 2) or the device key (version 1); record the KCV
 * of the device key, AES_Kd(nonce || ffffffff)[0..7]; (5) version 2: set
 * the AUTH flag and the tag = AES-CMAC_Km(file bytes [0, auth_size)).
 * A model with no key is written without AUTH, tag or nonce.
 *
 * Ownership: *out is filled like kgm_parse fills it; release it with
 * kgm_model_free. q and opts are borrowed. No global state.
 * Errors: KG_OK, KG_E_INVAL (bad options, key sizes vs geometry),
 * KG_E_LAYER / KG_E_TOO_BIG (model does not map onto the hardware),
 * KG_E_NOMEM, KG_E_IO (no /dev/urandom for the nonce or the padding);
 * detail explains. The version-2 model keys live on the stack only while
 * the call runs and are wiped before it returns.
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
  const kg_keys *keys;         /* aes_len must be > 0 when crypt != NONE, and in
                                  version 2 also for a sign lock;
                                  sign_bits == rows*cols when sign */
  const uint8_t *nonce;        /* 12 bytes, or NULL: random from /dev/urandom */
  uint32_t version;            /* 0 = KGM_VERSION (2); 1 = version 1: the device
                                  keys directly, zero padding, no tag (for tests
                                  of old files; the CLI never writes it) */
} kglock_opts;

int kglock_model(const kg_qmodel *q, const kglock_opts *opts, kgm_model *out, char *detail);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_LOCK_H */
