// .kgm codec: CRC-32C, kg_strerror, serialize -> parse round trip, files.
#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <string>

#include "test_kgm_util.h"

using namespace kgmtest;

TEST(KgmCrc, CheckValueAndIncremental) {
  const char *s = "123456789";
  EXPECT_EQ(kgm_crc32c(s, 9), 0xE3069283u);  // the CRC-32C catalogue check value
  EXPECT_EQ(kgm_crc32c(s, 0), 0u);
  for (size_t cut = 0; cut <= 9; cut++)
    EXPECT_EQ(kgm_crc32c_update(kgm_crc32c(s, cut), s + cut, 9 - cut), 0xE3069283u) << cut;
  // 32 bytes of zeros: RFC 3720 (iSCSI) B.4 test vector.
  const uint8_t z[32] = {0};
  EXPECT_EQ(kgm_crc32c(z, sizeof z), 0x8A9136AAu);
}

TEST(KgmStatus, EveryCodeHasItsOwnMessage) {
  const int codes[] = {KG_OK,         KG_E_INVAL,    KG_E_NOMEM,       KG_E_IO,
                       KG_E_TRUNCATED, KG_E_MAGIC,   KG_E_VERSION,     KG_E_FLAGS,
                       KG_E_CRC,      KG_E_HEADER,   KG_E_LAYER,       KG_E_RANGE,
                       KG_E_OVERLAP,  KG_E_TOO_BIG,  KG_E_GEOMETRY,    KG_E_DEVMEM,
                       KG_E_KEYFILE,  KG_E_KEYPERM,  KG_E_EXISTS,      KG_E_NOKEY,
                       KG_E_WRONG_KEY, KG_E_LOCKED_OUT, KG_E_VAULT_LOCKED, KG_E_DEVICE,
                       KG_E_TIMEOUT,  KG_E_BUS,      KG_E_HW,          KG_E_STATE,
                       KG_E_AUTH,     KG_E_UNAUTH};
  const std::string unknown = kg_strerror(12345);
  std::set<std::string> seen;
  for (int c : codes) {
    ASSERT_NE(kg_strerror(c), nullptr);
    const std::string s = kg_strerror(c);
    EXPECT_NE(s, unknown) << c;
    EXPECT_TRUE(seen.insert(s).second) << "duplicate message for " << c << ": " << s;
  }
  EXPECT_NE(kg_strerror(-9), nullptr);
  EXPECT_EQ(std::string(kg_strerror(-9)), unknown);
}

static void expect_same_model(const kgm_model &a, const kgm_model &b) {
  EXPECT_EQ(a.version, b.version);
  EXPECT_EQ(a.flags, b.flags);
  EXPECT_EQ(a.rows, b.rows);
  EXPECT_EQ(a.cols, b.cols);
  EXPECT_EQ(a.crypt, b.crypt);
  EXPECT_EQ(a.aes_len, b.aes_len);
  EXPECT_EQ(0, std::memcmp(a.nonce, b.nonce, 12));
  EXPECT_EQ(0, std::memcmp(a.kcv, b.kcv, 8));
  EXPECT_EQ(0, std::memcmp(a.tag, b.tag, KGM_TAG_SIZE));
  EXPECT_EQ(a.in_h, b.in_h);
  EXPECT_EQ(a.in_w, b.in_w);
  EXPECT_EQ(a.in_c, b.in_c);
  EXPECT_EQ(a.in_scale, b.in_scale);
  EXPECT_EQ(a.in_zero, b.in_zero);
  ASSERT_EQ(a.n_layers, b.n_layers);
  for (uint32_t l = 0; l < a.n_layers; l++) {
    const kgm_layer &x = a.layers[l], &y = b.layers[l];
    EXPECT_EQ(x.type, y.type);
    EXPECT_EQ(x.relu, y.relu);
    EXPECT_EQ(x.in_h, y.in_h);
    EXPECT_EQ(x.in_w, y.in_w);
    EXPECT_EQ(x.in_c, y.in_c);
    EXPECT_EQ(x.out_h, y.out_h);
    EXPECT_EQ(x.out_w, y.out_w);
    EXPECT_EQ(x.out_c, y.out_c);
    EXPECT_EQ(x.kh, y.kh);
    EXPECT_EQ(x.kw, y.kw);
    EXPECT_EQ(x.stride, y.stride);
    EXPECT_EQ(x.pad, y.pad);
    EXPECT_EQ(x.K, y.K);
    EXPECT_EQ(x.N, y.N);
    EXPECT_EQ(x.w_off, y.w_off);
    EXPECT_EQ(x.w_len, y.w_len);
    EXPECT_EQ(x.p_off, y.p_off);
    EXPECT_EQ(x.out_scale, y.out_scale);
  }
  ASSERT_EQ(a.params_len, b.params_len);
  ASSERT_EQ(a.wimg_len, b.wimg_len);
  EXPECT_EQ(0, std::memcmp(a.params, b.params, a.params_len));
  EXPECT_EQ(0, std::memcmp(a.wimg, b.wimg, a.wimg_len));
}

