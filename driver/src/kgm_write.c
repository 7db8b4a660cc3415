/* .kgm writer (docs/model-format.md): canonical layout, no gaps. */
#include <stdlib.h>
#include <string.h>

#include "kgm_internal.h"
#include "kgmac/file_io.h"

int kgm_serialize(const kgm_model *m, uint8_t **buf, size_t *len, char *detail) {
  if (detail) detail[0] = '\0';
  if (!m || !buf || !len) return kg_fail(detail, KG_E_INVAL, "NULL argument");
  *buf = NULL;
  *len = 0;
  if (!m->params || !m->wimg) return kg_fail(detail, KG_E_INVAL, "model has no parameters or weights");
  int rc = kgm_validate(m, detail);
  if (rc != KG_OK) return rc;
  /* kgm_validate bounded every size, so the layout fits in 32 bits. */
  const size_t lt_off = KGM_HEADER_SIZE;
  const size_t p_off = lt_off + (size_t)m->n_layers * KGM_LAYER_SIZE;
  const size_t w_off = p_off + m->params_len;
  const int auth = (m->flags & KGM_FLAG_AUTH) != 0;
  const size_t auth_size = w_off + m->wimg_len;
  const size_t total = auth_size + (auth ? KGM_TAG_SIZE : 0u) + 4u;
  uint8_t *b = calloc(total, 1);
  if (!b) return kg_fail(detail, KG_E_NOMEM, "out of memory for %zu bytes", total);

  memcpy(b + KH_MAGIC, KGM_MAGIC, 4);
  kgm_wr16(b + KH_VERSION, m->version);
  kgm_wr16(b + KH_HDRSIZE, KGM_HEADER_SIZE);
  kgm_wr32(b + KH_FLAGS, m->flags);
  kgm_wr32(b + KH_FILESIZE, (uint32_t)total);
  kgm_wr16(b + KH_ROWS, m->rows);
  kgm_wr16(b + KH_COLS, m->cols);
  b[KH_CRYPT] = (uint8_t)m->crypt;
  b[KH_AESLEN] = (uint8_t)m->aes_len;
  memcpy(b + KH_NONCE, m->nonce, sizeof m->nonce);
  memcpy(b + KH_KCV, m->kcv, sizeof m->kcv);
  kgm_wr32(b + KH_IN_H, m->in_h);
  kgm_wr32(b + KH_IN_W, m->in_w);
  kgm_wr32(b + KH_IN_C, m->in_c);
  kgm_wrf32(b + KH_IN_SCALE, m->in_scale);
  kgm_wr32(b + KH_IN_ZERO, (uint32_t)m->in_zero);
  kgm_wr32(b + KH_NLAYERS, m->n_layers);
  kgm_wr32(b + KH_LT_OFF, (uint32_t)lt_off);
  kgm_wr32(b + KH_P_OFF, (uint32_t)p_off);
  kgm_wr32(b + KH_P_LEN, (uint32_t)m->params_len);
  kgm_wr32(b + KH_W_OFF, (uint32_t)w_off);
  kgm_wr32(b + KH_W_LEN, (uint32_t)m->wimg_len);
  if (auth) kgm_wr32(b + KH_AUTH_SIZE, (uint32_t)auth_size);

  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgm_layer *L = &m->layers[l];
    uint8_t *e = b + lt_off + (size_t)l * KGM_LAYER_SIZE;
    e[KL_TYPE] = (uint8_t)L->type;
    e[KL_RELU] = (uint8_t)L->relu;
    e[KL_KH] = (uint8_t)L->kh;
    e[KL_KW] = (uint8_t)L->kw;
    e[KL_STRIDE] = (uint8_t)L->stride;
    e[KL_PAD] = (uint8_t)L->pad;
    kgm_wr32(e + KL_IN_H, L->in_h);
    kgm_wr32(e + KL_IN_W, L->in_w);
    kgm_wr32(e + KL_IN_C, L->in_c);
    kgm_wr32(e + KL_OUT_H, L->out_h);
    kgm_wr32(e + KL_OUT_W, L->out_w);
    kgm_wr32(e + KL_OUT_C, L->out_c);
    kgm_wr32(e + KL_K, L->K);
    kgm_wr32(e + KL_N, L->N);
    kgm_wr32(e + KL_W_OFF, L->w_off);
    kgm_wr32(e + KL_W_LEN, L->w_len);
    kgm_wr32(e + KL_P_OFF, L->p_off);
    kgm_wrf32(e + KL_OUT_SCALE, L->out_scale);
  }
  memcpy(b + p_off, m->params, m->params_len);
  memcpy(b + w_off, m->wimg, m->wimg_len);
  if (auth) memcpy(b + auth_size, m->tag, KGM_TAG_SIZE);
  kgm_wr32(b + total - 4u, kgm_crc32c(b, total - 4u));
  *buf = b;
  *len = total;
  return KG_OK;
}

int kgm_save_file(const kgm_model *m, const char *path, int force, char *detail) {
  if (detail) detail[0] = '\0';
  if (!path) return kg_fail(detail, KG_E_INVAL, "no path");
  uint8_t *buf;
  size_t len;
  int rc = kgm_serialize(m, &buf, &len, detail);
  if (rc != KG_OK) return rc;
  rc = kg_file_write(path, buf, len, force, 0644u, detail);
  free(buf);
  return rc;
}
