/*
 * kgsim_hal.h: bind the firmware HAL (kg_hal.h; docs/spec.md 15) to a kgsim handle.
 *
 * After kgsim_hal_bind(s, &hal), firmware calls through hal drive s: CSR
 * accesses are AXI4-Lite transactions, wait_irq is kgsim_run_until_irq and
 * device memory is the DRAM model's backdoor. s must outlive every use of
 * hal; hal is filled in place and owns nothing. Not thread-safe across
 * concurrent use of the same s (as kgsim.h).
 */
#ifndef KGSIM_HAL_H
#define KGSIM_HAL_H

#include "kg_hal.h"
#include "kgsim.h"

#ifdef __cplusplus
extern "C" {
#endif

void kgsim_hal_bind(kgsim *s, kg_hal *hal);
/* CSR accesses through any bound HAL that failed (timeout, SLVERR, DECERR,
 * bad offset) since program start; the reason is in kgsim_last_error(s). A
 * failed reg_read32 returns 0xFFFFFFFF. Not thread-safe. */
unsigned long kgsim_hal_errors(void);

#ifdef __cplusplus
}
#endif

#endif /* KGSIM_HAL_H */
