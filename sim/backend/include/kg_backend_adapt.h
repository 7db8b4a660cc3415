/*
 * kg_backend_adapt.h (C only): for the two libraries that implement
 * kg_backend.h, and no one else. Their C APIs name the same operations the same way (kgsim_step,
 * kgmodel_step, ...), so one macro writes the table entries that only cast
 * the handle; each library adds its own create and set_fault (they differ:
 * configuration and fault records).
 *
 * In one source file of the library:
 *   KG_BACKEND_ADAPT(kgsim, kgsim)
 *   const kg_backend_ops kgsim_ops = KG_BACKEND_OPS(kgsim, "rtl", my_create, my_set_fault);
 */
#ifndef KG_BACKEND_ADAPT_H
#define KG_BACKEND_ADAPT_H

#include "kg_backend.h"

/* Static adapters P##_be_<op> from the library's P##_<op> on handle type T. */
#define KG_BACKEND_ADAPT(P, T)                                                                    \
  static void P##_be_destroy(void *h) { P##_destroy((T *)h); }                                   \
  static unsigned P##_be_rows(const void *h) { return P##_rows((const T *)h); }                  \
  static unsigned P##_be_cols(const void *h) { return P##_cols((const T *)h); }                  \
  static int P##_be_reg_read32(void *h, uint32_t off, uint32_t *val) {                           \
    return P##_reg_read32((T *)h, off, val);                                                     \
  }                                                                                              \
  static int P##_be_reg_write32(void *h, uint32_t off, uint32_t val) {                           \
    return P##_reg_write32((T *)h, off, val);                                                    \
  }                                                                                              \
  static int P##_be_mem_write(void *h, uint64_t addr, const void *src, size_t n) {               \
    return P##_mem_write((T *)h, addr, src, n);                                                  \
  }                                                                                              \
  static int P##_be_mem_read(void *h, uint64_t addr, void *dst, size_t n) {                      \
    return P##_mem_read((T *)h, addr, dst, n);                                                   \
  }                                                                                              \
  static int P##_be_run_until_irq(void *h, uint64_t max_cycles, uint64_t *waited) {              \
    return P##_run_until_irq((T *)h, max_cycles, waited);                                        \
  }                                                                                              \
  static int P##_be_step(void *h, uint64_t n) { return P##_step((T *)h, n); }                    \
  static uint64_t P##_be_cycles(const void *h) { return P##_cycles((const T *)h); }              \
  static int P##_be_irq(const void *h) { return P##_irq((const T *)h); }                         \
  static int P##_be_reset(void *h) { return P##_reset((T *)h); }                                 \
  static void P##_be_hal_bind(void *h, kg_hal *hal) { P##_hal_bind((T *)h, hal); }

/* The table over those adapters, NAME, CREATE and SET_FAULT. */
#define KG_BACKEND_OPS(P, NAME, CREATE, SET_FAULT)                                              \
  {                                                                                              \
    .name = NAME, .create = CREATE, .destroy = P##_be_destroy, .rows = P##_be_rows,              \
    .cols = P##_be_cols, .reg_read32 = P##_be_reg_read32, .reg_write32 = P##_be_reg_write32,     \
    .mem_write = P##_be_mem_write, .mem_read = P##_be_mem_read,                                  \
    .run_until_irq = P##_be_run_until_irq, .step = P##_be_step, .cycles = P##_be_cycles,         \
    .irq = P##_be_irq, .reset = P##_be_reset, .set_fault = SET_FAULT, .strerror = P##_strerror,  \
    .hal_bind = P##_be_hal_bind                                                                  \
  }

#endif /* KG_BACKEND_ADAPT_H */
