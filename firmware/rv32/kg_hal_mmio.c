/*
 * kg_hal_mmio.c: a kg_hal over a memory-mapped kgmac (rv32 reference SoC of
 * kg_fw.ld). CSRs are 32-bit volatile accesses at kg_csr_base + off; device
 * memory is visible to the CPU at kg_dev_base. wait_irq polls
 * IRQ_STATUS & IRQ_ENABLE, counting one poll as one cycle of the budget (a
 * SoC with a timer and an interrupt controller would use wfi instead).
 */
#include "kg_hal_mmio.h"

#include "kgmac/kg_regs.h"

extern char kg_csr_base[], kg_dev_base[], kg_dev_size[];

static volatile uint32_t *csr(uint32_t off) {
  return (volatile uint32_t *)(void *)(kg_csr_base + off);
}

static uint32_t mmio_rd(void *ctx, uint32_t off) {
  (void)ctx;
  return *csr(off);
}

static void mmio_wr(void *ctx, uint32_t off, uint32_t v) {
  (void)ctx;
  *csr(off) = v;
}

static int mmio_wait_irq(void *ctx, uint64_t timeout) {
  (void)ctx;
  for (uint64_t t = 0;; t++) {
    if (*csr(KG_REG_IRQ_STATUS) & *csr(KG_REG_IRQ_ENABLE)) return 0;
    if (t >= timeout) return -1;
  }
}

static int in_range(uint64_t addr, size_t n) {
  const uint64_t size = (uint64_t)(uintptr_t)kg_dev_size;
  return addr <= size && n <= size - addr;
}

static int mmio_mem_write(void *ctx, uint64_t addr, const void *src, size_t n) {
  (void)ctx;
  if (!in_range(addr, n)) return -1;
  volatile uint8_t *d = (volatile uint8_t *)(kg_dev_base + (uintptr_t)addr);
  const uint8_t *s = (const uint8_t *)src;
  for (size_t i = 0; i < n; i++) d[i] = s[i];
  return 0;
}

static int mmio_mem_read(void *ctx, uint64_t addr, void *dst, size_t n) {
  (void)ctx;
  if (!in_range(addr, n)) return -1;
  const volatile uint8_t *s = (const volatile uint8_t *)(kg_dev_base + (uintptr_t)addr);
  uint8_t *d = (uint8_t *)dst;
  for (size_t i = 0; i < n; i++) d[i] = s[i];
  return 0;
}

void kg_hal_mmio_bind(kg_hal *hal) {
  hal->ctx = 0;
  hal->reg_read32 = mmio_rd;
  hal->reg_write32 = mmio_wr;
  hal->wait_irq = mmio_wait_irq;
  hal->mem_write = mmio_mem_write;
  hal->mem_read = mmio_mem_read;
}
