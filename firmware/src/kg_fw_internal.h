/* kg_fw_internal.h: helpers shared by the firmware sources (not public). */
#ifndef KG_FW_INTERNAL_H
#define KG_FW_INTERNAL_H

#include "kg_fw.h"
#include "kgmac/kg_regs.h"

/* Every interrupt cause of IRQ_STATUS. */
#define KG_FW_IRQ_ALL                                                                     \
  (KG_IRQ_STATUS_DONE_MASK | KG_IRQ_STATUS_DESC_ERR_MASK | KG_IRQ_STATUS_BUS_ERR_MASK |  \
   KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK | KG_IRQ_STATUS_VAULT_MASK)

#define KG_FW_DEFAULT_TIMEOUT 100000u

static inline uint32_t kg_fw_rd(const kg_fw *c, uint32_t off) {
  return c->hal.reg_read32(c->hal.ctx, off);
}
static inline void kg_fw_wr(const kg_fw *c, uint32_t off, uint32_t v) {
  c->hal.reg_write32(c->hal.ctx, off, v);
}
static inline uint32_t kg_fw_field(uint32_t v, uint32_t mask, uint32_t shift) {
  return (v & mask) >> shift;
}
static inline int kg_fw_ready(const kg_fw *c) { return c && c->magic == KG_FW_CTX_MAGIC; }

/* STATUS.ERR now. */
static inline uint32_t kg_fw_hw_err(const kg_fw *c) {
  return kg_fw_field(kg_fw_rd(c, KG_REG_STATUS), KG_STATUS_ERR_MASK, KG_STATUS_ERR_SHIFT);
}

/* Clear every interrupt cause. */
static inline void kg_fw_irq_clear(const kg_fw *c) { kg_fw_wr(c, KG_REG_IRQ_STATUS, KG_FW_IRQ_ALL); }

/* Wait for the interrupt; on success latch and clear IRQ_STATUS into
 * c->last_irq and STATUS.ERR into c->last_hw_err. 0 or KG_FW_ETIMEOUT. */
int kg_fw_wait(kg_fw *c, uint64_t timeout);

/* SOFT_RESET the engine and wait for it to go idle. 0, or KG_FW_EHW if it
 * does not within c->reset_timeout. Interrupt causes are cleared after. */
int kg_fw_soft_reset(kg_fw *c);

#endif /* KG_FW_INTERNAL_H */
