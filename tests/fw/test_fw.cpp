// The firmware (kgfw) on kg_top through libkgsim's HAL binding: discovery,
// key provisioning and the wrong-key policies, POLICY.LEGACY, VERIFY of a
// model image, jobs of several layers, illegal descriptors and hangs. The
// layers here use the device keys directly (version-1 layers), so the
// provisioning sets POLICY.LEGACY.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "kg_auth.h"
#include "kg_fw.h"
#include "kgsim_hal.h"
#include "kgmodel.h"
#include "top_harness.hpp"

namespace {

using kgt::Device;
using kgt::Keys;
using kgt::Layer;

constexpr uint64_t kLayerTimeout = 2000000;

std::vector<uint8_t> kcv_of(const Keys& k) {
  kg_aes_key ak;
  kg_aes_key_init(&ak, k.aes.data(), k.aes.size());
  std::vector<uint8_t> v(8);
  kg_kcv(&ak, k.nonce, v.data());
  return v;
}

// Each Fw test runs on every back-end: "rtl" (kg_top in libkgsim) and
// "model" (the functional C model kgmodel). Layers are laid out
// by the top harness in the kgsim DRAM and, for the model, copied into the
// model's memory; everything else goes through the firmware HAL.
class Fw : public ::testing::TestWithParam<const char*> {
 protected:
  bool on_model() const { return std::strcmp(GetParam(), "model") == 0; }
  void SetUp() override { open(nullptr, 0); }
  // cfg: the kgsim DRAM (rtl); read_latency: the model's DRAM latency (0 = default).
  void open(const kgsim_config* cfg, uint32_t read_latency) {
    fw = kg_fw{};
    mdl.reset();
    dev.reset(new Device(cfg));
    g = dev->geom();
    if (on_model()) {
      kgmodel_config mc = kgmodel_config_default();
      mc.rows = g.rows;
      mc.cols = g.cols;
      if (read_latency) mc.read_latency = read_latency;
      char err[256] = {0};
      mdl.reset(kgmodel_create(&mc, err, sizeof err));
      ASSERT_NE(nullptr, mdl.get()) << err;
      kgmodel_hal_bind(mdl.get(), &hal);
    } else {
      kgsim_hal_bind(dev->sim(), &hal);
    }
    ASSERT_EQ(KG_FW_OK, kg_fw_init(&fw, &hal));
    rng.seed(1234);
    keys = kgt::random_keys(rng, g, 16);
  }
  int provision(const Keys& k, const std::vector<uint8_t>& kcv, uint32_t policy = KG_POLICY_REFUSE,
                uint32_t threshold = 0, int lock = 0) {
    return kg_fw_provision(&fw, k.aes.data(), k.aes.size(), k.sign.data(), g.rows * g.cols, k.nonce,
                           kcv.data(), policy | KG_FW_POLICY_LEGACY, threshold, lock);
  }
  int provision_ok() { return provision(keys, kcv_of(keys)); }
  // Lay L out in device memory (weights locked with `keys`).
  void place(const Layer& L) {
    dev->place(L, keys);
    if (!on_model()) return;
    auto copy = [&](uint64_t a, size_t n) {
      std::vector<uint8_t> b(n);
      ASSERT_EQ(KGSIM_OK, kgsim_mem_read(dev->sim(), a, b.data(), n));
      ASSERT_EQ(0, hal.mem_write(hal.ctx, a, b.data(), n));
    };
    copy(L.desc_addr, 64);
    copy(L.d.in_addr, L.in.size());
    copy(L.d.w_addr, kg_pack_weight_bytes(L.K, L.N, g));
    copy(L.d.p_addr, (size_t)L.N * 16);
    copy(L.d.out_addr, (size_t)L.M * L.d.out_stride);
  }
  std::vector<uint8_t> out_raw(const Layer& L) {
    std::vector<uint8_t> raw((size_t)L.M * L.d.out_stride);
    EXPECT_EQ(0, hal.mem_read(hal.ctx, L.d.out_addr, raw.data(), raw.size()));
    return raw;
  }
  // Dense M x N output; *pad_ok: the stride padding still holds the fill.
  std::vector<int8_t> output(const Layer& L, bool* pad_ok) {
    const auto raw = out_raw(L);
    std::vector<int8_t> out;
    bool ok = true;
    for (size_t i = 0; i < raw.size(); i++) {
      if (i % L.d.out_stride < L.N)
        out.push_back(int8_t(raw[i]));
      else if (raw[i] != 0xa5)
        ok = false;
    }
    if (pad_ok) *pad_ok = ok;
    return out;
  }
  bool untouched(const Layer& L) {
    for (auto b : out_raw(L))
      if (b != 0xa5) return false;
    return true;
  }
  // Three layers of different kinds at disjoint addresses, placed in DRAM.
  std::vector<Layer> job(uint32_t crypt0 = KG_CRYPT_CTR, uint32_t crypt1 = KG_CRYPT_DEEPLOCK,
                         uint32_t crypt2 = KG_CRYPT_NONE) {
    std::vector<Layer> v;
    v.push_back(kgt::random_layer(rng, g, false, crypt0, true, keys, 0x10000));
    v.push_back(kgt::random_layer(rng, g, true, crypt1, true, keys, 0x40000));
    v.push_back(kgt::random_layer(rng, g, false, crypt2, false, keys, 0x80000));
    for (auto& L : v) place(L);
    return v;
  }
  static std::vector<uint32_t> addrs(const std::vector<Layer>& v) {
    std::vector<uint32_t> a;
    for (auto& L : v) a.push_back(L.desc_addr);
    return a;
  }
  uint32_t rd(uint32_t off) { return hal.reg_read32(hal.ctx, off); }
  void wr(uint32_t off, uint32_t v) { hal.reg_write32(hal.ctx, off, v); }
  uint32_t key_status() { return rd(KG_REG_KEY_STATUS); }
  void write_desc_word(const Layer& L, int word, uint32_t v) {
    uint8_t b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    ASSERT_EQ(0, hal.mem_write(hal.ctx, L.desc_addr + 4u * word, b, 4));
  }
  // Back-end specifics.
  struct ModelFree {
    void operator()(kgmodel* m) const { kgmodel_destroy(m); }
  };
  std::unique_ptr<kgmodel, ModelFree> mdl;
#define KG_FW_BACKEND(rtl_expr, model_expr) (on_model() ? (model_expr) : (rtl_expr))
  unsigned rows() { return KG_FW_BACKEND(kgsim_rows(dev->sim()), kgmodel_rows(mdl.get())); }
  unsigned cols() { return KG_FW_BACKEND(kgsim_cols(dev->sim()), kgmodel_cols(mdl.get())); }
  void step(uint64_t n) { KG_FW_BACKEND(kgsim_step(dev->sim(), n), kgmodel_step(mdl.get(), n)); }
  int irq_line() { return KG_FW_BACKEND(kgsim_irq(dev->sim()), kgmodel_irq(mdl.get())); }
  uint64_t cycles() { return KG_FW_BACKEND(kgsim_cycles(dev->sim()), kgmodel_cycles(mdl.get())); }
  // Reads touching [lo, hi) answer with an error.
  void fault_reads(uint64_t lo, uint64_t hi) {
    if (on_model()) {
      kgmodel_fault f{KGMODEL_FAULT_RANGE, KGMODEL_DIR_READ, lo, hi};
      ASSERT_EQ(KGMODEL_OK, kgmodel_set_fault(mdl.get(), 0, &f));
      return;
    }
    const kgsim_fault f{KGSIM_FAULT_RANGE, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, lo, hi, 0};
    ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, &f));
  }

  std::unique_ptr<Device> dev;  // the rtl back-end; with "model", the layout staging area
  kg_geom g{0, 0};
  kg_hal hal{};
  kg_fw fw{};
  std::mt19937_64 rng;
  Keys keys;
};

