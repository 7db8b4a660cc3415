/*
 * kg_hal.h: the one seam between kgmac firmware and hardware (docs/spec.md 15).
 *
 * The firmware touches the accelerator only through these callbacks. Each
 * back-end (the Verilated RTL in libkgsim, the functional C model, a real
 * SoC) fills one kg_hal. Register offsets are byte offsets into the CSR
 * block (see kg_regs.h); device addresses are the accelerator's DMA
 * address space.
 *
 * Ownership: the kg_hal and its ctx belong to the caller and must outlive
 * every firmware call that uses them. The firmware copies the callbacks
 * into its own context (kg_fw_init) and borrows ctx; it never frees either.
 */
#ifndef KG_HAL_H
#define KG_HAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct kg_hal {
  void *ctx;
  uint32_t (*reg_read32)(void *ctx, uint32_t off);
  void (*reg_write32)(void *ctx, uint32_t off, uint32_t v);
  /* Wait until the interrupt line is high: 0 on interrupt, -1 on timeout. */
  int (*wait_irq)(void *ctx, uint64_t timeout_cycles);
  /* Device-memory access: 0 on success, negative on an out-of-range access. */
  int (*mem_write)(void *ctx, uint64_t addr, const void *src, size_t n);
  int (*mem_read)(void *ctx, uint64_t addr, void *dst, size_t n);
} kg_hal;

#endif /* KG_HAL_H */
