// Unit tests of the functional model's model authentication (docs/spec.md
// 11.1) and layer admission (docs/spec.md 12): every VERIFY outcome, AUTH_OK
// and what clears it, POLICY.LEGACY and LOCK, bound FC and CONV layers
// against the C reference, unbound keyed layers refused or run with the keys
// withheld, layers of one model refused under another.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

#include "auth_image.hpp"
#include "kg_aes.h"
#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"
#include "kgmodel.h"

namespace {

constexpr uint32_t kModelA = 0x100000, kModelB = 0x200000;
constexpr uint32_t kIn = 0x10000, kOut = 0x300000, kLegacyW = 0x380000, kLegacyP = 0x3c0000;

struct TLayer {
  kg_layer_desc d{};
  uint32_t M = 0, K = 0, N = 0;
  std::vector<int8_t> in, w;  // in as placed (rows at d.in_stride); w: K x N unlocked
  std::vector<int32_t> bias, mult;
  std::vector<uint8_t> shift;
  kgauth::LayerData data() const {
    return {d.op, K, N, w.data(), bias.data(), mult.data(), shift.data()};
  }
};

void fill_data(TLayer& L, std::mt19937_64& rng, uint32_t in_rows) {
  L.in.resize((size_t)in_rows * L.d.in_stride);
  for (auto& x : L.in) x = int8_t(rng());
  L.w.resize((size_t)L.K * L.N);
  for (auto& x : L.w) x = int8_t(int(rng() % 255) - 127);
  L.bias.resize(L.N);
  L.mult.resize(L.N);
  L.shift.resize(L.N);
  for (uint32_t n = 0; n < L.N; n++) {
    L.bias[n] = int32_t(rng() % 2001) - 1000;
    L.mult[n] = int32_t(rng() & 0x7fffffff);
    L.shift[n] = 38;
  }
}

TLayer make_fc(std::mt19937_64& rng, uint32_t M, uint32_t K, uint32_t N) {
  TLayer L;
  L.d.op = KG_OP_FC;
  L.d.m = M;
  L.d.k = K;
  L.d.n = N;
  L.d.relu = 1;
  L.d.in_addr = kIn;
  L.d.in_stride = kgauth::r16(K) + 16;
  L.d.out_addr = kOut;
  L.d.out_stride = kgauth::r16(N) + 16;
  kg_layer_dims(&L.d, &L.M, &L.K, &L.N);
  fill_data(L, rng, M);
  return L;
}

TLayer make_conv(std::mt19937_64& rng) {
  TLayer L;
  L.d.op = KG_OP_CONV;
  L.d.conv = kg_conv_shape{6, 5, 7, 11, 3, 3, 1, 1};
  L.d.in_addr = kIn;
  L.d.in_stride = 16;
  L.d.out_addr = kOut;
  L.d.out_stride = 16;
  kg_layer_dims(&L.d, &L.M, &L.K, &L.N);
  fill_data(L, rng, 6 * 5);
  return L;
}

// requant(A x W) by the C reference, W unlocked (no key).
std::vector<int8_t> reference(const TLayer& L, const std::vector<int8_t>& W) {
  kg_requant q{L.bias.data(), L.mult.data(), L.shift.data(), int(L.d.relu)};
  std::vector<int8_t> out((size_t)L.M * L.N);
  const kg_geom any{1, 1};
  if (L.d.op == KG_OP_CONV) {
    const kg_conv_shape& s = L.d.conv;
    std::vector<int8_t> dense((size_t)s.h * s.w * s.ic), scratch((size_t)L.M * L.K);
    for (uint32_t p = 0; p < s.h * s.w; p++)
      std::memcpy(&dense[(size_t)p * s.ic], &L.in[(size_t)p * L.d.in_stride], s.ic);
    std::vector<int32_t> acc((size_t)L.M * L.N);
    EXPECT_EQ(KG_REF_OK, kg_ref_conv2d(&s, dense.data(), W.data(), nullptr, any, &q, scratch.data(),
                                       acc.data(), out.data()));
  } else {
    std::vector<int8_t> dense((size_t)L.M * L.K);
    for (uint32_t m = 0; m < L.M; m++)
      std::memcpy(&dense[(size_t)m * L.K], &L.in[(size_t)m * L.d.in_stride], L.K);
    EXPECT_EQ(KG_REF_OK, kg_ref_fc(L.M, L.K, L.N, dense.data(), W.data(), nullptr, any, &q, out.data()));
  }
  return out;
}

struct Outcome {
  uint32_t irq = 0, err = 0, key_status = 0;
  uint64_t waited = 0;
};

class Auth : public ::testing::Test {
 protected:
  static constexpr uint32_t R = 4, C = 8;
  void SetUp() override {
    kgmodel_config c = kgmodel_config_default();
    c.rows = R;
    c.cols = C;
    m = kgmodel_create(&c, nullptr, 0);
    ASSERT_NE(nullptr, m);
    dev = random_device_keys(16);
  }
  void TearDown() override { kgmodel_destroy(m); }

