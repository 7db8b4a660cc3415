// kg_top VERIFY and bound layers (docs/spec.md 11.1, 12): a version-2 model
// image is built here with the C reference (kg_model_keys_derive, kg_cmac;
// weights locked with Sd ^ Ms and encrypted with Ke), authenticated by the
// device, and its layers run bit-exact against kgref. Then every way a
// VERIFY can end, and every way a keyed layer can fail to be bound.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include "auth_model.hpp"
#include "kg_auth.h"
#include "top_harness.hpp"

namespace {

using kgt::Device;
using kgt::Keys;
using kgt::Layer;

constexpr uint32_t kAllIrq = 0x3f;
constexpr uint32_t kModelAddr = 0x200000;
constexpr uint64_t kVerifyBound = 400000;

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
uint32_t round16(uint32_t x) { return (x + 15u) & ~15u; }

using Model = kgt::AuthModel;

// The K x N matrix a device sees when it streams `img` with no key at all.
std::vector<int8_t> unpacked(const std::vector<uint8_t>& img, const Layer& L, kg_geom g) {
  const uint32_t kt_n = (L.K + g.rows - 1) / g.rows;
  const uint32_t tile = round16(g.rows * g.cols);
  std::vector<int8_t> w((size_t)L.K * L.N);
  for (uint32_t k = 0; k < L.K; k++)
    for (uint32_t n = 0; n < L.N; n++) {
      const size_t t = (size_t)(n / g.cols) * kt_n + k / g.rows;
      w[(size_t)k * L.N + n] = int8_t(img[t * tile + (k % g.rows) * g.cols + n % g.cols]);
    }
  return w;
}

kg_layer_desc fc_shape(uint32_t m, uint32_t k, uint32_t n) {
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.relu = 1;
  d.m = m;
  d.k = k;
  d.n = n;
  return d;
}

kg_layer_desc conv_shape() {
  kg_layer_desc d{};
  d.op = KG_OP_CONV;
  d.conv.h = 6;
  d.conv.w = 5;
  d.conv.ic = 3;
  d.conv.oc = 6;
  d.conv.kh = 3;
  d.conv.kw = 3;
  d.conv.stride = 1;
  d.conv.pad = 1;
  return d;
}

// A model with an FC and a CONV layer (I/O at 0x10000 upward, the image at
// kModelAddr), everything placed in device memory.
Model build_model(Device& dev, std::mt19937_64& rng, uint32_t crypt, bool sign, unsigned aes_bytes) {
  const kg_geom g = dev.geom();
  return kgt::build_auth_model(dev, rng, crypt, sign, aes_bytes,
                               {fc_shape(9, 4 * g.rows + 3, 2 * g.cols + 1), conv_shape()}, 0x10000,
                               kModelAddr);
}

class TopAuth : public ::testing::Test {
 protected:
  std::unique_ptr<Device> dev;
  kg_geom g{};
  std::mt19937_64 rng{7};
  Model M;

