/* kgmodel_ctr.c: decryption of a weight image, AES-NI for CTR where the CPU
 * has it, else the AES reference (common/aes). */
#include <stdint.h>
#include <string.h>

#include "kgmodel_internal.h"

#ifdef KGM_X86
#include <immintrin.h>

/* CTR keystream XOR with AES-NI, src -> dst (may be equal):
 * counter block nonce || BE32(p/16), round keys w[4i..4i+3] from
 * kg_aes_key_init. Eight blocks are in flight at a time (the aesenc latency
 * chain of one block would otherwise bound the rate), and whole blocks are
 * XORed 16 bytes at a time. Same result as kg_ctr_xcrypt (the cross-check
 * and the unit tests compare CTR layers byte for byte). */
__attribute__((target("aes,sse2"))) static void ctr_aesni(const kg_aes_key *k, const uint8_t nonce[12],
                                                         uint64_t pos, const uint8_t *src, uint8_t *dst,
                                                         size_t len) {
  enum { LANES = 8 };
  __m128i rk[15];
  for (unsigned i = 0; i <= k->nr; i++) {
    uint8_t b[16];
    for (unsigned j = 0; j < 16; j++) b[j] = (uint8_t)(k->rk[4 * i + j / 4] >> (24 - 8 * (j % 4)));
    rk[i] = _mm_loadu_si128((const __m128i *)b);
  }
  uint8_t ctr[LANES][16];
  for (unsigned j = 0; j < LANES; j++) memcpy(ctr[j], nonce, 12);
  size_t i = 0;
  while (i < len) {
    const uint64_t p = pos + i, blk = p / 16;
    const size_t off = (size_t)(p % 16);
    /* Lanes = whole blocks left from here (1 for a partial first/last one). */
    size_t lanes = off == 0 ? (len - i) / 16 : 0;
    lanes = lanes == 0 ? 1 : (lanes > LANES ? LANES : lanes);
    __m128i x[LANES];
    for (unsigned j = 0; j < lanes; j++) {
      const uint32_t b = (uint32_t)(blk + j);
      ctr[j][12] = (uint8_t)(b >> 24);
      ctr[j][13] = (uint8_t)(b >> 16);
      ctr[j][14] = (uint8_t)(b >> 8);
      ctr[j][15] = (uint8_t)b;
      x[j] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)ctr[j]), rk[0]);
    }
    for (unsigned r = 1; r < k->nr; r++)
      for (unsigned j = 0; j < lanes; j++) x[j] = _mm_aesenc_si128(x[j], rk[r]);
    for (unsigned j = 0; j < lanes; j++) x[j] = _mm_aesenclast_si128(x[j], rk[k->nr]);
    const size_t n = len - i < 16 - off ? len - i : 16 - off;
    if (off == 0 && n == 16) {
      for (unsigned j = 0; j < lanes; j++, i += 16)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i)), x[0 + j]));
    } else {
      uint8_t ks[16];
      _mm_storeu_si128((__m128i *)ks, x[0]);
      for (size_t j = 0; j < n; j++) dst[i + j] = src[i + j] ^ ks[off + j];
      i += n;
    }
  }
}
#endif

/* Decrypt len weight-image bytes at keystream position pos from src into
 * dst (kg_crypt_decrypt semantics; src == dst allowed). */
void kgmod_decrypt_image(int mode, const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
                         const uint8_t *src, uint8_t *dst, size_t len) {
#ifdef KGM_X86
  if (mode == KG_CRYPT_CTR && __builtin_cpu_supports("aes")) {
    ctr_aesni(k, nonce, pos, src, dst, len);
    return;
  }
#endif
  if (dst != src) memcpy(dst, src, len);
  kg_crypt_decrypt(mode, k, nonce, pos, dst, len);
}
