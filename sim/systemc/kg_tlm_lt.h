// kg_tlm_lt.h: a loosely-timed TLM-2.0 kgmac built on the functional C model
// (kgmodel, docs/model.md) instead of the RTL. Same sockets as kg_tlm:
//
//   csr_socket  tlm_utils::simple_target_socket: 4-byte reads and writes at
//               offsets 0..0xFFF, executed by kgmodel at once (it never
//               waits, so any process or sc_main may call it); the delay
//               grows by the model's reg_cycles clock periods. A caller
//               process should then consume the delay (wait) before it
//               samples irq, which is updated in the next delta.
//   dma_socket  tlm_utils::simple_initiator_socket: the model works on a
//               copy of the device-memory window [base, base + size). On
//               CTRL.START the window is read through this socket (4 KiB
//               b_transport reads; a TLM error becomes a bus fault of that
//               range, so a layer touching it ends with ERR_BUS); when the
//               layer ends, the bytes the model changed are written back
//               (one b_transport per changed run). Annotated delays are not
//               added: the layer's time is the model's cycle estimate.
//   irq         sc_signal<bool>, the model's level interrupt, raised at
//               START time + the estimate (docs/model.md §3).
//
// Model time follows SystemC time: before each access the model is stepped
// to (sc_time_stamp() + delay) / period cycles. Its processes are one
// SC_METHOD (no thread).
#ifndef KG_TLM_LT_H
#define KG_TLM_LT_H

#include "kg_tlm_ports.h"

#include <cstdint>
#include <vector>

struct kgmodel;

// csr_socket, dma_socket and irq come from kg_tlm_ports.
class kg_tlm_lt : public sc_core::sc_module, public kg_tlm_ports<kg_tlm_lt> {
 public:
  // rows x cols array; the device-memory window the model mirrors.
  kg_tlm_lt(sc_core::sc_module_name name, sc_core::sc_time clock_period, unsigned rows, unsigned cols,
            uint64_t mem_base, uint64_t mem_size);
  ~kg_tlm_lt() override;
  SC_HAS_PROCESS(kg_tlm_lt);

  const sc_core::sc_time& period() const { return period_; }

 private:
  void csr_b_transport(tlm::tlm_generic_payload& p, sc_core::sc_time& delay);
  void event_method();
  void sync(const sc_core::sc_time& t);
  void arm();
  void fetch_window();
  void write_back();
  bool dma(tlm::tlm_command cmd, uint64_t addr, unsigned char* data, unsigned n);

  sc_core::sc_time period_;
  uint64_t base_, size_;
  uint32_t reg_cycles_ = 0;
  kgmodel* m_ = nullptr;
  std::vector<unsigned char> snap_;  // window as fetched at START
  bool layer_ = false;               // a layer started and not yet written back
  sc_core::sc_event ev_;
};

#endif
