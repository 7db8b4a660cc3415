/*
 * padding-kpa: Deep-Lock known-plaintext key recovery (docs/security.md).
 *
 * Deep-Lock encrypts weight byte b at image offset p as c = S(b ^ ks[p]),
 * with ks = the words w[Nk], w[Nk+1], ... of the extended AES key schedule
 * (docs/aes.md section 1.1). Wherever the plaintext b is known,
 * ks[p] = InvS(c) ^ b. The format itself gives known plaintext: the zero
 * padding of partial tiles (rows past K, columns past N, the tail of a tile
 * shorter than 16 bytes) and the zero rows an FC layer gets for a
 * convolution's 16-byte pixel stride. All of it follows from the header and
 * layer table. Nk consecutive known schedule words run the key schedule
 * backwards to w[0..Nk-1], the master key (docs/aes.md section 2), which the
 * header's KCV confirms.
 *
 * On a CTR file the same known bytes give only keystream bytes
 * ks[p] = c ^ b, AES outputs from which no key follows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attack_internal.h"
#include "kg_aes.h"

enum { UNKNOWN = 0, EXACT = 1, SIGNED = 2 }; /* SIGNED: plaintext is +b or -b */

#define MAX_AMBIGUOUS 16u  /* at most 2^16 candidate keys per window */
#define MAX_WINDOWS 64u    /* windows tried against the KCV */

uint64_t kga_padding_mask(const kgm_model *m, uint8_t *mask) {
  const uint32_t R = m->rows, C = m->cols, tb = kga_tile_bytes(m);
  uint64_t n = 0;
  for (uint32_t l = 0; l < m->n_layers; l++) {
    const kgm_layer *L = &m->layers[l];
    const uint32_t KT = (L->K + R - 1) / R, NT = (L->N + C - 1) / C;
    for (uint32_t nt = 0; nt < NT; nt++)
      for (uint32_t kt = 0; kt < KT; kt++) {
        const uint64_t base = L->w_off + ((uint64_t)nt * KT + kt) * tb;
        for (uint32_t i = 0; i < tb; i++) {
          const uint32_t k = kt * R + i / C, col = nt * C + i % C;
          const int pad = i >= R * C || k >= L->K || col >= L->N || kga_is_stride_row(m, l, k);
          if (!pad || base + i >= m->wimg_len) continue;
          mask[base + i] = 1;
          n++;
        }
      }
  }
  return n;
}

/* Mark the assumed plaintext of the image: the format's padding taken as
 * zeros (true of version 1; version 2 fills it with random bytes, which the
 * attack finds out by trying), then known layers. */
static int mark_known(const kgm_model *m, const kga_known_layer *known, uint32_t n_known,
                      uint8_t *kind, int8_t *pt, kga_kpa_result *res, char *detail) {
  res->padding_bytes = kga_padding_mask(m, kind); /* 1 = EXACT, pt stays 0 */
  for (uint32_t j = 0; j < n_known; j++) {
    const kga_known_layer *kl = &known[j];
    if (kl->layer >= m->n_layers)
      return kga_fail(detail, KG_E_INVAL, "known layer %u: the model has %u layers", kl->layer,
                      m->n_layers);
    const kgm_layer *L = &m->layers[kl->layer];
    uint32_t dense_k = L->K;
    for (uint32_t k = 0; k < L->K; k++) dense_k -= (uint32_t)kga_is_stride_row(m, kl->layer, k);
    if (!kl->W || kl->K != dense_k || kl->N != L->N)
      return kga_fail(detail, KG_E_INVAL, "known layer %u is %ux%u, the model's is %ux%u",
                      kl->layer, kl->K, kl->N, dense_k, L->N);
    for (uint32_t k = 0; k < kl->K; k++)
      for (uint32_t n = 0; n < kl->N; n++) {
        const int8_t w = kl->W[(size_t)k * kl->N + n];
        const uint64_t p = kga_weight_pos(m, L, kga_hw_row(m, kl->layer, k), n);
        if (kind[p] == EXACT) continue;
        kind[p] = (w != 0 && (m->flags & KGM_FLAG_SIGN)) ? SIGNED : EXACT;
        pt[p] = w;
      }
  }
  for (size_t p = 0; p < m->wimg_len; p++) res->known_bytes += kind[p] != UNKNOWN;
  return KG_OK;
}

