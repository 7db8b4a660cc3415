// kg_csr: AXI4-Lite register file, key vault, performance counters.
+incdir+common/regs/include
rtl/top/kg_axil_slave.v
rtl/top/kg_perf.v
rtl/top/kg_keyvault.v
rtl/top/kg_csr.v
