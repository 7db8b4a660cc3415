// kg_tlm_example: a virtual platform of a "CPU", a TLM memory and kg_tlm.
// The CPU only issues TLM transactions: it writes a locked and
// CTR-encrypted FC layer into memory, provisions the keys through the CSR
// socket, runs the KCV check and the layer, waits on the interrupt signal,
// reads the output back and compares it with the C reference.
// By default the CPU is software running in sc_main between sc_start calls,
// not an SC_THREAD: it honours every annotated delay and waits for the
// interrupt by running the simulation, so no process of the platform has a
// coroutine stack (docs/systemc.md, Valgrind). With --thread the same CPU
// code runs in an SC_THREAD (wait() on delays and on the interrupt), the
// other way kg_tlm's CSR socket can be driven.
// With --bus-fault the layer's input rows run past the end of the memory:
// the TLM memory answers with an address error, and the layer must end
// with IRQ BUS_ERR.
// Built with KG_TLM_LT (target kg_tlm_lt_example), the accelerator is
// kg_tlm_lt, the loosely-timed model on kgmodel, with the same CPU code.
// Exit status 0 when the output is bit-exact.
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "kg_aes.h"
#ifdef KG_TLM_LT
#include "kg_tlm_lt.h"
#else
#include "kg_tlm.h"
#endif
#include "kg_tlm_mem.h"
#include "kgmac/kg_regs.h"
#include "kgmac/layer_pack.h"

using namespace sc_core;

static const uint32_t kMemBytes = 1u << 20;  // the platform's memory

struct cpu : sc_module {
  tlm_utils::simple_initiator_socket<cpu> csr;
  tlm_utils::simple_initiator_socket<cpu> mem;
  sc_in<bool> irq;
  unsigned rows, cols;
  sc_time period;  // the step in which the CPU polls the interrupt from sc_main
  int result = 2;  // of the SC_THREAD run
  bool bus_fault = false;

  SC_HAS_PROCESS(cpu);
  cpu(sc_module_name n, unsigned r, unsigned c, sc_time p, bool threaded)
      : sc_module(n), csr("csr"), mem("mem"), rows(r), cols(c), period(p) {
    if (threaded) SC_THREAD(thread_main);
  }
  void thread_main() {
    result = run();
    sc_stop();
  }
  static bool in_thread() { return sc_get_curr_process_kind() == SC_THREAD_PROC_; }

  bool xfer(tlm_utils::simple_initiator_socket<cpu>& s, tlm::tlm_command cmd, uint64_t a,
            void* p, unsigned n) {
    tlm::tlm_generic_payload gp;
    sc_time d = SC_ZERO_TIME;
    gp.set_command(cmd);
    gp.set_address(a);
    gp.set_data_ptr(static_cast<unsigned char*>(p));
    gp.set_data_length(n);
    gp.set_streaming_width(n);
    gp.set_response_status(tlm::TLM_INCOMPLETE_RESPONSE);
    s->b_transport(gp, d);
    if (in_thread())
      wait(d);
    else if (d > SC_ZERO_TIME)
      sc_start(d);
    return gp.is_response_ok();
  }
  void wr(uint32_t off, uint32_t v) {
    unsigned char b[4] = {uint8_t(v), uint8_t(v >> 8), uint8_t(v >> 16), uint8_t(v >> 24)};
    if (!xfer(csr, tlm::TLM_WRITE_COMMAND, off, b, 4)) std::fprintf(stderr, "CSR write 0x%x failed\n", off);
  }
  uint32_t rd(uint32_t off) {
    unsigned char b[4] = {0, 0, 0, 0};
    if (!xfer(csr, tlm::TLM_READ_COMMAND, off, b, 4)) std::fprintf(stderr, "CSR read 0x%x failed\n", off);
    return uint32_t(b[0]) | uint32_t(b[1]) << 8 | uint32_t(b[2]) << 16 | uint32_t(b[3]) << 24;
  }
  void put(uint64_t a, const void* p, size_t n) {
    std::vector<unsigned char> tmp(static_cast<const unsigned char*>(p), static_cast<const unsigned char*>(p) + n);
    xfer(mem, tlm::TLM_WRITE_COMMAND, a, tmp.data(), unsigned(n));
  }
  uint32_t wait_irq(sc_time limit) {
    const sc_time end = sc_time_stamp() + limit;
    if (in_thread() && !irq.read()) wait(limit, irq.posedge_event());
    while (!in_thread() && !irq.read() && sc_time_stamp() < end) sc_start(period);
    const uint32_t st = rd(KG_REG_IRQ_STATUS);
    wr(KG_REG_IRQ_STATUS, st);
    return st;
  }
  static uint32_t be32(const uint8_t* p) {
    return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
  }

