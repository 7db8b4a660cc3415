// kg_top robustness: illegal descriptors, bus faults in every DMA stream,
// DRAM stalls, wrong-key policies, soft reset. Every test ends with a
// correct layer to show the engine recovered.
#include <gtest/gtest.h>

#include <cstring>

#include "top_harness.hpp"

namespace {

using kgt::Device;
using kgt::Keys;
using kgt::Layer;

constexpr uint32_t kAllIrq = 0x3f;

class TopRobust : public ::testing::Test {
 protected:
  void SetUp() override {
    dev.reset(new Device());
    g = dev->geom();
    rng.seed(99);
    keys = kgt::random_keys(rng, g, 16);
    ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->provision(keys, true));
  }
  Layer layer(bool conv = false, uint32_t crypt = KG_CRYPT_CTR, bool sign = true) {
    return kgt::random_layer(rng, g, conv, crypt, sign, keys);
  }
  // Run and return {irq status, STATUS.ERR}; fails the test on a hang.
  std::pair<uint32_t, uint32_t> run(const Layer& L, uint64_t bound = 2000000) {
    uint32_t err = 0;
    uint64_t cyc = 0;
    const uint32_t st = dev->run(L, bound, &err, &cyc);
    EXPECT_NE(0u, st) << "no interrupt within " << bound << " cycles: " << kgt::describe(L);
    EXPECT_EQ(0u, dev->rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) << "engine still busy";
    return {st, err};
  }
  // A fresh layer must run correctly.
  void expect_recovered() {
    Layer L = layer(true, KG_CRYPT_DEEPLOCK, true);
    dev->place(L, keys);
    auto r = run(L);
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
    EXPECT_EQ(L.expect, dev->output(L, nullptr)) << "layer after recovery";
  }
  // Write descriptor word `w` of L with value v, run, expect error code.
  void expect_desc_error(Layer L, int word, uint32_t v, uint32_t code, const char* what) {
    expect_desc_words(L, {{word, v}}, code, what);
  }
  // The same with several words replaced.
  void expect_desc_words(Layer L, std::initializer_list<std::pair<int, uint32_t>> edits,
                         uint32_t code, const char* what) {
    dev->place(L, keys);
    uint32_t words[16];
    kg_pack_desc(&L.d, words);
    for (const auto& e : edits) words[e.first] = e.second;
    uint8_t db[64];
    for (int i = 0; i < 16; i++)
      for (int j = 0; j < 4; j++) db[4 * i + j] = uint8_t(words[i] >> (8 * j));
    ASSERT_EQ(KGSIM_OK, kgsim_mem_write(dev->sim(), L.desc_addr, db, 64));
    auto r = run(L);
    EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, r.first) << what;
    EXPECT_EQ(code, r.second) << what;
  }

  std::unique_ptr<Device> dev;
  kg_geom g{0, 0};
  std::mt19937_64 rng;
  Keys keys;
};

uint32_t with(uint32_t w, uint32_t mask, uint32_t shift, uint32_t v) {
  return (w & ~mask) | ((v << shift) & mask);
}