  void SetUp() override {
    dev.reset(new Device());
    g = dev->geom();
  }
  // A model, the device keys in the vault (no CHECK, LEGACY left at 0).
  void make(uint32_t crypt = KG_CRYPT_CTR, bool sign = true, unsigned aes_bytes = 16) {
    M = build_model(*dev, rng, crypt, sign, aes_bytes);
    dev->provision(M.dev, false, nullptr, false);
    ASSERT_EQ(0u, dev->rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK);
  }
  uint32_t err() { return (dev->rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT; }
  uint32_t key_status() { return dev->rd(KG_REG_KEY_STATUS); }
  bool auth_ok() { return (key_status() & KG_KEY_STATUS_AUTH_OK_MASK) != 0; }
  uint32_t fails() { return (key_status() & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT; }
  bool idle() {
    return !(dev->rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) &&
           !(key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
  }
  void write_verify_inputs(uint32_t addr, uint32_t len) {
    dev->wr(KG_REG_MODEL_ADDR, addr);
    dev->wr(KG_REG_MODEL_LEN, len);
    for (unsigned i = 0; i < 4; i++) dev->wr(KG_REG_TAG_EXP(i), be32(M.tag + 4 * i));
    for (unsigned i = 0; i < 3; i++) dev->wr(KG_REG_NONCE0 + 4 * i, be32(M.dev.nonce + 4 * i));
    dev->wr(KG_REG_IRQ_ENABLE, kAllIrq);
    dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  }
  // Wait for the interrupt and then for idle; returns IRQ_STATUS (cleared).
  uint32_t finish(uint64_t* cycles = nullptr) {
    uint64_t waited = 0;
    EXPECT_EQ(KGSIM_OK, kgsim_run_until_irq(dev->sim(), kVerifyBound, &waited));
    for (int i = 0; i < 100 && !idle(); i++) kgsim_step(dev->sim(), 100);
    EXPECT_TRUE(idle());
    if (cycles) *cycles = waited;
    const uint32_t st = dev->rd(KG_REG_IRQ_STATUS);
    dev->wr(KG_REG_IRQ_STATUS, st);
    return st;
  }
  uint32_t verify(uint64_t* cycles = nullptr) {
    write_verify_inputs(kModelAddr, uint32_t(M.image.size()));
    dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    return finish(cycles);
  }
  std::pair<uint32_t, uint32_t> run(const Layer& L, uint64_t* cycles = nullptr) {
    uint32_t e = 99;
    const uint32_t st = dev->run(L, 3000000, &e, cycles);
    EXPECT_NE(0u, st) << "no interrupt: " << kgt::describe(L);
    return {st, e};
  }
  void expect_layers_bit_exact(const char* what) {
    for (const Layer& L : M.layers) {
      auto r = run(L);
      EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first) << what << ": " << kgt::describe(L) << " err " << r.second;
      EXPECT_EQ(L.expect, dev->output(L, nullptr)) << what << ": " << kgt::describe(L);
    }
  }
  // A layer of the same shape placed outside the image with the device
  // keys (a version-1 layer).
  Layer device_key_layer(uint32_t crypt, bool sign) {
    kg_layer_desc s = fc_shape(7, 3 * g.rows + 1, g.cols + 3);
    s.crypt = crypt;
    s.sign = sign;
    s.w_pos = 0x40;
    Layer L = kgt::make_layer(rng, g, s, 0x80000, true);
    dev->place(L, M.dev);
    return L;
  }
};

struct Variant {
  uint32_t crypt;
  unsigned aes_bytes;
  bool sign;
};

std::string variant_name(const ::testing::TestParamInfo<Variant>& i) {
  static const char* const names[] = {"none", "deeplock", "ctr"};
  return std::string(names[i.param.crypt]) + "_aes" + std::to_string(8 * i.param.aes_bytes) +
         (i.param.sign ? "_sign" : "");
}

class TopAuthModes : public TopAuth, public ::testing::WithParamInterface<Variant> {};

TEST_P(TopAuthModes, VerifyThenBoundLayersBitExact) {
  const Variant v = GetParam();
  make(v.crypt, v.sign, v.aes_bytes);
  uint64_t cyc = 0;
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, verify(&cyc));
  EXPECT_EQ(uint32_t(KG_ERR_OK), err());
  ASSERT_TRUE(auth_ok());
  EXPECT_EQ(0u, fails());
  std::printf("[ TopAuth ] %ux%u crypt %u AES-%u: VERIFY of %zu bytes in %llu cycles, %.3f cycles/byte\n",
              g.rows, g.cols, v.crypt, 8 * v.aes_bytes, M.image.size(), (unsigned long long)cyc,
              double(cyc) / double(M.image.size()));
  expect_layers_bit_exact("bound");
  // Twice: the key stays loaded, the Deep-Lock checkpoint is reused.
  expect_layers_bit_exact("bound, again");
}

INSTANTIATE_TEST_SUITE_P(Modes, TopAuthModes,
                         ::testing::Values(Variant{KG_CRYPT_CTR, 16, true}, Variant{KG_CRYPT_DEEPLOCK, 32, true},
                                           Variant{KG_CRYPT_CTR, 24, false},
                                           Variant{KG_CRYPT_NONE, 16, true}),
                         variant_name);

TEST_F(TopAuth, VerifyCostGrowsWithTheImageAtAboutOneCallPer16Bytes) {
  make();
  uint64_t c0 = 0, c1 = 0;
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify(&c0));
  // The same check over a 4 KiB longer region (tag computed for it).
  const size_t extra = 4096;
  std::vector<uint8_t> big(M.image);
  big.resize(big.size() + extra, 0x5a);
  dev->put(kModelAddr + uint32_t(M.image.size()), big.data() + M.image.size(), extra);
  kg_cmac(&M.mk.mac, big.data(), big.size(), M.tag);
  write_verify_inputs(kModelAddr, uint32_t(big.size()));
  dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, finish(&c1));
  EXPECT_TRUE(auth_ok());
  const double per_byte = double(c1 - c0) / double(extra);
  std::printf("[ TopAuth ] %ux%u AES-128: VERIFY of %zu bytes %llu cycles, of %zu bytes %llu cycles: "
              "%.3f cycles per image byte (%.1f per 16-byte block)\n",
              g.rows, g.cols, M.image.size(), (unsigned long long)c0, big.size(), (unsigned long long)c1,
              per_byte, 16 * per_byte);
  EXPECT_GT(per_byte, 0.5);
  EXPECT_LT(per_byte, 1.5);
}

