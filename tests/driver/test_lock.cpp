// kglock: the locked image decrypts and unfolds back to the original tiles,
// and a locked model run through the C reference with the right sign key
// matches kg_qmodel_infer of the unlocked model bit for bit.
#include <gtest/gtest.h>

#include <string>

#include "test_kgm_util.h"

extern "C" {
#include "kg_aes.h"
#include "kgmac/ref_layer.h"
}

using namespace kgmtest;

namespace {

// W (K_hw x N) from a layer's tile image (inverse of kg_pack_weights).
std::vector<int8_t> unpack_tiles(const uint8_t *img, uint32_t K, uint32_t N, kg_geom g) {
  std::vector<int8_t> W((size_t)K * N);
  const uint32_t KT = (K + g.rows - 1) / g.rows, NT = (N + g.cols - 1) / g.cols;
  const size_t tb = kg_pack_tile_bytes(g);
  for (uint32_t nt = 0; nt < NT; nt++)
    for (uint32_t kt = 0; kt < KT; kt++)
      for (uint32_t r = 0; r < g.rows; r++)
        for (uint32_t c = 0; c < g.cols; c++) {
          const uint32_t k = kt * g.rows + r, n = nt * g.cols + c;
          const uint8_t v = img[((size_t)nt * KT + kt) * tb + (size_t)r * g.cols + c];
          if (k < K && n < N) {
            W[(size_t)k * N + n] = (int8_t)v;
          } else {
            EXPECT_EQ(v, 0) << "tile padding";
          }
        }
  return W;
}

// The clear, sign-locked weights of every layer of a locked model.
std::vector<std::vector<int8_t>> clear_weights(const kgm_model &m, const kg_keys &keys) {
  std::vector<uint8_t> img(m.wimg, m.wimg + m.wimg_len);
  if (m.crypt != KGM_CRYPT_NONE) {
    kg_aes_key ak;
    EXPECT_EQ(kg_aes_key_init(&ak, keys.aes_key, keys.aes_len), KG_AES_OK);
    uint8_t kcv[8];
    kg_kcv(&ak, m.nonce, kcv);
    EXPECT_EQ(0, std::memcmp(kcv, m.kcv, 8)) << "KCV";
    EXPECT_EQ(kg_crypt_decrypt((int)m.crypt, &ak, m.nonce, 0, img.data(), img.size()), KG_AES_OK);
  }
  std::vector<std::vector<int8_t>> out;
  const kg_geom g = {m.rows, m.cols};
  for (uint32_t l = 0; l < m.n_layers; l++)
    out.push_back(unpack_tiles(img.data() + m.layers[l].w_off, m.layers[l].K, m.layers[l].N, g));
  return out;
}

// Original W of a .kgq layer laid out with the hardware's K (zero rows for
// the padding bytes of each pixel of an FC-after-conv input).
std::vector<int8_t> hw_layout(const kg_qlayer &Q, uint32_t Khw) {
  std::vector<int8_t> W((size_t)Khw * Q.N, 0);
  const uint32_t c = Q.in_c, cp = (Khw == Q.K) ? c : (c + 15) / 16 * 16;
  for (uint32_t k = 0; k < Q.K; k++) {
    const size_t row = (Khw == Q.K) ? k : (size_t)(k / c) * cp + k % c;
    std::memcpy(&W[row * Q.N], &Q.W[(size_t)k * Q.N], Q.N);
  }
  return W;
}

struct Requant {
  std::vector<int32_t> bias, mult;
  std::vector<uint8_t> shift;
};

Requant decode_params(const kgm_model &m, uint32_t l) {
  Requant r;
  const kgm_layer &L = m.layers[l];
  for (uint32_t n = 0; n < L.N; n++) {
    const uint8_t *p = m.params + L.p_off + 16 * n;
    r.bias.push_back((int32_t)(p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24));
    r.mult.push_back((int32_t)(p[4] | p[5] << 8 | p[6] << 16 | (uint32_t)p[7] << 24));
    r.shift.push_back(p[8]);
  }
  return r;
}

// Run the locked model as the hardware would: sign key in every PE, conv
// outputs stored with 16-byte pixels (padding bytes filled with junk that
// the zero weight rows must cancel).
std::vector<int8_t> run_locked(const kgm_model &m, const std::vector<std::vector<int8_t>> &W,
                               const uint8_t *key_s, const std::vector<int8_t> &in,
                               std::mt19937 &junk) {
  const kg_geom g = {m.rows, m.cols};
  std::vector<int8_t> x = in;
  bool prev_conv = false;
  uint32_t ph = m.in_h, pw = m.in_w, pc = m.in_c;
  for (uint32_t l = 0; l < m.n_layers; l++) {
    const kgm_layer &L = m.layers[l];
    Requant r = decode_params(m, l);
    const kg_requant q = {r.bias.data(), r.mult.data(), r.shift.data(), (int)L.relu};
    std::vector<int8_t> y((size_t)L.out_h * L.out_w * L.out_c);
    if (L.type == KGM_LAYER_FC) {
      std::vector<int8_t> a(L.K);
      if (prev_conv && L.K != (size_t)ph * pw * pc) {
        const uint32_t cp = L.K / (ph * pw);
        for (uint32_t p = 0; p < ph * pw; p++)
          for (uint32_t c = 0; c < cp; c++)
            a[(size_t)p * cp + c] = c < pc ? x[(size_t)p * pc + c] : (int8_t)(junk() & 0xFF);
      } else {
        a = x;
      }
      EXPECT_EQ(kg_ref_fc(1, L.K, L.N, a.data(), W[l].data(), key_s, g, &q, y.data()), KG_REF_OK);
    } else {
      const kg_conv_shape s = {L.in_h, L.in_w, L.in_c, L.out_c, L.kh, L.kw, L.stride, L.pad};
      std::vector<int8_t> scratch((size_t)L.out_h * L.out_w * L.K);
      std::vector<int32_t> acc((size_t)L.out_h * L.out_w * L.N);
      EXPECT_EQ(kg_ref_conv2d(&s, x.data(), W[l].data(), key_s, g, &q, scratch.data(), acc.data(),
                              y.data()),
                KG_REF_OK);
    }
    x = y;
    ph = L.out_h, pw = L.out_w, pc = L.out_c;
    prev_conv = L.type == KGM_LAYER_CONV;
  }
  return x;
}

}  // namespace