  kgauth::DeviceKeys random_device_keys(size_t aes_bytes) {
    kgauth::DeviceKeys k;
    k.aes.resize(aes_bytes);
    for (auto& b : k.aes) b = uint8_t(rng());
    k.sign.resize(kg_key_bytes(g));
    for (auto& b : k.sign) b = uint8_t(rng());
    for (auto& b : k.nonce) b = uint8_t(rng());
    return k;
  }
  uint32_t rd(uint32_t off) {
    uint32_t v = 0;
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_read32(m, off, &v)) << off;
    return v;
  }
  void wr(uint32_t off, uint32_t v) { EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, off, v)) << off; }
  void mem(uint64_t a, const void* p, size_t n) { ASSERT_EQ(KGMODEL_OK, kgmodel_mem_write(m, a, p, n)); }
  uint32_t err() { return (rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT; }
  bool auth_ok() { return (rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_AUTH_OK_MASK) != 0; }

  // The device keys of k into the vault (loaded), POLICY = policy, NONCE = k's.
  void load_keys(const kgauth::DeviceKeys& k, uint32_t policy) {
    wr(KG_REG_KEY_CFG, k.aes.size() == 16 ? 0u : (k.aes.size() == 24 ? 1u : 2u));
    for (unsigned i = 0; i < 8; i++) {
      uint8_t b[4] = {0, 0, 0, 0};
      for (unsigned j = 0; j < 4; j++)
        if (4 * i + j < k.aes.size()) b[j] = k.aes[4 * i + j];
      wr(KG_REG_AES_KEY(i), kgauth::be32(b));
    }
    for (unsigned i = 0; i < (k.sign.size() + 3) / 4; i++) {
      uint32_t v = 0;
      for (unsigned j = 0; j < 4 && 4 * i + j < k.sign.size(); j++) v |= uint32_t(k.sign[4 * i + j]) << (8 * j);
      wr(KG_REG_SIGN_KEY(i), v);
    }
    wr(KG_REG_POLICY, policy);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
    set_nonce(k.nonce);
    wr(KG_REG_IRQ_ENABLE, 0x3f);
    wr(KG_REG_IRQ_STATUS, 0x3f);
  }
  void set_nonce(const uint8_t n[12]) {
    for (unsigned i = 0; i < 3; i++) wr(KG_REG_NONCE0 + 4 * i, kgauth::be32(n + 4 * i));
  }
  // The image into memory at addr, and MODEL_ADDR, MODEL_LEN, TAG_EXP.
  void set_model(uint32_t addr, const kgauth::Image& im) {
    mem(addr, im.bytes.data(), im.bytes.size());
    point_at(addr, im);
  }
  void point_at(uint32_t addr, const kgauth::Image& im) {
    wr(KG_REG_MODEL_ADDR, addr);
    wr(KG_REG_MODEL_LEN, uint32_t(im.bytes.size()));
    for (unsigned i = 0; i < 4; i++) wr(KG_REG_TAG_EXP(i), kgauth::be32(im.tag + 4 * i));
  }
  Outcome finish() {
    Outcome o;
    EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 10000000, &o.waited));
    o.irq = rd(KG_REG_IRQ_STATUS);
    o.err = err();
    o.key_status = rd(KG_REG_KEY_STATUS);
    EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
    EXPECT_EQ(0u, o.key_status & KG_KEY_STATUS_CHECK_BUSY_MASK);
    wr(KG_REG_IRQ_STATUS, 0x3f);
    return o;
  }
  Outcome verify() {
    wr(KG_REG_IRQ_STATUS, 0x3f);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    return finish();
  }
  // Descriptor of L at desc (weights at w_addr / w_pos, records at p_addr).
  void put_layer(uint32_t desc, const TLayer& L) {
    uint32_t words[16];
    kg_pack_desc(&L.d, words);
    uint8_t b[64];
    for (int i = 0; i < 16; i++)
      for (int j = 0; j < 4; j++) b[4 * i + j] = uint8_t(words[i] >> (8 * j));
    mem(desc, b, 64);
    mem(L.d.in_addr, L.in.data(), L.in.size());
    std::vector<uint8_t> fill((size_t)L.M * L.d.out_stride, 0xa5);
    mem(L.d.out_addr, fill.data(), fill.size());
  }
  // L bound to image im at addr (its layer index i).
  void bind(TLayer& L, uint32_t addr, const kgauth::Image& im, size_t i, uint32_t crypt, bool sign) {
    L.d.crypt = crypt;
    L.d.sign = sign;
    L.d.w_pos = im.w_pos[i];
    L.d.w_addr = addr + im.weights_offset + im.w_pos[i];
    L.d.p_addr = addr + im.p_off[i];
  }
  Outcome run(uint32_t desc, const TLayer& L) {
    put_layer(desc, L);
    wr(KG_REG_IRQ_STATUS, 0x3f);
    wr(KG_REG_DESC_ADDR, desc);
    wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    return finish();
  }
  std::vector<int8_t> output(const TLayer& L) {
    std::vector<uint8_t> raw((size_t)L.M * L.d.out_stride);
    EXPECT_EQ(KGMODEL_OK, kgmodel_mem_read(m, L.d.out_addr, raw.data(), raw.size()));
    std::vector<int8_t> o((size_t)L.M * L.N);
    for (uint32_t r = 0; r < L.M; r++)
      for (uint32_t n = 0; n < L.N; n++) o[(size_t)r * L.N + n] = int8_t(raw[(size_t)r * L.d.out_stride + n]);
    return o;
  }
  // A version-1 copy of L: weights locked with Sd and encrypted with Kd at
  // w_pos 0x40 (kLegacyW), records at kLegacyP; returns the image bytes.
  std::vector<uint8_t> place_legacy(TLayer& L, uint32_t crypt, bool sign) {
    std::vector<int8_t> wl(L.w.size());
    EXPECT_EQ(KG_REF_OK, kg_ref_lock_sign(L.K, L.N, L.w.data(), sign ? dev.sign.data() : nullptr, g, wl.data()));
    std::vector<uint8_t> img(kg_pack_weight_bytes(L.K, L.N, g));
    kg_pack_weights(L.K, L.N, wl.data(), g, img.data(), img.size());
    kg_aes_key kd;
    kg_aes_key_init(&kd, dev.aes.data(), dev.aes.size());
    if (crypt) {
      EXPECT_EQ(KG_AES_OK, kg_crypt_encrypt(int(crypt), &kd, dev.nonce, 0x40, img.data(), img.size()));
    }
    std::vector<uint8_t> par((size_t)L.N * 16);
    kg_pack_params(L.N, L.bias.data(), L.mult.data(), L.shift.data(), par.data(), par.size());
    mem(kLegacyW, img.data(), img.size());
    mem(kLegacyP, par.data(), par.size());
    L.d.crypt = crypt;
    L.d.sign = sign;
    L.d.w_addr = kLegacyW;
    L.d.w_pos = 0x40;
    L.d.p_addr = kLegacyP;
    return img;
  }

  kgmodel* m = nullptr;
  const kg_geom g{R, C};
  std::mt19937_64 rng{20261206};
  kgauth::DeviceKeys dev;
};

