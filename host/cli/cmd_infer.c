/* kgmac infer: run a .kgm on a back-end with a key file. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli_kg.h"
#include "kgmac/file_io.h"
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"
#include "kgml/fmodel.h"
#include "kgml/idx.h"
#include "kgml/kgq.h"

static const char *const CMD = "infer";

#define MAX_JOBS 16u

static void help(FILE *out) {
  fprintf(out,
          "usage: kgmac infer --model MODEL.kgm --images FILE [--keys KEYS.kgk]\n"
          "                   [--backend rtl|model] [--policy refuse|run|lockout]\n"
          "                   [--threshold N] [--labels FILE] [--count N] [--jobs J]\n"
          "                   [--batch B] [--raw] [--float-model FLOAT.kgf]\n"
          "                   [--preds OUT.bin] [--logits OUT.bin] [--force] [--legacy]\n"
          "                   [--json]\n"
          "\n"
          "Open a back-end, provision the key file's keys and wrong-key policy, load the\n"
          "model (the device checks the key against the model's key check value and,\n"
          "for a version-2 model, verifies its tag) and\n"
          "run the images through it. Prints one predicted class per line, or with\n"
          "--json one object: backend, geometry, images, accuracy (with --labels),\n"
          "float_agreement and float_accuracy (with --float-model), cycles_per_inference\n"
          "(sum of the layers' cycles / images), utilisation (ideal / actual cycles),\n"
          "sim_cycles, host_seconds (wall time of the run), sim_cycles_per_second,\n"
          "the predictions' CRC-32C (or their path), key_ok, crypt, sign,\n"
          "format_version, auth, legacy.\n"
          "\n"
          "  --model FILE        locked model (.kgm, kgmac lock)\n"
          "  --images FILE       IDX images (gzipped or plain, e.g. Fashion-MNIST\n"
          "                      t10k-images-idx3-ubyte.gz), quantized with the model's\n"
          "                      input scale exactly as kgmac quantize does; or raw int8:\n"
          "                      N x input-size bytes, already quantized. A regular\n"
          "                      file: a pipe, FIFO, device or directory is refused;\n"
          "                      only the images --count needs are read\n"
          "  --raw               treat --images as raw int8 even if it looks like IDX\n"
          "  --keys FILE         key file (needed unless the model is unlocked); must\n"
          "                      have mode 0600\n"
          "  --backend B         rtl (default: the Verilated RTL, cycle-accurate) or model\n"
          "                      (the functional C model, bit-exact and fast)\n"
          "  --policy P          wrong-key policy: refuse (default; a wrong key stops with\n"
          "                      \"refused: ... (status N)\" and exit 1), run (produce what\n"
          "                      a thief would get) or lockout (refuse; lock the vault\n"
          "                      after --threshold failed checks)\n"
          "  --threshold N       lockout threshold, 1..255 (default 3); the failure count\n"
          "                      lives in the device, and each run opens fresh devices\n"
          "  --legacy            provision POLICY.LEGACY = 1: also run format-version-1\n"
          "                      models (no tag, device keys used directly); by default\n"
          "                      the device refuses them (status %d)\n"
          "  --labels FILE       IDX labels: report the accuracy; every label must be a\n"
          "                      class of the model (0..9 for ten outputs)\n"
          "  --count N           run the first N images (default all)\n"
          "  --jobs J            split the images over J devices in J threads, 1..%u\n"
          "                      (default 1); results do not depend on J\n"
          "  --batch B           images per device run, 1..4096 (default 256)\n"
          "  --float-model FILE  float model (kgmac train): report the agreement (IDX\n"
          "                      images only)\n"
          "  --preds FILE        write the predictions there (one byte each) instead of\n"
          "                      printing them\n"
          "  --logits FILE       write the int8 outputs there (images x outputs bytes)\n"
          "  --force             replace an existing --preds / --logits file (never a\n"
          "                      directory, FIFO, device or socket)\n"
          "  --json              one JSON object on stdout; on a refusal it has\n"
          "                      \"refused\": true and \"status\", and the exit status is 1\n"
          "\n"
          "A progress bar is drawn on stderr when it is a terminal.\n",
          KG_E_UNAUTH, MAX_JOBS);
}

typedef struct job {
  kg_dev *dev;
  kg_model *model;
  const int8_t *in;
  int8_t *out;
  uint32_t n, chunk;
  size_t in_size, out_size;
  atomic_uint_fast64_t *done;
  atomic_uint *finished;
  int rc;
  char err[KG_DETAIL_LEN];
} job;

static void *worker(void *p) {
  job *j = p;
  j->rc = KG_OK;
  for (uint32_t i = 0; i < j->n; i += j->chunk) {
    const uint32_t c = j->n - i < j->chunk ? j->n - i : j->chunk;
    j->rc = kg_infer(j->model, j->in + (size_t)i * j->in_size, c, j->out + (size_t)i * j->out_size);
    if (j->rc != KG_OK) {
      snprintf(j->err, sizeof j->err, "%s", kg_last_error(j->dev));
      break;
    }
    atomic_fetch_add(j->done, c);
  }
  atomic_fetch_add(j->finished, 1u);
  return NULL;
}

/* Open the images (a regular file, or a message and KG_EXIT_FAIL). */
static int open_images(const char *path, int *fd, uint64_t *size) {
  char detail[KG_DETAIL_LEN] = "";
  if (kg_file_open(path, fd, size, NULL, detail) == KG_OK) return KG_EXIT_OK;
  kg_err(CMD, "cannot read images %s: %s", path, detail);
  return KG_EXIT_FAIL;
}

