// .kgq reader/writer: round trip, truncation at every byte, bit flips in the
// header and layer table, and one specific error per malformed field.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

extern "C" {
#include "kgml/kgq.h"
}
#include "test_util.h"

namespace {

using Bytes = std::vector<uint8_t>;

template <typename T>
T *alloc_fill(size_t n, const std::function<T(size_t)> &f) {
  T *p = static_cast<T *>(std::malloc(n * sizeof(T)));
  for (size_t i = 0; i < n; i++) p[i] = f(i);
  return p;
}

void set_layer(kg_qlayer *L, kgtest::Rng &r) {
  L->out_scale = 0.05f;
  L->bias = alloc_fill<int32_t>(L->N, [&](size_t) { return r.range(-5000, 5000); });
  L->mult = alloc_fill<int32_t>(L->N, [&](size_t) { return (int32_t)(1u << 30) + r.range(0, 1 << 29); });
  L->shift = alloc_fill<uint8_t>(L->N, [&](size_t) { return (uint8_t)r.range(30, 40); });
  L->w_scale = alloc_fill<float>(L->N, [&](size_t i) { return 0.01f * (float)(i + 1); });
  L->W = alloc_fill<int8_t>((size_t)L->K * L->N, [&](size_t) { return (int8_t)r.range(-127, 127); });
}

// conv 6x5x2 -(3x3/2 pad 1)-> 3x3x3, conv -(1x1/1)-> 3x3x4, fc 36 -> 5.
void small_model(kg_qmodel *m) {
  kgtest::Rng r(77);
  std::memset(m, 0, sizeof *m);
  m->in_h = 6;
  m->in_w = 5;
  m->in_c = 2;
  m->in_scale = 1.0f / 127.0f;
  m->n_layers = 3;
  m->layers = static_cast<kg_qlayer *>(std::calloc(3, sizeof(kg_qlayer)));
  kg_qlayer *L = m->layers;
  L[0] = kg_qlayer{KGQ_CONV, 1, 6, 5, 2, 3, 3, 3, 3, 3, 2, 1, 18, 3, 0, nullptr, nullptr, nullptr, nullptr, nullptr};
  L[1] = kg_qlayer{KGQ_CONV, 1, 3, 3, 3, 3, 3, 4, 1, 1, 1, 0, 3, 4, 0, nullptr, nullptr, nullptr, nullptr, nullptr};
  L[2] = kg_qlayer{KGQ_FC, 0, 3, 3, 4, 1, 1, 5, 0, 0, 0, 0, 36, 5, 0, nullptr, nullptr, nullptr, nullptr, nullptr};
  for (int i = 0; i < 3; i++) set_layer(&L[i], r);
}

Bytes serialize(const kg_qmodel &m) {
  uint8_t *b = nullptr;
  size_t len = 0;
  char d[KGML_DETAIL_LEN] = "";
  EXPECT_EQ(kg_qmodel_serialize(&m, &b, &len, d), KGML_OK) << d;
  Bytes v(b, b + len);
  std::free(b);
  return v;
}

int parse(const Bytes &b, std::string *msg = nullptr) {
  kg_qmodel m;
  char d[KGML_DETAIL_LEN] = "";
  int rc = kg_qmodel_parse(&m, b.data(), b.size(), d);
  if (rc == KGML_OK) {
    kg_qmodel_free(&m);
  } else {
    EXPECT_EQ(m.layers, nullptr);
    EXPECT_GT(std::strlen(d), 0u) << "no detail for code " << rc;
  }
  if (msg) *msg = d;
  return rc;
}

uint32_t rd32(const Bytes &b, size_t o) {
  return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | ((uint32_t)b[o + 3] << 24);
}
void wr32(Bytes &b, size_t o, uint32_t v) {
  for (int i = 0; i < 4; i++) b[o + i] = (uint8_t)(v >> (8 * i));
}
void fix_crc(Bytes &b) {
  wr32(b, b.size() - 4, (uint32_t)crc32(0L, b.data(), (uInt)(b.size() - 4)));
}
// Patch a field, repair the CRC, parse.
int patched(const std::function<void(Bytes &)> &f) {
  kg_qmodel m;
  small_model(&m);
  Bytes b = serialize(m);
  kg_qmodel_free(&m);
  f(b);
  fix_crc(b);
  return parse(b);
}

const size_t LT = 64;  // layer table offset
size_t layer(int l, size_t field) { return LT + 64 * (size_t)l + field; }

}  // namespace