// ---------------------------------------------------------------------------
// Bound layers: FC and CONV of one authenticated model, every crypt mode,
// with and without SIGN, every AES key length, against the C reference.

struct BoundCase {
  uint32_t crypt;
  bool sign;
  size_t aes_bytes;
};
class AuthBound : public Auth, public ::testing::WithParamInterface<BoundCase> {};

TEST_P(AuthBound, VerifyMatchesAndBoundFcAndConvLayersMatchTheReference) {
  const BoundCase& p = GetParam();
  dev = random_device_keys(p.aes_bytes);
  TLayer fc = make_fc(rng, 9, 45, 19), conv = make_conv(rng);
  const kgauth::Image im = kgauth::build(g, dev, p.crypt, p.sign, {conv.data(), fc.data()}, rng);
  load_keys(dev, KG_POLICY_REFUSE);  // strict, KCV never checked: KCV_OK = 0
  set_model(kModelA, im);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(KG_STATUS_BUSY_MASK, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  EXPECT_EQ(KG_KEY_STATUS_CHECK_BUSY_MASK, rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);
  EXPECT_FALSE(auth_ok());
  const Outcome v = finish();
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, v.irq);
  EXPECT_EQ(KG_ERR_OK, v.err);
  EXPECT_TRUE(v.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_FALSE(v.key_status & KG_KEY_STATUS_KCV_OK_MASK);
  EXPECT_GT(v.waited, im.bytes.size() / 16 * 11);
  bind(conv, kModelA, im, 0, p.crypt, p.sign);
  bind(fc, kModelA, im, 1, p.crypt, p.sign);
  for (TLayer* L : {&conv, &fc}) {
    const Outcome o = run(0x40, *L);
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, o.irq);
    EXPECT_EQ(KG_ERR_OK, o.err);
    EXPECT_EQ(reference(*L, L->w), output(*L)) << (L->d.op == KG_OP_FC ? "FC" : "CONV");
  }
  // The same layers again hit the weight cache; the result is the same.
  EXPECT_EQ(KG_ERR_OK, run(0x40, fc).err);
  EXPECT_EQ(reference(fc, fc.w), output(fc));
}
INSTANTIATE_TEST_SUITE_P(
    CryptSignKey, AuthBound,
    ::testing::Values(BoundCase{KG_CRYPT_CTR, true, 16}, BoundCase{KG_CRYPT_CTR, false, 24},
                      BoundCase{KG_CRYPT_CTR, true, 32}, BoundCase{KG_CRYPT_DEEPLOCK, true, 16},
                      BoundCase{KG_CRYPT_DEEPLOCK, false, 32}, BoundCase{KG_CRYPT_DEEPLOCK, true, 24},
                      BoundCase{KG_CRYPT_NONE, true, 16}, BoundCase{KG_CRYPT_NONE, false, 16}));

// ---------------------------------------------------------------------------
// Every row of the VERIFY table.

class AuthVerify : public Auth {
 protected:
  void SetUp() override {
    Auth::SetUp();
    fc = make_fc(rng, 3, 20, 10);
    im = kgauth::build(g, dev, KG_CRYPT_CTR, true, {fc.data()}, rng);
    load_keys(dev, KG_POLICY_REFUSE);
    set_model(kModelA, im);
  }
  TLayer fc;
  kgauth::Image im;
};

TEST_F(AuthVerify, LockedOutLeavesAuthOkAlone) {
  ASSERT_EQ(KG_ERR_OK, verify().err);
  // Lockout through a failed CHECK (mode lockout, threshold 1).
  wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (1u << KG_POLICY_THRESHOLD_SHIFT));
  wr(KG_REG_KCV_EXP0, 0x12345678);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  Outcome o = finish();
  ASSERT_EQ(KG_ERR_KCV_MISMATCH, o.err);
  ASSERT_TRUE(o.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK);
  EXPECT_TRUE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);  // refused at once
  o = finish();
  EXPECT_EQ(KG_IRQ_STATUS_LOCKOUT_MASK, o.irq);
  EXPECT_EQ(KG_ERR_LOCKED_OUT, o.err);
  EXPECT_TRUE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  // A bound layer is refused in lockout too (admission rule 1).
  bind(fc, kModelA, im, 0, KG_CRYPT_CTR, true);
  o = run(0x40, fc);
  EXPECT_EQ(KG_ERR_LOCKED_OUT, o.err);
  EXPECT_EQ(KG_IRQ_STATUS_LOCKOUT_MASK, o.irq);
}

