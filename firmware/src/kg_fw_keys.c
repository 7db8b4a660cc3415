/* kg_fw_keys.c: key provisioning, the KCV check, lock and zeroize. */
#include "kg_fw_internal.h"

/* Bytes p[0..3] as a register word, byte 0 in [31:24] (AES_KEY, NONCE, KCV). */
static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Outcome of an interrupt that ended a CHECK. */
static int check_result(kg_fw *c) {
  c->key_status = kg_fw_rd(c, KG_REG_KEY_STATUS);
  const uint32_t irq = c->last_irq, err = c->last_hw_err;
  if (irq & KG_IRQ_STATUS_LOCKOUT_MASK) return KG_FW_ELOCKEDOUT;
  if (irq & KG_IRQ_STATUS_VAULT_MASK) return KG_FW_EVAULT;
  if (irq & KG_IRQ_STATUS_WRONG_KEY_MASK)
    return err == KG_ERR_NO_KEY ? KG_FW_ENOKEY : KG_FW_EKCV;
  if (irq & KG_IRQ_STATUS_DONE_MASK) {
    if (err == KG_ERR_OK && (c->key_status & KG_KEY_STATUS_KCV_OK_MASK)) return KG_FW_OK;
    if (err == KG_ERR_ABORTED) return KG_FW_EABORTED;
  }
  return KG_FW_EHW;
}

int kg_fw_key_check(kg_fw *ctx, const uint8_t nonce[12], const uint8_t kcv_expected[8]) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  if (!nonce || !kcv_expected) return KG_FW_EINVAL;
  if (kg_fw_rd(ctx, KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK) return KG_FW_EBUSY;
  kg_fw_irq_clear(ctx);
  kg_fw_wr(ctx, KG_REG_NONCE0, be32(nonce));
  kg_fw_wr(ctx, KG_REG_NONCE1, be32(nonce + 4));
  kg_fw_wr(ctx, KG_REG_NONCE2, be32(nonce + 8));
  kg_fw_wr(ctx, KG_REG_KCV_EXP0, be32(kcv_expected));
  kg_fw_wr(ctx, KG_REG_KCV_EXP1, be32(kcv_expected + 4));
  kg_fw_wr(ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  const int rc = kg_fw_wait(ctx, ctx->key_timeout);
  if (rc != KG_FW_OK) {
    ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
    return rc;
  }
  return check_result(ctx);
}

int kg_fw_load_keys(kg_fw *ctx, const uint8_t *aes_key, size_t aes_len, const uint8_t *sign_key,
                    uint32_t nbits, uint32_t policy, uint32_t threshold) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  if (aes_len != 0 && aes_len != 16 && aes_len != 24 && aes_len != 32) return KG_FW_EINVAL;
  if (aes_len != 0 && !aes_key) return KG_FW_EINVAL;
  if (nbits != 0 && (!sign_key || nbits != ctx->info.rows * ctx->info.cols)) return KG_FW_EINVAL;
  if (nbits == 0 && sign_key) return KG_FW_EINVAL;
  const uint32_t legacy = (policy & KG_FW_POLICY_LEGACY) ? 1u : 0u;
  policy &= ~KG_FW_POLICY_LEGACY;
  if (policy > KG_POLICY_LOCKOUT || threshold > 255u) return KG_FW_EINVAL;

  const uint32_t ks = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  ctx->key_status = ks;
  if (ks & KG_KEY_STATUS_CHECK_BUSY_MASK) return KG_FW_EBUSY;
  /* LOAD_AES is ignored while a layer runs. */
  if (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) return KG_FW_EBUSY;
  kg_fw_irq_clear(ctx);

  /* Policy first, so a later check already counts under it. KEY_CFG
   * before the key words: writing it clears AES_VALID (and so removes any
   * earlier AES key when aes_len is 0). After LOCK the vault ignores all of
   * this and raises VAULT, which we report. */
  kg_fw_wr(ctx, KG_REG_POLICY, (policy << KG_POLICY_MODE_SHIFT) |
                                   (threshold << KG_POLICY_THRESHOLD_SHIFT) |
                                   (legacy << KG_POLICY_LEGACY_SHIFT));
  const uint32_t cfg = aes_len ? (uint32_t)(aes_len / 8u - 2u) : 0u;
  kg_fw_wr(ctx, KG_REG_KEY_CFG, cfg << KG_KEY_CFG_AES_LEN_SHIFT);
  for (uint32_t i = 0; i < KG_REG_AES_KEY_COUNT; i++)
    kg_fw_wr(ctx, KG_REG_AES_KEY(i), 4u * i < aes_len ? be32(aes_key + 4u * i) : 0u);
  uint32_t load = aes_len ? KG_KEY_CTRL_LOAD_AES_MASK : 0u;
  if (nbits) {
    const uint32_t nbytes = (nbits + 7u) / 8u;
    for (uint32_t w = 0; w < (nbits + 31u) / 32u; w++) {
      uint32_t v = 0;
      for (uint32_t j = 0; j < 4u; j++)
        if (4u * w + j < nbytes) v |= (uint32_t)sign_key[4u * w + j] << (8u * j);
      /* Bits past nbits are not part of the key. */
      const uint32_t hi = nbits - 32u * w;
      if (hi < 32u) v &= (1u << hi) - 1u;
      kg_fw_wr(ctx, KG_REG_SIGN_KEY(w), v);
    }
    load |= KG_KEY_CTRL_LOAD_SIGN_MASK;
  }
  if (load) kg_fw_wr(ctx, KG_REG_KEY_CTRL, load);

  /* Writes to a locked vault raise VAULT at once (and change nothing). */
  const uint32_t irq = kg_fw_rd(ctx, KG_REG_IRQ_STATUS);
  if (irq & KG_IRQ_STATUS_VAULT_MASK) {
    ctx->last_irq = irq;
    ctx->last_hw_err = kg_fw_hw_err(ctx);
    kg_fw_wr(ctx, KG_REG_IRQ_STATUS, irq);
    ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
    return KG_FW_EVAULT;
  }
  ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  const uint32_t want = (aes_len ? KG_KEY_STATUS_AES_VALID_MASK : 0u) |
                        (nbits ? KG_KEY_STATUS_SIGN_VALID_MASK : 0u);
  if ((ctx->key_status & want) != want) return KG_FW_EHW;
  if (!aes_len && (ctx->key_status & KG_KEY_STATUS_AES_VALID_MASK)) return KG_FW_EHW;
  return KG_FW_OK;
}

