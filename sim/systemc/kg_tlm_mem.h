// kg_tlm_mem.h: a small TLM-2.0 memory target with two sockets (one for the
// accelerator's DMA, one for a CPU or testbench) and a fixed access latency
// plus a per-byte transfer time, annotated on b_transport.
#ifndef KG_TLM_MEM_H
#define KG_TLM_MEM_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_target_socket.h>

#include <cstring>
#include <vector>

class kg_tlm_mem : public sc_core::sc_module {
 public:
  tlm_utils::simple_target_socket<kg_tlm_mem> dma_socket;
  tlm_utils::simple_target_socket<kg_tlm_mem> cpu_socket;

  kg_tlm_mem(sc_core::sc_module_name name, size_t bytes, sc_core::sc_time latency,
             sc_core::sc_time per_16_bytes)
      : sc_module(name), dma_socket("dma_socket"), cpu_socket("cpu_socket"), mem_(bytes, 0),
        latency_(latency), per16_(per_16_bytes) {
    dma_socket.register_b_transport(this, &kg_tlm_mem::b_transport);
    cpu_socket.register_b_transport(this, &kg_tlm_mem::b_transport);
  }

  void b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay) {
    const uint64_t a = p.get_address();
    const size_t n = p.get_data_length();
    if (a > mem_.size() || n > mem_.size() - a) {
      p.set_response_status(tlm::TLM_ADDRESS_ERROR_RESPONSE);
      return;
    }
    unsigned char* d = p.get_data_ptr();
    const unsigned char* be = p.get_byte_enable_ptr();
    const size_t bel = p.get_byte_enable_length();
    if (p.is_read()) {
      std::memcpy(d, &mem_[a], n);
    } else if (p.is_write()) {
      for (size_t i = 0; i < n; i++)
        if (!be || be[i % bel] == TLM_BYTE_ENABLED) mem_[a + i] = d[i];
    } else {
      p.set_response_status(tlm::TLM_COMMAND_ERROR_RESPONSE);
      return;
    }
    delay += latency_ + per16_ * double((n + 15) / 16);
    p.set_response_status(tlm::TLM_OK_RESPONSE);
  }

 private:
  std::vector<unsigned char> mem_;
  sc_core::sc_time latency_, per16_;
};

#endif