TEST_F(AuthVerify, NoAesKey) {
  ASSERT_EQ(KG_ERR_OK, verify().err);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  set_nonce(dev.nonce);
  const Outcome o = verify();
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, o.irq);
  EXPECT_EQ(KG_ERR_NO_KEY, o.err);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_EQ(0u, o.key_status & KG_KEY_STATUS_FAILS_MASK);
}

TEST_F(AuthVerify, MisalignedRegion) {
  wr(KG_REG_MODEL_ADDR, kModelA + 8);
  Outcome o = verify();
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, o.irq);
  EXPECT_EQ(KG_ERR_MISALIGNED, o.err);
  EXPECT_EQ(kModelA + 8, rd(KG_REG_MODEL_ADDR));  // stored as written
  wr(KG_REG_MODEL_ADDR, kModelA);
  ASSERT_EQ(KG_ERR_OK, verify().err);
  wr(KG_REG_MODEL_LEN, uint32_t(im.bytes.size()) - 4);
  o = verify();
  EXPECT_EQ(KG_ERR_MISALIGNED, o.err);
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, o.irq);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
}

TEST_F(AuthVerify, RegionTooShortOrPast4GiB) {
  wr(KG_REG_MODEL_LEN, 112);
  Outcome o = verify();
  EXPECT_EQ(KG_ERR_TOO_BIG, o.err);
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, o.irq);
  wr(KG_REG_MODEL_ADDR, 0xffffff00u);
  wr(KG_REG_MODEL_LEN, 0x200);
  o = verify();
  EXPECT_EQ(KG_ERR_TOO_BIG, o.err);
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, o.irq);
  // Ending exactly at 4 GiB is a legal region (outside the DRAM: a bus error).
  wr(KG_REG_MODEL_LEN, 0x100);
  o = verify();
  EXPECT_EQ(KG_ERR_BUS, o.err);
  EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, o.irq);
}

TEST_F(AuthVerify, TamperedImageOrTagFailsAndCounts) {
  // One byte in the header, a parameter record, the weights; then the tag.
  const size_t where[3] = {20, im.p_off[0] + 5, im.weights_offset + 7};
  for (int i = 0; i < 3; i++) {
    std::vector<uint8_t> bad = im.bytes;
    bad[where[i]] ^= 0x10;
    mem(kModelA, bad.data(), bad.size());
    const Outcome o = verify();
    EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, o.irq) << i;
    EXPECT_EQ(KG_ERR_AUTH_FAIL, o.err) << i;
    EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
    EXPECT_EQ(uint32_t(i + 1), (o.key_status & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT);
  }
  mem(kModelA, im.bytes.data(), im.bytes.size());
  ASSERT_EQ(KG_ERR_OK, verify().err);
  wr(KG_REG_TAG_EXP(3), kgauth::be32(im.tag + 12) ^ 1u);
  const Outcome o = verify();
  EXPECT_EQ(KG_ERR_AUTH_FAIL, o.err);
  EXPECT_EQ(4u, (o.key_status & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK);  // refuse: no lockout
  // A failed VERIFY withdraws the keys: the model's layer is refused.
  bind(fc, kModelA, im, 0, KG_CRYPT_CTR, true);
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, fc).err);
}

TEST_F(AuthVerify, ImageOfAnotherDeviceKeyFails) {
  kgauth::DeviceKeys other = random_device_keys(16);
  std::memcpy(other.nonce, dev.nonce, 12);
  other.sign = dev.sign;
  const kgauth::Image foreign = kgauth::build(g, other, KG_CRYPT_CTR, true, {fc.data()}, rng);
  set_model(kModelA, foreign);
  EXPECT_EQ(KG_ERR_AUTH_FAIL, verify().err);
  // The right image under a different nonce (other keys derived) fails too.
  set_model(kModelA, im);
  uint8_t n2[12];
  std::memcpy(n2, dev.nonce, 12);
  n2[11] ^= 1;
  set_nonce(n2);
  EXPECT_EQ(KG_ERR_AUTH_FAIL, verify().err);
  set_nonce(dev.nonce);
  EXPECT_EQ(KG_ERR_OK, verify().err);
}

TEST_F(AuthVerify, FailuresReachTheLockoutThreshold) {
  wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (2u << KG_POLICY_THRESHOLD_SHIFT));
  wr(KG_REG_TAG_EXP(0), 0);
  Outcome o = verify();
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, o.irq);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK);
  o = verify();
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK, o.irq);
  EXPECT_EQ(KG_ERR_AUTH_FAIL, o.err);
  EXPECT_TRUE(o.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK);
  point_at(kModelA, im);
  o = verify();
  EXPECT_EQ(KG_ERR_LOCKED_OUT, o.err);
  // ZEROIZE ends the lockout (and FAILS); the keys must be loaded again.
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  load_keys(dev, KG_POLICY_LOCKOUT | (2u << KG_POLICY_THRESHOLD_SHIFT));
  EXPECT_EQ(KG_ERR_OK, verify().err);
}