// ---------------------------------------------------------------- discovery

TEST_P(Fw, InitDiscoversGeometryAndEnablesInterrupts) {
  EXPECT_EQ(rows(), fw.info.rows);
  EXPECT_EQ(cols(), fw.info.cols);
  EXPECT_EQ(KG_REGMAP_VERSION >> 16, fw.info.version >> 16);
  EXPECT_GT(fw.info.acc_depth, 0u);
  EXPECT_GT(fw.info.act_words, 0u);
  EXPECT_GT(fw.info.param_depth, 0u);
  EXPECT_GT(fw.info.aes_lanes, 0u);
  EXPECT_EQ(0x3fu, rd(KG_REG_IRQ_ENABLE));
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(0, irq_line());
}

TEST_P(Fw, InitAbortsALayerLeftRunning) {
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.m = 200;
  d.k = 8 * g.rows;
  d.n = 4 * g.cols;
  Layer L = kgt::make_layer(rng, g, d, 0x10000, false);
  place(L);
  wr(KG_REG_DESC_ADDR, L.desc_addr);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  step(300);
  ASSERT_EQ(1u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  ASSERT_EQ(KG_FW_OK, kg_fw_init(&fw, &hal));
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(0, irq_line());
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, nullptr, nullptr));
  EXPECT_EQ(L.expect, output(L, nullptr));
}

