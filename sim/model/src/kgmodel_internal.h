/*
 * kgmodel_internal.h: what the sources of the functional model share (not
 * installed; see kgmodel.h for the API and docs/model.md for the model).
 *
 *   kgmodel.c         handle: config, create/destroy/reset, DRAM, faults, errors
 *   kgmodel_engine.c  layer engine: event timing, start/abort, cycle estimate
 *   kgmodel_desc.c    descriptor decode and validation (kg_layer_ctrl's order)
 *   kgmodel_exec.c    execute(): bus checks, parameters, weight cache, im2col, input mask, GEMM
 *   kgmodel_gemm.c    GEMM panel and requantization kernels (C, AVX2, AVX-512), weight fold
 *   kgmodel_ctr.c     weight-image decryption (AES-NI CTR, else the AES reference)
 *   kgmodel_csr.c     CSR read/write decode (kg_csr.v's register file)
 *   kgmodel_vault.c   key vault, KCV check, wrong-key policy and lockout
 *   kgmodel_auth.c    VERIFY (model keys, CMAC tag), layer admission, the keys a layer uses
 *   kgmodel_ops.c     the firmware HAL binding and the back-end table kgmodel_ops
 */
#ifndef KGMODEL_INTERNAL_H
#define KGMODEL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* kg_aes.h before kg_regs.h: its enum names the KG_CRYPT_* values that
 * kg_regs.h then defines as macros. Sources include this header for both. */
#include "kg_aes.h"
#include "kg_auth.h"
#include "kgmac/kg_regs.h"
#include "kgmodel.h"

#if defined(__GNUC__) && defined(__x86_64__)
#define KGM_X86 1
#endif

enum { KGM_NCNT = 7, KGM_IRQ_BITS = 6 };

/* Performance counters, in PERF_* register order. */
enum { CNT_CYCLES, CNT_BUSY, CNT_COMPUTE, CNT_RD, CNT_WR, CNT_DMA_STALL, CNT_DEC_STALL };

#define KGM_IRQ_MASK 0x3fu

/* The key material one layer runs with (kgmod_layer_keys): the effective
 * decrypt mode, AES key bytes and nonce, and the effective sign key (bit
 * r*C + c as in SIGN_KEY*, all zero for an unsigned layer). Plain bytes and
 * words, zero-filled, so that two sets compare with memcmp. */
typedef struct kgmod_lkeys {
  uint32_t crypt, aes_bytes;
  uint8_t aes[32];
  uint8_t nonce[12];
  uint32_t sign[32];
} kgmod_lkeys;

struct kgmodel {
  kgmodel_config cfg;
  uint8_t *mem;
  kgmodel_fault fault[KGMODEL_FAULT_SLOTS];
  uint64_t now;

  /* CSR block (kg_csr.v). */
  uint32_t aes_key[8];
  uint32_t sign_key[32];
  bool aes_valid, sign_valid, locked, kcv_ok, lockout;
  uint32_t aes_len, fails, pol_mode, pol_thr;
  uint32_t nonce[3], kcv_exp[2];
  bool chk_busy, chk_stale;
  uint64_t chk_t;              /* cycle the running CHECK ends */
  /* Model authentication (docs/spec.md 11.1): VERIFY's registers, its
   * sequencer (it shares CHECK_BUSY with CHECK and raises STATUS.BUSY), the
   * derived keys and the record of the authenticated image. */
  uint32_t model_addr, model_len, tag_exp[4];
  bool legacy, auth_ok;
  bool ver_busy, ver_stale;
  uint64_t ver_t;              /* cycle the running VERIFY ends */
  uint32_t ver_err;            /* its outcome, decided at the start: OK, AUTH_FAIL or BUS */
  uint64_t ver_rd;             /* bytes it reads (up to a faulting beat) */
  kg_model_keys mk;            /* Ke, Km, Ms: meaningful while ver_busy or auth_ok, else zero */
  uint32_t am_sign, am_crypt;  /* the authenticated model's SIGN flag and crypt */
  uint32_t am_p_off, am_p_size, am_w_off, am_w_size;
  uint32_t desc_addr, err, irq_status, irq_enable;
  uint64_t cnt[KGM_NCNT];
  uint32_t hi[KGM_NCNT];

