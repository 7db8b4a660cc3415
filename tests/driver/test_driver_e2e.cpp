// libkgmac end to end on both back-ends ("rtl": the Verilated kg_top;
// "model": the functional C model): keys -> locked .kgm -> kg_open ->
// kg_keys_provision -> kg_model_load_buffer -> kg_infer, checked bit for bit
// against kg_qmodel_infer (host/ml, the unlocked reference), plus the
// wrong-key policies, perf counters and batching.
#include <gtest/gtest.h>

#include "test_driver_util.h"
#include "test_kgm_util.h"

extern "C" {
#include "kgmac/keyfile.h"
#include "kgmac/lock.h"
}

namespace {

using kgd::Dev;
using kgd::KgmModel;
using kgd::LayerSpec;
using kgd::Model;
using kgd::QModel;

constexpr uint32_t kImages = 20;

using kgd::conv_conv_fc;
using kgd::fc_fc;

// Back-end and .kgm format version: version 2 (authenticated, the default)
// on a device with POLICY.LEGACY = 0, version 1 (device keys directly) on
// one provisioned with LEGACY = 1.
struct E2EParam {
  const char* backend;
  uint32_t version;
};

class DriverE2E : public ::testing::TestWithParam<E2EParam> {
 protected:
  void SetUp() override {
    reopen(nullptr);
    if (HasFatalFailure()) return;
    // A device without register map 2.0's LEGACY (and VERIFY) cannot run
    // either kind of keyed model under this driver.
    if (!kgd::has_auth(dev.get(), keys))
      GTEST_SKIP() << backend() << " has no POLICY.LEGACY (no VERIFY) in this build";
    reopen(nullptr);
  }
  const char* backend() const { return GetParam().backend; }
  uint32_t version() const { return GetParam().version; }
  void reopen(const kg_open_opts* o) {
    dev.reset();
    dev = kgd::open_device(backend(), o, &R, &C);
    ASSERT_TRUE(dev);
    keys = kgd::random_keys(rng, 16, R, C);
    for (auto& b : nonce) b = uint8_t(rng());
  }
  std::vector<uint8_t> lock(const kg_qmodel& q, uint32_t crypt, bool sign, const kg_keys& k) {
    KgmModel km;
    kgd::test_lock(q, R, C, crypt, sign, k, nonce, &km.m, version(), rng());
    return kgd::serialize(km.m);
  }
  Model load(const std::vector<uint8_t>& file, int want = KG_OK) {
    return kgd::load_model(dev.get(), file, want);
  }
  std::vector<int8_t> infer(kg_model* m, const std::vector<int8_t>& in, uint32_t n) {
    return kgd::infer_ok(dev.get(), m, in, n);
  }
  // Load q locked per (crypt, sign), run kImages random inputs, compare.
  void run_exact(const kg_qmodel& q, uint32_t crypt, bool sign) {
    SCOPED_TRACE(std::string("crypt ") + kgm_crypt_name(crypt) + (sign ? " sign" : ""));
    Model m = load(lock(q, crypt, sign, keys));
    ASSERT_TRUE(m);
    EXPECT_EQ(1, kg_model_key_ok(m.get()));
    kg_model_info mi{};
    ASSERT_EQ(KG_OK, kg_model_query(m.get(), &mi));
    EXPECT_EQ(kg_qmodel_input_size(&q), mi.input_size);
    EXPECT_EQ(kg_qmodel_classes(&q), mi.output_size);
    EXPECT_EQ(crypt, mi.crypt);
    EXPECT_EQ(sign ? 1u : 0u, mi.sign);
    const auto in = kgd::random_input(rng, (size_t)kImages * mi.input_size);
    EXPECT_EQ(kgd::reference(q, in, kImages), infer(m.get(), in, kImages));
    kg_perf_info p{};
    ASSERT_EQ(KG_OK, kg_perf(m.get(), &p));
    EXPECT_EQ(kImages, p.inferences);
    std::printf("[ perf ] %s v%u %u layers %s%s: %.0f cycles/image (layers", backend(),
                version(), p.n_layers,
                kgm_crypt_name(crypt), sign ? "+sign" : "", double(p.total.cycles) / kImages);
    for (uint32_t l = 0; l < p.n_layers; l++)
      std::printf(" %.0f", double(p.layer[l].cycles) / kImages);
    std::printf("), util %.3f, dec_stall %llu\n", p.total.util,
                (unsigned long long)p.total.dec_stall);
  }
  // Provision k, with LEGACY set for version-1 models.
  int provision(const kg_keys& k, int lock_vault = 0) {
    kg_keys kk = k;
    kk.legacy = version() == 1 ? 1u : 0u;
    const int rc = kg_keys_provision(dev.get(), &kk, lock_vault);
    kg_keys_wipe(&kk);
    return rc;
  }

