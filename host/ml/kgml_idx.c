/* IDX loader on zlib (gzip or plain files). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "kgmac/file_io.h"

#include "kgml/idx.h"
#include "kgml_internal.h"

#define KGML_IDX_MAX_FILE ((size_t)1 << 30) /* a gzipped file, compressed */

/* Inflate the gzip file in[0..in_len) (one or more members) into a new
 * *out, stopping once max_out bytes are out (*out_len = max_out, the rest
 * of the stream unread). Returns KGML_OK, KGML_E_TRUNCATED (the stream
 * stops early, including inside the trailer), KGML_E_GZIP (corrupt data,
 * failed check, garbage after the stream) or KGML_E_NOMEM. The buffer
 * grows with what the stream really holds, never to max_out up front. */
static int gunzip(const uint8_t *in, size_t in_len, size_t max_out, uint8_t **out,
                  size_t *out_len, char *detail, const char *path) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return kg_fail(detail, KGML_E_NOMEM, "%s: cannot start zlib", path);
  size_t cap = max_out < 65536 ? max_out + 1 : 65536, n = 0;
  uint8_t *buf = malloc(cap);
  int rc = KGML_OK;
  if (!buf) {
    rc = kg_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
    goto out;
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
  while (n < max_out) {
    if (n == cap) {
      const size_t ncap = cap * 2 > max_out ? max_out : cap * 2;
      uint8_t *nb = realloc(buf, ncap);
      if (!nb) {
        rc = kg_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
        goto out;
      }
      buf = nb;
      cap = ncap;
    }
    const size_t room = (cap < max_out ? cap : max_out) - n;
    z.next_out = buf + n;
    z.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
    const size_t before = z.avail_out;
    const int zr = inflate(&z, Z_NO_FLUSH);
    n += before - z.avail_out;
    if (zr == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        inflateReset(&z); /* another gzip member follows */
        continue;
      }
      rc = kg_fail(detail, KGML_E_GZIP, "%s: %u bytes of garbage after the gzip data", path,
                   z.avail_in);
      goto out;
    }
    if (zr == Z_OK) continue;
    if (zr == Z_BUF_ERROR && z.avail_in == 0) {
      rc = kg_fail(detail, KGML_E_TRUNCATED, "%s: gzip data ends early", path);
      goto out;
    }
    if (zr == Z_BUF_ERROR) continue; /* needs more output space */
    rc = kg_fail(detail, zr == Z_MEM_ERROR ? KGML_E_NOMEM : KGML_E_GZIP, "%s: %s", path,
                 z.msg ? z.msg : "corrupt gzip data");
    goto out;
  }
  *out = buf;
  *out_len = n;
  buf = NULL;
out:
  free(buf);
  inflateEnd(&z);
  return rc;
}

/* Check the first avail bytes of an IDX file (all of the header when
 * avail >= 4 + 4 * ndims); fill dims and the data size *total. */
static int check_header(const uint8_t *b, size_t avail, uint32_t ndims, uint32_t *dims,
                        uint64_t *total, const char *path, char *detail) {
  if (avail < 4) return kg_fail(detail, KGML_E_TRUNCATED, "%s: %zu bytes, no IDX header", path, avail);
  if (b[0] != 0 || b[1] != 0)
    return kg_fail(detail, KGML_E_IDX, "%s: bad IDX magic %02x %02x", path, b[0], b[1]);
  if (b[2] != 0x08)
    return kg_fail(detail, KGML_E_IDX, "%s: IDX element type 0x%02x, expected 0x08 (ubyte)",
                   path, b[2]);
  if (b[3] != ndims)
    return kg_fail(detail, KGML_E_IDX, "%s: IDX has %u dimensions, expected %u", path, b[3],
                   ndims);
  if (avail < 4 + 4 * (size_t)ndims)
    return kg_fail(detail, KGML_E_TRUNCATED, "%s: IDX header cut short", path);
  *total = 1;
  for (uint32_t i = 0; i < ndims; i++) {
    dims[i] = kgml_rd_be32(b + 4 + 4 * i);
    const uint32_t lim = i == 0 ? KGML_IDX_MAX_COUNT : KGML_IDX_MAX_SIDE;
    if (dims[i] == 0 || dims[i] > lim)
      return kg_fail(detail, KGML_E_IDX, "%s: IDX dimension %u is %u (allowed 1..%u)", path, i,
                     dims[i], lim);
    *total *= dims[i];
  }
  if (*total > KGML_IDX_MAX_BYTES)
    return kg_fail(detail, KGML_E_IDX, "%s: the header declares %llu data bytes (limit %llu)",
                   path, (unsigned long long)*total, (unsigned long long)KGML_IDX_MAX_BYTES);
  return KGML_OK;
}

