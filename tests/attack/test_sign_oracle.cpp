// sign-oracle: a 4x4 device that runs version-1 layers with its device keys
// (POLICY.LEGACY) gives its sign key up to one crafted layer (on the RTL and
// on the functional model); a strict device refuses the layer, or under the
// run policy withholds the key. A sign-only model gives its effective key up
// to chosen inputs, and to a crafted layer written over its authenticated
// image after VERIFY; an encrypted model's image gives nothing.
#include <gtest/gtest.h>

#include "test_kgm_util.h"

extern "C" {
#include "kg_auth.h"
#include "kgattack/attack.h"
#include "kgmac/kgmac.h"
}

using namespace kgmtest;

namespace {

// The victim: a device provisioned with his keys (the attack never sees them).
kg_dev *victim_device(const char *backend, const kg_keys &keys, uint32_t legacy = 0,
                      uint32_t policy = KG_KEY_POLICY_REFUSE) {
  kg_open_opts o;
  std::memset(&o, 0, sizeof o);
  if (std::strcmp(backend, "model") == 0) o.rows = o.cols = 4;
  kg_dev *dev = nullptr;
  char err[KG_DETAIL_LEN] = "";
  EXPECT_EQ(kg_open(&dev, backend, &o, err), KG_OK) << err;
  if (!dev) return nullptr;
  kg_keys k = keys;
  k.policy = policy;
  k.legacy = legacy;
  EXPECT_EQ(kg_keys_provision(dev, &k, 0), KG_OK);
  return dev;
}

uint32_t bits_correct(const kga_sign_result &r, const uint8_t *truth) {
  uint32_t ok = 0;
  for (uint32_t b = 0; b < r.bits; b++)
    ok += ((r.key[b / 8] ^ truth[b / 8]) >> (b % 8) & 1u) == 0;
  return ok;
}
uint32_t bits_correct(const kga_sign_result &r, const kg_keys &truth) {
  return bits_correct(r, truth.sign_key);
}

// The effective sign key of a version-2 model: Sd ^ Ms (docs/spec.md 11.1).
std::vector<uint8_t> effective_key(const kg_keys &keys, const uint8_t nonce[12], uint32_t bits) {
  kg_aes_key dk;
  kg_model_keys mk;
  EXPECT_EQ(KG_AES_OK, kg_aes_key_init(&dk, keys.aes_key, keys.aes_len));
  EXPECT_EQ(KG_AES_OK, kg_model_keys_derive(&dk, nonce, bits, &mk));
  std::vector<uint8_t> eff(128, 0);
  kg_model_sign_key(&mk, keys.sign_key, bits, eff.data());
  return eff;
}

}  // namespace

TEST(SignOracle, CraftedLayerReadsEveryBit) {
  std::vector<const char *> backends = {"model"};
  if (KG_TEST_RTL_ROWS == 4 && KG_TEST_RTL_COLS == 4) backends.push_back("rtl");
  for (const char *be : backends)
    for (uint32_t seed : {3u, 4u}) {
      const kg_keys keys = make_keys(4, 4, 16, seed);
      kg_dev *dev = victim_device(be, keys, 1);
      ASSERT_NE(dev, nullptr);
      kga_sign_result r;
      char d[KGA_DETAIL_LEN] = "";
      ASSERT_EQ(kga_sign_oracle_crafted(dev, nullptr, &r, d), KG_OK) << be << ": " << d;
      EXPECT_TRUE(r.success) << r.reason;
      EXPECT_EQ(r.bits, 16u);
      EXPECT_EQ(r.bits_decided, 16u);
      EXPECT_EQ(r.queries, 1u);
      EXPECT_EQ(bits_correct(r, keys), 16u) << be;
      kg_close(dev);
    }
}

TEST(SignOracle, CraftedLayerNeedsTheKeyInTheVault) {
  kg_open_opts o;
  std::memset(&o, 0, sizeof o);
  o.rows = o.cols = 4;
  kg_dev *dev = nullptr;
  ASSERT_EQ(kg_open(&dev, "model", &o, nullptr), KG_OK);
  kga_sign_result r;
  char d[KGA_DETAIL_LEN] = "";
  ASSERT_EQ(kga_sign_oracle_crafted(dev, nullptr, &r, d), KG_OK) << d;
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.bits_decided, 0u);
  EXPECT_NE(std::strstr(r.reason, "refused"), nullptr) << r.reason;
  kg_close(dev);
}

// The default device (POLICY.LEGACY = 0): the crafted layer is not part of an
// authenticated model. Under refuse the device refuses it; under run it runs
// with the sign key withheld, so every output is +1 and the "key" read is all
// zero: no better than a guess.
TEST(SignOracle, StrictDeviceRefusesOrWithholds) {
  std::vector<const char *> backends = {"model"};
  if (KG_TEST_RTL_ROWS == 4 && KG_TEST_RTL_COLS == 4) backends.push_back("rtl");
  for (const char *be : backends) {
    const kg_keys keys = make_keys(4, 4, 16, 21);
    kg_dev *dev = victim_device(be, keys, 0, KG_KEY_POLICY_REFUSE);
    ASSERT_NE(dev, nullptr);
    kga_sign_result r;
    char d[KGA_DETAIL_LEN] = "";
    ASSERT_EQ(kga_sign_oracle_crafted(dev, nullptr, &r, d), KG_OK) << be << ": " << d;
    EXPECT_FALSE(r.success) << be;
    EXPECT_EQ(r.bits_decided, 0u) << be;
    EXPECT_NE(std::strstr(r.reason, "refused"), nullptr) << r.reason;
    kg_close(dev);
    dev = victim_device(be, keys, 0, KG_KEY_POLICY_RUN);
    ASSERT_NE(dev, nullptr);
    ASSERT_EQ(kga_sign_oracle_crafted(dev, nullptr, &r, d), KG_OK) << be << ": " << d;
    const uint8_t zero[128] = {0};
    EXPECT_EQ(0, std::memcmp(r.key, zero, 2)) << be << ": the key must be withheld";
    EXPECT_EQ(bits_correct(r, zero), 16u);
    EXPECT_LT(bits_correct(r, keys), 16u) << be;
    kg_close(dev);
  }
}

