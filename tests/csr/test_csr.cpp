// Unit tests of kg_csr: the CSR block Verilated on its own, driven through
// a small AXI4-Lite master written here, with the layer engine, the
// weight-decrypt unit's key-check port and the VERIFY sequencer (kg_auth)
// faked by the test.
//
// The register offsets and fields come from the generated C header
// (common/regs/include/kgmac/kg_regs.h), so a change in the map reaches these
// tests through the generator.

#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "Vkg_csr.h"
#include "Vkg_csr___024root.h"
#include "kgmac/kg_regs.h"
#include "verilated.h"

namespace {

constexpr uint32_t kRows = KG_CSR_ROWS;
constexpr uint32_t kCols = KG_CSR_COLS;
constexpr uint32_t kSignBits = kRows * kCols;
constexpr int kKcvTimeout = KG_CSR_KCV_TIMEOUT;
constexpr uint32_t kIrqAll = KG_IRQ_STATUS_DONE_MASK | KG_IRQ_STATUS_DESC_ERR_MASK |
                             KG_IRQ_STATUS_BUS_ERR_MASK | KG_IRQ_STATUS_WRONG_KEY_MASK |
                             KG_IRQ_STATUS_LOCKOUT_MASK | KG_IRQ_STATUS_VAULT_MASK;
constexpr uint32_t OKAY = 0, SLVERR = 2;

constexpr uint32_t field(uint32_t v, uint32_t mask, uint32_t shift) { return (v & mask) >> shift; }
uint32_t err_of(uint32_t status) { return field(status, KG_STATUS_ERR_MASK, KG_STATUS_ERR_SHIFT); }
uint32_t fails_of(uint32_t ks) { return field(ks, KG_KEY_STATUS_FAILS_MASK, KG_KEY_STATUS_FAILS_SHIFT); }

// Timing of one AXI transaction, in cycles.
struct Timing {
    int aw_delay = 0;  // cycles before AWVALID rises
    int w_delay = 0;   // cycles before WVALID rises
    int b_delay = 0;   // cycles BREADY stays low after BVALID rises
    int ar_delay = 0;
    int r_delay = 0;
};

// The CSR block with its surroundings faked.
class Dut {
  public:
    std::unique_ptr<VerilatedContext> ctx;
    std::unique_ptr<Vkg_csr> m;
    uint64_t cycle = 0;

    // Pulses seen on the outputs, and the cycles they were seen in.
    int n_start = 0, n_soft_reset = 0, n_perf_clear = 0, n_key_load = 0, n_zeroize = 0, n_kcv_start = 0;
    int n_auth_start = 0, n_auth_abort = 0;
    std::vector<uint64_t> key_load_cycles, kcv_start_cycles;

    // Fake decrypt unit: kcv_start -> kcv_valid (a level, like
    // kg_weight_decrypt, or a one-cycle pulse) kcv_latency cycles later.
    bool kcv_respond = true;
    bool kcv_pulse = false;
    int kcv_latency = 6;
    uint64_t kcv_value = 0;
    int kcv_count = -1;

    // Inputs driven every cycle (before evaluation) when set.
    std::function<void(Dut &)> drive;
    // Register-bus issue cycles of the last write and read (the cycle after
    // the later of the AW/W handshakes, the cycle after the AR handshake).
    uint64_t last_wr_issue = 0, last_rd_issue = 0;
    // Free for tests that need to remember a cycle inside `drive`.
    uint64_t cycle_mark = ~0ull;

    Dut() : ctx(new VerilatedContext), m(new Vkg_csr(ctx.get())) {
        m->clk = 0;
        m->s_axil_awvalid = m->s_axil_wvalid = m->s_axil_arvalid = 0;
        m->s_axil_bready = m->s_axil_rready = 0;
        m->s_axil_awprot = m->s_axil_arprot = 0;
        m->busy = m->done = 0;
        m->done_err = 0;
        m->kcv_ready = 1;
        m->kcv_valid = 0;
        m->kcv = 0;
        m->auth_done = 0;
        m->auth_res = 0;
        m->ev_compute = m->dma_stall = m->dec_stall = 0;
        m->rd_bytes = m->wr_bytes = 0;
        reset();
    }
    ~Dut() { m->final(); }

    void reset() {
        m->reset_n = 0;
        tick();
        tick();
        m->reset_n = 1;
        n_start = n_soft_reset = n_perf_clear = n_key_load = n_zeroize = n_kcv_start = 0;
        n_auth_start = n_auth_abort = 0;
        key_load_cycles.clear();
        kcv_start_cycles.clear();
    }

    Vkg_csr___024root *root() { return m->rootp; }

    // One clock cycle: inputs are applied, outputs sampled, then the edge.
    void tick() {
        if (drive) drive(*this);
        m->eval();
        if (m->reset_n) {
            n_start += m->start;
            n_soft_reset += m->soft_reset;
            n_perf_clear += m->perf_clear;
            if (m->key_load) {
                n_key_load++;
                key_load_cycles.push_back(cycle);
            }
            n_zeroize += m->zeroize;
            n_auth_start += m->auth_start;
            n_auth_abort += m->auth_abort;
        }
        bool kstart = m->kcv_start && m->reset_n;
        if (kstart) {
            n_kcv_start++;
            kcv_start_cycles.push_back(cycle);
        }
        m->clk = 1;
        m->eval();
        m->clk = 0;
        m->eval();
        cycle++;
        // Fake decrypt unit (registered behaviour).
        if (kstart) {
            m->kcv_valid = 0;
            kcv_count = kcv_respond ? kcv_latency : -1;
        } else if (kcv_pulse && m->kcv_valid) {
            m->kcv_valid = 0;
        }
        if (kcv_count > 0 && --kcv_count == 0) {
            m->kcv_valid = 1;
            m->kcv = kcv_value;
            kcv_count = -1;
        }
    }
    void run(int n) {
        for (int i = 0; i < n; i++) tick();
    }

    // AXI4-Lite write; returns BRESP. Checks the channel rules on the way.
    uint32_t write(uint32_t addr, uint32_t data, uint32_t strb = 0xf, Timing t = {}) {
        bool aw_done = false, w_done = false;
        int b_first = -1;
        uint32_t b_resp0 = 0, resp = 0xff;
        uint64_t aw_cyc = 0, w_cyc = 0;
        for (int c = 0; c < 1000; c++) {
            m->s_axil_awvalid = !aw_done && c >= t.aw_delay;
            m->s_axil_awaddr = addr;
            m->s_axil_wvalid = !w_done && c >= t.w_delay;
            m->s_axil_wdata = data;
            m->s_axil_wstrb = strb;
            m->s_axil_bready = 0;
            m->eval();
            bool aw_hs = m->s_axil_awvalid && m->s_axil_awready;
            bool w_hs = m->s_axil_wvalid && m->s_axil_wready;
            bool b_hs = false;
            if (m->s_axil_bvalid) {
                EXPECT_TRUE(aw_done && w_done) << "BVALID before AW and W were accepted";
                if (b_first < 0) {
                    b_first = c;
                    b_resp0 = m->s_axil_bresp;
                }
                EXPECT_EQ(m->s_axil_bresp, b_resp0) << "BRESP changed under back-pressure";
                if (c - b_first >= t.b_delay) {
                    m->s_axil_bready = 1;
                    b_hs = true;
                    resp = m->s_axil_bresp;
                }
            } else {
                EXPECT_LT(b_first, 0) << "BVALID dropped before BREADY";
            }
            if (aw_hs) aw_cyc = cycle;
            if (w_hs) w_cyc = cycle;
            tick();
            aw_done |= aw_hs;
            w_done |= w_hs;
            if (b_hs) {
                m->s_axil_awvalid = m->s_axil_wvalid = m->s_axil_bready = 0;
                last_wr_issue = std::max(aw_cyc, w_cyc) + 1;
                return resp;
            }
        }
        ADD_FAILURE() << "AXI write to 0x" << std::hex << addr << " timed out";
        m->s_axil_awvalid = m->s_axil_wvalid = m->s_axil_bready = 0;
        return 0xff;
    }

    // AXI4-Lite read; returns RDATA, *resp = RRESP.
    uint32_t read(uint32_t addr, uint32_t *resp, Timing t = {}) {
        bool ar_done = false;
        int r_first = -1;
        uint32_t d0 = 0, r0 = 0;
        uint64_t ar_cyc = 0;
        for (int c = 0; c < 1000; c++) {
            m->s_axil_arvalid = !ar_done && c >= t.ar_delay;
            m->s_axil_araddr = addr;
            m->s_axil_rready = 0;
            m->eval();
            bool ar_hs = m->s_axil_arvalid && m->s_axil_arready;
            bool r_hs = false;
            uint32_t data = 0;
            if (m->s_axil_rvalid) {
                EXPECT_TRUE(ar_done) << "RVALID before AR was accepted";
                if (r_first < 0) {
                    r_first = c;
                    d0 = m->s_axil_rdata;
                    r0 = m->s_axil_rresp;
                }
                EXPECT_EQ(m->s_axil_rdata, d0) << "RDATA changed under back-pressure";
                EXPECT_EQ(m->s_axil_rresp, r0) << "RRESP changed under back-pressure";
                if (c - r_first >= t.r_delay) {
                    m->s_axil_rready = 1;
                    r_hs = true;
                    data = m->s_axil_rdata;
                    *resp = m->s_axil_rresp;
                }
            } else {
                EXPECT_LT(r_first, 0) << "RVALID dropped before RREADY";
            }
            if (ar_hs) ar_cyc = cycle;
            tick();
            ar_done |= ar_hs;
            if (r_hs) {
                m->s_axil_arvalid = m->s_axil_rready = 0;
                last_rd_issue = ar_cyc + 1;
                return data;
            }
        }
        ADD_FAILURE() << "AXI read of 0x" << std::hex << addr << " timed out";
        m->s_axil_arvalid = m->s_axil_rready = 0;
        *resp = 0xff;
        return 0;
    }

    // Convenience: OKAY expected.
    uint32_t rd(uint32_t addr) {
        uint32_t resp = 0;
        uint32_t v = read(addr, &resp);
        EXPECT_EQ(resp, OKAY) << "read of 0x" << std::hex << addr;
        return v;
    }
    void wr(uint32_t addr, uint32_t data, uint32_t strb = 0xf) {
        EXPECT_EQ(write(addr, data, strb), OKAY) << "write of 0x" << std::hex << addr;
    }

    // Engine completion pulse.
    void done(uint32_t err) {
        m->done = 1;
        m->done_err = err;
        tick();
        m->done = 0;
        m->done_err = 0;
    }

    // Internal vault state through the Verilator public interface.
    uint32_t aes_key_word(int i) { return root()->kg_csr__DOT__u_keyvault__DOT__aes_key_reg[7 - i]; }
    bool aes_key_zero() {
        for (int i = 0; i < 8; i++)
            if (root()->kg_csr__DOT__u_keyvault__DOT__aes_key_reg[i]) return false;
        return true;
    }
    uint64_t sign_key_int() { return root()->kg_csr__DOT__u_keyvault__DOT__sign_key_reg; }
    bool aes_valid_int() { return root()->kg_csr__DOT__u_keyvault__DOT__aes_valid_reg; }
    bool sign_valid_int() { return root()->kg_csr__DOT__u_keyvault__DOT__sign_valid_reg; }

