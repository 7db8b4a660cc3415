// model_speed: host seconds of one 256x256x256 FC layer (CTR decrypt, sign
// key) on the functional model and on kg_top (libkgsim) in the same run, and
// the cycles each reports (docs/model.md). Usage: kg_model_speed_16x16 [reps]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "kgmodel.h"
#include "top_harness.hpp"

static double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 20;
  kgt::Device dev;
  const kg_geom g = dev.geom();
  std::mt19937_64 rng(5);
  kgt::Keys k = kgt::random_keys(rng, g, 16);
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.m = d.k = d.n = 256;
  d.crypt = KG_CRYPT_CTR;
  d.sign = 1;
  kgt::Layer L = kgt::make_layer(rng, g, d, 0x10000, false);
  if (dev.provision(k) != KG_IRQ_STATUS_DONE_MASK) return 1;
  dev.place(L, k);

  kgmodel_config c = kgmodel_config_default();
  c.rows = g.rows;
  c.cols = g.cols;
  kgmodel* m = kgmodel_create(&c, nullptr, 0);
  kg_hal hal{};
  kgmodel_hal_bind(m, &hal);
  // Copy the placed images from the RTL's DRAM into the model's.
  std::vector<uint8_t> img(0x200000);
  kgsim_mem_read(dev.sim(), 0, img.data(), img.size());
  kgmodel_mem_write(m, 0, img.data(), img.size());
  // Same keys into the model (through the HAL, as firmware would).
  for (unsigned i = 0; i < 4; i++)
    hal.reg_write32(hal.ctx, KG_REG_AES_KEY(i),
                    (uint32_t(k.aes[4 * i]) << 24) | (uint32_t(k.aes[4 * i + 1]) << 16) |
                        (uint32_t(k.aes[4 * i + 2]) << 8) | k.aes[4 * i + 3]);
  for (unsigned i = 0; i < (k.sign.size() + 3) / 4; i++) {
    uint32_t v = 0;
    for (unsigned j = 0; j < 4 && 4 * i + j < k.sign.size(); j++) v |= uint32_t(k.sign[4 * i + j]) << (8 * j);
    hal.reg_write32(hal.ctx, KG_REG_SIGN_KEY(i), v);
  }
  hal.reg_write32(hal.ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
  for (unsigned i = 0; i < 3; i++)
    hal.reg_write32(hal.ctx, KG_REG_NONCE0 + 4 * i,
                    (uint32_t(k.nonce[4 * i]) << 24) | (uint32_t(k.nonce[4 * i + 1]) << 16) |
                        (uint32_t(k.nonce[4 * i + 2]) << 8) | k.nonce[4 * i + 3]);
  hal.reg_write32(hal.ctx, KG_REG_POLICY, KG_POLICY_RUN);
  hal.reg_write32(hal.ctx, KG_REG_IRQ_ENABLE, 0x3f);

  uint32_t err = 0;
  uint64_t rtl_cyc = 0;
  double t0 = now_s();
  const uint32_t st = dev.run(L, 10000000, &err, &rtl_cyc);
  const double rtl_s = now_s() - t0;
  bool pad = false;
  const bool rtl_ok = st == KG_IRQ_STATUS_DONE_MASK && dev.output(L, &pad) == L.expect;

  uint64_t mod_cyc = 0;
  bool mod_ok = true;
  std::vector<double> times;
  for (int r = 0; r < reps; r++) {
    t0 = now_s();
    hal.reg_write32(hal.ctx, KG_REG_DESC_ADDR, L.desc_addr);
    hal.reg_write32(hal.ctx, KG_REG_CTRL, KG_CTRL_START_MASK);
    kgmodel_run_until_irq(m, 10000000, &mod_cyc);
    const uint32_t ms = hal.reg_read32(hal.ctx, KG_REG_IRQ_STATUS);
    hal.reg_write32(hal.ctx, KG_REG_IRQ_STATUS, ms);
    mod_ok = mod_ok && ms == KG_IRQ_STATUS_DONE_MASK;
    times.push_back(now_s() - t0);
  }
  // The first run decrypts and folds the weights; later runs of the same
  // layer find them in the model's weight cache (docs/model.md).
  const double cold_s = times[0];
  std::vector<double> warm(times.begin() + (reps > 1 ? 1 : 0), times.end());
  std::sort(warm.begin(), warm.end());
  const double mod_s = warm[warm.size() / 2];
  std::vector<int8_t> out((size_t)L.M * L.d.out_stride);
  kgmodel_mem_read(m, L.d.out_addr, out.data(), out.size());
  for (uint32_t r = 0; r < L.M; r++)
    if (std::memcmp(&out[(size_t)r * L.d.out_stride], &L.expect[(size_t)r * L.N], L.N)) mod_ok = false;
  std::printf("FC 256x256x256 CTR+sign on %ux%u\n", g.rows, g.cols);
  std::printf("  RTL (kgsim):   %.4f s, %llu cycles, output %s\n", rtl_s, (unsigned long long)rtl_cyc,
              rtl_ok ? "ok" : "WRONG");
  std::printf("  model:         %.6f s cold (first run), %.6f s warm (median of %zu), %llu cycles, "
              "output %s\n", cold_s, mod_s, warm.size(), (unsigned long long)mod_cyc,
              mod_ok ? "ok" : "WRONG");
  std::printf("  speedup %.0fx warm, %.0fx cold; model/RTL cycles %.3f\n", rtl_s / mod_s,
              rtl_s / cold_s, double(mod_cyc) / double(rtl_cyc));
  kgmodel_destroy(m);
  return rtl_ok && mod_ok ? 0 : 1;
}
