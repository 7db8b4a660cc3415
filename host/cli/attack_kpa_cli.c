/* kgmac attack padding-kpa: Deep-Lock key recovery from a .kgm file alone. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kg.h"
#include "cmd_attack.h"
#include "kgmac/keyfile.h"
#include "kgml/kgq.h"

static const char *const CMD = "attack padding-kpa";

static void help(FILE *out) {
  fputs("usage: kgmac attack padding-kpa MODEL.kgm [--known PUBLIC.kgq [--known-layer L]]\n"
        "                                [--out OPENED.kgm [--force]] [--images F --labels F [--count N]]\n"
        "                                [--victim-keys KEYS.kgk] [--json]\n"
        "\n"
        "Known-plaintext key recovery against Deep-Lock (crypt deeplock). The weight\n"
        "image is c = S(b ^ ks[p]) with ks the extended AES key schedule, so every byte\n"
        "whose plaintext b is known gives ks[p] = InvS(c) ^ b. The format itself gives\n"
        "known plaintext, found from the header and layer table alone: the zero padding\n"
        "of partial tiles (rows past K, columns past N, tile tails) and the zero rows of\n"
        "an FC layer after a convolution. Nk whole known schedule words are run\n"
        "backwards to the master key, which is checked against the header's KCV.\n"
        "On a CTR file the same bytes give only keystream at those positions: no key.\n"
        "\n"
        "  --known F.kgq      a public model whose layer L the victim copied (its weights\n"
        "                     become known plaintext; with a sign-locked file only |w| is\n"
        "                     known, each nonzero weight giving two candidates)\n"
        "  --known-layer L    that layer's index (default 0)\n"
        "  --out F.kgm        write the model opened with the recovered key (crypt none;\n"
        "                     still sign-locked if it was)\n"
        "  --force            replace an existing --out file (never a non-regular one)\n"
        "  --images/--labels  gzipped IDX files: report the opened model's accuracy (host\n"
        "                     simulation; a sign-locked model runs with the all-zero sign\n"
        "                     key, which is what the AES key alone gives)\n"
        "  --count N          images to use (default all)\n"
        "  --victim-keys K    harness only, after the attack: decrypt the image with the\n"
        "                     victim's keys and count how many of the padding bytes the\n"
        "                     attack assumed to be 0 really are (version 1: all of them;\n"
        "                     version 2 fills them with random bytes: about 1 in 256)\n"
        "  --json             one JSON object on stdout\n"
        "\n"
        "exit status: 0 key recovered and KCV verified, 1 no key (e.g. a CTR file) or\n"
        "an error, 2 usage error\n",
        out);
}

static void print_text(const char *path, const kga_kpa_result *r) {
  printf("padding-kpa %s: crypt %s\n", path, kgm_crypt_name(r->crypt));
  printf("  known plaintext  %llu bytes (%llu of them format padding)\n",
         (unsigned long long)r->known_bytes, (unsigned long long)r->padding_bytes);
  if (r->crypt == KGM_CRYPT_DEEPLOCK)
    printf("  derived          %llu schedule bytes through the key-schedule recurrence\n",
           (unsigned long long)r->ks_derived);
  if (r->crypt == KGM_CRYPT_DEEPLOCK)
    printf("  windows          %llu of Nk whole known words; %llu candidate keys tried\n",
           (unsigned long long)r->windows, (unsigned long long)r->candidates);
  if (r->success) {
    printf("  key              ");
    kg_hex(stdout, r->key, r->key_len);
    printf("\n  KCV check        %s\n", r->kcv_ok ? "matches the header" : "MISMATCH");
    printf("  keystream check  %llu known bytes re-derived, %llu disagree\n",
           (unsigned long long)r->ks_checked, (unsigned long long)r->ks_mismatch);
  } else if (r->ks_learnt) {
    printf("  keystream learnt %llu bytes; first at image offset %llu: ",
           (unsigned long long)r->ks_learnt, (unsigned long long)r->ks_first_pos);
    kg_hex(stdout, r->ks_first, r->ks_first_len);
    printf("\n");
  }
  printf("  time             %.3f s\n", r->seconds);
  printf("  result           %s\n", r->reason);
}

/* Harness-side scoring: how many of the format's padding bytes are really 0
 * in the plaintext image (decrypted with the victim's weight key: the
 * device key for version 1, the model's derived key for version 2). */
