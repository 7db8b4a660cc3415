// test_axi_dram.cpp: the libkgsim DRAM model against a C++ AXI4 master.
//
// The Bench below is an AXI4 master with queues of AR, AW and W to issue; it
// records the cycle of every handshake and checks the slave's side of the
// protocol every cycle (VALID held until READY, payload stable meanwhile).
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <functional>
#include <random>
#include <vector>

#include "axi_dram.hpp"

namespace {

using kgsimpp::AxiDram;
using kgsimpp::AxiMasterSignals;
using kgsimpp::AxiSlaveSignals;
using kgsimpp::kBeatBytes;

kgsim_dram_config cfg_default() {
  kgsim_dram_config c{};
  c.size = 1u << 20;
  c.read_latency = 50;
  c.write_latency = 50;
  c.bytes_per_cycle = 16.0;
  c.max_reads = 64;
  c.max_writes = 64;
  c.seed = 1;
  return c;
}

struct Addr {
  uint32_t id, addr, len, size = 4, burst = 1;
};
struct WIn {
  uint8_t data[kBeatBytes];
  uint32_t strb;
  bool last;
};
struct RBeat {
  uint64_t cyc;
  uint32_t id, resp;
  bool last;
  uint8_t data[kBeatBytes];
};
struct BResp {
  uint64_t cyc;
  uint32_t id, resp;
};

class Bench {
 public:
  explicit Bench(const kgsim_dram_config& c) : d(c), cfg(c), rng(c.seed + 77) {}

  void read(uint32_t id, uint32_t addr, uint32_t len) { ar_q.push_back({id, addr, len}); }
  // AW plus its beats; data of beat i, byte b = f(addr + 16 i + b).
  void write(uint32_t id, uint32_t addr, uint32_t len, uint8_t salt, bool send_w = true) {
    aw_q.push_back({id, addr, len});
    if (send_w) add_wbeats(addr, len, salt);
  }
  void add_wbeats(uint32_t addr, uint32_t len, uint8_t salt) {
    for (uint32_t i = 0; i <= len; i++) {
      WIn w;
      for (unsigned b = 0; b < kBeatBytes; b++) w.data[b] = pattern(addr + 16 * i + b, salt);
      w.strb = 0xFFFF;
      w.last = i == len;
      w_q.push_back(w);
    }
  }
  static uint8_t pattern(uint32_t a, uint8_t salt) {
    return static_cast<uint8_t>((a * 2654435761u) >> 24 ^ salt);
  }

  void step() {
    const AxiSlaveSignals o = d.out();
    check_slave(o);
    AxiMasterSignals m;
    if (!ar_q.empty()) {
      const Addr& a = ar_q.front();
      m.arvalid = true;
      m.arid = a.id;
      m.araddr = a.addr;
      m.arlen = a.len;
      m.arsize = a.size;
      m.arburst = a.burst;
    }
    if (!aw_q.empty() && cyc >= aw_hold_until) {
      const Addr& a = aw_q.front();
      m.awvalid = true;
      m.awid = a.id;
      m.awaddr = a.addr;
      m.awlen = a.len;
      m.awsize = a.size;
      m.awburst = a.burst;
    }
    if (!w_q.empty()) {
      m.wvalid = true;
      std::memcpy(m.wdata, w_q.front().data, kBeatBytes);
      m.wstrb = w_q.front().strb;
      m.wlast = w_q.front().last;
    }
    m.rready = p_rready >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng) < p_rready;
    m.bready = p_bready >= 1.0 || std::uniform_real_distribution<double>(0, 1)(rng) < p_bready;

    // The model never holds more than its limits, and says so on AR/AWREADY.
    EXPECT_LE(reads_out, cfg.max_reads);
    EXPECT_LE(writes_out, cfg.max_writes);
    if (reads_out == cfg.max_reads) {
      EXPECT_FALSE(o.arready) << "cycle " << cyc;
    }
    if (writes_out == cfg.max_writes) {
      EXPECT_FALSE(o.awready) << "cycle " << cyc;
    }
    max_reads_out = std::max(max_reads_out, reads_out);
    max_writes_out = std::max(max_writes_out, writes_out);

    d.tick(m);

    if (m.arvalid && o.arready) {
      ar_acc.push_back(cyc);
      ar_q.pop_front();
      reads_out++;
    }
    if (m.awvalid && o.awready) {
      aw_acc.push_back(cyc);
      aw_q.pop_front();
      writes_out++;
    }
    if (m.wvalid && o.wready) w_q.pop_front();
    if (o.rvalid && m.rready) {
      RBeat r;
      r.cyc = cyc;
      r.id = o.rid;
      r.resp = o.rresp;
      r.last = o.rlast;
      std::memcpy(r.data, o.rdata, kBeatBytes);
      rbeats.push_back(r);
      if (o.rlast) reads_out--;
    }
    if (o.bvalid && m.bready) {
      bs.push_back({cyc, o.bid, o.bresp});
      writes_out--;
    }
    prev = o;
    prev_r_fire = o.rvalid && m.rready;
    prev_b_fire = o.bvalid && m.bready;
    cyc++;
  }

