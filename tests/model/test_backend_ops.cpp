// Both back-ends through the one interface of kg_backend.h: kgsim_ops (the
// Verilated kg_top) and kgmodel_ops (the functional model) must answer the
// same calls the same way, with the same KG_BE_* status codes.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "kgmac/kg_regs.h"
#include "kgmodel.h"
#include "kgsim.h"

namespace {

struct Handle {
  const kg_backend_ops* ops;
  void* h = nullptr;
  ~Handle() { ops->destroy(h); }
};

// A handle of ops with geometry rows x cols (0, 0: the back-end's default).
std::unique_ptr<Handle> open(const kg_backend_ops& ops, uint32_t rows, uint32_t cols) {
  kg_backend_config c{rows, cols, 0, 1u << 20};
  char err[256] = {0};
  std::unique_ptr<Handle> d(new Handle{&ops});
  const int rc = ops.create(&c, &d->h, err, sizeof err);
  EXPECT_EQ(KG_BE_OK, rc) << ops.name << ": " << err;
  return rc == KG_BE_OK ? std::move(d) : nullptr;
}

TEST(BackendOps, TablesAreComplete) {
  for (const kg_backend_ops* o : {&kgsim_ops, &kgmodel_ops}) {
    SCOPED_TRACE(o->name);
    EXPECT_TRUE(o->create && o->destroy && o->rows && o->cols && o->reg_read32 &&
                o->reg_write32 && o->mem_write && o->mem_read && o->run_until_irq && o->step &&
                o->cycles && o->irq && o->reset && o->set_fault && o->strerror && o->hal_bind);
    EXPECT_STRNE("", o->strerror(KG_BE_ETIMEOUT));
    o->destroy(nullptr);  // accepted
  }
  EXPECT_STREQ("rtl", kgsim_ops.name);
  EXPECT_STREQ("model", kgmodel_ops.name);
}

TEST(BackendOps, CreateRefusesWhatItCannotBuild) {
  char err[256];
  void* h = reinterpret_cast<void*>(0x1);
  // libkgsim is built for one geometry.
  auto rtl = open(kgsim_ops, 0, 0);
  ASSERT_TRUE(rtl);
  const unsigned R = kgsim_ops.rows(rtl->h), C = kgsim_ops.cols(rtl->h);
  kg_backend_config c{2 * R, C, 0, 1u << 20};
  err[0] = '\0';
  EXPECT_EQ(KG_BE_ENOTSUP, kgsim_ops.create(&c, &h, err, sizeof err));
  EXPECT_EQ(nullptr, h);
  EXPECT_NE(std::string::npos, std::string(err).find("expected")) << err;
  // The model takes powers of two only; both check the DRAM.
  c = kg_backend_config{3, 3, 0, 1u << 20};
  h = reinterpret_cast<void*>(0x1);
  err[0] = '\0';
  EXPECT_EQ(KG_BE_EINVAL, kgmodel_ops.create(&c, &h, err, sizeof err));
  EXPECT_EQ(nullptr, h);
  EXPECT_STRNE("", err);
  for (const kg_backend_ops* o : {&kgsim_ops, &kgmodel_ops}) {
    c = kg_backend_config{0, 0, 0, 1000};  // not a multiple of 16
    h = reinterpret_cast<void*>(0x1);
    err[0] = '\0';
    EXPECT_EQ(KG_BE_EINVAL, o->create(&c, &h, err, sizeof err)) << o->name;
    EXPECT_EQ(nullptr, h) << o->name;
    EXPECT_STRNE("", err) << o->name;
  }
}

TEST(BackendOps, SameAnswersFromBoth) {
  auto rtl = open(kgsim_ops, 0, 0);
  ASSERT_TRUE(rtl);
  auto mod = open(kgmodel_ops, kgsim_ops.rows(rtl->h), kgsim_ops.cols(rtl->h));
  ASSERT_TRUE(mod);
  EXPECT_EQ(kgsim_ops.rows(rtl->h), kgmodel_ops.rows(mod->h));
  EXPECT_EQ(kgsim_ops.cols(rtl->h), kgmodel_ops.cols(mod->h));
  for (Handle* d : {rtl.get(), mod.get()}) {
    SCOPED_TRACE(d->ops->name);
    const kg_backend_ops& o = *d->ops;
    uint32_t v = 0;
    ASSERT_EQ(KG_BE_OK, o.reg_read32(d->h, KG_REG_ID, &v));
    EXPECT_EQ(KG_RST_ID, v);
    ASSERT_EQ(KG_BE_OK, o.reg_read32(d->h, KG_REG_HW_ARRAY, &v));
    EXPECT_EQ(o.rows(d->h), (v & KG_HW_ARRAY_ROWS_MASK) >> KG_HW_ARRAY_ROWS_SHIFT);
    // Bad offsets: misaligned or past the block, and a hole in the map.
    EXPECT_EQ(KG_BE_ERANGE, o.reg_read32(d->h, 2, &v));
    EXPECT_EQ(KG_BE_ERANGE, o.reg_write32(d->h, 4096, 0));
    v = 0x5a5a5a5a;
    EXPECT_EQ(KG_BE_ESLVERR, o.reg_read32(d->h, 0x014, &v));
    EXPECT_EQ(0x5a5a5a5au, v) << "an error response leaves *val alone";
    // DRAM backdoor.
    const std::vector<uint8_t> w = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    std::vector<uint8_t> r(w.size());
    ASSERT_EQ(KG_BE_OK, o.mem_write(d->h, 0x100, w.data(), w.size()));
    ASSERT_EQ(KG_BE_OK, o.mem_read(d->h, 0x100, r.data(), r.size()));
    EXPECT_EQ(w, r);
    EXPECT_EQ(KG_BE_ERANGE, o.mem_read(d->h, (1u << 20) - 8, r.data(), r.size()));
    // Time: nothing pending, so the wait runs out; step adds exactly n.
    uint64_t waited = 0;
    const uint64_t t0 = o.cycles(d->h);
    EXPECT_EQ(KG_BE_ETIMEOUT, o.run_until_irq(d->h, 100, &waited));
    EXPECT_EQ(100u, waited);
    EXPECT_EQ(0, o.irq(d->h));
    ASSERT_EQ(KG_BE_OK, o.step(d->h, 7));
    EXPECT_EQ(t0 + 107, o.cycles(d->h));
    // The HAL bound through the table drives the same handle.
    kg_hal hal{};
    o.hal_bind(d->h, &hal);
    EXPECT_EQ(KG_RST_ID, hal.reg_read32(hal.ctx, KG_REG_ID));
    EXPECT_EQ(KG_BE_OK, o.reset(d->h));
  }
}

TEST(BackendOps, RangeFaultEndsTheLayerWithBusErrorOnBoth) {
  auto rtl = open(kgsim_ops, 0, 0);
  ASSERT_TRUE(rtl);
  auto mod = open(kgmodel_ops, kgsim_ops.rows(rtl->h), kgsim_ops.cols(rtl->h));
  ASSERT_TRUE(mod);
  for (Handle* d : {rtl.get(), mod.get()}) {
    SCOPED_TRACE(d->ops->name);
    const kg_backend_ops& o = *d->ops;
    const kg_backend_fault f{KG_BE_DIR_READ, 0x1000, 0x1040};
    EXPECT_EQ(KG_BE_EINVAL, o.set_fault(d->h, KG_BE_FAULT_SLOTS, &f));
    ASSERT_EQ(KG_BE_OK, o.set_fault(d->h, 1, &f));
    ASSERT_EQ(KG_BE_OK, o.reg_write32(d->h, KG_REG_IRQ_ENABLE, 0x3f));
    ASSERT_EQ(KG_BE_OK, o.reg_write32(d->h, KG_REG_DESC_ADDR, 0x1000));
    ASSERT_EQ(KG_BE_OK, o.reg_write32(d->h, KG_REG_CTRL, KG_CTRL_START_MASK));
    ASSERT_EQ(KG_BE_OK, o.run_until_irq(d->h, 100000, nullptr));
    uint32_t st = 0, irq = 0;
    ASSERT_EQ(KG_BE_OK, o.reg_read32(d->h, KG_REG_STATUS, &st));
    ASSERT_EQ(KG_BE_OK, o.reg_read32(d->h, KG_REG_IRQ_STATUS, &irq));
    EXPECT_EQ(KG_ERR_BUS, (st & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT);
    EXPECT_EQ(KG_IRQ_STATUS_BUS_ERR_MASK, irq);
    // Cleared, the same fetch reaches the (zeroed) descriptor: bad magic.
    ASSERT_EQ(KG_BE_OK, o.set_fault(d->h, 1, nullptr));
    ASSERT_EQ(KG_BE_OK, o.reg_write32(d->h, KG_REG_IRQ_STATUS, 0x3f));
    ASSERT_EQ(KG_BE_OK, o.reg_write32(d->h, KG_REG_CTRL, KG_CTRL_START_MASK));
    ASSERT_EQ(KG_BE_OK, o.run_until_irq(d->h, 100000, nullptr));
    ASSERT_EQ(KG_BE_OK, o.reg_read32(d->h, KG_REG_STATUS, &st));
    EXPECT_EQ(KG_ERR_BAD_MAGIC, (st & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT);
  }
}

}  // namespace
