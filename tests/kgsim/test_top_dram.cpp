// test_top_dram.cpp: the DRAM model's faults and stalls on the real kg_top.
//
//  - An injected SLVERR or DECERR in each DMA stream (descriptor, weights,
//    activations, parameters, output), and on the Nth transaction anywhere,
//    gives BUS_ERR and an interrupt within the bound, never a hang; after a
//    soft reset the same layer runs correctly.
//  - Random DRAM stalls, other latencies and bandwidths, and reordering across
//    AXI IDs change only cycle counts, never the output bytes.
// Uses the layer harness of sim/kgsim/harness (kgt::Device, kgt::random_layer).
#include <gtest/gtest.h>

#include <string>

#include "top_harness.hpp"

namespace {

uint64_t bound_for(const kgt::Layer& L, kg_geom g, uint64_t slow = 1) {
  const uint64_t kt = (L.K + g.rows - 1) / g.rows, nt = (L.N + g.cols - 1) / g.cols;
  return slow * (200000 + 40 * (uint64_t(L.M) * kt * nt + uint64_t(L.M) * L.K / 16 +
                                kt * nt * 8 + L.d.w_pos / 16));
}

// Soft reset, then wait (bounded) for BUSY to fall; clears IRQ_STATUS.
void soft_reset(kgt::Device& dev) {
  dev.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  int i = 0;
  while ((dev.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) && i++ < 10000)
    ASSERT_EQ(kgsim_step(dev.sim(), 10), KGSIM_OK);
  ASSERT_EQ(dev.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK, 0u) << "soft reset never finished";
  dev.wr(KG_REG_IRQ_STATUS, dev.rd(KG_REG_IRQ_STATUS));
}

struct Stream {
  const char* name;
  uint32_t dirs;
  uint64_t lo, hi;
};

std::vector<Stream> streams(const kgt::Layer& L, kg_geom g) {
  const uint64_t wbytes = kg_pack_weight_bytes(L.K, L.N, g);
  return {
      {"descriptor", KGSIM_DIR_READ, L.desc_addr, L.desc_addr + 64u},
      {"weights", KGSIM_DIR_READ, L.d.w_addr, L.d.w_addr + wbytes},
      {"activations", KGSIM_DIR_READ, L.d.in_addr, L.d.in_addr + L.in.size()},
      {"parameters", KGSIM_DIR_READ, L.d.p_addr, L.d.p_addr + uint64_t(L.N) * 16},
      {"output", KGSIM_DIR_WRITE, L.d.out_addr, L.d.out_addr + uint64_t(L.M) * L.d.out_stride},
  };
}

// Run L; expect a clean result (returns cycles).
uint64_t expect_clean(kgt::Device& dev, const kgt::Layer& L, const kgt::Keys& k, uint64_t bound,
                      const std::string& what) {
  dev.place(L, k);
  uint32_t err = 99;
  uint64_t cyc = 0;
  const uint32_t st = dev.run(L, bound, &err, &cyc);
  EXPECT_EQ(st, KG_IRQ_STATUS_DONE_MASK) << what << ": " << kgt::describe(L) << " err=" << err;
  bool pad_ok = false;
  EXPECT_TRUE(dev.output(L, &pad_ok) == L.expect) << what << ": " << kgt::describe(L);
  EXPECT_TRUE(pad_ok) << what;
  return cyc;
}

// Run L with a fault set; expect BUS_ERR within the bound, then recovery.
void expect_bus_error(kgt::Device& dev, const kgt::Layer& L, const kgt::Keys& k,
                      const kgsim_fault& f, uint64_t bound, const std::string& what) {
  kgsim_stats before;
  ASSERT_EQ(kgsim_dram_stats(dev.sim(), &before), KGSIM_OK);
  dev.place(L, k);
  ASSERT_EQ(kgsim_set_fault(dev.sim(), 0, &f), KGSIM_OK) << kgsim_last_error(dev.sim());
  uint32_t err = 99;
  uint64_t cyc = 0;
  const uint32_t st = dev.run(L, bound, &err, &cyc);
  kgsim_stats after;
  ASSERT_EQ(kgsim_dram_stats(dev.sim(), &after), KGSIM_OK);
  ASSERT_EQ(kgsim_set_fault(dev.sim(), 0, nullptr), KGSIM_OK);
  EXPECT_GT(after.faults_injected, before.faults_injected) << what << ": fault never hit";
  EXPECT_NE(st, 0u) << what << ": no interrupt within " << bound << " cycles (hang)";
  EXPECT_TRUE(st & KG_IRQ_STATUS_BUS_ERR_MASK) << what << ": IRQ_STATUS=" << st;
  EXPECT_FALSE(st & KG_IRQ_STATUS_DONE_MASK) << what << ": IRQ_STATUS=" << st;
  EXPECT_EQ(err, KG_ERR_BUS) << what;
  EXPECT_EQ(after.protocol_errors, 0u) << kgsim_dram_protocol_error(dev.sim());
  soft_reset(dev);
  expect_clean(dev, L, k, bound, what + ", then after soft reset");
}

// A fresh, provisioned device per case, so that one failure cannot wedge the next.
struct Fixture {
  Fixture() : g(dev.geom()), k(kgt::random_keys(rng, g, 16)) {
    EXPECT_EQ(dev.provision(k, true), KG_IRQ_STATUS_DONE_MASK);
  }
  kgt::Device dev;
  std::mt19937_64 rng{2024};
  kg_geom g;
  kgt::Keys k;
};

TEST(TopDram, FaultInEveryStreamIsBusErrorThenRecovers) {
  for (int conv = 0; conv < 2; conv++) {
    Fixture fx;
    std::mt19937_64 lrng(conv + 10);
    const kgt::Layer L = kgt::random_layer(lrng, fx.g, conv != 0, KG_CRYPT_NONE, false, fx.k);
    const uint64_t bound = bound_for(L, fx.g);
    for (const Stream& s : streams(L, fx.g)) {
      for (uint32_t resp : {uint32_t(KGSIM_RESP_SLVERR), uint32_t(KGSIM_RESP_DECERR)}) {
        Fixture f;
        const kgsim_fault fault{KGSIM_FAULT_RANGE, s.dirs, resp, s.lo, s.hi, 0};
        expect_bus_error(f.dev, L, f.k, fault, bound,
                         std::string(conv ? "conv " : "fc ") + s.name +
                             (resp == KGSIM_RESP_SLVERR ? " SLVERR" : " DECERR"));
      }
    }
  }
}

TEST(TopDram, NthTransactionFaultIsBusErrorThenRecovers) {
  Fixture fx;
  std::mt19937_64 lrng(3);
  const kgt::Layer L = kgt::random_layer(lrng, fx.g, false, KG_CRYPT_CTR, false, fx.k);
  const uint64_t bound = bound_for(L, fx.g);
  ASSERT_EQ(kgsim_dram_stats_clear(fx.dev.sim()), KGSIM_OK);
  expect_clean(fx.dev, L, fx.k, bound, "clean run");
  kgsim_stats st;
  ASSERT_EQ(kgsim_dram_stats(fx.dev.sim(), &st), KGSIM_OK);
  ASSERT_GT(st.read_txns, 2u);
  ASSERT_GT(st.write_txns, 0u);
  for (uint64_t n : {uint64_t(1), st.read_txns / 2, st.read_txns}) {
    Fixture f;
    const kgsim_fault fault{KGSIM_FAULT_NTH, KGSIM_DIR_READ, KGSIM_RESP_SLVERR, 0, 0, n};
    expect_bus_error(f.dev, L, f.k, fault, bound, "read #" + std::to_string(n));
  }
  for (uint64_t n : {uint64_t(1), st.write_txns}) {
    Fixture f;
    const kgsim_fault fault{KGSIM_FAULT_NTH, KGSIM_DIR_WRITE, KGSIM_RESP_DECERR, 0, 0, n};
    expect_bus_error(f.dev, L, f.k, fault, bound, "write #" + std::to_string(n));
  }
}

// Same layers on differently timed DRAMs: identical outputs, other cycles.
TEST(TopDramTiming, StallsLatencyBandwidthChangeCyclesOnly) {
  struct Variant {
    const char* name;
    void (*set)(kgsim_dram_config&);
  };
  const Variant variants[] = {
      {"default", [](kgsim_dram_config&) {}},
      {"stalls", [](kgsim_dram_config& c) {
         c.p_stall_ar = c.p_stall_aw = c.p_stall_w = c.p_gap_r = c.p_gap_b = 0.2;
         c.seed = 7;
       }},
      {"slow", [](kgsim_dram_config& c) {
         c.read_latency = 200;
         c.write_latency = 120;
         c.bytes_per_cycle = 4;
         c.max_reads = 2;
         c.max_writes = 1;
       }},
  };
  std::vector<uint64_t> cycles[3];
  for (int v = 0; v < 3; v++) {
    kgsim_config cfg = kgsim_config_default();
    variants[v].set(cfg.dram);
    kgt::Device dev(&cfg);
    const kg_geom g = dev.geom();
    std::mt19937_64 rng(99);  // same layers and keys for every variant
    const kgt::Keys k = kgt::random_keys(rng, g, 32);
    ASSERT_EQ(dev.provision(k, true), KG_IRQ_STATUS_DONE_MASK) << variants[v].name;
    for (int i = 0; i < 4; i++) {
      const kgt::Layer L = kgt::random_layer(rng, g, i % 2 != 0, uint32_t(i % 3), i >= 2, k);
      cycles[v].push_back(
          expect_clean(dev, L, k, bound_for(L, g, 8), std::string(variants[v].name) + " #" +
                                                          std::to_string(i)));
    }
    kgsim_stats st;
    ASSERT_EQ(kgsim_dram_stats(dev.sim(), &st), KGSIM_OK);
    EXPECT_EQ(st.protocol_errors, 0u) << kgsim_dram_protocol_error(dev.sim());
  }
  for (size_t i = 0; i < cycles[0].size(); i++) {
    EXPECT_GT(cycles[1][i], cycles[0][i]) << "layer " << i;
    EXPECT_GT(cycles[2][i], cycles[0][i]) << "layer " << i;
  }
}

// AXI lets a slave return different IDs out of order; kg_top must cope.
TEST(TopDramTiming, ReorderAcrossIdsChangesCyclesOnly) {
  kgsim_config cfg = kgsim_config_default();
  cfg.dram.p_reorder = 0.5;
  cfg.dram.p_gap_r = cfg.dram.p_gap_b = 0.1;
  cfg.dram.seed = 3;
  kgt::Device dev(&cfg);
  const kg_geom g = dev.geom();
  std::mt19937_64 rng(5);
  const kgt::Keys k = kgt::random_keys(rng, g, 16);
  ASSERT_EQ(dev.provision(k, true), KG_IRQ_STATUS_DONE_MASK);
  for (int i = 0; i < 4; i++) {
    const kgt::Layer L = kgt::random_layer(rng, g, i % 2 != 0, uint32_t(i % 3), false, k);
    expect_clean(dev, L, k, bound_for(L, g, 4), "reorder #" + std::to_string(i));
  }
}

}  // namespace
