/* Whole-file reads and atomic writes that refuse what is not a regular
 * file, and /dev/urandom (kgmac/file_io.h). */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kgmac/file_io.h"

/* "a directory", "a FIFO (pipe)", ... for a mode that is not S_ISREG. */
static const char *kind(mode_t m) {
  if (S_ISDIR(m)) return "a directory";
  if (S_ISFIFO(m)) return "a pipe (FIFO)";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISLNK(m)) return "a symbolic link";
  return "not a regular file";
}

/* The folder part of path ("." when there is none) into dir. */
static void parent_of(const char *path, char *dir, size_t cap) {
  size_t n = strlen(path);
  while (n > 1 && path[n - 1] == '/') n--; /* "a/b/" is "a/b" */
  while (n > 0 && path[n - 1] != '/') n--;
  while (n > 1 && path[n - 1] == '/') n--;
  if (n == 0) {
    snprintf(dir, cap, ".");
    return;
  }
  snprintf(dir, cap, "%.*s", (int)(n < cap ? n : cap - 1), path);
}

/* KG_OK if the folder of path exists, else why not. */
static int folder_ok(const char *path, char *detail) {
  char dir[4096];
  parent_of(path, dir, sizeof dir);
  struct stat st;
  if (stat(dir, &st) != 0) {
    if (errno == ENOENT) return kg_fail(detail, KG_E_NOENT, "folder %s does not exist", dir);
    if (errno == ENOTDIR)
      return kg_fail(detail, KG_E_NOTREG, "%s: a part of the path is not a folder", dir);
    return kg_fail(detail, KG_E_IO, "folder %s: %s", dir, strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) return kg_fail(detail, KG_E_NOTREG, "%s is not a folder", dir);
  return KG_OK;
}

/* ENOENT for path: name the missing folder if that is the cause. */
static int missing(const char *path, char *detail) {
  const int rc = folder_ok(path, detail);
  if (rc != KG_OK) return rc;
  return kg_fail(detail, KG_E_NOENT, "%s does not exist", path);
}

/* An open() or lstat() failure with errno e. */
static int open_error(const char *path, int e, char *detail) {
  if (e == ENOENT) return missing(path, detail);
  if (e == ENOTDIR)
    return kg_fail(detail, KG_E_NOTREG, "%s: a part of the path is not a folder", path);
  struct stat st;
  if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) /* a socket gives ENXIO */
    return kg_fail(detail, KG_E_NOTREG, "%s is %s", path, kind(st.st_mode));
  return kg_fail(detail, KG_E_IO, "cannot open %s: %s", path, strerror(e));
}

int kg_file_open(const char *path, int *fd, uint64_t *size, uint32_t *mode, char *detail) {
  if (!path || !*path || !fd || !size) return kg_fail(detail, KG_E_INVAL, "no file name");
  *fd = -1;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer. */
  const int f = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (f < 0) return open_error(path, errno, detail);
  struct stat st;
  if (fstat(f, &st) != 0) {
    const int e = errno;
    close(f);
    return kg_fail(detail, KG_E_IO, "cannot stat %s: %s", path, strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    close(f);
    return kg_fail(detail, KG_E_NOTREG, "%s is %s", path, kind(st.st_mode));
  }
  *fd = f;
  *size = st.st_size < 0 ? 0u : (uint64_t)st.st_size;
  if (mode) *mode = (uint32_t)(st.st_mode & 07777);
  return KG_OK;
}

int kg_file_read_fd(int fd, const char *path, void *buf, size_t n, char *detail) {
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return kg_fail(detail, KG_E_IO, "cannot read %s: %s", path, strerror(errno));
    if (r == 0)
      return kg_fail(detail, KG_E_TRUNCATED, "%s ends after %zu of %zu bytes", path, got, n);
    got += (size_t)r;
  }
  return KG_OK;
}

int kg_file_read(const char *path, size_t max_len, uint8_t **buf, size_t *len, char *detail) {
  if (!buf || !len) return kg_fail(detail, KG_E_INVAL, "kg_file_read: NULL argument");
  *buf = NULL;
  *len = 0;
  int fd;
  uint64_t size;
  int rc = kg_file_open(path, &fd, &size, NULL, detail);
  if (rc != KG_OK) return rc;
  if (size > max_len) {
    close(fd);
    return kg_fail(detail, KG_E_TOO_BIG, "%s is %llu bytes; the limit is %zu", path,
                   (unsigned long long)size, max_len);
  }
  uint8_t *b = malloc(size ? (size_t)size : 1u);
  if (!b) {
    close(fd);
    return kg_fail(detail, KG_E_NOMEM, "out of memory for the %llu bytes of %s",
                   (unsigned long long)size, path);
  }
  rc = kg_file_read_fd(fd, path, b, (size_t)size, detail);
  close(fd);
  if (rc != KG_OK) {
    free(b);
    return rc;
  }
  *buf = b;
  *len = (size_t)size;
  return KG_OK;
}

