/* kgmodel_exec.c: execute one legal layer at once: bus-fault checks,
 * parameter records, the weight cache (decrypt, un-tile, fold), im2col and
 * the GEMM with requantization into the handle's output buffer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kgmac/ref_layer.h"
#include "kgmodel_internal.h"

uint32_t kgmod_execute(kgmodel *m, const kgmod_layer *L) {
  const uint32_t R = m->cfg.rows, Cc = m->cfg.cols;
  const uint64_t TILE = ((uint64_t)R * Cc + 15) / 16 * 16;
  const uint64_t M = L->m, K = L->k, N = L->n;
  const uint64_t KQ = (K + 3) / 4, NP = (N + KGM_NB - 1) / KGM_NB;
  uint64_t mp, passes;
  kgmod_passes_of(m, L, &mp, &passes);

  /* Bus faults on the streams the layer moves. */
  uint64_t rd_act = 0;
  int bus = kgmod_dma_bad(m, L->p_addr, N * 16, KGMODEL_DIR_READ) ||
            kgmod_dma_bad(m, L->w_addr, L->w_bytes, KGMODEL_DIR_READ);
  for (uint64_t r = 0; r < L->inrows; r++) {
    const uint64_t a = (uint64_t)L->in_addr + r * L->in_stride;
    rd_act += kgmod_r16(L->run);
    if (!bus && (kgmod_any_fault(m) || !kgmod_in_dram(m, a, kgmod_r16(L->run)))) bus = kgmod_dma_bad(m, a, kgmod_r16(L->run), KGMODEL_DIR_READ);
  }
  if (!bus && (kgmod_any_fault(m) || !kgmod_in_dram(m, L->out_addr, (M - 1) * L->out_stride + kgmod_r16(N))))
    for (uint64_t r = 0; r < M && !bus; r++)
      bus = kgmod_dma_bad(m, (uint64_t)L->out_addr + r * L->out_stride, kgmod_r16(N), KGMODEL_DIR_WRITE);
  m->add[CNT_RD] = 4u * KG_DESC_WORDS; /* the descriptor */
  if (bus) return KG_ERR_BUS;

  /* Parameter records. */
  const uint8_t *pr = m->mem + (L->p_addr - m->cfg.dram_base);
  int32_t *bias = malloc(N * sizeof *bias);
  int32_t *mult = malloc(N * sizeof *mult);
  uint8_t *shift = malloc(N);
  uint32_t rc = KG_ERR_OK;
  if (!bias || !mult || !shift) {
    rc = KG_ERR_BUS; /* cannot happen for legal sizes in practice */
    goto out;
  }
  for (uint64_t n = 0; n < N; n++) {
    const uint8_t *r = pr + 16 * n;
    bias[n] = (int32_t)kgmod_rd32le(r);
    mult[n] = (int32_t)kgmod_rd32le(r + 4);
    shift[n] = r[8];
    int pad_nz = 0;
    for (int i = 9; i < 16; i++) pad_nz |= r[i];
    if (mult[n] < 0 || shift[n] == 0 || shift[n] > 62 || pad_nz) {
      m->add[CNT_RD] += 16 * N;
      rc = KG_ERR_RESERVED;
      goto out;
    }
  }

  /* Weight image: decrypt with the layer's key at w_pos, un-tile, fold
   * with its sign key into the panels (cached while nothing it depends on
   * changed). The keys are the device's, the authenticated model's, or none
   * (kgmod_admit, kgmod_layer_keys). */
  const uint8_t *raw = m->mem + (L->w_addr - m->cfg.dram_base);
  kgmod_lkeys lk;
  kgmod_layer_keys(m, L, &lk);
  const int hit = m->wc_valid && m->wc_bytes == L->w_bytes && m->wc_k == K && m->wc_n == N &&
                  m->wc_kt == L->kt && m->wc_pos == L->w_pos &&
                  !memcmp(&m->wc_keys, &lk, sizeof lk) && !memcmp(m->wc_raw, raw, L->w_bytes);
  if (!hit) {
    m->wc_valid = 0;
    int8_t *wp = kgmod_grow((void **)&m->wc_wp, &m->wc_wp_cap, NP * KQ * 4 * KGM_NB);
    uint32_t *corr = kgmod_grow((void **)&m->wc_corr, &m->wc_corr_cap, NP * KGM_NB * sizeof *corr);
    uint8_t *cr = kgmod_grow((void **)&m->wc_raw, &m->wc_raw_cap, L->w_bytes);
    /* Deep-Lock decrypts the whole image at once (a seek restarts its
     * schedule); CTR and no-decrypt go through a small buffer, a chunk of
     * tiles at a time. */
    const int whole = L->crypt == KG_CRYPT_DEEPLOCK;
    uint8_t *img = whole ? kgmod_grow(&m->scr[0], &m->scr_cap[0], L->w_bytes) : NULL;
    if (!wp || !corr || !cr || (whole && !img)) {
      rc = KG_ERR_BUS;
      goto out;
    }
    memcpy(cr, raw, L->w_bytes);
    kg_aes_key ak;
    memset(&ak, 0, sizeof ak);
    if (lk.crypt != KG_CRYPT_NONE) kg_aes_key_init(&ak, lk.aes, lk.aes_bytes);
    if (whole) kgmod_decrypt_image((int)lk.crypt, &ak, lk.nonce, L->w_pos, raw, img, L->w_bytes);
    uint8_t xm[1024], buf[4096];
    for (uint32_t b = 0; b < R * Cc; b++) xm[b] = ((lk.sign[b / 32] >> (b % 32)) & 1) ? 0xff : 0;
    memset(wp, 0, NP * KQ * 4 * KGM_NB);
    const uint64_t tiles = L->kt * L->nt, per = TILE <= sizeof buf ? sizeof buf / TILE : 1;
    for (uint64_t t0 = 0; t0 < tiles; t0 += per) {
      const uint64_t cnt = tiles - t0 < per ? tiles - t0 : per;
      const uint8_t *src = raw + t0 * TILE;
      if (whole)
        src = img + t0 * TILE;
      else if (lk.crypt != KG_CRYPT_NONE) {
        kgmod_decrypt_image((int)lk.crypt, &ak, lk.nonce, L->w_pos + t0 * TILE, src, buf, cnt * TILE);
        src = buf;
      }
      kgmod_fold_tiles(L, R, Cc, xm, src, t0, cnt, wp, KQ);
    }
    memset(buf, 0, sizeof buf);
    memset(xm, 0, sizeof xm);
    kg_aes_key_wipe(&ak);
    kgmod_fold_done(wp, corr, KQ, NP);
    m->wc_bytes = L->w_bytes;
    m->wc_k = K;
    m->wc_n = N;
    m->wc_kt = L->kt;
    m->wc_pos = L->w_pos;
    m->wc_keys = lk;
    m->wc_valid = 1;
  }
  memset(&lk, 0, sizeof lk);
  const int8_t *wp = m->wc_wp;
  const uint32_t *corr = m->wc_corr;

  /* Activation rows, 4*KQ readable bytes each: an FC layer reads its rows
   * in place (the bus check above covered 16-byte-rounded rows, and bytes
   * past K meet zero weights); a convolution gathers im2col rows (stride
   * 4*KQ, zero padded). */
  const uint8_t *abase = m->mem + (L->in_addr - m->cfg.dram_base);
  uint64_t astride = L->in_stride;
  if (L->conv) {
    const uint64_t KP = 4 * KQ;
    int8_t *A = kgmod_grow(&m->scr[1], &m->scr_cap[1], M * KP);
    if (!A) {
      rc = KG_ERR_BUS;
      goto out;
    }
    const kg_conv_shape s = {L->h, L->w, L->ic, (uint32_t)N, L->kh, L->kw, L->stride, L->pad};
    const uint32_t oh = kg_conv_out_h(&s), ow = kg_conv_out_w(&s);
    for (uint32_t oy = 0; oy < oh; oy++)
      for (uint32_t ox = 0; ox < ow; ox++) {
        int8_t *row = A + ((uint64_t)oy * ow + ox) * KP;
        memset(row + K, 0, KP - K);
        for (uint32_t ky = 0; ky < L->kh; ky++)
          for (uint32_t kx = 0; kx < L->kw; kx++) {
            int8_t *dst = row + ((uint64_t)ky * L->kw + kx) * L->ic;
            const int64_t iy = (int64_t)oy * L->stride + ky - L->pad;
            const int64_t ix = (int64_t)ox * L->stride + kx - L->pad;
            if (iy < 0 || ix < 0 || iy >= L->h || ix >= L->w)
              memset(dst, 0, L->ic);
            else
              memcpy(dst, abase + ((uint64_t)iy * L->w + (uint64_t)ix) * L->in_stride, L->ic);
          }
      }
    abase = (const uint8_t *)A;
    astride = KP;
  }

  /* GEMM (panel outer, so a panel stays in L1 over all rows), correction
   * and requantization. */
  if (m->out_cap < M * N) {
    int8_t *o = realloc(m->out, M * N);
    if (!o) {
      rc = KG_ERR_BUS;
      goto out;
    }
    m->out = o;
    m->out_cap = M * N;
  }
  const kgmod_kernels kn = kgmod_pick_kernels();
  uint32_t acc[4][KGM_NB];
  for (uint64_t p = 0; p < NP; p++) {
    const uint64_t n0 = p * KGM_NB, nn = N - n0 < KGM_NB ? N - n0 : KGM_NB;
    for (uint64_t r0 = 0; r0 < M; r0 += 4) {
      const uint64_t rows = M - r0 < 4 ? M - r0 : 4;
      const uint8_t *a[4];
      for (uint64_t i = 0; i < 4; i++) a[i] = abase + (r0 + (i < rows ? i : 0)) * astride;
      kn.panel(a, wp + p * KQ * 4 * KGM_NB, KQ, acc);
      for (uint64_t i = 0; i < rows; i++)
        kn.requant(acc[i], corr + n0, bias + n0, mult + n0, shift + n0, nn, L->relu,
                   m->out + (r0 + i) * N + n0);
    }
  }
  m->out_m = (uint32_t)M;
  m->out_n = (uint32_t)N;
  m->out_addr = L->out_addr;
  m->out_stride = L->out_stride;
  m->add[CNT_RD] += 16 * N + passes * L->w_bytes + rd_act;
  m->add[CNT_WR] = M * N;
  m->add[CNT_COMPUTE] = M * L->kt * L->nt;
out:
  free(bias);
  free(mult);
  free(shift);
  return rc;
}