  // Every crypt mode, with and without the sign lock.
  void run_every_mode(void (*make)(std::mt19937_64&, kg_qmodel*)) {
    ASSERT_EQ(KG_OK, provision(keys));
    QModel q;
    make(rng, &q.q);
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
      for (bool sign : {false, true}) run_exact(q.q, crypt, sign);
  }

  Dev dev;
  uint32_t R = 0, C = 0;
  std::mt19937_64 rng{2024};
  kg_keys keys{};
  uint8_t nonce[12]{};
};

TEST_P(DriverE2E, FcFcEveryLockModeIsExact) { run_every_mode(fc_fc); }

TEST_P(DriverE2E, ConvConvFcEveryLockModeIsExact) { run_every_mode(conv_conv_fc); }

TEST_P(DriverE2E, EveryAesKeySize) {
  QModel q;
  fc_fc(rng, &q.q);
  for (uint32_t n : {16u, 24u, 32u}) {
    keys = kgd::random_keys(rng, n, R, C);
    ASSERT_EQ(KG_OK, provision(keys)) << n;
    run_exact(q.q, KGM_CRYPT_CTR, true);
    run_exact(q.q, KGM_CRYPT_DEEPLOCK, false);
  }
}

// A model that ends with a convolution: the output is every pixel's
// channels (out_h*out_w*N, NHWC), compacted from the device's 16-byte pixels.
TEST_P(DriverE2E, ConvOutputModelIsExact) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  kgd::random_qmodel(rng, 5, 7, 4, {{true, 6, 3, 2, 1}}, &q.q);
  const kg_qlayer& L = q.q.layers[0];
  Model m = load(lock(q.q, KGM_CRYPT_CTR, true, keys));
  ASSERT_TRUE(m);
  kg_model_info mi{};
  ASSERT_EQ(KG_OK, kg_model_query(m.get(), &mi));
  ASSERT_EQ(L.out_h * L.out_w * L.N, mi.output_size);
  const uint32_t n = 6;
  const auto in = kgd::random_input(rng, (size_t)n * mi.input_size);
  const auto out = infer(m.get(), in, n);
  const kg_conv_shape s{L.in_h, L.in_w, L.in_c, L.N, L.kh, L.kw, L.stride, L.pad};
  const kg_requant rq{L.bias, L.mult, L.shift, (int)L.relu};
  std::vector<int8_t> scratch((size_t)mi.output_size / L.N * L.K), want(mi.output_size);
  std::vector<int32_t> acc(mi.output_size);
  for (uint32_t i = 0; i < n; i++) {
    ASSERT_EQ(KG_REF_OK, kg_ref_conv2d(&s, &in[(size_t)i * mi.input_size], L.W, nullptr,
                                       kg_geom{1, 1}, &rq, scratch.data(), acc.data(), want.data()));
    EXPECT_EQ(want, std::vector<int8_t>(out.begin() + (size_t)i * mi.output_size,
                                        out.begin() + (size_t)(i + 1) * mi.output_size))
        << "image " << i;
  }
}

// The model owner's path: kglock_model (host/lock) of a .kgq-style model.
TEST_P(DriverE2E, KglockModelsAreExactInEveryMode) {
  ASSERT_EQ(KG_OK, provision(keys));
  for (int kind = 0; kind < 2; kind++) {
    QModel q;
    if (kind == 0)
      fc_fc(rng, &q.q);
    else
      conv_conv_fc(rng, &q.q);
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR}) {
      for (int sign : {0, 1}) {
        SCOPED_TRACE(std::string(kind ? "conv+conv+fc " : "fc+fc ") + kgm_crypt_name(crypt) +
                     (sign ? " sign" : ""));
        const kglock_opts o = kgmtest::opts_for(keys, R, C, crypt, sign, nonce, version());
        KgmModel km;
        char detail[KG_DETAIL_LEN] = {0};
        ASSERT_EQ(KG_OK, kglock_model(&q.q, &o, &km.m, detail)) << detail;
        Model m = load(kgd::serialize(km.m));
        ASSERT_TRUE(m);
        const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
        EXPECT_EQ(kgd::reference(q.q, in, kImages), infer(m.get(), in, kImages));
      }
    }
  }
}

