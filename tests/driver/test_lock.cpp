// kglock: the locked image decrypts and unfolds back to the original tiles,
// its padding is random (version 2), and a locked model run through the C
// reference with its effective sign key matches kg_qmodel_infer of the
// unlocked model bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "test_kgm_util.h"

extern "C" {
#include "kg_auth.h"
#include "kgmac/ref_layer.h"
}

using namespace kgmtest;

namespace {

// Original W of a .kgq layer laid out with the hardware's K (zero rows for
// the padding bytes of each pixel of an FC-after-conv input).
std::vector<int8_t> hw_layout(const kg_qlayer &Q, uint32_t Khw, const int8_t *src = nullptr) {
  std::vector<int8_t> W((size_t)Khw * Q.N, 0);
  const int8_t *w = src ? src : Q.W;
  const uint32_t c = Q.in_c, cp = (Khw == Q.K) ? c : (c + 15) / 16 * 16;
  for (uint32_t k = 0; k < Q.K; k++) {
    const size_t row = (Khw == Q.K) ? k : (size_t)(k / c) * cp + k % c;
    std::memcpy(&W[row * Q.N], &w[(size_t)k * Q.N], Q.N);
  }
  return W;
}

// The keys a model's weights are locked with: the device keys (version 1),
// or the weight key Ke and the effective sign key Sd ^ Ms derived from the
// device keys and the nonce (version 2, AUTH).
struct LockKeys {
  kg_aes_key weight;
  std::vector<uint8_t> sign;
};

LockKeys lock_keys(const kgm_model &m, const kg_keys &keys) {
  LockKeys k;
  std::memset(&k.weight, 0, sizeof k.weight);
  k.sign.assign(keys.sign_key, keys.sign_key + sizeof keys.sign_key);
  if (m.aes_len == 0) return k;
  kg_aes_key dev;
  EXPECT_EQ(kg_aes_key_init(&dev, keys.aes_key, keys.aes_len), KG_AES_OK);
  uint8_t kcv[8];
  kg_kcv(&dev, m.nonce, kcv);
  EXPECT_EQ(0, std::memcmp(kcv, m.kcv, 8)) << "KCV of the device key";
  if (!(m.flags & KGM_FLAG_AUTH)) {
    k.weight = dev;
    return k;
  }
  kg_model_keys mk;
  EXPECT_EQ(kg_model_keys_derive(&dev, m.nonce, m.rows * m.cols, &mk), KG_AES_OK);
  k.weight = mk.enc;
  kg_model_sign_key(&mk, keys.sign_key, m.rows * m.cols, k.sign.data());
  // The tag over the file's first auth_size bytes, with the tag key.
  uint8_t *buf = nullptr;
  size_t len = 0;
  char d[KG_DETAIL_LEN];
  EXPECT_EQ(kgm_serialize(&m, &buf, &len, d), KG_OK) << d;
  if (buf) {
    uint8_t tag[16];
    EXPECT_EQ(m.auth_size, len - KGM_TAG_SIZE - 4);
    kg_cmac(&mk.mac, buf, len - KGM_TAG_SIZE - 4, tag);
    EXPECT_EQ(0, std::memcmp(tag, m.tag, 16)) << "tag";
    std::free(buf);
  }
  kg_model_keys_wipe(&mk);
  return k;
}

// The clear, sign-locked image of a locked model.
std::vector<uint8_t> clear_image(const kgm_model &m, const kg_keys &keys) {
  std::vector<uint8_t> img(m.wimg, m.wimg + m.wimg_len);
  const LockKeys k = lock_keys(m, keys);
  if (m.crypt != KGM_CRYPT_NONE) {
    EXPECT_EQ(kg_crypt_decrypt((int)m.crypt, &k.weight, m.nonce, 0, img.data(), img.size()),
              KG_AES_OK);
  }
  return img;
}

// Kind of each byte of a layer's weight image: a weight, or padding (rows
// past K, columns past N, tile tails, and for an FC after a convolution the
// rows of each pixel's padding channels).
enum { PAD_NONE = 0, PAD_ROW, PAD_COL, PAD_TAIL, PAD_PIXEL, PAD_KINDS };
const char *const pad_names[PAD_KINDS] = {"weight", "row past K", "column past N", "tile tail",
                                          "pixel padding row"};

std::vector<int> pad_map(const kg_qlayer &Q, uint32_t K, uint32_t N, kg_geom g) {
  const uint32_t KT = (K + g.rows - 1) / g.rows, NT = (N + g.cols - 1) / g.cols;
  const size_t tb = kg_pack_tile_bytes(g);
  const std::vector<int8_t> ones((size_t)Q.K * Q.N, 1);
  const std::vector<int8_t> real = hw_layout(Q, K, ones.data());
  std::vector<int> map((size_t)NT * KT * tb, PAD_TAIL);
  for (uint32_t nt = 0; nt < NT; nt++)
    for (uint32_t kt = 0; kt < KT; kt++)
      for (uint32_t r = 0; r < g.rows; r++)
        for (uint32_t c = 0; c < g.cols; c++) {
          const uint32_t k = kt * g.rows + r, n = nt * g.cols + c;
          map[((size_t)nt * KT + kt) * tb + (size_t)r * g.cols + c] =
              k >= K ? PAD_ROW : n >= N ? PAD_COL : real[(size_t)k * N + n] ? PAD_NONE : PAD_PIXEL;
        }
  return map;
}

using PadBytes = std::vector<std::vector<uint8_t>>;  // [kind] -> clear padding bytes

// The clear, sign-locked weights of every layer (K_hw x N, padding rows as
// 0), and the clear padding bytes by kind in *pad.
std::vector<std::vector<int8_t>> clear_weights(const kgm_model &m, const kg_qmodel &q,
                                               const kg_keys &keys, PadBytes *pad = nullptr) {
  const std::vector<uint8_t> img = clear_image(m, keys);
  const kg_geom g = {m.rows, m.cols};
  const size_t tb = kg_pack_tile_bytes(g);
  std::vector<std::vector<int8_t>> out;
  PadBytes all(PAD_KINDS);
  for (uint32_t l = 0; l < m.n_layers; l++) {
    const kgm_layer &L = m.layers[l];
    const uint32_t KT = (L.K + g.rows - 1) / g.rows;
    const std::vector<int> map = pad_map(q.layers[l], L.K, L.N, g);
    EXPECT_EQ(map.size(), L.w_len);
    std::vector<int8_t> W((size_t)L.K * L.N, 0);
    for (size_t i = 0; i < map.size(); i++) {
      const uint8_t v = img[L.w_off + i];
      if (map[i] != PAD_NONE) {
        all[map[i]].push_back(v);
        continue;
      }
      const size_t t = i / tb, o = i % tb;
      const uint32_t k = (uint32_t)(t % KT) * g.rows + (uint32_t)(o / g.cols);
      const uint32_t n = (uint32_t)(t / KT) * g.cols + (uint32_t)(o % g.cols);
      W[(size_t)k * L.N + n] = (int8_t)v;
    }
    out.push_back(W);
  }
  if (pad) *pad = all;
  return out;
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
// outputs stored with 16-byte pixels whose padding bytes hold junk. In
// version 1 the zero weight rows cancel the junk; in version 2 those rows
// are random and the device's input mask (descriptor IN_MASK) reads the
// padding bytes as 0, which `mask` models.
std::vector<int8_t> run_locked(const kgm_model &m, const std::vector<std::vector<int8_t>> &W,
                               const uint8_t *key_s, const std::vector<int8_t> &in,
                               std::mt19937 &junk, bool mask) {
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
            a[(size_t)p * cp + c] = c < pc ? x[(size_t)p * pc + c]
                                    : mask ? (int8_t)0
                                           : (int8_t)(junk() & 0xFF);
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
  for (uint32_t version : {1u, 2u})
    for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {8, 8}, {4, 8}, {2, 1}})
      for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
        for (uint32_t aes : {16u, 32u})
          for (int sign : {0, 1}) {
            SCOPED_TRACE("v" + std::to_string(version) + " " + std::to_string(g.first) + "x" +
                         std::to_string(g.second) + " " + kgm_crypt_name(crypt) + " aes" +
                         std::to_string(aes) + " sign " + std::to_string(sign));
            const kg_keys keys = make_keys(g.first, g.second, aes, 5 + aes + g.first);
            const kglock_opts o =
                opts_for(keys, g.first, g.second, crypt, sign, fixed_nonce(), version);
            kgm_model m;
            char d[KG_DETAIL_LEN];
            ASSERT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
            const bool auth = version == 2 && (crypt != KGM_CRYPT_NONE || sign);
            EXPECT_EQ(m.version, version);
            EXPECT_EQ(m.flags, (sign ? KGM_FLAG_SIGN : 0u) | (auth ? KGM_FLAG_AUTH : 0u));
            EXPECT_EQ(m.aes_len, crypt || auth ? aes : 0u);
            const kg_geom geom = {g.first, g.second};
            const LockKeys lk = lock_keys(m, keys);  // checks the KCV and the tag
            PadBytes pad;
            const std::vector<std::vector<int8_t>> W = clear_weights(m, q, keys, &pad);
            for (uint32_t l = 0; l < q.n_layers; l++) {
              std::vector<int8_t> w = W[l];
              if (sign) {  // the sign lock is an involution
                ASSERT_EQ(kg_ref_lock_sign(m.layers[l].K, m.layers[l].N, w.data(), lk.sign.data(),
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
            // Padding: zero in version 1 and in an unkeyed model; random
            // (not all zero) in every kind a keyed version-2 model has.
            for (int kind = 1; kind < PAD_KINDS; kind++) {
              const std::vector<uint8_t> &p = pad[kind];
              const size_t zeros = (size_t)std::count(p.begin(), p.end(), 0);
              if (!auth) {
                EXPECT_EQ(zeros, p.size()) << pad_names[kind];
              } else if (p.size() >= 8) {
                EXPECT_LT(zeros, p.size() / 4 + 1) << pad_names[kind];
              }
            }
            // The encrypted image differs from the clear one.
            if (crypt != KGM_CRYPT_NONE) {
              const std::vector<uint8_t> enc(m.wimg, m.wimg + m.wimg_len);
              EXPECT_NE(enc, clear_image(m, keys));
            }
            kgm_model_free(&m);
          }
  kg_qmodel_free(&q);
}

// Two locks of the same model with the same keys and nonce: every weight
// byte is the same, and the padding bytes of every kind differ (no
// padding byte is predictable from the format).
TEST(Lock, PaddingBytesDifferBetweenLocks) {
  kg_qmodel q;
  make_qmodel(&q, 12);
  for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {2, 1}, {8, 8}})
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_CTR}) {
      SCOPED_TRACE(std::to_string(g.first) + "x" + std::to_string(g.second) + " " +
                   kgm_crypt_name(crypt));
      const kg_keys keys = make_keys(g.first, g.second, 16, 40 + g.first);
      const kglock_opts o = opts_for(keys, g.first, g.second, crypt, 1, fixed_nonce());
      kgm_model a, b;
      char d[KG_DETAIL_LEN];
      ASSERT_EQ(kglock_model(&q, &o, &a, d), KG_OK) << d;
      ASSERT_EQ(kglock_model(&q, &o, &b, d), KG_OK) << d;
      PadBytes pa, pb;
      EXPECT_EQ(clear_weights(a, q, keys, &pa), clear_weights(b, q, keys, &pb));
      size_t kinds = 0;
      for (int kind = 1; kind < PAD_KINDS; kind++) {
        ASSERT_EQ(pa[kind].size(), pb[kind].size());
        if (pa[kind].empty()) continue;
        kinds++;
        size_t same = 0;
        for (size_t i = 0; i < pa[kind].size(); i++) same += pa[kind][i] == pb[kind][i];
        // Random bytes agree with probability 1/256.
        EXPECT_LE(same, pa[kind].size() / 8 + 1) << pad_names[kind] << ": " << same << " of "
                                                 << pa[kind].size() << " equal";
      }
      EXPECT_GE(kinds, 3u);  // rows past K, columns past N, pixel rows (+ tails at 2x1)
      kgm_model_free(&a);
      kgm_model_free(&b);
    }
  kg_qmodel_free(&q);
}

