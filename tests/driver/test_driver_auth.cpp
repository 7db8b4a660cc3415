// libkgmac and authenticated models (.kgm version 2, docs/spec.md 11.1,
// docs/driver.md "Keys and authentication"): a tampered file, layers
// spliced between two models and a model locked for another device key are
// refused (KG_E_AUTH / KG_E_WRONG_KEY) under refuse and lockout; under run
// the device withholds the keys; a version-1 file is refused unless the
// device was provisioned with POLICY.LEGACY.
#include <gtest/gtest.h>

#include <string>

#include "test_driver_util.h"
#include "test_kgm_util.h"

namespace {

using kgd::Dev;
using kgd::KgmModel;
using kgd::Model;
using kgd::QModel;
using kgmtest::fix_crc;
using kgmtest::rd32;
using kgmtest::wr;

constexpr size_t H_FLAGS = 8, H_CRYPT = 20, H_AESLEN = 21, H_NONCE = 24, H_KCV = 36,
                 H_IN_SCALE = 56, H_IN_ZERO = 60, H_NLAYERS = 64, H_LT = 68, H_P_OFF = 72,
                 H_W_OFF = 80, H_W_LEN = 84, H_AUTH = 88;

using kgd::conv_conv_fc;
using kgd::fc_fc;

class DriverAuth : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    dev = kgd::open_device(GetParam(), nullptr, &R, &C);
    ASSERT_TRUE(dev);
    keys = kgd::random_keys(rng, 16, R, C);
    for (auto& b : nonce) b = uint8_t(rng());
    if (!kgd::has_auth(dev.get(), keys))
      GTEST_SKIP() << GetParam() << " has no POLICY.LEGACY (no VERIFY) in this build";
    ASSERT_EQ(KG_OK, provision(keys));
  }
  int provision(const kg_keys& k, uint32_t policy = KG_KEY_POLICY_REFUSE, uint32_t legacy = 0,
                uint32_t threshold = 3) {
    kg_keys kk = k;
    kk.policy = policy;
    kk.legacy = legacy;
    kk.threshold = threshold;
    return kg_keys_provision(dev.get(), &kk, 0);
  }
  std::vector<uint8_t> lock(const kg_qmodel& q, uint32_t crypt, bool sign, const kg_keys& k,
                            const uint8_t* n, uint32_t version = KGM_VERSION) {
    KgmModel km;
    kgd::test_lock(q, R, C, crypt, sign, k, n, &km.m, version, rng());
    return kgd::serialize(km.m);
  }
  Model load(const std::vector<uint8_t>& file, int want = KG_OK) {
    return kgd::load_model(dev.get(), file, want);
  }
  std::vector<int8_t> infer(kg_model* m, const std::vector<int8_t>& in, uint32_t n) {
    return kgd::infer_ok(dev.get(), m, in, n);
  }

  Dev dev;
  uint32_t R = 0, C = 0;
  std::mt19937_64 rng{4242};
  kg_keys keys{};
  uint8_t nonce[12]{};
};

// One change to a version-2 file, CRC fixed so that only the tag (or, for
// the nonce and KCV, the key check) can catch it.
struct Tamper {
  std::string what;
  size_t off;
  uint8_t xor_mask;
  int want;
};

std::vector<Tamper> tampers(const std::vector<uint8_t>& f) {
  const size_t lt = rd32(f, H_LT), p = rd32(f, H_P_OFF), w = rd32(f, H_W_OFF);
  const size_t wl = rd32(f, H_W_LEN), auth = rd32(f, H_AUTH);
  return {
      {"flags: SIGN cleared", H_FLAGS, 0x01, KG_E_AUTH},
      {"flags: an optional bit", H_FLAGS + 2, 0x01, KG_E_AUTH},
      {"crypt: CTR -> Deep-Lock", H_CRYPT, 0x03, KG_E_AUTH},
      {"aes_len: 16 -> 24", H_AESLEN, 0x08, KG_E_AUTH},
      {"nonce", H_NONCE + 5, 0x10, KG_E_WRONG_KEY},
      {"kcv", H_KCV + 7, 0x01, KG_E_WRONG_KEY},
      {"in_scale", H_IN_SCALE, 0x01, KG_E_AUTH},
      {"in_zero", H_IN_ZERO, 0x01, KG_E_AUTH},
      {"n_layers: 3 -> 2", H_NLAYERS, 0x01, KG_E_AUTH},
      {"layer 0 relu", lt + 1, 0x01, KG_E_AUTH},
      {"layer 2 out_scale", lt + 2 * 64 + 52, 0x01, KG_E_AUTH},
      {"layer 1 parameter: bias", p + 16 * 5, 0x04, KG_E_AUTH},
      {"layer 2 parameter: mult", p + 16 * (5 + 12) + 4, 0x01, KG_E_AUTH},
      {"first weight byte", w, 0x01, KG_E_AUTH},
      {"last weight byte (padding)", w + wl - 1, 0x80, KG_E_AUTH},
      {"tag", auth + 3, 0x01, KG_E_AUTH},
  };
}

