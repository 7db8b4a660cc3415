// Float models and the trainer: gradients, conv order, learning, determinism,
// the .kgf file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

extern "C" {
#include "kgmac/ref_layer.h"
#include "kgml/fmodel.h"
#include "kgml/train.h"
#include "kgml_nn.h"
}
#include "test_util.h"

namespace {

const kgml_dataset &train_set() { return kgtest::dataset("train"); }
const kgml_dataset &test_set() { return kgtest::dataset("t10k"); }

// A small CNN with every layer kind: conv stride 1 and 2, padding, an FC
// after a conv (NHWC flatten), ReLU, and a linear last layer.
int tiny_cnn(kgml_model *m, uint32_t h, uint32_t w, uint32_t c, uint64_t seed) {
  const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 3, 3, 1, 1, 1},
                               {KGML_LAYER_CONV, 4, 3, 2, 1, 1},
                               {KGML_LAYER_FC, 5, 0, 0, 0, 1},
                               {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  return kgml_model_build(m, "tiny", h, w, c, s, 4, seed, nullptr);
}

// sum(r * logits) of one image with the current parameters (double).
double objective(const kgml_model &m, kgml_ws &ws, const std::vector<float> &x,
                 const std::vector<float> &r) {
  std::memcpy(ws.act[0], x.data(), x.size() * sizeof(float));
  kgml_forward(&m, &ws, 1);
  double s = 0;
  for (size_t i = 0; i < r.size(); i++) s += (double)r[i] * ws.act[m.n_layers][i];
  return s;
}

}  // namespace

TEST(FloatModel, GradientMatchesFiniteDifferences) {
  kgml_model m;
  ASSERT_EQ(tiny_cnn(&m, 7, 6, 2, 11), KGML_OK);
  kgtest::Rng rng(3);
  for (size_t i = 0; i < m.n_params; i++)
    m.params[i] += (float)((int)(rng.next() % 2001) - 1000) * 1e-4f;  // nonzero biases too
  std::vector<float> x(7 * 6 * 2), r(10);
  for (auto &v : x) v = (float)(rng.next() % 1000) / 1000.0f;
  for (auto &v : r) v = (float)((int)(rng.next() % 2001) - 1000) / 1000.0f;
  kgml_ws ws;
  ASSERT_EQ(kgml_ws_init(&ws, &m, 1, 1), KGML_OK);
  std::vector<float> grad(m.n_params, 0.0f);
  std::vector<std::vector<float>> wt(m.n_layers);
  std::vector<float *> wtp(KGML_MAX_LAYERS, nullptr);
  for (uint32_t l = 0; l < m.n_layers; l++) {
    wt[l].resize((size_t)m.layer[l].K * m.layer[l].N);
    wtp[l] = wt[l].data();
  }
  kgml_transpose_weights(&m, wtp.data());
  objective(m, ws, x, r);
  std::memcpy(ws.dact[m.n_layers], r.data(), r.size() * sizeof(float));
  kgml_backward(&m, &ws, 1, wtp.data(), grad.data());
  int checked = 0, misses = 0;
  for (size_t i = 0; i < m.n_params; i += 3) {
    const float keep = m.params[i];
    const float h = 1e-2f;
    m.params[i] = keep + h;
    const double up = objective(m, ws, x, r);
    m.params[i] = keep - h;
    const double dn = objective(m, ws, x, r);
    m.params[i] = keep;
    const double num = (up - dn) / (2.0 * h);
    // ReLU kinks make a few finite differences meaningless; they are rare
    // and show up as large disagreements on both sides, so allow a tiny
    // number of misses.
    if (std::fabs(num - grad[i]) > 2e-3 + 2e-2 * std::fabs(num)) {
      misses++;
      std::printf("param %zu: backward %g numeric %g\n", i, (double)grad[i], num);
    }
    checked++;
  }
  EXPECT_GT(checked, 50);
  EXPECT_LE(misses, 2) << "of " << checked;
  kgml_ws_free(&ws);
  kgml_model_free(&m);
}

