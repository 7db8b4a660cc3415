/*
 * kg_fw.h: kgmac firmware, the public API (firmware/README.md).
 *
 * Freestanding C11: no allocation, no libc I/O, no global mutable state. All
 * state lives in a caller-provided kg_fw context. The firmware reaches the
 * accelerator only through the kg_hal callbacks (kg_hal.h).
 *
 * Ownership: kg_fw_init copies the kg_hal callbacks into the context (the
 * kg_hal struct itself may then go away); hal->ctx is borrowed and must stay
 * valid while the context is used. The firmware never frees anything.
 *
 * Thread-safety: one context drives one device; calls on a context must not
 * overlap. Distinct contexts on distinct devices are independent.
 *
 * Errors: every call returns KG_FW_OK (0) or a negative KG_FW_E* code;
 * kg_fw_strstatus gives a static message. After a hardware-reported failure
 * the raw IRQ_STATUS and STATUS.ERR are kept in ctx->last_irq and
 * ctx->last_hw_err.
 *
 * Timeouts are in device clock cycles, as the HAL's wait_irq counts them.
 */
#ifndef KG_FW_H
#define KG_FW_H

#include <stddef.h>
#include <stdint.h>

#include "kg_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes. Stable values: the driver maps them to its own errors. */
enum {
  KG_FW_OK = 0,
  KG_FW_EINVAL = -1,       /* bad argument (NULL, length, alignment, geometry) */
  KG_FW_ENODEV = -2,       /* ID register is not 'KGMC' (no device, or a bus error) */
  KG_FW_EVERSION = -3,     /* register-map major version not supported */
  KG_FW_EGEOM = -4,        /* HW_* parameter registers describe no usable device */
  KG_FW_ENOTINIT = -5,     /* context not initialised by kg_fw_init */
  KG_FW_EBUSY = -6,        /* engine or key check busy when it should be idle */
  KG_FW_ETIMEOUT = -7,     /* no interrupt within the timeout (the engine was soft-reset) */
  KG_FW_EKCV = -8,         /* key check value mismatch: the key is wrong */
  KG_FW_ELOCKEDOUT = -9,   /* vault locked out after too many failures (until zeroize/reset) */
  KG_FW_ENOKEY = -10,      /* the operation needs a key the vault does not hold */
  KG_FW_EWRONGKEY = -11,   /* layer refused: its key failed or has not passed the check */
  KG_FW_EVAULT = -12,      /* write to a locked key vault (keys unchanged) */
  KG_FW_EDESC_MAGIC = -13, /* illegal descriptor: magic is not 0x4B44 */
  KG_FW_EDESC_OP = -14,    /* illegal descriptor: unknown layer type */
  KG_FW_EDESC_ZERO = -15,  /* illegal descriptor: a dimension is zero */
  KG_FW_EDESC_ALIGN = -16, /* illegal descriptor: an address or stride is misaligned */
  KG_FW_EDESC_BIG = -17,   /* illegal descriptor: a dimension exceeds a buffer or limit */
  KG_FW_EDESC_CRYPT = -18, /* illegal descriptor: unknown decrypt mode */
  KG_FW_EDESC_RSVD = -19,  /* illegal descriptor: a reserved field is not zero */
  KG_FW_EBUS = -20,        /* bus error on the DMA port; layer aborted */
  KG_FW_EABORTED = -21,    /* operation aborted (soft reset, or key inputs changed) */
  KG_FW_EHW = -22,         /* the hardware answered something this firmware does not expect */
  KG_FW_ELOCK = -23,      /* LOCK was requested but the vault did not report LOCKED */
  KG_FW_EAUTH = -24,      /* VERIFY: the model image's tag does not match (modified, or
                             locked for another device key) */
  KG_FW_ENOTAUTH = -25    /* layer refused: it uses a key but is not part of the
                             authenticated model (POLICY.LEGACY = 0) */
};
#define KG_FW_STATUS_COUNT 26 /* number of codes: 0 .. -(KG_FW_STATUS_COUNT-1) */

/* OR into the policy argument of kg_fw_provision / kg_fw_load_keys to set
 * POLICY.LEGACY: the device then also runs unauthenticated (version-1)
 * models with the device keys. Without it LEGACY is 0 (strict). */
#define KG_FW_POLICY_LEGACY 0x100u

