// kg_tlm.h: the Verilated kg_top as a SystemC TLM-2.0 component.
//
//   csr_socket  tlm_utils::simple_target_socket: 4-byte reads and writes at
//               offsets 0..0xFFF, bridged to AXI4-Lite transactions on the RTL.
//               b_transport returns when the RTL has answered. It may be
//               called from an SC_THREAD (it waits on an event) or from
//               outside the simulation, e.g. sc_main between sc_start calls
//               (it advances the simulation itself, a clock period at a time,
//               until the answer); from an SC_METHOD, which cannot block, it
//               returns TLM_GENERIC_ERROR_RESPONSE.
//   dma_socket  tlm_utils::simple_initiator_socket: every AXI4 burst the RTL
//               issues becomes one b_transport (read: (arlen+1)*16 bytes;
//               write: the burst with its byte strobes as byte enables),
//               called from an SC_METHOD, so the target must not wait(): it
//               annotates its latency on the delay instead (loosely-timed
//               style). The annotated delay is honoured: the data or the
//               response reaches the RTL that many clock cycles later.
//   irq         sc_signal<bool>, the RTL's level interrupt.
//
// The module owns its clock (period given at construction) and holds reset
// for 4 cycles at start. Its own processes are SC_METHODs (no coroutine
// stacks, which keeps it valgrind-clean with QuickThreads SystemC builds).
// One CSR access at a time; a TLM error response becomes SLVERR on the AXI
// side.
#ifndef KG_TLM_H
#define KG_TLM_H

#include "kg_tlm_ports.h"

#include <deque>
#include <memory>
#include <vector>

class Vkg_top_sc;

// csr_socket, dma_socket and irq come from kg_tlm_ports.
class kg_tlm : public sc_core::sc_module, public kg_tlm_ports<kg_tlm> {
 public:
  kg_tlm(sc_core::sc_module_name name, sc_core::sc_time clock_period);
  ~kg_tlm() override;
  SC_HAS_PROCESS(kg_tlm);

  const sc_core::sc_clock& clock() const { return clk_; }
  sc_core::sc_time period() const { return clk_.period(); }

 private:
  void csr_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void reset_method();
  void csr_method();
  void dma_method();

  struct Burst {
    uint64_t addr;
    unsigned beats;
    std::vector<unsigned char> data;     // beats * 16
    std::vector<unsigned char> strobes;  // writes
    unsigned resp;
    sc_core::sc_time ready_at;
    unsigned next;                       // next beat to send / receive
  };
  void transport(tlm::tlm_command cmd, Burst& b, const sc_core::sc_time& now);

  sc_core::sc_clock clk_;
  sc_core::sc_signal<bool> reset_n_;
  unsigned reset_step_ = 0;

  // The CSR request that csr_method runs on AXI4-Lite.
  enum class Csr { idle, posted, write, read, done };
  Csr csr_state_ = Csr::idle;
  bool csr_write_ = false, aw_pending_ = false, w_pending_ = false, ar_pending_ = false;
  uint32_t csr_addr_ = 0, csr_data_ = 0, csr_resp_ = 0;
  sc_core::sc_event csr_done_, csr_free_;
  std::unique_ptr<Vkg_top_sc> top_;

  // AXI4-Lite.
  sc_core::sc_signal<uint32_t> awaddr_, wdata_, wstrb_, bresp_, araddr_, rdata_, rresp_;
  sc_core::sc_signal<bool> awvalid_, awready_, wvalid_, wready_, bvalid_, bready_;
  sc_core::sc_signal<bool> arvalid_, arready_, rvalid_l_, rready_l_;
  // AXI4.
  sc_core::sc_signal<uint32_t> m_arid_, m_araddr_, m_arlen_, m_arsize_, m_arburst_;
  sc_core::sc_signal<bool> m_arvalid_, m_arready_;
  sc_core::sc_signal<uint32_t> m_rid_, m_rresp_;
  sc_core::sc_signal<sc_dt::sc_bv<128>> m_rdata_, m_wdata_;
  sc_core::sc_signal<bool> m_rlast_, m_rvalid_, m_rready_;
  sc_core::sc_signal<uint32_t> m_awid_, m_awaddr_, m_awlen_, m_awsize_, m_awburst_, m_wstrb_;
  sc_core::sc_signal<bool> m_awvalid_, m_awready_, m_wlast_, m_wvalid_, m_wready_;
  sc_core::sc_signal<uint32_t> m_bid_, m_bresp_;
  sc_core::sc_signal<bool> m_bvalid_, m_bready_;

  std::deque<Burst> reads_, bresps_, aw_q_;
};

#endif
