// Tests of the reference requantization, FC and convolution layers.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kgmac/ref_layer.h"

namespace {

// The rule, computed independently with long double arithmetic.
int8_t requant_model(int32_t acc, int32_t bias, int32_t mult, int shift, int relu) {
  const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias));
  const long double v = static_cast<long double>(x) * mult / std::ldexp(1.0L, shift);
  long double y = std::floor(v + 0.5L);  // half toward +inf
  if (y > 127) y = 127;
  if (y < -128) y = -128;
  if (relu && y < 0) y = 0;
  return static_cast<int8_t>(y);
}

TEST(Requant, RoundsHalfTowardPlusInfinity) {
  // mult/2^shift = 1/2: 1 -> 0.5 -> 1, -1 -> -0.5 -> 0, 3 -> 1.5 -> 2, -3 -> -1.5 -> -1.
  const int32_t half = 1 << 30;
  EXPECT_EQ(1, kg_requant_one(1, 0, half, 31, 0));
  EXPECT_EQ(0, kg_requant_one(-1, 0, half, 31, 0));
  EXPECT_EQ(2, kg_requant_one(3, 0, half, 31, 0));
  EXPECT_EQ(-1, kg_requant_one(-3, 0, half, 31, 0));
  EXPECT_EQ(-2, kg_requant_one(-5, 0, half, 31, 0));
}

TEST(Requant, SaturatesAndRelu) {
  EXPECT_EQ(127, kg_requant_one(1000, 0, 1 << 30, 30, 0));
  EXPECT_EQ(-128, kg_requant_one(-1000, 0, 1 << 30, 30, 0));
  EXPECT_EQ(0, kg_requant_one(-1000, 0, 1 << 30, 30, 1));
  EXPECT_EQ(5, kg_requant_one(5, 0, 1 << 30, 30, 1));
  // Extremes of every operand stay defined.
  EXPECT_EQ(-128, kg_requant_one(INT32_MIN, 0, INT32_MAX, 1, 0));
  EXPECT_EQ(127, kg_requant_one(INT32_MAX, 0, INT32_MAX, 1, 0));
  EXPECT_EQ(-1, kg_requant_one(INT32_MIN, 0, INT32_MAX, 62, 0));
  EXPECT_EQ(1, kg_requant_one(INT32_MAX, 0, INT32_MAX, 62, 0));
  // Bias add wraps like the accumulator.
  EXPECT_EQ(-128, kg_requant_one(INT32_MAX, 1, 1 << 30, 31, 0));
}

TEST(Requant, MatchesIndependentModelOnRandomInputs) {
  std::mt19937_64 rng(5);
  for (int i = 0; i < 200000; i++) {
    const int32_t acc = static_cast<int32_t>(rng() >> (rng() % 33));
    const int32_t bias = static_cast<int32_t>(rng()) >> (rng() % 32);
    const int32_t mult = static_cast<int32_t>(rng() & 0x7fffffff) >> (rng() % 31);
    const int shift = 1 + static_cast<int>(rng() % 62);
    const int relu = static_cast<int>(rng() & 1);
    ASSERT_EQ(requant_model(acc, bias, mult, shift, relu),
              kg_requant_one(acc, bias, mult, static_cast<uint8_t>(shift), relu))
        << "acc=" << acc << " bias=" << bias << " mult=" << mult << " shift=" << shift;
  }
}

TEST(Requant, CheckRejectsBadParameters) {
  int32_t m[2] = {1, 2};
  uint8_t s[2] = {1, 62};
  kg_requant q{nullptr, m, s, 0};
  EXPECT_EQ(KG_REF_OK, kg_requant_check(&q, 2));
  s[1] = 63;
  EXPECT_EQ(KG_REF_EINVAL, kg_requant_check(&q, 2));
  s[1] = 0;
  EXPECT_EQ(KG_REF_EINVAL, kg_requant_check(&q, 2));
  s[1] = 5;
  m[0] = -1;
  EXPECT_EQ(KG_REF_EINVAL, kg_requant_check(&q, 2));
  m[0] = 1;
  q.relu = 2;
  EXPECT_EQ(KG_REF_EINVAL, kg_requant_check(&q, 2));
  EXPECT_EQ(KG_REF_EINVAL, kg_requant_check(nullptr, 2));
}

