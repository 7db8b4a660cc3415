/* IDX loader on zlib (gzip or plain files). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "kgml/idx.h"
#include "kgml_internal.h"

#define KGML_IDX_MAX_FILE ((size_t)1 << 32) /* compressed or not */

/* Inflate a whole gzip file (one or more members) into *out. Returns
 * KGML_OK, KGML_E_TRUNCATED (the stream stops early, including inside the
 * trailer), KGML_E_GZIP (corrupt data, failed check, garbage after the
 * stream) or KGML_E_NOMEM. */
static int gunzip(const uint8_t *in, size_t in_len, uint8_t **out, size_t *out_len,
                  char *detail, const char *path) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
    return kgml_fail(detail, KGML_E_NOMEM, "%s: cannot start zlib", path);
  size_t cap = in_len * 2 + 1024, n = 0;
  uint8_t *buf = malloc(cap);
  int rc = KGML_OK;
  if (!buf) {
    rc = kgml_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
    goto out;
  }
  z.next_in = (Bytef *)(uintptr_t)in;
  z.avail_in = in_len > UINT32_MAX ? UINT32_MAX : (uInt)in_len;
  for (;;) {
    if (n == cap) {
      if (cap >= KGML_IDX_MAX_FILE) {
        rc = kgml_fail(detail, KGML_E_IDX, "%s: more than %zu bytes uncompressed", path,
                       (size_t)KGML_IDX_MAX_FILE);
        goto out;
      }
      uint8_t *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = kgml_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
        goto out;
      }
      buf = nb;
      cap *= 2;
    }
    z.next_out = buf + n;
    z.avail_out = cap - n > UINT32_MAX ? UINT32_MAX : (uInt)(cap - n);
    const size_t before = z.avail_out;
    const int zr = inflate(&z, Z_NO_FLUSH);
    n += before - z.avail_out;
    if (zr == Z_STREAM_END) {
      if (z.avail_in == 0) break;
      if (z.avail_in >= 2 && z.next_in[0] == 0x1f && z.next_in[1] == 0x8b) {
        inflateReset(&z); /* another gzip member follows */
        continue;
      }
      rc = kgml_fail(detail, KGML_E_GZIP, "%s: %u bytes of garbage after the gzip data", path,
                     z.avail_in);
      goto out;
    }
    if (zr == Z_OK) continue;
    if (zr == Z_BUF_ERROR && z.avail_in == 0) {
      rc = kgml_fail(detail, KGML_E_TRUNCATED, "%s: gzip data ends early", path);
      goto out;
    }
    if (zr == Z_BUF_ERROR) continue; /* needs more output space */
    rc = kgml_fail(detail, zr == Z_MEM_ERROR ? KGML_E_NOMEM : KGML_E_GZIP, "%s: %s", path,
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

int kgml_idx_read(const char *path, uint32_t ndims, uint32_t *dims, uint8_t **data,
                  char *detail) {
  if (!path || !dims || !data || ndims == 0 || ndims > KGML_IDX_MAX_DIMS)
    return kgml_fail(detail, KGML_E_INVAL, "kgml_idx_read: bad argument");
  *data = NULL;
  uint8_t *raw = NULL, *b = NULL;
  size_t raw_len = 0, len = 0;
  int rc = kgml_read_file(path, &raw, &raw_len, KGML_IDX_MAX_FILE, detail);
  if (rc != KGML_OK) return rc;
  if (raw_len >= 2 && raw[0] == 0x1f && raw[1] == 0x8b) {
    rc = gunzip(raw, raw_len, &b, &len, detail, path);
    free(raw);
    if (rc != KGML_OK) return rc;
  } else {
    b = raw;
    len = raw_len;
  }
  const size_t hdr = 4 + 4 * (size_t)ndims;
  uint64_t total = 1;
  if (len < 4) {
    rc = kgml_fail(detail, KGML_E_TRUNCATED, "%s: %zu bytes, no IDX header", path, len);
    goto out;
  }
  if (b[0] != 0 || b[1] != 0) {
    rc = kgml_fail(detail, KGML_E_IDX, "%s: bad IDX magic %02x %02x", path, b[0], b[1]);
    goto out;
  }
  if (b[2] != 0x08) {
    rc = kgml_fail(detail, KGML_E_IDX, "%s: IDX element type 0x%02x, expected 0x08 (ubyte)",
                   path, b[2]);
    goto out;
  }
  if (b[3] != ndims) {
    rc = kgml_fail(detail, KGML_E_IDX, "%s: IDX has %u dimensions, expected %u", path, b[3],
                   ndims);
    goto out;
  }
  if (len < hdr) {
    rc = kgml_fail(detail, KGML_E_TRUNCATED, "%s: IDX header cut short", path);
    goto out;
  }
  for (uint32_t i = 0; i < ndims; i++) {
    dims[i] = kgml_rd_be32(b + 4 + 4 * i);
    const uint32_t lim = i == 0 ? KGML_IDX_MAX_COUNT : KGML_IDX_MAX_SIDE;
    if (dims[i] == 0 || dims[i] > lim) {
      rc = kgml_fail(detail, KGML_E_IDX, "%s: IDX dimension %u is %u (allowed 1..%u)", path, i,
                     dims[i], lim);
      goto out;
    }
    total *= dims[i];
  }
  if (len - hdr < total) {
    rc = kgml_fail(detail, KGML_E_TRUNCATED, "%s: %zu data bytes, the header declares %llu",
                   path, len - hdr, (unsigned long long)total);
    goto out;
  }
  if (len - hdr > total) {
    rc = kgml_fail(detail, KGML_E_TRAILING, "%s: data continues after %llu declared bytes",
                   path, (unsigned long long)total);
    goto out;
  }
  uint8_t *d = malloc(total ? (size_t)total : 1);
  if (!d) {
    rc = kgml_fail(detail, KGML_E_NOMEM, "%s: out of memory", path);
    goto out;
  }
  memcpy(d, b + hdr, (size_t)total);
  *data = d;
out:
  free(b);
  return rc;
}

int kgml_dataset_load_files(const char *images, const char *labels, kgml_dataset *ds,
                            char *detail) {
  if (!images || !labels || !ds) return kgml_fail(detail, KGML_E_INVAL, "bad argument");
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
    return kgml_fail(detail, KGML_E_MISMATCH, "%u images but %u labels", idim[0], ldim[0]);
  }
  for (uint32_t i = 0; i < ldim[0]; i++)
    if (lab[i] > 9) {
      const unsigned bad = lab[i];
      free(pix);
      free(lab);
      return kgml_fail(detail, KGML_E_IDX, "%s: label %u of item %u is not in 0..9", labels,
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
  FILE *f = fopen(p, "rb");
  if (!f) return 0;
  fclose(f);
  return 1;
}

int kgml_dataset_load(const char *dir, const char *split, kgml_dataset *ds, char *detail) {
  if (!dir || !split || !ds) return kgml_fail(detail, KGML_E_INVAL, "bad argument");
  char ip[4096], lp[4096];
  int n1 = snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte.gz", dir, split);
  int n2 = snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte.gz", dir, split);
  if (n1 < 0 || n2 < 0 || (size_t)n1 >= sizeof ip || (size_t)n2 >= sizeof lp)
    return kgml_fail(detail, KGML_E_INVAL, "data directory path too long");
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
