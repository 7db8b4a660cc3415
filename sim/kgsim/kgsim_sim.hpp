// kgsim_sim.hpp: KgSim<V>, the Backend over one Verilated kg_top model type V.
// Included by the per-geometry translation unit that CMake generates from
// kgsim_new.cpp.in. V must have kg_top's ports (see rtl/top/kg_top.v).
#ifndef KGSIM_SIM_HPP
#define KGSIM_SIM_HPP

#include <cstring>
#include <memory>

#include "kgsim_backend.hpp"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

namespace kgsimpp {

// 128-bit data ports <-> bytes; byte i is bits [8i+7:8i].
template <std::size_t W>
inline void bytes_to_port(VlWide<W>& port, const uint8_t* src) {
  static_assert(W * 4 == kBeatBytes, "AXI data ports are 128 bits");
  for (std::size_t w = 0; w < W; w++)
    port[w] = static_cast<uint32_t>(src[4 * w]) | static_cast<uint32_t>(src[4 * w + 1]) << 8 |
              static_cast<uint32_t>(src[4 * w + 2]) << 16 |
              static_cast<uint32_t>(src[4 * w + 3]) << 24;
}
template <std::size_t W>
inline void port_to_bytes(const VlWide<W>& port, uint8_t* dst) {
  static_assert(W * 4 == kBeatBytes, "AXI data ports are 128 bits");
  for (std::size_t w = 0; w < W; w++)
    for (unsigned b = 0; b < 4; b++) dst[4 * w + b] = static_cast<uint8_t>(port[w] >> (8 * b));
}

template <class V>
class KgSim final : public Backend {
 public:
  KgSim(const kgsim_config& cfg, unsigned rows, unsigned cols) : Backend(cfg, rows, cols) {
    ctx_.reset(new VerilatedContext);
    ctx_->randReset(2);
#if VM_TRACE
    ctx_->traceEverOn(true);
#endif
    top_.reset(new V(ctx_.get(), "kg_top"));
    top_->clk = 0;
    reset();
  }
  ~KgSim() override {
    // Verilator tears a model's scopes down through the thread's current
    // context, which is the most recently created or used one: make it ours,
    // or with several handles alive it would be another's (or a freed one).
    Verilated::threadContextp(ctx_.get());
    trace_close();
    top_->final();
    top_.reset();
  }

  // The Verilated model, for tests that look at internal signals.
  V& model() { return *top_; }

  bool irq() const override { return top_->irq != 0; }
  void set_reset(bool asserted) override {
    in_reset_ = asserted;
    top_->reset_n = asserted ? 0 : 1;
  }

  void cycle() override {
    Verilated::threadContextp(ctx_.get());  // for $display/$finish/assertions
    drive();
    top_->clk = 0;
    top_->eval();
    dump();
    if (!in_reset_) {
      AxiMasterSignals m;
      m.arid = top_->m_axi_arid;
      m.araddr = top_->m_axi_araddr;
      m.arlen = top_->m_axi_arlen;
      m.arsize = top_->m_axi_arsize;
      m.arburst = top_->m_axi_arburst;
      m.arvalid = top_->m_axi_arvalid;
      m.rready = top_->m_axi_rready;
      m.awid = top_->m_axi_awid;
      m.awaddr = top_->m_axi_awaddr;
      m.awlen = top_->m_axi_awlen;
      m.awsize = top_->m_axi_awsize;
      m.awburst = top_->m_axi_awburst;
      m.awvalid = top_->m_axi_awvalid;
      port_to_bytes(top_->m_axi_wdata, m.wdata);
      m.wstrb = top_->m_axi_wstrb;
      m.wlast = top_->m_axi_wlast;
      m.wvalid = top_->m_axi_wvalid;
      m.bready = top_->m_axi_bready;
      AxilSlaveSignals s;
      s.awready = top_->s_axil_awready;
      s.wready = top_->s_axil_wready;
      s.bresp = top_->s_axil_bresp;
      s.bvalid = top_->s_axil_bvalid;
      s.arready = top_->s_axil_arready;
      s.rdata = top_->s_axil_rdata;
      s.rresp = top_->s_axil_rresp;
      s.rvalid = top_->s_axil_rvalid;
      dram.tick(m);
      axil.tick(s);
    }
    top_->clk = 1;
    top_->eval();
    dump();
    cycles++;
  }

  int trace_open(const char* path) override {
#if VM_TRACE
    trace_close();
    tfp_.reset(new VerilatedFstC);
    top_->trace(tfp_.get(), 99);
    tfp_->open(path);
    if (!tfp_->isOpen()) {
      tfp_.reset();
      return KGSIM_EIO;
    }
    return KGSIM_OK;
#else
    (void)path;
    return KGSIM_ENOTSUP;
#endif
  }
  void trace_close() override {
#if VM_TRACE
    if (tfp_) {
      tfp_->close();
      tfp_.reset();
    }
#endif
  }

 private:
  void drive() {
    const AxiSlaveSignals& d = in_reset_ ? idle_dram_ : dram.out();
    top_->m_axi_arready = d.arready;
    top_->m_axi_rid = d.rid;
    bytes_to_port(top_->m_axi_rdata, d.rdata);
    top_->m_axi_rresp = d.rresp;
    top_->m_axi_rlast = d.rlast;
    top_->m_axi_rvalid = d.rvalid;
    top_->m_axi_awready = d.awready;
    top_->m_axi_wready = d.wready;
    top_->m_axi_bid = d.bid;
    top_->m_axi_bresp = d.bresp;
    top_->m_axi_bvalid = d.bvalid;
    const AxilMasterSignals& a = axil.out();
    top_->s_axil_awaddr = a.awaddr;
    top_->s_axil_awvalid = a.awvalid;
    top_->s_axil_wdata = a.wdata;
    top_->s_axil_wstrb = a.wstrb;
    top_->s_axil_wvalid = a.wvalid;
    top_->s_axil_bready = a.bready;
    top_->s_axil_araddr = a.araddr;
    top_->s_axil_arvalid = a.arvalid;
    top_->s_axil_rready = a.rready;
  }
  void dump() {
    ctx_->timeInc(1);
#if VM_TRACE
    if (tfp_) tfp_->dump(ctx_->time());
#endif
  }

  bool in_reset_ = true;
  const AxiSlaveSignals idle_dram_{};
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> tfp_;
#endif
};

// The Verilated model behind a C handle, for tests that look at internal
// (verilator public) signals: model_of<Vkgsim_8x8>(s). nullptr if s is
// nullptr or was built for another model type.
template <class V>
V* model_of(kgsim* s) {
  auto* k = dynamic_cast<KgSim<V>*>(backend_of(s));
  return k ? &k->model() : nullptr;
}

}  // namespace kgsimpp

#endif  // KGSIM_SIM_HPP
