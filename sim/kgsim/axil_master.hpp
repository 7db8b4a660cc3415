// axil_master.hpp: AXI4-Lite master for single 32-bit CSR reads and writes.
//
// Same clocking as AxiDram: each cycle the owner drives out() onto the slave,
// lets it settle, then calls tick() with the slave's outputs at the clock
// edge. A transaction takes several cycles; done() reports completion and
// resp()/rdata() its result. Outputs are registered: VALID stays high until
// its handshake, as AXI requires.
#ifndef KGSIM_AXIL_MASTER_HPP
#define KGSIM_AXIL_MASTER_HPP

#include <cstdint>

namespace kgsimpp {

struct AxilMasterSignals {  // driven by the master
  uint32_t awaddr = 0;
  bool awvalid = false;
  uint32_t wdata = 0, wstrb = 0;
  bool wvalid = false;
  bool bready = false;
  uint32_t araddr = 0;
  bool arvalid = false;
  bool rready = false;
};

struct AxilSlaveSignals {  // driven by the slave
  bool awready = false, wready = false;
  uint32_t bresp = 0;
  bool bvalid = false;
  bool arready = false;
  uint32_t rdata = 0, rresp = 0;
  bool rvalid = false;
};

class AxilMaster {
 public:
  // Start a transaction; false if one is already in progress.
  bool start_write(uint32_t addr, uint32_t data, uint32_t strb = 0xF);
  bool start_read(uint32_t addr);
  const AxilMasterSignals& out() const { return out_; }
  void tick(const AxilSlaveSignals& s);
  bool busy() const { return state_ != State::kIdle; }
  // Abandon the transaction in progress (after a timeout): all VALIDs drop.
  void abort();
  uint32_t resp() const { return resp_; }
  uint32_t rdata() const { return rdata_; }
  // Cycles (ticks) the last finished transaction took, from its first
  // cycle of VALID to the response handshake inclusive.
  uint64_t last_cycles() const { return last_cycles_; }

 private:
  enum class State { kIdle, kWrite, kRead };
  State state_ = State::kIdle;
  AxilMasterSignals out_;
  uint32_t resp_ = 0, rdata_ = 0;
  uint64_t cycles_ = 0, last_cycles_ = 0;
};

}  // namespace kgsimpp

#endif  // KGSIM_AXIL_MASTER_HPP
