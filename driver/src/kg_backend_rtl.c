/* kg_backend_rtl.c: the "rtl" back-end, the Verilated kg_top of libkgsim
 * (kgsim_<KG_ROWS>x<KG_COLS>, linked into libkgmac's users). */
#include <stdio.h>

#include "kg_driver_internal.h"
#include "kgsim.h"
#include "kgsim_hal.h"

static int rtl_create(const kg_dev_opts *o, void **impl, kg_hal *hal, char *err) {
  kgsim_config cfg = kgsim_config_default();
  cfg.dram.base = 0;
  cfg.dram.size = o->dram_size;
  char e[KG_DETAIL_LEN] = {0};
  kgsim *s = kgsim_create(&cfg, e, sizeof e);
  if (!s) {
    snprintf(err, KG_DETAIL_LEN, "kgsim_create: %.200s", e);
    return KG_E_DEVICE;
  }
  if (kgsim_rows(s) != o->rows || kgsim_cols(s) != o->cols) {
    snprintf(err, KG_DETAIL_LEN, "kgsim is %ux%u, expected %ux%u", kgsim_rows(s), kgsim_cols(s),
             (unsigned)o->rows, (unsigned)o->cols);
    kgsim_destroy(s);
    return KG_E_DEVICE;
  }
  kgsim_hal_bind(s, hal);
  *impl = s;
  return KG_OK;
}

static void rtl_destroy(void *impl) { kgsim_destroy((kgsim *)impl); }

static uint64_t rtl_cycles(const void *impl) { return kgsim_cycles((const kgsim *)impl); }

const kg_backend kg_backend_rtl = {"rtl", rtl_create, rtl_destroy, rtl_cycles};
