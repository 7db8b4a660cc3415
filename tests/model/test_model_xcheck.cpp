// Cross-check of the functional model (kgmodel) against the RTL (kgsim,
// Verilated kg_top) in one process (docs/model.md): identical random register
// sequences and random layers on both back-ends; every register read, every
// return code, the interrupt line, every interrupt cause and status, and every
// output byte are compared. Both sides also run model authentication
// (docs/spec.md 11.1): authenticated images built here (kg_model_keys_derive,
// kg_cmac; auth_image.hpp), VERIFY with every outcome, bound layers, keyed
// layers outside the model and POLICY.LEGACY. KG_MODEL_LAYERS sets the number
// of random layers (default 200; `make soak` uses 10^4), KG_MODEL_SEED the seed.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "auth_image.hpp"
#include "kg_test_env.hpp"
#include "kgmodel.h"
#include "top_harness.hpp"

namespace {

using kgtest::env_u64;

// Both back-ends behind one set of calls; every difference is a mismatch.
class Pair {
 public:
  Pair() {
    char err[256] = {0};
    rtl_ = kgsim_create(nullptr, err, sizeof err);
    if (!rtl_) throw std::runtime_error(std::string("kgsim_create: ") + err);
    kgmodel_config c = kgmodel_config_default();
    c.rows = kgsim_rows(rtl_);
    c.cols = kgsim_cols(rtl_);
    mod_ = kgmodel_create(&c, err, sizeof err);
    if (!mod_) throw std::runtime_error(std::string("kgmodel_create: ") + err);
  }
  ~Pair() {
    kgsim_destroy(rtl_);
    kgmodel_destroy(mod_);
  }
  kg_geom geom() const { return kg_geom{kgsim_rows(rtl_), kgsim_cols(rtl_)}; }

  void mismatch(const std::string& what) {
    mismatches++;
    if (mismatches <= 20) ADD_FAILURE() << "mismatch: " << what << " [" << ctx << "]";
  }
  void check_irq(const char* after) {
    const int a = kgsim_irq(rtl_), b = kgmodel_irq(mod_);
    if (a != b) mismatch(std::string("irq line after ") + after + ": rtl " + std::to_string(a) +
                         " model " + std::to_string(b));
  }
  uint32_t rd(uint32_t off) {
    uint32_t a = 0xdeadbeef, b = 0xdeadbeef;
    const int ra = kgsim_reg_read32(rtl_, off, &a);
    const int rb = kgmodel_reg_read32(mod_, off, &b);
    reads++;
    if (trace) std::printf("  rd 0x%03x -> rtl %d 0x%08x model %d 0x%08x\n", off, ra, a, rb, b);
    char buf[160];
    if (ra != rb) {
      std::snprintf(buf, sizeof buf, "read 0x%03x rc rtl %d model %d", off, ra, rb);
      mismatch(buf);
    } else if (ra == 0 && a != b) {
      std::snprintf(buf, sizeof buf, "read 0x%03x rtl 0x%08x model 0x%08x", off, a, b);
      mismatch(buf);
    }
    check_irq("read");
    return a;
  }
  void wr(uint32_t off, uint32_t v) {
    const int ra = kgsim_reg_write32(rtl_, off, v);
    const int rb = kgmodel_reg_write32(mod_, off, v);
    writes++;
    if (trace)
      std::printf("  wr 0x%03x = 0x%08x -> rtl %d model %d irq %d/%d cycles %llu/%llu\n", off, v, ra,
                  rb, kgsim_irq(rtl_), kgmodel_irq(mod_), (unsigned long long)kgsim_cycles(rtl_),
                  (unsigned long long)kgmodel_cycles(mod_));
    if (ra != rb) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "write 0x%03x=0x%08x rc rtl %d model %d", off, v, ra, rb);
      mismatch(buf);
    }
    check_irq("write");
  }
  void mem(uint64_t a, const void* p, size_t n) {
    if (kgsim_mem_write(rtl_, a, p, n) != 0 || kgmodel_mem_write(mod_, a, p, n) != 0)
      throw std::runtime_error("mem_write");
  }
  // Run both until the interrupt; returns the cycles each waited.
  void run(uint64_t bound, uint64_t* rtl_cyc, uint64_t* mod_cyc) {
    uint64_t wa = 0, wb = 0;
    const int ra = kgsim_run_until_irq(rtl_, bound, &wa);
    const int rb = kgmodel_run_until_irq(mod_, bound, &wb);
    if (ra != rb)
      mismatch("run_until_irq rc rtl " + std::to_string(ra) + " model " + std::to_string(rb));
    check_irq("run");
    if (rtl_cyc) *rtl_cyc = wa;
    if (mod_cyc) *mod_cyc = wb;
    if (trace) std::printf("  run: rtl %d waited %llu, model %d waited %llu\n", ra,
                           (unsigned long long)wa, rb, (unsigned long long)wb);
  }
  void step(uint64_t n) {
    if (trace) std::printf("  step %llu\n", (unsigned long long)n);
    kgsim_step(rtl_, n);
    kgmodel_step(mod_, n);
    check_irq("step");
  }
  // Step both until neither runs a layer, a CHECK or a VERIFY, without
  // comparing the reads on the way (how long a VERIFY takes differs by
  // design, docs/model.md §3); at most 2 M cycles.
  void settle() {
    for (int i = 0; i < 400; i++) {
      uint32_t st[2] = {0, 0}, ks[2] = {0, 0};
      kgsim_reg_read32(rtl_, KG_REG_STATUS, &st[0]);
      kgsim_reg_read32(rtl_, KG_REG_KEY_STATUS, &ks[0]);
      kgmodel_reg_read32(mod_, KG_REG_STATUS, &st[1]);
      kgmodel_reg_read32(mod_, KG_REG_KEY_STATUS, &ks[1]);
      if (!((st[0] | st[1]) & KG_STATUS_BUSY_MASK) && !((ks[0] | ks[1]) & KG_KEY_STATUS_CHECK_BUSY_MASK))
        return;
      step(5000);
    }
    mismatch("still busy after 2 M cycles");
  }
  void reset() {
    if (trace) std::printf("  reset\n");
    kgsim_reset(rtl_);
    kgmodel_reset(mod_);
    check_irq("reset");
  }
  void fault(uint32_t dirs, uint64_t lo, uint64_t hi, uint32_t resp) {
    kgsim_fault f{};
    f.mode = KGSIM_FAULT_RANGE;
    f.dirs = dirs;
    f.resp = resp;
    f.lo = lo;
    f.hi = hi;
    kgmodel_fault g{};
    g.mode = KGMODEL_FAULT_RANGE;
    g.dirs = dirs;
    g.lo = lo;
    g.hi = hi;
    if (kgsim_set_fault(rtl_, 0, &f) != 0 || kgmodel_set_fault(mod_, 0, &g) != 0)
      throw std::runtime_error("set_fault");
  }
  void clear_fault() {
    kgsim_set_fault(rtl_, 0, nullptr);
    kgmodel_set_fault(mod_, 0, nullptr);
  }
  void compare_mem(uint64_t a, size_t n, const char* what) {
    std::vector<uint8_t> x(n), y(n);
    kgsim_mem_read(rtl_, a, x.data(), n);
    kgmodel_mem_read(mod_, a, y.data(), n);
    bytes += n;
    if (x != y) {
      size_t i = 0;
      while (x[i] == y[i]) i++;
      mismatch(std::string(what) + ": first differing byte at +" + std::to_string(i));
    }
  }
  std::vector<uint8_t> model_mem(uint64_t a, size_t n) {
    std::vector<uint8_t> y(n);
    kgmodel_mem_read(mod_, a, y.data(), n);
    return y;
  }

  kgsim* rtl_ = nullptr;
  kgmodel* mod_ = nullptr;
  std::string ctx;
  bool trace = env_u64("KG_MODEL_TRACE", 0) != 0;
  uint64_t mismatches = 0, reads = 0, writes = 0, bytes = 0;
  uint64_t verify_by_err[256] = {0};  // VERIFY outcomes (RTL's STATUS.ERR) by code
  std::string verify_summary() const {
    std::string r;
    for (unsigned e = 0; e < 256; e++)
      if (verify_by_err[e]) r += " err" + std::to_string(e) + "=" + std::to_string(verify_by_err[e]);
    return r.empty() ? " none" : r;
  }
};

