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

}  // namespace