int kg_fw_lock(kg_fw *ctx) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  kg_fw_wr(ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
  ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  return (ctx->key_status & KG_KEY_STATUS_LOCKED_MASK) ? KG_FW_OK : KG_FW_ELOCK;
}

int kg_fw_provision(kg_fw *ctx, const uint8_t *aes_key, size_t aes_len, const uint8_t *sign_key,
                    uint32_t nbits, const uint8_t nonce[12], const uint8_t kcv_expected[8],
                    uint32_t policy, uint32_t threshold, int lock) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  /* The check needs an AES key: aes_len 0 is not allowed here. */
  if (!aes_key || !nonce || !kcv_expected || aes_len == 0) return KG_FW_EINVAL;
  int rc = kg_fw_load_keys(ctx, aes_key, aes_len, sign_key, nbits, policy, threshold);
  if (rc != KG_FW_OK) return rc;
  rc = kg_fw_key_check(ctx, nonce, kcv_expected);
  if (rc != KG_FW_OK || !lock) return rc;
  return kg_fw_lock(ctx);
}

int kg_fw_zeroize(kg_fw *ctx) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  const int busy = (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) != 0;
  kg_fw_wr(ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
  /* While busy, ZEROIZE also aborts the layer; wait for that to finish. */
  if (busy && (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK))
    (void)kg_fw_wait(ctx, ctx->reset_timeout);
  kg_fw_irq_clear(ctx);
  ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  const uint32_t left = KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK |
                        KG_KEY_STATUS_LOCKED_OUT_MASK | KG_KEY_STATUS_FAILS_MASK;
  if (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) return KG_FW_EHW;
  return (ctx->key_status & left) ? KG_FW_EHW : KG_FW_OK;
}
