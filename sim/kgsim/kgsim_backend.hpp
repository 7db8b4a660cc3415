// kgsim_backend.hpp: what the C API needs from one simulated accelerator.
//
// Backend holds the geometry-independent parts (DRAM model, CSR master,
// cycle count); KgSim<V> (kgsim_sim.hpp) adds the Verilated model. Each
// per-geometry library defines backend_new() for its model type.
#ifndef KGSIM_BACKEND_HPP
#define KGSIM_BACKEND_HPP

#include <cstdint>
#include <string>

#include "axi_dram.hpp"
#include "axil_master.hpp"
#include "kgsim.h"

namespace kgsimpp {

class Backend {
 public:
  Backend(const kgsim_config& cfg, unsigned rows, unsigned cols)
      : dram(cfg.dram), cfg(cfg), rows(rows), cols(cols) {}
  virtual ~Backend() = default;
  Backend(const Backend&) = delete;
  Backend& operator=(const Backend&) = delete;

  // One clock cycle: drive inputs, settle, tick the bus models, rising edge.
  // While reset is asserted the bus models are not ticked.
  virtual void cycle() = 0;
  virtual bool irq() const = 0;
  virtual void set_reset(bool asserted) = 0;
  // KGSIM_OK, KGSIM_ENOTSUP (no tracing in this build) or KGSIM_EIO.
  virtual int trace_open(const char* path) = 0;
  virtual void trace_close() = 0;

  // reset_n low for cfg.reset_cycles cycles; bus models restart empty.
  void reset() {
    set_reset(true);
    axil.abort();
    for (uint32_t i = 0; i < cfg.reset_cycles; i++) cycle();
    dram.reset();
    set_reset(false);
  }

  AxiDram dram;
  AxilMaster axil;
  const kgsim_config cfg;
  const unsigned rows, cols;
  uint64_t cycles = 0;
};

// Defined once per geometry (generated from kgsim_new.cpp.in). Throws
// std::invalid_argument or std::bad_alloc.
Backend* backend_new(const kgsim_config& cfg);

// The Backend behind a C handle (nullptr for nullptr), for C++ tests.
Backend* backend_of(kgsim* s);

}  // namespace kgsimpp

#endif  // KGSIM_BACKEND_HPP
