// desc_layout_test: built by run_test.sh against kg_regs.h / kg_regs.vh
// generated from a register map whose descriptor fields have moved
// (shift_fields.py). For FC and CONV layers with the moved fields set, it
// checks that
//   - the moved fields really are elsewhere: the original register map
//     decodes the packed descriptor differently (else the test proves nothing);
//   - the packer (kgpack) puts every field where the scratch map says;
//   - kg_top (Verilated against the scratch kg_regs.vh) runs the layer
//     bit-exact against the C reference;
//   - the functional model (kgmodel) does too.
// Prints one line per failed check and exits 1 if any failed.
#include <cstdio>
#include <cstring>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "desc_decode.h"
#include "kgmodel.h"
#include "top_harness.hpp"

namespace {

int failures = 0;

void check(bool ok, const char* what, const std::string& layer) {
  if (!ok) {
    std::printf("desc_layout: FAIL %s (%s)\n", what, layer.c_str());
    failures++;
  }
}

#define SCRATCH_FIELD(w, word, name) \
  (((w)[KG_DESC_##word] & KG_DESC_##word##_##name##_MASK) >> KG_DESC_##word##_##name##_SHIFT)

class Model {
 public:
  explicit Model(kg_geom g) {
    kgmodel_config cfg = kgmodel_config_default();
    cfg.rows = g.rows;
    cfg.cols = g.cols;
    char err[256] = {0};
    m_ = kgmodel_create(&cfg, err, sizeof err);
    if (!m_) throw std::runtime_error(std::string("kgmodel_create: ") + err);
  }
  ~Model() { kgmodel_destroy(m_); }
  uint32_t rd(uint32_t off) {
    uint32_t v = 0;
    if (kgmodel_reg_read32(m_, off, &v) != 0) throw std::runtime_error("kgmodel reg read");
    return v;
  }
  void wr(uint32_t off, uint32_t v) {
    if (kgmodel_reg_write32(m_, off, v) != 0) throw std::runtime_error("kgmodel reg write");
  }
  // Keys loaded and checked; returns IRQ_STATUS of the CHECK.
  uint32_t provision(const kgt::Keys& k) {
    kgt::write_keys([this](uint32_t off, uint32_t v) { wr(off, v); }, k, k);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    kgmodel_run_until_irq(m_, 100000, nullptr);
    const uint32_t st = rd(KG_REG_IRQ_STATUS);
    wr(KG_REG_IRQ_STATUS, st);
    return st;
  }
  // Copies [addr, addr+n) of kg_top's DRAM into the model's.
  void mirror(kgsim* s, uint32_t addr, size_t n) {
    std::vector<uint8_t> b(n);
    if (kgsim_mem_read(s, addr, b.data(), n) != KGSIM_OK || kgmodel_mem_write(m_, addr, b.data(), n) != 0)
      throw std::runtime_error("mirror");
  }
  uint32_t run(const kgt::Layer& L, uint32_t* err) {
    wr(KG_REG_DESC_ADDR, L.desc_addr);
    wr(KG_REG_IRQ_ENABLE, 0x3f);
    wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    if (kgmodel_run_until_irq(m_, 50000000, nullptr) != 0) return 0;
    const uint32_t st = rd(KG_REG_IRQ_STATUS);
    *err = (rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT;
    wr(KG_REG_IRQ_STATUS, st);
    return st;
  }
  std::vector<int8_t> output(const kgt::Layer& L) {
    std::vector<int8_t> raw((size_t)L.M * L.d.out_stride), out((size_t)L.M * L.N);
    if (kgmodel_mem_read(m_, L.d.out_addr, raw.data(), raw.size()) != 0) throw std::runtime_error("kgmodel mem read");
    for (uint32_t m = 0; m < L.M; m++)
      std::memcpy(&out[(size_t)m * L.N], &raw[(size_t)m * L.d.out_stride], L.N);
    return out;
  }

 private:
  kgmodel* m_ = nullptr;
};

kg_layer_desc fc_shape() {
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.relu = 1;
  d.crypt = KG_CRYPT_CTR;
  d.sign = 1;
  d.m = 9;
  d.k = 37;
  d.n = 11;
  d.w_pos = 16 * 5;
  return d;
}

kg_layer_desc conv_shape(uint32_t crypt, uint32_t stride, uint32_t pad) {
  kg_layer_desc d{};
  d.op = KG_OP_CONV;
  d.relu = 0;
  d.crypt = crypt;
  d.sign = 1;
  d.conv.h = 7;
  d.conv.w = 6;
  d.conv.ic = 5;
  d.conv.oc = 6;
  d.conv.kh = 3;
  d.conv.kw = 3;
  d.conv.stride = stride;
  d.conv.pad = pad;
  return d;
}

void one_layer(kgt::Device& dev, Model& mdl, std::mt19937_64& rng, const kgt::Keys& k, const kg_layer_desc& shape) {
  const kg_geom g = dev.geom();
  kgt::Layer L = kgt::make_layer(rng, g, shape, 0x10000, true);
  const std::string name = kgt::describe(L);
  const bool conv = shape.op == KG_OP_CONV;

  uint32_t w[16];
  kg_pack_desc(&L.d, w);
  desc_fields o;
  desc_decode_orig(w, &o);
  const bool moved = o.crypt != L.d.crypt || o.sign != L.d.sign ||
                     (conv && (o.stride != L.d.conv.stride || o.pad != L.d.conv.pad));
  check(moved, "the original register map decodes the moved fields the same way", name);
  check(SCRATCH_FIELD(w, CFG, CRYPT) == L.d.crypt && SCRATCH_FIELD(w, CFG, SIGN) == L.d.sign &&
            SCRATCH_FIELD(w, CFG, RELU) == L.d.relu && SCRATCH_FIELD(w, CFG, OP) == L.d.op &&
            SCRATCH_FIELD(w, CFG, MAGIC) == KG_DESC_MAGIC,
        "kgpack places CFG fields where KG_DESC_CFG_* say", name);
  if (conv)
    check(SCRATCH_FIELD(w, DIM2, STRIDE) == L.d.conv.stride && SCRATCH_FIELD(w, DIM2, PAD) == L.d.conv.pad &&
              SCRATCH_FIELD(w, DIM2, KH) == L.d.conv.kh && SCRATCH_FIELD(w, DIM2, KW) == L.d.conv.kw,
          "kgpack places DIM2 fields where KG_DESC_DIM2_* say", name);

  dev.place(L, k);
  uint32_t err = 99;
  const uint32_t st = dev.run(L, 2000000, &err, nullptr);
  check(st == KG_IRQ_STATUS_DONE_MASK && err == KG_ERR_OK, "kg_top completes the layer", name);
  bool pad_ok = false;
  check(dev.output(L, &pad_ok) == L.expect && pad_ok, "kg_top output bit-exact", name);

  mdl.mirror(dev.sim(), L.desc_addr, 64);
  mdl.mirror(dev.sim(), L.d.in_addr, L.in.size());
  mdl.mirror(dev.sim(), L.d.w_addr, kg_pack_weight_bytes(L.K, L.N, g));
  mdl.mirror(dev.sim(), L.d.p_addr, (size_t)L.N * 16);
  uint32_t merr = 99;
  const uint32_t mst = mdl.run(L, &merr);
  check(mst == KG_IRQ_STATUS_DONE_MASK && merr == KG_ERR_OK, "kgmodel completes the layer", name);
  check(mdl.output(L) == L.expect, "kgmodel output bit-exact", name);
}

}  // namespace

int main() {
  try {
    kgt::Device dev;
    const kg_geom g = dev.geom();
    Model mdl(g);
    std::mt19937_64 rng(17);
    const kgt::Keys k = kgt::random_keys(rng, g, 16);
    // The layers are locked with the device keys directly (version 1).
    dev.wr(KG_REG_POLICY, KG_RST_POLICY | KG_POLICY_LEGACY_MASK);
    mdl.wr(KG_REG_POLICY, KG_RST_POLICY | KG_POLICY_LEGACY_MASK);
    check(dev.provision(k) == KG_IRQ_STATUS_DONE_MASK, "kg_top accepts the key check", "keys");
    check(mdl.provision(k) == KG_IRQ_STATUS_DONE_MASK, "kgmodel accepts the key check", "keys");
    one_layer(dev, mdl, rng, k, fc_shape());
    one_layer(dev, mdl, rng, k, conv_shape(KG_CRYPT_NONE, 2, 1));
    one_layer(dev, mdl, rng, k, conv_shape(KG_CRYPT_DEEPLOCK, 1, 2));
  } catch (const std::exception& e) {
    std::printf("desc_layout: FAIL %s\n", e.what());
    return 1;
  }
  if (failures) {
    std::printf("desc_layout: %d check(s) failed\n", failures);
    return 1;
  }
  std::printf("desc_layout: moved descriptor fields decode the same in kg_top, kgpack and kgmodel\n");
  return 0;
}