TEST_F(AuthVerify, BusErrorOnARead) {
  kgmodel_fault f{KGMODEL_FAULT_RANGE, KGMODEL_DIR_READ, kModelA + 0x100, kModelA + 0x110};
  ASSERT_EQ(KGMODEL_OK, kgmodel_set_fault(m, 0, &f));
  Outcome o = verify();
  EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, o.irq);
  EXPECT_EQ(KG_ERR_BUS, o.err);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_EQ(0u, o.key_status & KG_KEY_STATUS_FAILS_MASK);
  ASSERT_EQ(KGMODEL_OK, kgmodel_set_fault(m, 0, nullptr));
  // A region that runs off the end of the DRAM.
  const uint32_t top = uint32_t(kgmodel_config_default().dram_size);
  wr(KG_REG_MODEL_ADDR, top - 64);
  o = verify();
  EXPECT_EQ(KG_ERR_BUS, o.err);
  wr(KG_REG_MODEL_ADDR, kModelA);
  EXPECT_EQ(KG_ERR_OK, verify().err);
}

TEST_F(AuthVerify, InputsChangedMeanwhileAbort) {
  struct Cause {
    const char* what;
    std::function<void()> act;
  };
  const uint32_t len = uint32_t(im.bytes.size()), t0 = kgauth::be32(im.tag);
  const std::vector<Cause> causes = {
      {"AES_KEY3", [&] { wr(KG_REG_AES_KEY(3), kgauth::be32(&dev.aes[12])); }},
      {"KEY_CFG", [&] { wr(KG_REG_KEY_CFG, 0); }},
      {"NONCE1", [&] { wr(KG_REG_NONCE1, kgauth::be32(dev.nonce + 4)); }},
      {"MODEL_ADDR", [&] { wr(KG_REG_MODEL_ADDR, kModelA); }},
      {"MODEL_LEN", [&] { wr(KG_REG_MODEL_LEN, len); }},
      {"TAG_EXP0", [&] { wr(KG_REG_TAG_EXP(0), t0); }},
      {"LOAD_AES", [&] { wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK); }},
      {"ZEROIZE", [&] { wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK); }},
      {"SOFT_RESET", [&] { wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK); }},
  };
  for (const Cause& c : causes) {
    load_keys(dev, KG_POLICY_REFUSE);
    point_at(kModelA, im);
    ASSERT_EQ(KG_ERR_OK, verify().err) << c.what;
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    ASSERT_TRUE(rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);
    c.act();  // the same values again: a write is a change
    const Outcome o = finish();
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, o.irq) << c.what;
    EXPECT_EQ(KG_ERR_ABORTED, o.err) << c.what;
    EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK) << c.what;
  }
  // KCV_EXP, POLICY, SIGN_KEY, DESC_ADDR or IRQ writes do not abort.
  load_keys(dev, KG_POLICY_REFUSE);
  point_at(kModelA, im);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  wr(KG_REG_KCV_EXP0, 1);
  wr(KG_REG_POLICY, KG_POLICY_RUN);
  wr(KG_REG_DESC_ADDR, 0x40);
  wr(KG_REG_IRQ_ENABLE, 0x3f);
  EXPECT_EQ(KG_ERR_OK, finish().err);
}

TEST_F(AuthVerify, IgnoredWhileBusyOrChecking) {
  // While a layer runs (STATUS.BUSY): nothing starts, the layer ends alone.
  TLayer legacy = make_fc(rng, 40, 60, 30);
  place_legacy(legacy, KG_CRYPT_NONE, false);
  put_layer(0x40, legacy);
  wr(KG_REG_DESC_ADDR, 0x40);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);
  Outcome o = finish();
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, o.irq);
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  // While a CHECK runs, and CHECK with VERIFY in one write: the CHECK alone.
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  o = finish();
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK | KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(0u, rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
  o = finish();
  EXPECT_FALSE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  // While a VERIFY runs: CHECK, a second VERIFY and START are ignored.
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK | KG_KEY_CTRL_VERIFY_MASK);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  wr(KG_REG_DESC_ADDR, 0x80);  // STATUS.BUSY: ignored
  EXPECT_EQ(0x40u, rd(KG_REG_DESC_ADDR));
  o = finish();
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, o.irq);
  EXPECT_EQ(KG_ERR_OK, o.err);
  EXPECT_TRUE(o.key_status & KG_KEY_STATUS_AUTH_OK_MASK);
  EXPECT_EQ(legacy.M * legacy.N, rd(KG_REG_PERF_WR_BYTES_LO));  // no second layer ran
}

TEST_F(AuthVerify, CyclesGrowByOneCipherCallPerBlock) {
  // Two images of different length: the difference is (Nr + 1) + 4 per block
  // (the cipher call and kg_auth's hand-off, docs/model.md §3).
  const Outcome a = verify();
  ASSERT_EQ(KG_ERR_OK, a.err);
  TLayer big = make_fc(rng, 3, 100, 40);
  const kgauth::Image im2 = kgauth::build(g, dev, KG_CRYPT_CTR, true, {big.data()}, rng);
  set_model(kModelB, im2);
  const Outcome b = verify();
  ASSERT_EQ(KG_ERR_OK, b.err);
  const uint64_t blocks = (im2.bytes.size() - im.bytes.size()) / 16;
  // Both waits end on the interrupt; the CSR accesses in between are the same.
  EXPECT_EQ(a.waited + blocks * (11 + 4), b.waited);
  EXPECT_EQ(im.bytes.size() + im2.bytes.size(), rd(KG_REG_PERF_RD_BYTES_LO));
}

