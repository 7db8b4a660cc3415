// kg_aes_rtl.hpp - C++ harness for the Verilated kg_weight_decrypt models.
//
// Every Verilated configuration (LANES, cipher, S-box placement, CTR) is a
// static library; kg_aes_rtl links them all behind one interface, WdPort,
// so tests and the benchmark can pick a configuration by name.  WdDriver
// adds the cycle-level protocol: reset, key load, KCV and streamed bursts
// with random valid/ready stalls on both sides.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace kgaes {

struct WdConfig {
    const char *name;
    int lanes;
    bool pipelined;  // CIPHER_PIPELINED
    bool ebr;        // SBOX_EBR
    bool ctr;        // CTR_EN
};

// Raw pin access to one Verilated kg_weight_decrypt.  Byte buffers use the
// RTL orders: key k[0] first (bits 255:248), nonce byte 0 first
// (bits 95:88), stream byte i in lane i, KCV byte 0 first (bits 63:56).
class WdPort {
public:
    virtual ~WdPort() = default;
    virtual const WdConfig &cfg() const = 0;
    virtual void set_reset_n(bool v) = 0;
    virtual void set_mode(int v) = 0;
    virtual void set_key(const uint8_t key[32]) = 0;
    virtual void set_key_len(int v) = 0;
    virtual void set_nonce(const uint8_t nonce[12]) = 0;
    virtual void set_key_load(bool v) = 0;
    virtual void set_zeroize(bool v) = 0;
    virtual void set_start(bool v) = 0;
    virtual void set_start_pos(uint64_t v) = 0;
    virtual void set_start_save(bool v) = 0;
    virtual void set_in_valid(bool v) = 0;
    virtual void set_in_data(const uint8_t *lanes) = 0;
    virtual void set_out_ready(bool v) = 0;
    virtual void set_kcv_start(bool v) = 0;
    virtual bool key_ready() = 0;
    virtual bool seeking() = 0;
    virtual bool cfg_err() = 0;
    virtual bool ks_stall() = 0;
    virtual bool in_ready() = 0;
    virtual bool out_valid() = 0;
    virtual void out_data(uint8_t *lanes) = 0;
    virtual bool kcv_valid() = 0;
    virtual void kcv(uint8_t out[8]) = 0;
    virtual void eval() = 0;  // settle combinational logic (clk low)
    virtual void edge() = 0;  // one rising clock edge, then settle
};

// Names of every configuration linked into kg_aes_rtl, and a factory.
std::vector<WdConfig> wd_configs();
std::unique_ptr<WdPort> wd_new(const std::string &name);  // nullptr if unknown

struct Stalls {
    double in_idle = 0.0;    // probability the source withholds a beat
    double out_block = 0.0;  // probability the sink drops out_ready
};

struct BurstStats {
    uint64_t cycles = 0;      // start pulse .. last output beat, inclusive
    uint64_t seek = 0;        // start pulse .. first cycle in_ready was 1
    uint64_t beats = 0;
    uint64_t ks_stalls = 0;   // cycles with ks_stall = 1
};

class WdDriver {
public:
    explicit WdDriver(std::unique_ptr<WdPort> port);
    WdPort &port() { return *p_; }
    const WdConfig &cfg() const { return p_->cfg(); }
    uint64_t cycles() const { return cycles_; }

    // One clock cycle with the inputs as currently set.
    void tick();
    // Synchronous reset for `n` cycles; every input returns to idle.
    void reset(int n = 2);
    // key_load pulse, then wait for key_ready.  Returns the cycles from the
    // pulse to key_ready, or -1 (timeout / key rejected).
    int load_key(const uint8_t *key, size_t key_bytes);
    void zeroize();
    // KCV with `nonce`; returns cycles to kcv_valid or -1.
    int kcv(const uint8_t nonce[12], uint8_t out[8]);
    // Decrypts len bytes at image position pos (a multiple of LANES) with
    // random stalls.  Lanes past the end of the burst get random filler.
    // Returns false on a protocol error (cfg_err, timeout).
    bool burst(int mode, const uint8_t nonce[12], uint64_t pos,
               const uint8_t *in, size_t len, uint8_t *out, const Stalls &st,
               std::mt19937_64 &rng, bool save = false,
               BurstStats *stats = nullptr);
    // A start pulse only; returns cfg_err after it.
    bool start_only(int mode, uint64_t pos);

private:
    std::unique_ptr<WdPort> p_;
    uint64_t cycles_ = 0;
};

}  // namespace kgaes