TEST(Kgq, RoundTripIsExact) {
  kg_qmodel m, r;
  small_model(&m);
  const Bytes b = serialize(m);
  char d[KGML_DETAIL_LEN] = "";
  ASSERT_EQ(kg_qmodel_parse(&r, b.data(), b.size(), d), KGML_OK) << d;
  ASSERT_EQ(r.n_layers, m.n_layers);
  EXPECT_EQ(r.in_scale, m.in_scale);
  for (uint32_t l = 0; l < m.n_layers; l++) {
    const kg_qlayer &A = m.layers[l], &B = r.layers[l];
    EXPECT_EQ(A.type, B.type);
    EXPECT_EQ(A.K, B.K);
    EXPECT_EQ(A.N, B.N);
    EXPECT_EQ(A.stride, B.stride);
    EXPECT_EQ(A.pad, B.pad);
    EXPECT_EQ(A.relu, B.relu);
    EXPECT_EQ(0, std::memcmp(A.W, B.W, (size_t)A.K * A.N));
    EXPECT_EQ(0, std::memcmp(A.bias, B.bias, A.N * 4));
    EXPECT_EQ(0, std::memcmp(A.mult, B.mult, A.N * 4));
    EXPECT_EQ(0, std::memcmp(A.shift, B.shift, A.N));
    EXPECT_EQ(0, std::memcmp(A.w_scale, B.w_scale, A.N * 4));
  }
  EXPECT_EQ(serialize(r), b);
  // Same through a file.
  const std::string p = kgtest::tmp_path("small.kgq");
  kg_qmodel f;
  ASSERT_EQ(kg_qmodel_save(&m, p.c_str(), d), KGML_OK) << d;
  ASSERT_EQ(kg_qmodel_load(&f, p.c_str(), d), KGML_OK) << d;
  EXPECT_EQ(serialize(f), b);
  // Inference works on the parsed model and gives the same logits.
  std::vector<int8_t> x(kg_qmodel_input_size(&m), 17), l1(5), l2(5);
  ASSERT_EQ(kg_qmodel_infer(&m, x.data(), l1.data(), nullptr), KGML_OK);
  ASSERT_EQ(kg_qmodel_infer(&f, x.data(), l2.data(), nullptr), KGML_OK);
  EXPECT_EQ(l1, l2);
  kg_qmodel_free(&f);
  kg_qmodel_free(&r);
  kg_qmodel_free(&m);
  EXPECT_EQ(m.layers, nullptr);
  kg_qmodel_free(&m);  // a second free is harmless
  EXPECT_EQ(kg_qmodel_load(&f, kgtest::tmp_path("missing.kgq").c_str(), d), KGML_E_NOENT);
}

TEST(Kgq, TruncatedAtEveryByte) {
  kg_qmodel m;
  small_model(&m);
  const Bytes b = serialize(m);
  kg_qmodel_free(&m);
  for (size_t len = 0; len < b.size(); len++)
    ASSERT_EQ(parse(Bytes(b.begin(), b.begin() + (long)len)), KGML_E_TRUNCATED) << len;
  Bytes longer = b;
  longer.push_back(0);
  EXPECT_EQ(parse(longer), KGML_E_TRAILING);
}