int kg_file_check_out(const char *path, int force, char *detail) {
  if (!path || !*path) return kg_fail(detail, KG_E_INVAL, "no output file name");
  struct stat st;
  if (lstat(path, &st) != 0) {
    if (errno == ENOENT) return folder_ok(path, detail);
    return open_error(path, errno, detail);
  }
  if (!S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode))
    return kg_fail(detail, KG_E_NOTREG, "%s is %s; it is never replaced, forced or not", path,
                   kind(st.st_mode));
  if (!force) return kg_fail(detail, KG_E_EXISTS, "%s exists (use --force to overwrite it)", path);
  return KG_OK;
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

/* Create path.tmp.XXXXXXXXXXXX exclusively (O_EXCL: never through a link)
 * with permission bits mode (less the umask). Returns the descriptor and
 * *tmp (malloc'd), or a negative KG_E_* code. */
static int make_temp(const char *path, uint32_t mode, char **tmp, char *detail) {
  const size_t plen = strlen(path);
  char *t = malloc(plen + 32);
  if (!t) return kg_fail(detail, KG_E_NOMEM, "out of memory");
  for (int tries = 0; tries < 16; tries++) {
    uint8_t r[6];
    const int rc = kg_urandom(r, sizeof r, detail);
    if (rc != KG_OK) {
      free(t);
      return rc;
    }
    snprintf(t, plen + 32, "%s.tmp.%02x%02x%02x%02x%02x%02x", path, r[0], r[1], r[2], r[3], r[4],
             r[5]);
    const int fd = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, (mode_t)mode);
    if (fd >= 0) {
      *tmp = t;
      return fd;
    }
    if (errno != EEXIST) {
      const int e = errno;
      free(t);
      if (e == ENOENT) return missing(path, detail);
      return kg_fail(detail, KG_E_IO, "cannot create a file beside %s: %s", path, strerror(e));
    }
  }
  free(t);
  return kg_fail(detail, KG_E_IO, "cannot create a temporary file beside %s", path);
}

int kg_file_write(const char *path, const void *buf, size_t len, int force, uint32_t mode,
                  char *detail) {
  if (!path || (!buf && len)) return kg_fail(detail, KG_E_INVAL, "kg_file_write: NULL argument");
  int rc = kg_file_check_out(path, force, detail);
  if (rc != KG_OK) return rc;
  char *tmp = NULL;
  const int fd = make_temp(path, mode & 0777u, &tmp, detail);
  if (fd < 0) return fd; /* a KG_E_* code */
  rc = KG_OK;
  if (write_all(fd, buf, len) != 0 || fsync(fd) != 0) {
    rc = kg_fail(detail, KG_E_IO, "cannot write %s: %s", tmp, strerror(errno));
    close(fd);
  } else if (close(fd) != 0) {
    rc = kg_fail(detail, KG_E_IO, "cannot write %s: %s", tmp, strerror(errno));
  } else if (force) {
    /* Check again just before replacing: never rename over a device. */
    rc = kg_file_check_out(path, 1, detail);
    if (rc == KG_OK && rename(tmp, path) != 0)
      rc = kg_fail(detail, KG_E_IO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
  } else if (link(tmp, path) != 0) {
    rc = errno == EEXIST
             ? kg_fail(detail, KG_E_EXISTS, "%s exists (use --force to overwrite it)", path)
             : kg_fail(detail, KG_E_IO, "cannot create %s: %s", path, strerror(errno));
  }
  unlink(tmp); /* after a rename this finds nothing */
  free(tmp);
  return rc;
}

int kg_urandom(void *buf, size_t n, char *detail) {
  const int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return kg_fail(detail, KG_E_IO, "cannot open /dev/urandom: %s", strerror(errno));
  size_t got = 0;
  while (got < n) {
    const ssize_t r = read(fd, (uint8_t *)buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      close(fd);
      return kg_fail(detail, KG_E_IO, "cannot read /dev/urandom");
    }
    got += (size_t)r;
  }
  close(fd);
  return KG_OK;
}