// The FC after the convolutions reads 16-byte pixels of 12 channels: the
// driver gives its descriptor the input mask (GROUP 16, VALID 12), so the
// padding rows of its weights may hold anything. Random bytes there (in
// the stored, encrypted image: every mode maps a random stored byte to a
// random weight) leave the outputs exact in every mode, although the
// padding channels of the FC's input hold garbage: the activation buffers
// alternate, so the 12-channel conv writes its 16-byte pixels over the
// 32-byte pixels of the 20-channel conv two layers before (no ReLU there,
// so few of its bytes are 0).
TEST_P(DriverE2E, RandomFcPaddingRowsAreMasked) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  kgd::random_qmodel(rng, 6, 6, 3,
                     {{true, 5, 3, 1, 1}, {true, 20, 3, 1, 1, false}, {true, 7, 3, 1, 1},
                      {true, 12, 3, 1, 1}, {false, 10, 0, 1, 0, false}},
                     &q.q);
  for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR}) {
    SCOPED_TRACE(kgm_crypt_name(crypt));
    KgmModel km;
    // The lock fills every padding byte with random bytes, these rows included.
    kgd::test_lock(q.q, R, C, crypt, true, keys, nonce, &km.m, version(), rng());
    const kgm_layer& conv = km.m.layers[km.m.n_layers - 2];
    const kgm_layer& fc = km.m.layers[km.m.n_layers - 1];
    ASSERT_EQ(uint32_t(KGM_LAYER_FC), fc.type);
    const uint32_t c = conv.out_c, group = (c + 15u) & ~15u;
    ASSERT_NE(0u, c % 16) << "the model must have padding channels";
    ASSERT_EQ(0u, fc.K % group);
    // Version 2 locks random bytes into these rows; a version-1 file (zero
    // padding, no tag) gets them written here. Either way the device must
    // read the padding channels as 0.
    const uint32_t KT = (fc.K + R - 1) / R, tile = (R * C + 15u) / 16u * 16u;
    uint32_t nonzero = 0;
    for (uint32_t k = 0; k < fc.K; k++) {
      if (k % group < c) continue;
      for (uint32_t n = 0; n < fc.N; n++) {
        uint8_t& b = km.m.wimg[fc.w_off + ((n / C) * KT + k / R) * tile + (k % R) * C + n % C];
        if (version() == 1) b = uint8_t(rng() | 1u);
        nonzero += b != 0;
      }
    }
    if (version() == 1 || crypt == KGM_CRYPT_NONE) {
      ASSERT_GT(nonzero, 0u);
    }
    Model m = load(kgd::serialize(km.m));
    ASSERT_TRUE(m);
    const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
    EXPECT_EQ(kgd::reference(q.q, in, kImages), infer(m.get(), in, kImages));
  }
}

TEST_P(DriverE2E, GeneratedKeysAndFileLoad) {
  kg_keys k{};
  char detail[KG_DETAIL_LEN] = {0};
  ASSERT_EQ(KG_OK, kg_keys_generate(&k, 32, R, C, detail)) << detail;
  ASSERT_EQ(KG_OK, provision(k));
  QModel q;
  conv_conv_fc(rng, &q.q);
  const auto file = lock(q.q, KGM_CRYPT_CTR, true, k);
  const std::string path = ::testing::TempDir() + "kg_test_driver_" + backend() + "_v" +
                           std::to_string(version()) + ".kgm";
  FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(nullptr, f);
  ASSERT_EQ(file.size(), std::fwrite(file.data(), 1, file.size(), f));
  std::fclose(f);
  kg_model* m = nullptr;
  ASSERT_EQ(KG_OK, kg_model_load(dev.get(), path.c_str(), &m)) << kg_last_error(dev.get());
  Model mm(m);
  const auto in = kgd::random_input(rng, 3 * kg_qmodel_input_size(&q.q));
  EXPECT_EQ(kgd::reference(q.q, in, 3), infer(m, in, 3));
  std::remove(path.c_str());
  kg_model* none = reinterpret_cast<kg_model*>(0x1);
  EXPECT_EQ(KG_E_NOENT, kg_model_load(dev.get(), path.c_str(), &none));
  EXPECT_EQ(nullptr, none);
  EXPECT_NE(std::string(), kg_last_error(dev.get()));
  kg_keys_wipe(&k);
}