/* The data bytes to read: every item, or the first max_items. */
static size_t wanted(const uint32_t *dims, uint64_t total, uint32_t max_items) {
  if (max_items == 0 || max_items >= dims[0]) return (size_t)total;
  return (size_t)(total / dims[0] * max_items);
}

/* A plain file: header from fd, sizes checked against the file size
 * before anything is allocated, then only the wanted bytes. */
static int read_plain(int fd, uint64_t size, const char *path, uint32_t ndims, uint32_t max_items,
                      uint32_t *dims, uint8_t **data, char *detail) {
  uint8_t h[4 + 4 * KGML_IDX_MAX_DIMS];
  const size_t hdr = 4 + 4 * (size_t)ndims;
  const size_t avail = size < hdr ? (size_t)size : hdr;
  int rc = kgml_from_kg(kg_file_read_fd(fd, path, h, avail, detail));
  if (rc != KGML_OK) return rc;
  uint64_t total;
  if ((rc = check_header(h, avail, ndims, dims, &total, path, detail)) != KGML_OK) return rc;
  if (size - hdr < total)
    return kg_fail(detail, KGML_E_TRUNCATED, "%s: %llu data bytes, the header declares %llu",
                   path, (unsigned long long)(size - hdr), (unsigned long long)total);
  if (size - hdr > total)
    return kg_fail(detail, KGML_E_TRAILING, "%s: data continues after %llu declared bytes",
                   path, (unsigned long long)total);
  const size_t n = wanted(dims, total, max_items);
  uint8_t *d = malloc(n);
  if (!d) return kg_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
  if ((rc = kgml_from_kg(kg_file_read_fd(fd, path, d, n, detail))) != KGML_OK) {
    free(d);
    return rc;
  }
  *data = d;
  return KGML_OK;
}

/* A gzipped file: inflate the header, check it, then inflate what is
 * wanted (one byte more when reading everything, to catch extra data). */
static int read_gzip(const uint8_t *z, size_t zlen, const char *path, uint32_t ndims,
                     uint32_t max_items, uint32_t *dims, uint8_t **data, char *detail) {
  const size_t hdr = 4 + 4 * (size_t)ndims;
  uint8_t *b = NULL;
  size_t len = 0;
  int rc = gunzip(z, zlen, hdr, &b, &len, detail, path);
  if (rc != KGML_OK) return rc;
  uint64_t total;
  rc = check_header(b, len, ndims, dims, &total, path, detail);
  free(b);
  if (rc != KGML_OK) return rc;
  const size_t n = wanted(dims, total, max_items);
  const int all = n == total;
  if ((rc = gunzip(z, zlen, hdr + n + (all ? 1u : 0u), &b, &len, detail, path)) != KGML_OK)
    return rc;
  if (len < hdr + n)
    rc = kg_fail(detail, KGML_E_TRUNCATED, "%s: %zu data bytes, the header declares %llu", path,
                 len - hdr, (unsigned long long)total);
  else if (len > hdr + n)
    rc = kg_fail(detail, KGML_E_TRAILING, "%s: data continues after %llu declared bytes", path,
                 (unsigned long long)total);
  if (rc != KGML_OK) {
    free(b);
    return rc;
  }
  memmove(b, b + hdr, n);
  *data = b;
  return KGML_OK;
}