TEST(Lock, ImageDecryptsAndUnfoldsToOriginalTiles) {
  kg_qmodel q;
  make_qmodel(&q, 11);
  for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {8, 8}, {4, 8}, {2, 1}})
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
      for (uint32_t aes : {16u, 32u})
        for (int sign : {0, 1}) {
          SCOPED_TRACE(std::to_string(g.first) + "x" + std::to_string(g.second) + " " +
                       kgm_crypt_name(crypt) + " aes" + std::to_string(aes) + " sign " +
                       std::to_string(sign));
          const kg_keys keys = make_keys(g.first, g.second, aes, 5 + aes + g.first);
          const kglock_opts o = opts_for(keys, g.first, g.second, crypt, sign, fixed_nonce());
          kgm_model m;
          char d[KG_DETAIL_LEN];
          ASSERT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
          EXPECT_EQ(m.flags, sign ? KGM_FLAG_SIGN : 0u);
          EXPECT_EQ(m.aes_len, crypt ? aes : 0u);
          const kg_geom geom = {g.first, g.second};
          const std::vector<std::vector<int8_t>> W = clear_weights(m, keys);
          for (uint32_t l = 0; l < q.n_layers; l++) {
            std::vector<int8_t> w = W[l];
            if (sign) {  // the sign lock is an involution
              ASSERT_EQ(kg_ref_lock_sign(m.layers[l].K, m.layers[l].N, w.data(), keys.sign_key,
                                         geom, w.data()),
                        KG_REF_OK);
            }
            EXPECT_EQ(w, hw_layout(q.layers[l], m.layers[l].K)) << "layer " << l;
            // Parameters as the hardware reads them.
            const Requant r = decode_params(m, l);
            for (uint32_t n = 0; n < q.layers[l].N; n++) {
              EXPECT_EQ(r.bias[n], q.layers[l].bias[n]);
              EXPECT_EQ(r.mult[n], q.layers[l].mult[n]);
              EXPECT_EQ(r.shift[n], q.layers[l].shift[n]);
            }
          }
          // The encrypted image differs from the clear one.
          if (crypt != KGM_CRYPT_NONE) {
            const std::vector<int8_t> enc(m.wimg, m.wimg + m.layers[0].w_len);
            std::vector<int8_t> clr(m.layers[0].w_len);
            kg_pack_weights(m.layers[0].K, m.layers[0].N, W[0].data(), geom, (uint8_t *)clr.data(),
                            clr.size());
            EXPECT_NE(enc, clr);
          }
          kgm_model_free(&m);
        }
  kg_qmodel_free(&q);
}

TEST(Lock, LockedModelMatchesUnlockedInferenceBitExact) {
  kg_qmodel q;
  make_qmodel(&q, 23);
  std::mt19937 rng(99);
  for (uint32_t crypt : {KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
    for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {8, 8}}) {
      SCOPED_TRACE(std::string(kgm_crypt_name(crypt)) + " " + std::to_string(g.first));
      const kg_keys keys = make_keys(g.first, g.second, 24, 77 + g.first);
      const kglock_opts o = opts_for(keys, g.first, g.second, crypt, 1, nullptr);
      kgm_model m;
      char d[KG_DETAIL_LEN];
      ASSERT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
      // Through the file format, as a device would get it.
      const std::vector<uint8_t> file = serialize(&m);
      kgm_model_free(&m);
      ASSERT_EQ(parse(file, &m), KG_OK);
      const std::vector<std::vector<int8_t>> W = clear_weights(m, keys);
      kg_keys wrong = keys;
      wrong.sign_key[0] ^= 0x01;
      int differ = 0, nonzero = 0;
      for (int t = 0; t < 40; t++) {
        std::vector<int8_t> in(kg_qmodel_input_size(&q));
        for (auto &v : in) v = (int8_t)(rng() & 0xFF);
        std::vector<int8_t> ref(kg_qmodel_classes(&q));
        ASSERT_EQ(kg_qmodel_infer(&q, in.data(), ref.data(), nullptr), KGML_OK);
        EXPECT_EQ(run_locked(m, W, keys.sign_key, in, rng), ref) << "input " << t;
        for (int8_t v : ref) nonzero += v != 0 && v != 127 && v != -128;
        differ += run_locked(m, W, wrong.sign_key, in, rng) != ref;
      }
      EXPECT_GT(nonzero, 0) << "outputs all saturated or zero: the comparison would be weak";
      EXPECT_GT(differ, 0) << "a wrong sign key changed nothing";
      kgm_model_free(&m);
    }
  kg_qmodel_free(&q);
}