TEST_F(TopRobust, IllegalDescriptorsEachGiveTheirCode) {
  Layer fc = layer(false);
  Layer cv = layer(true);
  uint32_t f[16], c[16];
  kg_pack_desc(&fc.d, f);
  kg_pack_desc(&cv.d, c);
  expect_desc_error(fc, 0, with(f[0], KG_DESC_CFG_MAGIC_MASK, KG_DESC_CFG_MAGIC_SHIFT, 0x1234),
                    KG_ERR_BAD_MAGIC, "bad magic");
  expect_desc_error(fc, 0, with(f[0], KG_DESC_CFG_OP_MASK, 0, 7), KG_ERR_BAD_OP, "bad op");
  expect_desc_error(fc, 0, with(f[0], KG_DESC_CFG_CRYPT_MASK, KG_DESC_CFG_CRYPT_SHIFT, 3),
                    KG_ERR_BAD_CRYPT, "crypt mode 3");
  expect_desc_error(fc, 12, 1, KG_ERR_RESERVED, "reserved word 12");
  expect_desc_error(fc, 0, f[0] | (1u << 13), KG_ERR_RESERVED, "reserved CFG bit");
  expect_desc_error(cv, 3, c[3] | (1u << 20), KG_ERR_RESERVED, "reserved conv DIM2 bit");
  expect_desc_error(fc, 1, 0, KG_ERR_ZERO_DIM, "M = 0");
  expect_desc_error(fc, 2, 0, KG_ERR_ZERO_DIM, "K = 0");
  expect_desc_error(fc, 3, 0, KG_ERR_ZERO_DIM, "N = 0");
  expect_desc_error(cv, 2, c[2] & 0xffff0000u, KG_ERR_ZERO_DIM, "IC = 0");
  expect_desc_error(cv, 3, with(c[3], KG_DESC_DIM2_KH_MASK, 0, 8), KG_ERR_TOO_BIG, "kernel 8");
  expect_desc_error(cv, 3, with(c[3], KG_DESC_DIM2_STRIDE_MASK, KG_DESC_DIM2_STRIDE_SHIFT, 3),
                    KG_ERR_TOO_BIG, "stride 3");
  expect_desc_error(cv, 3, with(with(c[3], KG_DESC_DIM2_KH_MASK, 0, 3), KG_DESC_DIM2_PAD_MASK,
                                KG_DESC_DIM2_PAD_SHIFT, 3),
                    KG_ERR_TOO_BIG, "pad >= kernel");
  const uint32_t hw_buf = dev->rd(KG_REG_HW_BUF);
  const uint32_t half = hw_buf >> 16;
  expect_desc_error(fc, 2, half * g.rows + 1, KG_ERR_TOO_BIG, "K beyond the activation buffer");
  const uint32_t pdepth = dev->rd(KG_REG_HW_CFG) >> 16;
  expect_desc_error(fc, 3, pdepth + 1, KG_ERR_TOO_BIG, "N beyond the parameter RAM");
  expect_desc_error(fc, 5, 0, KG_ERR_TOO_BIG, "input stride shorter than a row");
  expect_desc_error(fc, 7, 0, KG_ERR_TOO_BIG, "output stride shorter than a row");
  expect_desc_error(fc, 6, 0xfffffff0u, KG_ERR_TOO_BIG, "output past 4 GiB");
  expect_desc_error(fc, 4, f[4] + 8, KG_ERR_MISALIGNED, "misaligned input");
  expect_desc_error(fc, 9, f[9] + 4, KG_ERR_MISALIGNED, "misaligned keystream position");
  expect_desc_error(fc, 10, f[10] + 1, KG_ERR_MISALIGNED, "misaligned parameters");

  // A descriptor address that is not 16-byte aligned.
  dev->wr(KG_REG_DESC_ADDR, fc.desc_addr + 4);
  dev->wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  ASSERT_EQ(KGSIM_OK, kgsim_run_until_irq(dev->sim(), 10000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, dev->rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_MISALIGNED, (dev->rd(KG_REG_STATUS) >> KG_STATUS_ERR_SHIFT) & 0xffu);
  dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  expect_recovered();
}

uint32_t in_mask(uint32_t group, uint32_t valid) {
  return with(with(0, KG_DESC_IN_MASK_GROUP_MASK, KG_DESC_IN_MASK_GROUP_SHIFT, group),
              KG_DESC_IN_MASK_VALID_MASK, KG_DESC_IN_MASK_VALID_SHIFT, valid);
}

// Word IN_MASK (docs/spec.md, "Input mask"), each check with its code and
// in the order of the descriptor checks: K mod GROUP (a TOO_BIG found by
// kg_layer_ctrl's second divider) comes before MISALIGNED and the key checks.
TEST_F(TopRobust, InputMaskChecksEachGiveTheirCode) {
  // K = 2 * 2 * 16 = 64, GROUP 16, VALID 10.
  Layer fc = kgt::fc_after_conv_layer(rng, g, 2, 2, 10, 5, 6, KG_CRYPT_CTR, true, 0x10000);
  Layer cv = layer(true);
  ASSERT_EQ(64u, fc.K);
  uint32_t f[16];
  kg_pack_desc(&fc.d, f);
  ASSERT_EQ(in_mask(16, 10), f[KG_DESC_IN_MASK]);
  const int M = KG_DESC_IN_MASK, IN = KG_DESC_IN_ADDR;
  expect_desc_error(fc, M, in_mask(0, 5), KG_ERR_RESERVED, "VALID without GROUP");
  expect_desc_error(cv, M, in_mask(16, 16), KG_ERR_RESERVED, "a CONV with a mask");
  expect_desc_error(cv, M, in_mask(0, 1), KG_ERR_RESERVED, "a CONV with VALID");
  expect_desc_error(fc, M, in_mask(16, 0), KG_ERR_TOO_BIG, "GROUP without VALID");
  expect_desc_error(fc, M, in_mask(16, 17), KG_ERR_TOO_BIG, "VALID > GROUP");
  expect_desc_error(fc, M, in_mask(48, 10), KG_ERR_TOO_BIG, "K mod GROUP != 0");
  expect_desc_error(fc, M, in_mask(24, 4), KG_ERR_TOO_BIG, "K mod GROUP != 0, GROUP mod 16 != 0");
  expect_desc_error(fc, M, in_mask(8, 4), KG_ERR_MISALIGNED, "GROUP mod 16 != 0");
  expect_desc_words(fc, {{M, in_mask(48, 10)}, {IN, f[IN] + 8}}, KG_ERR_TOO_BIG,
                    "K mod GROUP != 0 before a misaligned input");
  expect_desc_words(fc, {{M, in_mask(32, 10)}, {IN, f[IN] + 8}}, KG_ERR_MISALIGNED,
                    "a legal mask and a misaligned input");
  expect_desc_words(fc, {{M, in_mask(0, 5)}, {IN, f[IN] + 8}}, KG_ERR_RESERVED,
                    "VALID without GROUP before a misaligned input");

  // Without keys: the mask checks still come before NO_KEY.
  dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  kgsim_step(dev->sim(), 20);
  dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  expect_desc_error(fc, M, in_mask(48, 10), KG_ERR_TOO_BIG, "K mod GROUP != 0 before NO_KEY");
  expect_desc_error(fc, M, in_mask(32, 32), KG_ERR_NO_KEY, "a legal mask, then NO_KEY");
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->provision(keys, true));

  // The legal masked layer itself, after all of the above.
  dev->place(fc, keys);
  auto r = run(fc);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
  EXPECT_EQ(fc.expect, dev->output(fc, nullptr)) << kgt::describe(fc);
  expect_recovered();
}

