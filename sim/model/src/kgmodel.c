/* kgmodel.c: the functional model of kg_top (see kgmodel.h, docs/model.md). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kg_aes.h"
#include "kgmac/kg_regs.h"
#include "kgmac/ref_layer.h"
#include "kgmodel_csr.h"

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define KGM_X86 1
#endif

enum { CNT_CYCLES, CNT_BUSY, CNT_COMPUTE, CNT_RD, CNT_WR, CNT_DMA_STALL, CNT_DEC_STALL };

#define KCV_CYCLES 14u     /* CHECK: command write to result (kg_top: 14 with a ready key) */
#define SRST_CYCLES 4u     /* SOFT_RESET: abort, two reset cycles, done */
#define IRQ_MASK 0x3fu

kgmodel_config kgmodel_config_default(void) {
  kgmodel_config c;
  memset(&c, 0, sizeof c);
  c.rows = 16;
  c.cols = 16;
  c.acc_depth = 256;
  c.half_words = 2048;
  c.param_depth = 1024;
  c.dram_base = 0;
  c.dram_size = 64ull << 20;
  c.reg_cycles = 3;
  c.read_latency = 50;
  return c;
}

static int is_pow2(uint32_t x) { return x && !(x & (x - 1)); }

kgmodel *kgmodel_create(const kgmodel_config *cfg, char *err, size_t errlen) {
  kgmodel_config c = cfg ? *cfg : kgmodel_config_default();
  const char *why = NULL;
  if (!is_pow2(c.rows) || !is_pow2(c.cols) || c.rows * c.cols > 1024)
    why = "rows and cols must be powers of two with rows*cols <= 1024";
  else if (c.acc_depth < 1 || c.acc_depth > 65535 || c.half_words < 1 || c.half_words > 65535 ||
           c.param_depth < 1 || c.param_depth > 65535)
    why = "acc_depth, half_words and param_depth must be in 1..65535";
  else if ((uint64_t)c.half_words * c.rows > 131072)
    why = "half_words * rows must be at most 2^17 (int32 accumulation)";
  else if ((c.dram_base & 15) || (c.dram_size & 15) || c.dram_size == 0 ||
           c.dram_base + c.dram_size > (1ull << 32))
    why = "dram base/size must be 16-byte multiples inside 4 GiB";
  if (why) {
    if (err && errlen) snprintf(err, errlen, "%s", why);
    return NULL;
  }
  kgmodel *m = calloc(1, sizeof *m);
  if (m) m->mem = calloc(1, (size_t)c.dram_size);
  if (!m || !m->mem) {
    if (m) free(m);
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return NULL;
  }
  m->cfg = c;
  kgmodel_reset(m);
  return m;
}

void kgmodel_destroy(kgmodel *m) {
  if (!m) return;
  free(m->mem);
  free(m->out);
  free(m->wc_raw);
  free(m->wc_wp);
  free(m->wc_corr);
  for (int i = 0; i < 2; i++) free(m->scr[i]);
  free(m);
}

unsigned kgmodel_rows(const kgmodel *m) { return m ? m->cfg.rows : 0; }
unsigned kgmodel_cols(const kgmodel *m) { return m ? m->cfg.cols : 0; }

int kgmodel_reset(kgmodel *m) {
  if (!m) return KGMODEL_EINVAL;
  free(m->wc_raw);
  free(m->wc_wp);
  free(m->wc_corr);
  m->wc_raw = NULL;
  m->wc_wp = NULL;
  m->wc_corr = NULL;
  for (int i = 0; i < 2; i++) {
    free(m->scr[i]);
    m->scr[i] = NULL;
  }
  uint8_t *mem = m->mem;
  int8_t *out = m->out;
  size_t cap = m->out_cap;
  kgmodel_config c = m->cfg;
  kgmodel_fault f[KGMODEL_FAULT_SLOTS];
  memcpy(f, m->fault, sizeof f);
  uint64_t now = m->now;
  memset(m, 0, sizeof *m);
  m->mem = mem;
  m->out = out;
  m->out_cap = cap;
  m->cfg = c;
  memcpy(m->fault, f, sizeof f);
  m->now = now;
  m->pol_thr = (KG_RST_POLICY & KG_POLICY_THRESHOLD_MASK) >> KG_POLICY_THRESHOLD_SHIFT;
  m->pol_mode = (KG_RST_POLICY & KG_POLICY_MODE_MASK) >> KG_POLICY_MODE_SHIFT;
  return KGMODEL_OK;
}

/*----------------------------------------------------------------------
 * Interrupts and completions.
 *--------------------------------------------------------------------*/
static uint32_t done_irq(uint32_t e) {
  switch (e) {
    case KG_ERR_OK:
    case KG_ERR_ABORTED: return KG_IRQ_STATUS_DONE_MASK;
    case KG_ERR_WRONG_KEY:
    case KG_ERR_KCV_MISMATCH: return KG_IRQ_STATUS_WRONG_KEY_MASK;
    case KG_ERR_LOCKED_OUT: return KG_IRQ_STATUS_LOCKOUT_MASK;
    case KG_ERR_BUS: return KG_IRQ_STATUS_BUS_ERR_MASK;
    default: return KG_IRQ_STATUS_DESC_ERR_MASK;
  }
}

int kgmodel_irq(const kgmodel *m) { return m && (m->irq_status & m->irq_enable) ? 1 : 0; }

static void aes_key_bytes(const kgmodel *m, uint8_t key[32]) {
  for (unsigned j = 0; j < 32; j++) key[j] = (uint8_t)(m->aes_key[j / 4] >> (24 - 8 * (j % 4)));
}
static void nonce_bytes(const kgmodel *m, uint8_t n[12]) {
  for (unsigned j = 0; j < 12; j++) n[j] = (uint8_t)(m->nonce[j / 4] >> (24 - 8 * (j % 4)));
}
static size_t aes_len_bytes(uint32_t len) { return len == 0 ? 16 : (len == 1 ? 24 : 32); }

static void engine_done(kgmodel *m) {
  m->busy = false;
  m->aborting = false;
  if (m->done_err == KG_ERR_OK) {
    for (uint32_t r = 0; r < m->out_m; r++)
      memcpy(m->mem + (m->out_addr - m->cfg.dram_base) + (uint64_t)r * m->out_stride,
             m->out + (size_t)r * m->out_n, m->out_n);
  }
  for (int i = CNT_COMPUTE; i < KGM_NCNT; i++) m->cnt[i] += m->add[i];
  memset(m->add, 0, sizeof m->add);
  m->err = m->done_err;
  m->irq_status |= done_irq(m->done_err);
}

static void check_done(kgmodel *m) {
  m->chk_busy = false;
  if (m->chk_stale || !m->aes_valid) {
    m->err = KG_ERR_ABORTED;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
    return;
  }
  uint8_t key[32], n[12], kcv[8];
  aes_key_bytes(m, key);
  nonce_bytes(m, n);
  kg_aes_key ak;
  kg_aes_key_init(&ak, key, aes_len_bytes(m->aes_len));
  kg_kcv(&ak, n, kcv);
  kg_aes_key_wipe(&ak);
  memset(key, 0, sizeof key);
  const uint32_t k0 = ((uint32_t)kcv[0] << 24) | ((uint32_t)kcv[1] << 16) | ((uint32_t)kcv[2] << 8) | kcv[3];
  const uint32_t k1 = ((uint32_t)kcv[4] << 24) | ((uint32_t)kcv[5] << 16) | ((uint32_t)kcv[6] << 8) | kcv[7];
  if (k0 == m->kcv_exp[0] && k1 == m->kcv_exp[1]) {
    m->kcv_ok = true;
    m->err = KG_ERR_OK;
    m->irq_status |= KG_IRQ_STATUS_DONE_MASK;
  } else {
    const uint32_t inc = m->fails == 255 ? 255 : m->fails + 1;
    const uint32_t thr = m->pol_thr == 0 ? 1 : m->pol_thr;
    m->err = KG_ERR_KCV_MISMATCH;
    m->irq_status |= KG_IRQ_STATUS_WRONG_KEY_MASK;
    m->fails = inc;
    if (m->pol_mode == KG_POLICY_LOCKOUT && inc >= thr) {
      m->lockout = true;
      m->irq_status |= KG_IRQ_STATUS_LOCKOUT_MASK;
    }
  }
}

