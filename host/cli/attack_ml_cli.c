/* kgmac attack finetune | fgsm | pgd: the CLI front-ends of the ML attacks
 * (kgattack/attack_ml.h). Called by the `kgmac attack` dispatcher with
 * argv[0] = the attack's name. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cli_kg.h"
#include "kgattack/attack_ml.h"
#include "kgmac/keyfile.h"
#include "kgml/fmodel.h"

int cli_attack_finetune(int argc, char **argv);
int cli_attack_fgsm(int argc, char **argv);
int cli_attack_pgd(int argc, char **argv);

#define MAX_LIST 16

static int wants_help(int argc, char **argv) {
  for (int a = 1; a < argc; a++)
    if (strcmp(argv[a], "--help") == 0 || strcmp(argv[a], "-h") == 0) return 1;
  return 0;
}

/* Split a comma-separated list in place (s is a copy the caller owns). */
static int split_list(const char *cmd, const char *opt, char *s, char **item, int max) {
  int n = 0;
  for (char *p = s;;) {
    char *comma = strchr(p, ',');
    if (comma) *comma = '\0';
    if (!*p || n == max) {
      kg_err(cmd, "--%s: %s", opt, !*p ? "empty item in the list" : "too many items");
      return -1;
    }
    item[n++] = p;
    if (!comma) return n;
    p = comma + 1;
  }
}

/* A list of reals in [lo, hi] (scale multiplies each value). */
static int parse_reals(const char *cmd, const char *opt, const char *s, double lo, double hi,
                       double scale, double *v, int max) {
  char buf[512];
  if (snprintf(buf, sizeof buf, "%s", s) >= (int)sizeof buf) {
    kg_err(cmd, "--%s: list too long", opt);
    return -1;
  }
  char *item[MAX_LIST];
  const int n = split_list(cmd, opt, buf, item, max < MAX_LIST ? max : MAX_LIST);
  for (int i = 0; i < n; i++) {
    char *end;
    errno = 0;
    const double x = strtod(item[i], &end);
    if (errno || *end || !isfinite(x) || x < lo || x > hi) {
      kg_err(cmd, "--%s: '%s' is not a number in [%g, %g]", opt, item[i], lo, hi);
      return -1;
    }
    v[i] = x * scale;
  }
  return n;
}