TEST(Lock, LockedModelMatchesUnlockedInferenceBitExact) {
  kg_qmodel q;
  make_qmodel(&q, 23);
  std::mt19937 rng(99);
  for (uint32_t version : {1u, 2u})
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
      for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {8, 8}}) {
        SCOPED_TRACE("v" + std::to_string(version) + " " + kgm_crypt_name(crypt) + " " +
                     std::to_string(g.first));
        const kg_keys keys = make_keys(g.first, g.second, 24, 77 + g.first);
        const kglock_opts o = opts_for(keys, g.first, g.second, crypt, 1, nullptr, version);
        kgm_model m;
        char d[KG_DETAIL_LEN];
        ASSERT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
        // Through the file format, as a device would get it.
        const std::vector<uint8_t> file = serialize(&m);
        kgm_model_free(&m);
        ASSERT_EQ(parse(file, &m), KG_OK);
        const std::vector<std::vector<int8_t>> W = clear_weights(m, q, keys);
        const std::vector<uint8_t> key_s = lock_keys(m, keys).sign;
        // The device sign key itself is a wrong key for a version-2 model.
        kg_keys wrong = keys;
        wrong.sign_key[0] ^= 0x01;
        const std::vector<uint8_t> wrong_s =
            version == 2 ? std::vector<uint8_t>(keys.sign_key, keys.sign_key + 128)
                         : std::vector<uint8_t>(wrong.sign_key, wrong.sign_key + 128);
        int differ = 0, nonzero = 0;
        for (int t = 0; t < 40; t++) {
          std::vector<int8_t> in(kg_qmodel_input_size(&q));
          for (auto &v : in) v = (int8_t)(rng() & 0xFF);
          std::vector<int8_t> ref(kg_qmodel_classes(&q));
          ASSERT_EQ(kg_qmodel_infer(&q, in.data(), ref.data(), nullptr), KGML_OK);
          EXPECT_EQ(run_locked(m, W, key_s.data(), in, rng, version == 2), ref) << "input " << t;
          for (int8_t v : ref) nonzero += v != 0 && v != 127 && v != -128;
          differ += run_locked(m, W, wrong_s.data(), in, rng, version == 2) != ref;
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
  EXPECT_EQ(m.version, (uint32_t)KGM_VERSION);
  EXPECT_EQ(m.crypt, (uint32_t)KGM_CRYPT_NONE);
  EXPECT_EQ(m.aes_len, 0u);
  const uint8_t zero[12] = {0};
  EXPECT_EQ(0, std::memcmp(m.nonce, zero, 12));
  kg_keys none;
  std::memset(&none, 0, sizeof none);
  const std::vector<std::vector<int8_t>> W = clear_weights(m, q, none);
  std::mt19937 rng(5);
  for (int t = 0; t < 10; t++) {
    std::vector<int8_t> in(kg_qmodel_input_size(&q));
    for (auto &v : in) v = (int8_t)(rng() & 0xFF);
    std::vector<int8_t> ref(kg_qmodel_classes(&q));
    ASSERT_EQ(kg_qmodel_infer(&q, in.data(), ref.data(), nullptr), KGML_OK);
    EXPECT_EQ(run_locked(m, W, nullptr, in, rng, false), ref);
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
  EXPECT_NE(0, std::memcmp(a.tag, b.tag, 16));
  EXPECT_NE(0, std::memcmp(a.wimg, b.wimg, a.wimg_len));  // CTR: new nonce, new keys
  kg_aes_key ak;
  ASSERT_EQ(kg_aes_key_init(&ak, keys.aes_key, 16), KG_AES_OK);
  uint8_t kcv[8];
  kg_kcv(&ak, a.nonce, kcv);
  EXPECT_EQ(0, std::memcmp(kcv, a.kcv, 8));  // the KCV is of the device key
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
  o = opts_for(keys, 4, 4, KGM_CRYPT_CTR, 1, fixed_nonce(), 3);  // no format version 3
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  keys.aes_len = 0;
  o = opts_for(keys, 4, 4, KGM_CRYPT_DEEPLOCK, 0, fixed_nonce());
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  // Version 2 derives a sign-only model's keys from the AES key too.
  o = opts_for(keys, 4, 4, KGM_CRYPT_NONE, 1, fixed_nonce());
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_E_INVAL);
  o.version = 1;  // version 1 signs with the device sign key alone
  EXPECT_EQ(kglock_model(&q, &o, &m, d), KG_OK) << d;
  kgm_model_free(&m);
  o = opts_for(keys, 4, 4, KGM_CRYPT_DEEPLOCK, 0, fixed_nonce());
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
