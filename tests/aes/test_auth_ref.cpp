// The C reference of the device's VERIFY command (kg_auth.h, docs/spec.md
// 11): AES-CMAC against SP 800-38B / RFC 4493 and `openssl mac`, the
// SP 800-108 CMAC KDF and the per-model keys against `openssl kdf KBKDF`.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <vector>

#include "aes_test_util.h"
#include "kg_auth.h"

using kgtest::hex;
using kgtest::unhex;

namespace {

kg_aes_key key_of(const std::vector<uint8_t>& k) {
    kg_aes_key x;
    EXPECT_EQ(KG_AES_OK, kg_aes_key_init(&x, k.data(), k.size()));
    return x;
}

std::string cmac_hex(const std::vector<uint8_t>& key, const std::vector<uint8_t>& msg) {
    kg_aes_key k = key_of(key);
    uint8_t tag[16];
    kg_cmac(&k, msg.data(), msg.size(), tag);
    return hex(std::vector<uint8_t>(tag, tag + 16));
}

// Runs a shell command and returns its stdout with whitespace and colons removed, lower case.
std::string run(const std::string& cmd) {
    FILE* p = popen(cmd.c_str(), "r");
    EXPECT_NE(p, nullptr) << cmd;
    if (!p) return "";
    std::string out;
    for (int c; (c = std::fgetc(p)) != EOF;)
        if (std::isxdigit(c)) out += static_cast<char>(std::tolower(c));
    EXPECT_EQ(0, pclose(p)) << cmd;
    return out;
}

bool have_openssl() { return std::system("openssl version > /dev/null 2>&1") == 0; }

const char* kMsg64 =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";

}  // namespace

// SP 800-38B D.1 (= RFC 4493 4) and D.3: lengths 0, 16, 40 (a partial last
// block) and 64 bytes, AES-128 and AES-256.
TEST(AuthRef, CmacMatchesSp800_38bExamples) {
    const auto k128 = unhex(kgtest::kKeyA1);  // 2b7e1516...
    const auto k256 = unhex("603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4");
    const auto m = unhex(kMsg64);
    auto pre = [&](size_t n) { return std::vector<uint8_t>(m.begin(), m.begin() + n); };
    EXPECT_EQ("bb1d6929e95937287fa37d129b756746", cmac_hex(k128, pre(0)));
    EXPECT_EQ("070a16b46b4d4144f79bdd9dd04a287c", cmac_hex(k128, pre(16)));
    EXPECT_EQ("dfa66747de9ae63030ca32611497c827", cmac_hex(k128, pre(40)));
    EXPECT_EQ("51f0bebf7e3b9d92fc49741779363cfe", cmac_hex(k128, pre(64)));
    EXPECT_EQ("028962f61b7bf89efc6b551f4667d983", cmac_hex(k256, pre(0)));
    EXPECT_EQ("28a7023f452e8f82bd4bf28d8c37c35c", cmac_hex(k256, pre(16)));
    EXPECT_EQ("aaf3d8f1de5640c232f5b169b9c911e6", cmac_hex(k256, pre(40)));
    EXPECT_EQ("e1992190549f6ed5696a2c056c315410", cmac_hex(k256, pre(64)));
}

// Any split of the message gives the same tag as the one-shot call.
TEST(AuthRef, CmacIncrementalEqualsOneShot) {
    std::mt19937_64 rng(0xc3ac);
    const auto key = kgtest::random_bytes(rng, 24);
    kg_aes_key k = key_of(key);
    for (size_t len : {0u, 1u, 15u, 16u, 17u, 31u, 32u, 33u, 200u}) {
        const auto msg = kgtest::random_bytes(rng, len);
        uint8_t a[16], b[16];
        kg_cmac(&k, msg.data(), len, a);
        kg_cmac_ctx c;
        kg_cmac_init(&c, &k);
        for (size_t i = 0; i < len;) {
            size_t n = std::min<size_t>(len - i, 1 + rng() % 19);
            kg_cmac_update(&c, msg.data() + i, n);
            i += n;
        }
        kg_cmac_final(&c, b);
        EXPECT_EQ(0, std::memcmp(a, b, 16)) << len;
    }
}

// `openssl mac -cipher AES-*-CBC CMAC` over random messages and keys.
TEST(AuthRef, CmacMatchesOpensslMac) {
    ASSERT_TRUE(have_openssl()) << "the openssl tool is a test dependency (scripts/packages.txt)";
    std::mt19937_64 rng(0x0cac);
    const std::string dir = ::testing::TempDir();
    for (size_t kb : {16u, 24u, 32u})
        for (size_t len : {0u, 16u, 100u, 4096u}) {
            const auto key = kgtest::random_bytes(rng, kb), msg = kgtest::random_bytes(rng, len);
            const std::string in = dir + "kg_auth_cmac.bin";
            FILE* f = std::fopen(in.c_str(), "wb");
            ASSERT_NE(f, nullptr);
            if (len) {
                ASSERT_EQ(len, std::fwrite(msg.data(), 1, len, f));
            }
            std::fclose(f);
            const std::string cmd = "openssl mac -cipher AES-" + std::to_string(kb * 8) +
                                    "-CBC -macopt hexkey:" + hex(key) + " -in " + in + " CMAC";
            EXPECT_EQ(run(cmd), cmac_hex(key, msg)) << cmd;
            std::remove(in.c_str());
        }
}

