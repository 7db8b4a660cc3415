/*
 * kgattack ML attacks: what a model thief does with the bytes he can read
 * (fine-tuning from a locked .kgm) and what an attacker with the float
 * model does to inputs (white-box FGSM / PGD adversarial examples run on a
 * device that holds the right key). See docs/security.md for the threat
 * model.
 *
 * Nothing here reads a key file or a device's vault. The thief model is
 * rebuilt from the public parts of a .kgm (header, layer table, the
 * parameter records, which are never encrypted) and the weight image as
 * stored; an encrypted image is "decrypted" with a key the thief guesses.
 *
 * Ownership: models and datasets filled by these functions are released
 * with kgml_model_free / kgml_dataset_free; every other buffer belongs to
 * the caller. No global state; functions on distinct objects may run
 * concurrently.
 * Errors: KGML_OK or a negative KGML_E* code (kgml/error.h); `detail`
 * (may be NULL, KGML_DETAIL_LEN bytes) receives a one-line explanation.
 */
#ifndef KGATTACK_ATTACK_ML_H
#define KGATTACK_ATTACK_ML_H

#include <stdint.h>

#include "kgmac/kgm.h"
#include "kgmac/kgmac.h"
#include "kgml/fmodel.h"
#include "kgml/idx.h"
#include "kgml/train.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- fine-tuning thief ---------------------------------------------- */

/* A short scheme name for a .kgm's protection: "none", "sign-only",
 * "deeplock", "ctr", "deeplock+sign", "ctr+sign" (static string). */
const char *kga_scheme_name(const kgm_model *f);

/* Rebuild the float model a thief reads from f:
 *  - the architecture from the layer table (an FC layer after a
 *    convolution drops the zero rows of the 16-byte pixel padding);
 *  - the int8 weights by undoing the public tile layout
 *    (kgmac/layer_pack.h) of the weight image as stored; when f is
 *    encrypted, the image is first decrypted with guess_key (guess_len =
 *    f->aes_len bytes), a key the thief chose, i.e. a wrong one;
 *  - weight scale per channel s_w[n] = mult[n] / 2^shift[n] * s_out / s_in
 *    (the requantization the file stores in clear, s_in = the input scale
 *    or the previous layer's out_scale), float weight q * s_w[n] and bias
 *    bias[n] * s_in * s_w[n].
 * A sign-locked file yields its weights with the signs the key flipped.
 * KGML_E_INVAL (no guess for an encrypted file, wrong guess length),
 * KGML_E_LAYOUT (a layer the float trainer cannot express), _NOMEM. */
int kga_thief_model(const kgm_model *f, const uint8_t *guess_key, uint32_t guess_len,
                    kgml_model *out, char *detail);

/* The sign-aware thief: the sign lock negates every weight a PE (r, c)
 * multiplies (hardware row k with k mod R = r, column n mod C = c), the
 * same R x C bits in every layer, and R x C are in the header. On the
 * first n_eval images of sub (0 = all), with the mean loss as objective:
 *  1. greedy first-improvement sweeps: flip one PE's weights in every
 *     layer, keep the flip if the loss drops; up to max_sweeps passes, or
 *     until a pass changes nothing;
 *  2. iterated local search: 6 times, flip 3 pseudo-random bits (fixed
 *     seed), run (1) again, and keep the result only if its loss is lower.
 * t (from kga_thief_model of f) is left with the best signs; key
 * ((R*C+7)/8 bytes, R*C <= 1024) receives the flips kept, i.e. the
 * thief's estimate of the sign key; *evals (may be NULL) the loss
 * evaluations used. */
int kga_sign_search(kgml_model *t, const kgm_model *f, const kgml_dataset *sub, uint32_t n_eval,
                    uint32_t max_sweeps, uint8_t *key, uint32_t *evals, char *detail);

/* The thief's key guess: len bytes drawn from seed (splitmix64). It is
 * wrong with overwhelming probability; a seed makes runs repeatable. */
void kga_guess_key(uint64_t seed, uint8_t *key, uint32_t len);

/* A stratified subset: round(frac * count_c) images of each class c
 * (at least 1), picked by a Fisher-Yates shuffle seeded with seed, kept in
 * their original order. frac in (0, 1]. */
int kga_stratified_subset(const kgml_dataset *ds, double frac, uint64_t seed,
                          kgml_dataset *out, char *detail);

typedef struct kga_finetune_result {
  uint32_t n_subset;     /* images the thief holds */
  double acc_start;      /* test accuracy of the starting point (float) */
  double acc_thief;      /* after fine-tuning (float) */
  double seconds;        /* wall time of the fine-tuning */
} kga_finetune_result;

/* Fine-tune a copy of start on subset with o (epochs, batch, lr, seed...;
 * o->test is ignored) and evaluate it in float on the first n_test images
 * of test (0 = all). The scratch baseline is the same call with a start
 * built by kgml_model_build from the same architecture and seed. */
int kga_finetune(const kgml_model *start, const kgml_dataset *subset, const kgml_dataset *test,
                 uint32_t n_test, const kgml_train_opts *o, kga_finetune_result *r,
                 char *detail);

/* The scratch starting point: start's architecture with fresh He-uniform
 * weights and zero biases from seed. */
int kga_scratch_model(const kgml_model *arch, uint64_t seed, kgml_model *out, char *detail);

/* ---- adversarial examples -------------------------------------------- */

enum {
  KGA_ADV_FGSM = 1,    /* x + eps * sign(grad), one step */
  KGA_ADV_PGD = 2,     /* steps of step * sign(grad), projected on the eps
                          ball around x and on [0, 1]; starts at x */
  KGA_ADV_RANDOM = 3   /* x + eps * (random sign): the control */
};

typedef struct kga_adv_opts {
  int method;          /* KGA_ADV_* */
  float eps;           /* L-inf radius in [0, 1] pixel units, >= 0 */
  uint32_t steps;      /* PGD iterations (>= 1) */
  float step;          /* PGD step size (>= 0); eps / 4 is customary */
  uint64_t seed;       /* KGA_ADV_RANDOM only */
} kga_adv_opts;

/* Craft untargeted adversarial versions of n images (pixels 0..255,
 * in_h*in_w*in_c each) against their labels on the float model m. adv
 * receives n images in [0, 1]; adv_pred (may be NULL) m's prediction on
 * them. KGML_E_INVAL on bad options. */
int kga_adv_craft(const kgml_model *m, const uint8_t *pix, const uint8_t *labels, uint32_t n,
                  const kga_adv_opts *o, float *adv, uint8_t *adv_pred, char *detail);

/* Classes a device model predicts for n float images in [0, 1]: the
 * inputs are quantized with the model's input scale (kg_infer_float) and
 * the argmax (lowest index on ties) taken over the int8 outputs. Returns a
 * KG_* status of kgmac/status.h. */
int kga_device_predict(kg_model *dm, const float *x, uint32_t n, uint8_t *pred);

/* Success rate of an attack: among the images clean_pred classifies
 * correctly (*n_correct of them), the fraction whose adv_pred is wrong.
 * 0 when no image was correct. */
double kga_adv_success(const uint8_t *clean_pred, const uint8_t *adv_pred,
                       const uint8_t *labels, uint32_t n, uint32_t *n_correct);

#ifdef __cplusplus
}
#endif

#endif /* KGATTACK_ATTACK_ML_H */