TEST_P(DriverE2E, BatchesLargerThanMaxBatchAreSplit) {
  kg_open_opts o{};
  o.max_batch = 7;
  reopen(&o);
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  conv_conv_fc(rng, &q.q);
  Model m = load(lock(q.q, KGM_CRYPT_DEEPLOCK, true, keys));
  ASSERT_TRUE(m);
  const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
  EXPECT_EQ(kgd::reference(q.q, in, kImages), infer(m.get(), in, kImages));
  kg_perf_info p{};
  ASSERT_EQ(KG_OK, kg_perf(m.get(), &p));
  EXPECT_EQ(kImages, p.inferences);
  // n = 0 is a no-op.
  EXPECT_EQ(KG_OK, kg_infer(m.get(), nullptr, 0, nullptr));
}

TEST_P(DriverE2E, PerfCountersAreConsistent) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  conv_conv_fc(rng, &q.q);
  Model m = load(lock(q.q, KGM_CRYPT_CTR, true, keys));
  ASSERT_TRUE(m);
  const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
  infer(m.get(), in, kImages);
  kg_perf_info p{};
  ASSERT_EQ(KG_OK, kg_perf(m.get(), &p));
  ASSERT_EQ(3u, p.n_layers);
  EXPECT_EQ(kImages, p.inferences);
  kg_layer_perf sum{};
  for (uint32_t l = 0; l < p.n_layers; l++) {
    const kg_layer_perf& L = p.layer[l];
    const kg_qlayer& Q = q.q.layers[l];
    SCOPED_TRACE("layer " + std::to_string(l));
    EXPECT_GT(L.cycles, 0u);
    EXPECT_GT(L.ideal, 0u);
    EXPECT_GE(L.cycles, L.ideal);
    EXPECT_GE(L.cycles, L.busy);
    EXPECT_GT(L.busy, 0u);
    EXPECT_GT(L.compute, 0u);
    EXPECT_GT(L.rd_bytes, 0u);
    // Every output byte is written once (strobed bytes).
    EXPECT_EQ(uint64_t(kImages) * Q.out_h * Q.out_w * Q.N, L.wr_bytes);
    EXPECT_GT(L.util, 0.0);
    EXPECT_LE(L.util, 1.0);
    EXPECT_DOUBLE_EQ(double(L.ideal) / double(L.cycles), L.util);
    sum.cycles += L.cycles;
    sum.ideal += L.ideal;
    sum.busy += L.busy;
    sum.compute += L.compute;
    sum.rd_bytes += L.rd_bytes;
    sum.wr_bytes += L.wr_bytes;
    sum.dma_stall += L.dma_stall;
    sum.dec_stall += L.dec_stall;
  }
  // Ideal of a layer: MACs / (R*C), with the hardware's K.
  const kg_qlayer& c0 = q.q.layers[0];
  EXPECT_EQ(uint64_t(kImages) * c0.out_h * c0.out_w * c0.K * c0.N / (R * C), p.layer[0].ideal);
  EXPECT_EQ(sum.cycles, p.total.cycles);
  EXPECT_EQ(sum.ideal, p.total.ideal);
  EXPECT_EQ(sum.busy, p.total.busy);
  EXPECT_EQ(sum.compute, p.total.compute);
  EXPECT_EQ(sum.rd_bytes, p.total.rd_bytes);
  EXPECT_EQ(sum.wr_bytes, p.total.wr_bytes);
  EXPECT_EQ(sum.dma_stall, p.total.dma_stall);
  EXPECT_EQ(sum.dec_stall, p.total.dec_stall);
  EXPECT_GE(p.sim_cycles, p.total.cycles);
  EXPECT_GT(p.host_seconds, 0.0);
  std::printf("[ perf ] %s conv+conv+fc, %u images: %llu cycles (%.0f/image), ideal %llu, util %.3f, "
              "dec_stall %llu, sim %llu\n",
              backend(), kImages, (unsigned long long)p.total.cycles,
              double(p.total.cycles) / kImages, (unsigned long long)p.total.ideal, p.total.util,
              (unsigned long long)p.total.dec_stall, (unsigned long long)p.sim_cycles);
  // Counting goes on, and resets.
  infer(m.get(), in, 2);
  kg_perf_info p2{};
  ASSERT_EQ(KG_OK, kg_perf(m.get(), &p2));
  EXPECT_EQ(kImages + 2, p2.inferences);
  EXPECT_GT(p2.total.cycles, p.total.cycles);
  kg_perf_reset(m.get());
  ASSERT_EQ(KG_OK, kg_perf(m.get(), &p2));
  EXPECT_EQ(0u, p2.inferences);
  EXPECT_EQ(0u, p2.total.cycles);
  EXPECT_EQ(0u, p2.layer[0].wr_bytes);
  EXPECT_EQ(0.0, p2.total.util);
}

