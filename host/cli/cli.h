/*
 * kgmac CLI: the subcommand table entry and shared helpers.
 *
 * Adding a subcommand: write cmd_<name>.c defining
 *   const kg_cmd kg_cmd_<name> = {"<name>", "<one-line summary>", run, help};
 * add it to the table in main.c and to the kgmac_cli sources in
 * host/CMakeLists.txt.
 *
 * Exit codes (every subcommand): 0 success, 1 failure (bad file, I/O,
 * numeric trouble), 2 usage error (unknown option, bad value).
 */
#ifndef KGMAC_CLI_H
#define KGMAC_CLI_H

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
 * message and returns KG_EXIT_USAGE on an unknown option, a missing value
 * or a positional argument; KG_EXIT_OK otherwise. */
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
int kg_file_exists(const char *path);

/* Write s as a JSON string literal (quotes and escapes included). */
void kg_json_str(FILE *f, const char *s);

#endif
