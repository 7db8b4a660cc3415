/* kgmodel_gemm.c: the GEMM kernels of the model (panel sums and
 * requantization, portable C, AVX2 and AVX-512 chosen at run time) and the
 * fold of a decrypted weight image into their panel layout. The SIMD
 * variants carry per-function target attributes, so this file builds with
 * the project's default flags and runs on any x86-64. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kgmodel_internal.h"

#ifdef KGM_X86
#include <immintrin.h>
#endif

/* The GEMM works on int8 weights packed in panels of KGM_NB = 64 output
 * channels: byte wp[(p*KQ + q)*4*KGM_NB + c*4 + b] is the folded weight
 * W[4q + b][64p + c] (zero past K and N), KQ = ceil(K/4). Activations enter
 * as unsigned bytes u = a + 128 (= a XOR 0x80), so that one 4-byte dot
 * product u . w is one AVX-512 VNNI vpdpbusd lane; the +128 is taken back
 * with the column sums: sum_k a*w = sum_k u*w - 128 * sum_k w. Every sum is
 * taken mod 2^32 (unsigned, or the wrapping vpdpbusd), and the true value
 * fits an int32 (|a*w| <= 2^14, K <= 2^17 by kgmodel_create's bound on
 * half_words * rows), so the result is exact. */

/* acc[r][c] = sum_{k < 4*KQ} (a[r][k] ^ 0x80) * W[k][c] (mod 2^32) for the
 * 4 activation rows a[0..3] (4*KQ readable bytes each) and one panel. */
static inline __attribute__((always_inline)) void panel_body(const uint8_t *const a[4],
                                                             const int8_t *wp, uint64_t KQ,
                                                             uint32_t acc[4][KGM_NB]) {
  memset(acc, 0, 4 * sizeof acc[0]);
  for (uint64_t q = 0; q < KQ; q++, wp += 4 * KGM_NB)
    for (unsigned r = 0; r < 4; r++) {
      const uint8_t *x = a[r] + 4 * q;
      const int32_t u0 = x[0] ^ 0x80, u1 = x[1] ^ 0x80, u2 = x[2] ^ 0x80, u3 = x[3] ^ 0x80;
      for (unsigned c = 0; c < KGM_NB; c++)
        acc[r][c] += (uint32_t)(u0 * wp[4 * c] + u1 * wp[4 * c + 1] + u2 * wp[4 * c + 2] +
                                u3 * wp[4 * c + 3]);
    }
}

static void panel_plain(const uint8_t *const a[4], const int8_t *wp, uint64_t KQ, uint32_t acc[4][KGM_NB]) {
  panel_body(a, wp, KQ, acc);
}

#ifdef KGM_X86
__attribute__((target("avx2"))) static void panel_avx2(const uint8_t *const a[4], const int8_t *wp,
                                                       uint64_t KQ, uint32_t acc[4][KGM_NB]) {
  panel_body(a, wp, KQ, acc);
}