TEST_P(DriverE2E, FloatInputsUseTheInputQuantization) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  fc_fc(rng, &q.q);
  q.q.in_scale = 0.5f;  // exact in binary, so halfway cases are real ties
  Model m = load(lock(q.q, KGM_CRYPT_NONE, false, keys));
  ASSERT_TRUE(m);
  const uint32_t isz = kg_qmodel_input_size(&q.q);
  std::vector<float> x(2 * isz);
  std::vector<int8_t> want(2 * isz);
  const float xs[] = {1.25f, -1.25f, 100.0f, -100.0f, 0.2f, -0.26f, 3.0f, 0.75f};
  const int8_t qs[] = {3, -3, 127, -128, 0, -1, 6, 2};  // round half away from zero, clamp
  for (size_t i = 0; i < x.size(); i++) {
    x[i] = xs[i % 8];
    want[i] = qs[i % 8];
  }
  std::vector<int8_t> out_f(2 * kg_qmodel_classes(&q.q)), out_q(out_f.size());
  ASSERT_EQ(KG_OK, kg_infer_float(m.get(), x.data(), 2, out_f.data())) << kg_last_error(dev.get());
  ASSERT_EQ(KG_OK, kg_infer(m.get(), want.data(), 2, out_q.data()));
  EXPECT_EQ(out_q, out_f);
  EXPECT_EQ(kgd::reference(q.q, want, 2), out_f);
}

// -------------------------------------------------------------- wrong keys

TEST_P(DriverE2E, WrongKeyUnderRefuseIsRefused) {
  kg_keys wrong = keys;
  wrong.aes_key[5] ^= 0x40;
  ASSERT_EQ(KG_OK, provision(wrong));
  QModel q;
  fc_fc(rng, &q.q);
  for (uint32_t crypt : {KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR}) {
    Model m = load(lock(q.q, crypt, true, keys), KG_E_WRONG_KEY);
    EXPECT_FALSE(m);
    EXPECT_NE(std::string(), kg_last_error(dev.get()));
  }
  if (version() == 1) {
    // A version-1 model that is not encrypted uses no AES key and runs.
    run_exact(q.q, KGM_CRYPT_NONE, true);
  } else {
    // Version 2 derives even a sign-only model's keys from the AES key.
    load(lock(q.q, KGM_CRYPT_NONE, true, keys), KG_E_WRONG_KEY);
  }
  // A model that uses no key runs.
  run_exact(q.q, KGM_CRYPT_NONE, false);
}

TEST_P(DriverE2E, WrongKeyUnderRunGivesGarbage) {
  kg_keys wrong = keys;
  wrong.aes_key[0] ^= 1;
  wrong.policy = KG_KEY_POLICY_RUN;
  ASSERT_EQ(KG_OK, provision(wrong));
  QModel q;
  fc_fc(rng, &q.q);
  Model m = load(lock(q.q, KGM_CRYPT_CTR, false, keys));
  ASSERT_TRUE(m);
  EXPECT_EQ(0, kg_model_key_ok(m.get()));
  const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
  const auto ref = kgd::reference(q.q, in, kImages);
  const auto out = infer(m.get(), in, kImages);
  ASSERT_EQ(ref.size(), out.size());
  size_t differ = 0;
  for (size_t i = 0; i < ref.size(); i++) differ += ref[i] != out[i];
  EXPECT_GT(differ, ref.size() / 2) << "a wrong key must not give the right outputs";
  // The right key (policy RUN kept) makes the same model exact.
  keys.policy = KG_KEY_POLICY_RUN;
  ASSERT_EQ(KG_OK, provision(keys));
  EXPECT_EQ(ref, infer(m.get(), in, kImages));
  EXPECT_EQ(1, kg_model_key_ok(m.get()));
}