  /* Layer engine. */
  bool busy;
  bool aborting;               /* the pending completion is an abort */
  uint64_t done_t;
  uint32_t done_err;
  uint64_t add[KGM_NCNT];      /* counter increments applied at completion */
  /* Output committed at completion (done_err == OK). */
  int8_t *out;
  size_t out_cap;
  uint32_t out_m, out_n, out_addr, out_stride;
  /* Weight cache: the folded weights of the last layer, valid while the
   * encrypted image bytes and every input of the decryption and fold are
   * unchanged (docs/model.md). */
  uint8_t *wc_raw;             /* encrypted image as read */
  int8_t *wc_wp;               /* folded weights in 64-channel panels (kgmodel_gemm.c) */
  uint32_t *wc_corr;           /* 128 * column sum of the folded weights, per channel */
  uint64_t wc_bytes, wc_k, wc_n, wc_kt;
  uint32_t wc_pos;
  kgmod_lkeys wc_keys;         /* the keys the cached weights were decrypted and folded with */
  int wc_valid;
  size_t wc_raw_cap, wc_wp_cap, wc_corr_cap;
  /* Scratch buffers kept between layers (grow only): decrypted image, im2col rows. */
  void *scr[2];
  size_t scr_cap[2];
  /* Deep-Lock schedule positions for the seek estimate (docs/aes.md §4). */
  int dl_ck_valid, dl_cur_valid;
  uint64_t dl_ck, dl_cur;
};

/* Where a keyed layer's keys come from (kgmodel_auth.c, docs/spec.md 12):
 * the vault's device keys (POLICY.LEGACY), or the authenticated model's
 * (a bound layer). A layer running with its keys withheld has CRYPT and
 * SIGN cleared and uses none. */
enum { KGM_KEYS_DEVICE, KGM_KEYS_MODEL };

/* One decoded, legal layer descriptor (kgmodel_desc.c). */
typedef struct kgmod_layer {
  int conv, relu, sign;
  int keysrc;                  /* KGM_KEYS_*, set by kgmod_admit */
  uint32_t crypt;
  uint64_t m, k, n, kt, nt;
  uint32_t h, w, ic, kh, kw, stride, pad;
  uint32_t in_addr, in_stride, out_addr, out_stride, w_addr, w_pos, p_addr;
  uint64_t w_bytes, run, inrows;
  /* FC input mask: in_group 0 (off) or GROUP; byte k of a row reads as 0
   * when k mod in_group >= in_valid (kgmodel_exec.c). */
  uint32_t in_group, in_valid;
} kgmod_layer;

/* kgmodel.c: kgmodel_create with its status (KGMODEL_OK, _EINVAL: config
 * refused, _ENOMEM); *out is NULL on failure. */
int kgmod_create(const kgmodel_config *cfg, kgmodel **out, char *err, size_t errlen);
/* DRAM ranges and faults. */
int kgmod_in_dram(const kgmodel *m, uint64_t a, uint64_t n);
/* A DMA access of [a, a+n) in direction dir fails (fault or outside DRAM). */
int kgmod_dma_bad(const kgmodel *m, uint64_t a, uint64_t n, uint32_t dir);
int kgmod_any_fault(const kgmodel *m);
/* A scratch buffer of at least n bytes, kept in *p (grow only; NULL on
 * allocation failure, *p then unchanged). */
void *kgmod_grow(void **p, size_t *cap, size_t n);
uint32_t kgmod_rd32le(const uint8_t *p);
/* old with the bytes of d selected by mask. */
static inline uint32_t kgmod_merge(uint32_t old, uint32_t d, uint32_t mask) {
  return (old & ~mask) | (d & mask);
}
static inline uint64_t kgmod_r16(uint64_t x) { return (x + 15) & ~(uint64_t)15; }

/* kgmodel_engine.c: advance model time to t, running the completions due on
 * the way; start a layer at DESC_ADDR; abort the running one (SOFT_RESET). */
void kgmod_advance_to(kgmodel *m, uint64_t t);
void kgmod_engine_start(kgmodel *m);
void kgmod_engine_abort(kgmodel *m);

/* kgmodel_desc.c: decode and validate the 16 descriptor words dw; fills *L
 * and returns KG_ERR_OK, or the first KG_ERR_* in kg_layer_ctrl's order
 * (the descriptor checks; the key checks are kgmod_admit's). */
uint32_t kgmod_validate(const kgmodel *m, const uint32_t dw[KG_DESC_WORDS], kgmod_layer *L);
/* Pass sizing as kg_layer_ctrl: mp = min(ACC_DEPTH, HALF_WORDS / KT, M). */
void kgmod_passes_of(const kgmodel *m, const kgmod_layer *L, uint64_t *mp, uint64_t *passes);