TEST_F(AuthVerify, CompletesAfterADelayThatWaitIrqObserves) {
  // As CHECK: the interrupt comes when the pass ends, not at the command.
  kg_hal hal{};
  kgmodel_hal_bind(m, &hal);
  wr(KG_REG_IRQ_STATUS, 0x3f);
  hal.reg_write32(hal.ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  EXPECT_EQ(-1, hal.wait_irq(hal.ctx, im.bytes.size() / 16 * 11 / 2));
  EXPECT_TRUE(rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);
  EXPECT_EQ(0, hal.wait_irq(hal.ctx, 100000));
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_TRUE(auth_ok());
  // The event-driven view: the next event is the end of the pass.
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  const uint64_t next = kgmodel_next_event(m);
  EXPECT_GT(next, im.bytes.size() / 16 * 11);
  EXPECT_LT(next, 100000u);
  EXPECT_EQ(1, kgmodel_busy(m));
  ASSERT_EQ(KGMODEL_OK, kgmodel_step(m, next));
  EXPECT_EQ(0, kgmodel_busy(m));
  EXPECT_EQ(UINT64_MAX, kgmodel_next_event(m));
  EXPECT_TRUE(auth_ok());
}

TEST_F(AuthVerify, DerivedKeysAreNeverReadable) {
  ASSERT_EQ(KG_ERR_OK, verify().err);
  kg_model_keys mk = kgauth::derive(dev, g);
  std::vector<uint32_t> secret;  // every 32-bit word of Ke, Km, Ms, either byte order
  auto add = [&](const uint8_t* p, size_t n) {
    for (size_t i = 0; i + 4 <= n; i += 4) {
      secret.push_back(kgauth::be32(p + i));
      secret.push_back(uint32_t(p[i]) | uint32_t(p[i + 1]) << 8 | uint32_t(p[i + 2]) << 16 |
                       uint32_t(p[i + 3]) << 24);
    }
  };
  add(mk.enc.key, 4 * mk.enc.nk);
  add(mk.mac.key, 4 * mk.mac.nk);
  add(mk.smask, mk.smask_len);
  kg_model_keys_wipe(&mk);
  unsigned mapped = 0;
  for (uint32_t off = 0; off < 4096; off += 4) {
    uint32_t v = 0;
    if (kgmodel_reg_read32(m, off, &v) != KGMODEL_OK) continue;
    mapped++;
    for (uint32_t w : secret) EXPECT_TRUE(v == 0 || v != w) << "offset " << off;
  }
  EXPECT_GT(mapped, 60u);  // the whole map was read
  EXPECT_TRUE(auth_ok());
}

// ---------------------------------------------------------------------------
// AUTH_OK: which writes clear it, what keeps it; LEGACY and LOCK; ZEROIZE.

TEST_F(AuthVerify, AuthOkClearsOnEachInputWrite) {
  std::vector<std::pair<const char*, std::function<void()>>> clears;
  for (unsigned i = 0; i < 3; i++)
    clears.push_back({"NONCE", [this, i] { wr(KG_REG_NONCE0 + 4 * i, kgauth::be32(dev.nonce + 4 * i)); }});
  clears.push_back({"MODEL_ADDR", [&] { wr(KG_REG_MODEL_ADDR, kModelA); }});
  clears.push_back({"MODEL_LEN", [&] { wr(KG_REG_MODEL_LEN, uint32_t(im.bytes.size())); }});
  for (unsigned i = 0; i < 4; i++)
    clears.push_back({"TAG_EXP", [this, i] { wr(KG_REG_TAG_EXP(i), kgauth::be32(im.tag + 4 * i)); }});
  for (unsigned i = 0; i < 8; i++)
    clears.push_back({"AES_KEY", [this, i] {
                        wr(KG_REG_AES_KEY(i), i < 4 ? kgauth::be32(&dev.aes[4 * i]) : 0u);
                        wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
                      }});
  clears.push_back({"KEY_CFG", [&] {
                      wr(KG_REG_KEY_CFG, 0);
                      wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
                    }});
  clears.push_back({"LOAD_AES", [&] { wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK); }});
  clears.push_back({"ZEROIZE", [&] {
                      wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
                      load_keys(dev, KG_POLICY_REFUSE);
                    }});
  bind(fc, kModelA, im, 0, KG_CRYPT_CTR, true);
  for (size_t i = 0; i < clears.size(); i++) {
    ASSERT_EQ(KG_ERR_OK, verify().err) << i;
    ASSERT_TRUE(auth_ok());
    clears[i].second();
    EXPECT_FALSE(auth_ok()) << clears[i].first << " " << i;
    // Every input is as before, yet the layer is no longer bound.
    EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, fc).err) << clears[i].first;
  }
  // These keep it: KCV_EXP, POLICY, SIGN_KEY (+ LOAD_SIGN), IRQ, DESC_ADDR,
  // CHECK, LOCK, SOFT_RESET, a layer.
  ASSERT_EQ(KG_ERR_OK, verify().err);
  wr(KG_REG_KCV_EXP0, 5);
  wr(KG_REG_KCV_EXP1, 6);
  wr(KG_REG_POLICY, KG_POLICY_REFUSE | (3u << KG_POLICY_THRESHOLD_SHIFT));
  wr(KG_REG_SIGN_KEY(0), uint32_t(dev.sign[0]) | uint32_t(dev.sign[1]) << 8 |
                             uint32_t(dev.sign[2]) << 16 | uint32_t(dev.sign[3]) << 24);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
  wr(KG_REG_DESC_ADDR, 0x40);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  finish();
  wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  finish();
  EXPECT_TRUE(auth_ok());
  Outcome o = run(0x40, fc);
  EXPECT_EQ(KG_ERR_OK, o.err);
  EXPECT_EQ(reference(fc, fc.w), output(fc));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
  EXPECT_TRUE(auth_ok());
  // After LOCK, key and KEY_CFG writes are ignored: nothing changes.
  wr(KG_REG_AES_KEY(0), 0);
  wr(KG_REG_KEY_CFG, 2);
  EXPECT_TRUE(auth_ok());
  wr(KG_REG_IRQ_STATUS, 0x3f);
  EXPECT_EQ(KG_ERR_OK, run(0x40, fc).err);
  // Reset clears it and every model register.
  ASSERT_EQ(KGMODEL_OK, kgmodel_reset(m));
  EXPECT_FALSE(auth_ok());
  EXPECT_EQ(0u, rd(KG_REG_MODEL_ADDR));
  EXPECT_EQ(0u, rd(KG_REG_MODEL_LEN));
  for (unsigned i = 0; i < 4; i++) EXPECT_EQ(0u, rd(KG_REG_TAG_EXP(i)));
}

