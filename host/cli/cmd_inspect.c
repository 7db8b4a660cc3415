/* kgmac inspect: print a .kgm's header, lock modes and layers (no key). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "kgmac/kgm.h"

static const char *const CMD = "inspect";

static void help(FILE *out) {
  fputs("usage: kgmac inspect MODEL.kgm [--json]\n"
        "\n"
        "Validate a locked model file (magic, version, flags, CRC-32C and every field,\n"
        "offset and size) and print its header, lock modes (sign key, decrypt mode,\n"
        "AES key size), nonce, key check value, input quantization, the layer table\n"
        "(type, tensor shapes, kernel/stride/pad, ReLU, GEMM K x N, weight bytes and\n"
        "keystream position) and the CRC. The header and layer table are never\n"
        "encrypted, so no key is needed.\n"
        "\n"
        "  --json   one JSON object instead of text\n"
        "\n"
        "A malformed file gives exit status 1 and the reader's error message.\n",
        out);
}

static uint64_t layer_macs(const kgm_layer *L) {
  const uint64_t m = L->type == KGM_LAYER_CONV ? (uint64_t)L->out_h * L->out_w : 1u;
  return m * L->K * L->N;
}

static void print_text(const char *path, long long size, const kgm_model *m) {
  uint64_t macs = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) macs += layer_macs(&m->layers[l]);
  printf("%s: kgmac locked model, format version %u, %lld bytes\n", path, m->version, size);
  printf("  geometry    %ux%u (locked for an array of %u rows x %u columns)\n", m->rows, m->cols,
         m->rows, m->cols);
  printf("  flags       0x%08x\n", m->flags);
  printf("  sign lock   %s\n", (m->flags & KGM_FLAG_SIGN) ? "on" : "off");
  if (m->flags & KGM_FLAG_AUTH) {
    printf("  AUTH        on: per-model keys, tag over bytes [0, %u) (auth_size %u)\n",
           m->auth_size, m->auth_size);
    printf("  tag         ");
    kg_hex(stdout, m->tag, sizeof m->tag);
    printf(" (AES-CMAC; only the device can check it)\n");
  } else {
    printf("  AUTH        off%s\n", m->version < 2u && (m->crypt != KGM_CRYPT_NONE ||
                                                         (m->flags & KGM_FLAG_SIGN))
                                        ? " (version 1: the device keys directly; refused "
                                          "unless the device allows legacy models)"
                                        : "");
  }
  if (m->crypt == KGM_CRYPT_NONE)
    printf("  crypt       none\n");
  else
    printf("  crypt       %s, AES-%u\n", kgm_crypt_name(m->crypt), m->aes_len * 8);
  printf("  nonce       ");
  kg_hex(stdout, m->nonce, sizeof m->nonce);
  printf("\n  KCV         ");
  kg_hex(stdout, m->kcv, sizeof m->kcv);
  printf("\n  input       %ux%ux%u int8, scale %.9g", m->in_h, m->in_w, m->in_c,
         (double)m->in_scale);
  if (m->in_scale > 0.0f) printf(" (1/%.6g)", 1.0 / (double)m->in_scale);
  printf(", zero point %d\n", m->in_zero);
  printf("  sections    %zu parameter bytes, %zu weight-image bytes\n", m->params_len,
         m->wimg_len);
  printf("  MACs        %llu per inference\n", (unsigned long long)macs);
  printf("  CRC-32C     0x%08x (verified)\n", m->crc);
  printf("  layers      %u\n", m->n_layers);
  printf("  %-3s %-4s %-12s %-12s %-10s %-4s %7s %6s %9s %9s %8s\n", "#", "type", "input",
         "output", "k/s/pad", "relu", "K", "N", "w_bytes", "ks_pos", "p_off");
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgm_layer *L = &m->layers[l];
    char in[40], outs[40], kern[32];
    snprintf(in, sizeof in, "%ux%ux%u", L->in_h, L->in_w, L->in_c);
    snprintf(outs, sizeof outs, "%ux%ux%u", L->out_h, L->out_w, L->out_c);
    if (L->type == KGM_LAYER_CONV)
      snprintf(kern, sizeof kern, "%ux%u/%u/%u", L->kh, L->kw, L->stride, L->pad);
    else
      snprintf(kern, sizeof kern, "-");
    printf("  %-3u %-4s %-12s %-12s %-10s %-4s %7u %6u %9u %9u %8u\n", l,
           L->type == KGM_LAYER_CONV ? "conv" : "fc", in, outs, kern, L->relu ? "yes" : "no",
           L->K, L->N, L->w_len, L->w_off, L->p_off);
  }
}

static void print_json(const char *path, long long size, const kgm_model *m) {
  printf("{\"file\": ");
  kg_json_str(stdout, path);
  printf(", \"bytes\": %lld, \"version\": %u, \"flags\": %u, \"rows\": %u, \"cols\": %u,\n", size,
         m->version, m->flags, m->rows, m->cols);
  printf(" \"sign\": %s, \"crypt\": \"%s\", \"aes_bits\": %u, \"nonce\": \"",
         (m->flags & KGM_FLAG_SIGN) ? "true" : "false", kgm_crypt_name(m->crypt),
         m->aes_len * 8);
  kg_hex(stdout, m->nonce, sizeof m->nonce);
  printf("\", \"kcv\": \"");
  kg_hex(stdout, m->kcv, sizeof m->kcv);
  printf("\", \"auth\": %s, \"auth_size\": %u, \"tag\": \"",
         (m->flags & KGM_FLAG_AUTH) ? "true" : "false", m->auth_size);
  kg_hex(stdout, m->tag, sizeof m->tag);
  printf("\",\n \"input\": {\"h\": %u, \"w\": %u, \"c\": %u, \"scale\": %.9g, \"zero\": %d},\n",
         m->in_h, m->in_w, m->in_c, (double)m->in_scale, m->in_zero);
  printf(" \"params_bytes\": %zu, \"weight_bytes\": %zu, \"crc32c\": \"0x%08x\",\n",
         m->params_len, m->wimg_len, m->crc);
  printf(" \"layers\": [");
  uint64_t macs = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgm_layer *L = &m->layers[l];
    macs += layer_macs(L);
    printf("%s\n  {\"type\": \"%s\", \"in\": [%u, %u, %u], \"out\": [%u, %u, %u], "
           "\"kernel\": [%u, %u], \"stride\": %u, \"pad\": %u, \"relu\": %s, \"K\": %u, "
           "\"N\": %u, \"weight_bytes\": %u, \"keystream_pos\": %u, \"param_off\": %u, "
           "\"out_scale\": %.9g, \"macs\": %llu}",
           l ? "," : "", L->type == KGM_LAYER_CONV ? "conv" : "fc", L->in_h, L->in_w, L->in_c,
           L->out_h, L->out_w, L->out_c, L->kh, L->kw, L->stride, L->pad,
           L->relu ? "true" : "false", L->K, L->N, L->w_len, L->w_off, L->p_off,
           (double)L->out_scale, (unsigned long long)layer_macs(L));
  }
  printf("],\n \"macs\": %llu}\n", (unsigned long long)macs);
}

static int run(int argc, char **argv) {
  int json = 0;
  const char *path = NULL;
  /* One positional argument: the model file. */
  char *rest[64];
  int nrest = 0;
  for (int i = 0; i < argc; i++) {
    if (i > 0 && strncmp(argv[i], "--", 2) != 0) {
      if (path) {
        kg_err(CMD, "one model file only ('%s' and '%s')", path, argv[i]);
        return KG_EXIT_USAGE;
      }
      path = argv[i];
      continue;
    }
    if (nrest == (int)(sizeof rest / sizeof rest[0])) {
      kg_err(CMD, "too many arguments");
      return KG_EXIT_USAGE;
    }
    rest[nrest++] = argv[i];
  }
  const kg_opt opts[] = {{"json", 0, NULL, &json}, {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, nrest, rest, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!path || !*path) {
    kg_err(CMD, "a model file is required: kgmac inspect MODEL.kgm");
    return KG_EXIT_USAGE;
  }
  kgm_model m;
  char detail[KG_DETAIL_LEN] = "";
  const int rc = kgm_load_file(&m, path, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "%s: %s (%s) (status %d)", path, kg_strerror(rc), detail, rc);
    return KG_EXIT_FAIL;
  }
  struct stat st;
  const long long size = stat(path, &st) == 0 ? (long long)st.st_size : -1;
  if (json)
    print_json(path, size, &m);
  else
    print_text(path, size, &m);
  kgm_model_free(&m);
  return KG_EXIT_OK;
}

const kg_cmd kg_cmd_inspect = {"inspect", "print a .kgm's header, lock modes and layers (no key)",
                               run, help};
