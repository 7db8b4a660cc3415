/*
 * kgmodel.h: the functional C model of kg_top (docs/model.md).
 *
 * A kgmodel handle is a register-compatible, bit-exact stand-in for the
 * Verilated kg_top of libkgsim (sim/kgsim/include/kgsim.h), with the same
 * API shape. The CSR block (key vault, KCV check, wrong-key policy,
 * interrupt causes, soft reset, performance counters) follows the
 * semantics written in rtl/top/kg_csr.v; on CTRL.START the whole layer is
 * validated exactly as rtl/top/kg_layer_ctrl.v does and executed at once
 * with the C reference (common/ref) and the AES reference (common/aes). The
 * engine then stays BUSY for an analytic cycle estimate (docs/model.md) and
 * raises its interrupt when that time has passed, so kgmodel_run_until_irq
 * advances model time. Output bytes are committed to device memory at the
 * end of the layer (a layer aborted by SOFT_RESET or a bus error writes
 * nothing; the RTL may have written some rows by then).
 *
 * Time: every CSR access advances the model by reg_cycles cycles (default
 * 3; a read returns the register as it is one cycle into the access, as
 * kg_top's AXI4-Lite slave does), kgmodel_step by n, kgmodel_run_until_irq
 * until the interrupt.
 *
 * The decrypted, sign-folded weights of the last layer are cached inside
 * the handle and reused only while the weight image bytes, W_POS, the crypt
 * mode, K, N and every vault key/nonce input compare equal.
 *
 * Ownership: kgmodel_create returns a handle owned by the caller, released
 * with kgmodel_destroy (NULL is accepted). The config is copied; buffers
 * passed in stay the caller's. kgmodel_strerror returns static strings.
 *
 * Thread-safety: calls on one handle must not overlap; distinct handles
 * are independent.
 *
 * Errors: every function that can fail returns KGMODEL_OK (0) or a
 * negative KGMODEL_E* code, the back-end status codes of kg_backend.h
 * (KGMODEL_E* = KG_BE_E*).
 *
 * kgmodel_ops is the model's kg_backend_ops table (kg_backend.h), the
 * interface it shares with libkgsim.
 */
#ifndef KGMODEL_H
#define KGMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "kg_backend.h"
#include "kg_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: kg_backend.h's, under the model's names (the model never
 * answers DECERR or fails on I/O). */
enum {
  KGMODEL_OK = KG_BE_OK,
  KGMODEL_EINVAL = KG_BE_EINVAL,
  KGMODEL_ENOMEM = KG_BE_ENOMEM,
  KGMODEL_ERANGE = KG_BE_ERANGE,
  KGMODEL_ETIMEOUT = KG_BE_ETIMEOUT, /* cycle bound reached while waiting for the interrupt */
  KGMODEL_ESLVERR = KG_BE_ESLVERR,   /* the CSR access hit an unmapped offset */
  KGMODEL_ENOTSUP = KG_BE_ENOTSUP    /* not supported by the functional model */
};

/* Fault injection on DRAM address ranges (mirrors kgsim_fault's RANGE mode:
 * any DMA access of a layer that touches [lo, hi) in a direction of dirs
 * ends the layer with ERR_BUS). */
enum { KGMODEL_FAULT_OFF = 0, KGMODEL_FAULT_RANGE = 1 };
enum { KGMODEL_DIR_READ = KG_BE_DIR_READ, KGMODEL_DIR_WRITE = KG_BE_DIR_WRITE, KGMODEL_DIR_BOTH = KG_BE_DIR_BOTH };
#define KGMODEL_FAULT_SLOTS KG_BE_FAULT_SLOTS

typedef struct kgmodel_fault {
  uint32_t mode; /* KGMODEL_FAULT_OFF or _RANGE */
  uint32_t dirs; /* KGMODEL_DIR_READ | KGMODEL_DIR_WRITE */
  uint64_t lo, hi;
} kgmodel_fault;