TEST_F(Auth, ModelRegistersReadBackAndStrobes) {
  wr(KG_REG_MODEL_ADDR, 0x12345678);
  wr(KG_REG_MODEL_LEN, 0x9abcdef0);
  for (unsigned i = 0; i < 4; i++) wr(KG_REG_TAG_EXP(i), 0x01020304u * (i + 1));
  EXPECT_EQ(0x12345678u, rd(KG_REG_MODEL_ADDR));
  EXPECT_EQ(0x9abcdef0u, rd(KG_REG_MODEL_LEN));
  for (unsigned i = 0; i < 4; i++) EXPECT_EQ(0x01020304u * (i + 1), rd(KG_REG_TAG_EXP(i)));
  EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32_strb(m, KG_REG_MODEL_ADDR, 0xffffffff, 0x2));
  EXPECT_EQ(0x1234ff78u, rd(KG_REG_MODEL_ADDR));
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
}

TEST_F(Auth, LegacyIsFrozenByLockAndClearedByReset) {
  EXPECT_EQ(0u, rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK);  // reset: strict
  wr(KG_REG_POLICY, KG_POLICY_LEGACY_MASK | KG_POLICY_RUN);
  EXPECT_EQ(KG_POLICY_LEGACY_MASK | KG_POLICY_RUN, rd(KG_REG_POLICY));
  wr(KG_REG_POLICY, 0xfffe0000u | KG_POLICY_RUN);  // bits above LEGACY are not stored
  EXPECT_EQ(KG_POLICY_RUN, rd(KG_REG_POLICY));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
  wr(KG_REG_IRQ_STATUS, 0x3f);
  wr(KG_REG_POLICY, KG_POLICY_LEGACY_MASK | KG_POLICY_RUN);
  EXPECT_EQ(KG_POLICY_RUN, rd(KG_REG_POLICY));  // strict stays strict
  EXPECT_EQ(KG_IRQ_STATUS_VAULT_MASK, rd(KG_REG_IRQ_STATUS));
  ASSERT_EQ(KGMODEL_OK, kgmodel_reset(m));
  wr(KG_REG_POLICY, KG_POLICY_LEGACY_MASK);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
  wr(KG_REG_POLICY, 0);
  EXPECT_EQ(KG_POLICY_LEGACY_MASK, rd(KG_REG_POLICY));  // and legacy stays legacy
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  EXPECT_EQ(KG_POLICY_LEGACY_MASK, rd(KG_REG_POLICY));  // ZEROIZE keeps POLICY
  ASSERT_EQ(KGMODEL_OK, kgmodel_reset(m));
  EXPECT_EQ(KG_RST_POLICY, rd(KG_REG_POLICY));
}

// ---------------------------------------------------------------------------
// Admission of layers that are not bound.

TEST_F(AuthVerify, UnboundKeyedLayerIsRefusedOrRunsWithTheKeysWithheld) {
  ASSERT_EQ(KG_ERR_OK, verify().err);
  TLayer v1 = fc;
  const std::vector<uint8_t> img = place_legacy(v1, KG_CRYPT_CTR, true);
  for (uint32_t mode : {KG_POLICY_REFUSE, KG_POLICY_LOCKOUT}) {
    wr(KG_REG_POLICY, mode);
    const Outcome o = run(0x40, v1);
    EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, o.irq) << mode;
    EXPECT_EQ(KG_ERR_NOT_AUTH, o.err) << mode;
    EXPECT_EQ(0u, o.key_status & KG_KEY_STATUS_FAILS_MASK);  // a refusal is no failure
  }
  // Under run: no decryption, an all-zero sign key.
  wr(KG_REG_POLICY, KG_POLICY_RUN);
  Outcome o = run(0x40, v1);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, o.irq);
  EXPECT_EQ(KG_ERR_OK, o.err);
  EXPECT_EQ(reference(v1, kgauth::untile(img.data(), v1.K, v1.N, g)), output(v1));
  EXPECT_NE(reference(v1, v1.w), output(v1));
  // LEGACY: the version-1 rule with the device keys.
  wr(KG_REG_POLICY, KG_POLICY_REFUSE | KG_POLICY_LEGACY_MASK);
  o = run(0x40, v1);
  EXPECT_EQ(KG_ERR_WRONG_KEY, o.err);  // KCV_OK = 0 and not run
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, o.irq);
  kg_aes_key kd;
  kg_aes_key_init(&kd, dev.aes.data(), dev.aes.size());
  uint8_t kcv[8];
  kg_kcv(&kd, dev.nonce, kcv);
  wr(KG_REG_KCV_EXP0, kgauth::be32(kcv));
  wr(KG_REG_KCV_EXP1, kgauth::be32(kcv + 4));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  ASSERT_EQ(KG_ERR_OK, finish().err);
  o = run(0x40, v1);
  EXPECT_EQ(KG_ERR_OK, o.err);
  EXPECT_EQ(reference(v1, v1.w), output(v1));
  // The bound layer still runs with the model keys under LEGACY.
  bind(fc, kModelA, im, 0, KG_CRYPT_CTR, true);
  EXPECT_EQ(KG_ERR_OK, run(0x40, fc).err);
  EXPECT_EQ(reference(fc, fc.w), output(fc));
  // LEGACY under run without a passed CHECK: the device keys as they are.
  wr(KG_REG_POLICY, KG_POLICY_RUN | KG_POLICY_LEGACY_MASK);
  wr(KG_REG_KCV_EXP0, 0);
  EXPECT_EQ(KG_ERR_OK, run(0x40, v1).err);
  EXPECT_EQ(reference(v1, v1.w), output(v1));
}

