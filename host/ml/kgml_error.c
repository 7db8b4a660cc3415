/* kgml error messages, and the KG_E_* -> KGML_E_* map of file errors. */
#include "kgml/error.h"
#include "kgml_internal.h"
#include "kgmac/status.h"

int kgml_from_kg(int kg_code) {
  switch (kg_code) {
    case KG_OK: return KGML_OK;
    case KG_E_INVAL: return KGML_E_INVAL;
    case KG_E_NOMEM: return KGML_E_NOMEM;
    case KG_E_NOENT: return KGML_E_NOENT;
    case KG_E_NOTREG: return KGML_E_NOTREG;
    case KG_E_TRUNCATED: return KGML_E_TRUNCATED;
    case KG_E_TOO_BIG: return KGML_E_DIMS;
    default: return KGML_E_IO;
  }
}

const char *kgml_strerror(int code) {
  switch (code) {
    case KGML_OK: return "success";
    case KGML_E_INVAL: return "invalid argument";
    case KGML_E_NOMEM: return "out of memory";
    case KGML_E_IO: return "I/O error";
    case KGML_E_TRUNCATED: return "file is truncated";
    case KGML_E_MAGIC: return "bad magic number (not a file of this type)";
    case KGML_E_VERSION: return "unsupported format version";
    case KGML_E_CRC: return "integrity check (CRC-32) failed";
    case KGML_E_HEADER: return "invalid header field";
    case KGML_E_TRAILING: return "unexpected bytes after the end of the file";
    case KGML_E_LAYER_TYPE: return "unknown layer type";
    case KGML_E_DIMS: return "zero or out-of-range dimension";
    case KGML_E_CHAIN: return "layer input does not match the previous layer's output";
    case KGML_E_CONV: return "invalid convolution kernel, stride or padding";
    case KGML_E_REQUANT: return "requantization parameter out of range";
    case KGML_E_WEIGHT: return "int8 weight -128 (weights must lie in [-127, 127])";
    case KGML_E_LAYOUT: return "inconsistent section offsets or sizes";
    case KGML_E_IDX: return "malformed IDX file";
    case KGML_E_GZIP: return "corrupt gzip stream";
    case KGML_E_SCALE: return "scale not representable by the requantization rule";
    case KGML_E_MISMATCH: return "data and model do not match";
    case KGML_E_NUMERIC: return "non-finite value (NaN or infinity)";
    case KGML_E_THREAD: return "cannot start a worker thread";
    case KGML_E_NOENT: return "no such file";
    case KGML_E_NOTREG: return "not a regular file";
    default: return "unknown kgml error code";
  }
}
