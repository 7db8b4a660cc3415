// Quantizer: requant parameters, weight/param ranges, and kg_qmodel_infer
// against an independent integer-only recomputation on kgref.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <vector>

extern "C" {
#include "kgmac/ref_layer.h"
#include "kgml/fmodel.h"
#include "kgml/kgq.h"
#include "kgml/quant.h"
#include "kgml/train.h"
}
#include "test_util.h"

namespace {

// Independent requantization: floor division written out, no shifts of
// negative numbers, no floats.
int8_t my_requant(int32_t acc, int32_t bias, int32_t mult, int shift, bool relu) {
  const int64_t x = (int64_t)(int32_t)((uint32_t)acc + (uint32_t)bias);
  const int64_t p = x * (int64_t)mult + ((int64_t)1 << (shift - 1));
  const int64_t d = (int64_t)1 << shift;
  int64_t q = p / d;
  if (p % d != 0 && p < 0) q--;
  if (q > 127) q = 127;
  if (q < -128) q = -128;
  if (relu && q < 0) q = 0;
  return (int8_t)q;
}

// Whole-model int8 forward using kgref's im2col and GEMM (int32
// accumulators) and my_requant.
std::vector<int8_t> my_infer(const kg_qmodel &m, std::vector<int8_t> x) {
  for (uint32_t l = 0; l < m.n_layers; l++) {
    const kg_qlayer &L = m.layers[l];
    std::vector<int8_t> a = x;
    uint32_t M = 1;
    if (L.type == KGQ_CONV) {
      const kg_conv_shape s = {L.in_h, L.in_w, L.in_c, L.out_c, L.kh, L.kw, L.stride, L.pad};
      M = L.out_h * L.out_w;
      a.assign((size_t)M * L.K, 0);
      EXPECT_EQ(kg_ref_im2col(&s, x.data(), a.data()), KG_REF_OK);
    }
    std::vector<int32_t> acc((size_t)M * L.N);
    EXPECT_EQ(kg_ref_gemm(M, L.K, L.N, a.data(), L.W, nullptr, kg_geom{4, 4}, acc.data()),
              KG_REF_OK);
    x.assign(acc.size(), 0);
    for (size_t i = 0; i < acc.size(); i++) {
      const uint32_t n = (uint32_t)(i % L.N);
      x[i] = my_requant(acc[i], L.bias[n], L.mult[n], L.shift[n], L.relu != 0);
    }
  }
  return x;
}

const kgml_dataset &data(const char *split) { return kgtest::dataset(split); }

// A small CNN trained briefly, shared by the tests below.
const kgml_model &trained_cnn() {
  static kgml_model m;
  static bool done = false;
  if (!done) {
    const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 8, 3, 2, 1, 1},
                                 {KGML_LAYER_CONV, 16, 3, 2, 1, 1},
                                 {KGML_LAYER_FC, 32, 0, 0, 0, 1},
                                 {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
    EXPECT_EQ(kgml_model_build(&m, "qcnn", 28, 28, 1, s, 4, 21, nullptr), KGML_OK);
    kgml_train_opts o;
    kgml_train_defaults(&o, "cnn");
    o.n_train = 6000;
    o.max_steps = 250;
    o.lr = 3e-3;
    EXPECT_EQ(kgml_train(&m, &data("train"), &o, nullptr, nullptr), KGML_OK);
    done = true;
  }
  return m;
}

}  // namespace