/* Advance model time to t, running the completions due on the way. */
static void advance_to(kgmodel *m, uint64_t t) {
  while (m->now < t) {
    uint64_t next = t;
    if (m->busy && m->done_t < next) next = m->done_t;
    if (m->chk_busy && m->chk_t < next) next = m->chk_t;
    if (next < m->now) next = m->now;
    const uint64_t dt = next - m->now;
    m->cnt[CNT_CYCLES] += dt;
    if (m->busy) m->cnt[CNT_BUSY] += dt;
    m->now = next;
    /* The engine wins STATUS.ERR over a CHECK ending in the same cycle. */
    if (m->chk_busy && m->chk_t <= m->now) check_done(m);
    if (m->busy && m->done_t <= m->now) engine_done(m);
    if (next == t) break;
  }
}

int kgmodel_step(kgmodel *m, uint64_t n) {
  if (!m) return KGMODEL_EINVAL;
  advance_to(m, m->now + n);
  return KGMODEL_OK;
}

uint64_t kgmodel_cycles(const kgmodel *m) { return m ? m->now : 0; }

uint64_t kgmodel_next_event(const kgmodel *m) {
  uint64_t t = UINT64_MAX;
  if (m && m->busy) t = m->done_t > m->now ? m->done_t - m->now : 0;
  if (m && m->chk_busy) {
    const uint64_t c = m->chk_t > m->now ? m->chk_t - m->now : 0;
    t = c < t ? c : t;
  }
  return t;
}

int kgmodel_busy(const kgmodel *m) { return m && m->busy ? 1 : 0; }

int kgmodel_run_until_irq(kgmodel *m, uint64_t max_cycles, uint64_t *waited) {
  if (!m) return KGMODEL_EINVAL;
  const uint64_t t0 = m->now, lim = t0 + max_cycles;
  while (!kgmodel_irq(m)) {
    uint64_t next = lim;
    if (m->busy && m->done_t < next) next = m->done_t;
    if (m->chk_busy && m->chk_t < next) next = m->chk_t;
    if (next <= m->now && m->now >= lim) break;
    advance_to(m, next);
    if (m->now >= lim) break;
  }
  if (waited) *waited = m->now - t0;
  return kgmodel_irq(m) ? KGMODEL_OK : KGMODEL_ETIMEOUT;
}

/*----------------------------------------------------------------------
 * DRAM and faults.
 *--------------------------------------------------------------------*/
static int in_dram(const kgmodel *m, uint64_t a, uint64_t n) {
  return a >= m->cfg.dram_base && a + n >= a && a + n <= m->cfg.dram_base + m->cfg.dram_size;
}

int kgmodel_mem_write(kgmodel *m, uint64_t addr, const void *src, size_t n) {
  if (!m || (!src && n)) return KGMODEL_EINVAL;
  if (!in_dram(m, addr, n)) return KGMODEL_ERANGE;
  if (n) memcpy(m->mem + (addr - m->cfg.dram_base), src, n);
  return KGMODEL_OK;
}

int kgmodel_mem_read(kgmodel *m, uint64_t addr, void *dst, size_t n) {
  if (!m || (!dst && n)) return KGMODEL_EINVAL;
  if (!in_dram(m, addr, n)) return KGMODEL_ERANGE;
  if (n) memcpy(dst, m->mem + (addr - m->cfg.dram_base), n);
  return KGMODEL_OK;
}

int kgmodel_set_fault(kgmodel *m, unsigned slot, const kgmodel_fault *f) {
  if (!m || slot >= KGMODEL_FAULT_SLOTS) return KGMODEL_EINVAL;
  if (!f || f->mode == KGMODEL_FAULT_OFF) {
    memset(&m->fault[slot], 0, sizeof m->fault[slot]);
    return KGMODEL_OK;
  }
  if (f->mode != KGMODEL_FAULT_RANGE || !(f->dirs & KGMODEL_DIR_BOTH) || f->hi <= f->lo)
    return f->mode != KGMODEL_FAULT_RANGE ? KGMODEL_ENOTSUP : KGMODEL_EINVAL;
  m->fault[slot] = *f;
  return KGMODEL_OK;
}

/* A DMA access of [a, a+n) in direction dir fails (fault or outside DRAM). */
static int dma_bad(const kgmodel *m, uint64_t a, uint64_t n, uint32_t dir) {
  if (n == 0) return 0;
  if (!in_dram(m, a, n)) return 1;
  for (unsigned i = 0; i < KGMODEL_FAULT_SLOTS; i++) {
    const kgmodel_fault *f = &m->fault[i];
    if (f->mode == KGMODEL_FAULT_RANGE && (f->dirs & dir) && a < f->hi && f->lo < a + n) return 1;
  }
  return 0;
}

static int any_fault(const kgmodel *m) {
  for (unsigned i = 0; i < KGMODEL_FAULT_SLOTS; i++)
    if (m->fault[i].mode != KGMODEL_FAULT_OFF) return 1;
  return 0;
}

/*----------------------------------------------------------------------
 * The layer engine.
 *--------------------------------------------------------------------*/
static uint32_t clog2(uint32_t x) {
  uint32_t r = 0;
  while ((1u << r) < x) r++;
  return r;
}

static uint32_t rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

typedef struct layer {
  int conv, relu, sign;
  uint32_t crypt;
  uint64_t m, k, n, kt, nt;
  uint32_t h, w, ic, kh, kw, stride, pad;
  uint32_t in_addr, in_stride, out_addr, out_stride, w_addr, w_pos, p_addr;
  uint64_t w_bytes, run, inrows;
} layer;

