// Fashion-MNIST end to end, kept fast: a briefly trained model
// is quantized, locked for the build's array geometry and run through
// libkgmac on both back-ends ("rtl" = Verilated kg_top, "model" = the
// functional C model) on 200 test images.
//  - the right keys give logits identical to the unlocked int8 model
//    (kg_qmodel_infer, the C reference) and so identical predictions;
//  - the two back-ends agree on every logit;
//  - a wrong AES key (policy run) and a wrong sign key fall near chance;
//  - a wrong AES key under policy refuse is refused with KG_E_WRONG_KEY.
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

extern "C" {
#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgmac/keyfile.h"
#include "kgmac/lock.h"
#include "kgml/fmodel.h"
#include "kgml/idx.h"
#include "kgml/kgq.h"
#include "kgml/quant.h"
#include "kgml/train.h"
}

namespace {

constexpr uint32_t kImages = 200;

struct Data {
  kgml_dataset train{}, test{};
  bool ok = false;
  Data() {
    char d[KGML_DETAIL_LEN];
    ok = kgml_dataset_load(KG_TEST_DATA_DIR, "train", &train, d) == KGML_OK &&
         kgml_dataset_load(KG_TEST_DATA_DIR, "t10k", &test, d) == KGML_OK;
  }
  ~Data() {
    kgml_dataset_free(&train);
    kgml_dataset_free(&test);
  }
};
const Data &data() {
  static Data d;
  return d;
}

// A model trained for a few hundred steps, its int8 version and the
// reference logits of the first kImages test images.
struct Trained {
  kgml_model fm{};
  kg_qmodel q{};
  std::vector<int8_t> in;      // kImages quantized inputs
  std::vector<int8_t> logits;  // kImages x 10, kg_qmodel_infer
  std::vector<uint8_t> pred;
  double float_acc = 0;
  bool ok = false;

  Trained(const char *arch, const kgml_layer_spec *spec, uint32_t n_spec, uint32_t steps) {
    const Data &ds = data();
    if (!ds.ok) return;
    char d[KGML_DETAIL_LEN];
    if (spec ? kgml_model_build(&fm, arch, 28, 28, 1, spec, n_spec, 3, d) != KGML_OK
             : kgml_model_create(&fm, arch, 3, d) != KGML_OK)
      return;
    kgml_train_opts o;
    kgml_train_defaults(&o, "mlp");
    o.epochs = 50;
    o.batch = 32;
    o.n_train = 8000;
    o.max_steps = steps;
    o.lr = 2e-3;
    o.nthreads = 2;
    if (kgml_train(&fm, &ds.train, &o, nullptr, d) != KGML_OK) return;
    kgml_dataset sub = ds.test;
    sub.n = kImages;
    if (kgml_evaluate(&fm, &sub, 2, &float_acc) != KGML_OK) return;
    if (kgml_quantize(&fm, &ds.train, 500, &q, d) != KGML_OK) return;
    const size_t isz = kg_qmodel_input_size(&q);
    const uint32_t ncls = kg_qmodel_classes(&q);
    in.resize(kImages * isz);
    kg_qmodel_quantize_input(&q, ds.test.pix, kImages * isz, in.data());
    logits.resize(kImages * ncls);
    pred.resize(kImages);
    for (uint32_t i = 0; i < kImages; i++) {
      uint32_t p;
      if (kg_qmodel_infer(&q, &in[i * isz], &logits[i * ncls], &p) != KGML_OK) return;
      pred[i] = (uint8_t)p;
    }
    ok = true;
  }
  ~Trained() {
    kg_qmodel_free(&q);
    kgml_model_free(&fm);
  }
};

const Trained &mlp() {
  static Trained t("mlp", nullptr, 0, 300);
  return t;
}
// A small CNN whose conv output has 8 channels: the FC after it reads
// 16-byte pixels, so lock must pad its K (hardware K != model K).
const Trained &cnn() {
  static const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 8, 3, 2, 1, 1},
                                      {KGML_LAYER_CONV, 8, 3, 2, 1, 1},
                                      {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  static Trained t("e2e-cnn", s, 3, 200);
  return t;
}

kg_keys make_keys(uint32_t rows, uint32_t cols, uint64_t seed) {
  kg_keys k;
  std::memset(&k, 0, sizeof k);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  auto next = [&s]() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (uint8_t)(s >> 24);
  };
  k.aes_len = 16;
  for (auto &b : k.aes_key) b = next();
  k.sign_bits = rows * cols;
  for (uint32_t i = 0; i < (k.sign_bits + 7) / 8; i++) k.sign_key[i] = next();
  k.policy = KG_KEY_POLICY_REFUSE;
  k.threshold = 3;
  return k;
}