    // Output ports.
    uint32_t aes_key_out(int i) { return m->aes_key[7 - i]; }
    uint32_t nonce_out(int i) { return m->nonce[2 - i]; }

    uint32_t key_status() { return rd(KG_REG_KEY_STATUS); }
    uint32_t irq_status() { return rd(KG_REG_IRQ_STATUS); }
    uint32_t err() { return err_of(rd(KG_REG_STATUS)); }
    void clear_irqs() { wr(KG_REG_IRQ_STATUS, kIrqAll); }

    // Provision an AES key and make it valid.
    void load_aes(const uint32_t key[8], uint32_t len = 0) {
        wr(KG_REG_KEY_CFG, len);
        for (int i = 0; i < 8; i++) wr(KG_REG_AES_KEY(i), key[i]);
        wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    }
    void set_kcv_exp(uint64_t v) {
        wr(KG_REG_KCV_EXP0, (uint32_t)(v >> 32));
        wr(KG_REG_KCV_EXP1, (uint32_t)v);
    }
    // Run a CHECK with the fake unit answering `result`; returns KEY_STATUS.
    uint32_t check(uint64_t result) {
        kcv_value = result;
        wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
        for (int i = 0; i < 200; i++) {
            tick();
            if (!(rd(KG_REG_KEY_STATUS) & KG_KEY_STATUS_CHECK_BUSY_MASK)) break;
        }
        return key_status();
    }
};

const uint32_t kKey[8] = {0x2b7e1516, 0x28aed2a6, 0xabf71588, 0x09cf4f3c,
                          0x11223344, 0x55667788, 0x99aabbcc, 0xddeeff00};
constexpr uint64_t kKcv = 0x0123456789abcdefull;

// Every register of the map: offset, expected reset value, and kind.
enum Kind { RO, RW, W1C, W1P, KEY, PERF };
struct Reg {
    uint32_t off;
    const char *name;
    Kind kind;
    uint32_t reset;
    uint32_t rw_mask;  // RW: the bits that store
};

std::vector<Reg> all_regs() {
    std::vector<Reg> v = {
        {KG_REG_ID, "ID", RO, KG_RST_ID, 0},
        {KG_REG_VERSION, "VERSION", RO, KG_RST_VERSION, 0},
        {KG_REG_HW_ARRAY, "HW_ARRAY", RO,
         (kRows << KG_HW_ARRAY_ROWS_SHIFT) | (kCols << KG_HW_ARRAY_COLS_SHIFT), 0},
        {KG_REG_HW_BUF, "HW_BUF", RO,
         ((uint32_t)KG_CSR_ACC_DEPTH << KG_HW_BUF_ACC_DEPTH_SHIFT) |
             ((uint32_t)KG_CSR_ACT_WORDS << KG_HW_BUF_ACT_WORDS_SHIFT),
         0},
        {KG_REG_HW_CFG, "HW_CFG", RO,
         ((uint32_t)KG_CSR_AES_LANES << KG_HW_CFG_AES_LANES_SHIFT) |
             ((uint32_t)KG_CSR_CIPHER_PIPE << KG_HW_CFG_CIPHER_PIPE_SHIFT) |
             ((uint32_t)KG_CSR_KEYGATE << KG_HW_CFG_KEYGATE_SHIFT) |
             ((uint32_t)KG_CSR_PARAM_DEPTH << KG_HW_CFG_PARAM_DEPTH_SHIFT),
         0},
        {KG_REG_CTRL, "CTRL", W1P, 0, 0},
        {KG_REG_STATUS, "STATUS", RO, KG_RST_STATUS, 0},
        {KG_REG_DESC_ADDR, "DESC_ADDR", RW, KG_RST_DESC_ADDR, 0xffffffff},
        {KG_REG_IRQ_STATUS, "IRQ_STATUS", W1C, 0, 0},
        {KG_REG_IRQ_ENABLE, "IRQ_ENABLE", RW, KG_RST_IRQ_ENABLE, kIrqAll},
        {KG_REG_KEY_CTRL, "KEY_CTRL", W1P, 0, 0},
        {KG_REG_KEY_CFG, "KEY_CFG", RW, KG_RST_KEY_CFG, KG_KEY_CFG_AES_LEN_MASK},
        {KG_REG_KEY_STATUS, "KEY_STATUS", RO, KG_RST_KEY_STATUS, 0},
        {KG_REG_POLICY, "POLICY", RW, KG_RST_POLICY,
         KG_POLICY_MODE_MASK | KG_POLICY_THRESHOLD_MASK | KG_POLICY_LEGACY_MASK},
        {KG_REG_NONCE0, "NONCE0", RW, KG_RST_NONCE0, 0xffffffff},
        {KG_REG_NONCE1, "NONCE1", RW, KG_RST_NONCE1, 0xffffffff},
        {KG_REG_NONCE2, "NONCE2", RW, KG_RST_NONCE2, 0xffffffff},
        {KG_REG_KCV_EXP0, "KCV_EXP0", RW, KG_RST_KCV_EXP0, 0xffffffff},
        {KG_REG_KCV_EXP1, "KCV_EXP1", RW, KG_RST_KCV_EXP1, 0xffffffff},
        {KG_REG_MODEL_ADDR, "MODEL_ADDR", RW, KG_RST_MODEL_ADDR, 0xffffffff},
        {KG_REG_MODEL_LEN, "MODEL_LEN", RW, KG_RST_MODEL_LEN, 0xffffffff},
    };
    for (uint32_t i = 0; i < KG_REG_TAG_EXP_COUNT; i++)
        v.push_back({KG_REG_TAG_EXP(i), "TAG_EXP", RW, 0, 0xffffffff});
    for (uint32_t i = 0; i < KG_REG_AES_KEY_COUNT; i++) v.push_back({KG_REG_AES_KEY(i), "AES_KEY", KEY, 0, 0});
    for (uint32_t i = 0; i < KG_REG_SIGN_KEY_COUNT; i++) v.push_back({KG_REG_SIGN_KEY(i), "SIGN_KEY", KEY, 0, 0});
    const uint32_t perf[] = {KG_REG_PERF_CYCLES_LO,   KG_REG_PERF_CYCLES_HI,    KG_REG_PERF_BUSY_LO,
                             KG_REG_PERF_BUSY_HI,     KG_REG_PERF_COMPUTE_LO,   KG_REG_PERF_COMPUTE_HI,
                             KG_REG_PERF_RD_BYTES_LO, KG_REG_PERF_RD_BYTES_HI,  KG_REG_PERF_WR_BYTES_LO,
                             KG_REG_PERF_WR_BYTES_HI, KG_REG_PERF_DMA_STALL_LO, KG_REG_PERF_DMA_STALL_HI,
                             KG_REG_PERF_DEC_STALL_LO, KG_REG_PERF_DEC_STALL_HI};
    for (uint32_t o : perf) v.push_back({o, "PERF", PERF, 0, 0});
    return v;
}

class Csr : public ::testing::Test {
  protected:
    Dut d;
};

//----------------------------------------------------------------------
// Register access types and reset values.
//----------------------------------------------------------------------
TEST_F(Csr, ResetValuesOfEveryRegister) {
    for (const Reg &r : all_regs()) {
        uint32_t v = d.rd(r.off);
        if (r.kind == PERF) {
            // Only the cycle counter's low word moves without events.
            if (r.off != KG_REG_PERF_CYCLES_LO) {
                EXPECT_EQ(v, 0u) << r.name << " 0x" << std::hex << r.off;
            }
        } else {
            EXPECT_EQ(v, r.reset) << r.name << " at 0x" << std::hex << r.off;
        }
    }
    EXPECT_EQ(d.m->irq, 0);
    EXPECT_EQ(d.m->aes_valid, 0);
    EXPECT_EQ(d.m->sign_valid, 0);
    EXPECT_EQ(d.m->policy_mode, (uint32_t)KG_POLICY_REFUSE);
    EXPECT_EQ(d.m->locked_out, 0);
    EXPECT_EQ(d.m->kcv_ok, 0);
    EXPECT_EQ(d.m->desc_addr, 0u);
    EXPECT_EQ(d.m->sign_key, 0u);
}

TEST_F(Csr, ReadOnlyRegistersIgnoreWrites) {
    for (const Reg &r : all_regs()) {
        if (r.kind != RO && r.kind != PERF) continue;
        uint32_t before = d.rd(r.off);
        EXPECT_EQ(d.write(r.off, 0xffffffff), OKAY) << r.name;
        EXPECT_EQ(d.write(r.off, 0x5a5a5a5a), OKAY) << r.name;
        uint32_t after = d.rd(r.off);
        if (r.off == KG_REG_PERF_CYCLES_LO)
            EXPECT_GT(after, before) << "the cycle counter must keep counting";
        else
            EXPECT_EQ(after, before) << r.name << " at 0x" << std::hex << r.off;
    }
}

TEST_F(Csr, ReadWriteRegistersReadBackTheirBits) {
    std::mt19937 rng(1);
    for (const Reg &r : all_regs()) {
        if (r.kind != RW) continue;
        for (uint32_t pat : {0xffffffffu, 0x00000000u, 0xa5a5a5a5u, 0x5a5a5a5au, (uint32_t)rng()}) {
            uint32_t w = pat;
            // POLICY.MODE 3 is reserved (checked separately).
            if (r.off == KG_REG_POLICY && (w & KG_POLICY_MODE_MASK) == KG_POLICY_MODE_MASK) w &= ~1u;
            d.wr(r.off, w);
            EXPECT_EQ(d.rd(r.off), w & r.rw_mask) << r.name << " pattern " << std::hex << w;
        }
    }
}

TEST_F(Csr, ByteStrobesMergeIntoReadWriteRegisters) {
    d.wr(KG_REG_DESC_ADDR, 0x11223344);
    d.wr(KG_REG_DESC_ADDR, 0xaabbccdd, 0x5);  // bytes 0 and 2
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0x11bb33ddu);
    d.wr(KG_REG_DESC_ADDR, 0xeeeeeeee, 0x0);  // no strobe: no effect
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0x11bb33ddu);
    d.wr(KG_REG_NONCE1, 0xcafef00d);
    d.wr(KG_REG_NONCE1, 0x00000000, 0x8);
    EXPECT_EQ(d.rd(KG_REG_NONCE1), 0x00fef00du);
    // POLICY: threshold lives in byte 1, mode in byte 0.
    d.wr(KG_REG_POLICY, 0x00000702, 0x2);
    EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000700u);
    d.wr(KG_REG_POLICY, 0x00000001, 0x1);
    EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000701u);
    // A command write with no strobe does nothing.
    d.wr(KG_REG_CTRL, KG_CTRL_START_MASK, 0x0);
    EXPECT_EQ(d.n_start, 0);
    // Nor does a vault write with no strobe: no side effects at all.
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    ASSERT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK);
    d.wr(KG_REG_AES_KEY(1), 0xffffffff, 0x0);
    d.wr(KG_REG_NONCE0, 0xffffffff, 0x0);
    d.wr(KG_REG_KEY_CFG, 0x2, 0x0);
    EXPECT_EQ(d.key_status() & (KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_KCV_OK_MASK),
              (uint32_t)(KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_KCV_OK_MASK));
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    d.clear_irqs();
    d.wr(KG_REG_SIGN_KEY(0), 0xffffffff, 0x0);
    EXPECT_EQ(d.irq_status(), 0u) << "a write with no strobe is no vault violation";
    d.wr(KG_REG_SIGN_KEY(0), 0xffffffff, 0x8);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_VAULT_MASK);
}

