/* kg_fw_job.c: run the layers of a job, one descriptor at a time. */
#include "kg_fw_internal.h"

enum { PERF_N = 7 };
static const uint32_t perf_lo[PERF_N] = {
    KG_REG_PERF_CYCLES_LO,  KG_REG_PERF_BUSY_LO,      KG_REG_PERF_COMPUTE_LO,
    KG_REG_PERF_RD_BYTES_LO, KG_REG_PERF_WR_BYTES_LO, KG_REG_PERF_DMA_STALL_LO,
    KG_REG_PERF_DEC_STALL_LO};

/* Every counter; each _LO read latches the _HI words, so read LO then HI. */
static void perf_read(const kg_fw *c, uint64_t v[PERF_N]) {
  for (unsigned i = 0; i < PERF_N; i++) {
    const uint32_t lo = kg_fw_rd(c, perf_lo[i]);
    const uint32_t hi = kg_fw_rd(c, perf_lo[i] + 4u);
    v[i] = ((uint64_t)hi << 32) | lo;
  }
}

static void perf_delta(const uint64_t a[PERF_N], const uint64_t b[PERF_N], kg_fw_perf *p) {
  p->cycles = b[0] - a[0];
  p->busy = b[1] - a[1];
  p->compute = b[2] - a[2];
  p->rd_bytes = b[3] - a[3];
  p->wr_bytes = b[4] - a[4];
  p->dma_stall = b[5] - a[5];
  p->dec_stall = b[6] - a[6];
}

/* One layer: 0 or a KG_FW_E* code. */
static int run_layer(kg_fw *c, uint32_t desc_addr, uint64_t timeout, kg_fw_perf *perf) {
  if (kg_fw_rd(c, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) return KG_FW_EBUSY;
  /* A key check still running (after a check timeout) would raise the
   * interrupt this layer waits for. */
  if (kg_fw_rd(c, KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK) return KG_FW_EBUSY;
  kg_fw_irq_clear(c);
  kg_fw_wr(c, KG_REG_DESC_ADDR, desc_addr);
  if (kg_fw_rd(c, KG_REG_DESC_ADDR) != desc_addr) return KG_FW_EHW;
  uint64_t p0[PERF_N];
  if (perf) perf_read(c, p0);
  kg_fw_wr(c, KG_REG_CTRL, KG_CTRL_START_MASK);

  if (kg_fw_wait(c, timeout) != KG_FW_OK) {
    c->last_irq = 0;
    c->last_hw_err = kg_fw_hw_err(c);
    /* A hung layer: abort it so the device is usable again. */
    return kg_fw_soft_reset(c) == KG_FW_OK ? KG_FW_ETIMEOUT : KG_FW_EHW;
  }
  if (perf) {
    uint64_t p1[PERF_N];
    perf_read(c, p1);
    perf_delta(p0, p1, perf);
  }
  if (kg_fw_rd(c, KG_REG_STATUS) & KG_STATUS_BUSY_MASK) return KG_FW_EHW;

  const uint32_t irq = c->last_irq, err = c->last_hw_err;
  if (err != KG_ERR_OK) {
    const int rc = kg_fw_map_hw_err(err);
    /* KCV_MISMATCH belongs to a CHECK, never to a layer. */
    return (rc == KG_FW_EKCV) ? KG_FW_EHW : rc;
  }
  /* ERR_OK: the layer must have finished with DONE and no other cause. */
  const uint32_t bad = KG_IRQ_STATUS_DESC_ERR_MASK | KG_IRQ_STATUS_BUS_ERR_MASK |
                       KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK;
  if (!(irq & KG_IRQ_STATUS_DONE_MASK) || (irq & bad)) return KG_FW_EHW;
  return KG_FW_OK;
}

int kg_fw_run_job(kg_fw *ctx, const uint32_t *desc_addrs, uint32_t n, uint64_t timeout_cycles,
                  uint32_t *failed_layer, kg_fw_perf *perf) {
  if (failed_layer) *failed_layer = 0;
  if (!kg_fw_ready(ctx)) return KG_FW_ENOTINIT;
  if ((n && !desc_addrs) || timeout_cycles == 0) return KG_FW_EINVAL;
  /* Check the whole list before touching the device. */
  for (uint32_t i = 0; i < n; i++) {
    if (desc_addrs[i] & 15u) {
      if (failed_layer) *failed_layer = i;
      return KG_FW_EINVAL;
    }
  }
  for (uint32_t i = 0; i < n; i++) {
    const int rc = run_layer(ctx, desc_addrs[i], timeout_cycles, perf ? &perf[i] : (kg_fw_perf *)0);
    if (rc != KG_FW_OK) {
      if (failed_layer) *failed_layer = i;
      return rc;
    }
  }
  if (failed_layer) *failed_layer = n;
  return KG_FW_OK;
}
