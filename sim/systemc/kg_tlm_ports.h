// kg_tlm_ports.h: the TLM-2.0 interface kg_tlm (RTL) and kg_tlm_lt
// (functional model) share, so a virtual platform binds either the same
// way: a CSR target socket, a DMA initiator socket, the interrupt signal.
// M is the module that derives from it (after sc_module, so the sockets
// are its children).
#ifndef KG_TLM_PORTS_H
#define KG_TLM_PORTS_H

#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>

template <class M>
struct kg_tlm_ports {
  tlm_utils::simple_target_socket<M> csr_socket;
  tlm_utils::simple_initiator_socket<M> dma_socket;
  sc_core::sc_signal<bool> irq;

  kg_tlm_ports() : csr_socket("csr_socket"), dma_socket("dma_socket"), irq("irq") {}
};

#endif