TEST_F(AuthVerify, CraftedCryptNoneSignLayerGetsNoSignKey) {
  ASSERT_EQ(KG_ERR_OK, verify().err);
  // Chosen plain weights with SIGN = 1 outside the image: under run the
  // layer computes with an all-zero sign key, whatever Sd or Ms are.
  TLayer probe = fc;
  place_legacy(probe, KG_CRYPT_NONE, false);
  probe.d.sign = 1;
  wr(KG_REG_POLICY, KG_POLICY_REFUSE);
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, probe).err);
  wr(KG_REG_POLICY, KG_POLICY_RUN);
  EXPECT_EQ(KG_ERR_OK, run(0x40, probe).err);
  EXPECT_EQ(reference(probe, probe.w), output(probe));
  // The same inside the image (the model's own position, crypt none while
  // the model is CTR): not bound either.
  TLayer inside = fc;
  bind(inside, kModelA, im, 0, KG_CRYPT_NONE, true);
  EXPECT_EQ(KG_ERR_OK, run(0x40, inside).err);
  const uint8_t* cipher = &im.bytes[im.weights_offset + im.w_pos[0]];
  EXPECT_EQ(reference(inside, kgauth::untile(cipher, fc.K, fc.N, g)), output(inside));
  // SIGN = 0 with the model's crypt: not bound (the model's SIGN is 1).
  bind(inside, kModelA, im, 0, KG_CRYPT_CTR, false);
  wr(KG_REG_POLICY, KG_POLICY_REFUSE);
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, inside).err);
  // A layer that uses no key runs whatever the binding.
  probe.d.sign = 0;
  EXPECT_EQ(KG_ERR_OK, run(0x40, probe).err);
  EXPECT_EQ(reference(probe, probe.w), output(probe));
}

TEST_F(AuthVerify, LayersOfAnotherModelOrMovedLayersAreRefused) {
  // Model B: same device keys, another nonce, its own layer.
  kgauth::DeviceKeys devb = dev;
  for (auto& b : devb.nonce) b = uint8_t(rng());
  TLayer fcb = make_fc(rng, 3, 20, 10);
  const kgauth::Image imb = kgauth::build(g, devb, KG_CRYPT_CTR, true, {fcb.data()}, rng);
  mem(kModelB, imb.bytes.data(), imb.bytes.size());
  bind(fc, kModelA, im, 0, KG_CRYPT_CTR, true);
  bind(fcb, kModelB, imb, 0, KG_CRYPT_CTR, true);
  ASSERT_EQ(KG_ERR_OK, verify().err);
  EXPECT_EQ(KG_ERR_OK, run(0x40, fc).err);
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, fcb).err);
  // Swap: authenticate B; now A's layer is refused and B's runs.
  set_nonce(devb.nonce);
  point_at(kModelB, imb);
  ASSERT_EQ(KG_ERR_OK, verify().err);
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, fc).err);
  EXPECT_EQ(KG_ERR_OK, run(0x40, fcb).err);
  EXPECT_EQ(reference(fcb, fcb.w), output(fcb));
  // B's weight bytes copied into A's image at A's layer position (the
  // binding holds, the tag does not): VERIFY of A now fails.
  std::vector<uint8_t> mixed = im.bytes;
  const size_t wb = kg_pack_weight_bytes(fc.K, fc.N, g);
  std::memcpy(&mixed[im.weights_offset + im.w_pos[0]], &imb.bytes[imb.weights_offset + imb.w_pos[0]], wb);
  mem(kModelA, mixed.data(), mixed.size());
  set_nonce(dev.nonce);
  point_at(kModelA, im);
  EXPECT_EQ(KG_ERR_AUTH_FAIL, verify().err);
  mem(kModelA, im.bytes.data(), im.bytes.size());
  ASSERT_EQ(KG_ERR_OK, verify().err);
  // Moved: the weights one block off their position, parameters outside
  // the parameter section, a W_POS past the weight image.
  TLayer moved = fc;
  moved.d.w_addr += 16;
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, moved).err);
  moved = fc;
  moved.d.p_addr = kModelA + im.params_offset + im.params_size - 16;
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, moved).err);
  moved = fc;
  moved.d.w_pos += 16;
  moved.d.w_addr += 16;  // its own position, but it ends past weights_size
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, moved).err);
  moved = fc;
  moved.d.p_addr = kModelA + im.params_offset - 16;
  EXPECT_EQ(KG_ERR_NOT_AUTH, run(0x40, moved).err);
  EXPECT_EQ(KG_ERR_OK, run(0x40, fc).err);
  EXPECT_EQ(reference(fc, fc.w), output(fc));
}

}  // namespace