/* Rcon[n] for i / Nk = n >= 1 is x^(n-1) in GF(2^8), of period 51. */
static void rcon_table(uint8_t t[51]) {
  uint8_t r = 1;
  for (int e = 0; e < 51; e++, r = (uint8_t)((r << 1) ^ ((r & 0x80) ? 0x1b : 0))) t[e] = r;
}

static uint32_t sub_word(uint32_t w) {
  return (uint32_t)kg_aes_sbox((uint8_t)(w >> 24)) << 24 |
         (uint32_t)kg_aes_sbox((uint8_t)(w >> 16)) << 16 |
         (uint32_t)kg_aes_sbox((uint8_t)(w >> 8)) << 8 | kg_aes_sbox((uint8_t)w);
}

/* Run the schedule backwards from win = w[i .. i+nk-1] to w[0 .. nk-1]
 * (docs/aes.md section 2): w[j] = w[j+nk] ^ f_{j+nk}(w[j+nk-1]), where f_x
 * is SubWord(RotWord()) ^ Rcon at x mod nk = 0, SubWord at x mod 8 = 4 for
 * nk = 8, else the identity. */
static void invert_schedule(uint32_t *win, unsigned nk, uint64_t i) {
  uint8_t rc[51];
  rcon_table(rc);
  for (; i > 0; i--) {
    const uint64_t x = i - 1 + nk; /* the word whose recurrence gives w[i-1] */
    uint32_t t = win[nk - 2];      /* w[x-1] */
    if (x % nk == 0)
      t = sub_word(t << 8 | t >> 24) ^ (uint32_t)rc[(x / nk - 1) % 51] << 24;
    else if (nk == 8 && x % 8 == 4)
      t = sub_word(t);
    const uint32_t prev = win[nk - 1] ^ t; /* w[i-1] = w[x] ^ f(w[x-1]) */
    memmove(win + 1, win, (nk - 1) * sizeof *win);
    win[0] = prev;
  }
}

static uint8_t ks_of(const kgm_model *m, const int8_t *pt, size_t p) {
  return (uint8_t)(kg_aes_inv_sbox(m->wimg[p]) ^ (uint8_t)pt[p]);
}

/* Schedule-byte propagation. Every schedule word obeys
 *   w[j] = w[j-Nk] ^ g_j(w[j-1]),
 * g_j = SubWord(RotWord()) ^ Rcon at j mod Nk = 0, SubWord at j mod 8 = 4
 * for Nk = 8, else the identity. Byte by byte, g_j is a bijection of one
 * byte of w[j-1] (the S-box, plus Rcon on byte 0; RotWord only picks which
 * byte), so any two known bytes of a relation give the third. Known bytes
 * that are not consecutive (e.g. six zero columns of every eight-byte tile
 * row, which leave every other word whole) thus fill in the words between
 * them. Derived bytes become EXACT known plaintext. Returns their count. */
static uint64_t propagate(const kgm_model *m, uint8_t *kind, int8_t *pt) {
  const unsigned nk = m->aes_len / 4;
  const uint64_t nwords = m->wimg_len / 4;
  uint8_t rc[51];
  rcon_table(rc);
  uint64_t derived = 0;
  for (int changed = 1, pass = 0; changed && pass < 4096; pass++) {
    changed = 0;
    for (uint64_t step = 0; step + nk < nwords; step++) {
      /* forward on even passes, backward on odd ones */
      const uint64_t u = (pass & 1) ? nwords - 1 - step : nk + step;
      const uint64_t j = u + nk; /* schedule index of image word u */
      const int rot = j % nk == 0, sub = rot || (nk == 8 && j % 8 == 4);
      for (unsigned b = 0; b < 4; b++) {
        const size_t pa = 4 * u + b, pb = 4 * (u - nk) + b;
        const size_t pc = 4 * (u - 1) + (rot ? (b + 1) % 4 : b);
        const uint8_t r = rot && b == 0 ? rc[(j / nk - 1) % 51] : 0;
        const int ka = kind[pa] == EXACT, kb = kind[pb] == EXACT, kc = kind[pc] == EXACT;
        if (ka + kb + kc != 2) continue;
        uint8_t v;
        size_t pd;
        if (!kc) {
          const uint8_t y = (uint8_t)(ks_of(m, pt, pa) ^ ks_of(m, pt, pb) ^ r);
          v = sub ? kg_aes_inv_sbox(y) : y;
          pd = pc;
        } else {
          const uint8_t x = ks_of(m, pt, pc);
          const uint8_t h = (uint8_t)((sub ? kg_aes_sbox(x) : x) ^ r);
          pd = ka ? pb : pa;
          v = (uint8_t)(h ^ ks_of(m, pt, ka ? pa : pb));
        }
        kind[pd] = EXACT;
        pt[pd] = (int8_t)(kg_aes_inv_sbox(m->wimg[pd]) ^ v);
        derived++;
        changed = 1;
      }
    }
  }
  return derived;
}