  // Returns the exit status: 0 when the output matches the reference.
  int run() {
    const kg_geom g{rows, cols};
    std::mt19937_64 rng(7);
    if (rd(KG_REG_ID) != KG_RST_ID || rd(KG_REG_HW_ARRAY) != (rows | cols << 16)) {
      std::fprintf(stderr, "kg_tlm_example: unexpected ID/geometry\n");
      return 1;
    }
    // Keys and the layer.
    uint8_t aes[16], nonce[12];
    for (auto& b : aes) b = uint8_t(rng());
    for (auto& b : nonce) b = uint8_t(rng());
    std::vector<uint8_t> sign(kg_key_bytes(g));
    for (auto& b : sign) b = uint8_t(rng());
    const uint32_t M = 6, K = 3 * rows + 1, N = 2 * cols + 1;
    std::vector<int8_t> A(M * K), W(K * N), WL(K * N), out(M * N), want(M * N);
    for (auto& x : A) x = int8_t(rng());
    for (auto& x : W) x = int8_t(int(rng() % 255) - 127);
    std::vector<int32_t> bias(N), mult(N);
    std::vector<uint8_t> shift(N);
    for (uint32_t n = 0; n < N; n++) {
      bias[n] = int32_t(rng() % 2001) - 1000;
      mult[n] = int32_t(rng() & 0x7fffffff);
      shift[n] = 38;
    }
    kg_requant q{bias.data(), mult.data(), shift.data(), 1};
    kg_ref_fc(M, K, N, A.data(), W.data(), nullptr, g, &q, want.data());
    kg_ref_lock_sign(K, N, W.data(), sign.data(), g, WL.data());

    kg_layer_desc d{};
    d.op = KG_OP_FC;
    d.relu = 1;
    d.crypt = KG_CRYPT_CTR;
    d.sign = 1;
    d.m = M;
    d.k = K;
    d.n = N;
    d.in_stride = (K + 15) & ~15u;
    d.out_stride = (N + 15) & ~15u;
    d.in_addr = bus_fault ? kMemBytes - 16 : 0x1000;
    d.w_addr = 0x4000;
    d.w_pos = 0x200;
    d.p_addr = 0x8000;
    d.out_addr = 0x9000;
    const uint32_t desc_addr = 0x100;
    std::vector<uint8_t> img(kg_pack_weight_bytes(K, N, g));
    kg_pack_weights(K, N, WL.data(), g, img.data(), img.size());
    kg_aes_key ak;
    kg_aes_key_init(&ak, aes, 16);
    kg_crypt_encrypt(KG_CRYPT_CTR, &ak, nonce, d.w_pos, img.data(), img.size());
    std::vector<uint8_t> par(N * 16);
    kg_pack_params(N, bias.data(), mult.data(), shift.data(), par.data(), par.size());
    uint32_t words[16];
    kg_pack_desc(&d, words);
    std::vector<uint8_t> in(M * d.in_stride, 0);
    for (uint32_t m = 0; m < M; m++)
      for (uint32_t k = 0; k < K; k++) in[m * d.in_stride + k] = uint8_t(A[m * K + k]);
    put(desc_addr, words, 64);
    if (!bus_fault) put(d.in_addr, in.data(), in.size());
    put(d.w_addr, img.data(), img.size());
    put(d.p_addr, par.data(), par.size());

    // Provision: keys, nonce, expected KCV, check.
    for (unsigned i = 0; i < 4; i++) wr(KG_REG_AES_KEY(i), be32(aes + 4 * i));
    for (unsigned i = 0; i < (sign.size() + 3) / 4; i++) {
      uint32_t v = 0;
      for (unsigned j = 0; j < 4 && 4 * i + j < sign.size(); j++) v |= uint32_t(sign[4 * i + j]) << (8 * j);
      wr(KG_REG_SIGN_KEY(i), v);
    }
    wr(KG_REG_KEY_CFG, 0);
    // The layer is locked with the device keys directly (a version-1 layer).
    wr(KG_REG_POLICY, KG_RST_POLICY | KG_POLICY_LEGACY_MASK);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_LOAD_AES_MASK | KG_KEY_CTRL_LOAD_SIGN_MASK);
    wr(KG_REG_NONCE0, be32(nonce));
    wr(KG_REG_NONCE1, be32(nonce + 4));
    wr(KG_REG_NONCE2, be32(nonce + 8));
    uint8_t kcv[8];
    kg_kcv(&ak, nonce, kcv);
    wr(KG_REG_KCV_EXP0, be32(kcv));
    wr(KG_REG_KCV_EXP1, be32(kcv + 4));
    wr(KG_REG_IRQ_ENABLE, 0x3f);
    wr(KG_REG_KEY_CTRL, KG_KEY_CTRL_CHECK_MASK);
    const uint32_t kst = wait_irq(sc_time(1, SC_MS));
    // Run the layer.
    wr(KG_REG_DESC_ADDR, desc_addr);
    const sc_time t0 = sc_time_stamp();
    wr(KG_REG_CTRL, KG_CTRL_START_MASK);
    const uint32_t lst = wait_irq(sc_time(10, SC_MS));
    const sc_time t1 = sc_time_stamp();
    std::vector<uint8_t> raw(M * d.out_stride);
    xfer(mem, tlm::TLM_READ_COMMAND, d.out_addr, raw.data(), unsigned(raw.size()));
    for (uint32_t m = 0; m < M; m++)
      for (uint32_t n = 0; n < N; n++) out[m * N + n] = int8_t(raw[m * d.out_stride + n]);
    const bool ok = kst == KG_IRQ_STATUS_DONE_MASK &&
                    (bus_fault ? lst == KG_IRQ_STATUS_BUS_ERR_MASK : lst == KG_IRQ_STATUS_DONE_MASK && out == want);
    const uint64_t cyc = uint64_t((t1 - t0) / period);
    if (bus_fault)
      std::printf("kg_tlm_example: %ux%u, FC %ux%ux%u with input rows past the memory end: key check irq 0x%x, "
                  "layer irq 0x%x (%s), %llu cycles\n",
                  rows, cols, M, K, N, kst, lst, ok ? "bus error as expected" : "NOT THE EXPECTED BUS ERROR",
                  (unsigned long long)cyc);
    else
      std::printf("kg_tlm_example: %ux%u, FC %ux%ux%u, CTR + sign key: key check irq 0x%x, layer irq 0x%x, "
                  "%llu cycles, output %s the C reference\n",
                  rows, cols, M, K, N, kst, lst, (unsigned long long)cyc, ok ? "matches" : "DOES NOT MATCH");
    return ok ? 0 : 1;
  }
};

