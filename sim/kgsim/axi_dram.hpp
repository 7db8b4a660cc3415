// axi_dram.hpp: cycle-level AXI4 slave memory (the device DRAM of libkgsim).
//
// Independent of any Verilated type. Once per clock cycle the owner
//   1. drives out() onto the master's inputs and lets the master settle,
//   2. calls tick() with the master's outputs, at the rising clock edge.
// Handshakes are the AND of valid and ready as seen in that cycle; out() is
// registered (it never depends on the master's outputs of the same cycle).
// The timing contract is documented with kgsim_dram_config in kgsim.h.
#ifndef KGSIM_AXI_DRAM_HPP
#define KGSIM_AXI_DRAM_HPP

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "kgsim.h"

namespace kgsimpp {

constexpr unsigned kBeatBytes = 16;

// Outputs of an AXI4 master (128-bit data), as sampled by the slave.
struct AxiMasterSignals {
  uint32_t arid = 0, araddr = 0, arlen = 0, arsize = 0, arburst = 0;
  bool arvalid = false;
  bool rready = false;
  uint32_t awid = 0, awaddr = 0, awlen = 0, awsize = 0, awburst = 0;
  bool awvalid = false;
  uint8_t wdata[kBeatBytes] = {};
  uint32_t wstrb = 0;
  bool wlast = false, wvalid = false;
  bool bready = false;
};

// Outputs of the slave.
struct AxiSlaveSignals {
  bool arready = false;
  uint32_t rid = 0;
  uint8_t rdata[kBeatBytes] = {};
  uint32_t rresp = 0;
  bool rlast = false, rvalid = false;
  bool awready = false, wready = false;
  uint32_t bid = 0, bresp = 0;
  bool bvalid = false;
};

class AxiDram {
 public:
  // Throws std::invalid_argument (config) or std::bad_alloc.
  explicit AxiDram(const kgsim_dram_config& cfg);
  // Empty string if cfg is usable, else the reason.
  static std::string validate(const kgsim_dram_config& cfg);
  static std::string validate(const kgsim_fault& f);

  const AxiSlaveSignals& out() const { return out_; }
  void tick(const AxiMasterSignals& m);
  // Drop every in-flight transaction (bus reset); memory and stats stay.
  void reset();

  // Backdoor; false if [addr, addr+n) is not inside the memory.
  bool write(uint64_t addr, const void* src, size_t n);
  bool read(uint64_t addr, void* dst, size_t n) const;
  bool in_range(uint64_t addr, uint64_t n) const;

  // false if slot or fault is invalid (see validate).
  bool set_fault(unsigned slot, const kgsim_fault& f);
  const kgsim_stats& stats() const { return stats_; }
  void clear_stats();
  const std::string& first_protocol_error() const { return proto_msg_; }

  unsigned reads_outstanding() const { return static_cast<unsigned>(reads_.size()); }
  unsigned writes_outstanding() const { return static_cast<unsigned>(writes_.size()); }
  uint64_t now() const { return now_; }
  const kgsim_dram_config& config() const { return cfg_; }

 private:
  struct ReadTxn {
    uint32_t id;
    uint64_t addr;
    uint32_t beats, sent;
    uint64_t ready_at;
    uint32_t resp;
  };
  struct WBeat {
    uint8_t data[kBeatBytes];
    uint32_t strb;
    bool last;
  };
  struct WriteTxn {
    uint32_t id;
    uint64_t addr;
    uint32_t beats, got;
    uint64_t accepted_at;
    uint64_t b_at;  // valid once data_done
    bool data_done;
    uint32_t resp;
    std::vector<WBeat> data;
  };
  struct FaultSlot {
    kgsim_fault f{};
    uint64_t reads_seen = 0, writes_seen = 0;
  };

  uint32_t classify(uint32_t addr, uint32_t len, uint32_t size, uint32_t burst, bool is_write);
  void protocol_error(const std::string& what);
  void match_wbeats();
  void check_master(const AxiMasterSignals& m);
  void commit(const WriteTxn& t);
  bool roll(double p);
  uint64_t next_rand();
  // Index of the entry of q[0, limit) to serve next (npos if none is ready).
  template <class Q, class Ready>
  size_t pick(const Q& q, size_t limit, Ready ready);
  static constexpr size_t npos = static_cast<size_t>(-1);
  uint8_t* at(uint64_t addr) const { return mem_.get() + (addr - cfg_.base); }

  kgsim_dram_config cfg_;
  struct Free {
    void operator()(uint8_t* p) const;
  };
  std::unique_ptr<uint8_t[], Free> mem_;
  // Bandwidth: credit in 1/65536 byte; a beat costs kBeatBytes << 16.
  uint64_t bw_fx_, credit_r_, credit_w_;
  uint64_t rng_;
  uint64_t now_ = 0;  // index of the current cycle
  AxiSlaveSignals out_;
  // The master's outputs at the last edge, and which VALIDs were still
  // waiting there (for the AXI rule: VALID stays, payload stable, until READY).
  AxiMasterSignals prev_m_;
  bool ar_wait_ = false, aw_wait_ = false, w_wait_ = false;
  std::deque<ReadTxn> reads_;   // accepted, answered in this order
  std::deque<WriteTxn> writes_; // accepted AWs until their B handshake
  std::deque<WBeat> wfifo_;     // W beats that arrived before their AW
  size_t w_head_ = 0;           // first entry of writes_ still awaiting data
  size_t r_cur_ = npos;         // entry of reads_ whose beats are going out
  size_t b_cur_ = npos;         // entry of writes_ whose B is presented
  FaultSlot faults_[KGSIM_FAULT_SLOTS];
  kgsim_stats stats_{};
  std::string proto_msg_;
};

}  // namespace kgsimpp

#endif  // KGSIM_AXI_DRAM_HPP
