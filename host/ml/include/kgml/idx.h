/*
 * IDX file loader (the MNIST / Fashion-MNIST format), gzipped or plain.
 *
 * An IDX file is: 0x00 0x00, a type byte (only 0x08 = unsigned byte is
 * accepted), the number of dimensions, then that many big-endian uint32
 * sizes, then the data in row-major order. zlib reads gzip and plain files
 * alike. The loader rejects (never crashes on) a bad magic, type or rank,
 * zero or absurd sizes, short data (KGML_E_TRUNCATED), extra data
 * (KGML_E_TRAILING) and a corrupt gzip stream (KGML_E_GZIP). Files are
 * opened with kg_file_open (kgmac/file_io.h): a missing file is
 * KGML_E_NOENT; a directory, pipe, FIFO, device or socket KGML_E_NOTREG,
 * refused before any read, so a stream is never read at all. Reads are
 * bounded: a plain file's header is checked against the file's size before
 * anything is allocated, a gzipped file is inflated only as far as the
 * header (and max_items) say, and no header may declare more than
 * KGML_IDX_MAX_BYTES data bytes.
 *
 * Ownership: buffers returned through pointers are malloc'd and owned by
 * the caller (free with the matching *_free function or free()).
 */
#ifndef KGML_IDX_H
#define KGML_IDX_H

#include <stdint.h>

#include "kgml/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGML_IDX_MAX_DIMS 4
#define KGML_IDX_MAX_COUNT 10000000u  /* items in dimension 0 */
#define KGML_IDX_MAX_SIDE 4096u       /* any later dimension */
#define KGML_IDX_MAX_BYTES (1ull << 30) /* data bytes one header may declare */

/* Read an unsigned-byte IDX file with exactly `ndims` dimensions. On
 * success dims[0..ndims-1] holds the sizes and *data the bytes. */
int kgml_idx_read(const char *path, uint32_t ndims, uint32_t *dims, uint8_t **data,
                  char *detail);
/* The same, reading only the first min(dims[0], max_items) items (all when
 * max_items is 0); dims[0] still gives the file's count. When fewer than
 * all items are read, a gzip stream is not inflated (nor its check value
 * verified) past them. */
int kgml_idx_read_first(const char *path, uint32_t ndims, uint32_t max_items, uint32_t *dims,
                        uint8_t **data, char *detail);

/* A labelled image set: n images of rows x cols bytes, labels in [0, 9]. */
typedef struct kgml_dataset {
  uint32_t n, rows, cols;
  uint8_t *pix;     /* n * rows * cols */
  uint8_t *labels;  /* n */
} kgml_dataset;

/* Load <dir>/<split>-images-idx3-ubyte.gz and <dir>/<split>-labels-idx1-ubyte.gz
 * (split is "train" or "t10k"). Falls back to the names without ".gz".
 * Checks that the counts agree and every label is below 10. */
int kgml_dataset_load(const char *dir, const char *split, kgml_dataset *ds, char *detail);

/* Load from explicit paths (same checks). */
int kgml_dataset_load_files(const char *images, const char *labels, kgml_dataset *ds,
                            char *detail);

void kgml_dataset_free(kgml_dataset *ds);

#ifdef __cplusplus
}
#endif

#endif /* KGML_IDX_H */
