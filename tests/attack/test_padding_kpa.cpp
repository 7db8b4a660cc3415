// padding-kpa: the Deep-Lock key falls to the format's own zero padding (and
// to a known layer when there is no padding); a CTR file gives keystream
// bytes and no key.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "test_kgm_util.h"

extern "C" {
#include "kg_aes.h"
#include "kgattack/attack.h"
}

using namespace kgmtest;

namespace {

struct Locked {
  kgm_model m;
  kg_keys keys;
  Locked() { std::memset(&m, 0, sizeof m); }
  ~Locked() { kgm_model_free(&m); }
};

void lock(Locked &L, kg_qmodel &q, uint32_t crypt, int sign, uint32_t aes_len, uint32_t seed) {
  L.keys = make_keys(4, 4, aes_len, seed);
  // Version 1: zero padding and the device key, the files this attack reads.
  const kglock_opts o = opts_for(L.keys, 4, 4, crypt, sign, fixed_nonce(), 1);
  char d[KG_DETAIL_LEN] = "";
  ASSERT_EQ(kglock_model(&q, &o, &L.m, d), KG_OK) << d;
}

// One FC layer 16 -> 8: K and N fill the 4x4 tiles exactly, no padding.
void make_unpadded(kg_qmodel *m, uint32_t seed) {
  std::mt19937 rng(seed);
  std::memset(m, 0, sizeof *m);
  m->in_h = m->in_w = 1;
  m->in_c = 16;
  m->in_scale = 1.0f / 127.0f;
  m->n_layers = 1;
  m->layers = alloc_n<kg_qlayer>(1);
  kg_qlayer *f = &m->layers[0];
  f->type = KGQ_FC;
  f->in_h = f->in_w = f->out_h = f->out_w = 1;
  f->in_c = f->K = 16;
  f->out_c = f->N = 8;
  fill_layer(f, rng);
  for (size_t i = 0; i < 16u * 8u; i++)
    if (f->W[i] == 0) f->W[i] = 1; /* no accidental known zeros */
}

}  // namespace

// conv (5 channels: 11 zero rows per pixel in the next FC) -> FC -> FC, 4x4.
TEST(PaddingKpa, RecoversDeepLockKeyFromPadding) {
  for (uint32_t aes_len : {16u, 24u, 32u}) {
    kg_qmodel q;
    make_qmodel(&q, 7);
    Locked L;
    lock(L, q, KGM_CRYPT_DEEPLOCK, 1, aes_len, 40 + aes_len);
    kg_qmodel_free(&q);
    kga_kpa_result r;
    char d[KGA_DETAIL_LEN] = "";
    ASSERT_EQ(kga_padding_kpa(&L.m, nullptr, 0, nullptr, &r, d), KG_OK) << d;
    EXPECT_TRUE(r.success) << r.reason;
    EXPECT_TRUE(r.kcv_ok);
    EXPECT_GT(r.padding_bytes, 0u);
    ASSERT_EQ(r.key_len, aes_len);
    EXPECT_EQ(0, std::memcmp(r.key, L.keys.aes_key, aes_len)) << "AES-" << 8 * aes_len;
    EXPECT_EQ(r.ks_mismatch, 0u);
    EXPECT_EQ(r.ks_checked, r.known_bytes);
    // The recovered key opens the image: the padding decrypts to zeros.
    ASSERT_EQ(kga_decrypt_model(&L.m, r.key, r.key_len, d), KG_OK) << d;
    EXPECT_EQ(L.m.crypt, (uint32_t)KGM_CRYPT_NONE);
  }
}

TEST(PaddingKpa, CtrFileGivesKeystreamNoKey) {
  kg_qmodel q;
  make_qmodel(&q, 7);
  Locked L;
  lock(L, q, KGM_CRYPT_CTR, 1, 16, 56);
  kg_qmodel_free(&q);
  kga_kpa_result r;
  char d[KGA_DETAIL_LEN] = "";
  ASSERT_EQ(kga_padding_kpa(&L.m, nullptr, 0, nullptr, &r, d), KG_OK) << d;
  EXPECT_FALSE(r.success);
  EXPECT_EQ(r.key_len, 0u);
  EXPECT_GT(r.known_bytes, 0u);
  EXPECT_EQ(r.ks_learnt, r.known_bytes);
  // What it learnt is the real CTR keystream at those positions.
  kg_aes_key k;
  ASSERT_EQ(kg_aes_key_init(&k, L.keys.aes_key, 16), KG_AES_OK);
  uint8_t ks[16];
  kg_ks_ctr(&k, L.m.nonce, r.ks_first_pos, r.ks_first_len, ks);
  EXPECT_EQ(0, std::memcmp(ks, r.ks_first, r.ks_first_len));
}