std::vector<uint8_t> lock(const kg_qmodel &q, const kg_keys &k, uint32_t rows, uint32_t cols,
                          uint32_t crypt, int sign) {
  static const uint8_t nonce[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  kglock_opts o{rows, cols, crypt, sign, &k, nonce, KGM_VERSION};
  kgm_model m;
  char d[KG_DETAIL_LEN];
  std::vector<uint8_t> out;
  if (kglock_model(&q, &o, &m, d) != KG_OK) {
    ADD_FAILURE() << "lock: " << d;
    return out;
  }
  uint8_t *buf = nullptr;
  size_t len = 0;
  if (kgm_serialize(&m, &buf, &len, d) == KG_OK) out.assign(buf, buf + len);
  else ADD_FAILURE() << "serialize: " << d;
  std::free(buf);
  kgm_model_free(&m);
  return out;
}

struct Run {
  int load_rc = KG_OK;
  int key_ok = 0;
  std::vector<int8_t> logits;
  double acc = 0;
};

// Provision `dev_keys`, load `file` and infer the test images.
Run run(const char *backend, const std::vector<uint8_t> &file, const kg_keys &dev_keys,
        const Trained &t) {
  Run r;
  kg_dev *dev = nullptr;
  char err[KG_DETAIL_LEN];
  if (kg_open(&dev, backend, nullptr, err) != KG_OK) {
    ADD_FAILURE() << backend << ": " << err;
    return r;
  }
  EXPECT_EQ(kg_keys_provision(dev, &dev_keys, 0), KG_OK) << kg_last_error(dev);
  kg_model *m = nullptr;
  r.load_rc = kg_model_load_buffer(dev, file.data(), file.size(), &m);
  if (r.load_rc == KG_OK) {
    r.key_ok = kg_model_key_ok(m);
    const uint32_t ncls = kg_qmodel_classes(&t.q);
    r.logits.resize(kImages * ncls);
    EXPECT_EQ(kg_infer(m, t.in.data(), kImages, r.logits.data()), KG_OK) << kg_last_error(dev);
    uint32_t right = 0;
    for (uint32_t i = 0; i < kImages; i++) {
      uint32_t best = 0;
      for (uint32_t c = 1; c < ncls; c++)
        if (r.logits[i * ncls + c] > r.logits[i * ncls + best]) best = c;
      right += best == data().test.labels[i];
    }
    r.acc = (double)right / kImages;
    kg_model_free(m);
  }
  kg_close(dev);
  return r;
}

void geometry(uint32_t *rows, uint32_t *cols) {
  kg_dev *dev = nullptr;
  char err[KG_DETAIL_LEN];
  *rows = *cols = 0;
  if (kg_open(&dev, "rtl", nullptr, err) != KG_OK) return;
  kg_dev_info info;
  if (kg_dev_query(dev, &info) == KG_OK) {
    *rows = info.rows;
    *cols = info.cols;
  }
  kg_close(dev);
}

void check_model(const Trained &t, uint32_t crypt) {
  ASSERT_TRUE(data().ok) << "Fashion-MNIST not found in " << KG_TEST_DATA_DIR;
  ASSERT_TRUE(t.ok);
  uint32_t R, C;
  geometry(&R, &C);
  ASSERT_GT(R * C, 0u);
  const kg_keys right = make_keys(R, C, 1);
  const std::vector<uint8_t> file = lock(t.q, right, R, C, crypt, 1);
  ASSERT_FALSE(file.empty());

  uint32_t ref_right = 0;
  for (uint32_t i = 0; i < kImages; i++) ref_right += t.pred[i] == data().test.labels[i];
  const double ref_acc = (double)ref_right / kImages;
  std::printf("float %.1f%%, int8 reference %.1f%% on %u images\n", 100 * t.float_acc,
              100 * ref_acc, kImages);
  EXPECT_GT(ref_acc, 0.6) << "the briefly trained model should be well above chance";

  // Right keys: bit-exact with the unlocked int8 reference on both back-ends.
  const Run rtl = run("rtl", file, right, t);
  const Run mod = run("model", file, right, t);
  ASSERT_EQ(rtl.load_rc, KG_OK);
  ASSERT_EQ(mod.load_rc, KG_OK);
  EXPECT_EQ(rtl.key_ok, 1);
  EXPECT_TRUE(rtl.logits == t.logits) << "rtl differs from the C reference";
  EXPECT_TRUE(mod.logits == t.logits) << "model differs from the C reference";
  EXPECT_TRUE(rtl.logits == mod.logits);

  // Wrong sign key, right AES key: runs, and is useless.
  kg_keys wrong_sign = make_keys(R, C, 2);
  std::memcpy(wrong_sign.aes_key, right.aes_key, sizeof right.aes_key);
  const Run ws_rtl = run("rtl", file, wrong_sign, t);
  const Run ws_mod = run("model", file, wrong_sign, t);
  ASSERT_EQ(ws_rtl.load_rc, KG_OK);
  EXPECT_TRUE(ws_rtl.logits == ws_mod.logits) << "back-ends disagree under a wrong sign key";
  std::printf("wrong sign key: %.1f%%\n", 100 * ws_rtl.acc);
  EXPECT_LT(ws_rtl.acc, 0.40);
  EXPECT_LT(ws_rtl.acc, ref_acc - 0.25);

  if (crypt != KGM_CRYPT_NONE) {
    // Wrong AES key, policy run: the thief's garbage, bit-equal on both back-ends.
    kg_keys wrong_aes = make_keys(R, C, 3);
    std::memcpy(wrong_aes.sign_key, right.sign_key, sizeof right.sign_key);
    wrong_aes.policy = KG_KEY_POLICY_RUN;
    const Run wa_rtl = run("rtl", file, wrong_aes, t);
    const Run wa_mod = run("model", file, wrong_aes, t);
    ASSERT_EQ(wa_rtl.load_rc, KG_OK);
    EXPECT_EQ(wa_rtl.key_ok, 0);
    EXPECT_TRUE(wa_rtl.logits == wa_mod.logits) << "back-ends disagree under a wrong AES key";
    std::printf("wrong AES key (run): %.1f%%\n", 100 * wa_rtl.acc);
    EXPECT_LT(wa_rtl.acc, 0.25);

    // Wrong AES key, policy refuse: refused before any layer runs.
    wrong_aes.policy = KG_KEY_POLICY_REFUSE;
    EXPECT_EQ(run("rtl", file, wrong_aes, t).load_rc, KG_E_WRONG_KEY);
    EXPECT_EQ(run("model", file, wrong_aes, t).load_rc, KG_E_WRONG_KEY);
  }
}

TEST(FashionMnist, MlpDeepLockBothBackends) { check_model(mlp(), KGM_CRYPT_DEEPLOCK); }
TEST(FashionMnist, MlpCtrBothBackends) { check_model(mlp(), KGM_CRYPT_CTR); }
TEST(FashionMnist, CnnPaddedChannelsBothBackends) { check_model(cnn(), KGM_CRYPT_DEEPLOCK); }

}  // namespace
