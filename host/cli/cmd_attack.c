/* kgmac attack: dispatch to one front-end per attack (docs/security.md). */
#include <stdio.h>
#include <string.h>

#include "cmd_attack.h"

/* The attack table. Each row's front-end lives in its own attack_*_cli.c. */
static const cli_attack_entry attacks[] = {
    {"padding-kpa", cli_attack_padding_kpa,
     "Deep-Lock key recovery from the .kgm's known plaintext (zero padding, known layers)"},
    {"sign-oracle", cli_attack_sign_oracle,
     "recover the RxC sign key from a provisioned device (crafted layers, or I/O only)"},
    {"finetune", cli_attack_finetune,
     "fine-tune the readable weights with 1-10% of the training set, against scratch"},
    {"fgsm", cli_attack_fgsm,
     "white-box FGSM adversarial examples, run on a device holding the right key"},
    {"pgd", cli_attack_pgd,
     "white-box PGD (10 steps) adversarial examples, run on a device holding the right key"},
};
#define N_ATTACKS (sizeof attacks / sizeof attacks[0])

static void help(FILE *out) {
  fputs("usage: kgmac attack <name> [options]\n"
        "       kgmac attack <name> --help\n"
        "\n"
        "The attack lab: what a thief can do against each lock, working only through\n"
        "what he holds (the .kgm bytes, a device whose vault holds the keys, chosen\n"
        "inputs and their outputs, a fraction of the training set). The threat model\n"
        "and the measured figures are in docs/security.md (`make security`).\n"
        "\n"
        "attacks:\n",
        out);
  for (size_t i = 0; i < N_ATTACKS; i++)
    fprintf(out, "  %-12s %s\n", attacks[i].name, attacks[i].summary);
  fputs("\nEvery attack takes --json (one JSON object on stdout) and draws a progress\n"
        "bar on stderr when it is a terminal.\n"
        "exit status: 0 the attack succeeded, 1 it ran and failed (or a runtime error),\n"
        "2 usage error\n",
        out);
}

static int run(int argc, char **argv) {
  if (argc < 2) {
    kg_err("attack", "which attack? (see kgmac attack --help)");
    return KG_EXIT_USAGE;
  }
  const char *name = argv[1];
  if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
    help(stdout);
    return KG_EXIT_OK;
  }
  for (size_t i = 0; i < N_ATTACKS; i++)
    if (strcmp(name, attacks[i].name) == 0) return attacks[i].fn(argc - 1, argv + 1);
  kg_err("attack", "unknown attack '%s' (see kgmac attack --help)", name);
  return KG_EXIT_USAGE;
}

const kg_cmd kg_cmd_attack = {"attack", "attack lab: what a thief can do against each lock", run,
                              NULL};
