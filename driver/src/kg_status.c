/* kg_strerror: one static message per libkgmac status code, and kg_fail
 * (kgmac/status.h). */
#include <stdarg.h>
#include <stdio.h>

#include "kgmac/status.h"

int kg_vfail(char *detail, int code, const char *fmt, va_list ap) {
  if (detail) vsnprintf(detail, KG_DETAIL_LEN, fmt, ap);
  return code;
}

int kg_fail(char *detail, int code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  kg_vfail(detail, code, fmt, ap);
  va_end(ap);
  return code;
}

const char *kg_strerror(int code) {
  switch (code) {
    case KG_OK: return "success";
    case KG_E_INVAL: return "invalid argument";
    case KG_E_NOMEM: return "out of memory";
    case KG_E_IO: return "input/output error";
    case KG_E_NOENT: return "no such file";
    case KG_E_NOTREG: return "not a regular file";
    case KG_E_TRUNCATED: return "model file is truncated";
    case KG_E_MAGIC: return "not a .kgm model file (bad magic)";
    case KG_E_VERSION: return "unsupported .kgm format version";
    case KG_E_FLAGS: return "model file has an unknown required flag";
    case KG_E_CRC: return "model file is corrupt (CRC-32C mismatch)";
    case KG_E_HEADER: return "model header field out of range";
    case KG_E_LAYER: return "invalid layer table entry";
    case KG_E_RANGE: return "offset or size outside the file or section";
    case KG_E_OVERLAP: return "sections or layer data overlap";
    case KG_E_TOO_BIG: return "dimension or size exceeds a limit";
    case KG_E_GEOMETRY: return "model was locked for another array geometry";
    case KG_E_DEVMEM: return "model does not fit the device memory";
    case KG_E_KEYFILE: return "key file missing or malformed";
    case KG_E_KEYPERM: return "key file is accessible by group or others (must be mode 0600)";
    case KG_E_EXISTS: return "output file exists (use --force to overwrite)";
    case KG_E_NOKEY: return "the model needs a key that is not provisioned";
    case KG_E_WRONG_KEY: return "wrong key (key check value mismatch)";
    case KG_E_LOCKED_OUT: return "key vault locked out after too many failed key checks";
    case KG_E_VAULT_LOCKED: return "key vault is locked";
    case KG_E_AUTH:
      return "model authentication failed: the file was modified, or it was locked for another "
             "device key";
    case KG_E_UNAUTH: return "unauthenticated model refused (the device requires authenticated models)";
    case KG_E_DEVICE: return "device error";
    case KG_E_TIMEOUT: return "device timeout (layer aborted)";
    case KG_E_BUS: return "device bus error (layer aborted)";
    case KG_E_HW: return "device rejected a descriptor";
    case KG_E_STATE: return "operation not valid in the current state";
    default: return "unknown error";
  }
}
