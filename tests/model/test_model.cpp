// Unit tests of the functional model alone (no RTL): API, registers, a layer
// against the C reference, errors, faults, soft reset, the HAL binding.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "kg_aes.h"
#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"
#include "kgmodel.h"
#include "kg_fw.h"

namespace {

class Model : public ::testing::Test {
 protected:
  void SetUp() override {
    kgmodel_config c = kgmodel_config_default();
    c.rows = R;
    c.cols = C;
    m = kgmodel_create(&c, nullptr, 0);
    ASSERT_NE(nullptr, m);
  }
  void TearDown() override { kgmodel_destroy(m); }
  uint32_t rd(uint32_t off) {
    uint32_t v = 0;
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_read32(m, off, &v)) << off;
    return v;
  }
  void wr(uint32_t off, uint32_t v) { EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, off, v)) << off; }

  // An FC layer M x K x N at 0x1000.. with optional crypt (key 0x00..0x0f)
  // and sign key; returns the expected output.
  std::vector<int8_t> fc_layer(uint32_t M, uint32_t K, uint32_t N, uint32_t crypt, bool sign) {
    std::mt19937 rng(M * 131 + K * 7 + N);
    const kg_geom g{R, C};
    std::vector<int8_t> A(M * K), W(K * N), Wl(K * N), out(M * N);
    for (auto& a : A) a = int8_t(rng());
    for (auto& w : W) w = int8_t(int(rng() % 255) - 127);
    std::vector<int32_t> bias(N), mult(N);
    std::vector<uint8_t> shift(N);
    for (uint32_t n = 0; n < N; n++) {
      bias[n] = int32_t(rng() % 2001) - 1000;
      mult[n] = int32_t(rng() & 0x7fffffff);
      shift[n] = 38;
    }
    for (auto& b : sk) b = uint8_t(rng());
    // A version-1 layer locked with the device keys directly: LEGACY.
    wr(KG_REG_POLICY, KG_RST_POLICY | KG_POLICY_LEGACY_MASK);
    kg_ref_lock_sign(K, N, W.data(), sign ? sk : nullptr, g, Wl.data());
    std::vector<uint8_t> img(kg_pack_weight_bytes(K, N, g));
    kg_pack_weights(K, N, Wl.data(), g, img.data(), img.size());
    for (int i = 0; i < 16; i++) key[i] = uint8_t(i);
    kg_aes_key ak;
    kg_aes_key_init(&ak, key, 16);
    if (crypt) kg_crypt_encrypt(int(crypt), &ak, nonce, 0x100, img.data(), img.size());
    for (int i = 0; i < 4; i++)
      wr(KG_REG_AES_KEY(i), (uint32_t(key[4 * i]) << 24) | (uint32_t(key[4 * i + 1]) << 16) |
                                (uint32_t(key[4 * i + 2]) << 8) | key[4 * i + 3]);
    for (uint32_t i = 0; i < (R * C + 31) / 32; i++)
      wr(KG_REG_SIGN_KEY(i), uint32_t(sk[4 * i]) | (uint32_t(sk[4 * i + 1]) << 8) |
                                 (uint32_t(sk[4 * i + 2]) << 16) | (uint32_t(sk[4 * i + 3]) << 24));
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
    for (int i = 0; i < 3; i++)
      wr(KG_REG_NONCE0 + 4 * i, (uint32_t(nonce[4 * i]) << 24) | (uint32_t(nonce[4 * i + 1]) << 16) |
                                    (uint32_t(nonce[4 * i + 2]) << 8) | nonce[4 * i + 3]);
    kg_kcv(&ak, nonce, kcv);
    wr(KG_REG_KCV_EXP0, (uint32_t(kcv[0]) << 24) | (uint32_t(kcv[1]) << 16) | (uint32_t(kcv[2]) << 8) | kcv[3]);
    wr(KG_REG_KCV_EXP1, (uint32_t(kcv[4]) << 24) | (uint32_t(kcv[5]) << 16) | (uint32_t(kcv[6]) << 8) | kcv[7]);
    wr(KG_REG_IRQ_ENABLE, 0x3f);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 10000, nullptr));
    EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
    wr(KG_REG_IRQ_STATUS, 0x3f);
    const uint32_t in_stride = (K + 15) / 16 * 16, out_stride = (N + 15) / 16 * 16 + 16;
    kg_layer_desc d{};
    d.op = KG_OP_FC;
    d.crypt = crypt;
    d.sign = sign;
    d.m = M;
    d.k = K;
    d.n = N;
    d.in_addr = 0x1000;
    d.in_stride = in_stride;
    d.w_addr = 0x100000;
    d.w_pos = 0x100;
    d.p_addr = 0x200000;
    d.out_addr = 0x300000;
    d.out_stride = out_stride;
    uint32_t words[16];
    kg_pack_desc(&d, words);
    EXPECT_EQ(KGMODEL_OK, kgmodel_mem_write(m, 0x40, words, 64));  // little-endian host
    for (uint32_t r = 0; r < M; r++) kgmodel_mem_write(m, 0x1000 + r * in_stride, &A[r * K], K);
    kgmodel_mem_write(m, 0x100000, img.data(), img.size());
    std::vector<uint8_t> par(N * 16);
    kg_pack_params(N, bias.data(), mult.data(), shift.data(), par.data(), par.size());
    kgmodel_mem_write(m, 0x200000, par.data(), par.size());
    std::vector<uint8_t> fill(M * out_stride, 0xa5);
    kgmodel_mem_write(m, 0x300000, fill.data(), fill.size());
    kg_requant q{bias.data(), mult.data(), shift.data(), 0};
    kg_ref_fc(M, K, N, A.data(), W.data(), nullptr, g, &q, out.data());
    wr(KG_REG_DESC_ADDR, 0x40);
    return out;
  }
  std::vector<int8_t> output(uint32_t M, uint32_t N, bool* pad_ok) {
    const uint32_t out_stride = (N + 15) / 16 * 16 + 16;
    std::vector<uint8_t> raw(M * out_stride);
    kgmodel_mem_read(m, 0x300000, raw.data(), raw.size());
    std::vector<int8_t> o(M * N);
    *pad_ok = true;
    for (uint32_t r = 0; r < M; r++)
      for (uint32_t b = 0; b < out_stride; b++) {
        if (b < N)
          o[r * N + b] = int8_t(raw[r * out_stride + b]);
        else if (raw[r * out_stride + b] != 0xa5)
          *pad_ok = false;
      }
    return o;
  }
  kgmodel* m = nullptr;
  uint32_t R = 8, C = 4;  // geometry (set before SetUp)
  uint8_t sk[128] = {0}, key[16] = {0}, kcv[8] = {0};
  uint8_t nonce[12] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
};