// A HAL over the real one that lies about one register.
struct LyingHal {
  kg_hal inner;
  uint32_t off, val;
  static uint32_t rd(void* c, uint32_t off) {
    auto* h = static_cast<LyingHal*>(c);
    return off == h->off ? h->val : h->inner.reg_read32(h->inner.ctx, off);
  }
  static void wr(void* c, uint32_t off, uint32_t v) {
    auto* h = static_cast<LyingHal*>(c);
    h->inner.reg_write32(h->inner.ctx, off, v);
  }
  static int wait(void* c, uint64_t t) {
    auto* h = static_cast<LyingHal*>(c);
    return h->inner.wait_irq(h->inner.ctx, t);
  }
  static int mw(void* c, uint64_t a, const void* s, size_t n) {
    auto* h = static_cast<LyingHal*>(c);
    return h->inner.mem_write(h->inner.ctx, a, s, n);
  }
  static int mr(void* c, uint64_t a, void* d, size_t n) {
    auto* h = static_cast<LyingHal*>(c);
    return h->inner.mem_read(h->inner.ctx, a, d, n);
  }
  kg_hal hal() { return kg_hal{this, rd, wr, wait, mw, mr}; }
};

TEST_P(Fw, InitRejectsWrongIdVersionAndGeometry) {
  struct Case {
    uint32_t off, val;
    int want;
  } cases[] = {
      {KG_REG_ID, 0xffffffffu, KG_FW_ENODEV},
      {KG_REG_ID, 0x4b474d44u, KG_FW_ENODEV},
      {KG_REG_VERSION, KG_REGMAP_VERSION + 0x00010000u, KG_FW_EVERSION},
      {KG_REG_HW_ARRAY, 0u, KG_FW_EGEOM},
      {KG_REG_HW_ARRAY, (64u << 16) | 64u, KG_FW_EGEOM},
      {KG_REG_HW_BUF, 0u, KG_FW_EGEOM},
      {KG_REG_HW_ARRAY, (7u << 16) | 3u, KG_FW_OK},  // discovered, not hard-coded
  };
  for (const auto& c : cases) {
    LyingHal lh{hal, c.off, c.val};
    kg_hal h = lh.hal();
    kg_fw f{};
    EXPECT_EQ(c.want, kg_fw_init(&f, &h)) << "off " << c.off << " val " << c.val;
    if (c.want == KG_FW_OK) {
      EXPECT_EQ(3u, f.info.rows);
      EXPECT_EQ(7u, f.info.cols);
    }
  }
  kg_fw f{};
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_init(&f, nullptr));
  kg_hal partial = hal;
  partial.wait_irq = nullptr;
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_init(&f, &partial));
  kg_fw zero{};
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_key_check(&zero, keys.nonce, kcv_of(keys).data()));
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_run_job(&zero, nullptr, 0, 1, &idx, nullptr));
}

// ------------------------------------------------------------ provisioning

TEST_P(Fw, ProvisionRightKeyThenEncryptedSignedLayerIsExact) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  const uint32_t ks = key_status();
  EXPECT_EQ(KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK | KG_KEY_STATUS_KCV_OK_MASK,
            ks & 0xffu);
  EXPECT_EQ(0u, ks & KG_KEY_STATUS_FAILS_MASK);
  // Sign key bit order and AES key word order are right only if a CTR+sign
  // layer comes out exact.
  Layer L = kgt::random_layer(rng, g, true, KG_CRYPT_CTR, true, keys);
  place(L);
  uint32_t idx = 99;
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(1u, idx);
  EXPECT_EQ(L.expect, output(L, nullptr));
}

TEST_P(Fw, ProvisionEveryAesKeySize) {
  for (unsigned n : {16u, 24u, 32u}) {
    keys = kgt::random_keys(rng, g, n);
    EXPECT_EQ(KG_FW_OK, provision_ok()) << n;
    Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_DEEPLOCK, true, keys);
    place(L);
    ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, nullptr, nullptr)) << n;
    EXPECT_EQ(L.expect, output(L, nullptr)) << n;
  }
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_provision(&fw, keys.aes.data(), 20, keys.sign.data(),
                                          g.rows * g.cols, keys.nonce, kcv_of(keys).data(), 0, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_provision(&fw, keys.aes.data(), 16, keys.sign.data(),
                                          g.rows * g.cols + 1, keys.nonce, kcv_of(keys).data(), 0, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_provision(&fw, keys.aes.data(), 16, keys.sign.data(),
                                          g.rows * g.cols, keys.nonce, kcv_of(keys).data(), 3, 0, 0));
}

TEST_P(Fw, WrongKcvIsReportedAndRefusePolicyStopsTheJob) {
  auto kcv = kcv_of(keys);
  kcv[3] ^= 0x10;
  // lock = 1: a key that failed its check is never locked in.
  EXPECT_EQ(KG_FW_EKCV, provision(keys, kcv, KG_POLICY_REFUSE, 0, 1));
  EXPECT_EQ(uint32_t(KG_ERR_KCV_MISMATCH), fw.last_hw_err);
  EXPECT_EQ(0u, key_status() & KG_KEY_STATUS_LOCKED_MASK);
  EXPECT_EQ(1u, (key_status() & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT);
  EXPECT_EQ(0u, key_status() & KG_KEY_STATUS_KCV_OK_MASK);
  // Layer 0 needs no key and runs; layer 1 is encrypted and refused.
  auto v = job(KG_CRYPT_NONE, KG_CRYPT_CTR, KG_CRYPT_NONE);
  auto a = addrs(v);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_EWRONGKEY, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(1u, idx);
  EXPECT_EQ(v[0].expect, output(v[0], nullptr));
  EXPECT_TRUE(untouched(v[2])) << "the job must stop at the refused layer";
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS)) << "causes cleared";
  // The right KCV then passes, and the job runs.
  EXPECT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  EXPECT_EQ(KG_FW_OK, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  for (auto& L : v) EXPECT_EQ(L.expect, output(L, nullptr));
}