uint32_t be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | p[3];
}

// Key provisioning on both, with `vault` in the vault and the KCV of `model`.
void provision(Pair& P, const kgt::Keys& vault, const kgt::Keys& model, uint32_t policy) {
  for (unsigned i = 0; i < 8; i++) {
    uint8_t b[4] = {0, 0, 0, 0};
    for (unsigned j = 0; j < 4; j++)
      if (4 * i + j < vault.aes.size()) b[j] = vault.aes[4 * i + j];
    P.wr(KG_REG_AES_KEY(i), be32(b));
  }
  P.wr(KG_REG_KEY_CFG, vault.aes.size() == 16 ? 0u : (vault.aes.size() == 24 ? 1u : 2u));
  const unsigned words = (unsigned)((vault.sign.size() + 3) / 4);
  for (unsigned i = 0; i < words; i++) {
    uint32_t v = 0;
    for (unsigned j = 0; j < 4; j++)
      if (4 * i + j < vault.sign.size()) v |= uint32_t(vault.sign[4 * i + j]) << (8 * j);
    P.wr(KG_REG_SIGN_KEY(i), v);
  }
  P.wr(KG_REG_POLICY, policy);
  P.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
  P.wr(KG_REG_NONCE0, be32(model.nonce));
  P.wr(KG_REG_NONCE1, be32(model.nonce + 4));
  P.wr(KG_REG_NONCE2, be32(model.nonce + 8));
  kg_aes_key ak;
  kg_aes_key_init(&ak, model.aes.data(), model.aes.size());
  uint8_t kcv[8];
  kg_kcv(&ak, model.nonce, kcv);
  P.wr(KG_REG_KCV_EXP0, be32(kcv));
  P.wr(KG_REG_KCV_EXP1, be32(kcv + 4));
  P.wr(KG_REG_IRQ_ENABLE, 0x3f);
  P.wr(KG_REG_IRQ_STATUS, 0x3f);
  P.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
  P.run(100000, nullptr, nullptr);
  const uint32_t st = P.rd(KG_REG_IRQ_STATUS);
  P.rd(KG_REG_STATUS);
  P.rd(KG_REG_KEY_STATUS);
  P.wr(KG_REG_IRQ_STATUS, st);
}

// The descriptor, input and (filled) output rows of layer L on both back-ends.
void place_io(Pair& P, const kgt::Layer& L, uint32_t desc_addr, const uint32_t words[16]) {
  uint8_t db[64];
  for (int i = 0; i < 16; i++)
    for (int j = 0; j < 4; j++) db[4 * i + j] = uint8_t(words[i] >> (8 * j));
  P.mem(desc_addr, db, 64);
  P.mem(L.d.in_addr, L.in.data(), L.in.size());
  std::vector<uint8_t> fill((size_t)L.M * L.d.out_stride, 0xa5);
  P.mem(L.d.out_addr, fill.data(), fill.size());
}