/* kg_layer_ctrl's decode and validate, in its priority order. */
static uint32_t validate(const kgmodel *m, const uint32_t dw[16], layer *L) {
  const uint32_t RB = clog2(m->cfg.rows), CB = clog2(m->cfg.cols);
  const uint64_t TILE = ((uint64_t)m->cfg.rows * m->cfg.cols + 15) / 16 * 16;
  const uint32_t w0 = dw[0], w1 = dw[1], w2 = dw[2], w3 = dw[3];
  const uint32_t op = w0 & 0xff;
  const int conv = (op == KG_OP_CONV);
  const uint64_t h = w1 & 0xffff, w = w1 >> 16, ic = w2 & 0xffff, oc = w2 >> 16;
  const uint64_t kh = w3 & 15, kw = (w3 >> 4) & 15, s = (w3 >> 8) & 3, pad = (w3 >> 12) & 7;
  const uint64_t M18 = (1u << 18) - 1;
  const uint64_t hp = (h + 2 * pad) & M18, wp = (w + 2 * pad) & M18;
  const uint64_t oh = ((((hp - kh) & M18) >> (s == 2 ? 1 : 0)) + 1) & M18;
  const uint64_t ow = ((((wp - kw) & M18) >> (s == 2 ? 1 : 0)) + 1) & M18;
  const uint64_t dm = conv ? oh * ow : w1;
  const uint64_t dk = conv ? kh * kw * ic : w2;
  const uint64_t dn = conv ? oc : w3;
  const uint64_t kt = (dk >> RB) + ((RB > 0) && (dk & ((1ull << RB) - 1)) != 0);
  const uint64_t nt = (dn >> CB) + ((CB > 0) && (dn & ((1ull << CB) - 1)) != 0);
  const uint64_t run = conv ? ic : dk;
  const uint64_t inrows = conv ? h * w : dm;
  const uint64_t in_end = (uint64_t)dw[4] + (inrows - 1) * (uint64_t)dw[5] + run;
  const uint64_t out_end = (uint64_t)dw[6] + (dm - 1) * (uint64_t)dw[7] + dn;
  const uint64_t w_bytes = kt * nt * TILE;
  const uint64_t w_end = (uint64_t)dw[8] + w_bytes;
  const uint64_t pos_end = (uint64_t)dw[9] + w_bytes;
  const uint64_t p_end = (uint64_t)dw[10] + dn * 16;
  const uint64_t LIM = 1ull << 32;

  const int bad_magic = (w0 >> 16) != KG_DESC_MAGIC;
  const int bad_op = op != KG_OP_FC && op != KG_OP_CONV;
  const int bad_crypt = ((w0 >> 9) & 3) == 3;
  const int reserved = ((w0 >> 12) & 15) != 0 || (dw[11] | dw[12] | dw[13] | dw[14] | dw[15]) != 0 ||
                       (conv && (((w3 >> 10) & 3) != 0 || (w3 >> 15) != 0));
  const int zero_dim = conv ? (h == 0 || w == 0 || ic == 0 || oc == 0 || kh == 0 || kw == 0)
                            : (w1 == 0 || w2 == 0 || w3 == 0);
  const int conv_bad = conv && (kh > 7 || kw > 7 || s == 0 || s == 3 || pad >= kh || pad >= kw ||
                                hp < kh || wp < kw);
  const int too_big = conv_bad || kt > m->cfg.half_words || dn > m->cfg.param_depth || dm >= LIM ||
                      dk >= LIM || (uint64_t)dw[5] < run || (uint64_t)dw[7] < dn || nt > 0xffff ||
                      in_end > LIM || out_end > LIM || w_end > LIM || pos_end > LIM || p_end > LIM;
  const int misaligned = ((dw[4] | dw[5] | dw[6] | dw[7] | dw[8] | dw[9] | dw[10]) & 15) != 0;
  const int uses_aes = ((w0 >> 9) & 3) != 0, uses_sign = (w0 >> 11) & 1;

  if (bad_magic) return KG_ERR_BAD_MAGIC;
  if (bad_op) return KG_ERR_BAD_OP;
  if (bad_crypt) return KG_ERR_BAD_CRYPT;
  if (reserved) return KG_ERR_RESERVED;
  if (zero_dim) return KG_ERR_ZERO_DIM;
  if (too_big) return KG_ERR_TOO_BIG;
  if (misaligned) return KG_ERR_MISALIGNED;
  if ((uses_aes || uses_sign) && m->lockout) return KG_ERR_LOCKED_OUT;
  if ((uses_aes && !m->aes_valid) || (uses_sign && !m->sign_valid)) return KG_ERR_NO_KEY;
  if (uses_aes && !m->kcv_ok && m->pol_mode != KG_POLICY_RUN) return KG_ERR_WRONG_KEY;

  L->conv = conv;
  L->relu = (w0 >> 8) & 1;
  L->crypt = (w0 >> 9) & 3;
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
  L->in_addr = dw[4];
  L->in_stride = dw[5];
  L->out_addr = dw[6];
  L->out_stride = dw[7];
  L->w_addr = dw[8];
  L->w_pos = dw[9];
  L->p_addr = dw[10];
  L->w_bytes = w_bytes;
  L->run = run;
  L->inrows = inrows;
  return KG_ERR_OK;
}

/* Pass sizing as kg_layer_ctrl: mp = min(ACC_DEPTH, HALF_WORDS / KT, M). */
static void passes_of(const kgmodel *m, const layer *L, uint64_t *mp, uint64_t *passes) {
  uint64_t q = m->cfg.half_words / L->kt;
  uint64_t p = L->m < m->cfg.acc_depth ? L->m : m->cfg.acc_depth;
  if (q < m->cfg.acc_depth && q < L->m) p = q;
  *mp = p;
  *passes = (L->m + p - 1) / p;
}

static uint64_t r16(uint64_t x) { return (x + 15) & ~(uint64_t)15; }

#ifdef KGM_X86
/* CTR keystream XOR (docs/spec.md 9.2) with AES-NI, src -> dst (may be equal):
 * counter block nonce || BE32(p/16), round keys w[4i..4i+3] from
 * kg_aes_key_init. Eight blocks are in flight at a time (the aesenc latency
 * chain of one block would otherwise bound the rate), and whole blocks are
 * XORed 16 bytes at a time. Same result as kg_ctr_xcrypt (the cross-check
 * and the unit tests compare CTR layers byte for byte). */
__attribute__((target("aes,sse2"))) static void ctr_aesni(const kg_aes_key *k, const uint8_t nonce[12],
                                                         uint64_t pos, const uint8_t *src, uint8_t *dst,
                                                         size_t len) {
  enum { LANES = 8 };
  __m128i rk[15];
  for (unsigned i = 0; i <= k->nr; i++) {
    uint8_t b[16];
    for (unsigned j = 0; j < 16; j++) b[j] = (uint8_t)(k->rk[4 * i + j / 4] >> (24 - 8 * (j % 4)));
    rk[i] = _mm_loadu_si128((const __m128i *)b);
  }
  uint8_t ctr[LANES][16];
  for (unsigned j = 0; j < LANES; j++) memcpy(ctr[j], nonce, 12);
  size_t i = 0;
  while (i < len) {
    const uint64_t p = pos + i, blk = p / 16;
    const size_t off = (size_t)(p % 16);
    /* Lanes = whole blocks left from here (1 for a partial first/last one). */
    size_t lanes = off == 0 ? (len - i) / 16 : 0;
    lanes = lanes == 0 ? 1 : (lanes > LANES ? LANES : lanes);
    __m128i x[LANES];
    for (unsigned j = 0; j < lanes; j++) {
      const uint32_t b = (uint32_t)(blk + j);
      ctr[j][12] = (uint8_t)(b >> 24);
      ctr[j][13] = (uint8_t)(b >> 16);
      ctr[j][14] = (uint8_t)(b >> 8);
      ctr[j][15] = (uint8_t)b;
      x[j] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)ctr[j]), rk[0]);
    }
    for (unsigned r = 1; r < k->nr; r++)
      for (unsigned j = 0; j < lanes; j++) x[j] = _mm_aesenc_si128(x[j], rk[r]);
    for (unsigned j = 0; j < lanes; j++) x[j] = _mm_aesenclast_si128(x[j], rk[k->nr]);
    const size_t n = len - i < 16 - off ? len - i : 16 - off;
    if (off == 0 && n == 16) {
      for (unsigned j = 0; j < lanes; j++, i += 16)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm_xor_si128(_mm_loadu_si128((const __m128i *)(src + i)), x[0 + j]));
    } else {
      uint8_t ks[16];
      _mm_storeu_si128((__m128i *)ks, x[0]);
      for (size_t j = 0; j < n; j++) dst[i + j] = src[i + j] ^ ks[off + j];
      i += n;
    }
  }
}
#endif

/* Decrypt len weight-image bytes at keystream position pos from src into
 * dst (kg_crypt_decrypt semantics; src == dst allowed). */
static void decrypt_image(int mode, const kg_aes_key *k, const uint8_t nonce[12], uint64_t pos,
                          const uint8_t *src, uint8_t *dst, size_t len) {
#ifdef KGM_X86
  if (mode == KG_CRYPT_CTR && __builtin_cpu_supports("aes")) {
    ctr_aesni(k, nonce, pos, src, dst, len);
    return;
  }
#endif
  if (dst != src) memcpy(dst, src, len);
  kg_crypt_decrypt(mode, k, nonce, pos, dst, len);
}

/* Cycles of the Deep-Lock fast-forward to position p (docs/aes.md §4): from
 * the key, or from the checkpoint / current position if not past p. */
static uint64_t dl_seek(const kgmodel *m, uint64_t p) {
  uint64_t c = 3 + p / 16;
  if (m->dl_ck_valid && m->dl_ck <= p && 2 + (p - m->dl_ck) / 16 < c) c = 2 + (p - m->dl_ck) / 16;
  if (m->dl_cur_valid && m->dl_cur <= p && 2 + (p - m->dl_cur) / 16 < c) c = 2 + (p - m->dl_cur) / 16;
  return c;
}

/* Analytic cycle estimate of a legal layer (docs/model.md §3):
 *   sum over passes of tiles * max(rows, R)      array streaming
 * + 3 * tiles + 3 * passes * KT                  tile and pass switches
 * + last pass rows * NT                          output drain
 * + conv activation beats of the first pass (im2col bursts; later passes
 *   load while the previous one computes)
 * + 3 * read latency + 150                       descriptor, parameters, pipeline
 * + Deep-Lock seek to w_pos (first pass) */
