// C reference against FIPS-197 and SP 800-38A, plus the kgmac-specific
// keystream properties (docs/spec.md, sections 9-10).
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kg_aes.h"
#include "aes_test_util.h"

using kgtest::hex;
using kgtest::unhex;

namespace {

// ---- FIPS-197 Appendix A: every word w[0 .. 4(Nr+1)-1] ------------------
const uint32_t kA1[44] = {
    0x2b7e1516, 0x28aed2a6, 0xabf71588, 0x09cf4f3c, 0xa0fafe17, 0x88542cb1,
    0x23a33939, 0x2a6c7605, 0xf2c295f2, 0x7a96b943, 0x5935807a, 0x7359f67f,
    0x3d80477d, 0x4716fe3e, 0x1e237e44, 0x6d7a883b, 0xef44a541, 0xa8525b7f,
    0xb671253b, 0xdb0bad00, 0xd4d1c6f8, 0x7c839d87, 0xcaf2b8bc, 0x11f915bc,
    0x6d88a37a, 0x110b3efd, 0xdbf98641, 0xca0093fd, 0x4e54f70e, 0x5f5fc9f3,
    0x84a64fb2, 0x4ea6dc4f, 0xead27321, 0xb58dbad2, 0x312bf560, 0x7f8d292f,
    0xac7766f3, 0x19fadc21, 0x28d12941, 0x575c006e, 0xd014f9a8, 0xc9ee2589,
    0xe13f0cc8, 0xb6630ca6};
const uint32_t kA2[52] = {
    0x8e73b0f7, 0xda0e6452, 0xc810f32b, 0x809079e5, 0x62f8ead2, 0x522c6b7b,
    0xfe0c91f7, 0x2402f5a5, 0xec12068e, 0x6c827f6b, 0x0e7a95b9, 0x5c56fec2,
    0x4db7b4bd, 0x69b54118, 0x85a74796, 0xe92538fd, 0xe75fad44, 0xbb095386,
    0x485af057, 0x21efb14f, 0xa448f6d9, 0x4d6dce24, 0xaa326360, 0x113b30e6,
    0xa25e7ed5, 0x83b1cf9a, 0x27f93943, 0x6a94f767, 0xc0a69407, 0xd19da4e1,
    0xec1786eb, 0x6fa64971, 0x485f7032, 0x22cb8755, 0xe26d1352, 0x33f0b7b3,
    0x40beeb28, 0x2f18a259, 0x6747d26b, 0x458c553e, 0xa7e1466c, 0x9411f1df,
    0x821f750a, 0xad07d753, 0xca400538, 0x8fcc5006, 0x282d166a, 0xbc3ce7b5,
    0xe98ba06f, 0x448c773c, 0x8ecc7204, 0x01002202};
const uint32_t kA3[60] = {
    0x603deb10, 0x15ca71be, 0x2b73aef0, 0x857d7781, 0x1f352c07, 0x3b6108d7,
    0x2d9810a3, 0x0914dff4, 0x9ba35411, 0x8e6925af, 0xa51a8b5f, 0x2067fcde,
    0xa8b09c1a, 0x93d194cd, 0xbe49846e, 0xb75d5b9a, 0xd59aecb8, 0x5bf3c917,
    0xfee94248, 0xde8ebe96, 0xb5a9328a, 0x2678a647, 0x98312229, 0x2f6c79b3,
    0x812c81ad, 0xdadf48ba, 0x24360af2, 0xfab8b464, 0x98c5bfc9, 0xbebd198e,
    0x268c3ba7, 0x09e04214, 0x68007bac, 0xb2df3316, 0x96e939e4, 0x6c518d80,
    0xc814e204, 0x76a9fb8a, 0x5025c02d, 0x59c58239, 0xde136967, 0x6ccc5a71,
    0xfa256395, 0x9674ee15, 0x5886ca5d, 0x2e2f31d7, 0x7e0af1fa, 0x27cf73c3,
    0x749c47ab, 0x18501dda, 0xe2757e4f, 0x7401905a, 0xcafaaae3, 0xe4d59b34,
    0x9adf6ace, 0xbd10190d, 0xfe4890d1, 0xe6188d0b, 0x046df344, 0x706c631e};

struct ExpCase {
    const char *key;
    const uint32_t *w;
    size_t n;
};
const ExpCase kExp[] = {
    {kgtest::kKeyA1, kA1, 44}, {kgtest::kKeyA2, kA2, 52}, {kgtest::kKeyA3, kA3, 60}};

kg_aes_key make_key(const std::string &hexkey) {
    std::vector<uint8_t> k = unhex(hexkey);
    kg_aes_key key;
    EXPECT_EQ(kg_aes_key_init(&key, k.data(), k.size()), KG_AES_OK);
    return key;
}

// S-box from its definition: multiplicative inverse in GF(2^8), then the
// affine map b'_i = b_i ^ b_(i+4) ^ b_(i+5) ^ b_(i+6) ^ b_(i+7) ^ c_i.
uint8_t gmul(uint8_t a, uint8_t b) {
    uint8_t r = 0;
    while (b) {
        if (b & 1) r ^= a;
        a = (uint8_t)((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
        b >>= 1;
    }
    return r;
}
uint8_t sbox_def(uint8_t x) {
    uint8_t inv = 0;
    if (x) {
        inv = 1;
        for (int i = 0; i < 254; i++) inv = gmul(inv, x);
    }
    uint8_t r = 0;
    for (int i = 0; i < 8; i++) {
        int bit = ((inv >> i) ^ (inv >> ((i + 4) % 8)) ^ (inv >> ((i + 5) % 8)) ^
                   (inv >> ((i + 6) % 8)) ^ (inv >> ((i + 7) % 8)) ^ (0x63 >> i)) & 1;
        r |= (uint8_t)(bit << i);
    }
    return r;
}

uint32_t sub_word_def(uint32_t t) {
    return ((uint32_t)sbox_def((uint8_t)(t >> 24)) << 24) | ((uint32_t)sbox_def((uint8_t)(t >> 16)) << 16) |
           ((uint32_t)sbox_def((uint8_t)(t >> 8)) << 8) | sbox_def((uint8_t)t);
}

}  // namespace

TEST(AesRef, SboxMatchesAlgebraicDefinition) {
    for (int x = 0; x < 256; x++) {
        ASSERT_EQ(kg_aes_sbox((uint8_t)x), sbox_def((uint8_t)x)) << "x=" << x;
        ASSERT_EQ(kg_aes_inv_sbox(kg_aes_sbox((uint8_t)x)), x) << "x=" << x;
    }
}

TEST(AesRef, Fips197AppendixAKeyExpansionEveryWord) {
    for (const ExpCase &c : kExp) {
        kg_aes_key k = make_key(c.key);
        ASSERT_EQ(4 * (k.nr + 1), c.n);
        for (size_t i = 0; i < c.n; i++)
            EXPECT_EQ(k.rk[i], c.w[i]) << "key " << c.key << " w[" << i << "]";
        std::vector<uint32_t> w(c.n);
        kg_aes_expand_words(&k, 0, c.n, w.data());
        for (size_t i = 0; i < c.n; i++)
            EXPECT_EQ(w[i], c.w[i]) << "expand_words key " << c.key << " w[" << i << "]";
        // A window starting in the middle gives the same words.
        kg_aes_expand_words(&k, 5, c.n - 5, w.data());
        for (size_t i = 5; i < c.n; i++)
            EXPECT_EQ(w[i - 5], c.w[i]) << "offset window key " << c.key << " w[" << i << "]";
    }
}

TEST(AesRef, Fips197AppendixCCipher) {
    for (const auto &v : kgtest::kAppC) {
        kg_aes_key k = make_key(v.key);
        std::vector<uint8_t> in = unhex(v.pt), out(16);
        kg_aes_encrypt_block(&k, in.data(), out.data());
        EXPECT_EQ(hex(out), v.ct) << "key " << v.key;
        kg_aes_encrypt_block(&k, in.data(), in.data());  // in place
        EXPECT_EQ(hex(in), v.ct) << "in-place, key " << v.key;
    }
}

TEST(AesRef, Sp80038aCtrF5) {
    for (const auto &v : kgtest::kSp80038a) {
        kg_aes_key k = make_key(v.key);
        std::vector<uint8_t> nonce = unhex(kgtest::kF5Nonce);
        std::vector<uint8_t> buf = unhex(kgtest::kF5Plain);
        kg_ctr_xcrypt(&k, nonce.data(), kgtest::kF5Pos, buf.data(), buf.size());
        EXPECT_EQ(hex(buf), v.ct) << v.name;
        // Decrypt is the same XOR; also through the checked generic API.
        ASSERT_EQ(kg_crypt_decrypt(KG_CRYPT_CTR, &k, nonce.data(), kgtest::kF5Pos,
                                   buf.data(), buf.size()), KG_AES_OK);
        EXPECT_EQ(hex(buf), kgtest::kF5Plain) << v.name;
        // Byte-granular offsets inside the run give the same keystream.
        std::vector<uint8_t> ks(64), part(64);
        kg_ks_ctr(&k, nonce.data(), kgtest::kF5Pos, 64, ks.data());
        for (size_t off = 0; off < 64; off += 7) {
            kg_ks_ctr(&k, nonce.data(), kgtest::kF5Pos + off, 64 - off, part.data());
            ASSERT_EQ(0, memcmp(part.data(), ks.data() + off, 64 - off)) << v.name << " off " << off;
        }
    }
}

TEST(AesRef, BriefCheckValueKs0to3) {
    kg_aes_key k = make_key(kgtest::kKeyA1);
    uint8_t ks[4];
    kg_ks_deeplock(&k, 0, 4, ks);
    EXPECT_EQ(hex(std::vector<uint8_t>(ks, ks + 4)), "a0fafe17");
}

TEST(AesRef, DeepLockKeystreamIsScheduleBeyondStandardLength) {
    // ks[p] is byte p%4 of w[Nk + p/4]; check across the 4(Nr+1) boundary
    // and far past the 51-step Rcon period.
    for (const ExpCase &c : kExp) {
        kg_aes_key k = make_key(c.key);
        const size_t nwords = 2000;
        std::vector<uint32_t> w(nwords);
        kg_aes_expand_words(&k, 0, nwords, w.data());
        for (size_t i = 0; i < c.n; i++) ASSERT_EQ(w[i], c.w[i]);
        std::vector<uint8_t> ks(4 * (nwords - k.nk));
        kg_ks_deeplock(&k, 0, ks.size(), ks.data());
        for (size_t p = 0; p < ks.size(); p++)
            ASSERT_EQ(ks[p], (uint8_t)(w[k.nk + p / 4] >> (24 - 8 * (p % 4)))) << c.key << " p=" << p;
        // The recurrence, checked independently with a plain loop.
        uint8_t rcon = 1;
        for (size_t i = k.nk; i < nwords; i++) {
            uint32_t t = w[i - 1];
            if (i % k.nk == 0) {
                t = sub_word_def((t << 8) | (t >> 24)) ^ ((uint32_t)rcon << 24);
                rcon = gmul(rcon, 2);
            } else if (k.nk == 8 && i % 8 == 4) {
                t = sub_word_def(t);
            }
            ASSERT_EQ(w[i], w[i - k.nk] ^ t) << c.key << " i=" << i;
        }
    }
}

TEST(AesRef, RconSequenceContinuesPastRound10) {
    // docs/spec.md 9.1: 01 02 04 08 10 20 40 80 1b 36 6c d8 ab 4d 9a 2f, period 51.
    const uint8_t expect[] = {0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80,
                              0x1b, 0x36, 0x6c, 0xd8, 0xab, 0x4d, 0x9a, 0x2f};
    uint8_t r = 1;
    for (size_t j = 0; j < sizeof expect; j++, r = gmul(r, 2)) ASSERT_EQ(r, expect[j]) << j;
    r = 1;
    for (int j = 0; j < 51; j++) r = gmul(r, 2);
    EXPECT_EQ(r, 1);
    // And the library uses exactly this: for AES-128 with a zero key, the
    // Rcon of w[4j] can be read back as w[4j] ^ w[4j-4] ^ SubWord(RotWord(w[4j-1])).
    uint8_t zero[16] = {0};
    kg_aes_key k;
    ASSERT_EQ(kg_aes_key_init(&k, zero, 16), KG_AES_OK);
    std::vector<uint32_t> w(4 * 60);
    kg_aes_expand_words(&k, 0, w.size(), w.data());
    r = 1;
    for (size_t j = 1; j < 60; j++, r = gmul(r, 2)) {
        const uint32_t t = sub_word_def((w[4 * j - 1] << 8) | (w[4 * j - 1] >> 24));
        ASSERT_EQ(w[4 * j] ^ w[4 * j - 4] ^ t, (uint32_t)r << 24) << "j=" << j;
    }
}

TEST(AesRef, KeystreamSeekContinuity64KiB) {
    std::mt19937_64 rng(0x5eed0001);
    for (size_t kb : {16u, 24u, 32u}) {
        std::vector<uint8_t> key = kgtest::random_bytes(rng, kb);
        kg_aes_key k;
        ASSERT_EQ(kg_aes_key_init(&k, key.data(), kb), KG_AES_OK);
        uint8_t nonce[12];
        for (auto &b : nonce) b = (uint8_t)rng();
        const size_t N = 64 * 1024 + 37;
        std::vector<uint8_t> dl(N), ctr(N), part(N);
        kg_ks_deeplock(&k, 0, N, dl.data());
        kg_ks_ctr(&k, nonce, 0, N, ctr.data());
        for (int t = 0; t < 200; t++) {
            size_t pos = rng() % N, len = 1 + rng() % (N - pos);
            if (len > 3000) len = 1 + len % 3000;
            kg_ks_deeplock(&k, pos, len, part.data());
            ASSERT_EQ(0, memcmp(part.data(), dl.data() + pos, len)) << "DL key " << hex(key) << " pos " << pos << " len " << len;
            kg_ks_ctr(&k, nonce, pos, len, part.data());
            ASSERT_EQ(0, memcmp(part.data(), ctr.data() + pos, len)) << "CTR key " << hex(key) << " pos " << pos << " len " << len;
        }
    }
}

TEST(AesRef, RoundTripAndWrongKeyBothModes) {
    std::mt19937_64 rng(0x5eed0002);
    for (int mode : {KG_CRYPT_DEEPLOCK, KG_CRYPT_CTR}) {
        for (int img = 0; img < 8; img++) {
            const size_t kb = 16 + 8 * (img % 3);
            std::vector<uint8_t> key = kgtest::random_bytes(rng, kb);
            std::vector<uint8_t> nonce = kgtest::random_bytes(rng, 12);
            kg_aes_key k;
            ASSERT_EQ(kg_aes_key_init(&k, key.data(), kb), KG_AES_OK);
            const size_t len = 64 + rng() % 4000;
            const uint64_t pos = rng() % 100000;
            std::vector<uint8_t> x = kgtest::random_bytes(rng, len), c = x;
            ASSERT_EQ(kg_crypt_encrypt(mode, &k, nonce.data(), pos, c.data(), len), KG_AES_OK);
            EXPECT_NE(c, x) << "mode " << mode;
            std::vector<uint8_t> d = c;
            ASSERT_EQ(kg_crypt_decrypt(mode, &k, nonce.data(), pos, d.data(), len), KG_AES_OK);
            ASSERT_EQ(d, x) << "mode " << mode << " key " << hex(key) << " pos " << pos;
            // Decrypting at the wrong position does not give x either.
            d = c;
            ASSERT_EQ(kg_crypt_decrypt(mode, &k, nonce.data(), pos + 16, d.data(), len), KG_AES_OK);
            EXPECT_NE(d, x);
            if (img != 0) continue;
            // 1000 random wrong keys (of every size) never reproduce x.
            for (int t = 0; t < 1000; t++) {
                const size_t wb = 16 + 8 * (t % 3);
                std::vector<uint8_t> wk = kgtest::random_bytes(rng, wb);
                if (wk == key) continue;
                kg_aes_key w;
                ASSERT_EQ(kg_aes_key_init(&w, wk.data(), wb), KG_AES_OK);
                d = c;
                ASSERT_EQ(kg_crypt_decrypt(mode, &w, nonce.data(), pos, d.data(), len), KG_AES_OK);
                ASSERT_NE(d, x) << "wrong key " << hex(wk) << " reproduced the image, mode " << mode;
                // The KCV tells a wrong key apart as well.
                uint8_t kc[8], kw[8];
                kg_kcv(&k, nonce.data(), kc);
                kg_kcv(&w, nonce.data(), kw);
                ASSERT_NE(0, memcmp(kc, kw, 8)) << "KCV collision for key " << hex(wk);
            }
        }
    }
}

TEST(AesRef, DeepLockEncryptIsSboxOfXor) {
    // c = S(b ^ ks[p]) and b = InvS(c) ^ ks[p], byte by byte (docs/spec.md 9).
    kg_aes_key k = make_key(kgtest::kKeyA1);
    std::vector<uint8_t> b(300), ks(300);
    for (size_t i = 0; i < b.size(); i++) b[i] = (uint8_t)(i * 37 + 11);
    kg_ks_deeplock(&k, 1000, ks.size(), ks.data());
    std::vector<uint8_t> c = b;
    kg_deeplock_encrypt(&k, 1000, c.data(), c.size());
    for (size_t i = 0; i < b.size(); i++) {
        ASSERT_EQ(c[i], sbox_def((uint8_t)(b[i] ^ ks[i]))) << i;
    }
}

TEST(AesRef, KcvIsFirstEightBytesOfFfffffffBlock) {
    for (const auto &v : kgtest::kSp80038a) {
        kg_aes_key k = make_key(v.key);
        std::vector<uint8_t> nonce = unhex(kgtest::kF5Nonce);
        uint8_t kcv[8], blk[16], ks[16];
        kg_kcv(&k, nonce.data(), kcv);
        std::vector<uint8_t> cb = nonce;
        cb.insert(cb.end(), {0xff, 0xff, 0xff, 0xff});
        kg_aes_encrypt_block(&k, cb.data(), blk);
        EXPECT_EQ(0, memcmp(kcv, blk, 8)) << v.name;
        // It is a block no keystream within KG_CTR_MAX_BYTES uses.
        kg_ks_ctr(&k, nonce.data(), KG_CTR_MAX_BYTES - 16, 16, ks);
        EXPECT_NE(0, memcmp(ks, blk, 16)) << v.name;
    }
}

TEST(AesRef, BadInputsGiveErrorCodes) {
    kg_aes_key k;
    uint8_t key[33] = {0};
    for (size_t n : {0u, 1u, 8u, 15u, 17u, 20u, 23u, 25u, 31u, 33u}) {
        EXPECT_EQ(kg_aes_key_init(&k, key, n), KG_AES_ERR_KEYLEN) << n;
        EXPECT_EQ(k.nk, 0u);
    }
    EXPECT_EQ(kg_aes_key_init(nullptr, key, 16), KG_AES_ERR_NULL);
    EXPECT_EQ(kg_aes_key_init(&k, nullptr, 16), KG_AES_ERR_NULL);
    // A key left uninitialised by a failed init is refused later.
    uint8_t buf[16] = {0}, nonce[12] = {0};
    ASSERT_EQ(kg_aes_key_init(&k, key, 7), KG_AES_ERR_KEYLEN);
    EXPECT_EQ(kg_crypt_decrypt(KG_CRYPT_DEEPLOCK, &k, nullptr, 0, buf, 16), KG_AES_ERR_NOKEY);
    ASSERT_EQ(kg_aes_key_init(&k, key, 16), KG_AES_OK);
    EXPECT_EQ(kg_crypt_decrypt(3, &k, nonce, 0, buf, 16), KG_AES_ERR_MODE);
    EXPECT_EQ(kg_crypt_encrypt(-1, &k, nonce, 0, buf, 16), KG_AES_ERR_MODE);
    EXPECT_EQ(kg_crypt_encrypt(KG_CRYPT_CTR, &k, nullptr, 0, buf, 16), KG_AES_ERR_NULL);
    EXPECT_EQ(kg_crypt_encrypt(KG_CRYPT_CTR, &k, nonce, 0, nullptr, 16), KG_AES_ERR_NULL);
    EXPECT_EQ(kg_crypt_encrypt(KG_CRYPT_DEEPLOCK, nullptr, nonce, 0, buf, 16), KG_AES_ERR_NULL);
    EXPECT_EQ(kg_crypt_encrypt(KG_CRYPT_CTR, &k, nonce, KG_CTR_MAX_BYTES - 8, buf, 16), KG_AES_ERR_RANGE);
    EXPECT_EQ(kg_crypt_encrypt(KG_CRYPT_CTR, &k, nonce, KG_CTR_MAX_BYTES - 16, buf, 16), KG_AES_OK);
    // Bypass leaves the bytes alone; errors leave them alone too.
    uint8_t ref[16];
    for (int i = 0; i < 16; i++) buf[i] = ref[i] = (uint8_t)i;
    EXPECT_EQ(kg_crypt_decrypt(KG_CRYPT_NONE, nullptr, nullptr, 0, buf, 16), KG_AES_OK);
    EXPECT_EQ(0, memcmp(buf, ref, 16));
    EXPECT_EQ(kg_crypt_decrypt(7, &k, nonce, 0, buf, 16), KG_AES_ERR_MODE);
    EXPECT_EQ(0, memcmp(buf, ref, 16));
    for (int c : {0, -1, -2, -3, -4, -5, -99}) EXPECT_NE(kg_aes_strerror(c), nullptr);
    EXPECT_STRNE(kg_aes_strerror(KG_AES_ERR_KEYLEN), kg_aes_strerror(-99));
    // Wipe clears every key-derived byte.
    kg_aes_key_wipe(&k);
    const uint8_t *p = (const uint8_t *)&k;
    for (size_t i = 0; i < sizeof k; i++) ASSERT_EQ(p[i], 0) << i;
}

// docs/spec.md 9.2: CTR must match `openssl enc -aes-*-ctr` with
// IV = nonce || 00000000 (skipped when the openssl tool is absent).
TEST(AesRef, CtrMatchesOpensslEnc) {
    if (std::system("openssl version > /dev/null 2>&1") != 0) GTEST_SKIP() << "openssl not installed";
    std::mt19937_64 rng(0x0551);
    const std::string dir = ::testing::TempDir();
    for (size_t kb : {16u, 24u, 32u}) {
        std::vector<uint8_t> key = kgtest::random_bytes(rng, kb), nonce = kgtest::random_bytes(rng, 12);
        std::vector<uint8_t> x = kgtest::random_bytes(rng, 5000 + kb);
        const std::string in = dir + "kg_aes_ossl_in.bin", out = dir + "kg_aes_ossl_out.bin";
        FILE *f = std::fopen(in.c_str(), "wb");
        ASSERT_NE(f, nullptr);
        ASSERT_EQ(std::fwrite(x.data(), 1, x.size(), f), x.size());
        std::fclose(f);
        const std::string cmd = "openssl enc -aes-" + std::to_string(kb * 8) + "-ctr -K " + hex(key) + " -iv " +
                                hex(nonce) + "00000000 -in " + in + " -out " + out;
        ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
        std::vector<uint8_t> ossl(x.size() + 1);
        f = std::fopen(out.c_str(), "rb");
        ASSERT_NE(f, nullptr);
        const size_t n = std::fread(ossl.data(), 1, ossl.size(), f);
        std::fclose(f);
        ASSERT_EQ(n, x.size());
        ossl.resize(n);
        kg_aes_key k;
        ASSERT_EQ(kg_aes_key_init(&k, key.data(), kb), KG_AES_OK);
        kg_ctr_xcrypt(&k, nonce.data(), 0, x.data(), x.size());
        EXPECT_EQ(x, ossl) << cmd;
        std::remove(in.c_str());
        std::remove(out.c_str());
    }
}
