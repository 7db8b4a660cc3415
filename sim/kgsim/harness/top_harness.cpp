// top_harness.cpp: see top_harness.hpp.
#include "top_harness.hpp"

#include <cstring>
#include <functional>
#include <sstream>
#include <stdexcept>

namespace kgt {

static uint32_t round16(uint32_t x) { return (x + 15u) & ~15u; }

Device::Device(const kgsim_config* cfg) {
  char err[256] = {0};
  s_ = kgsim_create(cfg, err, sizeof err);
  if (!s_) throw std::runtime_error(std::string("kgsim_create: ") + err);
}
Device::~Device() { kgsim_destroy(s_); }

kg_geom Device::geom() const { return kg_geom{kgsim_rows(s_), kgsim_cols(s_)}; }

uint32_t Device::rd(uint32_t off) {
  uint32_t v = 0;
  int rc = kgsim_reg_read32(s_, off, &v);
  if (rc != KGSIM_OK) throw std::runtime_error("reg read " + std::to_string(off) + ": " + kgsim_strerror(rc));
  return v;
}
void Device::wr(uint32_t off, uint32_t v) {
  int rc = kgsim_reg_write32(s_, off, v);
  if (rc != KGSIM_OK) throw std::runtime_error("reg write " + std::to_string(off) + ": " + kgsim_strerror(rc));
}

static uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

void Device::set_legacy(bool on) {
  const uint32_t p = rd(KG_REG_POLICY);
  wr(KG_REG_POLICY, on ? (p | KG_POLICY_LEGACY_MASK) : (p & ~KG_POLICY_LEGACY_MASK));
}

uint32_t Device::provision(const Keys& k, bool check, const Keys* model, bool legacy) {
  if (legacy) set_legacy(true);
  write_keys([this](uint32_t off, uint32_t v) { wr(off, v); }, k, model ? *model : k);
  if (!check) return 0;
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  kgsim_run_until_irq(s_, 100000, nullptr);
  const uint32_t st = rd(KG_REG_IRQ_STATUS);
  wr(KG_REG_IRQ_STATUS, st);
  return st;
}

void write_keys(const std::function<void(uint32_t, uint32_t)>& wr, const Keys& k, const Keys& mk) {
  for (unsigned i = 0; i < 8; i++) {
    uint8_t b[4] = {0, 0, 0, 0};
    for (unsigned j = 0; j < 4; j++)
      if (4 * i + j < k.aes.size()) b[j] = k.aes[4 * i + j];
    wr(KG_REG_AES_KEY(i), be32(b));
  }
  wr(KG_REG_KEY_CFG, k.aes.size() == 16 ? 0u : (k.aes.size() == 24 ? 1u : 2u));
  const unsigned words = (unsigned)((k.sign.size() + 3) / 4);
  for (unsigned i = 0; i < words; i++) {
    uint32_t v = 0;
    for (unsigned j = 0; j < 4; j++)
      if (4 * i + j < k.sign.size()) v |= uint32_t(k.sign[4 * i + j]) << (8 * j);
    wr(KG_REG_SIGN_KEY(i), v);
  }
  wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
  wr(KG_REG_NONCE0, be32(mk.nonce));
  wr(KG_REG_NONCE1, be32(mk.nonce + 4));
  wr(KG_REG_NONCE2, be32(mk.nonce + 8));
  kg_aes_key ak;
  kg_aes_key_init(&ak, mk.aes.data(), mk.aes.size());
  uint8_t kcv[8];
  kg_kcv(&ak, mk.nonce, kcv);
  wr(KG_REG_KCV_EXP0, be32(kcv));
  wr(KG_REG_KCV_EXP1, be32(kcv + 4));
  wr(KG_REG_IRQ_ENABLE, 0x3f);
}

void Device::place(const Layer& L, const Keys& k) {
  const kg_geom g = geom();
  std::vector<int8_t> wl(L.w.size());
  if (L.d.sign) {
    if (kg_ref_lock_sign(L.K, L.N, L.w.data(), k.sign.data(), g, wl.data()) != KG_REF_OK)
      throw std::runtime_error("lock failed");
  } else {
    wl = L.w;
  }
  std::vector<uint8_t> img(kg_pack_weight_bytes(L.K, L.N, g));
  kg_pack_weights(L.K, L.N, wl.data(), g, img.data(), img.size());
  fill_masked_rows(L, g, img);
  if (L.d.crypt != KG_CRYPT_NONE) {
    kg_aes_key ak;
    kg_aes_key_init(&ak, k.aes.data(), k.aes.size());
    kg_crypt_encrypt((int)L.d.crypt, &ak, k.nonce, L.d.w_pos, img.data(), img.size());
  }
  std::vector<uint8_t> par((size_t)L.N * 16);
  kg_pack_params(L.N, L.bias.data(), L.mult.data(), L.shift.data(), par.data(), par.size());
  place_io(L);
  put(L.d.w_addr, img.data(), img.size());
  put(L.d.p_addr, par.data(), par.size());
}

void Device::put(uint32_t a, const void* p, size_t n) {
  if (kgsim_mem_write(s_, a, p, n) != KGSIM_OK) throw std::runtime_error("mem_write");
}

void Device::place_io(const Layer& L) {
  uint32_t words[16];
  kg_pack_desc(&L.d, words);
  uint8_t db[64];
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 4; j++) db[4 * i + j] = uint8_t(words[i] >> (8 * j));
  put(L.desc_addr, db, 64);
  put(L.d.in_addr, L.in.data(), L.in.size());
  std::vector<uint8_t> fill((size_t)L.M * L.d.out_stride, 0xa5);
  put(L.d.out_addr, fill.data(), fill.size());
}

