// test_kgsim_api.cpp: the libkgsim C API end to end over kgsim_axi_exerciser
// (tests/kgsim/rtl), a Verilog AXI master with kg_top's ports, built as a
// libkgsim library at 4x4 with kg_add_kgsim_lib.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kgsim.h"
#include "kgsim_hal.h"
#include "Vkgsim_exerciser.h"
#include "Vkgsim_exerciser___024root.h"
#include "kgsim_sim.hpp"
#include "verilated.h"  // for VM_TRACE

namespace {

// Exerciser CSRs (see the header of kgsim_axi_exerciser.v).
enum : uint32_t {
  ID = 0x000, GEOM = 0x004, CTRL = 0x008, STATUS = 0x00C, IRQ_EN = 0x010, ADDR = 0x014,
  NBURSTS = 0x018, BURSTLEN = 0x01C, MAXOUT = 0x020, SUM = 0x024, CYCLES = 0x028,
  SEED = 0x02C, SCRATCH = 0x030, RDELAY = 0x034, AXSIZE = 0x038, BEATS = 0x03C
};
enum : uint32_t { ST_BUSY = 1, ST_DONE = 2, ST_ERR = 4, ST_SEQ = 8 };

struct Deleter {
  void operator()(kgsim* s) const { kgsim_destroy(s); }
};
using Sim = std::unique_ptr<kgsim, Deleter>;

Sim make(const kgsim_config& c) {
  char err[256] = "";
  Sim s(kgsim_create(&c, err, sizeof err));
  EXPECT_TRUE(s) << err;
  return s;
}
kgsim_config small_cfg() {
  kgsim_config c = kgsim_config_default();
  c.dram.size = 4u << 20;
  return c;
}

uint32_t rd(kgsim* s, uint32_t off) {
  uint32_t v = 0;
  EXPECT_EQ(kgsim_reg_read32(s, off, &v), KGSIM_OK) << kgsim_last_error(s);
  return v;
}
void wr(kgsim* s, uint32_t off, uint32_t v) {
  EXPECT_EQ(kgsim_reg_write32(s, off, v), KGSIM_OK) << kgsim_last_error(s);
}

struct Job {
  bool write;
  uint32_t addr, nbursts, len, maxout, seed = 0;
};
// Program and run one exerciser job to its interrupt; returns STATUS.
uint32_t run_job(kgsim* s, const Job& j, uint64_t bound = 2000000) {
  wr(s, IRQ_EN, 1);
  wr(s, ADDR, j.addr);
  wr(s, NBURSTS, j.nbursts);
  wr(s, BURSTLEN, j.len);
  wr(s, MAXOUT, j.maxout);
  wr(s, SEED, j.seed);
  wr(s, CTRL, j.write ? 3u : 1u);
  uint64_t waited = 0;
  EXPECT_EQ(kgsim_run_until_irq(s, bound, &waited), KGSIM_OK) << kgsim_last_error(s);
  const uint32_t st = rd(s, STATUS);
  wr(s, STATUS, ST_DONE | ST_ERR | ST_SEQ);  // clear, drops irq
  EXPECT_EQ(kgsim_irq(s), 0);
  return st;
}

std::vector<uint8_t> random_bytes(size_t n, uint32_t seed) {
  std::mt19937 g(seed);
  std::vector<uint8_t> v(n);
  for (auto& b : v) b = static_cast<uint8_t>(g());
  return v;
}
uint32_t word_sum(const std::vector<uint8_t>& v) {
  uint32_t s = 0;
  for (size_t i = 0; i + 3 < v.size(); i += 4)
    s += uint32_t(v[i]) | uint32_t(v[i + 1]) << 8 | uint32_t(v[i + 2]) << 16 |
         uint32_t(v[i + 3]) << 24;
  return s;
}

TEST(KgsimApi, CreateResetAndGeometry) {
  Sim s = make(kgsim_config_default());
  ASSERT_TRUE(s);
  EXPECT_EQ(kgsim_cycles(s.get()), 4u);  // reset_cycles
  EXPECT_EQ(kgsim_rows(s.get()), 4u);
  EXPECT_EQ(kgsim_cols(s.get()), 4u);
  EXPECT_EQ(rd(s.get(), ID), 0x4B475845u);
  EXPECT_EQ(rd(s.get(), GEOM), (4u << 16) | 4u);
  EXPECT_EQ(rd(s.get(), AXSIZE), 4u);
  EXPECT_STREQ(kgsim_last_error(s.get()), "");
}

TEST(KgsimApi, InvalidConfigRejectedWithReason) {
  kgsim_config c = kgsim_config_default();
  c.dram.max_reads = 0;
  char err[200];
  EXPECT_EQ(kgsim_create(&c, err, sizeof err), nullptr);
  EXPECT_NE(std::string(err).find("max_reads"), std::string::npos) << err;
  EXPECT_NE(std::string(kgsim_last_error(nullptr)).find("max_reads"), std::string::npos);
  c = kgsim_config_default();
  c.reg_timeout_cycles = 0;
  EXPECT_EQ(kgsim_create(&c, nullptr, 0), nullptr);
  c = kgsim_config_default();
  c.dram.fault.mode = KGSIM_FAULT_RANGE;  // empty range
  c.dram.fault.dirs = KGSIM_DIR_READ;
  c.dram.fault.resp = KGSIM_RESP_SLVERR;
  EXPECT_EQ(kgsim_create(&c, err, 8), nullptr);
  EXPECT_EQ(std::strlen(err), 7u);  // truncated to errlen
}

TEST(KgsimApi, RegisterAccessAndErrors) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  wr(k, SCRATCH, 0xDEADBEEF);
  EXPECT_EQ(rd(k, SCRATCH), 0xDEADBEEFu);
  uint32_t v = 123;
  const uint64_t c0 = kgsim_cycles(k);
  EXPECT_EQ(kgsim_reg_read32(k, 0x002, &v), KGSIM_ERANGE);
  EXPECT_EQ(kgsim_reg_read32(k, 0x1000, &v), KGSIM_ERANGE);
  EXPECT_EQ(kgsim_reg_write32(k, 0x1003, 0), KGSIM_ERANGE);
  EXPECT_EQ(kgsim_cycles(k), c0);  // rejected before touching the bus
  EXPECT_EQ(v, 123u);
  EXPECT_EQ(kgsim_reg_read32(k, 0x400, &v), KGSIM_ESLVERR);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("0x400"), std::string::npos);
  EXPECT_EQ(kgsim_reg_write32(k, 0x024, 1), KGSIM_ESLVERR);  // SUM is read-only
  EXPECT_EQ(kgsim_reg_read32(k, SCRATCH, nullptr), KGSIM_EINVAL);
  EXPECT_EQ(kgsim_reg_read32(nullptr, SCRATCH, &v), KGSIM_EINVAL);
  // An AXI4-Lite transaction is several cycles; with RDELAY it is longer.
  uint64_t t = kgsim_cycles(k);
  rd(k, SCRATCH);
  const uint64_t fast = kgsim_cycles(k) - t;
  wr(k, RDELAY, 20);
  t = kgsim_cycles(k);
  rd(k, SCRATCH);
  EXPECT_EQ(kgsim_cycles(k) - t, fast + 20);
  EXPECT_GE(fast, 2u);
}

