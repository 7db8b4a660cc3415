// Helpers shared by the kg_test_kgm sources: a small random int8 model
// (conv -> FC -> FC, the FC after the conv needs K padding), keys, and
// byte patching of a serialized .kgm.
#ifndef KG_TEST_KGM_UTIL_H
#define KG_TEST_KGM_UTIL_H

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

extern "C" {
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"
#include "kgmac/layer_pack.h"
#include "kgmac/lock.h"
#include "kgml/kgq.h"
}

namespace kgmtest {

template <typename T>
inline T *alloc_n(size_t n) {
  return static_cast<T *>(std::calloc(n ? n : 1, sizeof(T)));
}

// One layer of a hand-made kg_qmodel, arrays malloc'd so kg_qmodel_free works.
inline void fill_layer(kg_qlayer *L, std::mt19937 &rng) {
  std::uniform_int_distribution<int> w(-127, 127), b(-2000, 2000), sh(26, 30);
  std::uniform_int_distribution<int32_t> mu(1 << 20, 1 << 22);
  L->out_scale = 0.05f;
  L->bias = alloc_n<int32_t>(L->N);
  L->mult = alloc_n<int32_t>(L->N);
  L->shift = alloc_n<uint8_t>(L->N);
  L->w_scale = alloc_n<float>(L->N);
  L->W = alloc_n<int8_t>((size_t)L->K * L->N);
  for (uint32_t n = 0; n < L->N; n++) {
    L->bias[n] = b(rng);
    L->mult[n] = mu(rng);
    L->shift[n] = (uint8_t)sh(rng);
    L->w_scale[n] = 0.01f;
  }
  for (size_t i = 0; i < (size_t)L->K * L->N; i++) L->W[i] = (int8_t)w(rng);
}

// in 6x6x3 -> conv 3x3 s2 p1 relu -> 3x3x5 -> FC relu -> 10 -> FC -> 4.
inline void make_qmodel(kg_qmodel *m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::memset(m, 0, sizeof *m);
  m->in_h = 6;
  m->in_w = 6;
  m->in_c = 3;
  m->in_scale = 1.0f / 127.0f;
  m->n_layers = 3;
  m->layers = alloc_n<kg_qlayer>(3);
  kg_qlayer *c = &m->layers[0];
  c->type = KGQ_CONV;
  c->relu = 1;
  c->in_h = 6, c->in_w = 6, c->in_c = 3;
  c->kh = 3, c->kw = 3, c->stride = 2, c->pad = 1;
  c->out_h = 3, c->out_w = 3, c->out_c = 5;
  c->K = 27, c->N = 5;
  fill_layer(c, rng);
  kg_qlayer *f = &m->layers[1];
  f->type = KGQ_FC;
  f->relu = 1;
  f->in_h = 3, f->in_w = 3, f->in_c = 5;
  f->out_h = 1, f->out_w = 1, f->out_c = 10;
  f->K = 45, f->N = 10;
  fill_layer(f, rng);
  kg_qlayer *o = &m->layers[2];
  o->type = KGQ_FC;
  o->in_h = 1, o->in_w = 1, o->in_c = 10;
  o->out_h = 1, o->out_w = 1, o->out_c = 4;
  o->K = 10, o->N = 4;
  fill_layer(o, rng);
}

inline kg_keys make_keys(uint32_t rows, uint32_t cols, uint32_t aes_len, uint32_t seed) {
  kg_keys k;
  std::memset(&k, 0, sizeof k);
  std::mt19937 rng(seed);
  for (auto &b : k.aes_key) b = (uint8_t)rng();
  k.aes_len = aes_len;
  const uint32_t bits = rows * cols;
  for (uint32_t i = 0; i < bits; i++)
    if (rng() & 1) k.sign_key[i / 8] |= (uint8_t)(1u << (i % 8));
  k.sign_bits = bits;
  k.threshold = 3;
  return k;
}

inline const uint8_t *fixed_nonce() {
  static const uint8_t n[12] = {0xca, 0xfe, 0xba, 0xbe, 0xfa, 0xce, 0xdb, 0xad,
                                0xde, 0xca, 0xf8, 0x88};
  return n;
}

inline kglock_opts opts_for(const kg_keys &k, uint32_t rows, uint32_t cols, uint32_t crypt,
                            int sign, const uint8_t *nonce, uint32_t version = 0) {
  kglock_opts o;
  std::memset(&o, 0, sizeof o);
  o.rows = rows;
  o.cols = cols;
  o.crypt = crypt;
  o.sign = sign;
  o.keys = &k;
  o.nonce = nonce;
  o.version = version;
  return o;
}

// Lock the standard test model (4x4, CTR, sign, format version 2 unless
// `version` says 1) into a kgm_model.
inline int lock_standard(kgm_model *out, uint32_t crypt = KGM_CRYPT_CTR, int sign = 1,
                         uint32_t rows = 4, uint32_t cols = 4, uint32_t seed = 1,
                         uint32_t version = 0) {
  kg_qmodel q;
  make_qmodel(&q, seed);
  const kg_keys keys = make_keys(rows, cols, 16, seed + 100);
  const kglock_opts o = opts_for(keys, rows, cols, crypt, sign, fixed_nonce(), version);
  char d[KG_DETAIL_LEN];
  const int rc = kglock_model(&q, &o, out, d);
  kg_qmodel_free(&q);
  return rc;
}

inline std::vector<uint8_t> serialize(const kgm_model *m) {
  uint8_t *buf = nullptr;
  size_t len = 0;
  char d[KG_DETAIL_LEN];
  if (kgm_serialize(m, &buf, &len, d) != KG_OK) return {};
  std::vector<uint8_t> v(buf, buf + len);
  std::free(buf);
  return v;
}

// The standard model as .kgm bytes.
inline std::vector<uint8_t> standard_file(uint32_t crypt = KGM_CRYPT_CTR, int sign = 1,
                                          uint32_t version = 0) {
  kgm_model m;
  if (lock_standard(&m, crypt, sign, 4, 4, 1, version) != KG_OK) return {};
  std::vector<uint8_t> v = serialize(&m);
  kgm_model_free(&m);
  return v;
}

inline uint32_t rd32(const std::vector<uint8_t> &b, size_t off) {
  return (uint32_t)b[off] | ((uint32_t)b[off + 1] << 8) | ((uint32_t)b[off + 2] << 16) |
         ((uint32_t)b[off + 3] << 24);
}
inline void wr(std::vector<uint8_t> &b, size_t off, unsigned width, uint32_t v) {
  for (unsigned i = 0; i < width; i++) b[off + i] = (uint8_t)(v >> (8 * i));
}
// Recompute the trailing CRC-32C (over everything before the last 4 bytes).
inline void fix_crc(std::vector<uint8_t> &b) {
  wr(b, b.size() - 4, 4, kgm_crc32c(b.data(), b.size() - 4));
}

inline int parse(const std::vector<uint8_t> &b, kgm_model *m = nullptr) {
  kgm_model tmp;
  char d[KG_DETAIL_LEN];
  kgm_model *p = m ? m : &tmp;
  const int rc = kgm_parse(p, b.data(), b.size(), d);
  if (!m) kgm_model_free(&tmp);
  return rc;
}

}  // namespace kgmtest

#endif