  bool idle() const {
    return ar_q.empty() && aw_q.empty() && w_q.empty() && reads_out == 0 && writes_out == 0;
  }
  // Step until idle; false if max cycles pass first.
  bool run(uint64_t max = 1000000) {
    for (uint64_t i = 0; i < max; i++) {
      if (idle()) return true;
      step();
    }
    return idle();
  }

  AxiDram d;
  kgsim_dram_config cfg;
  std::mt19937_64 rng;
  std::deque<Addr> ar_q, aw_q;
  std::deque<WIn> w_q;
  double p_rready = 1.0, p_bready = 1.0;
  uint64_t aw_hold_until = 0;
  uint64_t cyc = 0;
  uint32_t reads_out = 0, writes_out = 0, max_reads_out = 0, max_writes_out = 0;
  std::vector<uint64_t> ar_acc, aw_acc;
  std::vector<RBeat> rbeats;
  std::vector<BResp> bs;

 private:
  // AXI rule for the slave: a VALID that was not taken stays, unchanged.
  void check_slave(const AxiSlaveSignals& o) {
    if (cyc == 0) return;
    if (prev.rvalid && !prev_r_fire) {
      EXPECT_TRUE(o.rvalid) << "RVALID dropped without handshake, cycle " << cyc;
      EXPECT_EQ(0, std::memcmp(o.rdata, prev.rdata, kBeatBytes)) << "cycle " << cyc;
      EXPECT_EQ(o.rid, prev.rid);
      EXPECT_EQ(o.rresp, prev.rresp);
      EXPECT_EQ(o.rlast, prev.rlast);
    }
    if (prev.bvalid && !prev_b_fire) {
      EXPECT_TRUE(o.bvalid) << "BVALID dropped without handshake, cycle " << cyc;
      EXPECT_EQ(o.bid, prev.bid);
      EXPECT_EQ(o.bresp, prev.bresp);
    }
  }
  AxiSlaveSignals prev;
  bool prev_r_fire = false, prev_b_fire = false;
};

void fill(AxiDram& d, uint64_t addr, size_t n, uint8_t salt) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; i++) v[i] = Bench::pattern(static_cast<uint32_t>(addr + i), salt);
  ASSERT_TRUE(d.write(addr, v.data(), n));
}

std::vector<uint8_t> mem(const AxiDram& d, uint64_t addr, size_t n) {
  std::vector<uint8_t> v(n);
  EXPECT_TRUE(d.read(addr, v.data(), n));
  return v;
}

// Check the beats of one read burst starting at rbeats[first].
void expect_burst(const Bench& b, size_t first, uint32_t id, uint32_t addr, uint32_t len,
                  uint32_t resp, uint8_t salt) {
  ASSERT_GE(b.rbeats.size(), first + len + 1);
  for (uint32_t i = 0; i <= len; i++) {
    const RBeat& r = b.rbeats[first + i];
    EXPECT_EQ(r.id, id);
    EXPECT_EQ(r.resp, resp);
    EXPECT_EQ(r.last, i == len) << "beat " << i;
    for (unsigned k = 0; k < kBeatBytes; k++) {
      const uint8_t want = resp == 0 ? Bench::pattern(addr + 16 * i + k, salt) : 0;
      ASSERT_EQ(r.data[k], want) << "beat " << i << " byte " << k;
    }
  }
}

// ---------------------------------------------------------------- timing

class ReadLatency : public ::testing::TestWithParam<uint32_t> {};

TEST_P(ReadLatency, FirstBeatExactlyLatencyAfterAcceptance) {
  kgsim_dram_config c = cfg_default();
  c.read_latency = GetParam();
  Bench b(c);
  fill(b.d, 0x4000, 0x1000, 3);
  for (uint64_t i = 0; i < 5; i++) b.step();  // idle cycles first
  b.read(5, 0x4000, 7);
  b.read(9, 0x4100, 0);
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.ar_acc.size(), 2u);
  EXPECT_EQ(b.ar_acc[0], 5u);
  EXPECT_EQ(b.ar_acc[1], 6u);
  ASSERT_EQ(b.rbeats.size(), 9u);
  EXPECT_EQ(b.rbeats[0].cyc, b.ar_acc[0] + c.read_latency);
  for (size_t i = 1; i < b.rbeats.size(); i++)  // one beat a cycle, no gap
    EXPECT_EQ(b.rbeats[i].cyc, b.rbeats[0].cyc + i);
  expect_burst(b, 0, 5, 0x4000, 7, 0, 3);
  expect_burst(b, 8, 9, 0x4100, 0, 0, 3);
  EXPECT_EQ(b.d.stats().bytes_read, 9u * 16);
  EXPECT_EQ(b.d.stats().read_txns, 2u);
}