TEST(KgsimApi, CsrTimeoutThenResetRecovers) {
  kgsim_config c = small_cfg();
  c.reg_timeout_cycles = 100;
  Sim s = make(c);
  kgsim* k = s.get();
  wr(k, RDELAY, 200);
  uint32_t v = 0;
  const uint64_t t0 = kgsim_cycles(k);
  EXPECT_EQ(kgsim_reg_read32(k, ID, &v), KGSIM_ETIMEOUT);
  EXPECT_EQ(kgsim_cycles(k) - t0, 100u);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("100 cycles"), std::string::npos);
  EXPECT_EQ(kgsim_reg_write32(k, SCRATCH, 1), KGSIM_ETIMEOUT);
  ASSERT_EQ(kgsim_reset(k), KGSIM_OK);
  EXPECT_EQ(rd(k, ID), 0x4B475845u);
  EXPECT_EQ(rd(k, RDELAY), 0u);
}

TEST(KgsimApi, BackdoorMemory) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  std::vector<uint8_t> v = random_bytes(1000, 1), back(1000);
  EXPECT_EQ(kgsim_mem_write(k, 0x3FFC00, v.data(), 1000), KGSIM_OK);
  EXPECT_EQ(kgsim_mem_read(k, 0x3FFC00, back.data(), 1000), KGSIM_OK);
  EXPECT_EQ(v, back);
  EXPECT_EQ(kgsim_mem_write(k, 0x3FFC00, v.data(), 1025), KGSIM_ERANGE);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("outside DRAM"), std::string::npos);
  EXPECT_EQ(kgsim_mem_read(k, ~0ull, back.data(), 1), KGSIM_ERANGE);
  EXPECT_EQ(kgsim_mem_read(k, 0, nullptr, 1), KGSIM_EINVAL);
  EXPECT_EQ(kgsim_mem_read(k, 0, nullptr, 0), KGSIM_OK);
}