TEST(ModelApi, CreateRejectsBadConfigAndReportsWhy) {
  kgmodel_config c = kgmodel_config_default();
  c.rows = 3;
  char err[128] = {0};
  EXPECT_EQ(nullptr, kgmodel_create(&c, err, sizeof err));
  EXPECT_NE(0u, std::strlen(err));
  c = kgmodel_config_default();
  c.dram_size = 17;
  EXPECT_EQ(nullptr, kgmodel_create(&c, nullptr, 0));
  kgmodel_destroy(nullptr);
  EXPECT_STRNE(kgmodel_strerror(KGMODEL_ERANGE), kgmodel_strerror(KGMODEL_EINVAL));
}

TEST_F(Model, IdentificationAndBuildRegisters) {
  EXPECT_EQ(KG_RST_ID, rd(KG_REG_ID));
  EXPECT_EQ(KG_RST_VERSION, rd(KG_REG_VERSION));
  EXPECT_EQ(8u | (4u << 16), rd(KG_REG_HW_ARRAY));
  EXPECT_EQ(256u | (2048u << 16), rd(KG_REG_HW_BUF));
  EXPECT_EQ(16u | (1u << 8) | (1u << 9) | (1024u << 16), rd(KG_REG_HW_CFG));
  EXPECT_EQ(KG_RST_POLICY, rd(KG_REG_POLICY));
  uint32_t v = 0;
  EXPECT_EQ(KGMODEL_ESLVERR, kgmodel_reg_read32(m, 0x14, &v));
  EXPECT_EQ(KGMODEL_ESLVERR, kgmodel_reg_write32(m, 0x300, 1));
  EXPECT_EQ(KGMODEL_ERANGE, kgmodel_reg_read32(m, 0x2, &v));
}

