/*
 * attack_internal.h: helpers shared by the kgattack sources (not installed).
 * Layout of a .kgm weight image as kgmac/layer_pack.h and docs/model-format.md
 * define it, derived from the header and layer table only (never a key).
 */
#ifndef KGATTACK_INTERNAL_H
#define KGATTACK_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>

#include "kgattack/attack.h"
#include "kgmac/ref_layer.h"

double kga_now(void);
int kga_fail(char *detail, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
void kga_report(const kga_progress *p, const char *phase, uint64_t done, uint64_t total);

/* Bytes of one weight tile of m's geometry (R*C rounded up to 16). */
uint32_t kga_tile_bytes(const kgm_model *m);
/* Offset in the weight image of hardware weight W[k][n] of layer L. */
uint64_t kga_weight_pos(const kgm_model *m, const kgm_layer *L, uint32_t k, uint32_t n);
/* 1 when hardware row k of layer l is a zero row the locker inserts for the
 * 16-byte pixel stride (an FC reading a convolution output whose channel
 * count is not a multiple of 16); 0 otherwise. */
int kga_is_stride_row(const kgm_model *m, uint32_t l, uint32_t k);
/* Hardware row of row k of the layer's own (dense) weight matrix. */
uint32_t kga_hw_row(const kgm_model *m, uint32_t l, uint32_t k);
/* Layer l's hardware weights (K x N, still sign-locked) from a plaintext
 * weight image img (m->wimg_len bytes). */
void kga_unpack_layer(const kgm_model *m, uint32_t l, const uint8_t *img, int8_t *W);

/* Requantization arrays of layer l read from m's parameter records. The
 * arrays are malloc'd; kga_requant_free releases them. */
typedef struct kga_params {
  int32_t *bias, *mult;
  uint8_t *shift;
  kg_requant q;
} kga_params;
int kga_params_read(const kgm_model *m, uint32_t l, kga_params *p);
void kga_params_free(kga_params *p);

/* Run layers l0..n_layers-1 of m on n activations `in` (layer l0's input,
 * dense NHWC or FC row) with hardware weights Wl[l] (sign-locked) and key
 * key_s; out gets the last layer's outputs. */
int kga_forward_from(const kgm_model *m, int8_t *const *Wl, const uint8_t *key_s, uint32_t l0,
                     const int8_t *in, uint32_t n, int8_t *out);
/* Dense size of a layer's output activations per image. */
uint64_t kga_layer_out_size(const kgm_layer *L);

#endif
