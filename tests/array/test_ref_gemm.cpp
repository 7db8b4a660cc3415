// Tests of the C reference (common/ref): invariants and error codes.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kgmac/ref_gemm.h"

namespace {

std::vector<int8_t> rand_weights(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int> d(-127, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}
std::vector<int8_t> rand_acts(std::mt19937_64& rng, size_t n) {
  std::uniform_int_distribution<int> d(-128, 127);
  std::vector<int8_t> v(n);
  for (auto& x : v) x = static_cast<int8_t>(d(rng));
  return v;
}
std::vector<uint8_t> rand_key(std::mt19937_64& rng, kg_geom g) {
  std::vector<uint8_t> k(kg_key_bytes(g));
  for (auto& b : k) b = static_cast<uint8_t>(rng());
  return k;
}

TEST(RefGemm, MatchesNaiveSumWithoutKey) {
  std::mt19937_64 rng(11);
  const uint32_t M = 5, K = 9, N = 7;
  auto A = rand_acts(rng, M * K);
  auto W = rand_weights(rng, K * N);
  std::vector<int32_t> C(M * N);
  ASSERT_EQ(KG_REF_OK, kg_ref_gemm(M, K, N, A.data(), W.data(), nullptr, {4, 4}, C.data()));
  for (uint32_t m = 0; m < M; m++)
    for (uint32_t n = 0; n < N; n++) {
      int64_t s = 0;
      for (uint32_t k = 0; k < K; k++) s += A[m * K + k] * W[k * N + n];
      EXPECT_EQ(s, C[m * N + n]) << "m=" << m << " n=" << n;
    }
}

TEST(RefGemm, KeyBitNegatesProductOfItsPe) {
  // One weight at PE(k mod R, n mod C) and one key bit set there.
  const kg_geom g{4, 8};
  std::vector<uint8_t> key(kg_key_bytes(g), 0);
  const uint32_t K = 6, N = 11, k0 = 5, n0 = 10;  // PE(1, 2)
  key[(1 * 8 + 2) / 8] |= 1u << ((1 * 8 + 2) % 8);
  std::vector<int8_t> A(K, 3), W(K * N, 0);
  W[k0 * N + n0] = 7;
  W[1 * N + 2] = 5;  // PE(1, 2) as well
  W[0 * N + 2] = 2;  // PE(0, 2): not keyed
  std::vector<int32_t> C(N);
  ASSERT_EQ(KG_REF_OK, kg_ref_gemm(1, K, N, A.data(), W.data(), key.data(), g, C.data()));
  EXPECT_EQ(-15 + 6, C[2]);
  EXPECT_EQ(-21, C[10]);
}

TEST(RefGemm, LockThenKeyEqualsUnlocked) {
  std::mt19937_64 rng(12);
  for (int it = 0; it < 200; it++) {
    const kg_geom g{1u + (uint32_t)(rng() % 16), 1u + (uint32_t)(rng() % 16)};
    const uint32_t M = 1 + rng() % 9, K = 1 + rng() % 40, N = 1 + rng() % 40;
    auto A = rand_acts(rng, M * K);
    auto W = rand_weights(rng, K * N);
    auto key = rand_key(rng, g);
    std::vector<int8_t> WL(K * N);
    ASSERT_EQ(KG_REF_OK, kg_ref_lock_sign(K, N, W.data(), key.data(), g, WL.data()));
    std::vector<int32_t> c1(M * N), c2(M * N);
    ASSERT_EQ(KG_REF_OK, kg_ref_gemm(M, K, N, A.data(), WL.data(), key.data(), g, c1.data()));
    ASSERT_EQ(KG_REF_OK, kg_ref_gemm(M, K, N, A.data(), W.data(), nullptr, g, c2.data()));
    ASSERT_EQ(c2, c1) << "iteration " << it;
  }
}

TEST(RefGemm, LockInPlace) {
  const kg_geom g{2, 2};
  const uint8_t key[1] = {0x9};  // PE(0,0) and PE(1,1)
  int8_t W[4] = {1, 2, 3, 4};
  ASSERT_EQ(KG_REF_OK, kg_ref_lock_sign(2, 2, W, key, g, W));
  EXPECT_EQ(-1, W[0]);
  EXPECT_EQ(2, W[1]);
  EXPECT_EQ(3, W[2]);
  EXPECT_EQ(-4, W[3]);
}

TEST(RefGemm, LockRejectsMinus128) {
  const kg_geom g{4, 4};
  const uint8_t key[2] = {0, 0};
  int8_t W[6] = {1, 2, 3, -128, 5, 6};
  int8_t out[6];
  EXPECT_EQ(KG_REF_ERANGE, kg_ref_lock_sign(2, 3, W, key, g, out));
  EXPECT_NE(nullptr, kg_ref_strerror(KG_REF_ERANGE));
}

TEST(RefGemm, BadArguments) {
  int8_t a[4] = {0}, w[4] = {0};
  int32_t c[4];
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(0, 1, 1, a, w, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 0, 1, a, w, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 0, a, w, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 1, nullptr, w, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 1, a, nullptr, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 1, a, w, nullptr, {4, 4}, nullptr));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 1, a, w, nullptr, {0, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(1, 1, 1, a, w, nullptr, {4, 0}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_gemm(0xffffffffu, 1, 0xffffffffu, a, w, nullptr, {4, 4}, c));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_lock_sign(0, 1, w, nullptr, {4, 4}, w));
  EXPECT_EQ(KG_REF_EINVAL, kg_ref_lock_sign(1, 1, nullptr, nullptr, {4, 4}, w));
  EXPECT_STRNE(kg_ref_strerror(KG_REF_EINVAL), kg_ref_strerror(KG_REF_ERANGE));
}

TEST(RefGemm, WrapsModulo2To32) {
  // 140000 products of (-128)(-127) = 16256 sum to 2.2758e9 > INT32_MAX.
  const uint32_t K = 140000;
  std::vector<int8_t> A(K, -128), W(K, -127);
  int32_t c = 0;
  ASSERT_EQ(KG_REF_OK, kg_ref_gemm(1, K, 1, A.data(), W.data(), nullptr, {4, 4}, &c));
  const int64_t exact = int64_t(K) * 16256;
  EXPECT_EQ(static_cast<int32_t>(static_cast<uint32_t>(exact)), c);
  EXPECT_LT(c, 0);
}

TEST(RefGemm, FoldOfMinus128IsMinus128) {
  EXPECT_EQ(-128, kg_fold_weight(-128, 1));
  EXPECT_EQ(127, kg_fold_weight(-127, 1));
  EXPECT_EQ(-5, kg_fold_weight(5, 1));
  EXPECT_EQ(5, kg_fold_weight(5, 0));
}

}  // namespace