/* Version 2: does key k explain at least KPA_CONFIRM assumed-known bytes
 * outside the window [p, p + nb), and every one of them? */
#define KPA_CONFIRM 32u
static int explains_known(const kgm_model *m, const uint8_t *kind, const int8_t *pt,
                          const kg_aes_key *k, uint64_t p, unsigned nb) {
  uint8_t buf[4096];
  uint64_t agree = 0;
  for (size_t q = 0; q < m->wimg_len; q += sizeof buf) {
    const size_t n = m->wimg_len - q < sizeof buf ? m->wimg_len - q : sizeof buf;
    kg_ks_deeplock(k, q, n, buf);
    for (size_t i = 0; i < n; i++) {
      if (kind[q + i] != EXACT || (q + i >= p && q + i < p + nb)) continue;
      if ((uint8_t)(kg_aes_inv_sbox(m->wimg[q + i]) ^ buf[i]) != (uint8_t)pt[q + i]) return 0;
      agree++;
    }
  }
  return agree >= KPA_CONFIRM;
}

/* Try every plaintext assignment of the window at image offset p (2^amb
 * candidates) against the KCV; on a match fill res->key and return 1. */
static int try_window(const kgm_model *m, const uint8_t *kind, const int8_t *pt, uint64_t p,
                      kga_kpa_result *res) {
  const unsigned nk = m->aes_len / 4, nb = 4 * nk;
  uint32_t amb_pos[MAX_AMBIGUOUS];
  uint32_t na = 0;
  for (uint32_t b = 0; b < nb; b++)
    if (kind[p + b] == SIGNED) amb_pos[na++] = b;
  for (uint32_t mask = 0; mask < (1u << na); mask++) {
    uint8_t ks[32];
    for (uint32_t b = 0; b < nb; b++) ks[b] = kg_aes_inv_sbox(m->wimg[p + b]) ^ (uint8_t)pt[p + b];
    for (uint32_t a = 0; a < na; a++)
      if (mask >> a & 1u) {
        const uint32_t b = amb_pos[a];
        ks[b] = kg_aes_inv_sbox(m->wimg[p + b]) ^ (uint8_t)(-pt[p + b]);
      }
    uint32_t win[8];
    for (unsigned w = 0; w < nk; w++)
      win[w] = (uint32_t)ks[4 * w] << 24 | (uint32_t)ks[4 * w + 1] << 16 |
               (uint32_t)ks[4 * w + 2] << 8 | ks[4 * w + 3];
    invert_schedule(win, nk, nk + p / 4);
    uint8_t key[32];
    for (unsigned w = 0; w < nk; w++)
      for (unsigned b = 0; b < 4; b++) key[4 * w + b] = (uint8_t)(win[w] >> (24 - 8 * b));
    kg_aes_key k;
    uint8_t kcv[8];
    res->candidates++;
    if (kg_aes_key_init(&k, key, m->aes_len) != KG_AES_OK) continue;
    kg_kcv(&k, m->nonce, kcv);
    /* Version 1: the KCV is the weight key's. Version 2: the KCV is the
     * device key's, so a candidate weight key must instead explain the
     * other assumed-known bytes of the image. */
    const int ok = m->version < 2 ? memcmp(kcv, m->kcv, sizeof kcv) == 0
                                  : explains_known(m, kind, pt, &k, p, nb);
    kg_aes_key_wipe(&k);
    if (ok) {
      memcpy(res->key, key, m->aes_len);
      res->key_len = m->aes_len;
      res->window_pos = p;
      return 1;
    }
  }
  return 0;
}