/* The training set (when train is not NULL) and the test set. */
static int load_sets(const char *cmd, const char *data, kgml_dataset *train, kgml_dataset *test) {
  char detail[KGML_DETAIL_LEN] = "";
  int rc;
  if (train && (rc = kgml_dataset_load(data, "train", train, detail)) != KGML_OK) {
    kg_err(cmd, "cannot load the training set from %s: %s (%s)", data, kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  if ((rc = kgml_dataset_load(data, "t10k", test, detail)) != KGML_OK) {
    kg_err(cmd, "cannot load the test set from %s: %s (%s)", data, kgml_strerror(rc), detail);
    if (train) kgml_dataset_free(train);
    return KG_EXIT_FAIL;
  }
  return KG_EXIT_OK;
}

/* ---- finetune ---------------------------------------------------------- */

static const char *const FT = "attack finetune";

static void finetune_help(FILE *out) {
  fprintf(out,
          "usage: kgmac attack finetune --kgm FILE[,FILE...] [--fractions 1,2,5,10]\n"
          "                             [--epochs N] [--seed S] [--lr X] [--test-count N]\n"
          "                             [--no-sign-search] [--data DIR] [--threads 1|2]\n"
          "                             [--json]\n"
          "\n"
          "The fine-tuning thief. For each locked .kgm he rebuilds a float model from\n"
          "what he can read, without any key: the architecture from the layer table,\n"
          "the int8 weights by undoing the public tile layout of the weight image as\n"
          "stored (a sign-locked file gives its weights with the key's sign flips; an\n"
          "encrypted one is decrypted with a random key he guesses, i.e. garbage), and\n"
          "per-channel weight scales and biases from the parameter records, which are\n"
          "in clear. He then fine-tunes it with the C trainer on a stratified subset of\n"
          "the Fashion-MNIST training set for each fraction. The baseline is the same\n"
          "architecture trained from scratch on the same subset with the same epochs,\n"
          "learning rate and seed. Accuracy is measured in float on the test set.\n"
          "\n"
          "For a sign-locked file in clear a second, sign-aware thief first searches\n"
          "the R x C sign bits (greedy flips of one PE's weights in every layer, kept\n"
          "when the loss on up to 2000 of his images drops, then 6 random 3-bit kicks\n"
          "each followed by the same descent, kept if the loss is lower) and then\n"
          "fine-tunes.\n"
          "\n"
          "  --kgm LIST         locked models (.kgm), comma-separated\n"
          "  --fractions LIST   percent of the training set (default 1,2,5,10)\n"
          "  --epochs N         epochs for the thief and for scratch (default 10)\n"
          "  --seed S           subset, shuffle, scratch-init and key-guess seed (default 1)\n"
          "  --lr X             peak Adam learning rate, cosine decay (default 0.001)\n"
          "  --test-count N     evaluate on the first N test images (default 10000)\n"
          "  --no-sign-search   only the thief that fine-tunes the weights as read\n"
          "  --data DIR         Fashion-MNIST directory (default %s)\n"
          "  --threads N        trainer threads, 1 or 2 (default 2; results identical)\n"
          "  --json             print the results as JSON on stdout\n"
          "\nexit status: 0 success, 1 failure, 2 usage error\n",
          KGML_DEFAULT_DATA_DIR);
}

typedef struct ft_ctx {
  kg_progress bar;
  char label[96];
} ft_ctx;

static void ft_step(void *c, const kgml_train_progress *p) {
  ft_ctx *x = c;
  char suffix[48];
  snprintf(suffix, sizeof suffix, "epoch %u/%u loss %.3f", p->epoch, p->epochs, p->loss);
  kg_progress_update(&x->bar, x->label, (uint64_t)(p->epoch - 1) * p->steps + p->step,
                     (uint64_t)p->epochs * p->steps, suffix);
}

/* One thief: a file and how he starts from it. */
typedef struct ft_thief {
  const char *path;
  kgm_model *kgm;      /* borrowed from the file list */
  kgml_model start;    /* as read */
  int search;          /* sign-aware: search the sign bits on the subset first */
  char name[40];
} ft_thief;

typedef struct ft_cellres {
  double start, acc;   /* acc < 0: the trainer diverged */
  uint32_t evals;      /* sign search: loss evaluations */
} ft_cellres;

/* One cell: (sign-search and) fine-tune a copy of start on sub. */
static int ft_cell(const ft_thief *t, const kgml_model *start, const kgml_dataset *sub,
                   const kgml_dataset *test, uint32_t n_test, const kgml_train_opts *o,
                   ft_ctx *c, ft_cellres *res) {
  char detail[KGML_DETAIL_LEN] = "";
  memset(res, 0, sizeof *res);
  kgml_model m;
  int rc = kgml_model_copy(&m, start);
  if (rc == KGML_OK && t && t->search) {
    uint8_t key[128];
    rc = kga_sign_search(&m, t->kgm, sub, 2000, 8, key, &res->evals, detail);
  }
  kga_finetune_result r;
  memset(&r, 0, sizeof r);
  if (rc == KGML_OK) rc = kga_finetune(&m, sub, test, n_test, o, &r, detail);
  kgml_model_free(&m);
  kg_progress_clear(&c->bar);
  res->start = r.acc_start;
  res->acc = rc == KGML_E_NUMERIC ? -1.0 : r.acc_thief;
  if (rc == KGML_OK || rc == KGML_E_NUMERIC) return KG_EXIT_OK;
  kg_err(FT, "%s: %s (%s)", c->label, kgml_strerror(rc), detail);
  return KG_EXIT_FAIL;
}

static void print_acc(FILE *f, double a, int json) {
  if (json)
    a < 0.0 ? fputs("null", f) : fprintf(f, "%.4f", a);
  else
    a < 0.0 ? fprintf(f, "  %12s", "diverged") : fprintf(f, "  %11.2f%%", 100.0 * a);
}

static void ft_print_json(const ft_thief *th, int nt, const double *frac, int nf,
                          const uint32_t *n_sub, const double *scratch,
                          ft_cellres res[][2 * MAX_LIST], const kgml_train_opts *o,
                          uint32_t n_test, double secs) {
  printf("{\"attack\": \"finetune\", \"epochs\": %u, \"batch\": %u, \"lr\": %g, \"seed\": %llu, "
         "\"evaluation\": \"float\", \"test_images\": %u,\n \"thieves\": [",
         o->epochs, o->batch, o->lr, (unsigned long long)o->seed, n_test);
  for (int i = 0; i < nt; i++) {
    printf("%s{\"file\": ", i ? ", " : "");
    kg_json_str(stdout, th[i].path);
    printf(", \"scheme\": \"%s\", \"start\": \"%s\"}", kga_scheme_name(th[i].kgm),
           th[i].search ? "sign-search" : "as-read");
  }
  printf("],\n \"rows\": [");
  for (int fi = 0; fi < nf; fi++) {
    printf("%s\n  {\"fraction\": %g, \"images\": %u, \"scratch\": ", fi ? "," : "", frac[fi],
           n_sub[fi]);
    print_acc(stdout, scratch[fi], 1);
    printf(", \"thief\": [");
    for (int i = 0; i < nt; i++) {
      printf("%s", i ? ", " : "");
      print_acc(stdout, res[fi][i].acc, 1);
    }
    printf("], \"thief_start\": [");
    for (int i = 0; i < nt; i++) {
      printf("%s", i ? ", " : "");
      print_acc(stdout, res[fi][i].start, 1);
    }
    printf("], \"sign_search_evals\": [");
    for (int i = 0; i < nt; i++) printf("%s%u", i ? ", " : "", res[fi][i].evals);
    printf("]}");
  }
  printf("],\n \"seconds\": %.1f}\n", secs);
}

int cli_attack_finetune(int argc, char **argv) {
  if (wants_help(argc, argv)) {
    finetune_help(stdout);
    return KG_EXIT_OK;
  }
  const char *kgm_s = NULL, *frac_s = "1,2,5,10", *epochs_s = NULL, *seed_s = NULL;
  const char *lr_s = NULL, *ntest_s = NULL, *threads_s = NULL;
  const char *data = KGML_DEFAULT_DATA_DIR;
  int json = 0, no_search = 0;
  const kg_opt opts[] = {{"kgm", 1, &kgm_s, NULL},          {"fractions", 1, &frac_s, NULL},
                         {"epochs", 1, &epochs_s, NULL},    {"seed", 1, &seed_s, NULL},
                         {"lr", 1, &lr_s, NULL},            {"test-count", 1, &ntest_s, NULL},
                         {"data", 1, &data, NULL},          {"threads", 1, &threads_s, NULL},
                         {"no-sign-search", 0, NULL, &no_search},
                         {"json", 0, NULL, &json},          {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(FT, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!kgm_s) {
    kg_err(FT, "--kgm FILE[,FILE...] is required");
    return KG_EXIT_USAGE;
  }
  double frac[MAX_LIST], lr = 1e-3;
  const int nf = parse_reals(FT, "fractions", frac_s, 1e-3, 100.0, 0.01, frac, MAX_LIST);
  if (nf < 0) return KG_EXIT_USAGE;
  if (lr_s && parse_reals(FT, "lr", lr_s, 1e-7, 1.0, 1.0, &lr, 1) != 1) return KG_EXIT_USAGE;
  kgml_train_opts o;
  kgml_train_defaults(&o, "mlp");
  o.epochs = 10;
  o.lr = lr;
  o.lr_final = lr / 50.0;
  uint32_t n_test = 10000;
  if (epochs_s && kg_parse_u32(FT, "epochs", epochs_s, 1, 1000, &o.epochs)) return KG_EXIT_USAGE;
  if (seed_s && kg_parse_u64(FT, "seed", seed_s, &o.seed)) return KG_EXIT_USAGE;
  if (threads_s && kg_parse_u32(FT, "threads", threads_s, 1, 2, &o.nthreads))
    return KG_EXIT_USAGE;
  if (ntest_s && kg_parse_u32(FT, "test-count", ntest_s, 1, 10000, &n_test)) return KG_EXIT_USAGE;
  char list[4096];
  if (snprintf(list, sizeof list, "%s", kgm_s) >= (int)sizeof list) {
    kg_err(FT, "--kgm: list too long");
    return KG_EXIT_USAGE;
  }
  char *paths[MAX_LIST];
  const int nk = split_list(FT, "kgm", list, paths, MAX_LIST);
  if (nk < 0) return KG_EXIT_USAGE;

  kgm_model kgm[MAX_LIST];
  ft_thief th[2 * MAX_LIST];
  memset(kgm, 0, sizeof kgm);
  memset(th, 0, sizeof th);
  int nt = 0, ret = KG_EXIT_OK;
  char detail[KGML_DETAIL_LEN] = "";
  for (int i = 0; i < nk && ret == KG_EXIT_OK; i++) {
    char kd[KG_DETAIL_LEN] = "";
    int rc = kgm_load_file(&kgm[i], paths[i], kd);
    if (rc != KG_OK) {
      kg_err(FT, "cannot read %s: %s (%s)", paths[i], kg_strerror(rc), kd);
      ret = KG_EXIT_FAIL;
      break;
    }
    uint8_t guess[32];
    kga_guess_key(o.seed + (uint64_t)i, guess, kgm[i].aes_len);
    ft_thief *t = &th[nt++];
    t->path = paths[i];
    t->kgm = &kgm[i];
    snprintf(t->name, sizeof t->name, "%s", kga_scheme_name(&kgm[i]));
    rc = kga_thief_model(&kgm[i], guess, kgm[i].aes_len, &t->start, detail);
    if (rc != KGML_OK) {
      kg_err(FT, "%s: %s (%s)", paths[i], kgml_strerror(rc), detail);
      ret = KG_EXIT_FAIL;
    } else if (t->start.n_params != th[0].start.n_params) {
      kg_err(FT, "%s and %s hold different architectures", th[0].path, paths[i]);
      ret = KG_EXIT_FAIL;
    } else if (!no_search && kgm[i].crypt == KGM_CRYPT_NONE && (kgm[i].flags & KGM_FLAG_SIGN)) {
      ft_thief *s = &th[nt++];
      *s = *t;
      s->search = 1;
      snprintf(s->name, sizeof s->name, "%s+search", kga_scheme_name(&kgm[i]));
      s->start.params = NULL; /* shares t->start; never freed twice */
    }
  }
  kgml_dataset train, test;
  memset(&train, 0, sizeof train);
  memset(&test, 0, sizeof test);
  if (ret == KG_EXIT_OK) ret = load_sets(FT, data, &train, &test);
  if (ret == KG_EXIT_OK && n_test > test.n) n_test = test.n;

  static ft_cellres res[MAX_LIST][2 * MAX_LIST];
  double scratch[MAX_LIST];
  uint32_t n_sub[MAX_LIST];
  ft_ctx c;
  kg_progress_init(&c.bar);
  o.on_step = ft_step;
  o.ctx = &c;
  const double t0 = kg_now();
  if (ret == KG_EXIT_OK && !json) {
    printf("fine-tuning thief: %d file%s, %u epochs, lr %g, seed %llu, float evaluation on %u "
           "test images\n%-9s %6s  %12s",
           nk, nk == 1 ? "" : "s", o.epochs, o.lr, (unsigned long long)o.seed, n_test,
           "fraction", "images", "scratch");
    for (int i = 0; i < nt; i++) printf("  %12.12s", th[i].name);
    printf("\n");
    fflush(stdout);
  }
  for (int fi = 0; fi < nf && ret == KG_EXIT_OK; fi++) {
    kgml_dataset sub;
    int rc = kga_stratified_subset(&train, frac[fi], o.seed, &sub, detail);
    if (rc != KGML_OK) {
      kg_err(FT, "subset: %s (%s)", kgml_strerror(rc), detail);
      ret = KG_EXIT_FAIL;
      break;
    }
    n_sub[fi] = sub.n;
    kgml_model sm;
    rc = kga_scratch_model(&th[0].start, o.seed, &sm, detail);
    if (rc != KGML_OK) {
      kg_err(FT, "scratch model: %s (%s)", kgml_strerror(rc), detail);
      ret = KG_EXIT_FAIL;
    }
    ft_cellres sr;
    snprintf(c.label, sizeof c.label, "%g%% scratch", 100.0 * frac[fi]);
    if (ret == KG_EXIT_OK) ret = ft_cell(NULL, &sm, &sub, &test, n_test, &o, &c, &sr);
    scratch[fi] = sr.acc;
    kgml_model_free(&sm);
    for (int i = 0; i < nt && ret == KG_EXIT_OK; i++) {
      snprintf(c.label, sizeof c.label, "%g%% %s", 100.0 * frac[fi], th[i].name);
      const kgml_model *start = th[i].search ? &th[i - 1].start : &th[i].start;
      ret = ft_cell(&th[i], start, &sub, &test, n_test, &o, &c, &res[fi][i]);
    }
    kgml_dataset_free(&sub);
    if (ret == KG_EXIT_OK && !json) {
      printf("%8g%% %6u ", 100.0 * frac[fi], n_sub[fi]);
      print_acc(stdout, scratch[fi], 0);
      for (int i = 0; i < nt; i++) print_acc(stdout, res[fi][i].acc, 0);
      printf("\n%-16s %12s", "  start", "");
      for (int i = 0; i < nt; i++) print_acc(stdout, res[fi][i].start, 0);
      printf("\n");
      fflush(stdout);
    }
  }
  const double secs = kg_now() - t0;
  if (ret == KG_EXIT_OK && json)
    ft_print_json(th, nt, frac, nf, n_sub, scratch, res, &o, n_test, secs);
  else if (ret == KG_EXIT_OK)
    printf("(start = the thief's model before fine-tuning, after the sign search for +search; "
           "%.1f s)\n",
           secs);
  for (int i = 0; i < nt; i++)
    if (!th[i].search) kgml_model_free(&th[i].start);
  for (int i = 0; i < nk; i++) kgm_model_free(&kgm[i]);
  kgml_dataset_free(&train);
  kgml_dataset_free(&test);
  return ret;
}

/* ---- fgsm / pgd -------------------------------------------------------- */

static void adv_help(FILE *out, int method) {
  const int pgd = method == KGA_ADV_PGD;
  fprintf(out,
          "usage: kgmac attack %s --float-model FILE.kgf [--kgm FILE[,FILE...]]\n"
          "                         [--keys FILE.kgk] [--eps 0.05,0.1,0.2]%s [--count N]\n"
          "                         [--backend model|rtl] [--data DIR] [--json]\n"
          "\n"
          "White-box adversarial examples: %s on the float model (the input\n"
          "gradient of its cross-entropy loss), untargeted, within an L-inf ball of\n"
          "radius eps in [0,1] pixel units, clipped to [0,1]. The adversarial images\n"
          "are quantized with each .kgm's input scale and run on a device (libkgmac)\n"
          "that holds the right key, and the success rate (the fraction of the images\n"
          "a model classified correctly that it now misclassifies) is reported per\n"
          "model, next to the float model's own. A control row perturbs the same\n"
          "images with random signs of the same eps. Pass the unlocked .kgm (crypt\n"
          "none, no sign key) in the list to compare with the unprotected int8 model.\n"
          "The key file only provisions the device, as its operator would.\n"
          "\n"
          "  --float-model F  the float model (.kgf from kgmac train)\n"
          "  --kgm LIST       .kgm files to run, comma-separated (same architecture)\n"
          "  --keys FILE      key file provisioned on the device for locked models\n"
          "  --eps LIST       radii (default 0.05,0.1,0.2)\n"
          "%s"
          "  --count N        the first N test images (default 10000)\n"
          "  --backend B      model (default) or rtl\n"
          "  --data DIR       Fashion-MNIST directory (default %s)\n"
          "  --json           print the results as JSON on stdout\n"
          "\nexit status: 0 success, 1 failure, 2 usage error\n",
          pgd ? "pgd" : "fgsm", pgd ? " [--steps N]" : "",
          pgd ? "projected gradient descent (steps of eps/4 along the sign of the\n"
                "gradient, projected back on the eps ball after each step, no random start)"
              : "the fast gradient sign method (one step of eps along the sign of the\n"
                "gradient)",
          pgd ? "  --steps N        PGD iterations (default 10), step eps/4\n" : "",
          KGML_DEFAULT_DATA_DIR);
}

typedef struct adv_dev {
  const char *path;
  kgm_model hdr;
  kg_dev *dev;
  kg_model *model;
  uint8_t *clean;  /* predictions on the clean images */
} adv_dev;

static void adv_devs_free(adv_dev *d, int n) {
  for (int i = 0; i < n; i++) {
    kg_model_free(d[i].model);
    kg_close(d[i].dev);
    kgm_model_free(&d[i].hdr);
    free(d[i].clean);
  }
}

/* Open one device per file, provision keys for a locked one, load it and
 * predict the clean images. */
static int adv_open(const char *cmd, adv_dev *d, const char *backend, const char *keys_path,
                    const float *clean, uint32_t n) {
  char kd[KG_DETAIL_LEN] = "";
  int rc = kgm_load_file(&d->hdr, d->path, kd);
  if (rc != KG_OK) {
    kg_err(cmd, "cannot read %s: %s (%s)", d->path, kg_strerror(rc), kd);
    return KG_EXIT_FAIL;
  }
  const int locked = d->hdr.crypt != KGM_CRYPT_NONE || (d->hdr.flags & KGM_FLAG_SIGN);
  kg_keys keys;
  memset(&keys, 0, sizeof keys);
  if (locked) {
    uint32_t kr = 0, kc = 0;
    if (!keys_path) {
      kg_err(cmd, "%s is locked (%s): --keys FILE is needed to provision the device", d->path,
             kga_scheme_name(&d->hdr));
      return KG_EXIT_USAGE;
    }
    if (kg_cli_read_keys(cmd, keys_path, &keys, &kr, &kc) != KG_EXIT_OK) return KG_EXIT_FAIL;
    if (kr != d->hdr.rows || kc != d->hdr.cols) {
      kg_err(cmd, "%s is locked for %ux%u, the key file is for %ux%u", d->path, d->hdr.rows,
             d->hdr.cols, kr, kc);
      kg_keys_wipe(&keys);
      return KG_EXIT_FAIL;
    }
  }
  int ret = kg_cli_open(cmd, backend, d->hdr.rows, d->hdr.cols, 0, locked ? &keys : NULL, &d->dev);
  kg_keys_wipe(&keys);
  if (ret != KG_EXIT_OK) return ret;
  if (kg_cli_model_load(cmd, d->dev, d->path, &d->model, 0) != KG_OK) return KG_EXIT_FAIL;
  d->clean = malloc(n);
  if (!d->clean) {
    kg_err(cmd, "out of memory");
    return KG_EXIT_FAIL;
  }
  rc = kga_device_predict(d->model, clean, n, d->clean);
  if (rc != KG_OK) {
    kg_err(cmd, "%s: inference failed: %s (%s)", d->path, kg_strerror(rc), kg_last_error(d->dev));
    return KG_EXIT_FAIL;
  }
  return KG_EXIT_OK;
}

typedef struct adv_row {
  double eps;
  double rate[MAX_LIST + 1];     /* [0] float model, [1..] devices */
  double control[MAX_LIST + 1];  /* random signs of the same eps */
} adv_row;

/* Success rates of one perturbed set on the float model and every device. */
static int adv_rates(const char *cmd, const kgml_model *fm, const kgml_dataset *ds, uint32_t n,
                     const kga_adv_opts *ao, const uint8_t *fclean, adv_dev *d, int nd,
                     float *adv, uint8_t *pred, double *rate) {
  char detail[KGML_DETAIL_LEN] = "";
  int rc = kga_adv_craft(fm, ds->pix, ds->labels, n, ao, adv, pred, detail);
  if (rc != KGML_OK) {
    kg_err(cmd, "crafting failed: %s (%s)", kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  rate[0] = kga_adv_success(fclean, pred, ds->labels, n, NULL);
  for (int i = 0; i < nd; i++) {
    rc = kga_device_predict(d[i].model, adv, n, pred);
    if (rc != KG_OK) {
      kg_err(cmd, "%s: inference failed: %s (%s)", d[i].path, kg_strerror(rc),
             kg_last_error(d[i].dev));
      return KG_EXIT_FAIL;
    }
    rate[i + 1] = kga_adv_success(d[i].clean, pred, ds->labels, n, NULL);
  }
  return KG_EXIT_OK;
}

static void adv_print(const char *name, const adv_dev *d, int nd, const adv_row *rows, int ne,
                      const kga_adv_opts *ao, uint32_t n, const char *backend, double secs,
                      int json) {
  if (json) {
    printf("{\"attack\": \"%s\", \"images\": %u, \"backend\": \"%s\", \"steps\": %u, "
           "\"step\": \"%s\", \"models\": [\"float\"",
           name, n, backend, ao->method == KGA_ADV_PGD ? ao->steps : 1u,
           ao->method == KGA_ADV_PGD ? "eps/4" : "eps");
    for (int i = 0; i < nd; i++) {
      printf(", {\"file\": ");
      kg_json_str(stdout, d[i].path);
      printf(", \"scheme\": \"%s\"}", kga_scheme_name(&d[i].hdr));
    }
    printf("],\n \"rows\": [");
    for (int e = 0; e < ne; e++) {
      printf("%s\n  {\"eps\": %g, \"success\": [", e ? "," : "", rows[e].eps);
      for (int i = 0; i <= nd; i++) printf("%s%.4f", i ? ", " : "", rows[e].rate[i]);
      printf("], \"control\": [");
      for (int i = 0; i <= nd; i++) printf("%s%.4f", i ? ", " : "", rows[e].control[i]);
      printf("]}");
    }
    printf("],\n \"seconds\": %.1f}\n", secs);
    return;
  }
  printf("%-6s %-8s %13s", "eps", "", "float");
  for (int i = 0; i < nd; i++) printf(" %13.13s", kga_scheme_name(&d[i].hdr));
  printf("\n");
  for (int e = 0; e < ne; e++) {
    printf("%-6g %-8s", rows[e].eps, name);
    for (int i = 0; i <= nd; i++) printf(" %12.2f%%", 100.0 * rows[e].rate[i]);
    printf("\n%-6s %-8s", "", "random");
    for (int i = 0; i <= nd; i++) printf(" %12.2f%%", 100.0 * rows[e].control[i]);
    printf("\n");
  }
  printf("(success = originally-correct images now misclassified; %u test images, %s back-end, "
         "%.1f s)\n",
         n, backend, secs);
}

static int cli_attack_adv(int argc, char **argv, int method) {
  const char *cmd = method == KGA_ADV_PGD ? "attack pgd" : "attack fgsm";
  if (wants_help(argc, argv)) {
    adv_help(stdout, method);
    return KG_EXIT_OK;
  }
  const char *fm_s = NULL, *kgm_s = NULL, *keys_s = NULL, *eps_s = "0.05,0.1,0.2";
  const char *steps_s = NULL, *count_s = NULL, *backend = "model";
  const char *data = KGML_DEFAULT_DATA_DIR;
  int json = 0;
  const kg_opt opts[] = {{"float-model", 1, &fm_s, NULL}, {"kgm", 1, &kgm_s, NULL},
                         {"keys", 1, &keys_s, NULL},      {"eps", 1, &eps_s, NULL},
                         {"steps", 1, &steps_s, NULL},    {"count", 1, &count_s, NULL},
                         {"backend", 1, &backend, NULL},  {"data", 1, &data, NULL},
                         {"json", 0, NULL, &json},        {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(cmd, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!fm_s) {
    kg_err(cmd, "--float-model FILE.kgf is required");
    return KG_EXIT_USAGE;
  }
  if (steps_s && method != KGA_ADV_PGD) {
    kg_err(cmd, "--steps is a PGD option");
    return KG_EXIT_USAGE;
  }
  if (kg_cli_parse_backend(cmd, backend) != KG_EXIT_OK) return KG_EXIT_USAGE;
  double eps[MAX_LIST];
  const int ne = parse_reals(cmd, "eps", eps_s, 0.0, 1.0, 1.0, eps, MAX_LIST);
  if (ne < 0) return KG_EXIT_USAGE;
  uint32_t steps = 10, count = 10000;
  if (steps_s && kg_parse_u32(cmd, "steps", steps_s, 1, 1000, &steps)) return KG_EXIT_USAGE;
  if (count_s && kg_parse_u32(cmd, "count", count_s, 1, 10000, &count)) return KG_EXIT_USAGE;
  char list[4096] = "";
  char *paths[MAX_LIST];
  int nd = 0;
  if (kgm_s) {
    if (snprintf(list, sizeof list, "%s", kgm_s) >= (int)sizeof list) {
      kg_err(cmd, "--kgm: list too long");
      return KG_EXIT_USAGE;
    }
    if ((nd = split_list(cmd, "kgm", list, paths, MAX_LIST)) < 0) return KG_EXIT_USAGE;
  }

  char detail[KGML_DETAIL_LEN] = "";
  kgml_model fm;
  int rc = kgml_model_load(&fm, fm_s, detail);
  if (rc != KGML_OK) {
    kg_err(cmd, "cannot read %s: %s (%s)", fm_s, kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  kgml_dataset test;
  if (load_sets(cmd, data, NULL, &test) != KG_EXIT_OK) {
    kgml_model_free(&fm);
    return KG_EXIT_FAIL;
  }
  const uint32_t n = count < test.n ? count : test.n;
  const size_t in = (size_t)fm.in_h * fm.in_w * fm.in_c;
  int ret = (size_t)test.rows * test.cols == in ? KG_EXIT_OK : KG_EXIT_FAIL;
  if (ret != KG_EXIT_OK) kg_err(cmd, "%s does not take %ux%u images", fm_s, test.rows, test.cols);
  float *adv = malloc(n * in * sizeof(float));
  uint8_t *fclean = malloc(n), *pred = malloc(n);
  adv_dev d[MAX_LIST];
  memset(d, 0, sizeof d);
  adv_row *rows = calloc((size_t)ne, sizeof *rows);
  if (ret == KG_EXIT_OK && (!adv || !fclean || !pred || !rows)) {
    kg_err(cmd, "out of memory");
    ret = KG_EXIT_FAIL;
  }
  kga_adv_opts ao = {method, 0.0f, steps, 0.0f, 1};
  if (ret == KG_EXIT_OK) {
    /* eps = 0: the clean images, through the same path. */
    kga_adv_opts clean = {KGA_ADV_FGSM, 0.0f, 1, 0.0f, 1};
    rc = kga_adv_craft(&fm, test.pix, test.labels, n, &clean, adv, fclean, detail);
    if (rc != KGML_OK) {
      kg_err(cmd, "float model: %s (%s)", kgml_strerror(rc), detail);
      ret = KG_EXIT_FAIL;
    }
  }
  for (int i = 0; i < nd && ret == KG_EXIT_OK; i++) {
    d[i].path = paths[i];
    ret = adv_open(cmd, &d[i], backend, keys_s, adv, n);
  }
  kg_progress bar;
  kg_progress_init(&bar);
  const double t0 = kg_now();
  for (int e = 0; e < ne && ret == KG_EXIT_OK; e++) {
    char label[48];
    snprintf(label, sizeof label, "%s eps %g", cmd + 7, eps[e]);
    kg_progress_update(&bar, label, (uint64_t)e, (uint64_t)ne, "");
    rows[e].eps = eps[e];
    ao.method = method;
    ao.eps = (float)eps[e];
    ao.step = ao.eps / 4.0f;
    ret = adv_rates(cmd, &fm, &test, n, &ao, fclean, d, nd, adv, pred, rows[e].rate);
    ao.method = KGA_ADV_RANDOM;
    ao.seed = 1 + (uint64_t)e;
    if (ret == KG_EXIT_OK)
      ret = adv_rates(cmd, &fm, &test, n, &ao, fclean, d, nd, adv, pred, rows[e].control);
  }
  kg_progress_clear(&bar);
  ao.method = method;
  if (ret == KG_EXIT_OK)
    adv_print(cmd + 7, d, nd, rows, ne, &ao, n, backend, kg_now() - t0, json);
  adv_devs_free(d, nd);
  free(rows);
  free(adv);
  free(fclean);
  free(pred);
  kgml_dataset_free(&test);
  kgml_model_free(&fm);
  return ret;
}

int cli_attack_fgsm(int argc, char **argv) {
  return cli_attack_adv(argc, argv, KGA_ADV_FGSM);
}

int cli_attack_pgd(int argc, char **argv) {
  return cli_attack_adv(argc, argv, KGA_ADV_PGD);
}