TEST(FloatModel, ConvMatchesReferenceIm2colOrder) {
  // Integer weights and inputs make the float forward exact, so the first
  // conv's pre-activation must equal the int32 accumulators of kgref's
  // im2col + GEMM, proving the same k = (ky*KW + kx)*IC + ic order.
  const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 5, 3, 2, 1, 0}};
  kgml_model m;
  ASSERT_EQ(kgml_model_build(&m, "c", 9, 8, 3, s, 1, 1, nullptr), KGML_OK);
  const kgml_layer &L = m.layer[0];
  kgtest::Rng rng(8);
  std::vector<int8_t> wq((size_t)L.K * L.N), xq(9 * 8 * 3);
  for (size_t i = 0; i < wq.size(); i++) {
    wq[i] = (int8_t)rng.range(-5, 5);
    L.w[i] = wq[i];
  }
  for (uint32_t n = 0; n < L.N; n++) L.b[n] = 0;
  for (auto &v : xq) v = (int8_t)rng.range(-9, 9);
  kgml_ws ws;
  ASSERT_EQ(kgml_ws_init(&ws, &m, 1, 0), KGML_OK);
  for (size_t i = 0; i < xq.size(); i++) ws.act[0][i] = xq[i];
  kgml_forward(&m, &ws, 1);
  const kg_conv_shape cs = {9, 8, 3, 5, 3, 3, 2, 1};
  const uint32_t M = kg_conv_out_h(&cs) * kg_conv_out_w(&cs);
  ASSERT_EQ(M, L.M);
  std::vector<int8_t> cols((size_t)M * L.K);
  std::vector<int32_t> acc((size_t)M * L.N);
  ASSERT_EQ(kg_ref_im2col(&cs, xq.data(), cols.data()), KG_REF_OK);
  ASSERT_EQ(kg_ref_gemm(M, L.K, L.N, cols.data(), wq.data(), nullptr, kg_geom{1, 1}, acc.data()),
            KG_REF_OK);
  for (size_t i = 0; i < acc.size(); i++) ASSERT_EQ(ws.act[1][i], (float)acc[i]) << i;
  kgml_ws_free(&ws);
  kgml_model_free(&m);
}

