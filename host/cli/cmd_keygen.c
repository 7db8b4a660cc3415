/* kgmac keygen: write a key file (.kgk) from /dev/urandom, or from a seed
 * for reproducible demos and tests. */
#include <stdio.h>
#include <string.h>

#include "cli_kg.h"
#include "kgmac/keyfile.h"

static const char *const CMD = "keygen";

/* kg_keys holds at most 128 bytes of sign key. */
#define MAX_SIGN_BITS 1024u

static void help(FILE *out) {
  fprintf(out,
          "usage: kgmac keygen --out KEYS.kgk [--aes 128|192|256] [--rows R --cols C]\n"
          "                    [--seed S] [--force]\n"
          "       kgmac keygen --out KEYS.kgk --wrong-sign-from GOOD.kgk [--seed S] [--force]\n"
          "       kgmac keygen --out KEYS.kgk --wrong-aes-from GOOD.kgk [--seed S] [--force]\n"
          "\n"
          "Write a key file (docs/model-format.md, \"Key file\"): an AES key and a sign\n"
          "key of one bit per processing element of an R x C array, drawn from\n"
          "/dev/urandom. The file is created with mode 0600; an existing file is not\n"
          "overwritten unless --force is given, and a directory, FIFO, device or socket\n"
          "never is. A missing folder is an error.\n"
          "\n"
          "  --out FILE              key file to write\n"
          "  --aes BITS              AES key size: 128 (default), 192 or 256\n"
          "  --rows R, --cols C      sign-key geometry (default %ux%u, this build's array):\n"
          "                          powers of two 1..64, R*C at most %u\n"
          "  --seed S                draw the keys from the 64-bit seed S instead of\n"
          "                          /dev/urandom: the same S gives the same keys. For\n"
          "                          reproducible demos and tests only; a seeded key is\n"
          "                          no secret\n"
          "  --wrong-sign-from FILE  keep FILE's AES key and geometry, draw a new sign key\n"
          "                          (guaranteed to differ from FILE's)\n"
          "  --wrong-aes-from FILE   keep FILE's sign key and geometry, draw a new AES key\n"
          "                          of the same size (guaranteed to differ)\n"
          "  --force                 overwrite FILE if it exists\n"
          "\n"
          "The --wrong-* forms make the evaluation keys of the Fashion-MNIST demo: a\n"
          "right AES key with a wrong sign key, and a wrong AES key with the right sign\n"
          "key.\n",
          KGMAC_DEFAULT_ROWS, KGMAC_DEFAULT_COLS, MAX_SIGN_BITS);
}

static int sign_equal(const kg_keys *a, const kg_keys *b) {
  if (a->sign_bits != b->sign_bits) return 0;
  for (uint32_t i = 0; i < a->sign_bits; i++)
    if (((a->sign_key[i / 8] ^ b->sign_key[i / 8]) >> (i % 8)) & 1u) return 0;
  return 1;
}