// SP 800-108 counter mode with CMAC = `openssl kdf ... KBKDF` (counter mode,
// 32-bit counter, [L] and the 00 separator are its defaults).
TEST(AuthRef, KdfMatchesOpensslKbkdf) {
    ASSERT_TRUE(have_openssl()) << "the openssl tool is a test dependency (scripts/packages.txt)";
    std::mt19937_64 rng(0xbdf1);
    for (size_t kb : {16u, 24u, 32u})
        for (size_t outlen : {1u, 16u, 24u, 32u, 33u, 128u}) {
            const auto key = kgtest::random_bytes(rng, kb), ctx = kgtest::random_bytes(rng, 12);
            const std::string label = KG_KDF_LABEL_SGN;
            kg_aes_key k = key_of(key);
            std::vector<uint8_t> out(outlen);
            ASSERT_EQ(KG_AES_OK, kg_kdf_cmac(&k, reinterpret_cast<const uint8_t*>(label.data()), label.size(),
                                             ctx.data(), ctx.size(), out.data(), outlen));
            const std::string cmd = "openssl kdf -keylen " + std::to_string(outlen) +
                                    " -kdfopt mac:CMAC -kdfopt cipher:AES-" + std::to_string(kb * 8) +
                                    "-CBC -kdfopt hexkey:" + hex(key) + " -kdfopt salt:" + label +
                                    " -kdfopt hexinfo:" + hex(ctx) + " KBKDF";
            EXPECT_EQ(run(cmd), hex(out)) << cmd;
        }
}

// The three model keys are the KDF under their labels; the sign key is the
// device key XOR the mask, cleared past R*C bits.  Checked against openssl.
TEST(AuthRef, ModelKeysAreTheKdfUnderTheirLabels) {
    ASSERT_TRUE(have_openssl()) << "the openssl tool is a test dependency (scripts/packages.txt)";
    std::mt19937_64 rng(0x3de1);
    for (size_t kb : {16u, 32u})
        for (unsigned bits : {4u, 64u, 256u, 1024u}) {
            const auto dkey = kgtest::random_bytes(rng, kb), nonce = kgtest::random_bytes(rng, 12);
            kg_aes_key dev = key_of(dkey);
            kg_model_keys mk;
            ASSERT_EQ(KG_AES_OK, kg_model_keys_derive(&dev, nonce.data(), bits, &mk));
            auto ossl = [&](const char* label, size_t n) {
                return run("openssl kdf -keylen " + std::to_string(n) + " -kdfopt mac:CMAC -kdfopt cipher:AES-" +
                           std::to_string(kb * 8) + "-CBC -kdfopt hexkey:" + hex(dkey) + " -kdfopt salt:" +
                           label + " -kdfopt hexinfo:" + hex(nonce) + " KBKDF");
            };
            EXPECT_EQ(ossl(KG_KDF_LABEL_ENC, kb), hex(std::vector<uint8_t>(mk.enc.key, mk.enc.key + kb)));
            EXPECT_EQ(ossl(KG_KDF_LABEL_MAC, kb), hex(std::vector<uint8_t>(mk.mac.key, mk.mac.key + kb)));
            const size_t sl = (bits + 7) / 8;
            ASSERT_EQ(sl, mk.smask_len);
            EXPECT_EQ(ossl(KG_KDF_LABEL_SGN, sl), hex(std::vector<uint8_t>(mk.smask, mk.smask + sl)));
            const auto dsign = kgtest::random_bytes(rng, sl);
            std::vector<uint8_t> eff(sl);
            kg_model_sign_key(&mk, dsign.data(), bits, eff.data());
            for (unsigned i = 0; i < 8 * sl; i++) {
                const int want = i < bits ? (((dsign[i / 8] ^ mk.smask[i / 8]) >> (i % 8)) & 1) : 0;
                ASSERT_EQ(want, (eff[i / 8] >> (i % 8)) & 1) << i;
            }
            // Another nonce gives unrelated keys.
            auto n2 = nonce;
            n2[11] ^= 1;
            kg_model_keys mk2;
            ASSERT_EQ(KG_AES_OK, kg_model_keys_derive(&dev, n2.data(), bits, &mk2));
            EXPECT_NE(0, std::memcmp(mk.enc.key, mk2.enc.key, kb));
            kg_model_keys_wipe(&mk);
            const uint8_t* p = reinterpret_cast<const uint8_t*>(&mk);
            for (size_t i = 0; i < sizeof mk; i++) ASSERT_EQ(0, p[i]) << i;
        }
}

TEST(AuthRef, BadArgumentsAreRefused) {
    kg_aes_key unset{};
    uint8_t out[16], nonce[12] = {0};
    kg_model_keys mk;
    EXPECT_EQ(KG_AES_ERR_NOKEY, kg_kdf_cmac(&unset, nullptr, 0, nullptr, 0, out, 16));
    EXPECT_EQ(KG_AES_ERR_NULL, kg_kdf_cmac(nullptr, nullptr, 0, nullptr, 0, out, 16));
    EXPECT_EQ(KG_AES_ERR_NOKEY, kg_model_keys_derive(&unset, nonce, 64, &mk));
    kg_aes_key k = key_of(unhex(kgtest::kKeyA1));
    EXPECT_EQ(KG_AES_ERR_RANGE, kg_kdf_cmac(&k, nullptr, 0, nullptr, 0, out, 0));
    EXPECT_EQ(KG_AES_ERR_RANGE, kg_model_keys_derive(&k, nonce, 0, &mk));
    EXPECT_EQ(KG_AES_ERR_RANGE, kg_model_keys_derive(&k, nonce, 1025, &mk));
}
