/* kgmac train: train a float model on Fashion-MNIST and cache it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kgml/fmodel.h"
#include "kgml/train.h"

static const char *const CMD = "train";

static void help(FILE *out) {
  fprintf(out,
          "usage: kgmac train --model mlp|cnn --out FILE [--epochs N] [--seed S]\n"
          "                   [--data DIR] [--threads 1|2] [--force]\n"
          "\n"
          "Train a float32 model on the Fashion-MNIST training set (60,000 images) with\n"
          "Adam and a fixed-seed shuffle, print one loss/accuracy line per epoch (the\n"
          "test accuracy is on the 10,000 test images) and write the model to FILE\n"
          "(.kgf, see docs/training.md). The result is identical from run to run and\n"
          "for --threads 1 or 2.\n"
          "\n"
          "If FILE already holds a valid model of the same kind, training is skipped\n"
          "(the cache) unless --force is given.\n"
          "\n"
          "  --model mlp|cnn  mlp: 784-256-128-10; cnn: 3 convs (3x3, strides 1,2,2) + 2 FC\n"
          "  --out FILE       float model to write\n"
          "  --epochs N       passes over the data (default 12 for mlp, 8 for cnn)\n"
          "  --seed S         initialisation and shuffle seed (default 1)\n"
          "  --data DIR       Fashion-MNIST directory (default %s)\n"
          "  --threads N      worker threads, 1 or 2 (default 2)\n"
          "  --force          retrain even if FILE exists\n",
          KGML_DEFAULT_DATA_DIR);
}

typedef struct ctx {
  kg_progress bar;
} ctx;

static void on_step(void *c, const kgml_train_progress *p) {
  ctx *x = c;
  char label[48], suffix[48];
  snprintf(label, sizeof label, "epoch %u/%u", p->epoch, p->epochs);
  snprintf(suffix, sizeof suffix, "loss %.4f", p->loss);
  kg_progress_update(&x->bar, label, p->step, p->steps, suffix);
}

static void on_epoch(void *c, const kgml_epoch_stats *s) {
  ctx *x = c;
  kg_progress_clear(&x->bar);
  printf("epoch %2u/%u  loss %.4f  train acc %6.2f%%", s->epoch, s->epochs, s->loss,
         100.0 * s->train_acc);
  if (s->test_acc >= 0.0) printf("  test acc %6.2f%%", 100.0 * s->test_acc);
  printf("  %.1f s\n", s->seconds);
  fflush(stdout);
}

static int run(int argc, char **argv) {
  const char *model = NULL, *out = NULL, *epochs_s = NULL, *seed_s = NULL, *threads_s = NULL;
  const char *data = KGML_DEFAULT_DATA_DIR;
  int force = 0;
  const kg_opt opts[] = {{"model", 1, &model, NULL},   {"out", 1, &out, NULL},
                         {"epochs", 1, &epochs_s, NULL}, {"seed", 1, &seed_s, NULL},
                         {"data", 1, &data, NULL},     {"threads", 1, &threads_s, NULL},
                         {"force", 0, NULL, &force},   {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!model || (strcmp(model, "mlp") != 0 && strcmp(model, "cnn") != 0)) {
    kg_err(CMD, model ? "--model must be mlp or cnn, not '%s'" : "--model mlp|cnn is required%s",
           model ? model : "");
    return KG_EXIT_USAGE;
  }
  if (!out || !*out) {
    kg_err(CMD, "--out FILE is required");
    return KG_EXIT_USAGE;
  }
  kgml_train_opts o;
  kgml_train_defaults(&o, model);
  if (epochs_s && kg_parse_u32(CMD, "epochs", epochs_s, 1, 1000, &o.epochs)) return KG_EXIT_USAGE;
  if (seed_s && kg_parse_u64(CMD, "seed", seed_s, &o.seed)) return KG_EXIT_USAGE;
  if (threads_s && kg_parse_u32(CMD, "threads", threads_s, 1, 2, &o.nthreads))
    return KG_EXIT_USAGE;

  char detail[KGML_DETAIL_LEN] = "";
  if (!force && kg_file_exists(out)) {
    kgml_model cached;
    int rc = kgml_model_load(&cached, out, detail);
    if (rc != KGML_OK) {
      kg_err(CMD, "%s exists but is not a valid float model (%s: %s); use --force to retrain",
             out, kgml_strerror(rc), detail);
      return KG_EXIT_FAIL;
    }
    if (strcmp(cached.arch, model) != 0) {
      kg_err(CMD, "%s holds a '%s' model, not '%s'; use --force to retrain", out, cached.arch,
             model);
      kgml_model_free(&cached);
      return KG_EXIT_FAIL;
    }
    printf("%s exists (%s model): training skipped; use --force to retrain\n", out, model);
    kgml_model_free(&cached);
    return KG_EXIT_OK;
  }

  /* Fail now, not after minutes of training, if FILE cannot be written
   * (missing folder, a directory, FIFO, device or socket). */
  if (kg_out_ok(CMD, out, 1) != KG_EXIT_OK) return KG_EXIT_FAIL;

  kgml_dataset train, test;
  int rc = kgml_dataset_load(data, "train", &train, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load the training set: %s (%s)", kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  rc = kgml_dataset_load(data, "t10k", &test, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load the test set: %s (%s)", kgml_strerror(rc), detail);
    kgml_dataset_free(&train);
    return KG_EXIT_FAIL;
  }
  kgml_model m;
  rc = kgml_model_create(&m, model, o.seed, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "%s", detail);
    kgml_dataset_free(&train);
    kgml_dataset_free(&test);
    return KG_EXIT_FAIL;
  }
  printf("training %s (%zu parameters) on %u images, %u epoch%s, batch %u, seed %llu, "
         "%u thread%s\n",
         model, m.n_params, train.n, o.epochs, o.epochs == 1 ? "" : "s", o.batch,
         (unsigned long long)o.seed, o.nthreads, o.nthreads == 1 ? "" : "s");
  fflush(stdout);
  ctx c;
  kg_progress_init(&c.bar);
  o.test = &test;
  o.on_step = on_step;
  o.on_epoch = on_epoch;
  o.ctx = &c;
  kgml_epoch_stats last;
  const double t0 = kg_now();
  rc = kgml_train(&m, &train, &o, &last, detail);
  kg_progress_clear(&c.bar);
  int ret = KG_EXIT_OK;
  if (rc != KGML_OK) {
    kg_err(CMD, "training failed: %s (%s)", kgml_strerror(rc), detail);
    ret = KG_EXIT_FAIL;
  } else if ((rc = kgml_model_save(&m, out, detail)) != KGML_OK) {
    kg_err(CMD, "cannot write %s: %s (%s)", out, kgml_strerror(rc), detail);
    ret = KG_EXIT_FAIL;
  } else {
    printf("wrote %s: %s, test accuracy %.2f%%, trained in %.1f s\n", out, model,
           100.0 * last.test_acc, kg_now() - t0);
  }
  kgml_model_free(&m);
  kgml_dataset_free(&train);
  kgml_dataset_free(&test);
  return ret;
}

const kg_cmd kg_cmd_train = {"train", "train a float model on Fashion-MNIST (cached)", run, help};
