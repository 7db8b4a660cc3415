/* kg_model.c: load a .kgm onto a device (validation, memory map, key check
 * and authentication through kg_model_auth.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kg_driver_internal.h"
#include "kgmac/file_io.h"
#include "kgmac/kg_regs.h"

static uint64_t r64(uint64_t x) { return (x + 63u) & ~(uint64_t)63u; }

static const char *layer_name(uint32_t type) { return type == KGM_LAYER_CONV ? "conv" : "fc"; }

/* Lay every layer out for the device: strides, per-image sizes, and the
 * checks the hardware would otherwise fail a descriptor on. */
static int plan_layers(kg_dev *dev, kg_model *md) {
  const kgm_model *m = &md->m;
  const kg_fw_info *hw = &dev->fw.info;
  const uint32_t sign = (m->flags & KGM_FLAG_SIGN) ? 1u : 0u;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgm_layer *L = &m->layers[l];
    kg_lplan *P = &md->plan[l];
    const kg_lplan *prev = l ? &md->plan[l - 1] : NULL;
    memset(P, 0, sizeof *P);
    P->op = L->type;
    P->relu = L->relu;
    P->crypt = m->crypt;
    P->sign = sign;
    P->K = L->K;
    P->N = L->N;
    P->in_buf = l & 1u;
    if (L->K == 0 || L->N == 0)
      return kg_dev_fail(dev, KG_E_LAYER, "layer %u: K=%u N=%u", l, L->K, L->N);
    if (L->type == KGM_LAYER_FC) {
      if (!prev) {
        const uint64_t isz = (uint64_t)m->in_h * m->in_w * m->in_c;
        if (L->K != isz)
          return kg_dev_fail(dev, KG_E_LAYER,
                             "layer 0 (fc): K=%u but the input has %llu values", L->K,
                             (unsigned long long)isz);
        P->in_stride = (uint32_t)kg_pack_act_stride(L->K);
      } else if (prev->op == KGM_LAYER_FC) {
        if (L->K != prev->N)
          return kg_dev_fail(dev, KG_E_LAYER, "layer %u (fc): K=%u but layer %u has N=%u", l,
                             L->K, l - 1, prev->N);
        P->in_stride = prev->out_stride;
      } else {
        /* FC after conv: the conv's output pixels at their device stride,
         * one image per row; the model has zero weights for the padding.
         * kgm_validate has checked K == kg_pack_fc_after_conv_k (the
         * conv's out_img) before any plan is made. */
        P->in_stride = prev->out_img;
      }
      P->m_img = 1;
      P->in_img = P->in_stride;
    } else if (L->type == KGM_LAYER_CONV) {
      kg_conv_shape *s = &P->conv;
      s->h = L->in_h;
      s->w = L->in_w;
      s->ic = L->in_c;
      s->oc = L->out_c;
      s->kh = L->kh;
      s->kw = L->kw;
      s->stride = L->stride;
      s->pad = L->pad;
      if (kg_conv_shape_check(s) != KG_REF_OK || s->h > 0xffffu || s->w > 0xffffu ||
          s->ic > 0xffffu || s->oc > 0xffffu)
        return kg_dev_fail(dev, KG_E_LAYER,
                           "layer %u (conv): shape %ux%ux%u -> %u, kernel %ux%u, stride %u, pad "
                           "%u is not supported by the hardware",
                           l, s->h, s->w, s->ic, s->oc, s->kh, s->kw, s->stride, s->pad);
      if (kg_conv_out_h(s) != L->out_h || kg_conv_out_w(s) != L->out_w ||
          L->K != s->kh * s->kw * s->ic || L->N != s->oc)
        return kg_dev_fail(dev, KG_E_LAYER,
                           "layer %u (conv): output %ux%u, K=%u, N=%u do not follow from its shape",
                           l, L->out_h, L->out_w, L->K, L->N);
      if (!prev) {
        if (s->h != m->in_h || s->w != m->in_w || s->ic != m->in_c)
          return kg_dev_fail(dev, KG_E_LAYER, "layer 0 (conv): input %ux%ux%u, model input %ux%ux%u",
                             s->h, s->w, s->ic, m->in_h, m->in_w, m->in_c);
        P->in_stride = (uint32_t)kg_pack_act_stride(s->ic);
      } else if (prev->op == KGM_LAYER_CONV) {
        const kg_conv_shape *q = &prev->conv;
        if (s->h != kg_conv_out_h(q) || s->w != kg_conv_out_w(q) || s->ic != q->oc)
          return kg_dev_fail(dev, KG_E_LAYER, "layer %u (conv): input %ux%ux%u, layer %u gives %ux%ux%u",
                             l, s->h, s->w, s->ic, l - 1, kg_conv_out_h(q), kg_conv_out_w(q), q->oc);
        P->in_stride = prev->out_stride;
      } else {
        if (s->h * s->w != 1 || s->ic != prev->N)
          return kg_dev_fail(dev, KG_E_LAYER,
                             "layer %u (conv): a convolution after an FC layer must take a 1x1x%u "
                             "input (has %ux%ux%u)",
                             l, prev->N, s->h, s->w, s->ic);
        P->in_stride = prev->out_stride;
      }
      P->m_img = kg_conv_out_h(s) * kg_conv_out_w(s);
      const uint64_t in_img = (uint64_t)s->h * s->w * P->in_stride;
      if (in_img > 0xffffffffu)
        return kg_dev_fail(dev, KG_E_TOO_BIG, "layer %u: input of one image too big", l);
      P->in_img = (uint32_t)in_img;
    } else {
      return kg_dev_fail(dev, KG_E_LAYER, "layer %u: unknown type %u", l, L->type);
    }
    P->out_stride = (uint32_t)kg_pack_act_stride(P->N);
    if ((uint64_t)P->m_img * P->out_stride > 0xffffffffu)
      return kg_dev_fail(dev, KG_E_TOO_BIG, "layer %u: output of one image too big", l);
    P->out_img = P->m_img * P->out_stride;
    const uint32_t kt = (P->K + hw->rows - 1u) / hw->rows;
    if (kt > hw->act_words)
      return kg_dev_fail(dev, KG_E_TOO_BIG,
                         "layer %u (%s): K=%u needs %u K tiles, the device's activation buffer "
                         "holds %u",
                         l, layer_name(L->type), P->K, kt, hw->act_words);
    if (P->N > hw->param_depth)
      return kg_dev_fail(dev, KG_E_TOO_BIG,
                         "layer %u (%s): N=%u output channels, the device supports %u", l,
                         layer_name(L->type), P->N, hw->param_depth);
    const kg_geom g = {hw->rows, hw->cols};
    if (L->w_len != kg_pack_weight_bytes(P->K, P->N, g))
      return kg_dev_fail(dev, KG_E_LAYER, "layer %u: %u weight bytes, the tiles need %zu", l,
                         L->w_len, kg_pack_weight_bytes(P->K, P->N, g));
    if (L->w_off % 16u || (uint64_t)L->w_off + L->w_len > m->wimg_len || L->p_off % 16u ||
        (uint64_t)L->p_off + (uint64_t)P->N * KGM_PARAM_SIZE > m->params_len)
      return kg_dev_fail(dev, KG_E_RANGE, "layer %u: weights or parameters out of their section", l);
    P->w_pos = L->w_off;
    P->macs_img = (uint64_t)P->m_img * P->K * P->N;
  }
  return KG_OK;
}

