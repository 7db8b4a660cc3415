/* kg_hal_mmio.h: kg_hal over the memory-mapped kgmac of kg_fw.ld. */
#ifndef KG_HAL_MMIO_H
#define KG_HAL_MMIO_H

#include "kg_hal.h"

void kg_hal_mmio_bind(kg_hal *hal);

#endif
