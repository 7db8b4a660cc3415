/* kgml private helpers (not installed). */
#ifndef KGML_INTERNAL_H
#define KGML_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "kgml/error.h"

/* Messages: kg_fail(detail, KGML_E_..., fmt, ...) (kgmac/status.h). */
#include "kgmac/status.h"

/* A KG_E_* code of kgmac/file_io.h as the KGML_E_* code of kgml/error.h. */
int kgml_from_kg(int kg_code);

static inline uint32_t kgml_rd_be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}
static inline uint32_t kgml_rd_le32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint16_t kgml_rd_le16(const uint8_t *p) {
  return (uint16_t)(p[0] | (p[1] << 8));
}
static inline void kgml_wr_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}
static inline void kgml_wr_le16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static inline float kgml_u2f(uint32_t u) {
  union { uint32_t u; float f; } x;
  x.u = u;
  return x.f;
}
static inline uint32_t kgml_f2u(float f) {
  union { uint32_t u; float f; } x;
  x.f = f;
  return x.u;
}

/* kg_file_read / kg_file_write (kgmac/file_io.h) with KGML_E_* codes. The
 * writer replaces an existing regular file (host outputs are documented
 * as overwritten) but never a directory, FIFO, device or socket. */
int kgml_read_file(const char *path, uint8_t **buf, size_t *len, size_t max_len, char *detail);
int kgml_write_file(const char *path, const uint8_t *buf, size_t len, char *detail);

#endif
