/* kg_dev.c: open/close a device, query it, errors, device-memory allocator. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kg_driver_internal.h"
#include "kgmac/kg_regs.h"
#include "kgmodel.h"
#include "kgsim.h"

/* The back-ends, by name ("rtl", "model"). */
static const kg_backend_ops *const kg_backends[] = {&kgsim_ops, &kgmodel_ops};

/* A failed back-end create as a KG_E_* code: a refused configuration is the
 * caller's (KG_E_INVAL), anything else the device's. */
static int map_create_status(int rc) {
  switch (rc) {
    case KG_BE_EINVAL: return KG_E_INVAL;
    case KG_BE_ENOMEM: return KG_E_NOMEM;
    default: return KG_E_DEVICE;
  }
}

int kg_dev_fail(kg_dev *dev, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kg_vfail(dev ? dev->err : NULL, code, fmt, ap);
  va_end(ap);
  return code;
}

int kg_map_fw_status(int rc) {
  switch (rc) {
    case KG_FW_OK: return KG_OK;
    case KG_FW_EINVAL: return KG_E_INVAL;
    case KG_FW_ETIMEOUT: return KG_E_TIMEOUT;
    case KG_FW_EKCV:
    case KG_FW_EWRONGKEY: return KG_E_WRONG_KEY;
    case KG_FW_ELOCKEDOUT: return KG_E_LOCKED_OUT;
    case KG_FW_ENOKEY: return KG_E_NOKEY;
    case KG_FW_EAUTH: return KG_E_AUTH;
    case KG_FW_ENOTAUTH: return KG_E_UNAUTH;
    case KG_FW_EVAULT: return KG_E_VAULT_LOCKED;
    case KG_FW_EDESC_MAGIC:
    case KG_FW_EDESC_OP:
    case KG_FW_EDESC_ZERO:
    case KG_FW_EDESC_ALIGN:
    case KG_FW_EDESC_BIG:
    case KG_FW_EDESC_CRYPT:
    case KG_FW_EDESC_RSVD: return KG_E_HW;
    case KG_FW_EBUS: return KG_E_BUS;
    default: return KG_E_DEVICE; /* ENODEV, EVERSION, EGEOM, ENOTINIT, EBUSY, EABORTED, EHW, ELOCK */
  }
}

int kg_dev_fw_fail(kg_dev *dev, int fw_rc, const char *what) {
  return kg_dev_fail(dev, kg_map_fw_status(fw_rc),
                     "%s: firmware: %s (IRQ_STATUS 0x%02x, STATUS.ERR %u, KEY_STATUS 0x%04x)", what,
                     kg_fw_strstatus(fw_rc), (unsigned)dev->fw.last_irq,
                     (unsigned)dev->fw.last_hw_err, (unsigned)dev->fw.key_status);
}

static void set_err(char *err, const char *fmt, const char *a, const char *b) {
  if (err) snprintf(err, KG_DETAIL_LEN, fmt, a, b);
}

int kg_open(kg_dev **dev, const char *backend, const kg_open_opts *opts, char *err) {
  if (err) err[0] = '\0';
  if (!dev) {
    set_err(err, "%s%s", "kg_open: dev is NULL", "");
    return KG_E_INVAL;
  }
  *dev = NULL;
  if (!backend) {
    set_err(err, "%s%s", "kg_open: backend is NULL", "");
    return KG_E_INVAL;
  }
  const kg_backend_ops *be = NULL;
  for (size_t i = 0; i < sizeof kg_backends / sizeof kg_backends[0]; i++)
    if (strcmp(kg_backends[i]->name, backend) == 0) be = kg_backends[i];
  if (!be) {
    set_err(err, "kg_open: unknown back-end '%.64s' (use \"rtl\" or \"model\")%s", backend, "");
    return KG_E_INVAL;
  }
  kg_dev_opts o = {KG_DRV_RTL_ROWS, KG_DRV_RTL_COLS, KG_DRV_DEFAULT_DRAM, KG_DRV_DEFAULT_TIMEOUT,
                   KG_DRV_DEFAULT_BATCH};
  if (opts) {
    if ((opts->rows == 0) != (opts->cols == 0)) {
      set_err(err, "%s%s", "kg_open: rows and cols must both be 0 or both be set", "");
      return KG_E_INVAL;
    }
    if (opts->rows) {
      if (be == &kgsim_ops && (opts->rows != KG_DRV_RTL_ROWS || opts->cols != KG_DRV_RTL_COLS)) {
        char g[64];
        snprintf(g, sizeof g, "%ux%u", (unsigned)KG_DRV_RTL_ROWS, (unsigned)KG_DRV_RTL_COLS);
        set_err(err, "kg_open: the rtl back-end of this build is %s; its geometry cannot be chosen%s",
                g, "");
        return KG_E_INVAL;
      }
      o.rows = opts->rows;
      o.cols = opts->cols;
    }
    if (opts->dram_size) o.dram_size = opts->dram_size;
    if (opts->layer_timeout) o.layer_timeout = opts->layer_timeout;
    if (opts->max_batch) o.max_batch = opts->max_batch;
  }
  if (o.dram_size % 16u || o.dram_size < KG_DRV_MIN_DRAM || o.dram_size > KG_DRV_MAX_DRAM) {
    set_err(err, "%s%s",
            "kg_open: dram_size must be a multiple of 16 between 4 KiB and 4 GiB", "");
    return KG_E_INVAL;
  }
  if (o.max_batch > KG_DRV_MAX_BATCH) {
    set_err(err, "%s%s", "kg_open: max_batch must be at most 65536", "");
    return KG_E_INVAL;
  }
  kg_dev *d = calloc(1, sizeof *d);
  if (!d) {
    set_err(err, "%s%s", "kg_open: out of memory", "");
    return KG_E_NOMEM;
  }
  d->be = be;
  d->opts = o;
  char detail[KG_DETAIL_LEN] = {0};
  const kg_backend_config bc = {o.rows, o.cols, 0, o.dram_size};
  const int rc = be->create(&bc, &d->impl, detail, sizeof detail);
  if (rc != KG_BE_OK) {
    char what[64];
    snprintf(what, sizeof what, "%s back-end (%ux%u)", be->name, (unsigned)o.rows, (unsigned)o.cols);
    set_err(err, "kg_open: %.40s: %.200s", what, detail);
    free(d);
    return map_create_status(rc);
  }
  be->hal_bind(d->impl, &d->hal);
  const int frc = kg_fw_init(&d->fw, &d->hal);
  if (frc != KG_FW_OK) {
    set_err(err, "kg_open: firmware init: %s%s", kg_fw_strstatus(frc), "");
    be->destroy(d->impl);
    free(d);
    return KG_E_DEVICE;
  }
  if (d->fw.info.rows != o.rows || d->fw.info.cols != o.cols) {
    set_err(err, "kg_open: device reports another geometry than requested%s%s", "", "");
    be->destroy(d->impl);
    free(d);
    return KG_E_DEVICE;
  }
  *dev = d;
  return KG_OK;
}

