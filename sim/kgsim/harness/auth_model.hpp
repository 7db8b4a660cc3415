// auth_model.hpp: a version-2 model image for kg_top (docs/spec.md 11.1),
// built with the C reference: keys derived from random device keys and the
// nonce (kg_model_keys_derive), weights locked with Sd ^ Ms and encrypted
// with Ke, parameters and weights in the sections a .kgm header names, and
// the AES-CMAC tag under Km. Used by the kg_top tests and bench-soc.
#ifndef KG_AUTH_MODEL_HPP
#define KG_AUTH_MODEL_HPP

#include <cstdint>
#include <random>
#include <vector>

#include "kg_auth.h"
#include "top_harness.hpp"

namespace kgt {

struct AuthModel {
  Keys dev;                       // the device keys (provision these)
  kg_model_keys mk{};             // Ke, Km, Ms
  std::vector<uint8_t> eff_sign;  // Sd ^ Ms
  uint32_t crypt = KG_CRYPT_CTR;
  bool sign = true;
  std::vector<Layer> layers;      // descriptors point into the image
  std::vector<uint8_t> image;     // what VERIFY reads at model_addr
  uint8_t tag[16] = {0};
  uint32_t model_addr = 0;
  uint32_t params_off = 0, params_size = 0, weights_off = 0, weights_size = 0;
};

// Random layers of the given shapes (crypt and sign set here; their I/O
// from io_base upward, 0x8000 apart, or as far apart as they need), the
// image at model_addr; everything is written to device memory.
AuthModel build_auth_model(Device& dev, std::mt19937_64& rng, uint32_t crypt, bool sign,
                           unsigned aes_bytes, const std::vector<kg_layer_desc>& shapes,
                           uint32_t io_base, uint32_t model_addr);

// Tiled weight image of L locked with key_s (nullptr: unlocked).
std::vector<uint8_t> packed_weights(const Layer& L, kg_geom g, const uint8_t* key_s);

// Write NONCE, MODEL_ADDR, MODEL_LEN, TAG_EXP for m (IRQs enabled and
// cleared), then VERIFY, and wait for its interrupt (at most max_cycles).
// Returns IRQ_STATUS (then cleared); *cycles gets the cycles waited.
uint32_t verify_model(Device& dev, const AuthModel& m, uint64_t max_cycles, uint64_t* cycles);

}  // namespace kgt

#endif