typedef struct kgmodel_config {
  uint32_t rows, cols;     /* array geometry, powers of two, R*C <= 1024; default 16x16 */
  uint32_t acc_depth;      /* kg_top ACC_DEPTH; default 256 */
  uint32_t half_words;     /* kg_top HALF_WORDS; default 2048 */
  uint32_t param_depth;    /* kg_top PARAM_DEPTH; default 1024 */
  uint64_t dram_base;      /* first device address (16-byte aligned); default 0 */
  uint64_t dram_size;      /* bytes (multiple of 16, base+size <= 2^32); default 64 MiB */
  uint32_t reg_cycles;     /* cycles one CSR access takes; default 3 */
  uint32_t read_latency;   /* DRAM read latency used by the estimate; default 50 */
} kgmodel_config;

typedef struct kgmodel kgmodel;

kgmodel_config kgmodel_config_default(void);

/* NULL cfg means kgmodel_config_default(). On failure returns NULL and, if
 * err is not NULL, writes a NUL-terminated reason of at most errlen bytes. */
kgmodel *kgmodel_create(const kgmodel_config *cfg, char *err, size_t errlen);
void kgmodel_destroy(kgmodel *m);

unsigned kgmodel_rows(const kgmodel *m);
unsigned kgmodel_cols(const kgmodel *m);

/* CSR access (off 4-byte aligned, < 4096, else KGMODEL_ERANGE). An unmapped
 * offset gives KGMODEL_ESLVERR (a read then leaves *val unwritten). */
int kgmodel_reg_read32(kgmodel *m, uint32_t off, uint32_t *val);
int kgmodel_reg_write32(kgmodel *m, uint32_t off, uint32_t val);
/* Same with AXI write strobes (bit i enables byte i). */
int kgmodel_reg_write32_strb(kgmodel *m, uint32_t off, uint32_t val, uint32_t strb);

/* Backdoor DRAM access, no model time. KGMODEL_ERANGE outside the DRAM. */
int kgmodel_mem_write(kgmodel *m, uint64_t addr, const void *src, size_t n);
int kgmodel_mem_read(kgmodel *m, uint64_t addr, void *dst, size_t n);

/* Advance until irq is high (KGMODEL_OK at once if it already is);
 * KGMODEL_ETIMEOUT after max_cycles. *waited (may be NULL) gets the cycles. */
int kgmodel_run_until_irq(kgmodel *m, uint64_t max_cycles, uint64_t *waited);
int kgmodel_step(kgmodel *m, uint64_t n);
uint64_t kgmodel_cycles(const kgmodel *m);
int kgmodel_irq(const kgmodel *m);
/* For event-driven hosts (a SystemC wrapper), no model time: cycles from
 * now until the next internal completion (layer end, KCV CHECK or VERIFY end), or
 * UINT64_MAX when none is pending; and STATUS.BUSY. */
uint64_t kgmodel_next_event(const kgmodel *m);
int kgmodel_busy(const kgmodel *m);
/* Hardware reset: every CSR to its reset value; DRAM and faults kept. */
int kgmodel_reset(kgmodel *m);

/* Set fault slot (< KGMODEL_FAULT_SLOTS); NULL or mode OFF clears it.
 * KGMODEL_ENOTSUP for any mode other than RANGE (libkgsim's NTH mode). */
int kgmodel_set_fault(kgmodel *m, unsigned slot, const kgmodel_fault *f);

const char *kgmodel_strerror(int code);

/* Firmware HAL over this back-end (common/hal/include/kg_hal.h). A failed CSR
 * read returns 0xFFFFFFFF. The kg_hal belongs to the caller. */
void kgmodel_hal_bind(kgmodel *m, kg_hal *hal);

/* The back-end table (kg_backend.h) over the model: name "model"; create
 * takes any geometry kgmodel_create accepts (0, 0 = 16x16) and the
 * kgmodel_config defaults for everything else. */
extern const kg_backend_ops kgmodel_ops;

#ifdef __cplusplus
}
#endif

#endif /* KGMODEL_H */
