/* kg_keys.c: provision and zeroize the key vault through the firmware. */
#include <string.h>

#include "kg_driver_internal.h"
#include "kgmac/kg_regs.h"

int kg_keys_provision(kg_dev *dev, const kg_keys *keys, int lock) {
  if (!dev) return KG_E_INVAL;
  dev->err[0] = '\0';
  if (!keys) return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: keys is NULL");
  if (keys->aes_len != 0 && keys->aes_len != 16 && keys->aes_len != 24 && keys->aes_len != 32)
    return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: aes_len %u (must be 0, 16, 24 or 32)",
                       (unsigned)keys->aes_len);
  const uint32_t rc_bits = dev->fw.info.rows * dev->fw.info.cols;
  if (keys->sign_bits != 0 && keys->sign_bits != rc_bits)
    return kg_dev_fail(dev, KG_E_INVAL,
                       "kg_keys_provision: sign_bits %u, but the device's array is %ux%u (%u bits)",
                       (unsigned)keys->sign_bits, (unsigned)dev->fw.info.rows,
                       (unsigned)dev->fw.info.cols, (unsigned)rc_bits);
  if (keys->sign_bits > 8u * sizeof keys->sign_key)
    return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: sign key of %u bits is too long",
                       (unsigned)keys->sign_bits);
  if (keys->policy > KG_KEY_POLICY_LOCKOUT)
    return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: unknown policy %u",
                       (unsigned)keys->policy);
  if (keys->threshold > 255u)
    return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: threshold %u (must be 0..255)",
                       (unsigned)keys->threshold);
  if (keys->legacy > 1u)
    return kg_dev_fail(dev, KG_E_INVAL, "kg_keys_provision: legacy %u (must be 0 or 1)",
                       (unsigned)keys->legacy);
  /* A locked vault takes no writes: say so without writing. */
  const uint32_t ks = dev->hal.reg_read32(dev->hal.ctx, KG_REG_KEY_STATUS);
  if (ks & KG_KEY_STATUS_LOCKED_MASK)
    return kg_dev_fail(dev, KG_E_VAULT_LOCKED,
                       "kg_keys_provision: the key vault is locked until the device is reset");
  /* Whatever was checked before no longer holds. */
  dev->kcv_model = NULL;
  dev->kcv_passed = 0;
  dev->auth_model = NULL;
  dev->auth_passed = 0;
  int rc = kg_fw_load_keys(&dev->fw, keys->aes_len ? keys->aes_key : NULL, keys->aes_len,
                           keys->sign_bits ? keys->sign_key : NULL, keys->sign_bits,
                           keys->policy | (keys->legacy ? KG_FW_POLICY_LEGACY : 0u),
                           keys->threshold);
  if (rc != KG_FW_OK) return kg_dev_fw_fail(dev, rc, "kg_keys_provision: loading the keys");
  if (lock) {
    rc = kg_fw_lock(&dev->fw);
    if (rc != KG_FW_OK) return kg_dev_fw_fail(dev, rc, "kg_keys_provision: locking the vault");
  }
  return KG_OK;
}

int kg_keys_zeroize(kg_dev *dev) {
  if (!dev) return KG_E_INVAL;
  dev->err[0] = '\0';
  dev->kcv_model = NULL;
  dev->kcv_passed = 0;
  dev->auth_model = NULL;
  dev->auth_passed = 0;
  const int rc = kg_fw_zeroize(&dev->fw);
  if (rc != KG_FW_OK) return kg_dev_fw_fail(dev, rc, "kg_keys_zeroize");
  return KG_OK;
}
