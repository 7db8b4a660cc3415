/* kgmac CLI helpers: option parsing, messages, progress bar. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "kgmac/file_io.h"

void kg_err(const char *cmd, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "kgmac %s: ", cmd);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

int kg_parse_opts(const char *cmd, int argc, char **argv, const kg_opt *opts) {
  enum { MAX_OPTS = 64 };
  unsigned char seen[MAX_OPTS] = {0};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strncmp(a, "--", 2) != 0) {
      kg_err(cmd, "unexpected argument '%s' (see kgmac %s --help)", a, cmd);
      return KG_EXIT_USAGE;
    }
    const char *name = a + 2;
    const char *eq = strchr(name, '=');
    const size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
    const kg_opt *o = opts;
    for (; o->name; o++)
      if (strlen(o->name) == nlen && strncmp(o->name, name, nlen) == 0) break;
    if (!o->name) {
      kg_err(cmd, "unknown option '%s' (see kgmac %s --help)", a, cmd);
      return KG_EXIT_USAGE;
    }
    const size_t idx = (size_t)(o - opts);
    if (idx < MAX_OPTS && seen[idx]++) {
      kg_err(cmd, "option --%s is given twice; give each option at most once", o->name);
      return KG_EXIT_USAGE;
    }
    if (o->has_arg) {
      if (eq) {
        *o->value = eq + 1;
      } else if (i + 1 < argc) {
        *o->value = argv[++i];
      } else {
        kg_err(cmd, "option --%s needs a value", o->name);
        return KG_EXIT_USAGE;
      }
    } else {
      if (eq) {
        kg_err(cmd, "option --%s takes no value", o->name);
        return KG_EXIT_USAGE;
      }
      *o->flag = 1;
    }
  }
  return KG_EXIT_OK;
}

int kg_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!s || !*s || *s == '-' || *s == '+') goto bad;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) goto bad;
  *out = v;
  return KG_EXIT_OK;
bad:
  kg_err(cmd, "--%s: '%s' is not an unsigned integer", opt, s ? s : "");
  return KG_EXIT_USAGE;
}

int kg_parse_u32(const char *cmd, const char *opt, const char *s, uint32_t lo, uint32_t hi,
                 uint32_t *out) {
  uint64_t v;
  if (kg_parse_u64(cmd, opt, s, &v) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (v < lo || v > hi) {
    kg_err(cmd, "--%s: %s is out of range [%u, %u]", opt, s, lo, hi);
    return KG_EXIT_USAGE;
  }
  *out = (uint32_t)v;
  return KG_EXIT_OK;
}

double kg_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

int kg_file_exists(const char *path) {
  struct stat st;
  return lstat(path, &st) == 0;
}

void kg_out_error(const char *cmd, const char *path, int rc, const char *detail) {
  if (rc == KG_E_EXISTS)
    kg_err(cmd, "%s already exists; use --force to overwrite it", path);
  else
    kg_err(cmd, "cannot write %s: %s", path, detail && *detail ? detail : kg_strerror(rc));
}

int kg_out_ok(const char *cmd, const char *path, int force) {
  char detail[KG_DETAIL_LEN] = "";
  const int rc = kg_file_check_out(path, force, detail);
  if (rc == KG_OK) return KG_EXIT_OK;
  kg_out_error(cmd, path, rc, detail);
  return KG_EXIT_FAIL;
}

int kg_out_write(const char *cmd, const char *path, const void *buf, size_t len, int force) {
  char detail[KG_DETAIL_LEN] = "";
  const int rc = kg_file_write(path, buf, len, force, 0644u, detail);
  if (rc == KG_OK) return KG_EXIT_OK;
  kg_out_error(cmd, path, rc, detail);
  return KG_EXIT_FAIL;
}

void kg_progress_init(kg_progress *p) {
  p->tty = isatty(fileno(stderr));
  p->last = 0.0;
  p->drawn = 0;
}

void kg_progress_update(kg_progress *p, const char *label, uint64_t done, uint64_t total,
                        const char *suffix) {
  if (!p->tty || total == 0) return;
  const double t = kg_now();
  if (done < total && t - p->last < 0.1) return;
  p->last = t;
  enum { WIDTH = 30 };
  char bar[WIDTH + 1];
  const uint64_t fill = done * WIDTH / total;
  for (int i = 0; i < WIDTH; i++) bar[i] = (uint64_t)i < fill ? '#' : '.';
  bar[WIDTH] = '\0';
  fprintf(stderr, "\r\033[K%s [%s] %3u%% %s", label, bar, (unsigned)(done * 100 / total),
          suffix ? suffix : "");
  fflush(stderr);
  p->drawn = 1;
}

void kg_progress_clear(kg_progress *p) {
  if (p->tty && p->drawn) {
    fputs("\r\033[K", stderr);
    fflush(stderr);
  }
  p->drawn = 0;
}

void kg_json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
    if (*p == '"' || *p == '\\')
      fprintf(f, "\\%c", *p);
    else if (*p < 0x20)
      fprintf(f, "\\u%04x", *p);
    else
      fputc(*p, f);
  }
  fputc('"', f);
}

void kg_hex(FILE *f, const uint8_t *b, size_t n) {
  for (size_t i = 0; i < n; i++) fprintf(f, "%02x", b[i]);
}
