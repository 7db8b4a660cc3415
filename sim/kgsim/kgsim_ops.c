/* kgsim_ops.c: libkgsim behind the back-end table kgsim_ops (kg_backend.h). */
#include <stdio.h>

#include "kg_backend_adapt.h"
#include "kgsim.h"
#include "kgsim_create.h"
#include "kgsim_hal.h"

static int ops_create(const kg_backend_config *bc, void **out, char *err, size_t errlen) {
  if (!out || !bc) {
    if (out) *out = NULL;
    return KGSIM_EINVAL;
  }
  *out = NULL;
  kgsim_config c = kgsim_config_default();
  c.dram.base = bc->dram_base;
  c.dram.size = bc->dram_size;
  kgsim *s;
  const int rc = kgsim_create_status(&c, &s, err, errlen);
  if (rc != KGSIM_OK) return rc;
  if ((bc->rows || bc->cols) && (kgsim_rows(s) != bc->rows || kgsim_cols(s) != bc->cols)) {
    if (err && errlen)
      snprintf(err, errlen, "kgsim is %ux%u, expected %ux%u", kgsim_rows(s), kgsim_cols(s),
               (unsigned)bc->rows, (unsigned)bc->cols);
    kgsim_destroy(s);
    return KGSIM_ENOTSUP;
  }
  *out = s;
  return KGSIM_OK;
}

static int ops_set_fault(void *h, unsigned slot, const kg_backend_fault *f) {
  if (!f) return kgsim_set_fault((kgsim *)h, slot, NULL);
  kgsim_fault sf = {0};
  sf.mode = KGSIM_FAULT_RANGE;
  sf.dirs = f->dirs;
  sf.resp = KGSIM_RESP_SLVERR;
  sf.lo = f->lo;
  sf.hi = f->hi;
  return kgsim_set_fault((kgsim *)h, slot, &sf);
}

KG_BACKEND_ADAPT(kgsim, kgsim)

const kg_backend_ops kgsim_ops = KG_BACKEND_OPS(kgsim, "rtl", ops_create, ops_set_fault);
