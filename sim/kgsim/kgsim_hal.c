/*
 * kgsim_hal.c: the firmware HAL (common/hal/include/kg_hal.h) over libkgsim.
 *
 * kg_hal's reg_read32/reg_write32 cannot report errors. A failed CSR read
 * returns 0xFFFFFFFF (what a host bus gives for an unanswered read); the
 * reason of either failure stays in kgsim_last_error() and the count in
 * kgsim_hal_errors().
 */
#include "kgsim_hal.h"

static unsigned long g_hal_errors; /* across handles; see kgsim_hal_errors */

static uint32_t hal_reg_read32(void *ctx, uint32_t off) {
  uint32_t v = 0;
  if (kgsim_reg_read32((kgsim *)ctx, off, &v) != KGSIM_OK) {
    g_hal_errors++;
    return 0xFFFFFFFFu;
  }
  return v;
}

static void hal_reg_write32(void *ctx, uint32_t off, uint32_t v) {
  if (kgsim_reg_write32((kgsim *)ctx, off, v) != KGSIM_OK) g_hal_errors++;
}

static int hal_wait_irq(void *ctx, uint64_t timeout_cycles) {
  return kgsim_run_until_irq((kgsim *)ctx, timeout_cycles, NULL) == KGSIM_OK ? 0 : -1;
}

static int hal_mem_write(void *ctx, uint64_t addr, const void *src, size_t n) {
  return kgsim_mem_write((kgsim *)ctx, addr, src, n) == KGSIM_OK ? 0 : -1;
}

static int hal_mem_read(void *ctx, uint64_t addr, void *dst, size_t n) {
  return kgsim_mem_read((kgsim *)ctx, addr, dst, n) == KGSIM_OK ? 0 : -1;
}

void kgsim_hal_bind(kgsim *s, kg_hal *hal) {
  if (!hal) return;
  hal->ctx = s;
  hal->reg_read32 = hal_reg_read32;
  hal->reg_write32 = hal_reg_write32;
  hal->wait_irq = hal_wait_irq;
  hal->mem_write = hal_mem_write;
  hal->mem_read = hal_mem_read;
}

unsigned long kgsim_hal_errors(void) { return g_hal_errors; }
