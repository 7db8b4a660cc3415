/*
 * kg_aes.h - kgmac AES reference library (C11, bit-exact with rtl/aes).
 *
 * Written from the FIPS-197 text (AES) and NIST SP 800-38A (CTR), following
 * the kgmac contract (docs/spec.md, Weight encryption and KCV):
 *
 *  - Deep-Lock keystream: the FIPS-197 section 5.2 key-expansion recurrence
 *    run past its standard 4(Nr+1) words (Rcon keeps going as successive
 *    powers of x in GF(2^8)); ks is the bytes of w[Nk], w[Nk+1], ... in the
 *    order FIPS-197 writes them.  Encrypt c = S(b ^ ks[p]); decrypt
 *    b = InvS(c) ^ ks[p], p being the byte offset in the weight image.
 *  - CTR (secure mode): ks block j = AES_K(nonce[0..11] || be32(j)),
 *    j = p / 16; c = b ^ ks[p].  Matches openssl enc -aes-*-ctr with
 *    IV = nonce || 00000000 while j < 2^32.
 *  - KCV = first 8 bytes of AES_K(nonce || ffffffff).
 *
 * Byte order everywhere is the FIPS-197 one: key byte k[0] is the first
 * byte, w[i] = (k[4i], k[4i+1], k[4i+2], k[4i+3]) packed big-endian into a
 * uint32_t (k[4i] in bits 31..24).
 *
 * Error codes: functions returning int give 0 on success or one of the
 * negative KG_AES_ERR_* codes below; kg_aes_strerror() names them.
 * The void functions have preconditions (non-NULL pointers, an initialised
 * key, positions inside the limits stated at each one) and check them only
 * with assert().
 */
#ifndef KG_AES_H
#define KG_AES_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- error codes ---------------------------------------------------- */
#define KG_AES_OK            0
#define KG_AES_ERR_NULL     (-1) /* a required pointer argument is NULL   */
#define KG_AES_ERR_KEYLEN   (-2) /* key length is not 16, 24 or 32 bytes   */
#define KG_AES_ERR_MODE     (-3) /* mode is not a kg_crypt_mode value      */
#define KG_AES_ERR_RANGE    (-4) /* byte range outside the mode's keystream
                                    (CTR: p + len > KG_CTR_MAX_BYTES)      */
#define KG_AES_ERR_NOKEY    (-5) /* key structure was never initialised   */

/* Largest image a CTR keystream covers: block indices 0 .. 2^32-2, so the
 * KCV block index ffffffff never appears in the keystream (docs/spec.md, KCV). */
#define KG_CTR_MAX_BYTES    (((uint64_t)0xffffffffu) * 16u)

/* Weight-encryption modes (the values are the RTL `mode` encoding). */
typedef enum kg_crypt_mode {
    KG_CRYPT_NONE = 0,     /* bypass: bytes unchanged                   */
    KG_CRYPT_DEEPLOCK = 1, /* Deep-Lock key-schedule keystream + S-box  */
    KG_CRYPT_CTR = 2       /* AES-CTR, SP 800-38A                        */
} kg_crypt_mode;

#define KG_AES_MAX_RK_WORDS 60 /* 4 * (14 + 1) */

/* An expanded AES key.  Treat as opaque; wipe with kg_aes_key_wipe(). */
typedef struct kg_aes_key {
    uint8_t  key[32];                  /* master key bytes, k[0] first     */
    unsigned nk;                       /* key words: 4, 6 or 8 (0: unset)  */
    unsigned nr;                       /* rounds: 10, 12 or 14             */
    uint32_t rk[KG_AES_MAX_RK_WORDS];  /* w[0 .. 4(nr+1)-1]                */
} kg_aes_key;

/* Sequential generator of the extended key schedule w[0], w[1], ... */
typedef struct kg_aes_sched {
    uint32_t key[8];   /* w[0 .. nk-1]                                   */
    uint32_t win[8];   /* last nk words: win[0] = w[max(next,nk)-1], ...  */
    uint64_t next;     /* index of the word kg_aes_sched_next returns    */
    uint8_t  rcon;     /* Rcon byte for the next i with i mod nk == 0    */
    unsigned nk;
} kg_aes_sched;

/* Expand `key` (key_bytes = 16, 24 or 32).  Returns KG_AES_OK,
 * KG_AES_ERR_NULL or KG_AES_ERR_KEYLEN (k is then zeroed, nk = 0). */
int kg_aes_key_init(kg_aes_key *k, const uint8_t *key, size_t key_bytes);

/* Overwrite every key-derived byte of k with zeros. */
void kg_aes_key_wipe(kg_aes_key *k);

/* AES forward cipher (FIPS-197 section 5.1).  in and out may alias. */
void kg_aes_encrypt_block(const kg_aes_key *k, const uint8_t in[16],
                          uint8_t out[16]);

/* The S-box and its inverse (FIPS-197 section 5.1.1, 5.3.2). */
uint8_t kg_aes_sbox(uint8_t x);
uint8_t kg_aes_inv_sbox(uint8_t x);

/* Extended schedule: w[first_word .. first_word+n-1] into w (docs/spec.md
 * 9.1). Any index is valid, including those beyond 4(Nr+1); the cost is
 * linear in first_word + n. */
void kg_aes_expand_words(const kg_aes_key *k, uint32_t first_word, size_t n,
                         uint32_t *w);

/* Schedule generator: after init, next() returns w[0], w[1], ...;
 * skip(n) advances n words without returning them. */
void     kg_aes_sched_init(kg_aes_sched *s, const kg_aes_key *k);
uint32_t kg_aes_sched_next(kg_aes_sched *s);
void     kg_aes_sched_skip(kg_aes_sched *s, uint64_t n);

/* Deep-Lock keystream bytes ks[pos .. pos+len-1] (docs/spec.md 9.1). */
void kg_ks_deeplock(const kg_aes_key *k, uint64_t pos, size_t len,
                    uint8_t *out);

/* CTR keystream bytes ks[pos .. pos+len-1]; requires
 * pos + len <= KG_CTR_MAX_BYTES. */
void kg_ks_ctr(const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
               size_t len, uint8_t *out);

/* In-place transforms of buf, whose first byte sits at image offset pos. */
void kg_deeplock_encrypt(const kg_aes_key *k, uint64_t pos, uint8_t *buf,
                         size_t len);
void kg_deeplock_decrypt(const kg_aes_key *k, uint64_t pos, uint8_t *buf,
                         size_t len);
/* CTR encrypt == decrypt; requires pos + len <= KG_CTR_MAX_BYTES. */
void kg_ctr_xcrypt(const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
                   uint8_t *buf, size_t len);

/* Key check value: first 8 bytes of AES_K(nonce || ff ff ff ff). */
void kg_kcv(const kg_aes_key *k, const uint8_t nonce[12], uint8_t out[8]);

/* Checked, mode-generic entry points.  nonce may be NULL unless
 * mode == KG_CRYPT_CTR.  Return KG_AES_OK or KG_AES_ERR_{NULL,MODE,
 * RANGE,NOKEY}; buf is untouched on error. */
int kg_crypt_encrypt(int mode, const kg_aes_key *k, const uint8_t *nonce,
                     uint64_t pos, uint8_t *buf, size_t len);
int kg_crypt_decrypt(int mode, const kg_aes_key *k, const uint8_t *nonce,
                     uint64_t pos, uint8_t *buf, size_t len);

/* Short English message for a KG_AES_* code (never NULL). */
const char *kg_aes_strerror(int code);

#ifdef __cplusplus
}
#endif
#endif /* KG_AES_H */