TEST_P(Fw, KeyCheckTimeoutIsReported) {
  fw.key_timeout = 1;  // far shorter than a KCV computation
  EXPECT_EQ(KG_FW_ETIMEOUT, provision_ok());
  ASSERT_NE(0u, key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
  // No layer starts under a running check (its interrupt would be taken
  // for the layer's).
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_NONE, false, keys);
  place(L);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_EBUSY, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  // The check finishes in the background; a later one then works.
  step(10000);
  fw.key_timeout = 100000;
  EXPECT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
}

TEST_P(Fw, RunPolicyRunsWithGarbage) {
  auto kcv = kcv_of(keys);
  Keys wrong = keys;
  wrong.aes[0] ^= 1;
  EXPECT_EQ(KG_FW_EKCV, provision(wrong, kcv, KG_POLICY_RUN));
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_CTR, false, keys);
  place(L);
  EXPECT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, nullptr, nullptr));
  const auto out = output(L, nullptr);
  size_t differ = 0;
  for (size_t i = 0; i < out.size(); i++) differ += out[i] != L.expect[i];
  EXPECT_GT(differ, out.size() / 4);
}

TEST_P(Fw, LockoutAfterThresholdUntilZeroize) {
  auto bad = kcv_of(keys);
  bad[0] ^= 0x80;
  EXPECT_EQ(KG_FW_EKCV, provision(keys, bad, KG_POLICY_LOCKOUT, 2));
  EXPECT_EQ(KG_FW_ELOCKEDOUT, provision(keys, bad, KG_POLICY_LOCKOUT, 2));
  EXPECT_NE(0u, key_status() & KG_KEY_STATUS_LOCKED_OUT_MASK);
  // Even the right key is refused now.
  EXPECT_EQ(KG_FW_ELOCKEDOUT, provision(keys, kcv_of(keys), KG_POLICY_LOCKOUT, 2));
  EXPECT_EQ(uint32_t(KG_ERR_LOCKED_OUT), fw.last_hw_err);
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_DEEPLOCK, true, keys);
  place(L);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_ELOCKEDOUT, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(0u, idx);
  EXPECT_TRUE(untouched(L));
  // Zeroize clears lockout and keys: the layer now has no key at all.
  ASSERT_EQ(KG_FW_OK, kg_fw_zeroize(&fw));
  EXPECT_EQ(KG_FW_ENOKEY, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(KG_FW_ENOKEY, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  ASSERT_EQ(KG_FW_OK, provision(keys, kcv_of(keys), KG_POLICY_LOCKOUT, 2));
  EXPECT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(L.expect, output(L, nullptr));
}

TEST_P(Fw, LockThenAnyKeyWriteIsAVaultViolation) {
  ASSERT_EQ(KG_FW_OK, provision(keys, kcv_of(keys), KG_POLICY_REFUSE, 0, 1));
  EXPECT_NE(0u, key_status() & KG_KEY_STATUS_LOCKED_MASK);
  Keys other = kgt::random_keys(rng, g, 32);
  EXPECT_EQ(KG_FW_EVAULT, provision(other, kcv_of(other)));
  EXPECT_NE(0u, fw.last_irq & KG_IRQ_STATUS_VAULT_MASK);
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  // The locked key is unchanged: its check still passes and layers run.
  EXPECT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  EXPECT_EQ(KG_FW_EKCV, kg_fw_key_check(&fw, other.nonce, kcv_of(other).data()));
  EXPECT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  Layer L = kgt::random_layer(rng, g, true, KG_CRYPT_CTR, true, keys);
  place(L);
  EXPECT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, nullptr, nullptr));
  EXPECT_EQ(L.expect, output(L, nullptr));
}

