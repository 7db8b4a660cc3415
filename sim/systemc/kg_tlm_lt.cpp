// kg_tlm_lt.cpp: see kg_tlm_lt.h.
#include "kg_tlm_lt.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "kgmac/kg_regs.h"
#include "kgmodel.h"

using namespace sc_core;

kg_tlm_lt::kg_tlm_lt(sc_module_name name, sc_time period, unsigned rows, unsigned cols, uint64_t mem_base,
                     uint64_t mem_size)
    : sc_module(name), period_(period),
      base_(mem_base), size_(mem_size) {
  kgmodel_config c = kgmodel_config_default();
  c.rows = rows;
  c.cols = cols;
  c.dram_base = mem_base;
  c.dram_size = mem_size;
  char err[160] = {0};
  reg_cycles_ = c.reg_cycles;
  m_ = kgmodel_create(&c, err, sizeof err);
  if (!m_) throw std::invalid_argument(std::string("kg_tlm_lt: ") + err);
  csr_socket.register_b_transport(this, &kg_tlm_lt::csr_b_transport);
  SC_METHOD(event_method);
  sensitive << ev_;
  dont_initialize();
}

kg_tlm_lt::~kg_tlm_lt() { kgmodel_destroy(m_); }

bool kg_tlm_lt::dma(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned n) {
  tlm::tlm_generic_payload gp;
  sc_time dl = SC_ZERO_TIME;
  gp.set_command(cmd);
  gp.set_address(addr);
  gp.set_data_ptr(data);
  gp.set_data_length(n);
  gp.set_streaming_width(n);
  gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
  dma_socket->b_transport(gp, dl);
  return gp.is_response_ok();
}

// Mirror the window into the model; chunks that fail become one read-fault
// range covering all of them (fault slot 0).
void kg_tlm_lt::fetch_window() {
  snap_.assign(size_, 0);
  uint64_t bad_lo = UINT64_MAX, bad_hi = 0;
  for (uint64_t off = 0; off < size_; off += 4096) {
    const unsigned n = unsigned(std::min<uint64_t>(4096, size_ - off));
    if (!dma(tlm::TLM_READ_COMMAND, base_ + off, &snap_[off], n)) {
      bad_lo = std::min(bad_lo, base_ + off);
      bad_hi = base_ + off + n;
    }
  }
  kgmodel_mem_write(m_, base_, snap_.data(), snap_.size());
  kgmodel_fault f{KGMODEL_FAULT_RANGE, KGMODEL_DIR_READ, bad_lo, bad_hi};
  kgmodel_set_fault(m_, 0, bad_hi ? &f : nullptr);
}

// Write back every run of bytes the layer changed.
void kg_tlm_lt::write_back() {
  std::vector<unsigned char> now(size_);
  kgmodel_mem_read(m_, base_, now.data(), now.size());
  for (uint64_t i = 0; i < size_;) {
    if (now[i] == snap_[i]) {
      i++;
      continue;
    }
    uint64_t j = i;
    while (j < size_ && now[j] != snap_[j]) j++;
    if (!dma(tlm::TLM_WRITE_COMMAND, base_ + i, &now[i], unsigned(j - i)))
      SC_REPORT_WARNING("kg_tlm_lt", "output write-back failed");
    i = j;
  }
  snap_.swap(now);
}

// Step the model to SystemC time t (never back), then write back a layer
// that has ended.
void kg_tlm_lt::sync(const sc_time& t) {
  const uint64_t target = uint64_t(t / period_);
  const uint64_t now = kgmodel_cycles(m_);
  if (target > now) kgmodel_step(m_, target - now);
  if (layer_ && !kgmodel_busy(m_)) {
    layer_ = false;
    write_back();
  }
}

// Wake event_method at the model's next completion.
void kg_tlm_lt::arm() {
  const uint64_t n = kgmodel_next_event(m_);
  if (n == UINT64_MAX) return;
  const sc_time at = period_ * double(kgmodel_cycles(m_) + n);
  const sc_time now = sc_time_stamp();
  ev_.notify(at > now ? at - now : SC_ZERO_TIME);
}

void kg_tlm_lt::event_method() {
  sync(sc_time_stamp());
  irq.write(kgmodel_irq(m_) != 0);
  arm();
}

void kg_tlm_lt::csr_b_transport(tlm::tlm_generic_payload& p, sc_time& delay) {
  if (p.get_data_length() != 4 || (p.get_address() & 3) || p.get_address() > 0xffc ||
      p.get_byte_enable_ptr() || (!p.is_read() && !p.is_write())) {
    p.set_response_status(tlm::TLM_GENERIC_ERROR_RESPONSE);
    return;
  }
  sync(sc_time_stamp() + delay);
  const uint32_t off = uint32_t(p.get_address());
  unsigned char* d = p.get_data_ptr();
  int rc;
  if (p.is_write()) {
    const uint32_t v = uint32_t(d[0]) | uint32_t(d[1]) << 8 | uint32_t(d[2]) << 16 | uint32_t(d[3]) << 24;
    const bool start = off == KG_REG_CTRL && (v & KG_CTRL_START_MASK) && !(v & KG_CTRL_SOFT_RESET_MASK) &&
                       !kgmodel_busy(m_);
    if (start) {
      fetch_window();
      layer_ = true;
    }
    rc = kgmodel_reg_write32(m_, off, v);
  } else {
    uint32_t v = 0;
    rc = kgmodel_reg_read32(m_, off, &v);
    for (int i = 0; i < 4; i++) d[i] = (unsigned char)(v >> (8 * i));
  }
  delay += period_ * double(reg_cycles_);
  // The irq signal has one writer process, event_method; a caller outside
  // the simulation (sc_main) writes it itself, since no process runs until
  // its next sc_start.
  if (sc_get_curr_process_kind() == SC_NO_PROC_)
    irq.write(kgmodel_irq(m_) != 0);
  else
    ev_.notify(SC_ZERO_TIME);
  arm();
  p.set_response_status(rc == KGMODEL_OK ? tlm::TLM_OK_RESPONSE : tlm::TLM_GENERIC_ERROR_RESPONSE);
}
