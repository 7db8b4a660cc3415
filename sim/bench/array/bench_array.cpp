// make bench-array: Verilator simulation speed and array utilisation.
//
//  - Simulation speed (cycles per host second) of the compute core at each
//    benchmark geometry, running a 256^3 GEMM (single thread, -O3).
//  - Utilisation of a 256 x 256 x 256 GEMM at 16x16 with the harness
//    feeding at full rate: ideal cycles (MACs / (R*C)) / actual cycles,
//    actual counted from the first cycle to the last result accepted.
//  - Key gating cost in cycles: cycles with a random key / cycles with the
//    KEYGATE=0 build on the same GEMM (must be exactly 1.000).
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "kg_core.hpp"
#include "kgmac/ref_gemm.h"

namespace kg {
KG_DECLARE_CORE(kgcore_8x8);
KG_DECLARE_CORE(kgcore_16x16);
KG_DECLARE_CORE(kgcore_16x16_nokey);
}  // namespace kg

namespace {

struct Run {
  uint64_t cycles;
  double seconds;
  bool exact;
};

Run run_gemm(kg::Core& core, uint32_t M, uint32_t K, uint32_t N, uint64_t seed, bool check) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> d(-127, 127);
  std::vector<int8_t> A((size_t)M * K), W((size_t)K * N);
  for (auto& x : A) x = static_cast<int8_t>(d(rng));
  for (auto& x : W) x = static_cast<int8_t>(d(rng));
  const kg_geom g{core.rows(), core.cols()};
  std::vector<uint8_t> key(kg_key_bytes(g));
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  core.set_key(key.data());
  std::vector<int32_t> C((size_t)M * N), R((size_t)M * N);
  std::string err;
  kg::GemmStats st;
  const auto t0 = std::chrono::steady_clock::now();
  if (!kg::gemm(core, M, K, N, A.data(), W.data(), C.data(), kg::Stalls{}, &st, &err)) {
    std::fprintf(stderr, "bench: %s\n", err.c_str());
    std::exit(1);
  }
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  bool exact = true;
  if (check) {
    kg_ref_gemm(M, K, N, A.data(), W.data(), core.keygate() ? key.data() : nullptr, g, R.data());
    exact = (C == R);
  }
  return Run{st.cycles, s, exact};
}

}  // namespace

int main() {
  const uint32_t S = 256;
  std::printf("kgmac bench-array (Verilated, single thread)\n\n");

  std::printf("%-8s %14s %12s %16s %s\n", "array", "GEMM", "cycles", "cycles/s", "bit-exact");
  struct G {
    const char* name;
    std::unique_ptr<kg::Core> (*make)();
  } geoms[] = {{"8x8", kg::core_new_kgcore_8x8}, {"16x16", kg::core_new_kgcore_16x16}};
  uint64_t cyc16 = 0;
  bool all_exact = true;
  for (const G& g : geoms) {
    auto core = g.make();
    Run r = run_gemm(*core, S, S, S, 1, true);
    all_exact &= r.exact;
    std::printf("%-8s %14s %12llu %16.0f %s\n", g.name, "256x256x256",
                (unsigned long long)r.cycles, r.cycles / r.seconds, r.exact ? "yes" : "NO");
    if (core->rows() == 16) cyc16 = r.cycles;
  }

  const double ideal = double(S) * S * S / (16.0 * 16.0);
  std::printf("\nutilisation 256^3 @16x16: ideal %.0f / actual %llu cycles = %.4f\n", ideal,
              (unsigned long long)cyc16, ideal / double(cyc16));

  auto nokey = kg::core_new_kgcore_16x16_nokey();
  Run rn = run_gemm(*nokey, S, S, S, 1, true);
  all_exact &= rn.exact;
  std::printf("key gating cycles 256^3 @16x16: with key %llu / KEYGATE=0 %llu = %.4f\n",
              (unsigned long long)cyc16, (unsigned long long)rn.cycles,
              double(cyc16) / double(rn.cycles));
  return all_exact ? 0 : 1;
}