INSTANTIATE_TEST_SUITE_P(Latencies, ReadLatency, ::testing::Values(1u, 2u, 7u, 50u, 200u));

TEST(AxiDram, WriteResponseExactlyLatencyAfterAcceptance) {
  for (uint32_t wl : {1u, 4u, 50u}) {
    kgsim_dram_config c = cfg_default();
    c.write_latency = wl;
    Bench b(c);
    b.step();
    b.write(3, 0x2000, 3, 11);
    ASSERT_TRUE(b.run());
    ASSERT_EQ(b.aw_acc.size(), 1u);
    ASSERT_EQ(b.bs.size(), 1u);
    EXPECT_EQ(b.aw_acc[0], 1u);
    // Last W beat at cycle 4: B no earlier than cycle 5 and no earlier than AW + wl.
    EXPECT_EQ(b.bs[0].cyc, std::max<uint64_t>(b.aw_acc[0] + wl, 5)) << "wl " << wl;
    EXPECT_EQ(b.bs[0].id, 3u);
    EXPECT_EQ(b.bs[0].resp, 0u);
    std::vector<uint8_t> m = mem(b.d, 0x2000, 64);
    for (unsigned i = 0; i < 64; i++) ASSERT_EQ(m[i], Bench::pattern(0x2000 + i, 11));
    EXPECT_EQ(b.d.stats().bytes_written, 64u);
  }
}

TEST(AxiDram, WriteDataMayPrecedeAddress) {
  Bench b(cfg_default());
  b.aw_hold_until = 30;
  b.write(1, 0x3000, 15, 5);
  b.write(2, 0x3100, 1, 6);
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.bs.size(), 2u);
  EXPECT_EQ(b.aw_acc[0], 30u);
  EXPECT_EQ(b.bs[0].cyc, 30u + 50);
  EXPECT_EQ(b.bs[1].id, 2u);
  std::vector<uint8_t> m = mem(b.d, 0x3000, 0x120);
  for (unsigned i = 0; i < 0x100; i++) ASSERT_EQ(m[i], Bench::pattern(0x3000 + i, 5));
  for (unsigned i = 0x100; i < 0x120; i++) ASSERT_EQ(m[i], Bench::pattern(0x3000 + i, 6));
}

// Read and write streams at several bandwidths: at least 0.99 of the
// configured rate, and never more than it.
class Bandwidth : public ::testing::TestWithParam<double> {};

TEST_P(Bandwidth, LongReadStream) {
  const double bw = GetParam();
  for (uint32_t len : {255u, 3u}) {
    kgsim_dram_config c = cfg_default();
    c.bytes_per_cycle = bw;
    Bench b(c);
    const uint32_t bursts = len == 255 ? 48 : 2048;
    for (uint32_t i = 0; i < bursts; i++) b.read(i & 15, i * (len + 1) * 16, len);
    ASSERT_TRUE(b.run());
    const uint64_t beats = b.rbeats.size();
    ASSERT_EQ(beats, uint64_t(bursts) * (len + 1));
    const double span = double(b.rbeats.back().cyc - b.rbeats.front().cyc + 1);
    const double rate = double(beats) * 16 / span;
    EXPECT_GE(rate, 0.99 * bw) << "len " << len;
    EXPECT_LE(rate, bw + 16.0 / span) << "len " << len;
    // Never faster than bw over any window of 64 cycles.
    for (size_t i = 0; i + 1 < b.rbeats.size(); i++) {
      size_t j = i;
      while (j + 1 < b.rbeats.size() && b.rbeats[j + 1].cyc < b.rbeats[i].cyc + 64) j++;
      ASSERT_LE(double(j - i + 1) * 16, bw * 64 + 16) << "window at cycle " << b.rbeats[i].cyc;
      if (j + 1 == b.rbeats.size()) break;
    }
  }
}

TEST_P(Bandwidth, LongWriteStream) {
  const double bw = GetParam();
  kgsim_dram_config c = cfg_default();
  c.bytes_per_cycle = bw;
  Bench b(c);
  // Record the cycle of every W handshake through a second, instrumented run.
  const uint32_t bursts = 48;
  for (uint32_t i = 0; i < bursts; i++) b.write(i & 15, i * 4096, 255, 1);
  uint64_t first = 0, last = 0, n = 0;
  while (!b.idle() && b.cyc < 1000000) {
    const bool w_fire_possible = !b.w_q.empty() && b.d.out().wready;
    const uint64_t cyc = b.cyc;
    b.step();
    if (w_fire_possible) {
      if (n == 0) first = cyc;
      last = cyc;
      n++;
    }
  }
  ASSERT_TRUE(b.idle());
  ASSERT_EQ(n, bursts * 256u);
  const double rate = double(n) * 16 / double(last - first + 1);
  EXPECT_GE(rate, 0.99 * bw);
  EXPECT_LE(rate, bw + 16.0 / double(last - first + 1));
  EXPECT_EQ(b.d.stats().bytes_written, uint64_t(bursts) * 4096);
  std::vector<uint8_t> m = mem(b.d, 0, bursts * 4096);
  for (uint32_t i = 0; i < bursts * 4096; i++) ASSERT_EQ(m[i], Bench::pattern(i, 1));
}