TEST_F(Csr, ReservedPolicyModeReadsBackAsRefuse) {
    d.wr(KG_REG_POLICY, 0x00000501);
    EXPECT_EQ(d.m->policy_mode, (uint32_t)KG_POLICY_RUN);
    d.wr(KG_REG_POLICY, 0x00000503);
    EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000500u);
    EXPECT_EQ(d.m->policy_mode, (uint32_t)KG_POLICY_REFUSE);
}

TEST_F(Csr, CommandRegistersReadZero) {
    d.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
    EXPECT_EQ(d.rd(KG_REG_CTRL), 0u);
    d.wr(KG_REG_CTRL, 0xffffffff);
    EXPECT_EQ(d.rd(KG_REG_CTRL), 0u);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    EXPECT_EQ(d.rd(KG_REG_KEY_CTRL), 0u);
    EXPECT_EQ(d.n_soft_reset, 1);
    EXPECT_EQ(d.n_perf_clear, 2);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_SIGN_VALID_MASK);
}

TEST_F(Csr, UnmappedOffsetsGiveSlverrAndNoEffect) {
    std::set<uint32_t> mapped;
    for (const Reg &r : all_regs()) mapped.insert(r.off);
    d.wr(KG_REG_DESC_ADDR, 0x12345670);
    d.wr(KG_REG_IRQ_ENABLE, 0x15);
    d.wr(KG_REG_NONCE2, 0x600dcafe);
    int n_unmapped = 0;
    for (uint32_t off = 0; off < 4096; off += 4) {
        uint32_t resp = 0;
        uint32_t v = d.read(off, &resp);
        if (mapped.count(off)) {
            EXPECT_EQ(resp, OKAY) << std::hex << off;
            continue;
        }
        n_unmapped++;
        EXPECT_EQ(resp, SLVERR) << "read 0x" << std::hex << off;
        EXPECT_EQ(v, 0u) << "read 0x" << std::hex << off;
        EXPECT_EQ(d.write(off, 0xffffffff), SLVERR) << "write 0x" << std::hex << off;
    }
    EXPECT_EQ(n_unmapped, 1024 - (int)mapped.size());
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0x12345670u);
    EXPECT_EQ(d.rd(KG_REG_IRQ_ENABLE), 0x15u);
    EXPECT_EQ(d.rd(KG_REG_NONCE2), 0x600dcafeu);
    EXPECT_EQ(d.rd(KG_REG_IRQ_STATUS), 0u);
    EXPECT_EQ(d.key_status(), 0u);
    EXPECT_TRUE(d.aes_key_zero());
    EXPECT_EQ(d.sign_key_int(), 0u);
    EXPECT_EQ(d.n_start + d.n_soft_reset + d.n_key_load + d.n_zeroize + d.n_kcv_start, 0);
}

TEST_F(Csr, LowAddressBitsSelectTheWholeWord) {
    for (uint32_t b = 0; b < 4; b++) EXPECT_EQ(d.rd(KG_REG_ID + b), (uint32_t)KG_RST_ID);
    d.wr(KG_REG_DESC_ADDR + 2, 0xdeadbee0);
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0xdeadbee0u);
}

//----------------------------------------------------------------------
// Key vault.
//----------------------------------------------------------------------
TEST_F(Csr, KeyRegistersReadZeroAtEveryMoment) {
    std::mt19937 rng(7);
    uint32_t aes[8], sign[32];
    for (int round = 0; round < 3; round++) {
        for (uint32_t i = 0; i < 8; i++) {
            aes[i] = rng() | 1;
            d.wr(KG_REG_AES_KEY(i), aes[i]);
            for (uint32_t j = 0; j < 8; j++) EXPECT_EQ(d.rd(KG_REG_AES_KEY(j)), 0u);
        }
        for (uint32_t i = 0; i < 32; i++) {
            sign[i] = rng() | 1;
            d.wr(KG_REG_SIGN_KEY(i), sign[i]);
            EXPECT_EQ(d.rd(KG_REG_SIGN_KEY(i)), 0u);
        }
        for (uint32_t i = 0; i < 8; i++) EXPECT_EQ(d.aes_key_word(i), aes[i]) << "vault word " << i;
        // A read issued in the very cycle of the write still returns 0.
        for (uint32_t i = 0; i < 8; i++) {
            d.m->s_axil_awvalid = d.m->s_axil_wvalid = d.m->s_axil_arvalid = 1;
            d.m->s_axil_awaddr = d.m->s_axil_araddr = KG_REG_AES_KEY(i);
            d.m->s_axil_wdata = 0xffffffff;
            d.m->s_axil_wstrb = 0xf;
            d.tick();
            d.m->s_axil_awvalid = d.m->s_axil_wvalid = d.m->s_axil_arvalid = 0;
            d.m->s_axil_bready = d.m->s_axil_rready = 1;
            for (int c = 0; c < 4; c++) {
                d.m->eval();
                if (d.m->s_axil_rvalid) {
                    EXPECT_EQ(d.m->s_axil_rdata, 0u);
                }
                d.tick();
            }
            d.m->s_axil_bready = d.m->s_axil_rready = 0;
            EXPECT_EQ(d.aes_key_word(i), 0xffffffffu);
            d.wr(KG_REG_AES_KEY(i), aes[i]);
        }
        d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
        for (uint32_t i = 0; i < 8; i++) EXPECT_EQ(d.rd(KG_REG_AES_KEY(i)), 0u);
        for (uint32_t i = 0; i < 32; i++) EXPECT_EQ(d.rd(KG_REG_SIGN_KEY(i)), 0u);
    }
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    for (uint32_t i = 0; i < 8; i++) EXPECT_EQ(d.rd(KG_REG_AES_KEY(i)), 0u);
    for (uint32_t i = 0; i < 32; i++) EXPECT_EQ(d.rd(KG_REG_SIGN_KEY(i)), 0u);
}

TEST_F(Csr, AesKeyAndNonceByteOrderOnTheOutputs) {
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    // aes_key[255:248] = key byte 0 = AES_KEY0[31:24].
    EXPECT_EQ(d.m->aes_key[7] >> 24, 0x2bu);
    for (int i = 0; i < 8; i++) EXPECT_EQ(d.aes_key_out(i), kKey[i]);
    d.wr(KG_REG_AES_KEY(3), 0x00ff0000, 0x4);  // byte strobe: key byte 13 only
    EXPECT_EQ(d.aes_key_out(3), 0x09ff4f3cu);
    d.wr(KG_REG_NONCE0, 0xf0f1f2f3);
    d.wr(KG_REG_NONCE1, 0xf4f5f6f7);
    d.wr(KG_REG_NONCE2, 0xf8f9fafb);
    EXPECT_EQ(d.m->nonce[2] >> 24, 0xf0u);
    EXPECT_EQ(d.nonce_out(0), 0xf0f1f2f3u);
    EXPECT_EQ(d.nonce_out(1), 0xf4f5f6f7u);
    EXPECT_EQ(d.nonce_out(2), 0xf8f9fafbu);
    d.wr(KG_REG_KEY_CFG, 2);
    EXPECT_EQ(d.m->aes_len, 2u);
}

TEST_F(Csr, SignKeyPacking) {
    static_assert(kSignBits > 32 && kSignBits < 64, "test geometry spans 1.5 words");
    d.wr(KG_REG_SIGN_KEY(0), 0x80000001);
    d.wr(KG_REG_SIGN_KEY(1), 0xffff0003);  // only bits 32..47 exist
    d.wr(KG_REG_SIGN_KEY(2), 0xffffffff);  // beyond R*C: accepted, ignored
    d.wr(KG_REG_SIGN_KEY(31), 0xffffffff);
    uint64_t expect = 0x0000000380000001ull;
    EXPECT_EQ(d.sign_key_int(), expect);
    EXPECT_EQ((uint64_t)d.m->sign_key, expect);
    // PE(r, c) = bit r*COLS + c: set PE(5, 7), the last one, via word 1 bit 15.
    d.wr(KG_REG_SIGN_KEY(1), 0x00008000, 0x2);
    EXPECT_EQ((uint64_t)d.m->sign_key, expect | (1ull << (5 * kCols + 7)));
    d.wr(KG_REG_SIGN_KEY(0), 0x00000000, 0x1);
    EXPECT_EQ((uint64_t)d.m->sign_key, (expect | (1ull << 47)) & ~1ull);
}

TEST_F(Csr, LoadSetsValidAndKeyWritesClearIt) {
    d.load_aes(kKey, 1);
    EXPECT_EQ(d.n_key_load, 1);
    EXPECT_TRUE(d.aes_valid_int());
    EXPECT_EQ(d.m->aes_valid, 1);
    EXPECT_EQ(d.m->aes_len, 1u);
    EXPECT_EQ(d.key_status() & (KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK),
              KG_KEY_STATUS_AES_VALID_MASK);
    d.wr(KG_REG_AES_KEY(5), 0x1);
    EXPECT_FALSE(d.aes_valid_int());
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    EXPECT_TRUE(d.aes_valid_int());
    EXPECT_EQ(d.n_key_load, 2);
    d.wr(KG_REG_KEY_CFG, 2);  // a new key length invalidates the loaded key
    EXPECT_FALSE(d.aes_valid_int());
    // AES_LEN 3 is reserved: LOAD_AES is refused.
    d.wr(KG_REG_KEY_CFG, 3);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    EXPECT_FALSE(d.aes_valid_int());
    EXPECT_EQ(d.n_key_load, 2);
    d.wr(KG_REG_KEY_CFG, 0);
    // LOAD_AES while the engine is busy is ignored.
    d.m->busy = 1;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    EXPECT_FALSE(d.aes_valid_int());
    EXPECT_EQ(d.n_key_load, 2);
    d.m->busy = 0;
    // Sign key.
    d.wr(KG_REG_SIGN_KEY(0), 0xffff);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    EXPECT_TRUE(d.sign_valid_int());
    EXPECT_EQ(d.m->sign_valid, 1);
    d.wr(KG_REG_SIGN_KEY(1), 0x1);
    EXPECT_FALSE(d.sign_valid_int());
    EXPECT_EQ(d.m->sign_valid, 0);
}

TEST_F(Csr, KeyLoadPulsesWithTheKeyStable) {
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    d.wr(KG_REG_KEY_CFG, 2);
    bool seen = false;
    d.drive = [&](Dut &x) {
        x.m->eval();
        if (x.m->key_load) {
            seen = true;
            for (int i = 0; i < 8; i++) EXPECT_EQ(x.aes_key_out(i), kKey[i]);
            EXPECT_EQ(x.m->aes_len, 2u);
        }
    };
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    d.run(3);
    d.drive = nullptr;
    EXPECT_TRUE(seen);
    EXPECT_EQ(d.n_key_load, 1);
}