/* kgmodel_exec.c: execute a legal, admitted layer into m->out; returns
 * KG_ERR_OK, KG_ERR_BUS or KG_ERR_RESERVED. */
uint32_t kgmod_execute(kgmodel *m, const kgmod_layer *L);

/* kgmodel_gemm.c (see the panel layout there). */
enum { KGM_NB = 64 };
typedef void (*kgmod_panel_fn)(const uint8_t *const a[4], const int8_t *wp, uint64_t KQ,
                             uint32_t acc[4][KGM_NB]);
typedef void (*kgmod_requant_fn)(const uint32_t *acc, const uint32_t *corr, const int32_t *bias,
                               const int32_t *mult, const uint8_t *shift, uint64_t n, int relu,
                               int8_t *out);
typedef struct kgmod_kernels {
  kgmod_panel_fn panel;
  kgmod_requant_fn requant;
} kgmod_kernels;
kgmod_kernels kgmod_pick_kernels(void);
void kgmod_fold_tiles(const kgmod_layer *L, uint32_t R, uint32_t Cc, const uint8_t *xm,
                      const uint8_t *src, uint64_t t0, uint64_t cnt, int8_t *wp, uint64_t KQ);
void kgmod_fold_done(const int8_t *wp, uint32_t *corr, uint64_t KQ, uint64_t NP);

/* kgmodel_ctr.c: decrypt len weight-image bytes at keystream position pos
 * from src into dst (kg_crypt_decrypt semantics; src == dst allowed). */
void kgmod_decrypt_image(int mode, const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
                         const uint8_t *src, uint8_t *dst, size_t len);

/* kgmodel_vault.c */
void kgmod_aes_key_bytes(const kgmodel *m, uint8_t key[32]);
void kgmod_nonce_bytes(const kgmodel *m, uint8_t n[12]);
size_t kgmod_aes_len_bytes(uint32_t len);
int kgmod_is_vault(uint32_t off);
/* The CSR offsets of MODEL_ADDR, MODEL_LEN and TAG_EXP0..3. */
int kgmod_is_auth_reg(uint32_t off);
uint32_t kgmod_key_status(const kgmodel *m);
uint32_t kgmod_policy_rd(const kgmodel *m);
/* A running KCV CHECK ends now. */
void kgmod_check_done(kgmodel *m);
/* A failed CHECK or VERIFY: FAILS += 1 (saturating), and the lockout of
 * policy mode lockout at the threshold (IRQ LOCKOUT). */
void kgmod_count_failure(kgmodel *m);
/* The vault's part of a CSR write of d under byte mask wm at off (every
 * offset; no effect on the others): adds IRQ causes to *irq_set and sets
 * *srst when a zeroize must abort the running layer. */
void kgmod_vault_write(kgmodel *m, uint32_t off, uint32_t d, uint32_t wm, uint32_t *irq_set,
                       int *srst);

/* kgmodel_auth.c */
/* KEY_CTRL.VERIFY (docs/spec.md 11.1): the refusals, or the start of the
 * pass; adds the IRQ causes of an immediate refusal to *irq. */
void kgmod_verify_cmd(kgmodel *m, uint32_t *irq);
/* A running VERIFY ends now. */
void kgmod_verify_done(kgmodel *m);
/* A running VERIFY is stopped (its inputs written, LOAD_AES, ZEROIZE,
 * SOFT_RESET): AUTH_OK and the derived keys clear now; it ends with
 * ERR_ABORTED once the reads in flight have drained, at most `drain` cycles
 * from now (KGMOD_VERIFY_DRAIN, or the soft reset's own end). */
void kgmod_verify_stop(kgmodel *m, uint64_t drain);
#define KGMOD_VERIFY_DRAIN(m) ((uint64_t)(m)->cfg.read_latency + 4u)
/* Zero the derived keys and the authenticated record; clear AUTH_OK. */
void kgmod_auth_clear(kgmodel *m);
/* Layer admission after the descriptor checks (docs/spec.md 12): returns
 * KG_ERR_OK with L->keysrc set (and CRYPT and SIGN cleared when the keys
 * are withheld), or KG_ERR_LOCKED_OUT, _NO_KEY, _NOT_AUTH or _WRONG_KEY. */
uint32_t kgmod_admit(const kgmodel *m, kgmod_layer *L);
/* The keys an admitted layer runs with. */
void kgmod_layer_keys(const kgmodel *m, const kgmod_layer *L, kgmod_lkeys *k);

#endif
