/* kgmac attack: helpers shared by the attack front-ends. */
#include <stdlib.h>
#include <string.h>

#include "cli_kg.h"
#include "cmd_attack.h"

static void bar_cb(void *user, const char *phase, uint64_t done, uint64_t total) {
  cli_attack_bar *b = user;
  kg_progress_update(&b->bar, phase, done, total, "");
}

void cli_attack_bar_init(cli_attack_bar *b) {
  kg_progress_init(&b->bar);
  b->prog.fn = bar_cb;
  b->prog.user = b;
}

void cli_attack_bar_done(cli_attack_bar *b) { kg_progress_clear(&b->bar); }

static int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

int cli_attack_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len) {
  const size_t n = strlen(s);
  if (n == 0 || n % 2 || n / 2 > max) return -1;
  for (size_t i = 0; i < n / 2; i++) {
    const int hi = nibble(s[2 * i]), lo = nibble(s[2 * i + 1]);
    if (hi < 0 || lo < 0) return -1;
    out[i] = (uint8_t)(hi << 4 | lo);
  }
  *len = n / 2;
  return 0;
}

int8_t *cli_attack_inputs(const kgm_model *m, const kgml_dataset *ds, uint32_t count) {
  const uint32_t isz = kga_model_input_size(m);
  if (isz != ds->rows * ds->cols) return NULL;
  int8_t *in = malloc((size_t)count * isz);
  if (!in) return NULL;
  kg_cli_quantize_pixels(m->in_scale, m->in_zero, ds->pix, (size_t)count * isz, in);
  return in;
}

int cli_attack_accuracy(const kgm_model *m, const uint8_t *key_s, const kgml_dataset *ds,
                        uint32_t count, uint8_t *preds, double *acc) {
  const uint32_t osz = kga_model_output_size(m);
  int8_t *in = cli_attack_inputs(m, ds, count);
  int8_t *out = malloc((size_t)count * osz);
  int rc = in && out ? KG_OK : KG_E_NOMEM;
  if (!in && out) rc = KG_E_INVAL; /* image size does not match the model */
  if (rc == KG_OK) rc = kga_model_forward(m, key_s, in, count, out, NULL);
  uint32_t right = 0;
  for (uint32_t i = 0; rc == KG_OK && i < count; i++) {
    uint32_t best = 0;
    for (uint32_t c = 1; c < osz; c++)
      if (out[(size_t)i * osz + c] > out[(size_t)i * osz + best]) best = c;
    right += best == ds->labels[i];
    if (preds) preds[i] = (uint8_t)best;
  }
  *acc = count ? (double)right / count : 0.0;
  free(in);
  free(out);
  return rc;
}

int cli_attack_victim_keys(const kg_keys *keys, uint32_t version, const uint8_t nonce[12],
                           uint32_t bits, kg_model_keys *mk) {
  memset(mk, 0, sizeof *mk);
  mk->smask_len = (bits + 7u) / 8u;
  if (keys->aes_len == 0) return version >= 2 ? KG_E_INVAL : KG_OK;
  kg_aes_key dk;
  if (kg_aes_key_init(&dk, keys->aes_key, keys->aes_len) != KG_AES_OK) return KG_E_INVAL;
  int rc = KG_OK;
  if (version >= 2)
    rc = kg_model_keys_derive(&dk, nonce, bits, mk) == KG_AES_OK ? KG_OK : KG_E_INVAL;
  else
    mk->enc = dk;
  kg_aes_key_wipe(&dk);
  return rc;
}