TEST_F(TopAuth, MismatchCountsFailuresAndLocksOut) {
  make();
  dev->wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (2u << KG_POLICY_THRESHOLD_SHIFT));
  // One flipped bit in the last weight byte.
  uint8_t b = uint8_t(M.image.back() ^ 0x10);
  dev->put(kModelAddr + uint32_t(M.image.size()) - 1, &b, 1);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, verify());
  EXPECT_EQ(uint32_t(KG_ERR_AUTH_FAIL), err());
  EXPECT_FALSE(auth_ok());
  EXPECT_EQ(1u, fails());
  // Not bound: refused.
  auto r = run(M.layers[0]);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, r.first);
  EXPECT_EQ(uint32_t(KG_ERR_NOT_AUTH), r.second);
  // Restored: it matches, FAILS stays.
  dev->put(kModelAddr + uint32_t(M.image.size()) - 1, &M.image.back(), 1);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  EXPECT_TRUE(auth_ok());
  EXPECT_EQ(1u, fails());
  expect_layers_bit_exact("after a failure");
  // The model locked for another device key: the tag differs, lockout.
  Keys other = M.dev;
  other.aes[3] ^= 1;
  dev->provision(other, false, nullptr, false);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK, verify());
  EXPECT_EQ(uint32_t(KG_ERR_AUTH_FAIL), err());
  EXPECT_TRUE(key_status() & KG_KEY_STATUS_LOCKED_OUT_MASK);
  EXPECT_EQ(2u, fails());
  // Locked out: refused at once.
  EXPECT_EQ(KG_IRQ_STATUS_LOCKOUT_MASK, verify());
  EXPECT_EQ(uint32_t(KG_ERR_LOCKED_OUT), err());
  EXPECT_EQ(2u, fails());
}