static int score_padding(const kgm_model *m, const char *keys_path, uint64_t *zero,
                         uint64_t *total) {
  kg_keys keys;
  uint32_t rows = 0, cols = 0;
  if (kg_cli_read_keys(CMD, keys_path, &keys, &rows, &cols) != KG_EXIT_OK) return KG_EXIT_FAIL;
  uint8_t *img = malloc(m->wimg_len ? m->wimg_len : 1), *mask = calloc(m->wimg_len + 1, 1);
  kg_model_keys mk;
  int ok = img && mask &&
           (m->crypt == KGM_CRYPT_NONE ||
            cli_attack_victim_keys(&keys, m->version, m->nonce, m->rows * m->cols, &mk) == KG_OK);
  if (m->crypt == KGM_CRYPT_NONE) memset(&mk, 0, sizeof mk);
  if (ok) {
    memcpy(img, m->wimg, m->wimg_len);
    ok = m->crypt == KGM_CRYPT_NONE ||
         kg_crypt_decrypt((int)m->crypt, &mk.enc, m->nonce, 0, img, m->wimg_len) == KG_AES_OK;
  }
  if (ok) {
    *total = kga_padding_mask(m, mask);
    *zero = 0;
    for (size_t p = 0; p < m->wimg_len; p++) *zero += mask[p] && img[p] == 0;
  } else {
    kg_err(CMD, "cannot decrypt the image with %s", keys_path);
  }
  kg_model_keys_wipe(&mk);
  kg_keys_wipe(&keys);
  free(img);
  free(mask);
  return ok ? KG_EXIT_OK : KG_EXIT_FAIL;
}

static void print_json(const char *path, const kga_kpa_result *r, int have_acc, double acc,
                       uint32_t count, int scored, uint64_t pad_zero) {
  printf("{\"attack\": \"padding-kpa\", \"file\": ");
  kg_json_str(stdout, path);
  printf(", \"crypt\": \"%s\", \"success\": %s, \"known_bytes\": %llu, \"padding_bytes\": %llu,"
         " \"derived_bytes\": %llu, \"windows\": %llu, \"candidates\": %llu, \"key\": \"",
         kgm_crypt_name(r->crypt), r->success ? "true" : "false",
         (unsigned long long)r->known_bytes, (unsigned long long)r->padding_bytes,
         (unsigned long long)r->ks_derived, (unsigned long long)r->windows,
         (unsigned long long)r->candidates);
  if (r->success) kg_hex(stdout, r->key, r->key_len);
  printf("\", \"kcv_ok\": %s, \"ks_checked\": %llu, \"ks_mismatch\": %llu, \"ks_learnt\": %llu,"
         " \"seconds\": %.6f, ",
         r->kcv_ok ? "true" : "false", (unsigned long long)r->ks_checked,
         (unsigned long long)r->ks_mismatch, (unsigned long long)r->ks_learnt, r->seconds);
  if (have_acc) printf("\"accuracy\": %.6f, \"images\": %u, ", acc, count);
  if (scored) printf("\"padding_zero\": %llu, ", (unsigned long long)pad_zero);
  printf("\"version\": %u, \"reason\": ", r->version);
  kg_json_str(stdout, r->reason);
  printf("}\n");
}

