/*
 * kg_driver_internal.h: what the libkgmac sources share (not installed).
 *
 * A kg_dev owns one back-end instance (the Verilated kg_top or the
 * functional model), the firmware context that drives it through the HAL,
 * a first-fit allocator over the device memory, and the list of models
 * loaded on it. A kg_model owns its parsed .kgm, one device-memory region
 * (parameters, weight image, descriptor area, two activation buffers) and
 * the host-side scratch buffers of kg_infer. No global mutable state: the
 * back-end table is const.
 */
#ifndef KG_DRIVER_INTERNAL_H
#define KG_DRIVER_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "kg_backend.h"
#include "kg_fw.h"
#include "kg_hal.h"
#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgmac/layer_pack.h"

/* Resolved kg_open_opts (defaults filled in). */
typedef struct kg_dev_opts {
  uint32_t rows, cols;
  uint64_t dram_size;
  uint64_t layer_timeout;
  uint32_t max_batch;
} kg_dev_opts;

#define KG_DRV_DEFAULT_DRAM (64ull * 1024ull * 1024ull)
#define KG_DRV_DEFAULT_TIMEOUT (1ull << 32)
#define KG_DRV_DEFAULT_BATCH 256u
#define KG_DRV_MAX_BATCH 65536u
#define KG_DRV_MIN_DRAM 4096ull
#define KG_DRV_MAX_DRAM (1ull << 32)

/* Device-memory allocation (sorted list of regions in use). */
typedef struct kg_region {
  uint64_t addr, size;
  struct kg_region *next;
} kg_region;

struct kg_dev {
  const kg_backend_ops *be;  /* kgsim_ops or kgmodel_ops (kg_backend.h) */
  void *impl;                /* the back-end's handle */
  kg_hal hal;                /* bound to impl */
  kg_fw fw;
  kg_dev_opts opts;
  kg_region *regions;
  kg_model *models;          /* models loaded on this device */
  const kg_model *kcv_model; /* model whose KCV the vault last checked (NULL: none valid) */
  int kcv_passed;            /* outcome of that check */
  const kg_model *auth_model; /* model the device last VERIFYed (NULL: none since the
                                 last CHECK, provisioning or zeroize) */
  int auth_passed;           /* outcome of that VERIFY */
  char err[KG_DETAIL_LEN];
};

/* One layer as the driver runs it. */
typedef struct kg_lplan {
  uint32_t op, relu, crypt, sign;
  uint32_t K, N;
  kg_conv_shape conv;        /* CONV only */
  uint32_t m_img;            /* GEMM rows per image (FC 1, CONV out_h*out_w) */
  uint32_t in_stride, out_stride;
  uint32_t in_img, out_img;  /* device bytes of one image's input / output */
  uint32_t w_addr, w_pos, p_addr;
  uint32_t in_buf;           /* activation buffer the layer reads (0/1); writes the other */
  uint64_t macs_img;         /* MACs per image (hardware K) */
} kg_lplan;

/* Per-layer accumulators of kg_perf. */
typedef struct kg_lperf {
  uint64_t macs;
  kg_fw_perf fw;
} kg_lperf;

struct kg_model {
  kg_dev *dev;               /* NULL once the device is closed */
  kg_model *next, *prev;
  kgm_model m;
  kg_lplan *plan;            /* m.n_layers entries */
  kg_model_info info;
  int key_ok;
  /* Device memory: one region from `region` on, `size` bytes: the file's
   * image [0, image_len) at base (parameters at base + params_offset,
   * weights at base + weights_offset, which is 64-byte aligned like the
   * weight tiles of every layer), then the descriptors and the activation
   * buffers. */
  uint64_t region, base, size;
  uint64_t image_len;
  uint32_t act_addr[2];
  uint64_t act_bytes;        /* each buffer */
  uint32_t desc_addr;
  uint32_t desc_max;         /* descriptors of one full batch */
  /* Host scratch (allocated at load) */
  uint8_t *stage;            /* max(input, output) of a full batch, device layout */
  size_t stage_len;
  uint8_t *descs;            /* desc_max * 64 */
  uint32_t *desc_addrs;      /* desc_max */
  uint32_t *desc_layer;      /* layer index of each descriptor */
  kg_fw_perf *fw_perf;       /* desc_max */
  /* Performance */
  kg_lperf *lperf;           /* m.n_layers */
  uint64_t inferences;
  uint64_t sim_cycles;
  double host_seconds;
};

/* Errors: set dev->err (printf format) and return code. */
int kg_dev_fail(kg_dev *dev, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Map a firmware status to KG_E_* with a detail naming `what`. */
int kg_dev_fw_fail(kg_dev *dev, int fw_rc, const char *what);
/* Map a firmware status to a KG_E_* code (KG_OK for KG_FW_OK). */
int kg_map_fw_status(int fw_rc);

/* Device memory: 64-byte aligned first fit. 0 on success. */
int kg_dev_alloc(kg_dev *dev, uint64_t size, uint64_t *addr);
void kg_dev_free_region(kg_dev *dev, uint64_t addr);
/* Largest free block (for error messages). */
uint64_t kg_dev_largest_free(const kg_dev *dev);

/* Run the vault's KCV check for model (encrypted models only) and record
 * the outcome in dev->kcv_model / kcv_passed and model->key_ok. Returns
 * KG_OK (check passed, or failed under policy RUN), or KG_E_WRONG_KEY,
 * KG_E_LOCKED_OUT, KG_E_NOKEY, KG_E_TIMEOUT, KG_E_DEVICE. */
int kg_model_key_check(kg_model *model);

/* Run the key check when the model uses the AES key, then, for a
 * version-2 model that uses a key, VERIFY its image at md->base; records
 * the outcome in dev->auth_model / auth_passed and model->key_ok.
 * KG_OK (passed, or failed under policy RUN: the device withholds the
 * keys), or the errors of kg_model_key_check and KG_E_AUTH. */
int kg_model_authenticate(kg_model *model);
/* Only the VERIFY step of kg_model_authenticate (after a key check that
 * passed, or failed under RUN: then no VERIFY, the keys stay withheld). */
int kg_model_verify(kg_model *model);

/* Current policy mode (POLICY.MODE). */
uint32_t kg_dev_policy(const kg_dev *dev);
/* POLICY.LEGACY (1: unauthenticated version-1 models allowed). */
uint32_t kg_dev_legacy(const kg_dev *dev);

/* Device cycles now. */
uint64_t kg_dev_cycles(const kg_dev *dev);

#endif /* KG_DRIVER_INTERNAL_H */