TEST_F(TopAuth, RefusedAtOnce) {
  M = build_model(*dev, rng, KG_CRYPT_CTR, true, 16);
  // No key in the vault.
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, verify());
  EXPECT_EQ(uint32_t(KG_ERR_NO_KEY), err());
  dev->provision(M.dev, false, nullptr, false);
  struct Case {
    uint32_t addr, len, code;
  } cases[] = {
      {kModelAddr + 8, uint32_t(M.image.size()), KG_ERR_MISALIGNED},
      {kModelAddr, uint32_t(M.image.size()) - 4, KG_ERR_MISALIGNED},
      {kModelAddr, 112, KG_ERR_TOO_BIG},
      {0xfffff000u, 0x2000, KG_ERR_TOO_BIG},
  };
  for (const Case& c : cases) {
    write_verify_inputs(c.addr, c.len);
    dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, finish()) << std::hex << c.addr << " " << c.len;
    EXPECT_EQ(c.code, err());
    EXPECT_FALSE(auth_ok());
  }
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  EXPECT_TRUE(auth_ok());
}

TEST_F(TopAuth, AbortedByItsInputsAndBySoftReset) {
  make();
  struct Case {
    uint32_t off, val;
    const char* what;
  } cases[] = {
      {KG_REG_NONCE0, be32(M.dev.nonce), "NONCE0 (same value)"},
      {KG_REG_TAG_EXP(1), be32(M.tag + 4), "TAG_EXP1 (same value)"},
      {KG_REG_MODEL_LEN, uint32_t(M.image.size()), "MODEL_LEN (same value)"},
      {KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK, "LOAD_AES"},
      {KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK, "SOFT_RESET"},
      {KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK, "ZEROIZE"},
  };
  for (const Case& c : cases) {
    dev->provision(M.dev, false, nullptr, false);
    write_verify_inputs(kModelAddr, uint32_t(M.image.size()));
    dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    for (uint32_t delay : {0u, 150u}) {
      if (delay) {
        // Rerun for a later abort point (inside the CMAC pass).
        dev->provision(M.dev, false, nullptr, false);
        write_verify_inputs(kModelAddr, uint32_t(M.image.size()));
        dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
        kgsim_step(dev->sim(), delay);
      }
      // BUSY meanwhile: START is ignored.
      EXPECT_TRUE(dev->rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) << c.what;
      EXPECT_TRUE(key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK) << c.what;
      dev->wr(KG_REG_DESC_ADDR, M.layers[0].desc_addr);
      dev->wr(KG_REG_CTRL, KG_CTRL_START_MASK);
      dev->wr(c.off, c.val);
      EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, finish()) << c.what << " at " << delay;
      EXPECT_EQ(uint32_t(KG_ERR_ABORTED), err()) << c.what;
      EXPECT_FALSE(auth_ok()) << c.what;
    }
  }
  // Nothing stale is left in the read channel or the cipher.
  dev->provision(M.dev, false, nullptr, false);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  EXPECT_TRUE(auth_ok());
  expect_layers_bit_exact("after aborts");
}

TEST_F(TopAuth, BusErrorOnTheImage) {
  make();
  for (uint32_t at : {0u, uint32_t(M.image.size()) - 16}) {
    kgsim_fault f{};
    f.mode = KGSIM_FAULT_RANGE;
    f.resp = KGSIM_RESP_SLVERR;
    f.dirs = KGSIM_DIR_READ;
    f.lo = kModelAddr + at;
    f.hi = f.lo + 16;
    ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, &f));
    EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, verify()) << at;
    EXPECT_EQ(uint32_t(KG_ERR_BUS), err());
    EXPECT_FALSE(auth_ok());
    ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, nullptr));
  }
  EXPECT_EQ(0u, fails());
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  expect_layers_bit_exact("after bus errors");
}

