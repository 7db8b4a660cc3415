/*
 * kg_keysweep: accuracy of a locked model against the number of wrong
 * sign-key bits (docs/results.md, Key sensitivity).
 *
 * The model is locked once with the right keys (AES-CTR + sign key, the
 * default lock: version 2, so the sign key in use is the device sign key
 * XOR the model's mask, and b wrong device bits are b wrong bits of it). For
 * each point b in 0, 1, 2, 4, ..., R*C, `trials` keys are drawn that keep
 * the right AES key and differ from the right sign key in exactly b bits
 * (distinct positions, seeded); each is provisioned into a device of the
 * chosen back-end (default "model", the functional C model), the model is
 * loaded and the first `count` Fashion-MNIST test images are classified.
 * Output: a table on stdout and a data file "bits mean min max" for
 * gnuplot (scripts/plot_keysweep.gp).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgmac/file_io.h"
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgmac/lock.h"
#include "kgml/idx.h"
#include "kgml/kgq.h"

#define MAX_TRIALS 64u

typedef struct sweep_args {
  const char *model, *keys, *out, *data, *backend;
  uint32_t count, trials;
  uint64_t seed;
} sweep_args;

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

/* Flip b distinct bits of key->sign_key (partial Fisher-Yates). */
static void flip_bits(kg_keys *key, uint32_t b, uint64_t *rng) {
  uint32_t idx[1024];
  const uint32_t n = key->sign_bits;
  for (uint32_t i = 0; i < n; i++) idx[i] = i;
  for (uint32_t i = 0; i < b; i++) {
    const uint32_t j = i + (uint32_t)(splitmix(rng) % (n - i));
    const uint32_t t = idx[i];
    idx[i] = idx[j];
    idx[j] = t;
    key->sign_key[idx[i] / 8u] ^= (uint8_t)(1u << (idx[i] % 8u));
  }
}

static int usage(void) {
  fprintf(stderr,
          "usage: kg_keysweep --model M.kgq --keys K.kgk --out SWEEP.dat [--data DIR]\n"
          "                   [--count N] [--trials T] [--seed S] [--backend model|rtl]\n");
  return 2;
}

/* Unsigned decimal in [lo, hi]; a message naming the option otherwise. */
static int parse_num(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  char *end = NULL;
  errno = 0;
  const unsigned long long v = strtoull(s, &end, 10);
  if (s[0] < '0' || s[0] > '9' || *end != '\0' || errno == ERANGE || v < lo || v > hi) {
    fprintf(stderr, "kg_keysweep: %s: '%s' is not a number in [%" PRIu64 ", %" PRIu64 "]\n", opt,
            s, lo, hi);
    return 2;
  }
  *out = v;
  return 0;
}

static int parse_args(int argc, char **argv, sweep_args *a) {
  a->model = a->keys = a->out = NULL;
  a->data = KGML_DEFAULT_DATA_DIR;
  a->backend = "model";
  a->count = 10000;
  a->trials = 5;
  a->seed = 1;
  for (int i = 1; i < argc; i++) {
    const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!v) return usage();
    if (!strcmp(o, "--model")) a->model = v;
    else if (!strcmp(o, "--keys")) a->keys = v;
    else if (!strcmp(o, "--out")) a->out = v;
    else if (!strcmp(o, "--data")) a->data = v;
    else if (!strcmp(o, "--backend")) a->backend = v;
    else if (!strcmp(o, "--count") || !strcmp(o, "--trials")) {
      uint64_t n;
      const int count = !strcmp(o, "--count");
      if (parse_num(o, v, 1, count ? UINT32_MAX : MAX_TRIALS, &n)) return 2;
      *(count ? &a->count : &a->trials) = (uint32_t)n;
    } else if (!strcmp(o, "--seed")) {
      if (parse_num(o, v, 0, UINT64_MAX, &a->seed)) return 2;
    } else return usage();
    i++;
  }
  if (!a->model || !a->keys || !a->out) return usage();
  return 0;
}

/* Accuracy of one key on the prepared inputs; <0 on a driver error. */
static double accuracy(kg_dev *dev, const kg_keys *key, const uint8_t *file, size_t len,
                       const int8_t *in, const uint8_t *labels, uint32_t n, int8_t *out) {
  kg_model *m = NULL;
  int rc = kg_keys_provision(dev, key, 0);
  if (rc == KG_OK) rc = kg_model_load_buffer(dev, file, len, &m);
  if (rc == KG_OK) rc = kg_infer(m, in, n, out);
  if (rc != KG_OK) {
    fprintf(stderr, "kg_keysweep: %s: %s\n", kg_strerror(rc), kg_last_error(dev));
    kg_model_free(m);
    return -1.0;
  }
  kg_model_info info;
  kg_model_query(m, &info);
  uint32_t right = 0;
  for (uint32_t i = 0; i < n; i++) {
    const int8_t *l = out + (size_t)i * info.output_size;
    uint32_t best = 0;
    for (uint32_t c = 1; c < info.output_size; c++)
      if (l[c] > l[best]) best = c;
    right += best == labels[i];
  }
  kg_model_free(m);
  return (double)right / n;
}

