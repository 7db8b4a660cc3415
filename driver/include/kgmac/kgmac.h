/*
 * kgmac.h: libkgmac, the host driver (docs/driver.md).
 *
 * One API over every back-end:
 *   "rtl"   the Verilated kg_top (libkgsim), cycle-accurate; its array
 *           geometry is fixed when libkgmac is built (KG_ROWS x KG_COLS);
 *   "model" the functional C model (kgmodel), bit-exact with the RTL; its
 *           geometry comes from kg_open_opts (default: the rtl geometry).
 * The driver reaches the device only through the firmware (firmware/,
 * kg_fw.h) and its HAL.
 *
 * Typical use:
 *   kg_dev *d; kg_open(&d, "rtl", NULL);
 *   kg_keys_provision(d, &keys, 0);          // operator, once
 *   kg_model *m; kg_model_load(d, "net.kgm", &m);
 *   kg_infer(m, input, n, output);
 *   kg_perf(m, &perf); kg_model_free(m); kg_close(d);
 *
 * Ownership: kg_open returns a device the caller releases with kg_close;
 * kg_model_load / kg_model_load_buffer return a model the caller releases
 * with kg_model_free (before kg_close of its device). Buffers passed in are
 * borrowed for the duration of the call (a model buffer is copied).
 * NULL is accepted by kg_close and kg_model_free. Closing a device with
 * models still loaded is allowed: those models then only answer
 * kg_model_query/kg_perf/kg_model_key_ok, kg_infer returns KG_E_STATE, and
 * kg_model_free releases their host memory.
 * Thread-safety: no global state. A device and the models loaded on it
 * must be used from one thread at a time; distinct devices are
 * independent.
 * Errors: KG_OK or a negative KG_E* code (kgmac/status.h); kg_strerror()
 * gives the message and kg_last_error(dev) the detail of the most recent
 * failure on that device (valid until the next call on it).
 */
#ifndef KGMAC_KGMAC_H
#define KGMAC_KGMAC_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct kg_dev kg_dev;
typedef struct kg_model kg_model;

typedef struct kg_open_opts {
  uint32_t rows, cols;       /* "model" only: array geometry (powers of two,
                                rows*cols <= 1024); 0 = the rtl build's. "rtl"
                                accepts 0 or its own geometry. */
  uint64_t dram_size;        /* device memory bytes, multiple of 16 in
                                [4 KiB, 4 GiB]; 0 = 64 MiB */
  uint64_t layer_timeout;    /* cycles one layer may take; 0 = 2^32 */
  uint32_t max_batch;        /* images per device run, <= 65536; 0 = 256.
                                Device memory for activations is reserved
                                for this many images at load. */
} kg_open_opts;

/* backend "rtl" or "model"; opts may be NULL. On failure *dev is NULL and,
 * if err is not NULL, err receives the reason (KG_DETAIL_LEN bytes).
 * KG_E_INVAL: unknown back-end or bad option; KG_E_DEVICE: the back-end
 * could not be created or the firmware did not find a usable device. */
int kg_open(kg_dev **dev, const char *backend, const kg_open_opts *opts, char *err);
void kg_close(kg_dev *dev);
const char *kg_last_error(const kg_dev *dev);

typedef struct kg_dev_info {
  const char *backend;       /* "rtl" or "model" (static string) */
  uint32_t rows, cols;       /* discovered from HW_ARRAY */
  uint32_t version;          /* VERSION register */
  uint64_t dram_size;
  uint32_t legacy;           /* POLICY.LEGACY now: 1 = unauthenticated (version-1)
                                models accepted (kg_keys.legacy) */
} kg_dev_info;
int kg_dev_query(const kg_dev *dev, kg_dev_info *info);

/* Wrong-key policies (= POLICY.MODE). */
enum { KG_KEY_POLICY_REFUSE = 0, KG_KEY_POLICY_RUN = 1, KG_KEY_POLICY_LOCKOUT = 2 };

typedef struct kg_keys {
  uint8_t aes_key[32];
  uint32_t aes_len;          /* 16, 24, 32; 0 = no AES key (clears any earlier one) */
  uint8_t sign_key[128];     /* bit r*C+c = byte (r*C+c)/8, bit (r*C+c)%8 */
  uint32_t sign_bits;        /* rows*cols of the device, or 0 = no new sign key
                                (an earlier one stays until kg_keys_zeroize) */
  uint32_t policy;           /* KG_KEY_POLICY_* */
  uint32_t threshold;        /* lockout after this many failed checks (1..255;
                                0 acts as 1) */
  uint32_t legacy;           /* POLICY.LEGACY: 1 = also run unauthenticated
                                (format version 1) models with the device keys;
                                0 (default) = only authenticated models */
} kg_keys;

/* Write keys and policy into the device's vault (write-only: they can never
 * be read back). lock != 0 locks the vault until reset afterwards.
 * KG_E_VAULT_LOCKED if it is already locked (nothing is written),
 * KG_E_INVAL on a bad size, policy or threshold. The key is checked against
 * a model's KCV when that model is loaded, and again before a model runs
 * if the vault has since checked another model's KCV or been provisioned.
 * A lockout is not lifted by provisioning, only by kg_keys_zeroize. */