TEST_P(DriverE2E, WrongSignKeyGivesGarbage) {
  kg_keys wrong = keys;
  for (auto& b : wrong.sign_key) b ^= 0xff;
  ASSERT_EQ(KG_OK, provision(wrong));
  QModel q;
  fc_fc(rng, &q.q);
  Model m = load(lock(q.q, KGM_CRYPT_NONE, true, keys));
  ASSERT_TRUE(m);
  const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
  const auto ref = kgd::reference(q.q, in, kImages);
  const auto out = infer(m.get(), in, kImages);
  size_t differ = 0;
  for (size_t i = 0; i < ref.size(); i++) differ += ref[i] != out[i];
  EXPECT_GT(differ, ref.size() / 2);
}

TEST_P(DriverE2E, LockoutAfterThresholdUntilZeroize) {
  kg_keys wrong = keys;
  wrong.aes_key[15] ^= 0x80;
  wrong.policy = KG_KEY_POLICY_LOCKOUT;
  wrong.threshold = 2;
  ASSERT_EQ(KG_OK, provision(wrong));
  QModel q;
  fc_fc(rng, &q.q);
  const auto file = lock(q.q, KGM_CRYPT_DEEPLOCK, true, keys);
  load(file, KG_E_WRONG_KEY);
  load(file, KG_E_LOCKED_OUT);
  load(file, KG_E_LOCKED_OUT);
  // Even the right key does not help until the vault is zeroized.
  kg_keys right = keys;
  right.policy = KG_KEY_POLICY_LOCKOUT;
  right.threshold = 2;
  ASSERT_EQ(KG_OK, provision(right));
  load(file, KG_E_LOCKED_OUT);
  ASSERT_EQ(KG_OK, kg_keys_zeroize(dev.get())) << kg_last_error(dev.get());
  load(file, KG_E_NOKEY);
  ASSERT_EQ(KG_OK, provision(right));
  Model m = load(file);
  ASSERT_TRUE(m);
  const auto in = kgd::random_input(rng, 4 * kg_qmodel_input_size(&q.q));
  EXPECT_EQ(kgd::reference(q.q, in, 4), infer(m.get(), in, 4));
}

TEST_P(DriverE2E, LockedVaultRefusesNewKeys) {
  ASSERT_EQ(KG_OK, provision(keys, 1));
  kg_keys other = kgd::random_keys(rng, 32, R, C);
  EXPECT_EQ(KG_E_VAULT_LOCKED, provision(other));
  EXPECT_NE(std::string(), kg_last_error(dev.get()));
  EXPECT_EQ(KG_E_VAULT_LOCKED, provision(keys, 1));
  // The locked key still serves.
  QModel q;
  fc_fc(rng, &q.q);
  run_exact(q.q, KGM_CRYPT_CTR, true);
  // Zeroize clears the keys but not the lock.
  ASSERT_EQ(KG_OK, kg_keys_zeroize(dev.get()));
  load(lock(q.q, KGM_CRYPT_CTR, true, keys), KG_E_NOKEY);
  EXPECT_EQ(KG_E_VAULT_LOCKED, provision(keys));
}

TEST_P(DriverE2E, MissingKeysAreReported) {
  QModel q;
  fc_fc(rng, &q.q);
  kg_keys none{};  // no keys, only the policy (LEGACY for version 1)
  ASSERT_EQ(KG_OK, provision(none));
  load(lock(q.q, KGM_CRYPT_CTR, false, keys), KG_E_NOKEY);
  load(lock(q.q, KGM_CRYPT_NONE, true, keys), KG_E_NOKEY);
  // An AES key alone: sign-locked models still lack their key.
  kg_keys aes_only = keys;
  aes_only.sign_bits = 0;
  ASSERT_EQ(KG_OK, provision(aes_only));
  load(lock(q.q, KGM_CRYPT_CTR, true, keys), KG_E_NOKEY);
  run_exact(q.q, KGM_CRYPT_CTR, false);
  run_exact(q.q, KGM_CRYPT_NONE, false);
}

