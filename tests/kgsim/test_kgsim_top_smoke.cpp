// test_kgsim_top_smoke.cpp: libkgsim bound to the real kg_top of one geometry.
// Checks the binding only (reset, CSR port, geometry registers, idle DMA
// port); kg_top's behaviour is tested in tests/top.
#include <gtest/gtest.h>

#include "kgmac/kg_regs.h"
#include "kgsim.h"

#ifndef KG_R
#error "KG_R and KG_C give the geometry under test"
#endif

namespace {

TEST(KgsimTop, BindsKgTop) {
  char err[200] = "";
  kgsim* s = kgsim_create(nullptr, err, sizeof err);
  ASSERT_NE(s, nullptr) << err;
  EXPECT_EQ(kgsim_rows(s), unsigned(KG_R));
  EXPECT_EQ(kgsim_cols(s), unsigned(KG_C));
  uint32_t v = 0;
  ASSERT_EQ(kgsim_reg_read32(s, KG_REG_ID, &v), KGSIM_OK) << kgsim_last_error(s);
  EXPECT_EQ(v, KG_RST_ID);
  ASSERT_EQ(kgsim_reg_read32(s, KG_REG_HW_ARRAY, &v), KGSIM_OK) << kgsim_last_error(s);
  EXPECT_EQ((v & KG_HW_ARRAY_ROWS_MASK) >> KG_HW_ARRAY_ROWS_SHIFT, uint32_t(KG_R));
  EXPECT_EQ((v & KG_HW_ARRAY_COLS_MASK) >> KG_HW_ARRAY_COLS_SHIFT, uint32_t(KG_C));
  // Idle after reset: no interrupt, no DMA traffic.
  EXPECT_EQ(kgsim_step(s, 2000), KGSIM_OK);
  EXPECT_EQ(kgsim_irq(s), 0);
  kgsim_stats st;
  ASSERT_EQ(kgsim_dram_stats(s, &st), KGSIM_OK);
  EXPECT_EQ(st.read_txns + st.write_txns, 0u);
  EXPECT_EQ(st.protocol_errors, 0u);
  EXPECT_EQ(kgsim_reset(s), KGSIM_OK);
  ASSERT_EQ(kgsim_reg_read32(s, KG_REG_ID, &v), KGSIM_OK);
  EXPECT_EQ(v, KG_RST_ID);
  kgsim_destroy(s);
}

}  // namespace
