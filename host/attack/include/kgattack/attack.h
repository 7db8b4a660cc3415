/*
 * kgattack: the attack lab's library (docs/security.md). Each attack works
 * only through what a thief really holds: the .kgm bytes (kgmac/kgm.h), a
 * device opened through libkgmac whose vault already holds the victim's keys
 * (the victim's setup code opens and provisions it; an attack never sees a
 * key file, a kg_keys or any signal inside the device), chosen inputs and the
 * outputs they give, a fraction of the training set, and the architecture.
 *
 * Conventions shared by every attack (this header's common part; the ML
 * attacks are declared in kgattack/attack_ml.h):
 *  - An attack function returns KG_OK when it ran to the end, whether or not
 *    it broke the lock: the result struct says what it got (`success`), with
 *    `queries` (device runs or images it submitted, as defined per attack)
 *    and `seconds` (wall time of the attack itself, victim setup excluded).
 *    A negative KG_E* code (kgmac/status.h) means it could not run (bad
 *    argument, device error); `detail` (KGA_DETAIL_LEN bytes, may be NULL)
 *    then says why.
 *  - Progress: an optional callback, called from the attack's thread with a
 *    short phase name and done/total units of work; it must not call back
 *    into the attack.
 *  - Ownership: arguments are borrowed for the call; result structs are
 *    plain values (fixed-size arrays, nothing to free). No global state:
 *    attacks on distinct models and devices are independent.
 */
#ifndef KGATTACK_ATTACK_H
#define KGATTACK_ATTACK_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"