TEST(KgsimApi, DmaReadAndWriteThroughRtl) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  const std::vector<uint8_t> data = random_bytes(64 * 1024, 7);
  ASSERT_EQ(kgsim_mem_write(k, 0x10000, data.data(), data.size()), KGSIM_OK);
  // 64 KiB in 16 bursts of 256 beats, 8 outstanding.
  EXPECT_EQ(run_job(k, {false, 0x10000, 16, 255, 8}), ST_DONE);
  EXPECT_EQ(rd(k, SUM), word_sum(data));
  EXPECT_EQ(rd(k, BEATS), 4096u);
  // Write 40 bursts of 4 beats with the address pattern.
  EXPECT_EQ(run_job(k, {true, 0x200000, 40, 3, 4, 0x1000}), ST_DONE);
  std::vector<uint32_t> m(40 * 16);
  ASSERT_EQ(kgsim_mem_read(k, 0x200000, m.data(), m.size() * 4), KGSIM_OK);
  for (uint32_t i = 0; i < m.size(); i++)
    ASSERT_EQ(m[i], 0x200000u + (i / 4) * 16 + 0x1000 + (i % 4)) << i;
  kgsim_stats st;
  ASSERT_EQ(kgsim_dram_stats(k, &st), KGSIM_OK);
  EXPECT_EQ(st.bytes_read, 64u * 1024);
  EXPECT_EQ(st.bytes_written, 40u * 64);
  EXPECT_EQ(st.read_txns, 16u);
  EXPECT_EQ(st.write_txns, 40u);
  EXPECT_EQ(st.max_reads_seen, 8u);
  EXPECT_EQ(st.max_writes_seen, 4u);
  EXPECT_EQ(st.protocol_errors, 0u);
  ASSERT_EQ(kgsim_dram_stats_clear(k), KGSIM_OK);
  ASSERT_EQ(kgsim_dram_stats(k, &st), KGSIM_OK);
  EXPECT_EQ(st.read_txns, 0u);
}

// Read latency seen by RTL: one single-beat burst takes exactly
// read_latency more cycles when read_latency grows.
TEST(KgsimApi, LatencyVisibleToRtl) {
  uint32_t cyc[2];
  const uint32_t lat[2] = {10, 73};
  for (int i = 0; i < 2; i++) {
    kgsim_config c = small_cfg();
    c.dram.read_latency = lat[i];
    Sim s = make(c);
    EXPECT_EQ(run_job(s.get(), {false, 0, 1, 0, 1}), ST_DONE);
    cyc[i] = rd(s.get(), CYCLES);
  }
  EXPECT_EQ(cyc[1] - cyc[0], lat[1] - lat[0]);
}

