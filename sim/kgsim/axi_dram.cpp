// axi_dram.cpp: see axi_dram.hpp.
#include "axi_dram.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <stdexcept>

namespace kgsimpp {

namespace {
constexpr uint64_t kBeatFx = static_cast<uint64_t>(kBeatBytes) << 16;
constexpr size_t kWfifoCap = 512;  // W beats accepted ahead of their AW
constexpr uint32_t kMaxOutstanding = 1024;

bool prob_ok(double p) { return p >= 0.0 && p < 1.0; }

std::string fmt(const char* f, unsigned long long a, unsigned long long b = 0,
                unsigned long long c = 0) {
  char buf[160];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}
}  // namespace

void AxiDram::Free::operator()(uint8_t* p) const { std::free(p); }

std::string AxiDram::validate(const kgsim_fault& f) {
  if (f.mode == KGSIM_FAULT_OFF) return "";
  if (f.mode != KGSIM_FAULT_RANGE && f.mode != KGSIM_FAULT_NTH)
    return fmt("fault mode %llu is not OFF, RANGE or NTH", f.mode);
  if (f.dirs == 0 || (f.dirs & ~static_cast<uint32_t>(KGSIM_DIR_BOTH)) != 0)
    return fmt("fault dirs %llu is not a non-empty subset of READ|WRITE", f.dirs);
  if (f.resp != KGSIM_RESP_SLVERR && f.resp != KGSIM_RESP_DECERR)
    return fmt("fault resp %llu is not SLVERR (2) or DECERR (3)", f.resp);
  if (f.mode == KGSIM_FAULT_RANGE && f.lo >= f.hi)
    return fmt("fault range [0x%llx, 0x%llx) is empty", f.lo, f.hi);
  if (f.mode == KGSIM_FAULT_NTH && f.nth == 0) return "fault nth is 1-based, got 0";
  return "";
}

std::string AxiDram::validate(const kgsim_dram_config& c) {
  if (c.size == 0 || c.size % kBeatBytes != 0)
    return fmt("dram size %llu is not a positive multiple of 16", c.size);
  if (c.base % kBeatBytes != 0) return fmt("dram base 0x%llx is not 16-byte aligned", c.base);
  if (c.base > (1ull << 32) || c.size > (1ull << 32) - c.base)
    return fmt("dram [0x%llx, +0x%llx) exceeds the 32-bit address space", c.base, c.size);
  if (c.read_latency < 1 || c.write_latency < 1)
    return fmt("dram latencies must be >= 1 cycle (read %llu, write %llu)", c.read_latency,
               c.write_latency);
  if (!(c.bytes_per_cycle > 0.0 && c.bytes_per_cycle <= 16.0))
    return "dram bytes_per_cycle must be in (0, 16]";
  if (c.max_reads < 1 || c.max_reads > kMaxOutstanding || c.max_writes < 1 ||
      c.max_writes > kMaxOutstanding)
    return fmt("dram max_reads %llu / max_writes %llu must be in 1..%llu", c.max_reads,
               c.max_writes, kMaxOutstanding);
  if (!prob_ok(c.p_stall_ar) || !prob_ok(c.p_stall_aw) || !prob_ok(c.p_stall_w) ||
      !prob_ok(c.p_gap_r) || !prob_ok(c.p_gap_b) || !prob_ok(c.p_reorder))
    return "dram stall probabilities must be in [0, 1)";
  return validate(c.fault);
}

AxiDram::AxiDram(const kgsim_dram_config& cfg) : cfg_(cfg) {
  std::string why = validate(cfg);
  if (!why.empty()) throw std::invalid_argument(why);
  // calloc: the OS hands out zero pages lazily, so a large idle DRAM is cheap.
  mem_.reset(static_cast<uint8_t*>(std::calloc(static_cast<size_t>(cfg.size), 1)));
  if (!mem_) throw std::bad_alloc();
  bw_fx_ = static_cast<uint64_t>(std::llround(cfg.bytes_per_cycle * 65536.0));
  if (bw_fx_ == 0) bw_fx_ = 1;
  rng_ = cfg.seed ^ 0x9E3779B97F4A7C15ull;
  if (rng_ == 0) rng_ = 1;
  faults_[0].f = cfg.fault;
  reset();
}

void AxiDram::reset() {
  reads_.clear();
  writes_.clear();
  wfifo_.clear();
  w_head_ = 0;
  r_cur_ = b_cur_ = npos;
  credit_r_ = credit_w_ = kBeatFx;
  out_ = AxiSlaveSignals();
  prev_m_ = AxiMasterSignals();
  ar_wait_ = aw_wait_ = w_wait_ = false;
  out_.arready = true;
  out_.awready = true;
  out_.wready = true;
}

uint64_t AxiDram::next_rand() {
  // xorshift64*: cheap, seeded, identical on every platform.
  rng_ ^= rng_ >> 12;
  rng_ ^= rng_ << 25;
  rng_ ^= rng_ >> 27;
  return rng_ * 0x2545F4914F6CDD1Dull;
}

bool AxiDram::roll(double p) {
  const uint64_t r = next_rand() >> 11;  // 53 bits
  return p > 0.0 && static_cast<double>(r) * (1.0 / 9007199254740992.0) < p;
}

template <class Q, class Ready>
size_t AxiDram::pick(const Q& q, size_t limit, Ready ready) {
  if (limit == 0) return npos;
  if (!roll(cfg_.p_reorder)) return ready(q[0]) ? 0 : npos;
  size_t cand[kMaxOutstanding];
  size_t n = 0;
  for (size_t i = 0; i < limit; i++) {
    if (!ready(q[i])) continue;
    bool oldest = true;
    for (size_t j = 0; j < i && oldest; j++) oldest = q[j].id != q[i].id;
    if (oldest) cand[n++] = i;
  }
  return n == 0 ? npos : cand[next_rand() % n];
}

bool AxiDram::in_range(uint64_t addr, uint64_t n) const {
  return addr >= cfg_.base && n <= cfg_.size && addr - cfg_.base <= cfg_.size - n;
}

bool AxiDram::write(uint64_t addr, const void* src, size_t n) {
  if (!in_range(addr, n) || (n != 0 && src == nullptr)) return false;
  if (n != 0) std::memcpy(at(addr), src, n);
  return true;
}

bool AxiDram::read(uint64_t addr, void* dst, size_t n) const {
  if (!in_range(addr, n) || (n != 0 && dst == nullptr)) return false;
  if (n != 0) std::memcpy(dst, at(addr), n);
  return true;
}

bool AxiDram::set_fault(unsigned slot, const kgsim_fault& f) {
  if (slot >= KGSIM_FAULT_SLOTS || !validate(f).empty()) return false;
  faults_[slot] = FaultSlot();
  faults_[slot].f = f;
  return true;
}

void AxiDram::clear_stats() {
  stats_ = kgsim_stats();
  proto_msg_.clear();
}

void AxiDram::protocol_error(const std::string& what) {
  stats_.protocol_errors++;
  if (proto_msg_.empty()) proto_msg_ = fmt("cycle %llu: ", now_) + what;
}

// Response for a new burst: protocol violations first, then decode, then faults.
uint32_t AxiDram::classify(uint32_t addr, uint32_t len, uint32_t size, uint32_t burst,
                           bool is_write) {
  const char* ch = is_write ? "AW" : "AR";
  const uint64_t bytes = static_cast<uint64_t>(len + 1) * kBeatBytes;
  uint32_t resp = KGSIM_RESP_OKAY;
  std::string bad;
  if (size != 4) bad = fmt("size %llu (need 4, 16-byte beats)", size);
  else if (burst != 1) bad = fmt("burst type %llu (need INCR)", burst);
  else if (addr % kBeatBytes != 0) bad = fmt("address 0x%llx not 16-byte aligned", addr);
  else if ((addr & 0xFFFu) + bytes > 0x1000u)
    bad = fmt("burst 0x%llx + %llu beats crosses a 4 KiB boundary", addr, len + 1ull);
  if (!bad.empty()) {
    protocol_error(std::string(ch) + " " + bad);
    resp = KGSIM_RESP_SLVERR;
  } else if (!in_range(addr, bytes)) {
    resp = KGSIM_RESP_DECERR;
  }
  const uint32_t dir = is_write ? KGSIM_DIR_WRITE : KGSIM_DIR_READ;
  for (FaultSlot& s : faults_) {
    if (s.f.mode == KGSIM_FAULT_OFF || (s.f.dirs & dir) == 0) continue;
    bool hit;
    if (s.f.mode == KGSIM_FAULT_RANGE) {
      hit = addr < s.f.hi && s.f.lo < addr + bytes;
    } else {
      uint64_t& seen = is_write ? s.writes_seen : s.reads_seen;
      hit = ++seen == s.f.nth;
    }
    if (hit && resp == KGSIM_RESP_OKAY) {
      resp = s.f.resp;
      stats_.faults_injected++;
    }
  }
  if (resp == KGSIM_RESP_SLVERR) stats_.slverr_txns++;
  if (resp == KGSIM_RESP_DECERR) stats_.decerr_txns++;
  return resp;
}

void AxiDram::commit(const WriteTxn& t) {
  if (t.resp != KGSIM_RESP_OKAY) return;
  for (uint32_t i = 0; i < t.got; i++) {
    uint8_t* p = at(t.addr + static_cast<uint64_t>(i) * kBeatBytes);
    for (unsigned b = 0; b < kBeatBytes; b++) {
      if (t.data[i].strb >> b & 1u) {
        p[b] = t.data[i].data[b];
        stats_.bytes_written++;
      }
    }
  }
}

// Hand W beats, in order, to the oldest AWs still waiting for data.
void AxiDram::match_wbeats() {
  while (w_head_ < writes_.size() && !wfifo_.empty()) {
    WriteTxn& t = writes_[w_head_];
    const WBeat beat = wfifo_.front();
    wfifo_.pop_front();
    t.got++;
    if (t.resp == KGSIM_RESP_OKAY) t.data.push_back(beat);
    bool done = false;
    if (beat.last && t.got < t.beats) {
      protocol_error(fmt("WLAST on beat %llu of a %llu-beat burst at 0x%llx", t.got, t.beats,
                         t.addr));
      done = true;
    } else if (t.got == t.beats) {
      if (!beat.last)
        protocol_error(fmt("no WLAST on the last beat of a %llu-beat burst at 0x%llx", t.beats,
                           t.addr));
      done = true;
    }
    if (done) {
      if (t.got != t.beats || !beat.last) {
        if (t.resp == KGSIM_RESP_OKAY) stats_.slverr_txns++;
        if (t.resp == KGSIM_RESP_DECERR) {
          stats_.decerr_txns--;
          stats_.slverr_txns++;
        }
        t.resp = KGSIM_RESP_SLVERR;
      }
      commit(t);
      t.data.clear();
      t.data.shrink_to_fit();
      t.data_done = true;
      t.b_at = std::max(t.accepted_at + cfg_.write_latency, now_ + 1);
      w_head_++;
    }
  }
}

// The master's side of AXI: a VALID not yet taken stays high, its payload unchanged.
void AxiDram::check_master(const AxiMasterSignals& m) {
  const AxiMasterSignals& p = prev_m_;
  if (ar_wait_ && (!m.arvalid || m.arid != p.arid || m.araddr != p.araddr || m.arlen != p.arlen ||
                   m.arsize != p.arsize || m.arburst != p.arburst))
    protocol_error("ARVALID dropped or AR changed before ARREADY");
  if (aw_wait_ && (!m.awvalid || m.awid != p.awid || m.awaddr != p.awaddr || m.awlen != p.awlen ||
                   m.awsize != p.awsize || m.awburst != p.awburst))
    protocol_error("AWVALID dropped or AW changed before AWREADY");
  if (w_wait_ && (!m.wvalid || m.wstrb != p.wstrb || m.wlast != p.wlast ||
                  std::memcmp(m.wdata, p.wdata, kBeatBytes) != 0))
    protocol_error("WVALID dropped or W changed before WREADY");
}

void AxiDram::tick(const AxiMasterSignals& m) {
  const AxiSlaveSignals cur = out_;
  check_master(m);
  prev_m_ = m;
  ar_wait_ = m.arvalid && !cur.arready;
  aw_wait_ = m.awvalid && !cur.awready;
  w_wait_ = m.wvalid && !cur.wready;
  const bool ar_fire = m.arvalid && cur.arready;
  const bool r_fire = cur.rvalid && m.rready;
  const bool aw_fire = m.awvalid && cur.awready;
  const bool w_fire = m.wvalid && cur.wready;
  const bool b_fire = cur.bvalid && m.bready;

  if (r_fire) {
    ReadTxn& t = reads_[r_cur_];
    stats_.read_beats++;
    if (t.resp == KGSIM_RESP_OKAY) stats_.bytes_read += kBeatBytes;
    if (++t.sent == t.beats) {
      reads_.erase(reads_.begin() + static_cast<std::ptrdiff_t>(r_cur_));
      r_cur_ = npos;
    }
  }
  if (b_fire) {
    writes_.erase(writes_.begin() + static_cast<std::ptrdiff_t>(b_cur_));
    b_cur_ = npos;
    w_head_--;
  }
  if (ar_fire) {
    ReadTxn t;
    t.id = m.arid;
    t.addr = m.araddr;
    t.beats = (m.arlen & 0xFFu) + 1;
    t.sent = 0;
    t.ready_at = now_ + cfg_.read_latency;
    t.resp = classify(m.araddr, m.arlen & 0xFFu, m.arsize, m.arburst, false);
    reads_.push_back(t);
    stats_.read_txns++;
    stats_.max_reads_seen = std::max<uint32_t>(stats_.max_reads_seen, reads_outstanding());
  }
  if (aw_fire) {
    WriteTxn t;
    t.id = m.awid;
    t.addr = m.awaddr;
    t.beats = (m.awlen & 0xFFu) + 1;
    t.got = 0;
    t.accepted_at = now_;
    t.b_at = 0;
    t.data_done = false;
    t.resp = classify(m.awaddr, m.awlen & 0xFFu, m.awsize, m.awburst, true);
    if (t.resp == KGSIM_RESP_OKAY) t.data.reserve(t.beats);
    writes_.push_back(std::move(t));
    stats_.write_txns++;
    stats_.max_writes_seen = std::max<uint32_t>(stats_.max_writes_seen, writes_outstanding());
  }
  if (w_fire) {
    WBeat b;
    std::memcpy(b.data, m.wdata, kBeatBytes);
    b.strb = m.wstrb & 0xFFFFu;
    b.last = m.wlast;
    wfifo_.push_back(b);
    stats_.write_beats++;
    credit_w_ -= kBeatFx;
  }
  match_wbeats();

  // Outputs for the next cycle.
  now_++;
  // The cap keeps an idle channel from saving up a burst faster than the
  // rate; it never bites on a channel that moves a beat whenever it can.
  const uint64_t cap = kBeatFx + bw_fx_ - 1;
  credit_r_ = std::min(cap, credit_r_ + bw_fx_);
  credit_w_ = std::min(cap, credit_w_ + bw_fx_);
  const bool st_ar = roll(cfg_.p_stall_ar), st_aw = roll(cfg_.p_stall_aw);
  const bool st_w = roll(cfg_.p_stall_w), gap_r = roll(cfg_.p_gap_r), gap_b = roll(cfg_.p_gap_b);

  out_.arready = reads_.size() < cfg_.max_reads && !st_ar;
  out_.awready = writes_.size() < cfg_.max_writes && !st_aw;
  out_.wready = wfifo_.size() < kWfifoCap && credit_w_ >= kBeatFx && !st_w;

  if (!(cur.rvalid && !r_fire)) {  // else hold the presented beat
    out_.rvalid = false;
    if (r_cur_ == npos && credit_r_ >= kBeatFx && !gap_r)
      r_cur_ = pick(reads_, reads_.size(), [this](const ReadTxn& t) { return now_ >= t.ready_at; });
    if (r_cur_ != npos && credit_r_ >= kBeatFx && !gap_r) {
      const ReadTxn& t = reads_[r_cur_];
      credit_r_ -= kBeatFx;
      out_.rvalid = true;
      out_.rid = t.id;
      out_.rresp = t.resp;
      out_.rlast = t.sent + 1 == t.beats;
      if (t.resp == KGSIM_RESP_OKAY)
        std::memcpy(out_.rdata, at(t.addr + static_cast<uint64_t>(t.sent) * kBeatBytes),
                    kBeatBytes);
      else
        std::memset(out_.rdata, 0, kBeatBytes);
    }
  }
  if (!(cur.bvalid && !b_fire)) {
    out_.bvalid = false;
    if (!gap_b)
      b_cur_ = pick(writes_, w_head_, [this](const WriteTxn& t) { return now_ >= t.b_at; });
    if (b_cur_ != npos) {
      out_.bvalid = true;
      out_.bid = writes_[b_cur_].id;
      out_.bresp = writes_[b_cur_].resp;
    }
  }
}

}  // namespace kgsimpp