#ifdef __cplusplus
extern "C" {
#endif

#define KGA_DETAIL_LEN 256u

/* Progress report: `phase` is a static string ("scan", "query", ...). */
typedef void (*kga_progress_fn)(void *user, const char *phase, uint64_t done, uint64_t total);

typedef struct kga_progress {
  kga_progress_fn fn;   /* NULL: no reports */
  void *user;
} kga_progress;

/* ---- padding-kpa: Deep-Lock known-plaintext key recovery ---------------- */

/* Known plaintext of one layer: the attacker believes layer `layer` of the
 * victim's .kgm holds these K x N weights (before the sign lock), e.g. a
 * layer copied from a public model. K and N are the layer's own (the .kgq
 * K; the padding rows of an FC after a convolution are added here). With a
 * sign-locked file only |w| is known: every nonzero weight has two
 * candidate plaintexts. */
typedef struct kga_known_layer {
  uint32_t layer;
  uint32_t K, N;
  const int8_t *W;      /* K x N row-major */
} kga_known_layer;

typedef struct kga_kpa_result {
  int success;            /* 1: a key was recovered and matches the header's KCV */
  uint32_t crypt;         /* KGM_CRYPT_* of the file */
  uint32_t version;       /* .kgm format version of the file */
  uint64_t known_bytes;   /* image bytes whose plaintext the attack knows */
  uint64_t padding_bytes; /* of which the format's own zero padding */
  uint64_t ks_derived;    /* Deep-Lock: schedule bytes derived from known ones
                             through the key-schedule recurrence */
  uint64_t windows;       /* candidate windows of Nk whole known words */
  uint64_t candidates;    /* master keys tried against the KCV */
  uint64_t window_pos;    /* image offset of the window that gave the key */
  uint8_t key[32];        /* recovered master key (aes_len bytes) */
  uint32_t key_len;
  int kcv_ok;             /* the recovered key's KCV equals the header's */
  uint64_t ks_checked;    /* known bytes re-derived from the key (all must agree) */
  uint64_t ks_mismatch;   /* of those, bytes that disagree (0 on success) */
  /* CTR (or no window): keystream bytes learnt at the known positions. */
  uint64_t ks_learnt;
  uint64_t ks_first_pos;  /* offset of the first learnt keystream byte */
  uint8_t ks_first[16];   /* up to 16 learnt bytes from ks_first_pos on */
  uint32_t ks_first_len;
  double seconds;
  char reason[160];       /* one line: what was recovered, or why not */
} kga_kpa_result;

/* Recover the AES key of a Deep-Lock model from the file alone (plus
 * optional known layers). `m` is a parsed .kgm (kgm_parse). On a CTR or an
 * unencrypted file it reports the keystream it learns and no key. */
int kga_padding_kpa(const kgm_model *m, const kga_known_layer *known, uint32_t n_known,
                    const kga_progress *prog, kga_kpa_result *res, char *detail);

/* The bytes of m's weight image that its format makes padding (rows past
 * K, columns past N, tile tails, the pixel-padding rows of an FC after a
 * convolution): mask[p] = 1 for each (m->wimg_len bytes, zeroed by the
 * caller). Returns their count. Version 1 writes them as zeros; version 2 as
 * random bytes. */
uint64_t kga_padding_mask(const kgm_model *m, uint8_t *mask);

/* Decrypt m's weight image in place with a recovered key and mark the model
 * unencrypted (crypt none, no nonce/KCV); the SIGN flag is kept, so the
 * result is the sign-only model the key opened. KG_E_INVAL on a bad key. */
int kga_decrypt_model(kgm_model *m, const uint8_t *key, uint32_t key_len, char *detail);

/* ---- sign-oracle: recover the R x C sign key from a provisioned device --- */

#define KGA_MAX_SIGN_BITS 1024u

typedef struct kga_sign_result {
  int success;            /* crafted: every bit read; io: the key explains every query */
  uint32_t rows, cols;
  uint8_t key[KGA_MAX_SIGN_BITS / 8]; /* bit r*C+c = byte (r*C+c)/8, bit (r*C+c)%8 */
  uint32_t bits;          /* rows*cols */
  uint32_t bits_decided;  /* bits the attack could decide (crafted: read directly;
                             io: bits that change at least one query's output) */
  uint64_t queries;       /* crafted: device layer runs; io: input images submitted */
  uint64_t device_runs;   /* kg_infer calls */
  uint64_t hypotheses;    /* io: host re-simulations of the model */
  uint64_t mismatch;      /* io: sum |logit difference| left over the queries (0 = exact) */
  uint32_t sweeps;        /* io: coordinate-descent passes, all restarts included */
  uint32_t restarts;      /* io: restarts from a perturbed best key */
  double seconds;
  char reason[160];
} kga_sign_result;

/* Crafted-layer settings (attack_sign_crafted.c): an FC layer with K = R,
 * N = C, weights 1 and identity requantization, written straight into device
 * memory (kgmac/raw.h) and run with SIGN set on R one-hot inputs; the signs
 * of its outputs are the key bits the device applied.
 *  - crafted: in the attacker's own memory, unencrypted.
 *  - image: over the first weight tile and parameter records of the victim's
 *    loaded (authenticated) model, found in device memory from the file's
 *    header bytes `file`, run with the model's crypt mode at its weight
 *    offset; the victim's bytes are restored afterwards.
 * A layer the device refuses gives success = 0 and no bits (the reason names
 * STATUS.ERR). */
int kga_sign_oracle_crafted(kg_dev *dev, const kga_progress *prog, kga_sign_result *res,
                            char *detail);
int kga_sign_oracle_image(kg_dev *dev, const kgm_model *m, const uint8_t *file, size_t file_len,
                          const kga_progress *prog, kga_sign_result *res, char *detail);

typedef struct kga_io_opts {
  uint32_t queries;       /* chosen inputs to submit (0 = 64) */
  uint32_t validate;      /* extra fresh inputs to confirm the key (0 = 64) */
  uint32_t max_sweeps;    /* coordinate-descent passes per descent (0 = 8) */
  uint32_t restarts;      /* restarts while the fit is not exact (0 = 16) */
  uint64_t seed;          /* input generator */
} kga_io_opts;

/* I/O-only setting: the victim's model `victim` (loaded on his device) is
 * a sign-only file whose weights the attacker read in clear from `m`
 * (crypt none, SIGN set). The attack submits chosen inputs, reads the int8
 * outputs, and searches the key whose bit-exact host simulation of `m`
 * reproduces them (docs/security.md). KG_E_TOO_BIG when the queries'
 * precomputed first-layer accumulators would pass 1 GiB. */
int kga_sign_oracle_io(kg_model *victim, const kgm_model *m, const kga_io_opts *opts,
                       const kga_progress *prog, kga_sign_result *res, char *detail);

/* ---- host simulation (shared by the attacks and their verification) ---- */

/* Bit-exact int8 forward pass of an unencrypted .kgm on the host (kgref)
 * with sign key `key_s` (NULL = all zero): n inputs of in_h*in_w*in_c
 * values, n outputs of the last layer's out_h*out_w*N values. KG_E_INVAL if
 * m is encrypted, KG_E_NOMEM. */
int kga_model_forward(const kgm_model *m, const uint8_t *key_s, const int8_t *in, uint32_t n,
                      int8_t *out, char *detail);
uint32_t kga_model_input_size(const kgm_model *m);
uint32_t kga_model_output_size(const kgm_model *m);

#ifdef __cplusplus
}
#endif

#endif /* KGATTACK_ATTACK_H */
