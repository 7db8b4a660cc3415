/*
 * kgm.h: the .kgm locked-model file format (docs/model-format.md).
 *
 * A .kgm file is little-endian and laid out as
 *
 *   header (KGM_HEADER_SIZE bytes)
 *   layer table (n_layers x KGM_LAYER_SIZE bytes)
 *   parameter records (16 bytes per output channel, every layer, as the
 *     hardware reads them: bias i32, mult i32, shift u8, 7 zero bytes)
 *   weight image (every layer's weight tiles, encrypted, in the order the
 *     hardware consumes them; a layer's keystream position is the offset of
 *     its tiles inside this image)
 *   version 2 with the AUTH flag: the 16-byte AES-CMAC tag of bytes
 *     [0, auth_size), auth_size = weights_offset + weights_size
 *   CRC-32C (Castagnoli) of every preceding byte (4 bytes)
 *
 * Versions: the reader accepts 1 and 2 and reports which in
 * kgm_model.version; the writer writes the version the model says.
 *
 * The header and the layer table are never encrypted: inspecting a file
 * needs no key. Section offsets are multiples of 16.
 *
 * Ownership: a kgm_model filled by kgm_parse() owns `layers`, `params` and
 * `wimg` (separate malloc blocks); kgm_model_free() releases them and zeroes
 * the struct (safe on a zeroed or already freed struct). kgm_serialize()
 * borrows the model and returns a malloc'd buffer the caller frees.
 * Thread-safety: no global state; functions on distinct models are
 * independent.
 * Errors: functions return KG_OK or a negative KG_E* code of kgmac/status.h;
 * when `detail` is not NULL it receives a NUL-terminated explanation of at
 * most KG_DETAIL_LEN bytes.
 */
#ifndef KGMAC_KGM_H
#define KGMAC_KGM_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGM_MAGIC "KGMF"
#define KGM_VERSION 2u      /* the newest version: what the locker writes */
#define KGM_VERSION_MIN 1u  /* the oldest version the reader accepts */
#define KGM_TAG_SIZE 16u    /* AES-CMAC tag (version 2, AUTH) */
#define KGM_HEADER_SIZE 128u
#define KGM_LAYER_SIZE 64u
#define KGM_PARAM_SIZE 16u
#define KGM_MAX_LAYERS 64u
#define KGM_MAX_SIDE 4096u
#define KGM_MAX_CHANNELS 4096u
#define KGM_MAX_FILE (512u * 1024u * 1024u)
#define KGM_MAX_K (16u * 1024u * 1024u)  /* reduction length K of one layer */

/* Header flags. Bits 0..15 are "required": a reader that does not know a
 * set required bit must refuse the file (KG_E_FLAGS). Bits 16..31 are
 * "optional": unknown ones are ignored. */
#define KGM_FLAG_SIGN 0x1u           /* weights are sign-locked for a rows x cols key */
#define KGM_FLAG_AUTH 0x2u           /* version 2: per-model keys and the tag; set exactly
                                        when the model uses a key (crypt != 0 or SIGN) */
#define KGM_FLAGS_KNOWN_V1 0x1u      /* required flags a version-1 file may set */
#define KGM_FLAGS_KNOWN_V2 0x3u      /* required flags a version-2 file may set */
#define KGM_FLAGS_REQUIRED_MASK 0xFFFFu

enum { KGM_LAYER_FC = 1, KGM_LAYER_CONV = 2 };          /* = KG_OP_FC / KG_OP_CONV */
enum { KGM_CRYPT_NONE = 0, KGM_CRYPT_DEEPLOCK = 1, KGM_CRYPT_CTR = 2 }; /* = KG_CRYPT_* */

typedef struct kgm_layer {
  uint32_t type;                 /* KGM_LAYER_FC or KGM_LAYER_CONV */
  uint32_t relu;                 /* 0 or 1 */
  uint32_t in_h, in_w, in_c;     /* input tensor NHWC (FC: 1 x 1 x K) */
  uint32_t out_h, out_w, out_c;  /* output tensor (FC: 1 x 1 x N) */
  uint32_t kh, kw, stride, pad;  /* CONV only; 0 for FC */
  uint32_t K, N;                 /* weight matrix as the hardware sees it */
  uint32_t w_off, w_len;         /* tiles inside the weight image; w_off = keystream position */
  uint32_t p_off;                /* first parameter record inside the parameter section */
  float out_scale;               /* real value of one output step (informational) */
} kgm_layer;