TEST_F(Csr, VaultLockIgnoresWritesAndRaisesVault) {
    d.load_aes(kKey, 0);
    d.wr(KG_REG_SIGN_KEY(0), 0x1234);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    d.wr(KG_REG_POLICY, 0x00000402);
    d.wr(KG_REG_IRQ_ENABLE, KG_IRQ_STATUS_VAULT_MASK);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_LOCKED_MASK);
    EXPECT_EQ(d.irq_status(), 0u) << "LOCK itself is not a violation";

    struct Op {
        const char *what;
        uint32_t off, val;
    };
    const Op ops[] = {
        {"AES_KEY0", KG_REG_AES_KEY(0), 0xffffffff},
        {"AES_KEY7", KG_REG_AES_KEY(7), 0xffffffff},
        {"SIGN_KEY0", KG_REG_SIGN_KEY(0), 0xffffffff},
        {"SIGN_KEY31", KG_REG_SIGN_KEY(31), 0xffffffff},
        {"KEY_CFG", KG_REG_KEY_CFG, 2},
        {"POLICY", KG_REG_POLICY, 0x00000001},
        {"LOAD_AES", KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK},
        {"LOAD_SIGN", KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK},
    };
    for (const Op &op : ops) {
        d.clear_irqs();
        EXPECT_EQ(d.m->irq, 0);
        EXPECT_EQ(d.write(op.off, op.val), OKAY) << op.what;
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_VAULT_MASK) << op.what;
        EXPECT_EQ(d.m->irq, 1) << op.what;
        for (int i = 0; i < 8; i++) EXPECT_EQ(d.aes_key_word(i), kKey[i]) << op.what;
        EXPECT_EQ(d.sign_key_int(), 0x1234u) << op.what;
        EXPECT_EQ(d.rd(KG_REG_KEY_CFG), 0u) << op.what;
        EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000402u) << op.what;
        EXPECT_TRUE(d.aes_valid_int() && d.sign_valid_int()) << op.what;
        EXPECT_EQ(d.n_key_load, 1) << op.what;
    }
    // Not vault registers: still writable, no violation.
    d.clear_irqs();
    d.wr(KG_REG_NONCE0, 0x11111111);
    d.wr(KG_REG_KCV_EXP0, 0x22222222);
    d.wr(KG_REG_DESC_ADDR, 0x1000);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);  // locking again: harmless
    EXPECT_EQ(d.irq_status(), 0u);
    EXPECT_EQ(d.rd(KG_REG_NONCE0), 0x11111111u);
    EXPECT_EQ(d.rd(KG_REG_KCV_EXP0), 0x22222222u);
    // Only reset unlocks.
    d.reset();
    EXPECT_EQ(d.key_status(), 0u);
    d.wr(KG_REG_AES_KEY(0), 0x5);
    EXPECT_EQ(d.aes_key_word(0), 0x5u);
}

TEST_F(Csr, LoadAndLockInOneWriteLoadsFirst) {
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOCK_MASK);
    EXPECT_TRUE(d.aes_valid_int());
    EXPECT_EQ(d.n_key_load, 1);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_LOCKED_MASK);
    EXPECT_EQ(d.irq_status(), 0u);
}

TEST_F(Csr, PolicyAndKeyCfgFrozenAfterLock) {
    d.wr(KG_REG_POLICY, 0x00000502);
    d.wr(KG_REG_KEY_CFG, 1);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    for (uint32_t v : {0x0u, 0x00000101u, 0xffffffffu}) {
        d.clear_irqs();
        d.wr(KG_REG_POLICY, v);
        EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000502u);
        EXPECT_EQ(d.m->policy_mode, (uint32_t)KG_POLICY_LOCKOUT);
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_VAULT_MASK);
        d.clear_irqs();
        d.wr(KG_REG_KEY_CFG, v);
        EXPECT_EQ(d.rd(KG_REG_KEY_CFG), 1u);
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_VAULT_MASK);
    }
    // Zeroize does not unfreeze them either.
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
    d.wr(KG_REG_POLICY, 0);
    EXPECT_EQ(d.rd(KG_REG_POLICY), 0x00000502u);
}

// Provisions keys, fails a few checks into lockout, and locks the vault.
void provision_locked_out(Dut &d) {
    d.wr(KG_REG_POLICY, (1u << KG_POLICY_THRESHOLD_SHIFT) | KG_POLICY_LOCKOUT);
    d.load_aes(kKey, 2);
    d.wr(KG_REG_SIGN_KEY(0), 0xdeadbeef);
    d.wr(KG_REG_SIGN_KEY(1), 0xbeef);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    d.set_kcv_exp(kKcv);
    d.check(kKcv ^ 1);
    ASSERT_TRUE(d.m->locked_out);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
}

TEST_F(Csr, ZeroizeClearsTheVaultButNotTheLock) {
    provision_locked_out(d);
    ASSERT_FALSE(d.aes_key_zero());
    ASSERT_NE(d.sign_key_int(), 0u);
    uint32_t ks = d.key_status();
    ASSERT_EQ(ks & (KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK | KG_KEY_STATUS_LOCKED_MASK |
                    KG_KEY_STATUS_LOCKED_OUT_MASK),
              (uint32_t)(KG_KEY_STATUS_AES_VALID_MASK | KG_KEY_STATUS_SIGN_VALID_MASK | KG_KEY_STATUS_LOCKED_MASK |
                         KG_KEY_STATUS_LOCKED_OUT_MASK));
    ASSERT_EQ(fails_of(ks), 1u);
    d.clear_irqs();

    bool vault_clear_at_pulse = false;
    d.drive = [&](Dut &x) {
        x.m->eval();
        if (x.m->zeroize) vault_clear_at_pulse = x.aes_key_zero() && x.sign_key_int() == 0;
    };
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);  // allowed while locked
    d.run(2);
    d.drive = nullptr;
    EXPECT_EQ(d.n_zeroize, 1);
    EXPECT_TRUE(vault_clear_at_pulse);
    EXPECT_TRUE(d.aes_key_zero());
    EXPECT_EQ(d.sign_key_int(), 0u);
    EXPECT_FALSE(d.aes_valid_int());
    EXPECT_FALSE(d.sign_valid_int());
    for (int i = 0; i < 8; i++) EXPECT_EQ(d.aes_key_out(i), 0u);
    EXPECT_EQ((uint64_t)d.m->sign_key, 0u);
    EXPECT_EQ(d.m->locked_out, 0);
    EXPECT_EQ(d.m->kcv_ok, 0);
    EXPECT_EQ(d.key_status(), (uint32_t)KG_KEY_STATUS_LOCKED_MASK);
    EXPECT_EQ(d.irq_status(), 0u) << "ZEROIZE is allowed after LOCK: no violation";
    EXPECT_EQ(d.n_soft_reset, 0) << "idle engine: no abort";
}

TEST_F(Csr, ZeroizeWhileBusyAbortsTheLayer) {
    d.m->busy = 1;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
    d.run(2);
    EXPECT_EQ(d.n_zeroize, 1);
    EXPECT_EQ(d.n_soft_reset, 1);
}

TEST_F(Csr, ZeroizeWinsOverLoadInTheSameWrite) {
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK | KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_CHECK_MASK);
    d.run(20);
    EXPECT_FALSE(d.aes_valid_int());
    EXPECT_TRUE(d.aes_key_zero());
    EXPECT_EQ(d.n_key_load, 0);
    EXPECT_EQ(d.n_kcv_start, 0);
}

//----------------------------------------------------------------------
// Key check and wrong-key policy.
//----------------------------------------------------------------------
TEST_F(Csr, KcvMatchSetsKcvOk) {
    d.load_aes(kKey, 0);
    d.wr(KG_REG_NONCE0, 0xf0f1f2f3);
    d.set_kcv_exp(kKcv);
    d.wr(KG_REG_IRQ_ENABLE, kIrqAll);
    d.kcv_latency = 30;
    d.kcv_value = kKcv;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    uint32_t ks = d.key_status();
    EXPECT_TRUE(ks & KG_KEY_STATUS_CHECK_BUSY_MASK);
    EXPECT_FALSE(ks & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(d.m->irq, 0);
    d.run(40);
    ks = d.key_status();
    EXPECT_FALSE(ks & KG_KEY_STATUS_CHECK_BUSY_MASK);
    EXPECT_TRUE(ks & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(fails_of(ks), 0u);
    EXPECT_EQ(d.m->kcv_ok, 1);
    EXPECT_EQ(d.n_kcv_start, 1);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_OK);
    EXPECT_EQ(d.m->irq, 1);
}

TEST_F(Csr, KcvComparesEveryBit) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    for (int bit = 0; bit < 64; bit++) {
        d.clear_irqs();
        uint32_t ks = d.check(kKcv ^ (1ull << bit));
        EXPECT_FALSE(ks & KG_KEY_STATUS_KCV_OK_MASK) << "bit " << bit;
        EXPECT_EQ(d.err(), (uint32_t)KG_ERR_KCV_MISMATCH);
    }
    EXPECT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK);
}

TEST_F(Csr, KcvMismatchCountsFailuresAndSaturates) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    for (int i = 1; i <= 258; i++) {
        d.clear_irqs();
        uint32_t ks = d.check(~kKcv);
        ASSERT_EQ(fails_of(ks), (uint32_t)std::min(i, 255)) << "check " << i;
        ASSERT_FALSE(ks & KG_KEY_STATUS_KCV_OK_MASK);
        ASSERT_FALSE(ks & KG_KEY_STATUS_LOCKED_OUT_MASK) << "REFUSE never locks out";
        ASSERT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_WRONG_KEY_MASK);
        ASSERT_EQ(d.err(), (uint32_t)KG_ERR_KCV_MISMATCH);
    }
    // A later pass does not reset the failure count.
    uint32_t ks = d.check(kKcv);
    EXPECT_TRUE(ks & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(fails_of(ks), 255u);
}

TEST_F(Csr, CheckWithoutKeyIsRefused) {
    d.set_kcv_exp(kKcv);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(20);
    EXPECT_EQ(d.n_kcv_start, 0);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_NO_KEY);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_WRONG_KEY_MASK);
    uint32_t ks = d.key_status();
    EXPECT_EQ(ks & (KG_KEY_STATUS_CHECK_BUSY_MASK | KG_KEY_STATUS_KCV_OK_MASK), 0u);
    EXPECT_EQ(fails_of(ks), 0u);
    // Keys written but not loaded: still no key.
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    d.clear_irqs();
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_NO_KEY);
    EXPECT_EQ(d.n_kcv_start, 0);
}

class CsrThreshold : public ::testing::TestWithParam<int> {
  protected:
    Dut d;
};