/* Re-derive the keystream with the recovered key and count the exactly
 * known bytes it explains. */
static int check_keystream(const kgm_model *m, const uint8_t *kind, const int8_t *pt,
                           kga_kpa_result *res) {
  kg_aes_key k;
  if (kg_aes_key_init(&k, res->key, res->key_len) != KG_AES_OK) return KG_E_INVAL;
  uint8_t buf[4096];
  for (size_t p = 0; p < m->wimg_len; p += sizeof buf) {
    const size_t n = m->wimg_len - p < sizeof buf ? m->wimg_len - p : sizeof buf;
    kg_ks_deeplock(&k, p, n, buf);
    for (size_t i = 0; i < n; i++) {
      if (kind[p + i] != EXACT) continue;
      res->ks_checked++;
      if ((uint8_t)(kg_aes_inv_sbox(m->wimg[p + i]) ^ buf[i]) != (uint8_t)pt[p + i])
        res->ks_mismatch++;
    }
  }
  kg_aes_key_wipe(&k);
  return KG_OK;
}

/* CTR (or a Deep-Lock file without a usable window): what the known bytes
 * reveal is keystream at those positions. */
static void learn_keystream(const kgm_model *m, const uint8_t *kind, const int8_t *pt,
                            kga_kpa_result *res) {
  for (size_t p = 0; p < m->wimg_len; p++) {
    if (kind[p] != EXACT) continue;
    const uint8_t ks = m->crypt == KGM_CRYPT_CTR
                           ? (uint8_t)(m->wimg[p] ^ (uint8_t)pt[p])
                           : (uint8_t)(kg_aes_inv_sbox(m->wimg[p]) ^ (uint8_t)pt[p]);
    if (res->ks_learnt == 0) res->ks_first_pos = p;
    if (res->ks_first_len < sizeof res->ks_first && p == res->ks_first_pos + res->ks_first_len)
      res->ks_first[res->ks_first_len++] = ks;
    res->ks_learnt++;
  }
}

typedef struct window {
  uint64_t pos;
  uint32_t amb;
} window;

static int window_cmp(const void *a, const void *b) {
  const window *x = a, *y = b;
  if (x->amb != y->amb) return x->amb < y->amb ? -1 : 1;
  return x->pos < y->pos ? -1 : x->pos > y->pos;
}

