/* kgmac requantization rule (see kgmac/ref_layer.h). */
#include "kgmac/ref_layer.h"

int8_t kg_requant_one(int32_t acc, int32_t bias, int32_t mult, uint8_t shift, int relu) {
  const int32_t x = (int32_t)((uint32_t)acc + (uint32_t)bias);
  const int64_t p = (int64_t)x * (int64_t)mult + ((int64_t)1 << (shift - 1));
  /* Arithmetic right shift, written so it does not rely on the
   * implementation-defined behaviour of >> on negative values. */
  const int64_t y = (p >= 0) ? (p >> shift) : -(((-p - 1) >> shift) + 1);
  int32_t z = y > 127 ? 127 : (y < -128 ? -128 : (int32_t)y);
  if (relu && z < 0) z = 0;
  return (int8_t)z;
}

int kg_requant_check(const kg_requant *q, uint32_t N) {
  if (!q || !q->mult || !q->shift || N == 0) return KG_REF_EINVAL;
  if (q->relu != 0 && q->relu != 1) return KG_REF_EINVAL;
  for (uint32_t n = 0; n < N; n++) {
    if (q->mult[n] < 0) return KG_REF_EINVAL;
    if (q->shift[n] < 1 || q->shift[n] > 62) return KG_REF_EINVAL;
  }
  return KG_REF_OK;
}