// Two encrypted models with different nonces: each run re-checks its own
// KCV (version 1) or is authenticated again (version 2) when the device
// last checked or verified the other.
TEST_P(DriverE2E, TwoModelsShareTheDevice) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel qa, qb;
  fc_fc(rng, &qa.q);
  conv_conv_fc(rng, &qb.q);
  Model a = load(lock(qa.q, KGM_CRYPT_CTR, true, keys));
  nonce[0] ^= 0x33;
  Model b = load(lock(qb.q, KGM_CRYPT_DEEPLOCK, true, keys));
  ASSERT_TRUE(a && b);
  for (int round = 0; round < 2; round++) {
    const auto ia = kgd::random_input(rng, 5 * kg_qmodel_input_size(&qa.q));
    const auto ib = kgd::random_input(rng, 5 * kg_qmodel_input_size(&qb.q));
    EXPECT_EQ(kgd::reference(qa.q, ia, 5), infer(a.get(), ia, 5));
    EXPECT_EQ(kgd::reference(qb.q, ib, 5), infer(b.get(), ib, 5));
  }
  // A key that fails a's check, then the right one again.
  kg_keys wrong = keys;
  wrong.aes_key[1] ^= 2;
  ASSERT_EQ(KG_OK, provision(wrong));
  std::vector<int8_t> out(kg_qmodel_classes(&qa.q));
  const auto ia = kgd::random_input(rng, kg_qmodel_input_size(&qa.q));
  EXPECT_EQ(KG_E_WRONG_KEY, kg_infer(a.get(), ia.data(), 1, out.data()));
  ASSERT_EQ(KG_OK, provision(keys));
  EXPECT_EQ(kgd::reference(qa.q, ia, 1), infer(a.get(), ia, 1));
}

// ------------------------------------------------------------ device checks

TEST_P(DriverE2E, GeometryMismatchIsRefused) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  fc_fc(rng, &q.q);
  KgmModel km;
  const uint32_t r2 = R == 4 ? 8 : 4, c2 = C == 4 ? 8 : 4;
  kg_keys k2 = kgd::random_keys(rng, 16, r2, c2);
  kgd::test_lock(q.q, r2, c2, KGM_CRYPT_NONE, false, k2, nonce, &km.m);
  load(kgd::serialize(km.m), KG_E_GEOMETRY);
  EXPECT_NE(std::string::npos, std::string(kg_last_error(dev.get())).find("locked for"));
}

TEST_P(DriverE2E, ModelTooBigForDeviceMemory) {
  kg_open_opts o{};
  o.dram_size = 64 * 1024;
  o.max_batch = 16;
  reopen(&o);
  ASSERT_EQ(KG_OK, provision(keys));
  QModel big;
  kgd::random_qmodel(rng, 1, 1, 600, {{false, 128}}, &big.q);  // 76.8 KB of weights
  load(lock(big.q, KGM_CRYPT_NONE, false, keys), KG_E_DEVMEM);
  EXPECT_NE(std::string::npos, std::string(kg_last_error(dev.get())).find("device memory"));
  // Models that fit, until the memory is used up; freeing makes room again.
  QModel small;
  kgd::random_qmodel(rng, 1, 1, 200, {{false, 64}}, &small.q);  // 12.8 KB + 2 x 16 x 208 B
  const auto file = lock(small.q, KGM_CRYPT_NONE, false, keys);
  std::vector<Model> ms;
  for (int i = 0; i < 10; i++) {
    kg_model* m = nullptr;
    const int rc = kg_model_load_buffer(dev.get(), file.data(), file.size(), &m);
    if (rc != KG_OK) {
      EXPECT_EQ(KG_E_DEVMEM, rc);
      break;
    }
    ms.emplace_back(m);
  }
  ASSERT_GE(ms.size(), 1u);
  ASSERT_LT(ms.size(), 10u);
  ms.erase(ms.begin());
  Model again = load(file);
  ASSERT_TRUE(again);
  const auto in = kgd::random_input(rng, 3 * 200);
  EXPECT_EQ(kgd::reference(small.q, in, 3), infer(again.get(), in, 3));
  for (auto& m : ms) EXPECT_EQ(kgd::reference(small.q, in, 3), infer(m.get(), in, 3));
}

