// sign-oracle: a 4x4 device that holds a sign key gives it up to one crafted
// layer (on the RTL and on the functional model), and to chosen inputs run
// through a sign-only model.
#include <gtest/gtest.h>

#include "test_kgm_util.h"

extern "C" {
#include "kgattack/attack.h"
#include "kgmac/kgmac.h"
}

using namespace kgmtest;

namespace {

// The victim: a device provisioned with his keys (the attack never sees them).
kg_dev *victim_device(const char *backend, const kg_keys &keys) {
  kg_open_opts o;
  std::memset(&o, 0, sizeof o);
  if (std::strcmp(backend, "model") == 0) o.rows = o.cols = 4;
  kg_dev *dev = nullptr;
  char err[KG_DETAIL_LEN] = "";
  EXPECT_EQ(kg_open(&dev, backend, &o, err), KG_OK) << err;
  if (!dev) return nullptr;
  kg_keys k = keys;
  k.policy = KG_KEY_POLICY_REFUSE;
  EXPECT_EQ(kg_keys_provision(dev, &k, 0), KG_OK);
  return dev;
}

uint32_t bits_correct(const kga_sign_result &r, const kg_keys &truth) {
  uint32_t ok = 0;
  for (uint32_t b = 0; b < r.bits; b++)
    ok += ((r.key[b / 8] ^ truth.sign_key[b / 8]) >> (b % 8) & 1u) == 0;
  return ok;
}

}  // namespace

TEST(SignOracle, CraftedLayerReadsEveryBit) {
  std::vector<const char *> backends = {"model"};
  if (KG_TEST_RTL_ROWS == 4 && KG_TEST_RTL_COLS == 4) backends.push_back("rtl");
  for (const char *be : backends)
    for (uint32_t seed : {3u, 4u}) {
      const kg_keys keys = make_keys(4, 4, 16, seed);
      kg_dev *dev = victim_device(be, keys);
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
  EXPECT_EQ(kga_sign_oracle_crafted(dev, nullptr, &r, d), KG_E_NOKEY) << d;
  kg_close(dev);
}

// The victim's sign-only model (conv -> FC after conv -> FC, 4x4, crypt
// none) loaded on his provisioned device; the attacker holds the file.
struct SignOnlyVictim {
  kg_keys keys = make_keys(4, 4, 16, 12);
  kgm_model m;
  kg_dev *dev = nullptr;
  kg_model *victim = nullptr;
  SignOnlyVictim() {
    std::memset(&m, 0, sizeof m);
    kg_qmodel q;
    make_qmodel(&q, 11);
    const kglock_opts lo = opts_for(keys, 4, 4, KGM_CRYPT_NONE, 1, nullptr);
    char d[KG_DETAIL_LEN] = "";
    EXPECT_EQ(kglock_model(&q, &lo, &m, d), KG_OK) << d;
    kg_qmodel_free(&q);
    const std::vector<uint8_t> file = serialize(&m);
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
  v.expect_same_outputs(v.keys.sign_key);
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
  EXPECT_EQ(bits_correct(r, v.keys), 16u);
  // The recovered key runs the victim's file exactly as his device does.
  v.expect_same_outputs(r.key);
  // An encrypted file is refused: the I/O attack needs the weights in clear.
  v.m.crypt = KGM_CRYPT_CTR;
  EXPECT_EQ(kga_sign_oracle_io(v.victim, &v.m, &o, nullptr, &r, d), KG_E_INVAL);
  v.m.crypt = KGM_CRYPT_NONE;
}