// The images of layer L on both back-ends; weights encrypted with k (a
// version-1 layer: the device keys directly).
void place(Pair& P, const kgt::Layer& L, const kgt::Keys& k, kg_geom g, const uint32_t words[16]) {
  std::vector<int8_t> wl(L.w);
  if (L.d.sign && kg_ref_lock_sign(L.K, L.N, L.w.data(), k.sign.data(), g, wl.data()) != KG_REF_OK)
    throw std::runtime_error("lock");
  std::vector<uint8_t> img(kg_pack_weight_bytes(L.K, L.N, g));
  kg_pack_weights(L.K, L.N, wl.data(), g, img.data(), img.size());
  if (L.d.crypt != KG_CRYPT_NONE) {
    kg_aes_key ak;
    kg_aes_key_init(&ak, k.aes.data(), k.aes.size());
    kg_crypt_encrypt((int)L.d.crypt, &ak, k.nonce, L.d.w_pos, img.data(), img.size());
  }
  std::vector<uint8_t> par((size_t)L.N * 16);
  kg_pack_params(L.N, L.bias.data(), L.mult.data(), L.shift.data(), par.data(), par.size());
  P.mem(L.d.w_addr, img.data(), img.size());
  P.mem(L.d.p_addr, par.data(), par.size());
  place_io(P, L, L.desc_addr, words);
}

// An authenticated model (docs/spec.md 11.1) for device keys k at addr on
// both back-ends: a random layer first (so that L's W_POS is not 0), then L,
// locked with the model keys. L's W_ADDR, W_POS and P_ADDR move into it.
kgauth::Image place_model(Pair& P, kgt::Layer& L, const kgt::Keys& k, uint32_t addr,
                          std::mt19937_64& rng) {
  const kg_geom g = P.geom();
  kgauth::DeviceKeys dev;
  dev.aes = k.aes;
  dev.sign = k.sign;
  std::memcpy(dev.nonce, k.nonce, 12);
  const uint32_t K0 = 1 + uint32_t(rng() % (3 * g.rows)), N0 = 1 + uint32_t(rng() % (2 * g.cols));
  std::vector<int8_t> w0((size_t)K0 * N0);
  for (auto& x : w0) x = int8_t(int(rng() % 255) - 127);
  std::vector<int32_t> b0(N0, 0), m0(N0, 1 << 30);
  std::vector<uint8_t> s0(N0, 40);
  const std::vector<kgauth::LayerData> layers = {
      {KG_OP_FC, K0, N0, w0.data(), b0.data(), m0.data(), s0.data()},
      {L.d.op, L.K, L.N, L.w.data(), L.bias.data(), L.mult.data(), L.shift.data()}};
  kgauth::Image im = kgauth::build(g, dev, L.d.crypt, L.d.sign != 0, layers, rng);
  P.mem(addr, im.bytes.data(), im.bytes.size());
  L.d.w_pos = im.w_pos[1];
  L.d.w_addr = addr + im.weights_offset + im.w_pos[1];
  L.d.p_addr = addr + im.p_off[1];
  return im;
}

// MODEL_ADDR, MODEL_LEN and TAG_EXP0..3 on both.
void write_model_regs(Pair& P, uint32_t addr, uint32_t len, const uint8_t tag[16]) {
  P.wr(KG_REG_MODEL_ADDR, addr);
  P.wr(KG_REG_MODEL_LEN, len);
  for (unsigned i = 0; i < 4; i++) P.wr(KG_REG_TAG_EXP(i), be32(tag + 4 * i));
}

