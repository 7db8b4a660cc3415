/* kg_fw_verify.c: VERIFY, the authentication of a model image in device
 * memory (docs/spec.md 11.1). */
#include "kg_fw_internal.h"

/* Cycles VERIFY may take per 16-byte block of the image on top of
 * ctx->key_timeout: the device spends about one cipher call per block
 * (docs/results.md); this leaves room for a slow DMA. */
#define KG_FW_VERIFY_CYCLES_PER_BLOCK 64u

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Outcome of the interrupt that ended a VERIFY: STATUS.ERR decides (a
 * failure that also reached the lockout threshold is still an
 * authentication failure). */
static int verify_result(kg_fw *c) {
  c->key_status = kg_fw_rd(c, KG_REG_KEY_STATUS);
  switch (c->last_hw_err) {
    case KG_ERR_OK:
      if ((c->last_irq & KG_IRQ_STATUS_DONE_MASK) && (c->key_status & KG_KEY_STATUS_AUTH_OK_MASK))
        return KG_FW_OK;
      return KG_FW_EHW;
    case KG_ERR_AUTH_FAIL: return KG_FW_EAUTH;
    default: return kg_fw_map_hw_err(c->last_hw_err);
  }
}

int kg_fw_verify(kg_fw *ctx, uint32_t model_addr, uint32_t model_len, const uint8_t nonce[12],
                 const uint8_t tag[16]) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  if (!nonce || !tag || model_addr % 16u || model_len % 16u || model_len < 128u ||
      (uint64_t)model_addr + model_len > 0x100000000ull)
    return KG_FW_EINVAL;
  /* VERIFY is ignored while a layer or a check runs. */
  if ((kg_fw_rd(ctx, KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK) ||
      (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK))
    return KG_FW_EBUSY;
  kg_fw_irq_clear(ctx);
  kg_fw_wr(ctx, KG_REG_NONCE0, be32(nonce));
  kg_fw_wr(ctx, KG_REG_NONCE1, be32(nonce + 4));
  kg_fw_wr(ctx, KG_REG_NONCE2, be32(nonce + 8));
  kg_fw_wr(ctx, KG_REG_MODEL_ADDR, model_addr);
  kg_fw_wr(ctx, KG_REG_MODEL_LEN, model_len);
  for (uint32_t i = 0; i < KG_REG_TAG_EXP_COUNT; i++)
    kg_fw_wr(ctx, KG_REG_TAG_EXP(i), be32(tag + 4u * i));
  kg_fw_wr(ctx, KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  const uint64_t timeout =
      ctx->key_timeout + (uint64_t)(model_len / 16u) * KG_FW_VERIFY_CYCLES_PER_BLOCK;
  const int rc = kg_fw_wait(ctx, timeout);
  if (rc != KG_FW_OK) {
    ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
    return rc;
  }
  return verify_result(ctx);
}

int kg_fw_auth_clear(kg_fw *ctx) {
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  kg_fw_wr(ctx, KG_REG_MODEL_LEN, 0);
  ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  return KG_FW_OK;
}
