// kg_core_gemm.cpp: feed a whole GEMM through kg_mac_core.
//
// Order (docs/array.md): M is split into passes of at most acc_depth rows.
// For each pass, for each N tile nt, for each K tile kt: one weight tile
// (rows beats of cols weights, zero padded) and one activation stream
// (one beat per row m, zero padded) with acc = (kt > 0), emit = (kt is the
// last K tile) and last on the pass's final row. The weight and activation
// streams are independent queues; the core pairs them in order.
#include <random>

#include "kg_core.hpp"

namespace kg {
namespace {

// Walks the tiling order (docs/array.md) without materialising the beats:
// pass (M chunk of at most D rows) -> N tile -> K tile -> beat.
class Tiling {
 public:
  Tiling(uint32_t M, uint32_t K, uint32_t N, unsigned R, unsigned C, unsigned D)
      : M_(M), K_(K), N_(N), R_(R), C_(C), D_(D),
        KT_((K + R - 1) / R), NT_((N + C - 1) / C) {}
  uint32_t KT() const { return KT_; }
  uint32_t NT() const { return NT_; }
  uint32_t passes() const { return (M_ + D_ - 1) / D_; }
  uint32_t pass_rows(uint32_t p) const { return (M_ - p * D_ < D_) ? M_ - p * D_ : D_; }
  uint64_t weight_beats() const { return uint64_t(passes()) * NT_ * KT_ * R_; }
  uint64_t act_beats() const { return uint64_t(M_) * NT_ * KT_; }
  uint64_t out_rows() const { return uint64_t(M_) * NT_; }

  const uint32_t M_, K_, N_;
  const unsigned R_, C_, D_;
  const uint32_t KT_, NT_;
};

struct WCursor {  // position in the weight stream
  uint32_t p = 0, nt = 0, kt = 0, r = 0;
};
struct ACursor {  // position in the activation stream
  uint32_t p = 0, nt = 0, kt = 0, i = 0;
};
struct OCursor {  // position in the result stream
  uint32_t p = 0, nt = 0, i = 0;
};

// A source that raises valid with probability p and holds it until taken.
class Source {
 public:
  Source(double p, std::mt19937_64& rng) : p_(p), rng_(rng) {}
  bool valid(bool have) {
    if (!have) return held_ = false;
    if (!held_) held_ = p_ >= 1.0 || dist_(rng_) < p_;
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
  const Tiling t(M, K, N, R, Cc, D);
  uint64_t w_left = t.weight_beats(), a_left = t.act_beats(), o_left = t.out_rows();

  if (max_cycles == 0) {
    // Generous bound: every beat may wait for a full stall pattern.
    double p = st.w_valid < st.a_valid ? st.w_valid : st.a_valid;
    if (st.r_ready < p) p = st.r_ready;
    if (p < 0.05) p = 0.05;
    max_cycles = (uint64_t)((w_left + a_left + o_left) / p) * 4 +
                 (uint64_t)(R + Cc) * 64 + 10000;
  }

  std::mt19937_64 rng(st.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Source ws(st.w_valid, rng), as(st.a_valid, rng);
  std::vector<int32_t> row(Cc);
  std::vector<uint8_t> wbuf(Cc), abuf(R);
  WCursor wc;
  ACursor ac;
  OCursor oc;
  GemmStats s;
  const uint64_t c0 = core.cycles();
  bool first_a = false;
  bool r_ready = false;

  auto fill_w = [&]() {
    const uint32_t k = wc.kt * R + wc.r;
    for (unsigned c = 0; c < Cc; c++) {
      const uint32_t n = wc.nt * Cc + c;
      wbuf[c] = (k < K && n < N) ? static_cast<uint8_t>(W[(size_t)k * N + n]) : 0;
    }
  };
  auto next_w = [&]() {
    if (++wc.r < R) return;
    wc.r = 0;
    if (++wc.kt < t.KT()) return;
    wc.kt = 0;
    if (++wc.nt < t.NT()) return;
    wc.nt = 0;
    wc.p++;
  };
  auto fill_a = [&](CoreInputs& in) {
    const uint32_t m = ac.p * D + ac.i;
    for (unsigned r = 0; r < R; r++) {
      const uint32_t k = ac.kt * R + r;
      abuf[r] = (k < K) ? static_cast<uint8_t>(A[(size_t)m * K + k]) : 0;
    }
    in.a_last = (ac.i + 1 == t.pass_rows(ac.p));
    in.a_acc = ac.kt > 0;
    in.a_emit = (ac.kt + 1 == t.KT());
  };
  auto next_a = [&]() {
    if (++ac.i < t.pass_rows(ac.p)) return;
    ac.i = 0;
    if (++ac.kt < t.KT()) return;
    ac.kt = 0;
    if (++ac.nt < t.NT()) return;
    ac.nt = 0;
    ac.p++;
  };
  bool w_filled = false, a_filled = false;
  CoreInputs in;
  in.w_data = wbuf.data();
  in.a_data = abuf.data();

  while (o_left) {
    if (core.cycles() - c0 > max_cycles) {
      if (err) *err = "timeout after " + std::to_string(max_cycles) + " cycles with " +
                      std::to_string(o_left) + " result rows outstanding";
      return false;
    }
    in.w_valid = ws.valid(w_left != 0);
    if (in.w_valid && !w_filled) {
      fill_w();
      w_filled = true;
    }
    in.a_valid = as.valid(a_left != 0);
    if (in.a_valid && !a_filled) {
      fill_a(in);
      a_filled = true;
    }
    // Ready may be dropped only between beats, like valid.
    if (!r_ready) r_ready = st.r_ready >= 1.0 || u(rng) < st.r_ready;
    in.r_ready = r_ready;
    CoreOutputs o = core.drive(in);
    const uint64_t now = core.cycles() - c0;
    if (o.err_ovf) s.overflow = true;
    if (in.w_valid && o.w_ready) {
      ws.taken();
      next_w();
      w_left--;
      w_filled = false;
    }
    if (in.a_valid && o.a_ready) {
      if (!first_a) {
        first_a = true;
        s.first_a_cycle = now;
      }
      as.taken();
      next_a();
      a_left--;
      a_filled = false;
    }
    if (o.r_valid && in.r_ready) {
      core.result(row.data());
      const uint32_t m = oc.p * D + oc.i;
      const uint32_t n0 = oc.nt * Cc;
      for (unsigned c = 0; c < Cc; c++)
        if (n0 + c < N) C[(size_t)m * N + n0 + c] = row[c];
      const bool want_last = (oc.i + 1 == t.pass_rows(oc.p));
      if (o.r_last != want_last) {
        if (err) *err = "r_last mismatch at output row m=" + std::to_string(m);
        return false;
      }
      if (++oc.i == t.pass_rows(oc.p)) {
        oc.i = 0;
        if (++oc.nt == t.NT()) {
          oc.nt = 0;
          oc.p++;
        }
      }
      o_left--;
      s.results++;
      s.last_r_cycle = now;
      r_ready = false;
    }
    core.clock();
  }
  s.cycles = core.cycles() - c0;
  if (w_left || a_left) {
    if (err) *err = "results complete but input beats left over";
    return false;
  }
  if (stats) *stats = s;
  return true;
}

}  // namespace kg