uint32_t Device::run(const Layer& L, uint64_t max_cycles, uint32_t* err, uint64_t* cycles) {
  wr(KG_REG_DESC_ADDR, L.desc_addr);
  wr(KG_REG_IRQ_ENABLE, 0x3f);
  wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  uint64_t waited = 0;
  int rc = kgsim_run_until_irq(s_, max_cycles, &waited);
  if (cycles) *cycles = waited;
  if (rc != KGSIM_OK) return 0;
  const uint32_t st = rd(KG_REG_IRQ_STATUS);
  if (err) *err = (rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT;
  wr(KG_REG_IRQ_STATUS, st);
  return st;
}

std::vector<int8_t> Device::output(const Layer& L, bool* padding_ok) {
  std::vector<int8_t> raw((size_t)L.M * L.d.out_stride);
  kgsim_mem_read(s_, L.d.out_addr, raw.data(), raw.size());
  std::vector<int8_t> out((size_t)L.M * L.N);
  bool ok = true;
  for (uint32_t m = 0; m < L.M; m++) {
    for (uint32_t n = 0; n < L.N; n++) out[(size_t)m * L.N + n] = raw[(size_t)m * L.d.out_stride + n];
    for (uint32_t b = L.N; b < L.d.out_stride; b++)
      if ((uint8_t)raw[(size_t)m * L.d.out_stride + b] != 0xa5) ok = false;
  }
  if (padding_ok) *padding_ok = ok;
  return out;
}

Keys random_keys(std::mt19937_64& rng, kg_geom g, unsigned aes_bytes) {
  Keys k;
  k.aes.resize(aes_bytes);
  for (auto& b : k.aes) b = uint8_t(rng());
  k.sign.resize(kg_key_bytes(g));
  for (auto& b : k.sign) b = uint8_t(rng());
  for (auto& b : k.nonce) b = uint8_t(rng());
  return k;
}

void compute_expect(Layer& L) {
  kg_requant q{L.bias.data(), L.mult.data(), L.shift.data(), (int)L.d.relu};
  L.expect.assign((size_t)L.M * L.N, 0);
  const kg_geom any{1, 1};
  if (L.d.op == KG_OP_CONV) {
    const kg_conv_shape& s = L.d.conv;
    std::vector<int8_t> dense((size_t)s.h * s.w * s.ic);
    for (uint32_t p = 0; p < s.h * s.w; p++)
      std::memcpy(&dense[(size_t)p * s.ic], &L.in[(size_t)p * L.d.in_stride], s.ic);
    std::vector<int8_t> scratch((size_t)L.M * L.K);
    std::vector<int32_t> acc((size_t)L.M * L.N);
    kg_ref_conv2d(&s, dense.data(), L.w.data(), nullptr, any, &q, scratch.data(), acc.data(),
                  L.expect.data());
  } else {
    std::vector<int8_t> dense((size_t)L.M * L.K);
    for (uint32_t m = 0; m < L.M; m++)
      std::memcpy(&dense[(size_t)m * L.K], &L.in[(size_t)m * L.d.in_stride], L.K);
    const kg_in_mask mk{L.d.in_group, L.d.in_valid};
    if (kg_ref_fc_masked(L.M, L.K, L.N, dense.data(), L.w.data(), nullptr, any, &mk, &q,
                         L.expect.data()) != KG_REF_OK)
      throw std::runtime_error("compute_expect: the reference refused the layer");
  }
}

void fill_masked_rows(const Layer& L, kg_geom g, std::vector<uint8_t>& img) {
  if (L.d.op != KG_OP_FC || L.d.in_group == 0) return;
  std::mt19937_64 rng((uint64_t(L.d.w_addr) << 32) ^ L.desc_addr ^ L.d.w_pos);
  const uint32_t KT = (L.K + g.rows - 1) / g.rows;
  const size_t tb = kg_pack_tile_bytes(g);
  for (uint32_t k = 0; k < L.K; k++) {
    if (k % L.d.in_group < L.d.in_valid) continue;
    for (uint32_t n = 0; n < L.N; n++) {
      const size_t t = size_t(n / g.cols) * KT + k / g.rows;
      img.at(t * tb + size_t(k % g.rows) * g.cols + n % g.cols) = uint8_t(rng());
    }
  }
}

Layer fc_after_conv_layer(std::mt19937_64& rng, kg_geom g, uint32_t h, uint32_t w, uint32_t c,
                          uint32_t m, uint32_t n, uint32_t crypt, bool sign, uint32_t base) {
  kg_layer_desc d{};
  d.op = KG_OP_FC;
  d.relu = uint32_t(rng() % 2);
  d.crypt = crypt;
  d.sign = sign;
  d.m = m;
  d.k = uint32_t(kg_pack_fc_after_conv_k(h, w, c));
  d.n = n;
  d.in_group = uint32_t(kg_pack_act_stride(c));
  d.in_valid = c;
  d.w_pos = 16 * uint32_t(rng() % 4096);
  return make_layer(rng, g, d, base, true);
}

Layer make_layer(std::mt19937_64& rng, kg_geom g, const kg_layer_desc& shape, uint32_t base,
                 bool pad_strides) {
  Layer L;
  auto U = [&](uint32_t lo, uint32_t hi) { return lo + uint32_t(rng() % (hi - lo + 1)); };
  const uint32_t extra = pad_strides ? 16 * U(0, 1) : 0;
  L.d = shape;
  const bool conv = (shape.op == KG_OP_CONV);
  L.d.in_stride = round16(conv ? shape.conv.ic : shape.k) + extra;
  kg_layer_dims(&L.d, &L.M, &L.K, &L.N);
  L.d.out_stride = round16(L.N) + (pad_strides ? 16 * U(0, 1) : 0);
  const uint32_t in_rows = conv ? L.d.conv.h * L.d.conv.w : L.M;
  L.in.resize((size_t)in_rows * L.d.in_stride);
  for (auto& x : L.in) x = int8_t(rng());
  L.w.resize((size_t)L.K * L.N);
  for (auto& x : L.w) x = int8_t(int(rng() % 255) - 127);
  L.bias.resize(L.N);
  L.mult.resize(L.N);
  L.shift.resize(L.N);
  // Scales that keep outputs spread over the int8 range for these sizes.
  uint32_t lg = 0;
  while ((1u << lg) < L.K) lg++;
  for (uint32_t n = 0; n < L.N; n++) {
    L.bias[n] = int32_t(rng() % 20001) - 10000;
    L.mult[n] = int32_t(rng() & 0x7fffffff);
    L.shift[n] = uint8_t(U(36, 40) + lg / 2);
  }
  uint32_t a = base;
  auto take = [&](size_t n) {
    uint32_t r = a;
    a = round16(a + uint32_t(n) + (pad_strides ? 16 * U(0, 3) : 0));
    return r;
  };
  L.desc_addr = take(64);
  L.d.in_addr = take(L.in.size());
  L.d.w_addr = take(kg_pack_weight_bytes(L.K, L.N, g));
  L.d.p_addr = take((size_t)L.N * 16);
  L.d.out_addr = take((size_t)L.M * L.d.out_stride);
  compute_expect(L);
  return L;
}

Layer random_layer(std::mt19937_64& rng, kg_geom g, bool conv, uint32_t crypt, bool sign,
                   const Keys& k, uint32_t base) {
  (void)k;
  auto U = [&](uint32_t lo, uint32_t hi) { return lo + uint32_t(rng() % (hi - lo + 1)); };
  kg_layer_desc d{};
  d.op = conv ? KG_OP_CONV : KG_OP_FC;
  d.relu = U(0, 1);
  d.crypt = crypt;
  d.sign = sign;
  if (conv) {
    kg_conv_shape& s = d.conv;
    s.kh = U(1, 7);
    s.kw = U(1, 7);
    s.pad = U(0, std::min(s.kh, s.kw) - 1);
    s.stride = U(1, 2);
    s.h = U(s.kh > 2 * s.pad ? s.kh - 2 * s.pad : 1, 11);
    s.w = U(s.kw > 2 * s.pad ? s.kw - 2 * s.pad : 1, 11);
    s.ic = U(1, 20);
    s.oc = U(1, 3 * g.cols + 3);
  } else {
    d.m = U(1, 40);
    d.k = U(1, 4 * g.rows + 7);
    d.n = U(1, 3 * g.cols + 5);
  }
  d.w_pos = 16 * U(0, 4096);
  return make_layer(rng, g, d, base, true);
}

std::string describe(const Layer& L) {
  std::ostringstream o;
  if (L.d.op == KG_OP_CONV) {
    const kg_conv_shape& s = L.d.conv;
    o << "CONV h=" << s.h << " w=" << s.w << " ic=" << s.ic << " oc=" << s.oc << " k=" << s.kh
      << "x" << s.kw << " s=" << s.stride << " pad=" << s.pad;
  } else {
    o << "FC M=" << L.M << " K=" << L.K << " N=" << L.N;
    if (L.d.in_group) o << " mask=" << L.d.in_valid << "/" << L.d.in_group;
  }
  o << " relu=" << L.d.relu << " crypt=" << L.d.crypt << " sign=" << L.d.sign
    << " w_pos=" << L.d.w_pos;
  return o.str();
}

}  // namespace kgt
