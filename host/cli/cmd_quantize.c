/* kgmac quantize: float model -> unlocked int8 model (.kgq). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "kgml/fmodel.h"
#include "kgml/kgq.h"
#include "kgml/quant.h"

static const char *const CMD = "quantize";

static void help(FILE *out) {
  fprintf(out,
          "usage: kgmac quantize --in FLOAT.kgf --out MODEL.kgq [--calib N] [--data DIR]\n"
          "                      [--threads N]\n"
          "\n"
          "Quantize a float model to kgmac's unlocked int8 format (.kgq, see\n"
          "docs/kgq-format.md): weights symmetric per output channel in [-127, 127],\n"
          "activations symmetric per tensor, calibrated on the first N training images,\n"
          "int32 bias and per-channel requantization (mult, shift) bit-exact with the\n"
          "hardware. Then run both models on the 10,000 test images and print the float\n"
          "accuracy, the int8 accuracy (bit-exact kgmac arithmetic) and the difference.\n"
          "\n"
          "  --in FILE     float model written by kgmac train\n"
          "  --out FILE    .kgq model to write (a file is overwritten; a directory,\n"
          "                FIFO, device or socket is refused)\n"
          "  --calib N     calibration images from the training set (default 2000)\n"
          "  --data DIR    Fashion-MNIST directory (default %s)\n"
          "  --threads N   threads for the evaluation, 1..16 (default 2)\n",
          KGML_DEFAULT_DATA_DIR);
}

static int run(int argc, char **argv) {
  const char *in = NULL, *out = NULL, *calib_s = NULL, *threads_s = NULL;
  const char *data = KGML_DEFAULT_DATA_DIR;
  const kg_opt opts[] = {{"in", 1, &in, NULL},       {"out", 1, &out, NULL},
                         {"calib", 1, &calib_s, NULL}, {"data", 1, &data, NULL},
                         {"threads", 1, &threads_s, NULL}, {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!in || !*in || !out || !*out) {
    kg_err(CMD, "--in FLOAT and --out MODEL.kgq are required");
    return KG_EXIT_USAGE;
  }
  uint32_t n_calib = 2000, nthreads = 2;
  if (calib_s && kg_parse_u32(CMD, "calib", calib_s, 1, 60000, &n_calib)) return KG_EXIT_USAGE;
  if (threads_s && kg_parse_u32(CMD, "threads", threads_s, 1, 16, &nthreads))
    return KG_EXIT_USAGE;
  if (kg_out_ok(CMD, out, 1) != KG_EXIT_OK) return KG_EXIT_FAIL;

  char detail[KGML_DETAIL_LEN] = "";
  kgml_model fm;
  int rc = kgml_model_load(&fm, in, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load float model %s: %s (%s)", in, kgml_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  kgml_dataset train, test;
  memset(&test, 0, sizeof test);
  rc = kgml_dataset_load(data, "train", &train, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load the training set: %s (%s)", kgml_strerror(rc), detail);
    kgml_model_free(&fm);
    return KG_EXIT_FAIL;
  }
  int ret = KG_EXIT_FAIL;
  kg_qmodel qm;
  memset(&qm, 0, sizeof qm);
  uint8_t *pf = NULL, *pq = NULL;
  if (n_calib > train.n) n_calib = train.n;
  rc = kgml_quantize(&fm, &train, n_calib, &qm, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "quantization failed: %s (%s)", kgml_strerror(rc), detail);
    goto out;
  }
  printf("quantized %s (%u layers), activations calibrated on %u training images\n", fm.arch,
         qm.n_layers, n_calib);
  printf("  input: scale 1/%.0f, zero point %d\n", 1.0 / qm.in_scale, qm.in_zero);
  for (uint32_t l = 0; l < qm.n_layers; l++) {
    const kg_qlayer *L = &qm.layers[l];
    int32_t mmin = L->mult[0], mmax = L->mult[0];
    unsigned smin = L->shift[0], smax = L->shift[0];
    for (uint32_t n = 1; n < L->N; n++) {
      if (L->mult[n] < mmin) mmin = L->mult[n];
      if (L->mult[n] > mmax) mmax = L->mult[n];
      if (L->shift[n] < smin) smin = L->shift[n];
      if (L->shift[n] > smax) smax = L->shift[n];
    }
    if (L->type == KGQ_CONV)
      printf("  %u: conv %ux%u/%u pad %u  %ux%ux%u -> %ux%ux%u", l, L->kh, L->kw, L->stride,
             L->pad, L->in_h, L->in_w, L->in_c, L->out_h, L->out_w, L->out_c);
    else
      printf("  %u: fc  %u -> %u", l, L->K, L->N);
    printf("%s  out scale %.5g  shift %u..%u  mult %d..%d\n", L->relu ? " relu" : "",
           (double)L->out_scale, smin, smax, mmin, mmax);
  }
  if ((rc = kg_qmodel_save(&qm, out, detail)) != KGML_OK) {
    kg_err(CMD, "cannot write %s: %s (%s)", out, kgml_strerror(rc), detail);
    goto out;
  }
  printf("wrote %s\n", out);
  rc = kgml_dataset_load(data, "t10k", &test, detail);
  if (rc != KGML_OK) {
    kg_err(CMD, "cannot load the test set: %s (%s)", kgml_strerror(rc), detail);
    goto out;
  }
  pf = malloc(test.n);
  pq = malloc(test.n);
  if (!pf || !pq) {
    kg_err(CMD, "out of memory");
    goto out;
  }
  const double t0 = kg_now();
  if ((rc = kgml_predict(&fm, test.pix, test.n, nthreads, pf, NULL)) != KGML_OK ||
      (rc = kg_qmodel_predict(&qm, test.pix, test.n, nthreads, pq)) != KGML_OK) {
    kg_err(CMD, "evaluation failed: %s", kgml_strerror(rc));
    goto out;
  }
  uint32_t okf = 0, okq = 0, agree = 0;
  for (uint32_t i = 0; i < test.n; i++) {
    okf += pf[i] == test.labels[i];
    okq += pq[i] == test.labels[i];
    agree += pf[i] == pq[i];
  }
  const double af = 100.0 * okf / test.n, aq = 100.0 * okq / test.n;
  printf("test set (%u images, %.1f s):\n", test.n, kg_now() - t0);
  printf("  float accuracy  %6.2f%%\n", af);
  printf("  int8 accuracy   %6.2f%%  (bit-exact kgmac arithmetic)\n", aq);
  printf("  difference      %+6.2f pp\n", aq - af);
  printf("  agreement       %6.2f%%  (int8 and float predict the same class)\n",
         100.0 * agree / test.n);
  ret = KG_EXIT_OK;
out:
  free(pf);
  free(pq);
  kg_qmodel_free(&qm);
  kgml_model_free(&fm);
  kgml_dataset_free(&train);
  kgml_dataset_free(&test);
  return ret;
}

const kg_cmd kg_cmd_quantize = {"quantize", "quantize a float model to int8 (.kgq)", run, help};