int kga_padding_kpa(const kgm_model *m, const kga_known_layer *known, uint32_t n_known,
                    const kga_progress *prog, kga_kpa_result *res, char *detail) {
  if (!m || !res || (n_known && !known))
    return kga_fail(detail, KG_E_INVAL, "NULL argument");
  memset(res, 0, sizeof *res);
  const double t0 = kga_now();
  res->crypt = m->crypt;
  res->version = m->version;
  uint8_t *kind = calloc(m->wimg_len ? m->wimg_len : 1, 1);
  int8_t *pt = calloc(m->wimg_len ? m->wimg_len : 1, 1);
  uint8_t *kind2 = NULL;
  int8_t *pt2 = NULL;
  window *win = NULL;
  int rc = kind && pt ? KG_OK : KG_E_NOMEM;
  if (rc == KG_OK) rc = mark_known(m, known, n_known, kind, pt, res, detail);
  if (rc != KG_OK) goto out;
  kga_report(prog, "scan", 1, 1);
  if (m->crypt == KGM_CRYPT_NONE) {
    snprintf(res->reason, sizeof res->reason,
             "the weight image is not encrypted (crypt none): there is no key to recover");
    goto out;
  }
  if (m->crypt == KGM_CRYPT_CTR) {
    learn_keystream(m, kind, pt, res);
    snprintf(res->reason, sizeof res->reason,
             "CTR: %llu keystream bytes learnt at known positions; they are AES outputs, "
             "no key follows",
             (unsigned long long)res->ks_learnt);
    goto out;
  }
  /* Deep-Lock: fill in schedule bytes from the known ones, then try every
   * word-aligned window of Nk whole known words. `kind`/`pt` keep what the
   * file and the known layers gave, for the final keystream check. */
  const unsigned nb = m->aes_len;
  kind2 = malloc(m->wimg_len ? m->wimg_len : 1);
  pt2 = malloc(m->wimg_len ? m->wimg_len : 1);
  if (!kind2 || !pt2) {
    rc = kga_fail(detail, KG_E_NOMEM, "out of memory");
    goto out;
  }
  memcpy(kind2, kind, m->wimg_len);
  memcpy(pt2, pt, m->wimg_len);
  kga_report(prog, "propagate", 0, 1);
  res->ks_derived = propagate(m, kind2, pt2);
  size_t nwin = 0, cap = 0;
  for (uint64_t p = 0; p + nb <= m->wimg_len; p += 4) {
    uint32_t amb = 0, ok = 1;
    for (uint32_t b = 0; b < nb && ok; b++) {
      ok = kind2[p + b] != UNKNOWN;
      amb += kind2[p + b] == SIGNED;
    }
    if (!ok || amb > MAX_AMBIGUOUS) continue;
    res->windows++;
    if (nwin == cap) {
      cap = cap ? 2 * cap : 64;
      window *w2 = realloc(win, cap * sizeof *win);
      if (!w2) {
        rc = kga_fail(detail, KG_E_NOMEM, "out of memory");
        goto out;
      }
      win = w2;
    }
    win[nwin++] = (window){p, amb};
  }
  qsort(win, nwin, sizeof *win, window_cmp);
  const size_t tries = nwin < MAX_WINDOWS ? nwin : MAX_WINDOWS;
  for (size_t w = 0; w < tries && !res->success; w++) {
    kga_report(prog, "invert", w + 1, tries);
    res->success = try_window(m, kind2, pt2, win[w].pos, res);
  }
  if (!res->success) {
    learn_keystream(m, kind, pt, res);
    snprintf(res->reason, sizeof res->reason,
             nwin ? (m->version < 2
                         ? "Deep-Lock: no window of %u assumed-known bytes gave a key matching the KCV"
                         : "Deep-Lock: no window of %u assumed-known bytes gave a key that explains "
                           "the other assumed-known bytes")
                  : "Deep-Lock: no window of %u consecutive known bytes at a word boundary",
             nb);
    goto out;
  }
  res->kcv_ok = 1;
  rc = check_keystream(m, kind, pt, res);
  snprintf(res->reason, sizeof res->reason,
           m->version < 2
               ? "Deep-Lock: AES-%u key recovered from the %u schedule bytes at image offset %llu; "
                 "KCV matches"
               : "Deep-Lock: the model's AES-%u weight key recovered from the %u schedule bytes "
                 "at image offset %llu; it explains every other known byte (it opens this model "
                 "only: the device key stays unknown)",
           8 * nb, nb, (unsigned long long)res->window_pos);
out:
  res->seconds = kga_now() - t0;
  free(win);
  free(kind2);
  free(pt2);
  free(kind);
  free(pt);
  return rc;
}

int kga_decrypt_model(kgm_model *m, const uint8_t *key, uint32_t key_len, char *detail) {
  if (!m || !key) return kga_fail(detail, KG_E_INVAL, "NULL argument");
  if (m->crypt == KGM_CRYPT_NONE) return KG_OK;
  if (key_len != m->aes_len)
    return kga_fail(detail, KG_E_INVAL, "key is %u bytes, the model needs %u", key_len,
                    m->aes_len);
  kg_aes_key k;
  if (kg_aes_key_init(&k, key, key_len) != KG_AES_OK)
    return kga_fail(detail, KG_E_INVAL, "bad AES key length %u", key_len);
  const int rc = kg_crypt_decrypt((int)m->crypt, &k, m->nonce, 0, m->wimg, m->wimg_len);
  kg_aes_key_wipe(&k);
  if (rc != KG_AES_OK)
    return kga_fail(detail, KG_E_INVAL, "decryption failed: %s", kg_aes_strerror(rc));
  m->crypt = KGM_CRYPT_NONE;
  m->aes_len = 0;
  memset(m->nonce, 0, sizeof m->nonce);
  memset(m->kcv, 0, sizeof m->kcv);
  return KG_OK;
}
