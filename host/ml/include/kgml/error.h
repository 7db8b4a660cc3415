/*
 * kgml error codes. Every kgml function that can fail returns one of these
 * (0 on success, a negative code otherwise). kgml_strerror() gives a static
 * English message. Functions that take a `char *detail` argument also write
 * a more specific message there (at most KGML_DETAIL_LEN bytes, always
 * NUL-terminated); detail may be NULL. The message is written by kg_fail
 * (kgmac/status.h), the one helper the driver and host layers share; file
 * access goes through kgmac/file_io.h, whose KG_E_* codes map onto the
 * KGML_E_* below (NOENT, NOTREG, TRUNCATED, NOMEM; the rest KGML_E_IO).
 */
#ifndef KGML_ERROR_H
#define KGML_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KGML_DETAIL_LEN 256 /* = KG_DETAIL_LEN */

enum {
  KGML_OK           = 0,
  KGML_E_INVAL      = -1,   /* bad argument (NULL pointer, bad option) */
  KGML_E_NOMEM      = -2,   /* out of memory */
  KGML_E_IO         = -3,   /* cannot open, read or write a file */
  KGML_E_TRUNCATED  = -4,   /* file shorter than its header says */
  KGML_E_MAGIC      = -5,   /* wrong magic number */
  KGML_E_VERSION    = -6,   /* unsupported format version */
  KGML_E_CRC        = -7,   /* integrity check failed */
  KGML_E_HEADER     = -8,   /* bad header field (flags, reserved, counts) */
  KGML_E_TRAILING   = -9,   /* bytes after the end the header declares */
  KGML_E_LAYER_TYPE = -10,  /* unknown layer type */
  KGML_E_DIMS       = -11,  /* zero or absurd dimension */
  KGML_E_CHAIN      = -12,  /* layer input does not match previous output */
  KGML_E_CONV       = -13,  /* bad kernel, stride or padding */
  KGML_E_REQUANT    = -14,  /* mult/shift outside [0,2^31) x [1,62] */
  KGML_E_WEIGHT     = -15,  /* an int8 weight equal to -128 */
  KGML_E_LAYOUT     = -16,  /* section offsets or sizes inconsistent */
  KGML_E_IDX        = -17,  /* malformed IDX header or label */
  KGML_E_GZIP       = -18,  /* corrupt gzip stream */
  KGML_E_SCALE      = -19,  /* scale not representable as mult/2^shift */
  KGML_E_MISMATCH   = -20,  /* data does not fit the model or each other */
  KGML_E_NUMERIC    = -21,  /* non-finite value (NaN/Inf) */
  KGML_E_THREAD     = -22,  /* cannot start a worker thread */
  KGML_E_NOENT      = -23,  /* no such file, or its folder does not exist */
  KGML_E_NOTREG     = -24   /* not a regular file (directory, FIFO, device, socket) */
};

/* Static message for a KGML_* code. */
const char *kgml_strerror(int code);

#ifdef __cplusplus
}
#endif

#endif /* KGML_ERROR_H */
