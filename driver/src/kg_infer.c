/* kg_infer.c: run batches of images through a loaded model. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kg_driver_internal.h"

static double now_seconds(void) {
  struct timespec t;
  timespec_get(&t, TIME_UTC);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void put_le32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

/* The input mask of FC layer l (docs/spec.md, "FC after CONV" and "Input
 * mask"). An FC that reads a convolution's output reads each pixel at the
 * conv's device stride, so GROUP = kg_pack_act_stride(c) and VALID = c:
 * the device reads the padding channels as 0 whatever memory holds, and
 * the padding rows of the weights may hold random bytes (version-2
 * models). Set for every FC after a convolution, also when c is a multiple
 * of 16 (GROUP = VALID = c masks nothing and costs nothing), so the
 * descriptor always states the layout. No mask after an FC or for the
 * first layer (dense rows). A stride that does not fit GROUP (c > 0xfff0,
 * far past any buffer) leaves GROUP 0 with VALID set, which the device
 * refuses (ERR_RESERVED) rather than reading the padding. */
static void fc_in_mask(const kg_model *md, uint32_t l, kg_layer_desc *d) {
  d->in_group = d->in_valid = 0;
  if (l == 0 || md->plan[l - 1].op != KGM_LAYER_CONV) return;
  const uint32_t c = md->plan[l - 1].conv.oc;
  const uint64_t stride = kg_pack_act_stride(c);
  d->in_group = stride <= 0xffffu ? (uint32_t)stride : 0u;
  d->in_valid = c;
}

/* Descriptors of one batch of b images: FC layers once with M = b, conv
 * layers once per image. Returns the number written. */
static uint32_t build_job(kg_model *md, uint32_t b) {
  uint32_t nd = 0;
  for (uint32_t l = 0; l < md->m.n_layers; l++) {
    const kg_lplan *P = &md->plan[l];
    kg_layer_desc d;
    memset(&d, 0, sizeof d);
    d.op = P->op;
    d.relu = P->relu;
    d.crypt = P->crypt;
    d.sign = P->sign;
    d.in_stride = P->in_stride;
    d.out_stride = P->out_stride;
    d.w_addr = P->w_addr;
    d.w_pos = P->w_pos;
    d.p_addr = P->p_addr;
    const uint32_t in_a = md->act_addr[P->in_buf], out_a = md->act_addr[P->in_buf ^ 1u];
    const uint32_t runs = P->op == KGM_LAYER_CONV ? b : 1u;
    for (uint32_t i = 0; i < runs; i++) {
      if (P->op == KGM_LAYER_CONV) {
        d.conv = P->conv;
        d.in_addr = in_a + i * P->in_img;
        d.out_addr = out_a + i * P->out_img;
      } else {
        d.m = b;
        d.k = P->K;
        d.n = P->N;
        fc_in_mask(md, l, &d);
        d.in_addr = in_a;
        d.out_addr = out_a;
      }
      uint32_t w[16];
      kg_pack_desc(&d, w);
      for (size_t j = 0; j < 16; j++) put_le32(md->descs + (size_t)nd * 64u + 4u * j, w[j]);
      md->desc_addrs[nd] = md->desc_addr + 64u * nd;
      md->desc_layer[nd] = l;
      nd++;
    }
  }
  return nd;
}

