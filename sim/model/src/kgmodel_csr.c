/* kgmodel_csr.c: CSR reads and writes of kg_csr.v's register file (the key
 * vault's part of a write is in kgmodel_vault.c). */
#include <stdint.h>
#include <string.h>

#include "kgmodel_internal.h"

/* The register view at the current model time. */
static int reg_sample(kgmodel *m, uint32_t off, uint32_t *val) {
  const kgmodel_config *c = &m->cfg;
  uint32_t v = 0;
  int err = 0;
  if (off >= KG_REG_PERF_CYCLES_LO && off <= KG_REG_PERF_DEC_STALL_HI) {
    const unsigned i = (off - KG_REG_PERF_CYCLES_LO) / 8;
    if (off & 4) {
      v = m->hi[i];
    } else {
      v = (uint32_t)m->cnt[i];
      for (unsigned j = 0; j < KGM_NCNT; j++) m->hi[j] = (uint32_t)(m->cnt[j] >> 32);
    }
  } else {
    switch (off) {
      case KG_REG_ID: v = KG_RST_ID; break;
      case KG_REG_VERSION: v = KG_RST_VERSION; break;
      case KG_REG_HW_ARRAY:
        v = (c->rows << KG_HW_ARRAY_ROWS_SHIFT) | (c->cols << KG_HW_ARRAY_COLS_SHIFT);
        break;
      case KG_REG_HW_BUF:
        v = (c->acc_depth << KG_HW_BUF_ACC_DEPTH_SHIFT) |
            (c->half_words << KG_HW_BUF_ACT_WORDS_SHIFT);
        break;
      case KG_REG_HW_CFG: /* 16 decrypt lanes, pipelined cipher, sign-key gating */
        v = (16u << KG_HW_CFG_AES_LANES_SHIFT) | KG_HW_CFG_CIPHER_PIPE_MASK |
            KG_HW_CFG_KEYGATE_MASK | (c->param_depth << KG_HW_CFG_PARAM_DEPTH_SHIFT);
        break;
      case KG_REG_CTRL: v = 0; break;
      case KG_REG_STATUS:
        v = (m->busy || m->ver_busy ? KG_STATUS_BUSY_MASK : 0u) | (m->err << KG_STATUS_ERR_SHIFT);
        break;
      case KG_REG_DESC_ADDR: v = m->desc_addr; break;
      case KG_REG_IRQ_STATUS: v = m->irq_status; break;
      case KG_REG_IRQ_ENABLE: v = m->irq_enable; break;
      case KG_REG_KEY_CTRL: v = 0; break;
      case KG_REG_KEY_CFG: v = m->aes_len; break;
      case KG_REG_KEY_STATUS: v = kgmod_key_status(m); break;
      case KG_REG_POLICY: v = kgmod_policy_rd(m); break;
      case KG_REG_NONCE0: v = m->nonce[0]; break;
      case KG_REG_NONCE1: v = m->nonce[1]; break;
      case KG_REG_NONCE2: v = m->nonce[2]; break;
      case KG_REG_KCV_EXP0: v = m->kcv_exp[0]; break;
      case KG_REG_KCV_EXP1: v = m->kcv_exp[1]; break;
      case KG_REG_MODEL_ADDR: v = m->model_addr; break;
      case KG_REG_MODEL_LEN: v = m->model_len; break;
      default:
        if (kgmod_is_auth_reg(off))
          v = m->tag_exp[(off - KG_REG_TAG_EXP(0)) / 4];
        else
          err = !kgmod_is_vault(off);
        break;
    }
  }
  if (err) return KGMODEL_ESLVERR;
  *val = v;
  return KGMODEL_OK;
}

/* As kg_top's AXI4-Lite slave: the read data is the register one cycle into
 * the access (the address handshake), the access ends reg_cycles later. */
int kgmodel_reg_read32(kgmodel *m, uint32_t off, uint32_t *val) {
  if (!m || !val) return KGMODEL_EINVAL;
  if ((off & 3) || off >= 4096) return KGMODEL_ERANGE;
  const uint64_t end = m->now + m->cfg.reg_cycles;
  kgmod_advance_to(m, m->now + (m->cfg.reg_cycles ? 1u : 0u));
  const int rc = reg_sample(m, off, val);
  kgmod_advance_to(m, end);
  return rc;
}

int kgmodel_reg_write32_strb(kgmodel *m, uint32_t off, uint32_t d, uint32_t strb) {
  if (!m) return KGMODEL_EINVAL;
  if ((off & 3) || off >= 4096) return KGMODEL_ERANGE;
  kgmod_advance_to(m, m->now + m->cfg.reg_cycles);
  const uint32_t wm = ((strb & 1) ? 0xffu : 0) | ((strb & 2) ? 0xff00u : 0) |
                      ((strb & 4) ? 0xff0000u : 0) | ((strb & 8) ? 0xff000000u : 0);
  const uint32_t cmd = d & wm;
  const int act = (strb & 15) != 0;
  const int mapped = (off <= KG_REG_HW_CFG && off != 0x14 && off != 0x18 && off != 0x1c) ||
                     (off >= KG_REG_CTRL && off <= KG_REG_DESC_ADDR) ||
                     off == KG_REG_IRQ_STATUS || off == KG_REG_IRQ_ENABLE ||
                     (off >= KG_REG_KEY_CTRL && off <= KG_REG_NONCE2) || off == KG_REG_KCV_EXP0 ||
                     off == KG_REG_KCV_EXP1 || kgmod_is_auth_reg(off) || kgmod_is_vault(off) ||
                     (off >= KG_REG_PERF_CYCLES_LO && off <= KG_REG_PERF_DEC_STALL_HI);
  if (!mapped) return KGMODEL_ESLVERR;
  if (!act) return KGMODEL_OK;

  const int busy_eff = m->busy || m->ver_busy; /* STATUS.BUSY */
  uint32_t irq_set = 0, irq_clr = 0;
  int do_start = 0, do_srst = 0;
  switch (off) {
    case KG_REG_CTRL:
      if (cmd & KG_CTRL_SOFT_RESET_MASK)
        do_srst = 1;
      else if ((cmd & KG_CTRL_START_MASK) && !busy_eff)
        do_start = 1;
      if (cmd & KG_CTRL_PERF_CLEAR_MASK) {
        memset(m->cnt, 0, sizeof m->cnt);
        memset(m->hi, 0, sizeof m->hi);
      }
      break;
    case KG_REG_DESC_ADDR:
      if (!busy_eff) m->desc_addr = kgmod_merge(m->desc_addr, d, wm);
      break;
    case KG_REG_IRQ_STATUS: irq_clr = cmd & KGM_IRQ_MASK; break;
    case KG_REG_IRQ_ENABLE: m->irq_enable = kgmod_merge(m->irq_enable, d, wm) & KGM_IRQ_MASK; break;
    default: break;
  }
  kgmod_vault_write(m, off, d, wm, &irq_set, &do_srst);
  m->irq_status = ((m->irq_status & ~irq_clr) | irq_set) & KGM_IRQ_MASK;
  if (do_srst) kgmod_engine_abort(m);
  if (do_start) kgmod_engine_start(m);
  return KGMODEL_OK;
}

int kgmodel_reg_write32(kgmodel *m, uint32_t off, uint32_t val) {
  return kgmodel_reg_write32_strb(m, off, val, 0xf);
}
