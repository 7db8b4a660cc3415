// top_harness.hpp: drive kg_top through libkgsim like a driver would, and
// build random layers with their bit-exact expected outputs.
#ifndef KG_TOP_HARNESS_HPP
#define KG_TOP_HARNESS_HPP

#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "kg_aes.h"
#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"
#include "kgsim.h"

namespace kgt {

struct Keys {
  std::vector<uint8_t> aes;      // 16, 24 or 32 bytes
  std::vector<uint8_t> sign;     // ceil(R*C/8) bytes
  uint8_t nonce[12];
};

// A layer with everything in host memory, and where it goes on the device.
struct Layer {
  kg_layer_desc d{};
  std::vector<int8_t> in;         // input tensor as placed in DRAM (with stride padding)
  std::vector<int8_t> w;          // K x N unlocked weights
  std::vector<int32_t> bias, mult;
  std::vector<uint8_t> shift;
  std::vector<int8_t> expect;     // M x N expected output (dense)
  uint32_t M = 0, K = 0, N = 0;
  uint32_t desc_addr = 0;
};

class Device {
 public:
  explicit Device(const kgsim_config* cfg = nullptr);
  ~Device();
  kgsim* sim() { return s_; }
  kg_geom geom() const;

  uint32_t rd(uint32_t off);
  void wr(uint32_t off, uint32_t v);
  // Load keys and run the KCV check against the KCV of `model` (the keys
  // the model was locked with; default: k itself). Returns IRQ_STATUS.
  // Layers placed with place() use these device keys directly, so by
  // default this also sets POLICY.LEGACY (version-1 layers); legacy = false
  // leaves POLICY as it is.
  uint32_t provision(const Keys& k, bool check = true, const Keys* model = nullptr,
                     bool legacy = true);
  // Read-modify-write of POLICY.LEGACY.
  void set_legacy(bool on);
  // Place a layer's images in DRAM (weights encrypted per d.crypt with k).
  void place(const Layer& L, const Keys& k);
  // Place only its descriptor, input and output fill (the weights and
  // parameters are placed by the caller, e.g. inside a model image).
  void place_io(const Layer& L);
  // Write the 16-byte aligned bytes to device memory (throws on error).
  void put(uint32_t addr, const void* p, size_t n);
  // Start the layer and wait for the interrupt; returns IRQ_STATUS (then
  // cleared). *err gets STATUS.ERR, *cycles the cycles waited.
  uint32_t run(const Layer& L, uint64_t max_cycles, uint32_t* err, uint64_t* cycles);
  // Output rows (dense M x N) and whether the stride padding was untouched.
  std::vector<int8_t> output(const Layer& L, bool* padding_ok);

 private:
  kgsim* s_ = nullptr;
};

// A layer of the given shape (op, dims, relu, crypt, sign, w_pos) with
// random data, laid out from base upward.
Layer make_layer(std::mt19937_64& rng, kg_geom g, const kg_layer_desc& shape, uint32_t base,
                 bool pad_strides);
// An FC layer that reads an h x w x c convolution output (docs/spec.md,
// "FC after CONV"): K = h * w * kg_pack_act_stride(c), input mask GROUP =
// kg_pack_act_stride(c), VALID = c. Its input is random everywhere, the
// padding channels included, and place() puts random bytes in the padding
// rows of its weight image (fill_masked_rows), as the locker does.
Layer fc_after_conv_layer(std::mt19937_64& rng, kg_geom g, uint32_t h, uint32_t w, uint32_t c,
                          uint32_t m, uint32_t n, uint32_t crypt, bool sign, uint32_t base);
// Random bytes in every weight-image byte of a row k that the layer's input
// mask zeroes (k mod in_group >= in_valid, columns < N) of the plain
// (locked, not yet encrypted) tile image img; no-op without a mask. The
// bytes come from a generator seeded by the layer's addresses, so every
// back-end gets the same image.
void fill_masked_rows(const Layer& L, kg_geom g, std::vector<uint8_t>& img);
// Random layer for geometry g. Addresses are laid out from base upward.
Layer random_layer(std::mt19937_64& rng, kg_geom g, bool conv, uint32_t crypt, bool sign,
                   const Keys& k, uint32_t base = 0x10000);
Keys random_keys(std::mt19937_64& rng, kg_geom g, unsigned aes_bytes);
// The register writes of Device::provision up to CHECK, through any
// register port (e.g. the functional model): AES and sign keys loaded,
// nonce and expected KCV of `model` (the keys the model was locked with).
void write_keys(const std::function<void(uint32_t, uint32_t)>& wr, const Keys& k, const Keys& model);
std::string describe(const Layer& L);
// Expected output for weights W (unlocked): requant(A x W).
void compute_expect(Layer& L);

}  // namespace kgt

#endif
