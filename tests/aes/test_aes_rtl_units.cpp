// RTL unit tests: kg_aes_cipher (iterative and pipelined) and kg_aes_keyexp
// (1, 2 and 4 words per step) against the C reference.
#include <gtest/gtest.h>

#include <cstring>
#include <deque>
#include <memory>
#include <random>
#include <vector>

#include "Vkgaes_v_cipher_iter.h"
#include "Vkgaes_v_cipher_pipe.h"
#include "Vkgaes_v_keyexp1.h"
#include "Vkgaes_v_keyexp2.h"
#include "Vkgaes_v_keyexp4.h"
#include "aes_test_util.h"
#include "kg_aes.h"
#include "kg_wd_bits.hpp"

using namespace kgaes::bits;
using kgtest::hex;
using kgtest::unhex;

namespace {

template <class M>
void tick(M &m) {
    m.clk = 0;
    m.eval();
    m.clk = 1;
    m.eval();
    m.clk = 0;
    m.eval();
}

int key_len_code(size_t kb) { return kb == 16 ? 0 : kb == 24 ? 1 : 2; }

// ---- kg_aes_cipher ------------------------------------------------------
template <class M>
struct CipherDut {
    std::unique_ptr<M> m{new M};
    CipherDut() {
        m->reset_n = 0;
        m->key_load = 0;
        m->zeroize = 0;
        m->in_valid = 0;
        tick(*m);
        tick(*m);
        m->reset_n = 1;
        m->eval();
    }
    ~CipherDut() { m->final(); }
    // Returns the cycles from the key_load pulse to key_ready (or -1).
    int load_key(const std::vector<uint8_t> &key) {
        uint8_t k[32] = {0};
        memcpy(k, key.data(), key.size());
        put_be(m->key, k, 32);
        m->key_len = (CData)key_len_code(key.size());
        m->key_load = 1;
        tick(*m);
        m->key_load = 0;
        uint8_t junk[32];
        memset(junk, 0x3c, 32);
        put_be(m->key, junk, 32);  // the cipher keeps its own copy
        for (int c = 1; c < 100; c++) {
            if (m->key_ready) return c;
            tick(*m);
        }
        return -1;
    }
    struct Out {
        std::vector<uint8_t> block;
        unsigned tag;
        uint64_t in_cycle, out_cycle;
    };
    // Encrypts `blocks`, offering one whenever the source is not idle.
    std::vector<Out> run(const std::vector<std::vector<uint8_t>> &blocks, std::mt19937_64 &rng,
                         double idle, uint64_t *cycles = nullptr) {
        std::vector<Out> outs;
        std::deque<uint64_t> issued;
        size_t sent = 0;
        uint64_t cyc = 0;
        while (outs.size() < blocks.size() && cyc < 100000) {
            const bool v = sent < blocks.size() && (rng() % 1000) >= idle * 1000;
            m->in_valid = v;
            if (v) {
                put_be(m->in_block, blocks[sent].data(), 16);
                m->in_tag = (CData)(sent & 1);
            }
            m->eval();
            if (m->out_valid) {
                Out o;
                o.block.resize(16);
                get_be(m->out_block, o.block.data(), 16);
                o.tag = m->out_tag;
                o.in_cycle = issued.front();
                issued.pop_front();
                o.out_cycle = cyc;
                outs.push_back(o);
            }
            if (v && m->in_ready) {
                issued.push_back(cyc);
                sent++;
            }
            tick(*m);
            cyc++;
        }
        m->in_valid = 0;
        if (cycles) *cycles = cyc;
        return outs;
    }
};

template <class M>
void cipher_fips(bool pipelined) {
    CipherDut<M> d;
    for (const auto &v : kgtest::kAppC) {
        std::vector<uint8_t> key = unhex(v.key);
        const int c = d.load_key(key);
        ASSERT_GT(c, 0) << "key_ready timeout, key " << v.key;
        std::mt19937_64 rng(1);
        auto outs = d.run({unhex(v.pt)}, rng, 0.0);
        ASSERT_EQ(outs.size(), 1u);
        EXPECT_EQ(hex(outs[0].block), v.ct) << "key " << v.key << (pipelined ? " pipelined" : " iterative");
        // Latency Nr + 1 (the block is visible on out_* the cycle after).
        const unsigned nr = (unsigned)(key.size() / 4 + 6);
        EXPECT_EQ(outs[0].out_cycle - outs[0].in_cycle, nr + 1) << v.key;
    }
    // FIPS-197 Appendix B as well.
    ASSERT_GT(d.load_key(unhex(kgtest::kKeyA1)), 0);
    std::mt19937_64 rng(2);
    auto outs = d.run({unhex("3243f6a8885a308d313198a2e0370734")}, rng, 0.0);
    ASSERT_EQ(outs.size(), 1u);
    EXPECT_EQ(hex(outs[0].block), "3925841d02dc09fbdc118597196a0b32");
}

template <class M>
void cipher_random(bool pipelined, int keys_per_size) {
    CipherDut<M> d;
    std::mt19937_64 rng(pipelined ? 0xc1f0001 : 0xc1f0002);
    for (int t = 0; t < keys_per_size * 3; t++) {
        const size_t kb = 16 + 8 * (t % 3);
        std::vector<uint8_t> key = kgtest::random_bytes(rng, kb);
        const int kc = d.load_key(key);
        ASSERT_GT(kc, 0);
        // key_ready after the round-key precomputation: ceil((4(Nr+1)-Nk)/4) + 2.
        const int nk = (int)kb / 4, nr = nk + 6;
        EXPECT_EQ(kc, (4 * (nr + 1) - nk + 3) / 4 + 2) << "kb " << kb;
        kg_aes_key ck;
        ASSERT_EQ(kg_aes_key_init(&ck, key.data(), kb), KG_AES_OK);
        std::vector<std::vector<uint8_t>> blocks;
        for (int b = 0; b < 24; b++) blocks.push_back(kgtest::random_bytes(rng, 16));
        const double idle = (t % 4) * 0.2;
        uint64_t cyc = 0;
        auto outs = d.run(blocks, rng, idle, &cyc);
        ASSERT_EQ(outs.size(), blocks.size()) << "key " << hex(key);
        for (size_t b = 0; b < blocks.size(); b++) {
            uint8_t ref[16];
            kg_aes_encrypt_block(&ck, blocks[b].data(), ref);
            ASSERT_EQ(hex(outs[b].block), hex(std::vector<uint8_t>(ref, ref + 16)))
                << "key " << hex(key) << " block " << b << " case " << t;
            ASSERT_EQ(outs[b].tag, b & 1u) << "tag, case " << t;
        }
        if (idle == 0.0) {
            // Throughput: one block per cycle (pipelined) or per Nr+1 cycles.
            const uint64_t per = pipelined ? 1 : (uint64_t)nr + 1;
            EXPECT_EQ(cyc, per * (blocks.size() - 1) + nr + 2) << "case " << t;
        }
    }
}

template <class M>
void cipher_flush_and_zeroize() {
    CipherDut<M> d;
    std::mt19937_64 rng(7);
    ASSERT_GT(d.load_key(unhex(kgtest::kKeyA3)), 0);
    // Issue a block, then reload the key before it completes: it is dropped.
    d.m->in_valid = 1;
    put_be(d.m->in_block, unhex("00112233445566778899aabbccddeeff").data(), 16);
    d.m->eval();
    ASSERT_TRUE(d.m->in_ready);
    tick(*d.m);
    d.m->in_valid = 0;
    tick(*d.m);
    const int kc = d.load_key(unhex(kgtest::kKeyA1));
    ASSERT_GT(kc, 0);
    for (int c = 0; c < 40; c++) {
        d.m->eval();
        ASSERT_FALSE(d.m->out_valid) << "a block survived key_load, cycle " << c;
        tick(*d.m);
    }
    // The new key works.
    auto outs = d.run({unhex("3243f6a8885a308d313198a2e0370734")}, rng, 0.0);
    ASSERT_EQ(outs.size(), 1u);
    EXPECT_EQ(hex(outs[0].block), "3925841d02dc09fbdc118597196a0b32");
    // Zeroize: key_ready drops, no block is accepted, the data path is 0.
    d.m->zeroize = 1;
    tick(*d.m);
    d.m->zeroize = 0;
    d.m->in_valid = 1;
    d.m->eval();
    EXPECT_FALSE(d.m->key_ready);
    EXPECT_FALSE(d.m->in_ready);
    std::vector<uint8_t> ob(16, 0xee);
    get_be(d.m->out_block, ob.data(), 16);
    EXPECT_EQ(hex(ob), std::string(32, '0'));
    d.m->in_valid = 0;
}

}  // namespace

