/* kglock_tag: the AES-CMAC tag of a version-2 model (docs/spec.md 11.1). */
#include <stdlib.h>
#include <string.h>

#include "kg_auth.h"
#include "kglock_internal.h"

int kglock_tag(kgm_model *m, const kg_aes_key *mac, char *detail) {
  memset(m->tag, 0, sizeof m->tag);
  uint8_t *buf = NULL;
  size_t len = 0;
  const int rc = kgm_serialize(m, &buf, &len, detail);
  if (rc != KG_OK) return rc;
  /* header .. weight image: everything but the tag and the CRC. */
  const size_t auth_size = len - KGM_TAG_SIZE - 4u;
  kg_cmac(mac, buf, auth_size, m->tag);
  m->auth_size = (uint32_t)auth_size;
  free(buf);
  return KG_OK;
}
