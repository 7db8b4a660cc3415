/* kgmac: the command-line tool. Subcommands live in cmd_*.c. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

extern const kg_cmd kg_cmd_train;
extern const kg_cmd kg_cmd_quantize;
#ifdef KGMAC_CLI_DEVICE /* built with libkgmac and kglock */
extern const kg_cmd kg_cmd_keygen;
extern const kg_cmd kg_cmd_lock;
extern const kg_cmd kg_cmd_inspect;
extern const kg_cmd kg_cmd_infer;
extern const kg_cmd kg_cmd_bench;
extern const kg_cmd kg_cmd_attack;
#endif

/* The subcommand table: one entry per cmd_*.c file. */
static const kg_cmd *const commands[] = {
    &kg_cmd_train,
    &kg_cmd_quantize,
#ifdef KGMAC_CLI_DEVICE
    &kg_cmd_keygen,
    &kg_cmd_lock,
    &kg_cmd_inspect,
    &kg_cmd_infer,
    &kg_cmd_bench,
    &kg_cmd_attack,
#endif
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
  fputs("usage: kgmac <command> [options]\n"
        "       kgmac <command> --help\n"
        "\n"
        "kgmac host tools for the key-gated DNN accelerator.\n"
        "\n"
        "commands:\n",
        out);
  for (size_t i = 0; i < N_COMMANDS; i++)
    fprintf(out, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
  fputs("\noptions: each at most once; an option given twice is a usage error\n"
        "files: inputs must be regular files (a pipe, FIFO, device, socket or\n"
        "  directory is refused); an existing output is replaced only with --force,\n"
        "  and a directory, FIFO, device or socket never\n"
        "exit status: 0 success, 1 failure, 2 usage error\n",
        out);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    usage(stderr);
    return KG_EXIT_USAGE;
  }
  if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
      strcmp(argv[1], "help") == 0) {
    if (argc > 2 && strcmp(argv[1], "help") == 0)
      for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(argv[2], commands[i]->name) == 0) {
          if (!commands[i]->help) { /* it prints its own help: `<cmd> --help` */
            char help_opt[] = "--help";
            char *hv[] = {argv[2], help_opt, NULL};
            return commands[i]->run(2, hv);
          }
          commands[i]->help(stdout);
          return KG_EXIT_OK;
        }
    usage(stdout);
    return KG_EXIT_OK;
  }
  for (size_t i = 0; i < N_COMMANDS; i++) {
    const kg_cmd *c = commands[i];
    if (strcmp(argv[1], c->name) != 0) continue;
    for (int a = c->help ? 2 : argc; a < argc; a++)
      if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) {
        c->help(stdout);
        return KG_EXIT_OK;
      }
    return c->run(argc - 1, argv + 1);
  }
  fprintf(stderr, "kgmac: unknown command '%s'\n\n", argv[1]);
  usage(stderr);
  return KG_EXIT_USAGE;
}
