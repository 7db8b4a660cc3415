/* kgmodel_desc.c: decode and validate a layer descriptor as kg_layer_ctrl
 * does, in its priority order. */
#include <stdint.h>

#include "kgmodel_internal.h"

static uint32_t clog2(uint32_t x) {
  uint32_t r = 0;
  while ((1u << r) < x) r++;
  return r;
}

/* Field F of descriptor word w, from the generated KG_DESC_<word>_<field>
 * mask and shift (common/regs/kg_regs.json is the one source of the layout). */
#define FIELD(w, F) (((w) & F##_MASK) >> F##_SHIFT)

/* Reserved bits: in CFG and in the dimension words those no field of the
 * word covers (the dimension words have one field set for FC, another for
 * CONV), and every word no KG_DESC_* word index names. Today only DIM2 of a
 * convolution and CFG have reserved bits. */
#define CFG_FIELDS                                                       \
  (KG_DESC_CFG_OP_MASK | KG_DESC_CFG_RELU_MASK | KG_DESC_CFG_CRYPT_MASK | \
   KG_DESC_CFG_SIGN_MASK | KG_DESC_CFG_MAGIC_MASK)
#define FC_DIM0_FIELDS KG_DESC_DIM0_M_MASK
#define FC_DIM1_FIELDS KG_DESC_DIM1_K_MASK
#define FC_DIM2_FIELDS KG_DESC_DIM2_N_MASK
#define CONV_DIM0_FIELDS (KG_DESC_DIM0_H_MASK | KG_DESC_DIM0_W_MASK)
#define CONV_DIM1_FIELDS (KG_DESC_DIM1_IC_MASK | KG_DESC_DIM1_OC_MASK)
#define CONV_DIM2_FIELDS                                                   \
  (KG_DESC_DIM2_KH_MASK | KG_DESC_DIM2_KW_MASK | KG_DESC_DIM2_STRIDE_MASK | \
   KG_DESC_DIM2_PAD_MASK)
#define BIT(i) (1u << (i))
#define NAMED_WORDS                                                                         \
  (BIT(KG_DESC_CFG) | BIT(KG_DESC_DIM0) | BIT(KG_DESC_DIM1) | BIT(KG_DESC_DIM2) |           \
   BIT(KG_DESC_IN_ADDR) | BIT(KG_DESC_IN_STRIDE) | BIT(KG_DESC_OUT_ADDR) |                 \
   BIT(KG_DESC_OUT_STRIDE) | BIT(KG_DESC_W_ADDR) | BIT(KG_DESC_W_POS) | BIT(KG_DESC_P_ADDR))
_Static_assert(KG_DESC_WORDS <= 32, "NAMED_WORDS is a 32-bit word set");

/* Limits of the contract and of kg_layer_ctrl's datapath. */
#define MAX_KERNEL 7u          /* CONV kernel height and width, 1..7 */
#define ALIGN 16u              /* addresses, strides and W_POS */
#define PARAM_BYTES 16u        /* one per-channel parameter record */
#define MAX_NT 0xffffu         /* column tiles (16-bit counter) */
#define GEOM_BITS 18u          /* width of kg_layer_ctrl's padded-size arithmetic */

