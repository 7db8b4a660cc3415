// White-box adversarial examples: the input gradient is the loss's
// derivative (finite differences), FGSM at eps = 0.2 fools a small trained
// MLP far more than random signs of the same size or eps = 0, PGD is at
// least as strong as FGSM, and on a device holding the right key a locked
// model is exactly as fooled as the unlocked one.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

extern "C" {
#include "kgattack/attack_ml.h"
#include "kgmac/lock.h"
#include "kgml/quant.h"
}

namespace {

constexpr uint32_t kImages = 500;

struct Fixture {
  kgml_dataset train{}, test{};
  kgml_model m{};
  kg_qmodel q{};
  Fixture() {
    char d[KGML_DETAIL_LEN] = "";
    EXPECT_EQ(KGML_OK, kgml_dataset_load(KG_TEST_DATA_DIR, "train", &train, d)) << d;
    EXPECT_EQ(KGML_OK, kgml_dataset_load(KG_TEST_DATA_DIR, "t10k", &test, d)) << d;
    const kgml_layer_spec s[] = {{KGML_LAYER_FC, 50, 0, 0, 0, 1}, {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    EXPECT_EQ(KGML_OK, kgml_model_build(&m, "mlp50", 28, 28, 1, s, 2, 7, d)) << d;
    kgml_train_opts o;
    kgml_train_defaults(&o, "mlp");
    o.epochs = 2;
    o.n_train = 20000;
    EXPECT_EQ(KGML_OK, kgml_train(&m, &train, &o, nullptr, d)) << d;
    EXPECT_EQ(KGML_OK, kgml_quantize(&m, &train, 500, &q, d)) << d;
  }
  ~Fixture() {
    kg_qmodel_free(&q);
    kgml_model_free(&m);
    kgml_dataset_free(&train);
    kgml_dataset_free(&test);
  }
};

Fixture &fx() {
  static Fixture f;
  return f;
}

// Float predictions on the clean images and the success rate of o.
double float_success(const kga_adv_opts &o, std::vector<float> *adv_out = nullptr) {
  Fixture &f = fx();
  std::vector<float> adv((size_t)kImages * 784);
  std::vector<uint8_t> clean(kImages), pred(kImages);
  char d[KGML_DETAIL_LEN] = "";
  kga_adv_opts c{KGA_ADV_FGSM, 0.0f, 1, 0.0f, 0};
  EXPECT_EQ(KGML_OK, kga_adv_craft(&f.m, f.test.pix, f.test.labels, kImages, &c, adv.data(),
                                   clean.data(), d)) << d;
  EXPECT_EQ(KGML_OK, kga_adv_craft(&f.m, f.test.pix, f.test.labels, kImages, &o, adv.data(),
                                   pred.data(), d)) << d;
  for (size_t i = 0; i < adv.size(); i++) {  // in [0,1] and within eps
    const float x0 = f.test.pix[i] / 255.0f;
    EXPECT_TRUE(adv[i] >= 0.0f && adv[i] <= 1.0f);
    EXPECT_LE(std::fabs(adv[i] - x0), o.eps + 1e-6f);
  }
  if (adv_out) *adv_out = adv;
  return kga_adv_success(clean.data(), pred.data(), f.test.labels, kImages, nullptr);
}

}  // namespace

TEST(AttackAdv, InputGradientMatchesFiniteDifferences) {
  Fixture &f = fx();
  std::vector<float> x(784), g(784);
  for (int i = 0; i < 784; i++) x[i] = f.test.pix[i] / 255.0f;
  double l0 = 0;
  ASSERT_EQ(KGML_OK, kgml_input_grad(&f.m, x.data(), f.test.labels, 1, g.data(), nullptr, &l0));
  int checked = 0;
  for (int i = 100; i < 700 && checked < 12; i += 47) {
    const float h = 1e-2f;
    std::vector<float> xp = x, xm = x, gg(784);
    xp[i] += h;
    xm[i] -= h;
    double lp = 0, lm = 0;
    ASSERT_EQ(KGML_OK, kgml_input_grad(&f.m, xp.data(), f.test.labels, 1, gg.data(), nullptr, &lp));
    ASSERT_EQ(KGML_OK, kgml_input_grad(&f.m, xm.data(), f.test.labels, 1, gg.data(), nullptr, &lm));
    const double fd = (lp - lm) / (2.0 * h);
    EXPECT_NEAR(g[i], fd, 0.05 * std::fabs(fd) + 2e-3) << "pixel " << i;
    checked++;
  }
}

TEST(AttackAdv, FgsmBeatsNoiseAndZero) {
  const double zero = float_success({KGA_ADV_FGSM, 0.0f, 1, 0.0f, 0});
  const double fgsm = float_success({KGA_ADV_FGSM, 0.2f, 1, 0.0f, 0});
  const double noise = float_success({KGA_ADV_RANDOM, 0.2f, 1, 0.0f, 3});
  const double fgsm05 = float_success({KGA_ADV_FGSM, 0.05f, 1, 0.0f, 0});
  const double pgd05 = float_success({KGA_ADV_PGD, 0.05f, 10, 0.0125f, 0});
  EXPECT_EQ(0.0, zero);
  EXPECT_GT(fgsm, 0.6) << "fgsm " << fgsm;
  EXPECT_GT(fgsm, noise + 0.3) << "fgsm " << fgsm << " random " << noise;
  EXPECT_GE(pgd05 + 0.02, fgsm05) << "pgd " << pgd05 << " fgsm " << fgsm05;
  kga_adv_opts bad{KGA_ADV_PGD, 0.1f, 0, 0.1f, 0};
  std::vector<float> adv(784);
  EXPECT_EQ(KGML_E_INVAL, kga_adv_craft(&fx().m, fx().test.pix, fx().test.labels, 1, &bad,
                                        adv.data(), nullptr, nullptr));
  bad = {KGA_ADV_FGSM, 1.5f, 1, 0.0f, 0};
  EXPECT_EQ(KGML_E_INVAL, kga_adv_craft(&fx().m, fx().test.pix, fx().test.labels, 1, &bad,
                                        adv.data(), nullptr, nullptr));
}

// On the device (model back-end, 4x4) with the right key, the locked model
// and the unlocked one give identical predictions on the adversarial
// images: the lock adds no robustness.
TEST(AttackAdv, LockedDeviceAsFooledAsUnlocked) {
  Fixture &f = fx();
  std::vector<float> adv;
  const double fl = float_success({KGA_ADV_FGSM, 0.2f, 1, 0.0f, 0}, &adv);
  std::vector<float> clean((size_t)kImages * 784);
  for (size_t i = 0; i < clean.size(); i++) clean[i] = f.test.pix[i] / 255.0f;
  kg_keys keys;
  std::memset(&keys, 0, sizeof keys);
  kga_guess_key(5, keys.aes_key, 16);
  keys.aes_len = 16;
  kga_guess_key(6, keys.sign_key, 2);
  keys.sign_bits = 16;
  static const uint8_t nonce[12] = {9};
  double rate[2];
  std::vector<uint8_t> adv_pred[2];
  for (int locked = 0; locked < 2; locked++) {
    kglock_opts o{4, 4, locked ? (uint32_t)KGM_CRYPT_DEEPLOCK : (uint32_t)KGM_CRYPT_NONE, locked,
                  &keys, nonce, KGM_VERSION};
    kgm_model km;
    char d[KG_DETAIL_LEN] = "";
    ASSERT_EQ(KG_OK, kglock_model(&f.q, &o, &km, d)) << d;
    uint8_t *buf = nullptr;
    size_t len = 0;
    ASSERT_EQ(KG_OK, kgm_serialize(&km, &buf, &len, d)) << d;
    kgm_model_free(&km);
    kg_open_opts oo;
    std::memset(&oo, 0, sizeof oo);
    oo.rows = oo.cols = 4;
    kg_dev *dev = nullptr;
    ASSERT_EQ(KG_OK, kg_open(&dev, "model", &oo, d)) << d;
    if (locked) {
      ASSERT_EQ(KG_OK, kg_keys_provision(dev, &keys, 0));
    }
    kg_model *dm = nullptr;
    ASSERT_EQ(KG_OK, kg_model_load_buffer(dev, buf, len, &dm)) << kg_last_error(dev);
    free(buf);
    std::vector<uint8_t> cp(kImages);
    adv_pred[locked].resize(kImages);
    ASSERT_EQ(KG_OK, kga_device_predict(dm, clean.data(), kImages, cp.data()));
    ASSERT_EQ(KG_OK, kga_device_predict(dm, adv.data(), kImages, adv_pred[locked].data()));
    uint32_t ok = 0;
    rate[locked] = kga_adv_success(cp.data(), adv_pred[locked].data(), f.test.labels, kImages, &ok);
    EXPECT_GT(ok, kImages * 7 / 10);  // the device model is accurate on clean images
    kg_model_free(dm);
    kg_close(dev);
  }
  EXPECT_EQ(adv_pred[0], adv_pred[1]);
  EXPECT_EQ(rate[0], rate[1]);
  EXPECT_GT(rate[1], 0.5) << "device " << rate[1] << " float " << fl;
}