TEST(AesRtlCipher, Fips197PipelinedAndIterative) {
    cipher_fips<Vkgaes_v_cipher_pipe>(true);
    cipher_fips<Vkgaes_v_cipher_iter>(false);
}
TEST(AesRtlCipher, RandomKeysPipelined) { cipher_random<Vkgaes_v_cipher_pipe>(true, 40); }
TEST(AesRtlCipher, RandomKeysIterative) { cipher_random<Vkgaes_v_cipher_iter>(false, 40); }
TEST(AesRtlCipher, KeyReloadFlushesAndZeroizeClears) {
    cipher_flush_and_zeroize<Vkgaes_v_cipher_pipe>();
    cipher_flush_and_zeroize<Vkgaes_v_cipher_iter>();
}

// ---- kg_aes_keyexp ------------------------------------------------------
namespace {

template <class M, int WORDS>
struct KeyexpDut {
    std::unique_ptr<M> m{new M};
    KeyexpDut() {
        m->reset_n = 0;
        m->zeroize = 0;
        m->load_key = 0;
        m->restore = 0;
        m->step = 0;
        tick(*m);
        m->reset_n = 1;
    }
    ~KeyexpDut() { m->final(); }
    void load(const std::vector<uint8_t> &key) {
        uint8_t k[32] = {0};
        memcpy(k, key.data(), key.size());
        put_be(m->key, k, 32);
        m->key_len = (CData)key_len_code(key.size());
        m->load_key = 1;
        tick(*m);
        m->load_key = 0;
    }
    void step() {
        m->step = 1;
        tick(*m);
        m->step = 0;
    }
    std::vector<uint32_t> words() {
        m->eval();
        uint8_t b[4 * WORDS];
        get_le(m->words, b, 4 * WORDS);
        std::vector<uint32_t> w(WORDS);
        for (int j = 0; j < WORDS; j++)
            w[j] = (uint32_t)b[4 * j] | ((uint32_t)b[4 * j + 1] << 8) | ((uint32_t)b[4 * j + 2] << 16) |
                   ((uint32_t)b[4 * j + 3] << 24);
        return w;
    }
};

template <class M, int WORDS>
void keyexp_vs_c(int keys_per_size, uint64_t seed) {
    KeyexpDut<M, WORDS> d;
    std::mt19937_64 rng(seed);
    for (int t = 0; t < keys_per_size * 3 + 3; t++) {
        const size_t kb = 16 + 8 * (t % 3);
        // The first three cases are the FIPS-197 Appendix A keys.
        std::vector<uint8_t> key = t < 3 ? unhex(t == 0 ? kgtest::kKeyA1 : t == 1 ? kgtest::kKeyA2 : kgtest::kKeyA3)
                                         : kgtest::random_bytes(rng, kb);
        kg_aes_key ck;
        ASSERT_EQ(kg_aes_key_init(&ck, key.data(), key.size()), KG_AES_OK);
        const size_t nk = key.size() / 4;
        const size_t steps = 700 / WORDS;  // past the 51-step Rcon period
        std::vector<uint32_t> ref(nk + WORDS * steps);
        kg_aes_expand_words(&ck, 0, ref.size(), ref.data());
        d.load(key);
        std::vector<uint32_t> w = d.words();
        for (int j = 0; j < WORDS; j++) ASSERT_EQ(w[j], ref[nk - WORDS + j]) << "key words";
        size_t saved_at = 0;
        std::vector<uint8_t> saved;
        for (size_t s = 0; s < steps; s++) {
            // Random idle cycles between steps.
            while (rng() % 4 == 0) tick(*d.m);
            d.step();
            w = d.words();
            for (int j = 0; j < WORDS; j++)
                ASSERT_EQ(w[j], ref[nk + WORDS * s + j])
                    << "key " << hex(key) << " word " << nk + WORDS * s + j << " WORDS " << WORDS;
            if (s == 37) {
                saved_at = s;
                saved.resize(34);
                get_le(d.m->state_out, saved.data(), 34);
            }
        }
        // Restore the checkpoint and check that the stream continues from it.
        put_le(d.m->state_in, saved.data(), 34);
        d.m->restore = 1;
        tick(*d.m);
        d.m->restore = 0;
        for (size_t s = saved_at + 1; s < saved_at + 60; s++) {
            d.step();
            w = d.words();
            for (int j = 0; j < WORDS; j++)
                ASSERT_EQ(w[j], ref[nk + WORDS * s + j]) << "after restore, key " << hex(key);
        }
    }
    // Zeroize clears the state.
    d.m->zeroize = 1;
    tick(*d.m);
    d.m->zeroize = 0;
    std::vector<uint8_t> st(34, 0xff);
    get_le(d.m->state_out, st.data(), 34);
    for (uint8_t b : st) ASSERT_EQ(b, 0);
}

}  // namespace

TEST(AesRtlKeyexp, FourWordsPerStepMatchesC) { keyexp_vs_c<Vkgaes_v_keyexp4, 4>(30, 0xe4e4); }
TEST(AesRtlKeyexp, TwoWordsPerStepMatchesC) { keyexp_vs_c<Vkgaes_v_keyexp2, 2>(10, 0xe2e2); }
TEST(AesRtlKeyexp, OneWordPerStepMatchesC) { keyexp_vs_c<Vkgaes_v_keyexp1, 1>(10, 0xe1e1); }
