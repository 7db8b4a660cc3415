// The Verilated compute core (kg_array + kg_accbuf) against the C reference.
// Compiled once per geometry; KG_CORE names the geometry's core library.
//
// Environment:
//   KG_RANDOM_CASES   random GEMM cases in ArrayRtl.RandomGemmVsReference
//                     (default 2000 per geometry; `make soak` raises it)
//   KG_SEED           base seed (default 1)
//   KG_CASE           run only this case index (to reproduce a failure)
#include "kg_test_env.hpp"
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <random>
#include <sstream>
#include <vector>

#include "kg_core.hpp"
#include "kgmac/ref_gemm.h"

namespace kg {
KG_DECLARE_CORE(KG_CORE);
}

namespace {

using kg::Core;

using kgtest::env_u64;

struct Gemm {
  uint32_t M, K, N;
  std::vector<int8_t> A, W;
  std::vector<uint8_t> key;
};

Gemm make_gemm(std::mt19937_64& rng, uint32_t M, uint32_t K, uint32_t N, kg_geom g,
               int wmin = -127) {
  Gemm t{M, K, N, {}, {}, {}};
  std::uniform_int_distribution<int> da(-128, 127), dw(wmin, 127);
  t.A.resize((size_t)M * K);
  t.W.resize((size_t)K * N);
  for (auto& x : t.A) x = static_cast<int8_t>(da(rng));
  for (auto& x : t.W) x = static_cast<int8_t>(dw(rng));
  t.key.resize(kg_key_bytes(g));
  for (auto& b : t.key) b = static_cast<uint8_t>(rng());
  return t;
}

std::string describe(const Gemm& t, uint64_t seed, const kg::Stalls& st) {
  std::ostringstream os;
  os << "seed=" << seed << " M=" << t.M << " K=" << t.K << " N=" << t.N
     << " stalls(w,a,r)=(" << st.w_valid << "," << st.a_valid << "," << st.r_ready << ")";
  return os.str();
}

class ArrayRtl : public ::testing::Test {
 protected:
  void SetUp() override {
    core = kg::KG_CORE_FACTORY(KG_CORE)();
    g = kg_geom{core->rows(), core->cols()};
  }
  // Reference with the key applied only if the RTL has key gating.
  std::vector<int32_t> ref(const Gemm& t, const uint8_t* key) {
    std::vector<int32_t> c((size_t)t.M * t.N);
    EXPECT_EQ(KG_REF_OK, kg_ref_gemm(t.M, t.K, t.N, t.A.data(), t.W.data(),
                                     core->keygate() ? key : nullptr, g, c.data()));
    return c;
  }
  std::vector<int32_t> run(const Gemm& t, const uint8_t* key, const kg::Stalls& st,
                           kg::GemmStats* stats = nullptr) {
    std::vector<uint8_t> zero(kg_key_bytes(g), 0);
    core->set_key(key ? key : zero.data());
    std::vector<int32_t> c((size_t)t.M * t.N, 0x5a5a5a5a);
    std::string err;
    kg::GemmStats s;
    EXPECT_TRUE(kg::gemm(*core, t.M, t.K, t.N, t.A.data(), t.W.data(), c.data(), st, &s, &err))
        << err;
    EXPECT_FALSE(s.overflow);
    if (stats) *stats = s;
    return c;
  }
  std::unique_ptr<Core> core;
  kg_geom g{0, 0};
};

// Every corner of (a, w) with key 0 and key 1, against the closed form.
TEST_F(ArrayRtl, PeCorners) {
  const int as[] = {-128, -127, -1, 0, 1, 127};
  const int ws[] = {-127, -1, 0, 1, 127};
  const uint32_t R = g.rows, C = g.cols;
  for (int kbit = 0; kbit <= 1; kbit++) {
    // Every PE(r, c) holds corner w[(r + c) % 5]; K = R, N = C, one row per a.
    Gemm t{6, R, C, {}, {}, {}};
    t.A.assign(6 * R, 0);
    t.W.assign(R * C, 0);
    t.key.assign(kg_key_bytes(g), kbit ? 0xff : 0x00);
    for (uint32_t r = 0; r < R; r++)
      for (uint32_t c = 0; c < C; c++) t.W[r * C + c] = static_cast<int8_t>(ws[(r + c) % 5]);
    // Row ai isolates PE row ai % R: only reduction index k = ai % R is non-zero.
    for (int ai = 0; ai < 6; ai++)
      for (uint32_t k = 0; k < R; k++) t.A[ai * R + k] = static_cast<int8_t>(k == (uint32_t)ai % R ? as[ai] : 0);
    auto out = run(t, t.key.data(), kg::Stalls{});
    const int sign = (core->keygate() && kbit) ? -1 : 1;
    for (int ai = 0; ai < 6; ai++)
      for (uint32_t c = 0; c < C; c++) {
        const uint32_t r = ai % R;
        const int32_t want = sign * as[ai] * ws[(r + c) % 5];
        EXPECT_EQ(want, out[ai * C + c]) << "a=" << as[ai] << " w=" << ws[(r + c) % 5]
                                         << " key=" << kbit << " PE(" << r << "," << c << ")";
      }
  }
}

TEST_F(ArrayRtl, RandomGemmVsReference) {
  const uint64_t cases = env_u64("KG_RANDOM_CASES", 2000);
  const uint64_t base = env_u64("KG_SEED", 1);
  const uint32_t R = g.rows, C = g.cols;
  uint64_t failures = 0;
  const uint64_t only = env_u64("KG_CASE", ~0ull);
  for (uint64_t i = 0; i < cases && failures < 5; i++) {
    if (only != ~0ull && i != only) continue;
    const uint64_t seed = base * 1000003u + i;
    std::mt19937_64 rng(seed);
    uint32_t M = 1 + rng() % 24, K = 1 + rng() % (3 * R + 2), N = 1 + rng() % (3 * C + 2);
    if (i % 7 == 0) M = 1;
    if (i % 11 == 0) K = 1;
    if (i % 13 == 0) N = 1;
    // The fold design uses -128 as -128; the in-PE design negates exactly;
    // both agree on the locked-weight range [-127, 127].
    const int wmin = core->key_in_pe() ? -127 : -128;
    Gemm t = make_gemm(rng, M, K, N, g, wmin);
    kg::Stalls st;
    const double ps[] = {1.0, 0.8, 0.5, 0.2};
    st.w_valid = ps[rng() % 4];
    st.a_valid = ps[rng() % 4];
    st.r_ready = ps[rng() % 4];
    st.seed = seed;
    auto want = ref(t, t.key.data());
    auto got = run(t, t.key.data(), st);
    if (got != want) {
      failures++;
      size_t bad = 0;
      while (bad < got.size() && got[bad] == want[bad]) bad++;
      ADD_FAILURE() << "mismatch: " << describe(t, seed, st) << " first at m=" << bad / N
                    << " n=" << bad % N << " rtl=" << got[bad] << " ref=" << want[bad]
                    << " (rerun: KG_SEED=" << base << ", case " << i << ")";
    }
  }
  std::printf("[ ArrayRtl ] %ux%u: %llu random GEMM cases, %llu mismatches (seed base %llu)\n",
              R, C, (unsigned long long)cases, (unsigned long long)failures,
              (unsigned long long)base);
}

// The locked weights with the right key reproduce the unlocked result.
TEST_F(ArrayRtl, LockedWeightsWithRightKeyGiveUnlockedResult) {
  if (!core->keygate()) GTEST_SKIP() << "KEYGATE=0 build";
  std::mt19937_64 rng(77);
  for (int it = 0; it < 20; it++) {
    Gemm t = make_gemm(rng, 1 + rng() % 16, 1 + rng() % (4 * g.rows), 1 + rng() % (4 * g.cols), g);
    std::vector<int8_t> locked(t.W.size());
    ASSERT_EQ(KG_REF_OK, kg_ref_lock_sign(t.K, t.N, t.W.data(), t.key.data(), g, locked.data()));
    std::vector<int32_t> plain((size_t)t.M * t.N);
    ASSERT_EQ(KG_REF_OK, kg_ref_gemm(t.M, t.K, t.N, t.A.data(), t.W.data(), nullptr, g, plain.data()));
    Gemm lt = t;
    lt.W = locked;
    EXPECT_EQ(plain, run(lt, t.key.data(), kg::Stalls{})) << "iteration " << it;
  }
}

// A random wrong key changes more than 40% of the outputs.
TEST_F(ArrayRtl, WrongKeyCorruptsMostOutputs) {
  if (!core->keygate()) GTEST_SKIP() << "KEYGATE=0 build";
  std::mt19937_64 rng(78);
  size_t differ = 0, total = 0;
  for (int it = 0; it < 4; it++) {
    Gemm t = make_gemm(rng, 16, 4 * g.rows, 4 * g.cols, g);
    std::vector<int8_t> locked(t.W.size());
    ASSERT_EQ(KG_REF_OK, kg_ref_lock_sign(t.K, t.N, t.W.data(), t.key.data(), g, locked.data()));
    std::vector<uint8_t> wrong(t.key.size());
    for (auto& b : wrong) b = static_cast<uint8_t>(rng());
    ASSERT_NE(t.key, wrong);
    std::vector<int32_t> plain((size_t)t.M * t.N);
    ASSERT_EQ(KG_REF_OK, kg_ref_gemm(t.M, t.K, t.N, t.A.data(), t.W.data(), nullptr, g, plain.data()));
    Gemm lt = t;
    lt.W = locked;
    auto got = run(lt, wrong.data(), kg::Stalls{});
    EXPECT_EQ(ref(lt, wrong.data()), got);
    for (size_t i = 0; i < got.size(); i++) differ += got[i] != plain[i];
    total += got.size();
  }
  const double frac = double(differ) / double(total);
  std::printf("[ ArrayRtl ] wrong key: %.1f%% of %zu outputs differ\n", 100 * frac, total);
  EXPECT_GT(frac, 0.40);
}

// Same GEMM with and without handshake stalls: same result.
TEST_F(ArrayRtl, StallsChangeOnlyTiming) {
  std::mt19937_64 rng(79);
  Gemm t = make_gemm(rng, 20, 3 * g.rows + 1, 2 * g.cols + 3, g);
  kg::GemmStats s0, s1;
  auto a = run(t, t.key.data(), kg::Stalls{}, &s0);
  kg::Stalls st{0.3, 0.4, 0.35, 5};
  auto b = run(t, t.key.data(), st, &s1);
  EXPECT_EQ(a, b);
  EXPECT_EQ(ref(t, t.key.data()), a);
  EXPECT_GT(s1.cycles, s0.cycles);
}

// Documented latency: one R x C tile over M rows takes M + R + C + 3 cycles
// from the first activation accepted to the last result accepted (the
// result of the first accepted beat arrives R + C + 3 cycles later).
constexpr uint64_t kTileConst = 3;

TEST_F(ArrayRtl, TileLatencyIsMPlusRPlusCPlusConstant) {
  std::mt19937_64 rng(80);
  for (uint32_t M : {1u, 2u, 5u, 17u, 64u}) {
    Gemm t = make_gemm(rng, M, g.rows, g.cols, g);
    kg::GemmStats s;
    run(t, t.key.data(), kg::Stalls{}, &s);
    EXPECT_EQ(M + g.rows + g.cols + kTileConst, s.last_r_cycle - s.first_a_cycle + 1)
        << "M=" << M;
  }
}

// Back-to-back tiles: once the first activation enters, a new row enters
// every cycle; T tiles of M rows finish T*M + R + C + const cycles later.
TEST_F(ArrayRtl, BackToBackTilesHaveNoBubble) {
  std::mt19937_64 rng(81);
  const uint32_t M = g.rows + g.cols + 1;   // the shortest tile that hides a weight load
  for (uint32_t KT : {2u, 5u}) {
    for (uint32_t NT : {1u, 3u}) {
      Gemm t = make_gemm(rng, M, KT * g.rows, NT * g.cols, g);
      kg::GemmStats s;
      auto got = run(t, t.key.data(), kg::Stalls{}, &s);
      EXPECT_EQ(ref(t, t.key.data()), got);
      const uint64_t tiles = uint64_t(KT) * NT;
      EXPECT_EQ(tiles * M + g.rows + g.cols + kTileConst, s.last_r_cycle - s.first_a_cycle + 1)
          << "KT=" << KT << " NT=" << NT;
    }
  }
}

// A pass of one row over many K tiles, with activations arriving slowly
// so that consecutive tiles' beats enter back to back: the accumulator
// must forward the row it is writing (regression for a read-after-write
// hazard found by `make soak`).
TEST_F(ArrayRtl, SingleRowPassesAccumulateAcrossBackToBackTiles) {
  std::mt19937_64 rng(83);
  for (uint64_t seed = 0; seed < 40; seed++) {
    Gemm t = make_gemm(rng, 1, 5 * g.rows, 2 * g.cols, g);
    kg::Stalls st{1.0, 0.1, 0.5, seed};
    EXPECT_EQ(ref(t, t.key.data()), run(t, t.key.data(), st)) << "seed " << seed;
  }
}

// One row fewer than R + C + 1 per tile leaves a bubble at each tile change.
TEST_F(ArrayRtl, ShortTilesCostTheWeightLoad) {
  std::mt19937_64 rng(84);
  const uint32_t M = g.rows + g.cols;   // one row short of hiding the load
  Gemm t = make_gemm(rng, M, 3 * g.rows, g.cols, g);
  kg::GemmStats s;
  EXPECT_EQ(ref(t, t.key.data()), run(t, t.key.data(), kg::Stalls{}, &s));
  EXPECT_EQ(3 * M + 2 + g.rows + g.cols + kTileConst, s.last_r_cycle - s.first_a_cycle + 1);
}

// Key gating costs no cycles: an all-zero key and a random key take the
// same number of cycles, with and without stalls.
TEST_F(ArrayRtl, CyclesIndependentOfKey) {
  std::mt19937_64 rng(82);
  Gemm t = make_gemm(rng, 33, 3 * g.rows, 2 * g.cols + 1, g);
  std::vector<uint8_t> zero(kg_key_bytes(g), 0);
  for (double p : {1.0, 0.5}) {
    kg::Stalls st{p, p, p, 9};
    kg::GemmStats s0, s1;
    run(t, zero.data(), st, &s0);
    run(t, t.key.data(), st, &s1);
    EXPECT_EQ(s0.cycles, s1.cycles) << "p=" << p;
  }
}

// Int32 accumulation wraps modulo 2^32, over many K tiles.
TEST_F(ArrayRtl, AccumulatorWrapsModulo2To32) {
  const uint32_t K = 140000 / g.rows * g.rows;
  Gemm t{1, K, 1, std::vector<int8_t>(K, -128), std::vector<int8_t>(K, -127), {}};
  std::vector<uint8_t> zero(kg_key_bytes(g), 0);
  auto got = run(t, zero.data(), kg::Stalls{});
  const int64_t exact = int64_t(K) * 16256;
  ASSERT_GT(exact, int64_t(INT32_MAX));
  EXPECT_EQ(static_cast<int32_t>(static_cast<uint32_t>(exact)), got[0]);
}

// More rows than the accumulator buffer holds in one pass raise err_ovf.
TEST_F(ArrayRtl, AccumulatorOverflowIsFlagged) {
  std::vector<uint8_t> w(g.cols, 1), a(g.rows, 1), zero(kg_key_bytes(g), 0);
  core->set_key(zero.data());
  kg::CoreInputs in;
  in.w_data = w.data();
  in.a_data = a.data();
  unsigned wsent = 0, asent = 0;
  bool ovf = false;
  for (int cyc = 0; cyc < 4 * 1024 && !ovf; cyc++) {
    in.w_valid = wsent < g.rows;
    in.a_valid = asent < core->acc_depth() + 2;
    in.a_acc = true;
    in.a_emit = false;
    in.a_last = false;
    in.r_ready = true;
    auto o = core->drive(in);
    if (in.w_valid && o.w_ready) wsent++;
    if (in.a_valid && o.a_ready) asent++;
    ovf = o.err_ovf;
    core->clock();
  }
  EXPECT_TRUE(ovf);
  core->reset();
  EXPECT_FALSE(core->drive(kg::CoreInputs{}).err_ovf) << "reset clears err_ovf";
}

// With KG_TRACE=ON the core writes an FST waveform of what it simulates.
TEST_F(ArrayRtl, TraceWritesAnFstFile) {
  const std::string path = ::testing::TempDir() + "kg_array_trace.fst";
  std::remove(path.c_str());
  if (!core->trace_open(path)) GTEST_SKIP() << "built without KG_TRACE";
  std::mt19937_64 rng(85);
  Gemm t = make_gemm(rng, 4, g.rows, g.cols, g);
  EXPECT_EQ(ref(t, t.key.data()), run(t, t.key.data(), kg::Stalls{}));
  core->trace_close();
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(nullptr, f);
  std::fseek(f, 0, SEEK_END);
  const long size = std::ftell(f);
  std::fclose(f);
  EXPECT_GT(size, 1000) << "FST file too small";
}

}  // namespace
