/* kgmac bench: per-layer cycles, utilisation and decrypt overhead. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli_kg.h"
#include "kgmac/keyfile.h"
#include "kgmac/kgm.h"

static const char *const CMD = "bench";

static void help(FILE *out) {
  fputs("usage: kgmac bench --model MODEL.kgm [--keys KEYS.kgk] [--backend rtl|model]\n"
        "                   [--batch N] [--seed S] [--compare PLAIN.kgm] [--legacy]\n"
        "                   [--json]\n"
        "\n"
        "Run one batch of random int8 inputs through the model and print, per layer\n"
        "and in total, the performance counters of the device: cycles, ideal cycles\n"
        "(MACs / (R*C)), utilisation (ideal / cycles), DMA bytes read and written, DMA\n"
        "stall cycles and decrypt stall cycles (the weight decrypt unit's share of the\n"
        "run: dec% = decrypt stalls / cycles).\n"
        "\n"
        "With --compare, the same inputs also run through PLAIN.kgm, the same weights\n"
        "locked with --crypt none --no-sign (the .kgq is not needed here, so the\n"
        "unencrypted copy is a separate file), on the same device, and the ratio of\n"
        "cycles encrypted / plain is printed per layer and in total: the cost of the\n"
        "protection.\n"
        "\n"
        "  --model FILE     locked model (.kgm)\n"
        "  --keys FILE      key file (needed unless the model is unlocked)\n"
        "  --backend B      rtl (default) or model\n"
        "  --batch N        images in the batch, 1..4096 (default 16)\n"
        "  --seed S         seed of the random inputs (default 1)\n"
        "  --compare FILE   unencrypted, unsigned copy of the model\n"
        "  --legacy         provision POLICY.LEGACY = 1: also run format-version-1\n"
        "                   models (no tag, device keys used directly); by default the\n"
        "                   device accepts only authenticated models\n"
        "  --json           one JSON object instead of the table\n",
        out);
}

typedef struct result {
  kgm_model hdr;
  kg_perf_info perf;
  int key_ok;
} result;

/* Load path on dev, run the batch, read the counters. */
static int bench_one(kg_dev *dev, const char *path, const int8_t *in, uint32_t batch,
                     size_t in_size, result *r) {
  char detail[KG_DETAIL_LEN] = "";
  int rc = kgm_load_file(&r->hdr, path, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "cannot load %s: %s (%s)", path, kg_strerror(rc), detail);
    return KG_EXIT_FAIL;
  }
  if ((size_t)r->hdr.in_h * r->hdr.in_w * r->hdr.in_c != in_size) {
    kg_err(CMD, "%s takes %ux%ux%u inputs, unlike the model", path, r->hdr.in_h, r->hdr.in_w,
           r->hdr.in_c);
    return KG_EXIT_FAIL;
  }
  kg_model *m = NULL;
  if (kg_cli_model_load(CMD, dev, path, &m, 0) != KG_OK) return KG_EXIT_FAIL;
  kg_model_info info;
  int8_t *out = NULL;
  int ret = KG_EXIT_FAIL;
  if ((rc = kg_model_query(m, &info)) != KG_OK) {
    kg_err(CMD, "cannot query %s: %s (%s)", path, kg_strerror(rc), kg_last_error(dev));
    goto done;
  }
  out = malloc((size_t)batch * (info.output_size ? info.output_size : 1));
  if (!out) {
    kg_err(CMD, "out of memory");
    goto done;
  }
  kg_perf_reset(m);
  if ((rc = kg_infer(m, in, batch, out)) != KG_OK) {
    kg_err(CMD, "inference failed: %s (%s) (status %d)", kg_strerror(rc), kg_last_error(dev), rc);
    goto done;
  }
  if ((rc = kg_perf(m, &r->perf)) != KG_OK) {
    kg_err(CMD, "cannot read the performance counters: %s", kg_strerror(rc));
    goto done;
  }
  r->key_ok = kg_model_key_ok(m);
  ret = KG_EXIT_OK;
done:
  free(out);
  kg_model_free(m);
  return ret;
}

static double ratio(uint64_t a, uint64_t b) { return b ? (double)a / (double)b : 0.0; }

static void layer_json(const kg_layer_perf *p, uint32_t batch) {
  printf("\"cycles\": %llu, \"cycles_per_inference\": %.2f, \"ideal\": %llu, "
         "\"utilisation\": %.6f, \"busy\": %llu, \"compute\": %llu, \"rd_bytes\": %llu, "
         "\"wr_bytes\": %llu, \"dma_stall\": %llu, \"dec_stall\": %llu, "
         "\"dec_stall_fraction\": %.6f",
         (unsigned long long)p->cycles, (double)p->cycles / batch, (unsigned long long)p->ideal,
         ratio(p->ideal, p->cycles), (unsigned long long)p->busy, (unsigned long long)p->compute,
         (unsigned long long)p->rd_bytes, (unsigned long long)p->wr_bytes,
         (unsigned long long)p->dma_stall, (unsigned long long)p->dec_stall,
         ratio(p->dec_stall, p->cycles));
}