TEST_P(CsrThreshold, LockoutAfterThresholdFailures) {
    const uint32_t thr = (uint32_t)GetParam();
    const uint32_t eff = thr == 0 ? 1 : thr;
    d.wr(KG_REG_POLICY, (thr << KG_POLICY_THRESHOLD_SHIFT) | KG_POLICY_LOCKOUT);
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    for (uint32_t i = 1; i <= eff; i++) {
        d.clear_irqs();
        uint32_t ks = d.check(kKcv + 1);
        EXPECT_EQ(fails_of(ks), i);
        bool out = (ks & KG_KEY_STATUS_LOCKED_OUT_MASK) != 0;
        EXPECT_EQ(out, i == eff) << "after " << i << " failures, threshold " << thr;
        EXPECT_EQ(d.m->locked_out, out);
        uint32_t expect_irq = KG_IRQ_STATUS_WRONG_KEY_MASK | (out ? KG_IRQ_STATUS_LOCKOUT_MASK : 0);
        EXPECT_EQ(d.irq_status(), expect_irq);
        EXPECT_EQ(d.err(), (uint32_t)KG_ERR_KCV_MISMATCH);
    }
    // In lockout every CHECK is refused, even with the right answer.
    int starts = d.n_kcv_start;
    d.clear_irqs();
    uint32_t ks = d.check(kKcv);
    EXPECT_EQ(d.n_kcv_start, starts);
    EXPECT_FALSE(ks & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(fails_of(ks), eff);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_LOCKED_OUT);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_LOCKOUT_MASK);
}
INSTANTIATE_TEST_SUITE_P(Thresholds, CsrThreshold, ::testing::Values(0, 1, 2, 5));

TEST_F(Csr, RunAndRefuseModesNeverLockOut) {
    for (uint32_t mode : {(uint32_t)KG_POLICY_RUN, (uint32_t)KG_POLICY_REFUSE}) {
        d.reset();
        d.wr(KG_REG_POLICY, (1u << KG_POLICY_THRESHOLD_SHIFT) | mode);
        d.load_aes(kKey, 0);
        d.set_kcv_exp(kKcv);
        for (int i = 0; i < 4; i++) d.check(0);
        EXPECT_EQ(fails_of(d.key_status()), 4u);
        EXPECT_EQ(d.m->locked_out, 0) << "mode " << mode;
        EXPECT_EQ(d.m->policy_mode, mode);
    }
}

TEST_F(Csr, LockoutSurvivesEverythingButZeroizeAndReset) {
    provision_locked_out(d);
    ASSERT_EQ(d.m->locked_out, 1);
    d.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
    d.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
    d.done(KG_ERR_ABORTED);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    d.wr(KG_REG_IRQ_STATUS, kIrqAll);
    d.wr(KG_REG_NONCE0, 1);
    d.wr(KG_REG_KCV_EXP0, 1);
    d.wr(KG_REG_POLICY, KG_POLICY_RUN);   // frozen anyway
    d.wr(KG_REG_AES_KEY(0), 0);           // ignored after lock
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(50);
    EXPECT_EQ(d.m->locked_out, 1);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_LOCKED_OUT_MASK);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_LOCKED_OUT);
    // Zeroize clears it.
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK);
    EXPECT_EQ(d.m->locked_out, 0);
    EXPECT_EQ(fails_of(d.key_status()), 0u);
    // And so does a hardware reset.
    d.reset();
    provision_locked_out(d);
    ASSERT_EQ(d.m->locked_out, 1);
    d.reset();
    EXPECT_EQ(d.m->locked_out, 0);
    EXPECT_EQ(d.key_status(), 0u);
}

TEST_F(Csr, KcvOkClearedWhenItsInputsChange) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    struct Op {
        const char *what;
        uint32_t off, val;
        bool reload;
    };
    const Op ops[] = {
        {"NONCE0", KG_REG_NONCE0, 1, false},    {"NONCE1", KG_REG_NONCE1, 1, false},
        {"NONCE2", KG_REG_NONCE2, 1, false},    {"KCV_EXP0", KG_REG_KCV_EXP0, (uint32_t)(kKcv >> 32), false},
        {"KCV_EXP1", KG_REG_KCV_EXP1, (uint32_t)kKcv, false},
        {"AES_KEY0", KG_REG_AES_KEY(0), kKey[0], true},
        {"AES_KEY6", KG_REG_AES_KEY(6), kKey[6], true},
        {"KEY_CFG", KG_REG_KEY_CFG, 0, true},
        {"LOAD_AES", KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK, false},
    };
    for (const Op &op : ops) {
        ASSERT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK) << op.what;
        ASSERT_EQ(d.m->kcv_ok, 1);
        d.wr(op.off, op.val);
        EXPECT_FALSE(d.key_status() & KG_KEY_STATUS_KCV_OK_MASK) << op.what;
        EXPECT_EQ(d.m->kcv_ok, 0) << op.what;
        if (op.reload) d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
    }
    // Unrelated writes keep it.
    ASSERT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK);
    d.wr(KG_REG_SIGN_KEY(0), 1);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    d.wr(KG_REG_POLICY, 0x00000501);
    d.wr(KG_REG_DESC_ADDR, 0x40);
    EXPECT_EQ(d.m->kcv_ok, 1);
}

TEST_F(Csr, CheckWaitsForTheDecryptUnit) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    d.kcv_value = kKcv;
    d.m->kcv_ready = 0;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(30);
    EXPECT_EQ(d.n_kcv_start, 0);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
    d.m->kcv_ready = 1;
    d.run(20);
    EXPECT_EQ(d.n_kcv_start, 1);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_KCV_OK_MASK);
}

TEST_F(Csr, LoadAndCheckInOneWriteNeverOverlapKeyLoad) {
    for (int i = 0; i < 8; i++) d.wr(KG_REG_AES_KEY(i), kKey[i]);
    d.set_kcv_exp(kKcv);
    d.kcv_value = kKcv;
    // Like kg_weight_decrypt: not ready from the cycle after key_load for a while.
    int busy_for = 0;
    d.drive = [&](Dut &x) {
        if (busy_for > 0) busy_for--;
        x.m->kcv_ready = busy_for == 0;
        x.m->eval();
        if (x.m->key_load) busy_for = 12;
    };
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_CHECK_MASK);
    d.run(40);
    d.drive = nullptr;
    ASSERT_EQ(d.key_load_cycles.size(), 1u);
    ASSERT_EQ(d.kcv_start_cycles.size(), 1u);
    EXPECT_GT(d.kcv_start_cycles[0], d.key_load_cycles[0] + 12);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_KCV_OK_MASK);
}

TEST_F(Csr, CheckIgnoredWhileAnotherRuns) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    d.kcv_value = kKcv;
    d.kcv_latency = 40;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(60);
    EXPECT_EQ(d.n_kcv_start, 1);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_KCV_OK_MASK);
}

TEST_F(Csr, StaleResultOfPreviousCheckIsNotTaken) {
    // The fake unit holds kcv_valid high with the previous (matching) result
    // until it sees the next kcv_start, as kg_weight_decrypt does.
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    ASSERT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK);
    ASSERT_EQ(d.m->kcv_valid, 1);
    d.kcv_latency = 20;
    d.kcv_value = 0;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(40);
    uint32_t ks = d.key_status();
    EXPECT_FALSE(ks & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(fails_of(ks), 1u);
}

TEST_F(Csr, PulsedKcvValidIsAccepted) {
    d.kcv_pulse = true;
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    EXPECT_TRUE(d.check(kKcv) & KG_KEY_STATUS_KCV_OK_MASK);
    EXPECT_EQ(fails_of(d.check(1)), 1u);
}

TEST_F(Csr, InputsChangedDuringCheckAbortIt) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    d.kcv_latency = 40;
    for (uint32_t off : {(uint32_t)KG_REG_NONCE1, (uint32_t)KG_REG_KCV_EXP1, (uint32_t)KG_REG_AES_KEY(2)}) {
        d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK);
        d.clear_irqs();
        d.kcv_value = 0;  // would be a mismatch
        d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
        d.wr(off, 0x77);
        EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
        d.run(60);
        uint32_t ks = d.key_status();
        EXPECT_FALSE(ks & (KG_KEY_STATUS_CHECK_BUSY_MASK | KG_KEY_STATUS_KCV_OK_MASK)) << std::hex << off;
        EXPECT_EQ(fails_of(ks), 0u) << "an aborted check is no failure";
        EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED);
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
    }
    // LOAD_AES and ZEROIZE abort at once (the decrypt unit drops the KCV).
    for (uint32_t cmd : {(uint32_t)KG_KEY_CTRL_LOAD_AES_MASK, (uint32_t)KG_KEY_CTRL_ZEROIZE_MASK}) {
        d.load_aes(kKey, 0);
        d.set_kcv_exp(kKcv);
        d.clear_irqs();
        d.kcv_respond = false;
        d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
        d.run(10);
        d.wr(KG_REG_KEY_CTRL, cmd);
        uint32_t ks = d.key_status();
        EXPECT_FALSE(ks & KG_KEY_STATUS_CHECK_BUSY_MASK) << cmd;
        EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED) << cmd;
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK) << cmd;
        d.kcv_respond = true;
    }
}

TEST_F(Csr, CheckTimesOutWithoutAnAnswer) {
    d.load_aes(kKey, 0);
    d.set_kcv_exp(kKcv);
    d.kcv_respond = false;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(kKcvTimeout - 20);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
    d.run(40);
    uint32_t ks = d.key_status();
    EXPECT_FALSE(ks & (KG_KEY_STATUS_CHECK_BUSY_MASK | KG_KEY_STATUS_KCV_OK_MASK));
    EXPECT_EQ(fails_of(ks), 0u);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
    // Never ready at all: same.
    d.clear_irqs();
    d.m->kcv_ready = 0;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.run(kKcvTimeout + 10);
    EXPECT_FALSE(d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED);
}

//----------------------------------------------------------------------
// Engine control, status and interrupts.
//----------------------------------------------------------------------
TEST_F(Csr, StartOnlyWhenIdle) {
    d.wr(KG_REG_DESC_ADDR, 0x1000);
    EXPECT_EQ(d.m->desc_addr, 0x1000u);
    // The engine raises busy the cycle after start.
    bool engine_busy = false;
    d.drive = [&](Dut &x) { x.m->busy = engine_busy; };
    auto engine = [&](Dut &x) {
        x.m->busy = engine_busy;
        x.m->eval();
        if (x.m->start) engine_busy = true;
    };
    d.drive = engine;
    d.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    d.run(2);
    EXPECT_EQ(d.n_start, 1);
    EXPECT_TRUE(d.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
    d.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    d.wr(KG_REG_DESC_ADDR, 0x2000);
    EXPECT_EQ(d.n_start, 1) << "START while busy is ignored";
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0x1000u) << "DESC_ADDR is ignored while busy";
    EXPECT_EQ(d.m->desc_addr, 0x1000u);
    engine_busy = false;
    d.done(KG_ERR_OK);
    EXPECT_FALSE(d.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK);
    d.wr(KG_REG_DESC_ADDR, 0x2000);
    EXPECT_EQ(d.m->desc_addr, 0x2000u);
    d.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    d.run(2);
    EXPECT_EQ(d.n_start, 2);
    // SOFT_RESET works while busy; with START in the same write it wins.
    d.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK);
    EXPECT_EQ(d.n_soft_reset, 1);
    engine_busy = false;
    d.run(2);
    d.wr(KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK | KG_CTRL_START_MASK);
    d.run(2);
    EXPECT_EQ(d.n_soft_reset, 2);
    EXPECT_EQ(d.n_start, 2);
    d.drive = nullptr;
}