INSTANTIATE_TEST_SUITE_P(Rates, Bandwidth, ::testing::Values(16.0, 12.0, 8.0, 4.0, 1.0));

TEST(AxiDram, OutstandingLimitsHonoured) {
  kgsim_dram_config c = cfg_default();
  c.max_reads = 4;
  c.max_writes = 3;
  Bench b(c);
  for (uint32_t i = 0; i < 40; i++) b.read(i & 15, 0x1000 + i * 16, 0);
  for (uint32_t i = 0; i < 30; i++) b.write(i & 15, 0x8000 + i * 64, 3, 9);
  ASSERT_TRUE(b.run());  // Bench checks the limit and the READY drop each cycle
  EXPECT_EQ(b.max_reads_out, 4u);
  EXPECT_EQ(b.max_writes_out, 3u);
  EXPECT_EQ(b.d.stats().max_reads_seen, 4u);
  EXPECT_EQ(b.d.stats().max_writes_seen, 3u);
  // With 4 in flight and latency 50, each group of 4 takes about 50 cycles.
  EXPECT_GE(b.rbeats.back().cyc, 9u * 50);
  ASSERT_EQ(b.rbeats.size(), 40u);
  for (uint32_t i = 0; i < 40; i++) EXPECT_EQ(b.rbeats[i].id, i & 15);
  ASSERT_EQ(b.bs.size(), 30u);
  for (uint32_t i = 0; i < 30; i++) EXPECT_EQ(b.bs[i].id, i & 15);
}

TEST(AxiDram, DefaultAllowsSixtyFourOutstanding) {
  kgsim_dram_config c = cfg_default();
  c.read_latency = 500;
  Bench b(c);
  for (uint32_t i = 0; i < 100; i++) b.read(0, i * 16, 0);
  ASSERT_TRUE(b.run());
  EXPECT_EQ(b.max_reads_out, 64u);
}

// Random stalls on every channel and random RREADY/BREADY from the master
// change when things happen, never what: same read data, same memory.
TEST(AxiDram, RandomStallsChangeTimingOnly) {
  struct Result {
    std::vector<RBeat> r;
    std::vector<BResp> b;
    std::vector<uint8_t> m;
    uint64_t cycles;
  };
  auto run = [](double p, uint64_t seed) {
    kgsim_dram_config c = cfg_default();
    c.p_stall_ar = c.p_stall_aw = c.p_stall_w = c.p_gap_r = c.p_gap_b = p;
    c.seed = seed;
    c.max_reads = 8;
    c.max_writes = 8;
    Bench b(c);
    if (p > 0) b.p_rready = b.p_bready = 0.7;
    fill(b.d, 0, 0x40000, 4);
    std::mt19937 g(1234);  // same traffic in every run
    for (int i = 0; i < 300; i++) {
      const uint32_t len = g() % 16;
      const uint32_t page = g() % 48;
      const uint32_t off = (g() % (256 - len)) * 16;
      if (g() % 2)
        b.read(g() % 16, page * 4096 + off, len);                  // region [0, 192K)
      else
        b.write(g() % 16, 0x40000 + page * 4096 + off, len, uint8_t(i));  // [256K, 448K)
    }
    EXPECT_TRUE(b.run());
    Result res{b.rbeats, b.bs, mem(b.d, 0, 0x80000), b.cyc};
    return res;
  };
  const Result ref = run(0.0, 1);
  for (uint64_t seed : {2u, 3u}) {
    const Result st = run(0.3, seed);
    EXPECT_GT(st.cycles, ref.cycles);
    ASSERT_EQ(st.r.size(), ref.r.size());
    for (size_t i = 0; i < ref.r.size(); i++) {
      EXPECT_EQ(st.r[i].id, ref.r[i].id);
      EXPECT_EQ(st.r[i].last, ref.r[i].last);
      ASSERT_EQ(0, std::memcmp(st.r[i].data, ref.r[i].data, kBeatBytes)) << "beat " << i;
    }
    ASSERT_EQ(st.b.size(), ref.b.size());
    for (size_t i = 0; i < ref.b.size(); i++) EXPECT_EQ(st.b[i].id, ref.b[i].id);
    EXPECT_TRUE(st.m == ref.m);
  }
  // And the same seed gives the same timing.
  EXPECT_EQ(run(0.3, 2).cycles, run(0.3, 2).cycles);
}

