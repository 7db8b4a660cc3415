/* kgmac lock: unlocked int8 model (.kgq) -> locked, encrypted .kgm. */
#include <stdio.h>
#include <string.h>

#include "cli_kg.h"
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"
#include "kgmac/lock.h"
#include "kgml/kgq.h"

static const char *const CMD = "lock";

static void help(FILE *out) {
  fprintf(out,
          "usage: kgmac lock --model MODEL.kgq --keys KEYS.kgk --out MODEL.kgm\n"
          "                  [--crypt ctr|deeplock|none] [--no-sign] [--format 2|1] [--force]\n"
          "       kgmac lock --model MODEL.kgq --out MODEL.kgm --crypt none --no-sign\n"
          "                  [--rows R --cols C] [--force]\n"
          "\n"
          "Lock an unlocked int8 model (.kgq, from kgmac quantize) for the array\n"
          "geometry of the key file: sign-lock every weight with the sign key\n"
          "(W[k][n] negated where key[k mod R][n mod C] is 1), lay the weights out in\n"
          "the order the hardware reads them, fill every padding byte with random bytes,\n"
          "encrypt the weight image, and write a version-2 .kgm (docs/model-format.md)\n"
          "that records the geometry, the lock modes, a random nonce, the key check value\n"
          "and an AES-CMAC tag. The weight key, the tag key and a sign-key mask are\n"
          "derived from the key file's AES key and the nonce (docs/spec.md 11.1), so each\n"
          "model has its own keys and only a device with that AES key can authenticate\n"
          "it. Prints one summary line.\n"
          "\n"
          "  --model FILE   unlocked int8 model (.kgq)\n"
          "  --keys FILE    key file (kgmac keygen); not needed with --crypt none --no-sign\n"
          "  --out FILE     .kgm to write; an existing file is kept unless --force;\n"
          "                 a directory, FIFO, device or socket is never replaced\n"
          "  --crypt MODE   ctr (default: AES-CTR, the secure mode), deeplock (the AES\n"
          "                 key-schedule keystream of Deep-Lock; prints a warning: one\n"
          "                 known run of key-length bytes of the image gives its key,\n"
          "                 docs/security.md) or none\n"
          "  --no-sign      do not apply the sign key\n"
          "  --format V     2 (default) or 1: the unauthenticated version-1 format, locked\n"
          "                 with the device keys themselves and zero padding, that only a\n"
          "                 device provisioned with legacy models allowed runs (kept for\n"
          "                 old devices and to measure the old lock in make security)\n"
          "  --rows R, --cols C\n"
          "                 geometry of an unlocked model (no --keys; default %ux%u)\n"
          "  --force        overwrite --out\n",
          KGMAC_DEFAULT_ROWS, KGMAC_DEFAULT_COLS);
}

static int parse_crypt(const char *s, uint32_t *crypt) {
  if (strcmp(s, "deeplock") == 0)
    *crypt = KGM_CRYPT_DEEPLOCK;
  else if (strcmp(s, "ctr") == 0)
    *crypt = KGM_CRYPT_CTR;
  else if (strcmp(s, "none") == 0)
    *crypt = KGM_CRYPT_NONE;
  else {
    kg_err(CMD, "--crypt must be deeplock, ctr or none, not '%s'", s);
    return KG_EXIT_USAGE;
  }
  return KG_EXIT_OK;
}

