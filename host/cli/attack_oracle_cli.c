/* kgmac attack sign-oracle: recover the sign key from a provisioned device. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kg.h"
#include "kgmac/file_io.h"
#include "cmd_attack.h"

static const char *const CMD = "attack sign-oracle";

static void help(FILE *out) {
  fputs("usage: kgmac attack sign-oracle --setting crafted|image|io --victim-keys KEYS.kgk\n"
        "                                [--model VICTIM.kgm] [--backend model|rtl]\n"
        "                                [--policy refuse|run] [--legacy]\n"
        "                                [--aes-key HEX] [--queries N] [--validate N]\n"
        "                                [--sweeps N] [--restarts N] [--seed S]\n"
        "                                [--images F --labels F] [--count N] [--json]\n"
        "\n"
        "Recover the RxC sign key from a device whose vault holds it. The victim's\n"
        "setup (this command, not the attack) opens the back-end, provisions it from\n"
        "--victim-keys and, for the image and I/O settings, loads --model on it. The\n"
        "attack then sees only the device: its API, its registers and its memory.\n"
        "  crafted  the attacker writes his own unencrypted FC layer with the SIGN flag\n"
        "           set (all-ones weights, R one-hot inputs) into device memory and runs\n"
        "           it: one run reads every bit the device applies.\n"
        "  image    the same layer written over the victim's loaded, authenticated\n"
        "           model image in device memory, run at its weight offset with its\n"
        "           crypt mode (the attacker who rewrites memory after VERIFY).\n"
        "  io       the attacker can only run the victim's model on chosen inputs and\n"
        "           read its int8 outputs; the model must be readable in clear (a\n"
        "           sign-only file, or one opened with --aes-key from padding-kpa). The\n"
        "           key is searched bit by bit until a bit-exact host simulation of the\n"
        "           model reproduces every observed output (docs/security.md).\n"
        "Afterwards the harness scores the recovered key against --victim-keys (for the\n"
        "image and I/O settings on a version-2 model: the model's effective sign key,\n"
        "derived from them) and, with\n"
        "--model, runs the victim's model under the recovered key (host simulation of\n"
        "the file) against the victim's device outputs on --count inputs (test images\n"
        "with --images/--labels, else random inputs): agreement and accuracy.\n"
        "\n"
        "  --aes-key HEX   the attacker's AES key for an encrypted --model (padding-kpa)\n"
        "  --as-stored     io on an encrypted --model without its key: take the stored\n"
        "                  (encrypted) weight bytes for the weights, the thief's best guess\n"
        "  --queries N     io: chosen inputs for the search (default 64)\n"
        "  --validate N    io: fresh inputs to confirm the key (default 64)\n"
        "  --sweeps N      io: coordinate-descent passes per descent (default 8)\n"
        "  --restarts N    io: restarts from a perturbed best key (default 16)\n"
        "  --seed S        io: input generator seed (default 1)\n"
        "  --count N       verification inputs (default 1000)\n"
        "  --backend B     the victim's device: model (default) or rtl\n"
        "  --policy P      the victim's wrong-key policy: refuse (default) or run\n"
        "  --legacy        the victim's device accepts version-1 (unauthenticated) models\n"
        "  --json          one JSON object on stdout\n"
        "\n"
        "exit status: 0 every key bit recovered, 1 the attack fell short or an error,\n"
        "2 usage error\n",
        out);
}

typedef struct verify {
  int done;
  uint32_t count;
  uint32_t agree;       /* inputs whose every output matches the victim's device */
  int labelled;
  double acc_device;    /* the victim's device (right key) */
  double acc_recovered; /* the file under the recovered key */
  double acc_zero;      /* the file under the all-zero key (no key at all) */
} verify;