TEST_P(DriverAuth, TamperedFilesAreRefused) {
  EXPECT_STREQ(kg_strerror(KG_E_AUTH),
               "model authentication failed: the file was modified, or it was locked for "
               "another device key");
  QModel q;
  conv_conv_fc(rng, &q.q);
  const auto f0 = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce);
  {
    Model m = load(f0);  // the untouched file loads and runs exactly
    ASSERT_TRUE(m);
    EXPECT_EQ(1, kg_model_key_ok(m.get()));
    kg_model_info mi{};
    ASSERT_EQ(KG_OK, kg_model_query(m.get(), &mi));
    EXPECT_EQ(2u, mi.version);
    EXPECT_EQ(1u, mi.auth);
    const auto in = kgd::random_input(rng, 4 * (size_t)mi.input_size);
    EXPECT_EQ(kgd::reference(q.q, in, 4), infer(m.get(), in, 4));
  }
  for (const Tamper& t : tampers(f0)) {
    SCOPED_TRACE(t.what);
    std::vector<uint8_t> f = f0;
    f[t.off] ^= t.xor_mask;
    fix_crc(f);
    ASSERT_EQ(KG_OK, kgmtest::parse(f)) << "the change must leave a valid file";
    ASSERT_EQ(KG_OK, provision(keys));  // no lockout across the cases
    load(f, t.want);
    const std::string e = kg_last_error(dev.get());
    if (t.want == KG_E_AUTH) {
      EXPECT_NE(std::string::npos, e.find("file's tag")) << e;
    }
  }
}

// Lockout: each failed VERIFY counts; the one that reaches the threshold
// locks the vault out, and then every keyed load is refused.
TEST_P(DriverAuth, FailedVerifiesLockOut) {
  QModel q;
  fc_fc(rng, &q.q);
  auto f = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce);
  const size_t tag = rd32(f, H_AUTH);
  f[tag] ^= 0x40;
  fix_crc(f);
  ASSERT_EQ(KG_OK, provision(keys, KG_KEY_POLICY_LOCKOUT, 0, 2));
  load(f, KG_E_AUTH);
  load(f, KG_E_AUTH);
  EXPECT_NE(std::string::npos, std::string(kg_last_error(dev.get())).find("locked out"));
  f[tag] ^= 0x40;  // the genuine file now meets the lockout
  fix_crc(f);
  load(f, KG_E_LOCKED_OUT);
  ASSERT_EQ(KG_OK, kg_keys_zeroize(dev.get()));
  ASSERT_EQ(KG_OK, provision(keys, KG_KEY_POLICY_LOCKOUT, 0, 2));
  Model m = load(f);
  ASSERT_TRUE(m);
}