TEST(Kgq, EveryBitFlipInHeaderAndLayerTable) {
  kg_qmodel m;
  small_model(&m);
  const Bytes b = serialize(m);
  kg_qmodel_free(&m);
  const size_t end = LT + 64 * 3;
  for (size_t i = 0; i < end; i++)
    for (int bit = 0; bit < 8; bit++) {
      Bytes c = b;
      c[i] ^= (uint8_t)(1u << bit);
      const int rc = parse(c);
      if (i < 4)
        ASSERT_EQ(rc, KGML_E_MAGIC) << i;
      else if (i < 6)
        ASSERT_EQ(rc, KGML_E_VERSION) << i;
      else if (i >= 56 && i < 60)  // total size
        ASSERT_TRUE(rc == KGML_E_TRUNCATED || rc == KGML_E_TRAILING) << i << " " << rc;
      else
        ASSERT_EQ(rc, KGML_E_CRC) << i << " bit " << bit;
    }
  // Flipping a weight or parameter byte, or the CRC itself, is caught too.
  for (size_t i = end; i < b.size(); i += 5) {
    Bytes c = b;
    c[i] ^= 0x10;
    ASSERT_EQ(parse(c), KGML_E_CRC) << i;
  }
}

TEST(Kgq, SpecificErrorPerMalformedField) {
  EXPECT_EQ(patched([](Bytes &) {}), KGML_OK);
  EXPECT_EQ(patched([](Bytes &b) { b[6] = 60; }), KGML_E_HEADER) << "header size";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 8, 1); }), KGML_E_HEADER) << "flags";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 60, 1); }), KGML_E_HEADER) << "reserved";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 12, 0); }), KGML_E_HEADER) << "0 layers";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 12, 1000); }), KGML_E_HEADER) << "1000 layers";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 12, 2); }), KGML_E_LAYOUT) << "layer count vs offsets";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 32, 3); }), KGML_E_HEADER) << "zero point";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 28, 0x7fc00000u); }), KGML_E_SCALE) << "NaN scale";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 28, 0xbf800000u); }), KGML_E_SCALE) << "-1 scale";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 16, 0); }), KGML_E_DIMS) << "input h 0";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 24, 0x00100000u); }), KGML_E_DIMS) << "input c huge";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 16, 7); }), KGML_E_CHAIN) << "input vs layer 0";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(1, 0)] = 3; }), KGML_E_LAYER_TYPE) << "type 3";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(0, 1)] = 2; }), KGML_E_HEADER) << "relu 2";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(1, 16), 4); }), KGML_E_CHAIN) << "layer 1 in_c";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 8), 2); }), KGML_E_CHAIN) << "layer 2 in_h";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(0, 4)] = 3; }), KGML_E_CONV) << "stride 3";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(0, 2)] = 9; }), KGML_E_CONV) << "kernel 9";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(0, 5)] = 3; }), KGML_E_CONV) << "pad >= kernel";
  EXPECT_EQ(patched([](Bytes &b) { b[layer(2, 4)] = 1; }), KGML_E_CONV) << "FC with stride";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(0, 20), 4); }), KGML_E_DIMS) << "conv out_h";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(0, 32), 17); }), KGML_E_DIMS) << "conv K";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 32), 35); }), KGML_E_DIMS) << "FC K";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 36), 6); }), KGML_E_DIMS) << "N vs out_c";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 28), 70000); }), KGML_E_DIMS) << "out_c huge";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 20), 2); }), KGML_E_DIMS) << "FC out_h";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(1, 40), 0); }), KGML_E_SCALE) << "out scale 0";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(1, 56), 1); }), KGML_E_HEADER) << "reserved";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(1, 44), 4); }), KGML_E_LAYOUT) << "params off";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 48), 0); }), KGML_E_LAYOUT) << "weights off";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, layer(2, 52), 1); }), KGML_E_LAYOUT) << "weights size";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 40, rd32(b, 40) + 4); }), KGML_E_LAYOUT) << "P_OFF";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 44, rd32(b, 44) + 4); }), KGML_E_LAYOUT) << "P_SIZE";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 48, rd32(b, 48) - 1); }), KGML_E_LAYOUT) << "W_OFF";
  EXPECT_EQ(patched([](Bytes &b) { wr32(b, 36, 68); }), KGML_E_LAYOUT) << "LT_OFF";
  // Parameter section of layer 0 (N = 3): bias[3], mult[3], w_scale[3], shift[3], pad.
  const size_t p0 = LT + 64 * 3;
  EXPECT_EQ(patched([&](Bytes &b) { wr32(b, p0 + 12, 0x80000000u); }), KGML_E_REQUANT) << "mult<0";
  EXPECT_EQ(patched([&](Bytes &b) { b[p0 + 36] = 0; }), KGML_E_REQUANT) << "shift 0";
  EXPECT_EQ(patched([&](Bytes &b) { b[p0 + 37] = 63; }), KGML_E_REQUANT) << "shift 63";
  EXPECT_EQ(patched([&](Bytes &b) { wr32(b, p0 + 24, 0xff800000u); }), KGML_E_SCALE) << "w_scale";
  EXPECT_EQ(patched([&](Bytes &b) { b[p0 + 39] = 1; }), KGML_E_HEADER) << "shift padding";
  EXPECT_EQ(patched([](Bytes &b) { b[b.size() - 5] = 0x80; }), KGML_E_WEIGHT) << "weight -128";
  EXPECT_EQ(patched([](Bytes &b) { std::memcpy(b.data(), "KGQN", 4); }), KGML_E_MAGIC);
  EXPECT_EQ(patched([](Bytes &b) { b[4] = 2; }), KGML_E_VERSION);
}