/* Victim's outputs vs the file simulated under the recovered key. */
static int run_verify(kg_model *victim, const kgm_model *clear, const uint8_t *key,
                      const char *images, const char *labels, uint32_t count, verify *v) {
  const uint32_t isz = kga_model_input_size(clear), osz = kga_model_output_size(clear);
  kgml_dataset ds;
  memset(&ds, 0, sizeof ds);
  char detail[KG_DETAIL_LEN] = "";
  int8_t *in = NULL;
  if (images) {
    int rc = kgml_dataset_load_files(images, labels, &ds, detail);
    if (rc != 0) {
      kg_err(CMD, "cannot read the images: %s (%s)", kgml_strerror(rc), detail);
      return KG_EXIT_FAIL;
    }
    if (count > ds.n) count = ds.n;
    in = cli_attack_inputs(clear, &ds, count);
  } else {
    in = malloc((size_t)count * isz);
    uint64_t s = 0x5eed;
    for (size_t i = 0; in && i < (size_t)count * isz; i++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      in[i] = (int8_t)((s >> 40) % 128u);
    }
  }
  int8_t *dev_out = malloc((size_t)count * osz), *sim = malloc((size_t)count * osz);
  int status = KG_EXIT_OK;
  if (!in || !dev_out || !sim) {
    kg_err(CMD, "out of memory (or images of the wrong size) for %u verification inputs", count);
    status = KG_EXIT_FAIL;
    goto out;
  }
  int rc = kg_infer(victim, in, count, dev_out);
  if (rc == KG_OK) rc = kga_model_forward(clear, key, in, count, sim, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "verification run failed: %s (%s)", kg_strerror(rc), detail);
    status = KG_EXIT_FAIL;
    goto out;
  }
  v->done = 1;
  v->count = count;
  uint32_t right_dev = 0, right_rec = 0;
  for (uint32_t i = 0; i < count; i++) {
    const int8_t *a = dev_out + (size_t)i * osz, *b = sim + (size_t)i * osz;
    v->agree += memcmp(a, b, osz) == 0;
    uint32_t pa = 0, pb = 0;
    for (uint32_t c = 1; c < osz; c++) {
      if (a[c] > a[pa]) pa = c;
      if (b[c] > b[pb]) pb = c;
    }
    if (images) {
      right_dev += pa == ds.labels[i];
      right_rec += pb == ds.labels[i];
    }
  }
  if (images) {
    v->labelled = 1;
    v->acc_device = (double)right_dev / count;
    v->acc_recovered = (double)right_rec / count;
    if (cli_attack_accuracy(clear, NULL, &ds, count, NULL, &v->acc_zero) != KG_OK)
      v->acc_zero = -1.0;
  }
out:
  free(in);
  free(dev_out);
  free(sim);
  kgml_dataset_free(&ds);
  return status;
}

/* The sign key the attack should have found: the device key, or for a
 * version-2 model attacked through its own image or outputs, the model's
 * effective key Sd ^ Ms (docs/spec.md 11.1), derived here on the harness
 * side from the key file and the model's nonce. */
static int truth_key(const kg_keys *keys, int per_model, const uint8_t nonce[12], uint32_t bits,
                     uint8_t *out) {
  kg_model_keys mk;
  const int rc = cli_attack_victim_keys(keys, per_model ? 2u : 1u, nonce, bits, &mk);
  if (rc == KG_OK) kg_model_sign_key(&mk, keys->sign_key, bits, out);
  kg_model_keys_wipe(&mk);
  return rc;
}

static uint32_t bits_correct(const kga_sign_result *r, const uint8_t *truth) {
  uint32_t ok = 0;
  for (uint32_t b = 0; b < r->bits; b++)
    ok += ((r->key[b / 8] ^ truth[b / 8]) >> (b % 8) & 1u) == 0;
  return ok;
}

static void print_text(const char *setting, const kga_sign_result *r, uint32_t correct,
                       const verify *v) {
  printf("sign-oracle (%s setting): %ux%u sign key\n", setting, r->rows, r->cols);
  printf("  queries          %llu %s in %llu device run(s)\n", (unsigned long long)r->queries,
         strcmp(setting, "crafted") == 0 ? "crafted-layer run(s)" : "chosen inputs",
         (unsigned long long)r->device_runs);
  if (strcmp(setting, "io") == 0)
    printf("  search           %u pass(es), %u restart(s), %llu hypotheses simulated, "
           "distance left %llu\n",
           r->sweeps, r->restarts, (unsigned long long)r->hypotheses,
           (unsigned long long)r->mismatch);
  printf("  bits decided     %u of %u\n", r->bits_decided, r->bits);
  printf("  key              ");
  kg_hex(stdout, r->key, (r->bits + 7) / 8);
  printf("\n  bits correct     %u of %u (scored by the harness against the key file)\n",
         correct, r->bits);
  printf("  time             %.3f s\n", r->seconds);
  printf("  result           %s\n", r->reason);
  if (v->done) {
    printf("  verification     %u of %u inputs give the victim device's outputs exactly\n",
           v->agree, v->count);
    if (v->labelled)
      printf("  accuracy         %.2f%% recovered key, %.2f%% victim device (right key), "
             "%.2f%% no key\n",
             100.0 * v->acc_recovered, 100.0 * v->acc_device, 100.0 * v->acc_zero);
  }
}

