// model_speed: the functional model against kg_top (libkgsim) on the
// benchmark layers of sim/bench/top, in one run (docs/model.md):
//  - host seconds of a 256x256x256 FC layer (CTR decrypt, sign key) on both,
//    the model cold (first layer run in the process: decrypt + fold + GEMM
//    + requantization, every buffer first-touched) and warm (the same layer
//    again: weight cache);
//  - the model's first run of 9 further 256^3 layers with fresh weights
//    (nothing cached: each decrypts and folds), median, against the same RTL
//    time (one noisy sub-millisecond sample cannot decide the ratio alone);
//  - model/RTL cycle ratio of every benchmark layer.
// Usage: kg_model_speed_<R>x<C> [reps]   (exit 1 if an output is wrong)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kgmodel.h"
#include "top_harness.hpp"

namespace {

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

struct Run {
  double rtl_s = 0, cold_s = 0, warm_s = 0;
  uint64_t rtl_cyc = 0, mod_cyc = 0;
  bool ok = false;
};

// Copies the device memory image of dev (layer placed) into model m.
void copy_image(kgt::Device& dev, kgmodel* m) {
  std::vector<uint8_t> img(0x200000);
  kgsim_mem_read(dev.sim(), 0, img.data(), img.size());
  kgmodel_mem_write(m, 0, img.data(), img.size());
}

// One timed run of layer L on the model (hal bound to m): seconds; *ok is
// cleared unless it ends in DONE.
double model_run(kgmodel* m, const kg_hal& hal, const kgt::Layer& L, uint64_t* cyc, bool* ok) {
  const double t0 = now_s();
  hal.reg_write32(hal.ctx, KG_REG_DESC_ADDR, L.desc_addr);
  hal.reg_write32(hal.ctx, KG_REG_CTRL, KG_CTRL_START_MASK);
  kgmodel_run_until_irq(m, 20000000, cyc);
  const uint32_t ms = hal.reg_read32(hal.ctx, KG_REG_IRQ_STATUS);
  hal.reg_write32(hal.ctx, KG_REG_IRQ_STATUS, ms);
  const double t = now_s() - t0;
  *ok = *ok && ms == KG_IRQ_STATUS_DONE_MASK;
  return t;
}

// The model's output of L equals the expected one.
bool model_output_ok(kgmodel* m, const kgt::Layer& L) {
  std::vector<int8_t> out((size_t)L.M * L.d.out_stride);
  kgmodel_mem_read(m, L.d.out_addr, out.data(), out.size());
  for (uint32_t row = 0; row < L.M; row++)
    if (std::memcmp(&out[(size_t)row * L.d.out_stride], &L.expect[(size_t)row * L.N], L.N)) return false;
  return true;
}

// Runs layer L on a fresh RTL device and on model m (keys k, weights placed).
Run run_both(kgmodel* m, const kgt::Layer& L, const kgt::Keys& k, int reps) {
  Run r;
  kgt::Device dev;
  if (dev.provision(k) != KG_IRQ_STATUS_DONE_MASK) return r;
  dev.place(L, k);
  copy_image(dev, m);

  kg_hal hal{};
  kgmodel_hal_bind(m, &hal);
  for (unsigned i = 0; i < 8; i++) {
    uint8_t b[4] = {0, 0, 0, 0};
    for (unsigned j = 0; j < 4 && 4 * i + j < k.aes.size(); j++) b[j] = k.aes[4 * i + j];
    hal.reg_write32(hal.ctx, KG_REG_AES_KEY(i), be32(b));
  }
  for (unsigned i = 0; i < (k.sign.size() + 3) / 4; i++) {
    uint32_t v = 0;
    for (unsigned j = 0; j < 4 && 4 * i + j < k.sign.size(); j++) v |= uint32_t(k.sign[4 * i + j]) << (8 * j);
    hal.reg_write32(hal.ctx, KG_REG_SIGN_KEY(i), v);
  }
  hal.reg_write32(hal.ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
  for (unsigned i = 0; i < 3; i++) hal.reg_write32(hal.ctx, KG_REG_NONCE0 + 4 * i, be32(k.nonce + 4 * i));
  // Layers locked with the device keys directly (version 1): LEGACY.
  hal.reg_write32(hal.ctx, KG_REG_POLICY, KG_POLICY_RUN | KG_POLICY_LEGACY_MASK);
  hal.reg_write32(hal.ctx, KG_REG_IRQ_ENABLE, 0x3f);
  hal.reg_write32(hal.ctx, KG_REG_IRQ_STATUS, 0x3f);

  uint32_t err = 0;
  double t0 = now_s();
  const uint32_t st = dev.run(L, 20000000, &err, &r.rtl_cyc);
  r.rtl_s = now_s() - t0;
  bool pad = false;
  r.ok = st == KG_IRQ_STATUS_DONE_MASK && dev.output(L, &pad) == L.expect;

  std::vector<double> times;
  for (int i = 0; i < reps; i++) times.push_back(model_run(m, hal, L, &r.mod_cyc, &r.ok));
  r.ok = r.ok && model_output_ok(m, L);
  // The first run decrypts and folds the weights; later runs of the same
  // layer find them in the model's weight cache (docs/model.md).
  r.cold_s = times[0];
  std::vector<double> warm(times.begin() + (reps > 1 ? 1 : 0), times.end());
  std::sort(warm.begin(), warm.end());
  r.warm_s = warm[warm.size() / 2];
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int reps = std::max(2, argc > 1 ? std::atoi(argv[1]) : 20);
  kgmodel_config c = kgmodel_config_default();
  {
    kgt::Device probe;
    c.rows = probe.geom().rows;
    c.cols = probe.geom().cols;
  }
  const kg_geom g{c.rows, c.cols};
  kgmodel* m = kgmodel_create(&c, nullptr, 0);
  std::mt19937_64 rng(5);
  const kgt::Keys k = kgt::random_keys(rng, g, 16);
  bool all = true;

  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.m = d.k = d.n = 256;
  d.crypt = KG_CRYPT_CTR;
  d.sign = 1;
  const kgt::Layer fc = kgt::make_layer(rng, g, d, 0x10000, false);
  const Run s = run_both(m, fc, k, reps);
  all = all && s.ok;
  std::printf("speed: FC 256x256x256 CTR + sign on %ux%u\n", g.rows, g.cols);
  std::printf("  RTL   %.4f s (%llu cycles)\n", s.rtl_s, (unsigned long long)s.rtl_cyc);
  std::printf("  model %.6f s cold (first run), %.6f s warm (median of %d)\n", s.cold_s, s.warm_s, reps - 1);
  std::printf("  speedup %.0fx warm, %.0fx cold; output %s\n", s.rtl_s / s.warm_s, s.rtl_s / s.cold_s,
              s.ok ? "ok" : "WRONG");
  {
    // First runs of new layers: same shape and keys, fresh weights, inputs
    // and parameters (placed by a kg_top device that is not run).
    kg_hal hal{};
    kgmodel_hal_bind(m, &hal);
    std::vector<double> firsts;
    bool ok = true;
    for (int i = 0; i < 9; i++) {
      const kgt::Layer L = kgt::make_layer(rng, g, d, 0x10000, false);
      kgt::Device dev;
      dev.place(L, k);
      copy_image(dev, m);
      uint64_t cyc = 0;
      firsts.push_back(model_run(m, hal, L, &cyc, &ok));
      ok = ok && model_output_ok(m, L);
    }
    all = all && ok;
    std::sort(firsts.begin(), firsts.end());
    const double med = firsts[firsts.size() / 2];
    std::printf("  model %.6f s first run of a new layer (median of %zu, min %.6f, max %.6f)\n", med,
                firsts.size(), firsts.front(), firsts.back());
    std::printf("  speedup %.0fx first run of a new layer (median); outputs %s\n", s.rtl_s / med,
                ok ? "ok" : "WRONG");
  }

  std::printf("cycles (model / RTL):\n");
  struct Case {
    const char* name;
    uint32_t crypt, sign;
    bool conv;
  } cases[] = {{"FC 256^3 no decrypt, sign", KG_CRYPT_NONE, 1, false},
               {"FC 256^3 no decrypt, no key", KG_CRYPT_NONE, 0, false},
               {"FC 256^3 Deep-Lock, sign", KG_CRYPT_DEEPLOCK, 1, false},
               {"FC 256^3 CTR, sign", KG_CRYPT_CTR, 1, false},
               {"conv 28x28x16->32 3x3 pad 1", KG_CRYPT_NONE, 1, true}};
  for (const Case& cs : cases) {
    kg_layer_desc e{};
    e.crypt = cs.crypt;
    e.sign = cs.sign;
    if (cs.conv) {
      e.op = KG_OP_CONV;
      e.conv = kg_conv_shape{28, 28, 16, 32, 3, 3, 1, 1};
    } else {
      e.op = KG_OP_FC;
      e.m = e.k = e.n = 256;
    }
    const kgt::Layer L = kgt::make_layer(rng, g, e, 0x10000, false);
    kgmodel_reset(m);
    const Run r = run_both(m, L, k, 2);
    all = all && r.ok;
    std::printf("  %-30s RTL %8llu  model %8llu  ratio %.3f  %s\n", cs.name, (unsigned long long)r.rtl_cyc,
                (unsigned long long)r.mod_cyc, double(r.mod_cyc) / double(r.rtl_cyc), r.ok ? "ok" : "WRONG");
  }
  kgmodel_destroy(m);
  return all ? 0 : 1;
}