/* 4 rows x 64 channels in 16 zmm accumulators; per 4 k: 4 weight loads, 4
 * activation broadcasts, 16 vpdpbusd. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void panel_vnni(
    const uint8_t *const a[4], const int8_t *wp, uint64_t KQ, uint32_t acc[4][KGM_NB]) {
  const __m512i flip = _mm512_set1_epi32((int)0x80808080u);
  __m512i s00 = _mm512_setzero_si512(), s01 = s00, s02 = s00, s03 = s00;
  __m512i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  __m512i s20 = s00, s21 = s00, s22 = s00, s23 = s00;
  __m512i s30 = s00, s31 = s00, s32 = s00, s33 = s00;
  const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  for (uint64_t q = 0; q < KQ; q++, wp += 4 * KGM_NB) {
    const __m512i w0 = _mm512_loadu_si512(wp), w1 = _mm512_loadu_si512(wp + 64);
    const __m512i w2 = _mm512_loadu_si512(wp + 128), w3 = _mm512_loadu_si512(wp + 192);
    int32_t v0, v1, v2, v3;
    memcpy(&v0, a0 + 4 * q, 4);
    memcpy(&v1, a1 + 4 * q, 4);
    memcpy(&v2, a2 + 4 * q, 4);
    memcpy(&v3, a3 + 4 * q, 4);
    const __m512i u0 = _mm512_xor_si512(_mm512_set1_epi32(v0), flip);
    const __m512i u1 = _mm512_xor_si512(_mm512_set1_epi32(v1), flip);
    const __m512i u2 = _mm512_xor_si512(_mm512_set1_epi32(v2), flip);
    const __m512i u3 = _mm512_xor_si512(_mm512_set1_epi32(v3), flip);
    s00 = _mm512_dpbusd_epi32(s00, u0, w0);
    s01 = _mm512_dpbusd_epi32(s01, u0, w1);
    s02 = _mm512_dpbusd_epi32(s02, u0, w2);
    s03 = _mm512_dpbusd_epi32(s03, u0, w3);
    s10 = _mm512_dpbusd_epi32(s10, u1, w0);
    s11 = _mm512_dpbusd_epi32(s11, u1, w1);
    s12 = _mm512_dpbusd_epi32(s12, u1, w2);
    s13 = _mm512_dpbusd_epi32(s13, u1, w3);
    s20 = _mm512_dpbusd_epi32(s20, u2, w0);
    s21 = _mm512_dpbusd_epi32(s21, u2, w1);
    s22 = _mm512_dpbusd_epi32(s22, u2, w2);
    s23 = _mm512_dpbusd_epi32(s23, u2, w3);
    s30 = _mm512_dpbusd_epi32(s30, u3, w0);
    s31 = _mm512_dpbusd_epi32(s31, u3, w1);
    s32 = _mm512_dpbusd_epi32(s32, u3, w2);
    s33 = _mm512_dpbusd_epi32(s33, u3, w3);
  }
  const __m512i s[4][4] = {{s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}, {s30, s31, s32, s33}};
  for (unsigned r = 0; r < 4; r++)
    for (unsigned j = 0; j < 4; j++) _mm512_storeu_si512(&acc[r][16 * j], s[r][j]);
}
#endif

/* The requantization of common/ref/include/kgmac/ref_layer.h over
 * n channels of one output row, from the panel sums acc and their
 * correction corr (x = acc - corr, see KGM_NB above), branch-free: >> of a
 * negative int64 is an arithmetic shift on every compiler this builds with
 * (checked below). |x * mult| < 2^62 and the rounding term <= 2^61, so the
 * int64 cannot overflow. An AVX-512 version beside the portable one. */
_Static_assert((-5 >> 1) == -3, "arithmetic right shift of negative values required");
static inline __attribute__((always_inline)) void requant_body(
    const uint32_t *restrict acc, const uint32_t *restrict corr, const int32_t *restrict bias,
    const int32_t *restrict mult, const uint8_t *restrict shift, uint64_t n, int relu,
    int8_t *restrict out) {
  const int64_t lo = relu ? 0 : -128;
  for (uint64_t c = 0; c < n; c++) {
    const int32_t x = (int32_t)(acc[c] - corr[c] + (uint32_t)bias[c]);
    const int64_t sh = shift[c];
    const int64_t p = (int64_t)x * mult[c] + ((int64_t)1 << (sh - 1));
    int64_t y = p >> sh;
    y = y > 127 ? 127 : y;
    y = y < lo ? lo : y;
    out[c] = (int8_t)y;
  }
}

