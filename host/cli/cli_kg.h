/*
 * kgmac CLI: helpers shared by the subcommands that use libkgmac (keygen,
 * lock, inspect, infer, bench): key files, back-ends, policies and model
 * loading, each printing "kgmac <cmd>: ..." messages on failure.
 */
#ifndef KGMAC_CLI_KG_H
#define KGMAC_CLI_KG_H

#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "kgmac/kgmac.h"

/* The build's default array geometry (KG_ROWS x KG_COLS, set by CMake). */
#ifndef KGMAC_DEFAULT_ROWS
#define KGMAC_DEFAULT_ROWS 8
#endif
#ifndef KGMAC_DEFAULT_COLS
#define KGMAC_DEFAULT_COLS 8
#endif

/* Read a key file. On failure print "kgmac <cmd>: key file PATH: ..."
 * naming the problem (missing, wrong size or format, mode not 0600) and
 * return KG_EXIT_FAIL; KG_EXIT_OK otherwise. */
int kg_cli_read_keys(const char *cmd, const char *path, kg_keys *keys, uint32_t *rows,
                     uint32_t *cols);

/* --backend rtl|model and --policy refuse|run|lockout; KG_EXIT_USAGE with
 * a message on a bad value. */
int kg_cli_parse_backend(const char *cmd, const char *s);
int kg_cli_parse_policy(const char *cmd, const char *s, uint32_t *policy);
const char *kg_cli_policy_name(uint32_t policy);

/* Open back-end `backend` for a model locked for rows x cols (the "model"
 * back-end takes that geometry; "rtl" must have it), with opts->max_batch
 * = max_batch (0 = default), and provision keys when keys is not NULL.
 * Prints the reason and returns KG_EXIT_FAIL on failure. */
int kg_cli_open(const char *cmd, const char *backend, uint32_t rows, uint32_t cols,
                uint32_t max_batch, const kg_keys *keys, kg_dev **dev);

/* Load a .kgm onto dev. On failure print "kgmac <cmd>: refused: MESSAGE
 * (status CODE)" for a wrong key (KG_E_WRONG_KEY, KG_E_LOCKED_OUT) or
 * "kgmac <cmd>: cannot load PATH: MESSAGE (DETAIL)" otherwise, unless
 * quiet; returns the KG_* status. */
int kg_cli_model_load(const char *cmd, kg_dev *dev, const char *path, kg_model **model,
                      int quiet);
int kg_cli_is_refusal(int status);

/* The device input of n 8-bit pixels (0..255 = 0..1) for a .kgm whose
 * header gives in_scale and in_zero: kg_qmodel_quantize_input's rounding
 * with that scale, then the zero point added with saturation. The one
 * rule `kgmac infer` and the attack lab use. */
void kg_cli_quantize_pixels(float in_scale, int32_t in_zero, const uint8_t *pix, size_t n,
                            int8_t *out);

#endif