TEST(PaddingKpa, NoPaddingNeedsAKnownLayer) {
  kg_qmodel q;
  make_unpadded(&q, 9);
  Locked L;
  lock(L, q, KGM_CRYPT_DEEPLOCK, 1, 16, 77);
  kga_kpa_result r;
  char d[KGA_DETAIL_LEN] = "";
  ASSERT_EQ(kga_padding_kpa(&L.m, nullptr, 0, nullptr, &r, d), KG_OK) << d;
  EXPECT_FALSE(r.success) << "no padding, no known plaintext";
  EXPECT_EQ(r.known_bytes, 0u);
  // The layer is public: |w| is known, the sign lock hides each sign.
  const kga_known_layer kl = {0, 16, 8, q.layers[0].W};
  ASSERT_EQ(kga_padding_kpa(&L.m, &kl, 1, nullptr, &r, d), KG_OK) << d;
  EXPECT_TRUE(r.success) << r.reason;
  EXPECT_GT(r.candidates, 1u);
  EXPECT_EQ(0, std::memcmp(r.key, L.keys.aes_key, 16));
  // A known layer of the wrong shape is an error, not a silent miss.
  const kga_known_layer bad = {0, 8, 8, q.layers[0].W};
  EXPECT_EQ(kga_padding_kpa(&L.m, &bad, 1, nullptr, &r, d), KG_E_INVAL);
  kg_qmodel_free(&q);
}

// The command line: exit 0 with the key in the JSON for Deep-Lock, exit 1
// with no key for CTR, exit 2 on a usage error.
TEST(PaddingKpa, CommandLineExitStatusAndJson) {
  const std::string dir = KG_TEST_TMP_DIR;
  const std::string kgmac = KG_TEST_KGMAC;
  std::string key_hex;
  for (uint32_t crypt : {(uint32_t)KGM_CRYPT_DEEPLOCK, (uint32_t)KGM_CRYPT_CTR}) {
    kg_qmodel q;
    make_qmodel(&q, 7);
    Locked L;
    lock(L, q, crypt, 1, 16, 90);
    kg_qmodel_free(&q);
    const std::string file = dir + "/kpa_cli_" + std::to_string(crypt) + ".kgm";
    const std::string json = file + ".json";
    char d[KG_DETAIL_LEN] = "";
    ASSERT_EQ(kgm_save_file(&L.m, file.c_str(), 1, d), KG_OK) << d;
    const std::string cmd = kgmac + " attack padding-kpa " + file + " --json > " + json +
                            " 2>/dev/null";
    const int st = std::system(cmd.c_str());
    ASSERT_TRUE(WIFEXITED(st));
    FILE *f = std::fopen(json.c_str(), "r");
    ASSERT_NE(f, nullptr);
    char buf[4096] = "";
    const size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    const std::string out(buf, n);
    char hex[33];
    for (int i = 0; i < 16; i++) std::snprintf(hex + 2 * i, 3, "%02x", L.keys.aes_key[i]);
    if (crypt == KGM_CRYPT_DEEPLOCK) {
      EXPECT_EQ(WEXITSTATUS(st), 0) << out;
      EXPECT_NE(out.find(std::string("\"key\": \"") + hex + "\""), std::string::npos) << out;
    } else {
      EXPECT_EQ(WEXITSTATUS(st), 1) << out;
      EXPECT_NE(out.find("\"success\": false"), std::string::npos) << out;
      EXPECT_EQ(out.find(hex), std::string::npos) << out;
    }
  }
  const int st = std::system((kgmac + " attack padding-kpa --bogus 2>/dev/null").c_str());
  ASSERT_TRUE(WIFEXITED(st));
  EXPECT_EQ(WEXITSTATUS(st), 2);
}