// With p_reorder, bursts and write responses of different IDs overtake one
// another; within one ID the order holds, and data is unaffected.
TEST(AxiDram, ReorderAcrossIdsNeverWithinOne) {
  kgsim_dram_config c = cfg_default();
  c.p_reorder = 0.5;
  c.read_latency = 20;
  c.write_latency = 20;
  c.seed = 5;
  Bench b(c);
  b.p_bready = 0.2;  // let write responses pile up, so there is a choice
  fill(b.d, 0, 0x40000, 2);
  std::mt19937 g(99);
  std::vector<Addr> reads, writes;           // in issue (= acceptance) order
  std::vector<size_t> r_of_id[4], w_of_id[4];  // indices into those, per id
  for (uint32_t i = 0; i < 400; i++) {
    const uint32_t id = g() % 4, len = g() % 8;
    if (i % 2) {
      const uint32_t addr = (g() % 0x3F00) & ~0xFFu;  // 256-byte aligned: no 4K crossing
      b.read(id, addr, len);
      r_of_id[id].push_back(reads.size());
      reads.push_back({id, addr, len});
    } else {
      const uint32_t addr = 0x40000 + i * 0x100;
      b.write(id, addr, len, uint8_t(i));
      w_of_id[id].push_back(writes.size());
      writes.push_back({id, addr, len});
    }
  }
  ASSERT_TRUE(b.run());
  // Each returned burst is the next one of its id (checked through its data);
  // count returns that come before an older burst of another id.
  size_t next[4] = {}, inversions = 0, prev = 0, k = 0;
  while (k < b.rbeats.size()) {
    const uint32_t id = b.rbeats[k].id;
    ASSERT_LT(id, 4u);
    ASSERT_LT(next[id], r_of_id[id].size()) << "extra burst for id " << id;
    const size_t gi = r_of_id[id][next[id]++];
    expect_burst(b, k, id, reads[gi].addr, reads[gi].len, 0, 2);
    k += reads[gi].len + 1;
    if (k > reads[gi].len + 1 && gi < prev) inversions++;
    prev = gi;
  }
  for (int id = 0; id < 4; id++) EXPECT_EQ(next[id], r_of_id[id].size());
  EXPECT_GT(inversions, 10u);
  // Write responses likewise; memory holds every write.
  size_t wnext[4] = {}, winv = 0, wprev = 0;
  for (const BResp& r : b.bs) {
    ASSERT_LT(r.id, 4u);
    ASSERT_LT(wnext[r.id], w_of_id[r.id].size());
    const size_t gi = w_of_id[r.id][wnext[r.id]++];
    EXPECT_EQ(r.resp, 0u);
    if (gi < wprev) winv++;
    wprev = gi;
  }
  EXPECT_EQ(b.bs.size(), writes.size());
  EXPECT_GT(winv, 10u);
  for (size_t gi = 0; gi < writes.size(); gi++) {
    const std::vector<uint8_t> m = mem(b.d, writes[gi].addr, (writes[gi].len + 1) * 16);
    for (size_t j = 0; j < m.size(); j++)
      ASSERT_EQ(m[j], Bench::pattern(writes[gi].addr + j, uint8_t(2 * gi))) << gi;
  }
}

// ---------------------------------------------------------------- faults

TEST(AxiDram, RangeFaultOnReads) {
  for (uint32_t resp : {uint32_t(KGSIM_RESP_SLVERR), uint32_t(KGSIM_RESP_DECERR)}) {
    kgsim_dram_config c = cfg_default();
    c.fault = {KGSIM_FAULT_RANGE, KGSIM_DIR_READ, resp, 0x1030, 0x1031, 0};
    Bench b(c);
    fill(b.d, 0, 0x4000, 8);
    b.read(1, 0x1000, 2);  // ends at 0x1030: untouched
    b.read(2, 0x1020, 3);  // covers 0x1030
    b.read(3, 0x1040, 0);  // after
    b.write(4, 0x1030, 0, 9);  // the fault is for reads only
    ASSERT_TRUE(b.run());
    ASSERT_EQ(b.rbeats.size(), 3u + 4 + 1);
    expect_burst(b, 0, 1, 0x1000, 2, 0, 8);
    expect_burst(b, 3, 2, 0x1020, 3, resp, 8);
    expect_burst(b, 7, 3, 0x1040, 0, 0, 8);
    ASSERT_EQ(b.bs.size(), 1u);
    EXPECT_EQ(b.bs[0].resp, 0u);
    EXPECT_EQ(b.d.stats().faults_injected, 1u);
    EXPECT_EQ(b.d.stats().bytes_read, 4u * 16);
    EXPECT_EQ(resp == uint32_t(KGSIM_RESP_SLVERR) ? b.d.stats().slverr_txns : b.d.stats().decerr_txns, 1u);
    EXPECT_EQ(b.d.stats().protocol_errors, 0u);
  }
}