static uint64_t estimate(const kgmodel *m, const layer *L) {
  const uint64_t R = m->cfg.rows, lat = m->cfg.read_latency;
  uint64_t mp, passes;
  passes_of(m, L, &mp, &passes);
  const uint64_t tiles = L->kt * L->nt;
  const uint64_t last = L->m - mp * (passes - 1);
  uint64_t t = 0;
  for (uint64_t p = 0; p < passes; p++) {
    const uint64_t rows = (p + 1 < passes) ? mp : last;
    t += tiles * (rows > R ? rows : R);
  }
  t += 3 * tiles + 3 * passes * L->kt + last * L->nt;
  if (L->conv) t += mp * L->kh * L->kw * (r16(L->ic) / 16);
  t += 3 * lat + 150;
  if (L->crypt == KG_CRYPT_DEEPLOCK) t += dl_seek(m, L->w_pos);
  return t;
}

/* A scratch buffer of at least n bytes, kept in *p (grow only; NULL on
 * allocation failure, *p then unchanged). */
static void *grow(void **p, size_t *cap, size_t n) {
  if (*p && *cap >= n) return *p;
  void *q = realloc(*p, n);
  if (!q) return NULL;
  *p = q;
  *cap = n;
  return q;
}

/* The GEMM works on int8 weights packed in panels of NB = 64 output
 * channels: byte wp[(p*KQ + q)*4*NB + c*4 + b] is the folded weight
 * W[4q + b][64p + c] (zero past K and N), KQ = ceil(K/4). Activations enter
 * as unsigned bytes u = a + 128 (= a XOR 0x80), so that one 4-byte dot
 * product u . w is one AVX-512 VNNI vpdpbusd lane; the +128 is taken back
 * with the column sums: sum_k a*w = sum_k u*w - 128 * sum_k w. Every sum is
 * taken mod 2^32 (unsigned, or the wrapping vpdpbusd), and the true value
 * fits an int32 (|a*w| <= 2^14, K <= 2^17 by kgmodel_create's bound on
 * half_words * rows), so the result is exact. */
enum { NB = 64 };

/* acc[r][c] = sum_{k < 4*KQ} (a[r][k] ^ 0x80) * W[k][c] (mod 2^32) for the
 * 4 activation rows a[0..3] (4*KQ readable bytes each) and one panel. */
typedef void (*panel_fn)(const uint8_t *const a[4], const int8_t *wp, uint64_t KQ,
                         uint32_t acc[4][NB]);

static inline __attribute__((always_inline)) void panel_body(const uint8_t *const a[4],
                                                             const int8_t *wp, uint64_t KQ,
                                                             uint32_t acc[4][NB]) {
  memset(acc, 0, 4 * sizeof acc[0]);
  for (uint64_t q = 0; q < KQ; q++, wp += 4 * NB)
    for (unsigned r = 0; r < 4; r++) {
      const uint8_t *x = a[r] + 4 * q;
      const int32_t u0 = x[0] ^ 0x80, u1 = x[1] ^ 0x80, u2 = x[2] ^ 0x80, u3 = x[3] ^ 0x80;
      for (unsigned c = 0; c < NB; c++)
        acc[r][c] += (uint32_t)(u0 * wp[4 * c] + u1 * wp[4 * c + 1] + u2 * wp[4 * c + 2] +
                                u3 * wp[4 * c + 3]);
    }
}

static void panel_plain(const uint8_t *const a[4], const int8_t *wp, uint64_t KQ, uint32_t acc[4][NB]) {
  panel_body(a, wp, KQ, acc);
}

#ifdef KGM_X86
__attribute__((target("avx2"))) static void panel_avx2(const uint8_t *const a[4], const int8_t *wp,
                                                       uint64_t KQ, uint32_t acc[4][NB]) {
  panel_body(a, wp, KQ, acc);
}

/* 4 rows x 64 channels in 16 zmm accumulators; per 4 k: 4 weight loads, 4
 * activation broadcasts, 16 vpdpbusd. */
__attribute__((target("avx512f,avx512bw,avx512vnni"))) static void panel_vnni(
    const uint8_t *const a[4], const int8_t *wp, uint64_t KQ, uint32_t acc[4][NB]) {
  const __m512i flip = _mm512_set1_epi32((int)0x80808080u);
  __m512i s00 = _mm512_setzero_si512(), s01 = s00, s02 = s00, s03 = s00;
  __m512i s10 = s00, s11 = s00, s12 = s00, s13 = s00;
  __m512i s20 = s00, s21 = s00, s22 = s00, s23 = s00;
  __m512i s30 = s00, s31 = s00, s32 = s00, s33 = s00;
  const uint8_t *a0 = a[0], *a1 = a[1], *a2 = a[2], *a3 = a[3];
  for (uint64_t q = 0; q < KQ; q++, wp += 4 * NB) {
    const __m512i w0 = _mm512_loadu_si512(wp), w1 = _mm512_loadu_si512(wp + 64);
    const __m512i w2 = _mm512_loadu_si512(wp + 128), w3 = _mm512_loadu_si512(wp + 192);
    int32_t v0, v1, v2, v3;
    memcpy(&v0, a0 + 4 * q, 4);
    memcpy(&v1, a1 + 4 * q, 4);
    memcpy(&v2, a2 + 4 * q, 4);
    memcpy(&v3, a3 + 4 * q, 4);
    const __m512i u0 = _mm512_xor_si512(_mm512_set1_epi32(v0), flip);
    const __m512i u1 = _mm512_xor_si512(_mm512_set1_epi32(v1), flip);
    const __m512i u2 = _mm512_xor_si512(_mm512_set1_epi32(v2), flip);
    const __m512i u3 = _mm512_xor_si512(_mm512_set1_epi32(v3), flip);
    s00 = _mm512_dpbusd_epi32(s00, u0, w0);
    s01 = _mm512_dpbusd_epi32(s01, u0, w1);
    s02 = _mm512_dpbusd_epi32(s02, u0, w2);
    s03 = _mm512_dpbusd_epi32(s03, u0, w3);
    s10 = _mm512_dpbusd_epi32(s10, u1, w0);
    s11 = _mm512_dpbusd_epi32(s11, u1, w1);
    s12 = _mm512_dpbusd_epi32(s12, u1, w2);
    s13 = _mm512_dpbusd_epi32(s13, u1, w3);
    s20 = _mm512_dpbusd_epi32(s20, u2, w0);
    s21 = _mm512_dpbusd_epi32(s21, u2, w1);
    s22 = _mm512_dpbusd_epi32(s22, u2, w2);
    s23 = _mm512_dpbusd_epi32(s23, u2, w3);
    s30 = _mm512_dpbusd_epi32(s30, u3, w0);
    s31 = _mm512_dpbusd_epi32(s31, u3, w1);
    s32 = _mm512_dpbusd_epi32(s32, u3, w2);
    s33 = _mm512_dpbusd_epi32(s33, u3, w3);
  }
  const __m512i s[4][4] = {{s00, s01, s02, s03}, {s10, s11, s12, s13}, {s20, s21, s22, s23}, {s30, s31, s32, s33}};
  for (unsigned r = 0; r < 4; r++)
    for (unsigned j = 0; j < 4; j++) _mm512_storeu_si512(&acc[r][16 * j], s[r][j]);
}
#endif

/* The requantization of common/ref/include/kgmac/ref_layer.h over
 * n channels of one output row, from the panel sums acc and their
 * correction corr (x = acc - corr, see NB above), branch-free: >> of a
 * negative int64 is an arithmetic shift on every compiler this builds with
 * (checked below). |x * mult| < 2^62 and the rounding term <= 2^61, so the
 * int64 cannot overflow. An AVX-512 version beside the portable one. */
_Static_assert((-5 >> 1) == -3, "arithmetic right shift of negative values required");
typedef void (*requant_fn)(const uint32_t *acc, const uint32_t *corr, const int32_t *bias,
                           const int32_t *mult, const uint8_t *shift, uint64_t n, int relu, int8_t *out);

