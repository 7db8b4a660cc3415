/* .kgk key files (kgmac/keyfile.h, docs/model-format.md "Key file"). */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgm_internal.h"
#include "kgmac/file_io.h"
#include "kgmac/keyfile.h"

enum { KK_MAGIC = 0, KK_VERSION = 4, KK_AESLEN = 6, KK_ROWS = 8, KK_COLS = 10, KK_RES = 12,
       KK_KEY = 16 };
#define KGK_MAX_SIZE (16u + 32u + 128u + 4u)

static void wipe(void *p, size_t n) {
  volatile uint8_t *v = (volatile uint8_t *)p;
  while (n--) *v++ = 0;
}

void kg_keys_wipe(kg_keys *keys) {
  if (keys) wipe(keys, sizeof *keys);
}

static int geom_ok(uint32_t rows, uint32_t cols) {
  return kgm_geom_side_ok(rows) && kgm_geom_side_ok(cols) && rows * cols <= 1024u;
}

static size_t sign_bytes(uint32_t rows, uint32_t cols) {
  return ((size_t)rows * cols + 7u) / 8u;
}

/* The demo/test generator: splitmix64 from seed. Not a secret: anyone who
 * knows the seed knows the key. */
static void seeded_bytes(uint64_t seed, uint8_t *out, size_t n) {
  uint64_t x = seed;
  for (size_t i = 0; i < n; i += 8) {
    x += 0x9E3779B97F4A7C15ull;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    for (size_t j = 0; j < 8 && i + j < n; j++) out[i + j] = (uint8_t)(z >> (8 * j));
  }
}

/* Draw keys from /dev/urandom (seeded == 0) or from seed. */
static int generate(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols, int seeded,
                    uint64_t seed, char *detail) {
  if (detail) detail[0] = '\0';
  if (!keys) return kg_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (aes_len != 16 && aes_len != 24 && aes_len != 32)
    return kg_fail(detail, KG_E_INVAL, "AES key length %u (16, 24 or 32)", aes_len);
  if (!geom_ok(rows, cols))
    return kg_fail(detail, KG_E_INVAL, "geometry %ux%u (powers of two 1..64, rows*cols <= 1024)",
                    rows, cols);
  uint8_t rnd[32 + 128];
  const size_t sb = sign_bytes(rows, cols);
  int rc = KG_OK;
  if (seeded)
    seeded_bytes(seed, rnd, aes_len + sb);
  else
    rc = kg_urandom(rnd, aes_len + sb, detail);
  if (rc == KG_OK) {
    memcpy(keys->aes_key, rnd, aes_len);
    memcpy(keys->sign_key, rnd + aes_len, sb);
    const uint32_t bits = rows * cols;
    if (bits % 8u) keys->sign_key[sb - 1] &= (uint8_t)((1u << (bits % 8u)) - 1u);
    keys->aes_len = aes_len;
    keys->sign_bits = bits;
    keys->policy = KG_KEY_POLICY_REFUSE;
    keys->threshold = 3;
  }
  wipe(rnd, sizeof rnd);
  return rc;
}

int kg_keys_generate(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols, char *detail) {
  return generate(keys, aes_len, rows, cols, 0, 0, detail);
}

int kg_keys_generate_seeded(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols,
                            uint64_t seed, char *detail) {
  return generate(keys, aes_len, rows, cols, 1, seed, detail);
}

int kg_keyfile_parse(const uint8_t *buf, size_t len, kg_keys *keys, uint32_t *rows, uint32_t *cols,
                     char *detail) {
  if (detail) detail[0] = '\0';
  if (!keys) return kg_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (!buf && len) return kg_fail(detail, KG_E_INVAL, "no buffer");
  if (len < KK_KEY)
    return kg_fail(detail, KG_E_KEYFILE, "%zu bytes: shorter than the 16-byte key file header", len);
  if (memcmp(buf + KK_MAGIC, KGK_MAGIC, 4) != 0)
    return kg_fail(detail, KG_E_KEYFILE, "not a key file (magic is not \"KGKY\")");
  const uint32_t version = kgm_rd16(buf + KK_VERSION);
  if (version != KGK_VERSION)
    return kg_fail(detail, KG_E_KEYFILE, "key file version %u (this reader knows %u)", version,
                    KGK_VERSION);
  const uint32_t aes_len = kgm_rd16(buf + KK_AESLEN);
  const uint32_t r = kgm_rd16(buf + KK_ROWS), c = kgm_rd16(buf + KK_COLS);
  if (aes_len != 16 && aes_len != 24 && aes_len != 32)
    return kg_fail(detail, KG_E_KEYFILE, "AES key length %u (16, 24 or 32)", aes_len);
  if (!geom_ok(r, c))
    return kg_fail(detail, KG_E_KEYFILE, "sign key geometry %ux%u (powers of two 1..64, <= 1024 bits)",
                    r, c);
  if (kgm_rd32(buf + KK_RES) != 0)
    return kg_fail(detail, KG_E_KEYFILE, "reserved key file field is not zero");
  const size_t sb = sign_bytes(r, c);
  const size_t want = KK_KEY + aes_len + sb + 4u;
  if (len != want)
    return kg_fail(detail, KG_E_KEYFILE, "%zu bytes, a %u-bit AES + %ux%u sign key file has %zu",
                    len, aes_len * 8u, r, c, want);
  const uint32_t crc = kgm_rd32(buf + want - 4u), calc = kgm_crc32c(buf, want - 4u);
  if (crc != calc)
    return kg_fail(detail, KG_E_KEYFILE, "key file CRC-32C %08x, the file says %08x (corrupt)", calc,
                    crc);
  const uint32_t bits = r * c;
  const uint8_t *sk = buf + KK_KEY + aes_len;
  if (bits % 8u && (sk[sb - 1] >> (bits % 8u)) != 0)
    return kg_fail(detail, KG_E_KEYFILE, "sign key has bits set past bit %u", bits - 1u);
  memcpy(keys->aes_key, buf + KK_KEY, aes_len);
  memcpy(keys->sign_key, sk, sb);
  keys->aes_len = aes_len;
  keys->sign_bits = bits;
  keys->policy = KG_KEY_POLICY_REFUSE;
  keys->threshold = 3;
  if (rows) *rows = r;
  if (cols) *cols = c;
  return KG_OK;
}

