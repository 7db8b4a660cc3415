/*
 * kg_auth.h - kgmac model authentication and per-model key derivation:
 * the C reference of what the device's VERIFY command computes
 * (docs/spec.md 11, "Per-model keys and authentication").
 *
 *  - AES-CMAC (NIST SP 800-38B, RFC 4493) with an AES-128/192/256 key.
 *  - KDF: NIST SP 800-108r1 counter mode with AES-CMAC as the PRF, a 32-bit
 *    counter i from 1, a 32-bit [L], the 0x00 separator:
 *        K(i) = CMAC_K( be32(i) || Label || 00 || Context || be32(L) )
 *    This is OpenSSL 3's KBKDF (mac CMAC, counter mode, default options).
 *  - Per-model keys, from the device key Kd (the vault's AES key) and the
 *    model's 12-byte nonce as the Context, each with its own 11-byte Label
 *    (so every PRF input is exactly two blocks):
 *        enc  = KDF(Kd, "kgmac-enc-1", nonce, 8 * key_len)   weight key
 *        mac  = KDF(Kd, "kgmac-mac-1", nonce, 8 * key_len)   CMAC key of the tag
 *        smask= KDF(Kd, "kgmac-sgn-1", nonce, 8 * ceil(R*C/8))
 *    The model's effective sign key is the device sign key XOR smask (bit
 *    r*C + c = bit (i mod 8) of byte i/8, as in the key file).
 *
 * Error codes: KG_AES_OK or a negative KG_AES_ERR_* of kg_aes.h.
 * Buffers are the caller's; nothing is allocated.
 */
#ifndef KG_AUTH_H
#define KG_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "kg_aes.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KG_KDF_LABEL_LEN 11u
#define KG_KDF_LABEL_ENC "kgmac-enc-1"
#define KG_KDF_LABEL_MAC "kgmac-mac-1"
#define KG_KDF_LABEL_SGN "kgmac-sgn-1"
#define KG_SIGN_MASK_MAX 128u /* bytes: R*C <= 1024 bits */

/* Incremental AES-CMAC.  The context holds the key by reference: k must
 * outlive it.  Feed any split of the message; final writes the 16-byte
 * tag and wipes the context. */
typedef struct kg_cmac_ctx {
    const kg_aes_key *k;
    uint8_t x[16];     /* CBC state                          */
    uint8_t buf[16];   /* pending bytes (the last block)     */
    size_t  nbuf;
} kg_cmac_ctx;

void kg_cmac_init(kg_cmac_ctx *c, const kg_aes_key *k);
void kg_cmac_update(kg_cmac_ctx *c, const uint8_t *msg, size_t len);
void kg_cmac_final(kg_cmac_ctx *c, uint8_t tag[16]);

/* One-shot CMAC of msg[0..len). */
void kg_cmac(const kg_aes_key *k, const uint8_t *msg, size_t len, uint8_t tag[16]);

/* SP 800-108 counter-mode KDF with CMAC_K as the PRF (above): out_len
 * bytes (1..4096) for label[0..label_len) and ctx[0..ctx_len).  Returns
 * KG_AES_OK, KG_AES_ERR_NULL, KG_AES_ERR_NOKEY or KG_AES_ERR_RANGE. */
int kg_kdf_cmac(const kg_aes_key *k, const uint8_t *label, size_t label_len,
                const uint8_t *ctx, size_t ctx_len, uint8_t *out, size_t out_len);

/* The keys of one model. */
typedef struct kg_model_keys {
    kg_aes_key enc;                      /* weight key (Deep-Lock or CTR)  */
    kg_aes_key mac;                      /* tag key                        */
    uint8_t    smask[KG_SIGN_MASK_MAX];  /* sign-key mask, ceil(R*C/8) B   */
    size_t     smask_len;
} kg_model_keys;

/* Derive a model's keys from the device key dev (initialised, any length)
 * and its nonce, for an array of sign_bits = R*C PEs (1..1024).  Returns
 * KG_AES_OK, KG_AES_ERR_NULL, KG_AES_ERR_NOKEY or KG_AES_ERR_RANGE. */
int kg_model_keys_derive(const kg_aes_key *dev, const uint8_t nonce[12],
                         unsigned sign_bits, kg_model_keys *out);

/* Zero every byte of the keys. */
void kg_model_keys_wipe(kg_model_keys *m);

/* Effective sign key of a model: eff[i] = dev_sign[i] ^ smask[i] over
 * ceil(sign_bits/8) bytes; bits past sign_bits are cleared. */
void kg_model_sign_key(const kg_model_keys *m, const uint8_t *dev_sign,
                       unsigned sign_bits, uint8_t *eff);

#ifdef __cplusplus
}
#endif
#endif /* KG_AUTH_H */