// A long stream through RTL: cycles from start to done are the beats at the
// configured rate plus one latency (and a few cycles of the exerciser).
TEST(KgsimApi, BandwidthVisibleToRtl) {
  for (double bw : {16.0, 8.0}) {
    kgsim_config c = small_cfg();
    c.dram.bytes_per_cycle = bw;
    Sim s = make(c);
    EXPECT_EQ(run_job(s.get(), {false, 0, 64, 255, 64}), ST_DONE);
    const double beats = 64 * 256, cycles = rd(s.get(), CYCLES);
    const double ideal = beats * 16 / bw + c.dram.read_latency;
    // (The first beat needs no bandwidth credit: ideal - 1 at bw < 16.)
    EXPECT_GE(cycles, ideal - 1);
    EXPECT_LE(cycles, ideal + 4) << "bw " << bw;
    EXPECT_GE(beats * 16 / (cycles - c.dram.read_latency), 0.99 * bw);
    // Writes: W beats at the rate; the last B one write latency after its AW at most.
    EXPECT_EQ(run_job(s.get(), {true, 0x100000, 64, 255, 64}), ST_DONE);
    const double wcycles = rd(s.get(), CYCLES);
    EXPECT_GE(beats * 16 / wcycles, 0.99 * bw) << wcycles;
  }
}

TEST(KgsimApi, FaultsReachRtlAndNeverHang) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  const std::vector<uint8_t> pre = random_bytes(0x8000, 3);
  ASSERT_EQ(kgsim_mem_write(k, 0, pre.data(), pre.size()), KGSIM_OK);
  kgsim_fault f{KGSIM_FAULT_RANGE, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0x2000, 0x2100, 0};
  ASSERT_EQ(kgsim_set_fault(k, 0, &f), KGSIM_OK);
  uint32_t st = run_job(k, {false, 0, 8, 255, 4});
  EXPECT_EQ(st, ST_DONE | ST_ERR | (KGSIM_RESP_SLVERR << 4));
  // Write DECERR on the 3rd write burst: memory of that burst unchanged.
  f = {KGSIM_FAULT_NTH, KGSIM_DIR_WRITE, KGSIM_RESP_DECERR, 0, 0, 3};
  ASSERT_EQ(kgsim_set_fault(k, 1, &f), KGSIM_OK);
  st = run_job(k, {true, 0, 8, 15, 2, 0x55});
  EXPECT_EQ(st, ST_DONE | ST_ERR | (KGSIM_RESP_DECERR << 4));
  std::vector<uint32_t> m(0x800 / 4);
  ASSERT_EQ(kgsim_mem_read(k, 0, m.data(), 0x800), KGSIM_OK);
  for (uint32_t i = 0; i < m.size(); i++) {
    uint32_t want = (i / 4) * 16 + 0x55 + (i % 4);
    if (i * 4 >= 0x200 && i * 4 < 0x300) std::memcpy(&want, &pre[i * 4], 4);
    ASSERT_EQ(m[i], want) << std::hex << i * 4;
  }
  kgsim_stats ds;
  ASSERT_EQ(kgsim_dram_stats(k, &ds), KGSIM_OK);
  EXPECT_EQ(ds.faults_injected, 2u);
  // Clear both; clean runs again.
  ASSERT_EQ(kgsim_set_fault(k, 0, nullptr), KGSIM_OK);
  ASSERT_EQ(kgsim_set_fault(k, 1, nullptr), KGSIM_OK);
  EXPECT_EQ(run_job(k, {false, 0, 8, 255, 4}), ST_DONE);
  // Bad specs.
  f = {KGSIM_FAULT_RANGE, KGSIM_DIR_READ, KGSIM_RESP_OKAY, 0, 16, 0};
  EXPECT_EQ(kgsim_set_fault(k, 0, &f), KGSIM_EINVAL);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("resp"), std::string::npos);
  EXPECT_EQ(kgsim_set_fault(k, KGSIM_FAULT_SLOTS, nullptr), KGSIM_EINVAL);
}