int sc_main(int argc, char* argv[]) {
  bool threaded = false, bus_fault = false;
  for (int i = 1; i < argc; i++) {
    threaded = threaded || std::string(argv[i]) == "--thread";
    bus_fault = bus_fault || std::string(argv[i]) == "--bus-fault";
  }
#ifdef KG_TLM_LT
  // The model's window is twice the memory: the upper half answers with
  // TLM errors (a bus fault for the layers that touch it).
  kg_tlm_lt acc("kg_tlm_lt", sc_time(10, SC_NS), KG_TLM_ROWS, KG_TLM_COLS, 0, 2 * kMemBytes);
#else
  kg_tlm acc("kg_tlm", sc_time(10, SC_NS));
#endif
  kg_tlm_mem memory("mem", kMemBytes, sc_time(500, SC_NS), sc_time(10, SC_NS));
  cpu host("cpu", KG_TLM_ROWS, KG_TLM_COLS, acc.period(), threaded);
  host.bus_fault = bus_fault;
  sc_signal<bool>& irq = acc.irq;
  host.csr.bind(acc.csr_socket);
  host.mem.bind(memory.cpu_socket);
  acc.dma_socket.bind(memory.dma_socket);
  host.irq(irq);
  if (threaded) {
    sc_start(sc_time(50, SC_MS));
    if (host.result == 2) std::fprintf(stderr, "kg_tlm_example: did not finish\n");
    return host.result;
  }
  sc_start(SC_ZERO_TIME);  // elaborate and initialise
  const int rc = host.run();
  sc_stop();
  return rc;
}