TEST_F(Csr, BackToBackStartsGiveOnePulse) {
    // START written again and again, back to back: one start pulse, as the
    // engine is busy from the cycle after it.
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = 1;
    d.m->s_axil_awaddr = KG_REG_CTRL;
    d.m->s_axil_wdata = KG_CTRL_START_MASK;
    d.m->s_axil_wstrb = 0xf;
    d.m->s_axil_bready = 1;
    bool saw_busy_status = false;
    bool engine_busy = false;
    d.drive = [&](Dut &x) {
        x.m->busy = engine_busy;
        x.m->eval();
        if (x.m->start) engine_busy = true;
    };
    for (int c = 0; c < 12; c++) d.tick();
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = 0;
    d.run(3);
    saw_busy_status = d.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK;
    d.drive = nullptr;
    EXPECT_EQ(d.n_start, 1);
    EXPECT_TRUE(saw_busy_status);
}

TEST_F(Csr, EngineCompletionCodesRaiseTheirCause) {
    const std::map<uint32_t, uint32_t> cause = {
        {KG_ERR_OK, KG_IRQ_STATUS_DONE_MASK},
        {KG_ERR_BAD_MAGIC, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_BAD_OP, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_ZERO_DIM, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_MISALIGNED, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_TOO_BIG, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_BAD_CRYPT, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_RESERVED, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_NO_KEY, KG_IRQ_STATUS_DESC_ERR_MASK},
        {KG_ERR_WRONG_KEY, KG_IRQ_STATUS_WRONG_KEY_MASK},
        {KG_ERR_LOCKED_OUT, KG_IRQ_STATUS_LOCKOUT_MASK},
        {KG_ERR_BUS, KG_IRQ_STATUS_BUS_ERR_MASK},
        {KG_ERR_ABORTED, KG_IRQ_STATUS_DONE_MASK},
        {KG_ERR_KCV_MISMATCH, KG_IRQ_STATUS_WRONG_KEY_MASK},
        {0x7f, KG_IRQ_STATUS_DESC_ERR_MASK},  // unknown code: still an interrupt
    };
    for (const auto &kv : cause) {
        d.clear_irqs();
        d.done(kv.first);
        EXPECT_EQ(d.irq_status(), kv.second) << "code " << kv.first;
        EXPECT_EQ(d.err(), kv.first) << "code " << kv.first;
    }
}

TEST_F(Csr, InterruptLevelFollowsStatusAndEnable) {
    d.done(KG_ERR_BUS);
    d.done(KG_ERR_OK);
    EXPECT_EQ(d.irq_status(), (uint32_t)(KG_IRQ_STATUS_BUS_ERR_MASK | KG_IRQ_STATUS_DONE_MASK));
    EXPECT_EQ(d.m->irq, 0) << "no enable, no interrupt";
    d.wr(KG_REG_IRQ_ENABLE, KG_IRQ_STATUS_VAULT_MASK | KG_IRQ_STATUS_LOCKOUT_MASK);
    EXPECT_EQ(d.m->irq, 0);
    d.wr(KG_REG_IRQ_ENABLE, KG_IRQ_STATUS_BUS_ERR_MASK);
    EXPECT_EQ(d.m->irq, 1);
    d.run(20);
    EXPECT_EQ(d.m->irq, 1) << "level, not a pulse";
    d.wr(KG_REG_IRQ_STATUS, 0);  // writing 0 clears nothing
    EXPECT_EQ(d.irq_status(), (uint32_t)(KG_IRQ_STATUS_BUS_ERR_MASK | KG_IRQ_STATUS_DONE_MASK));
    d.wr(KG_REG_IRQ_STATUS, KG_IRQ_STATUS_DONE_MASK);  // clears DONE only
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_BUS_ERR_MASK);
    EXPECT_EQ(d.m->irq, 1);
    d.wr(KG_REG_IRQ_ENABLE, 0);
    EXPECT_EQ(d.m->irq, 0);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_BUS_ERR_MASK) << "disabling does not clear";
    d.wr(KG_REG_IRQ_ENABLE, kIrqAll);
    EXPECT_EQ(d.m->irq, 1);
    d.wr(KG_REG_IRQ_STATUS, 0xffffffff);
    EXPECT_EQ(d.irq_status(), 0u);
    EXPECT_EQ(d.m->irq, 0);
}

TEST_F(Csr, CauseRaisedInTheCycleOfItsClearStaysSet) {
    d.done(KG_ERR_OK);
    // Pulse done in exactly the cycle the W1C write reaches the register bus
    // (the cycle after the AW/W handshakes).
    d.drive = [&](Dut &x) {
        x.m->done = 0;
        x.m->eval();
        if (x.m->s_axil_awvalid && x.m->s_axil_awready && x.m->s_axil_wvalid && x.m->s_axil_wready)
            x.cycle_mark = x.cycle + 1;
        if (x.cycle == x.cycle_mark) {
            x.m->done = 1;
            x.m->done_err = KG_ERR_OK;
        }
    };
    d.wr(KG_REG_IRQ_STATUS, KG_IRQ_STATUS_DONE_MASK);
    d.drive = nullptr;
    d.m->done = 0;
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
}

//----------------------------------------------------------------------
// Performance counters.
//----------------------------------------------------------------------
struct Events {
    bool busy, compute, dma, dec;
    uint32_t rd, wr;
};
Events events_at(uint64_t c) {
    uint64_t h = c * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
    return {(h & 1) != 0, (h & 6) == 6, (h & 0x10) != 0, (h & 0x60) == 0x20,
            (uint32_t)((h >> 8) % 17), (uint32_t)((h >> 16) % 17)};
}

TEST_F(Csr, PerfCountersCountTheirEvents) {
    d.drive = [](Dut &x) {
        Events e = events_at(x.cycle);
        x.m->busy = e.busy;
        x.m->ev_compute = e.compute;
        x.m->dma_stall = e.dma;
        x.m->dec_stall = e.dec;
        x.m->rd_bytes = e.rd;
        x.m->wr_bytes = e.wr;
    };
    d.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
    const uint64_t t_clear = d.last_wr_issue;
    d.run(500);
    const uint32_t lo_regs[] = {KG_REG_PERF_CYCLES_LO,   KG_REG_PERF_BUSY_LO,      KG_REG_PERF_COMPUTE_LO,
                                KG_REG_PERF_RD_BYTES_LO, KG_REG_PERF_WR_BYTES_LO,  KG_REG_PERF_DMA_STALL_LO,
                                KG_REG_PERF_DEC_STALL_LO};
    for (int k = 0; k < 7; k++) {
        uint32_t lo = d.rd(lo_regs[k]);
        const uint64_t t_lo = d.last_rd_issue;
        uint32_t hi = d.rd(lo_regs[k] + 4);
        // Expected: the increments of cycles t_clear+1 .. t_lo-1.
        uint64_t expect = 0;
        for (uint64_t c = t_clear + 1; c < t_lo; c++) {
            Events e = events_at(c);
            const uint64_t inc[] = {1, e.busy, e.compute, e.rd, e.wr, e.dma, e.dec};
            expect += inc[k];
        }
        EXPECT_EQ(((uint64_t)hi << 32) | lo, expect) << "counter " << k;
        EXPECT_GT(expect, 0u) << "counter " << k << " saw no events";
    }
    d.drive = nullptr;
}

TEST_F(Csr, PerfClearZeroesEveryCounter) {
    d.m->busy = d.m->ev_compute = d.m->dma_stall = d.m->dec_stall = 1;
    d.m->rd_bytes = d.m->wr_bytes = 16;
    d.run(100);
    EXPECT_GE(d.rd(KG_REG_PERF_RD_BYTES_LO), 1600u);
    d.m->busy = d.m->ev_compute = d.m->dma_stall = d.m->dec_stall = 0;
    d.m->rd_bytes = d.m->wr_bytes = 0;
    d.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
    EXPECT_EQ(d.rd(KG_REG_PERF_BUSY_LO), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_COMPUTE_LO), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_RD_BYTES_LO), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_WR_BYTES_LO), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_DMA_STALL_LO), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_DEC_STALL_LO), 0u);
    uint32_t cyc = d.rd(KG_REG_PERF_CYCLES_LO);
    EXPECT_EQ((uint64_t)cyc, d.last_rd_issue - d.last_wr_issue - 1) << "cycles since the clear";
}

TEST_F(Csr, PerfHighWordsLatchOnLowRead) {
    auto &cnt = d.root()->kg_csr__DOT__u_perf__DOT__cnt_reg;
    // Preload every counter to 0x00000005_fffffff0 (word 2k = low, 2k+1 = high).
    for (int k = 0; k < 7; k++) {
        cnt[2 * k] = k == 3 ? 0xffffff00u : 0xfffffff0u;  // RD_BYTES counts 16 a cycle
        cnt[2 * k + 1] = 5;
    }
    d.m->busy = 1;
    d.m->rd_bytes = 16;
    uint32_t lo = d.rd(KG_REG_PERF_CYCLES_LO);
    EXPECT_GE(lo, 0xfffffff0u);
    d.run(64);  // every low word that counts has wrapped by now
    EXPECT_EQ(d.rd(KG_REG_PERF_CYCLES_HI), 5u) << "HI is the value latched with LO";
    EXPECT_EQ(d.rd(KG_REG_PERF_BUSY_HI), 5u);
    EXPECT_EQ(d.rd(KG_REG_PERF_RD_BYTES_HI), 5u);
    lo = d.rd(KG_REG_PERF_BUSY_LO);  // any LO read latches all of them
    EXPECT_LT(lo, 0x1000u);
    EXPECT_EQ(d.rd(KG_REG_PERF_CYCLES_HI), 6u);
    EXPECT_EQ(d.rd(KG_REG_PERF_BUSY_HI), 6u);
    EXPECT_EQ(d.rd(KG_REG_PERF_RD_BYTES_HI), 6u);
    EXPECT_EQ(d.rd(KG_REG_PERF_COMPUTE_HI), 5u) << "no events: no wrap";
    // HI reads do not latch.
    d.run(10);
    EXPECT_EQ(d.rd(KG_REG_PERF_CYCLES_HI), 6u);
    // PERF_CLEAR clears the latched words too.
    d.wr(KG_REG_CTRL, KG_CTRL_PERF_CLEAR_MASK);
    EXPECT_EQ(d.rd(KG_REG_PERF_CYCLES_HI), 0u);
    EXPECT_EQ(d.rd(KG_REG_PERF_RD_BYTES_HI), 0u);
}

