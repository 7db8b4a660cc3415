/* kgmfmt private helpers: little-endian access, the on-disk field offsets
 * of docs/model-format.md. Messages go through kg_fail (kgmac/status.h).
 * Not installed. */
#ifndef KGM_INTERNAL_H
#define KGM_INTERNAL_H

#include <stdint.h>
#include <string.h>

#include "kgmac/kgm.h"

/* Header field offsets (KGM_HEADER_SIZE bytes). */
enum {
  KH_MAGIC = 0, KH_VERSION = 4, KH_HDRSIZE = 6, KH_FLAGS = 8, KH_FILESIZE = 12, KH_ROWS = 16,
  KH_COLS = 18, KH_CRYPT = 20, KH_AESLEN = 21, KH_RES0 = 22, KH_NONCE = 24, KH_KCV = 36,
  KH_IN_H = 44, KH_IN_W = 48, KH_IN_C = 52, KH_IN_SCALE = 56, KH_IN_ZERO = 60, KH_NLAYERS = 64,
  KH_LT_OFF = 68, KH_P_OFF = 72, KH_P_LEN = 76, KH_W_OFF = 80, KH_W_LEN = 84, KH_AUTH_SIZE = 88,
  KH_RES1 = 92 /* version 2; version 1 reserves 88..127 */
};
/* Layer entry field offsets (KGM_LAYER_SIZE bytes). */
enum {
  KL_TYPE = 0, KL_RELU = 1, KL_KH = 2, KL_KW = 3, KL_STRIDE = 4, KL_PAD = 5, KL_RES0 = 6,
  KL_IN_H = 8, KL_IN_W = 12, KL_IN_C = 16, KL_OUT_H = 20, KL_OUT_W = 24, KL_OUT_C = 28,
  KL_K = 32, KL_N = 36, KL_W_OFF = 40, KL_W_LEN = 44, KL_P_OFF = 48, KL_OUT_SCALE = 52,
  KL_RES1 = 56
};

static inline uint16_t kgm_rd16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline uint32_t kgm_rd32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline float kgm_rdf32(const uint8_t *p) {
  const uint32_t u = kgm_rd32(p);
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}
static inline void kgm_wr16(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline void kgm_wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void kgm_wrf32(uint8_t *p, float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  kgm_wr32(p, u);
}
static inline int kgm_all_zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return 0;
  return 1;
}
/* Required flags a file of this version may set (0: unknown version). */
static inline uint32_t kgm_flags_known(uint32_t version) {
  return version == 1u ? KGM_FLAGS_KNOWN_V1 : version == 2u ? KGM_FLAGS_KNOWN_V2 : 0u;
}
/* 1 if v is a power of two in 1..64. */
static inline int kgm_geom_side_ok(uint32_t v) {
  return v >= 1 && v <= 64 && (v & (v - 1)) == 0;
}

#endif /* KGM_INTERNAL_H */