static int run(int argc, char **argv) {
  const char *model = NULL, *keys_path = NULL, *out = NULL, *crypt_s = NULL;
  const char *rows_s = NULL, *cols_s = NULL, *format_s = NULL;
  int no_sign = 0, force = 0;
  const kg_opt opts[] = {{"model", 1, &model, NULL}, {"keys", 1, &keys_path, NULL},
                         {"out", 1, &out, NULL},     {"crypt", 1, &crypt_s, NULL},
                         {"rows", 1, &rows_s, NULL}, {"cols", 1, &cols_s, NULL},
                         {"no-sign", 0, NULL, &no_sign}, {"force", 0, NULL, &force},
                         {"format", 1, &format_s, NULL},
                         {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!model || !*model || !out || !*out) {
    kg_err(CMD, "--model MODEL.kgq and --out MODEL.kgm are required");
    return KG_EXIT_USAGE;
  }
  uint32_t crypt = KGM_CRYPT_CTR;
  if (crypt_s && parse_crypt(crypt_s, &crypt)) return KG_EXIT_USAGE;
  uint32_t format = KGM_VERSION;
  if (format_s && kg_parse_u32(CMD, "format", format_s, KGM_VERSION_MIN, KGM_VERSION, &format))
    return KG_EXIT_USAGE;
  const int sign = !no_sign;
  const int need_keys = sign || crypt != KGM_CRYPT_NONE;
  if (need_keys && !keys_path) {
    kg_err(CMD, "--keys KEYS.kgk is required (only --crypt none --no-sign needs no key)");
    return KG_EXIT_USAGE;
  }
  if (keys_path && (rows_s || cols_s)) {
    kg_err(CMD, "--rows/--cols are only for a keyless lock; the geometry comes from --keys");
    return KG_EXIT_USAGE;
  }
  uint32_t rows = KGMAC_DEFAULT_ROWS, cols = KGMAC_DEFAULT_COLS;
  if (rows_s && kg_parse_u32(CMD, "rows", rows_s, 1, 1024, &rows)) return KG_EXIT_USAGE;
  if (cols_s && kg_parse_u32(CMD, "cols", cols_s, 1, 1024, &cols)) return KG_EXIT_USAGE;
  if (kg_out_ok(CMD, out, force) != KG_EXIT_OK) return KG_EXIT_FAIL;

  kg_keys keys;
  memset(&keys, 0, sizeof keys);
  if (keys_path && kg_cli_read_keys(CMD, keys_path, &keys, &rows, &cols) != KG_EXIT_OK)
    return KG_EXIT_FAIL;
  if (need_keys && keys.aes_len == 0) {
    kg_err(CMD, "key file %s has no AES key (a locked model's keys derive from it)", keys_path);
    kg_keys_wipe(&keys);
    return KG_EXIT_FAIL;
  }

  if (crypt == KGM_CRYPT_DEEPLOCK)
    fprintf(stderr,
            "kgmac lock: warning: deeplock is not secure: one known 16-byte run of the weight "
            "image (24 or 32 bytes with AES-192/256) gives the model's weight key "
            "(docs/security.md); use --crypt ctr\n");

  int ret = KG_EXIT_FAIL;
  char detail[KG_DETAIL_LEN > KGML_DETAIL_LEN ? KG_DETAIL_LEN : KGML_DETAIL_LEN] = "";
  kg_qmodel q;
  kgm_model m;
  memset(&q, 0, sizeof q);
  memset(&m, 0, sizeof m);
  int rc = kg_qmodel_load(&q, model, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load %s: %s (%s)", model, kgml_strerror(rc), detail);
    goto done;
  }
  kglock_opts lo;
  memset(&lo, 0, sizeof lo);
  lo.rows = rows;
  lo.cols = cols;
  lo.crypt = crypt;
  lo.sign = sign;
  lo.keys = need_keys ? &keys : NULL;
  lo.nonce = NULL;
  lo.version = format;
  rc = kglock_model(&q, &lo, &m, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "cannot lock %s for %ux%u: %s (%s)", model, rows, cols, kg_strerror(rc), detail);
    goto done;
  }
  rc = kgm_save_file(&m, out, force, detail);
  if (rc != KG_OK) {
    kg_out_error(CMD, out, rc, detail);
    goto done;
  }
  char aes[16] = "";
  if (crypt != KGM_CRYPT_NONE) snprintf(aes, sizeof aes, " AES-%u", keys.aes_len * 8);
  printf("locked %s -> %s: version %u, %u layers for %ux%u, sign %s, crypt %s%s, auth %s, %zu "
         "weight bytes\n",
         model, out, m.version, m.n_layers, rows, cols, sign ? "on" : "off",
         kgm_crypt_name(crypt), aes, (m.flags & KGM_FLAG_AUTH) ? "on" : "off", m.wimg_len);
  ret = KG_EXIT_OK;
done:
  kgm_model_free(&m);
  kg_qmodel_free(&q);
  kg_keys_wipe(&keys);
  return ret;
}

const kg_cmd kg_cmd_lock = {"lock", "lock and encrypt an int8 model (.kgq -> .kgm)", run, help};
