// kg_core_gemm.cpp: feed a whole GEMM through kg_mac_core.
//
// Order (docs/array.md): M is split into passes of at most acc_depth rows.
// For each pass, for each N tile nt, for each K tile kt: one weight tile
// (rows beats of cols weights, zero padded) and one activation stream
// (one beat per row m, zero padded) with acc = (kt > 0), emit = (kt is the
// last K tile) and last on the pass's final row. The weight and activation
// streams are independent queues; the core pairs them in order.
#include <cstring>
#include <deque>
#include <random>

#include "kg_core.hpp"

namespace kg {
namespace {

struct ABeat {
  std::vector<uint8_t> data;
  bool last, acc, emit;
};

struct OutSlot {   // where the r-th emitted row lands
  uint32_t m;
  uint32_t n0;
};

// A source that raises valid with probability p and holds it until taken.
class Source {
 public:
  Source(double p, std::mt19937_64& rng) : p_(p), rng_(rng) {}
  bool valid(bool have) {
    if (!have) return held_ = false;
    if (!held_) held_ = dist_(rng_) < p_;
    return held_;
  }
  void taken() { held_ = false; }

 private:
  double p_;
  std::mt19937_64& rng_;
  std::uniform_real_distribution<double> dist_{0.0, 1.0};
  bool held_ = false;
};

}  // namespace

bool gemm(Core& core, uint32_t M, uint32_t K, uint32_t N, const int8_t* A,
          const int8_t* W, int32_t* C, const Stalls& st, GemmStats* stats,
          std::string* err, uint64_t max_cycles) {
  const unsigned R = core.rows(), Cc = core.cols(), D = core.acc_depth();
  const uint32_t KT = (K + R - 1) / R, NT = (N + Cc - 1) / Cc;

  std::deque<std::vector<uint8_t>> wq;
  std::deque<ABeat> aq;
  std::deque<OutSlot> oq;
  for (uint32_t m0 = 0; m0 < M; m0 += D) {
    const uint32_t mc = (M - m0 < D) ? M - m0 : D;
    for (uint32_t nt = 0; nt < NT; nt++) {
      for (uint32_t kt = 0; kt < KT; kt++) {
        for (unsigned r = 0; r < R; r++) {
          std::vector<uint8_t> row(Cc, 0);
          const uint32_t k = kt * R + r;
          for (unsigned c = 0; c < Cc; c++) {
            const uint32_t n = nt * Cc + c;
            if (k < K && n < N) row[c] = static_cast<uint8_t>(W[(size_t)k * N + n]);
          }
          wq.push_back(std::move(row));
        }
        for (uint32_t i = 0; i < mc; i++) {
          ABeat b;
          b.data.assign(R, 0);
          for (unsigned r = 0; r < R; r++) {
            const uint32_t k = kt * R + r;
            if (k < K) b.data[r] = static_cast<uint8_t>(A[(size_t)(m0 + i) * K + k]);
          }
          b.last = (i + 1 == mc);
          b.acc = kt > 0;
          b.emit = (kt + 1 == KT);
          aq.push_back(std::move(b));
          if (b.emit) oq.push_back(OutSlot{m0 + i, nt * Cc});
        }
      }
    }
  }

  if (max_cycles == 0) {
    // Generous bound: every beat may wait for a full stall pattern.
    double p = st.w_valid < st.a_valid ? st.w_valid : st.a_valid;
    if (st.r_ready < p) p = st.r_ready;
    if (p < 0.05) p = 0.05;
    max_cycles = (uint64_t)((wq.size() + aq.size() + oq.size()) / p) * 4 +
                 (uint64_t)(R + Cc) * 64 + 10000;
  }

  std::mt19937_64 rng(st.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Source ws(st.w_valid, rng), as(st.a_valid, rng);
  std::vector<int32_t> row(Cc);
  GemmStats s;
  const uint64_t c0 = core.cycles();
  bool first_a = false;
  bool r_ready = false;

  while (!oq.empty()) {
    if (core.cycles() - c0 > max_cycles) {
      if (err) *err = "timeout after " + std::to_string(max_cycles) + " cycles with " +
                      std::to_string(oq.size()) + " result rows outstanding";
      return false;
    }
    CoreInputs in;
    in.w_valid = ws.valid(!wq.empty());
    if (in.w_valid) in.w_data = wq.front().data();
    in.a_valid = as.valid(!aq.empty());
    if (in.a_valid) {
      const ABeat& b = aq.front();
      in.a_data = b.data.data();
      in.a_last = b.last;
      in.a_acc = b.acc;
      in.a_emit = b.emit;
    }
    // Ready may be dropped only between beats, like valid.
    if (!r_ready) r_ready = u(rng) < st.r_ready;
    in.r_ready = r_ready;
    CoreOutputs o = core.drive(in);
    const uint64_t now = core.cycles() - c0;
    if (o.err_ovf) s.overflow = true;
    if (in.w_valid && o.w_ready) {
      wq.pop_front();
      ws.taken();
    }
    if (in.a_valid && o.a_ready) {
      if (!first_a) {
        first_a = true;
        s.first_a_cycle = now;
      }
      aq.pop_front();
      as.taken();
    }
    if (o.r_valid && in.r_ready) {
      core.result(row.data());
      const OutSlot slot = oq.front();
      oq.pop_front();
      for (unsigned c = 0; c < Cc; c++)
        if (slot.n0 + c < N) C[(size_t)slot.m * N + slot.n0 + c] = row[c];
      const bool want_last = oq.empty() || oq.front().m <= slot.m;
      if (o.r_last != want_last) {
        if (err) *err = "r_last mismatch at output row m=" + std::to_string(slot.m);
        return false;
      }
      s.results++;
      s.last_r_cycle = now;
      r_ready = false;
    }
    core.clock();
  }
  s.cycles = core.cycles() - c0;
  if (!wq.empty() || !aq.empty()) {
    if (err) *err = "results complete but input beats left over";
    return false;
  }
  if (stats) *stats = s;
  return true;
}

}  // namespace kg