TEST(Quant, RequantParamsPrecisionAndRange) {
  kgtest::Rng r(17);
  for (int i = 0; i < 20000; i++) {
    // Log-uniform over [2^-40, 2^29].
    const double e = -40.0 + 69.0 * (double)(r.next() % 1000000) / 1e6;
    const double s = std::exp2(e);
    int32_t mult;
    uint8_t shift;
    ASSERT_EQ(kgml_requant_params(s, &mult, &shift), KGML_OK) << s;
    ASSERT_GE(shift, 1);
    ASSERT_LE(shift, 62);
    ASSERT_GE(mult, 0);
    const double got = std::ldexp((double)mult, -shift);
    if (shift < 62) {
      // Full precision: mult in [2^30, 2^31), error at most half an ulp.
      ASSERT_GE(mult, 1 << 30) << s;
      ASSERT_LE(std::fabs(got - s), std::ldexp(0.5, -shift) * 1.0000001) << s;
    } else {
      ASSERT_LE(std::fabs(got - s), std::ldexp(0.5, -62) * 1.0000001) << s;
    }
  }
  int32_t mult;
  uint8_t shift;
  EXPECT_EQ(kgml_requant_params(0.5, &mult, &shift), KGML_OK);
  EXPECT_EQ(mult, 1 << 30);
  EXPECT_EQ(shift, 31);
  EXPECT_EQ(kgml_requant_params(std::exp2(29.9), &mult, &shift), KGML_OK);
  EXPECT_EQ(shift, 1);
  EXPECT_EQ(kgml_requant_params(std::exp2(30), &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(1e12, &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(1e-25, &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(0.0, &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(-0.25, &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(NAN, &mult, &shift), KGML_E_SCALE);
  EXPECT_EQ(kgml_requant_params(INFINITY, &mult, &shift), KGML_E_SCALE);
  // Just below 1 rounds to mult = 2^31 at shift 31; it must become 2^30 / 30.
  EXPECT_EQ(kgml_requant_params(1.0 - 1e-12, &mult, &shift), KGML_OK);
  EXPECT_EQ(mult, 1 << 30);
  EXPECT_EQ(shift, 30);
}

TEST(Quant, WeightsAndParamsInRange) {
  const kgml_model &fm = trained_cnn();
  kg_qmodel q;
  char d[KGML_DETAIL_LEN];
  ASSERT_EQ(kgml_quantize(&fm, &data("train"), 500, &q, d), KGML_OK) << d;
  ASSERT_EQ(q.n_layers, fm.n_layers);
  EXPECT_FLOAT_EQ(q.in_scale, 1.0f / 127.0f);
  EXPECT_EQ(q.in_zero, 0);
  EXPECT_EQ(q.layers[q.n_layers - 1].relu, 0u);
  float s_in = q.in_scale;
  for (uint32_t l = 0; l < q.n_layers; l++) {
    const kg_qlayer &L = q.layers[l];
    const kgml_layer &F = fm.layer[l];
    for (uint32_t n = 0; n < L.N; n++) {
      int amax = 0;
      for (uint32_t k = 0; k < L.K; k++) {
        const int w = L.W[(size_t)k * L.N + n];
        ASSERT_GE(w, -127);
        ASSERT_LE(w, 127);
        amax = std::max(amax, std::abs(w));
        // Each weight is the nearest step of its channel's scale.
        ASSERT_LE(std::fabs(F.w[(size_t)k * L.N + n] / L.w_scale[n] - w), 0.5001);
      }
      EXPECT_EQ(amax, 127) << "layer " << l << " channel " << n;
      ASSERT_GE(L.mult[n], 0);
      ASSERT_GE(L.shift[n], 1);
      ASSERT_LE(L.shift[n], 62);
      const double want = (double)s_in * L.w_scale[n] / L.out_scale;
      EXPECT_NEAR(std::ldexp((double)L.mult[n], -L.shift[n]) / want, 1.0, 1e-8);
      EXPECT_NEAR((double)L.bias[n], F.b[n] / ((double)s_in * L.w_scale[n]), 0.5001);
    }
    s_in = L.out_scale;
  }
  kg_qmodel_free(&q);
}

TEST(Quant, InferMatchesIndependentIntegerRecomputation) {
  const kgml_model &fm = trained_cnn();
  kg_qmodel q;
  ASSERT_EQ(kgml_quantize(&fm, &data("train"), 500, &q, nullptr), KGML_OK);
  const kgml_dataset &te = data("t10k");
  const size_t in = kg_qmodel_input_size(&q);
  std::vector<int8_t> x(in), logits(10);
  int nonzero = 0;
  for (uint32_t i = 0; i < 150; i++) {
    kg_qmodel_quantize_input(&q, te.pix + (size_t)i * in, in, x.data());
    // The input rule: round(pixel * 127 / 255), in integers.
    for (size_t j = 0; j < in; j++)
      ASSERT_EQ(x[j], (int8_t)((te.pix[(size_t)i * in + j] * 254 + 255) / 510));
    uint32_t pred = 99;
    ASSERT_EQ(kg_qmodel_infer(&q, x.data(), logits.data(), &pred), KGML_OK);
    const std::vector<int8_t> want = my_infer(q, x);
    ASSERT_EQ(want.size(), 10u);
    for (int c = 0; c < 10; c++) {
      ASSERT_EQ(logits[c], want[c]) << "image " << i << " class " << c;
      nonzero += want[c] != 0;
    }
    uint32_t best = 0;
    for (uint32_t c = 1; c < 10; c++)
      if (want[c] > want[best]) best = c;
    ASSERT_EQ(pred, best);
  }
  EXPECT_GT(nonzero, 150 * 5);  // the comparison is not between all-zero vectors
  kg_qmodel_free(&q);
}

TEST(Quant, Int8AccuracyCloseToFloat) {
  const kgml_model &fm = trained_cnn();
  kg_qmodel q;
  ASSERT_EQ(kgml_quantize(&fm, &data("train"), 1000, &q, nullptr), KGML_OK);
  kgml_dataset sub = data("t10k");
  sub.n = 2000;
  double af, aq;
  ASSERT_EQ(kgml_evaluate(&fm, &sub, 2, &af), KGML_OK);
  ASSERT_EQ(kg_qmodel_evaluate(&q, &sub, 2, &aq), KGML_OK);
  EXPECT_GT(af, 0.7);
  EXPECT_NEAR(aq, af, 0.015) << "float " << af << " int8 " << aq;
  kg_qmodel_free(&q);
}

TEST(Quant, RejectsUnrepresentableScale) {
  // Channel 0 of layer 0 is huge and channel 1 tiny, so layer 1's ratio
  // s_in * s_w / s_out for the tiny weights underflows every shift <= 62.
  const kgml_layer_spec s[] = {{KGML_LAYER_FC, 2, 0, 0, 0, 1}, {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  kgml_model m;
  ASSERT_EQ(kgml_model_build(&m, "bad", 28, 28, 1, s, 2, 1, nullptr), KGML_OK);
  for (uint32_t k = 0; k < 784; k++) {
    m.layer[0].w[k * 2] = 1e18f;
    m.layer[0].w[k * 2 + 1] = 1.0f;
  }
  for (uint32_t i = 0; i < 2 * 10; i++) m.layer[1].w[i] = 1e-20f;
  kg_qmodel q;
  char d[KGML_DETAIL_LEN] = "";
  EXPECT_EQ(kgml_quantize(&m, &data("train"), 50, &q, d), KGML_E_SCALE);
  EXPECT_NE(std::string(d).find("not representable"), std::string::npos) << d;
  EXPECT_EQ(q.layers, nullptr);
  m.layer[1].w[3] = NAN;
  EXPECT_EQ(kgml_quantize(&m, &data("train"), 50, &q, d), KGML_E_NUMERIC);
  kgml_model_free(&m);
}