TEST_F(TopAuth, AuthOkClearedByItsInputs) {
  make();
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  // Not by these.
  dev->wr(KG_REG_SIGN_KEY(0), 0);
  dev->wr(KG_REG_KCV_EXP0, 0);
  dev->wr(KG_REG_POLICY, KG_POLICY_RUN);
  EXPECT_TRUE(auth_ok());
  const uint32_t offs[] = {KG_REG_MODEL_ADDR, KG_REG_MODEL_LEN, KG_REG_TAG_EXP(3), KG_REG_NONCE2,
                           KG_REG_AES_KEY(0), KG_REG_KEY_CFG};
  for (uint32_t off : offs) {
    dev->provision(M.dev, false, nullptr, false);
    dev->wr(KG_REG_POLICY, KG_POLICY_REFUSE);
    ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
    const uint32_t v = dev->rd(off);  // key words read 0: rewriting them changes the key
    dev->wr(off, v);
    EXPECT_FALSE(auth_ok()) << std::hex << off;
    // A once-bound layer is now refused.
    dev->provision(M.dev, false, nullptr, false);
    auto r = run(M.layers[1]);
    EXPECT_EQ(uint32_t(KG_ERR_NOT_AUTH), r.second) << std::hex << off;
  }
}

TEST_F(TopAuth, DerivedKeysAreNeverReadable) {
  make(KG_CRYPT_CTR, true, 32);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  std::vector<uint32_t> secret;
  for (unsigned i = 0; i < 32; i += 4) {
    secret.push_back(be32(M.mk.enc.key + i));
    secret.push_back(be32(M.mk.mac.key + i));
  }
  uint32_t ms = 0;
  for (size_t i = 0; i < M.mk.smask_len && i < 4; i++) ms |= uint32_t(M.mk.smask[i]) << (8 * i);
  secret.push_back(ms);
  for (uint32_t off = 0; off < 4096; off += 4) {
    uint32_t v = 0;
    if (kgsim_reg_read32(dev->sim(), off, &v) != KGSIM_OK) continue;
    if (off >= KG_REG_PERF_CYCLES_LO) continue;  // counters move
    for (uint32_t s : secret) {
      if (s != 0) {
        EXPECT_NE(s, v) << "derived key word readable at 0x" << std::hex << off;
      }
    }
  }
  for (unsigned i = 0; i < KG_REG_AES_KEY_COUNT; i++) EXPECT_EQ(0u, dev->rd(KG_REG_AES_KEY(i)));
  for (unsigned i = 0; i < KG_REG_SIGN_KEY_COUNT; i++) EXPECT_EQ(0u, dev->rd(KG_REG_SIGN_KEY(i)));
}

TEST_F(TopAuth, UnboundKeyedLayersAreRefusedOrRunWithKeysWithheld) {
  make();
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  const Layer& B = M.layers[0];
  // Bound layers with one thing changed are not bound.
  struct Case {
    const char* what;
    std::function<void(kg_layer_desc&)> f;
  } cases[] = {
      {"W_ADDR off by 16", [](kg_layer_desc& d) { d.w_addr += 16; }},
      {"W_POS off by 16", [](kg_layer_desc& d) { d.w_pos += 16; }},
      {"image past weights_size", [&](kg_layer_desc& d) { d.w_pos += M.weights_size; d.w_addr += M.weights_size; }},
      {"parameters outside", [&](kg_layer_desc& d) { d.p_addr = kModelAddr + M.params_off - 16; }},
      {"crypt differs", [](kg_layer_desc& d) { d.crypt = KG_CRYPT_DEEPLOCK; }},
      {"sign differs", [](kg_layer_desc& d) { d.sign = 0; }},
  };
  for (const Case& c : cases) {
    Layer L = B;
    c.f(L.d);
    dev->place_io(L);
    auto r = run(L);
    EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, r.first) << c.what;
    EXPECT_EQ(uint32_t(KG_ERR_NOT_AUTH), r.second) << c.what;
  }
  dev->place_io(B);
  // A version-1 layer (device keys, outside the image): refused...
  Layer V = device_key_layer(KG_CRYPT_CTR, true);
  auto r = run(V);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, r.first);
  EXPECT_EQ(uint32_t(KG_ERR_NOT_AUTH), r.second);
  // ... and under run it runs with the keys withheld: no decryption, no
  // sign key. The device sees the stored ciphertext as weights.
  dev->wr(KG_REG_POLICY, KG_POLICY_RUN);
  r = run(V);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
  {
    std::vector<uint8_t> stored(kg_pack_weight_bytes(V.K, V.N, g));
    kgsim_mem_read(dev->sim(), V.d.w_addr, stored.data(), stored.size());
    Layer R = V;
    R.w = unpacked(stored, V, g);
    kgt::compute_expect(R);
    EXPECT_EQ(R.expect, dev->output(V, nullptr)) << "withheld keys";
    EXPECT_NE(V.expect, R.expect);
  }
  // A crafted crypt-none SIGN layer outside the image gets no sign key.
  Layer S = device_key_layer(KG_CRYPT_NONE, true);
  r = run(S);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
  {
    Layer R = S;
    R.w = unpacked(kgt::packed_weights(S, g, M.dev.sign.data()), S, g);
    kgt::compute_expect(R);
    EXPECT_EQ(R.expect, dev->output(S, nullptr)) << "no sign key";
    EXPECT_NE(S.expect, R.expect);
  }
  dev->wr(KG_REG_POLICY, KG_POLICY_REFUSE);
  EXPECT_EQ(uint32_t(KG_ERR_NOT_AUTH), run(S).second);
  // Bound layers still get the model keys.
  expect_layers_bit_exact("bound between unbound ones");
}