/* --known: layer L of a public .kgq as known plaintext. */
static int load_known(const char *path, const char *layer_s, kg_qmodel *q, kga_known_layer *kl) {
  char detail[KG_DETAIL_LEN] = "";
  uint32_t layer = 0;
  if (layer_s && kg_parse_u32(CMD, "known-layer", layer_s, 0, 63, &layer) != KG_EXIT_OK)
    return KG_EXIT_USAGE;
  const int rc = kg_qmodel_load(q, path, detail);
  if (rc != 0) {
    kg_err(CMD, "--known %s: %s (%s)", path, kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  if (layer >= q->n_layers) {
    kg_err(CMD, "--known %s has %u layers, no layer %u", path, q->n_layers, layer);
    return KG_EXIT_USAGE;
  }
  kl->layer = layer;
  kl->K = q->layers[layer].K;
  kl->N = q->layers[layer].N;
  kl->W = q->layers[layer].W;
  return KG_EXIT_OK;
}

int cli_attack_padding_kpa(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      help(stdout);
      return KG_EXIT_OK;
    }
  const char *path = NULL, *known = NULL, *known_layer = NULL, *out = NULL, *images = NULL,
             *labels = NULL, *count_s = NULL, *victim_keys = NULL;
  int json = 0, force = 0;
  /* The model file comes first: kgmac attack padding-kpa MODEL.kgm [options]. */
  if (argc > 1 && strncmp(argv[1], "--", 2) != 0) {
    path = argv[1];
    argv[1] = argv[0];
    argc--;
    argv++;
  }
  const kg_opt opts[] = {{"known", 1, &known, NULL},   {"known-layer", 1, &known_layer, NULL},
                         {"out", 1, &out, NULL},       {"images", 1, &images, NULL},
                         {"labels", 1, &labels, NULL}, {"count", 1, &count_s, NULL},
                         {"json", 0, NULL, &json},     {"force", 0, NULL, &force},
                         {"victim-keys", 1, &victim_keys, NULL},
                         {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!path || !*path) {
    kg_err(CMD, "a model file is required: kgmac attack padding-kpa MODEL.kgm");
    return KG_EXIT_USAGE;
  }
  if (!images != !labels) {
    kg_err(CMD, "--images and --labels go together");
    return KG_EXIT_USAGE;
  }
  if (known_layer && !known) {
    kg_err(CMD, "--known-layer needs --known");
    return KG_EXIT_USAGE;
  }
  uint32_t count = 0;
  if (count_s && kg_parse_u32(CMD, "count", count_s, 1, 100000, &count) != KG_EXIT_OK)
    return KG_EXIT_USAGE;

  kg_qmodel q;
  memset(&q, 0, sizeof q);
  kga_known_layer kl;
  int status = KG_EXIT_OK;
  if (known && (status = load_known(known, known_layer, &q, &kl)) != KG_EXIT_OK) return status;
  kgm_model m;
  char detail[KG_DETAIL_LEN] = "";
  int rc = kgm_load_file(&m, path, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "%s: %s (%s) (status %d)", path, kg_strerror(rc), detail, rc);
    kg_qmodel_free(&q);
    return KG_EXIT_FAIL;
  }
  cli_attack_bar bar;
  cli_attack_bar_init(&bar);
  kga_kpa_result res;
  char adetail[KGA_DETAIL_LEN] = "";
  rc = kga_padding_kpa(&m, known ? &kl : NULL, known ? 1u : 0u, &bar.prog, &res, adetail);
  cli_attack_bar_done(&bar);
  int have_acc = 0;
  double acc = 0.0;
  uint64_t pad_zero = 0, pad_total = 0;
  if (rc != KG_OK) {
    kg_err(CMD, "%s: %s (%s)", path, kg_strerror(rc), adetail);
    status = KG_EXIT_FAIL;
    goto done;
  }
  if (victim_keys && score_padding(&m, victim_keys, &pad_zero, &pad_total) != KG_EXIT_OK) {
    status = KG_EXIT_FAIL;
    goto done;
  }
  if (res.success && (out || images)) {
    rc = kga_decrypt_model(&m, res.key, res.key_len, adetail);
    if (rc != KG_OK) {
      kg_err(CMD, "cannot open the model with the recovered key: %s", adetail);
      status = KG_EXIT_FAIL;
      goto done;
    }
    if (out && (rc = kgm_save_file(&m, out, force, detail)) != KG_OK) {
      kg_err(CMD, "cannot write %s: %s (%s)", out, kg_strerror(rc), detail);
      status = KG_EXIT_FAIL;
      goto done;
    }
    if (images) {
      kgml_dataset ds;
      rc = kgml_dataset_load_files(images, labels, &ds, detail);
      if (rc != 0) {
        kg_err(CMD, "cannot read the images: %s (%s)", kgml_strerror(rc), detail);
        status = KG_EXIT_FAIL;
        goto done;
      }
      if (!count || count > ds.n) count = ds.n;
      rc = cli_attack_accuracy(&m, NULL, &ds, count, NULL, &acc);
      kgml_dataset_free(&ds);
      if (rc != KG_OK) {
        kg_err(CMD, "cannot run the opened model on the images: %s", kg_strerror(rc));
        status = KG_EXIT_FAIL;
        goto done;
      }
      have_acc = 1;
    }
  }
  if (json) {
    print_json(path, &res, have_acc, acc, count, victim_keys != NULL, pad_zero);
  } else {
    print_text(path, &res);
    if (victim_keys)
      printf("  padding really 0 %llu of %llu bytes (scored with the victim's keys)\n",
             (unsigned long long)pad_zero, (unsigned long long)pad_total);
    if (have_acc)
      printf("  opened model     %.2f%% on %u images%s\n", 100.0 * acc, count,
             (m.flags & KGM_FLAG_SIGN) ? " (still sign-locked: all-zero sign key)" : "");
    if (out) printf("  wrote            %s (crypt none)\n", out);
  }
  if (!res.success) {
    kg_err(CMD, "no key: %s", res.reason);
    status = KG_EXIT_FAIL;
  }
done:
  kgm_model_free(&m);
  kg_qmodel_free(&q);
  return status;
}