// The victim's sign-only model (conv -> FC after conv -> FC, 4x4, crypt
// none) loaded on his provisioned device; the attacker holds the file.
struct SignOnlyVictim {
  kg_keys keys = make_keys(4, 4, 16, 12);
  kgm_model m;
  std::vector<uint8_t> file, eff;
  kg_dev *dev = nullptr;
  kg_model *victim = nullptr;
  explicit SignOnlyVictim(uint32_t crypt = KGM_CRYPT_NONE) {
    std::memset(&m, 0, sizeof m);
    kg_qmodel q;
    make_qmodel(&q, 11);
    const kglock_opts lo = opts_for(keys, 4, 4, crypt, 1, nullptr);
    char d[KG_DETAIL_LEN] = "";
    EXPECT_EQ(kglock_model(&q, &lo, &m, d), KG_OK) << d;
    kg_qmodel_free(&q);
    file = serialize(&m);
    eff = effective_key(keys, m.nonce, 16);
    dev = victim_device("model", keys);
    if (dev) {
      EXPECT_EQ(kg_model_load_buffer(dev, file.data(), file.size(), &victim), KG_OK);
    }
  }
  ~SignOnlyVictim() {
    kg_model_free(victim);
    kg_close(dev);
    kgm_model_free(&m);
  }
  // Device outputs vs the host simulation of the file under key_s, 8 inputs.
  void expect_same_outputs(const uint8_t *key_s) {
    std::vector<int8_t> in(kga_model_input_size(&m) * 8), a(kga_model_output_size(&m) * 8),
        b(a.size());
    for (size_t i = 0; i < in.size(); i++) in[i] = (int8_t)((i * 37) % 128);
    char d[KGA_DETAIL_LEN] = "";
    ASSERT_EQ(kg_infer(victim, in.data(), 8, a.data()), KG_OK);
    ASSERT_EQ(kga_model_forward(&m, key_s, in.data(), 8, b.data(), d), KG_OK) << d;
    EXPECT_EQ(a, b);
  }
};

// The attacks' host simulation is bit-exact with the device (conv, FC after
// conv with stride rows, FC) under the right key.
TEST(SignOracle, HostForwardMatchesDevice) {
  SignOnlyVictim v;
  ASSERT_NE(v.victim, nullptr);
  v.expect_same_outputs(v.eff.data());
}

TEST(SignOracle, IoOnlyRecoversTheKeyOfASignOnlyModel) {
  SignOnlyVictim v;
  ASSERT_NE(v.victim, nullptr);
  kga_io_opts o = {64, 64, 8, 16, 5};
  kga_sign_result r;
  char d[KGA_DETAIL_LEN] = "";
  ASSERT_EQ(kga_sign_oracle_io(v.victim, &v.m, &o, nullptr, &r, d), KG_OK) << d;
  EXPECT_TRUE(r.success) << r.reason;
  EXPECT_EQ(r.mismatch, 0u);
  EXPECT_EQ(r.queries, 128u) << "64 search inputs + 64 fresh ones";
  // Every bit the queries pin down is right; on this model they pin all 16.
  EXPECT_EQ(r.bits_decided, 16u);
  EXPECT_EQ(bits_correct(r, v.eff.data()), 16u);
  // The recovered key runs the victim's file exactly as his device does.
  v.expect_same_outputs(r.key);
  // An encrypted file is refused: the I/O attack needs the weights in clear.
  v.m.crypt = KGM_CRYPT_CTR;
  EXPECT_EQ(kga_sign_oracle_io(v.victim, &v.m, &o, nullptr, &r, d), KG_E_INVAL);
  v.m.crypt = KGM_CRYPT_NONE;
}

// After VERIFY the image in device memory is not checked again: a crafted
// layer written over a sign-only model's image reads its effective key (the
// HPNN baseline is no protection), while over an encrypted model's image the
// written bytes decrypt to garbage and no bit can be read.
TEST(SignOracle, ImageRewriteReadsASignOnlyModelOnly) {
  {
    SignOnlyVictim v;
    ASSERT_NE(v.victim, nullptr);
    kga_sign_result r;
    char d[KGA_DETAIL_LEN] = "";
    ASSERT_EQ(kga_sign_oracle_image(v.dev, &v.m, v.file.data(), v.file.size(), nullptr, &r, d),
              KG_OK)
        << d;
    EXPECT_TRUE(r.success) << r.reason;
    EXPECT_EQ(bits_correct(r, v.eff.data()), 16u);
    // The victim's image was restored: his model still runs as before.
    v.expect_same_outputs(v.eff.data());
  }
  for (uint32_t crypt : {KGM_CRYPT_CTR, KGM_CRYPT_DEEPLOCK}) {
    SignOnlyVictim v(crypt);
    ASSERT_NE(v.victim, nullptr);
    kga_sign_result r;
    char d[KGA_DETAIL_LEN] = "";
    ASSERT_EQ(kga_sign_oracle_image(v.dev, &v.m, v.file.data(), v.file.size(), nullptr, &r, d),
              KG_OK)
        << d;
    EXPECT_FALSE(r.success) << kgm_crypt_name(crypt) << ": " << r.reason;
    EXPECT_LT(r.bits_decided, 16u) << kgm_crypt_name(crypt);
  }
}