TEST(KgmCodec, RoundTripEveryMode) {
  for (uint32_t version : {1u, 2u})
    for (uint32_t crypt : {KGM_CRYPT_NONE, KGM_CRYPT_DEEPLOCK, KGM_CRYPT_CTR})
      for (int sign : {0, 1}) {
        SCOPED_TRACE("v" + std::to_string(version) + " " + kgm_crypt_name(crypt) +
                     (sign ? " sign" : ""));
        kgm_model m;
        ASSERT_EQ(lock_standard(&m, crypt, sign, 4, 4, 1, version), KG_OK);
        const bool auth = version == 2 && (crypt != KGM_CRYPT_NONE || sign);
        EXPECT_EQ(m.version, version);
        EXPECT_EQ((m.flags & KGM_FLAG_AUTH) != 0, auth);
        const std::vector<uint8_t> b = serialize(&m);
        ASSERT_FALSE(b.empty());
        const size_t auth_size = KGM_HEADER_SIZE + 3 * KGM_LAYER_SIZE + m.params_len + m.wimg_len;
        EXPECT_EQ(b.size(), auth_size + (auth ? KGM_TAG_SIZE : 0) + 4);
        EXPECT_EQ(m.auth_size, auth ? auth_size : 0u);
        kgm_model p;
        char d[KG_DETAIL_LEN];
        ASSERT_EQ(kgm_parse(&p, b.data(), b.size(), d), KG_OK) << d;
        expect_same_model(m, p);
        EXPECT_EQ(p.version, version);  // reported to the caller
        EXPECT_EQ(p.auth_size, m.auth_size);
        EXPECT_EQ(p.params_offset, KGM_HEADER_SIZE + 3 * KGM_LAYER_SIZE);
        EXPECT_EQ(p.weights_offset, p.params_offset + m.params_len);
        EXPECT_EQ(p.crc, rd32(b, b.size() - 4));
        if (auth) {
          EXPECT_EQ(0, std::memcmp(b.data() + auth_size, m.tag, KGM_TAG_SIZE));
        }
        EXPECT_EQ(serialize(&p), b);  // byte-identical second generation
        kgm_model_free(&p);
        kgm_model_free(&m);
      }
}

TEST(KgmCodec, Version1FilesStillParse) {
  const std::vector<uint8_t> v1 = standard_file(KGM_CRYPT_CTR, 1, 1);
  ASSERT_FALSE(v1.empty());
  EXPECT_EQ(v1[4] | (v1[5] << 8), 1);
  EXPECT_EQ(rd32(v1, 8), KGM_FLAG_SIGN);
  EXPECT_EQ(rd32(v1, 88), 0u);  // reserved in version 1
  kgm_model m;
  ASSERT_EQ(parse(v1, &m), KG_OK);
  EXPECT_EQ(m.version, 1u);
  EXPECT_EQ(m.auth_size, 0u);
  const uint8_t zero[KGM_TAG_SIZE] = {0};
  EXPECT_EQ(0, std::memcmp(m.tag, zero, KGM_TAG_SIZE));
  kgm_model_free(&m);
  // AUTH is not a version-1 flag, and bytes 88..91 are reserved there.
  std::vector<uint8_t> b = v1;
  wr(b, 8, 4, KGM_FLAG_SIGN | KGM_FLAG_AUTH);
  fix_crc(b);
  EXPECT_EQ(parse(b), KG_E_FLAGS);
  b = v1;
  wr(b, 88, 4, rd32(v1, 80) + rd32(v1, 84));
  fix_crc(b);
  EXPECT_EQ(parse(b), KG_E_HEADER);
  // Relabelled as version 2, the same bytes lack AUTH, auth_size and tag.
  b = v1;
  wr(b, 4, 2, 2);
  fix_crc(b);
  EXPECT_EQ(parse(b), KG_E_HEADER);
}