/* What kg_fw_init discovered from ID, VERSION and HW_* (nothing hard-coded). */
typedef struct kg_fw_info {
  uint32_t version;     /* VERSION: major [31:16], minor [15:0] */
  uint32_t rows, cols;  /* PE array R x C */
  uint32_t acc_depth;   /* accumulator rows */
  uint32_t act_words;   /* activation buffer words of R bytes per half */
  uint32_t aes_lanes;   /* weight-decrypt byte lanes per cycle */
  uint32_t cipher_pipe; /* 1 = pipelined AES */
  uint32_t keygate;     /* 1 = sign-key gating present */
  uint32_t param_depth; /* largest N of a layer */
} kg_fw_info;

/* Firmware context, owned by the caller (any storage; no constructor beyond
 * kg_fw_init). Fields below "read-only" may be read by the caller. */
typedef struct kg_fw {
  kg_hal hal;                 /* copy of the caller's callbacks */
  uint32_t magic;             /* KG_FW_CTX_MAGIC once initialised */
  /* Settable after init: */
  uint64_t key_timeout;       /* cycles to wait for a key CHECK (default 100000) */
  uint64_t reset_timeout;     /* cycles to wait for a SOFT_RESET to finish (default 100000) */
  /* Read-only: */
  kg_fw_info info;
  uint32_t last_irq;          /* IRQ_STATUS of the last operation */
  uint32_t last_hw_err;       /* STATUS.ERR of the last operation */
  uint32_t key_status;        /* KEY_STATUS after the last key operation */
} kg_fw;
#define KG_FW_CTX_MAGIC 0x4b474657u /* 'KGFW' */

/* Per-layer performance counter deltas (see kg_regs.h PERF_*). */
typedef struct kg_fw_perf {
  uint64_t cycles;     /* from START to the read after the interrupt */
  uint64_t busy;       /* engine busy cycles */
  uint64_t compute;    /* cycles an activation row entered the array */
  uint64_t rd_bytes;   /* DMA bytes read */
  uint64_t wr_bytes;   /* DMA bytes written */
  uint64_t dma_stall;  /* cycles a DMA request waited for the bus */
  uint64_t dec_stall;  /* cycles weight data waited for the decrypt unit */
} kg_fw_perf;

/* Check ID and VERSION, read the geometry and buffer sizes into ctx->info,
 * abort a layer left running (SOFT_RESET), clear every interrupt cause and
 * enable all of them. hal callbacks must all be non-NULL. */
int kg_fw_init(kg_fw *ctx, const kg_hal *hal);

/* Provision keys and verify them against a model's KCV (kg_fw_load_keys,
 * then kg_fw_key_check, then kg_fw_lock when asked):
 *  - aes_key: aes_len bytes, 16, 24 or 32 (AES-128/192/256);
 *  - sign_key: nbits bits, bit b = byte b/8 bit b%8 (bit r*C+c is PE(r,c));
 *    nbits must equal rows*cols, or be 0 with sign_key NULL (no sign key);
 *  - nonce (12 bytes) and kcv_expected (8 bytes) of the model;
 *  - policy KG_POLICY_REFUSE / _RUN / _LOCKOUT, optionally ORed with
 *    KG_FW_POLICY_LEGACY (POLICY.LEGACY = 1; else 0), threshold 0..255
 *    (failures before lockout; 0 acts as 1);
 *  - lock != 0: LOCK the vault, only if the check passed.
 * Waits for the check's interrupt up to ctx->key_timeout cycles. Returns
 * KG_FW_OK, KG_FW_EKCV, KG_FW_ELOCKEDOUT (this failure reached the threshold,
 * or the vault was already locked out), KG_FW_ENOKEY, KG_FW_EVAULT (vault
 * locked: nothing was written), KG_FW_EABORTED, KG_FW_ETIMEOUT, KG_FW_ELOCK,
 * KG_FW_EINVAL. */
int kg_fw_provision(kg_fw *ctx, const uint8_t *aes_key, size_t aes_len, const uint8_t *sign_key,
                    uint32_t nbits, const uint8_t nonce[12], const uint8_t kcv_expected[8],
                    uint32_t policy, uint32_t threshold, int lock);