// kg_fw_load_keys writes keys and policy without a check; kg_fw_key_check
// then decides, as the driver does when it loads a model.
TEST_P(Fw, LoadKeysWithoutCheckThenCheckOnDemand) {
  ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, keys.aes.data(), keys.aes.size(), keys.sign.data(),
                                      g.rows * g.cols, KG_POLICY_REFUSE | KG_FW_POLICY_LEGACY, 3));
  const uint32_t ks = key_status();
  EXPECT_EQ(KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK, ks & 0xffu);
  EXPECT_EQ(0u, ks & KG_KEY_STATUS_FAILS_MASK);
  EXPECT_EQ(ks, fw.key_status);
  EXPECT_EQ((KG_POLICY_REFUSE << KG_POLICY_MODE_SHIFT) | (3u << KG_POLICY_THRESHOLD_SHIFT) |
                (rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK),
            rd(KG_REG_POLICY));
  // No check yet: under REFUSE an encrypted layer is refused...
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_CTR, true, keys);
  place(L);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_EWRONGKEY, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_TRUE(untouched(L));
  // ...until the check passes.
  ASSERT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(L.expect, output(L, nullptr));
}

TEST_P(Fw, LoadKeysWithoutAesKeyClearsIt) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  // aes_len 0: the AES key goes, the new sign key is loaded.
  ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, nullptr, 0, keys.sign.data(), g.rows * g.cols,
                                      KG_POLICY_RUN | KG_FW_POLICY_LEGACY, 0));
  EXPECT_EQ(KG_KEY_STATUS_SIGN_VALID_MASK, key_status() & 0x0fu);
  Layer enc = kgt::random_layer(rng, g, false, KG_CRYPT_DEEPLOCK, false, keys, 0x10000);
  Layer sgn = kgt::random_layer(rng, g, true, KG_CRYPT_NONE, true, keys, 0x80000);
  place(enc);
  place(sgn);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_ENOKEY, kg_fw_run_job(&fw, &enc.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(KG_FW_ENOKEY, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  // A sign-locked, unencrypted layer needs only the sign key.
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &sgn.desc_addr, 1, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(sgn.expect, output(sgn, nullptr));
  // Bad arguments change nothing.
  const uint32_t before = key_status();
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, keys.aes.data(), 20, nullptr, 0, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 16, nullptr, 0, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 0, keys.sign.data(), 0, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 0, keys.sign.data(), 3, 0, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 0, nullptr, 0, 3, 0));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 0, nullptr, 0, 0, 256));
  EXPECT_EQ(before, key_status());
  kg_fw zero{};
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_load_keys(&zero, nullptr, 0, nullptr, 0, 0, 0));
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_lock(&zero));
}

TEST_P(Fw, LockFreezesTheVault) {
  ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, keys.aes.data(), keys.aes.size(), keys.sign.data(),
                                      g.rows * g.cols, KG_POLICY_LOCKOUT | KG_FW_POLICY_LEGACY, 2));
  ASSERT_EQ(KG_FW_OK, kg_fw_lock(&fw));
  EXPECT_NE(0u, key_status() & KG_KEY_STATUS_LOCKED_MASK);
  EXPECT_NE(0u, fw.key_status & KG_KEY_STATUS_LOCKED_MASK);
  EXPECT_EQ(KG_FW_OK, kg_fw_lock(&fw)) << "locking twice is harmless";
  // Neither keys nor policy can change now.
  Keys other = kgt::random_keys(rng, g, 24);
  EXPECT_EQ(KG_FW_EVAULT, kg_fw_load_keys(&fw, other.aes.data(), other.aes.size(),
                                          other.sign.data(), g.rows * g.cols, KG_POLICY_RUN, 9));
  EXPECT_NE(0u, fw.last_irq & KG_IRQ_STATUS_VAULT_MASK);
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ((KG_POLICY_LOCKOUT << KG_POLICY_MODE_SHIFT) | (2u << KG_POLICY_THRESHOLD_SHIFT) |
                (rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK),
            rd(KG_REG_POLICY));
  // The check still runs against the locked key.
  EXPECT_EQ(KG_FW_EKCV, kg_fw_key_check(&fw, other.nonce, kcv_of(other).data()));
  ASSERT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_CTR, true, keys);
  place(L);
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &L.desc_addr, 1, kLayerTimeout, nullptr, nullptr));
  EXPECT_EQ(L.expect, output(L, nullptr));
}

// --------------------------------------------------------------------- jobs

TEST_P(Fw, ThreeLayerJobIsExactWithPerfCounters) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  auto v = job();
  auto a = addrs(v);
  kg_fw_perf perf[3];
  std::memset(perf, 0, sizeof perf);
  uint32_t idx = 99;
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, perf));
  EXPECT_EQ(3u, idx);
  for (size_t i = 0; i < v.size(); i++) {
    bool pad_ok = false;
    EXPECT_EQ(v[i].expect, output(v[i], &pad_ok)) << i << ": " << kgt::describe(v[i]);
    EXPECT_TRUE(pad_ok) << i;
    EXPECT_GT(perf[i].cycles, 0u) << i;
    EXPECT_GE(perf[i].cycles, perf[i].busy) << i;
    EXPECT_GT(perf[i].busy, 0u) << i;
    EXPECT_GT(perf[i].compute, 0u) << i;
    EXPECT_GE(perf[i].wr_bytes, uint64_t(v[i].M) * v[i].N) << i;
    EXPECT_GT(perf[i].rd_bytes, 0u) << i;
  }
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  if (!on_model()) {
    EXPECT_EQ(0u, kgsim_hal_errors());
  }
}