/* The input file: IDX if it starts like a gzip stream or an unsigned-byte
 * IDX file (00 00 08), else raw int8. The file must be a regular file, so
 * nothing is consumed by looking. */
static int sniff_images(const char *path, int raw, int *idx) {
  char detail[KG_DETAIL_LEN] = "";
  int fd;
  uint64_t size;
  if (open_images(path, &fd, &size) != KG_EXIT_OK) return KG_EXIT_FAIL;
  uint8_t h[4] = {0, 0, 0, 0};
  const size_t n = size < 4 ? (size_t)size : 4;
  const int rc = kg_file_read_fd(fd, path, h, n, detail);
  close(fd);
  if (rc != KG_OK) {
    kg_err(CMD, "cannot read images %s: %s", path, detail);
    return KG_EXIT_FAIL;
  }
  *idx = !raw && ((n >= 2 && h[0] == 0x1f && h[1] == 0x8b) ||
                  (n == 4 && h[0] == 0 && h[1] == 0 && h[2] == 0x08));
  return KG_EXIT_OK;
}

/* Raw int8 input: a positive multiple of in_size bytes; read only the
 * first `count` images (all when 0), at most KGML_IDX_MAX_BYTES. */
static int read_raw(const char *path, size_t in_size, uint32_t count, int8_t **in, uint32_t *n) {
  char detail[KG_DETAIL_LEN] = "";
  int fd;
  uint64_t size;
  if (open_images(path, &fd, &size) != KG_EXIT_OK) return KG_EXIT_FAIL;
  int ret = KG_EXIT_FAIL;
  const uint64_t avail = size / in_size;
  if (size == 0 || size % in_size != 0) {
    kg_err(CMD, "raw input %s has %llu bytes, not a positive multiple of the input size %zu",
           path, (unsigned long long)size, in_size);
  } else if (count > avail) {
    kg_err(CMD, "--count %u but %s holds %llu images", count, path, (unsigned long long)avail);
  } else if ((count ? count : avail) * in_size > KGML_IDX_MAX_BYTES) {
    kg_err(CMD, "raw input %s: %llu images of %zu bytes are more than the %llu-byte limit%s",
           path, (unsigned long long)(count ? count : avail), in_size,
           (unsigned long long)KGML_IDX_MAX_BYTES, count ? "" : "; use --count");
  } else {
    *n = (uint32_t)(count ? count : avail);
    const size_t len = (size_t)*n * in_size;
    *in = malloc(len);
    if (!*in)
      kg_err(CMD, "out of memory for %zu bytes of input", len);
    else if (kg_file_read_fd(fd, path, *in, len, detail) != KG_OK)
      kg_err(CMD, "cannot read images %s: %s", path, detail);
    else
      ret = KG_EXIT_OK;
  }
  close(fd);
  return ret;
}

