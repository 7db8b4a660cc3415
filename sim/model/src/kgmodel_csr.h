/* kgmodel_csr.h: private state of a kgmodel handle (see kgmodel.h). */
#ifndef KGMODEL_PRIV_H
#define KGMODEL_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "kgmodel.h"

enum { KGM_NCNT = 7, KGM_IRQ_BITS = 6 };

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
  int8_t *wc_wp;               /* folded weights in 64-channel panels (kgmodel.c) */
  uint32_t *wc_corr;           /* 128 * column sum of the folded weights, per channel */
  uint64_t wc_bytes, wc_k, wc_n, wc_kt;
  uint32_t wc_crypt, wc_pos, wc_sign, wc_aes_len;
  uint32_t wc_key[8], wc_nonce[3], wc_sign_key[32];
  int wc_valid;
  size_t wc_raw_cap, wc_wp_cap, wc_corr_cap;
  /* Scratch buffers kept between layers (grow only): decrypted image, im2col rows. */
  void *scr[2];
  size_t scr_cap[2];
  /* Deep-Lock schedule positions for the seek estimate (docs/aes.md §4). */
  int dl_ck_valid, dl_cur_valid;
  uint64_t dl_ck, dl_cur;
};

#endif
