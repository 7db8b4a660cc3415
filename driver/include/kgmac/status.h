/*
 * status.h: libkgmac status codes. Every libkgmac function that can fail
 * returns KG_OK (0) or one of these negative codes; kg_strerror() gives a
 * static, never-NULL message for each (and for unknown values).
 * Values are stable: append, never renumber.
 */
#ifndef KGMAC_STATUS_H
#define KGMAC_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

#define KG_DETAIL_LEN 256u /* size of the `detail` buffers the API fills */

enum {
  KG_OK = 0,
  /* Arguments and environment */
  KG_E_INVAL = -1,       /* bad argument (NULL, size, unknown back-end or option) */
  KG_E_NOMEM = -2,       /* allocation failed */
  KG_E_IO = -3,          /* a file could not be opened, read or written */
  KG_E_NOENT = -4,       /* no such file, or its folder does not exist */
  KG_E_NOTREG = -5,      /* not a regular file (directory, FIFO, device, socket) */
  /* Model file (.kgm) */
  KG_E_TRUNCATED = -10,  /* file shorter than its header or its sections say */
  KG_E_MAGIC = -11,      /* not a .kgm file (magic) */
  KG_E_VERSION = -12,    /* unsupported format version */
  KG_E_FLAGS = -13,      /* unknown required flag */
  KG_E_CRC = -14,        /* CRC-32C mismatch: the file is corrupt */
  KG_E_HEADER = -15,     /* header field out of range (geometry, modes, sizes, input) */
  KG_E_LAYER = -16,      /* layer table entry invalid (type, dims, chain, conv shape) */
  KG_E_RANGE = -17,      /* a section or layer offset/size lies outside the file or section */
  KG_E_OVERLAP = -18,    /* two sections or two layers' data overlap */
  KG_E_TOO_BIG = -19,    /* a dimension or size exceeds a format or device limit */
  KG_E_GEOMETRY = -20,   /* model locked for another array geometry than the device's */
  KG_E_DEVMEM = -21,     /* model and buffers do not fit the device memory */
  /* Keys */
  KG_E_KEYFILE = -30,    /* key file missing, malformed or of the wrong size */
  KG_E_KEYPERM = -31,    /* key file readable or writable by group/others (must be 0600) */
  KG_E_EXISTS = -32,     /* output exists (use --force) */
  KG_E_NOKEY = -33,      /* the model needs a key that is not provisioned */
  KG_E_WRONG_KEY = -34,  /* key check value mismatch; refused by policy */
  KG_E_LOCKED_OUT = -35, /* vault locked out after too many failures (zeroize/reset) */
  KG_E_VAULT_LOCKED = -36, /* the vault is locked: keys cannot be written */
  KG_E_AUTH = -37,       /* model authentication (VERIFY) failed: modified, or locked for another
                            device key; refused by policy */
  KG_E_UNAUTH = -38,     /* unauthenticated model (format version 1, or a layer not bound to the
                            authenticated model) and the device requires authentication */
  /* Device */
  KG_E_DEVICE = -40,     /* back-end could not be created, or answered unexpectedly */
  KG_E_TIMEOUT = -41,    /* no interrupt within the time limit (layer aborted) */
  KG_E_BUS = -42,        /* DMA bus error; layer aborted */
  KG_E_HW = -43,         /* the hardware rejected a descriptor (driver bug) */
  KG_E_STATE = -44       /* call not valid now (e.g. model of another device) */
};

const char *kg_strerror(int code);

/* The one "code + one-line message" helper of the driver and host layers:
 * format the message into detail (KG_DETAIL_LEN bytes, always
 * NUL-terminated; nothing when detail is NULL) and return code, so that a
 * failing path reads `return kg_fail(detail, KG_E_IO, "cannot read %s", p);`.
 * Works for any code space (KG_* here, KGML_* in host/ml). */
int kg_fail(char *detail, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* The same with a va_list (for wrappers that add their own sink). */
int kg_vfail(char *detail, int code, const char *fmt, va_list ap);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_STATUS_H */
