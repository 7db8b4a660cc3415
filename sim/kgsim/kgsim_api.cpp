// kgsim_api.cpp: the C API of kgsim.h over a kgsimpp::Backend.
//
// C++ because it owns C++ objects; it stops every exception at the C
// boundary. Compiled into each per-geometry library together with that
// geometry's backend_new().
#include <cstdarg>
#include <cstdio>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#include "kgsim.h"
#include "kgsim_backend.hpp"
#include "kgsim_create.h"

struct kgsim {
  std::unique_ptr<kgsimpp::Backend> b;
  std::string err;
};

namespace {

thread_local std::string g_create_err;

int fail(const kgsim* s, int code, const char* f, ...) __attribute__((format(printf, 3, 4)));
int fail(const kgsim* s, int code, const char* f, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, f);
  std::vsnprintf(buf, sizeof buf, f, ap);
  va_end(ap);
  if (s) const_cast<kgsim*>(s)->err = buf;
  return code;
}

// One AXI4-Lite transaction, clocking the model until it completes.
int reg_txn(kgsim* s, bool write, uint32_t off, uint32_t val, uint32_t* out) {
  const char* what = write ? "write" : "read";
  if (off % 4 != 0 || off >= 4096)
    return fail(s, KGSIM_ERANGE, "CSR %s at 0x%x: offset must be 4-byte aligned and < 0x1000",
                what, off);
  kgsimpp::Backend& b = *s->b;
  if (write)
    b.axil.start_write(off, val);
  else
    b.axil.start_read(off);
  for (uint64_t n = 0; b.axil.busy() && n < b.cfg.reg_timeout_cycles; n++) b.cycle();
  if (b.axil.busy()) {
    b.axil.abort();
    return fail(s, KGSIM_ETIMEOUT,
                "CSR %s at 0x%03x: no response within %llu cycles (cycle %llu); "
                "the CSR port needs kgsim_reset",
                what, off, static_cast<unsigned long long>(b.cfg.reg_timeout_cycles),
                static_cast<unsigned long long>(b.cycles));
  }
  switch (b.axil.resp()) {
    case KGSIM_RESP_OKAY:
      if (out) *out = b.axil.rdata();
      return KGSIM_OK;
    case KGSIM_RESP_SLVERR:
      return fail(s, KGSIM_ESLVERR, "CSR %s at 0x%03x: SLVERR", what, off);
    case KGSIM_RESP_DECERR:
      return fail(s, KGSIM_EDECERR, "CSR %s at 0x%03x: DECERR", what, off);
    default:
      return fail(s, KGSIM_ESLVERR, "CSR %s at 0x%03x: EXOKAY is not a valid AXI4-Lite response",
                  what, off);
  }
}

int mem_range_error(kgsim* s, const char* what, uint64_t addr, size_t n) {
  return fail(s, KGSIM_ERANGE, "kgsim_mem_%s [0x%llx, +%zu) is outside DRAM [0x%llx, +0x%llx)",
              what, static_cast<unsigned long long>(addr), n,
              static_cast<unsigned long long>(s->b->cfg.dram.base),
              static_cast<unsigned long long>(s->b->cfg.dram.size));
}

}  // namespace

kgsimpp::Backend* kgsimpp::backend_of(kgsim* s) { return s ? s->b.get() : nullptr; }

