// Shared helpers and published test vectors for the AES test suites.
#pragma once

#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace kgtest {

inline std::vector<uint8_t> unhex(const std::string &s) {
    if (s.size() % 2) throw std::invalid_argument("odd-length hex string");
    std::vector<uint8_t> v(s.size() / 2);
    for (size_t i = 0; i < v.size(); i++) v[i] = (uint8_t)std::stoul(s.substr(2 * i, 2), nullptr, 16);
    return v;
}

inline std::string hex(const std::vector<uint8_t> &v) {
    static const char d[] = "0123456789abcdef";
    std::string s;
    for (uint8_t b : v) {
        s += d[b >> 4];
        s += d[b & 15];
    }
    return s;
}

inline std::vector<uint8_t> random_bytes(std::mt19937_64 &rng, size_t n) {
    std::vector<uint8_t> v(n);
    for (auto &b : v) b = (uint8_t)rng();
    return v;
}

// FIPS-197 Appendix A keys.
constexpr const char *kKeyA1 = "2b7e151628aed2a6abf7158809cf4f3c";
constexpr const char *kKeyA2 = "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b";
constexpr const char *kKeyA3 = "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4";

// FIPS-197 Appendix C example vectors.
struct BlockVec {
    const char *key, *pt, *ct;
};
constexpr BlockVec kAppC[] = {
    {"000102030405060708090a0b0c0d0e0f", "00112233445566778899aabbccddeeff",
     "69c4e0d86a7b0430d8cdb78070b4c55a"},
    {"000102030405060708090a0b0c0d0e0f1011121314151617", "00112233445566778899aabbccddeeff",
     "dda97ca4864cdfe06eaf70a0ec0d7191"},
    {"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "00112233445566778899aabbccddeeff", "8ea2b7ca516745bfeafc49904b496089"},
};

// NIST SP 800-38A F.5.1, F.5.3, F.5.5.  The initial counter block
// f0f1...fdfeff is our nonce f0..fb followed by block index fcfdfeff,
// i.e. byte position fcfdfeff * 16.
constexpr const char *kF5Nonce = "f0f1f2f3f4f5f6f7f8f9fafb";
constexpr uint64_t kF5Pos = (uint64_t)0xfcfdfeffu * 16u;
constexpr const char *kF5Plain =
    "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51"
    "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710";
struct CtrVec {
    const char *name, *key, *ct;
};
constexpr CtrVec kSp80038a[] = {
    {"F.5.1 CTR-AES128", "2b7e151628aed2a6abf7158809cf4f3c",
     "874d6191b620e3261bef6864990db6ce9806f66b7970fdff8617187bb9fffdff"
     "5ae4df3edbd5d35e5b4f09020db03eab1e031dda2fbe03d1792170a0f3009cee"},
    {"F.5.3 CTR-AES192", "8e73b0f7da0e6452c810f32b809079e562f8ead2522c6b7b",
     "1abc932417521ca24f2b0459fe7e6e0b090339ec0aa6faefd5ccc2c6f4ce8e94"
     "1e36b26bd1ebc670d1bd1d665620abf74f78a7f6d29809585a97daec58c6b050"},
    {"F.5.5 CTR-AES256", "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "601ec313775789a5b7a7f504bbf3d228f443e3ca4d62b59aca84e990cacaf5c5"
     "2b0930daa23de94ce87017ba2d84988ddfc9c58db67aada613c2dd08457941a6"},
};

}  // namespace kgtest