TEST_F(Csr, PerfLowAndHighFormAConsistentPairAcrossTheCarry) {
    auto &cnt = d.root()->kg_csr__DOT__u_perf__DOT__cnt_reg;
    for (int trial = 0; trial < 40; trial++) {
        cnt[0] = 0xffffffff - (uint32_t)trial;  // cycles counter, carry imminent
        cnt[1] = 9;
        uint32_t lo = d.rd(KG_REG_PERF_CYCLES_LO);
        uint32_t hi = d.rd(KG_REG_PERF_CYCLES_HI);
        uint64_t v = ((uint64_t)hi << 32) | lo;
        EXPECT_TRUE(v >= 0x9ffffffd0ull && v < 0xa00000040ull) << std::hex << v;
        EXPECT_EQ(hi, lo >= 0x80000000u ? 9u : 10u) << "trial " << trial << std::hex << " lo " << lo;
    }
}

//----------------------------------------------------------------------
// AXI4-Lite channel behaviour.
//----------------------------------------------------------------------
TEST_F(Csr, WriteAddressAndDataInAnyOrder) {
    const Timing cases[] = {
        {0, 0, 0, 0, 0}, {0, 5, 0, 0, 0}, {5, 0, 0, 0, 0}, {3, 1, 7, 2, 6}, {1, 3, 2, 0, 9}, {9, 9, 0, 4, 0},
    };
    uint32_t v = 0x100;
    for (const Timing &t : cases) {
        v += 0x110;
        EXPECT_EQ(d.write(KG_REG_DESC_ADDR, v, 0xf, t), OKAY);
        uint32_t resp = 0;
        EXPECT_EQ(d.read(KG_REG_DESC_ADDR, &resp, t), v);
        EXPECT_EQ(resp, OKAY);
        EXPECT_EQ(d.write(0x7fc, v, 0xf, t), SLVERR);
        EXPECT_EQ(d.read(0x7fc, &resp, t), 0u);
        EXPECT_EQ(resp, SLVERR);
    }
}

TEST_F(Csr, WriteWaitsForBothHalves) {
    d.wr(KG_REG_DESC_ADDR, 0);
    // Address only: nothing happens, AWREADY drops (one held address).
    d.m->s_axil_awvalid = 1;
    d.m->s_axil_awaddr = KG_REG_DESC_ADDR;
    d.tick();
    d.m->s_axil_awvalid = 0;
    d.run(5);
    d.m->eval();
    EXPECT_EQ(d.m->s_axil_awready, 0);
    EXPECT_EQ(d.m->s_axil_bvalid, 0);
    EXPECT_EQ(d.m->desc_addr, 0u);
    // Data arrives later.
    d.m->s_axil_wvalid = 1;
    d.m->s_axil_wdata = 0xabc0;
    d.m->s_axil_wstrb = 0xf;
    d.tick();
    d.m->s_axil_wvalid = 0;
    d.run(2);
    EXPECT_EQ(d.m->s_axil_bvalid, 1);
    EXPECT_EQ(d.m->desc_addr, 0xabc0u);
    // Response held without BREADY; a new address can already be taken.
    d.run(10);
    d.m->eval();
    EXPECT_EQ(d.m->s_axil_bvalid, 1);
    EXPECT_EQ(d.m->s_axil_bresp, OKAY);
    EXPECT_EQ(d.m->s_axil_awready, 1);
    EXPECT_EQ(d.m->s_axil_wready, 1);
    // Second write is held back until the first response is taken.
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = 1;
    d.m->s_axil_awaddr = KG_REG_DESC_ADDR;
    d.m->s_axil_wdata = 0xdef0;
    d.tick();
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = 0;
    d.run(5);
    EXPECT_EQ(d.m->desc_addr, 0xabc0u) << "second write must wait for BREADY";
    d.m->s_axil_bready = 1;
    d.tick();  // first response taken
    d.m->s_axil_bready = 0;
    d.run(2);
    EXPECT_EQ(d.m->desc_addr, 0xdef0u);
    EXPECT_EQ(d.m->s_axil_bvalid, 1);
    d.m->s_axil_bready = 1;
    d.tick();
    d.m->s_axil_bready = 0;
    d.m->eval();
    EXPECT_EQ(d.m->s_axil_bvalid, 0);
}

TEST_F(Csr, ReadResponseHeldUnderBackPressure) {
    d.wr(KG_REG_NONCE0, 0x13572468);
    uint32_t resp = 0;
    Timing t;
    t.r_delay = 25;
    EXPECT_EQ(d.read(KG_REG_NONCE0, &resp, t), 0x13572468u);
    // The value is taken at issue: a write during the back-pressure does not
    // change the pending response (checked by the driver: RDATA stable).
    d.m->s_axil_arvalid = 1;
    d.m->s_axil_araddr = KG_REG_NONCE0;
    d.tick();
    d.m->s_axil_arvalid = 0;
    d.run(2);
    d.wr(KG_REG_NONCE0, 0x1);
    d.m->eval();
    EXPECT_EQ(d.m->s_axil_rvalid, 1);
    EXPECT_EQ(d.m->s_axil_rdata, 0x13572468u);
    d.m->s_axil_rready = 1;
    d.tick();
    d.m->s_axil_rready = 0;
    EXPECT_EQ(d.rd(KG_REG_NONCE0), 0x1u);
}

TEST_F(Csr, ReadAndWriteInTheSameCycle) {
    d.wr(KG_REG_NONCE2, 0xaaaa5555);
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = d.m->s_axil_arvalid = 1;
    d.m->s_axil_awaddr = KG_REG_NONCE2;
    d.m->s_axil_araddr = KG_REG_NONCE2;
    d.m->s_axil_wdata = 0x12121212;
    d.m->s_axil_wstrb = 0xf;
    d.tick();
    d.m->s_axil_awvalid = d.m->s_axil_wvalid = d.m->s_axil_arvalid = 0;
    d.tick();  // both issued in this cycle
    d.m->eval();
    EXPECT_EQ(d.m->s_axil_rvalid, 1);
    EXPECT_EQ(d.m->s_axil_bvalid, 1);
    EXPECT_EQ(d.m->s_axil_rdata, 0xaaaa5555u) << "the read sees the state before the write";
    d.m->s_axil_bready = d.m->s_axil_rready = 1;
    d.tick();
    d.m->s_axil_bready = d.m->s_axil_rready = 0;
    EXPECT_EQ(d.rd(KG_REG_NONCE2), 0x12121212u);
}

TEST_F(Csr, RandomTrafficAgainstAModel) {
    // Random RW traffic with random channel timing, strobes and unmapped
    // offsets, checked against a register model.
    std::mt19937 rng(2024);
    struct M {
        uint32_t off, mask;
    };
    const M regs[] = {{KG_REG_DESC_ADDR, 0xffffffff}, {KG_REG_IRQ_ENABLE, kIrqAll},
                      {KG_REG_NONCE0, 0xffffffff},    {KG_REG_NONCE1, 0xffffffff},
                      {KG_REG_NONCE2, 0xffffffff},    {KG_REG_KCV_EXP0, 0xffffffff},
                      {KG_REG_KCV_EXP1, 0xffffffff},  {KG_REG_KEY_CFG, KG_KEY_CFG_AES_LEN_MASK}};
    std::map<uint32_t, uint32_t> model;
    for (const M &r : regs) model[r.off] = 0;
    for (int i = 0; i < 1500; i++) {
        Timing t{(int)(rng() % 4), (int)(rng() % 4), (int)(rng() % 4), (int)(rng() % 4), (int)(rng() % 4)};
        const M &r = regs[rng() % 8];
        switch (rng() % 3) {
        case 0: {
            uint32_t v = rng(), strb = rng() & 0xf, bm = 0;
            for (int b = 0; b < 4; b++)
                if (strb & (1u << b)) bm |= 0xffu << (8 * b);
            ASSERT_EQ(d.write(r.off, v, strb, t), OKAY);
            model[r.off] = (model[r.off] & ~(bm & r.mask)) | (v & bm & r.mask);
            break;
        }
        case 1: {
            uint32_t resp = 0;
            ASSERT_EQ(d.read(r.off, &resp, t), model[r.off]) << "op " << i << std::hex << " reg " << r.off;
            ASSERT_EQ(resp, OKAY);
            break;
        }
        default: {
            uint32_t off = 0x400 + 4 * (rng() % 256);  // nothing is mapped there
            uint32_t resp = 0;
            ASSERT_EQ(d.write(off, rng(), 0xf, t), SLVERR);
            ASSERT_EQ(d.read(off, &resp, t), 0u);
            ASSERT_EQ(resp, SLVERR);
        }
        }
    }
}

//----------------------------------------------------------------------
// VERIFY (docs/spec.md 11.1): the command side, with kg_auth faked.
//----------------------------------------------------------------------
constexpr uint32_t kAuthMatch = 0, kAuthMismatch = 1, kAuthBus = 2, kAuthNone = 3;

class CsrVerify : public ::testing::Test {
  protected:
    Dut d;
    void SetUp() override {
        d.load_aes(kKey);
        d.wr(KG_REG_MODEL_ADDR, 0x10000);
        d.wr(KG_REG_MODEL_LEN, 0x400);
        d.clear_irqs();
    }
    // Write VERIFY; returns whether it was accepted (kg_auth started).
    bool verify() {
        const int before = d.n_auth_start;
        d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
        d.run(2);
        return d.n_auth_start == before + 1;
    }
    // kg_auth answers.
    void answer(uint32_t res) {
        d.m->auth_done = 1;
        d.m->auth_res = res;
        d.tick();
        d.m->auth_done = 0;
        d.m->auth_res = 0;
        d.run(1);
    }
    bool auth_ok() { return (d.key_status() & KG_KEY_STATUS_AUTH_OK_MASK) != 0; }
    bool busy() {
        return (d.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) &&
               (d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
    }
    bool idle() {
        return !(d.rd(KG_REG_STATUS) & KG_STATUS_BUSY_MASK) &&
               !(d.key_status() & KG_KEY_STATUS_CHECK_BUSY_MASK);
    }
    void match() {
        ASSERT_TRUE(verify());
        answer(kAuthMatch);
        ASSERT_TRUE(auth_ok());
        d.clear_irqs();
    }
};

TEST_F(CsrVerify, RefusedWithoutKeyOrWithABadRegion) {
    struct Case {
        uint32_t addr, len, err, irq;
        const char *what;
    } cases[] = {
        {0x10008, 0x400, KG_ERR_MISALIGNED, KG_IRQ_STATUS_DESC_ERR_MASK, "address"},
        {0x10000, 0x408, KG_ERR_MISALIGNED, KG_IRQ_STATUS_DESC_ERR_MASK, "length"},
        {0x10000, 0x70, KG_ERR_TOO_BIG, KG_IRQ_STATUS_DESC_ERR_MASK, "shorter than the header"},
        {0x10000, 0x0, KG_ERR_TOO_BIG, KG_IRQ_STATUS_DESC_ERR_MASK, "empty"},
        {0xffffff00, 0x110, KG_ERR_TOO_BIG, KG_IRQ_STATUS_DESC_ERR_MASK, "past 4 GiB"},
    };
    for (const Case &c : cases) {
        d.wr(KG_REG_MODEL_ADDR, c.addr);
        d.wr(KG_REG_MODEL_LEN, c.len);
        EXPECT_FALSE(verify()) << c.what;
        EXPECT_EQ(d.err(), c.err) << c.what;
        EXPECT_EQ(d.irq_status(), c.irq) << c.what;
        EXPECT_TRUE(idle()) << c.what;
        d.clear_irqs();
    }
    // Ending exactly at 4 GiB is fine.
    d.wr(KG_REG_MODEL_ADDR, 0xffffff00);
    d.wr(KG_REG_MODEL_LEN, 0x100);
    EXPECT_TRUE(verify());
    answer(kAuthMatch);
    EXPECT_TRUE(auth_ok());
    // No AES key: checked before the region.
    d.wr(KG_REG_MODEL_ADDR, 0x8);
    d.wr(KG_REG_KEY_CFG, 0);
    d.clear_irqs();
    EXPECT_FALSE(verify());
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_NO_KEY);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_WRONG_KEY_MASK);
    EXPECT_EQ(d.n_auth_start, 1);
}