int kg_keyfile_read(const char *path, kg_keys *keys, uint32_t *rows, uint32_t *cols, char *detail) {
  if (detail) detail[0] = '\0';
  if (!keys) return kg_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (!path) return kg_fail(detail, KG_E_INVAL, "no path");
  int fd;
  uint64_t size;
  uint32_t mode;
  int rc = kg_file_open(path, &fd, &size, &mode, detail);
  if (rc != KG_OK) return rc;
  if (mode & (S_IRWXG | S_IRWXO)) {
    close(fd);
    return kg_fail(detail, KG_E_KEYPERM, "%s has mode %04o: group or others may access it (chmod 600)",
                    path, (unsigned)mode);
  }
  if (size > KGK_MAX_SIZE) {
    close(fd);
    return kg_fail(detail, KG_E_KEYFILE, "%s: %llu bytes, too large for a key file", path,
                    (unsigned long long)size);
  }
  uint8_t buf[KGK_MAX_SIZE];
  const size_t got = (size_t)size;
  rc = kg_file_read_fd(fd, path, buf, got, detail);
  close(fd);
  if (rc != KG_OK) {
    wipe(buf, sizeof buf);
    return rc == KG_E_TRUNCATED ? KG_E_KEYFILE : rc;
  }
  rc = kg_keyfile_parse(buf, got, keys, rows, cols, detail);
  wipe(buf, sizeof buf);
  return rc;
}

int kg_keyfile_write(const char *path, const kg_keys *keys, uint32_t rows, uint32_t cols, int force,
                     char *detail) {
  if (detail) detail[0] = '\0';
  if (!path || !keys) return kg_fail(detail, KG_E_INVAL, "NULL argument");
  if (keys->aes_len != 16 && keys->aes_len != 24 && keys->aes_len != 32)
    return kg_fail(detail, KG_E_INVAL, "AES key length %u (16, 24 or 32)", keys->aes_len);
  if (!geom_ok(rows, cols) || keys->sign_bits != rows * cols)
    return kg_fail(detail, KG_E_INVAL, "geometry %ux%u with a %u-bit sign key", rows, cols,
                    keys->sign_bits);
  uint8_t buf[KGK_MAX_SIZE];
  memset(buf, 0, sizeof buf);
  const size_t sb = sign_bytes(rows, cols);
  const size_t len = KK_KEY + keys->aes_len + sb + 4u;
  memcpy(buf + KK_MAGIC, KGK_MAGIC, 4);
  kgm_wr16(buf + KK_VERSION, KGK_VERSION);
  kgm_wr16(buf + KK_AESLEN, keys->aes_len);
  kgm_wr16(buf + KK_ROWS, rows);
  kgm_wr16(buf + KK_COLS, cols);
  memcpy(buf + KK_KEY, keys->aes_key, keys->aes_len);
  memcpy(buf + KK_KEY + keys->aes_len, keys->sign_key, sb);
  const uint32_t bits = rows * cols;
  if (bits % 8u) buf[KK_KEY + keys->aes_len + sb - 1] &= (uint8_t)((1u << (bits % 8u)) - 1u);
  kgm_wr32(buf + len - 4u, kgm_crc32c(buf, len - 4u));

  /* Mode 0600 from the first byte; never through a link, never over a
   * device, FIFO, socket or directory (kgmac/file_io.h). */
  const int rc = kg_file_write(path, buf, len, force, 0600u, detail);
  wipe(buf, sizeof buf);
  return rc;
}
