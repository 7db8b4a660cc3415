// kg_tlm.cpp: see kg_tlm.h.
#include "kg_tlm.h"

#include "Vkg_top_sc.h"

using namespace sc_core;

kg_tlm::kg_tlm(sc_module_name name, sc_time period)
    : sc_module(name), clk_("clk", period), reset_n_("reset_n") {
  csr_socket.register_b_transport(this, &kg_tlm::csr_b_transport);
  top_.reset(new Vkg_top_sc("rtl"));
  Vkg_top_sc& t = *top_;
  t.clk(clk_);
  t.reset_n(reset_n_);
  t.s_axil_awaddr(awaddr_);
  t.s_axil_awvalid(awvalid_);
  t.s_axil_awready(awready_);
  t.s_axil_wdata(wdata_);
  t.s_axil_wstrb(wstrb_);
  t.s_axil_wvalid(wvalid_);
  t.s_axil_wready(wready_);
  t.s_axil_bresp(bresp_);
  t.s_axil_bvalid(bvalid_);
  t.s_axil_bready(bready_);
  t.s_axil_araddr(araddr_);
  t.s_axil_arvalid(arvalid_);
  t.s_axil_arready(arready_);
  t.s_axil_rdata(rdata_);
  t.s_axil_rresp(rresp_);
  t.s_axil_rvalid(rvalid_l_);
  t.s_axil_rready(rready_l_);
  t.m_axi_arid(m_arid_);
  t.m_axi_araddr(m_araddr_);
  t.m_axi_arlen(m_arlen_);
  t.m_axi_arsize(m_arsize_);
  t.m_axi_arburst(m_arburst_);
  t.m_axi_arvalid(m_arvalid_);
  t.m_axi_arready(m_arready_);
  t.m_axi_rid(m_rid_);
  t.m_axi_rdata(m_rdata_);
  t.m_axi_rresp(m_rresp_);
  t.m_axi_rlast(m_rlast_);
  t.m_axi_rvalid(m_rvalid_);
  t.m_axi_rready(m_rready_);
  t.m_axi_awid(m_awid_);
  t.m_axi_awaddr(m_awaddr_);
  t.m_axi_awlen(m_awlen_);
  t.m_axi_awsize(m_awsize_);
  t.m_axi_awburst(m_awburst_);
  t.m_axi_awvalid(m_awvalid_);
  t.m_axi_awready(m_awready_);
  t.m_axi_wdata(m_wdata_);
  t.m_axi_wstrb(m_wstrb_);
  t.m_axi_wlast(m_wlast_);
  t.m_axi_wvalid(m_wvalid_);
  t.m_axi_wready(m_wready_);
  t.m_axi_bid(m_bid_);
  t.m_axi_bresp(m_bresp_);
  t.m_axi_bvalid(m_bvalid_);
  t.m_axi_bready(m_bready_);
  t.irq(irq);
  SC_METHOD(reset_method);  // at initialisation, then on the edges it asks for
  SC_METHOD(csr_method);
  sensitive << clk_.posedge_event();
  dont_initialize();
  SC_METHOD(dma_method);
  sensitive << clk_.posedge_event();
  dont_initialize();
}

kg_tlm::~kg_tlm() = default;

// Reset asserted (and the DMA slave's AR/AW/W ready raised) at
// initialisation, released at the falling edge after 4 rising edges.
void kg_tlm::reset_method() {
  if (reset_step_ == 0) {
    reset_n_.write(false);
    m_arready_.write(true);
    m_awready_.write(true);
    m_wready_.write(true);
  }
  if (reset_step_ < 4) {
    reset_step_++;
    next_trigger(clk_.posedge_event());
  } else if (reset_step_ == 4) {
    reset_step_++;
    next_trigger(clk_.negedge_event());
  } else {
    reset_n_.write(true);  // no next_trigger and no static sensitivity: done
  }
}

// AXI4-Lite master, run at every rising edge. A process woken by the edge
// reads every signal as it was before the edge (sc_signal updates come
// later in the delta), so it sees exactly the handshakes the RTL sees; what
// it writes takes effect just after the edge, like a flip-flop.
void kg_tlm::csr_method() {
  switch (csr_state_) {
    case Csr::posted:
      if (!reset_n_.read()) break;
      if (csr_write_) {
        awaddr_.write(csr_addr_);
        wdata_.write(csr_data_);
        wstrb_.write(0xf);
        awvalid_.write(true);
        wvalid_.write(true);
        bready_.write(true);
        aw_pending_ = w_pending_ = true;
        csr_state_ = Csr::write;
      } else {
        araddr_.write(csr_addr_);
        arvalid_.write(true);
        rready_l_.write(true);
        ar_pending_ = true;
        csr_state_ = Csr::read;
      }
      break;
    case Csr::write:
      if (aw_pending_ && awready_.read()) {
        aw_pending_ = false;
        awvalid_.write(false);
      }
      if (w_pending_ && wready_.read()) {
        w_pending_ = false;
        wvalid_.write(false);
      }
      if (bvalid_.read() && bready_.read()) {
        csr_resp_ = bresp_.read();
        bready_.write(false);
        csr_state_ = Csr::done;
        csr_done_.notify(SC_ZERO_TIME);
      }
      break;
    case Csr::read:
      if (ar_pending_ && arready_.read()) {
        ar_pending_ = false;
        arvalid_.write(false);
      }
      if (rvalid_l_.read() && rready_l_.read()) {
        csr_data_ = rdata_.read();
        csr_resp_ = rresp_.read();
        rready_l_.write(false);
        csr_state_ = Csr::done;
        csr_done_.notify(SC_ZERO_TIME);
      }
      break;
    default: break;
  }
}

