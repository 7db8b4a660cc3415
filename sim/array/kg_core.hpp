// kg_core.hpp: a cycle-level C++ handle on the Verilated compute core
// (rtl/array/kg_mac_core.v), independent of the array geometry.
//
// One static library per geometry (kgcore_<R>x<C>[_variant]) implements
// the factory kg::core_new_kgcore_<R>x<C>[_variant](); see KG_DECLARE_CORE.
#ifndef KG_CORE_HPP
#define KG_CORE_HPP

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace kg {

// Port values the harness drives for one cycle.
struct CoreInputs {
  bool w_valid = false;
  const uint8_t* w_data = nullptr;   // cols bytes
  bool a_valid = false;
  const uint8_t* a_data = nullptr;   // rows bytes
  bool a_last = false, a_acc = false, a_emit = false;
  bool r_ready = true;
};

// Port values the core presents before the clock edge.
struct CoreOutputs {
  bool w_ready = false;
  bool a_ready = false;
  bool r_valid = false;
  bool r_last = false;
  bool idle = false;
  bool err_ovf = false;
};

class Core {
 public:
  virtual ~Core() = default;
  virtual unsigned rows() const = 0;
  virtual unsigned cols() const = 0;
  virtual unsigned acc_depth() const = 0;
  virtual bool keygate() const = 0;
  virtual bool key_in_pe() const = 0;

  // Synchronous reset for `cycles` clock cycles.
  virtual void reset(unsigned cycles = 2) = 0;
  // Sign key: rows*cols bits LSB-first, bit r*cols+c = PE(r, c).
  virtual void set_key(const uint8_t* key_bits) = 0;
  // Apply inputs and settle the combinational logic (no clock edge).
  virtual CoreOutputs drive(const CoreInputs& in) = 0;
  // Result row currently on r_data (cols int32 values).
  virtual void result(int32_t* out) const = 0;
  // One rising clock edge with the inputs last given to drive().
  virtual void clock() = 0;
  virtual uint64_t cycles() const = 0;
  // FST waveform (only when built with KG_TRACE=ON); returns false otherwise.
  virtual bool trace_open(const std::string& path) = 0;
  virtual void trace_close() = 0;
};

// Declares the factory of one geometry library, e.g.
//   KG_DECLARE_CORE(kgcore_8x8)  ->  std::unique_ptr<Core> core_new_kgcore_8x8();
#define KG_CORE_FACTORY_(name) core_new_##name
#define KG_CORE_FACTORY(name) KG_CORE_FACTORY_(name)
#define KG_DECLARE_CORE(name) std::unique_ptr<::kg::Core> KG_CORE_FACTORY(name)()

// Random handshake stalls: probability that a source raises valid in a
// cycle where it could (once raised, valid holds until accepted), and that
// the sink raises ready.
struct Stalls {
  double w_valid = 1.0;
  double a_valid = 1.0;
  double r_ready = 1.0;
  uint64_t seed = 1;
};

struct GemmStats {
  uint64_t cycles = 0;           // first cycle to the last result accepted
  uint64_t first_a_cycle = 0;    // cycle of the first accepted activation
  uint64_t last_r_cycle = 0;     // cycle of the last accepted result
  uint64_t results = 0;          // result beats received
  bool overflow = false;         // accumulator overflow flag seen
};

// Run C = A (MxK) x W (KxN, already sign-locked) through the core, tiling
// as docs/array.md describes. Returns false (with *err set) on a timeout or
// protocol error. The key must be set beforehand with set_key().
bool gemm(Core& core, uint32_t M, uint32_t K, uint32_t N, const int8_t* A,
          const int8_t* W, int32_t* C, const Stalls& st, GemmStats* stats,
          std::string* err, uint64_t max_cycles = 0);

}  // namespace kg

#endif  // KG_CORE_HPP