TEST_F(TopAuth, LegacyLayersUseTheDeviceKeysAndCheckStillWorks) {
  make(KG_CRYPT_DEEPLOCK, true, 24);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  dev->set_legacy(true);
  Layer V = device_key_layer(KG_CRYPT_CTR, true);
  // Without a passed CHECK: the old rule.
  auto r = run(V);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, r.first);
  EXPECT_EQ(uint32_t(KG_ERR_WRONG_KEY), r.second);
  // CHECK uses the device key even though the decrypt unit holds Ke.
  dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, finish());
  EXPECT_TRUE(key_status() & KG_KEY_STATUS_KCV_OK_MASK);
  // Version-1 and bound layers, interleaved: the key follows each layer.
  for (int round = 0; round < 2; round++) {
    r = run(V);
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
    EXPECT_EQ(V.expect, dev->output(V, nullptr)) << "legacy layer, round " << round;
    expect_layers_bit_exact("bound, with LEGACY = 1");
  }
}

TEST_F(TopAuth, BoundLayerRunsAsFastAsADeviceKeyLayer) {
  make(KG_CRYPT_CTR, true, 16);
  const Layer& B = M.layers[0];
  // The same layer with the device keys at the same addresses (AUTH_OK 0).
  dev->set_legacy(true);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->provision(M.dev, true));
  Layer V = B;
  std::vector<uint8_t> img = kgt::packed_weights(V, g, M.dev.sign.data());
  kg_aes_key kd;
  kg_aes_key_init(&kd, M.dev.aes.data(), M.dev.aes.size());
  kg_crypt_encrypt(KG_CRYPT_CTR, &kd, M.dev.nonce, V.d.w_pos, img.data(), img.size());
  dev->put(V.d.w_addr, img.data(), img.size());
  uint64_t c_dev = 0, c_bound = 0;
  run(V);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, run(V, &c_dev).first);
  EXPECT_EQ(V.expect, dev->output(V, nullptr));
  // Back to the image, authenticated.
  dev->put(kModelAddr, M.image.data(), M.image.size());
  dev->set_legacy(false);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, verify());
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, run(B, &c_bound).first);
  EXPECT_EQ(B.expect, dev->output(B, nullptr));
  std::printf("[ TopAuth ] layer cycles: device key %llu, bound %llu\n", (unsigned long long)c_dev,
              (unsigned long long)c_bound);
  EXPECT_EQ(c_dev, c_bound);
}

}  // namespace
