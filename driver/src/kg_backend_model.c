/* kg_backend_model.c: the "model" back-end, the functional C model
 * (kgmodel), of any geometry it supports. */
#include <stdio.h>

#include "kg_driver_internal.h"
#include "kgmodel.h"

static int model_create(const kg_dev_opts *o, void **impl, kg_hal *hal, char *err) {
  kgmodel_config cfg = kgmodel_config_default();
  cfg.rows = o->rows;
  cfg.cols = o->cols;
  cfg.dram_base = 0;
  cfg.dram_size = o->dram_size;
  char e[KG_DETAIL_LEN] = {0};
  kgmodel *m = kgmodel_create(&cfg, e, sizeof e);
  if (!m) {
    snprintf(err, KG_DETAIL_LEN, "kgmodel_create (%ux%u): %.200s", (unsigned)o->rows,
             (unsigned)o->cols, e);
    return KG_E_INVAL;
  }
  kgmodel_hal_bind(m, hal);
  *impl = m;
  return KG_OK;
}

static void model_destroy(void *impl) { kgmodel_destroy((kgmodel *)impl); }

static uint64_t model_cycles(const void *impl) { return kgmodel_cycles((const kgmodel *)impl); }

const kg_backend kg_backend_model = {"model", model_create, model_destroy, model_cycles};
