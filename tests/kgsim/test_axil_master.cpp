// test_axil_master.cpp: the AXI4-Lite master against a C++ register slave
// with random READY and response delays, checking the master's side of the
// protocol every cycle.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "axil_master.hpp"

namespace {

using kgsimpp::AxilMaster;
using kgsimpp::AxilMasterSignals;
using kgsimpp::AxilSlaveSignals;

// Registers at 4-byte offsets below 0x100; others answer SLVERR (or DECERR
// at 0x800 and above). READY and response timing are random.
class Slave {
 public:
  explicit Slave(uint32_t seed, double p_ready) : rng_(seed), p_(p_ready) {}

  const AxilSlaveSignals& out() const { return o_; }

  // One clock edge with the master's outputs m (seen with o_ this cycle).
  void tick(const AxilMasterSignals& m) {
    check_master(m);
    const bool aw = m.awvalid && o_.awready, w = m.wvalid && o_.wready;
    const bool ar = m.arvalid && o_.arready;
    if (aw) {
      have_aw_ = true;
      awaddr_ = m.awaddr;
      aw_count++;
    }
    if (w) {
      have_w_ = true;
      wdata_ = m.wdata;
      wstrb_ = m.wstrb;
      w_count++;
    }
    if (o_.bvalid && m.bready) o_.bvalid = false;
    if (o_.rvalid && m.rready) o_.rvalid = false;
    if (have_aw_ && have_w_ && !o_.bvalid && b_delay_-- <= 0) {
      o_.bresp = resp(awaddr_);
      if (o_.bresp == 0) {
        uint32_t& r = regs_[awaddr_];
        for (int b = 0; b < 4; b++)
          if (wstrb_ >> b & 1) r = (r & ~(0xFFu << 8 * b)) | (wdata_ & 0xFFu << 8 * b);
      }
      o_.bvalid = true;
      have_aw_ = have_w_ = false;
      b_delay_ = static_cast<int>(rng_() % 4);
    }
    if (ar) {
      have_ar_ = true;
      araddr_ = m.araddr;
    }
    if (have_ar_ && !o_.rvalid && r_delay_-- <= 0) {
      o_.rresp = resp(araddr_);
      o_.rdata = o_.rresp == 0 ? regs_[araddr_] : 0xBADBADu;
      o_.rvalid = true;
      have_ar_ = false;
      r_delay_ = static_cast<int>(rng_() % 4);
    }
    o_.awready = !have_aw_ && coin();
    o_.wready = !have_w_ && coin();
    o_.arready = !have_ar_ && !o_.rvalid && coin();
    prev_ = m;
  }
  uint32_t reg(uint32_t a) { return regs_[a]; }
  int aw_count = 0, w_count = 0;

 private:
  static uint32_t resp(uint32_t a) { return a >= 0x800 ? 3u : (a < 0x100 && a % 4 == 0 ? 0u : 2u); }
  bool coin() { return std::uniform_real_distribution<double>(0, 1)(rng_) < p_; }
  // VALIDs held until taken, with stable payload; no BREADY/RREADY too early.
  void check_master(const AxilMasterSignals& m) {
    if (prev_.awvalid && !o_prev_aw_taken()) {
      EXPECT_TRUE(m.awvalid);
      EXPECT_EQ(m.awaddr, prev_.awaddr);
    }
    if (prev_.wvalid && !o_prev_w_taken()) {
      EXPECT_TRUE(m.wvalid);
      EXPECT_EQ(m.wdata, prev_.wdata);
      EXPECT_EQ(m.wstrb, prev_.wstrb);
    }
    if (prev_.arvalid && !o_prev_ar_taken()) {
      EXPECT_TRUE(m.arvalid);
      EXPECT_EQ(m.araddr, prev_.araddr);
    }
    if (m.bready) {
      EXPECT_FALSE(m.awvalid || m.wvalid);
    }
    if (m.rready) {
      EXPECT_FALSE(m.arvalid);
    }
    prev_o_ = o_;
  }
  bool o_prev_aw_taken() const { return prev_o_.awready; }
  bool o_prev_w_taken() const { return prev_o_.wready; }
  bool o_prev_ar_taken() const { return prev_o_.arready; }

  std::mt19937 rng_;
  double p_;
  AxilSlaveSignals o_, prev_o_;
  AxilMasterSignals prev_;
  bool have_aw_ = false, have_w_ = false, have_ar_ = false;
  uint32_t awaddr_ = 0, wdata_ = 0, wstrb_ = 0, araddr_ = 0;
  int b_delay_ = 0, r_delay_ = 0;
  std::map<uint32_t, uint32_t> regs_;
};

// Run the master until done; returns cycles, or -1 past the bound.
int run(AxilMaster& m, Slave& s, int bound = 1000) {
  for (int c = 0; c < bound; c++) {
    if (!m.busy()) return c;
    const AxilMasterSignals out = m.out();
    const AxilSlaveSignals in = s.out();
    s.tick(out);
    m.tick(in);
  }
  return m.busy() ? -1 : bound;
}

TEST(AxilMaster, RandomTimingWritesAndReads) {
  for (double p : {1.0, 0.5, 0.2}) {
    Slave s(static_cast<uint32_t>(p * 100), p);
    AxilMaster m;
    std::mt19937 g(3);
    std::map<uint32_t, uint32_t> model;
    for (int i = 0; i < 400; i++) {
      const uint32_t a = (g() % 80) * 4;  // some beyond 0x100: SLVERR
      if (g() % 2) {
        const uint32_t v = g(), strb = g() % 16;
        ASSERT_TRUE(m.start_write(a, v, strb));
        EXPECT_FALSE(m.start_read(a));  // one transaction at a time
        ASSERT_GT(run(m, s), 0);
        EXPECT_EQ(m.resp(), a < 0x100 ? 0u : 2u);
        if (a < 0x100)
          for (int b = 0; b < 4; b++)
            if (strb >> b & 1) model[a] = (model[a] & ~(0xFFu << 8 * b)) | (v & 0xFFu << 8 * b);
      } else {
        ASSERT_TRUE(m.start_read(a));
        ASSERT_GT(run(m, s), 0);
        EXPECT_EQ(m.resp(), a < 0x100 ? 0u : 2u);
        if (a < 0x100) {
          EXPECT_EQ(m.rdata(), model[a]) << std::hex << a;
        }
      }
      EXPECT_GE(m.last_cycles(), 2u);
    }
    EXPECT_EQ(s.aw_count, s.w_count);  // each write sent address and data once
  }
}

TEST(AxilMaster, DecodeErrorAndAbort) {
  Slave s(1, 1.0);
  AxilMaster m;
  ASSERT_TRUE(m.start_read(0x900));
  ASSERT_GT(run(m, s), 0);
  EXPECT_EQ(m.resp(), 3u);
  // A slave that never answers: the bound expires, abort drops every VALID.
  Slave dead(2, 0.0);
  ASSERT_TRUE(m.start_write(0x10, 1));
  EXPECT_EQ(run(m, dead, 50), -1);
  m.abort();
  EXPECT_FALSE(m.busy());
  EXPECT_FALSE(m.out().awvalid || m.out().wvalid || m.out().arvalid);
  EXPECT_TRUE(m.start_read(0x10));
}

}  // namespace
