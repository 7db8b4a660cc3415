/* kgmodel.c: a kgmodel handle (see kgmodel.h, docs/model.md): configuration,
 * create/destroy/reset, the DRAM and its fault slots, error strings. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kgmodel_internal.h"

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

int kgmod_create(const kgmodel_config *cfg, kgmodel **out, char *err, size_t errlen) {
  *out = NULL;
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
    return KGMODEL_EINVAL;
  }
  kgmodel *m = calloc(1, sizeof *m);
  if (m) m->mem = calloc(1, (size_t)c.dram_size);
  if (!m || !m->mem) {
    if (m) free(m);
    if (err && errlen) snprintf(err, errlen, "out of memory");
    return KGMODEL_ENOMEM;
  }
  m->cfg = c;
  kgmodel_reset(m);
  *out = m;
  return KGMODEL_OK;
}

kgmodel *kgmodel_create(const kgmodel_config *cfg, char *err, size_t errlen) {
  kgmodel *m;
  (void)kgmod_create(cfg, &m, err, errlen);
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
  m->legacy = (KG_RST_POLICY & KG_POLICY_LEGACY_MASK) != 0;
  return KGMODEL_OK;
}

int kgmod_in_dram(const kgmodel *m, uint64_t a, uint64_t n) {
  return a >= m->cfg.dram_base && a + n >= a && a + n <= m->cfg.dram_base + m->cfg.dram_size;
}

int kgmodel_mem_write(kgmodel *m, uint64_t addr, const void *src, size_t n) {
  if (!m || (!src && n)) return KGMODEL_EINVAL;
  if (!kgmod_in_dram(m, addr, n)) return KGMODEL_ERANGE;
  if (n) memcpy(m->mem + (addr - m->cfg.dram_base), src, n);
  return KGMODEL_OK;
}

int kgmodel_mem_read(kgmodel *m, uint64_t addr, void *dst, size_t n) {
  if (!m || (!dst && n)) return KGMODEL_EINVAL;
  if (!kgmod_in_dram(m, addr, n)) return KGMODEL_ERANGE;
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
int kgmod_dma_bad(const kgmodel *m, uint64_t a, uint64_t n, uint32_t dir) {
  if (n == 0) return 0;
  if (!kgmod_in_dram(m, a, n)) return 1;
  for (unsigned i = 0; i < KGMODEL_FAULT_SLOTS; i++) {
    const kgmodel_fault *f = &m->fault[i];
    if (f->mode == KGMODEL_FAULT_RANGE && (f->dirs & dir) && a < f->hi && f->lo < a + n) return 1;
  }
  return 0;
}

int kgmod_any_fault(const kgmodel *m) {
  for (unsigned i = 0; i < KGMODEL_FAULT_SLOTS; i++)
    if (m->fault[i].mode != KGMODEL_FAULT_OFF) return 1;
  return 0;
}

uint32_t kgmod_rd32le(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* A scratch buffer of at least n bytes, kept in *p (grow only; NULL on
 * allocation failure, *p then unchanged). */
void *kgmod_grow(void **p, size_t *cap, size_t n) {
  if (*p && *cap >= n) return *p;
  void *q = realloc(*p, n);
  if (!q) return NULL;
  *p = q;
  *cap = n;
  return q;
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
