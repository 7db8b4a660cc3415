// Malformed .kgm files: each gets its own error code, never a crash.
// Built on the standard 3-layer model (conv + 2 FC, CTR, sign-locked, 4x4).
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "test_kgm_util.h"

using namespace kgmtest;

namespace {

std::vector<uint8_t> base() {
  static const std::vector<uint8_t> b = standard_file();
  return b;
}

float as_float(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// Offsets of docs/model-format.md.
constexpr size_t H_FILESIZE = 12, H_LT = 68, H_P_OFF = 72, H_P_LEN = 76, H_W_OFF = 80,
                 H_W_LEN = 84, H_AUTH_SIZE = 88, LT = 128;
constexpr size_t L_IN_H = 8, L_IN_C = 16, L_OUT_C = 28, L_K = 32, L_N = 36, L_W_OFF = 40,
                 L_W_LEN = 44, L_P_OFF = 48;

int parse_fixed(std::vector<uint8_t> b) {
  fix_crc(b);
  return parse(b);
}

}  // namespace

TEST(KgmMalformed, BaseParses) {
  ASSERT_FALSE(base().empty());
  EXPECT_EQ(parse(base()), KG_OK);
}

TEST(KgmMalformed, TruncatedAtEveryByte) {
  const std::vector<uint8_t> b = base();
  ASSERT_FALSE(b.empty());
  for (size_t n = 0; n < b.size(); n++) {
    // A fresh heap copy of exactly n bytes, so ASan sees any over-read.
    std::vector<uint8_t> t(b.begin(), b.begin() + (long)n);
    kgm_model m;
    char d[KG_DETAIL_LEN];
    ASSERT_EQ(kgm_parse(&m, t.data(), t.size(), d), KG_E_TRUNCATED) << "length " << n;
    EXPECT_EQ(m.layers, nullptr);
    EXPECT_EQ(m.n_layers, 0u);
  }
}

TEST(KgmMalformed, TrailingBytesAreOutOfRange) {
  std::vector<uint8_t> b = base();
  b.push_back(0);
  EXPECT_EQ(parse(b), KG_E_RANGE);
}

TEST(KgmMalformed, NullAndEmpty) {
  kgm_model m;
  char d[KG_DETAIL_LEN];
  EXPECT_EQ(kgm_parse(&m, nullptr, 0, d), KG_E_TRUNCATED);
  EXPECT_EQ(kgm_parse(&m, nullptr, 10, d), KG_E_INVAL);
  EXPECT_EQ(kgm_parse(nullptr, base().data(), base().size(), d), KG_E_INVAL);
  EXPECT_EQ(kgm_parse(&m, base().data(), base().size(), nullptr), KG_OK);  // detail optional
  kgm_model_free(&m);
}

// Every header field at edge values, CRC recomputed so that the field check
// (not the CRC) must catch it. Values equal to the original are skipped.
struct FieldCase {
  const char *name;
  size_t off;
  unsigned width;
  std::vector<std::pair<uint32_t, int>> values;
};

TEST(KgmMalformed, HeaderFieldEdgeValues) {
  const std::vector<uint8_t> b0 = base();
  ASSERT_FALSE(b0.empty());
  const uint32_t size = (uint32_t)b0.size();
  const uint32_t p_off = rd32(b0, H_P_OFF), p_len = rd32(b0, H_P_LEN);
  const uint32_t w_off = rd32(b0, H_W_OFF), w_len = rd32(b0, H_W_LEN);
  const uint32_t auth = rd32(b0, H_AUTH_SIZE);
  // The base is version 2: SIGN | AUTH, CTR, AES-128.
  const std::vector<FieldCase> cases = {
      {"magic", 0, 4, {{0, KG_E_MAGIC}, {1, KG_E_MAGIC}, {0xFFFFFFFF, KG_E_MAGIC}}},
      // Version 1 does not know AUTH.
      {"version", 4, 2, {{0, KG_E_VERSION}, {1, KG_E_FLAGS}, {3, KG_E_VERSION}, {0xFFFF, KG_E_VERSION}}},
      {"header_size", 6, 2, {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {64, KG_E_HEADER}, {0xFFFF, KG_E_HEADER}}},
      // A keyed version-2 model must carry AUTH; CTR without SIGN is keyed too.
      {"flags", 8, 4,
       {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {2, KG_OK}, {0xFFFF0003u, KG_OK}, {4, KG_E_FLAGS},
        {0x8003, KG_E_FLAGS}, {0xFFFFFFFF, KG_E_FLAGS}}},
      {"file_size", H_FILESIZE, 4,
       {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {131, KG_E_HEADER}, {size - 1, KG_E_RANGE},
        {size + 1, KG_E_TRUNCATED}, {KGM_MAX_FILE, KG_E_TRUNCATED}, {KGM_MAX_FILE + 1, KG_E_TOO_BIG},
        {0xFFFFFFFF, KG_E_TOO_BIG}}},
      {"rows", 16, 2, {{0, KG_E_HEADER}, {1, KG_E_LAYER}, {3, KG_E_HEADER}, {64, KG_E_LAYER},
                       {256, KG_E_HEADER},
                       {128, KG_E_HEADER}, {0xFFFF, KG_E_HEADER}}},
      {"cols", 18, 2, {{0, KG_E_HEADER}, {1, KG_E_LAYER}, {64, KG_E_LAYER}, {128, KG_E_HEADER},
                       {0xFFFF, KG_E_HEADER}}},
      // crypt none + SIGN is still authenticated: aes_len, nonce and KCV stay.
      {"crypt", 20, 1, {{0, KG_OK}, {1, KG_OK}, {3, KG_E_HEADER}, {0xFF, KG_E_HEADER}}},
      {"aes_len", 21, 1, {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {24, KG_OK}, {32, KG_OK}, {0xFF, KG_E_HEADER}}},
      {"reserved0", 22, 2, {{1, KG_E_HEADER}, {0xFFFF, KG_E_HEADER}}},
      {"nonce", 24, 4, {{0, KG_OK}, {0xFFFFFFFF, KG_OK}}},
      {"kcv", 36, 4, {{0, KG_OK}, {0xFFFFFFFF, KG_OK}}},
      {"in_h", 44, 4, {{0, KG_E_HEADER}, {1, KG_E_LAYER}, {KGM_MAX_SIDE, KG_E_LAYER},
                       {KGM_MAX_SIDE + 1, KG_E_TOO_BIG}, {0xFFFFFFFF, KG_E_TOO_BIG}}},
      {"in_w", 48, 4, {{0, KG_E_HEADER}, {1, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}},
      {"in_c", 52, 4, {{0, KG_E_HEADER}, {1, KG_E_LAYER}, {KGM_MAX_CHANNELS + 1, KG_E_TOO_BIG},
                       {0xFFFFFFFF, KG_E_TOO_BIG}}},
      {"in_scale", 56, 4, {{0, KG_E_HEADER}, {1, KG_OK}, {0x7F800000, KG_E_HEADER},
                           {0xBF800000, KG_E_HEADER}, {0xFFFFFFFF, KG_E_HEADER}}},
      {"in_zero", 60, 4, {{1, KG_OK}, {127, KG_OK}, {128, KG_E_HEADER}, {0xFFFFFF80, KG_OK},
                          {0xFFFFFF7F, KG_E_HEADER}, {0xFFFFFFFF, KG_OK}}},
      // Fewer layers leave unused (CRC-covered) data: still a valid model.
      {"n_layers", 64, 4, {{0, KG_E_HEADER}, {1, KG_OK}, {2, KG_OK}, {4, KG_E_OVERLAP},
                           {KGM_MAX_LAYERS + 1, KG_E_TOO_BIG}, {0xFFFFFFFF, KG_E_TOO_BIG}}},
      {"layer_table_offset", H_LT, 4, {{0, KG_E_OVERLAP}, {1, KG_E_HEADER}, {112, KG_E_OVERLAP},
                                       {144, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE},
                                       {0xFFFFFFFF, KG_E_HEADER}}},
      {"params_offset", H_P_OFF, 4, {{0, KG_E_OVERLAP}, {1, KG_E_HEADER}, {p_off - 16, KG_E_OVERLAP},
                                     {p_off + 16, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE},
                                     {0xFFFFFFFF, KG_E_HEADER}}},
      {"params_size", H_P_LEN, 4, {{0, KG_E_RANGE}, {1, KG_E_HEADER}, {p_len - 16, KG_E_RANGE},
                                   {p_len + 16, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE},
                                   {0xFFFFFFFF, KG_E_HEADER}}},
      // A weight image that no longer ends at auth_size: HEADER (the tag's
      // coverage and the sections disagree) once the section itself fits.
      {"weights_offset", H_W_OFF, 4, {{0, KG_E_OVERLAP}, {1, KG_E_HEADER}, {w_off - 16, KG_E_OVERLAP},
                                      {w_off + 16, KG_E_HEADER}, {w_off + 32, KG_E_RANGE},
                                      {0xFFFFFFF0, KG_E_RANGE}, {0xFFFFFFFF, KG_E_HEADER}}},
      {"weights_size", H_W_LEN, 4, {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {w_len - 16, KG_E_HEADER},
                                    {w_len + 16, KG_E_HEADER}, {w_len + 32, KG_E_RANGE},
                                    {0xFFFFFFF0, KG_E_RANGE}, {0xFFFFFFFF, KG_E_HEADER}}},
      {"auth_size", H_AUTH_SIZE, 4, {{0, KG_E_HEADER}, {1, KG_E_HEADER}, {auth - 16, KG_E_HEADER},
                                     {auth + 16, KG_E_HEADER}, {w_off, KG_E_HEADER},
                                     {0xFFFFFFF0, KG_E_HEADER}, {0xFFFFFFFF, KG_E_HEADER}}},
      {"reserved1.first", 92, 4, {{1, KG_E_HEADER}, {0xFFFFFFFF, KG_E_HEADER}}},
      {"reserved1.last", 124, 4, {{1, KG_E_HEADER}, {0xFFFFFFFF, KG_E_HEADER}}},
  };
  for (const FieldCase &c : cases)
    for (const auto &v : c.values) {
      std::vector<uint8_t> b = b0;
      wr(b, c.off, c.width, v.first);
      EXPECT_EQ(parse_fixed(b), v.second) << c.name << " = 0x" << std::hex << v.first;
    }
}

TEST(KgmMalformed, LayerFieldEdgeValues) {
  const std::vector<uint8_t> b0 = base();
  ASSERT_FALSE(b0.empty());
  // Layer 0: conv 6x6x3 -> 3x3x5; layer 1: FC 144 -> 10; layer 2: FC 10 -> 4.
  const std::vector<std::pair<uint32_t, FieldCase>> cases = {
      {0, {"type", 0, 1, {{0, KG_E_LAYER}, {1, KG_E_LAYER}, {3, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {1, {"type", 0, 1, {{0, KG_E_LAYER}, {2, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {0, {"relu", 1, 1, {{0, KG_OK}, {2, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {0, {"kh", 2, 1, {{0, KG_E_LAYER}, {1, KG_E_LAYER}, {7, KG_E_LAYER}, {8, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {0, {"kw", 3, 1, {{0, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {0, {"stride", 4, 1, {{0, KG_E_LAYER}, {1, KG_E_LAYER}, {3, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {0, {"pad", 5, 1, {{0, KG_E_LAYER}, {3, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {1, {"kh(FC)", 2, 1, {{1, KG_E_LAYER}, {0xFF, KG_E_LAYER}}}},
      {1, {"pad(FC)", 5, 1, {{1, KG_E_LAYER}}}},
      {0, {"reserved0", 6, 2, {{1, KG_E_LAYER}, {0xFFFF, KG_E_LAYER}}}},
      {0, {"in_h", L_IN_H, 4, {{0, KG_E_LAYER}, {1, KG_E_LAYER}, {KGM_MAX_SIDE + 1, KG_E_TOO_BIG},
                               {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {0, {"in_c", L_IN_C, 4, {{0, KG_E_LAYER}, {1, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {1, {"in_h(FC)", L_IN_H, 4, {{0, KG_E_LAYER}, {3, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {1, {"in_c(FC)", L_IN_C, 4, {{0, KG_E_LAYER}, {45, KG_E_LAYER}, {0xFFFFFFFF, KG_E_LAYER}}}},
      {0, {"out_h", 20, 4, {{0, KG_E_LAYER}, {2, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {0, {"out_w", 24, 4, {{0, KG_E_LAYER}, {4, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {0, {"out_c", L_OUT_C, 4, {{0, KG_E_LAYER}, {6, KG_E_LAYER}, {KGM_MAX_CHANNELS + 1, KG_E_TOO_BIG},
                                 {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {0, {"K", L_K, 4, {{0, KG_E_LAYER}, {26, KG_E_LAYER}, {KGM_MAX_K + 1, KG_E_TOO_BIG},
                         {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {1, {"K(FC)", L_K, 4, {{0, KG_E_LAYER}, {45, KG_E_LAYER}, {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {2, {"N", L_N, 4, {{0, KG_E_LAYER}, {5, KG_E_LAYER}, {KGM_MAX_CHANNELS + 1, KG_E_TOO_BIG},
                         {0xFFFFFFFF, KG_E_TOO_BIG}}}},
      {0, {"w_off", L_W_OFF, 4, {{1, KG_E_LAYER}, {16, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE},
                                 {0xFFFFFFFF, KG_E_LAYER}}}},
      {2, {"w_off", L_W_OFF, 4, {{0, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE}}}},
      {1, {"w_len", L_W_LEN, 4, {{0, KG_E_LAYER}, {16, KG_E_LAYER}, {0xFFFFFFFF, KG_E_LAYER}}}},
      {0, {"p_off", L_P_OFF, 4, {{1, KG_E_LAYER}, {16, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE},
                                 {0xFFFFFFFF, KG_E_LAYER}}}},
      {2, {"p_off", L_P_OFF, 4, {{0, KG_E_OVERLAP}, {0xFFFFFFF0, KG_E_RANGE}}}},
      {0, {"out_scale", 52, 4, {{0, KG_E_LAYER}, {1, KG_OK}, {0x7FC00000, KG_E_LAYER},
                                {0xFFFFFFFF, KG_E_LAYER}}}},
      {2, {"reserved1", 56, 4, {{1, KG_E_LAYER}, {0xFFFFFFFF, KG_E_LAYER}}}},
      {2, {"reserved2", 60, 4, {{1, KG_E_LAYER}, {0xFFFFFFFF, KG_E_LAYER}}}},
  };
  for (const auto &lc : cases)
    for (const auto &v : lc.second.values) {
      std::vector<uint8_t> b = b0;
      wr(b, LT + 64 * lc.first + lc.second.off, lc.second.width, v.first);
      EXPECT_EQ(parse_fixed(b), v.second)
          << "layer " << lc.first << " " << lc.second.name << " = 0x" << std::hex << v.first;
    }
}

// Expected outcome of a one-bit change at byte i (new value nb) with the CRC
// fixed: KG_OK only for fields the reader cannot check (informational or
// keyed) when the new value is still in range.
static bool informational(const std::vector<uint8_t> &b, size_t i) {
  auto f32 = [&](size_t o) { return as_float(rd32(b, o)); };
  auto pos = [](float x) { return std::isfinite(x) && x > 0.0f; };
  if (i >= 24 && i < 44) return true;                           // nonce, kcv
  if (i == 8) return b[8] == 2 || b[8] == 3;                    // flags: AUTH, +SIGN
  if (i == 10 || i == 11) return true;                          // optional flags
  if (i == 20) return b[20] <= 2;                               // crypt (AUTH keeps aes_len)
  if (i == 21) return b[21] == 16 || b[21] == 24 || b[21] == 32;  // aes_len
  if (i >= 56 && i < 60) return pos(f32(56));                   // in_scale
  if (i >= 60 && i < 64) {                                      // in_zero
    const int32_t z = (int32_t)rd32(b, 60);
    return z >= -128 && z <= 127;
  }
  if (i >= 64 && i < 68) return rd32(b, 64) == 1 || rd32(b, 64) == 2;  // n_layers
  if (i >= LT && i < LT + 3 * 64) {
    const size_t e = LT + (i - LT) / 64 * 64, o = (i - LT) % 64;
    if (o == 1) return b[i] <= 1;             // relu
    if (o >= 52 && o < 56) return pos(f32(e + 52));  // out_scale
  }
  return false;
}

TEST(KgmMalformed, BitFlipInHeaderAndLayerTable) {
  const std::vector<uint8_t> b0 = base();
  ASSERT_FALSE(b0.empty());
  const size_t end = LT + 3 * 64;
  int ok_count = 0;
  for (size_t i = 0; i < end; i++)
    for (int bit = 0; bit < 8; bit++) {
      std::vector<uint8_t> b = b0;
      b[i] ^= (uint8_t)(1u << bit);
      // Checks made before the CRC: magic, version, header size, file size.
      int pre = KG_E_CRC;
      if (i < 4) pre = KG_E_MAGIC;
      else if (i < 6) pre = KG_E_VERSION;
      else if (i < 8) pre = KG_E_HEADER;
      else if (i >= H_FILESIZE && i < H_FILESIZE + 4) {
        const uint32_t fs = rd32(b, H_FILESIZE);
        pre = fs > KGM_MAX_FILE ? KG_E_TOO_BIG
              : fs < 132        ? KG_E_HEADER
              : fs > b.size()   ? KG_E_TRUNCATED
                                : KG_E_RANGE;
      }
      EXPECT_EQ(parse(b), pre) << "byte " << i << " bit " << bit << " (CRC not fixed)";
      fix_crc(b);
      const int rc = parse(b);
      if (pre != KG_E_CRC) {
        EXPECT_EQ(rc, pre) << "byte " << i << " bit " << bit;
      } else if (informational(b, i)) {
        EXPECT_EQ(rc, KG_OK) << "byte " << i << " bit " << bit << " (informational)";
        ok_count++;
      } else {
        EXPECT_TRUE(rc == KG_E_HEADER || rc == KG_E_LAYER || rc == KG_E_RANGE ||
                    rc == KG_E_OVERLAP || rc == KG_E_TOO_BIG || rc == KG_E_FLAGS)
            << "byte " << i << " bit " << bit << " gave " << rc << " " << kg_strerror(rc);
      }
    }
  EXPECT_GT(ok_count, 160);  // the nonce and KCV alone give 160
}

TEST(KgmMalformed, FlipInParamsOrWeightsIsCrc) {
  const std::vector<uint8_t> b0 = base();
  for (size_t i = LT + 3 * 64; i < b0.size(); i += 7) {
    std::vector<uint8_t> b = b0;
    b[i] ^= 0x10;
    EXPECT_EQ(parse(b), KG_E_CRC) << i;
  }
}

TEST(KgmMalformed, BadParameterRecordWithFixedCrc) {
  const std::vector<uint8_t> b0 = base();
  const uint32_t p = rd32(b0, H_P_OFF);
  std::vector<uint8_t> b = b0;
  wr(b, p + 4, 4, 0x80000000u);  // negative mult
  EXPECT_EQ(parse_fixed(b), KG_E_LAYER);
  b = b0;
  b[p + 8] = 0;  // shift 0
  EXPECT_EQ(parse_fixed(b), KG_E_LAYER);
  b = b0;
  b[p + 8] = 63;
  EXPECT_EQ(parse_fixed(b), KG_E_LAYER);
  b = b0;
  b[p + 15] = 1;  // padding
  EXPECT_EQ(parse_fixed(b), KG_E_LAYER);
}

TEST(KgmMalformed, OversizedDimensions) {
  kgm_model m;
  ASSERT_EQ(lock_standard(&m), KG_OK);
  char d[KG_DETAIL_LEN];
  m.in_h = KGM_MAX_SIDE + 1;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_TOO_BIG) << d;
  m.in_h = 6;
  m.layers[2].N = m.layers[2].out_c = KGM_MAX_CHANNELS + 1;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_TOO_BIG) << d;
  m.layers[2].N = m.layers[2].out_c = 4;
  m.n_layers = KGM_MAX_LAYERS + 1;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_TOO_BIG) << d;
  m.n_layers = 3;
  const size_t wl = m.wimg_len;
  m.wimg_len = (size_t)KGM_MAX_FILE;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_TOO_BIG) << d;
  m.wimg_len = wl;
  EXPECT_EQ(kgm_validate(&m, d), KG_OK) << d;
  kgm_model_free(&m);
}

TEST(KgmMalformed, OverlappingAndOutOfRangeLayerData) {
  const std::vector<uint8_t> b0 = base();
  const size_t e1 = LT + 64, e2 = LT + 128;
  std::vector<uint8_t> b = b0;
  // Layer 2's weights moved onto layer 1's.
  wr(b, e2 + L_W_OFF, 4, rd32(b0, e1 + L_W_OFF));
  EXPECT_EQ(parse_fixed(b), KG_E_OVERLAP);
  // Layer 2's weights moved past the image end.
  b = b0;
  wr(b, e2 + L_W_OFF, 4, rd32(b0, H_W_LEN));
  EXPECT_EQ(parse_fixed(b), KG_E_RANGE);
  // Parameters of layer 1 overlapping layer 0's records.
  b = b0;
  wr(b, e1 + L_P_OFF, 4, rd32(b0, e1 + L_P_OFF) - 16);
  EXPECT_EQ(parse_fixed(b), KG_E_OVERLAP);
  // Parameter section overlapping the layer table.
  b = b0;
  wr(b, H_P_OFF, 4, LT + 2 * 64);
  EXPECT_EQ(parse_fixed(b), KG_E_OVERLAP);
  // Weight image overlapping the parameter section.
  b = b0;
  wr(b, H_W_OFF, 4, rd32(b0, H_W_OFF) - 16);
  EXPECT_EQ(parse_fixed(b), KG_E_OVERLAP);
}

TEST(KgmMalformed, FcAfterConvNeedsThePaddedK) {
  // An FC after a conv reads the hardware's 16-byte pixels: K = 3*3*16 =
  // 144. The dense flatten (3*3*5 = 45) is refused by the reader, since the
  // runtime does not compact a convolution's output; so is anything else.
  kgm_model m;
  ASSERT_EQ(lock_standard(&m), KG_OK);
  char d[KG_DETAIL_LEN];
  EXPECT_EQ(m.layers[1].K, 144u);
  EXPECT_EQ(kgm_validate(&m, d), KG_OK) << d;
  const kg_geom g = {4, 4};
  for (uint32_t k : {45u, 48u}) {
    m.layers[1].K = m.layers[1].in_c = k;
    m.layers[1].w_len = (uint32_t)kg_pack_weight_bytes(k, 10, g);
    EXPECT_EQ(kgm_validate(&m, d), KG_E_LAYER) << k;
    EXPECT_NE(std::string(d).find("K must be 144"), std::string::npos) << d;
  }
  kgm_model_free(&m);
}

TEST(KgmMalformed, UnkeyedModelMustHaveNoKeyMaterial) {
  for (uint32_t version : {1u, 2u}) {
    SCOPED_TRACE("version " + std::to_string(version));
    // Version 1: crypt none, with or without SIGN; version 2: no key at all.
    std::vector<uint8_t> b0 = standard_file(KGM_CRYPT_NONE, version == 1, version);
    ASSERT_FALSE(b0.empty());
    EXPECT_EQ(parse(b0), KG_OK);
    std::vector<uint8_t> b = b0;
    b[21] = 16;  // aes_len with no encryption
    EXPECT_EQ(parse_fixed(b), KG_E_HEADER);
    b = b0;
    b[30] = 1;  // nonce byte
    EXPECT_EQ(parse_fixed(b), KG_E_HEADER);
    b = b0;
    b[40] = 1;  // KCV byte
    EXPECT_EQ(parse_fixed(b), KG_E_HEADER);
  }
}

// Version 2: the AUTH flag, auth_size and the tag, each rule with its code.
TEST(KgmMalformed, Version2AuthFields) {
  const std::vector<uint8_t> b0 = base();
  ASSERT_FALSE(b0.empty());
  const uint32_t auth = rd32(b0, H_AUTH_SIZE);
  ASSERT_EQ(auth, rd32(b0, H_W_OFF) + rd32(b0, H_W_LEN));
  ASSERT_EQ(b0.size(), auth + KGM_TAG_SIZE + 4u);
  // The tag is opaque to the reader: any value parses (the device checks it).
  std::vector<uint8_t> b = b0;
  b[auth] ^= 0xFF;
  EXPECT_EQ(parse(b), KG_E_CRC);
  EXPECT_EQ(parse_fixed(b), KG_OK);
  // No tag: the weight image runs into the CRC.
  b.assign(b0.begin(), b0.begin() + auth);
  b.resize(auth + 4u);
  wr(b, H_FILESIZE, 4, (uint32_t)b.size());
  EXPECT_EQ(parse_fixed(b), KG_E_RANGE);
  // 16 bytes more between the weight image and the CRC.
  b = b0;
  b.insert(b.begin() + auth, 16, 0);
  wr(b, H_FILESIZE, 4, (uint32_t)b.size());
  EXPECT_EQ(parse_fixed(b), KG_E_RANGE);
  // An unkeyed version-2 model: no AUTH, auth_size 0, no tag.
  const std::vector<uint8_t> u = standard_file(KGM_CRYPT_NONE, 0);
  ASSERT_FALSE(u.empty());
  EXPECT_EQ(rd32(u, 8), 0u);
  EXPECT_EQ(rd32(u, H_AUTH_SIZE), 0u);
  EXPECT_EQ(u.size(), rd32(u, H_W_OFF) + rd32(u, H_W_LEN) + 4u);
  EXPECT_EQ(parse(u), KG_OK);
  b = u;
  wr(b, H_AUTH_SIZE, 4, rd32(u, H_W_OFF) + rd32(u, H_W_LEN));
  EXPECT_EQ(parse_fixed(b), KG_E_HEADER);  // auth_size without AUTH
  b = u;
  wr(b, 8, 4, KGM_FLAG_AUTH);
  EXPECT_EQ(parse_fixed(b), KG_E_HEADER);  // AUTH on a model that uses no key
  // kgm_validate: a tag without AUTH, AUTH without an AES key length.
  kgm_model m;
  ASSERT_EQ(parse(u, &m), KG_OK);
  char d[KG_DETAIL_LEN];
  m.tag[3] = 1;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_HEADER) << d;
  m.tag[3] = 0;
  m.flags = KGM_FLAG_SIGN;  // keyed, no AUTH
  EXPECT_EQ(kgm_validate(&m, d), KG_E_HEADER) << d;
  m.flags = KGM_FLAG_SIGN | KGM_FLAG_AUTH;  // AUTH, aes_len 0
  EXPECT_EQ(kgm_validate(&m, d), KG_E_HEADER) << d;
  m.aes_len = 24;
  EXPECT_EQ(kgm_validate(&m, d), KG_OK) << d;
  m.version = 3;
  EXPECT_EQ(kgm_validate(&m, d), KG_E_VERSION) << d;
  kgm_model_free(&m);
}
