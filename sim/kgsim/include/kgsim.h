/*
 * kgsim.h: libkgsim, the Verilated kg_top behind a C API (sim/kgsim/README.md).
 *
 * A kgsim handle owns one cycle-accurate model of the accelerator: the
 * Verilated RTL, an AXI4-Lite master on its CSR port and an AXI4 slave DRAM
 * model on its DMA port. Every call advances simulated time only as stated.
 * One static library per array geometry (kgsim_<R>x<C>) exports this same
 * API; a program links exactly one of them.
 *
 * Ownership: kgsim_create returns a handle owned by the caller, released with
 * kgsim_destroy (NULL is accepted). The config is copied; the caller keeps
 * ownership of everything it passes in. Strings returned by kgsim_strerror
 * are static; the string from kgsim_last_error belongs to the handle and
 * stays valid until the next call on that handle.
 *
 * Thread-safety: calls on one handle must not overlap. Distinct handles are
 * independent (each has its own VerilatedContext) and may be used from
 * different threads.
 *
 * Errors: every function that can fail returns KGSIM_OK (0) or a negative
 * KGSIM_E* code, the back-end status codes of kg_backend.h (KGSIM_E* =
 * KG_BE_E*); kgsim_strerror gives its meaning and kgsim_last_error the
 * detail of the most recent failure on a handle.
 *
 * kgsim_ops is this library's kg_backend_ops table (kg_backend.h), the
 * interface it shares with the functional model.
 */
#ifndef KGSIM_H
#define KGSIM_H

#include <stddef.h>
#include <stdint.h>

#include "kg_backend.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: kg_backend.h's, under this library's names. */
enum {
  KGSIM_OK = KG_BE_OK,
  KGSIM_EINVAL = KG_BE_EINVAL,
  KGSIM_ENOMEM = KG_BE_ENOMEM,
  KGSIM_ERANGE = KG_BE_ERANGE,
  KGSIM_ETIMEOUT = KG_BE_ETIMEOUT, /* CSR transaction or wait for irq */
  KGSIM_ESLVERR = KG_BE_ESLVERR,   /* the CSR port answered SLVERR */
  KGSIM_EDECERR = KG_BE_EDECERR,   /* the CSR port answered DECERR */
  KGSIM_ENOTSUP = KG_BE_ENOTSUP,   /* e.g. tracing without KG_TRACE */
  KGSIM_EIO = KG_BE_EIO
};

/* AXI response codes (RRESP/BRESP). */
enum { KGSIM_RESP_OKAY = 0, KGSIM_RESP_EXOKAY = 1, KGSIM_RESP_SLVERR = 2, KGSIM_RESP_DECERR = 3 };

/* Fault injection. */
enum { KGSIM_FAULT_OFF = 0, KGSIM_FAULT_RANGE = 1, KGSIM_FAULT_NTH = 2 };
enum { KGSIM_DIR_READ = KG_BE_DIR_READ, KGSIM_DIR_WRITE = KG_BE_DIR_WRITE, KGSIM_DIR_BOTH = KG_BE_DIR_BOTH };
#define KGSIM_FAULT_SLOTS KG_BE_FAULT_SLOTS

typedef struct kgsim_fault {
  uint32_t mode; /* KGSIM_FAULT_OFF, _RANGE or _NTH */
  uint32_t dirs; /* KGSIM_DIR_READ | KGSIM_DIR_WRITE */
  uint32_t resp; /* KGSIM_RESP_SLVERR or KGSIM_RESP_DECERR */
  /* RANGE: every burst that touches [lo, hi) is answered with resp. */
  uint64_t lo, hi;
  /* NTH: the nth (1-based) read transaction accepted after the fault was set
   * (if dirs has READ), and the nth write transaction (if dirs has WRITE),
   * are answered with resp. Fires once per direction. */
  uint64_t nth;
} kgsim_fault;

/*
 * DRAM model. Timing, at zero stalls:
 *  - the first R beat is valid exactly read_latency cycles after the cycle
 *    whose clock edge accepted AR (read_latency >= 1);
 *  - B is valid max(write_latency cycles after AW acceptance, 1 cycle after
 *    the last W beat);
 *  - R and W each move at most bytes_per_cycle bytes a cycle (a 16-byte beat
 *    every 16/bytes_per_cycle cycles on average), independently;
 *  - reads are answered in acceptance order, and so are writes, unless
 *    p_reorder > 0 (always in order per ID); read bursts are not interleaved.
 * A faulted read still returns arlen+1 beats (data 0) with the error resp; a
 * faulted write answers resp on B and leaves memory unchanged.
 * Protocol violations (arsize/awsize != 4, burst type not INCR, address not
 * 16-byte aligned, a burst crossing 4 KiB, WLAST on the wrong beat) are
 * counted, the first is described by kgsim_dram_protocol_error, and the burst
 * is answered SLVERR without touching memory. A master VALID on AR, AW or W
 * that drops, or whose payload changes, before READY is counted the same way.
 * A burst outside
 * [base, base+size) is answered DECERR.
 */