// Direct (non-im2col) convolution with the sign key, as an independent check.
TEST(Conv2d, MatchesDirectConvolutionWithKey) {
  std::mt19937_64 rng(6);
  for (int it = 0; it < 60; it++) {
    kg_conv_shape s{};
    s.kh = 1 + rng() % 7;
    s.kw = 1 + rng() % 7;
    s.pad = rng() % (s.kh < s.kw ? s.kh : s.kw);
    s.stride = 1 + rng() % 2;
    s.h = s.kh + rng() % 9;
    s.w = s.kw + rng() % 9;
    s.ic = 1 + rng() % 5;
    s.oc = 1 + rng() % 9;
    const kg_geom g{1u + (uint32_t)(rng() % 8), 1u + (uint32_t)(rng() % 8)};
    const uint32_t OH = kg_conv_out_h(&s), OW = kg_conv_out_w(&s);
    ASSERT_GT(OH, 0u);
    const uint32_t K = s.kh * s.kw * s.ic;
    std::vector<int8_t> in(s.h * s.w * s.ic), W(K * s.oc), out(OH * OW * s.oc), cols(OH * OW * K);
    std::vector<int32_t> acc(OH * OW * s.oc), bias(s.oc), mult(s.oc);
    std::vector<uint8_t> shift(s.oc), key(kg_key_bytes(g));
    for (auto& x : in) x = static_cast<int8_t>(rng());
    for (auto& x : W) x = static_cast<int8_t>(static_cast<int>(rng() % 255) - 127);
    for (auto& b : key) b = static_cast<uint8_t>(rng());
    for (uint32_t n = 0; n < s.oc; n++) {
      bias[n] = static_cast<int32_t>(rng() % 20001) - 10000;
      mult[n] = static_cast<int32_t>(rng() & 0x7fffffff);
      shift[n] = static_cast<uint8_t>(38 + rng() % 8);
    }
    kg_requant q{bias.data(), mult.data(), shift.data(), static_cast<int>(rng() & 1)};
    ASSERT_EQ(KG_REF_OK, kg_ref_conv2d(&s, in.data(), W.data(), key.data(), g, &q, cols.data(),
                                       acc.data(), out.data()));
    for (uint32_t oy = 0; oy < OH; oy++)
      for (uint32_t ox = 0; ox < OW; ox++)
        for (uint32_t oc = 0; oc < s.oc; oc++) {
          int64_t sum = 0;
          for (uint32_t ky = 0; ky < s.kh; ky++)
            for (uint32_t kx = 0; kx < s.kw; kx++)
              for (uint32_t ic = 0; ic < s.ic; ic++) {
                const int iy = int(oy * s.stride + ky) - int(s.pad);
                const int ix = int(ox * s.stride + kx) - int(s.pad);
                if (iy < 0 || ix < 0 || iy >= int(s.h) || ix >= int(s.w)) continue;
                const uint32_t k = (ky * s.kw + kx) * s.ic + ic;
                const int kb = kg_key_bit(key.data(), g, k % g.rows, oc % g.cols);
                const int w = W[k * s.oc + oc];
                sum += in[(iy * s.w + ix) * s.ic + ic] * (kb ? -w : w);
              }
          const int8_t want = requant_model(static_cast<int32_t>(sum), bias[oc], mult[oc],
                                            shift[oc], q.relu);
          ASSERT_EQ(want, out[(oy * OW + ox) * s.oc + oc])
              << "it=" << it << " oy=" << oy << " ox=" << ox << " oc=" << oc;
        }
  }
}

TEST(Conv2d, RejectsBadShapes) {
  kg_conv_shape s{8, 8, 3, 4, 3, 3, 1, 1};
  EXPECT_EQ(KG_REF_OK, kg_conv_shape_check(&s));
  EXPECT_EQ(8u, kg_conv_out_h(&s));
  kg_conv_shape b = s;
  b.kh = 8;
  EXPECT_EQ(KG_REF_EINVAL, kg_conv_shape_check(&b));
  b = s;
  b.stride = 3;
  EXPECT_EQ(KG_REF_EINVAL, kg_conv_shape_check(&b));
  b = s;
  b.pad = 3;
  EXPECT_EQ(KG_REF_EINVAL, kg_conv_shape_check(&b));
  b = s;
  b.ic = 0;
  EXPECT_EQ(KG_REF_EINVAL, kg_conv_shape_check(&b));
  b = s;
  b.h = 1;
  b.pad = 0;
  EXPECT_EQ(KG_REF_EINVAL, kg_conv_shape_check(&b));
  EXPECT_EQ(0u, kg_conv_out_h(&b));
}