static int run(int argc, char **argv) {
  const char *out = NULL, *aes_s = NULL, *rows_s = NULL, *cols_s = NULL;
  const char *wrong_sign = NULL, *wrong_aes = NULL, *seed_s = NULL;
  int force = 0;
  const kg_opt opts[] = {{"out", 1, &out, NULL},
                         {"aes", 1, &aes_s, NULL},
                         {"rows", 1, &rows_s, NULL},
                         {"cols", 1, &cols_s, NULL},
                         {"wrong-sign-from", 1, &wrong_sign, NULL},
                         {"wrong-aes-from", 1, &wrong_aes, NULL},
                         {"seed", 1, &seed_s, NULL},
                         {"force", 0, NULL, &force},
                         {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!out || !*out) {
    kg_err(CMD, "--out KEYS.kgk is required");
    return KG_EXIT_USAGE;
  }
  const char *from = wrong_sign ? wrong_sign : wrong_aes;
  if (wrong_sign && wrong_aes) {
    kg_err(CMD, "--wrong-sign-from and --wrong-aes-from exclude each other");
    return KG_EXIT_USAGE;
  }
  if (from && (aes_s || rows_s || cols_s)) {
    kg_err(CMD, "--aes, --rows and --cols come from the source key file with --wrong-%s-from",
           wrong_sign ? "sign" : "aes");
    return KG_EXIT_USAGE;
  }
  uint32_t aes_bits = 128, rows = KGMAC_DEFAULT_ROWS, cols = KGMAC_DEFAULT_COLS;
  if (aes_s) {
    if (kg_parse_u32(CMD, "aes", aes_s, 128, 256, &aes_bits)) return KG_EXIT_USAGE;
    if (aes_bits != 128 && aes_bits != 192 && aes_bits != 256) {
      kg_err(CMD, "--aes must be 128, 192 or 256, not %s", aes_s);
      return KG_EXIT_USAGE;
    }
  }
  if (rows_s && kg_parse_u32(CMD, "rows", rows_s, 1, MAX_SIGN_BITS, &rows)) return KG_EXIT_USAGE;
  if (cols_s && kg_parse_u32(CMD, "cols", cols_s, 1, MAX_SIGN_BITS, &cols)) return KG_EXIT_USAGE;
  if ((rows & (rows - 1)) || rows > 64 || (cols & (cols - 1)) || cols > 64) {
    kg_err(CMD, "--rows and --cols must be powers of two 1..64, not %ux%u", rows, cols);
    return KG_EXIT_USAGE;
  }
  if (rows * cols > MAX_SIGN_BITS) {
    kg_err(CMD, "a %ux%u sign key has %u bits; at most %u are supported", rows, cols, rows * cols,
           MAX_SIGN_BITS);
    return KG_EXIT_USAGE;
  }
  uint64_t seed = 0;
  if (seed_s && kg_parse_u64(CMD, "seed", seed_s, &seed)) return KG_EXIT_USAGE;
  if (kg_out_ok(CMD, out, force) != KG_EXIT_OK) return KG_EXIT_FAIL;

  kg_keys src, keys;
  memset(&src, 0, sizeof src);
  memset(&keys, 0, sizeof keys);
  int ret = KG_EXIT_FAIL;
  char detail[KG_DETAIL_LEN] = "";
  if (from) {
    if (kg_cli_read_keys(CMD, from, &src, &rows, &cols) != KG_EXIT_OK) return KG_EXIT_FAIL;
    aes_bits = src.aes_len * 8;
  }
  /* A fresh draw equal to the kept key is astronomically unlikely for an
   * AES key but not for a tiny sign key (2x2: 1 in 16): draw again. */
  int rc = KG_OK;
  for (uint64_t tries = 0; tries < 1000; tries++) {
    rc = seed_s ? kg_keys_generate_seeded(&keys, aes_bits / 8, rows, cols, seed + tries, detail)
                : kg_keys_generate(&keys, aes_bits / 8, rows, cols, detail);
    if (rc != KG_OK) break;
    if (wrong_sign && sign_equal(&keys, &src)) continue;
    if (wrong_aes && memcmp(keys.aes_key, src.aes_key, src.aes_len) == 0) continue;
    break;
  }
  if (rc != KG_OK) {
    kg_err(CMD, "cannot generate keys: %s (%s)", kg_strerror(rc), detail);
    goto out;
  }
  if (wrong_sign && sign_equal(&keys, &src)) {
    kg_err(CMD, "a %ux%u sign key has no other value to draw", rows, cols);
    goto out;
  }
  if (wrong_sign) { /* keep the AES key */
    memcpy(keys.aes_key, src.aes_key, sizeof keys.aes_key);
    keys.aes_len = src.aes_len;
  } else if (wrong_aes) { /* keep the sign key */
    memcpy(keys.sign_key, src.sign_key, sizeof keys.sign_key);
    keys.sign_bits = src.sign_bits;
  }
  rc = kg_keyfile_write(out, &keys, rows, cols, force, detail);
  if (rc != KG_OK) {
    kg_out_error(CMD, out, rc, detail);
    goto out;
  }
  char how[48] = "";
  if (seed_s) snprintf(how, sizeof how, " (seed %llu: demo/test key)", (unsigned long long)seed);
  if (wrong_sign)
    printf("wrote %s (mode 0600): AES-%u key of %s, new %ux%u sign key%s\n", out, aes_bits, from,
           rows, cols, how);
  else if (wrong_aes)
    printf("wrote %s (mode 0600): new AES-%u key, %ux%u sign key of %s%s\n", out, aes_bits, rows,
           cols, from, how);
  else
    printf("wrote %s (mode 0600): AES-%u key, %ux%u sign key%s\n", out, aes_bits, rows, cols, how);
  ret = KG_EXIT_OK;
out:
  kg_keys_wipe(&keys);
  kg_keys_wipe(&src);
  return ret;
}

const kg_cmd kg_cmd_keygen = {"keygen", "write a key file (AES key + sign key) from /dev/urandom",
                              run, help};
