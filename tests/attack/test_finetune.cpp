// The fine-tuning thief: the float model he rebuilds from a .kgm's bytes
// (tile layout undone, scales from the clear parameter records) matches
// the quantized model exactly when nothing is locked, carries the key's
// sign flips when the file is sign-locked, is garbage under a wrong AES
// key, and fine-tuning a sign-locked model with 10% of the data beats
// training from scratch on the same subset.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <vector>

extern "C" {
#include "kgattack/attack_ml.h"
#include "kgmac/lock.h"
#include "kgml/quant.h"
}

namespace {

struct Sets {
  kgml_dataset train{}, test{};
  Sets() {
    char d[KGML_DETAIL_LEN] = "";
    EXPECT_EQ(KGML_OK, kgml_dataset_load(KG_TEST_DATA_DIR, "train", &train, d)) << d;
    EXPECT_EQ(KGML_OK, kgml_dataset_load(KG_TEST_DATA_DIR, "t10k", &test, d)) << d;
  }
  ~Sets() {
    kgml_dataset_free(&train);
    kgml_dataset_free(&test);
  }
};

Sets &sets() {
  static Sets s;
  return s;
}

// 784-50-10: N = 50 and K = 50 are not multiples of 4 (partial tiles).
kgml_model small_mlp(uint64_t seed) {
  const kgml_layer_spec s[] = {{KGML_LAYER_FC, 50, 0, 0, 0, 1}, {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  kgml_model m;
  char d[KGML_DETAIL_LEN] = "";
  EXPECT_EQ(KGML_OK, kgml_model_build(&m, "mlp50", 28, 28, 1, s, 2, seed, d)) << d;
  return m;
}

kgml_train_opts train_opts(uint32_t epochs, uint32_t n_train) {
  kgml_train_opts o;
  kgml_train_defaults(&o, "mlp");
  o.epochs = epochs;
  o.n_train = n_train;
  o.nthreads = 2;
  return o;
}

// A small MLP trained for `epochs` on the first n_train images (0 = all),
// and its int8 quantization.
void trained_quantized(uint64_t seed, uint32_t epochs, uint32_t n_train, kgml_model *m,
                       kg_qmodel *q) {
  *m = small_mlp(seed);
  kgml_train_opts o = train_opts(epochs, n_train);
  char d[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(KGML_OK, kgml_train(m, &sets().train, &o, nullptr, d)) << d;
  ASSERT_EQ(KGML_OK, kgml_quantize(m, &sets().train, 500, q, d)) << d;
}

kg_keys test_keys(uint32_t rows, uint32_t cols, uint64_t seed) {
  kg_keys k;
  std::memset(&k, 0, sizeof k);
  kga_guess_key(seed, k.aes_key, 16);
  k.aes_len = 16;
  kga_guess_key(seed + 1000, k.sign_key, 128);
  k.sign_bits = rows * cols;
  return k;
}

// Lock q and send it through the file format (serialize + parse): the
// thief reads bytes.
kgm_model lock_bytes(const kg_qmodel &q, uint32_t crypt, int sign, const kg_keys &keys) {
  // Version 1: the sign lock uses the device key itself, which the checks
  // below compare with (version 2 would lock with a per-model key).
  kglock_opts o{4, 4, crypt, sign, &keys, nullptr, 1};
  static const uint8_t nonce[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  o.nonce = nonce;
  kgm_model locked, back;
  char d[KG_DETAIL_LEN] = "";
  EXPECT_EQ(KG_OK, kglock_model(&q, &o, &locked, d)) << d;
  uint8_t *buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(KG_OK, kgm_serialize(&locked, &buf, &len, d)) << d;
  EXPECT_EQ(KG_OK, kgm_parse(&back, buf, len, d)) << d;
  free(buf);
  kgm_model_free(&locked);
  return back;
}

double acc_on(const kgml_model &m, uint32_t n) {
  kgml_dataset v = sets().test;
  v.n = n;
  double a = -1;
  EXPECT_EQ(KGML_OK, kgml_evaluate(&m, &v, 2, &a));
  return a;
}

// Float weight k,n of the thief model vs the quantized q * s_w.
void expect_dequantized(const kgml_model &t, const kg_qmodel &q, bool sign_flipped,
                        const kg_keys *keys) {
  ASSERT_EQ(t.n_layers, q.n_layers);
  for (uint32_t l = 0; l < q.n_layers; l++) {
    const kg_qlayer &Q = q.layers[l];
    ASSERT_EQ(t.layer[l].K, Q.K);
    ASSERT_EQ(t.layer[l].N, Q.N);
    for (uint32_t k = 0; k < Q.K; k++)
      for (uint32_t n = 0; n < Q.N; n++) {
        double want = (double)Q.W[(size_t)k * Q.N + n] * Q.w_scale[n];
        if (sign_flipped) {
          const uint32_t bit = (k % 4) * 4 + n % 4;
          if ((keys->sign_key[bit / 8] >> (bit % 8)) & 1) want = -want;
        }
        const double got = t.layer[l].w[(size_t)k * Q.N + n];
        ASSERT_NEAR(got, want, 1e-5 * std::fabs(want) + 1e-9) << "layer " << l << " k " << k
                                                                << " n " << n;
      }
  }
}

}  // namespace

TEST(AttackFinetune, RebuildsPlainSignAndGarbage) {
  kgml_model m;
  kg_qmodel q;
  ASSERT_NO_FATAL_FAILURE(trained_quantized(3, 1, 6000, &m, &q));
  char d[KGML_DETAIL_LEN] = "";
  const kg_keys keys = test_keys(4, 4, 77);

  kgm_model plain = lock_bytes(q, KGM_CRYPT_NONE, 0, keys);
  kgml_model t;
  ASSERT_EQ(KGML_OK, kga_thief_model(&plain, nullptr, 0, &t, d)) << d;
  expect_dequantized(t, q, false, nullptr);
  const double acc_plain = acc_on(t, 2000);
  EXPECT_NEAR(acc_plain, acc_on(m, 2000), 0.02);  // int8 rounding only
  kgml_model_free(&t);

  kgm_model signed_only = lock_bytes(q, KGM_CRYPT_NONE, 1, keys);
  EXPECT_STREQ("sign-only", kga_scheme_name(&signed_only));
  ASSERT_EQ(KGML_OK, kga_thief_model(&signed_only, nullptr, 0, &t, d)) << d;
  expect_dequantized(t, q, true, &keys);
  EXPECT_LT(acc_on(t, 2000), acc_plain - 0.2);
  kgml_model_free(&t);

  // Deep-Lock: the right key (which the thief does not have) restores the
  // sign-locked weights; a guessed one gives garbage near chance.
  kgm_model dl = lock_bytes(q, KGM_CRYPT_DEEPLOCK, 0, keys);
  EXPECT_EQ(KGML_E_INVAL, kga_thief_model(&dl, nullptr, 0, &t, d));
  ASSERT_EQ(KGML_OK, kga_thief_model(&dl, keys.aes_key, 16, &t, d)) << d;
  expect_dequantized(t, q, false, nullptr);
  kgml_model_free(&t);
  uint8_t guess[16];
  kga_guess_key(1, guess, 16);
  ASSERT_EQ(KGML_OK, kga_thief_model(&dl, guess, 16, &t, d)) << d;
  EXPECT_LT(acc_on(t, 2000), 0.3);
  kgml_model_free(&t);

  kgm_model_free(&plain);
  kgm_model_free(&signed_only);
  kgm_model_free(&dl);
  kg_qmodel_free(&q);
  kgml_model_free(&m);
}

// An FC layer after a convolution with 4 channels: the file carries zero
// rows for the 16-byte pixel padding, which the thief drops.
TEST(AttackFinetune, RebuildsConvWithPixelPadding) {
  const kgml_layer_spec s[] = {{KGML_LAYER_CONV, 4, 3, 2, 1, 1}, {KGML_LAYER_FC, 10, 0, 0, 0, 0}};
  kgml_model m;
  char d[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(KGML_OK, kgml_model_build(&m, "conv", 28, 28, 1, s, 2, 5, d)) << d;
  kg_qmodel q;
  ASSERT_EQ(KGML_OK, kgml_quantize(&m, &sets().train, 200, &q, d)) << d;
  const kg_keys keys = test_keys(4, 4, 9);
  kgm_model f = lock_bytes(q, KGM_CRYPT_NONE, 0, keys);
  ASSERT_NE(f.layers[1].K, q.layers[1].K);  // padded in the file
  kgml_model t;
  ASSERT_EQ(KGML_OK, kga_thief_model(&f, nullptr, 0, &t, d)) << d;
  expect_dequantized(t, q, false, nullptr);
  kgml_model_free(&t);
  kgm_model_free(&f);
  kg_qmodel_free(&q);
  kgml_model_free(&m);
}

TEST(AttackFinetune, StratifiedSubset) {
  kgml_dataset a, b;
  char d[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(KGML_OK, kga_stratified_subset(&sets().train, 0.01, 4, &a, d)) << d;
  ASSERT_EQ(KGML_OK, kga_stratified_subset(&sets().train, 0.01, 4, &b, d)) << d;
  EXPECT_EQ(600u, a.n);  // 6000 per class in Fashion-MNIST
  uint32_t per[10] = {0};
  for (uint32_t i = 0; i < a.n; i++) per[a.labels[i]]++;
  for (uint32_t c = 0; c < 10; c++) EXPECT_EQ(60u, per[c]);
  EXPECT_EQ(0, std::memcmp(a.pix, b.pix, (size_t)a.n * 784));  // same seed, same subset
  kgml_dataset_free(&b);
  ASSERT_EQ(KGML_OK, kga_stratified_subset(&sets().train, 0.01, 5, &b, d)) << d;
  EXPECT_NE(0, std::memcmp(a.pix, b.pix, (size_t)a.n * 784));
  EXPECT_EQ(KGML_E_INVAL, kga_stratified_subset(&sets().train, 0.0, 4, &b, d));
  EXPECT_EQ(KGML_E_INVAL, kga_stratified_subset(&sets().train, 1.5, 4, &b, d));
  kgml_dataset_free(&a);
  kgml_dataset_free(&b);
}

// The outcome the lab asserts: with 10% of the data and the same budget,
// the thief starting from a sign-only model beats training from scratch.
// The naive thief (fine-tune the weights as read) is measured too; the
// sign-aware one first searches the R x C sign bits on his subset.
TEST(AttackFinetune, SignOnlyTenPercentBeatsScratch) {
  kgml_model m;
  kg_qmodel q;
  ASSERT_NO_FATAL_FAILURE(trained_quantized(11, 3, 0, &m, &q));
  char d[KGML_DETAIL_LEN] = "";
  const kg_keys keys = test_keys(4, 4, 21);
  kgm_model f = lock_bytes(q, KGM_CRYPT_NONE, 1, keys);
  kgml_model naive, aware, scratch;
  ASSERT_EQ(KGML_OK, kga_thief_model(&f, nullptr, 0, &naive, d)) << d;
  ASSERT_EQ(KGML_OK, kga_thief_model(&f, nullptr, 0, &aware, d)) << d;
  ASSERT_EQ(KGML_OK, kga_scratch_model(&naive, 2, &scratch, d)) << d;
  kgml_dataset sub;
  ASSERT_EQ(KGML_OK, kga_stratified_subset(&sets().train, 0.10, 2, &sub, d)) << d;
  uint8_t guess[2];
  uint32_t evals = 0;
  ASSERT_EQ(KGML_OK, kga_sign_search(&aware, &f, &sub, 1000, 4, guess, &evals, d)) << d;
  int right = 0;
  for (uint32_t b = 0; b < 16; b++)
    right += ((guess[b / 8] >> (b % 8)) & 1) == ((keys.sign_key[b / 8] >> (b % 8)) & 1);
  EXPECT_GE(right, 15) << "sign bits recovered by the search";
  EXPECT_LE(evals, 7u * (1u + 4u * 16u));  // greedy runs of at most 4 sweeps
  kgml_train_opts ft = train_opts(2, 0);
  ft.seed = 2;
  kga_finetune_result rn, ra, rs;
  ASSERT_EQ(KGML_OK, kga_finetune(&naive, &sub, &sets().test, 2000, &ft, &rn, d)) << d;
  ASSERT_EQ(KGML_OK, kga_finetune(&aware, &sub, &sets().test, 2000, &ft, &ra, d)) << d;
  ASSERT_EQ(KGML_OK, kga_finetune(&scratch, &sub, &sets().test, 2000, &ft, &rs, d)) << d;
  EXPECT_EQ(6000u, ra.n_subset);
  EXPECT_LT(rn.acc_start, 0.7);  // the lock bites before fine-tuning
  EXPECT_GT(rn.acc_thief, rn.acc_start + 0.1);
  EXPECT_GT(ra.acc_thief, rs.acc_thief + 0.01)
      << "thief " << ra.acc_thief << " scratch " << rs.acc_thief;
  std::printf("10%%, 2 epochs: scratch %.4f, naive thief %.4f (start %.4f), sign-aware %.4f "
              "(start %.4f, %d/16 bits, %u loss evaluations)\n",
              rs.acc_thief, rn.acc_thief, rn.acc_start, ra.acc_thief, ra.acc_start, right, evals);
  kgml_dataset_free(&sub);
  kgml_model_free(&naive);
  kgml_model_free(&aware);
  kgml_model_free(&scratch);
  kgm_model_free(&f);
  kg_qmodel_free(&q);
  kgml_model_free(&m);
}
