/*
 * kg_backend.h: the one interface of a simulated kgmac device, shared by
 * its two back-ends:
 *
 *   kgsim_ops    libkgsim, the Verilated kg_top (sim/kgsim/include/kgsim.h)
 *   kgmodel_ops  kgmodel, the functional C model (sim/model/include/kgmodel.h)
 *
 * Each library defines its kg_backend_ops table (declared in its own
 * header); a user (the driver, a
 * test) that wants either back-end calls through the table and never
 * names kgsim_* or kgmodel_* functions. Both libraries' own APIs stay
 * available for what only one of them has (DRAM statistics and timing,
 * tracing, NTH faults in libkgsim; the event interface in kgmodel).
 *
 * Errors: every operation that can fail returns KG_BE_OK (0) or a negative
 * KG_BE_E* code below; KGSIM_E* and KGMODEL_E* are these same codes under
 * their libraries' names. ops->strerror gives the back-end's wording.
 *
 * Ownership: create returns, in *out, a handle owned by the caller and
 * released with destroy (NULL is accepted). The config is copied; buffers
 * passed in stay the caller's. Strings from strerror are static.
 *
 * Thread-safety: calls on one handle must not overlap; distinct handles are
 * independent. The tables are const.
 */
#ifndef KG_BACKEND_H
#define KG_BACKEND_H

#include <stddef.h>
#include <stdint.h>

#include "kg_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes of both back-ends. */
enum {
  KG_BE_OK = 0,
  KG_BE_EINVAL = -1,   /* bad argument or configuration value */
  KG_BE_ENOMEM = -2,   /* allocation failed */
  KG_BE_ERANGE = -3,   /* address outside the DRAM or the CSR block, or misaligned */
  KG_BE_ETIMEOUT = -4, /* cycle bound reached (CSR transaction or wait for the interrupt) */
  KG_BE_ESLVERR = -5,  /* the CSR access was answered SLVERR (unmapped offset) */
  KG_BE_EDECERR = -6,  /* the CSR access was answered DECERR (libkgsim only) */
  KG_BE_ENOTSUP = -7,  /* not available in this back-end or build */
  KG_BE_EIO = -8       /* a file could not be opened or written, or the simulator failed to build */
};

/* DMA directions of a fault, and the number of fault slots. */
enum { KG_BE_DIR_READ = 1, KG_BE_DIR_WRITE = 2, KG_BE_DIR_BOTH = 3 };
#define KG_BE_FAULT_SLOTS 4u

/* What create needs to know; everything else takes the back-end's default. */
typedef struct kg_backend_config {
  uint32_t rows, cols; /* array geometry; 0, 0 = the back-end's default. libkgsim is
                          built for one geometry and refuses any other (KG_BE_ENOTSUP) */
  uint64_t dram_base;  /* first device address (16-byte aligned) */
  uint64_t dram_size;  /* bytes (multiple of 16, dram_base + dram_size <= 2^32) */
} kg_backend_config;

/* A bus fault: every DMA access of a layer that touches [lo, hi) in a
 * direction of dirs is answered with an error (SLVERR on libkgsim), and the
 * layer ends with STATUS.ERR = ERR_BUS. */
typedef struct kg_backend_fault {
  uint32_t dirs; /* KG_BE_DIR_READ | KG_BE_DIR_WRITE */
  uint64_t lo, hi;
} kg_backend_fault;

typedef struct kg_backend_ops {
  const char *name; /* "rtl" or "model" */
  /* New device out of reset. On failure *out is NULL, err (if not NULL)
   * gets a NUL-terminated reason of at most errlen bytes, and the code is
   * KG_BE_EINVAL (config refused), KG_BE_ENOTSUP (geometry not built),
   * KG_BE_ENOMEM or KG_BE_EIO. */
  int (*create)(const kg_backend_config *cfg, void **out, char *err, size_t errlen);
  void (*destroy)(void *h);
  unsigned (*rows)(const void *h);
  unsigned (*cols)(const void *h);
  /* CSR access: off 4-byte aligned and < 4096 (else KG_BE_ERANGE); an
   * error response leaves *val unwritten. */
  int (*reg_read32)(void *h, uint32_t off, uint32_t *val);
  int (*reg_write32)(void *h, uint32_t off, uint32_t val);
  /* Backdoor DRAM access, no device time; KG_BE_ERANGE outside the DRAM. */
  int (*mem_write)(void *h, uint64_t addr, const void *src, size_t n);
  int (*mem_read)(void *h, uint64_t addr, void *dst, size_t n);
  /* Run until the interrupt line is high (KG_BE_OK at once if it is);
   * KG_BE_ETIMEOUT after max_cycles. *waited (may be NULL) gets the cycles. */
  int (*run_until_irq)(void *h, uint64_t max_cycles, uint64_t *waited);
  int (*step)(void *h, uint64_t n);
  uint64_t (*cycles)(const void *h);
  int (*irq)(const void *h); /* interrupt line, 0 or 1 */
  /* Hardware reset: every CSR to its reset value; DRAM and faults kept. */
  int (*reset)(void *h);
  /* Fault slot (< KG_BE_FAULT_SLOTS); f == NULL clears it. */
  int (*set_fault)(void *h, unsigned slot, const kg_backend_fault *f);
  const char *(*strerror)(int code);
  /* Firmware HAL (kg_hal.h) over h; h must outlive every use of hal. */
  void (*hal_bind)(void *h, kg_hal *hal);
} kg_backend_ops;

#ifdef __cplusplus
}
#endif

#endif /* KG_BACKEND_H */