/* Everything the command line says. */
typedef struct args {
  const char *model, *keys, *backend, *policy_s, *images, *labels, *float_model, *preds, *logits;
  uint32_t policy, threshold, count, jobs, batch;
  int json, idx, raw, force, legacy;
} args;

/* The inputs, already quantized, and what is known about them. */
typedef struct inputs {
  uint32_t n;
  size_t in_size;
  uint8_t *pix;    /* IDX pixels (NULL for raw input) */
  int8_t *in;      /* n * in_size int8 */
  uint8_t *labels; /* NULL without --labels */
} inputs;

/* What the devices produced. */
typedef struct results {
  uint32_t jobs;
  size_t out_size;
  int8_t *out;     /* n * out_size */
  uint8_t *pred;   /* n */
  uint64_t layer_cycles, ideal, sim_cycles, dec_stall;
  int key_ok;
  double seconds;  /* wall time of the run */
} results;

static void emit_refusal_json(const args *a, int status) {
  printf("{\"status\": %d, \"refused\": true, \"message\": ", status);
  kg_json_str(stdout, kg_strerror(status));
  printf(", \"backend\": \"%s\", \"policy\": \"%s\", \"key_ok\": false}\n", a->backend,
         kg_cli_policy_name(a->policy));
}

static int parse_args(int argc, char **argv, args *a) {
  const char *threshold_s = NULL, *count_s = NULL, *jobs_s = NULL, *batch_s = NULL;
  memset(a, 0, sizeof *a);
  a->backend = "rtl";
  a->policy_s = "refuse";
  a->threshold = 3;
  a->jobs = 1;
  a->batch = 256;
  const kg_opt opts[] = {{"model", 1, &a->model, NULL},
                         {"keys", 1, &a->keys, NULL},
                         {"backend", 1, &a->backend, NULL},
                         {"policy", 1, &a->policy_s, NULL},
                         {"threshold", 1, &threshold_s, NULL},
                         {"images", 1, &a->images, NULL},
                         {"labels", 1, &a->labels, NULL},
                         {"count", 1, &count_s, NULL},
                         {"jobs", 1, &jobs_s, NULL},
                         {"batch", 1, &batch_s, NULL},
                         {"float-model", 1, &a->float_model, NULL},
                         {"preds", 1, &a->preds, NULL},
                         {"logits", 1, &a->logits, NULL},
                         {"raw", 0, NULL, &a->raw},
                         {"force", 0, NULL, &a->force},
                         {"json", 0, NULL, &a->json},
                         {"legacy", 0, NULL, &a->legacy},
                         {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!a->model || !*a->model || !a->images || !*a->images) {
    kg_err(CMD, "--model MODEL.kgm and --images FILE are required");
    return KG_EXIT_USAGE;
  }
  if (kg_cli_parse_backend(CMD, a->backend) || kg_cli_parse_policy(CMD, a->policy_s, &a->policy))
    return KG_EXIT_USAGE;
  if ((threshold_s && kg_parse_u32(CMD, "threshold", threshold_s, 1, 255, &a->threshold)) ||
      (count_s && kg_parse_u32(CMD, "count", count_s, 1, 100000000u, &a->count)) ||
      (jobs_s && kg_parse_u32(CMD, "jobs", jobs_s, 1, MAX_JOBS, &a->jobs)) ||
      (batch_s && kg_parse_u32(CMD, "batch", batch_s, 1, 4096, &a->batch)))
    return KG_EXIT_USAGE;
  if (a->preds && a->logits && strcmp(a->preds, a->logits) == 0) {
    kg_err(CMD, "--preds and --logits name the same file %s", a->preds);
    return KG_EXIT_USAGE;
  }
  return KG_EXIT_OK;
}

/* What can be refused before the model is run: the outputs (existing,
 * not regular, no folder) and an input that is not a regular file. */
static int check_files(args *a) {
  if ((a->preds && kg_out_ok(CMD, a->preds, a->force) != KG_EXIT_OK) ||
      (a->logits && kg_out_ok(CMD, a->logits, a->force) != KG_EXIT_OK))
    return KG_EXIT_FAIL;
  if (sniff_images(a->images, a->raw, &a->idx) != KG_EXIT_OK) return KG_EXIT_FAIL;
  if (a->float_model && !a->idx) {
    kg_err(CMD, "--float-model needs IDX images (the float model reads pixels, not int8)");
    return KG_EXIT_USAGE;
  }
  return KG_EXIT_OK;
}

/* Read the images (IDX: quantized with the model's input scale; raw:
 * as they are) and the labels. */
static int load_inputs(const args *a, const kgm_model *hdr, inputs *x) {
  char detail[KGML_DETAIL_LEN] = "";
  x->in_size = (size_t)hdr->in_h * hdr->in_w * hdr->in_c;
  if (a->idx) {
    uint32_t dims[3];
    const int rc = kgml_idx_read_first(a->images, 3, a->count, dims, &x->pix, detail);
    if (rc != KGML_OK) {
      kg_err(CMD, "cannot read images %s: %s (%s)", a->images, kgml_strerror(rc), detail);
      return KG_EXIT_FAIL;
    }
    if ((size_t)dims[1] * dims[2] != x->in_size) {
      kg_err(CMD, "%s holds %ux%u images but the model's input is %ux%ux%u", a->images, dims[1],
             dims[2], hdr->in_h, hdr->in_w, hdr->in_c);
      return KG_EXIT_FAIL;
    }
    x->n = a->count ? a->count : dims[0];
    if (x->n > dims[0]) {
      kg_err(CMD, "--count %u but %s holds %u images", x->n, a->images, dims[0]);
      return KG_EXIT_FAIL;
    }
    const size_t total = (size_t)x->n * x->in_size;
    x->in = malloc(total);
    if (!x->in) {
      kg_err(CMD, "out of memory");
      return KG_EXIT_FAIL;
    }
    kg_cli_quantize_pixels(hdr->in_scale, hdr->in_zero, x->pix, total, x->in);
  } else if (read_raw(a->images, x->in_size, a->count, &x->in, &x->n) != KG_EXIT_OK) {
    return KG_EXIT_FAIL;
  }
  if (a->labels) {
    uint32_t ld[1];
    const int rc = kgml_idx_read_first(a->labels, 1, x->n, ld, &x->labels, detail);
    if (rc != KGML_OK) {
      kg_err(CMD, "cannot read labels %s: %s (%s)", a->labels, kgml_strerror(rc), detail);
      return KG_EXIT_FAIL;
    }
    if (ld[0] < x->n) {
      kg_err(CMD, "%s holds %u labels for %u images", a->labels, ld[0], x->n);
      return KG_EXIT_FAIL;
    }
    /* A label the model cannot predict is a broken file, not a miss. */
    const uint32_t classes = hdr->layers[hdr->n_layers - 1].N;
    for (uint32_t i = 0; i < x->n; i++)
      if (x->labels[i] >= classes) {
        kg_err(CMD, "%s: label %u of image %u is not a class of the model (0..%u)", a->labels,
               x->labels[i], i, classes - 1);
        return KG_EXIT_FAIL;
      }
  }
  return KG_EXIT_OK;
}

/* Open one device per job, provision, load, run the slices in threads
 * with a progress bar, and sum the performance counters. */
static int run_devices(const args *a, const kgm_model *hdr, const kg_keys *keys, const inputs *x,
                       results *r) {
  kg_dev *dev[MAX_JOBS] = {NULL};
  kg_model *mdl[MAX_JOBS] = {NULL};
  job jobs[MAX_JOBS];
  pthread_t tid[MAX_JOBS];
  uint32_t started = 0;
  int ret = KG_EXIT_FAIL, rc;
  kg_perf_info *perf = NULL;
  r->jobs = a->jobs < x->n ? a->jobs : x->n;
  for (uint32_t j = 0; j < r->jobs; j++) {
    if (kg_cli_open(CMD, a->backend, hdr->rows, hdr->cols, a->batch, keys, &dev[j]) !=
        KG_EXIT_OK)
      goto done;
    rc = kg_cli_model_load(CMD, dev[j], a->model, &mdl[j], 0);
    if (rc != KG_OK) {
      if (a->json && kg_cli_is_refusal(rc)) emit_refusal_json(a, rc);
      goto done;
    }
  }
  kg_model_info info;
  if ((rc = kg_model_query(mdl[0], &info)) != KG_OK) {
    kg_err(CMD, "cannot query the model: %s (%s)", kg_strerror(rc), kg_last_error(dev[0]));
    goto done;
  }
  if (info.input_size != x->in_size || info.output_size == 0) {
    kg_err(CMD, "the driver reports input size %u, output size %u (header: %zu)",
           info.input_size, info.output_size, x->in_size);
    goto done;
  }
  r->out_size = info.output_size;
  r->out = malloc((size_t)x->n * r->out_size);
  r->pred = malloc(x->n);
  perf = malloc(sizeof *perf);
  if (!r->out || !r->pred || !perf) {
    kg_err(CMD, "out of memory");
    goto done;
  }

  /* Contiguous slices, one per device. */
  atomic_uint_fast64_t done_imgs;
  atomic_uint finished;
  atomic_init(&done_imgs, 0);
  atomic_init(&finished, 0u);
  const double t0 = kg_now();
  for (uint32_t j = 0; j < r->jobs; j++) {
    const uint32_t first = (uint32_t)((uint64_t)x->n * j / r->jobs);
    const uint32_t last = (uint32_t)((uint64_t)x->n * (j + 1) / r->jobs);
    jobs[j] = (job){dev[j], mdl[j], x->in + (size_t)first * x->in_size,
                    r->out + (size_t)first * r->out_size, last - first, a->batch, x->in_size,
                    r->out_size, &done_imgs, &finished, KG_OK, ""};
    if (pthread_create(&tid[j], NULL, worker, &jobs[j]) != 0) {
      kg_err(CMD, "cannot start a worker thread");
      break;
    }
    started++;
  }
  kg_progress bar;
  kg_progress_init(&bar);
  while (atomic_load(&finished) < started) {
    char suffix[64];
    const uint64_t d = atomic_load(&done_imgs);
    snprintf(suffix, sizeof suffix, "%llu/%u images", (unsigned long long)d, x->n);
    kg_progress_update(&bar, "infer", d, x->n, suffix);
    const struct timespec ts = {0, 50 * 1000 * 1000};
    nanosleep(&ts, NULL);
  }
  for (uint32_t j = 0; j < started; j++) pthread_join(tid[j], NULL);
  r->seconds = kg_now() - t0;
  kg_progress_clear(&bar);
  if (started < r->jobs) goto done;
  for (uint32_t j = 0; j < r->jobs; j++)
    if (jobs[j].rc != KG_OK) {
      kg_err(CMD, "inference failed on device %u: %s (%s) (status %d)", j,
             kg_strerror(jobs[j].rc), jobs[j].err, jobs[j].rc);
      goto done;
    }

  /* Predictions: argmax, lowest index on ties (as kg_qmodel_infer). */
  for (uint32_t i = 0; i < x->n; i++) {
    const int8_t *o = r->out + (size_t)i * r->out_size;
    uint32_t best = 0;
    for (uint32_t c = 1; c < r->out_size; c++)
      if (o[c] > o[best]) best = c;
    r->pred[i] = (uint8_t)(best > 255 ? 255 : best);
  }
  /* Performance, summed over the devices. */
  r->key_ok = 1;
  for (uint32_t j = 0; j < r->jobs; j++) {
    if ((rc = kg_perf(mdl[j], perf)) != KG_OK) {
      kg_err(CMD, "cannot read the performance counters: %s", kg_strerror(rc));
      goto done;
    }
    for (uint32_t l = 0; l < perf->n_layers && l < KG_PERF_MAX_LAYERS; l++)
      r->layer_cycles += perf->layer[l].cycles;
    r->ideal += perf->total.ideal;
    r->dec_stall += perf->total.dec_stall;
    r->sim_cycles += perf->sim_cycles;
    r->key_ok &= kg_model_key_ok(mdl[j]) != 0;
  }
  ret = KG_EXIT_OK;
done:
  free(perf);
  for (uint32_t j = 0; j < MAX_JOBS; j++) {
    kg_model_free(mdl[j]);
    kg_close(dev[j]);
  }
  return ret;
}

/* Load the float model before the (possibly long) device run. */
static int load_float(const char *path, size_t in_size, kgml_model *fm) {
  char detail[KGML_DETAIL_LEN] = "";
  const int rc = kgml_model_load(fm, path, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load float model %s: %s (%s)", path, kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  if ((size_t)fm->in_h * fm->in_w * fm->in_c != in_size) {
    kg_err(CMD, "float model %s takes %ux%ux%u inputs, not %zu values", path, fm->in_h, fm->in_w,
           fm->in_c, in_size);
    kgml_model_free(fm);
    return KG_EXIT_FAIL;
  }
  return KG_EXIT_OK;
}

/* Float-model predictions: agreement with the device and accuracy. */
static int float_compare(const kgml_model *fm, const inputs *x, const results *r,
                         uint32_t *agree, uint32_t *fcorrect) {
  uint8_t *fpred = malloc(x->n);
  if (!fpred) {
    kg_err(CMD, "out of memory");
    return KG_EXIT_FAIL;
  }
  const int rc = kgml_predict(fm, x->pix, x->n, r->jobs, fpred, NULL);
  if (rc != KGML_OK) {
    kg_err(CMD, "float model inference failed: %s", kgml_strerror(rc));
    free(fpred);
    return KG_EXIT_FAIL;
  }
  for (uint32_t i = 0; i < x->n; i++) {
    *agree += r->pred[i] == fpred[i];
    if (x->labels) *fcorrect += fpred[i] == x->labels[i];
  }
  free(fpred);
  return KG_EXIT_OK;
}

static int run(int argc, char **argv) {
  args a;
  if (parse_args(argc, argv, &a) != KG_EXIT_OK) return KG_EXIT_USAGE;
  const int fc = check_files(&a);
  if (fc != KG_EXIT_OK) return fc;
  int ret = KG_EXIT_FAIL;
  char detail[KG_DETAIL_LEN] = "";
  kgm_model hdr;
  kg_keys keys;
  inputs x;
  results r;
  kgml_model fm;
  int have_fm = 0;
  memset(&keys, 0, sizeof keys);
  memset(&x, 0, sizeof x);
  memset(&r, 0, sizeof r);

  /* The model's header: geometry, lock modes, input quantization. */
  int rc = kgm_load_file(&hdr, a.model, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "cannot load %s: %s (%s)", a.model, kg_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  const int locked = (hdr.flags & KGM_FLAG_SIGN) || hdr.crypt != KGM_CRYPT_NONE;
  if (locked && !a.keys) {
    kg_err(CMD, "%s is locked (sign %s, crypt %s): --keys KEYS.kgk is required", a.model,
           (hdr.flags & KGM_FLAG_SIGN) ? "on" : "off", kgm_crypt_name(hdr.crypt));
    ret = KG_EXIT_USAGE;
    goto done;
  }
  if (a.keys) {
    uint32_t kr, kc;
    if (kg_cli_read_keys(CMD, a.keys, &keys, &kr, &kc) != KG_EXIT_OK) goto done;
    if (kr != hdr.rows || kc != hdr.cols) {
      kg_err(CMD, "key file %s is for a %ux%u array but %s is locked for %ux%u", a.keys, kr, kc,
             a.model, hdr.rows, hdr.cols);
      goto done;
    }
    keys.policy = a.policy;
    keys.threshold = a.threshold;
    keys.legacy = a.legacy ? 1u : 0u;
  }
  if (load_inputs(&a, &hdr, &x) != KG_EXIT_OK) goto done;
  if (a.float_model) {
    if (load_float(a.float_model, x.in_size, &fm) != KG_EXIT_OK) goto done;
    have_fm = 1;
  }
  if (run_devices(&a, &hdr, a.keys ? &keys : NULL, &x, &r) != KG_EXIT_OK) goto done;
  const uint32_t n = x.n;
  uint32_t correct = 0, agree = 0, fcorrect = 0;
  if (x.labels)
    for (uint32_t i = 0; i < n; i++) correct += r.pred[i] == x.labels[i];
  if (have_fm && float_compare(&fm, &x, &r, &agree, &fcorrect) != KG_EXIT_OK) goto done;
  const double cpi = (double)r.layer_cycles / n;
  const double util = r.layer_cycles ? (double)r.ideal / (double)r.layer_cycles : 0.0;
  const double cps = r.seconds > 0 ? (double)r.sim_cycles / r.seconds : 0.0;
  const uint32_t crc = kgm_crc32c(r.pred, n);
  if (a.preds && kg_out_write(CMD, a.preds, r.pred, n, a.force) != KG_EXIT_OK) goto done;
  if (a.logits && kg_out_write(CMD, a.logits, r.out, (size_t)n * r.out_size, a.force) != KG_EXIT_OK)
    goto done;

  if (a.json) {
    printf("{\"status\": 0, \"refused\": false, \"backend\": \"%s\", \"geometry\": \"%ux%u\", "
           "\"rows\": %u, \"cols\": %u,\n",
           a.backend, hdr.rows, hdr.cols, hdr.rows, hdr.cols);
    printf(" \"model\": ");
    kg_json_str(stdout, a.model);
    printf(", \"crypt\": \"%s\", \"sign\": %s, \"format_version\": %u, \"auth\": %s, "
           "\"key_ok\": %s, \"policy\": \"%s\", \"legacy\": %s,\n",
           kgm_crypt_name(hdr.crypt), (hdr.flags & KGM_FLAG_SIGN) ? "true" : "false",
           hdr.version, (hdr.flags & KGM_FLAG_AUTH) ? "true" : "false",
           r.key_ok ? "true" : "false", kg_cli_policy_name(a.policy),
           a.legacy ? "true" : "false");
    printf(" \"images\": %u, \"jobs\": %u, \"batch\": %u,\n", n, r.jobs, a.batch);
    if (x.labels) printf(" \"correct\": %u, \"accuracy\": %.6f,\n", correct, (double)correct / n);
    if (a.float_model) {
      printf(" \"float_agreement\": %.6f,", (double)agree / n);
      if (x.labels) printf(" \"float_accuracy\": %.6f,", (double)fcorrect / n);
      printf("\n");
    }
    printf(" \"cycles_per_inference\": %.2f, \"layer_cycles\": %llu, \"ideal_cycles\": %llu, "
           "\"utilisation\": %.6f, \"dec_stall_cycles\": %llu,\n",
           cpi, (unsigned long long)r.layer_cycles, (unsigned long long)r.ideal, util,
           (unsigned long long)r.dec_stall);
    printf(" \"sim_cycles\": %llu, \"host_seconds\": %.6f, \"sim_cycles_per_second\": %.1f,\n",
           (unsigned long long)r.sim_cycles, r.seconds, cps);
    if (a.preds) {
      printf(" \"predictions\": ");
      kg_json_str(stdout, a.preds);
      printf(",");
    }
    printf(" \"predictions_crc32c\": \"%08x\"}\n", crc);
  } else {
    FILE *sum = a.preds ? stdout : stderr;
    if (!a.preds)
      for (uint32_t i = 0; i < n; i++) printf("%u\n", r.pred[i]);
    fprintf(sum, "%u images on %s %ux%u (%u job%s): key %s", n, a.backend, hdr.rows, hdr.cols,
            r.jobs, r.jobs == 1 ? "" : "s", r.key_ok ? "ok" : "WRONG (policy run)");
    if (x.labels) fprintf(sum, ", accuracy %.2f%%", 100.0 * correct / n);
    if (a.float_model) {
      fprintf(sum, ", agreement with the float model %.2f%%", 100.0 * agree / n);
      if (x.labels) fprintf(sum, " (float accuracy %.2f%%)", 100.0 * fcorrect / n);
    }
    fprintf(sum, "\n  %.1f cycles/inference, utilisation %.1f%%, %llu sim cycles in %.2f s "
            "(%.3g cycles/s)\n",
            cpi, 100.0 * util, (unsigned long long)r.sim_cycles, r.seconds, cps);
    if (a.preds) fprintf(sum, "  predictions written to %s (crc32c %08x)\n", a.preds, crc);
  }
  fflush(stdout);
  ret = KG_EXIT_OK;
done:
  if (have_fm) kgml_model_free(&fm);
  kgm_model_free(&hdr);
  kg_keys_wipe(&keys);
  free(x.pix);
  free(x.labels);
  free(x.in);
  free(r.out);
  free(r.pred);
  return ret;
}

const kg_cmd kg_cmd_infer = {"infer", "run a locked model on a back-end (rtl or model)", run,
                             help};
