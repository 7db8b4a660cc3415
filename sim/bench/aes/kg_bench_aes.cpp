// kg_bench_aes: throughput of kg_weight_decrypt (Verilated), in cycles per MiB
// against the ideal of 1 MiB / LANES cycles, plus seek costs and the speed of
// the C reference keystream.  Not part of `make test`; `make bench-aes`.
//
// Usage: kg_bench_aes [MiB]   (default 1)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "kg_aes.h"
#include "kg_aes_rtl.hpp"

namespace {

struct Row {
    std::string what;
    uint64_t cycles;
    uint64_t ideal;
};

bool run(const char *cfg, int mode, size_t key_bytes, size_t bytes, Row &row, std::string &err) {
    auto port = kgaes::wd_new(cfg);
    if (!port) {
        err = std::string("no configuration ") + cfg;
        return false;
    }
    kgaes::WdDriver d(std::move(port));
    std::mt19937_64 rng(42);
    std::vector<uint8_t> key(key_bytes), nonce(12), x(bytes), c, out(bytes);
    for (auto &b : key) b = (uint8_t)rng();
    for (auto &b : nonce) b = (uint8_t)rng();
    for (auto &b : x) b = (uint8_t)rng();
    if (d.load_key(key.data(), key.size()) < 0) {
        err = "key load failed";
        return false;
    }
    kg_aes_key ck;
    kg_aes_key_init(&ck, key.data(), key.size());
    c = x;
    kg_crypt_encrypt(mode, &ck, nonce.data(), 0, c.data(), c.size());
    kgaes::BurstStats bs;
    if (!d.burst(mode, nonce.data(), 0, c.data(), c.size(), out.data(), kgaes::Stalls{}, rng, false, &bs)) {
        err = "burst failed";
        return false;
    }
    if (out != x) {
        err = "decrypted image differs from the plaintext";
        return false;
    }
    const size_t lanes = (size_t)d.cfg().lanes;
    static const char *mode_name[] = {"bypass", "Deep-Lock", "CTR"};
    char buf[160];
    std::snprintf(buf, sizeof buf, "%-10s AES-%zu %-14s LANES=%-2zu %s", mode_name[mode], key_bytes * 8, cfg, lanes,
                  !d.cfg().ctr ? "no cipher" : d.cfg().pipelined ? "pipelined" : "iterative");
    row.what = buf;
    row.cycles = bs.cycles;
    row.ideal = bytes / lanes;
    return true;
}

}  // namespace

int main(int argc, char **argv) {
    const size_t mib = argc > 1 ? (size_t)std::strtoul(argv[1], nullptr, 10) : 1;
    if (mib == 0 || mib > 64) {
        std::fprintf(stderr, "usage: kg_bench_aes [MiB 1..64]\n");
        return 2;
    }
    const size_t bytes = mib << 20;
    struct Case {
        const char *cfg;
        int mode;
        size_t kb;
    };
    const Case cases[] = {
        {"wd16", KG_CRYPT_NONE, 16},          {"wd16", KG_CRYPT_DEEPLOCK, 16},
        {"wd16", KG_CRYPT_DEEPLOCK, 32},      {"wd16_dl_ebr", KG_CRYPT_DEEPLOCK, 16},
        {"wd16", KG_CRYPT_CTR, 16},           {"wd16", KG_CRYPT_CTR, 32},
        {"wd16_iter_ebr", KG_CRYPT_CTR, 16},  {"wd16_iter_ebr", KG_CRYPT_CTR, 32},
        {"wd4_ebr", KG_CRYPT_DEEPLOCK, 16},   {"wd4_ebr", KG_CRYPT_CTR, 32},
        {"wd8_iter", KG_CRYPT_CTR, 16},
    };
    std::printf("kg_bench_aes: %zu MiB per run, no stalls, start at p = 0 (cycles include the start\n"
                "pulse, the seek and the one-cycle output latency)\n\n", mib);
    std::printf("%-58s %12s %12s %10s\n", "run", "cycles", "ideal", "ideal/real");
    int rc = 0;
    for (const Case &c : cases) {
        Row r;
        std::string err;
        if (!run(c.cfg, c.mode, c.kb, bytes, r, err)) {
            std::printf("%-58s FAILED: %s\n", c.cfg, err.c_str());
            rc = 1;
            continue;
        }
        std::printf("%-58s %12llu %12llu %10.4f\n", r.what.c_str(), (unsigned long long)r.cycles,
                    (unsigned long long)r.ideal, (double)r.ideal / (double)r.cycles);
    }

    // Deep-Lock seek cost: from the key to p = 1 MiB, and from a checkpoint.
    {
        auto port = kgaes::wd_new("wd16");
        kgaes::WdDriver d(std::move(port));
        std::mt19937_64 rng(7);
        uint8_t key[16] = {1, 2, 3, 4};
        d.load_key(key, 16);
        std::vector<uint8_t> in(64, 0x63), out(64);
        kgaes::BurstStats a, b;
        d.burst(KG_CRYPT_DEEPLOCK, nullptr, bytes, in.data(), 64, out.data(), kgaes::Stalls{}, rng, true, &a);
        d.burst(KG_CRYPT_DEEPLOCK, nullptr, 0, in.data(), 64, out.data(), kgaes::Stalls{}, rng, false, &b);
        kgaes::BurstStats c;
        d.burst(KG_CRYPT_DEEPLOCK, nullptr, bytes, in.data(), 64, out.data(), kgaes::Stalls{}, rng, false, &c);
        std::printf("\nDeep-Lock seek (LANES=16): key -> p=%zu MiB: %llu cycles; back to p=0: %llu cycles;"
                    " to the checkpoint at %zu MiB: %llu cycles\n",
                    mib, (unsigned long long)a.seek, (unsigned long long)b.seek, mib, (unsigned long long)c.seek);
    }

    // C reference: a Deep-Lock keystream seek regenerates from the key.
    {
        uint8_t key[32] = {9};
        kg_aes_key k;
        kg_aes_key_init(&k, key, 32);
        uint8_t ks[16];
        const auto t0 = std::chrono::steady_clock::now();
        const int reps = 20;
        for (int i = 0; i < reps; i++) kg_ks_deeplock(&k, (uint64_t)1 << 20, 16, ks);
        const auto t1 = std::chrono::steady_clock::now();
        const double ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / reps;
        std::vector<uint8_t> buf(bytes);
        const auto t2 = std::chrono::steady_clock::now();
        kg_deeplock_decrypt(&k, 0, buf.data(), buf.size());
        const auto t3 = std::chrono::steady_clock::now();
        std::printf("C reference: Deep-Lock seek to 1 MiB %.3f ms; decrypt %zu MiB %.3f ms\n", ms, mib,
                    std::chrono::duration<double, std::milli>(t3 - t2).count());
    }
    return rc;
}