TEST(AxiDram, RangeFaultOnWritesLeavesMemory) {
  for (uint32_t resp : {uint32_t(KGSIM_RESP_SLVERR), uint32_t(KGSIM_RESP_DECERR)}) {
    kgsim_dram_config c = cfg_default();
    c.fault = {KGSIM_FAULT_RANGE, KGSIM_DIR_WRITE, resp, 0x2000, 0x3000, 0};
    Bench b(c);
    fill(b.d, 0, 0x8000, 1);
    b.write(1, 0x1F00, 15, 2);  // just below
    b.write(2, 0x2F00, 15, 3);  // inside
    b.write(3, 0x3000, 15, 4);  // just above
    b.read(5, 0x2000, 0);       // reads are not faulted
    ASSERT_TRUE(b.run());
    ASSERT_EQ(b.bs.size(), 3u);
    EXPECT_EQ(b.bs[0].resp, 0u);
    EXPECT_EQ(b.bs[1].resp, resp);
    EXPECT_EQ(b.bs[2].resp, 0u);
    EXPECT_EQ(b.rbeats.at(0).resp, 0u);
    std::vector<uint8_t> m = mem(b.d, 0, 0x8000);
    for (uint32_t a = 0; a < 0x8000; a++) {
      uint8_t salt = 1;
      if (a >= 0x1F00 && a < 0x2000) salt = 2;
      if (a >= 0x3000 && a < 0x3100) salt = 4;
      ASSERT_EQ(m[a], Bench::pattern(a, salt)) << std::hex << a;
    }
    EXPECT_EQ(b.d.stats().bytes_written, 2u * 256);
  }
}

TEST(AxiDram, NthTransactionFaults) {
  kgsim_dram_config c = cfg_default();
  Bench b(c);
  fill(b.d, 0, 0x4000, 6);
  ASSERT_TRUE(b.d.set_fault(1, {KGSIM_FAULT_NTH, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0, 0, 3}));
  ASSERT_TRUE(b.d.set_fault(2, {KGSIM_FAULT_NTH, KGSIM_DIR_WRITE, KGSIM_RESP_DECERR, 0, 0, 2}));
  for (uint32_t i = 0; i < 5; i++) b.read(i, 0x100 * i, 1);
  for (uint32_t i = 0; i < 4; i++) b.write(i, 0x2000 + 0x100 * i, 1, 7);
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.rbeats.size(), 10u);
  for (uint32_t i = 0; i < 5; i++)
    expect_burst(b, 2 * i, i, 0x100 * i, 1, i == 2 ? KGSIM_RESP_SLVERR : 0, 6);
  ASSERT_EQ(b.bs.size(), 4u);
  for (uint32_t i = 0; i < 4; i++) EXPECT_EQ(b.bs[i].resp, i == 1 ? uint32_t(KGSIM_RESP_DECERR) : 0u);
  std::vector<uint8_t> m = mem(b.d, 0x2000, 0x400);
  for (uint32_t a = 0; a < 0x400; a++) {
    const bool written = (a & 0xFF) < 32 && a / 0x100 != 1;
    ASSERT_EQ(m[a], Bench::pattern(0x2000 + a, written ? 7 : 6)) << std::hex << a;
  }
  EXPECT_EQ(b.d.stats().faults_injected, 2u);
  // Fires once: more traffic is clean; setting the slot again re-arms it.
  b.read(0, 0, 0);
  b.read(0, 0, 0);
  b.read(0, 0, 0);
  ASSERT_TRUE(b.run());
  for (size_t i = 10; i < 13; i++) EXPECT_EQ(b.rbeats[i].resp, 0u);
  ASSERT_TRUE(b.d.set_fault(1, {KGSIM_FAULT_NTH, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0, 0, 1}));
  b.read(0, 0, 0);
  ASSERT_TRUE(b.run());
  EXPECT_EQ(b.rbeats.back().resp, uint32_t(KGSIM_RESP_SLVERR));
  // Clearing.
  ASSERT_TRUE(b.d.set_fault(1, {}));
  EXPECT_FALSE(b.d.set_fault(KGSIM_FAULT_SLOTS, {}));
}

TEST(AxiDram, InvalidFaultsRejected) {
  AxiDram d(cfg_default());
  EXPECT_FALSE(d.set_fault(0, {7, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0, 1, 0}));
  EXPECT_FALSE(d.set_fault(0, {KGSIM_FAULT_RANGE, 0, KGSIM_RESP_SLVERR, 0, 1, 0}));
  EXPECT_FALSE(d.set_fault(0, {KGSIM_FAULT_RANGE, 4, KGSIM_RESP_SLVERR, 0, 1, 0}));
  EXPECT_FALSE(d.set_fault(0, {KGSIM_FAULT_RANGE, KGSIM_DIR_READ, KGSIM_RESP_OKAY, 0, 1, 0}));
  EXPECT_FALSE(d.set_fault(0, {KGSIM_FAULT_RANGE, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 5, 5, 0}));
  EXPECT_FALSE(d.set_fault(0, {KGSIM_FAULT_NTH, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0, 0, 0}));
  EXPECT_TRUE(d.set_fault(0, {KGSIM_FAULT_NTH, KGSIM_DIR_BOTH, KGSIM_RESP_DECERR, 0, 0, 1}));
}