/* Write the wrong-key policy and the keys into the vault and mark them
 * valid (POLICY, KEY_CFG, AES_KEY*, SIGN_KEY*, KEY_CTRL.LOAD_*), without a
 * key check:
 *  - aes_len 16, 24 or 32 with aes_key; or 0 (aes_key ignored, may be
 *    NULL): the vault then holds no AES key (an earlier one is cleared);
 *  - sign_key/nbits as for kg_fw_provision; nbits 0 with sign_key NULL
 *    leaves the sign key of the vault as it is;
 *  - policy and threshold as for kg_fw_provision.
 * Returns KG_FW_OK, KG_FW_EVAULT (vault locked: nothing changed),
 * KG_FW_EBUSY (a layer or a check is running), KG_FW_EHW (the valid bits
 * did not follow), KG_FW_EINVAL, KG_FW_ENOTINIT. */
int kg_fw_load_keys(kg_fw *ctx, const uint8_t *aes_key, size_t aes_len, const uint8_t *sign_key,
                    uint32_t nbits, uint32_t policy, uint32_t threshold);

/* LOCK the vault until reset: later key, KEY_CFG and POLICY writes are
 * ignored (and raise VAULT). KG_FW_OK once KEY_STATUS.LOCKED reads 1 (also
 * when it already was), else KG_FW_ELOCK. */
int kg_fw_lock(kg_fw *ctx);

/* Run only the key check (NONCE*, KCV_EXP*, CHECK) with the key already in
 * the vault; usable after LOCK. Same results as kg_fw_provision. */
int kg_fw_key_check(kg_fw *ctx, const uint8_t nonce[12], const uint8_t kcv_expected[8]);

/* Authenticate a model image already in device memory (VERIFY): NONCE* =
 * nonce, MODEL_ADDR = model_addr, MODEL_LEN = model_len (the file's
 * auth_size), TAG_EXP* = tag, KEY_CTRL.VERIFY; waits for the interrupt up
 * to ctx->key_timeout cycles plus 64 per 16-byte block. model_addr and
 * model_len must be multiples of 16, model_len >= 128, the region below
 * 4 GiB (else KG_FW_EINVAL, nothing written). Returns KG_FW_OK (AUTH_OK:
 * the device now uses this model's derived keys for its bound layers),
 * KG_FW_EAUTH (tag mismatch; FAILS counted, a lockout it caused shows in
 * ctx->key_status), KG_FW_ELOCKEDOUT, KG_FW_ENOKEY, KG_FW_EBUS,
 * KG_FW_EABORTED, KG_FW_EBUSY (a layer or check is running), KG_FW_ETIMEOUT,
 * KG_FW_EDESC_* (the device refused the region), KG_FW_EHW. */
int kg_fw_verify(kg_fw *ctx, uint32_t model_addr, uint32_t model_len, const uint8_t nonce[12],
                 const uint8_t tag[16]);

/* End the authentication of the last verified image (writes MODEL_LEN = 0,
 * which clears AUTH_OK): its derived keys then serve no layer until the
 * next VERIFY. For when that image's device memory is released. KG_FW_OK
 * or KG_FW_ENOTINIT. */
int kg_fw_auth_clear(kg_fw *ctx);

/* ZEROIZE the vault (also aborts a running layer). */
int kg_fw_zeroize(kg_fw *ctx);

/* Run n layers whose descriptors are already in device memory at desc_addrs
 * (16-byte aligned, < 2^32), in order. Each layer gets timeout_cycles to
 * raise its interrupt. Stops at the first failure: on a timeout the engine is
 * soft-reset before returning KG_FW_ETIMEOUT. *failed_layer (may be NULL)
 * receives the index of the failing layer, or n on success. perf (may be
 * NULL) receives n per-layer counter deltas (entries after a failure are
 * left untouched). A wrong key is handled as the hardware policy says: under
 * REFUSE or LOCKOUT the layer fails with KG_FW_EWRONGKEY / _ELOCKEDOUT /
 * _ENOKEY / _ENOTAUTH (a keyed layer not bound to the authenticated model
 * while POLICY.LEGACY = 0); under RUN it completes (with garbage outputs,
 * or with the keys withheld). */
int kg_fw_run_job(kg_fw *ctx, const uint32_t *desc_addrs, uint32_t n, uint64_t timeout_cycles,
                  uint32_t *failed_layer, kg_fw_perf *perf);

/* Map a STATUS.ERR code (KG_ERR_*) to a firmware status code. */
int kg_fw_map_hw_err(uint32_t hw_err);

/* Static, never NULL. */
const char *kg_fw_strstatus(int status);

#ifdef __cplusplus
}
#endif

#endif /* KG_FW_H */