/* One batch of b <= max_batch images. */
static int run_batch(kg_model *md, const int8_t *in, uint32_t b, int8_t *out) {
  kg_dev *dev = md->dev;
  const kg_lplan *first = &md->plan[0], *last = &md->plan[md->m.n_layers - 1];
  const uint32_t isz = md->info.input_size, osz = md->info.output_size;
  /* Inputs in the first layer's device layout: FC rows at in_stride, conv
   * pixels at in_stride (padding bytes are never read). */
  const size_t in_bytes = (size_t)b * first->in_img;
  if (first->op == KGM_LAYER_CONV) {
    const uint32_t px = first->conv.h * first->conv.w, ic = first->conv.ic;
    for (uint32_t i = 0; i < b; i++)
      for (uint32_t p = 0; p < px; p++)
        memcpy(md->stage + (size_t)i * first->in_img + (size_t)p * first->in_stride,
               in + (size_t)i * isz + (size_t)p * ic, ic);
  } else {
    for (uint32_t i = 0; i < b; i++)
      memcpy(md->stage + (size_t)i * first->in_img, in + (size_t)i * isz, isz);
  }
  const uint32_t nd = build_job(md, b);
  if (dev->hal.mem_write(dev->hal.ctx, md->act_addr[first->in_buf], md->stage, in_bytes) != 0 ||
      dev->hal.mem_write(dev->hal.ctx, md->desc_addr, md->descs, (size_t)nd * 64u) != 0)
    return kg_dev_fail(dev, KG_E_DEVICE, "writing inputs or descriptors to device memory failed");
  uint32_t failed = 0;
  const int rc = kg_fw_run_job(&dev->fw, md->desc_addrs, nd, dev->opts.layer_timeout, &failed,
                               md->fw_perf);
  if (rc != KG_FW_OK) {
    const uint32_t l = failed < nd ? md->desc_layer[failed] : 0u;
    char what[96];
    snprintf(what, sizeof what, "layer %u (%s) of %u", l,
             md->plan[l].op == KGM_LAYER_CONV ? "conv" : "fc", md->m.n_layers);
    return kg_dev_fw_fail(dev, rc, what);
  }
  for (uint32_t i = 0; i < nd; i++) {
    kg_lperf *lp = &md->lperf[md->desc_layer[i]];
    const kg_fw_perf *f = &md->fw_perf[i];
    lp->fw.cycles += f->cycles;
    lp->fw.busy += f->busy;
    lp->fw.compute += f->compute;
    lp->fw.rd_bytes += f->rd_bytes;
    lp->fw.wr_bytes += f->wr_bytes;
    lp->fw.dma_stall += f->dma_stall;
    lp->fw.dec_stall += f->dec_stall;
  }
  for (uint32_t l = 0; l < md->m.n_layers; l++) md->lperf[l].macs += (uint64_t)b * md->plan[l].macs_img;
  /* Outputs: the last layer's rows/pixels at out_stride, compacted. */
  const size_t out_bytes = (size_t)b * last->out_img;
  if (dev->hal.mem_read(dev->hal.ctx, md->act_addr[last->in_buf ^ 1u], md->stage, out_bytes) != 0)
    return kg_dev_fail(dev, KG_E_DEVICE, "reading outputs from device memory failed");
  const uint32_t n_out = last->N;
  for (uint32_t i = 0; i < b; i++)
    for (uint32_t p = 0; p < last->m_img; p++)
      memcpy(out + (size_t)i * osz + (size_t)p * n_out,
             md->stage + (size_t)i * last->out_img + (size_t)p * last->out_stride, n_out);
  return KG_OK;
}

int kg_infer(kg_model *md, const int8_t *in, uint32_t n, int8_t *out) {
  if (!md) return KG_E_INVAL;
  kg_dev *dev = md->dev;
  if (!dev) return KG_E_STATE;
  dev->err[0] = '\0';
  if (n == 0) return KG_OK;
  if (!in || !out) return kg_dev_fail(dev, KG_E_INVAL, "kg_infer: NULL input or output");
  const double t0 = now_seconds();
  const uint64_t c0 = kg_dev_cycles(dev);
  int rc = KG_OK;
  /* The device holds one authenticated model, and the vault one checked
   * KCV: another model may have been verified or checked (or the vault
   * re-provisioned) since this model's turn. */
  if (md->m.flags & KGM_FLAG_AUTH) {
    if (dev->auth_model != md) rc = kg_model_authenticate(md);
  } else if (md->m.crypt != KGM_CRYPT_NONE && dev->kcv_model != md) {
    rc = kg_model_key_check(md);
  }
  const uint32_t nb = dev->opts.max_batch;
  for (uint32_t s = 0; rc == KG_OK && s < n; s += nb) {
    const uint32_t b = n - s < nb ? n - s : nb;
    rc = run_batch(md, in + (size_t)s * md->info.input_size, b,
                   out + (size_t)s * md->info.output_size);
    if (rc == KG_OK) md->inferences += b;
  }
  md->sim_cycles += kg_dev_cycles(dev) - c0;
  md->host_seconds += now_seconds() - t0;
  return rc;
}

int kg_infer_float(kg_model *md, const float *in, uint32_t n, int8_t *out) {
  if (!md) return KG_E_INVAL;
  if (!md->dev) return KG_E_STATE;
  if (n == 0) return KG_OK;
  if (!in || !out) return kg_dev_fail(md->dev, KG_E_INVAL, "kg_infer_float: NULL input or output");
  const float sc = md->info.in_scale;
  if (!(sc > 0.0f) || !isfinite(sc))
    return kg_dev_fail(md->dev, KG_E_STATE, "kg_infer_float: the model's input scale is %g",
                       (double)sc);
  const size_t total = (size_t)n * md->info.input_size;
  int8_t *q = malloc(total ? total : 1u);
  if (!q) return kg_dev_fail(md->dev, KG_E_NOMEM, "kg_infer_float: out of memory");
  for (size_t i = 0; i < total; i++) {
    /* round() rounds halfway cases away from zero. NaN maps to the zero point. */
    double v = isnan(in[i]) ? 0.0 : round((double)in[i] / (double)sc);
    v += (double)md->info.in_zero;
    if (v < -128.0) v = -128.0;
    if (v > 127.0) v = 127.0;
    q[i] = (int8_t)v;
  }
  const int rc = kg_infer(md, q, n, out);
  free(q);
  return rc;
}
