/* kgmodel_auth.c: per-model keys and authentication (docs/spec.md 11.1):
 * the VERIFY sequencer (derive Ke, Km, Ms from the device key and NONCE*,
 * CMAC the image at MODEL_ADDR with Km, compare with TAG_EXP*, record the
 * authenticated model), the layer admission of docs/spec.md 12 (bound,
 * legacy, keys withheld) and the key material an admitted layer runs with. */
#include <stdint.h>
#include <string.h>

#include "kgmodel_internal.h"

#define MODEL_MIN_LEN 128u /* the .kgm header */
/* Fields VERIFY records from the image it authenticated: byte offsets from
 * MODEL_ADDR, little-endian (the .kgm header, docs/model-format.md). */
#define IMG_FLAGS 8u
#define IMG_FLAG_SIGN 1u
#define IMG_CRYPT 20u
#define IMG_PARAMS_OFFSET 72u
#define IMG_PARAMS_SIZE 76u
#define IMG_WEIGHTS_OFFSET 80u
#define IMG_WEIGHTS_SIZE 84u
#define VERIFY_FIXED 7u    /* command decode, tag compare, key reload, interrupt */
#define PARAM_BYTES 16u    /* one per-channel parameter record */
#define CALL_HANDOFF 3u    /* kg_auth: issue and result sampling per key-derivation call */
#define BLOCK_HANDOFF 4u   /* kg_auth: FIFO pop, issue, result sampling per image block */

int kgmod_is_auth_reg(uint32_t a) {
  return a == KG_REG_MODEL_ADDR || a == KG_REG_MODEL_LEN ||
         (a >= KG_REG_TAG_EXP(0) && a < KG_REG_TAG_EXP(KG_REG_TAG_EXP_COUNT));
}

void kgmod_auth_clear(kgmodel *m) {
  m->auth_ok = false;
  kg_model_keys_wipe(&m->mk);
  m->am_sign = m->am_crypt = 0;
  m->am_p_off = m->am_p_size = m->am_w_off = m->am_w_size = 0;
  /* The weight cache may hold weights decrypted with Ke and its key bytes. */
  m->wc_valid = 0;
  memset(&m->wc_keys, 0, sizeof m->wc_keys);
  /* The decrypt unit's Deep-Lock schedule belongs to the key it last ran. */
  m->dl_ck_valid = m->dl_cur_valid = 0;
}

/* VERIFY's cycles up to the cipher call that consumes image block `blocks`
 * (docs/model.md §3), after kg_top's iterative cipher (Nr + 1 cycles a
 * call) and kg_auth's sequencer: the KDF's subkey call, two calls per PRF
 * output (Ke and Km: one output per 16 key bytes; Ms: one per 16 sign-mask
 * bytes) and the tag's subkey call, each with CALL_HANDOFF cycles of issue
 * and result sampling; the key expansions of Km and Ke; then per 16-byte
 * image block a call and BLOCK_HANDOFF cycles. The image is prefetched from
 * the start of the pass, so its read latency hides under the key
 * derivation unless it is longer. */
static uint64_t verify_cycles(const kgmodel *m, uint64_t blocks) {
  const uint64_t kb = kgmod_aes_len_bytes(m->aes_len);
  const uint64_t call = kb / 4 + 7;                       /* Nr + 1: 11, 13, 15 */
  const uint64_t expand = kb == 16 ? 12 : (kb == 24 ? 14 : 15);
  const uint64_t mask_bytes = ((uint64_t)m->cfg.rows * m->cfg.cols + 7) / 8;
  const uint64_t prf_outputs = 2 * ((kb + 15) / 16) + (mask_bytes + 15) / 16;
  const uint64_t calls = 1 + 2 * prf_outputs + 1;
  uint64_t keys = calls * (call + CALL_HANDOFF) + 2 * expand;
  if (keys < m->cfg.read_latency) keys = m->cfg.read_latency;
  return keys + blocks * (call + BLOCK_HANDOFF) + VERIFY_FIXED;
}

/* Offset of the first byte of [a, a + n) whose DMA read fails (outside the
 * DRAM or in a faulted range), or n. */