// Posts the access to csr_method and blocks until it is done: a thread
// waits on the completion event, a caller outside the simulation (sc_main)
// runs the simulation a clock period at a time. A method cannot block.
void kg_tlm::csr_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  const sc_curr_proc_kind caller = sc_get_curr_process_kind();
  if (p.get_data_length() != 4 || (p.get_address() & 3) || p.get_address() > 0xffc ||
      p.get_byte_enable_ptr() || caller == SC_METHOD_PROC_ || (!p.is_read() && !p.is_write())) {
    if (caller == SC_METHOD_PROC_)
      SC_REPORT_WARNING("kg_tlm", "csr_socket b_transport called from an SC_METHOD, which cannot block");
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  const bool thread = caller != SC_NO_PROC_;
  if (thread) {
    wait(delay);
    while (csr_state_ != Csr::idle) wait(csr_free_);
  } else if (delay > SC_ZERO_TIME) {
    sc_start(delay);
  }
  delay = SC_ZERO_TIME;
  unsigned char* d = p.get_data_ptr();
  csr_write_ = p.is_write();
  csr_addr_ = uint32_t(p.get_address());
  csr_data_ = csr_write_ ? uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24 : 0;
  csr_state_ = Csr::posted;
  while (csr_state_ != Csr::done) {
    if (thread)
      wait(csr_done_);
    else
      sc_start(clk_.period());
  }
  if (!csr_write_)
    for (int i = 0; i < 4; i++) d[i] = (unsigned char)(csr_data_ >> (8 * i));
  csr_state_ = Csr::idle;
  if (thread) csr_free_.notify(SC_ZERO_TIME);
  p.set_response_status(csr_resp_ == 0 ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}

// One burst as one b_transport on the DMA socket (writes carry their
// strobes as byte enables); the response and the annotated delay go into b.
void kg_tlm::transport(tlm::tlm_command cmd, Burst& b, const sc_time& now) {
  tlm::tlm_generic_payload gp;
  sc_time dl = SC_ZERO_TIME;
  gp.set_command(cmd);
  gp.set_address(b.addr);
  gp.set_data_ptr(b.data.data());
  gp.set_data_length(unsigned(b.data.size()));
  gp.set_streaming_width(unsigned(b.data.size()));
  if (cmd == tlm::TLM_WRITE_COMMAND) {
    gp.set_byte_enable_ptr(b.strobes.data());
    gp.set_byte_enable_length(unsigned(b.strobes.size()));
  }
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  dma_socket->b_transport(gp, dl);
  b.resp = gp.is_response_ok() ? 0 : 2;
  b.ready_at = now + dl;
}

// AXI4 slave for the RTL's DMA, turning bursts into b_transport calls, run
// at every rising edge like the CSR master above (aw_q_: write addresses
// waiting for their data).
void kg_tlm::dma_method() {
  const sc_time now = sc_time_stamp();
  // Handshakes at this rising edge (ready is always 1 on AR, AW and W).
  const bool ar_go = m_arvalid_.read() && m_arready_.read();
  const bool aw_go = m_awvalid_.read() && m_awready_.read();
  const bool w_go = m_wvalid_.read() && m_wready_.read();
  const bool r_go = m_rvalid_.read() && m_rready_.read();
  const bool b_go = m_bvalid_.read() && m_bready_.read();
  if (ar_go) {
    Burst b{m_araddr_.read(), m_arlen_.read() + 1u, {}, {}, 0, SC_ZERO_TIME, 0};
    b.data.resize(size_t(b.beats) * 16);
    transport(tlm::TLM_READ_COMMAND, b, now);
    reads_.push_back(std::move(b));
  }
  if (aw_go) {
    Burst b{m_awaddr_.read(), m_awlen_.read() + 1u, {}, {}, 0, SC_ZERO_TIME, 0};
    b.data.resize(size_t(b.beats) * 16);
    b.strobes.resize(size_t(b.beats) * 16);
    aw_q_.push_back(std::move(b));
  }
  if (w_go && !aw_q_.empty()) {
    Burst& b = aw_q_.front();
    const sc_dt::sc_bv<128> wd = m_wdata_.read();
    const uint32_t st = m_wstrb_.read();
    for (unsigned i = 0; i < 16 && b.next < b.beats; i++) {
      b.data[b.next * 16 + i] = (unsigned char)wd.range(8 * i + 7, 8 * i).to_uint();
      b.strobes[b.next * 16 + i] = (st >> i) & 1 ? TLM_BYTE_ENABLED : TLM_BYTE_DISABLED;
    }
    b.next++;
    if (m_wlast_.read() || b.next == b.beats) {
      transport(tlm::TLM_WRITE_COMMAND, b, now);
      bresps_.push_back(std::move(b));
      aw_q_.pop_front();
    }
  }
  // R channel: advance on a completed beat, then present the next one.
  if (r_go && !reads_.empty()) {
    Burst& b = reads_.front();
    if (++b.next == b.beats) reads_.pop_front();
  }
  if (!reads_.empty() && reads_.front().ready_at <= now) {
    const Burst& b = reads_.front();
    sc_dt::sc_bv<128> v;
    for (unsigned i = 0; i < 16; i++) v.range(8 * i + 7, 8 * i) = b.data[b.next * 16 + i];
    m_rdata_.write(v);
    m_rresp_.write(b.resp);
    m_rlast_.write(b.next + 1 == b.beats);
    m_rvalid_.write(true);
  } else {
    m_rvalid_.write(false);
  }
  if (b_go && !bresps_.empty()) bresps_.pop_front();
  if (!bresps_.empty() && bresps_.front().ready_at <= now) {
    m_bresp_.write(bresps_.front().resp);
    m_bvalid_.write(true);
  } else {
    m_bvalid_.write(false);
  }
  m_rid_.write(0);
  m_bid_.write(0);
}