TEST_F(CsrVerify, MatchSetsAuthOkAndBlocksTheEngineMeanwhile) {
    d.wr(KG_REG_DESC_ADDR, 0x100);
    ASSERT_TRUE(verify());
    EXPECT_TRUE(busy());
    EXPECT_FALSE(auth_ok());
    // START, DESC_ADDR, CHECK and another VERIFY are ignored meanwhile.
    d.wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    d.wr(KG_REG_DESC_ADDR, 0x200);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_VERIFY_MASK);
    d.run(5);
    EXPECT_EQ(d.n_start, 0);
    EXPECT_EQ(d.n_kcv_start, 0);
    EXPECT_EQ(d.n_auth_start, 1);
    EXPECT_EQ(d.rd(KG_REG_DESC_ADDR), 0x100u);
    EXPECT_EQ(d.irq_status(), 0u);
    answer(kAuthMatch);
    EXPECT_TRUE(idle());
    EXPECT_TRUE(auth_ok());
    EXPECT_EQ(d.m->auth_ok, 1);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_OK);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
    EXPECT_EQ(fails_of(d.key_status()), 0u);
}

TEST_F(CsrVerify, MismatchCountsLikeAKcvMismatchAndLocksOut) {
    d.wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (2u << KG_POLICY_THRESHOLD_SHIFT));
    match();
    ASSERT_TRUE(verify());
    answer(kAuthMismatch);
    EXPECT_FALSE(auth_ok());
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_AUTH_FAIL);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_WRONG_KEY_MASK);
    EXPECT_EQ(fails_of(d.key_status()), 1u);
    d.clear_irqs();
    // A KCV mismatch and a tag mismatch count together.
    d.set_kcv_exp(kKcv);
    d.check(kKcv ^ 1);
    EXPECT_EQ(d.irq_status(), (uint32_t)(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK));
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_LOCKED_OUT_MASK);
    d.clear_irqs();
    // Locked out: refused at once, AUTH_OK unchanged.
    EXPECT_FALSE(verify());
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_LOCKED_OUT);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_LOCKOUT_MASK);
    EXPECT_EQ(fails_of(d.key_status()), 2u);
}

TEST_F(CsrVerify, TagMismatchReachingTheThresholdLocksOut) {
    d.wr(KG_REG_POLICY, KG_POLICY_LOCKOUT | (1u << KG_POLICY_THRESHOLD_SHIFT));
    ASSERT_TRUE(verify());
    answer(kAuthMismatch);
    EXPECT_EQ(d.irq_status(), (uint32_t)(KG_IRQ_STATUS_WRONG_KEY_MASK | KG_IRQ_STATUS_LOCKOUT_MASK));
    EXPECT_EQ(d.m->locked_out, 1);
}

TEST_F(CsrVerify, BusErrorAndNoResult) {
    match();
    ASSERT_TRUE(verify());
    answer(kAuthBus);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_BUS);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_BUS_ERR_MASK);
    EXPECT_FALSE(auth_ok());
    d.clear_irqs();
    ASSERT_TRUE(verify());
    answer(kAuthNone);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK);
    EXPECT_FALSE(auth_ok());
    EXPECT_EQ(fails_of(d.key_status()), 0u);
}

TEST_F(CsrVerify, EveryInputWriteAbortsIt) {
    struct Case {
        uint32_t off, val;
        const char *what;
    } cases[] = {
        {KG_REG_NONCE1, 0x1, "NONCE1"},
        {KG_REG_MODEL_ADDR, 0x10000, "MODEL_ADDR (same value)"},
        {KG_REG_MODEL_LEN, 0x400, "MODEL_LEN (same value)"},
        {KG_REG_TAG_EXP(2), 0x5, "TAG_EXP2"},
        {KG_REG_AES_KEY(3), 0x7, "AES_KEY3"},
        {KG_REG_KEY_CFG, 0, "KEY_CFG"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK, "LOAD_AES"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK, "ZEROIZE"},
        {KG_REG_CTRL, KG_CTRL_SOFT_RESET_MASK, "SOFT_RESET"},
    };
    for (const Case &c : cases) {
        d.load_aes(kKey);
        d.wr(KG_REG_MODEL_ADDR, 0x10000);
        d.wr(KG_REG_MODEL_LEN, 0x400);
        d.clear_irqs();
        const int aborts = d.n_auth_abort;
        ASSERT_TRUE(verify()) << c.what;
        d.wr(c.off, c.val);
        d.run(2);
        EXPECT_EQ(d.n_auth_abort, aborts + 1) << c.what;
        EXPECT_TRUE(busy()) << c.what << ": busy until kg_auth answers";
        answer(kAuthMatch);
        EXPECT_TRUE(idle()) << c.what;
        EXPECT_EQ(d.err(), (uint32_t)KG_ERR_ABORTED) << c.what;
        EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_DONE_MASK) << c.what;
        EXPECT_FALSE(auth_ok()) << c.what;
    }
    // Other writes leave it running.
    d.load_aes(kKey);
    d.clear_irqs();
    ASSERT_TRUE(verify());
    d.wr(KG_REG_SIGN_KEY(0), 0x3);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK);
    d.wr(KG_REG_KCV_EXP0, 0x9);
    d.wr(KG_REG_POLICY, KG_POLICY_RUN);
    d.wr(KG_REG_IRQ_ENABLE, kIrqAll);
    answer(kAuthMatch);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_OK);
    EXPECT_TRUE(auth_ok());
}

TEST_F(CsrVerify, AuthOkClearedByItsInputsOnly) {
    struct Case {
        uint32_t off, val;
        bool clears;
        const char *what;
    } cases[] = {
        {KG_REG_SIGN_KEY(0), 0x3, false, "SIGN_KEY0"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_SIGN_MASK, false, "LOAD_SIGN"},
        {KG_REG_KCV_EXP1, 0x9, false, "KCV_EXP1"},
        {KG_REG_POLICY, KG_POLICY_RUN | KG_POLICY_LEGACY_MASK, false, "POLICY"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK, false, "CHECK"},
        {KG_REG_NONCE0, 0x1, true, "NONCE0"},
        {KG_REG_NONCE2, 0x1, true, "NONCE2"},
        {KG_REG_MODEL_ADDR, 0x10000, true, "MODEL_ADDR"},
        {KG_REG_MODEL_LEN, 0x400, true, "MODEL_LEN"},
        {KG_REG_TAG_EXP(0), 0x0, true, "TAG_EXP0"},
        {KG_REG_TAG_EXP(3), 0x0, true, "TAG_EXP3"},
        {KG_REG_AES_KEY(7), 0x0, true, "AES_KEY7"},
        {KG_REG_KEY_CFG, 0, true, "KEY_CFG"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK, true, "LOAD_AES"},
        {KG_REG_KEY_CTRL, KG_KEY_CTRL_ZEROIZE_MASK, true, "ZEROIZE"},
    };
    for (const Case &c : cases) {
        d.load_aes(kKey);
        d.wr(KG_REG_MODEL_ADDR, 0x10000);
        d.wr(KG_REG_MODEL_LEN, 0x400);
        match();
        d.wr(c.off, c.val);
        d.run(kKcvTimeout + 20);  // a CHECK ends
        EXPECT_EQ(auth_ok(), !c.clears) << c.what;
        EXPECT_EQ(d.m->auth_ok, !c.clears) << c.what;
        d.clear_irqs();
    }
}

TEST_F(CsrVerify, TagExpIsPublicAndKeysStayHidden) {
    const uint32_t tag[4] = {0x00112233, 0x44556677, 0x8899aabb, 0xccddeeff};
    for (uint32_t i = 0; i < 4; i++) d.wr(KG_REG_TAG_EXP(i), tag[i]);
    for (uint32_t i = 0; i < 4; i++) EXPECT_EQ(d.rd(KG_REG_TAG_EXP(i)), tag[i]);
    // Tag byte 0 is TAG_EXP0[31:24] and tag_exp[127:120].
    EXPECT_EQ(d.m->tag_exp[3], tag[0]);
    EXPECT_EQ(d.m->tag_exp[0], tag[3]);
    match();
    for (uint32_t i = 0; i < KG_REG_AES_KEY_COUNT; i++) EXPECT_EQ(d.rd(KG_REG_AES_KEY(i)), 0u);
}

TEST_F(CsrVerify, LegacyIsFrozenByLock) {
    EXPECT_EQ(d.m->legacy, 0);
    d.wr(KG_REG_POLICY, KG_POLICY_LEGACY_MASK | KG_POLICY_RUN);
    EXPECT_EQ(d.m->legacy, 1);
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOCK_MASK);
    d.clear_irqs();
    d.wr(KG_REG_POLICY, KG_POLICY_REFUSE);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_VAULT_MASK);
    EXPECT_EQ(d.m->legacy, 1);
    EXPECT_EQ(d.rd(KG_REG_POLICY) & KG_POLICY_LEGACY_MASK, KG_POLICY_LEGACY_MASK);
    // A locked vault still verifies.
    d.clear_irqs();
    match();
}

TEST_F(CsrVerify, CheckAndVerifyInOneWriteTakesTheCheck) {
    d.set_kcv_exp(kKcv);
    d.kcv_value = kKcv;
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK | KG_KEY_CTRL_VERIFY_MASK);
    d.run(50);
    EXPECT_EQ(d.n_auth_start, 0);
    EXPECT_EQ(d.n_kcv_start, 1);
    EXPECT_TRUE(d.key_status() & KG_KEY_STATUS_KCV_OK_MASK);
}

TEST_F(CsrVerify, LoadAndVerifyInOneWriteSeesTheNewKey) {
    d.wr(KG_REG_KEY_CFG, 0);  // AES_VALID 0
    d.wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_VERIFY_MASK);
    d.run(2);
    EXPECT_EQ(d.n_auth_start, 1);
    answer(kAuthMatch);
    EXPECT_TRUE(auth_ok());
}

TEST_F(CsrVerify, NotAuthLayerRaisesWrongKey) {
    d.done(KG_ERR_NOT_AUTH);
    EXPECT_EQ(d.irq_status(), (uint32_t)KG_IRQ_STATUS_WRONG_KEY_MASK);
    EXPECT_EQ(d.err(), (uint32_t)KG_ERR_NOT_AUTH);
}

}  // namespace