// The FC input mask: the masked reference equals kg_ref_fc on a copy of the
// input whose masked bytes were zeroed by hand, ignores whatever the masked
// bytes hold, leaves the input untouched, and refuses every illegal mask.
TEST(FcInputMask, ReadsMaskedBytesAsZero) {
  std::mt19937_64 rng(11);
  const kg_geom g{4, 4};
  const uint32_t M = 5, N = 7;
  for (uint32_t c : {1u, 5u, 15u, 16u, 17u, 40u}) {
    const uint32_t group = (c + 15u) & ~15u, K = 3 * group;
    std::vector<int8_t> A((size_t)M * K), W((size_t)K * N), zeroed;
    for (auto& x : A) x = int8_t(rng());
    for (auto& x : W) x = int8_t(int(rng() % 255) - 127);
    std::vector<uint8_t> key(2);
    for (auto& b : key) b = uint8_t(rng());
    std::vector<int32_t> mult(N, 1 << 30);
    std::vector<uint8_t> shift(N, 36);
    const kg_requant q{nullptr, mult.data(), shift.data(), 0};
    zeroed = A;
    for (uint32_t m = 0; m < M; m++)
      for (uint32_t k = 0; k < K; k++)
        if (k % group >= c) zeroed[(size_t)m * K + k] = 0;
    std::vector<int8_t> want((size_t)M * N), got((size_t)M * N), again((size_t)M * N);
    ASSERT_EQ(KG_REF_OK, kg_ref_fc(M, K, N, zeroed.data(), W.data(), key.data(), g, &q, want.data()));
    const std::vector<int8_t> before = A;
    const kg_in_mask mk{group, c};
    ASSERT_EQ(KG_REF_OK, kg_ref_fc_masked(M, K, N, A.data(), W.data(), key.data(), g, &mk, &q, got.data()));
    EXPECT_EQ(want, got) << "c=" << c;
    EXPECT_EQ(before, A) << "the input was modified";
    // Other garbage in the masked bytes, and in the weight rows they meet.
    for (uint32_t m = 0; m < M; m++)
      for (uint32_t k = 0; k < K; k++)
        if (k % group >= c) A[(size_t)m * K + k] = int8_t(rng());
    for (uint32_t k = 0; k < K; k++)
      if (k % group >= c)
        for (uint32_t n = 0; n < N; n++) W[(size_t)k * N + n] = int8_t(rng());
    ASSERT_EQ(KG_REF_OK, kg_ref_fc_masked(M, K, N, A.data(), W.data(), key.data(), g, &mk, &q, again.data()));
    EXPECT_EQ(want, again) << "c=" << c;
    // Without the mask the garbage counts (when there is padding).
    ASSERT_EQ(KG_REF_OK, kg_ref_fc_masked(M, K, N, A.data(), W.data(), key.data(), g, nullptr, &q, got.data()));
    if (c % 16 != 0) {
      EXPECT_NE(want, got) << "c=" << c;
    }
  }
}

TEST(FcInputMask, CheckFollowsTheDescriptorRules) {
  const kg_in_mask none{0, 0}, ok{32, 20}, full{16, 16};
  EXPECT_EQ(KG_REF_OK, kg_in_mask_check(nullptr, 7));
  EXPECT_EQ(KG_REF_OK, kg_in_mask_check(&none, 7));
  EXPECT_EQ(KG_REF_OK, kg_in_mask_check(&ok, 96));
  EXPECT_EQ(KG_REF_OK, kg_in_mask_check(&full, 16));
  const kg_in_mask bad[] = {{0, 3}, {32, 0}, {32, 33}, {64, 1}, {8, 4}, {24, 4}, {0x10000, 1}};
  for (const kg_in_mask& b : bad) {
    EXPECT_EQ(KG_REF_EINVAL, kg_in_mask_check(&b, 96)) << b.group << "/" << b.valid;
    std::vector<int8_t> A(96), W(96), out(1);
    std::vector<int32_t> mult(1, 1 << 30);
    std::vector<uint8_t> shift(1, 30);
    const kg_requant q{nullptr, mult.data(), shift.data(), 0};
    EXPECT_EQ(KG_REF_EINVAL, kg_ref_fc_masked(1, 96, 1, A.data(), W.data(), nullptr, kg_geom{4, 4},
                                              &b, &q, out.data()));
  }
}

}  // namespace
