/* kgmodel_engine.c: the layer engine's time line (see kgmodel.h): model
 * time and its pending completions, layer start and abort, interrupts, and
 * the analytic cycle estimate of a layer (docs/model.md). */
#include <stdint.h>
#include <string.h>

#include "kgmodel_internal.h"

#define SRST_CYCLES 5u     /* SOFT_RESET: abort, two reset cycles, done, IRQ_STATUS */
#define DESC_BYTES (4u * KG_DESC_WORDS)

static uint32_t done_irq(uint32_t e) {
  switch (e) {
    case KG_ERR_OK:
    case KG_ERR_ABORTED: return KG_IRQ_STATUS_DONE_MASK;
    case KG_ERR_WRONG_KEY:
    case KG_ERR_NOT_AUTH:
    case KG_ERR_KCV_MISMATCH: return KG_IRQ_STATUS_WRONG_KEY_MASK;
    case KG_ERR_LOCKED_OUT: return KG_IRQ_STATUS_LOCKOUT_MASK;
    case KG_ERR_BUS: return KG_IRQ_STATUS_BUS_ERR_MASK;
    default: return KG_IRQ_STATUS_DESC_ERR_MASK;
  }
}

int kgmodel_irq(const kgmodel *m) { return m && (m->irq_status & m->irq_enable) ? 1 : 0; }

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

/* Advance model time to t, running the completions due on the way. */
void kgmod_advance_to(kgmodel *m, uint64_t t) {
  while (m->now < t) {
    uint64_t next = t;
    if (m->busy && m->done_t < next) next = m->done_t;
    if (m->chk_busy && m->chk_t < next) next = m->chk_t;
    if (m->ver_busy && m->ver_t < next) next = m->ver_t;
    if (next < m->now) next = m->now;
    const uint64_t dt = next - m->now;
    m->cnt[CNT_CYCLES] += dt;
    if (m->busy || m->ver_busy) m->cnt[CNT_BUSY] += dt;
    m->now = next;
    /* The engine wins STATUS.ERR over a CHECK or VERIFY ending in the same
     * cycle (only a soft reset during VERIFY makes that happen). */
    if (m->chk_busy && m->chk_t <= m->now) kgmod_check_done(m);
    if (m->ver_busy && m->ver_t <= m->now) kgmod_verify_done(m);
    if (m->busy && m->done_t <= m->now) engine_done(m);
    if (next == t) break;
  }
}

int kgmodel_step(kgmodel *m, uint64_t n) {
  if (!m) return KGMODEL_EINVAL;
  kgmod_advance_to(m, m->now + n);
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
  if (m && m->ver_busy) {
    const uint64_t c = m->ver_t > m->now ? m->ver_t - m->now : 0;
    t = c < t ? c : t;
  }
  return t;
}

int kgmodel_busy(const kgmodel *m) { return m && (m->busy || m->ver_busy) ? 1 : 0; }

int kgmodel_run_until_irq(kgmodel *m, uint64_t max_cycles, uint64_t *waited) {
  if (!m) return KGMODEL_EINVAL;
  const uint64_t t0 = m->now, lim = t0 + max_cycles;
  while (!kgmodel_irq(m)) {
    uint64_t next = lim;
    if (m->busy && m->done_t < next) next = m->done_t;
    if (m->chk_busy && m->chk_t < next) next = m->chk_t;
    if (m->ver_busy && m->ver_t < next) next = m->ver_t;
    if (next <= m->now && m->now >= lim) break;
    kgmod_advance_to(m, next);
    if (m->now >= lim) break;
  }
  if (waited) *waited = m->now - t0;
  return kgmodel_irq(m) ? KGMODEL_OK : KGMODEL_ETIMEOUT;
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
static uint64_t estimate(const kgmodel *m, const kgmod_layer *L) {
  const uint64_t R = m->cfg.rows, lat = m->cfg.read_latency;
  uint64_t mp, passes;
  kgmod_passes_of(m, L, &mp, &passes);
  const uint64_t tiles = L->kt * L->nt;
  const uint64_t last = L->m - mp * (passes - 1);
  uint64_t t = 0;
  for (uint64_t p = 0; p < passes; p++) {
    const uint64_t rows = (p + 1 < passes) ? mp : last;
    t += tiles * (rows > R ? rows : R);
  }
  t += 3 * tiles + 3 * passes * L->kt + last * L->nt;
  if (L->conv) t += mp * L->kh * L->kw * (kgmod_r16(L->ic) / 16);
  t += 3 * lat + 150;
  if (L->crypt == KG_CRYPT_DEEPLOCK) t += dl_seek(m, L->w_pos);
  return t;
}

void kgmod_engine_start(kgmodel *m) {
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
  if (kgmod_dma_bad(m, m->desc_addr, DESC_BYTES, KGMODEL_DIR_READ)) {
    m->done_err = KG_ERR_BUS;
    m->done_t = m->now + lat + 12;
    return;
  }
  uint32_t dw[KG_DESC_WORDS];
  const uint8_t *p = m->mem + (m->desc_addr - m->cfg.dram_base);
  for (unsigned i = 0; i < KG_DESC_WORDS; i++) dw[i] = kgmod_rd32le(p + 4 * i);
  kgmod_layer L;
  memset(&L, 0, sizeof L);
  m->done_err = kgmod_validate(m, dw, &L);
  if (m->done_err == KG_ERR_OK) m->done_err = kgmod_admit(m, &L);
  m->add[CNT_RD] = DESC_BYTES;
  if (m->done_err != KG_ERR_OK) {
    m->done_t = m->now + lat + 10;
    return;
  }
  m->done_err = kgmod_execute(m, &L);
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

void kgmod_engine_abort(kgmodel *m) {
  if (m->aborting) return;
  m->aborting = true;
  if (!m->busy) memset(m->add, 0, sizeof m->add);
  m->busy = true;
  m->done_err = KG_ERR_ABORTED;
  m->out_m = 0;
  m->done_t = m->now + SRST_CYCLES;
  /* A running VERIFY drains with the DMA and ends ERR_ABORTED with it. */
  kgmod_verify_stop(m, SRST_CYCLES);
}