// A small network: each layer reads the previous layer's output in device
// memory, as a model's layers do.
TEST_P(Fw, ChainedLayersFeedEachOther) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  std::vector<Layer> v;
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.crypt = KG_CRYPT_CTR;
  d.sign = 1;
  d.relu = 1;
  d.m = 9;
  d.k = 3 * g.rows + 1;
  d.n = 2 * g.cols + 3;
  d.w_pos = 0;
  v.push_back(kgt::make_layer(rng, g, d, 0x10000, false));
  for (uint32_t i = 1; i < 3; i++) {
    const Layer& p = v.back();
    kg_layer_desc e = d;
    e.crypt = i == 1 ? KG_CRYPT_DEEPLOCK : KG_CRYPT_NONE;
    e.relu = i == 1;
    e.k = p.N;
    e.n = g.cols + 2 * i;
    e.w_pos = 16 * 1024 * i;
    Layer L = kgt::make_layer(rng, g, e, 0x10000 + 0x20000 * i, false);
    L.d.in_addr = p.d.out_addr;
    L.d.in_stride = p.d.out_stride;
    L.in.assign((size_t)p.M * p.d.out_stride, 0);
    for (uint32_t m = 0; m < p.M; m++)
      std::memcpy(&L.in[(size_t)m * p.d.out_stride], &p.expect[(size_t)m * p.N], p.N);
    kgt::compute_expect(L);
    v.push_back(L);
  }
  // Later layers first: each earlier layer's placement then overwrites the
  // next one's input with its 0xa5 output fill, so only the job can fill it.
  for (size_t i = v.size(); i-- > 0;) place(v[i]);
  EXPECT_TRUE(untouched(v[0]));
  auto a = addrs(v);
  uint32_t idx = 99;
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  for (size_t i = 0; i < v.size(); i++) EXPECT_EQ(v[i].expect, output(v[i], nullptr)) << i;
}

TEST_P(Fw, IllegalDescriptorStopsTheJobAtItsIndex) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  struct Case {
    int word;
    uint32_t mask, val;
    int want;
  } cases[] = {
      {KG_DESC_CFG, KG_DESC_CFG_MAGIC_MASK, 0x1234u << 16, KG_FW_EDESC_MAGIC},
      {KG_DESC_CFG, KG_DESC_CFG_OP_MASK, 7u, KG_FW_EDESC_OP},
      {KG_DESC_CFG, KG_DESC_CFG_CRYPT_MASK, 3u << KG_DESC_CFG_CRYPT_SHIFT, KG_FW_EDESC_CRYPT},
      {KG_DESC_IN_ADDR, 0xffffffffu, 0x10008u, KG_FW_EDESC_ALIGN},
      {15, 0xffffffffu, 1u, KG_FW_EDESC_RSVD},
  };
  for (const auto& c : cases) {
    auto v = job();
    uint32_t words[16];
    kg_pack_desc(&v[1].d, words);
    write_desc_word(v[1], c.word, (words[c.word] & ~c.mask) | c.val);
    auto a = addrs(v);
    uint32_t idx = 99;
    EXPECT_EQ(c.want, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr))
        << kg_fw_strstatus(c.want);
    EXPECT_EQ(1u, idx);
    EXPECT_NE(0u, fw.last_irq & KG_IRQ_STATUS_DESC_ERR_MASK);
    EXPECT_EQ(v[0].expect, output(v[0], nullptr));
    EXPECT_TRUE(untouched(v[1]));
    EXPECT_TRUE(untouched(v[2])) << "the job must stop at the illegal layer";
  }
  uint32_t none = 99;
  EXPECT_EQ(KG_FW_OK, kg_fw_run_job(&fw, nullptr, 0, kLayerTimeout, &none, nullptr));
  EXPECT_EQ(0u, none);
  // A misaligned descriptor address is refused before the device is touched.
  auto v = job();
  auto a = addrs(v);
  a[2] += 8;
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(2u, idx);
  EXPECT_TRUE(untouched(v[0]));
}

TEST_P(Fw, BusErrorStopsTheJob) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  auto v = job();
  fault_reads(v[2].d.w_addr, v[2].d.w_addr + 16);
  auto a = addrs(v);
  uint32_t idx = 99;
  EXPECT_EQ(KG_FW_EBUS, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  EXPECT_EQ(2u, idx);
  EXPECT_EQ(v[1].expect, output(v[1], nullptr));
}

