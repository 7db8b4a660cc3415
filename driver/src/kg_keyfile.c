/* .kgk key files (kgmac/keyfile.h, docs/model-format.md "Key file"). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgm_internal.h"
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

static int read_urandom(uint8_t *out, size_t n, char *detail) {
  const int fd = open("/dev/urandom", O_RDONLY);
  if (fd < 0) return kgm_fail(detail, KG_E_IO, "cannot open /dev/urandom");
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, out + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      close(fd);
      return kgm_fail(detail, KG_E_IO, "cannot read /dev/urandom");
    }
    got += (size_t)r;
  }
  close(fd);
  return KG_OK;
}

int kg_keys_generate(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols, char *detail) {
  if (detail) detail[0] = '\0';
  if (!keys) return kgm_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (aes_len != 16 && aes_len != 24 && aes_len != 32)
    return kgm_fail(detail, KG_E_INVAL, "AES key length %u (16, 24 or 32)", aes_len);
  if (!geom_ok(rows, cols))
    return kgm_fail(detail, KG_E_INVAL, "geometry %ux%u (powers of two 1..64, rows*cols <= 1024)",
                    rows, cols);
  uint8_t rnd[32 + 128];
  const size_t sb = sign_bytes(rows, cols);
  int rc = read_urandom(rnd, aes_len + sb, detail);
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

int kg_keyfile_parse(const uint8_t *buf, size_t len, kg_keys *keys, uint32_t *rows, uint32_t *cols,
                     char *detail) {
  if (detail) detail[0] = '\0';
  if (!keys) return kgm_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (!buf && len) return kgm_fail(detail, KG_E_INVAL, "no buffer");
  if (len < KK_KEY)
    return kgm_fail(detail, KG_E_KEYFILE, "%zu bytes: shorter than the 16-byte key file header", len);
  if (memcmp(buf + KK_MAGIC, KGK_MAGIC, 4) != 0)
    return kgm_fail(detail, KG_E_KEYFILE, "not a key file (magic is not \"KGKY\")");
  const uint32_t version = kgm_rd16(buf + KK_VERSION);
  if (version != KGK_VERSION)
    return kgm_fail(detail, KG_E_KEYFILE, "key file version %u (this reader knows %u)", version,
                    KGK_VERSION);
  const uint32_t aes_len = kgm_rd16(buf + KK_AESLEN);
  const uint32_t r = kgm_rd16(buf + KK_ROWS), c = kgm_rd16(buf + KK_COLS);
  if (aes_len != 16 && aes_len != 24 && aes_len != 32)
    return kgm_fail(detail, KG_E_KEYFILE, "AES key length %u (16, 24 or 32)", aes_len);
  if (!geom_ok(r, c))
    return kgm_fail(detail, KG_E_KEYFILE, "sign key geometry %ux%u (powers of two 1..64, <= 1024 bits)",
                    r, c);
  if (kgm_rd32(buf + KK_RES) != 0)
    return kgm_fail(detail, KG_E_KEYFILE, "reserved key file field is not zero");
  const size_t sb = sign_bytes(r, c);
  const size_t want = KK_KEY + aes_len + sb + 4u;
  if (len != want)
    return kgm_fail(detail, KG_E_KEYFILE, "%zu bytes, a %u-bit AES + %ux%u sign key file has %zu",
                    len, aes_len * 8u, r, c, want);
  const uint32_t crc = kgm_rd32(buf + want - 4u), calc = kgm_crc32c(buf, want - 4u);
  if (crc != calc)
    return kgm_fail(detail, KG_E_KEYFILE, "key file CRC-32C %08x, the file says %08x (corrupt)", calc,
                    crc);
  const uint32_t bits = r * c;
  const uint8_t *sk = buf + KK_KEY + aes_len;
  if (bits % 8u && (sk[sb - 1] >> (bits % 8u)) != 0)
    return kgm_fail(detail, KG_E_KEYFILE, "sign key has bits set past bit %u", bits - 1u);
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
  if (!keys) return kgm_fail(detail, KG_E_INVAL, "no key structure");
  memset(keys, 0, sizeof *keys);
  if (!path) return kgm_fail(detail, KG_E_INVAL, "no path");
  const int fd = open(path, O_RDONLY | O_NOCTTY);
  if (fd < 0) {
    if (errno == ENOENT) return kgm_fail(detail, KG_E_KEYFILE, "%s: no such key file", path);
    return kgm_fail(detail, KG_E_IO, "cannot open key file %s", path);
  }
  struct stat st;
  if (fstat(fd, &st) != 0) {
    close(fd);
    return kgm_fail(detail, KG_E_IO, "cannot stat %s", path);
  }
  if (!S_ISREG(st.st_mode)) {
    close(fd);
    return kgm_fail(detail, KG_E_KEYFILE, "%s is not a regular file", path);
  }
  if (st.st_mode & (S_IRWXG | S_IRWXO)) {
    close(fd);
    return kgm_fail(detail, KG_E_KEYPERM, "%s has mode %04o: group or others may access it (chmod 600)",
                    path, (unsigned)(st.st_mode & 07777));
  }
  if (st.st_size < 0 || (uint64_t)st.st_size > KGK_MAX_SIZE) {
    close(fd);
    return kgm_fail(detail, KG_E_KEYFILE, "%s: %lld bytes, too large for a key file", path,
                    (long long)st.st_size);
  }
  uint8_t buf[KGK_MAX_SIZE + 1];
  size_t got = 0;
  for (;;) {
    const ssize_t r = read(fd, buf + got, sizeof buf - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      close(fd);
      wipe(buf, sizeof buf);
      return kgm_fail(detail, KG_E_IO, "cannot read %s", path);
    }
    if (r == 0 || (got += (size_t)r) == sizeof buf) break;
  }
  close(fd);
  const int rc = kg_keyfile_parse(buf, got, keys, rows, cols, detail);
  wipe(buf, sizeof buf);
  return rc;
}

static int write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    const ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return -1;
    p += w;
    n -= (size_t)w;
  }
  return 0;
}

int kg_keyfile_write(const char *path, const kg_keys *keys, uint32_t rows, uint32_t cols, int force,
                     char *detail) {
  if (detail) detail[0] = '\0';
  if (!path || !keys) return kgm_fail(detail, KG_E_INVAL, "NULL argument");
  if (keys->aes_len != 16 && keys->aes_len != 24 && keys->aes_len != 32)
    return kgm_fail(detail, KG_E_INVAL, "AES key length %u (16, 24 or 32)", keys->aes_len);
  if (!geom_ok(rows, cols) || keys->sign_bits != rows * cols)
    return kgm_fail(detail, KG_E_INVAL, "geometry %ux%u with a %u-bit sign key", rows, cols,
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

  /* Write a private temporary file beside the target, then link it into
   * place (fails if the target exists) or, with force, rename it over. */
  const size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) {
    wipe(buf, sizeof buf);
    return kgm_fail(detail, KG_E_NOMEM, "out of memory");
  }
  memcpy(tmp, path, plen);
  memcpy(tmp + plen, ".tmp.XXXXXX", 12);
  int rc = KG_OK;
  const int fd = mkstemp(tmp);
  if (fd < 0) {
    rc = kgm_fail(detail, KG_E_IO, "cannot create a temporary file beside %s", path);
  } else {
    const int bad = fchmod(fd, S_IRUSR | S_IWUSR) != 0 || write_all(fd, buf, len) != 0 ||
                    fsync(fd) != 0;
    if (close(fd) != 0 || bad) {
      rc = kgm_fail(detail, KG_E_IO, "cannot write %s", tmp);
    } else if (force) {
      if (rename(tmp, path) != 0) rc = kgm_fail(detail, KG_E_IO, "cannot rename %s to %s", tmp, path);
    } else if (link(tmp, path) != 0) {
      rc = errno == EEXIST ? kgm_fail(detail, KG_E_EXISTS, "%s exists (use --force to overwrite)", path)
                           : kgm_fail(detail, KG_E_IO, "cannot create %s", path);
    }
    unlink(tmp); /* after a rename this finds nothing */
  }
  free(tmp);
  wipe(buf, sizeof buf);
  return rc;
}