extern "C" {

kgsim_config kgsim_config_default(void) {
  kgsim_config c{};
  c.dram.base = 0;
  c.dram.size = 64ull << 20;
  c.dram.read_latency = 50;
  c.dram.write_latency = 50;
  c.dram.bytes_per_cycle = 16.0;
  c.dram.max_reads = 64;
  c.dram.max_writes = 64;
  c.dram.seed = 1;
  c.dram.fault.mode = KGSIM_FAULT_OFF;
  c.reg_timeout_cycles = 1000;
  c.reset_cycles = 4;
  return c;
}

int kgsim_create_status(const kgsim_config* cfg, kgsim** out, char* err, size_t errlen) {
  const kgsim_config c = cfg ? *cfg : kgsim_config_default();
  std::string why;
  int rc = KGSIM_EINVAL;
  if (c.reg_timeout_cycles == 0) why = "reg_timeout_cycles must be >= 1";
  else if (c.reset_cycles == 0) why = "reset_cycles must be >= 1";
  else why = kgsimpp::AxiDram::validate(c.dram);
  kgsim* s = nullptr;
  if (why.empty()) {
    try {
      std::unique_ptr<kgsim> h(new kgsim);
      h->b.reset(kgsimpp::backend_new(c));
      s = h.release();
    } catch (const std::bad_alloc&) {
      why = "out of memory";
      rc = KGSIM_ENOMEM;
    } catch (const std::exception& e) {
      why = e.what();
      rc = KGSIM_EIO;
    }
  }
  *out = s;
  if (!s) {
    g_create_err = "kgsim_create: " + why;
    if (err && errlen) std::snprintf(err, errlen, "%s", g_create_err.c_str());
    return rc;
  }
  return KGSIM_OK;
}

kgsim* kgsim_create(const kgsim_config* cfg, char* err, size_t errlen) {
  kgsim* s;
  (void)kgsim_create_status(cfg, &s, err, errlen);
  return s;
}

void kgsim_destroy(kgsim* s) { delete s; }

unsigned kgsim_rows(const kgsim* s) { return s ? s->b->rows : 0; }
unsigned kgsim_cols(const kgsim* s) { return s ? s->b->cols : 0; }

int kgsim_reg_read32(kgsim* s, uint32_t off, uint32_t* val) {
  if (!s || !val) return fail(s, KGSIM_EINVAL, "kgsim_reg_read32: NULL argument");
  return reg_txn(s, false, off, 0, val);
}

int kgsim_reg_write32(kgsim* s, uint32_t off, uint32_t val) {
  if (!s) return KGSIM_EINVAL;
  return reg_txn(s, true, off, val, nullptr);
}

int kgsim_mem_write(kgsim* s, uint64_t addr, const void* src, size_t n) {
  if (!s || (!src && n)) return fail(s, KGSIM_EINVAL, "kgsim_mem_write: NULL argument");
  return s->b->dram.write(addr, src, n) ? KGSIM_OK : mem_range_error(s, "write", addr, n);
}

int kgsim_mem_read(kgsim* s, uint64_t addr, void* dst, size_t n) {
  if (!s || (!dst && n)) return fail(s, KGSIM_EINVAL, "kgsim_mem_read: NULL argument");
  return s->b->dram.read(addr, dst, n) ? KGSIM_OK : mem_range_error(s, "read", addr, n);
}

int kgsim_run_until_irq(kgsim* s, uint64_t max_cycles, uint64_t* waited) {
  if (!s) return KGSIM_EINVAL;
  uint64_t n = 0;
  while (!s->b->irq() && n < max_cycles) {
    s->b->cycle();
    n++;
  }
  if (waited) *waited = n;
  if (!s->b->irq())
    return fail(s, KGSIM_ETIMEOUT, "no interrupt within %llu cycles (cycle %llu)",
                static_cast<unsigned long long>(max_cycles),
                static_cast<unsigned long long>(s->b->cycles));
  return KGSIM_OK;
}

int kgsim_step(kgsim* s, uint64_t n) {
  if (!s) return KGSIM_EINVAL;
  for (uint64_t i = 0; i < n; i++) s->b->cycle();
  return KGSIM_OK;
}

uint64_t kgsim_cycles(const kgsim* s) { return s ? s->b->cycles : 0; }
int kgsim_irq(const kgsim* s) { return s && s->b->irq() ? 1 : 0; }

int kgsim_reset(kgsim* s) {
  if (!s) return KGSIM_EINVAL;
  s->b->reset();
  return KGSIM_OK;
}

int kgsim_trace_open(kgsim* s, const char* path_fst) {
  if (!s || !path_fst) return fail(s, KGSIM_EINVAL, "kgsim_trace_open: NULL argument");
  int rc;
  try {
    rc = s->b->trace_open(path_fst);
  } catch (const std::exception& e) {
    return fail(s, KGSIM_EIO, "kgsim_trace_open %s: %s", path_fst, e.what());
  }
  if (rc == KGSIM_ENOTSUP)
    return fail(s, rc, "kgsim_trace_open: built without tracing (configure with -DKG_TRACE=ON)");
  if (rc != KGSIM_OK) return fail(s, rc, "kgsim_trace_open: cannot open %s", path_fst);
  return KGSIM_OK;
}

int kgsim_trace_close(kgsim* s) {
  if (!s) return KGSIM_EINVAL;
#if VM_TRACE
  s->b->trace_close();
  return KGSIM_OK;
#else
  return fail(s, KGSIM_ENOTSUP, "kgsim_trace_close: built without tracing");
#endif
}

int kgsim_dram_stats(const kgsim* s, kgsim_stats* out) {
  if (!s || !out) return fail(s, KGSIM_EINVAL, "kgsim_dram_stats: NULL argument");
  *out = s->b->dram.stats();
  return KGSIM_OK;
}

int kgsim_dram_stats_clear(kgsim* s) {
  if (!s) return KGSIM_EINVAL;
  s->b->dram.clear_stats();
  return KGSIM_OK;
}

const char* kgsim_dram_protocol_error(const kgsim* s) {
  return s ? s->b->dram.first_protocol_error().c_str() : "";
}

int kgsim_set_fault(kgsim* s, unsigned slot, const kgsim_fault* f) {
  if (!s) return KGSIM_EINVAL;
  kgsim_fault off{};
  const kgsim_fault& spec = f ? *f : off;
  if (slot >= KGSIM_FAULT_SLOTS)
    return fail(s, KGSIM_EINVAL, "kgsim_set_fault: slot %u >= %u", slot, KGSIM_FAULT_SLOTS);
  std::string why = kgsimpp::AxiDram::validate(spec);
  if (!why.empty()) return fail(s, KGSIM_EINVAL, "kgsim_set_fault: %s", why.c_str());
  s->b->dram.set_fault(slot, spec);
  return KGSIM_OK;
}

const char* kgsim_strerror(int code) {
  switch (code) {
    case KGSIM_OK: return "success";
    case KGSIM_EINVAL: return "invalid argument";
    case KGSIM_ENOMEM: return "out of memory";
    case KGSIM_ERANGE: return "address out of range or misaligned";
    case KGSIM_ETIMEOUT: return "cycle bound reached";
    case KGSIM_ESLVERR: return "slave error response (SLVERR)";
    case KGSIM_EDECERR: return "decode error response (DECERR)";
    case KGSIM_ENOTSUP: return "not supported by this build";
    case KGSIM_EIO: return "I/O error";
    default: return "unknown kgsim error code";
  }
}

const char* kgsim_last_error(const kgsim* s) {
  return s ? s->err.c_str() : g_create_err.c_str();
}

}  // extern "C"