// Under run a model that fails VERIFY loads, and its layers run with the
// keys withheld: no decryption and an all-zero sign key, i.e. exactly the
// stored bytes as weights, as an unlocked model made of them computes.
TEST_P(DriverAuth, RunPolicyWithholdsTheKeys) {
  QModel q;
  fc_fc(rng, &q.q);
  auto f = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce);
  f[rd32(f, H_AUTH) + 9] ^= 0x02;  // tag only: the layers are intact
  fix_crc(f);
  ASSERT_EQ(KG_OK, provision(keys, KG_KEY_POLICY_RUN));
  Model m = load(f);
  ASSERT_TRUE(m);
  EXPECT_EQ(0, kg_model_key_ok(m.get()));
  // The same bytes as an unlocked model.
  KgmModel plain;
  ASSERT_EQ(KG_OK, kgmtest::parse(f, &plain.m));
  plain.m.flags = 0;
  plain.m.crypt = KGM_CRYPT_NONE;
  plain.m.aes_len = 0;
  std::memset(plain.m.nonce, 0, sizeof plain.m.nonce);
  std::memset(plain.m.kcv, 0, sizeof plain.m.kcv);
  std::memset(plain.m.tag, 0, sizeof plain.m.tag);
  Model p = load(kgd::serialize(plain.m));
  ASSERT_TRUE(p);
  const auto in = kgd::random_input(rng, 8 * (size_t)kg_qmodel_input_size(&q.q));
  const auto withheld = infer(m.get(), in, 8);
  EXPECT_EQ(infer(p.get(), in, 8), withheld);
  const auto ref = kgd::reference(q.q, in, 8);
  size_t differ = 0;
  for (size_t i = 0; i < ref.size(); i++) differ += ref[i] != withheld[i];
  EXPECT_GT(differ, ref.size() / 2);
  // The genuine file on the same device runs exactly; the tampered one
  // afterwards is verified again, and again withheld.
  f[rd32(f, H_AUTH) + 9] ^= 0x02;
  fix_crc(f);
  Model g = load(f);
  ASSERT_TRUE(g);
  EXPECT_EQ(ref, infer(g.get(), in, 8));
  EXPECT_EQ(withheld, infer(m.get(), in, 8));
  EXPECT_EQ(ref, infer(g.get(), in, 8));
}

// Two models under the same device keys, different nonces: moving one's
// weights or parameters into the other fails its tag.
TEST_P(DriverAuth, LayersSplicedBetweenModelsAreRefused) {
  QModel q;
  fc_fc(rng, &q.q);
  const auto a = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce);
  uint8_t n2[12];
  for (auto& b : n2) b = uint8_t(rng());
  QModel q2;
  fc_fc(rng, &q2.q);
  const auto b = lock(q2.q, KGM_CRYPT_CTR, true, keys, n2);
  ASSERT_EQ(a.size(), b.size());
  const size_t p = rd32(a, H_P_OFF), w = rd32(a, H_W_OFF), auth = rd32(a, H_AUTH);
  std::vector<uint8_t> s = a;  // a's header and layers, b's weights
  std::copy(b.begin() + (long)w, b.begin() + (long)auth, s.begin() + (long)w);
  fix_crc(s);
  load(s, KG_E_AUTH);
  s = a;  // b's second layer (its weights and parameters)
  const size_t lt = rd32(a, H_LT);
  const size_t w1 = w + rd32(a, lt + 64 + 40), w1l = rd32(a, lt + 64 + 44);
  std::copy(b.begin() + (long)w1, b.begin() + (long)(w1 + w1l), s.begin() + (long)w1);
  const size_t p1 = p + rd32(a, lt + 64 + 48);
  std::copy(b.begin() + (long)p1, b.begin() + (long)(p1 + 16 * 10), s.begin() + (long)p1);
  fix_crc(s);
  load(s, KG_E_AUTH);
  // Both genuine models load and run side by side.
  Model ma = load(a), mb = load(b);
  ASSERT_TRUE(ma && mb);
  const auto in = kgd::random_input(rng, 3 * (size_t)kg_qmodel_input_size(&q.q));
  for (int round = 0; round < 2; round++) {
    EXPECT_EQ(kgd::reference(q.q, in, 3), infer(ma.get(), in, 3));
    EXPECT_EQ(kgd::reference(q2.q, in, 3), infer(mb.get(), in, 3));
  }
}