void kg_close(kg_dev *dev) {
  if (!dev) return;
  /* Models still loaded stay valid host objects: kg_model_free later only
   * releases host memory, and kg_infer on them fails with KG_E_STATE. */
  for (kg_model *m = dev->models; m; m = m->next) m->dev = NULL;
  kg_region *r = dev->regions;
  while (r) {
    kg_region *n = r->next;
    free(r);
    r = n;
  }
  dev->be->destroy(dev->impl);
  memset(dev, 0, sizeof *dev);
  free(dev);
}

const char *kg_last_error(const kg_dev *dev) {
  if (!dev) return "no device";
  return dev->err;
}

int kg_dev_query(const kg_dev *dev, kg_dev_info *info) {
  if (!dev || !info) return KG_E_INVAL;
  memset(info, 0, sizeof *info);
  info->backend = dev->be->name;
  info->rows = dev->fw.info.rows;
  info->cols = dev->fw.info.cols;
  info->version = dev->fw.info.version;
  info->dram_size = dev->opts.dram_size;
  info->legacy = kg_dev_legacy(dev);
  return KG_OK;
}

uint32_t kg_dev_policy(const kg_dev *dev) {
  const uint32_t v = dev->hal.reg_read32(dev->hal.ctx, KG_REG_POLICY);
  return (v & KG_POLICY_MODE_MASK) >> KG_POLICY_MODE_SHIFT;
}

uint32_t kg_dev_legacy(const kg_dev *dev) {
  const uint32_t v = dev->hal.reg_read32(dev->hal.ctx, KG_REG_POLICY);
  return (v & KG_POLICY_LEGACY_MASK) >> KG_POLICY_LEGACY_SHIFT;
}

uint64_t kg_dev_cycles(const kg_dev *dev) { return dev->be->cycles(dev->impl); }

/* ------------------------------------------------------------ allocator */

int kg_dev_alloc(kg_dev *dev, uint64_t size, uint64_t *addr) {
  size = (size + 63u) & ~(uint64_t)63u;
  if (size == 0) size = 64;
  uint64_t at = 0;
  kg_region **link = &dev->regions;
  for (kg_region *r = dev->regions; r; r = r->next) {
    if (r->addr >= at && r->addr - at >= size) break;
    at = (r->addr + r->size + 63u) & ~(uint64_t)63u;
    link = &r->next;
  }
  if (at > dev->opts.dram_size || dev->opts.dram_size - at < size) return KG_E_DEVMEM;
  kg_region *n = malloc(sizeof *n);
  if (!n) return KG_E_NOMEM;
  n->addr = at;
  n->size = size;
  n->next = *link;
  *link = n;
  *addr = at;
  return KG_OK;
}

void kg_dev_free_region(kg_dev *dev, uint64_t addr) {
  for (kg_region **link = &dev->regions; *link; link = &(*link)->next) {
    if ((*link)->addr == addr) {
      kg_region *r = *link;
      *link = r->next;
      free(r);
      return;
    }
  }
}

uint64_t kg_dev_largest_free(const kg_dev *dev) {
  uint64_t at = 0, best = 0;
  for (const kg_region *r = dev->regions; r; r = r->next) {
    if (r->addr > at && r->addr - at > best) best = r->addr - at;
    at = (r->addr + r->size + 63u) & ~(uint64_t)63u;
  }
  if (dev->opts.dram_size > at && dev->opts.dram_size - at > best) best = dev->opts.dram_size - at;
  return best;
}
