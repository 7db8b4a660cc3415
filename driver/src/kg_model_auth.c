/* kg_model_auth.c: the key check (KCV) and the authentication (VERIFY) of
 * a loaded model (docs/spec.md 10, 11.1; docs/driver.md "Keys and
 * authentication"). */
#include "kg_driver_internal.h"
#include "kgmac/kg_regs.h"

static unsigned fails(const kg_dev *dev) {
  return (unsigned)((dev->fw.key_status & KG_KEY_STATUS_FAILS_MASK) >> KG_KEY_STATUS_FAILS_SHIFT);
}

/* Record the outcome of a CHECK or VERIFY in the device's slot for it
 * (kcv_model / auth_model) and in the model. Returns 1 when the model may
 * run: the check passed, or the policy runs it anyway. */
static int record(kg_model *md, const kg_model **slot, int *passed, int ok) {
  *slot = md;
  *passed = ok;
  md->key_ok = ok;
  return ok || kg_dev_policy(md->dev) == KG_KEY_POLICY_RUN;
}

/* An outcome that leaves nothing checked. */
static void forget(kg_model *md, const kg_model **slot) {
  *slot = NULL;
  md->key_ok = 0;
}

int kg_model_key_check(kg_model *md) {
  kg_dev *dev = md->dev;
  const kgm_model *m = &md->m;
  if (m->aes_len == 0) {
    md->key_ok = 1;
    return KG_OK;
  }
  /* CHECK writes NONCE*, which ends any authentication. */
  dev->auth_model = NULL;
  dev->auth_passed = 0;
  const int rc = kg_fw_key_check(&dev->fw, m->nonce, m->kcv);
  switch (rc) {
    case KG_FW_OK:
      record(md, &dev->kcv_model, &dev->kcv_passed, 1);
      return KG_OK;
    case KG_FW_EKCV:
      if (record(md, &dev->kcv_model, &dev->kcv_passed, 0)) return KG_OK;
      return kg_dev_fail(dev, KG_E_WRONG_KEY,
                         "key check value mismatch: the vault's AES key is not the one the model "
                         "was locked with (%u failed checks)", fails(dev));
    case KG_FW_ELOCKEDOUT:
      forget(md, &dev->kcv_model);
      return kg_dev_fail(dev, KG_E_LOCKED_OUT,
                         "the key vault is locked out after too many failed key checks "
                         "(zeroize and provision again, or reset)");
    case KG_FW_ENOKEY:
      forget(md, &dev->kcv_model);
      if (m->crypt == KGM_CRYPT_NONE)
        return kg_dev_fail(dev, KG_E_NOKEY,
                           "the model's keys derive from the vault's AES key (AES-%u), but the "
                           "vault holds none", 8u * m->aes_len);
      return kg_dev_fail(dev, KG_E_NOKEY,
                         "the model is encrypted (%s, AES-%u) but the vault holds no AES key",
                         kgm_crypt_name(m->crypt), 8u * m->aes_len);
    default:
      forget(md, &dev->kcv_model);
      return kg_dev_fw_fail(dev, rc, "key check");
  }
}

int kg_model_verify(kg_model *md) {
  kg_dev *dev = md->dev;
  const kgm_model *m = &md->m;
  if (!md->key_ok) {
    /* The key check failed under RUN: the tag cannot match either, and the
     * layers run with the keys withheld. */
    record(md, &dev->auth_model, &dev->auth_passed, 0);
    return KG_OK;
  }
  /* VERIFY writes NONCE*, which clears KCV_OK. */
  dev->kcv_model = NULL;
  dev->kcv_passed = 0;
  const int rc =
      kg_fw_verify(&dev->fw, (uint32_t)md->base, (uint32_t)md->image_len, m->nonce, m->tag);
  switch (rc) {
    case KG_FW_OK:
      record(md, &dev->auth_model, &dev->auth_passed, 1);
      return KG_OK;
    case KG_FW_EAUTH:
      if (record(md, &dev->auth_model, &dev->auth_passed, 0)) return KG_OK;
      return kg_dev_fail(dev, KG_E_AUTH,
                         "the device's AES-CMAC of the %llu-byte model image does not match the "
                         "file's tag (failed checks: %u%s)",
                         (unsigned long long)md->image_len, fails(dev),
                         (dev->fw.key_status & KG_KEY_STATUS_LOCKED_OUT_MASK)
                             ? "; the vault is now locked out"
                             : "");
    case KG_FW_ELOCKEDOUT:
      forget(md, &dev->auth_model);
      return kg_dev_fail(dev, KG_E_LOCKED_OUT,
                         "the key vault is locked out after too many failed checks "
                         "(zeroize and provision again, or reset)");
    case KG_FW_ENOKEY:
      forget(md, &dev->auth_model);
      return kg_dev_fail(dev, KG_E_NOKEY,
                         "the model is authenticated with a key derived from the vault's AES "
                         "key, but the vault holds none");
    default:
      forget(md, &dev->auth_model);
      return kg_dev_fw_fail(dev, rc, "model authentication (VERIFY)");
  }
}

int kg_model_authenticate(kg_model *md) {
  const int rc = kg_model_key_check(md);
  if (rc != KG_OK) return rc;
  if (!(md->m.flags & KGM_FLAG_AUTH)) return KG_OK;
  return kg_model_verify(md);
}