static void requant_plain(const uint32_t *acc, const uint32_t *corr, const int32_t *bias,
                          const int32_t *mult, const uint8_t *shift, uint64_t n, int relu, int8_t *out) {
  requant_body(acc, corr, bias, mult, shift, n, relu, out);
}
#ifdef KGM_X86
__attribute__((target("avx2"))) static void requant_avx2(const uint32_t *acc, const uint32_t *corr,
                                                         const int32_t *bias, const int32_t *mult,
                                                         const uint8_t *shift, uint64_t n, int relu,
                                                         int8_t *out) {
  requant_body(acc, corr, bias, mult, shift, n, relu, out);
}
/* 8 channels at a time: vpmuldq (signed 32 x 32 -> 64), vpsllvq/vpsravq
 * for the per-channel rounding term and shift, vpminsq/vpmaxsq, vpmovqb. */
__attribute__((target("avx512f"))) static void requant_avx512(
    const uint32_t *acc, const uint32_t *corr, const int32_t *bias, const int32_t *mult,
    const uint8_t *shift, uint64_t n, int relu, int8_t *out) {
  const __m512i lo = _mm512_set1_epi64(relu ? 0 : -128), hi = _mm512_set1_epi64(127);
  const __m512i one = _mm512_set1_epi64(1);
  uint64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256i x = _mm256_add_epi32(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(acc + c)),
                                                        _mm256_loadu_si256((const __m256i *)(corr + c))),
                                       _mm256_loadu_si256((const __m256i *)(bias + c)));
    const __m512i mu = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(mult + c)));
    const __m512i sh = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(shift + c)));
    __m512i p = _mm512_mul_epi32(_mm512_cvtepi32_epi64(x), mu);
    p = _mm512_add_epi64(p, _mm512_sllv_epi64(one, _mm512_sub_epi64(sh, one)));
    const __m512i y = _mm512_min_epi64(_mm512_max_epi64(_mm512_srav_epi64(p, sh), lo), hi);
    _mm_storel_epi64((__m128i *)(out + c), _mm512_cvtepi64_epi8(y));
  }
  requant_body(acc + c, corr + c, bias + c, mult + c, shift + c, n - c, relu, out + c);
}
#endif

/* The fastest kernels the CPU runs; KGMODEL_GEMM=plain or avx2 forces
 * slower ones (the tests run the cross-check on each). */
kgmod_kernels kgmod_pick_kernels(void) {
  const char *force = getenv("KGMODEL_GEMM");
  const int plain = force && !strcmp(force, "plain"), avx2 = force && !strcmp(force, "avx2");
  kgmod_kernels k = {panel_plain, requant_plain};
#ifdef KGM_X86
  __builtin_cpu_init();
  if (!plain && !avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512f")) {
    k.panel = panel_vnni;
    k.requant = requant_avx512;
  } else if (!plain && __builtin_cpu_supports("avx2")) {
    k.panel = panel_avx2;
    k.requant = requant_avx2;
  }
#else
  (void)plain;
  (void)avx2;
#endif
  return k;
}

/* Folding the decrypted image into the GEMM panels (see KGM_NB above):
 * fold_tiles folds tiles [t0, t0 + cnt) of the image
 * (image order, layer_pack.h: tile t = nt * KT + kt holds W[kt*R + kr][nt*C
 * + nc] at byte kr * C + nc) into the zeroed panels wp, fold_done turns the
 * column sums into the correction 128 * sum_k W[k][n]. PE(kr, nc) negates
 * when xm[kr*C + nc] = 0xff (key bit kr*C + nc, kg_key_bit; else 0), as
 * (w ^ x) - x, so -(-128) = -128 as in kg_fold_weight. */