TEST_F(TopRobust, BadParameterRecordIsRejected) {
  Layer L = layer(false);
  L.shift[L.N - 1] = 0;   // shift outside [1, 62]
  dev->place(L, keys);
  auto r = run(L);
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, r.first);
  EXPECT_EQ(KG_ERR_RESERVED, r.second);
  expect_recovered();
}

TEST_F(TopRobust, BusErrorsInEveryStreamAbortCleanly) {
  struct Stream {
    const char* name;
    uint32_t dir;
  };
  for (uint32_t resp : {uint32_t(KGSIM_RESP_SLVERR), uint32_t(KGSIM_RESP_DECERR)}) {
    for (int which = 0; which < 5; which++) {
      Layer L = layer(which % 2 == 0, KG_CRYPT_CTR, true);
      dev->place(L, keys);
      kgsim_fault f{};
      f.mode = KGSIM_FAULT_RANGE;
      f.resp = resp;
      f.dirs = KGSIM_DIR_READ;
      const char* name = "";
      switch (which) {
        case 0: name = "descriptor"; f.lo = L.desc_addr; f.hi = L.desc_addr + 64; break;
        case 1: name = "weights"; f.lo = L.d.w_addr; f.hi = L.d.w_addr + 16; break;
        case 2: name = "activations"; f.lo = L.d.in_addr; f.hi = L.d.in_addr + 16; break;
        case 3: name = "parameters"; f.lo = L.d.p_addr; f.hi = L.d.p_addr + 16; break;
        default:
          name = "output"; f.dirs = KGSIM_DIR_WRITE; f.lo = L.d.out_addr;
          f.hi = L.d.out_addr + (uint64_t)L.M * L.d.out_stride;
          break;
      }
      ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, &f));
      auto r = run(L);
      EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, r.first) << name << " resp " << resp << ": " << kgt::describe(L);
      EXPECT_EQ(KG_ERR_BUS, r.second) << name;
      ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, nullptr));
      expect_recovered();
    }
  }
}

