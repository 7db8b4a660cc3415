/*
 * kgmac/raw.h: raw access to an open device, below the driver's model API.
 *
 * What a program that holds the device's bus has: its registers, its
 * memory, and a way to run one descriptor it wrote itself. The driver's own
 * checks (file format, version, policy) do not apply here; only the device's
 * do. It exists for bring-up, for tests of the device's own refusals, and for
 * the attack lab (docs/security.md), whose thief writes descriptors and
 * device memory himself.
 *
 * Ownership: dev is borrowed. Memory from kg_raw_alloc stays the caller's
 * until kg_raw_free or kg_close. Nothing here reads or writes a key: the
 * vault's key registers read as 0 whatever the caller does.
 *
 * Errors: KG_OK; KG_E_INVAL (NULL, misaligned offset, empty or oversized
 * request); KG_E_DEVMEM (no room, or an access outside device memory);
 * KG_E_TIMEOUT (run: no interrupt in time, the engine was soft-reset);
 * KG_E_DEVICE (the back-end failed).
 */
#ifndef KGMAC_RAW_H
#define KGMAC_RAW_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/kgmac.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 32-bit register at byte offset off of the CSR window (docs/registers.md). */
int kg_raw_reg_read(kg_dev *dev, uint32_t off, uint32_t *val);
int kg_raw_reg_write(kg_dev *dev, uint32_t off, uint32_t val);

/* Copy n bytes to / from device memory at addr. */
int kg_raw_mem_write(kg_dev *dev, uint64_t addr, const void *src, size_t n);
int kg_raw_mem_read(kg_dev *dev, uint64_t addr, void *dst, size_t n);

/* Reserve size bytes of device memory (64-byte aligned) that no model the
 * driver loads will overlap; release with kg_raw_free. */
int kg_raw_alloc(kg_dev *dev, uint64_t size, uint64_t *addr);
void kg_raw_free(kg_dev *dev, uint64_t addr);

/* Run the one layer whose descriptor is at desc_addr (16-byte aligned) and
 * wait for its interrupt. On return (KG_OK) *hw_err holds STATUS.ERR of the
 * layer (KG_ERR_* of kgmac/kg_regs.h: 0 when it ran, else why the device
 * refused or aborted it). */
int kg_raw_run(kg_dev *dev, uint64_t desc_addr, uint32_t *hw_err);

#ifdef __cplusplus
}
#endif
#endif /* KGMAC_RAW_H */