void kgmod_fold_tiles(const kgmod_layer *L, uint32_t R, uint32_t Cc, const uint8_t *xm,
                      const uint8_t *src, uint64_t t0, uint64_t cnt, int8_t *wp, uint64_t KQ) {
  const uint64_t TILE = ((uint64_t)R * Cc + 15) / 16 * 16, K = L->k, N = L->n;
  for (uint64_t i = 0; i < cnt; i++) {
    const uint64_t t = t0 + i, nt = t / L->kt, kt = t % L->kt;
    const uint8_t *tb = src + i * TILE;
    const uint32_t ncs = N - nt * Cc < Cc ? (uint32_t)(N - nt * Cc) : Cc;
    if (R % 4 == 0) {
      /* A k-quad lies inside one tile: one 32-bit store per channel. */
      for (uint32_t kr = 0; kr < R && kt * R + kr < K; kr += 4) {
        const uint64_t k = kt * R + kr, left = K - k;
        const uint32_t keep = left >= 4 ? 0xffffffffu : (1u << (8 * left)) - 1;
        const uint8_t *r0 = tb + kr * Cc, *x0 = xm + kr * Cc;
        int8_t *dq = wp + (k / 4) * 4 * KGM_NB;
        uint32_t nc = 0;
#ifdef KGM_X86
        /* 16 channels at a time: fold 4 rows, interleave them into 16
         * little-endian quads (channels >= N get unused values). */
        const __m128i z = _mm_setzero_si128();
        for (; Cc % 16 == 0 && nc < ncs; nc += 16) {
          __m128i r[4];
          for (uint32_t b = 0; b < 4; b++) {
            const __m128i x = _mm_loadu_si128((const __m128i *)(x0 + b * Cc + nc));
            r[b] = b < left ? _mm_sub_epi8(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(r0 + b * Cc + nc)), x), x) : z;
          }
          const __m128i l01 = _mm_unpacklo_epi8(r[0], r[1]), h01 = _mm_unpackhi_epi8(r[0], r[1]);
          const __m128i l23 = _mm_unpacklo_epi8(r[2], r[3]), h23 = _mm_unpackhi_epi8(r[2], r[3]);
          const uint64_t n = nt * Cc + nc;
          int8_t *d = dq + (n / KGM_NB) * KQ * 4 * KGM_NB + (n % KGM_NB) * 4;
          _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(d + 16), _mm_unpackhi_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(d + 32), _mm_unpacklo_epi16(h01, h23));
          _mm_storeu_si128((__m128i *)(d + 48), _mm_unpackhi_epi16(h01, h23));
        }
#endif
        for (; nc < ncs; nc++) {
          const uint64_t n = nt * Cc + nc;
          uint32_t v = 0;
          for (uint32_t b = 0; b < 4; b++) {
            const uint8_t x = x0[b * Cc + nc];
            v |= (uint32_t)(uint8_t)((r0[b * Cc + nc] ^ x) - x) << (8 * b);
          }
          v &= keep;
          memcpy(dq + (n / KGM_NB) * KQ * 4 * KGM_NB + (n % KGM_NB) * 4, &v, 4);
        }
      }
    } else {
      for (uint32_t kr = 0; kr < R && kt * R + kr < K; kr++) {
        const uint64_t k = kt * R + kr;
        int8_t *dq = wp + (k / 4) * 4 * KGM_NB + (k % 4);
        for (uint32_t nc = 0; nc < ncs; nc++) {
          const uint64_t n = nt * Cc + nc;
          const uint8_t x = xm[kr * Cc + nc];
          dq[(n / KGM_NB) * KQ * 4 * KGM_NB + (n % KGM_NB) * 4] = (int8_t)(uint8_t)((tb[kr * Cc + nc] ^ x) - x);
        }
      }
    }
  }
}

void kgmod_fold_done(const int8_t *wp, uint32_t *corr, uint64_t KQ, uint64_t NP) {
  for (uint64_t p = 0; p < NP; p++) {
    int32_t cs[KGM_NB] = {0};
    for (uint64_t q = 0; q < KQ; q++) {
      const int8_t *w = wp + (p * KQ + q) * 4 * KGM_NB;
      for (unsigned c = 0; c < KGM_NB; c++) cs[c] += w[4 * c] + w[4 * c + 1] + w[4 * c + 2] + w[4 * c + 3];
    }
    for (unsigned c = 0; c < KGM_NB; c++) corr[p * KGM_NB + c] = 128u * (uint32_t)cs[c];
  }
}