static uint64_t first_bad_read(const kgmodel *m, uint64_t a, uint64_t n) {
  const uint64_t lo = m->cfg.dram_base, hi = lo + m->cfg.dram_size;
  uint64_t bad = n;
  if (a < lo)
    bad = 0;
  else if (a + n > hi)
    bad = hi > a ? hi - a : 0;
  for (unsigned i = 0; i < KGMODEL_FAULT_SLOTS; i++) {
    const kgmodel_fault *f = &m->fault[i];
    if (f->mode == KGMODEL_FAULT_RANGE && (f->dirs & KGMODEL_DIR_READ) && a < f->hi &&
        f->lo < a + n) {
      const uint64_t off = f->lo > a ? f->lo - a : 0;
      if (off < bad) bad = off;
    }
  }
  return bad;
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* The accepted VERIFY: derive the model keys, read and CMAC the image (the
 * outcome is decided now and reported when the pass ends at ver_t). */
static void verify_start(kgmodel *m) {
  kgmod_auth_clear(m);
  m->ver_busy = true;
  m->ver_stale = false;
  uint8_t key[32], nonce[12];
  kgmod_aes_key_bytes(m, key);
  kgmod_nonce_bytes(m, nonce);
  kg_aes_key kd;
  kg_aes_key_init(&kd, key, kgmod_aes_len_bytes(m->aes_len));
  memset(key, 0, sizeof key);
  const int rc = kg_model_keys_derive(&kd, nonce, m->cfg.rows * m->cfg.cols, &m->mk);
  kg_aes_key_wipe(&kd);
  const uint64_t len = m->model_len;
  const uint64_t bad = first_bad_read(m, m->model_addr, len);
  if (rc != KG_AES_OK) {
    /* Cannot happen for a loaded key and a legal geometry; a device without
     * the result ends the pass as "no cipher". */
    m->ver_stale = true;
    m->ver_err = KG_ERR_ABORTED;
    m->ver_rd = 0;
    m->ver_t = m->now + verify_cycles(m, 0);
    return;
  }
  if (bad < len) {
    m->ver_err = KG_ERR_BUS;
    m->ver_rd = bad & ~(uint64_t)15;
    m->ver_t = m->now + verify_cycles(m, bad / 16);
    return;
  }
  const uint8_t *img = m->mem + (m->model_addr - m->cfg.dram_base);
  uint8_t tag[16];
  kg_cmac(&m->mk.mac, img, (size_t)len, tag);
  int match = 1;
  for (unsigned i = 0; i < 4; i++) match &= be32(tag + 4 * i) == m->tag_exp[i];
  memset(tag, 0, sizeof tag);
  m->ver_err = match ? KG_ERR_OK : KG_ERR_AUTH_FAIL;
  m->ver_rd = len;
  m->ver_t = m->now + verify_cycles(m, len / 16);
  if (match) {
    m->am_sign = kgmod_rd32le(img + IMG_FLAGS) & IMG_FLAG_SIGN;
    m->am_crypt = img[IMG_CRYPT];
    m->am_p_off = kgmod_rd32le(img + IMG_PARAMS_OFFSET);
    m->am_p_size = kgmod_rd32le(img + IMG_PARAMS_SIZE);
    m->am_w_off = kgmod_rd32le(img + IMG_WEIGHTS_OFFSET);
    m->am_w_size = kgmod_rd32le(img + IMG_WEIGHTS_SIZE);
  }
}

void kgmod_verify_cmd(kgmodel *m, uint32_t *irq) {
  const uint64_t end = (uint64_t)m->model_addr + m->model_len;
  if (m->lockout) {
    m->err = KG_ERR_LOCKED_OUT;
    *irq |= KG_IRQ_STATUS_LOCKOUT_MASK;
    return;
  }
  m->auth_ok = false;
  if (!m->aes_valid) {
    m->err = KG_ERR_NO_KEY;
    *irq |= KG_IRQ_STATUS_WRONG_KEY_MASK;
  } else if ((m->model_addr | m->model_len) & 15u) {
    m->err = KG_ERR_MISALIGNED;
    *irq |= KG_IRQ_STATUS_DESC_ERR_MASK;
  } else if (m->model_len < MODEL_MIN_LEN || end > (1ull << 32)) {
    m->err = KG_ERR_TOO_BIG;
    *irq |= KG_IRQ_STATUS_DESC_ERR_MASK;
  } else {
    verify_start(m);
  }
}

void kgmod_verify_done(kgmodel *m) {
  m->ver_busy = false;
  if (m->ver_stale || !m->aes_valid) {
    m->err = KG_ERR_ABORTED;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
    kgmod_auth_clear(m);
    return;
  }
  m->cnt[CNT_RD] += m->ver_rd;
  m->err = m->ver_err;
  if (m->ver_err == KG_ERR_OK) {
    m->auth_ok = true;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
    return;
  }
  kgmod_auth_clear(m);
  if (m->ver_err == KG_ERR_BUS) {
    m->irq_status |= KG_IRQ_STATUS_BUS_ERR_MASK;
  } else {
    m->irq_status |= KG_IRQ_STATUS_WRONG_KEY_MASK;
    kgmod_count_failure(m);
  }
}

void kgmod_verify_stop(kgmodel *m, uint64_t drain) {
  if (!m->ver_busy) return;
  m->ver_stale = true;
  kgmod_auth_clear(m);
  if (m->ver_t > m->now + drain) m->ver_t = m->now + drain;
}

/* The layer belongs to the authenticated model: its mode and SIGN are the
 * model's, every weight byte sits at its own keystream position inside the
 * model's weight image, and its parameter records inside the model's
 * parameter section (exact 64-bit arithmetic, no wrap). */
static int bound(const kgmodel *m, const kgmod_layer *L) {
  if (!m->auth_ok || L->crypt != m->am_crypt || (uint32_t)L->sign != m->am_sign) return 0;
  const uint64_t w_base = (uint64_t)m->model_addr + m->am_w_off;
  const uint64_t p_base = (uint64_t)m->model_addr + m->am_p_off;
  return (uint64_t)L->w_addr == w_base + L->w_pos &&
         (uint64_t)L->w_pos + L->w_bytes <= m->am_w_size && L->p_addr >= p_base &&
         (uint64_t)L->p_addr + PARAM_BYTES * L->n <= p_base + m->am_p_size;
}

uint32_t kgmod_admit(const kgmodel *m, kgmod_layer *L) {
  const int uses_aes = L->crypt != KG_CRYPT_NONE, uses_sign = L->sign;
  L->keysrc = KGM_KEYS_DEVICE;
  if (!uses_aes && !uses_sign) return KG_ERR_OK;
  if (m->lockout) return KG_ERR_LOCKED_OUT;
  if ((uses_aes && !m->aes_valid) || (uses_sign && !m->sign_valid)) return KG_ERR_NO_KEY;
  if (bound(m, L)) {
    L->keysrc = KGM_KEYS_MODEL;
    return KG_ERR_OK;
  }
  if (m->legacy)
    return uses_aes && !m->kcv_ok && m->pol_mode != KG_POLICY_RUN ? KG_ERR_WRONG_KEY : KG_ERR_OK;
  if (m->pol_mode != KG_POLICY_RUN) return KG_ERR_NOT_AUTH;
  /* Keys withheld: no decryption, an all-zero sign key. */
  L->crypt = KG_CRYPT_NONE;
  L->sign = 0;
  return KG_ERR_OK;
}

void kgmod_layer_keys(const kgmodel *m, const kgmod_layer *L, kgmod_lkeys *k) {
  const unsigned bits = m->cfg.rows * m->cfg.cols, sbytes = (bits + 7) / 8;
  const int model = L->keysrc == KGM_KEYS_MODEL;
  memset(k, 0, sizeof *k);
  k->crypt = L->crypt;
  if (L->crypt != KG_CRYPT_NONE) {
    if (model) {
      k->aes_bytes = 4 * m->mk.enc.nk;
      memcpy(k->aes, m->mk.enc.key, k->aes_bytes);
    } else {
      k->aes_bytes = (uint32_t)kgmod_aes_len_bytes(m->aes_len);
      kgmod_aes_key_bytes(m, k->aes);
      memset(k->aes + k->aes_bytes, 0, sizeof k->aes - k->aes_bytes);
    }
    kgmod_nonce_bytes(m, k->nonce);
  }
  if (!L->sign) return;
  if (!model) {
    memcpy(k->sign, m->sign_key, sizeof k->sign);
    return;
  }
  /* Sd XOR Ms, bit i = bit i mod 8 of byte i / 8 on both sides. */
  uint8_t sd[KG_SIGN_MASK_MAX], eff[KG_SIGN_MASK_MAX];
  for (unsigned b = 0; b < sbytes; b++) sd[b] = (uint8_t)(m->sign_key[b / 4] >> (8 * (b % 4)));
  kg_model_sign_key(&m->mk, sd, bits, eff);
  for (unsigned b = 0; b < sbytes; b++) k->sign[b / 4] |= (uint32_t)eff[b] << (8 * (b % 4));
  memset(sd, 0, sizeof sd);
  memset(eff, 0, sizeof eff);
}