typedef struct kgsim_dram_config {
  uint64_t base;            /* first byte address (16-byte aligned); default 0 */
  uint64_t size;            /* bytes (multiple of 16, base+size <= 2^32); default 64 MiB */
  uint32_t read_latency;    /* cycles, >= 1; default 50 */
  uint32_t write_latency;   /* cycles, >= 1; default 50 */
  double bytes_per_cycle;   /* (0, 16]; default 16 */
  uint32_t max_reads;       /* outstanding read transactions, 1..1024; default 64 */
  uint32_t max_writes;      /* outstanding write transactions, 1..1024; default 64 */
  /* Random stalls, probabilities in [0, 1) per cycle: deassert ARREADY,
   * AWREADY, WREADY; hold back a new RVALID or BVALID. Seeded, so runs repeat. */
  double p_stall_ar, p_stall_aw, p_stall_w, p_gap_r, p_gap_b;
  /* Each time the next read burst (or write response) is chosen, with this
   * probability pick a random one among those ready that are the oldest of
   * their ID, instead of the oldest overall: responses of different IDs then
   * come back out of order (AXI allows it), those of one ID never do. */
  double p_reorder;
  uint64_t seed;
  kgsim_fault fault;        /* initial content of fault slot 0 */
} kgsim_dram_config;

typedef struct kgsim_config {
  kgsim_dram_config dram;
  uint64_t reg_timeout_cycles; /* bound on one AXI4-Lite transaction; default 1000 */
  uint32_t reset_cycles;       /* cycles reset_n is held low at create/reset; default 4 */
} kgsim_config;

typedef struct kgsim_stats {
  uint64_t bytes_read;     /* bytes of R beats answered OKAY */
  uint64_t bytes_written;  /* strobed bytes committed to memory */
  uint64_t read_txns, write_txns;   /* accepted AR / AW */
  uint64_t read_beats, write_beats; /* R / W handshakes */
  uint64_t slverr_txns, decerr_txns; /* transactions answered with each */
  uint64_t protocol_errors;
  uint64_t faults_injected;
  uint32_t max_reads_seen, max_writes_seen; /* outstanding high-water marks */
} kgsim_stats;

typedef struct kgsim kgsim;

kgsim_config kgsim_config_default(void);

/* NULL cfg means kgsim_config_default(). On failure returns NULL and, if err
 * is not NULL, writes a NUL-terminated reason of at most errlen bytes. The
 * model comes out of reset at cycle reset_cycles. */
kgsim *kgsim_create(const kgsim_config *cfg, char *err, size_t errlen);
void kgsim_destroy(kgsim *s);

/* Array geometry this library was built for. */
unsigned kgsim_rows(const kgsim *s);
unsigned kgsim_cols(const kgsim *s);

/* One AXI4-Lite transaction on the CSR port; the model runs meanwhile.
 * off must be 4-byte aligned and < 4096. KGSIM_ESLVERR / _EDECERR on an error
 * response (val is then not written), KGSIM_ETIMEOUT after reg_timeout_cycles
 * (the CSR port is then in an undefined state until kgsim_reset). */
int kgsim_reg_read32(kgsim *s, uint32_t off, uint32_t *val);
int kgsim_reg_write32(kgsim *s, uint32_t off, uint32_t val);

/* Backdoor access to the DRAM model, no simulated time. KGSIM_ERANGE unless
 * [addr, addr+n) lies inside [base, base+size). */
int kgsim_mem_write(kgsim *s, uint64_t addr, const void *src, size_t n);
int kgsim_mem_read(kgsim *s, uint64_t addr, void *dst, size_t n);

/* Clock until irq is high: KGSIM_OK at once if it already is, else after the
 * cycle that raised it; KGSIM_ETIMEOUT after max_cycles. *waited (may be
 * NULL) receives the cycles run. */
int kgsim_run_until_irq(kgsim *s, uint64_t max_cycles, uint64_t *waited);
int kgsim_step(kgsim *s, uint64_t n);
uint64_t kgsim_cycles(const kgsim *s);
/* Current level of the interrupt line (0 or 1). */
int kgsim_irq(const kgsim *s);
/* Hold reset_n low for reset_cycles cycles. DRAM contents, statistics and
 * faults are kept; in-flight bus transactions are dropped. */
int kgsim_reset(kgsim *s);

/* FST waveform of every later cycle. KGSIM_ENOTSUP unless built with KG_TRACE. */
int kgsim_trace_open(kgsim *s, const char *path_fst);
int kgsim_trace_close(kgsim *s);

int kgsim_dram_stats(const kgsim *s, kgsim_stats *out);
int kgsim_dram_stats_clear(kgsim *s);
/* First protocol violation seen since create/stats_clear, or "" if none. */
const char *kgsim_dram_protocol_error(const kgsim *s);
/* Set fault slot (< KGSIM_FAULT_SLOTS); f == NULL or f->mode == OFF clears it. */
int kgsim_set_fault(kgsim *s, unsigned slot, const kgsim_fault *f);

const char *kgsim_strerror(int code);
/* Detail of the last failure on s ("" if none); s == NULL gives the detail of
 * the last failed kgsim_create in this thread. */
const char *kgsim_last_error(const kgsim *s);

/* The back-end table (kg_backend.h) over this library: name "rtl"; a
 * RANGE fault answers SLVERR; create refuses another geometry than
 * kgsim_rows x kgsim_cols with KG_BE_ENOTSUP. */
extern const kg_backend_ops kgsim_ops;

#ifdef __cplusplus
}
#endif

#endif /* KGSIM_H */
