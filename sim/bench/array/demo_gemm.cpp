// make demo: one GEMM through the Verilated key-gated array, three times.
//   1. sign-locked weights with the right key
//   2. sign-locked weights with a wrong key
//   3. the unlocked weights (key of zeros)
// Each result is printed beside the C reference of the unlocked model, the
// answer the model owner intends. Exit status 0 only if cases 1 and 3
// match the reference exactly and case 2 does not.
#include <cstdio>
#include <random>
#include <vector>

#include "kg_core.hpp"
#include "kgmac/ref_gemm.h"

namespace kg {
KG_DECLARE_CORE(KG_CORE);
}

namespace {

void print_side_by_side(const std::vector<int32_t>& got, const std::vector<int32_t>& ref,
                        uint32_t M, uint32_t N) {
  std::printf("      %-*s | %s\n", int(N * 8), "RTL", "C reference (unlocked model)");
  for (uint32_t m = 0; m < M; m++) {
    std::printf("  m%-2u", m);
    for (uint32_t n = 0; n < N; n++) {
      const bool ok = got[m * N + n] == ref[m * N + n];
      std::printf(" %6d%c", got[m * N + n], ok ? ' ' : '*');
    }
    std::printf(" |");
    for (uint32_t n = 0; n < N; n++) std::printf(" %6d", ref[m * N + n]);
    std::printf("\n");
  }
}

size_t count_diff(const std::vector<int32_t>& a, const std::vector<int32_t>& b) {
  size_t d = 0;
  for (size_t i = 0; i < a.size(); i++) d += a[i] != b[i];
  return d;
}

}  // namespace

int main() {
  auto core = kg::KG_CORE_FACTORY(KG_CORE)();
  const kg_geom g{core->rows(), core->cols()};
  const uint32_t M = 4, K = 2 * g.rows + 3, N = g.cols;
  std::mt19937_64 rng(2026);
  std::uniform_int_distribution<int> da(-20, 20), dw(-127, 127);
  std::vector<int8_t> A(M * K), W(K * N), WL(K * N);
  for (auto& x : A) x = static_cast<int8_t>(da(rng));
  for (auto& x : W) x = static_cast<int8_t>(dw(rng));
  std::vector<uint8_t> key(kg_key_bytes(g)), wrong(kg_key_bytes(g)), zero(kg_key_bytes(g), 0);
  for (auto& b : key) b = static_cast<uint8_t>(rng());
  for (auto& b : wrong) b = static_cast<uint8_t>(rng());
  if (kg_ref_lock_sign(K, N, W.data(), key.data(), g, WL.data()) != KG_REF_OK) {
    std::fprintf(stderr, "demo: locking failed\n");
    return 1;
  }
  std::vector<int32_t> ref(M * N);
  kg_ref_gemm(M, K, N, A.data(), W.data(), nullptr, g, ref.data());

  std::printf("kgmac demo: C = A (%ux%u) x W (%ux%u) on the Verilated %ux%u key-gated array\n",
              M, K, K, N, g.rows, g.cols);
  std::printf("(the sign key has %u bits, one per PE; '*' marks an output that differs)\n\n",
              g.rows * g.cols);

  struct Case {
    const char* title;
    const std::vector<int8_t>* w;
    const std::vector<uint8_t>* k;
    bool expect_match;
  } cases[] = {
      {"1. locked weights, right sign key", &WL, &key, true},
      {"2. locked weights, wrong sign key", &WL, &wrong, false},
      {"3. unlocked weights, all-zero key", &W, &zero, true},
  };
  bool ok = true;
  for (const Case& c : cases) {
    core->set_key(c.k->data());
    std::vector<int32_t> got(M * N);
    std::string err;
    kg::GemmStats st;
    if (!kg::gemm(*core, M, K, N, A.data(), c.w->data(), got.data(), kg::Stalls{}, &st, &err)) {
      std::fprintf(stderr, "demo: simulation error: %s\n", err.c_str());
      return 1;
    }
    const size_t d = count_diff(got, ref);
    std::printf("%s: %zu of %u outputs differ from the reference, %llu cycles\n", c.title, d,
                M * N, (unsigned long long)st.cycles);
    print_side_by_side(got, ref, M, N);
    std::printf("\n");
    if ((d == 0) != c.expect_match) ok = false;
  }
  std::printf(ok ? "demo: OK (right key and unlocked weights exact; wrong key corrupts)\n"
                 : "demo: UNEXPECTED RESULT\n");
  return ok ? 0 : 1;
}
