/*
 * keyfile.h: the .kgk key file (docs/model-format.md, "Key file").
 *
 * Layout, little-endian:
 *   0  magic "KGKY"          4  version u16 (1)     6  aes_len u16 (16/24/32)
 *   8  rows u16             10  cols u16            12  reserved u32 (0)
 *  16  AES key (aes_len bytes)
 *      sign key (ceil(rows*cols/8) bytes; bit r*C+c = byte/bit as in kg_keys)
 *      CRC-32C of every preceding byte (4 bytes)
 * The file size must be exactly 16 + aes_len + ceil(rows*cols/8) + 4.
 * Key files hold secrets: kg_keyfile_write creates them with mode 0600
 * through kg_file_write (kgmac/file_io.h: atomic, refuses an existing file
 * unless force, and a directory, FIFO, device or socket always), and
 * kg_keyfile_read opens them with kg_file_open (a FIFO cannot block it) and
 * refuses one that group or others may read or write (KG_E_KEYPERM), like
 * ssh does.
 *
 * Ownership: the caller owns the kg_keys; kg_keys_wipe() clears one.
 * Errors: KG_OK, KG_E_INVAL, KG_E_IO, KG_E_NOENT (no such file or
 * folder), KG_E_NOTREG (not a regular file), KG_E_KEYFILE (short, long,
 * bad magic/version/sizes/CRC), KG_E_KEYPERM, KG_E_EXISTS; detail (may be
 * NULL, KG_DETAIL_LEN bytes) says what exactly.
 */
#ifndef KGMAC_KEYFILE_H
#define KGMAC_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/kgmac.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGK_MAGIC "KGKY"
#define KGK_VERSION 1u

/* Fill keys from /dev/urandom: an AES key of aes_len bytes and a sign key
 * of rows*cols bits (policy REFUSE, threshold 3). */
int kg_keys_generate(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols, char *detail);
/* The same from a 64-bit seed (splitmix64): the same seed gives the same
 * keys. For reproducible demos and tests only: a seeded key is no secret. */
int kg_keys_generate_seeded(kg_keys *keys, uint32_t aes_len, uint32_t rows, uint32_t cols,
                            uint64_t seed, char *detail);

/* rows/cols are recorded in the file; rows*cols must equal keys->sign_bits. */
int kg_keyfile_write(const char *path, const kg_keys *keys, uint32_t rows, uint32_t cols, int force,
                     char *detail);
/* policy/threshold are not stored: they come back as REFUSE / 3. */
int kg_keyfile_read(const char *path, kg_keys *keys, uint32_t *rows, uint32_t *cols, char *detail);
int kg_keyfile_parse(const uint8_t *buf, size_t len, kg_keys *keys, uint32_t *rows, uint32_t *cols,
                     char *detail);

void kg_keys_wipe(kg_keys *keys);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_KEYFILE_H */
