// make bench-soc: whole-accelerator figures through libkgsim at the
// default DRAM settings (latency 50, 16 B/cycle, 64 outstanding).
//
//  - utilisation of a 256x256x256 FC layer: ideal cycles (MACs / (R*C)) /
//    cycles from START to the interrupt, with the results in DRAM;
//  - decrypt on/off: cycles with Deep-Lock, and with CTR (pipelined cipher),
//    divided by cycles with no decryption, same layer;
//  - key on/off: cycles with the sign key / without;
//  - authenticated model (docs/spec.md 11.1): the same FC layer bound to a
//    verified version-2 image, CTR + sign with the model keys, / no
//    protection; and the load-time VERIFY pass in cycles per image byte;
//  - a 28x28x16 -> 28x28x32 3x3 convolution (stride 1, pad 1): utilisation.
// Every run is also checked bit for bit against the C reference.
#include <chrono>
#include <cstdio>

#include "auth_model.hpp"
#include "top_harness.hpp"

namespace {

struct Result {
  uint64_t cycles;
  double seconds;
  bool exact;
};

Result run_placed(kgt::Device& dev, const kgt::Layer& L) {
  uint32_t err = 0;
  uint64_t cycles = 0;
  const auto t0 = std::chrono::steady_clock::now();
  const uint32_t st = dev.run(L, 50000000, &err, &cycles);
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const bool ok = (st == KG_IRQ_STATUS_DONE_MASK) && dev.output(L, nullptr) == L.expect;
  if (!ok) std::fprintf(stderr, "bench-soc: %s failed (irq %u err %u)\n", kgt::describe(L).c_str(), st, err);
  return Result{cycles, s, ok};
}

Result run(kgt::Device& dev, const kgt::Keys& k, const kg_layer_desc& shape, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const kg_geom g = dev.geom();
  kgt::Layer L = kgt::make_layer(rng, g, shape, 0x100000, false);
  dev.place(L, k);
  return run_placed(dev, L);
}

}  // namespace

int main() {
  kgt::Device dev;
  const kg_geom g = dev.geom();
  std::mt19937_64 rng(2026);
  kgt::Keys k = kgt::random_keys(rng, g, 16);
  if (dev.provision(k, true) != KG_IRQ_STATUS_DONE_MASK) {
    std::fprintf(stderr, "bench-soc: key check failed\n");
    return 1;
  }
  std::printf("kgmac bench-soc: kg_top %ux%u, DRAM latency 50, 16 B/cycle, 64 outstanding\n\n",
              g.rows, g.cols);

  kg_layer_desc fc{};
  fc.op = KG_OP_FC;
  fc.m = fc.k = fc.n = 256;
  fc.relu = 1;
  fc.sign = 1;
  fc.w_pos = 0;
  const double ideal_fc = 256.0 * 256 * 256 / (g.rows * g.cols);

  bool all = true;
  kg_layer_desc d = fc;
  d.crypt = KG_CRYPT_NONE;
  Result none = run(dev, k, d, 1);
  d.crypt = KG_CRYPT_DEEPLOCK;
  Result dl = run(dev, k, d, 1);
  d.crypt = KG_CRYPT_CTR;
  Result ctr = run(dev, k, d, 1);
  d.crypt = KG_CRYPT_NONE;
  d.sign = 0;
  Result nokey = run(dev, k, d, 1);
  all = none.exact && dl.exact && ctr.exact && nokey.exact;

  std::printf("FC 256x256x256, sign key on, no decrypt: %llu cycles, utilisation %.4f "
              "(ideal %.0f), %.0f simulated cycles/s\n",
              (unsigned long long)none.cycles, ideal_fc / none.cycles, ideal_fc,
              none.cycles / none.seconds);
  std::printf("decrypt on/off, Deep-Lock:      %llu / %llu = %.4f\n",
              (unsigned long long)dl.cycles, (unsigned long long)none.cycles,
              double(dl.cycles) / none.cycles);
  std::printf("decrypt on/off, CTR pipelined:  %llu / %llu = %.4f\n",
              (unsigned long long)ctr.cycles, (unsigned long long)none.cycles,
              double(ctr.cycles) / none.cycles);
  std::printf("sign key on/off:                %llu / %llu = %.4f\n",
              (unsigned long long)none.cycles, (unsigned long long)nokey.cycles,
              double(none.cycles) / nokey.cycles);

  // Version 2: the same layer in an authenticated image, CTR + sign with
  // the model's derived keys, run bound after VERIFY.
  {
    kg_layer_desc b = fc;
    b.sign = 1;
    kgt::AuthModel am =
        kgt::build_auth_model(dev, rng, KG_CRYPT_CTR, true, 16, {b}, 0x100000, 0x800000);
    dev.provision(am.dev, false, nullptr, false);
    uint64_t vcyc = 0;
    const uint32_t vst = kgt::verify_model(dev, am, 50000000, &vcyc);
    const bool auth = vst == KG_IRQ_STATUS_DONE_MASK &&
                      (dev.rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_AUTH_OK_MASK) != 0;
    Result bound = run_placed(dev, am.layers[0]);
    all = all && auth && bound.exact;
    std::printf("authenticated, CTR + sign, model keys / none: %llu / %llu = %.4f\n",
                (unsigned long long)bound.cycles, (unsigned long long)nokey.cycles,
                double(bound.cycles) / nokey.cycles);
    std::printf("VERIFY of the %zu-byte image: %llu cycles, %.3f cycles per byte%s\n",
                am.image.size(), (unsigned long long)vcyc, double(vcyc) / am.image.size(),
                auth ? "" : " (FAILED)");
    dev.provision(k, true);
  }

  kg_layer_desc cv{};
  cv.op = KG_OP_CONV;
  cv.conv = kg_conv_shape{28, 28, 16, 32, 3, 3, 1, 1};
  cv.relu = 1;
  cv.sign = 1;
  Result conv = run(dev, k, cv, 2);
  all = all && conv.exact;
  const double ideal_conv = 784.0 * 144 * 32 / (g.rows * g.cols);
  std::printf("conv 28x28x16 -> 28x28x32, 3x3, pad 1: %llu cycles, utilisation %.4f (ideal %.0f)\n",
              (unsigned long long)conv.cycles, ideal_conv / conv.cycles, ideal_conv);
  std::printf("\nall outputs bit-exact against the C reference: %s\n", all ? "yes" : "NO");
  return all ? 0 : 1;
}