TEST_F(TopRobust, FaultOnNthTransactionAborts) {
  for (uint64_t nth : {1u, 3u, 7u, 20u}) {
    Layer L = layer(true, KG_CRYPT_DEEPLOCK, true);
    dev->place(L, keys);
    kgsim_fault f{};
    f.mode = KGSIM_FAULT_NTH;
    f.dirs = KGSIM_DIR_READ;
    f.resp = KGSIM_RESP_SLVERR;
    f.nth = nth;
    ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, &f));
    auto r = run(L);
    EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, r.first) << "nth " << nth;
    ASSERT_EQ(KGSIM_OK, kgsim_set_fault(dev->sim(), 0, nullptr));
    expect_recovered();
  }
}

TEST_F(TopRobust, SoftResetMidLayerThenNextLayerWorks) {
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.m = 200;
  d.k = 8 * g.rows;
  d.n = 4 * g.cols;
  d.crypt = KG_CRYPT_DEEPLOCK;
  d.sign = 1;
  Layer L = kgt::make_layer(rng, g, d, 0x10000, true);
  dev->place(L, keys);
  dev->wr(KG_REG_DESC_ADDR, L.desc_addr);
  dev->wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  kgsim_step(dev->sim(), 700);
  EXPECT_EQ(1u, dev->rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) << "layer should still run";
  // Configuration writes while busy: DESC_ADDR is ignored.
  dev->wr(KG_REG_DESC_ADDR, 0x4440);
  EXPECT_EQ(L.desc_addr, dev->rd(KG_REG_DESC_ADDR));
  dev->wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  ASSERT_EQ(KGSIM_OK, kgsim_run_until_irq(dev->sim(), 100000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_ABORTED, (dev->rd(KG_REG_STATUS) >> KG_STATUS_ERR_SHIFT) & 0xffu);
  dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  expect_recovered();
}

TEST_F(TopRobust, DramStallsChangeOnlyTiming) {
  Layer L = layer(true, KG_CRYPT_DEEPLOCK, true);
  dev->place(L, keys);
  uint64_t c0 = 0, c1 = 0;
  uint32_t err = 0;
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->run(L, 2000000, &err, &c0));
  const auto out0 = dev->output(L, nullptr);

  kgsim_config cfg = kgsim_config_default();
  cfg.dram.p_stall_ar = 0.3;
  cfg.dram.p_stall_aw = 0.3;
  cfg.dram.p_stall_w = 0.3;
  cfg.dram.p_gap_r = 0.4;
  cfg.dram.p_gap_b = 0.3;
  cfg.dram.read_latency = 80;
  cfg.dram.bytes_per_cycle = 8;
  cfg.dram.max_reads = 5;
  cfg.dram.seed = 3;
  Device slow(&cfg);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, slow.provision(keys, true));
  slow.place(L, keys);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, slow.run(L, 5000000, &err, &c1));
  EXPECT_EQ(out0, slow.output(L, nullptr));
  EXPECT_EQ(L.expect, out0);
  EXPECT_GT(c1, c0);
}