int kgml_idx_read_first(const char *path, uint32_t ndims, uint32_t max_items, uint32_t *dims,
                        uint8_t **data, char *detail) {
  if (!path || !dims || !data || ndims == 0 || ndims > KGML_IDX_MAX_DIMS)
    return kg_fail(detail, KGML_E_INVAL, "kgml_idx_read: bad argument");
  *data = NULL;
  int fd;
  uint64_t size;
  int rc = kgml_from_kg(kg_file_open(path, &fd, &size, NULL, detail));
  if (rc != KGML_OK) return rc;
  uint8_t magic[2] = {0, 0};
  if (size >= 2) rc = kgml_from_kg(kg_file_read_fd(fd, path, magic, 2, detail));
  if (rc == KGML_OK && lseek(fd, 0, SEEK_SET) != 0)
    rc = kg_fail(detail, KGML_E_IO, "%s: cannot seek", path);
  if (rc != KGML_OK) {
    close(fd);
    return rc;
  }
  if (magic[0] != 0x1f || magic[1] != 0x8b) {
    rc = read_plain(fd, size, path, ndims, max_items, dims, data, detail);
    close(fd);
    return rc;
  }
  if (size > KGML_IDX_MAX_FILE) {
    close(fd);
    return kg_fail(detail, KGML_E_DIMS, "%s is %llu bytes; the limit is %zu", path,
                   (unsigned long long)size, (size_t)KGML_IDX_MAX_FILE);
  }
  uint8_t *z = malloc((size_t)size);
  if (!z) {
    close(fd);
    return kg_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
  }
  rc = kgml_from_kg(kg_file_read_fd(fd, path, z, (size_t)size, detail));
  close(fd);
  if (rc == KGML_OK) rc = read_gzip(z, (size_t)size, path, ndims, max_items, dims, data, detail);
  free(z);
  return rc;
}

int kgml_idx_read(const char *path, uint32_t ndims, uint32_t *dims, uint8_t **data,
                  char *detail) {
  return kgml_idx_read_first(path, ndims, 0, dims, data, detail);
}

int kgml_dataset_load_files(const char *images, const char *labels, kgml_dataset *ds,
                            char *detail) {
  if (!images || !labels || !ds) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  memset(ds, 0, sizeof *ds);
  uint32_t idim[3] = {0}, ldim[1] = {0};
  uint8_t *pix = NULL, *lab = NULL;
  int rc = kgml_idx_read(images, 3, idim, &pix, detail);
  if (rc != KGML_OK) return rc;
  rc = kgml_idx_read(labels, 1, ldim, &lab, detail);
  if (rc != KGML_OK) {
    free(pix);
    return rc;
  }
  if (idim[0] != ldim[0]) {
    free(pix);
    free(lab);
    return kg_fail(detail, KGML_E_MISMATCH, "%u images but %u labels", idim[0], ldim[0]);
  }
  for (uint32_t i = 0; i < ldim[0]; i++)
    if (lab[i] > 9) {
      const unsigned bad = lab[i];
      free(pix);
      free(lab);
      return kg_fail(detail, KGML_E_IDX, "%s: label %u of item %u is not in 0..9", labels,
                       bad, i);
    }
  ds->n = idim[0];
  ds->rows = idim[1];
  ds->cols = idim[2];
  ds->pix = pix;
  ds->labels = lab;
  return KGML_OK;
}

static int file_exists(const char *p) {
  struct stat st;
  return stat(p, &st) == 0;
}

int kgml_dataset_load(const char *dir, const char *split, kgml_dataset *ds, char *detail) {
  if (!dir || !split || !ds) return kg_fail(detail, KGML_E_INVAL, "bad argument");
  char ip[4096], lp[4096];
  int n1 = snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", dir, split);
  int n2 = snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", dir, split);
  if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof ip || (size_t)n2 >= sizeof lp)
    return kg_fail(detail, KGML_E_INVAL, "data directory path too long");
  if (!file_exists(ip)) ip[n1 - 3] = '\0';
  if (!file_exists(lp)) lp[n2 - 3] = '\0';
  return kgml_dataset_load_files(ip, lp, ds, detail);
}

void kgml_dataset_free(kgml_dataset *ds) {
  if (!ds) return;
  free(ds->pix);
  free(ds->labels);
  memset(ds, 0, sizeof *ds);
}
