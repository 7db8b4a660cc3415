/*
 * kgmac attack: the attack lab's subcommand (docs/security.md). cmd_attack.c
 * dispatches `kgmac attack <name> ...` to one front-end per attack; each
 * front-end parses its own options (including --help) and returns the
 * usual exit status: 0 the attack succeeded, 1 it ran but failed (or a
 * runtime error), 2 usage error.
 */
#ifndef KGMAC_CMD_ATTACK_H
#define KGMAC_CMD_ATTACK_H

#include <stdint.h>

#include "cli.h"
#include "kg_auth.h"
#include "kgattack/attack.h"
#include "kgml/idx.h"

typedef struct cli_attack_entry {
  const char *name;
  int (*fn)(int argc, char **argv); /* argv[0] is the attack's name */
  const char *summary;
} cli_attack_entry;

/* Front-ends (attack_*_cli.c). */
int cli_attack_padding_kpa(int argc, char **argv);
int cli_attack_sign_oracle(int argc, char **argv);
int cli_attack_finetune(int argc, char **argv);
int cli_attack_fgsm(int argc, char **argv);
int cli_attack_pgd(int argc, char **argv);

/* Helpers shared by the front-ends (attack_cli_common.c). */

/* A kga_progress that draws a kg_progress bar (stderr, terminals only). */
typedef struct cli_attack_bar {
  kg_progress bar;
  kga_progress prog;
} cli_attack_bar;
void cli_attack_bar_init(cli_attack_bar *b);
void cli_attack_bar_done(cli_attack_bar *b);

/* Harness side only (scoring after an attack): the victim's keys for one
 * model as the key owner derives them from his key file. Version >= 2: the
 * model's keys (kg_model_keys_derive with its nonce, sign mask over bits =
 * R*C). Version 1: the device keys themselves (enc = the AES key, no mac,
 * an all-zero sign mask). KG_OK, or KG_E_INVAL on a key the file cannot
 * hold. The caller wipes *mk (kg_model_keys_wipe). */
int cli_attack_victim_keys(const kg_keys *keys, uint32_t version, const uint8_t nonce[12],
                           uint32_t bits, kg_model_keys *mk);

/* Parse 2*len hex digits; -1 on anything else. */
int cli_attack_parse_hex(const char *s, uint8_t *out, size_t max, size_t *len);

/* Accuracy of an unencrypted model (host simulation, sign key key_s or
 * NULL) on the first `count` images of ds; preds (may be NULL) receives the
 * predicted classes. KG_OK or a KG_E* code. */
int cli_attack_accuracy(const kgm_model *m, const uint8_t *key_s, const kgml_dataset *ds,
                        uint32_t count, uint8_t *preds, double *acc);
/* The model's int8 input for `count` dataset images (quantized with the
 * model's input scale and zero point); malloc'd, NULL on failure. */
int8_t *cli_attack_inputs(const kgm_model *m, const kgml_dataset *ds, uint32_t count);

#endif
