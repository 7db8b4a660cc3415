/* libFuzzer target over the .kgm and .kgk parsers (kgmac/kgm.h,
 * kgmac/keyfile.h). Every input is tried four ways: as a .kgm file as
 * given and with its trailing CRC-32C recomputed (so that mutations reach
 * the structural checks behind the CRC), and as a key file, both ways. A file
 * that parses must validate, serialize and parse back to the same bytes;
 * a file that fails must leave the model zeroed and a terminated detail.
 * Any violation aborts (a crash for libFuzzer). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_detail(const char *d) {
  if (memchr(d, '\0', KG_DETAIL_LEN) == NULL) abort();
}

static void try_kgm(const uint8_t *data, size_t size) {
  kgm_model m;
  char d[KG_DETAIL_LEN];
  memset(d, 'x', sizeof d);
  d[sizeof d - 1] = '\0';
  const int rc = kgm_parse(&m, data, size, d);
  check_detail(d);
  if (kg_strerror(rc) == NULL) abort();
  if (rc != KG_OK) {
    if (m.layers || m.params || m.wimg || m.n_layers || m.params_len || m.wimg_len) abort();
    return;
  }
  if (kgm_validate(&m, d) != KG_OK) abort();
  uint8_t *b1 = NULL, *b2 = NULL;
  size_t n1 = 0, n2 = 0;
  if (kgm_serialize(&m, &b1, &n1, d) != KG_OK) abort();
  kgm_model p;
  if (kgm_parse(&p, b1, n1, d) != KG_OK) abort();
  if (kgm_serialize(&p, &b2, &n2, d) != KG_OK) abort();
  if (n1 != n2 || memcmp(b1, b2, n1) != 0) abort();
  /* A canonical file (no gaps) is reproduced byte for byte. */
  if (n1 == size && memcmp(b1, data, size) != 0) abort();
  free(b1);
  free(b2);
  kgm_model_free(&p);
  kgm_model_free(&m);
}

static void try_keyfile(const uint8_t *data, size_t size) {
  kg_keys k;
  uint32_t rows = 0, cols = 0;
  char d[KG_DETAIL_LEN];
  const int rc = kg_keyfile_parse(data, size, &k, &rows, &cols, d);
  check_detail(d);
  if (rc == KG_OK && (k.sign_bits != rows * cols || k.aes_len < 16 || k.aes_len > 32)) abort();
  if (rc != KG_OK && k.aes_len != 0) abort();
  kg_keys_wipe(&k);
}

/* A heap copy of exactly `size` bytes whose last 4 bytes are the CRC-32C
 * of the others (NULL if too small or no memory); the caller frees it. */
static uint8_t *with_crc(const uint8_t *data, size_t size) {
  if (size < 8u || size > (1u << 20)) return NULL;
  uint8_t *c = malloc(size);
  if (!c) return NULL;
  memcpy(c, data, size);
  const uint32_t crc = kgm_crc32c(c, size - 4u);
  for (unsigned i = 0; i < 4; i++) c[size - 4 + i] = (uint8_t)(crc >> (8 * i));
  return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  try_kgm(data, size);
  try_keyfile(data, size);
  uint8_t *c = with_crc(data, size);
  if (c) {
    if (size >= KGM_HEADER_SIZE + 4u) try_kgm(c, size);
    try_keyfile(c, size);
    free(c);
  }
  return 0;
}
