/* kg_fw_init.c: device discovery, interrupt set-up, shared waits. */
#include "kg_fw_internal.h"

int kg_fw_wait(kg_fw *c, uint64_t timeout) {
  if (c->hal.wait_irq(c->hal.ctx, timeout) != 0) return KG_FW_ETIMEOUT;
  const uint32_t st = kg_fw_rd(c, KG_REG_IRQ_STATUS);
  c->last_irq = st;
  c->last_hw_err = kg_fw_hw_err(c);
  kg_fw_wr(c, KG_REG_IRQ_STATUS, st); /* W1C exactly the causes we saw */
  return KG_FW_OK;
}

int kg_fw_soft_reset(kg_fw *c) {
  kg_fw_wr(c, KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  /* The abort of a running layer ends with an interrupt (DONE, ERR_ABORTED);
   * an idle engine raises none, so BUSY is what decides. */
  if (kg_fw_rd(c, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) {
    const uint32_t irq = c->last_irq, err = c->last_hw_err;
    (void)kg_fw_wait(c, c->reset_timeout);
    c->last_irq = irq;
    c->last_hw_err = err;
  }
  const int idle = (kg_fw_rd(c, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) == 0;
  kg_fw_irq_clear(c);
  return idle ? KG_FW_OK : KG_FW_EHW;
}

int kg_fw_init(kg_fw *ctx, const kg_hal *hal) {
  if (!ctx || !hal || !hal->reg_read32 || !hal->reg_write32 || !hal->wait_irq || !hal->mem_read ||
      !hal->mem_write)
    return KG_FW_EINVAL;
  kg_fw c0 = {0};
  *ctx = c0;
  ctx->hal = *hal;
  ctx->key_timeout = KG_FW_DEFAULT_TIMEOUT;
  ctx->reset_timeout = KG_FW_DEFAULT_TIMEOUT;

  if (kg_fw_rd(ctx, KG_REG_ID) != KG_RST_ID) return KG_FW_ENODEV;
  const uint32_t ver = kg_fw_rd(ctx, KG_REG_VERSION);
  if ((ver >> 16) != (KG_REGMAP_VERSION >> 16)) return KG_FW_EVERSION;

  kg_fw_info *i = &ctx->info;
  i->version = ver;
  const uint32_t arr = kg_fw_rd(ctx, KG_REG_HW_ARRAY);
  const uint32_t buf = kg_fw_rd(ctx, KG_REG_HW_BUF);
  const uint32_t cfg = kg_fw_rd(ctx, KG_REG_HW_CFG);
  i->rows = kg_fw_field(arr, KG_HW_ARRAY_ROWS_MASK, KG_HW_ARRAY_ROWS_SHIFT);
  i->cols = kg_fw_field(arr, KG_HW_ARRAY_COLS_MASK, KG_HW_ARRAY_COLS_SHIFT);
  i->acc_depth = kg_fw_field(buf, KG_HW_BUF_ACC_DEPTH_MASK, KG_HW_BUF_ACC_DEPTH_SHIFT);
  i->act_words = kg_fw_field(buf, KG_HW_BUF_ACT_WORDS_MASK, KG_HW_BUF_ACT_WORDS_SHIFT);
  i->aes_lanes = kg_fw_field(cfg, KG_HW_CFG_AES_LANES_MASK, KG_HW_CFG_AES_LANES_SHIFT);
  i->cipher_pipe = kg_fw_field(cfg, KG_HW_CFG_CIPHER_PIPE_MASK, KG_HW_CFG_CIPHER_PIPE_SHIFT);
  i->keygate = kg_fw_field(cfg, KG_HW_CFG_KEYGATE_MASK, KG_HW_CFG_KEYGATE_SHIFT);
  i->param_depth = kg_fw_field(cfg, KG_HW_CFG_PARAM_DEPTH_MASK, KG_HW_CFG_PARAM_DEPTH_SHIFT);
  /* A sign key of R*C bits must fit the SIGN_KEY words. */
  if (i->rows == 0 || i->cols == 0 || i->acc_depth == 0 || i->act_words == 0 ||
      i->param_depth == 0 || i->rows * i->cols > 32u * KG_REG_SIGN_KEY_COUNT)
    return KG_FW_EGEOM;

  kg_fw_wr(ctx, KG_REG_IRQ_ENABLE, 0); /* quiet while we tidy up */
  kg_fw_irq_clear(ctx);
  kg_fw_wr(ctx, KG_REG_IRQ_ENABLE, KG_FW_IRQ_ALL);
  if (kg_fw_rd(ctx, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) {
    const int rc = kg_fw_soft_reset(ctx);
    if (rc != KG_FW_OK) return rc;
  }
  if (kg_fw_rd(ctx, KG_REG_IRQ_ENABLE) != KG_FW_IRQ_ALL) return KG_FW_EHW;
  ctx->key_status = kg_fw_rd(ctx, KG_REG_KEY_STATUS);
  ctx->magic = KG_FW_CTX_MAGIC;
  return KG_FW_OK;
}
