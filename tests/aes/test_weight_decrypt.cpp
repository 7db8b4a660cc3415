// kg_weight_decrypt (Verilated, every configuration) against the C reference.
#include <gtest/gtest.h>

#include <cstring>
#include <iomanip>
#include <random>
#include <string>
#include <vector>

#include "aes_test_util.h"
#include "kg_aes.h"
#include "kg_aes_rtl.hpp"

using kgaes::BurstStats;
using kgaes::Stalls;
using kgaes::WdDriver;
using kgtest::hex;
using kgtest::unhex;

namespace {

std::vector<std::string> config_names() {
    std::vector<std::string> v;
    for (const auto &c : kgaes::wd_configs()) v.push_back(c.name);
    return v;
}

class Wd : public ::testing::TestWithParam<std::string> {
protected:
    void SetUp() override {
        auto p = kgaes::wd_new(GetParam());
        ASSERT_NE(p, nullptr);
        d.reset(new WdDriver(std::move(p)));
        L = (size_t)d->cfg().lanes;
    }
    // Loads `key` into the RTL and the C reference.
    void load(const std::vector<uint8_t> &key) {
        ASSERT_GT(d->load_key(key.data(), key.size()), 0) << "key " << hex(key);
        ASSERT_EQ(kg_aes_key_init(&ck, key.data(), key.size()), KG_AES_OK);
    }
    bool has_ctr() const { return d->cfg().ctr; }
    // Deep-Lock keystream from the RTL: InvS(0x63) = 0, so decrypting bytes
    // 0x63 yields ks itself.
    std::vector<uint8_t> rtl_dl_keystream(uint64_t pos, size_t len, const Stalls &st, std::mt19937_64 &rng,
                                          BurstStats *bs = nullptr, bool save = false) {
        std::vector<uint8_t> in(len, 0x63), out(len, 0);
        EXPECT_TRUE(d->burst(KG_CRYPT_DEEPLOCK, nullptr, pos, in.data(), len, out.data(), st, rng, save, bs))
            << "burst failed at pos " << pos;
        return out;
    }
    std::vector<uint8_t> rtl_ctr_keystream(const uint8_t *nonce, uint64_t pos, size_t len, const Stalls &st,
                                           std::mt19937_64 &rng, BurstStats *bs = nullptr) {
        std::vector<uint8_t> in(len, 0), out(len, 0);
        EXPECT_TRUE(d->burst(KG_CRYPT_CTR, nonce, pos, in.data(), len, out.data(), st, rng, false, bs))
            << "burst failed at pos " << pos;
        return out;
    }
    // One random RTL-vs-C burst; returns false (with a message) on mismatch.
    void random_burst(int mode, std::mt19937_64 &rng, uint64_t pos, size_t len, const uint8_t *nonce,
                      const std::string &tag) {
        const Stalls st{(double)(rng() % 4) / 5.0, (double)(rng() % 4) / 5.0};
        std::vector<uint8_t> x = kgtest::random_bytes(rng, len), c = x, out(len, 0);
        ASSERT_EQ(kg_crypt_encrypt(mode, &ck, nonce, pos, c.data(), len), KG_AES_OK);
        const bool save = (rng() % 3) == 0;
        ASSERT_TRUE(d->burst(mode, nonce, pos, c.data(), len, out.data(), st, rng, save))
            << tag << " mode " << mode << " pos " << pos << " len " << len;
        if (out != x) {
            size_t i = 0;
            while (out[i] == x[i]) i++;
            FAIL() << tag << " mode " << mode << " pos " << pos << " len " << len << " stalls " << std::setprecision(2) << st.in_idle
                   << "/" << st.out_block << ": first mismatch at byte " << i << " rtl "
                   << (int)out[i] << " expected " << (int)x[i];
        }
    }
    uint64_t random_pos(std::mt19937_64 &rng, int mode) {
        uint64_t p;
        const unsigned r = rng() % 10;
        if (mode == KG_CRYPT_CTR && r == 0) p = rng() % (KG_CTR_MAX_BYTES - 8192);  // anywhere
        else if (r < 5) p = rng() % 4096;
        else if (r < 9) p = rng() % 32768;
        else p = rng() % (256 * 1024);
        return p / L * L;
    }