// A model locked for another device key: its KCV fails (the existing wrong
// key error); with the nonce and KCV of a genuine model copied in, the key
// check passes and the tag fails.
TEST_P(DriverAuth, ModelForAnotherDeviceKeyIsRefused) {
  QModel q;
  fc_fc(rng, &q.q);
  const kg_keys other = kgd::random_keys(rng, 16, R, C);
  auto f = lock(q.q, KGM_CRYPT_CTR, true, other, nonce);
  load(f, KG_E_WRONG_KEY);
  const auto genuine = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce);
  std::copy(genuine.begin() + H_NONCE, genuine.begin() + H_KCV + 8, f.begin() + H_NONCE);
  fix_crc(f);
  load(f, KG_E_AUTH);
  // Same AES key, another sign key: the tag passes (it is keyed by the AES
  // key), the effective sign key differs, so the outputs are wrong.
  kg_keys sign_only = keys;
  for (uint32_t i = 0; i < (R * C + 7) / 8; i++) sign_only.sign_key[i] ^= 0xA5;
  if (R * C % 8) sign_only.sign_key[R * C / 8] &= uint8_t((1u << (R * C % 8)) - 1);
  Model m = load(lock(q.q, KGM_CRYPT_CTR, true, sign_only, nonce));
  ASSERT_TRUE(m);
  const auto in = kgd::random_input(rng, 8 * (size_t)kg_qmodel_input_size(&q.q));
  const auto ref = kgd::reference(q.q, in, 8), out = infer(m.get(), in, 8);
  size_t differ = 0;
  for (size_t i = 0; i < ref.size(); i++) differ += ref[i] != out[i];
  EXPECT_GT(differ, ref.size() / 2);
}

// Version 1: refused up front while POLICY.LEGACY = 0, exact under LEGACY = 1.
TEST_P(DriverAuth, Version1NeedsLegacy) {
  QModel q;
  fc_fc(rng, &q.q);
  const auto v1 = lock(q.q, KGM_CRYPT_CTR, true, keys, nonce, 1);
  load(v1, KG_E_UNAUTH);
  EXPECT_NE(std::string::npos, std::string(kg_last_error(dev.get())).find("POLICY.LEGACY = 0"));
  // An unkeyed version-1 file needs no authentication.
  load(lock(q.q, KGM_CRYPT_NONE, false, keys, nonce, 1));
  ASSERT_EQ(KG_OK, provision(keys, KG_KEY_POLICY_REFUSE, 1));
  Model m = load(v1);
  ASSERT_TRUE(m);
  kg_model_info mi{};
  ASSERT_EQ(KG_OK, kg_model_query(m.get(), &mi));
  EXPECT_EQ(1u, mi.version);
  EXPECT_EQ(0u, mi.auth);
  const auto in = kgd::random_input(rng, 5 * (size_t)mi.input_size);
  EXPECT_EQ(kgd::reference(q.q, in, 5), infer(m.get(), in, 5));
  // A version-2 model runs on the legacy device too, alternating with it.
  Model m2 = load(lock(q.q, KGM_CRYPT_DEEPLOCK, true, keys, nonce));
  ASSERT_TRUE(m2);
  EXPECT_EQ(kgd::reference(q.q, in, 5), infer(m2.get(), in, 5));
  EXPECT_EQ(kgd::reference(q.q, in, 5), infer(m.get(), in, 5));
}

// Freeing the authenticated model ends its authentication: a version-1
// model loaded into the same memory afterwards (same layout, same crypt and
// SIGN, so its layers would look bound to the freed image) runs with the
// device keys, exactly.
TEST_P(DriverAuth, FreedModelLeavesNoBoundLayers) {
  QModel q;
  fc_fc(rng, &q.q);
  ASSERT_EQ(KG_OK, provision(keys, KG_KEY_POLICY_REFUSE, 1));
  const auto in = kgd::random_input(rng, 4 * (size_t)kg_qmodel_input_size(&q.q));
  const auto ref = kgd::reference(q.q, in, 4);
  {
    Model a = load(lock(q.q, KGM_CRYPT_NONE, true, keys, nonce));
    ASSERT_TRUE(a);
    EXPECT_EQ(ref, infer(a.get(), in, 4));
  }
  Model b = load(lock(q.q, KGM_CRYPT_NONE, true, keys, nonce, 1));
  ASSERT_TRUE(b);
  EXPECT_EQ(ref, infer(b.get(), in, 4));
}

std::string name(const ::testing::TestParamInfo<const char*>& i) { return i.param; }
INSTANTIATE_TEST_SUITE_P(Backends, DriverAuth, ::testing::Values("model", "rtl"), name);

}  // namespace
