// The model decodes a layer descriptor through the generated KG_DESC_*
// fields of kg_regs.h alone. This binary and its own copy of the model are
// built against a kg_regs.h whose descriptor fields were moved and whose
// W_POS and P_ADDR words were swapped (shift_desc_fields.py, see
// tests/model/CMakeLists.txt): a layer encoded with that header must run
// and match the reference, and the bits the fields left must be reserved.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "kgmac/kg_regs.h"
#include "kgmac/ref_layer.h"
#include "kgmodel.h"

// The layout really is the moved one (the unmoved header would pass the
// tests below only by accident, so refuse to build against it).
static_assert(KG_DESC_CFG_SIGN_SHIFT == 12u && KG_DESC_DIM2_STRIDE_SHIFT == 10u &&
                  KG_DESC_DIM2_PAD_SHIFT == 16u && KG_DESC_W_POS == 10u && KG_DESC_P_ADDR == 9u,
              "built against the generated kg_regs.h instead of the shifted copy");

namespace {

constexpr uint32_t R = 4, C = 4;
constexpr uint32_t DESC = 0x0000, IN = 0x1000, OUT = 0x2000, WTS = 0x3000, PAR = 0x4000;

uint32_t put(uint32_t v, uint32_t mask, uint32_t shift) { return (v << shift) & mask; }
#define PUT(v, F) put((v), F##_MASK, F##_SHIFT)

void le32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = uint8_t(v >> (8 * i));
}

class DescLayout : public ::testing::Test {
 protected:
  void SetUp() override {
    kgmodel_config c = kgmodel_config_default();
    c.rows = R;
    c.cols = C;
    c.dram_size = 1u << 20;
    char err[256] = {0};
    m = kgmodel_create(&c, err, sizeof err);
    ASSERT_NE(nullptr, m) << err;
  }
  void TearDown() override { kgmodel_destroy(m); }

  // A 5x5x3 -> 5-channel 3x3 convolution, stride 2, pad 1, ReLU, no crypt.
  kg_conv_shape s{5, 5, 3, 5, 3, 3, 2, 1};
  std::vector<uint32_t> words() const {
    std::vector<uint32_t> d(KG_DESC_WORDS, 0);
    d[KG_DESC_CFG] = PUT(KG_OP_CONV, KG_DESC_CFG_OP) | PUT(1, KG_DESC_CFG_RELU) |
                     PUT(KG_CRYPT_NONE, KG_DESC_CFG_CRYPT) | PUT(KG_DESC_MAGIC, KG_DESC_CFG_MAGIC);
    d[KG_DESC_DIM0] = PUT(s.h, KG_DESC_DIM0_H) | PUT(s.w, KG_DESC_DIM0_W);
    d[KG_DESC_DIM1] = PUT(s.ic, KG_DESC_DIM1_IC) | PUT(s.oc, KG_DESC_DIM1_OC);
    d[KG_DESC_DIM2] = PUT(s.kh, KG_DESC_DIM2_KH) | PUT(s.kw, KG_DESC_DIM2_KW) |
                      PUT(s.stride, KG_DESC_DIM2_STRIDE) | PUT(s.pad, KG_DESC_DIM2_PAD);
    d[KG_DESC_IN_ADDR] = IN;
    d[KG_DESC_IN_STRIDE] = 16;
    d[KG_DESC_OUT_ADDR] = OUT;
    d[KG_DESC_OUT_STRIDE] = 16;
    d[KG_DESC_W_ADDR] = WTS;
    d[KG_DESC_W_POS] = 0;
    d[KG_DESC_P_ADDR] = PAR;
    return d;
  }
  // Run the descriptor d; returns STATUS.ERR.
  uint32_t run(const std::vector<uint32_t>& d) {
    std::vector<uint8_t> b(4 * d.size());
    for (size_t i = 0; i < d.size(); i++) le32(&b[4 * i], d[i]);
    EXPECT_EQ(KGMODEL_OK, kgmodel_mem_write(m, DESC, b.data(), b.size()));
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, KG_REG_IRQ_STATUS, 0x3f));
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, KG_REG_IRQ_ENABLE, 0x3f));
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, KG_REG_DESC_ADDR, DESC));
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_write32(m, KG_REG_CTRL, KG_CTRL_START_MASK));
    EXPECT_EQ(KGMODEL_OK, kgmodel_run_until_irq(m, 1u << 24, nullptr));
    uint32_t st = 0;
    EXPECT_EQ(KGMODEL_OK, kgmodel_reg_read32(m, KG_REG_STATUS, &st));
    return (st & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT;
  }
  kgmodel* m = nullptr;
};