static void print_json(const char *setting, const kga_sign_result *r, uint32_t correct,
                       const verify *v) {
  printf("{\"attack\": \"sign-oracle\", \"setting\": \"%s\", \"rows\": %u, \"cols\": %u, "
         "\"success\": %s, \"bits\": %u, \"bits_decided\": %u, \"bits_correct\": %u, "
         "\"queries\": %llu, \"device_runs\": %llu, \"hypotheses\": %llu, \"sweeps\": %u, \"restarts\": %u, "
         "\"distance\": %llu, \"seconds\": %.6f, \"key\": \"",
         setting, r->rows, r->cols, r->success ? "true" : "false", r->bits, r->bits_decided,
         correct, (unsigned long long)r->queries, (unsigned long long)r->device_runs,
         (unsigned long long)r->hypotheses, r->sweeps, r->restarts, (unsigned long long)r->mismatch,
         r->seconds);
  kg_hex(stdout, r->key, (r->bits + 7) / 8);
  printf("\", ");
  if (v->done) {
    printf("\"verify_inputs\": %u, \"verify_agree\": %u, ", v->count, v->agree);
    if (v->labelled)
      printf("\"acc_recovered\": %.6f, \"acc_device\": %.6f, \"acc_no_key\": %.6f, ",
             v->acc_recovered, v->acc_device, v->acc_zero);
  }
  printf("\"reason\": ");
  kg_json_str(stdout, r->reason);
  printf("}\n");
}