typedef struct kgm_model {
  uint32_t version;              /* 1 or 2 (KGM_VERSION_MIN..KGM_VERSION) */
  uint32_t flags;                /* KGM_FLAG_* */
  uint32_t rows, cols;           /* geometry the model was locked for */
  uint32_t crypt;                /* KGM_CRYPT_*: one mode for the whole weight image */
  uint32_t aes_len;              /* device AES key bytes, 16, 24 or 32, when the model
                                    uses it (crypt != NONE, or AUTH); else 0 */
  uint8_t nonce[12];             /* KDF context, CTR counter prefix and KCV input (zero
                                    when aes_len is 0) */
  uint8_t kcv[8];                /* key check value of the device AES key (zero when
                                    aes_len is 0) */
  uint32_t in_h, in_w, in_c;     /* input tensor of the first layer */
  float in_scale;                /* real value of one input step */
  int32_t in_zero;               /* input zero point (0: symmetric) */
  uint32_t n_layers;
  kgm_layer *layers;             /* n_layers entries */
  uint8_t *params;               /* params_len bytes */
  size_t params_len;
  uint8_t *wimg;                 /* encrypted weight image */
  size_t wimg_len;
  uint8_t tag[KGM_TAG_SIZE];     /* AES-CMAC tag (AUTH only, else zero) */
  /* As read from the file by kgm_parse; kgm_serialize computes its own
   * (canonical layout) and ignores these: */
  uint32_t auth_size;            /* bytes the tag covers (0 without AUTH) */
  uint32_t params_offset;        /* file offset of the parameter section */
  uint32_t weights_offset;       /* file offset of the weight image */
  uint32_t crc;                  /* CRC-32C as read from / written to the file */
} kgm_model;

/* 1 when the model uses a key: crypt != NONE or the SIGN flag. */
int kgm_uses_key(const kgm_model *m);

void kgm_model_free(kgm_model *m);

/* Every check a reader makes on the decoded fields (geometry, modes,
 * dimensions, layer chain, offsets and sizes). */
int kgm_validate(const kgm_model *m, char *detail);

/* Parse with full validation: KG_E_TRUNCATED, _MAGIC, _VERSION, _FLAGS,
 * _CRC, _HEADER, _LAYER, _RANGE, _OVERLAP, _TOO_BIG. On error *m is zeroed.
 * The tag is read, not checked: only the device holds its key. */
int kgm_parse(kgm_model *m, const uint8_t *buf, size_t len, char *detail);
/* kgm_parse of a file read with kg_file_read (kgmac/file_io.h): also
 * KG_E_NOENT, KG_E_NOTREG (directory, FIFO, device, socket), KG_E_IO, and
 * KG_E_TOO_BIG for a file over KGM_MAX_FILE bytes. */
int kgm_load_file(kgm_model *m, const char *path, char *detail);

/* Serialize (validates first; fills in auth_size, the tag from m->tag and
 * the CRC) / write atomically with
 * kg_file_write: an existing file is replaced only when force is set, and
 * a directory, FIFO, device or socket never (KG_E_EXISTS, KG_E_NOTREG). */
int kgm_serialize(const kgm_model *m, uint8_t **buf, size_t *len, char *detail);
int kgm_save_file(const kgm_model *m, const char *path, int force, char *detail);

/* CRC-32C (Castagnoli, reflected, init and xorout 0xFFFFFFFF);
 * crc32c("123456789") = 0xE3069283. */
uint32_t kgm_crc32c(const void *buf, size_t len);
/* Continue a CRC-32C: kgm_crc32c_update(kgm_crc32c(a, n), b, m) is the
 * CRC of a followed by b; kgm_crc32c_update(0, buf, len) = kgm_crc32c. */
uint32_t kgm_crc32c_update(uint32_t crc, const void *buf, size_t len);

const char *kgm_crypt_name(uint32_t crypt);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_KGM_H */