int kg_keys_provision(kg_dev *dev, const kg_keys *keys, int lock);
/* Clear every key, the failure count and the lockout in the vault (a
 * locked vault stays locked until reset). */
int kg_keys_zeroize(kg_dev *dev);

/* Validate a .kgm (magic, version, flags, CRC, every field, offset and
 * size, geometry against the device, fit in device memory), copy the
 * file's image (header through weight image) into one device-memory region
 * and, if it uses the AES key, run the key check against its KCV. A
 * version-2 model that uses a key is then authenticated by the device
 * (VERIFY of its tag over that region). Outcomes follow the vault policy:
 * REFUSE/LOCKOUT -> KG_E_WRONG_KEY (KCV mismatch: a wrong key file),
 * KG_E_AUTH (tag mismatch: the file was modified, or locked for another
 * device key), KG_E_LOCKED_OUT (no model); RUN -> the model loads and
 * kg_model_key_ok() reports 0 (inference then produces what a thief would
 * get; after a tag mismatch the device withholds the keys). A keyed
 * version-1 model on a device with POLICY.LEGACY = 0 is refused up front
 * (KG_E_UNAUTH). A model that uses the AES key with none in the vault, or
 * a sign-locked one with no sign key, gives KG_E_NOKEY. The device holds
 * one authenticated model at a time: kg_infer authenticates its model
 * again when another one was verified since. Device-specific refusals:
 * KG_E_GEOMETRY (locked for another R x C), KG_E_TOO_BIG (K or N beyond the
 * device's buffers), KG_E_LAYER (a layout the hardware cannot run, e.g. an
 * FC after a convolution without the zero rows for 16-byte pixels),
 * KG_E_DEVMEM (the file's image + descriptors + two activation buffers
 * for max_batch images do not fit the free device memory). Nothing is
 * written to device memory before every check but VERIFY has passed
 * (VERIFY reads the image there; a model it refuses leaves no region). */
int kg_model_load(kg_dev *dev, const char *path, kg_model **model);
int kg_model_load_buffer(kg_dev *dev, const uint8_t *buf, size_t len, kg_model **model);
void kg_model_free(kg_model *model);
/* 1 when the model needs no key, or its KCV matched the vault's key and
 * (version 2) its last authentication passed. */
int kg_model_key_ok(const kg_model *model);

typedef struct kg_model_info {
  uint32_t n_layers;
  uint32_t input_size;       /* int8 values per input (in_h*in_w*in_c) */
  uint32_t output_size;      /* int8 values per output: the last layer's
                                out_h*out_w*N (N for an FC layer), NHWC */
  uint32_t in_h, in_w, in_c;
  float in_scale;
  int32_t in_zero;
  float out_scale;
  uint32_t crypt;            /* KGM_CRYPT_* */
  uint32_t sign;             /* 1 if sign-locked */
  uint32_t version;          /* .kgm format version (1 or 2) */
  uint32_t auth;             /* 1 if authenticated by the device (AUTH flag) */
  uint64_t macs;             /* multiply-accumulates per inference */
} kg_model_info;
int kg_model_query(const kg_model *model, kg_model_info *info);

/* Run n inputs (n * input_size int8, NHWC, back to back) through the
 * model; out receives n * output_size int8 values. Batches of up to
 * max_batch images run on the device at a time: an FC layer once per batch
 * (M = images), a convolution once per image. n = 0 does nothing.
 * KG_E_STATE if the model's device was closed; the key and
 * authentication errors of kg_model_load if the check or the VERIFY has
 * to be repeated (another model was checked or verified since);
 * KG_E_UNAUTH if the device refuses a keyed layer as unauthenticated; KG_E_TIMEOUT,
 * KG_E_BUS, KG_E_HW, KG_E_DEVICE from the device, with the failing layer
 * in kg_last_error. */
int kg_infer(kg_model *model, const int8_t *in, uint32_t n, int8_t *out);
/* Same with float inputs, quantized with the model's input scale and zero
 * point: q = clamp(round(x / in_scale) + in_zero, -128, 127), ties away
 * from zero, computed in double; NaN counts as 0. */
int kg_infer_float(kg_model *model, const float *in, uint32_t n, int8_t *out);

typedef struct kg_layer_perf {
  uint64_t cycles;           /* START to interrupt, summed over runs */
  uint64_t ideal;            /* MACs / (rows*cols), MACs with the hardware's K */
  uint64_t busy, compute;
  uint64_t rd_bytes, wr_bytes;
  uint64_t dma_stall, dec_stall;
  double util;               /* ideal / cycles (0 when no cycles) */
} kg_layer_perf;

#define KG_PERF_MAX_LAYERS 64u
typedef struct kg_perf_info {
  uint32_t n_layers;
  uint64_t inferences;       /* images run since load or kg_perf_reset */
  kg_layer_perf layer[KG_PERF_MAX_LAYERS];
  kg_layer_perf total;
  uint64_t sim_cycles;       /* device cycles elapsed, CSR traffic included */
  double host_seconds;       /* wall time inside kg_infer */
} kg_perf_info;
int kg_perf(const kg_model *model, kg_perf_info *perf);
void kg_perf_reset(kg_model *model);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_KGMAC_H */
