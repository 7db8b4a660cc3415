// kg_top end to end through libkgsim: random FC and conv layers in every
// decrypt mode, with and without the sign key, against the C reference.
//
// Environment: KG_TOP_LAYERS (random layers, default 100 per geometry),
// KG_SEED (base seed), KG_CASE (run only that case).
#include "kg_test_env.hpp"
#include <gtest/gtest.h>

#include <cstdlib>

#include "top_harness.hpp"

namespace {

using kgtest::env_u64;

uint64_t bound_for(const kgt::Layer& L, kg_geom g) {
  const uint64_t kt = (L.K + g.rows - 1) / g.rows, nt = (L.N + g.cols - 1) / g.cols;
  return 200000 + 40 * (uint64_t(L.M) * kt * nt + uint64_t(L.M) * L.K / 16 + kt * nt * 8 + L.d.w_pos / 16);
}

TEST(TopRegs, IdentifiesItselfAndItsGeometry) {
  kgt::Device dev;
  EXPECT_EQ(0x4B474D43u, dev.rd(KG_REG_ID));
  EXPECT_EQ(KG_REGMAP_VERSION, dev.rd(KG_REG_VERSION));
  const uint32_t a = dev.rd(KG_REG_HW_ARRAY);
  EXPECT_EQ(kgsim_rows(dev.sim()), a & 0xffffu);
  EXPECT_EQ(kgsim_cols(dev.sim()), a >> 16);
  EXPECT_NE(0u, dev.rd(KG_REG_HW_BUF) & 0xffffu);
}

TEST(TopLayers, PlainFcLayer) {
  kgt::Device dev;
  std::mt19937_64 rng(1);
  const kg_geom g = dev.geom();
  kgt::Keys k = kgt::random_keys(rng, g, 16);
  dev.provision(k, false);
  kgt::Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_NONE, false, k);
  dev.place(L, k);
  uint32_t err = 99;
  uint64_t cyc = 0;
  const uint32_t st = dev.run(L, bound_for(L, g), &err, &cyc);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, st) << kgt::describe(L) << " err=" << err;
  EXPECT_EQ(0u, err);
  bool pad_ok = false;
  EXPECT_EQ(L.expect, dev.output(L, &pad_ok)) << kgt::describe(L);
  EXPECT_TRUE(pad_ok);
}

// An FC layer reading a convolution's output (docs/spec.md, "FC after
// CONV"): garbage in the padding channels of its input and random bytes in
// the padding rows of its weights; the input mask makes it bit-exact with
// the reference, and costs no cycle: the same layer without the mask takes
// exactly as many cycles (and, with padding, gives other outputs).
TEST(TopLayers, FcAfterConvMasksPaddingAtNoCycles) {
  kgt::Device dev;
  const kg_geom g = dev.geom();
  std::mt19937_64 rng(31);
  kgt::Keys k = kgt::random_keys(rng, g, 16);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev.provision(k, true));
  struct Shape { uint32_t h, w, c, m, n, crypt; bool sign; };
  const Shape shapes[] = {{3, 3, 5, 7, 9, KG_CRYPT_CTR, true},   {2, 4, 16, 3, 5, KG_CRYPT_NONE, false},
                          {1, 2, 17, 12, 4, KG_CRYPT_DEEPLOCK, true}, {2, 2, 33, 2, 11, KG_CRYPT_CTR, false},
                          {4, 1, 1, 5, 3, KG_CRYPT_DEEPLOCK, false}};
  for (const Shape& s : shapes) {
    kgt::Layer L = kgt::fc_after_conv_layer(rng, g, s.h, s.w, s.c, s.m, s.n, s.crypt, s.sign, 0x10000);
    kgt::Layer plain = L;
    plain.d.in_group = plain.d.in_valid = 0;
    const std::string what = kgt::describe(L);
    // Alternate masked and unmasked runs so that each compared run follows
    // a run of the same layer (Deep-Lock's seek depends on the one before).
    uint64_t cyc[4] = {0, 0, 0, 0};
    std::vector<int8_t> out[4];
    for (int i = 0; i < 4; i++) {
      const kgt::Layer& R = (i % 2) ? plain : L;
      dev.place(R, k);
      uint32_t err = 99;
      ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev.run(R, bound_for(R, g), &err, &cyc[i])) << what << " err=" << err;
      bool pad_ok = false;
      out[i] = dev.output(R, &pad_ok);
      EXPECT_TRUE(pad_ok) << what;
    }
    EXPECT_EQ(L.expect, out[0]) << what;
    EXPECT_EQ(L.expect, out[2]) << what;
    EXPECT_EQ(cyc[1], cyc[2]) << what << ": the mask costs cycles";
    EXPECT_EQ(cyc[2], cyc[3]) << what << ": the mask costs cycles";
    if (s.c % 16 != 0) {
      EXPECT_NE(L.expect, out[1]) << what << ": the padding did not matter";
    } else {
      EXPECT_EQ(L.expect, out[1]) << what;
    }
  }
}

TEST(TopLayers, RandomLayersVsReference) {
  kgt::Device dev;
  const kg_geom g = dev.geom();
  const uint64_t n = env_u64("KG_TOP_LAYERS", 100);
  const uint64_t base = env_u64("KG_SEED", 1);
  const uint64_t only = env_u64("KG_CASE", ~0ull);
  int fails = 0;
  for (uint64_t i = 0; i < n && fails < 5; i++) {
    if (only != ~0ull && i != only) continue;
    std::mt19937_64 rng(base * 7919 + i);
    const unsigned aes_bytes = 16 + 8 * unsigned(rng() % 3);
    kgt::Keys k = kgt::random_keys(rng, g, aes_bytes);
    const uint32_t st_k = dev.provision(k, true);
    ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, st_k) << "key check, case " << i;
    const bool conv = (rng() % 2) == 0;
    const uint32_t crypt = uint32_t(rng() % 3);
    const bool sign = (rng() % 4) != 0;
    kgt::Layer L = kgt::random_layer(rng, g, conv, crypt, sign, k);
    dev.place(L, k);
    uint32_t err = 99;
    uint64_t cyc = 0;
    const uint32_t st = dev.run(L, bound_for(L, g), &err, &cyc);
    bool pad_ok = false;
    const auto out = dev.output(L, &pad_ok);
    if (st != KG_IRQ_STATUS_DONE_MASK || out != L.expect || !pad_ok) {
      fails++;
      size_t bad = 0;
      while (bad < out.size() && out[bad] == L.expect[bad]) bad++;
      ADD_FAILURE() << "case " << i << " (KG_SEED=" << base << " KG_CASE=" << i << "): "
                    << kgt::describe(L) << " irq=" << st << " err=" << err << " cycles=" << cyc
                    << " pad_ok=" << pad_ok << " first mismatch at " << bad << "/" << out.size()
                    << (bad < out.size() ? " got " + std::to_string(out[bad]) + " want " +
                                               std::to_string(L.expect[bad])
                                         : std::string());
    }
  }
  std::printf("[ TopLayers ] %ux%u: %llu random layers, %d failures\n", g.rows, g.cols,
              (unsigned long long)n, fails);
}

}  // namespace