TEST(Kgq, RandomMutationsWithValidCrcNeverCrash) {
  // Corrupt 1-4 random bytes anywhere before the CRC and repair the CRC, so
  // the structural checks (not the CRC) must catch the damage. Whatever a
  // mutation does, the parser returns a code; if it accepts the file, the
  // model must be safe to run. (Meaningful under ASan/UBSan too.)
  kg_qmodel m;
  small_model(&m);
  const Bytes b = serialize(m);
  kg_qmodel_free(&m);
  kgtest::Rng r(2024);
  int accepted = 0, rejected = 0;
  std::vector<int8_t> x(6 * 5 * 2, 100);
  for (int it = 0; it < 4000; it++) {
    Bytes c = b;
    const int nmut = r.range(1, 4);
    // Half the mutations target the header and layer table.
    for (int k = 0; k < nmut; k++) {
      const size_t lim = (it & 1) ? LT + 64 * 3 : c.size() - 4;
      c[r.next() % lim] = (uint8_t)r.next();
    }
    fix_crc(c);
    kg_qmodel q;
    const int rc = kg_qmodel_parse(&q, c.data(), c.size(), nullptr);
    ASSERT_LE(rc, 0);
    ASSERT_GE(rc, KGML_E_THREAD);
    if (rc == KGML_OK) {
      accepted++;
      std::vector<int8_t> out(kg_qmodel_classes(&q));
      ASSERT_EQ(kg_qmodel_input_size(&q), x.size());
      EXPECT_EQ(kg_qmodel_infer(&q, x.data(), out.data(), nullptr), KGML_OK);
      kg_qmodel_free(&q);
    } else {
      rejected++;
      ASSERT_EQ(q.layers, nullptr);
    }
  }
  // Both outcomes occur: bias/weight changes stay valid, most header ones do not.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 1000);
}

TEST(Kgq, WriterValidatesInMemoryModel) {
  kg_qmodel m;
  small_model(&m);
  uint8_t *b = nullptr;
  size_t len = 0;
  m.layers[1].W[3] = -128;
  EXPECT_EQ(kg_qmodel_serialize(&m, &b, &len, nullptr), KGML_E_WEIGHT);
  m.layers[1].W[3] = 1;
  m.layers[2].K = 30;
  EXPECT_EQ(kg_qmodel_serialize(&m, &b, &len, nullptr), KGML_E_DIMS);
  m.layers[2].K = 36;
  m.layers[0].shift[1] = 70;
  EXPECT_EQ(kg_qmodel_serialize(&m, &b, &len, nullptr), KGML_E_REQUANT);
  m.layers[0].shift[1] = 31;
  EXPECT_EQ(kg_qmodel_serialize(&m, &b, &len, nullptr), KGML_OK);
  std::free(b);
  EXPECT_EQ(kg_qmodel_infer(nullptr, nullptr, nullptr, nullptr), KGML_E_INVAL);
  kg_qmodel_free(&m);
}