TEST(Lock, UnlockedKgmRunsWithoutKeys) {
  kg_qmodel q;
  make_qmodel(&q, 31);
  kglock_opts o;
  std::memset(&o, 0, sizeof o);
  o.rows = 4;
  o.cols = 4;  // crypt NONE, sign 0, no keys at all
  kgm_model m;
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
  EXPECT_EQ(m.flags, 0u);
  EXPECT_EQ(m.crypt, (uint32_t)KGM_CRYPT_NONE);
  const uint8_t zero[12] = {0};
  EXPECT_EQ(0, std::memcmp(m.nonce, zero, 12));
  kg_keys none;
  std::memset(&none, 0, sizeof none);
  const std::vector<std::vector<int8_t>> W = clear_weights(m, none);
  std::mt19937 rng(5);
  for (int t = 0; t < 10; t++) {
    std::vector<int8_t> in(kg_qmodel_input_size(&q));
    for (auto &v : in) v = (int8_t)(rng() & 0xFF);
    std::vector<int8_t> ref(kg_qmodel_classes(&q));
    ASSERT_EQ(kg_qmodel_infer(&q, in.data(), ref.data(), nullptr), KGML_OK);
    EXPECT_EQ(run_locked(m, W, nullptr, in, rng), ref);
  }
  kgm_model_free(&m);
  kg_qmodel_free(&q);
}

TEST(Lock, RandomNonceAndKcv) {
  kg_qmodel q;
  make_qmodel(&q, 3);
  const kg_keys keys = make_keys(4, 4, 16, 1);
  const kglock_opts o = opts_for(keys, 4, 4, KGM_CRYPT_CTR, 1, nullptr);
  kgm_model a, b;
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kglock_model(&q, &o, &a, d), KG_OK) << d;
  ASSERT_EQ(kglock_model(&q, &o, &b, d), KG_OK) << d;
  EXPECT_NE(0, std::memcmp(a.nonce, b.nonce, 12));
  EXPECT_NE(0, std::memcmp(a.kcv, b.kcv, 8));
  EXPECT_NE(0, std::memcmp(a.wimg, b.wimg, a.wimg_len));  // CTR: new nonce, new keystream
  kg_aes_key ak;
  ASSERT_EQ(kg_aes_key_init(&ak, keys.aes_key, 16), KG_AES_OK);
  uint8_t kcv[8];
  kg_kcv(&ak, a.nonce, kcv);
  EXPECT_EQ(0, std::memcmp(kcv, a.kcv, 8));
  kgm_model_free(&a);
  kgm_model_free(&b);
  kg_qmodel_free(&q);
}

TEST(Lock, RejectsBadOptions) {
  kg_qmodel q;
  make_qmodel(&q, 3);
  kg_keys keys = make_keys(4, 4, 16, 1);
  kgm_model m;
  char d[KG_DETAIL_LEN];
  kglock_opts o = opts_for(keys, 4, 4, KGM_CRYPT_CTR, 1, fixed_nonce());
  o.rows = 3;
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  o.rows = 64;
  o.cols = 32;  // 2048 PEs
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  o = opts_for(keys, 8, 8, KGM_CRYPT_CTR, 1, fixed_nonce());  // 16-bit key for 64 PEs
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  o = opts_for(keys, 4, 4, 3, 0, fixed_nonce());
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  keys.aes_len = 0;
  o = opts_for(keys, 4, 4, KGM_CRYPT_DEEPLOCK, 0, fixed_nonce());
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  o.keys = nullptr;
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  EXPECT_EQ(m.layers, nullptr);
  keys.aes_len = 16;
  o = opts_for(keys, 4, 4, KGM_CRYPT_CTR, 1, fixed_nonce());
  q.layers[1].W[0] = -128;  // cannot be negated
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_LAYER);
  q.layers[1].W[0] = 1;
  q.layers[1].K = 44;  // no longer the conv's output
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_LAYER);
  q.layers[1].K = 45;
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
  kgm_model_free(&m);
  EXPECT_EQ(kglock_model(nullptr, &o, &m, d), KG_E_INVAL);
  kg_qmodel_free(&q);
}