TEST_P(DriverE2E, ClosedDeviceLeavesModelsInert) {
  ASSERT_EQ(KG_OK, provision(keys));
  QModel q;
  fc_fc(rng, &q.q);
  kg_model* m = nullptr;
  const auto file = lock(q.q, KGM_CRYPT_NONE, false, keys);
  ASSERT_EQ(KG_OK, kg_model_load_buffer(dev.get(), file.data(), file.size(), &m));
  dev.reset();
  std::vector<int8_t> in(kg_qmodel_input_size(&q.q)), out(kg_qmodel_classes(&q.q));
  EXPECT_EQ(KG_E_STATE, kg_infer(m, in.data(), 1, out.data()));
  kg_perf_info p{};
  EXPECT_EQ(KG_OK, kg_perf(m, &p));
  kg_model_free(m);
}

std::string backend_name(const ::testing::TestParamInfo<E2EParam>& i) {
  return std::string(i.param.backend) + "_v" + std::to_string(i.param.version);
}
INSTANTIATE_TEST_SUITE_P(Backends, DriverE2E,
                         ::testing::Values(E2EParam{"rtl", 2}, E2EParam{"model", 2},
                                           E2EParam{"rtl", 1}, E2EParam{"model", 1}),
                         backend_name);

// The same locked model and inputs on both back-ends: identical outputs.
TEST(DriverCross, RtlAndModelAgree) {
  std::mt19937_64 rng(77);
  kg_dev *dr = nullptr, *dm = nullptr;
  char err[KG_DETAIL_LEN] = {0};
  ASSERT_EQ(KG_OK, kg_open(&dr, "rtl", nullptr, err)) << err;
  Dev r(dr);
  ASSERT_EQ(KG_OK, kg_open(&dm, "model", nullptr, err)) << err;
  Dev md(dm);
  kg_dev_info ir{}, im{};
  ASSERT_EQ(KG_OK, kg_dev_query(dr, &ir));
  ASSERT_EQ(KG_OK, kg_dev_query(dm, &im));
  EXPECT_STREQ("rtl", ir.backend);
  EXPECT_STREQ("model", im.backend);
  ASSERT_EQ(ir.rows, im.rows);
  ASSERT_EQ(ir.cols, im.cols);
  EXPECT_EQ(ir.version, im.version);
  kg_keys k = kgd::random_keys(rng, 24, ir.rows, ir.cols);
  if (!kgd::has_auth(dr, k)) GTEST_SKIP() << "rtl has no POLICY.LEGACY (no VERIFY) in this build";
  ASSERT_EQ(KG_OK, kg_keys_provision(dr, &k, 0));
  ASSERT_EQ(KG_OK, kg_keys_provision(dm, &k, 0));
  QModel q;
  conv_conv_fc(rng, &q.q);
  uint8_t nonce[12];
  for (auto& b : nonce) b = uint8_t(rng());
  KgmModel km;
  kgd::test_lock(q.q, ir.rows, ir.cols, KGM_CRYPT_CTR, true, k, nonce, &km.m);
  const auto file = kgd::serialize(km.m);
  kg_model *mr = nullptr, *mm = nullptr;
  ASSERT_EQ(KG_OK, kg_model_load_buffer(dr, file.data(), file.size(), &mr)) << kg_last_error(dr);
  Model a(mr);
  ASSERT_EQ(KG_OK, kg_model_load_buffer(dm, file.data(), file.size(), &mm)) << kg_last_error(dm);
  Model b(mm);
  const auto in = kgd::random_input(rng, (size_t)kImages * kg_qmodel_input_size(&q.q));
  std::vector<int8_t> o1((size_t)kImages * 10), o2(o1.size());
  ASSERT_EQ(KG_OK, kg_infer(mr, in.data(), kImages, o1.data())) << kg_last_error(dr);
  ASSERT_EQ(KG_OK, kg_infer(mm, in.data(), kImages, o2.data())) << kg_last_error(dm);
  EXPECT_EQ(o1, o2);
  kg_perf_info p1{}, p2{};
  ASSERT_EQ(KG_OK, kg_perf(mr, &p1));
  ASSERT_EQ(KG_OK, kg_perf(mm, &p2));
  // Same work: same MACs, same bytes written; the model's cycle count is an
  // estimate of the RTL's.
  EXPECT_EQ(p1.total.ideal, p2.total.ideal);
  EXPECT_EQ(p1.total.wr_bytes, p2.total.wr_bytes);
  std::printf("[ perf ] rtl %llu cycles, model %llu cycles for %u images\n",
              (unsigned long long)p1.total.cycles, (unsigned long long)p2.total.cycles, kImages);
}

}  // namespace