static inline __attribute__((always_inline)) void requant_body(
    const uint32_t *restrict acc, const uint32_t *restrict corr, const int32_t *restrict bias,
    const int32_t *restrict mult, const uint8_t *restrict shift, uint64_t n, int relu,
    int8_t *restrict out) {
  const int64_t lo = relu ? 0 : -128;
  for (uint64_t c = 0; c < n; c++) {
    const int32_t x = (int32_t)(acc[c] - corr[c] + (uint32_t)bias[c]);
    const int64_t sh = shift[c];
    const int64_t p = (int64_t)x * mult[c] + ((int64_t)1 << (sh - 1));
    int64_t y = p >> sh;
    y = y > 127 ? 127 : y;
    y = y < lo ? lo : y;
    out[c] = (int8_t)y;
  }
}

static void requant_plain(const uint32_t *acc, const uint32_t *corr, const int32_t *bias,
                          const int32_t *mult, const uint8_t *shift, uint64_t n, int relu, int8_t *out) {
  requant_body(acc, corr, bias, mult, shift, n, relu, out);
}
#ifdef KGM_X86
__attribute__((target("avx2"))) static void requant_avx2(const uint32_t *acc, const uint32_t *corr,
                                                         const int32_t *bias, const int32_t *mult,
                                                         const uint8_t *shift, uint64_t n, int relu,
                                                         int8_t *out) {
  requant_body(acc, corr, bias, mult, shift, n, relu, out);
}
/* 8 channels at a time: vpmuldq (signed 32 x 32 -> 64), vpsllvq/vpsravq
 * for the per-channel rounding term and shift, vpminsq/vpmaxsq, vpmovqb. */
__attribute__((target("avx512f"))) static void requant_avx512(
    const uint32_t *acc, const uint32_t *corr, const int32_t *bias, const int32_t *mult,
    const uint8_t *shift, uint64_t n, int relu, int8_t *out) {
  const __m512i lo = _mm512_set1_epi64(relu ? 0 : -128), hi = _mm512_set1_epi64(127);
  const __m512i one = _mm512_set1_epi64(1);
  uint64_t c = 0;
  for (; c + 8 <= n; c += 8) {
    const __m256i x = _mm256_add_epi32(_mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(acc + c)),
                                                        _mm256_loadu_si256((const __m256i *)(corr + c))),
                                       _mm256_loadu_si256((const __m256i *)(bias + c)));
    const __m512i mu = _mm512_cvtepi32_epi64(_mm256_loadu_si256((const __m256i *)(mult + c)));
    const __m512i sh = _mm512_cvtepu8_epi64(_mm_loadl_epi64((const __m128i *)(shift + c)));
    __m512i p = _mm512_mul_epi32(_mm512_cvtepi32_epi64(x), mu);
    p = _mm512_add_epi64(p, _mm512_sllv_epi64(one, _mm512_sub_epi64(sh, one)));
    const __m512i y = _mm512_min_epi64(_mm512_max_epi64(_mm512_srav_epi64(p, sh), lo), hi);
    _mm_storel_epi64((__m128i *)(out + c), _mm512_cvtepi64_epi8(y));
  }
  requant_body(acc + c, corr + c, bias + c, mult + c, shift + c, n - c, relu, out + c);
}
#endif

/* The fastest kernels the CPU runs; KGMODEL_GEMM=plain or avx2 forces
 * slower ones (the tests run the cross-check on each). */
typedef struct kernels {
  panel_fn panel;
  requant_fn requant;
} kernels;
static kernels pick_kernels(void) {
  const char *force = getenv("KGMODEL_GEMM");
  const int plain = force && !strcmp(force, "plain"), avx2 = force && !strcmp(force, "avx2");
  kernels k = {panel_plain, requant_plain};
#ifdef KGM_X86
  __builtin_cpu_init();
  if (!plain && !avx2 && __builtin_cpu_supports("avx512vnni") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512f")) {
    k.panel = panel_vnni;
    k.requant = requant_avx512;
  } else if (!plain && __builtin_cpu_supports("avx2")) {
    k.panel = panel_avx2;
    k.requant = requant_avx2;
  }
#else
  (void)plain;
  (void)avx2;
#endif
  return k;
}

/* Folding the decrypted image into the GEMM panels (see NB above):
 * fold_tiles folds tiles [t0, t0 + cnt) of the image
 * (image order, layer_pack.h: tile t = nt * KT + kt holds W[kt*R + kr][nt*C
 * + nc] at byte kr * C + nc) into the zeroed panels wp, fold_done turns the
 * column sums into the correction 128 * sum_k W[k][n]. PE(kr, nc) negates
 * when xm[kr*C + nc] = 0xff (key bit kr*C + nc, kg_key_bit; else 0), as
 * (w ^ x) - x, so -(-128) = -128 as in kg_fold_weight. */
static void fold_tiles(const layer *L, uint32_t R, uint32_t Cc, const uint8_t *xm, const uint8_t *src,
                       uint64_t t0, uint64_t cnt, int8_t *wp, uint64_t KQ) {
  const uint64_t TILE = ((uint64_t)R * Cc + 15) / 16 * 16, K = L->k, N = L->n;
  for (uint64_t i = 0; i < cnt; i++) {
    const uint64_t t = t0 + i, nt = t / L->kt, kt = t % L->kt;
    const uint8_t *tb = src + i * TILE;
    const uint32_t ncs = N - nt * Cc < Cc ? (uint32_t)(N - nt * Cc) : Cc;
    if (R % 4 == 0) {
      /* A k-quad lies inside one tile: one 32-bit store per channel. */
      for (uint32_t kr = 0; kr < R && kt * R + kr < K; kr += 4) {
        const uint64_t k = kt * R + kr, left = K - k;
        const uint32_t keep = left >= 4 ? 0xffffffffu : (1u << (8 * left)) - 1;
        const uint8_t *r0 = tb + kr * Cc, *x0 = xm + kr * Cc;
        int8_t *dq = wp + (k / 4) * 4 * NB;
        uint32_t nc = 0;
#ifdef KGM_X86
        /* 16 channels at a time: fold 4 rows, interleave them into 16
         * little-endian quads (channels >= N get unused values). */
        const __m128i z = _mm_setzero_si128();
        for (; Cc % 16 == 0 && nc < ncs; nc += 16) {
          __m128i r[4];
          for (uint32_t b = 0; b < 4; b++) {
            const __m128i x = _mm_loadu_si128((const __m128i *)(x0 + b * Cc + nc));
            r[b] = b < left ? _mm_sub_epi8(_mm_xor_si128(_mm_loadu_si128((const __m128i *)(r0 + b * Cc + nc)), x), x) : z;
          }
          const __m128i l01 = _mm_unpacklo_epi8(r[0], r[1]), h01 = _mm_unpackhi_epi8(r[0], r[1]);
          const __m128i l23 = _mm_unpacklo_epi8(r[2], r[3]), h23 = _mm_unpackhi_epi8(r[2], r[3]);
          const uint64_t n = nt * Cc + nc;
          int8_t *d = dq + (n / NB) * KQ * 4 * NB + (n % NB) * 4;
          _mm_storeu_si128((__m128i *)d, _mm_unpacklo_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(d + 16), _mm_unpackhi_epi16(l01, l23));
          _mm_storeu_si128((__m128i *)(d + 32), _mm_unpacklo_epi16(h01, h23));
          _mm_storeu_si128((__m128i *)(d + 48), _mm_unpackhi_epi16(h01, h23));
        }
#endif
        for (; nc < ncs; nc++) {
          const uint64_t n = nt * Cc + nc;
          uint32_t v = 0;
          for (uint32_t b = 0; b < 4; b++) {
            const uint8_t x = x0[b * Cc + nc];
            v |= (uint32_t)(uint8_t)((r0[b * Cc + nc] ^ x) - x) << (8 * b);
          }
          v &= keep;
          memcpy(dq + (n / NB) * KQ * 4 * NB + (n % NB) * 4, &v, 4);
        }
      }
    } else {
      for (uint32_t kr = 0; kr < R && kt * R + kr < K; kr++) {
        const uint64_t k = kt * R + kr;
        int8_t *dq = wp + (k / 4) * 4 * NB + (k % 4);
        for (uint32_t nc = 0; nc < ncs; nc++) {
          const uint64_t n = nt * Cc + nc;
          const uint8_t x = xm[kr * Cc + nc];
          dq[(n / NB) * KQ * 4 * NB + (n % NB) * 4] = (int8_t)(uint8_t)((tb[kr * Cc + nc] ^ x) - x);
        }
      }
    }
  }
}

