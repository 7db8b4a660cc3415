// test_driver_util.h: helpers of the libkgmac tests (kg_test_driver): random
// unlocked int8 models (kg_qmodel), an independent test-side locker that
// turns one into a .kgm for the hardware layout (so the driver is checked
// against a second implementation of docs/model-format.md, not only against
// kglock), keys, and RAII wrappers.
#ifndef KG_TEST_DRIVER_UTIL_H
#define KG_TEST_DRIVER_UTIL_H

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

extern "C" {
#include "kg_auth.h"
#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgmac/layer_pack.h"
#include "kgml/kgq.h"
}

namespace kgd {

inline uint32_t r16(uint32_t x) { return (x + 15u) & ~15u; }

struct DevFree {
  void operator()(kg_dev* d) const { kg_close(d); }
};
struct ModelFree {
  void operator()(kg_model* m) const { kg_model_free(m); }
};
using Dev = std::unique_ptr<kg_dev, DevFree>;
using Model = std::unique_ptr<kg_model, ModelFree>;

// Owns a kg_qmodel / kgm_model.
struct QModel {
  kg_qmodel q{};
  QModel() = default;
  QModel(const QModel&) = delete;
  QModel& operator=(const QModel&) = delete;
  ~QModel() { kg_qmodel_free(&q); }
};
struct KgmModel {
  kgm_model m{};
  KgmModel() = default;
  KgmModel(const KgmModel&) = delete;
  KgmModel& operator=(const KgmModel&) = delete;
  ~KgmModel() { kgm_model_free(&m); }
};

template <class T>
T* xalloc(size_t n) {
  void* p = std::calloc(n ? n : 1, sizeof(T));
  if (!p) throw std::bad_alloc();
  return static_cast<T*>(p);
}

// One layer spec of a random model.
struct LayerSpec {
  bool conv;
  uint32_t n;                    // output channels
  uint32_t k = 0, stride = 1, pad = 0;  // conv kernel (square)
  bool relu = true;
};

// Random kg_qmodel with input in_h x in_w x in_c and the given layers.
inline void random_qmodel(std::mt19937_64& rng, uint32_t in_h, uint32_t in_w, uint32_t in_c,
                          const std::vector<LayerSpec>& spec, kg_qmodel* q) {
  std::memset(q, 0, sizeof *q);
  q->in_h = in_h;
  q->in_w = in_w;
  q->in_c = in_c;
  q->in_scale = 1.0f / 127.0f;
  q->in_zero = 0;
  q->n_layers = (uint32_t)spec.size();
  q->layers = xalloc<kg_qlayer>(spec.size());
  uint32_t h = in_h, w = in_w, c = in_c;
  for (size_t i = 0; i < spec.size(); i++) {
    kg_qlayer& L = q->layers[i];
    const LayerSpec& s = spec[i];
    L.relu = s.relu;
    L.in_h = h;
    L.in_w = w;
    L.in_c = c;
    if (s.conv) {
      L.type = KGQ_CONV;
      L.kh = L.kw = s.k;
      L.stride = s.stride;
      L.pad = s.pad;
      L.out_h = (h + 2 * s.pad - s.k) / s.stride + 1;
      L.out_w = (w + 2 * s.pad - s.k) / s.stride + 1;
      L.out_c = s.n;
      L.K = s.k * s.k * c;
    } else {
      L.type = KGQ_FC;
      L.out_h = L.out_w = 1;
      L.out_c = s.n;
      L.K = h * w * c;
    }
    L.N = s.n;
    L.out_scale = 0.05f;
    L.bias = xalloc<int32_t>(L.N);
    L.mult = xalloc<int32_t>(L.N);
    L.shift = xalloc<uint8_t>(L.N);
    L.w_scale = xalloc<float>(L.N);
    L.W = xalloc<int8_t>((size_t)L.K * L.N);
    uint32_t lg = 0;
    while ((1u << lg) < L.K) lg++;
    for (uint32_t n = 0; n < L.N; n++) {
      L.bias[n] = int32_t(rng() % 4001) - 2000;
      L.mult[n] = int32_t(rng() & 0x7fffffff);
      L.shift[n] = uint8_t(36 + rng() % 3 + lg / 2);
      L.w_scale[n] = 0.01f;
    }
    for (size_t j = 0; j < (size_t)L.K * L.N; j++) L.W[j] = int8_t(int(rng() % 255) - 127);
    h = L.out_h;
    w = L.out_w;
    c = L.out_c;
  }
}

// Keys for geometry rows x cols (policy REFUSE, threshold 3).
inline kg_keys random_keys(std::mt19937_64& rng, uint32_t aes_len, uint32_t rows, uint32_t cols) {
  kg_keys k;
  std::memset(&k, 0, sizeof k);
  k.aes_len = aes_len;
  for (uint32_t i = 0; i < aes_len; i++) k.aes_key[i] = uint8_t(rng());
  k.sign_bits = rows * cols;
  for (uint32_t i = 0; i < (k.sign_bits + 7) / 8; i++) k.sign_key[i] = uint8_t(rng());
  k.policy = KG_KEY_POLICY_REFUSE;
  k.threshold = 3;
  return k;
}

inline std::vector<uint8_t> serialize(const kgm_model& m);

// The test's own locker: q -> .kgm for a rows x cols array (hardware K for
// an FC after a conv, sign lock, tile packing, encryption at image offsets,
// KCV), written from docs/top.md, docs/spec.md 11.1 and kgmac/kgm.h
// independently of kglock. Format version 2 (default) for a keyed model:
// model keys from kg_auth, sign lock with Sd ^ Ms, random padding (from
// `pad_rng`), Ke encryption, the tag; version 1: the device keys directly.
inline void test_lock(const kg_qmodel& q, uint32_t rows, uint32_t cols, uint32_t crypt, bool sign,
                      const kg_keys& keys, const uint8_t nonce[12], kgm_model* out,
                      uint32_t version = KGM_VERSION, uint64_t pad_seed = 1) {
  std::memset(out, 0, sizeof *out);
  const kg_geom g{rows, cols};
  const bool auth = version >= 2 && (crypt != KGM_CRYPT_NONE || sign);
  out->version = version;
  out->flags = (sign ? KGM_FLAG_SIGN : 0u) | (auth ? KGM_FLAG_AUTH : 0u);
  out->rows = rows;
  out->cols = cols;
  out->crypt = crypt;
  out->in_h = q.in_h;
  out->in_w = q.in_w;
  out->in_c = q.in_c;
  out->in_scale = q.in_scale;
  out->in_zero = q.in_zero;
  out->n_layers = q.n_layers;
  out->layers = xalloc<kgm_layer>(q.n_layers);
  // Keys: the device's (version 1) or the model's (version 2).
  kg_aes_key dev_key{}, weight_key{};
  kg_model_keys mk{};
  std::vector<uint8_t> sign_key(keys.sign_key, keys.sign_key + sizeof keys.sign_key);
  if (crypt != KGM_CRYPT_NONE || auth) {
    out->aes_len = keys.aes_len;
    std::memcpy(out->nonce, nonce, 12);
    if (kg_aes_key_init(&dev_key, keys.aes_key, keys.aes_len) != KG_AES_OK)
      throw std::runtime_error("kg_aes_key_init");
    kg_kcv(&dev_key, out->nonce, out->kcv);
    weight_key = dev_key;
  }
  if (auth) {
    if (kg_model_keys_derive(&dev_key, out->nonce, rows * cols, &mk) != KG_AES_OK)
      throw std::runtime_error("kg_model_keys_derive");
    weight_key = mk.enc;
    kg_model_sign_key(&mk, keys.sign_key, rows * cols, sign_key.data());
  }
  std::mt19937_64 pad_rng(pad_seed);
  std::vector<uint8_t> img, par;
  for (uint32_t l = 0; l < q.n_layers; l++) {
    const kg_qlayer& Q = q.layers[l];
    kgm_layer& L = out->layers[l];
    L.type = Q.type;
    L.relu = Q.relu;
    L.out_h = Q.out_h;
    L.out_w = Q.out_w;
    L.out_c = Q.out_c;
    L.N = Q.N;
    L.out_scale = Q.out_scale;
    std::vector<int8_t> W(Q.W, Q.W + (size_t)Q.K * Q.N);
    uint32_t K = Q.K;
    if (Q.type == KGQ_CONV) {
      L.in_h = Q.in_h;
      L.in_w = Q.in_w;
      L.in_c = Q.in_c;
      L.kh = Q.kh;
      L.kw = Q.kw;
      L.stride = Q.stride;
      L.pad = Q.pad;
    } else {
      if (l > 0 && q.layers[l - 1].type == KGQ_CONV && Q.in_c % 16u) {
        // Pixels arrive 16-byte aligned: zero rows for the padding bytes.
        const uint32_t c = Q.in_c, cp = r16(c), px = Q.in_h * Q.in_w;
        K = px * cp;
        W.assign((size_t)K * Q.N, 0);
        for (uint32_t p = 0; p < px; p++)
          for (uint32_t ch = 0; ch < c; ch++)
            std::memcpy(&W[((size_t)p * cp + ch) * Q.N], &Q.W[((size_t)p * c + ch) * Q.N], Q.N);
      }
      L.in_h = L.in_w = 1;
      L.in_c = K;
    }
    L.K = K;
    // Real weights as 1 in the same layout: what packs to 0 is padding.
    std::vector<int8_t> real((size_t)K * Q.N, 0);
    if (K == Q.K) {
      real.assign(real.size(), 1);
    } else {
      const uint32_t c = Q.in_c, cp = r16(c);
      for (uint32_t p = 0; p < Q.in_h * Q.in_w; p++)
        for (uint32_t ch = 0; ch < c; ch++)
          std::memset(&real[((size_t)p * cp + ch) * Q.N], 1, Q.N);
    }
    std::vector<int8_t> Wl(W.size());
    if (sign) {
      if (kg_ref_lock_sign(K, Q.N, W.data(), sign_key.data(), g, Wl.data()) != KG_REF_OK)
        throw std::runtime_error("kg_ref_lock_sign");
    } else {
      Wl = W;
    }
    const size_t wb = kg_pack_weight_bytes(K, Q.N, g);
    L.w_off = (uint32_t)img.size();
    L.w_len = (uint32_t)wb;
    img.resize(img.size() + wb);
    if (kg_pack_weights(K, Q.N, Wl.data(), g, img.data() + L.w_off, wb) != KG_REF_OK)
      throw std::runtime_error("kg_pack_weights");
    if (auth) {
      std::vector<uint8_t> mask(wb);
      if (kg_pack_weights(K, Q.N, real.data(), g, mask.data(), wb) != KG_REF_OK)
        throw std::runtime_error("kg_pack_weights (mask)");
      for (size_t i = 0; i < wb; i++)
        if (!mask[i]) img[L.w_off + i] = uint8_t(pad_rng());
    }
    L.p_off = (uint32_t)par.size();
    par.resize(par.size() + (size_t)Q.N * KGM_PARAM_SIZE);
    if (kg_pack_params(Q.N, Q.bias, Q.mult, Q.shift, par.data() + L.p_off,
                       (size_t)Q.N * KGM_PARAM_SIZE) != KG_REF_OK)
      throw std::runtime_error("kg_pack_params");
  }
  if (crypt != KGM_CRYPT_NONE &&
      kg_crypt_encrypt((int)crypt, &weight_key, out->nonce, 0, img.data(), img.size()) != KG_AES_OK)
    throw std::runtime_error("kg_crypt_encrypt");
  out->params_len = par.size();
  out->params = xalloc<uint8_t>(par.size());
  std::memcpy(out->params, par.data(), par.size());
  out->wimg_len = img.size();
  out->wimg = xalloc<uint8_t>(img.size());
  std::memcpy(out->wimg, img.data(), img.size());
  if (auth) {  // tag over the file up to the end of the weight image
    const std::vector<uint8_t> f = serialize(*out);
    out->auth_size = (uint32_t)(f.size() - KGM_TAG_SIZE - 4);
    kg_cmac(&mk.mac, f.data(), out->auth_size, out->tag);
  }
  kg_model_keys_wipe(&mk);
}

inline std::vector<uint8_t> serialize(const kgm_model& m) {
  uint8_t* buf = nullptr;
  size_t len = 0;
  char detail[KG_DETAIL_LEN] = {0};
  const int rc = kgm_serialize(&m, &buf, &len, detail);
  if (rc != KG_OK) throw std::runtime_error(std::string("kgm_serialize: ") + detail);
  std::vector<uint8_t> v(buf, buf + len);
  std::free(buf);
  return v;
}

// test_lock + serialize of an unencrypted, unsigned model.
inline std::vector<uint8_t> plain_file(const kg_qmodel& q, uint32_t rows, uint32_t cols) {
  KgmModel km;
  kg_keys none;
  std::memset(&none, 0, sizeof none);
  const uint8_t nonce[12] = {0};
  test_lock(q, rows, cols, KGM_CRYPT_NONE, false, none, nonce, &km.m);
  return serialize(km.m);
}

// Reference outputs: kg_qmodel_infer per image.
inline std::vector<int8_t> reference(const kg_qmodel& q, const std::vector<int8_t>& in,
                                     uint32_t n) {
  const size_t isz = kg_qmodel_input_size(&q), osz = kg_qmodel_classes(&q);
  std::vector<int8_t> out((size_t)n * osz);
  for (uint32_t i = 0; i < n; i++)
    if (kg_qmodel_infer(&q, &in[i * isz], &out[i * osz], nullptr) != 0)
      throw std::runtime_error("kg_qmodel_infer");
  return out;
}

inline std::vector<int8_t> random_input(std::mt19937_64& rng, size_t n) {
  std::vector<int8_t> v(n);
  for (auto& x : v) x = int8_t(rng());
  return v;
}

// ---- helpers of the test fixtures (gtest assertions) ----

// FC+FC on a 37-value input; conv+conv+FC on a 6x6x3 image (channel counts
// not multiples of 16, so the FC reads 16-byte pixels).
inline void fc_fc(std::mt19937_64& rng, kg_qmodel* q) {
  random_qmodel(rng, 1, 1, 37, {{false, 19}, {false, 10, 0, 1, 0, false}}, q);
}
inline void conv_conv_fc(std::mt19937_64& rng, kg_qmodel* q) {
  random_qmodel(rng, 6, 6, 3, {{true, 5, 3, 1, 1}, {true, 12, 3, 2, 1}, {false, 10, 0, 1, 0, false}},
                q);
}

// kg_open of a back-end (an empty Dev and a test failure if it fails), with
// the device's geometry in *rows x *cols.
inline Dev open_device(const char* backend, const kg_open_opts* o, uint32_t* rows,
                       uint32_t* cols) {
  kg_dev* d = nullptr;
  char err[KG_DETAIL_LEN] = {0};
  const int rc = kg_open(&d, backend, o, err);
  EXPECT_EQ(KG_OK, rc) << err;
  Dev dev(rc == KG_OK ? d : nullptr);
  kg_dev_info info{};
  if (dev) {
    EXPECT_EQ(KG_OK, kg_dev_query(dev.get(), &info));
  }
  *rows = info.rows;
  *cols = info.cols;
  return dev;
}

// kg_model_load_buffer expecting `want`; the model on success.
inline Model load_model(kg_dev* dev, const std::vector<uint8_t>& file, int want = KG_OK) {
  kg_model* m = reinterpret_cast<kg_model*>(0x1);
  const int rc = kg_model_load_buffer(dev, file.data(), file.size(), &m);
  EXPECT_EQ(want, rc) << kg_strerror(rc) << ": " << kg_last_error(dev);
  if (rc != KG_OK) {
    EXPECT_EQ(nullptr, m);
  }
  return Model(rc == KG_OK ? m : nullptr);
}

// kg_infer of n images, expected to succeed.
inline std::vector<int8_t> infer_ok(kg_dev* dev, kg_model* m, const std::vector<int8_t>& in,
                                    uint32_t n) {
  kg_model_info mi{};
  EXPECT_EQ(KG_OK, kg_model_query(m, &mi));
  std::vector<int8_t> out((size_t)n * mi.output_size, 0x5a);
  const int rc = kg_infer(m, in.data(), n, out.data());
  EXPECT_EQ(KG_OK, rc) << kg_strerror(rc) << ": " << kg_last_error(dev);
  return out;
}

// Whether the device has register map 2.0's POLICY.LEGACY (and so VERIFY):
// provision k with LEGACY = 1 and read it back. Leaves k provisioned.
inline bool has_auth(kg_dev* dev, const kg_keys& k) {
  kg_keys probe = k;
  probe.legacy = 1;
  EXPECT_EQ(KG_OK, kg_keys_provision(dev, &probe, 0)) << kg_last_error(dev);
  kg_dev_info info{};
  EXPECT_EQ(KG_OK, kg_dev_query(dev, &info));
  return info.legacy != 0;
}

}  // namespace kgd

#endif