static void model_release(kg_model *md) {
  kgm_model_free(&md->m);
  free(md->plan);
  free(md->stage);
  free(md->descs);
  free(md->desc_addrs);
  free(md->desc_layer);
  free(md->fw_perf);
  free(md->lperf);
  memset(md, 0, sizeof *md);
  free(md);
}

int kg_model_load_buffer(kg_dev *dev, const uint8_t *buf, size_t len, kg_model **model) {
  if (model) *model = NULL;
  if (!dev) return KG_E_INVAL;
  dev->err[0] = '\0';
  if (!buf || !model) return kg_dev_fail(dev, KG_E_INVAL, "kg_model_load: NULL argument");
  kg_model *md = calloc(1, sizeof *md);
  if (!md) return kg_dev_fail(dev, KG_E_NOMEM, "kg_model_load: out of memory");
  md->dev = dev;
  char detail[KG_DETAIL_LEN] = {0};
  int rc = kgm_parse(&md->m, buf, len, detail);
  if (rc != KG_OK) {
    rc = kg_dev_fail(dev, rc, "model file: %s", detail);
    goto fail;
  }
  const kgm_model *m = &md->m;
  const kg_fw_info *hw = &dev->fw.info;
  if (m->rows != hw->rows || m->cols != hw->cols) {
    rc = kg_dev_fail(dev, KG_E_GEOMETRY,
                       "the model was locked for a %ux%u array, the device's is %ux%u", m->rows,
                       m->cols, hw->rows, hw->cols);
    goto fail;
  }
  if (m->n_layers == 0 || m->n_layers > KG_PERF_MAX_LAYERS) {
    rc = kg_dev_fail(dev, KG_E_LAYER, "the model has %u layers (1..%u)", m->n_layers,
                       KG_PERF_MAX_LAYERS);
    goto fail;
  }
  md->plan = calloc(m->n_layers, sizeof *md->plan);
  md->lperf = calloc(m->n_layers, sizeof *md->lperf);
  if (!md->plan || !md->lperf) {
    rc = kg_dev_fail(dev, KG_E_NOMEM, "kg_model_load: out of memory");
    goto fail;
  }
  rc = plan_layers(dev, md);
  if (rc != KG_OK) goto fail;
  /* A keyed version-1 model runs only on a device that still accepts
   * unauthenticated models. */
  if (m->version < 2u && kgm_uses_key(m) && !kg_dev_legacy(dev)) {
    rc = kg_dev_fail(dev, KG_E_UNAUTH,
                     "the model is format version 1 (no authentication tag) and the device "
                     "accepts only authenticated models (POLICY.LEGACY = 0): lock it again with "
                     "kgmac lock, or provision the device with legacy models allowed");
    goto fail;
  }
  /* Memory map: the file's image (header .. weight image, what VERIFY
   * authenticates) | descriptors | act 0 | act 1. */
  const uint32_t nb = dev->opts.max_batch;
  uint64_t per_img = 0, desc_max = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kg_lplan *P = &md->plan[l];
    if (P->in_img > per_img) per_img = P->in_img;
    if (P->out_img > per_img) per_img = P->out_img;
    desc_max += P->op == KGM_LAYER_CONV ? nb : 1u;
  }
  md->image_len = (uint64_t)m->weights_offset + m->wimg_len;
  /* The image starts img_pad bytes into the (64-byte aligned) region so
   * that its weight image is 64-byte aligned: a weight tile never straddles
   * a burst boundary (the layout of version 1, where the weights had a
   * region of their own). */
  const uint64_t img_pad = (64u - m->weights_offset % 64u) % 64u;
  const uint64_t i_bytes = r64(img_pad + md->image_len);
  const uint64_t d_bytes = r64(desc_max * 64u), a_bytes = r64(per_img * nb);
  const uint64_t total = i_bytes + d_bytes + 2u * a_bytes;
  if (total > dev->opts.dram_size || total > kg_dev_largest_free(dev)) {
    const uint64_t fr = kg_dev_largest_free(dev);
    rc = kg_dev_fail(dev, KG_E_DEVMEM,
                       "the model needs %llu bytes of device memory (image %llu: header, "
                       "parameters %zu, weights %zu; descriptors %llu, 2 x %llu activations for "
                       "max_batch %u); the largest free block is %llu of %llu",
                       (unsigned long long)total, (unsigned long long)i_bytes, m->params_len,
                       m->wimg_len, (unsigned long long)d_bytes,
                       (unsigned long long)a_bytes, nb, (unsigned long long)fr,
                       (unsigned long long)dev->opts.dram_size);
    goto fail;
  }
  /* Host scratch. */
  const kg_lplan *first = &md->plan[0], *last = &md->plan[m->n_layers - 1];
  md->stage_len = (size_t)nb * (first->in_img > last->out_img ? first->in_img : last->out_img);
  md->desc_max = (uint32_t)desc_max;
  md->stage = calloc(md->stage_len ? md->stage_len : 1u, 1);
  md->descs = calloc(desc_max, 64);
  md->desc_addrs = calloc(desc_max, sizeof *md->desc_addrs);
  md->desc_layer = calloc(desc_max, sizeof *md->desc_layer);
  md->fw_perf = calloc(desc_max, sizeof *md->fw_perf);
  if (!md->stage || !md->descs || !md->desc_addrs || !md->desc_layer || !md->fw_perf) {
    rc = kg_dev_fail(dev, KG_E_NOMEM, "kg_model_load: out of memory for %u descriptors",
                       (unsigned)desc_max);
    goto fail;
  }
  /* Keys the model needs, before anything is written to device memory. */
  const uint32_t ks = dev->hal.reg_read32(dev->hal.ctx, KG_REG_KEY_STATUS);
  if ((m->flags & KGM_FLAG_SIGN) && !(ks & KG_KEY_STATUS_SIGN_VALID_MASK)) {
    rc = kg_dev_fail(dev, KG_E_NOKEY,
                       "the model is sign-locked but the vault holds no sign key");
    goto fail;
  }
  rc = kg_model_key_check(md);
  if (rc != KG_OK) goto fail;
  uint64_t base = 0;
  rc = kg_dev_alloc(dev, total, &base);
  if (rc != KG_OK) {
    if (dev->kcv_model == md) dev->kcv_model = NULL;
    rc = kg_dev_fail(dev, rc, "device memory allocation of %llu bytes failed",
                       (unsigned long long)total);
    goto fail;
  }
  md->region = base;
  base += img_pad;
  md->base = base;
  md->size = total;
  const uint64_t p_addr = base + m->params_offset, w_addr = base + m->weights_offset;
  md->desc_addr = (uint32_t)(md->region + i_bytes);
  md->act_addr[0] = (uint32_t)(md->desc_addr + d_bytes);
  md->act_addr[1] = (uint32_t)(md->act_addr[0] + a_bytes);
  md->act_bytes = a_bytes;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    md->plan[l].w_addr = (uint32_t)(w_addr + m->layers[l].w_off);
    md->plan[l].p_addr = (uint32_t)(p_addr + m->layers[l].p_off);
  }
  /* kgm_parse checked that the image lies inside buf. */
  if (dev->hal.mem_write(dev->hal.ctx, base, buf, (size_t)md->image_len) != 0) {
    kg_dev_free_region(dev, md->region);
    if (dev->kcv_model == md) dev->kcv_model = NULL;
    rc = kg_dev_fail(dev, KG_E_DEVICE, "writing the model into device memory failed");
    goto fail;
  }
  /* Version 2: the device authenticates the image before any layer runs. */
  if (m->flags & KGM_FLAG_AUTH) {
    rc = kg_model_verify(md);
    if (rc != KG_OK) {
      kg_dev_free_region(dev, md->region);
      goto fail;
    }
  }
  /* The device copy is all that is needed from now on. */
  free(md->m.params);
  free(md->m.wimg);
  md->m.params = NULL;
  md->m.wimg = NULL;

  kg_model_info *in = &md->info;
  in->n_layers = m->n_layers;
  in->input_size = m->in_h * m->in_w * m->in_c;
  const kgm_layer *LL = &m->layers[m->n_layers - 1];
  in->output_size = LL->type == KGM_LAYER_CONV ? LL->out_h * LL->out_w * LL->out_c : LL->N;
  in->in_h = m->in_h;
  in->in_w = m->in_w;
  in->in_c = m->in_c;
  in->in_scale = m->in_scale;
  in->in_zero = m->in_zero;
  in->out_scale = LL->out_scale;
  in->crypt = m->crypt;
  in->sign = (m->flags & KGM_FLAG_SIGN) ? 1u : 0u;
  in->version = m->version;
  in->auth = (m->flags & KGM_FLAG_AUTH) ? 1u : 0u;
  for (uint32_t l = 0; l < m->n_layers; l++) in->macs += md->plan[l].macs_img;

  md->next = dev->models;
  if (dev->models) dev->models->prev = md;
  dev->models = md;
  *model = md;
  return KG_OK;
