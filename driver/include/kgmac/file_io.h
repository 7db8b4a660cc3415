/*
 * file_io.h: the one way the driver, the locker, host/ml and the CLI read
 * and write whole files, and draw random bytes.
 *
 * Reading: kg_file_open() opens with O_NONBLOCK | O_CLOEXEC | O_NOCTTY (a
 * FIFO cannot block the open), fstat()s the descriptor and refuses anything
 * that is not a regular file, naming what it is (directory, FIFO, character
 * or block device, socket). kg_file_read() adds a caller-given size bound:
 * a file larger than max_len is refused (KG_E_TOO_BIG) before any byte is
 * read, so no read is unbounded.
 *
 * Writing: kg_file_write() writes a private temporary file beside the
 * target (mkstemp: never follows a link) with the given mode, fsync()s it,
 * then links it into place (fails if anything exists there) or, with
 * force, renames it over an existing regular file or symbolic link (the
 * link itself is replaced, never what it points to). A directory, FIFO,
 * device or socket at the target is refused whether or not force is set.
 * kg_file_check_out() makes the same checks without writing, so a command
 * can refuse a bad output before a long computation.
 *
 * Errors (kgmac/status.h): KG_E_INVAL (NULL argument), KG_E_NOENT (no such
 * file; "folder ... does not exist" for a missing parent folder),
 * KG_E_NOTREG (not a regular file, or the parent is not a folder),
 * KG_E_EXISTS (target exists and force is 0), KG_E_TOO_BIG (larger than
 * the bound), KG_E_NOMEM, KG_E_IO (anything else; detail has strerror).
 * detail (KG_DETAIL_LEN bytes, may be NULL) always names the path.
 *
 * Ownership: *buf from kg_file_read is malloc'd; the caller frees it.
 * Thread-safety: no global state (kg_file_write reads the umask once per
 * process; call it first from one thread if that matters).
 */
#ifndef KGMAC_FILE_IO_H
#define KGMAC_FILE_IO_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Open path for reading; *fd is a regular file of *size bytes and mode
 * *mode (permission bits; mode may be NULL). The caller closes *fd. */
int kg_file_open(const char *path, int *fd, uint64_t *size, uint32_t *mode, char *detail);

/* Read exactly n bytes from fd (opened by kg_file_open for path) into buf;
 * KG_E_TRUNCATED if the file ends first, KG_E_IO on a read error. */
int kg_file_read_fd(int fd, const char *path, void *buf, size_t n, char *detail);

/* Read all of path (a regular file of at most max_len bytes) into a
 * malloc'd *buf of *len bytes (a 0-byte file gives a 1-byte buffer). */
int kg_file_read(const char *path, size_t max_len, uint8_t **buf, size_t *len, char *detail);

/* May path be written? KG_OK if it does not exist and its folder does, or
 * if it is a regular file or symbolic link and force is set. */
int kg_file_check_out(const char *path, int force, char *detail);

/* Write len bytes atomically to path with permission bits mode (0600 for
 * secrets; others are reduced by the umask). See above. */
int kg_file_write(const char *path, const void *buf, size_t len, int force, uint32_t mode,
                  char *detail);

/* Fill buf with n bytes from /dev/urandom. */
int kg_urandom(void *buf, size_t n, char *detail);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_FILE_IO_H */
