/* kgmodel_vault.c: the key vault of kg_csr.v: key, nonce and model
 * registers, the KCV CHECK sequencer, the wrong-key policy and lockout, lock
 * and zeroize (VERIFY itself is in kgmodel_auth.c). */
#include <stdint.h>
#include <string.h>

#include "kgmodel_internal.h"

#define KCV_CYCLES 14u     /* CHECK: command write to result (kg_top: 14 with a ready key) */

void kgmod_aes_key_bytes(const kgmodel *m, uint8_t key[32]) {
  for (unsigned j = 0; j < 32; j++) key[j] = (uint8_t)(m->aes_key[j / 4] >> (24 - 8 * (j % 4)));
}
void kgmod_nonce_bytes(const kgmodel *m, uint8_t n[12]) {
  for (unsigned j = 0; j < 12; j++) n[j] = (uint8_t)(m->nonce[j / 4] >> (24 - 8 * (j % 4)));
}
size_t kgmod_aes_len_bytes(uint32_t len) { return len == 0 ? 16 : (len == 1 ? 24 : 32); }

void kgmod_check_done(kgmodel *m) {
  m->chk_busy = false;
  if (m->chk_stale || !m->aes_valid) {
    m->err = KG_ERR_ABORTED;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
    return;
  }
  uint8_t key[32], n[12], kcv[8];
  kgmod_aes_key_bytes(m, key);
  kgmod_nonce_bytes(m, n);
  kg_aes_key ak;
  kg_aes_key_init(&ak, key, kgmod_aes_len_bytes(m->aes_len));
  kg_kcv(&ak, n, kcv);
  kg_aes_key_wipe(&ak);
  memset(key, 0, sizeof key);
  const uint32_t k0 = ((uint32_t)kcv[0] << 24) | ((uint32_t)kcv[1] << 16) | ((uint32_t)kcv[2] << 8) | kcv[3];
  const uint32_t k1 = ((uint32_t)kcv[4] << 24) | ((uint32_t)kcv[5] << 16) | ((uint32_t)kcv[6] << 8) | kcv[7];
  if (k0 == m->kcv_exp[0] && k1 == m->kcv_exp[1]) {
    m->kcv_ok = true;
    m->err = KG_ERR_OK;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
  } else {
    m->err = KG_ERR_KCV_MISMATCH;
    m->irq_status |= KG_IRQ_STATUS_WRONG_KEY_MASK;
    kgmod_count_failure(m);
  }
}

void kgmod_count_failure(kgmodel *m) {
  const uint32_t inc = m->fails == 255 ? 255 : m->fails + 1;
  const uint32_t thr = m->pol_thr == 0 ? 1 : m->pol_thr;
  m->fails = inc;
  if (m->pol_mode == KG_POLICY_LOCKOUT && inc >= thr) {
    m->lockout = true;
    m->irq_status |= KG_IRQ_STATUS_LOCKOUT_MASK;
  }
}

int kgmod_is_vault(uint32_t a) {
  return (a >= KG_REG_AES_KEY(0) && a < KG_REG_AES_KEY(KG_REG_AES_KEY_COUNT)) ||
         (a >= KG_REG_SIGN_KEY(0) && a < KG_REG_SIGN_KEY(KG_REG_SIGN_KEY_COUNT));
}

uint32_t kgmod_key_status(const kgmodel *m) {
  return (m->aes_valid ? KG_KEY_STATUS_AES_VALID_MASK : 0) |
         (m->sign_valid ? KG_KEY_STATUS_SIGN_VALID_MASK : 0) |
         (m->locked ? KG_KEY_STATUS_LOCKED_MASK : 0) | (m->kcv_ok ? KG_KEY_STATUS_KCV_OK_MASK : 0) |
         (m->chk_busy || m->ver_busy ? KG_KEY_STATUS_CHECK_BUSY_MASK : 0) |
         (m->lockout ? KG_KEY_STATUS_LOCKED_OUT_MASK : 0) |
         (m->auth_ok ? KG_KEY_STATUS_AUTH_OK_MASK : 0) | (m->fails << KG_KEY_STATUS_FAILS_SHIFT);
}
uint32_t kgmod_policy_rd(const kgmodel *m) {
  return (m->pol_mode << KG_POLICY_MODE_SHIFT) | (m->pol_thr << KG_POLICY_THRESHOLD_SHIFT) |
         (m->legacy ? KG_POLICY_LEGACY_MASK : 0);
}