/* kg_layer_ctrl's decode and validate, in its priority order. */
uint32_t kgmod_validate(const kgmodel *m, const uint32_t dw[KG_DESC_WORDS], kgmod_layer *L) {
  const uint32_t RB = clog2(m->cfg.rows), CB = clog2(m->cfg.cols);
  const uint64_t TILE = ((uint64_t)m->cfg.rows * m->cfg.cols + 15) / 16 * 16;
  const uint32_t cfg = dw[KG_DESC_CFG], dim0 = dw[KG_DESC_DIM0], dim1 = dw[KG_DESC_DIM1],
                 dim2 = dw[KG_DESC_DIM2];
  const uint32_t in_addr = dw[KG_DESC_IN_ADDR], in_stride = dw[KG_DESC_IN_STRIDE];
  const uint32_t out_addr = dw[KG_DESC_OUT_ADDR], out_stride = dw[KG_DESC_OUT_STRIDE];
  const uint32_t w_addr = dw[KG_DESC_W_ADDR], w_pos = dw[KG_DESC_W_POS];
  const uint32_t p_addr = dw[KG_DESC_P_ADDR];
  const uint32_t op = FIELD(cfg, KG_DESC_CFG_OP), crypt = FIELD(cfg, KG_DESC_CFG_CRYPT);
  const int conv = (op == KG_OP_CONV);
  /* FC fields, and CONV fields of the same words. */
  const uint64_t fm = FIELD(dim0, KG_DESC_DIM0_M), fk = FIELD(dim1, KG_DESC_DIM1_K),
                 fn = FIELD(dim2, KG_DESC_DIM2_N);
  const uint64_t h = FIELD(dim0, KG_DESC_DIM0_H), w = FIELD(dim0, KG_DESC_DIM0_W);
  const uint64_t ic = FIELD(dim1, KG_DESC_DIM1_IC), oc = FIELD(dim1, KG_DESC_DIM1_OC);
  const uint64_t kh = FIELD(dim2, KG_DESC_DIM2_KH), kw = FIELD(dim2, KG_DESC_DIM2_KW);
  const uint64_t s = FIELD(dim2, KG_DESC_DIM2_STRIDE), pad = FIELD(dim2, KG_DESC_DIM2_PAD);
  const uint64_t M18 = (1u << GEOM_BITS) - 1;
  const uint64_t hp = (h + 2 * pad) & M18, wp = (w + 2 * pad) & M18;
  const uint64_t oh = ((((hp - kh) & M18) >> (s == 2 ? 1 : 0)) + 1) & M18;
  const uint64_t ow = ((((wp - kw) & M18) >> (s == 2 ? 1 : 0)) + 1) & M18;
  const uint64_t dm = conv ? oh * ow : fm;
  const uint64_t dk = conv ? kh * kw * ic : fk;
  const uint64_t dn = conv ? oc : fn;
  const uint64_t kt = (dk >> RB) + ((RB > 0) && (dk & ((1ull << RB) - 1)) != 0);
  const uint64_t nt = (dn >> CB) + ((CB > 0) && (dn & ((1ull << CB) - 1)) != 0);
  const uint64_t run = conv ? ic : dk;
  const uint64_t inrows = conv ? h * w : dm;
  const uint64_t in_end = (uint64_t)in_addr + (inrows - 1) * (uint64_t)in_stride + run;
  const uint64_t out_end = (uint64_t)out_addr + (dm - 1) * (uint64_t)out_stride + dn;
  const uint64_t w_bytes = kt * nt * TILE;
  const uint64_t w_end = (uint64_t)w_addr + w_bytes;
  const uint64_t pos_end = (uint64_t)w_pos + w_bytes;
  const uint64_t p_end = (uint64_t)p_addr + dn * PARAM_BYTES;
  const uint64_t LIM = 1ull << 32;

  uint32_t unnamed = 0;
  for (uint32_t i = 0; i < KG_DESC_WORDS; i++)
    if (!((NAMED_WORDS >> i) & 1u)) unnamed |= dw[i];

  const int bad_magic = FIELD(cfg, KG_DESC_CFG_MAGIC) != KG_DESC_MAGIC;
  const int bad_op = op != KG_OP_FC && op != KG_OP_CONV;
  const int bad_crypt =
      crypt != KG_CRYPT_NONE && crypt != KG_CRYPT_DEEPLOCK && crypt != KG_CRYPT_CTR;
  const uint32_t dim_rsvd =
      conv ? (dim0 & ~(uint32_t)CONV_DIM0_FIELDS) | (dim1 & ~(uint32_t)CONV_DIM1_FIELDS) |
                 (dim2 & ~(uint32_t)CONV_DIM2_FIELDS)
           : (dim0 & ~(uint32_t)FC_DIM0_FIELDS) | (dim1 & ~(uint32_t)FC_DIM1_FIELDS) |
                 (dim2 & ~(uint32_t)FC_DIM2_FIELDS);
  const int reserved = (cfg & ~(uint32_t)CFG_FIELDS) != 0 || unnamed != 0 || dim_rsvd != 0;
  const int zero_dim = conv ? (h == 0 || w == 0 || ic == 0 || oc == 0 || kh == 0 || kw == 0)
                            : (fm == 0 || fk == 0 || fn == 0);
  const int conv_bad = conv && (kh > MAX_KERNEL || kw > MAX_KERNEL || (s != 1 && s != 2) ||
                                pad >= kh || pad >= kw || hp < kh || wp < kw);
  const int too_big = conv_bad || kt > m->cfg.half_words || dn > m->cfg.param_depth || dm >= LIM ||
                      dk >= LIM || (uint64_t)in_stride < run || (uint64_t)out_stride < dn ||
                      nt > MAX_NT || in_end > LIM || out_end > LIM || w_end > LIM ||
                      pos_end > LIM || p_end > LIM;
  const int misaligned =
      ((in_addr | in_stride | out_addr | out_stride | w_addr | w_pos | p_addr) & (ALIGN - 1)) != 0;
  const int uses_sign = FIELD(cfg, KG_DESC_CFG_SIGN) != 0;

  if (bad_magic) return KG_ERR_BAD_MAGIC;
  if (bad_op) return KG_ERR_BAD_OP;
  if (bad_crypt) return KG_ERR_BAD_CRYPT;
  if (reserved) return KG_ERR_RESERVED;
  if (zero_dim) return KG_ERR_ZERO_DIM;
  if (too_big) return KG_ERR_TOO_BIG;
  if (misaligned) return KG_ERR_MISALIGNED;
  /* The key checks follow in kgmod_admit (kgmodel_auth.c). */

  L->conv = conv;
  L->relu = FIELD(cfg, KG_DESC_CFG_RELU) != 0;
  L->crypt = crypt;
  L->sign = uses_sign;
  L->m = dm;
  L->k = dk;
  L->n = dn;
  L->kt = kt;
  L->nt = nt;
  L->h = (uint32_t)h;
  L->w = (uint32_t)w;
  L->ic = (uint32_t)ic;
  L->kh = (uint32_t)kh;
  L->kw = (uint32_t)kw;
  L->stride = (uint32_t)s;
  L->pad = (uint32_t)pad;
  L->in_addr = in_addr;
  L->in_stride = in_stride;
  L->out_addr = out_addr;
  L->out_stride = out_stride;
  L->w_addr = w_addr;
  L->w_pos = w_pos;
  L->p_addr = p_addr;
  L->w_bytes = w_bytes;
  L->run = run;
  L->inrows = inrows;
  return KG_ERR_OK;
}

/* Pass sizing as kg_layer_ctrl: mp = min(ACC_DEPTH, HALF_WORDS / KT, M). */
void kgmod_passes_of(const kgmodel *m, const kgmod_layer *L, uint64_t *mp, uint64_t *passes) {
  uint64_t q = m->cfg.half_words / L->kt;
  uint64_t p = L->m < m->cfg.acc_depth ? L->m : m->cfg.acc_depth;
  if (q < m->cfg.acc_depth && q < L->m) p = q;
  *mp = p;
  *passes = (L->m + p - 1) / p;
}