TEST_F(TopRobust, WrongKeyPolicyRefuse) {
  Keys wrong = keys;
  wrong.aes[0] ^= 1;
  dev->wr(KG_REG_POLICY, KG_POLICY_REFUSE);
  const uint32_t st = dev->provision(wrong, true, &keys);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, st);
  EXPECT_EQ(KG_ERR_KCV_MISMATCH, (dev->rd(KG_REG_STATUS) >> KG_STATUS_ERR_SHIFT) & 0xffu);
  Layer L = layer(false, KG_CRYPT_CTR, true);
  dev->place(L, keys);
  auto r = run(L);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, r.first);
  EXPECT_EQ(KG_ERR_WRONG_KEY, r.second);
  // A layer without AES still runs.
  Layer plain = layer(false, KG_CRYPT_NONE, true);
  dev->place(plain, keys);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, run(plain).first);
  EXPECT_EQ(plain.expect, dev->output(plain, nullptr));
}

TEST_F(TopRobust, WrongKeyPolicyRunGivesGarbage) {
  Keys wrong = keys;
  wrong.aes[5] ^= 0x80;
  dev->wr(KG_REG_POLICY, KG_POLICY_RUN);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, dev->provision(wrong, true, &keys));
  for (uint32_t mode : {uint32_t(KG_CRYPT_DEEPLOCK), uint32_t(KG_CRYPT_CTR)}) {
    Layer L = layer(false, mode, false);
    dev->place(L, keys);   // encrypted with the right key
    auto r = run(L);
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, r.first);
    const auto out = dev->output(L, nullptr);
    size_t differ = 0;
    for (size_t i = 0; i < out.size(); i++) differ += out[i] != L.expect[i];
    EXPECT_GT(differ, out.size() / 4) << "mode " << mode;
  }
}

TEST_F(TopRobust, LockoutAfterThresholdSurvivesSoftResetNotZeroize) {
  Keys wrong = keys;
  wrong.aes[2] ^= 4;
  dev->wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (2u << KG_POLICY_THRESHOLD_SHIFT));
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, dev->provision(wrong, true, &keys));
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK, dev->provision(wrong, true, &keys));
  EXPECT_NE(0u, dev->rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_LOCKED_OUT_MASK);
  // Even the right key is refused now.
  EXPECT_EQ(KG_IRQ_STATUS_LOCKOUT_MASK, dev->provision(keys, true));
  Layer L = layer(false, KG_CRYPT_CTR, true);
  dev->place(L, keys);
  auto r = run(L);
  EXPECT_EQ(KG_IRQ_STATUS_LOCKOUT_MASK, r.first);
  EXPECT_EQ(KG_ERR_LOCKED_OUT, r.second);
  dev->wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  kgsim_run_until_irq(dev->sim(), 10000, nullptr);
  dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  EXPECT_NE(0u, dev->rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_LOCKED_OUT_MASK) << "soft reset";
  dev->wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  kgsim_step(dev->sim(), 20);
  EXPECT_EQ(0u, dev->rd(KG_REG_KEY_STATUS) & (KG_KEY_STATUS_LOCKED_OUT_MASK | KG_KEY_STATUS_AES_VALID_MASK |
                                              KG_KEY_STATUS_SIGN_VALID_MASK));
  dev->wr(KG_REG_IRQ_STATUS, kAllIrq);
  // Zeroized: a keyed layer has no key.
  dev->place(L, keys);
  EXPECT_EQ(KG_ERR_NO_KEY, run(L).second);
  ASSERT_EQ(KG_IRQ_STATUS_DONE_MASK, dev->provision(keys, true));
  expect_recovered();
}

TEST_F(TopRobust, KeyRegistersReadZero) {
  for (unsigned i = 0; i < KG_REG_AES_KEY_COUNT; i++) EXPECT_EQ(0u, dev->rd(KG_REG_AES_KEY(i)));
  for (unsigned i = 0; i < KG_REG_SIGN_KEY_COUNT; i++) EXPECT_EQ(0u, dev->rd(KG_REG_SIGN_KEY(i)));
}

}  // namespace
