/* kg_raw.c: raw device access (kgmac/raw.h), straight through the HAL. */
#include "kgmac/raw.h"

#include "kg_driver_internal.h"
#include "kgmac/kg_regs.h"

/* The CSR window is 4 KiB (docs/spec.md 13). */
#define KG_RAW_CSR_WINDOW 0x1000u

int kg_raw_reg_read(kg_dev *dev, uint32_t off, uint32_t *val) {
  if (!dev || !val || off % 4u || off >= KG_RAW_CSR_WINDOW) return KG_E_INVAL;
  *val = dev->hal.reg_read32(dev->hal.ctx, off);
  return KG_OK;
}

int kg_raw_reg_write(kg_dev *dev, uint32_t off, uint32_t val) {
  if (!dev || off % 4u || off >= KG_RAW_CSR_WINDOW) return KG_E_INVAL;
  dev->hal.reg_write32(dev->hal.ctx, off, val);
  return KG_OK;
}

static int in_dram(const kg_dev *dev, uint64_t addr, size_t n) {
  return addr <= dev->opts.dram_size && n <= dev->opts.dram_size - addr;
}

int kg_raw_mem_write(kg_dev *dev, uint64_t addr, const void *src, size_t n) {
  if (!dev || !src || n == 0) return KG_E_INVAL;
  if (!in_dram(dev, addr, n)) return KG_E_DEVMEM;
  return dev->hal.mem_write(dev->hal.ctx, addr, src, n) == 0 ? KG_OK : KG_E_DEVICE;
}

int kg_raw_mem_read(kg_dev *dev, uint64_t addr, void *dst, size_t n) {
  if (!dev || !dst || n == 0) return KG_E_INVAL;
  if (!in_dram(dev, addr, n)) return KG_E_DEVMEM;
  return dev->hal.mem_read(dev->hal.ctx, addr, dst, n) == 0 ? KG_OK : KG_E_DEVICE;
}

int kg_raw_alloc(kg_dev *dev, uint64_t size, uint64_t *addr) {
  if (!dev || !addr || size == 0) return KG_E_INVAL;
  return kg_dev_alloc(dev, size, addr);
}

void kg_raw_free(kg_dev *dev, uint64_t addr) {
  if (dev) kg_dev_free_region(dev, addr);
}

int kg_raw_run(kg_dev *dev, uint64_t desc_addr, uint32_t *hw_err) {
  if (!dev || !hw_err || desc_addr % 16u || desc_addr >= (1ull << 32)) return KG_E_INVAL;
  const uint32_t a = (uint32_t)desc_addr;
  const int rc = kg_fw_run_job(&dev->fw, &a, 1, dev->opts.layer_timeout, NULL, NULL);
  if (rc == KG_FW_ETIMEOUT) return KG_E_TIMEOUT;
  *hw_err = (dev->hal.reg_read32(dev->hal.ctx, KG_REG_STATUS) & KG_STATUS_ERR_MASK) >>
            KG_STATUS_ERR_SHIFT;
  return KG_OK;
}