static void layer_text(const char *name, const char *shape, const kg_layer_perf *p,
                       const kg_layer_perf *plain) {
  printf("%-6s %-22s %11llu %11llu %6.1f%% %10llu %9llu %9llu %9llu %5.1f%%", name, shape,
         (unsigned long long)p->cycles, (unsigned long long)p->ideal,
         100.0 * ratio(p->ideal, p->cycles), (unsigned long long)p->rd_bytes,
         (unsigned long long)p->wr_bytes, (unsigned long long)p->dma_stall,
         (unsigned long long)p->dec_stall, 100.0 * ratio(p->dec_stall, p->cycles));
  if (plain) printf(" %8.4f", ratio(p->cycles, plain->cycles));
  printf("\n");
}

static int run(int argc, char **argv) {
  const char *model_path = NULL, *keys_path = NULL, *backend = "rtl", *batch_s = NULL;
  const char *seed_s = NULL, *compare = NULL;
  int json = 0, legacy = 0;
  const kg_opt opts[] = {{"model", 1, &model_path, NULL}, {"keys", 1, &keys_path, NULL},
                         {"backend", 1, &backend, NULL},  {"batch", 1, &batch_s, NULL},
                         {"seed", 1, &seed_s, NULL},      {"compare", 1, &compare, NULL},
                         {"json", 0, NULL, &json},        {"legacy", 0, NULL, &legacy},
                         {NULL, 0, NULL, NULL}};
  if (kg_parse_opts(CMD, argc, argv, opts) != KG_EXIT_OK) return KG_EXIT_USAGE;
  if (!model_path || !*model_path) {
    kg_err(CMD, "--model MODEL.kgm is required");
    return KG_EXIT_USAGE;
  }
  if (kg_cli_parse_backend(CMD, backend)) return KG_EXIT_USAGE;
  uint32_t batch = 16;
  uint64_t seed = 1;
  if (batch_s && kg_parse_u32(CMD, "batch", batch_s, 1, 4096, &batch)) return KG_EXIT_USAGE;
  if (seed_s && kg_parse_u64(CMD, "seed", seed_s, &seed)) return KG_EXIT_USAGE;

  int ret = KG_EXIT_FAIL;
  char detail[KG_DETAIL_LEN] = "";
  kg_keys keys;
  memset(&keys, 0, sizeof keys);
  kg_dev *dev = NULL;
  int8_t *in = NULL;
  result *enc = calloc(1, sizeof *enc), *plain = compare ? calloc(1, sizeof *plain) : NULL;
  if (!enc || (compare && !plain)) {
    kg_err(CMD, "out of memory");
    goto done;
  }
  kgm_model hdr;
  int rc = kgm_load_file(&hdr, model_path, detail);
  if (rc != KG_OK) {
    kg_err(CMD, "cannot load %s: %s (%s)", model_path, kg_strerror(rc), detail);
    goto done;
  }
  const uint32_t rows = hdr.rows, cols = hdr.cols;
  const size_t in_size = (size_t)hdr.in_h * hdr.in_w * hdr.in_c;
  const int locked = (hdr.flags & KGM_FLAG_SIGN) || hdr.crypt != KGM_CRYPT_NONE;
  kgm_model_free(&hdr);
  if (locked && !keys_path) {
    kg_err(CMD, "%s is locked: --keys KEYS.kgk is required", model_path);
    ret = KG_EXIT_USAGE;
    goto done;
  }
  if (keys_path) {
    uint32_t kr, kc;
    if (kg_cli_read_keys(CMD, keys_path, &keys, &kr, &kc) != KG_EXIT_OK) goto done;
    if (kr != rows || kc != cols) {
      kg_err(CMD, "key file %s is for a %ux%u array but %s is locked for %ux%u", keys_path, kr,
             kc, model_path, rows, cols);
      goto done;
    }
    keys.legacy = legacy ? 1u : 0u;
  }
  in = malloc((size_t)batch * in_size);
  if (!in) {
    kg_err(CMD, "out of memory");
    goto done;
  }
  uint64_t s = seed ? seed : 1;
  for (size_t i = 0; i < (size_t)batch * in_size; i++) { /* xorshift64* */
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    in[i] = (int8_t)(uint8_t)((s * 0x2545F4914F6CDD1Dull) >> 56);
  }
  if (kg_cli_open(CMD, backend, rows, cols, batch, keys_path ? &keys : NULL, &dev) != KG_EXIT_OK)
    goto done;
  if (bench_one(dev, model_path, in, batch, in_size, enc) != KG_EXIT_OK) goto done;
  if (compare) {
    if (bench_one(dev, compare, in, batch, in_size, plain) != KG_EXIT_OK) goto done;
    if (plain->hdr.n_layers != enc->hdr.n_layers || plain->hdr.rows != rows ||
        plain->hdr.cols != cols) {
      kg_err(CMD, "%s is not a copy of %s (%u layers for %ux%u, not %u for %ux%u)", compare,
             model_path, plain->hdr.n_layers, plain->hdr.rows, plain->hdr.cols,
             enc->hdr.n_layers, rows, cols);
      goto done;
    }
  }

  const kgm_model *m = &enc->hdr;
  const kg_perf_info *p = &enc->perf;
  const uint32_t nl = p->n_layers < KG_PERF_MAX_LAYERS ? p->n_layers : KG_PERF_MAX_LAYERS;
  uint64_t layer_cycles = 0, plain_cycles = 0;
  for (uint32_t l = 0; l < nl; l++) layer_cycles += p->layer[l].cycles;
  if (plain)
    for (uint32_t l = 0; l < nl; l++) plain_cycles += plain->perf.layer[l].cycles;
  if (json) {
    printf("{\"backend\": \"%s\", \"geometry\": \"%ux%u\", \"rows\": %u, \"cols\": %u, "
           "\"model\": ",
           backend, rows, cols, rows, cols);
    kg_json_str(stdout, model_path);
    printf(", \"crypt\": \"%s\", \"sign\": %s, \"key_ok\": %s, \"batch\": %u, \"seed\": %llu,\n",
           kgm_crypt_name(m->crypt), (m->flags & KGM_FLAG_SIGN) ? "true" : "false",
           enc->key_ok ? "true" : "false", batch, (unsigned long long)seed);
    printf(" \"layers\": [");
    for (uint32_t l = 0; l < nl; l++) {
      printf("%s\n  {\"type\": \"%s\", \"K\": %u, \"N\": %u, ", l ? "," : "",
             l < m->n_layers && m->layers[l].type == KGM_LAYER_CONV ? "conv" : "fc",
             l < m->n_layers ? m->layers[l].K : 0, l < m->n_layers ? m->layers[l].N : 0);
      layer_json(&p->layer[l], batch);
      if (plain)
        printf(", \"plain_cycles\": %llu, \"cycles_ratio\": %.6f",
               (unsigned long long)plain->perf.layer[l].cycles,
               ratio(p->layer[l].cycles, plain->perf.layer[l].cycles));
      printf("}");
    }
    printf("],\n \"total\": {");
    layer_json(&p->total, batch);
    printf("},\n \"layer_cycles\": %llu, \"cycles_per_inference\": %.2f, \"sim_cycles\": %llu, "
           "\"host_seconds\": %.6f",
           (unsigned long long)layer_cycles, (double)layer_cycles / batch,
           (unsigned long long)p->sim_cycles, p->host_seconds);
    if (plain) {
      printf(",\n \"compare\": {\"model\": ");
      kg_json_str(stdout, compare);
      printf(", \"layer_cycles\": %llu, \"cycles_per_inference\": %.2f, \"cycles_ratio\": %.6f}",
             (unsigned long long)plain_cycles, (double)plain_cycles / batch,
             ratio(layer_cycles, plain_cycles));
    }
    printf("}\n");
  } else {
    printf("%s on %s %ux%u: sign %s, crypt %s, key %s; batch of %u random inputs (seed %llu)\n",
           model_path, backend, rows, cols, (m->flags & KGM_FLAG_SIGN) ? "on" : "off",
           kgm_crypt_name(m->crypt), enc->key_ok ? "ok" : "WRONG", batch,
           (unsigned long long)seed);
    printf("%-6s %-22s %11s %11s %7s %10s %9s %9s %9s %6s%s\n", "layer", "shape", "cycles",
           "ideal", "util", "rd_bytes", "wr_bytes", "dma_stl", "dec_stl", "dec%",
           plain ? "  enc/plain" : "");
    for (uint32_t l = 0; l < nl; l++) {
      char name[16], shape[64] = "?";
      snprintf(name, sizeof name, "%u", l);
      if (l < m->n_layers) {
        const kgm_layer *L = &m->layers[l];
        if (L->type == KGM_LAYER_CONV)
          snprintf(shape, sizeof shape, "conv%ux%u/%u %u->%u", L->kh, L->kw, L->stride, L->in_c,
                   L->out_c);
        else
          snprintf(shape, sizeof shape, "fc %u->%u", L->K, L->N);
      }
      layer_text(name, shape, &p->layer[l], plain ? &plain->perf.layer[l] : NULL);
    }
    layer_text("total", "", &p->total, plain ? &plain->perf.total : NULL);
    printf("per inference: %.1f cycles (layers), utilisation %.1f%%; %llu sim cycles in %.3f s "
           "host time\n",
           (double)layer_cycles / batch, 100.0 * ratio(p->total.ideal, layer_cycles),
           (unsigned long long)p->sim_cycles, p->host_seconds);
    if (plain)
      printf("protection overhead: %llu / %llu cycles = %.4f x (%s vs %s)\n",
             (unsigned long long)layer_cycles, (unsigned long long)plain_cycles,
             ratio(layer_cycles, plain_cycles), model_path, compare);
  }
  ret = KG_EXIT_OK;
done:
  if (enc) kgm_model_free(&enc->hdr);
  if (plain) kgm_model_free(&plain->hdr);
  free(enc);
  free(plain);
  free(in);
  kg_close(dev);
  kg_keys_wipe(&keys);
  return ret;
}

const kg_cmd kg_cmd_bench = {"bench", "per-layer cycles, utilisation and decrypt overhead", run,
                             help};