TEST_P(Fw, TimeoutSoftResetsAndTheNextJobRuns) {
  ASSERT_EQ(KG_FW_OK, provision_ok());
  auto v = job();
  auto a = addrs(v);
  uint32_t idx = 99;
  // Far too little time for layer 1: the firmware must abort it.
  kg_fw_perf perf[3];
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, a.data(), 1, kLayerTimeout, &idx, perf));
  const uint64_t need = perf[0].busy;
  EXPECT_EQ(KG_FW_ETIMEOUT, kg_fw_run_job(&fw, a.data(), 3, need / 4 + 1, &idx, nullptr));
  EXPECT_EQ(0u, idx);
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) << "engine left running";
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  EXPECT_TRUE(untouched(v[2]));
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, a.data(), 3, kLayerTimeout, &idx, nullptr));
  for (auto& L : v) EXPECT_EQ(L.expect, output(L, nullptr));
}

TEST_P(Fw, HungMemoryIsCaughtByTheTimeout) {
  kgsim_config cfg = kgsim_config_default();
  cfg.dram.read_latency = 400000;  // a DRAM that effectively never answers
  open(&cfg, 400000);
  fw.reset_timeout = 5000000;
  Layer L = kgt::random_layer(rng, g, false, KG_CRYPT_NONE, false, keys);
  place(L);
  const uint32_t a[2] = {L.desc_addr, L.desc_addr};
  uint32_t idx = 99;
  const uint64_t c0 = cycles();
  EXPECT_EQ(KG_FW_ETIMEOUT, kg_fw_run_job(&fw, a, 2, 50000, &idx, nullptr));
  EXPECT_EQ(0u, idx);
  EXPECT_GE(cycles() - c0, 50000u);
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  EXPECT_TRUE(untouched(L));
}

// ------------------------------------------------- LEGACY and VERIFY

// POLICY.LEGACY follows KG_FW_POLICY_LEGACY and is 0 without it.
TEST_P(Fw, ProvisioningWritesLegacy) {
  ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, keys.aes.data(), keys.aes.size(), keys.sign.data(),
                                      g.rows * g.cols, KG_POLICY_RUN, 5));
  EXPECT_EQ((KG_POLICY_RUN << KG_POLICY_MODE_SHIFT) | (5u << KG_POLICY_THRESHOLD_SHIFT),
            rd(KG_REG_POLICY));
  ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, keys.aes.data(), keys.aes.size(), keys.sign.data(),
                                      g.rows * g.cols, KG_POLICY_RUN | KG_FW_POLICY_LEGACY, 5));
  if (!on_model() && !(rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK))
    GTEST_SKIP() << "this rtl build has no POLICY.LEGACY";
  EXPECT_EQ(KG_POLICY_LEGACY_MASK | (KG_POLICY_RUN << KG_POLICY_MODE_SHIFT) |
                (5u << KG_POLICY_THRESHOLD_SHIFT),
            rd(KG_REG_POLICY));
  ASSERT_EQ(KG_FW_OK, provision(keys, kcv_of(keys), KG_POLICY_REFUSE));  // legacy (helper)
  EXPECT_TRUE(rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK);
  // Any other bit in the policy argument is refused.
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_load_keys(&fw, nullptr, 0, nullptr, 0, 0x200u, 0));
}

// A model image in device memory, authenticated with the tag key derived
// from the vault's AES key and the nonce.
class FwVerify : public Fw {
 protected:
  static constexpr uint32_t kAddr = 0x20000, kLen = 640;
  void SetUp() override {
    Fw::SetUp();
    if (HasFatalFailure()) return;
    image.resize(kLen);
    for (auto& b : image) b = uint8_t(rng());
    ASSERT_EQ(0, hal.mem_write(hal.ctx, kAddr, image.data(), image.size()));
    kg_aes_key dev_key;
    ASSERT_EQ(KG_AES_OK, kg_aes_key_init(&dev_key, keys.aes.data(), keys.aes.size()));
    kg_model_keys mk;
    ASSERT_EQ(KG_AES_OK, kg_model_keys_derive(&dev_key, keys.nonce, g.rows * g.cols, &mk));
    kg_cmac(&mk.mac, image.data(), image.size(), tag);
    kg_model_keys_wipe(&mk);
    ASSERT_EQ(KG_FW_OK, kg_fw_load_keys(&fw, keys.aes.data(), keys.aes.size(), keys.sign.data(),
                                        g.rows * g.cols, KG_POLICY_LOCKOUT, 2));
    // Without VERIFY in the device the command is ignored and times out.
    fw.key_timeout = 20000;
    if (!on_model() && kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag) == KG_FW_ETIMEOUT)
      GTEST_SKIP() << "this rtl build has no VERIFY";
  }
  uint32_t fails() {
    return (key_status() & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT;
  }
  std::vector<uint8_t> image;
  uint8_t tag[16]{};
};