int cli_attack_sign_oracle(int argc, char **argv) {
  for (int i = 1; i < argc; i++)
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      help(stdout);
      return KG_EXIT_OK;
    }
  const char *setting = NULL, *keys_path = NULL, *model_path = NULL, *backend = "model",
             *aes_hex = NULL, *q_s = NULL, *v_s = NULL, *sw_s = NULL, *seed_s = NULL, *rs_s = NULL,
             *images = NULL, *labels = NULL, *count_s = NULL, *policy = "refuse";
  int json = 0, legacy = 0, as_stored = 0;
  const kg_opt opts[] = {
      {"setting", 1, &setting, NULL}, {"victim-keys", 1, &keys_path, NULL},
      {"model", 1, &model_path, NULL}, {"backend", 1, &backend, NULL},
      {"aes-key", 1, &aes_hex, NULL},  {"queries", 1, &q_s, NULL},
      {"validate", 1, &v_s, NULL},     {"sweeps", 1, &sw_s, NULL},
      {"seed", 1, &seed_s, NULL},      {"restarts", 1, &rs_s, NULL},
      {"images", 1, &images, NULL},
      {"labels", 1, &labels, NULL},    {"count", 1, &count_s, NULL},
      {"policy", 1, &policy, NULL},    {"legacy", 0, NULL, &legacy},
      {"as-stored", 0, NULL, &as_stored},
      {"json", 0, NULL, &json},        {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!setting || (strcmp(setting, "crafted") != 0 && strcmp(setting, "io") != 0 &&
                   strcmp(setting, "image") != 0)) {
    kg_err(CMD, "--setting crafted, image or io is required");
    return KG_EXIT_USAGE;
  }
  const int io = strcmp(setting, "io") == 0, image = strcmp(setting, "image") == 0;
  if (strcmp(policy, "refuse") != 0 && strcmp(policy, "run") != 0) {
    kg_err(CMD, "--policy must be refuse or run, not '%s'", policy);
    return KG_EXIT_USAGE;
  }
  if (!keys_path) {
    kg_err(CMD, "--victim-keys KEYS.kgk is required (the victim provisions his device with it)");
    return KG_EXIT_USAGE;
  }
  if ((io || image) && !model_path) {
    kg_err(CMD, "the %s setting needs the victim's --model", setting);
    return KG_EXIT_USAGE;
  }
  if (!images != !labels) {
    kg_err(CMD, "--images and --labels go together");
    return KG_EXIT_USAGE;
  }
  if (kg_cli_parse_backend(CMD, backend) != KG_EXIT_OK) return KG_EXIT_USAGE;
  kga_io_opts o = {64, 64, 8, 16, 1};
  uint32_t count = 1000;
  uint64_t seed = 1;
  if ((q_s && kg_parse_u32(CMD, "queries", q_s, 1, 65536, &o.queries) != KG_EXIT_OK) ||
      (v_s && kg_parse_u32(CMD, "validate", v_s, 1, 65536, &o.validate) != KG_EXIT_OK) ||
      (sw_s && kg_parse_u32(CMD, "sweeps", sw_s, 1, 1000, &o.max_sweeps) != KG_EXIT_OK) ||
      (rs_s && kg_parse_u32(CMD, "restarts", rs_s, 1, 100000, &o.restarts) != KG_EXIT_OK) ||
      (seed_s && kg_parse_u64(CMD, "seed", seed_s, &seed) != KG_EXIT_OK) ||
      (count_s && kg_parse_u32(CMD, "count", count_s, 1, 100000, &count) != KG_EXIT_OK))
    return KG_EXIT_USAGE;
  o.seed = seed;
  uint8_t aes[32];
  size_t aes_len = 0;
  if (aes_hex && cli_attack_parse_hex(aes_hex, aes, sizeof aes, &aes_len) != 0) {
    kg_err(CMD, "--aes-key must be 32, 48 or 64 hex digits");
    return KG_EXIT_USAGE;
  }

  /* The attacker's copy of the victim's file, opened if he has the AES key. */
  kgm_model clear;
  memset(&clear, 0, sizeof clear);
  int have_clear = 0;
  char detail[KG_DETAIL_LEN] = "";
  int rc;
  uint8_t *file = NULL, nonce[12] = {0};
  size_t file_len = 0;
  uint32_t file_version = 0;
  if (model_path) {
    rc = kgm_load_file(&clear, model_path, detail);
    if (rc == KG_OK && image) rc = kg_file_read(model_path, KGM_MAX_FILE, &file, &file_len, detail);
    if (rc != KG_OK) {
      kg_err(CMD, "%s: %s (%s)", model_path, kg_strerror(rc), detail);
      kgm_model_free(&clear);
      return KG_EXIT_FAIL;
    }
    memcpy(nonce, clear.nonce, sizeof nonce);
    file_version = clear.version;
    if (clear.crypt != KGM_CRYPT_NONE && aes_hex &&
        kga_decrypt_model(&clear, aes, (uint32_t)aes_len, detail) != KG_OK) {
      kg_err(CMD, "--aes-key: %s", detail);
      kgm_model_free(&clear);
      return KG_EXIT_FAIL;
    }
    if (clear.crypt != KGM_CRYPT_NONE && as_stored) clear.crypt = KGM_CRYPT_NONE;
    have_clear = clear.crypt == KGM_CRYPT_NONE;
    if (io && !have_clear) {
      kg_err(CMD, "%s is encrypted (%s): the io setting needs its weights in clear (give "
             "--aes-key, e.g. from padding-kpa, or --as-stored)", model_path, kgm_crypt_name(clear.crypt));
      kgm_model_free(&clear);
      return KG_EXIT_FAIL;
    }
  }

  /* Victim setup: his keys go into his device's vault; the attack never sees them. */
  kg_keys keys;
  uint32_t rows = 0, cols = 0;
  kg_dev *dev = NULL;
  kg_model *victim = NULL;
  int status = KG_EXIT_FAIL;
  if (kg_cli_read_keys(CMD, keys_path, &keys, &rows, &cols) != KG_EXIT_OK) goto done;
  keys.policy = strcmp(policy, "run") == 0 ? KG_KEY_POLICY_RUN : KG_KEY_POLICY_REFUSE;
  keys.legacy = (uint32_t)legacy;
  if (model_path && (clear.rows != rows || clear.cols != cols)) {
    kg_err(CMD, "%s is locked for %ux%u but the keys are for %ux%u", model_path, clear.rows,
           clear.cols, rows, cols);
    goto done;
  }
  if (kg_cli_open(CMD, backend, rows, cols, 0, &keys, &dev) != KG_EXIT_OK) goto done;
  if (model_path && kg_cli_model_load(CMD, dev, model_path, &victim, 0) != KG_OK) goto done;

  /* The attack. */
  cli_attack_bar bar;
  cli_attack_bar_init(&bar);
  kga_sign_result res;
  char adetail[KGA_DETAIL_LEN] = "";
  rc = io      ? kga_sign_oracle_io(victim, &clear, &o, &bar.prog, &res, adetail)
       : image ? kga_sign_oracle_image(dev, &clear, file, file_len, &bar.prog, &res, adetail)
               : kga_sign_oracle_crafted(dev, &bar.prog, &res, adetail);
  cli_attack_bar_done(&bar);
  if (rc != KG_OK) {
    kg_err(CMD, "%s", adetail);
    goto done;
  }

  /* Scoring and verification (harness side). */
  uint8_t truth[KGA_MAX_SIGN_BITS / 8];
  if (truth_key(&keys, !strcmp(setting, "crafted") ? 0 : file_version >= 2, nonce, res.bits,
                truth) != KG_OK) {
    kg_err(CMD, "cannot derive the model's sign key from %s", keys_path);
    goto done;
  }
  const uint32_t correct = bits_correct(&res, truth);
  verify v;
  memset(&v, 0, sizeof v);
  if (victim && have_clear &&
      run_verify(victim, &clear, res.key, images, labels, count, &v) != KG_EXIT_OK)
    goto done;
  if (json)
    print_json(setting, &res, correct, &v);
  else
    print_text(setting, &res, correct, &v);
  status = correct == res.bits ? KG_EXIT_OK : KG_EXIT_FAIL;
  if (status != KG_EXIT_OK)
    kg_err(CMD, "%u of %u key bits recovered: %s", correct, res.bits, res.reason);
done:
  memset(&keys, 0, sizeof keys);
  memset(truth, 0, sizeof truth);
  memset(aes, 0, sizeof aes);
  free(file);
  kg_model_free(victim);
  kg_close(dev);
  kgm_model_free(&clear);
  return status;
}