    std::unique_ptr<WdDriver> d;
    size_t L = 16;
    kg_aes_key ck;
};

TEST_P(Wd, BriefCheckValueAndAppendixAWords) {
    std::mt19937_64 rng(11);
    const char *keys[] = {kgtest::kKeyA1, kgtest::kKeyA2, kgtest::kKeyA3};
    for (const char *kh : keys) {
        load(unhex(kh));
        const size_t nk = ck.nk, total = 4 * (ck.nr + 1);
        std::vector<uint8_t> ks = rtl_dl_keystream(0, 4 * (total - nk), Stalls{}, rng);
        if (kh == keys[0]) {
            EXPECT_EQ(hex(std::vector<uint8_t>(ks.begin(), ks.begin() + 4)), "a0fafe17");
        }
        for (size_t i = nk; i < total; i++) {
            const uint32_t w = ((uint32_t)ks[4 * (i - nk)] << 24) | ((uint32_t)ks[4 * (i - nk) + 1] << 16) |
                               ((uint32_t)ks[4 * (i - nk) + 2] << 8) | ks[4 * (i - nk) + 3];
            ASSERT_EQ(w, ck.rk[i]) << "key " << kh << " w[" << i << "]";
        }
    }
}

TEST_P(Wd, Sp80038aCtrVectorsThroughDecryptUnit) {
    if (!has_ctr()) GTEST_SKIP() << "CTR_EN=0";
    std::mt19937_64 rng(12);
    std::vector<uint8_t> nonce = unhex(kgtest::kF5Nonce);
    for (const auto &v : kgtest::kSp80038a) {
        load(unhex(v.key));
        for (int stalls = 0; stalls < 2; stalls++) {
            std::vector<uint8_t> c = unhex(v.ct), out(c.size());
            const Stalls st = stalls ? Stalls{0.4, 0.4} : Stalls{};
            // The SP 800-38A counter block f0..ff is nonce f0..fb, index fcfdfeff.
            ASSERT_TRUE(d->burst(KG_CRYPT_CTR, nonce.data(), kgtest::kF5Pos, c.data(), c.size(), out.data(), st, rng));
            EXPECT_EQ(hex(out), kgtest::kF5Plain) << v.name << " stalls " << stalls;
        }
    }
}

TEST_P(Wd, RandomKeysBothModesVsC) {
    // 300 random keys of each size, every configuration.
    const int per_size = 300;
    std::mt19937_64 rng(0xdec0de00 + L);
    for (int t = 0; t < 3 * per_size; t++) {
        const size_t kb = 16 + 8 * (t % 3);
        std::vector<uint8_t> key = kgtest::random_bytes(rng, kb);
        std::vector<uint8_t> nonce = kgtest::random_bytes(rng, 12);
        load(key);
        const std::string tag = "case " + std::to_string(t) + " key " + hex(key) + " nonce " + hex(nonce);
        // Two or three bursts per key so that seeks go forwards, backwards
        // and to the checkpoint.
        const int bursts = 2 + (int)(rng() % 2);
        for (int b = 0; b < bursts; b++) {
            int mode = (b == 0) ? KG_CRYPT_DEEPLOCK : (b == 1) ? KG_CRYPT_CTR : (int)(rng() % 3);
            if (!has_ctr() && mode == KG_CRYPT_CTR) mode = KG_CRYPT_DEEPLOCK;
            const size_t len = 1 + rng() % 2048;
            random_burst(mode, rng, random_pos(rng, mode), len, nonce.data(), tag + " burst " + std::to_string(b));
            if (HasFatalFailure() || HasNonfatalFailure()) return;
        }
    }
}

TEST_P(Wd, SeekContinuity64KiB) {
    std::mt19937_64 rng(0x5eec + L);
    std::vector<uint8_t> key = kgtest::random_bytes(rng, 16 + 8 * (L % 3));
    std::vector<uint8_t> nonce = kgtest::random_bytes(rng, 12);
    load(key);
    const size_t N = 64 * 1024 + 4 * L;
    // One stream 0..N, with stalls.
    std::vector<uint8_t> dl = rtl_dl_keystream(0, N, Stalls{0.1, 0.1}, rng);
    std::vector<uint8_t> ref(N);
    kg_ks_deeplock(&ck, 0, N, ref.data());
    ASSERT_EQ(dl, ref) << "Deep-Lock long stream, key " << hex(key);
    std::vector<uint8_t> ctr;
    if (has_ctr()) {
        ctr = rtl_ctr_keystream(nonce.data(), 0, N, Stalls{0.1, 0.1}, rng);
        kg_ks_ctr(&ck, nonce.data(), 0, N, ref.data());
        ASSERT_EQ(ctr, ref) << "CTR long stream, key " << hex(key);
    }
    // Seeks to arbitrary positions reproduce the same bytes.
    for (int s = 0; s < 60; s++) {
        const uint64_t pos = (rng() % (N - 64)) / L * L;
        const size_t len = 1 + rng() % std::min<size_t>(N - pos, 700);
        std::vector<uint8_t> part = rtl_dl_keystream(pos, len, Stalls{0.2, 0.2}, rng, nullptr, rng() % 2);
        ASSERT_EQ(0, memcmp(part.data(), dl.data() + pos, len)) << "DL seek " << s << " pos " << pos;
        if (has_ctr()) {
            part = rtl_ctr_keystream(nonce.data(), pos, len, Stalls{0.2, 0.2}, rng);
            ASSERT_EQ(0, memcmp(part.data(), ctr.data() + pos, len)) << "CTR seek " << s << " pos " << pos;
        }
    }
}

TEST_P(Wd, SeekCostAndCheckpoint) {
    std::mt19937_64 rng(0xc05 + L);
    load(kgtest::random_bytes(rng, 24));
    BurstStats bs;
    // From the key: 3 + p / LANES cycles from the start pulse to in_ready.
    const uint64_t p1 = 1000 * L;
    rtl_dl_keystream(p1, 4 * L, Stalls{}, rng, &bs, /*save=*/true);
    EXPECT_EQ(bs.seek, 3 + p1 / L);
    // Far ahead of the current position: only the distance counts.
    const uint64_t p2 = p1 + 3000 * L;
    rtl_dl_keystream(p2, 4 * L, Stalls{}, rng, &bs);
    EXPECT_EQ(bs.seek, 2 + (p2 - (p1 + 4 * L)) / L);
    // Back to the checkpoint (behind the current position): 2 cycles.
    std::vector<uint8_t> a = rtl_dl_keystream(p1, 8 * L, Stalls{}, rng, &bs);
    EXPECT_EQ(bs.seek, 2u);
    // Just past the checkpoint.
    rtl_dl_keystream(p1 + 50 * L, 4 * L, Stalls{}, rng, &bs);
    std::vector<uint8_t> ref(8 * L);
    kg_ks_deeplock(&ck, p1, ref.size(), ref.data());
    EXPECT_EQ(a, ref);
    rtl_dl_keystream(p1 + 10 * L, 4 * L, Stalls{}, rng, &bs);
    EXPECT_EQ(bs.seek, 2 + 10u) << "checkpoint + 10 beats";
    // Behind the checkpoint: restart from the key.
    rtl_dl_keystream(p1 - 5 * L, 4 * L, Stalls{}, rng, &bs);
    EXPECT_EQ(bs.seek, 3 + p1 / L - 5);
}

TEST_P(Wd, ThroughputLongStreams) {
    std::mt19937_64 rng(0x7b + L);
    load(kgtest::random_bytes(rng, 32));
    const size_t N = 256 * L * 16;  // 4096 beats
    const uint64_t beats = N / L;
    std::vector<uint8_t> in(N, 0x00), out(N);
    BurstStats bs;
    // Bypass: one beat per cycle, one cycle of latency, plus the start pulse.
    ASSERT_TRUE(d->burst(KG_CRYPT_NONE, nullptr, 0, in.data(), N, out.data(), Stalls{}, rng, false, &bs));
    EXPECT_EQ(bs.cycles, beats + 2);
    EXPECT_EQ(out, in);
    // Deep-Lock from position 0.
    ASSERT_TRUE(d->burst(KG_CRYPT_DEEPLOCK, nullptr, 0, in.data(), N, out.data(), Stalls{}, rng, false, &bs));
    EXPECT_EQ(bs.cycles, beats + 2 + 2);
    EXPECT_EQ(bs.ks_stalls, 0u);
    if (has_ctr()) {
        uint8_t nonce[12] = {1, 2, 3};
        ASSERT_TRUE(d->burst(KG_CRYPT_CTR, nonce, 0, in.data(), N, out.data(), Stalls{}, rng, false, &bs));
        const double ratio = (double)beats / (double)bs.cycles;
        if (d->cfg().pipelined) {
            EXPECT_GE(ratio, 0.99) << "pipelined CTR must sustain LANES bytes per cycle";
            EXPECT_LE(bs.cycles, beats + 20);
        } else {
            const double blocks_per_beat = (double)L / 16.0;
            EXPECT_NEAR(ratio, 1.0 / std::max(1.0, blocks_per_beat * 15.0), 0.02) << "iterative AES-256";
        }
    }
}

TEST_P(Wd, KcvMatchesC) {
    if (!has_ctr()) {
        uint8_t n[12] = {0}, k[8];
        load(std::vector<uint8_t>(16, 1));
        EXPECT_EQ(d->kcv(n, k), -1) << "KCV needs the cipher: cfg_err expected";
        return;
    }
    std::mt19937_64 rng(0x6c + L);
    for (int t = 0; t < 60; t++) {
        const size_t kb = 16 + 8 * (t % 3);
        std::vector<uint8_t> key = kgtest::random_bytes(rng, kb), nonce = kgtest::random_bytes(rng, 12);
        load(key);
        uint8_t got[8], ref[8];
        ASSERT_GT(d->kcv(nonce.data(), got), 0);
        kg_kcv(&ck, nonce.data(), ref);
        ASSERT_EQ(hex(std::vector<uint8_t>(got, got + 8)), hex(std::vector<uint8_t>(ref, ref + 8)))
            << "case " << t << " key " << hex(key) << " nonce " << hex(nonce);
    }
}

TEST_P(Wd, KcvDuringCtrStream) {
    if (!has_ctr()) GTEST_SKIP() << "CTR_EN=0";
    std::mt19937_64 rng(0x6d + L);
    std::vector<uint8_t> key = kgtest::random_bytes(rng, 32), nonce = kgtest::random_bytes(rng, 12),
                         knonce = kgtest::random_bytes(rng, 12);
    load(key);
    WdDriver &dr = *d;
    kgaes::WdPort &p = dr.port();
    // Start a CTR burst, and request a KCV (other nonce) while it streams.
    const size_t beats = 200;
    std::vector<uint8_t> x = kgtest::random_bytes(rng, beats * L), c = x, got(beats * L);
    kg_ctr_xcrypt(&ck, nonce.data(), 4096, c.data(), c.size());
    size_t sent = 0, recv = 0;
    bool kcv_req = false, kcv_seen = false;
    uint8_t kcv[8] = {0};
    p.set_nonce(nonce.data());  // sampled by the start pulse
    ASSERT_FALSE(dr.start_only(KG_CRYPT_CTR, 4096));
    for (int cyc = 0; cyc < 5000 && recv < beats; cyc++) {
        p.set_in_valid(sent < beats);
        if (sent < beats) p.set_in_data(&c[sent * L]);
        p.set_out_ready(true);
        const bool fire_kcv = !kcv_req && sent == 20;
        p.set_kcv_start(fire_kcv);
        if (fire_kcv) {
            p.set_nonce(knonce.data());
            kcv_req = true;
        }
        p.eval();
        if (p.in_ready() && sent < beats) sent++;
        if (p.out_valid()) p.out_data(&got[L * recv++]);
        if (p.kcv_valid() && !kcv_seen) {
            p.kcv(kcv);
            kcv_seen = true;
        }
        dr.tick();
        p.set_kcv_start(false);
    }
    p.eval();
    if (!kcv_seen && p.kcv_valid()) {
        p.kcv(kcv);
        kcv_seen = true;
    }
    ASSERT_EQ(recv, beats);
    EXPECT_EQ(got, x);
    ASSERT_TRUE(kcv_seen);
    uint8_t ref[8];
    kg_kcv(&ck, knonce.data(), ref);
    EXPECT_EQ(0, memcmp(kcv, ref, 8));
}

TEST_P(Wd, ResetMidStreamThenRestart) {
    std::mt19937_64 rng(0x4e5 + L);
    for (int t = 0; t < 6; t++) {
        const int mode = (t % 2 && has_ctr()) ? KG_CRYPT_CTR : KG_CRYPT_DEEPLOCK;
        std::vector<uint8_t> key = kgtest::random_bytes(rng, 16 + 8 * (t % 3)), nonce = kgtest::random_bytes(rng, 12);
        load(key);
        kgaes::WdPort &p = d->port();
        p.set_nonce(nonce.data());
        ASSERT_FALSE(d->start_only(mode, 64 * L));
        // Stream some beats, then reset while beats are in flight.
        std::vector<uint8_t> junk = kgtest::random_bytes(rng, L);
        for (int c = 0; c < 30; c++) {
            p.set_in_valid(true);
            p.set_in_data(junk.data());
            p.set_out_ready(c % 3 != 0);
            d->tick();
        }
        d->reset(1 + t);
        p.eval();
        EXPECT_FALSE(p.key_ready()) << "reset clears the key";
        EXPECT_FALSE(p.out_valid());
        EXPECT_FALSE(p.in_ready());
        // Correct restart.
        load(key);
        random_burst(mode, rng, random_pos(rng, mode), 1 + rng() % 1500, nonce.data(),
                     "after reset, case " + std::to_string(t));
    }
}

TEST_P(Wd, ZeroizeClearsKeyAndRestarts) {
    std::mt19937_64 rng(0x2e + L);
    std::vector<uint8_t> key = kgtest::random_bytes(rng, 32), nonce = kgtest::random_bytes(rng, 12);
    load(key);
    random_burst(KG_CRYPT_DEEPLOCK, rng, 0, 500, nonce.data(), "before zeroize");
    // A checkpoint exists now (maybe); after zeroize nothing key-derived may remain.
    d->zeroize();
    kgaes::WdPort &p = d->port();
    p.eval();
    EXPECT_FALSE(p.key_ready());
    EXPECT_FALSE(p.kcv_valid());
    EXPECT_FALSE(p.out_valid());
    std::vector<uint8_t> od(L, 0xee);
    p.out_data(od.data());
    EXPECT_EQ(od, std::vector<uint8_t>(L, 0)) << "output registers cleared";
    EXPECT_TRUE(d->start_only(KG_CRYPT_DEEPLOCK, 0)) << "Deep-Lock without a key must be refused";
    if (has_ctr()) {
        EXPECT_TRUE(d->start_only(KG_CRYPT_CTR, 0));
    }
    EXPECT_FALSE(d->start_only(KG_CRYPT_NONE, 0)) << "bypass needs no key";
    // Deep-Lock output with the zero key is not the old key's output.
    load(key);
    random_burst(KG_CRYPT_DEEPLOCK, rng, 16 * L, 700, nonce.data(), "after zeroize");
}

TEST_P(Wd, WrongKeysNeverReproduceImage) {
    // Decrypt(encrypt(x)) = x, and 1000 random wrong keys never give x back
    // (200 per mode on the smaller configurations).
    const int wrong = GetParam() == "wd16" ? 1000 : 100;
    std::mt19937_64 rng(0x3f + L);
    for (int mode : {KG_CRYPT_DEEPLOCK, KG_CRYPT_CTR}) {
        if (mode == KG_CRYPT_CTR && !has_ctr()) continue;
        std::vector<uint8_t> key = kgtest::random_bytes(rng, 16), nonce = kgtest::random_bytes(rng, 12);
        load(key);
        const size_t len = 4 * L;
        const uint64_t pos = 32 * L;
        std::vector<uint8_t> x = kgtest::random_bytes(rng, len), c = x, out(len);
        ASSERT_EQ(kg_crypt_encrypt(mode, &ck, nonce.data(), pos, c.data(), len), KG_AES_OK);
        ASSERT_TRUE(d->burst(mode, nonce.data(), pos, c.data(), len, out.data(), Stalls{}, rng));
        ASSERT_EQ(out, x) << "right key, mode " << mode;
        for (int t = 0; t < wrong; t++) {
            std::vector<uint8_t> wk = kgtest::random_bytes(rng, 16 + 8 * (t % 3));
            if (wk == key) continue;
            ASSERT_GT(d->load_key(wk.data(), wk.size()), 0);
            ASSERT_TRUE(d->burst(mode, nonce.data(), pos, c.data(), len, out.data(), Stalls{}, rng));
            ASSERT_NE(out, x) << "wrong key " << hex(wk) << " reproduced the image, mode " << mode;
        }
    }
}

TEST_P(Wd, BadRequestsRaiseCfgErr) {
    std::mt19937_64 rng(0xbad);
    kgaes::WdPort &p = d->port();
    EXPECT_TRUE(d->start_only(KG_CRYPT_DEEPLOCK, 0)) << "no key loaded";
    load(kgtest::random_bytes(rng, 16));
    EXPECT_FALSE(d->start_only(KG_CRYPT_DEEPLOCK, 0));
    EXPECT_TRUE(d->start_only(3, 0)) << "mode 3 is reserved";
    EXPECT_TRUE(d->start_only(KG_CRYPT_DEEPLOCK, L / 2)) << "start_pos must be a multiple of LANES";
    EXPECT_TRUE(d->start_only(KG_CRYPT_NONE, 1)) << "alignment applies to every mode";
    EXPECT_FALSE(d->start_only(KG_CRYPT_NONE, 0)) << "a good start clears cfg_err";
    EXPECT_EQ(d->start_only(KG_CRYPT_CTR, 0), !has_ctr());
    // A rejected start leaves the unit idle.
    d->start_only(3, 0);
    p.set_in_valid(true);
    p.eval();
    EXPECT_FALSE(p.in_ready());
    p.set_in_valid(false);
    // key_len 3 is reserved: key_load reports cfg_err and key_ready stays 0.
    uint8_t k[32] = {0};
    EXPECT_EQ(d->load_key(k, 20), -1);
    p.eval();
    EXPECT_TRUE(p.cfg_err());
    EXPECT_FALSE(p.key_ready());
}

INSTANTIATE_TEST_SUITE_P(Configs, Wd, ::testing::ValuesIn(config_names()),
                         [](const ::testing::TestParamInfo<std::string> &i) { return i.param; });

}  // namespace