TEST_F(DescLayout, ConvEncodedWithTheMovedFieldsMatchesTheReference) {
  std::mt19937 rng(17);
  auto byte = [&] { return int8_t(rng() & 0xff); };
  const uint32_t K = s.kh * s.kw * s.ic, N = s.oc;
  const uint32_t OH = kg_conv_out_h(&s), OW = kg_conv_out_w(&s);
  ASSERT_EQ(3u, OH);
  std::vector<int8_t> in(s.h * s.w * s.ic), W(K * N);
  for (auto& v : in) v = byte();
  for (auto& v : W) v = byte();
  std::vector<int32_t> bias(N), mult(N);
  std::vector<uint8_t> shift(N);
  for (uint32_t n = 0; n < N; n++) {
    bias[n] = int32_t(rng() % 2001) - 1000;
    mult[n] = int32_t(rng() % 30000) + 1000;
    shift[n] = uint8_t(12 + rng() % 4);
  }
  // Device layout: input pixels and parameter records 16 bytes apart,
  // weights in R x C tiles (tile nt*KT + kt, byte kr*C + nc).
  std::vector<uint8_t> img(s.h * s.w * 16, 0), par(N * 16, 0);
  for (uint32_t p = 0; p < s.h * s.w; p++) std::memcpy(&img[16 * p], &in[s.ic * p], s.ic);
  for (uint32_t n = 0; n < N; n++) {
    le32(&par[16 * n], uint32_t(bias[n]));
    le32(&par[16 * n + 4], uint32_t(mult[n]));
    par[16 * n + 8] = shift[n];
  }
  const uint32_t KT = (K + R - 1) / R, NT = (N + C - 1) / C;
  std::vector<uint8_t> wimg(KT * NT * 16, 0);
  for (uint32_t nt = 0; nt < NT; nt++)
    for (uint32_t kt = 0; kt < KT; kt++)
      for (uint32_t kr = 0; kr < R; kr++)
        for (uint32_t nc = 0; nc < C; nc++) {
          const uint32_t k = kt * R + kr, n = nt * C + nc;
          if (k < K && n < N) wimg[(nt * KT + kt) * 16 + kr * C + nc] = uint8_t(W[k * N + n]);
        }
  ASSERT_EQ(KGMODEL_OK, kgmodel_mem_write(m, IN, img.data(), img.size()));
  ASSERT_EQ(KGMODEL_OK, kgmodel_mem_write(m, PAR, par.data(), par.size()));
  ASSERT_EQ(KGMODEL_OK, kgmodel_mem_write(m, WTS, wimg.data(), wimg.size()));
  ASSERT_EQ(KG_ERR_OK, run(words()));

  const kg_requant q{bias.data(), mult.data(), shift.data(), 1};
  std::vector<int8_t> want(OH * OW * N), scratch(OH * OW * K);
  std::vector<int32_t> acc(OH * OW * N);
  ASSERT_EQ(KG_REF_OK, kg_ref_conv2d(&s, in.data(), W.data(), nullptr, kg_geom{R, C}, &q,
                                     scratch.data(), acc.data(), want.data()));
  int nonzero = 0;
  for (uint32_t p = 0; p < OH * OW; p++) {
    std::vector<int8_t> got(N);
    ASSERT_EQ(KGMODEL_OK, kgmodel_mem_read(m, OUT + 16 * p, got.data(), N));
    for (uint32_t n = 0; n < N; n++) {
      EXPECT_EQ(want[p * N + n], got[n]) << "pixel " << p << " channel " << n;
      nonzero += want[p * N + n] != 0;
    }
  }
  EXPECT_GT(nonzero, 0) << "a layer of zeros would prove nothing";
}

TEST_F(DescLayout, BitsTheFieldsLeftAreReserved) {
  // Old places: SIGN at CFG bit 11, STRIDE at DIM2 bits 8..9, PAD at 12..14.
  for (uint32_t bit : {8u, 9u, 12u, 13u, 14u}) {
    auto d = words();
    d[KG_DESC_DIM2] |= 1u << bit;
    EXPECT_EQ(KG_ERR_RESERVED, run(d)) << "DIM2 bit " << bit;
  }
  auto d = words();
  d[KG_DESC_CFG] |= 1u << 11;
  EXPECT_EQ(KG_ERR_RESERVED, run(d));
}

TEST_F(DescLayout, MovedFieldsAreReadAtTheirNewPlace) {
  auto d = words();
  d[KG_DESC_CFG] |= PUT(1, KG_DESC_CFG_SIGN);  // no sign key loaded
  EXPECT_EQ(KG_ERR_NO_KEY, run(d));
  d = words();
  d[KG_DESC_DIM2] = (d[KG_DESC_DIM2] & ~KG_DESC_DIM2_PAD_MASK) | PUT(3, KG_DESC_DIM2_PAD);
  EXPECT_EQ(KG_ERR_TOO_BIG, run(d)) << "pad 3 is not below the 3x3 kernel";
  d = words();
  d[KG_DESC_DIM2] = (d[KG_DESC_DIM2] & ~KG_DESC_DIM2_STRIDE_MASK) | PUT(3, KG_DESC_DIM2_STRIDE);
  EXPECT_EQ(KG_ERR_TOO_BIG, run(d)) << "stride 3";
  d = words();
  d[KG_DESC_W_POS] = 8;  // the swapped word, not 16-byte aligned
  EXPECT_EQ(KG_ERR_MISALIGNED, run(d));
}

}  // namespace