int main(int argc, char **argv) {
  sweep_args a;
  if (parse_args(argc, argv, &a)) return 2;
  char d[KG_DETAIL_LEN], dm[KGML_DETAIL_LEN];
  kg_qmodel q;
  kg_keys right;
  uint32_t rows, cols;
  kgml_dataset ds;
  memset(&q, 0, sizeof q);
  memset(&ds, 0, sizeof ds);
  int rc = kg_keyfile_read(a.keys, &right, &rows, &cols, d);
  if (rc != KG_OK) {
    fprintf(stderr, "kg_keysweep: %s: %s\n", a.keys, d);
    return 1;
  }
  if (kg_qmodel_load(&q, a.model, dm) != KGML_OK || kgml_dataset_load(a.data, "t10k", &ds, dm)) {
    fprintf(stderr, "kg_keysweep: %s\n", dm);
    kg_qmodel_free(&q);
    return 1;
  }
  if (a.count > ds.n) a.count = ds.n;

  /* Lock once with the right keys. */
  kgm_model km;
  kglock_opts lo = {rows, cols, KGM_CRYPT_CTR, 1, &right, NULL, KGM_VERSION};
  uint8_t *file = NULL;
  size_t len = 0;
  rc = kglock_model(&q, &lo, &km, d);
  if (rc == KG_OK) {
    rc = kgm_serialize(&km, &file, &len, d);
    kgm_model_free(&km);
  }
  const size_t isz = kg_qmodel_input_size(&q);
  int8_t *in = malloc((size_t)a.count * isz);
  int8_t *out = malloc((size_t)a.count * kg_qmodel_classes(&q));
  kg_dev *dev = NULL;
  kg_open_opts oo;
  memset(&oo, 0, sizeof oo);
  oo.rows = rows;
  oo.cols = cols;
  if (rc == KG_OK && (!in || !out)) rc = KG_E_NOMEM;
  if (rc == KG_OK) rc = kg_open(&dev, a.backend, &oo, d);
  if (rc != KG_OK) {
    fprintf(stderr, "kg_keysweep: %s: %s\n", kg_strerror(rc), d);
    goto done;
  }
  kg_qmodel_quantize_input(&q, ds.pix, (size_t)a.count * isz, in);

  /* The data file is ours to replace, but never a directory, FIFO,
   * device or socket (kgmac/file_io.h). */
  rc = kg_file_check_out(a.out, 1, d);
  FILE *f = rc == KG_OK ? fopen(a.out, "w") : NULL;
  if (!f) {
    fprintf(stderr, "kg_keysweep: cannot write %s: %s\n", a.out, rc == KG_OK ? strerror(errno) : d);
    if (rc == KG_OK) rc = KG_E_IO;
    goto done;
  }
  fprintf(f, "# wrong sign-key bits, mean / min / max accuracy over %u keys, %u images, %ux%u\n",
          a.trials, a.count, rows, cols);
  printf("%-10s %8s %8s %8s   (%u keys per point, %u test images, %s back-end, %ux%u)\n",
         "wrong bits", "mean %", "min %", "max %", a.trials, a.count, a.backend, rows, cols);
  uint64_t rng = a.seed;
  const uint32_t nbits = rows * cols;
  /* Points 0, 1, 2, 4, ... below R*C, then R*C. */
  uint32_t pts[16], npts = 0;
  pts[npts++] = 0;
  for (uint32_t b = 1; b < nbits && npts < 15; b *= 2) pts[npts++] = b;
  pts[npts++] = nbits;
  for (uint32_t pi = 0; pi < npts; pi++) {
    const uint32_t b = pts[pi];
    double sum = 0, lo_acc = 1, hi_acc = 0;
    for (uint32_t t = 0; t < a.trials; t++) {
      kg_keys k = right;
      flip_bits(&k, b, &rng);
      const double acc = accuracy(dev, &k, file, len, in, ds.labels, a.count, out);
      kg_keys_wipe(&k);
      if (acc < 0) {
        rc = KG_E_DEVICE;
        fclose(f);
        goto done;
      }
      sum += acc;
      if (acc < lo_acc) lo_acc = acc;
      if (acc > hi_acc) hi_acc = acc;
    }
    const double mean = sum / a.trials;
    fprintf(f, "%u %.4f %.4f %.4f\n", b, 100 * mean, 100 * lo_acc, 100 * hi_acc);
    printf("%-10u %8.2f %8.2f %8.2f\n", b, 100 * mean, 100 * lo_acc, 100 * hi_acc);
    fflush(stdout);
  }
  if (fclose(f) != 0) rc = KG_E_IO;

done:
  kg_close(dev);
  free(in);
  free(out);
  free(file);
  kg_keys_wipe(&right);
  kg_qmodel_free(&q);
  kgml_dataset_free(&ds);
  return rc == KG_OK ? 0 : 1;
}
