/* kgmodel_ops.c: the model behind the firmware HAL (kg_hal.h) and behind
 * the back-end table kgmodel_ops (kg_backend.h). */
#include <stddef.h>
#include <stdint.h>

#include "kg_backend_adapt.h"
#include "kgmodel_internal.h"

static uint32_t hal_rd(void *ctx, uint32_t off) {
  uint32_t v = 0;
  return kgmodel_reg_read32((kgmodel *)ctx, off, &v) == KGMODEL_OK ? v : 0xFFFFFFFFu;
}
static void hal_wr(void *ctx, uint32_t off, uint32_t v) { (void)kgmodel_reg_write32((kgmodel *)ctx, off, v); }
static int hal_wait(void *ctx, uint64_t t) {
  return kgmodel_run_until_irq((kgmodel *)ctx, t, NULL) == KGMODEL_OK ? 0 : -1;
}
static int hal_mw(void *ctx, uint64_t a, const void *s, size_t n) {
  return kgmodel_mem_write((kgmodel *)ctx, a, s, n) == KGMODEL_OK ? 0 : -1;
}
static int hal_mr(void *ctx, uint64_t a, void *d, size_t n) {
  return kgmodel_mem_read((kgmodel *)ctx, a, d, n) == KGMODEL_OK ? 0 : -1;
}

void kgmodel_hal_bind(kgmodel *m, kg_hal *hal) {
  if (!hal) return;
  hal->ctx = m;
  hal->reg_read32 = hal_rd;
  hal->reg_write32 = hal_wr;
  hal->wait_irq = hal_wait;
  hal->mem_write = hal_mw;
  hal->mem_read = hal_mr;
}

/* kg_backend_ops over a kgmodel handle: create and set_fault here, the
 * rest from KG_BACKEND_ADAPT. */
static int ops_create(const kg_backend_config *bc, void **out, char *err, size_t errlen) {
  if (!out || !bc) {
    if (out) *out = NULL;
    return KGMODEL_EINVAL;
  }
  kgmodel_config c = kgmodel_config_default();
  if (bc->rows || bc->cols) {
    c.rows = bc->rows;
    c.cols = bc->cols;
  }
  c.dram_base = bc->dram_base;
  c.dram_size = bc->dram_size;
  kgmodel *m;
  const int rc = kgmod_create(&c, &m, err, errlen);
  *out = m;
  return rc;
}

static int ops_set_fault(void *h, unsigned slot, const kg_backend_fault *f) {
  if (!f) return kgmodel_set_fault((kgmodel *)h, slot, NULL);
  const kgmodel_fault mf = {KGMODEL_FAULT_RANGE, f->dirs, f->lo, f->hi};
  return kgmodel_set_fault((kgmodel *)h, slot, &mf);
}

KG_BACKEND_ADAPT(kgmodel, kgmodel)

const kg_backend_ops kgmodel_ops = KG_BACKEND_OPS(kgmodel, "model", ops_create, ops_set_fault);
