// kg_top: the whole accelerator. Every RTL module of kgmac is reachable
// from here or from another manifest (scripts/lint.sh checks it).
+incdir+common/regs/include
-f rtl/aes/kg_weight_decrypt.f
-f rtl/array/kg_mac_core.f
-f rtl/top/kg_csr.f
rtl/top/kg_burst_split.v
rtl/top/kg_fifo.v
rtl/top/kg_gearbox.v
rtl/top/kg_divu.v
rtl/top/kg_requant.v
rtl/top/kg_actbuf.v
rtl/top/kg_dma_rd.v
rtl/top/kg_dma_wr.v
rtl/top/kg_act_loader.v
rtl/top/kg_params.v
rtl/top/kg_wload.v
rtl/top/kg_feeder.v
rtl/top/kg_outpath.v
rtl/top/kg_layer_ctrl.v
rtl/top/kg_dec_keysel.v
rtl/top/kg_auth.v
rtl/top/kg_top.v
