/*
 * kgmac CLI: the subcommand table entry and shared helpers.
 *
 * Adding a subcommand: write cmd_<name>.c defining
 *   const kg_cmd kg_cmd_<name> = {"<name>", "<one-line summary>", run, help};
 * add it to the table in main.c and to the kgmac_cli sources in
 * host/CMakeLists.txt.
 *
 * Exit codes (every subcommand): 0 success, 1 failure (bad file, I/O,
 * numeric trouble), 2 usage error (unknown option, bad value, an option
 * given twice).
 *
 * Files: every input is read with kgmac/file_io.h (a directory, FIFO,
 * device or socket is refused before any read, and every read is
 * bounded); every output is written with kg_out_write / kg_file_write
 * (atomic; an existing file only with --force; a directory, FIFO, device
 * or socket never).
 */
#ifndef KGMAC_CLI_H
#define KGMAC_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { KG_EXIT_OK = 0, KG_EXIT_FAIL = 1, KG_EXIT_USAGE = 2 };

typedef struct kg_cmd {
  const char *name;
  const char *summary;
  /* argv[0] is the subcommand name; --help is handled before run(). */
  int (*run)(int argc, char **argv);
  /* NULL for a command with sub-commands (`kgmac attack <name> --help`):
   * run() then handles --help itself. */
  void (*help)(FILE *out);
} kg_cmd;

/* One option of a subcommand: "--name VALUE" / "--name=VALUE" when
 * has_arg, else a flag "--name". */
typedef struct kg_opt {
  const char *name;
  int has_arg;
  const char **value; /* set when has_arg */
  int *flag;          /* set to 1 when !has_arg */
} kg_opt;

/* Parse argv[1..] against opts (terminated by a zero entry). Prints a
 * message and returns KG_EXIT_USAGE on an unknown option, a missing value,
 * a positional argument or an option given twice; KG_EXIT_OK otherwise. */
int kg_parse_opts(const char *cmd, int argc, char **argv, const kg_opt *opts);

/* Parse an unsigned decimal in [lo, hi]; prints a usage message naming
 * the option on failure and returns KG_EXIT_USAGE. */
int kg_parse_u32(const char *cmd, const char *opt, const char *s, uint32_t lo, uint32_t hi,
                 uint32_t *out);
int kg_parse_u64(const char *cmd, const char *opt, const char *s, uint64_t *out);

/* Error message "kgmac <cmd>: ..." on stderr. */
void kg_err(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Progress bar on stderr when it is a terminal; silent otherwise. */
typedef struct kg_progress {
  int tty;
  double last;   /* time of the last redraw */
  int drawn;     /* a bar is on screen */
} kg_progress;
void kg_progress_init(kg_progress *p);
/* Redraw (rate-limited unless done == total). */
void kg_progress_update(kg_progress *p, const char *label, uint64_t done, uint64_t total,
                        const char *suffix);
/* Erase the bar so a normal line can be printed. */
void kg_progress_clear(kg_progress *p);

double kg_now(void);
/* Something (even a dangling link) is at path. */
int kg_file_exists(const char *path);

/* Output files. kg_out_ok: may path be written (kg_file_check_out)? If
 * not, prints why and returns KG_EXIT_FAIL; call it before long work.
 * kg_out_write: write len bytes atomically (kg_file_write, mode 0644)
 * with the same messages. kg_out_error: the message for a failed write
 * (rc a KG_E_* code of kgmac/file_io.h): "PATH already exists; use
 * --force to overwrite it" or "cannot write PATH: DETAIL". */
int kg_out_ok(const char *cmd, const char *path, int force);
int kg_out_write(const char *cmd, const char *path, const void *buf, size_t len, int force);
void kg_out_error(const char *cmd, const char *path, int rc, const char *detail);

/* Write s as a JSON string literal (quotes and escapes included). */
void kg_json_str(FILE *f, const char *s);
/* Bytes as lowercase hex, no separators. */
void kg_hex(FILE *f, const uint8_t *b, size_t n);

#endif