TEST(KgsimApi, OutOfRangeAndProtocolErrorsReachRtl) {
  kgsim_config c = small_cfg();
  Sim s = make(c);
  kgsim* k = s.get();
  EXPECT_EQ(run_job(k, {false, 0x400000, 1, 0, 1}),
            ST_DONE | ST_ERR | (KGSIM_RESP_DECERR << 4));
  wr(k, AXSIZE, 3);
  EXPECT_EQ(run_job(k, {false, 0, 1, 0, 1}), ST_DONE | ST_ERR | (KGSIM_RESP_SLVERR << 4));
  wr(k, AXSIZE, 4);
  EXPECT_EQ(run_job(k, {false, 0xF00, 2, 15, 1}), ST_DONE);  // 0xF00 and 0x1000
  EXPECT_EQ(run_job(k, {false, 0xF80, 1, 15, 1}), ST_DONE | ST_ERR | (KGSIM_RESP_SLVERR << 4));
  kgsim_stats ds;
  ASSERT_EQ(kgsim_dram_stats(k, &ds), KGSIM_OK);
  EXPECT_EQ(ds.protocol_errors, 2u);
  EXPECT_EQ(ds.decerr_txns, 1u);
  EXPECT_NE(std::string(kgsim_dram_protocol_error(k)).find("size 3"), std::string::npos)
      << kgsim_dram_protocol_error(k);
}

TEST(KgsimApi, StallsChangeCyclesNotResults) {
  const std::vector<uint8_t> data = random_bytes(64 * 32 * 16, 9);
  uint32_t sums[3], cycles[3];
  std::vector<uint8_t> written[3];
  for (int i = 0; i < 3; i++) {
    kgsim_config c = small_cfg();
    if (i > 0) {
      c.dram.p_stall_ar = c.dram.p_stall_aw = c.dram.p_stall_w = 0.25;
      c.dram.p_gap_r = c.dram.p_gap_b = 0.25;
      c.dram.seed = 100 + i;
    }
    Sim s = make(c);
    kgsim* k = s.get();
    ASSERT_EQ(kgsim_mem_write(k, 0, data.data(), data.size()), KGSIM_OK);
    EXPECT_EQ(run_job(k, {false, 0, 64, 31, 16}), ST_DONE);
    sums[i] = rd(k, SUM);
    cycles[i] = rd(k, CYCLES);
    EXPECT_EQ(run_job(k, {true, 0x100000, 64, 31, 16, uint32_t(77)}), ST_DONE);
    cycles[i] += rd(k, CYCLES);
    written[i].resize(64 * 32 * 16);
    ASSERT_EQ(kgsim_mem_read(k, 0x100000, written[i].data(), written[i].size()), KGSIM_OK);
  }
  EXPECT_EQ(sums[0], word_sum(data));
  for (int i = 1; i < 3; i++) {
    EXPECT_EQ(sums[i], sums[0]);
    EXPECT_EQ(written[i], written[0]);
    EXPECT_GT(cycles[i], cycles[0]);
  }
  EXPECT_NE(cycles[1], cycles[2]);
}

// The exerciser gives each burst its own ID and expects them back in issue
// order, so it notices (ST_SEQ) when p_reorder returns them out of order.
TEST(KgsimApi, ReorderReachesRtl) {
  for (double p : {0.0, 0.5}) {
    kgsim_config c = small_cfg();
    c.dram.p_reorder = p;
    c.dram.p_gap_b = 0.5;
    Sim s = make(c);
    const uint32_t seq = p > 0 ? uint32_t(ST_SEQ) : 0u;
    EXPECT_EQ(run_job(s.get(), {false, 0, 64, 3, 8}), ST_DONE | seq) << p;
    EXPECT_EQ(run_job(s.get(), {true, 0, 64, 3, 8}), ST_DONE | seq) << p;
  }
}