fail:
  if (dev->kcv_model == md) dev->kcv_model = NULL;
  if (dev->auth_model == md) dev->auth_model = NULL;
  model_release(md);
  return rc;
}

int kg_model_load(kg_dev *dev, const char *path, kg_model **model) {
  if (model) *model = NULL;
  if (!dev) return KG_E_INVAL;
  dev->err[0] = '\0';
  if (!path || !model) return kg_dev_fail(dev, KG_E_INVAL, "kg_model_load: NULL argument");
  uint8_t *buf = NULL;
  size_t len = 0;
  const int rc = kg_file_read(path, KGM_MAX_FILE, &buf, &len, dev->err);
  if (rc != KG_OK) return rc;
  const int lrc = kg_model_load_buffer(dev, buf, len, model);
  free(buf);
  return lrc;
}
void kg_model_free(kg_model *md) {
  if (!md) return;
  kg_dev *dev = md->dev;
  if (dev) {
    if (dev->kcv_model == md) dev->kcv_model = NULL;
    /* The device must not keep treating layers at these addresses as
     * bound to this model once another one may be loaded there. */
    if (dev->auth_model == md) {
      (void)kg_fw_auth_clear(&dev->fw);
      dev->auth_model = NULL;
    }
    kg_dev_free_region(dev, md->region);
    if (md->prev)
      md->prev->next = md->next;
    else
      dev->models = md->next;
    if (md->next) md->next->prev = md->prev;
  }
  model_release(md);
}

int kg_model_key_ok(const kg_model *md) { return md ? md->key_ok : 0; }

int kg_model_query(const kg_model *md, kg_model_info *info) {
  if (!md || !info) return KG_E_INVAL;
  *info = md->info;
  return KG_OK;
}
