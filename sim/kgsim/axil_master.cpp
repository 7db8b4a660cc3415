// axil_master.cpp: see axil_master.hpp.
#include "axil_master.hpp"

namespace kgsimpp {

bool AxilMaster::start_write(uint32_t addr, uint32_t data, uint32_t strb) {
  if (busy()) return false;
  out_ = AxilMasterSignals();
  out_.awaddr = addr;
  out_.awvalid = true;
  out_.wdata = data;
  out_.wstrb = strb & 0xFu;
  out_.wvalid = true;
  state_ = State::kWrite;
  cycles_ = 0;
  return true;
}

bool AxilMaster::start_read(uint32_t addr) {
  if (busy()) return false;
  out_ = AxilMasterSignals();
  out_.araddr = addr;
  out_.arvalid = true;
  state_ = State::kRead;
  cycles_ = 0;
  return true;
}

void AxilMaster::abort() {
  out_ = AxilMasterSignals();
  state_ = State::kIdle;
}

void AxilMaster::tick(const AxilSlaveSignals& s) {
  if (state_ == State::kIdle) return;
  cycles_++;
  if (state_ == State::kWrite) {
    // BREADY rises once address and data are both taken: B may not come
    // earlier (a slave that sends it earlier is never answered).
    const bool b_fire = s.bvalid && out_.bready;
    if (out_.awvalid && s.awready) out_.awvalid = false;
    if (out_.wvalid && s.wready) out_.wvalid = false;
    out_.bready = !out_.awvalid && !out_.wvalid;
    if (b_fire) {
      resp_ = s.bresp & 3u;
      out_ = AxilMasterSignals();
      state_ = State::kIdle;
      last_cycles_ = cycles_;
    }
    return;
  }
  const bool r_fire = s.rvalid && out_.rready;
  if (out_.arvalid && s.arready) out_.arvalid = false;
  out_.rready = !out_.arvalid;
  if (r_fire) {
    resp_ = s.rresp & 3u;
    rdata_ = s.rdata;
    out_ = AxilMasterSignals();
    state_ = State::kIdle;
    last_cycles_ = cycles_;
  }
}

}  // namespace kgsimpp