TEST(KgsimApi, RunUntilIrqAndStep) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  uint64_t waited = 99;
  EXPECT_EQ(kgsim_run_until_irq(k, 50, &waited), KGSIM_ETIMEOUT);
  EXPECT_EQ(waited, 50u);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("no interrupt"), std::string::npos);
  const uint64_t c0 = kgsim_cycles(k);
  EXPECT_EQ(kgsim_step(k, 123), KGSIM_OK);
  EXPECT_EQ(kgsim_cycles(k), c0 + 123);
  wr(k, IRQ_EN, 1);
  wr(k, CTRL, 1);  // zero bursts: done at once
  EXPECT_EQ(kgsim_run_until_irq(k, 10, &waited), KGSIM_OK);
  EXPECT_EQ(kgsim_run_until_irq(k, 10, &waited), KGSIM_OK);  // level: still high
  EXPECT_EQ(waited, 0u);
  EXPECT_EQ(kgsim_run_until_irq(k, 10, nullptr), KGSIM_OK);
  wr(k, IRQ_EN, 0);
  EXPECT_EQ(kgsim_irq(k), 0);
}

TEST(KgsimApi, Trace) {
  Sim s = make(small_cfg());
  kgsim* k = s.get();
  const std::string path = ::testing::TempDir() + "kgsim_trace_test.fst";
  std::remove(path.c_str());
#if VM_TRACE
  ASSERT_EQ(kgsim_trace_open(k, path.c_str()), KGSIM_OK) << kgsim_last_error(k);
  rd(k, ID);
  EXPECT_EQ(kgsim_trace_close(k), KGSIM_OK);
  FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::fseek(f, 0, SEEK_END);
  EXPECT_GT(std::ftell(f), 100);
  std::fclose(f);
  EXPECT_EQ(kgsim_trace_open(k, "/nonexistent-dir/x.fst"), KGSIM_EIO);
#else
  EXPECT_EQ(kgsim_trace_open(k, path.c_str()), KGSIM_ENOTSUP);
  EXPECT_NE(std::string(kgsim_last_error(k)).find("KG_TRACE"), std::string::npos);
  EXPECT_EQ(kgsim_trace_close(k), KGSIM_ENOTSUP);
#endif
  EXPECT_EQ(kgsim_trace_open(k, nullptr), KGSIM_EINVAL);
}

TEST(KgsimApi, HalBinding) {
  Sim s = make(small_cfg());
  kg_hal hal{};
  kgsim_hal_bind(s.get(), &hal);
  EXPECT_EQ(hal.reg_read32(hal.ctx, ID), 0x4B475845u);
  hal.reg_write32(hal.ctx, SCRATCH, 0x1234);
  EXPECT_EQ(hal.reg_read32(hal.ctx, SCRATCH), 0x1234u);
  const unsigned long e0 = kgsim_hal_errors();
  EXPECT_EQ(hal.reg_read32(hal.ctx, 0x800), 0xFFFFFFFFu);
  hal.reg_write32(hal.ctx, 0x801, 1);
  EXPECT_EQ(kgsim_hal_errors(), e0 + 2);
  uint8_t b[4] = {9, 8, 7, 6}, o[4] = {};
  EXPECT_EQ(hal.mem_write(hal.ctx, 0x40, b, 4), 0);
  EXPECT_EQ(hal.mem_read(hal.ctx, 0x40, o, 4), 0);
  EXPECT_EQ(0, std::memcmp(b, o, 4));
  EXPECT_EQ(hal.mem_write(hal.ctx, 4u << 20, b, 1), -1);
  EXPECT_EQ(hal.wait_irq(hal.ctx, 30), -1);
  hal.reg_write32(hal.ctx, IRQ_EN, 1);
  hal.reg_write32(hal.ctx, NBURSTS, 2);
  hal.reg_write32(hal.ctx, CTRL, 1);
  EXPECT_EQ(hal.wait_irq(hal.ctx, 1000), 0);
}