void kgmod_vault_write(kgmodel *m, uint32_t off, uint32_t d, uint32_t wm, uint32_t *irq_set,
                       int *srst) {
  const uint32_t cmd = d & wm;
  const int busy_eff = m->busy;
  const int was_locked = m->locked;
  const int chk_running = m->chk_busy;
  const int ver_running = m->ver_busy;
  const int wa_aes = off >= KG_REG_AES_KEY(0) && off < KG_REG_AES_KEY(KG_REG_AES_KEY_COUNT);
  const int wa_sign = off >= KG_REG_SIGN_KEY(0) && off < KG_REG_SIGN_KEY(KG_REG_SIGN_KEY_COUNT);
  uint32_t irq = 0;
  /* kcv_inval: KCV_OK clears and a running CHECK goes stale; auth_inval:
   * AUTH_OK clears and a running VERIFY goes stale (docs/spec.md 11, 11.1). */
  int vault_write = 0, kcv_inval = 0, auth_inval = 0, chk_abort = 0;
  const int w_key_ctrl = (off == KG_REG_KEY_CTRL);
  const int kc_zeroize = w_key_ctrl && (cmd & KG_KEY_CTRL_ZEROIZE_MASK);
  const int kc_load_aes = w_key_ctrl && (cmd & KG_KEY_CTRL_LOAD_AES_MASK) && !kc_zeroize;
  const int kc_load_sign = w_key_ctrl && (cmd & KG_KEY_CTRL_LOAD_SIGN_MASK) && !kc_zeroize;
  const int kc_check = w_key_ctrl && (cmd & KG_KEY_CTRL_CHECK_MASK) && !kc_zeroize;
  const int kc_verify = w_key_ctrl && (cmd & KG_KEY_CTRL_VERIFY_MASK) && !kc_zeroize;

  switch (off) {
    case KG_REG_NONCE0:
    case KG_REG_NONCE1:
    case KG_REG_NONCE2:
      m->nonce[(off - KG_REG_NONCE0) / 4] = kgmod_merge(m->nonce[(off - KG_REG_NONCE0) / 4], d, wm);
      kcv_inval = auth_inval = 1;
      break;
    case KG_REG_MODEL_ADDR:
      m->model_addr = kgmod_merge(m->model_addr, d, wm);
      auth_inval = 1;
      break;
    case KG_REG_MODEL_LEN:
      m->model_len = kgmod_merge(m->model_len, d, wm);
      auth_inval = 1;
      break;
    case KG_REG_KCV_EXP0:
    case KG_REG_KCV_EXP1:
      m->kcv_exp[(off - KG_REG_KCV_EXP0) / 4] = kgmod_merge(m->kcv_exp[(off - KG_REG_KCV_EXP0) / 4], d, wm);
      kcv_inval = 1;
      break;
    case KG_REG_KEY_CFG:
      vault_write = 1;
      if (!was_locked) {
        m->aes_len =
            (kgmod_merge(m->aes_len, d, wm) & KG_KEY_CFG_AES_LEN_MASK) >> KG_KEY_CFG_AES_LEN_SHIFT;
        m->aes_valid = false;
        kcv_inval = auth_inval = 1;
      }
      break;
    case KG_REG_POLICY:
      vault_write = 1;
      if (!was_locked) {
        const uint32_t mg = kgmod_merge(kgmod_policy_rd(m), d, wm);
        uint32_t mode = (mg & KG_POLICY_MODE_MASK) >> KG_POLICY_MODE_SHIFT;
        if (mode != KG_POLICY_RUN && mode != KG_POLICY_LOCKOUT) mode = KG_POLICY_REFUSE;
        m->pol_mode = mode;
        m->pol_thr = (mg & KG_POLICY_THRESHOLD_MASK) >> KG_POLICY_THRESHOLD_SHIFT;
        m->legacy = (mg & KG_POLICY_LEGACY_MASK) != 0;
      }
      break;
    default: break;
  }
  if (off >= KG_REG_TAG_EXP(0) && off < KG_REG_TAG_EXP(KG_REG_TAG_EXP_COUNT)) {
    const unsigned i = (off - KG_REG_TAG_EXP(0)) / 4;
    m->tag_exp[i] = kgmod_merge(m->tag_exp[i], d, wm);
    auth_inval = 1;
  }
  if (wa_aes) {
    vault_write = 1;
    if (!was_locked) {
      const unsigned i = (off - KG_REG_AES_KEY(0)) / 4;
      m->aes_key[i] = kgmod_merge(m->aes_key[i], d, wm);
      m->aes_valid = false;
      kcv_inval = auth_inval = 1;
    }
  }
  if (wa_sign) {
    vault_write = 1;
    if (!was_locked) {
      const unsigned i = (off - KG_REG_SIGN_KEY(0)) / 4;
      const uint32_t bits = m->cfg.rows * m->cfg.cols;
      uint32_t keep = 0xffffffffu;
      if (bits < 32 * (i + 1)) keep = bits <= 32 * i ? 0 : ((1u << (bits - 32 * i)) - 1);
      m->sign_key[i] = kgmod_merge(m->sign_key[i], d, wm) & keep;
      m->sign_valid = false;
    }
  }
  if (kc_load_aes || kc_load_sign) vault_write = 1;
  if (kc_load_aes && !was_locked && !busy_eff && m->aes_len <= 2) {
    m->dl_ck_valid = m->dl_cur_valid = 0;
    m->aes_valid = true;
    kcv_inval = auth_inval = 1;
    chk_abort = 1;
  }
  if (kc_load_sign && !was_locked) m->sign_valid = true;
  if (w_key_ctrl && (cmd & KG_KEY_CTRL_LOCK_MASK)) m->locked = true;
  if (vault_write && was_locked) irq |= KG_IRQ_STATUS_VAULT_MASK;
  if (kcv_inval) {
    m->kcv_ok = false;
    if (chk_running) m->chk_stale = true;
  }
  if (auth_inval) {
    m->auth_ok = false;
    if (ver_running) kgmod_verify_stop(m, KGMOD_VERIFY_DRAIN(m));
  }
  int chk_started = 0;
  if (kc_check && !chk_running && !ver_running) {
    if (m->lockout) {
      m->err = KG_ERR_LOCKED_OUT;
      irq |= KG_IRQ_STATUS_LOCKOUT_MASK;
    } else if (!m->aes_valid) {
      m->err = KG_ERR_NO_KEY;
      irq |= KG_IRQ_STATUS_WRONG_KEY_MASK;
    } else {
      chk_started = 1;
      m->chk_stale = false;
      m->kcv_ok = false;
    }
  }
  if (kc_zeroize) {
    memset(m->aes_key, 0, sizeof m->aes_key);
    memset(m->sign_key, 0, sizeof m->sign_key);
    m->aes_valid = m->sign_valid = m->kcv_ok = m->lockout = false;
    m->fails = 0;
    kgmod_auth_clear(m);
    chk_abort = 1;
    if (busy_eff) *srst = 1;
  }
  if (chk_running && chk_abort) {
    m->chk_busy = false;
    m->err = KG_ERR_ABORTED;
    irq |= KG_IRQ_STATUS_DONE_MASK;
  }
  if (ver_running && chk_abort) kgmod_verify_stop(m, KGMOD_VERIFY_DRAIN(m));
  if (chk_started) {
    m->chk_busy = true;
    m->chk_t = m->now + KCV_CYCLES;
  }
  /* VERIFY is ignored while BUSY or CHECK_BUSY, and so when CHECK starts in
   * the same write; LOAD_AES in the same write acts first. */
  if (kc_verify && !busy_eff && !chk_running && !ver_running && !chk_started)
    kgmod_verify_cmd(m, &irq);
  *irq_set |= irq;
}
