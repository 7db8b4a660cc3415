// kg_aes_rtl.cpp - cycle-level driver for Verilated kg_weight_decrypt models.
#include "kg_aes_rtl.hpp"

#include <algorithm>
#include <cstring>

namespace kgaes {

WdDriver::WdDriver(std::unique_ptr<WdPort> port) : p_(std::move(port)) { reset(); }

void WdDriver::tick() {
    p_->eval();
    p_->edge();
    cycles_++;
}

void WdDriver::reset(int n) {
    static const uint8_t zero[32] = {0};
    p_->set_reset_n(false);
    p_->set_mode(0);
    p_->set_key(zero);
    p_->set_key_len(0);
    p_->set_nonce(zero);
    p_->set_key_load(false);
    p_->set_zeroize(false);
    p_->set_start(false);
    p_->set_start_pos(0);
    p_->set_start_save(false);
    p_->set_in_valid(false);
    p_->set_in_data(zero);
    p_->set_out_ready(false);
    p_->set_kcv_start(false);
    for (int i = 0; i < n; i++) tick();
    p_->set_reset_n(true);
    p_->eval();
}

int WdDriver::load_key(const uint8_t *key, size_t key_bytes) {
    uint8_t k[32] = {0};
    std::memcpy(k, key, std::min<size_t>(key_bytes, 32));
    p_->set_key(k);
    p_->set_key_len(key_bytes == 16 ? 0 : key_bytes == 24 ? 1 : key_bytes == 32 ? 2 : 3);
    p_->set_key_load(true);
    tick();
    p_->set_key_load(false);
    // The unit keeps its own copy: the pins may change afterwards.
    static const uint8_t junk[32] = {0xa5, 0x5a, 0xc3, 0x3c};
    p_->set_key(junk);
    p_->set_key_len(0);
    for (int c = 1; c < 1000; c++) {
        p_->eval();
        if (p_->key_ready()) return c;
        if (p_->cfg_err()) return -1;
        tick();
    }
    return -1;
}

void WdDriver::zeroize() {
    p_->set_zeroize(true);
    tick();
    p_->set_zeroize(false);
    p_->eval();
}

int WdDriver::kcv(const uint8_t nonce[12], uint8_t out[8]) {
    p_->set_nonce(nonce);
    p_->set_kcv_start(true);
    tick();
    p_->set_kcv_start(false);
    static const uint8_t junk[12] = {0x11, 0x22};
    p_->set_nonce(junk);
    for (int c = 1; c < 1000; c++) {
        p_->eval();
        if (p_->kcv_valid()) {
            p_->kcv(out);
            return c;
        }
        if (p_->cfg_err()) return -1;
        tick();
    }
    return -1;
}

bool WdDriver::start_only(int mode, uint64_t pos) {
    p_->set_mode(mode);
    p_->set_start_pos(pos);
    p_->set_start(true);
    tick();
    p_->set_start(false);
    p_->eval();
    return p_->cfg_err();
}

bool WdDriver::burst(int mode, const uint8_t nonce[12], uint64_t pos,
                     const uint8_t *in, size_t len, uint8_t *out,
                     const Stalls &st, std::mt19937_64 &rng, bool save,
                     BurstStats *stats) {
    const size_t L = (size_t)cfg().lanes;
    const size_t beats = (len + L - 1) / L;
    std::uniform_real_distribution<double> u(0.0, 1.0);
    BurstStats s;
    s.beats = beats;

    // Start pulse; mode, nonce and position are only sampled here.
    const uint64_t c0 = cycles_;
    p_->set_mode(mode);
    if (nonce) p_->set_nonce(nonce);
    p_->set_start_pos(pos);
    p_->set_start_save(save);
    p_->set_start(true);
    p_->set_out_ready(u(rng) >= st.out_block);
    tick();
    p_->set_start(false);
    p_->set_start_save(false);
    p_->set_mode((int)(rng() & 3));  // don't-care after the pulse
    static const uint8_t junk[12] = {0x5e, 0x77};
    p_->set_nonce(junk);
    p_->eval();
    if (p_->cfg_err()) return false;

    std::vector<uint8_t> beat(L), got(L);
    size_t sent = 0, recv = 0;
    bool holding = false, seen_ready = false;
    const uint64_t limit = 4096 + 64 * (beats + 16) + (pos / L) * 2;
    while (recv < beats) {
        if (cycles_ - c0 > limit) return false;
        if (!holding) {
            const bool v = sent < beats && u(rng) >= st.in_idle;
            if (v) {
                for (size_t i = 0; i < L; i++) {
                    const size_t idx = sent * L + i;
                    beat[i] = idx < len ? in[idx] : (uint8_t)rng();
                }
                p_->set_in_data(beat.data());
            } else {
                // Junk on the bus while in_valid is low.
                for (size_t i = 0; i < L; i++) beat[i] = (uint8_t)rng();
                p_->set_in_data(beat.data());
            }
            p_->set_in_valid(v);
            holding = v;
        }
        const bool ordy = u(rng) >= st.out_block;
        p_->set_out_ready(ordy);
        p_->eval();
        if (!seen_ready && p_->in_ready()) {
            seen_ready = true;
            s.seek = cycles_ - c0;
        }
        if (p_->ks_stall()) s.ks_stalls++;
        if (holding && p_->in_ready()) {
            sent++;
            holding = false;
        }
        if (ordy && p_->out_valid()) {
            p_->out_data(got.data());
            for (size_t i = 0; i < L && recv * L + i < len; i++) out[recv * L + i] = got[i];
            recv++;
        }
        tick();
    }
    p_->set_in_valid(false);
    p_->set_out_ready(false);
    p_->eval();
    s.cycles = cycles_ - c0;
    if (stats) *stats = s;
    return true;
}

}  // namespace kgaes
