// auth_model.cpp: version-2 model images for kg_top (auth_model.hpp).
#include "auth_model.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace kgt {

namespace {

constexpr uint32_t kHeader = 128;
constexpr uint32_t kAllIrq = 0x3f;

void put_le32(std::vector<uint8_t>& v, size_t off, uint32_t x) {
  for (int i = 0; i < 4; i++) v[off + i] = uint8_t(x >> (8 * i));
}
uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}
uint32_t round16(uint32_t x) { return (x + 15u) & ~15u; }

}  // namespace

std::vector<uint8_t> packed_weights(const Layer& L, kg_geom g, const uint8_t* key_s) {
  std::vector<int8_t> wl(L.w);
  if (key_s && kg_ref_lock_sign(L.K, L.N, L.w.data(), key_s, g, wl.data()) != KG_REF_OK)
    throw std::runtime_error("lock failed");
  std::vector<uint8_t> img(kg_pack_weight_bytes(L.K, L.N, g));
  kg_pack_weights(L.K, L.N, wl.data(), g, img.data(), img.size());
  return img;
}

AuthModel build_auth_model(Device& dev, std::mt19937_64& rng, uint32_t crypt, bool sign,
                           unsigned aes_bytes, const std::vector<kg_layer_desc>& shapes,
                           uint32_t io_base, uint32_t model_addr) {
  const kg_geom g = dev.geom();
  AuthModel M;
  M.dev = random_keys(rng, g, aes_bytes);
  M.crypt = crypt;
  M.sign = sign;
  M.model_addr = model_addr;
  kg_aes_key kd;
  kg_aes_key_init(&kd, M.dev.aes.data(), M.dev.aes.size());
  if (kg_model_keys_derive(&kd, M.dev.nonce, g.rows * g.cols, &M.mk) != KG_AES_OK)
    throw std::runtime_error("derive failed");
  kg_aes_key_wipe(&kd);
  M.eff_sign.resize(kg_key_bytes(g));
  kg_model_sign_key(&M.mk, M.dev.sign.data(), g.rows * g.cols, M.eff_sign.data());

  uint32_t base = io_base;
  for (const kg_layer_desc& s0 : shapes) {
    kg_layer_desc s = s0;
    s.crypt = crypt;
    s.sign = sign;
    M.layers.push_back(make_layer(rng, g, s, base, true));
    const Layer& L = M.layers.back();
    const uint64_t end = std::max<uint64_t>(L.d.in_addr + L.in.size(),
                                            uint64_t(L.d.out_addr) + uint64_t(L.M) * L.d.out_stride);
    base = std::max<uint32_t>(base + 0x8000u, uint32_t((end + 0xfffu) & ~uint64_t(0xfff)));
  }
  // Sections: header, a gap (a layer table would sit here), parameters, weights.
  M.params_off = kHeader + 64;
  std::vector<uint32_t> p_at, w_at;
  uint32_t p = 0, w = 0;
  for (const Layer& L : M.layers) {
    p_at.push_back(p);
    p += L.N * 16;
    w_at.push_back(w);
    w += uint32_t(kg_pack_weight_bytes(L.K, L.N, g));
  }
  M.params_size = p;
  M.weights_off = round16(M.params_off + M.params_size) + 32;
  M.weights_size = w;
  M.image.assign(M.weights_off + M.weights_size, 0);
  std::memcpy(&M.image[0], "KGMF", 4);
  M.image[4] = 2;
  M.image[6] = kHeader;
  put_le32(M.image, 8, sign ? 1u : 0u);
  put_le32(M.image, 12, uint32_t(M.image.size()));
  M.image[16] = uint8_t(g.rows);
  M.image[18] = uint8_t(g.cols);
  M.image[20] = uint8_t(crypt);
  M.image[21] = uint8_t(aes_bytes);
  std::memcpy(&M.image[24], M.dev.nonce, 12);
  put_le32(M.image, 72, M.params_off);
  put_le32(M.image, 76, M.params_size);
  put_le32(M.image, 80, M.weights_off);
  put_le32(M.image, 84, M.weights_size);
  for (size_t i = 0; i < M.layers.size(); i++) {
    Layer& L = M.layers[i];
    std::vector<uint8_t> img = packed_weights(L, g, sign ? M.eff_sign.data() : nullptr);
    if (crypt != KG_CRYPT_NONE)
      kg_crypt_encrypt((int)crypt, &M.mk.enc, M.dev.nonce, w_at[i], img.data(), img.size());
    std::memcpy(&M.image[M.weights_off + w_at[i]], img.data(), img.size());
    kg_pack_params(L.N, L.bias.data(), L.mult.data(), L.shift.data(),
                   &M.image[M.params_off + p_at[i]], (size_t)L.N * 16);
    L.d.w_pos = w_at[i];
    L.d.w_addr = model_addr + M.weights_off + w_at[i];
    L.d.p_addr = model_addr + M.params_off + p_at[i];
    dev.place_io(L);
  }
  kg_cmac(&M.mk.mac, M.image.data(), M.image.size(), M.tag);
  dev.put(model_addr, M.image.data(), M.image.size());
  return M;
}

uint32_t verify_model(Device& dev, const AuthModel& m, uint64_t max_cycles, uint64_t* cycles) {
  dev.wr(KG_REG_MODEL_ADDR, m.model_addr);
  dev.wr(KG_REG_MODEL_LEN, uint32_t(m.image.size()));
  for (unsigned i = 0; i < 4; i++) dev.wr(KG_REG_TAG_EXP(i), be32(m.tag + 4 * i));
  for (unsigned i = 0; i < 3; i++) dev.wr(KG_REG_NONCE0 + 4 * i, be32(m.dev.nonce + 4 * i));
  dev.wr(KG_REG_IRQ_ENABLE, kAllIrq);
  dev.wr(KG_REG_IRQ_STATUS, kAllIrq);
  dev.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  uint64_t waited = 0;
  if (kgsim_run_until_irq(dev.sim(), max_cycles, &waited) != KGSIM_OK) return 0;
  if (cycles) *cycles = waited;
  const uint32_t st = dev.rd(KG_REG_IRQ_STATUS);
  dev.wr(KG_REG_IRQ_STATUS, st);
  return st;
}

}  // namespace kgt
