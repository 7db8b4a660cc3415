// .kgk key files: round trip, permissions, overwrite, malformed content.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "test_kgm_util.h"

using namespace kgmtest;

namespace {

std::string tmp_path(const char *name) {
  const std::string p = std::string(KG_TEST_TMP_DIR) + "/" + name;
  unlink(p.c_str());
  return p;
}

std::vector<uint8_t> slurp(const std::string &p) {
  std::ifstream f(p, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

void spit(const std::string &p, const std::vector<uint8_t> &b, mode_t mode = 0600) {
  unlink(p.c_str());
  {
    std::ofstream f(p, std::ios::binary);
    f.write(reinterpret_cast<const char *>(b.data()), (std::streamsize)b.size());
  }
  chmod(p.c_str(), mode);
}

bool same_keys(const kg_keys &a, const kg_keys &b) {
  return a.aes_len == b.aes_len && a.sign_bits == b.sign_bits &&
         std::memcmp(a.aes_key, b.aes_key, a.aes_len) == 0 &&
         std::memcmp(a.sign_key, b.sign_key, (a.sign_bits + 7) / 8) == 0;
}

}  // namespace

TEST(KeyFile, WriteReadRoundTripMode0600) {
  for (uint32_t aes : {16u, 24u, 32u})
    for (auto g : {std::pair<uint32_t, uint32_t>{4, 4}, {8, 8}, {2, 1}, {32, 32}, {16, 64}}) {
      SCOPED_TRACE(std::to_string(aes) + " " + std::to_string(g.first) + "x" + std::to_string(g.second));
      const std::string p = tmp_path("rt.kgk");
      kg_keys k;
      char d[KG_DETAIL_LEN];
      ASSERT_EQ(kg_keys_generate(&k, aes, g.first, g.second, d), KG_OK) << d;
      EXPECT_EQ(k.policy, (uint32_t)KG_KEY_POLICY_REFUSE);
      EXPECT_EQ(k.threshold, 3u);
      ASSERT_EQ(kg_keyfile_write(p.c_str(), &k, g.first, g.second, 0, d), KG_OK) << d;
      struct stat st;
      ASSERT_EQ(stat(p.c_str(), &st), 0);
      EXPECT_EQ(st.st_mode & 07777, 0600u);
      EXPECT_EQ((size_t)st.st_size, 16 + aes + (g.first * g.second + 7) / 8 + 4);
      kg_keys r;
      uint32_t rows = 0, cols = 0;
      ASSERT_EQ(kg_keyfile_read(p.c_str(), &r, &rows, &cols, d), KG_OK) << d;
      EXPECT_EQ(rows, g.first);
      EXPECT_EQ(cols, g.second);
      EXPECT_TRUE(same_keys(k, r));
      kg_keys_wipe(&r);
      EXPECT_EQ(r.aes_len, 0u);
      EXPECT_EQ(r.aes_key[0], 0);
    }
}

TEST(KeyFile, GenerateIsRandom) {
  kg_keys a, b;
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kg_keys_generate(&a, 32, 8, 8, d), KG_OK);
  ASSERT_EQ(kg_keys_generate(&b, 32, 8, 8, d), KG_OK);
  EXPECT_FALSE(same_keys(a, b));
  EXPECT_EQ(kg_keys_generate(&a, 20, 8, 8, d), KG_E_INVAL);
  EXPECT_EQ(kg_keys_generate(&a, 16, 3, 8, d), KG_E_INVAL);
  EXPECT_EQ(kg_keys_generate(&a, 16, 64, 32, d), KG_E_INVAL);  // 2048 bits
}

TEST(KeyFile, RefusesToOverwriteWithoutForce) {
  const std::string p = tmp_path("exists.kgk");
  kg_keys k1, k2, r;
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kg_keys_generate(&k1, 16, 4, 4, d), KG_OK);
  ASSERT_EQ(kg_keys_generate(&k2, 16, 4, 4, d), KG_OK);
  ASSERT_EQ(kg_keyfile_write(p.c_str(), &k1, 4, 4, 0, d), KG_OK) << d;
  EXPECT_EQ(kg_keyfile_write(p.c_str(), &k2, 4, 4, 0, d), KG_E_EXISTS);
  ASSERT_EQ(kg_keyfile_read(p.c_str(), &r, nullptr, nullptr, d), KG_OK) << d;
  EXPECT_TRUE(same_keys(k1, r));  // untouched
  // An existing non-key file is not overwritten either.
  const std::string q = tmp_path("other.txt");
  spit(q, {'h', 'i'}, 0644);
  EXPECT_EQ(kg_keyfile_write(q.c_str(), &k2, 4, 4, 0, d), KG_E_EXISTS);
  EXPECT_EQ(slurp(q).size(), 2u);
  // With force: replaced, still 0600 even over a 0644 file.
  ASSERT_EQ(kg_keyfile_write(q.c_str(), &k2, 4, 4, 1, d), KG_OK) << d;
  struct stat st;
  ASSERT_EQ(stat(q.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(kg_keyfile_read(q.c_str(), &r, nullptr, nullptr, d), KG_OK) << d;
  EXPECT_TRUE(same_keys(k2, r));
  // No temporary files left beside them.
  EXPECT_NE(access((p + ".tmp").c_str(), F_OK), 0);
}

TEST(KeyFile, WriteRejectsBadKeys) {
  const std::string p = tmp_path("bad.kgk");
  kg_keys k = make_keys(4, 4, 16, 1);
  char d[KG_DETAIL_LEN];
  EXPECT_EQ(kg_keyfile_write(p.c_str(), &k, 8, 8, 0, d), KG_E_INVAL);  // 16 bits for 64
  k.aes_len = 0;
  EXPECT_EQ(kg_keyfile_write(p.c_str(), &k, 4, 4, 0, d), KG_E_INVAL);
  EXPECT_EQ(kg_keyfile_write(nullptr, &k, 4, 4, 0, d), KG_E_INVAL);
  EXPECT_NE(access(p.c_str(), F_OK), 0);
}

TEST(KeyFile, MissingWrongPermsAndMalformed) {
  const std::string p = tmp_path("m.kgk");
  kg_keys k = make_keys(4, 4, 16, 7), r;
  char d[KG_DETAIL_LEN];
  EXPECT_EQ(kg_keyfile_read(p.c_str(), &r, nullptr, nullptr, d), KG_E_NOENT);  // missing
  ASSERT_EQ(kg_keyfile_write(p.c_str(), &k, 4, 4, 0, d), KG_OK) << d;
  const std::vector<uint8_t> good = slurp(p);
  ASSERT_EQ(good.size(), 16u + 16 + 2 + 4);
  for (mode_t mode : {0644, 0640, 0604, 0660, 0602}) {
    chmod(p.c_str(), mode);
    EXPECT_EQ(kg_keyfile_read(p.c_str(), &r, nullptr, nullptr, d), KG_E_KEYPERM) << std::oct << mode;
  }
  chmod(p.c_str(), 0400);
  EXPECT_EQ(kg_keyfile_read(p.c_str(), &r, nullptr, nullptr, d), KG_OK) << d;

  auto expect_bad = [&](std::vector<uint8_t> b, bool fix, const char *what) {
    if (fix) wr(b, b.size() - 4, 4, kgm_crc32c(b.data(), b.size() - 4));
    spit(p, b);
    EXPECT_EQ(kg_keyfile_read(p.c_str(), &r, nullptr, nullptr, d), KG_E_KEYFILE) << what;
    EXPECT_EQ(r.aes_len, 0u) << what;
  };
  std::vector<uint8_t> b = good;
  b.push_back(0);
  expect_bad(b, false, "one byte too long");
  b = good;
  b.pop_back();
  expect_bad(b, false, "one byte short");
  expect_bad({}, false, "empty");
  b = good;
  b[0] = 'X';
  expect_bad(b, true, "magic");
  b = good;
  b[4] = 2;
  expect_bad(b, true, "version");
  b = good;
  b[6] = 24;  // says AES-192: the size no longer matches
  expect_bad(b, true, "aes_len vs size");
  b = good;
  b[8] = 3;
  expect_bad(b, true, "rows not a power of two");
  b = good;
  b[12] = 1;
  expect_bad(b, true, "reserved");
  b = good;
  b[20] ^= 1;
  expect_bad(b, false, "CRC");
  // A directory is not a key file, nor can one be replaced by it.
  EXPECT_EQ(kg_keyfile_read(KG_TEST_TMP_DIR, &r, nullptr, nullptr, d), KG_E_NOTREG);
  EXPECT_EQ(kg_keyfile_write(KG_TEST_TMP_DIR, &k, 4, 4, 1, d), KG_E_NOTREG);
}

TEST(KeyFile, ParseTruncatedAtEveryByteAndUnusedSignBits) {
  // 2x1 geometry: 2 sign bits, so bits 2..7 of the sign byte must be zero.
  kg_keys k = make_keys(2, 1, 16, 3), r;
  const std::string p = tmp_path("t.kgk");
  char d[KG_DETAIL_LEN];
  ASSERT_EQ(kg_keyfile_write(p.c_str(), &k, 2, 1, 0, d), KG_OK) << d;
  const std::vector<uint8_t> good = slurp(p);
  uint32_t rows = 0, cols = 0;
  ASSERT_EQ(kg_keyfile_parse(good.data(), good.size(), &r, &rows, &cols, d), KG_OK) << d;
  EXPECT_EQ(rows * cols, 2u);
  for (size_t n = 0; n < good.size(); n++) {
    std::vector<uint8_t> t(good.begin(), good.begin() + (long)n);
    EXPECT_EQ(kg_keyfile_parse(t.data(), t.size(), &r, nullptr, nullptr, d), KG_E_KEYFILE) << n;
  }
  std::vector<uint8_t> b = good;
  b[16 + 16] |= 0x80;
  wr(b, b.size() - 4, 4, kgm_crc32c(b.data(), b.size() - 4));
  EXPECT_EQ(kg_keyfile_parse(b.data(), b.size(), &r, nullptr, nullptr, d), KG_E_KEYFILE);
}