// VERIFY on both (optionally an input write while it runs), to the interrupt;
// returns STATUS.ERR, *irq the causes (then cleared).
uint32_t verify(Pair& P, const std::function<void()>& meanwhile, uint32_t* irq) {
  P.wr(KG_REG_IRQ_ENABLE, 0x3f);
  P.wr(KG_REG_IRQ_STATUS, 0x3f);
  P.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
  P.rd(KG_REG_KEY_STATUS);  // CHECK_BUSY while it runs (or the refusal)
  P.rd(KG_REG_STATUS);
  if (meanwhile) {
    meanwhile();
    // A key write to a locked vault raises VAULT at once; wait for VERIFY.
    P.wr(KG_REG_IRQ_STATUS, KG_IRQ_STATUS_VAULT_MASK);
  }
  P.run(4000000, nullptr, nullptr);
  const uint32_t st = P.rd(KG_REG_IRQ_STATUS);
  const uint32_t err = (P.rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT;
  P.rd(KG_REG_KEY_STATUS);
  P.wr(KG_REG_IRQ_STATUS, st);
  if (irq) *irq = st;
  P.verify_by_err[err & 255]++;
  return err;
}

// Registers compared after every layer (PERF_* except WR_BYTES and COMPUTE
// are timing figures and differ by design, see docs/model.md).
void compare_state(Pair& P) {
  P.rd(KG_REG_STATUS);
  P.rd(KG_REG_IRQ_STATUS);
  P.rd(KG_REG_KEY_STATUS);
  P.rd(KG_REG_DESC_ADDR);
}

struct Stats {
  uint64_t layers = 0, ok = 0, desc_err = 0, bus = 0, wrong = 0, aborted = 0, reserved = 0;
  double ratio_sum = 0, ratio_min = 1e9, ratio_max = 0;
  uint64_t ratio_n = 0;
};

// kGood .. kSoftReset: version-1 layers (POLICY.LEGACY = 1, device keys).
// kBound: the layer of an authenticated model (VERIFY matched).
// kUnbound: a version-1 layer under LEGACY = 0 (refused, or run with the
// keys withheld). kTampered: its model's image or tag altered (VERIFY fails).
enum Scenario {
  kGood, kWrongRefuse, kWrongRun, kWrongLockout, kIllegal, kBadParam, kFault, kSoftReset,
  kBound, kUnbound, kTampered
};

Scenario pick(std::mt19937_64& rng) {
  const unsigned x = unsigned(rng() % 100);
  if (x < 42) return kGood;
  if (x < 46) return kWrongRefuse;
  if (x < 51) return kWrongRun;
  if (x < 54) return kWrongLockout;
  if (x < 64) return kIllegal;
  if (x < 67) return kBadParam;
  if (x < 72) return kFault;
  if (x < 76) return kSoftReset;
  if (x < 90) return kBound;
  if (x < 95) return kUnbound;
  return kTampered;
}

void one_layer(Pair& P, std::mt19937_64& rng, Stats& S, uint64_t idx) {
  const kg_geom g = P.geom();
  const Scenario sc = pick(rng);
  const unsigned aes_bytes = 16 + 8 * unsigned(rng() % 3);
  const kgt::Keys k = kgt::random_keys(rng, g, aes_bytes);
  kgt::Keys vault = k;
  uint32_t policy = 0;
  if (sc == kWrongRefuse || sc == kWrongRun || sc == kWrongLockout) {
    vault = kgt::random_keys(rng, g, aes_bytes);
    std::memcpy(vault.nonce, k.nonce, 12);
    if (rng() % 2) vault.sign = k.sign;  // sometimes only the AES key is wrong
    policy = sc == kWrongRun ? KG_POLICY_RUN
                             : (sc == kWrongLockout ? (KG_POLICY_LOCKOUT | (1u << 8)) : KG_POLICY_REFUSE);
  } else {
    policy = uint32_t(rng() % 3) | (uint32_t(rng() % 4) << 8);
  }
  // Version-1 layers need LEGACY; an authenticated model runs either way.
  const bool authenticated = sc == kBound || sc == kTampered;
  if (sc == kUnbound || (authenticated && rng() % 2 == 0))
    policy &= ~KG_POLICY_LEGACY_MASK;
  else
    policy |= KG_POLICY_LEGACY_MASK;
  const bool conv = rng() % 2;
  const uint32_t crypt = uint32_t(rng() % 3);
  const bool sign = rng() % 2;
  kgt::Layer L = kgt::random_layer(rng, g, conv, crypt, sign, k);
  std::ostringstream o;
  o << "layer " << idx << " scenario " << int(sc) << " aes" << aes_bytes * 8 << " policy 0x"
    << std::hex << policy << std::dec << " " << kgt::describe(L);
  P.ctx = o.str();

  P.reset();
  provision(P, vault, k, policy);

  uint32_t verify_err = KG_ERR_OK;
  if (authenticated) {
    const uint32_t addr = 0x100000u + 16u * uint32_t(rng() % 4096);
    const kgauth::Image im = place_model(P, L, k, addr, rng);
    uint8_t tag[16];
    std::memcpy(tag, im.tag, 16);
    if (sc == kTampered) {
      if (rng() % 2) {
        tag[rng() % 16] ^= uint8_t(1u << (rng() % 8));
      } else {
        const size_t at = rng() % im.bytes.size();
        const uint8_t b = uint8_t(im.bytes[at] ^ (1u << (rng() % 8)));
        P.mem(addr + at, &b, 1);
      }
    }
    write_model_regs(P, addr, uint32_t(im.bytes.size()), tag);
    uint32_t virq = 0;
    verify_err = verify(P, nullptr, &virq);
    o << " model at 0x" << std::hex << addr << std::dec << " verify err " << verify_err;
    P.ctx = o.str();
  }

  uint32_t words[16];
  kg_pack_desc(&L.d, words);
  uint32_t desc_addr = L.desc_addr;
  if (sc == kIllegal) {
    // Every field through the generated register map (kg_regs.h), so a
    // field moved in kg_regs.json still gets each kind of illegal value.
    const auto field = [](uint32_t w, uint32_t mask, uint32_t shift, uint32_t v) {
      return (w & ~mask) | ((v << shift) & mask);
    };
    const auto random_bit_of = [&](uint32_t mask) {
      uint32_t bits[32], n = 0;
      for (uint32_t b = 0; b < 32; b++)
        if (mask >> b & 1u) bits[n++] = b;
      return 1u << bits[rng() % n];
    };
    uint32_t reserved_words[KG_DESC_WORDS], n_reserved = 0;
    for (uint32_t i = 0; i < KG_DESC_WORDS; i++)
      if ((KG_DESC_USED_FC(i) | KG_DESC_USED_CONV(i)) == 0u) reserved_words[n_reserved++] = i;
    const uint32_t dims[3] = {KG_DESC_DIM0, KG_DESC_DIM1, KG_DESC_DIM2};
    const auto first_conv_field = [](uint32_t w) {
      return w == KG_DESC_DIM0 ? KG_DESC_DIM0_H_MASK
                               : w == KG_DESC_DIM1 ? KG_DESC_DIM1_IC_MASK : KG_DESC_DIM2_KH_MASK;
    };
    const uint32_t aligned[7] = {KG_DESC_IN_ADDR, KG_DESC_IN_STRIDE, KG_DESC_OUT_ADDR,
                                 KG_DESC_OUT_STRIDE, KG_DESC_W_ADDR, KG_DESC_W_POS, KG_DESC_P_ADDR};
    const uint32_t dim2_used = conv ? KG_DESC_USED_CONV(KG_DESC_DIM2) : KG_DESC_USED_FC(KG_DESC_DIM2);
    switch (rng() % 12) {
      case 0: words[KG_DESC_CFG] ^= random_bit_of(KG_DESC_CFG_MAGIC_MASK); break;  // magic
      case 1:                                                                      // op
        words[KG_DESC_CFG] = field(words[KG_DESC_CFG], KG_DESC_CFG_OP_MASK, KG_DESC_CFG_OP_SHIFT,
                                   uint32_t(3 + rng() % 253));
        break;
      case 2:                                                                      // crypt 3
        words[KG_DESC_CFG] = field(words[KG_DESC_CFG], KG_DESC_CFG_CRYPT_MASK, KG_DESC_CFG_CRYPT_SHIFT, 3);
        break;
      case 3: words[reserved_words[rng() % n_reserved]] = uint32_t(rng()) | 1u; break;  // reserved
      case 4: words[KG_DESC_CFG] |= random_bit_of(~KG_DESC_USED_FC(KG_DESC_CFG)); break;  // reserved cfg
      case 5: {                                                                    // zero dim
        const uint32_t w = dims[rng() % 3];
        words[w] &= conv ? ~first_conv_field(w) : 0u;
        break;
      }
      case 6: words[aligned[rng() % 7]] |= 1u << (rng() % 4); break;              // misaligned
      case 7:                                                                      // stride/N
        words[KG_DESC_DIM2] = conv ? field(words[KG_DESC_DIM2] & dim2_used, KG_DESC_DIM2_STRIDE_MASK,
                                           KG_DESC_DIM2_STRIDE_SHIFT, 3)
                                   : 1025u;
        break;
      case 8: words[KG_DESC_IN_STRIDE] = 0; break;                                // in stride
      case 9: words[KG_DESC_W_ADDR] = 0xfffffff0u; break;                         // w end
      case 10: desc_addr += 4u << (rng() % 2); break;                             // desc addr
      default: words[KG_DESC_CFG] = uint32_t(rng()); break;                       // garbage
    }
  }
  if (sc == kBadParam) {
    const size_t n = rng() % L.N;
    switch (rng() % 3) {
      case 0: L.shift[n] = 0; break;
      case 1: L.shift[n] = uint8_t(63 + rng() % 190); break;
      default: L.mult[n] = -1 - int32_t(rng() % 1000); break;
    }
  }
  if (authenticated)
    place_io(P, L, L.desc_addr, words);
  else
    place(P, L, k, g, words);
  if (sc == kFault) {
    const uint32_t resp = (rng() % 2) ? KGSIM_RESP_SLVERR : KGSIM_RESP_DECERR;
    switch (rng() % 3) {
      case 0: P.fault(KGSIM_DIR_READ, L.desc_addr, L.desc_addr + 16, resp); break;
      case 1: {
        const uint64_t wb = kg_pack_weight_bytes(L.K, L.N, g);
        const uint64_t off = (rng() % (wb / 16)) * 16;
        P.fault(KGSIM_DIR_READ, L.d.w_addr + off, L.d.w_addr + off + 16, resp);
        break;
      }
      default: P.fault(KGSIM_DIR_WRITE, L.d.out_addr, L.d.out_addr + (uint64_t)L.M * L.d.out_stride, resp);
    }
  }
  P.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
  P.wr(KG_REG_DESC_ADDR, desc_addr);
  P.wr(KG_REG_IRQ_ENABLE, 0x3f);
  P.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
  P.rd(KG_REG_DESC_ADDR);
  if (sc == kGood && rng() % 2) {
    // While busy: STATUS.BUSY, DESC_ADDR and a second START ignored, and
    // LOAD_AES ignored (KEY_STATUS unchanged, KCV_OK kept).
    P.rd(KG_REG_STATUS);
    P.wr(KG_REG_DESC_ADDR, desc_addr + 0x100);
    P.rd(KG_REG_DESC_ADDR);
    P.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    P.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    P.rd(KG_REG_KEY_STATUS);
    P.rd(KG_REG_STATUS);
  }
  if (sc == kSoftReset) {
    P.step(10);
    P.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
  }
  uint64_t cr = 0, cm = 0;
  P.run(4000000, &cr, &cm);
  const uint32_t irq = P.rd(KG_REG_IRQ_STATUS);
  const uint32_t err = (P.rd(KG_REG_STATUS) & KG_STATUS_ERR_MASK) >> KG_STATUS_ERR_SHIFT;
  compare_state(P);
  if (sc != kFault && sc != kSoftReset) {
    // Both count the same strobed output bytes and activation rows.
    P.rd(KG_REG_PERF_WR_BYTES_LO);
    P.rd(KG_REG_PERF_COMPUTE_LO);
  }
  if (sc != kFault) P.compare_mem(L.d.out_addr, (size_t)L.M * L.d.out_stride, "output bytes");
  P.clear_fault();
  P.wr(KG_REG_IRQ_STATUS, irq);

  S.layers++;
  if (err == KG_ERR_OK && irq == KG_IRQ_STATUS_DONE_MASK) {
    S.ok++;
    if (cr) {
      const double r = double(cm) / double(cr);
      if (env_u64("KG_MODEL_CYCLES", 0))
        std::printf("cycles rtl %llu model %llu ratio %.3f %s\n", (unsigned long long)cr,
                    (unsigned long long)cm, r, kgt::describe(L).c_str());
      S.ratio_sum += r;
      S.ratio_n++;
      if (r < S.ratio_min) S.ratio_min = r;
      if (r > S.ratio_max) S.ratio_max = r;
    }
  } else if (err == KG_ERR_BUS) {
    S.bus++;
  } else if (err == KG_ERR_ABORTED) {
    S.aborted++;
  } else if (err == KG_ERR_WRONG_KEY || err == KG_ERR_LOCKED_OUT || err == KG_ERR_NO_KEY ||
             err == KG_ERR_NOT_AUTH) {
    S.wrong++;
  } else if (err == KG_ERR_RESERVED) {
    S.reserved++;
  } else {
    S.desc_err++;
  }
  // The model must also agree with the C reference when the key is right.
  if ((sc == kGood || sc == kBound) && err == KG_ERR_OK) {
    const std::vector<uint8_t> raw = P.model_mem(L.d.out_addr, (size_t)L.M * L.d.out_stride);
    for (uint32_t m = 0; m < L.M; m++)
      for (uint32_t n = 0; n < L.N; n++)
        if (int8_t(raw[(size_t)m * L.d.out_stride + n]) != L.expect[(size_t)m * L.N + n]) {
          P.mismatch("model output differs from the C reference");
          m = L.M;
          break;
        }
  }
  // Expected outcome per scenario (so the test fails if both drift alike).
  if (sc == kGood) {
    EXPECT_EQ(KG_ERR_OK, err) << P.ctx;
  }
  if (sc == kWrongRun) {
    EXPECT_EQ(KG_ERR_OK, err) << P.ctx;
  }
  if (sc == kIllegal) {
    EXPECT_NE(KG_ERR_OK, err) << P.ctx;
  }
  if (sc == kBadParam) {
    EXPECT_EQ(KG_ERR_RESERVED, err) << P.ctx;
  }
  if (sc == kFault) {
    EXPECT_EQ(KG_ERR_BUS, err) << P.ctx;
  }
  if (sc == kSoftReset) {
    EXPECT_EQ(KG_ERR_ABORTED, err) << P.ctx;
  }
  const bool keyed = L.d.crypt != KG_CRYPT_NONE || L.d.sign;
  const uint32_t mode = policy & KG_POLICY_MODE_MASK;
  if (sc == kBound) {
    EXPECT_EQ(KG_ERR_OK, verify_err) << P.ctx;
    EXPECT_EQ(KG_ERR_OK, err) << P.ctx;
  }
  if (sc == kTampered) {
    EXPECT_EQ(KG_ERR_AUTH_FAIL, verify_err) << P.ctx;
  }
  if (sc == kUnbound || (sc == kTampered && !(policy & KG_POLICY_LEGACY_MASK))) {
    // LEGACY = 0, not bound: refused unless run (keys withheld); a lockout
    // reached by the failed VERIFY refuses it first.
    const bool locked_out = sc == kTampered && mode == KG_POLICY_LOCKOUT &&
                            ((policy & KG_POLICY_THRESHOLD_MASK) >> KG_POLICY_THRESHOLD_SHIFT) <= 1;
    const uint32_t want = !keyed ? KG_ERR_OK
                          : locked_out ? KG_ERR_LOCKED_OUT
                          : mode == KG_POLICY_RUN ? KG_ERR_OK : KG_ERR_NOT_AUTH;
    EXPECT_EQ(want, err) << P.ctx;
  }
}

TEST(ModelXcheck, RandomLayers) {
  Pair P;
  const uint64_t n = env_u64("KG_MODEL_LAYERS", 200);
  std::mt19937_64 rng(env_u64("KG_MODEL_SEED", 20261122));
  Stats S;
  for (uint64_t i = 0; i < n; i++) one_layer(P, rng, S, i);
  std::printf("xcheck: %llu layers (ok %llu, desc err %llu, key %llu, bad param %llu, bus %llu, "
              "aborted %llu); %llu reads, %llu writes, %llu output bytes compared; %llu mismatches\n",
              (unsigned long long)S.layers, (unsigned long long)S.ok, (unsigned long long)S.desc_err,
              (unsigned long long)S.wrong, (unsigned long long)S.reserved, (unsigned long long)S.bus,
              (unsigned long long)S.aborted, (unsigned long long)P.reads, (unsigned long long)P.writes,
              (unsigned long long)P.bytes, (unsigned long long)P.mismatches);
  std::printf("xcheck: VERIFY outcomes:%s\n", P.verify_summary().c_str());
  if (S.ratio_n)
    std::printf("xcheck: model/RTL cycles over %llu good layers: mean %.3f min %.3f max %.3f\n",
                (unsigned long long)S.ratio_n, S.ratio_sum / double(S.ratio_n), S.ratio_min,
                S.ratio_max);
  EXPECT_EQ(0u, P.mismatches);
  EXPECT_GT(S.ok, n / 3);
  EXPECT_GT(S.desc_err + S.wrong, 0u);
}

// One authenticated model on both, then VERIFY with one of its outcomes
// (match; image or tag altered; misaligned, short or past-4-GiB region; bus
// error; an input written, LOAD_AES, ZEROIZE or SOFT_RESET meanwhile), and
// perhaps its layer, a moved copy or a version-1 layer after it.
void auth_sequence(Pair& P, std::mt19937_64& rng) {
  const kg_geom g = P.geom();
  const kgt::Keys k = kgt::random_keys(rng, g, 16 + 8 * unsigned(rng() % 3));
  const uint32_t policy = uint32_t(rng() % 3) | (uint32_t(rng() % 4) << KG_POLICY_THRESHOLD_SHIFT) |
                          (rng() % 3 == 0 ? KG_POLICY_LEGACY_MASK : 0u);
  // Most sequences lock the vault sooner or later; mostly start afresh then.
  if ((P.rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_LOCKED_MASK) && rng() % 4 != 0) P.reset();
  provision(P, k, k, policy);
  // A vault locked (or locked out) earlier in the sequence keeps its old
  // keys: the outcomes below are then compared, not predicted.
  const bool predictable =
      (P.rd(KG_REG_KEY_STATUS) & (KG_KEY_STATUS_LOCKED_MASK | KG_KEY_STATUS_LOCKED_OUT_MASK)) == 0;
  kgt::Layer L = kgt::random_layer(rng, g, rng() % 2, uint32_t(rng() % 3), rng() % 2, k);
  uint32_t addr = 0x100000u + 16u * uint32_t(rng() % 4096);
  const kgauth::Image im = place_model(P, L, k, addr, rng);
  uint32_t len = uint32_t(im.bytes.size());
  uint8_t tag[16];
  std::memcpy(tag, im.tag, 16);
  std::function<void()> meanwhile;
  const unsigned variant = unsigned(rng() % 12);
  switch (variant) {
    case 0: {
      const size_t at = rng() % im.bytes.size();
      const uint8_t b = uint8_t(im.bytes[at] ^ (1u << (rng() % 8)));
      P.mem(addr + at, &b, 1);
      break;
    }
    case 1: tag[rng() % 16] ^= uint8_t(1u << (rng() % 8)); break;
    case 2:
      if (rng() % 2) addr += 4u << (rng() % 2); else len += 4u << (rng() % 2);
      break;
    case 3:
      if (rng() % 2) len = 16u * uint32_t(rng() % 8); else addr = 0xfffffff0u - 16u * uint32_t(rng() % 8);
      break;
    case 4: {
      const uint32_t off = 16u * uint32_t(rng() % (len / 16));
      P.fault(KGSIM_DIR_READ, addr + off, addr + off + 16,
              rng() % 2 ? KGSIM_RESP_SLVERR : KGSIM_RESP_DECERR);
      break;
    }
    case 5: {
      static const uint32_t kInputs[] = {KG_REG_NONCE0, KG_REG_NONCE2, KG_REG_MODEL_ADDR,
                                         KG_REG_MODEL_LEN, KG_REG_TAG_EXP(1), KG_REG_AES_KEY(0),
                                         KG_REG_KEY_CFG};
      const uint32_t off = kInputs[rng() % (sizeof kInputs / sizeof kInputs[0])];
      meanwhile = [&P, off] { P.wr(off, P.rd(off)); };
      break;
    }
    case 6: {
      const uint32_t cmd = rng() % 3 == 0   ? KG_KEY_CTRL_LOAD_AES_MASK
                           : rng() % 2 == 0 ? KG_KEY_CTRL_ZEROIZE_MASK
                                            : 0u;
      meanwhile = [&P, cmd] {
        if (cmd)
          P.wr(KG_REG_KEY_CTRL, cmd);
        else
          P.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
      };
      break;
    }
    default: break;  // the image as built: a match
  }
  write_model_regs(P, addr, len, tag);
  const uint32_t err = verify(P, meanwhile, nullptr);
  P.clear_fault();
  if (predictable) {
    const uint32_t want = variant >= 7                   ? KG_ERR_OK
                          : variant <= 1                 ? KG_ERR_AUTH_FAIL
                          : variant == 4                 ? KG_ERR_BUS
                          : variant == 5 || variant == 6 ? KG_ERR_ABORTED
                                                         : err;  // 2, 3: see the next line
    EXPECT_EQ(want, err) << P.ctx << " variant " << variant;
    if (variant == 2 || variant == 3) {
      EXPECT_TRUE(err == KG_ERR_MISALIGNED || err == KG_ERR_TOO_BIG) << P.ctx << " err " << err;
    }
  }
  if (rng() % 2) {
    // Its layer (bound after a match), sometimes moved one block or with
    // another crypt mode or SIGN, or a version-1 layer.
    switch (rng() % 4) {
      case 0: L.d.w_addr += 16; break;
      case 1: L.d.crypt = (L.d.crypt + 1 + uint32_t(rng() % 2)) % 3; break;
      case 2: L.d.sign ^= 1u; break;
      default: break;
    }
    uint32_t words[16];
    kg_pack_desc(&L.d, words);
    place_io(P, L, L.desc_addr, words);
    P.wr(KG_REG_DESC_ADDR, L.desc_addr);
    P.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    P.run(4000000, nullptr, nullptr);
    const uint32_t st = P.rd(KG_REG_IRQ_STATUS);
    compare_state(P);
    P.compare_mem(L.d.out_addr, (size_t)L.M * L.d.out_stride, "output bytes");
    P.wr(KG_REG_IRQ_STATUS, st);
  }
}

// Random CSR sequences: reads of every register, writes of random values,
// vault commands (VERIFY included), lock, zeroize, soft reset, unmapped
// offsets, authenticated models.
TEST(ModelXcheck, RandomRegisterSequences) {
  Pair P;
  std::mt19937_64 rng(env_u64("KG_MODEL_SEED", 7));
  static const uint32_t kRead[] = {
      KG_REG_ID, KG_REG_VERSION, KG_REG_HW_ARRAY, KG_REG_HW_BUF, KG_REG_HW_CFG, KG_REG_CTRL,
      KG_REG_STATUS, KG_REG_DESC_ADDR, KG_REG_IRQ_STATUS, KG_REG_IRQ_ENABLE, KG_REG_KEY_CTRL,
      KG_REG_KEY_CFG, KG_REG_KEY_STATUS, KG_REG_POLICY, KG_REG_NONCE0, KG_REG_NONCE1,
      KG_REG_NONCE2, KG_REG_KCV_EXP0, KG_REG_KCV_EXP1, KG_REG_MODEL_ADDR, KG_REG_MODEL_LEN,
      KG_REG_TAG_EXP(0), KG_REG_TAG_EXP(1), KG_REG_TAG_EXP(2), KG_REG_TAG_EXP(3), 0x014, 0x018,
      0x01c, 0x02c, 0x038, 0x05c, 0x0a0, 0x0fc, 0x180, 0x238, 0x300, 0xffc};
  static const uint32_t kWrite[] = {
      KG_REG_ID, KG_REG_HW_CFG, KG_REG_STATUS, KG_REG_DESC_ADDR, KG_REG_IRQ_STATUS,
      KG_REG_IRQ_ENABLE, KG_REG_KEY_CFG, KG_REG_KEY_STATUS, KG_REG_POLICY, KG_REG_NONCE0,
      KG_REG_NONCE1, KG_REG_NONCE2, KG_REG_KCV_EXP0, KG_REG_KCV_EXP1, KG_REG_MODEL_ADDR,
      KG_REG_MODEL_LEN, KG_REG_TAG_EXP(0), KG_REG_TAG_EXP(1), KG_REG_TAG_EXP(2), KG_REG_TAG_EXP(3),
      KG_REG_PERF_BUSY_HI, 0x014, 0x02c, 0x05c, 0x0a0, 0x180, 0x400};
  const unsigned seqs = 40, ops = 150;
  for (unsigned s = 0; s < seqs; s++) {
    P.reset();
    for (unsigned i = 0; i < ops; i++) {
      P.ctx = "sequence " + std::to_string(s) + " op " + std::to_string(i);
      const unsigned x = unsigned(rng() % 100);
      if (x < 33) {
        P.rd(kRead[rng() % (sizeof kRead / sizeof kRead[0])]);
      } else if (x < 42) {
        P.rd(KG_REG_AES_KEY(rng() % 8));
        P.rd(KG_REG_SIGN_KEY(rng() % 32));
      } else if (x < 60) {
        uint32_t v = uint32_t(rng());
        const uint32_t off = kWrite[rng() % (sizeof kWrite / sizeof kWrite[0])];
        if (off == KG_REG_KEY_CFG) v &= 0xffffu;
        if (off == KG_REG_POLICY) v &= 0x1ffffu;  // MODE, THRESHOLD, LEGACY
        // A VERIFY of a random region stays short.
        if (off == KG_REG_MODEL_LEN) v &= 0x3ffu;
        if (off == KG_REG_MODEL_ADDR && rng() % 2) v &= 0xffffu;
        P.wr(off, v);
      } else if (x < 70) {
        P.wr(KG_REG_AES_KEY(rng() % 8), uint32_t(rng()));
        P.wr(KG_REG_SIGN_KEY(rng() % 32), uint32_t(rng()));
      } else if (x < 84) {
        // Vault commands; LOCK is rare so that most of a sequence is unlocked.
        uint32_t v = uint32_t(rng()) & (KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK |
                                       KG_KEY_CTRL_ZEROIZE_MASK | KG_KEY_CTRL_CHECK_MASK |
                                       KG_KEY_CTRL_VERIFY_MASK);
        if (rng() % 25 == 0) v |= KG_KEY_CTRL_LOCK_MASK;
        if (rng() % 3 == 0) v &= ~KG_KEY_CTRL_ZEROIZE_MASK;
        P.wr(KG_REG_KEY_CTRL, v);
        if (v & (KG_KEY_CTRL_CHECK_MASK | KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_VERIFY_MASK)) {
          P.step(5000);
          P.settle();
        }
      } else if (x < 89) {
        // Provision a consistent key and check it (a KCV match needs one).
        kgt::Keys k = kgt::random_keys(rng, P.geom(), 16 + 8 * unsigned(rng() % 3));
        provision(P, k, k, uint32_t(rng() % 4) | (uint32_t(rng() % 4) << 8) |
                               (rng() % 2 ? KG_POLICY_LEGACY_MASK : 0u));
      } else if (x < 95) {
        auth_sequence(P, rng);
      } else {
        P.wr(KG_REG_CTRL, rng() % 2 ? KG_CTRL_SOFT_RESET_MASK : KG_CTRL_PERF_CLEAR_MASK);
        P.step(100);
      }
    }
  }
  std::printf("register sequences: %llu reads, %llu writes; %llu mismatches; VERIFY outcomes:%s\n",
              (unsigned long long)P.reads, (unsigned long long)P.writes,
              (unsigned long long)P.mismatches, P.verify_summary().c_str());
  EXPECT_EQ(0u, P.mismatches);
}

}  // namespace