// ---------------------------------------------------------------- protocol

TEST(AxiDram, FourKiBCrossingFlagged) {
  Bench b(cfg_default());
  fill(b.d, 0, 0x4000, 2);
  b.read(1, 0x0FF0, 1);        // 0xFF0..0x100F
  b.write(2, 0x1F00, 16, 3);   // 17 beats from 0x1F00 end at 0x2010
  b.read(3, 0x0F00, 15);       // ends exactly at 0x1000: fine
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.rbeats.size(), 2u + 16);
  expect_burst(b, 0, 1, 0x0FF0, 1, KGSIM_RESP_SLVERR, 2);
  expect_burst(b, 2, 3, 0x0F00, 15, 0, 2);
  ASSERT_EQ(b.bs.size(), 1u);
  EXPECT_EQ(b.bs[0].resp, uint32_t(KGSIM_RESP_SLVERR));
  std::vector<uint8_t> m = mem(b.d, 0x1F00, 0x110);
  for (uint32_t i = 0; i < 0x110; i++) ASSERT_EQ(m[i], Bench::pattern(0x1F00 + i, 2));
  EXPECT_EQ(b.d.stats().protocol_errors, 2u);
  EXPECT_NE(b.d.first_protocol_error().find("4 KiB"), std::string::npos)
      << b.d.first_protocol_error();
  EXPECT_NE(b.d.first_protocol_error().find("AR"), std::string::npos);
}

TEST(AxiDram, SizeBurstAlignmentViolationsFlagged) {
  Bench b(cfg_default());
  b.ar_q.push_back({0, 0x100, 0, 3, 1});  // 8-byte beats
  b.ar_q.push_back({0, 0x100, 0, 4, 2});  // WRAP
  b.ar_q.push_back({0, 0x108, 0, 4, 1});  // misaligned
  b.ar_q.push_back({0, 0x100, 0, 4, 1});  // fine
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.rbeats.size(), 4u);
  for (int i = 0; i < 3; i++) EXPECT_EQ(b.rbeats[i].resp, uint32_t(KGSIM_RESP_SLVERR));
  EXPECT_EQ(b.rbeats[3].resp, 0u);
  EXPECT_EQ(b.d.stats().protocol_errors, 3u);
  EXPECT_NE(b.d.first_protocol_error().find("size 3"), std::string::npos);
}

TEST(AxiDram, WlastMismatchFlaggedAndStreamStaysInStep) {
  Bench b(cfg_default());
  fill(b.d, 0, 0x2000, 1);
  // Burst 1: 4 beats announced, WLAST on beat 2. Burst 2: 2 beats, no WLAST.
  b.aw_q.push_back({1, 0x100, 3});
  b.add_wbeats(0x100, 1, 5);  // two beats, the second with WLAST
  b.aw_q.push_back({2, 0x200, 1});
  b.add_wbeats(0x200, 1, 6);
  b.w_q.back().last = false;
  b.write(3, 0x300, 1, 7);  // a good one after both
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.bs.size(), 3u);
  EXPECT_EQ(b.bs[0].resp, uint32_t(KGSIM_RESP_SLVERR));
  EXPECT_EQ(b.bs[1].resp, uint32_t(KGSIM_RESP_SLVERR));
  EXPECT_EQ(b.bs[2].resp, 0u);
  EXPECT_EQ(b.d.stats().protocol_errors, 2u);
  EXPECT_NE(b.d.first_protocol_error().find("WLAST on beat 2"), std::string::npos)
      << b.d.first_protocol_error();
  std::vector<uint8_t> m = mem(b.d, 0x100, 0x220);
  for (uint32_t i = 0; i < 0x200; i++) ASSERT_EQ(m[i], Bench::pattern(0x100 + i, 1));
  for (uint32_t i = 0x200; i < 0x220; i++) ASSERT_EQ(m[i], Bench::pattern(0x100 + i, 7));
}

