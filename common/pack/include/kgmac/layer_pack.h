/*
 * kgmac layer packing: the device-memory images one layer needs, laid out
 * exactly as kg_top's layer engine reads them (docs/top.md).
 *
 *  - weight image: ceil(K/R) x ceil(N/C) tiles, N tiles outer, K tiles
 *    inner; tile (nt, kt) holds R rows of C bytes, row r = W[kt*R + r][nt*C
 *    .. nt*C + C-1], zero-padded past K and N, and the tile is padded with
 *    zeros to a multiple of 16 bytes. The weight image of a model is the
 *    concatenation of its layers' images; a layer's keystream position is
 *    the offset of its image in the model image.
 *  - parameter records: 16 bytes per output channel: bias int32, mult
 *    int32, shift uint8, 7 zero bytes, little-endian.
 *  - descriptor: 16 little-endian words (kg_regs.h, KG_DESC_*).
 *
 * Ownership: all buffers belong to the caller. No global state.
 * Errors: KG_REF_OK, KG_REF_EINVAL (bad argument or buffer too small).
 */
#ifndef KGMAC_LAYER_PACK_H
#define KGMAC_LAYER_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "kgmac/ref_layer.h"

#ifdef __cplusplus
extern "C" {
#endif

/* One layer as the engine sees it. */
typedef struct kg_layer_desc {
  uint32_t op;          /* KG_OP_FC or KG_OP_CONV */
  uint32_t relu;        /* 0/1 */
  uint32_t crypt;       /* KG_CRYPT_* */
  uint32_t sign;        /* 0/1: apply the vault's sign key */
  uint32_t m, k, n;     /* FC dimensions */
  kg_conv_shape conv;   /* CONV shape (h, w, ic, oc, kh, kw, stride, pad) */
  uint32_t in_addr, in_stride, out_addr, out_stride;
  uint32_t w_addr, w_pos, p_addr;
  /* FC input mask (docs/spec.md, "Input mask"; kg_ref_in_mask): byte k of
   * every input row counts as 0 when k mod in_group >= in_valid. in_group
   * = 0 (with in_valid = 0) is no mask; else in_group is a multiple of 16
   * that divides k and 1 <= in_valid <= in_group. An FC that reads a
   * convolution's output has in_group = kg_pack_act_stride(c), in_valid =
   * c. Written to word IN_MASK for FC only (a CONV's word is 0). */
  uint32_t in_group, in_valid;
} kg_layer_desc;

/* Bytes of one weight tile for geometry g: R*C rounded up to 16. */
size_t kg_pack_tile_bytes(kg_geom g);
/* Bytes of the weight image of a K x N weight matrix. */
size_t kg_pack_weight_bytes(uint32_t K, uint32_t N, kg_geom g);
/* Lay W (K x N, row-major, already sign-locked) out as tiles. */
int kg_pack_weights(uint32_t K, uint32_t N, const int8_t *W, kg_geom g,
                    uint8_t *out, size_t out_len);
/* N parameter records (bias may be NULL: zeros). */
int kg_pack_params(uint32_t N, const int32_t *bias, const int32_t *mult,
                   const uint8_t *shift, uint8_t *out, size_t out_len);
/* Device bytes of one activation row (FC) or pixel (CONV) of c values:
 * c rounded up to 16, the engine's stride unit. */
uint64_t kg_pack_act_stride(uint64_t c);
/* Hardware K of an FC layer that reads an h x w x c convolution output:
 * every pixel at its device stride, h * w * kg_pack_act_stride(c) (the
 * locker puts zero weight rows at the padding). */
uint64_t kg_pack_fc_after_conv_k(uint32_t h, uint32_t w, uint32_t c);
/* The 16 descriptor words. */
void kg_pack_desc(const kg_layer_desc *d, uint32_t words[16]);
/* GEMM dimensions of a layer (M rows, K reduction, N channels). */
void kg_layer_dims(const kg_layer_desc *d, uint32_t *M, uint32_t *K, uint32_t *N);

#ifdef __cplusplus
}
#endif

#endif /* KGMAC_LAYER_PACK_H */
