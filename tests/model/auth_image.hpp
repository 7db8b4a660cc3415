// auth_image.hpp: authenticated model images for the model tests
// (docs/spec.md 11.1, 17): each layer's weights sign-locked with the model's
// effective sign key Sd XOR Ms, packed (kg_pack_weights), padding bytes
// random, the whole weight image encrypted with Ke from position 0
// (kg_crypt_encrypt), the parameter records, a version-2 .kgm header and
// layer table, and the AES-CMAC tag with Km (kg_model_keys_derive, kg_cmac).
// Header-only; the caller owns every buffer.
#ifndef KG_TEST_AUTH_IMAGE_HPP
#define KG_TEST_AUTH_IMAGE_HPP

#include <cstdint>
#include <cstring>
#include <random>
#include <stdexcept>
#include <vector>

#include "kg_auth.h"
#include "kgmac/layer_pack.h"

namespace kgauth {

// One layer of a model: its GEMM shape and unlocked data (borrowed).
struct LayerData {
  uint32_t op;  // KG_OP_FC or KG_OP_CONV (layer table only)
  uint32_t K, N;
  const int8_t* w;  // K x N, in [-127, 127]
  const int32_t* bias;
  const int32_t* mult;
  const uint8_t* shift;
};

// The image as VERIFY reads it, and where each layer sits in it.
struct Image {
  std::vector<uint8_t> bytes;  // MODEL_LEN bytes: header .. weight image
  uint8_t tag[16] = {0};
  uint32_t params_offset = 0, params_size = 0, weights_offset = 0, weights_size = 0;
  std::vector<uint32_t> w_pos;  // per layer: its W_POS (offset in the weight image)
  std::vector<uint32_t> p_off;  // per layer: its records' offset from the image start
};

// The vault's keys and the model's nonce.
struct DeviceKeys {
  std::vector<uint8_t> aes;   // 16, 24 or 32 bytes (Kd)
  std::vector<uint8_t> sign;  // ceil(R*C / 8) bytes (Sd), bit r*C + c
  uint8_t nonce[12] = {0};
};

inline void put32(std::vector<uint8_t>& b, size_t off, uint32_t v) {
  for (int i = 0; i < 4; i++) b[off + i] = uint8_t(v >> (8 * i));
}
inline uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
inline uint32_t r16(uint32_t x) { return (x + 15u) & ~15u; }

// The model keys of dev for nonce and geometry g.
inline kg_model_keys derive(const DeviceKeys& dev, kg_geom g) {
  kg_aes_key kd;
  if (kg_aes_key_init(&kd, dev.aes.data(), dev.aes.size()) != KG_AES_OK)
    throw std::runtime_error("device key");
  kg_model_keys mk;
  if (kg_model_keys_derive(&kd, dev.nonce, g.rows * g.cols, &mk) != KG_AES_OK)
    throw std::runtime_error("kg_model_keys_derive");
  return mk;
}

// Build the image of `layers` for crypt mode `crypt` (KG_CRYPT_*) and the
// model flag SIGN; rng fills the padding bytes.
inline Image build(kg_geom g, const DeviceKeys& dev, uint32_t crypt, bool sign,
                   const std::vector<LayerData>& layers, std::mt19937_64& rng) {
  enum { HDR = 128, ENTRY = 64 };
  Image im;
  kg_model_keys mk = derive(dev, g);
  std::vector<uint8_t> eff(kg_key_bytes(g), 0);
  if (sign) kg_model_sign_key(&mk, dev.sign.data(), g.rows * g.cols, eff.data());
  // Weight image and parameter section.
  std::vector<uint8_t> wimg, params;
  for (const LayerData& L : layers) {
    std::vector<int8_t> wl((size_t)L.K * L.N), one((size_t)L.K * L.N, 1);
    if (kg_ref_lock_sign(L.K, L.N, L.w, sign ? eff.data() : nullptr, g, wl.data()) != KG_REF_OK)
      throw std::runtime_error("kg_ref_lock_sign");
    const size_t wb = kg_pack_weight_bytes(L.K, L.N, g);
    std::vector<uint8_t> img(wb), used(wb);
    kg_pack_weights(L.K, L.N, wl.data(), g, img.data(), wb);
    kg_pack_weights(L.K, L.N, one.data(), g, used.data(), wb);
    for (size_t i = 0; i < wb; i++)
      if (!used[i]) img[i] = uint8_t(rng());  // padding: random, never reaches an output
    im.w_pos.push_back(uint32_t(wimg.size()));
    wimg.insert(wimg.end(), img.begin(), img.end());
    std::vector<uint8_t> par((size_t)L.N * 16);
    kg_pack_params(L.N, L.bias, L.mult, L.shift, par.data(), par.size());
    im.p_off.push_back(uint32_t(params.size()));
    params.insert(params.end(), par.begin(), par.end());
  }
  if (crypt != KG_CRYPT_NONE &&
      kg_crypt_encrypt(int(crypt), &mk.enc, dev.nonce, 0, wimg.data(), wimg.size()) != KG_AES_OK)
    throw std::runtime_error("kg_crypt_encrypt");
  const uint32_t table = HDR, n = uint32_t(layers.size());
  im.params_offset = r16(table + ENTRY * n);
  im.params_size = uint32_t(params.size());
  im.weights_offset = r16(im.params_offset + im.params_size);
  im.weights_size = uint32_t(wimg.size());
  const uint32_t len = im.weights_offset + im.weights_size;
  std::vector<uint8_t>& b = im.bytes;
  b.assign(len, 0);
  // Header (docs/model-format.md), version 2 with flag AUTH (bit 1).
  std::memcpy(&b[0], "KGMF", 4);
  b[4] = 2;
  b[6] = HDR;
  put32(b, 8, (sign ? 1u : 0u) | 2u);
  put32(b, 12, len + 16 + 4);  // + tag + CRC
  b[16] = uint8_t(g.rows);
  b[18] = uint8_t(g.cols);
  b[20] = uint8_t(crypt);
  b[21] = crypt != KG_CRYPT_NONE ? uint8_t(dev.aes.size()) : 0;
  if (crypt != KG_CRYPT_NONE) {
    std::memcpy(&b[24], dev.nonce, 12);
    kg_aes_key kd;
    kg_aes_key_init(&kd, dev.aes.data(), dev.aes.size());
    kg_kcv(&kd, dev.nonce, &b[36]);  // the device key's KCV
  }
  put32(b, 44, 1);
  put32(b, 48, 1);
  put32(b, 52, layers.empty() ? 1 : layers[0].K);
  put32(b, 56, 0x3f800000u);  // in_scale 1.0f
  put32(b, 64, n);
  put32(b, 68, table);
  put32(b, 72, im.params_offset);
  put32(b, 76, im.params_size);
  put32(b, 80, im.weights_offset);
  put32(b, 84, im.weights_size);
  for (uint32_t i = 0; i < n; i++) {
    const size_t e = table + ENTRY * i;
    const LayerData& L = layers[i];
    b[e] = uint8_t(L.op);
    put32(b, e + 32, L.K);
    put32(b, e + 36, L.N);
    put32(b, e + 40, im.w_pos[i]);
    put32(b, e + 44, uint32_t(kg_pack_weight_bytes(L.K, L.N, g)));
    put32(b, e + 48, im.p_off[i]);
    put32(b, e + 52, 0x3f800000u);
    im.p_off[i] += im.params_offset;
  }
  std::memcpy(&b[im.params_offset], params.data(), params.size());
  std::memcpy(&b[im.weights_offset], wimg.data(), wimg.size());
  kg_cmac(&mk.mac, b.data(), b.size(), im.tag);
  kg_model_keys_wipe(&mk);
  return im;
}

// The K x N weights a layer whose keys are withheld computes with: its image
// bytes as they are in memory, un-tiled (docs/spec.md 8), no sign key.
inline std::vector<int8_t> untile(const uint8_t* img, uint32_t K, uint32_t N, kg_geom g) {
  const size_t tile = kg_pack_tile_bytes(g);
  const uint32_t kt = (K + g.rows - 1) / g.rows;
  std::vector<int8_t> w((size_t)K * N);
  for (uint32_t k = 0; k < K; k++)
    for (uint32_t n = 0; n < N; n++)
      w[(size_t)k * N + n] = int8_t(img[((size_t)(n / g.cols) * kt + k / g.rows) * tile +
                                        (k % g.rows) * g.cols + n % g.cols]);
  return w;
}

}  // namespace kgauth

#endif