// The model also checks the master: VALID held, payload stable, until READY.
TEST(AxiDram, MasterValidRulesChecked) {
  kgsim_dram_config c = cfg_default();
  c.max_reads = 1;  // a second AR must wait: ARREADY low
  c.max_writes = 1;
  AxiDram d(c);
  AxiMasterSignals m;
  m.arvalid = true;
  m.arsize = 4;
  m.arburst = 1;
  m.rready = true;
  d.tick(m);  // AR 0 accepted
  m.araddr = 0x100;
  d.tick(m);  // AR 1 waits
  ASSERT_FALSE(d.out().arready);
  EXPECT_EQ(d.stats().protocol_errors, 0u);
  m.araddr = 0x200;  // changed while waiting
  d.tick(m);
  EXPECT_EQ(d.stats().protocol_errors, 1u);
  EXPECT_NE(d.first_protocol_error().find("ARVALID dropped or AR changed"), std::string::npos);
  m.arvalid = false;  // dropped while waiting
  d.tick(m);
  EXPECT_EQ(d.stats().protocol_errors, 2u);
  // W: stall WREADY through a slow bandwidth, then change the data.
  kgsim_dram_config c2 = cfg_default();
  c2.bytes_per_cycle = 1;
  AxiDram w(c2);
  AxiMasterSignals n;
  n.awvalid = true;
  n.awsize = 4;
  n.awburst = 1;
  n.awlen = 1;
  n.wvalid = true;
  n.wstrb = 0xFFFF;
  n.bready = true;
  w.tick(n);  // AW and beat 0 taken
  n.awvalid = false;
  n.wlast = true;
  n.wdata[0] = 1;
  w.tick(n);  // WREADY is low now: beat 1 waits
  ASSERT_FALSE(w.out().wready);
  n.wdata[0] = 2;
  w.tick(n);
  EXPECT_EQ(w.stats().protocol_errors, 1u);
  EXPECT_NE(w.first_protocol_error().find("WVALID"), std::string::npos);
  // A held, unchanged VALID is fine; so is any change after READY.
  for (int i = 0; i < 40 && !w.out().wready; i++) w.tick(n);
  w.tick(n);
  n.wvalid = false;
  w.tick(n);
  EXPECT_EQ(w.stats().protocol_errors, 1u);
}

TEST(AxiDram, OutOfRangeIsDecodeError) {
  kgsim_dram_config c = cfg_default();
  c.base = 0x10000;
  c.size = 0x100800;
  Bench b(c);
  fill(b.d, 0x10000, 0x100, 1);
  b.read(1, 0x0FF00, 15);     // below base
  b.read(2, 0x110700, 31);    // straddles the end (0x110800)
  b.read(3, 0x110700, 15);    // ends exactly at the end
  b.read(4, 0x10000, 0);
  b.write(5, 0x200000, 0, 1); // far above
  ASSERT_TRUE(b.run());
  ASSERT_EQ(b.rbeats.size(), 16u + 32 + 16 + 1);
  expect_burst(b, 0, 1, 0x0FF00, 15, KGSIM_RESP_DECERR, 0);
  expect_burst(b, 16, 2, 0x110700, 31, KGSIM_RESP_DECERR, 0);
  EXPECT_EQ(b.rbeats[48].resp, 0u);
  expect_burst(b, 64, 4, 0x10000, 0, 0, 1);
  ASSERT_EQ(b.bs.size(), 1u);
  EXPECT_EQ(b.bs[0].resp, uint32_t(KGSIM_RESP_DECERR));
  EXPECT_EQ(b.d.stats().decerr_txns, 3u);
  EXPECT_EQ(b.d.stats().protocol_errors, 0u);
}

// ---------------------------------------------------------------- API edges

TEST(AxiDram, BackdoorBoundsChecked) {
  kgsim_dram_config c = cfg_default();
  c.base = 0x1000;
  c.size = 0x1000;
  AxiDram d(c);
  uint8_t buf[32] = {1, 2, 3};
  EXPECT_TRUE(d.write(0x1000, buf, 32));
  EXPECT_TRUE(d.write(0x1FE0, buf, 32));
  EXPECT_TRUE(d.write(0x2000, buf, 0));
  EXPECT_FALSE(d.write(0x1FE1, buf, 32));
  EXPECT_FALSE(d.write(0x0FFF, buf, 2));
  EXPECT_FALSE(d.read(0xFFFFFFFFFFFFFFF0ull, buf, 32));
  EXPECT_FALSE(d.read(0x1000, buf, SIZE_MAX));
  EXPECT_FALSE(d.write(0x1000, nullptr, 4));
  uint8_t out[3];
  EXPECT_TRUE(d.read(0x1000, out, 3));
  EXPECT_EQ(out[2], 3);
}

TEST(AxiDram, ConfigValidated) {
  auto bad = [](std::function<void(kgsim_dram_config&)> f) {
    kgsim_dram_config c = cfg_default();
    f(c);
    return !AxiDram::validate(c).empty();
  };
  EXPECT_FALSE(bad([](kgsim_dram_config&) {}));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.size = 0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.size = 100; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.base = 8; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.base = 0xFFFF0000u; c.size = 0x20000; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.read_latency = 0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.write_latency = 0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.bytes_per_cycle = 0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.bytes_per_cycle = 17; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.max_reads = 0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.max_writes = 5000; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.p_gap_r = 1.0; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.p_stall_w = -0.1; }));
  EXPECT_TRUE(bad([](kgsim_dram_config& c) { c.fault.mode = KGSIM_FAULT_NTH; }));
  EXPECT_FALSE(bad([](kgsim_dram_config& c) { c.base = 0xFFFF0000u; c.size = 0x10000; }));
  kgsim_dram_config c = cfg_default();
  c.size = 0;
  EXPECT_THROW(AxiDram{c}, std::invalid_argument);
}

}  // namespace