TEST_P(FwVerify, MatchSetsAuthOk) {
  ASSERT_EQ(KG_FW_OK, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
  EXPECT_TRUE(fw.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_EQ(KG_ERR_OK, fw.last_hw_err);
  EXPECT_EQ(0u, fails());
  // Writing the nonce (a key check) ends the authentication, and so does
  // kg_fw_auth_clear.
  ASSERT_EQ(KG_FW_OK, kg_fw_key_check(&fw, keys.nonce, kcv_of(keys).data()));
  EXPECT_FALSE(key_status() & KG_KEY_STATUS_AUTH_OK_MASK);
  ASSERT_EQ(KG_FW_OK, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
  EXPECT_TRUE(key_status() & KG_KEY_STATUS_AUTH_OK_MASK);
  ASSERT_EQ(KG_FW_OK, kg_fw_auth_clear(&fw));
  EXPECT_FALSE(key_status() & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_FALSE(fw.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  kg_fw zero{};
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_auth_clear(&zero));
}

TEST_P(FwVerify, TagMismatchIsAnAuthFailureAndCounts) {
  uint8_t bad[16];
  std::memcpy(bad, tag, 16);
  bad[15] ^= 1;
  EXPECT_EQ(KG_FW_EAUTH, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, bad));
  EXPECT_EQ(KG_ERR_AUTH_FAIL, fw.last_hw_err);
  EXPECT_FALSE(fw.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_EQ(1u, fails());
  // A changed image byte, or another nonce, fails the same way.
  uint8_t b = image[100] ^ 0x20;
  ASSERT_EQ(0, hal.mem_write(hal.ctx, kAddr + 100, &b, 1));
  EXPECT_EQ(KG_FW_EAUTH, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
  // The second failure reaches the threshold (2): locked out from now on.
  EXPECT_TRUE(fw.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK);
  b ^= 0x20;
  ASSERT_EQ(0, hal.mem_write(hal.ctx, kAddr + 100, &b, 1));
  EXPECT_EQ(KG_FW_ELOCKEDOUT, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
  ASSERT_EQ(KG_FW_OK, kg_fw_zeroize(&fw));
  EXPECT_EQ(KG_FW_ENOKEY, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
}

TEST_P(FwVerify, BadArgumentsWriteNothing) {
  const uint32_t len0 = rd(KG_REG_MODEL_LEN), addr0 = rd(KG_REG_MODEL_ADDR);
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, kAddr + 8, kLen, keys.nonce, tag));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, kAddr, kLen - 8, keys.nonce, tag));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, kAddr, 112, keys.nonce, tag));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, 0xFFFFFF00u, 512, keys.nonce, tag));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, kAddr, kLen, nullptr, tag));
  EXPECT_EQ(KG_FW_EINVAL, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, nullptr));
  EXPECT_EQ(len0, rd(KG_REG_MODEL_LEN));
  EXPECT_EQ(addr0, rd(KG_REG_MODEL_ADDR));
  kg_fw zero{};
  EXPECT_EQ(KG_FW_ENOTINIT, kg_fw_verify(&zero, kAddr, kLen, keys.nonce, tag));
}

TEST_P(FwVerify, BusErrorIsReported) {
  fault_reads(kAddr + 256, kAddr + 272);
  EXPECT_EQ(KG_FW_EBUS, kg_fw_verify(&fw, kAddr, kLen, keys.nonce, tag));
  EXPECT_FALSE(fw.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
}

INSTANTIATE_TEST_SUITE_P(Backends, FwVerify, ::testing::Values("rtl", "model"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

INSTANTIATE_TEST_SUITE_P(Backends, Fw, ::testing::Values("rtl", "model"),
                         [](const ::testing::TestParamInfo<const char*>& i) { return std::string(i.param); });

TEST(FwStatus, EveryCodeHasItsOwnMessage) {
  std::vector<std::string> seen;
  for (int c = 0; c > -KG_FW_STATUS_COUNT; c--) {
    const char* s = kg_fw_strstatus(c);
    ASSERT_NE(nullptr, s);
    EXPECT_STRNE("unknown status", s) << c;
    for (auto& o : seen) EXPECT_NE(o, s) << c;
    seen.push_back(s);
  }
  EXPECT_STREQ("unknown status", kg_fw_strstatus(1));
  EXPECT_STREQ("unknown status", kg_fw_strstatus(-KG_FW_STATUS_COUNT));
  EXPECT_EQ(KG_FW_EKCV, kg_fw_map_hw_err(KG_ERR_KCV_MISMATCH));
  EXPECT_EQ(KG_FW_EAUTH, kg_fw_map_hw_err(KG_ERR_AUTH_FAIL));
  EXPECT_EQ(KG_FW_ENOTAUTH, kg_fw_map_hw_err(KG_ERR_NOT_AUTH));
  EXPECT_EQ(KG_FW_EHW, kg_fw_map_hw_err(200));
  for (uint32_t e = 1; e <= 15; e++) EXPECT_NE(KG_FW_OK, kg_fw_map_hw_err(e)) << e;
}

}  // namespace
