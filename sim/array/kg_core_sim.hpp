// kg_core_sim.hpp: kg::Core over one Verilated kg_mac_core model type V.
// Included by the per-geometry translation unit that CMake generates.
#ifndef KG_CORE_SIM_HPP
#define KG_CORE_SIM_HPP

#include <cstring>

#include "kg_core.hpp"
#include "verilated.h"
#if VM_TRACE
#include "verilated_fst_c.h"
#endif

namespace kg {

// Copy `nbits` bits LSB-first from bytes into a Verilator port of any width.
template <typename T>
inline void put_bits(T& port, const uint8_t* src, unsigned nbytes) {
  uint64_t v = 0;
  for (unsigned i = 0; i < nbytes && i < sizeof(uint64_t); i++)
    v |= static_cast<uint64_t>(src[i]) << (8 * i);
  port = static_cast<T>(v);
}
template <std::size_t W>
inline void put_bits(VlWide<W>& port, const uint8_t* src, unsigned nbytes) {
  for (std::size_t w = 0; w < W; w++) {
    uint32_t v = 0;
    for (unsigned b = 0; b < 4; b++) {
      unsigned i = static_cast<unsigned>(w * 4 + b);
      if (i < nbytes) v |= static_cast<uint32_t>(src[i]) << (8 * b);
    }
    port[w] = v;
  }
}
template <typename T>
inline int32_t get_word(const T& port, unsigned i) {
  return static_cast<int32_t>(static_cast<uint64_t>(port) >> (32 * i));
}
template <std::size_t W>
inline int32_t get_word(const VlWide<W>& port, unsigned i) {
  return static_cast<int32_t>(port[i]);
}

template <class V>
class CoreSim final : public Core {
 public:
  CoreSim(unsigned rows, unsigned cols, unsigned depth, bool keygate, bool in_pe)
      : rows_(rows), cols_(cols), depth_(depth), keygate_(keygate), in_pe_(in_pe) {
    ctx_.reset(new VerilatedContext);
    ctx_->randReset(2);
    top_.reset(new V(ctx_.get(), "core"));
    top_->clk = 0;
    reset();
  }
  ~CoreSim() override {
    trace_close();
    top_->final();
  }
  unsigned rows() const override { return rows_; }
  unsigned cols() const override { return cols_; }
  unsigned acc_depth() const override { return depth_; }
  bool keygate() const override { return keygate_; }
  bool key_in_pe() const override { return in_pe_; }

  void reset(unsigned cycles = 2) override {
    top_->reset_n = 0;
    top_->w_valid = 0;
    top_->a_valid = 0;
    top_->r_ready = 0;
    for (unsigned i = 0; i < cycles; i++) clock();
    top_->reset_n = 1;
    eval_low();
  }
  void set_key(const uint8_t* key_bits) override {
    put_bits(top_->key_s, key_bits, (rows_ * cols_ + 7) / 8);
  }
  CoreOutputs drive(const CoreInputs& in) override {
    top_->w_valid = in.w_valid;
    if (in.w_data) put_bits(top_->w_data, in.w_data, cols_);
    top_->a_valid = in.a_valid;
    if (in.a_data) put_bits(top_->a_data, in.a_data, rows_);
    top_->a_last = in.a_last;
    top_->a_acc = in.a_acc;
    top_->a_emit = in.a_emit;
    top_->r_ready = in.r_ready;
    eval_low();
    CoreOutputs o;
    o.w_ready = top_->w_ready;
    o.a_ready = top_->a_ready;
    o.r_valid = top_->r_valid;
    o.r_last = top_->r_last;
    o.idle = top_->idle;
    o.err_ovf = top_->err_ovf;
    return o;
  }
  void result(int32_t* out) const override {
    for (unsigned c = 0; c < cols_; c++) out[c] = get_word(top_->r_data, c);
  }
  // Two evaluations per cycle: the rising edge here, and the falling edge
  // together with the next drive() (or here, if drive() was not called).
  void clock() override {
    if (low_pending_) eval_low();
    top_->clk = 1;
    top_->eval();
    ctx_->timeInc(1);
#if VM_TRACE
    if (tfp_) tfp_->dump(ctx_->time());
#endif
    top_->clk = 0;
    low_pending_ = true;
    cycles_++;
  }
  uint64_t cycles() const override { return cycles_; }

  bool trace_open(const std::string& path) override {
#if VM_TRACE
    trace_close();
    ctx_->traceEverOn(true);
    tfp_.reset(new VerilatedFstC);
    top_->trace(tfp_.get(), 99);
    tfp_->open(path.c_str());
    return tfp_->isOpen();
#else
    (void)path;
    return false;
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
  void eval_low() {
    top_->eval();
    if (low_pending_) {
      ctx_->timeInc(1);
#if VM_TRACE
      if (tfp_) tfp_->dump(ctx_->time());
#endif
      low_pending_ = false;
    }
  }
  bool low_pending_ = false;
  unsigned rows_, cols_, depth_;
  bool keygate_, in_pe_;
  uint64_t cycles_ = 0;
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<V> top_;
#if VM_TRACE
  std::unique_ptr<VerilatedFstC> tfp_;
#endif
};

}  // namespace kg

#endif  // KG_CORE_SIM_HPP