TEST(KgmCodec, HeaderFieldsAtDocumentedOffsets) {
  kgm_model m;
  ASSERT_EQ(lock_standard(&m), KG_OK);
  const std::vector<uint8_t> b = serialize(&m);
  ASSERT_FALSE(b.empty());
  EXPECT_EQ(0, std::memcmp(b.data(), "KGMF", 4));
  EXPECT_EQ(b[4] | (b[5] << 8), 2);
  EXPECT_EQ(b[6] | (b[7] << 8), 128);
  EXPECT_EQ(rd32(b, 8), KGM_FLAG_SIGN | KGM_FLAG_AUTH);
  EXPECT_EQ(rd32(b, 12), b.size());
  EXPECT_EQ(b[16] | (b[17] << 8), 4);
  EXPECT_EQ(b[18] | (b[19] << 8), 4);
  EXPECT_EQ(b[20], KGM_CRYPT_CTR);
  EXPECT_EQ(b[21], 16);
  EXPECT_EQ(0, std::memcmp(b.data() + 24, fixed_nonce(), 12));
  EXPECT_EQ(0, std::memcmp(b.data() + 36, m.kcv, 8));
  EXPECT_EQ(rd32(b, 44), 6u);
  EXPECT_EQ(rd32(b, 64), 3u);
  EXPECT_EQ(rd32(b, 68), 128u);
  EXPECT_EQ(rd32(b, 72), 128u + 3 * 64);
  EXPECT_EQ(rd32(b, 76), m.params_len);
  EXPECT_EQ(rd32(b, 80), 128u + 3 * 64 + m.params_len);
  EXPECT_EQ(rd32(b, 84), m.wimg_len);
  const uint32_t auth_size = 128u + 3 * 64 + (uint32_t)m.params_len + (uint32_t)m.wimg_len;
  EXPECT_EQ(rd32(b, 88), auth_size);
  for (size_t i = 92; i < 128; i++) EXPECT_EQ(b[i], 0) << "reserved byte " << i;
  EXPECT_EQ(0, std::memcmp(b.data() + auth_size, m.tag, KGM_TAG_SIZE));
  EXPECT_EQ(b.size(), auth_size + KGM_TAG_SIZE + 4u);
  // Layer 1 (FC after the 3x3x5 conv): K padded to 3*3*16.
  const size_t e = 128 + 64;
  EXPECT_EQ(b[e], KGM_LAYER_FC);
  EXPECT_EQ(rd32(b, e + 32), 144u);
  EXPECT_EQ(rd32(b, e + 36), 10u);
  kgm_model_free(&m);
}

TEST(KgmCodec, SaveAndLoadFile) {
  kgm_model m;
  ASSERT_EQ(lock_standard(&m), KG_OK);
  const std::string path = std::string(KG_TEST_TMP_DIR) + "/codec_roundtrip.kgm";
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kgm_save_file(&m, path.c_str(), 1, d), KG_OK) << d;
  kgm_model p;
  ASSERT_EQ(kgm_load_file(&p, path.c_str(), d), KG_OK) << d;
  expect_same_model(m, p);
  kgm_model_free(&p);
  EXPECT_EQ(kgm_load_file(&p, (path + ".missing").c_str(), d), KG_E_NOENT);
  // An existing file is kept unless force; a directory is never a model.
  EXPECT_EQ(kgm_save_file(&m, path.c_str(), 0, d), KG_E_EXISTS);
  EXPECT_EQ(kgm_load_file(&p, KG_TEST_TMP_DIR, d), KG_E_NOTREG);
  EXPECT_EQ(kgm_save_file(&m, KG_TEST_TMP_DIR, 1, d), KG_E_NOTREG);
  kgm_model_free(&m);
  kgm_model_free(&m);  // safe twice
}

TEST(KgmCodec, SerializeRefusesInvalidModel) {
  kgm_model m;
  ASSERT_EQ(lock_standard(&m), KG_OK);
  uint8_t *buf = nullptr;
  size_t len = 0;
  char d[KG_DETAIL_LEN];
  m.layers[1].N = 11;  // no longer the previous layer's channel count, nor out_c
  EXPECT_EQ(kgm_serialize(&m, &buf, &len, d), KG_E_LAYER);
  EXPECT_EQ(buf, nullptr);
  m.layers[1].N = 10;
  m.rows = 3;
  EXPECT_EQ(kgm_serialize(&m, &buf, &len, d), KG_E_HEADER);
  m.rows = 4;
  ASSERT_EQ(kgm_serialize(&m, &buf, &len, d), KG_OK) << d;
  std::free(buf);
  EXPECT_EQ(kgm_serialize(nullptr, &buf, &len, d), KG_E_INVAL);
  kgm_model_free(&m);
}

TEST(KgmCodec, CryptNames) {
  EXPECT_STREQ(kgm_crypt_name(KGM_CRYPT_NONE), "none");
  EXPECT_STREQ(kgm_crypt_name(KGM_CRYPT_DEEPLOCK), "deeplock");
  EXPECT_STREQ(kgm_crypt_name(KGM_CRYPT_CTR), "ctr");
  EXPECT_STREQ(kgm_crypt_name(7), "unknown");
}