TEST(Train, TinyModelLearns) {
  const kgml_dataset &tr = train_set(), &te = test_set();
  ASSERT_GT(tr.n, 0u);
  const kgml_layer_spec s[] = {{KGML_LAYER_FC, 32, 0, 0, 0, 1}, {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  kgml_model m;
  ASSERT_EQ(kgml_model_build(&m, "tiny", 28, 28, 1, s, 2, 5, nullptr), KGML_OK);
  kgml_dataset held = te;
  held.n = 1000;
  double loss0, loss1, acc0, acc1;
  ASSERT_EQ(kgml_mean_loss(&m, &held, 0, &loss0), KGML_OK);
  ASSERT_EQ(kgml_evaluate(&m, &held, 2, &acc0), KGML_OK);
  kgml_train_opts o;
  kgml_train_defaults(&o, "mlp");
  o.epochs = 20;
  o.batch = 32;
  o.n_train = 3000;
  o.max_steps = 300;
  o.lr = 3e-3;
  kgml_epoch_stats last;
  char d[KGML_DETAIL_LEN];
  ASSERT_EQ(kgml_train(&m, &tr, &o, &last, d), KGML_OK) << d;
  ASSERT_EQ(kgml_mean_loss(&m, &held, 0, &loss1), KGML_OK);
  ASSERT_EQ(kgml_evaluate(&m, &held, 2, &acc1), KGML_OK);
  EXPECT_LT(loss1, 0.5 * loss0) << "loss " << loss0 << " -> " << loss1;
  EXPECT_GT(acc1, 0.65) << "accuracy " << acc0 << " -> " << acc1;
  EXPECT_LT(acc0, 0.3);
  std::printf("tiny model: loss %.3f -> %.3f, accuracy %.1f%% -> %.1f%%\n", loss0, loss1,
              100 * acc0, 100 * acc1);
  kgml_model_free(&m);
}

TEST(Train, DeterministicAcrossRunsAndThreadCounts) {
  const kgml_dataset &tr = train_set();
  kgml_model a, b, c;
  ASSERT_EQ(tiny_cnn(&a, 28, 28, 1, 9), KGML_OK);
  ASSERT_EQ(kgml_model_copy(&b, &a), KGML_OK);
  ASSERT_EQ(kgml_model_copy(&c, &a), KGML_OK);
  kgml_train_opts o;
  kgml_train_defaults(&o, "cnn");
  o.n_train = 512;
  o.max_steps = 12;
  o.nthreads = 2;
  ASSERT_EQ(kgml_train(&a, &tr, &o, nullptr, nullptr), KGML_OK);
  o.nthreads = 1;
  ASSERT_EQ(kgml_train(&b, &tr, &o, nullptr, nullptr), KGML_OK);
  EXPECT_EQ(std::memcmp(a.params, b.params, a.n_params * sizeof(float)), 0);
  o.seed = 2;  // another shuffle gives other weights
  ASSERT_EQ(kgml_train(&c, &tr, &o, nullptr, nullptr), KGML_OK);
  EXPECT_NE(std::memcmp(a.params, c.params, a.n_params * sizeof(float)), 0);
  kgml_model_free(&a);
  kgml_model_free(&b);
  kgml_model_free(&c);
}

TEST(FloatModel, ReferenceArchitectures) {
  kgml_model m;
  ASSERT_EQ(kgml_model_create(&m, "mlp", 1, nullptr), KGML_OK);
  EXPECT_EQ(m.n_layers, 3u);
  EXPECT_EQ(m.n_params, 784u * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10);
  kgml_model_free(&m);
  ASSERT_EQ(kgml_model_create(&m, "cnn", 1, nullptr), KGML_OK);
  EXPECT_EQ(m.layer[2].out_h, 7u);
  EXPECT_EQ(m.layer[2].out_w, 7u);
  EXPECT_EQ(m.layer[3].K, 7u * 7 * 32);
  for (uint32_t l = 0; l < m.n_layers; l++) {
    if (m.layer[l].spec.type != KGML_LAYER_CONV) continue;
    EXPECT_LE(m.layer[l].spec.k, 7u);
    EXPECT_TRUE(m.layer[l].spec.stride == 1 || m.layer[l].spec.stride == 2);
  }
  EXPECT_EQ(m.layer[m.n_layers - 1].spec.relu, 0u);
  kgml_model_free(&m);
  EXPECT_EQ(kgml_model_create(&m, "resnet", 1, nullptr), KGML_E_INVAL);
  const kgml_layer_spec bad[] = {{KGML_LAYER_CONV, 4, 9, 1, 0, 0}};
  EXPECT_EQ(kgml_model_build(&m, "x", 28, 28, 1, bad, 1, 1, nullptr), KGML_E_CONV);
  const kgml_layer_spec relu_last[] = {{KGML_LAYER_FC, 4, 0, 0, 0, 1}};
  EXPECT_EQ(kgml_model_build(&m, "x", 28, 28, 1, relu_last, 1, 1, nullptr), KGML_E_HEADER);
}

TEST(FloatModel, FileRoundTripAndRejects) {
  kgml_model m, r;
  ASSERT_EQ(tiny_cnn(&m, 12, 12, 1, 4), KGML_OK);
  const std::string p = kgtest::tmp_path("tiny.kgf");
  char d[KGML_DETAIL_LEN];
  ASSERT_EQ(kgml_model_save(&m, p.c_str(), d), KGML_OK) << d;
  ASSERT_EQ(kgml_model_load(&r, p.c_str(), d), KGML_OK) << d;
  EXPECT_STREQ(r.arch, "tiny");
  ASSERT_EQ(r.n_params, m.n_params);
  EXPECT_EQ(std::memcmp(r.params, m.params, m.n_params * sizeof(float)), 0);
  kgml_model_free(&r);
  auto bytes = kgtest::read_bytes(p);
  for (size_t len = 0; len < bytes.size(); len += 7)
    EXPECT_EQ(kgml_model_parse(&r, bytes.data(), len, d), KGML_E_TRUNCATED) << len;
  bytes[0] ^= 1;
  EXPECT_EQ(kgml_model_parse(&r, bytes.data(), bytes.size(), d), KGML_E_MAGIC);
  bytes[0] ^= 1;
  bytes[100] ^= 4;
  EXPECT_EQ(kgml_model_parse(&r, bytes.data(), bytes.size(), d), KGML_E_CRC);
  bytes[100] ^= 4;
  bytes.push_back(0);
  EXPECT_EQ(kgml_model_parse(&r, bytes.data(), bytes.size(), d), KGML_E_TRAILING);
  bytes.pop_back();
  // Damage the header or layer table and repair the CRC: the reader must
  // reject or accept without crashing, and an accepted model must run.
  kgtest::Rng rng(99);
  int rejected = 0;
  for (int it = 0; it < 2000; it++) {
    auto c = bytes;
    c[rng.next() % (48 + 24 * 4)] = (uint8_t)rng.next();
    const uint32_t crc = (uint32_t)crc32(0L, c.data(), (uInt)(c.size() - 4));
    for (int i = 0; i < 4; i++) c[c.size() - 4 + i] = (uint8_t)(crc >> (8 * i));
    const int rc = kgml_model_parse(&r, c.data(), c.size(), d);
    if (rc != KGML_OK) {
      rejected++;
      ASSERT_EQ(r.params, nullptr);
      continue;
    }
    const size_t in = (size_t)r.in_h * r.in_w * r.in_c;
    std::vector<uint8_t> px(in, 128);
    uint8_t pred;
    EXPECT_EQ(kgml_predict(&r, px.data(), 1, 1, &pred, nullptr), KGML_OK);
    kgml_model_free(&r);
  }
  EXPECT_GT(rejected, 1000);
  kgml_model_free(&m);
}