TEST_F(Model, KeyRegistersReadZeroAndLockFreezesTheVault) {
  wr(KG_REG_AES_KEY(0), 0x12345678);
  wr(KG_REG_SIGN_KEY(0), 0xffffffff);
  EXPECT_EQ(0u, rd(KG_REG_AES_KEY(0)));
  EXPECT_EQ(0u, rd(KG_REG_SIGN_KEY(0)));
  wr(KG_REG_POLICY, 0x0503);  // mode 3 is stored as refuse
  EXPECT_EQ(0x0500u, rd(KG_REG_POLICY));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK | KG_KEY_CTRL_LOCK_MASK);
  EXPECT_EQ(KG_KEY_STATUS_SIGN_VALID_MASK | KG_KEY_STATUS_LOCKED_MASK, rd(KG_REG_KEY_STATUS));
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
  wr(KG_REG_POLICY, 1);
  EXPECT_EQ(0x0500u, rd(KG_REG_POLICY));
  EXPECT_EQ(KG_IRQ_STATUS_VAULT_MASK, rd(KG_REG_IRQ_STATUS));
  wr(KG_REG_IRQ_STATUS, KG_IRQ_STATUS_VAULT_MASK);
  EXPECT_EQ(0u, rd(KG_REG_IRQ_STATUS));
}

TEST_F(Model, CheckWithoutKeyAndWithWrongKcv) {
  wr(KG_REG_IRQ_ENABLE, 0x3f);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_NO_KEY << 8, rd(KG_REG_STATUS));
  wr(KG_REG_IRQ_STATUS, 0x3f);
  wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (2u << 8));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_CHECK_MASK);
  EXPECT_TRUE(rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 1000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_KCV_MISMATCH << 8, rd(KG_REG_STATUS));
  wr(KG_REG_IRQ_STATUS, 0x3f);
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 1000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_LOCKED_OUT_MASK | (2u << 8),
            rd(KG_REG_KEY_STATUS));
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  EXPECT_EQ(0u, rd(KG_REG_KEY_STATUS));
}

class ModelFc : public Model, public ::testing::WithParamInterface<int> {};

TEST_P(ModelFc, MatchesTheReferenceAndLeavesPaddingAlone) {
  const uint32_t crypt = uint32_t(GetParam() % 3);
  const bool sign = GetParam() >= 3;
  const uint32_t M = 37, K = 45, N = 19;
  std::vector<int8_t> expect = fc_layer(M, K, N, crypt, sign);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  EXPECT_EQ(1u, rd(KG_REG_STATUS) & 1u);
  uint64_t waited = 0;
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 1000000, &waited));
  EXPECT_GT(waited, 100u);
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(0u, rd(KG_REG_STATUS));
  bool pad_ok = false;
  EXPECT_EQ(expect, output(M, N, &pad_ok));
  EXPECT_TRUE(pad_ok);
  EXPECT_EQ(M * N, rd(KG_REG_PERF_WR_BYTES_LO));
  EXPECT_EQ(0u, rd(KG_REG_PERF_WR_BYTES_HI));
}
INSTANTIATE_TEST_SUITE_P(CryptSign, ModelFc, ::testing::Range(0, 6));