// C++ tests reach the Verilated model, ports and public internals.
TEST(KgsimApi, ModelOfGivesInternalSignals) {
  Sim s = make(small_cfg());
  Vkgsim_exerciser* m = kgsimpp::model_of<Vkgsim_exerciser>(s.get());
  ASSERT_NE(m, nullptr);
  wr(s.get(), SCRATCH, 0xC0FFEE11);
  EXPECT_EQ(m->rootp->kgsim_axi_exerciser__DOT__scratch, 0xC0FFEE11u);
  EXPECT_EQ(m->irq, 0);
  wr(s.get(), IRQ_EN, 1);
  wr(s.get(), CTRL, 1);
  EXPECT_EQ(kgsim_step(s.get(), 2), KGSIM_OK);
  EXPECT_EQ(m->irq, 1);
  EXPECT_EQ(kgsimpp::model_of<Vkgsim_exerciser>(nullptr), nullptr);
}

// Several handles alive at once, used in turn, destroyed in any order.
TEST(KgsimApi, SeveralHandlesAtOnce) {
  for (int order = 0; order < 2; order++) {
    Sim a = make(small_cfg()), b = make(small_cfg()), c = make(small_cfg());
    wr(a.get(), SCRATCH, 1);
    wr(b.get(), SCRATCH, 2);
    wr(c.get(), SCRATCH, 3);
    EXPECT_EQ(rd(a.get(), SCRATCH), 1u);
    EXPECT_EQ(kgsimpp::model_of<Vkgsim_exerciser>(b.get())->rootp->kgsim_axi_exerciser__DOT__scratch,
              2u);
    if (order == 0) {
      a.reset();  // oldest first
      EXPECT_EQ(rd(c.get(), SCRATCH), 3u);
      b.reset();
    } else {
      c.reset();  // newest first
      EXPECT_EQ(rd(a.get(), SCRATCH), 1u);
      b.reset();
      Sim d = make(small_cfg());
      EXPECT_EQ(rd(d.get(), SCRATCH), 0u);
    }
  }
}

// Distinct handles in distinct threads, at the same time (kgsim.h promises it).
TEST(KgsimApi, HandlesInParallelThreads) {
  uint32_t want[2] = {0, 0};
  int good[2] = {0, 0};  // jobs with the right sum, of 20 each
  auto work = [&](int i) {
    const std::vector<uint8_t> data = random_bytes(32 * 1024, 50 + i);
    want[i] = word_sum(data);
    kgsim_config c = small_cfg();
    c.dram.p_gap_r = 0.1 * i;
    kgsim* s = kgsim_create(&c, nullptr, 0);
    if (!s) return;
    uint32_t v = 0;
    kgsim_mem_write(s, 0, data.data(), data.size());
    kgsim_reg_write32(s, IRQ_EN, 1);
    kgsim_reg_write32(s, NBURSTS, 8);
    kgsim_reg_write32(s, BURSTLEN, 255);
    kgsim_reg_write32(s, MAXOUT, 4);
    for (int rep = 0; rep < 20; rep++) {
      kgsim_reg_write32(s, STATUS, ST_DONE);
      kgsim_reg_write32(s, CTRL, 1);
      if (kgsim_run_until_irq(s, 100000, nullptr) != KGSIM_OK) break;
      if (kgsim_reg_read32(s, SUM, &v) != KGSIM_OK || v != want[i]) break;
      good[i]++;
    }
    kgsim_destroy(s);
  };
  std::thread t0(work, 0), t1(work, 1);
  t0.join();
  t1.join();
  EXPECT_EQ(good[0], 20);
  EXPECT_EQ(good[1], 20);
  EXPECT_NE(want[0], want[1]);
}

TEST(KgsimApi, StrerrorCoversEveryCode) {
  const int codes[] = {KGSIM_OK,      KGSIM_EINVAL,  KGSIM_ENOMEM,  KGSIM_ERANGE, KGSIM_ETIMEOUT,
                       KGSIM_ESLVERR, KGSIM_EDECERR, KGSIM_ENOTSUP, KGSIM_EIO};
  std::vector<std::string> seen;
  for (int c : codes) {
    std::string m = kgsim_strerror(c);
    EXPECT_EQ(m.find("unknown"), std::string::npos) << c;
    for (const auto& x : seen) EXPECT_NE(x, m);
    seen.push_back(m);
  }
  EXPECT_NE(std::string(kgsim_strerror(-99)).find("unknown"), std::string::npos);
}

}  // namespace