static void fold_done(const int8_t *wp, uint32_t *corr, uint64_t KQ, uint64_t NP) {
  for (uint64_t p = 0; p < NP; p++) {
    int32_t cs[NB] = {0};
    for (uint64_t q = 0; q < KQ; q++) {
      const int8_t *w = wp + (p * KQ + q) * 4 * NB;
      for (unsigned c = 0; c < NB; c++) cs[c] += w[4 * c] + w[4 * c + 1] + w[4 * c + 2] + w[4 * c + 3];
    }
    for (unsigned c = 0; c < NB; c++) corr[p * NB + c] = 128u * (uint32_t)cs[c];
  }
}

/* Execute a legal layer into m->out; returns ERR_OK, ERR_BUS or ERR_RESERVED. */
static uint32_t execute(kgmodel *m, const layer *L) {
  const uint32_t R = m->cfg.rows, Cc = m->cfg.cols;
  const uint64_t TILE = ((uint64_t)R * Cc + 15) / 16 * 16;
  const uint64_t M = L->m, K = L->k, N = L->n;
  const uint64_t KQ = (K + 3) / 4, NP = (N + NB - 1) / NB;
  uint64_t mp, passes;
  passes_of(m, L, &mp, &passes);

  /* Bus faults on the streams the layer moves. */
  uint64_t rd_act = 0;
  int bus = dma_bad(m, L->p_addr, N * 16, KGMODEL_DIR_READ) ||
            dma_bad(m, L->w_addr, L->w_bytes, KGMODEL_DIR_READ);
  for (uint64_t r = 0; r < L->inrows; r++) {
    const uint64_t a = (uint64_t)L->in_addr + r * L->in_stride;
    rd_act += r16(L->run);
    if (!bus && (any_fault(m) || !in_dram(m, a, r16(L->run)))) bus = dma_bad(m, a, r16(L->run), KGMODEL_DIR_READ);
  }
  if (!bus && (any_fault(m) || !in_dram(m, L->out_addr, (M - 1) * L->out_stride + r16(N))))
    for (uint64_t r = 0; r < M && !bus; r++)
      bus = dma_bad(m, (uint64_t)L->out_addr + r * L->out_stride, r16(N), KGMODEL_DIR_WRITE);
  m->add[CNT_RD] = 64;
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
    bias[n] = (int32_t)rd32le(r);
    mult[n] = (int32_t)rd32le(r + 4);
    shift[n] = r[8];
    int pad_nz = 0;
    for (int i = 9; i < 16; i++) pad_nz |= r[i];
    if (mult[n] < 0 || shift[n] == 0 || shift[n] > 62 || pad_nz) {
      m->add[CNT_RD] += 16 * N;
      rc = KG_ERR_RESERVED;
      goto out;
    }
  }

  /* Weight image: decrypt with the vault key at w_pos, un-tile, fold into
   * the panels (cached while nothing it depends on changed). */
  const uint8_t *raw = m->mem + (L->w_addr - m->cfg.dram_base);
  const int hit = m->wc_valid && m->wc_bytes == L->w_bytes && m->wc_k == K && m->wc_n == N &&
                  m->wc_kt == L->kt && m->wc_crypt == L->crypt && m->wc_pos == L->w_pos &&
                  m->wc_sign == (uint32_t)L->sign && m->wc_aes_len == m->aes_len &&
                  !memcmp(m->wc_key, m->aes_key, sizeof m->wc_key) &&
                  !memcmp(m->wc_nonce, m->nonce, sizeof m->wc_nonce) &&
                  !memcmp(m->wc_sign_key, m->sign_key, sizeof m->wc_sign_key) &&
                  !memcmp(m->wc_raw, raw, L->w_bytes);
  if (!hit) {
    m->wc_valid = 0;
    int8_t *wp = grow((void **)&m->wc_wp, &m->wc_wp_cap, NP * KQ * 4 * NB);
    uint32_t *corr = grow((void **)&m->wc_corr, &m->wc_corr_cap, NP * NB * sizeof *corr);
    uint8_t *cr = grow((void **)&m->wc_raw, &m->wc_raw_cap, L->w_bytes);
    /* Deep-Lock decrypts the whole image at once (a seek restarts its
     * schedule); CTR and no-decrypt go through a small buffer, a chunk of
     * tiles at a time. */
    const int whole = L->crypt == KG_CRYPT_DEEPLOCK;
    uint8_t *img = whole ? grow(&m->scr[0], &m->scr_cap[0], L->w_bytes) : NULL;
    if (!wp || !corr || !cr || (whole && !img)) {
      rc = KG_ERR_BUS;
      goto out;
    }
    memcpy(cr, raw, L->w_bytes);
    uint8_t key[32], nonce[12];
    kg_aes_key ak;
    memset(&ak, 0, sizeof ak);
    if (L->crypt != KG_CRYPT_NONE) {
      aes_key_bytes(m, key);
      nonce_bytes(m, nonce);
      kg_aes_key_init(&ak, key, aes_len_bytes(m->aes_len));
      memset(key, 0, sizeof key);
    }
    if (whole) decrypt_image((int)L->crypt, &ak, nonce, L->w_pos, raw, img, L->w_bytes);
    uint8_t xm[1024], buf[4096];
    for (uint32_t b = 0; b < R * Cc; b++)
      xm[b] = L->sign && ((m->sign_key[b / 32] >> (b % 32)) & 1) ? 0xff : 0;
    memset(wp, 0, NP * KQ * 4 * NB);
    const uint64_t tiles = L->kt * L->nt, per = TILE <= sizeof buf ? sizeof buf / TILE : 1;
    for (uint64_t t0 = 0; t0 < tiles; t0 += per) {
      const uint64_t cnt = tiles - t0 < per ? tiles - t0 : per;
      const uint8_t *src = raw + t0 * TILE;
      if (whole)
        src = img + t0 * TILE;
      else if (L->crypt != KG_CRYPT_NONE) {
        decrypt_image((int)L->crypt, &ak, nonce, L->w_pos + t0 * TILE, src, buf, cnt * TILE);
        src = buf;
      }
      fold_tiles(L, R, Cc, xm, src, t0, cnt, wp, KQ);
    }
    memset(buf, 0, sizeof buf);
    memset(xm, 0, sizeof xm);
    kg_aes_key_wipe(&ak);
    fold_done(wp, corr, KQ, NP);
    m->wc_bytes = L->w_bytes;
    m->wc_k = K;
    m->wc_n = N;
    m->wc_kt = L->kt;
    m->wc_crypt = L->crypt;
    m->wc_pos = L->w_pos;
    m->wc_sign = (uint32_t)L->sign;
    m->wc_aes_len = m->aes_len;
    memcpy(m->wc_key, m->aes_key, sizeof m->wc_key);
    memcpy(m->wc_nonce, m->nonce, sizeof m->wc_nonce);
    memcpy(m->wc_sign_key, m->sign_key, sizeof m->wc_sign_key);
    m->wc_valid = 1;
  }
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
    int8_t *A = grow(&m->scr[1], &m->scr_cap[1], M * KP);
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
  const kernels kn = pick_kernels();
  uint32_t acc[4][NB];
  for (uint64_t p = 0; p < NP; p++) {
    const uint64_t n0 = p * NB, nn = N - n0 < NB ? N - n0 : NB;
    for (uint64_t r0 = 0; r0 < M; r0 += 4) {
      const uint64_t rows = M - r0 < 4 ? M - r0 : 4;
      const uint8_t *a[4];
      for (uint64_t i = 0; i < 4; i++) a[i] = abase + (r0 + (i < rows ? i : 0)) * astride;
      kn.panel(a, wp + p * KQ * 4 * NB, KQ, acc);
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

static void engine_start(kgmodel *m) {
  const uint64_t lat = m->cfg.read_latency;
  memset(m->add, 0, sizeof m->add);
  m->busy = true;
  m->aborting = false;
  m->out_m = 0;
  if (m->desc_addr & 15) {
    m->done_err = KG_ERR_MISALIGNED;
    m->done_t = m->now + 2;
    return;
  }
  if (dma_bad(m, m->desc_addr, 64, KGMODEL_DIR_READ)) {
    m->done_err = KG_ERR_BUS;
    m->done_t = m->now + lat + 12;
    return;
  }
  uint32_t dw[16];
  const uint8_t *p = m->mem + (m->desc_addr - m->cfg.dram_base);
  for (int i = 0; i < 16; i++) dw[i] = rd32le(p + 4 * i);
  layer L;
  memset(&L, 0, sizeof L);
  m->done_err = validate(m, dw, &L);
  m->add[CNT_RD] = 64;
  if (m->done_err != KG_ERR_OK) {
    m->done_t = m->now + lat + 10;
    return;
  }
  m->done_err = execute(m, &L);
  if (m->done_err == KG_ERR_OK) {
    m->done_t = m->now + estimate(m, &L);
    if (L.crypt == KG_CRYPT_DEEPLOCK) {
      m->dl_ck_valid = m->dl_cur_valid = 1;
      m->dl_ck = L.w_pos;
      m->dl_cur = (uint64_t)L.w_pos + L.w_bytes;
    }
  } else
    m->done_t = m->now + 2 * lat + 100;
}

static void engine_abort(kgmodel *m) {
  if (m->aborting) return;
  m->aborting = true;
  if (!m->busy) memset(m->add, 0, sizeof m->add);
  m->busy = true;
  m->done_err = KG_ERR_ABORTED;
  m->out_m = 0;
  m->done_t = m->now + SRST_CYCLES;
}

/*----------------------------------------------------------------------
 * CSR access (kg_csr.v).
 *--------------------------------------------------------------------*/
static int is_vault(uint32_t a) {
  return (a >= KG_REG_AES_KEY(0) && a < KG_REG_AES_KEY(KG_REG_AES_KEY_COUNT)) ||
         (a >= KG_REG_SIGN_KEY(0) && a < KG_REG_SIGN_KEY(KG_REG_SIGN_KEY_COUNT));
}

static uint32_t key_status(const kgmodel *m) {
  return (m->aes_valid ? KG_KEY_STATUS_AES_VALID_MASK : 0) |
         (m->sign_valid ? KG_KEY_STATUS_SIGN_VALID_MASK : 0) |
         (m->locked ? KG_KEY_STATUS_LOCKED_MASK : 0) | (m->kcv_ok ? KG_KEY_STATUS_KCV_OK_MASK : 0) |
         (m->chk_busy ? KG_KEY_STATUS_CHECK_BUSY_MASK : 0) |
         (m->lockout ? KG_KEY_STATUS_LOCKED_OUT_MASK : 0) | (m->fails << KG_KEY_STATUS_FAILS_SHIFT);
}
static uint32_t policy_rd(const kgmodel *m) {
  return (m->pol_mode << KG_POLICY_MODE_SHIFT) | (m->pol_thr << KG_POLICY_THRESHOLD_SHIFT);
}

int kgmodel_reg_read32(kgmodel *m, uint32_t off, uint32_t *val) {
  if (!m || !val) return KGMODEL_EINVAL;
  if ((off & 3) || off >= 4096) return KGMODEL_ERANGE;
  advance_to(m, m->now + m->cfg.reg_cycles);
  const kgmodel_config *c = &m->cfg;
  uint32_t v = 0;
  int err = 0;
  if (off >= KG_REG_PERF_CYCLES_LO && off <= KG_REG_PERF_DEC_STALL_HI) {
    const unsigned i = (off - KG_REG_PERF_CYCLES_LO) / 8;
    if (off & 4) {
      v = m->hi[i];
    } else {
      v = (uint32_t)m->cnt[i];
      for (unsigned j = 0; j < KGM_NCNT; j++) m->hi[j] = (uint32_t)(m->cnt[j] >> 32);
    }
  } else {
    switch (off) {
      case KG_REG_ID: v = KG_RST_ID; break;
      case KG_REG_VERSION: v = KG_RST_VERSION; break;
      case KG_REG_HW_ARRAY: v = c->rows | (c->cols << 16); break;
      case KG_REG_HW_BUF: v = c->acc_depth | (c->half_words << 16); break;
      case KG_REG_HW_CFG: v = 16u | (1u << 8) | (1u << 9) | (c->param_depth << 16); break;
      case KG_REG_CTRL: v = 0; break;
      case KG_REG_STATUS: v = (m->busy ? 1u : 0u) | (m->err << KG_STATUS_ERR_SHIFT); break;
      case KG_REG_DESC_ADDR: v = m->desc_addr; break;
      case KG_REG_IRQ_STATUS: v = m->irq_status; break;
      case KG_REG_IRQ_ENABLE: v = m->irq_enable; break;
      case KG_REG_KEY_CTRL: v = 0; break;
      case KG_REG_KEY_CFG: v = m->aes_len; break;
      case KG_REG_KEY_STATUS: v = key_status(m); break;
      case KG_REG_POLICY: v = policy_rd(m); break;
      case KG_REG_NONCE0: v = m->nonce[0]; break;
      case KG_REG_NONCE1: v = m->nonce[1]; break;
      case KG_REG_NONCE2: v = m->nonce[2]; break;
      case KG_REG_KCV_EXP0: v = m->kcv_exp[0]; break;
      case KG_REG_KCV_EXP1: v = m->kcv_exp[1]; break;
      default: err = !is_vault(off); break;
    }
  }
  if (err) return KGMODEL_ESLVERR;
  *val = v;
  return KGMODEL_OK;
}

static uint32_t merge(uint32_t old, uint32_t d, uint32_t mask) { return (old & ~mask) | (d & mask); }

int kgmodel_reg_write32_strb(kgmodel *m, uint32_t off, uint32_t d, uint32_t strb) {
  if (!m) return KGMODEL_EINVAL;
  if ((off & 3) || off >= 4096) return KGMODEL_ERANGE;
  advance_to(m, m->now + m->cfg.reg_cycles);
  const uint32_t wm = ((strb & 1) ? 0xffu : 0) | ((strb & 2) ? 0xff00u : 0) |
                      ((strb & 4) ? 0xff0000u : 0) | ((strb & 8) ? 0xff000000u : 0);
  const uint32_t cmd = d & wm;
  const int act = (strb & 15) != 0;
  const int wa_aes = off >= KG_REG_AES_KEY(0) && off < KG_REG_AES_KEY(KG_REG_AES_KEY_COUNT);
  const int wa_sign = off >= KG_REG_SIGN_KEY(0) && off < KG_REG_SIGN_KEY(KG_REG_SIGN_KEY_COUNT);
  const int mapped = (off <= KG_REG_HW_CFG && off != 0x14 && off != 0x18 && off != 0x1c) ||
                     (off >= KG_REG_CTRL && off <= KG_REG_DESC_ADDR) ||
                     off == KG_REG_IRQ_STATUS || off == KG_REG_IRQ_ENABLE ||
                     (off >= KG_REG_KEY_CTRL && off <= KG_REG_NONCE2) || off == KG_REG_KCV_EXP0 ||
                     off == KG_REG_KCV_EXP1 || wa_aes || wa_sign ||
                     (off >= KG_REG_PERF_CYCLES_LO && off <= KG_REG_PERF_DEC_STALL_HI);
  if (!mapped) return KGMODEL_ESLVERR;
  if (!act) return KGMODEL_OK;

  const int busy_eff = m->busy;
  const int was_locked = m->locked;
  const int chk_running = m->chk_busy;
  uint32_t irq_set = 0, irq_clr = 0;
  int vault_write = 0, kcv_inval = 0, chk_abort = 0;
  const int w_key_ctrl = (off == KG_REG_KEY_CTRL);
  const int kc_zeroize = w_key_ctrl && (cmd & KG_KEY_CTRL_ZEROIZE_MASK);
  const int kc_load_aes = w_key_ctrl && (cmd & KG_KEY_CTRL_LOAD_AES_MASK) && !kc_zeroize;
  const int kc_load_sign = w_key_ctrl && (cmd & KG_KEY_CTRL_LOAD_SIGN_MASK) && !kc_zeroize;
  const int kc_check = w_key_ctrl && (cmd & KG_KEY_CTRL_CHECK_MASK) && !kc_zeroize;
  int do_start = 0, do_srst = 0;

  switch (off) {
    case KG_REG_CTRL:
      if (cmd & KG_CTRL_SOFT_RESET_MASK)
        do_srst = 1;
      else if ((cmd & KG_CTRL_START_MASK) && !busy_eff)
        do_start = 1;
      if (cmd & KG_CTRL_PERF_CLEAR_MASK) {
        memset(m->cnt, 0, sizeof m->cnt);
        memset(m->hi, 0, sizeof m->hi);
      }
      break;
    case KG_REG_DESC_ADDR:
      if (!busy_eff) m->desc_addr = merge(m->desc_addr, d, wm);
      break;
    case KG_REG_IRQ_STATUS: irq_clr = cmd & IRQ_MASK; break;
    case KG_REG_IRQ_ENABLE: m->irq_enable = merge(m->irq_enable, d, wm) & IRQ_MASK; break;
    case KG_REG_NONCE0:
    case KG_REG_NONCE1:
    case KG_REG_NONCE2:
      m->nonce[(off - KG_REG_NONCE0) / 4] = merge(m->nonce[(off - KG_REG_NONCE0) / 4], d, wm);
      kcv_inval = 1;
      break;
    case KG_REG_KCV_EXP0:
    case KG_REG_KCV_EXP1:
      m->kcv_exp[(off - KG_REG_KCV_EXP0) / 4] = merge(m->kcv_exp[(off - KG_REG_KCV_EXP0) / 4], d, wm);
      kcv_inval = 1;
      break;
    case KG_REG_KEY_CFG:
      vault_write = 1;
      if (!was_locked) {
        m->aes_len = merge(m->aes_len, d, wm) & 3;
        m->aes_valid = false;
        kcv_inval = 1;
      }
      break;
    case KG_REG_POLICY:
      vault_write = 1;
      if (!was_locked) {
        const uint32_t mg = merge(policy_rd(m), d, wm);
        uint32_t mode = mg & 3;
        if (mode != KG_POLICY_RUN && mode != KG_POLICY_LOCKOUT) mode = KG_POLICY_REFUSE;
        m->pol_mode = mode;
        m->pol_thr = (mg >> 8) & 0xff;
      }
      break;
    default: break;
  }
  if (wa_aes) {
    vault_write = 1;
    if (!was_locked) {
      const unsigned i = (off - KG_REG_AES_KEY(0)) / 4;
      m->aes_key[i] = merge(m->aes_key[i], d, wm);
      m->aes_valid = false;
      kcv_inval = 1;
    }
  }
  if (wa_sign) {
    vault_write = 1;
    if (!was_locked) {
      const unsigned i = (off - KG_REG_SIGN_KEY(0)) / 4;
      const uint32_t bits = m->cfg.rows * m->cfg.cols;
      uint32_t keep = 0xffffffffu;
      if (bits < 32 * (i + 1)) keep = bits <= 32 * i ? 0 : ((1u << (bits - 32 * i)) - 1);
      m->sign_key[i] = merge(m->sign_key[i], d, wm) & keep;
      m->sign_valid = false;
    }
  }
  if (kc_load_aes || kc_load_sign) vault_write = 1;
  if (kc_load_aes && !was_locked && !busy_eff && m->aes_len <= 2) {
    m->dl_ck_valid = m->dl_cur_valid = 0;
    m->aes_valid = true;
    kcv_inval = 1;
    chk_abort = 1;
  }
  if (kc_load_sign && !was_locked) m->sign_valid = true;
  if (w_key_ctrl && (cmd & KG_KEY_CTRL_LOCK_MASK)) m->locked = true;
  if (vault_write && was_locked) irq_set |= KG_IRQ_STATUS_VAULT_MASK;
  if (kcv_inval) {
    m->kcv_ok = false;
    if (chk_running) m->chk_stale = true;
  }
  int chk_started = 0;
  if (kc_check && !chk_running) {
    if (m->lockout) {
      m->err = KG_ERR_LOCKED_OUT;
      irq_set |= KG_IRQ_STATUS_LOCKOUT_MASK;
    } else if (!m->aes_valid) {
      m->err = KG_ERR_NO_KEY;
      irq_set |= KG_IRQ_STATUS_WRONG_KEY_MASK;
    } else {
      chk_started = 1;
      m->chk_stale = false;
      m->kcv_ok = false;
    }
  }
  if (kc_zeroize) {
    memset(m->aes_key, 0, sizeof m->aes_key);
    memset(m->sign_key, 0, sizeof m->sign_key);
    m->aes_valid = m->sign_valid = m->kcv_ok = m->lockout = false;
    m->fails = 0;
    m->dl_ck_valid = m->dl_cur_valid = 0;
    chk_abort = 1;
    if (busy_eff) do_srst = 1;
  }
  if (chk_running && chk_abort) {
    m->chk_busy = false;
    m->err = KG_ERR_ABORTED;
    irq_set |= KG_IRQ_STATUS_DONE_MASK;
  }
  if (chk_started) {
    m->chk_busy = true;
    m->chk_t = m->now + KCV_CYCLES;
  }
  m->irq_status = ((m->irq_status & ~irq_clr) | irq_set) & IRQ_MASK;
  if (do_srst) engine_abort(m);
  if (do_start) engine_start(m);
  return KGMODEL_OK;
}

int kgmodel_reg_write32(kgmodel *m, uint32_t off, uint32_t val) {
  return kgmodel_reg_write32_strb(m, off, val, 0xf);
}

const char *kgmodel_strerror(int code) {
  switch (code) {
    case KGMODEL_OK: return "success";
    case KGMODEL_EINVAL: return "bad argument or configuration value";
    case KGMODEL_ENOMEM: return "out of memory";
    case KGMODEL_ERANGE: return "address outside the DRAM or the CSR block, or misaligned";
    case KGMODEL_ETIMEOUT: return "cycle bound reached before the interrupt";
    case KGMODEL_ESLVERR: return "CSR access to an unmapped offset (SLVERR)";
    case KGMODEL_ENOTSUP: return "not supported by the functional model";
    default: return "unknown kgmodel error";
  }
}

/*----------------------------------------------------------------------
 * Firmware HAL.
 *--------------------------------------------------------------------*/
static uint32_t hal_rd(void *ctx, uint32_t off) {
  uint32_t v = 0;
  return kgmodel_reg_read32((kgmodel *)ctx, off, &v) == KGMODEL_OK ? v : 0xFFFFFFFFu;
}
static void hal_wr(void *ctx, uint32_t off, uint32_t v) { (void)kgmodel_reg_write32((kgmodel *)ctx, off, v); }
static int hal_wait(void *ctx, uint64_t t) {
  return kgmodel_run_until_irq((kgmodel *)ctx, t, NULL) == KGMODEL_OK ? 0 : -1;
}
static int hal_mw(void *ctx, uint64_t a, const void *s, size_t n) {
  return kgmodel_mem_write((kgmodel *)ctx, a, s, n) == KGMODEL_OK ? 0 : -1;
}
static int hal_mr(void *ctx, uint64_t a, void *d, size_t n) {
  return kgmodel_mem_read((kgmodel *)ctx, a, d, n) == KGMODEL_OK ? 0 : -1;
}

void kgmodel_hal_bind(kgmodel *m, kg_hal *hal) {
  if (!hal) return;
  hal->ctx = m;
  hal->reg_read32 = hal_rd;
  hal->reg_write32 = hal_wr;
  hal->wait_irq = hal_wait;
  hal->mem_write = hal_mw;
  hal->mem_read = hal_mr;
}