// The weight fold has a 16-channel SIMD path (C % 16 == 0), a quad path
// (R % 4 == 0) and a byte path (R < 4), and the GEMM works on 4-row x
// 64-channel blocks: shapes with partial k-quads, tiles, panels and row
// blocks on geometries that take each path, against the C reference.
struct GeomCase {
  uint32_t R, C, M, K, N, crypt;
  bool sign;
};
class ModelGeom : public Model, public ::testing::WithParamInterface<GeomCase> {
 protected:
  void SetUp() override {
    R = GetParam().R;
    C = GetParam().C;
    Model::SetUp();
  }
};

TEST_P(ModelGeom, FcMatchesTheReference) {
  const GeomCase& p = GetParam();
  std::vector<int8_t> expect = fc_layer(p.M, p.K, p.N, p.crypt, p.sign);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 10000000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
  bool pad_ok = false;
  EXPECT_EQ(expect, output(p.M, p.N, &pad_ok));
  EXPECT_TRUE(pad_ok);
}
INSTANTIATE_TEST_SUITE_P(
    Shapes, ModelGeom,
    ::testing::Values(GeomCase{16, 16, 67, 259, 83, KG_CRYPT_CTR, true},
                      GeomCase{16, 16, 5, 16, 16, KG_CRYPT_NONE, true},
                      GeomCase{16, 16, 130, 77, 129, KG_CRYPT_DEEPLOCK, true},
                      GeomCase{32, 32, 9, 70, 200, KG_CRYPT_CTR, true},
                      GeomCase{16, 32, 4, 33, 65, KG_CRYPT_NONE, false},
                      GeomCase{2, 2, 7, 13, 11, KG_CRYPT_CTR, true},
                      GeomCase{1, 4, 3, 6, 70, KG_CRYPT_NONE, true},
                      GeomCase{4, 8, 1, 1, 1, KG_CRYPT_CTR, true}));

TEST_F(Model, DescriptorErrorsBusFaultsAndSoftReset) {
  const uint32_t M = 5, K = 9, N = 3;
  std::vector<int8_t> expect = fc_layer(M, K, N, KG_CRYPT_CTR, true);
  // Zero N: ERR_ZERO_DIM with DESC_ERR.
  uint32_t w3 = 0;
  kgmodel_mem_write(m, 0x40 + 12, &w3, 4);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 100000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DESC_ERR_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_ZERO_DIM << 8, rd(KG_REG_STATUS));
  wr(KG_REG_IRQ_STATUS, 0x3f);
  w3 = N;
  kgmodel_mem_write(m, 0x40 + 12, &w3, 4);
  // A read fault on the weights: ERR_BUS, nothing written.
  kgmodel_fault f{KGMODEL_FAULT_RANGE, KGMODEL_DIR_READ, 0x100000, 0x100010};
  ASSERT_EQ(KGMODEL_OK, kgmodel_set_fault(m, 1, &f));
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 100000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_BUS << 8, rd(KG_REG_STATUS));
  wr(KG_REG_IRQ_STATUS, 0x3f);
  ASSERT_EQ(KGMODEL_OK, kgmodel_set_fault(m, 1, nullptr));
  // Soft reset mid-layer: ABORTED, DONE, no output.
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  wr(KG_REG_DESC_ADDR, 0x80);  // ignored while busy
  EXPECT_EQ(0x40u, rd(KG_REG_DESC_ADDR));
  wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 100000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(KG_ERR_ABORTED << 8, rd(KG_REG_STATUS));
  bool pad_ok = false;
  EXPECT_NE(expect, output(M, N, &pad_ok));
  wr(KG_REG_IRQ_STATUS, 0x3f);
  // The next layer works.
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 100000, nullptr));
  EXPECT_EQ(KG_IRQ_STATUS_DONE_MASK, rd(KG_REG_IRQ_STATUS));
  EXPECT_EQ(expect, output(M, N, &pad_ok));
}

