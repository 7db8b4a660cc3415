/* kg_fw_status.c: status strings and the STATUS.ERR mapping. */
#include "kg_fw_internal.h"

int kg_fw_map_hw_err(uint32_t hw_err) {
  switch (hw_err) {
    case KG_ERR_OK: return KG_FW_OK;
    case KG_ERR_BAD_MAGIC: return KG_FW_EDESC_MAGIC;
    case KG_ERR_BAD_OP: return KG_FW_EDESC_OP;
    case KG_ERR_ZERO_DIM: return KG_FW_EDESC_ZERO;
    case KG_ERR_MISALIGNED: return KG_FW_EDESC_ALIGN;
    case KG_ERR_TOO_BIG: return KG_FW_EDESC_BIG;
    case KG_ERR_BAD_CRYPT: return KG_FW_EDESC_CRYPT;
    case KG_ERR_RESERVED: return KG_FW_EDESC_RSVD;
    case KG_ERR_NO_KEY: return KG_FW_ENOKEY;
    case KG_ERR_WRONG_KEY: return KG_FW_EWRONGKEY;
    case KG_ERR_LOCKED_OUT: return KG_FW_ELOCKEDOUT;
    case KG_ERR_BUS: return KG_FW_EBUS;
    case KG_ERR_ABORTED: return KG_FW_EABORTED;
    case KG_ERR_KCV_MISMATCH: return KG_FW_EKCV;
    case KG_ERR_AUTH_FAIL: return KG_FW_EAUTH;
    case KG_ERR_NOT_AUTH: return KG_FW_ENOTAUTH;
    default: return KG_FW_EHW;
  }
}

const char *kg_fw_strstatus(int status) {
  static const char *const msg[KG_FW_STATUS_COUNT] = {
      "ok",
      "invalid argument",
      "no kgmac device (bad ID register)",
      "unsupported register-map version",
      "device reports an unusable geometry",
      "firmware context not initialised",
      "device busy",
      "timeout waiting for the interrupt (engine reset)",
      "key check value mismatch (wrong key)",
      "key vault locked out after too many failures",
      "no key loaded",
      "layer refused: key wrong or not verified",
      "key vault is locked",
      "illegal descriptor: bad magic",
      "illegal descriptor: unknown layer type",
      "illegal descriptor: zero dimension",
      "illegal descriptor: misaligned address or stride",
      "illegal descriptor: dimension too big",
      "illegal descriptor: unknown decrypt mode",
      "illegal descriptor: reserved field not zero",
      "bus error on the DMA port",
      "operation aborted",
      "unexpected hardware response",
      "key vault did not lock",
      "model authentication failed (tag mismatch)",
      "layer refused: not part of the authenticated model",
  };
  if (status > 0 || status <= -KG_FW_STATUS_COUNT) return "unknown status";
  return msg[-status];
}