TEST_F(Model, TimeAndInterruptWaits) {
  const uint64_t t0 = kgmodel_cycles(m);
  EXPECT_EQ(KGMODEL_OK, kgmodel_step(m, 100));
  EXPECT_EQ(t0 + 100, kgmodel_cycles(m));
  uint64_t waited = 0;
  EXPECT_EQ(KGMODEL_ETIMEOUT, kgmodel_run_until_irq(m, 500, &waited));
  EXPECT_EQ(500u, waited);
  EXPECT_EQ(0, kgmodel_irq(m));
  const uint32_t lo = rd(KG_REG_PERF_CYCLES_LO);
  EXPECT_GE(lo, 600u);
  wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
  EXPECT_LT(rd(KG_REG_PERF_CYCLES_LO), 20u);
}

TEST_F(Model, HalBindingDrivesTheModel) {
  kg_hal hal{};
  kgmodel_hal_bind(m, &hal);
  ASSERT_NE(nullptr, hal.reg_read32);
  EXPECT_EQ(KG_RST_ID, hal.reg_read32(hal.ctx, KG_REG_ID));
  EXPECT_EQ(0xFFFFFFFFu, hal.reg_read32(hal.ctx, 0x14));
  hal.reg_write32(hal.ctx, KG_REG_IRQ_ENABLE, 0x3f);
  EXPECT_EQ(-1, hal.wait_irq(hal.ctx, 10));
  hal.reg_write32(hal.ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  EXPECT_EQ(0, hal.wait_irq(hal.ctx, 10));
  uint8_t b[4] = {1, 2, 3, 4}, c[4] = {0, 0, 0, 0};
  EXPECT_EQ(0, hal.mem_write(hal.ctx, 0x10, b, 4));
  EXPECT_EQ(0, hal.mem_read(hal.ctx, 0x10, c, 4));
  EXPECT_EQ(0, std::memcmp(b, c, 4));
  EXPECT_EQ(-1, hal.mem_read(hal.ctx, 64ull << 20, c, 4));
}

// The firmware runs unchanged on the model through kgmodel_hal_bind.
TEST_F(Model, FirmwareRunsOnTheModel) {
  const uint32_t M = 21, K = 33, N = 9;
  std::vector<int8_t> expect = fc_layer(M, K, N, KG_CRYPT_DEEPLOCK, true);
  kg_hal hal{};
  kgmodel_hal_bind(m, &hal);
  kg_fw fw{};
  ASSERT_EQ(KG_FW_OK, kg_fw_init(&fw, &hal));
  EXPECT_EQ(8u, fw.info.rows);
  EXPECT_EQ(4u, fw.info.cols);
  EXPECT_EQ(1024u, fw.info.param_depth);
  uint8_t bad[8];
  std::memcpy(bad, kcv, 8);
  bad[0] ^= 1;
  EXPECT_EQ(KG_FW_EKCV, kg_fw_provision(&fw, key, 16, sk, 32, nonce, bad, KG_POLICY_REFUSE, 0, 0));
  ASSERT_EQ(KG_FW_OK, kg_fw_provision(&fw, key, 16, sk, 32, nonce, kcv, KG_POLICY_REFUSE, 0, 0));
  // kg_fw_provision writes POLICY; the layer is a version-1 one (device keys).
  hal.reg_write32(hal.ctx, KG_REG_POLICY, hal.reg_read32(hal.ctx, KG_REG_POLICY) | KG_POLICY_LEGACY_MASK);
  const uint32_t desc = 0x40;
  uint32_t failed = 99;
  kg_fw_perf perf{};
  ASSERT_EQ(KG_FW_OK, kg_fw_run_job(&fw, &desc, 1, 1000000, &failed, &perf));
  EXPECT_EQ(1u, failed);
  EXPECT_EQ(uint64_t(M) * N, perf.wr_bytes);
  bool pad_ok = false;
  EXPECT_EQ(expect, output(M, N, &pad_ok));
  EXPECT_TRUE(pad_ok);
}

}  // namespace
