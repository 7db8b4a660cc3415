//======================================================================
// kg_top.v
// --------
// The kgmac accelerator: key-gated systolic array, AES weight decryption,
// layer engine with im2col DMA, requantization, key vault, CSRs.
//
//   AXI4-Lite slave  -> kg_csr (registers, IRQ, perf; kg_keyvault: key vault, KCV, policy)
//   kg_auth          VERIFY: model key derivation and the image's CMAC tag
//   kg_dec_keysel    which key (Kd, Ke, Km) the decrypt unit holds
//   kg_layer_ctrl    -> fetches/validates a layer descriptor, sequences:
//     kg_params      per-channel bias/mult/shift -> param RAM
//     kg_act_loader  im2col runs -> DMA -> activation buffer (2 halves)
//     kg_feeder      activation buffer -> array, per pass / N tile / K tile
//     kg_wload       DMA -> kg_weight_decrypt -> gearbox -> array weights
//     kg_mac_core    systolic array + accumulator buffer
//     kg_outpath     requantize -> kg_dma_wr
//   kg_dma_rd        one AXI4 read master shared by the five readers
//
// Constraints (checked at elaboration or documented): ROWS and COLS are
// powers of two, COLS <= 16 (a tile row fits one 16-byte beat).
//======================================================================
`default_nettype none
`include "kg_regs.vh"

module kg_top #(
  parameter ROWS             = 8,
  parameter COLS             = 8,
  parameter ACC_DEPTH        = 256,
  parameter HALF_WORDS       = 2048,
  parameter PARAM_DEPTH      = 1024,
  parameter CIPHER_PIPELINED = 1,
  parameter SBOX_EBR         = 0,
  parameter KEYGATE          = 1,
  parameter CTR_EN           = 1,
  parameter MAX_RD_OUT       = 64,
  parameter MAX_WR_OUT       = 64
) (
  input  wire            clk,
  input  wire            reset_n,

  input  wire [11 : 0]   s_axil_awaddr,
  input  wire            s_axil_awvalid,
  output wire            s_axil_awready,
  input  wire [31 : 0]   s_axil_wdata,
  input  wire [3 : 0]    s_axil_wstrb,
  input  wire            s_axil_wvalid,
  output wire            s_axil_wready,
  output wire [1 : 0]    s_axil_bresp,
  output wire            s_axil_bvalid,
  input  wire            s_axil_bready,
  input  wire [11 : 0]   s_axil_araddr,
  input  wire            s_axil_arvalid,
  output wire            s_axil_arready,
  output wire [31 : 0]   s_axil_rdata,
  output wire [1 : 0]    s_axil_rresp,
  output wire            s_axil_rvalid,
  input  wire            s_axil_rready,

  output wire [3 : 0]    m_axi_arid,
  output wire [31 : 0]   m_axi_araddr,
  output wire [7 : 0]    m_axi_arlen,
  output wire [2 : 0]    m_axi_arsize,
  output wire [1 : 0]    m_axi_arburst,
  output wire            m_axi_arvalid,
  input  wire            m_axi_arready,
  input  wire [3 : 0]    m_axi_rid,
  input  wire [127 : 0]  m_axi_rdata,
  input  wire [1 : 0]    m_axi_rresp,
  input  wire            m_axi_rlast,
  input  wire            m_axi_rvalid,
  output wire            m_axi_rready,
  output wire [3 : 0]    m_axi_awid,
  output wire [31 : 0]   m_axi_awaddr,
  output wire [7 : 0]    m_axi_awlen,
  output wire [2 : 0]    m_axi_awsize,
  output wire [1 : 0]    m_axi_awburst,
  output wire            m_axi_awvalid,
  input  wire            m_axi_awready,
  output wire [127 : 0]  m_axi_wdata,
  output wire [15 : 0]   m_axi_wstrb,
  output wire            m_axi_wlast,
  output wire            m_axi_wvalid,
  input  wire            m_axi_wready,
  input  wire [3 : 0]    m_axi_bid,
  input  wire [1 : 0]    m_axi_bresp,
  input  wire            m_axi_bvalid,
  output wire            m_axi_bready,

  output wire            irq
);

  localparam AW_ACT = $clog2(2 * HALF_WORDS);
  localparam PW     = (((PARAM_DEPTH + COLS - 1) / COLS) > 1) ?
                      $clog2((PARAM_DEPTH + COLS - 1) / COLS) : 1;

  //----------------------------------------------------------------
  // CSR block.
  //----------------------------------------------------------------
  wire          start, soft_reset, perf_clear;
  wire [31 : 0] desc_addr;
  wire          eng_busy, eng_done;
  wire [7 : 0]  eng_err;
  wire [ROWS*COLS-1 : 0] sign_key;
  wire          sign_valid, aes_valid, key_load, zeroize;
  wire [255 : 0] aes_key;
  wire [1 : 0]  aes_len;
  wire [95 : 0] nonce;
  wire          kcv_start, kcv_valid, kcv_ok, locked_out, key_ready;
  wire [63 : 0] kcv;
  wire [1 : 0]  policy_mode;
  wire          ev_compute, dma_stall, dec_stall;
  wire [4 : 0]  rd_bytes, wr_bytes;
  wire          ar_stall, wr_stall;
  wire [31 : 0] model_addr, model_len;
  wire [127 : 0] tag_exp;
  wire          auth_start, auth_abort, auth_done, auth_ok, legacy, check_busy;
  wire [1 : 0]  auth_res;
  wire          kcv_ready, key_settled;
  wire [1 : 0]  key_src, layer_src;

  /* verilator lint_off PINCONNECTEMPTY */
  kg_csr #(
    .ROWS(ROWS), .COLS(COLS), .ACC_DEPTH(ACC_DEPTH), .ACT_WORDS(HALF_WORDS),
    .AES_LANES(16), .CIPHER_PIPE(CIPHER_PIPELINED), .KEYGATE(KEYGATE),
    .PARAM_DEPTH(PARAM_DEPTH)
  ) csr (
    .clk(clk), .reset_n(reset_n),
    .s_axil_awvalid(s_axil_awvalid), .s_axil_awready(s_axil_awready),
    .s_axil_awaddr(s_axil_awaddr), .s_axil_awprot(3'b000),
    .s_axil_wvalid(s_axil_wvalid), .s_axil_wready(s_axil_wready),
    .s_axil_wdata(s_axil_wdata), .s_axil_wstrb(s_axil_wstrb),
    .s_axil_bvalid(s_axil_bvalid), .s_axil_bready(s_axil_bready), .s_axil_bresp(s_axil_bresp),
    .s_axil_arvalid(s_axil_arvalid), .s_axil_arready(s_axil_arready),
    .s_axil_araddr(s_axil_araddr), .s_axil_arprot(3'b000),
    .s_axil_rvalid(s_axil_rvalid), .s_axil_rready(s_axil_rready),
    .s_axil_rdata(s_axil_rdata), .s_axil_rresp(s_axil_rresp),
    .irq(irq),
    .start(start), .soft_reset(soft_reset), .perf_clear(perf_clear),
    .desc_addr(desc_addr), .busy(eng_busy), .done(eng_done), .done_err(eng_err),
    .sign_key(sign_key), .sign_valid(sign_valid), .aes_key(aes_key), .aes_len(aes_len),
    .aes_valid(aes_valid), .nonce(nonce), .key_load(key_load), .zeroize(zeroize),
    .kcv_ready(kcv_ready), .kcv_start(kcv_start), .kcv_valid(kcv_valid), .kcv(kcv),
    .kcv_ok(kcv_ok), .policy_mode(policy_mode), .locked_out(locked_out),
    .model_addr(model_addr), .model_len(model_len), .tag_exp(tag_exp),
    .auth_start(auth_start), .auth_abort(auth_abort), .auth_done(auth_done),
    .auth_res(auth_res), .auth_ok(auth_ok), .legacy(legacy), .check_busy(check_busy),
    .ev_compute(ev_compute), .rd_bytes(rd_bytes), .wr_bytes(wr_bytes),
    .dma_stall(dma_stall), .dec_stall(dec_stall)
  );
  /* verilator lint_on PINCONNECTEMPTY */
  wire unused_perf_clear = perf_clear;

  //----------------------------------------------------------------
  // Layer controller.
  //----------------------------------------------------------------
  wire          dp_reset, flush, go, engines_busy;
  wire          rd_idle, wr_idle, rd_bus_err, wr_bus_err;
  wire          p_start, p_done, p_bad, p_busy;
  wire          l_conv, l_relu, l_sign, l_bound, l_admitted;
  wire          m_sign;
  wire [7 : 0]  m_crypt;
  wire [31 : 0] m_poff, m_psize, m_woff, m_wsize;
  wire [1 : 0]  l_crypt;
  wire [31 : 0] l_m, l_k, l_n, l_passes, l_tiles;
  wire [15 : 0] l_kt, l_nt, l_mp, l_h, l_w, l_ic, l_ow;
  wire [15 : 0] l_in_group, l_in_valid;
  wire [31 : 0] l_in_addr, l_in_stride, l_out_addr, l_out_stride, l_w_addr, l_w_pos, l_p_addr;
  wire [3 : 0]  l_kh, l_kw;
  wire [1 : 0]  l_stride;
  wire [2 : 0]  l_pad;

  wire dp_rst_n = reset_n & ~dp_reset;

  // Read requesters: 0 descriptor, 1 parameters, 2 activations, 3 weights,
  // 4 the model image (VERIFY).
  wire [4 : 0]   rq_valid, rq_ready, rs_valid, rs_ready;
  wire [159 : 0] rq_addr;
  wire [44 : 0]  rq_beats;
  wire [127 : 0] rs_data;
  wire           rs_last, rs_err;

  kg_layer_ctrl #(
    .ROWS(ROWS), .COLS(COLS), .ACC_DEPTH(ACC_DEPTH), .HALF_WORDS(HALF_WORDS),
    .PARAM_DEPTH(PARAM_DEPTH)
  ) ctrl (
    .clk(clk), .reset_n(reset_n),
    .start(start), .soft_reset(soft_reset), .desc_addr(desc_addr),
    .done(eng_done), .done_err(eng_err), .busy(eng_busy),
    .aes_valid(aes_valid), .sign_valid(sign_valid), .kcv_ok(kcv_ok),
    .policy_mode(policy_mode), .locked_out(locked_out),
    .auth_ok(auth_ok), .legacy(legacy), .model_addr(model_addr), .m_sign(m_sign),
    .m_crypt(m_crypt), .m_poff(m_poff), .m_psize(m_psize), .m_woff(m_woff),
    .m_wsize(m_wsize), .bound(l_bound), .admitted(l_admitted),
    .rd_req_valid(rq_valid[0]), .rd_req_ready(rq_ready[0]),
    .rd_req_addr(rq_addr[0 +: 32]), .rd_req_beats(rq_beats[0 +: 9]),
    .rsp_valid(rs_valid[0]), .rsp_ready(rs_ready[0]), .rsp_data(rs_data),
    .bus_err(rd_bus_err | wr_bus_err), .rd_idle(rd_idle), .wr_idle(wr_idle),
    .flush(flush), .dp_reset(dp_reset),
    .p_start(p_start), .p_bad(p_bad),
    .go(go), .engines_busy(engines_busy),
    .conv(l_conv), .relu(l_relu), .crypt(l_crypt), .sign(l_sign),
    .m_total(l_m), .k_total(l_k), .n_total(l_n), .kt(l_kt), .nt(l_nt), .mp(l_mp),
    .passes(l_passes), .tiles(l_tiles),
    .in_addr(l_in_addr), .in_stride(l_in_stride), .out_addr(l_out_addr),
    .out_stride(l_out_stride), .w_addr(l_w_addr), .w_pos(l_w_pos), .p_addr(l_p_addr),
    .h(l_h), .w(l_w), .ic(l_ic), .kh(l_kh), .kw(l_kw), .stride(l_stride), .pad(l_pad),
    .ow(l_ow), .in_group(l_in_group), .in_valid(l_in_valid)
  );

  //----------------------------------------------------------------
  // DMA.
  //----------------------------------------------------------------
  kg_dma_rd #(.NREQ(5), .MAX_OUT(MAX_RD_OUT)) dma_rd (
    .clk(clk), .reset_n(reset_n), .flush(flush),
    .req_valid(rq_valid), .req_ready(rq_ready), .req_addr(rq_addr), .req_beats(rq_beats),
    .rsp_valid(rs_valid), .rsp_ready(rs_ready), .rsp_data(rs_data), .rsp_last(rs_last),
    .rsp_err(rs_err),
    .m_axi_arid(m_axi_arid), .m_axi_araddr(m_axi_araddr), .m_axi_arlen(m_axi_arlen),
    .m_axi_arsize(m_axi_arsize), .m_axi_arburst(m_axi_arburst),
    .m_axi_arvalid(m_axi_arvalid), .m_axi_arready(m_axi_arready),
    .m_axi_rid(m_axi_rid), .m_axi_rdata(m_axi_rdata), .m_axi_rresp(m_axi_rresp),
    .m_axi_rlast(m_axi_rlast), .m_axi_rvalid(m_axi_rvalid), .m_axi_rready(m_axi_rready),
    .idle(rd_idle), .bus_err(rd_bus_err), .ar_stall(ar_stall), .rd_bytes(rd_bytes)
  );
  wire unused_rs = rs_last;


  wire           wq_valid, wq_ready;
  wire [31 : 0]  wq_addr;
  wire [127 : 0] wq_data;
  wire [15 : 0]  wq_strb;

  kg_dma_wr #(.MAX_OUT(MAX_WR_OUT)) dma_wr (
    .clk(clk), .reset_n(reset_n), .flush(flush),
    .req_valid(wq_valid), .req_ready(wq_ready), .req_addr(wq_addr), .req_data(wq_data),
    .req_strb(wq_strb),
    .m_axi_awid(m_axi_awid), .m_axi_awaddr(m_axi_awaddr), .m_axi_awlen(m_axi_awlen),
    .m_axi_awsize(m_axi_awsize), .m_axi_awburst(m_axi_awburst),
    .m_axi_awvalid(m_axi_awvalid), .m_axi_awready(m_axi_awready),
    .m_axi_wdata(m_axi_wdata), .m_axi_wstrb(m_axi_wstrb), .m_axi_wlast(m_axi_wlast),
    .m_axi_wvalid(m_axi_wvalid), .m_axi_wready(m_axi_wready),
    .m_axi_bid(m_axi_bid), .m_axi_bresp(m_axi_bresp), .m_axi_bvalid(m_axi_bvalid),
    .m_axi_bready(m_axi_bready),
    .idle(wr_idle), .bus_err(wr_bus_err), .stall(wr_stall), .wr_bytes(wr_bytes)
  );
  assign dma_stall = ar_stall | wr_stall;

  //----------------------------------------------------------------
  // Parameters.
  //----------------------------------------------------------------
  wire              pr_en;
  wire [PW-1 : 0]   pr_word;
  wire [COLS*32-1:0] pr_bias, pr_mult;
  wire [COLS*6-1:0] pr_shift;

  kg_params #(.COLS(COLS), .PARAM_DEPTH(PARAM_DEPTH)) params (
    .clk(clk), .reset_n(dp_rst_n),
    .start(p_start), .addr(l_p_addr), .count(l_n), .done(p_done), .bad(p_bad), .busy(p_busy),
    .rd_req_valid(rq_valid[1]), .rd_req_ready(rq_ready[1]),
    .rd_req_addr(rq_addr[32 +: 32]), .rd_req_beats(rq_beats[9 +: 9]),
    .rsp_valid(rs_valid[1]), .rsp_ready(rs_ready[1]), .rsp_data(rs_data),
    .rd_en(pr_en), .rd_word(pr_word), .rd_bias(pr_bias), .rd_mult(pr_mult), .rd_shift(pr_shift)
  );

  //----------------------------------------------------------------
  // Activations.
  //----------------------------------------------------------------
  wire                 filled, release_half, ld_busy, fd_busy;
  wire [ROWS-1 : 0]    ab_wen;
  wire [ROWS*AW_ACT-1:0] ab_waddr;
  wire [ROWS*8-1 : 0]  ab_wdata;
  wire                 ab_ren;
  wire [AW_ACT-1 : 0]  ab_raddr;
  wire [ROWS*8-1 : 0]  ab_rdata;

  kg_act_loader #(.ROWS(ROWS), .HALF_WORDS(HALF_WORDS)) loader (
    .clk(clk), .reset_n(dp_rst_n),
    .conv(l_conv), .in_addr(l_in_addr), .in_stride(l_in_stride), .m_total(l_m),
    .k_total(l_k), .kt(l_kt), .mp(l_mp), .h(l_h), .w(l_w), .ic(l_ic), .kh(l_kh), .kw(l_kw),
    .stride(l_stride), .pad(l_pad), .ow(l_ow), .in_group(l_in_group), .in_valid(l_in_valid),
    .go(go), .release_half(release_half), .filled(filled), .busy(ld_busy),
    .rd_req_valid(rq_valid[2]), .rd_req_ready(rq_ready[2]),
    .rd_req_addr(rq_addr[64 +: 32]), .rd_req_beats(rq_beats[18 +: 9]),
    .rsp_valid(rs_valid[2]), .rsp_ready(rs_ready[2]), .rsp_data(rs_data),
    .wr_en(ab_wen), .wr_addr(ab_waddr), .wr_data(ab_wdata)
  );

  kg_actbuf #(.ROWS(ROWS), .DEPTH(2 * HALF_WORDS)) actbuf (
    .clk(clk), .wr_en(ab_wen), .wr_addr(ab_waddr), .wr_data(ab_wdata),
    .rd_en(ab_ren), .rd_addr(ab_raddr), .rd_data(ab_rdata)
  );

  wire                 a_valid, a_ready, a_last, a_acc, a_emit;
  wire [ROWS*8-1 : 0]  a_data;

  kg_feeder #(.ROWS(ROWS), .HALF_WORDS(HALF_WORDS)) feeder (
    .clk(clk), .reset_n(dp_rst_n),
    .m_total(l_m), .k_total(l_k), .kt(l_kt), .nt(l_nt), .mp(l_mp),
    .go(go), .filled(filled), .release_half(release_half), .busy(fd_busy),
    .rd_en(ab_ren), .rd_addr(ab_raddr), .rd_data(ab_rdata),
    .a_valid(a_valid), .a_ready(a_ready), .a_data(a_data), .a_last(a_last),
    .a_acc(a_acc), .a_emit(a_emit)
  );
  assign ev_compute = a_valid & a_ready;

  //----------------------------------------------------------------
  // Weights.
  //----------------------------------------------------------------
  wire           dec_start, dec_save, dec_in_valid, dec_in_ready, dec_out_valid, dec_out_ready;
  wire           dec_seeking, dec_ks_stall;
  wire [31 : 0]  dec_pos;
  wire [1 : 0]   dec_mode;
  wire [127 : 0] dec_in_data, dec_out_data;
  wire           w_valid, w_ready, wl_busy;
  wire [COLS*8-1 : 0] w_data;

  kg_wload #(.ROWS(ROWS), .COLS(COLS)) wload (
    .clk(clk), .reset_n(dp_rst_n),
    .w_addr(l_w_addr), .w_pos(l_w_pos), .crypt(l_crypt), .tiles(l_tiles), .passes(l_passes),
    .go(go), .busy(wl_busy),
    .rd_req_valid(rq_valid[3]), .rd_req_ready(rq_ready[3]),
    .rd_req_addr(rq_addr[96 +: 32]), .rd_req_beats(rq_beats[27 +: 9]),
    .rsp_valid(rs_valid[3]), .rsp_ready(rs_ready[3]), .rsp_data(rs_data),
    .dec_start(dec_start), .dec_pos(dec_pos), .dec_save(dec_save), .dec_mode(dec_mode),
    .dec_ready((l_crypt == 2'd0) | (key_settled & (key_src == layer_src))),
    .dec_in_valid(dec_in_valid), .dec_in_ready(dec_in_ready), .dec_in_data(dec_in_data),
    .dec_out_valid(dec_out_valid), .dec_out_ready(dec_out_ready), .dec_out_data(dec_out_data),
    .w_valid(w_valid), .w_ready(w_ready), .w_data(w_data)
  );

  //----------------------------------------------------------------
  // The decrypt unit's key (kg_dec_keysel). One user at a time asks for
  // a key: VERIFY (Kd, then Km, then Ke or Kd), else an admitted layer
  // that decrypts (Ke if bound, else Kd), else a CHECK (Kd). The unit
  // keeps its key across a datapath reset: it is reset with the datapath
  // and reloads the key it held right after.
  //----------------------------------------------------------------
  localparam [1 : 0] SRC_DEV = 2'd0;
  localparam [1 : 0] SRC_KE  = 2'd1;

  wire [255 : 0] ke, km, dec_key;
  wire [ROWS*COLS-1 : 0] ms;
  wire           dec_key_load;
  wire           auth_want_en;
  wire [1 : 0]   auth_want_src;
  assign layer_src = l_bound ? SRC_KE : SRC_DEV;
  wire           layer_want = l_admitted & (l_crypt != 2'd0);
  wire           want_en  = auth_want_en | layer_want | check_busy;
  wire [1 : 0]   want_src = auth_want_en ? auth_want_src : layer_want ? layer_src : SRC_DEV;

  kg_dec_keysel keysel (
    .clk(clk), .reset_n(reset_n),
    .aes_key(aes_key), .ke(ke), .km(km), .aes_valid(aes_valid),
    .vault_load(key_load), .zeroize(zeroize), .dp_reset(dp_reset),
    .want_en(want_en), .want_src(want_src), .key_ready(key_ready),
    .dec_key(dec_key), .dec_key_load(dec_key_load), .src(key_src), .settled(key_settled)
  );
  // A CHECK always uses the device key.
  assign kcv_ready = key_settled & (key_src == SRC_DEV);

  //----------------------------------------------------------------
  // VERIFY (docs/spec.md 11.1) on the decrypt unit's cipher.
  //----------------------------------------------------------------
  wire           auth_blk_start;
  wire [127 : 0] auth_blk_in, blk_out;

  kg_auth #(.ROWS(ROWS), .COLS(COLS), .CTR_EN(CTR_EN)) auth (
    .clk(clk), .reset_n(reset_n),
    .start(auth_start), .stop(auth_abort), .zeroize(zeroize),
    .done(auth_done), .res(auth_res),
    .model_addr(model_addr), .model_len(model_len), .tag_exp(tag_exp), .nonce(nonce),
    .key_len(aes_len),
    .want_en(auth_want_en), .want_src(auth_want_src),
    .key_ok(key_settled & (key_src == auth_want_src)),
    .blk_start(auth_blk_start), .blk_in(auth_blk_in), .blk_valid(kcv_valid), .blk_out(blk_out),
    .port_lost(dp_reset | zeroize | dec_key_load),
    .rd_req_valid(rq_valid[4]), .rd_req_ready(rq_ready[4]),
    .rd_req_addr(rq_addr[128 +: 32]), .rd_req_beats(rq_beats[36 +: 9]),
    .rsp_valid(rs_valid[4]), .rsp_ready(rs_ready[4]), .rsp_data(rs_data), .rsp_err(rs_err),
    .ke(ke), .km(km), .ms(ms),
    .m_sign(m_sign), .m_crypt(m_crypt), .m_poff(m_poff), .m_psize(m_psize),
    .m_woff(m_woff), .m_wsize(m_wsize)
  );

  /* verilator lint_off PINCONNECTEMPTY */
  kg_weight_decrypt #(
    .LANES(16), .CIPHER_PIPELINED(CIPHER_PIPELINED), .SBOX_EBR(SBOX_EBR), .CTR_EN(CTR_EN),
    .POS_W(36)
  ) decrypt (
    .clk(clk), .reset_n(dp_rst_n),
    .mode(dec_mode), .key(dec_key), .key_len(aes_len), .nonce(nonce),
    .key_load(dec_key_load), .key_ready(key_ready), .zeroize(zeroize),
    .start(dec_start), .start_pos({4'h0, dec_pos}), .start_save(dec_save),
    .seeking(dec_seeking), .cfg_err(), .ks_stall(dec_ks_stall),
    .in_valid(dec_in_valid), .in_ready(dec_in_ready), .in_data(dec_in_data),
    .out_valid(dec_out_valid), .out_ready(dec_out_ready), .out_data(dec_out_data),
    .kcv_start(kcv_start | auth_blk_start), .blk_sel(auth_blk_start), .blk_in(auth_blk_in),
    .kcv_valid(kcv_valid), .kcv(kcv), .blk_out(blk_out)
  );
  /* verilator lint_on PINCONNECTEMPTY */

  // Decrypt stall: weight data waits because the decrypt unit is seeking or
  // has no keystream yet; waits caused by the array (back-pressure) and the
  // cycle of a start pulse do not count.
  assign dec_stall = dec_ks_stall | (dec_in_valid & dec_seeking);

  //----------------------------------------------------------------
  // Compute core. The sign key is latched when a layer starts, so a vault
  // write during a layer cannot change the key half way through it. A
  // bound layer uses Sd XOR Ms; a layer run with its keys withheld has
  // l_sign = 0 (kg_layer_ctrl).
  //----------------------------------------------------------------
  reg [ROWS*COLS-1 : 0] lkey_reg;
  always @(posedge clk) begin : latch_key
    if (!dp_rst_n || zeroize)
      lkey_reg <= {ROWS*COLS{1'b0}};
    else if (go)
      lkey_reg <= l_sign ? (sign_key ^ (l_bound ? ms : {ROWS*COLS{1'b0}})) : {ROWS*COLS{1'b0}};
  end

  wire                 r_valid, r_ready, r_last, core_idle, core_ovf;
  wire [COLS*32-1 : 0] r_data;

  kg_mac_core #(
    .ROWS(ROWS), .COLS(COLS), .ACC_DEPTH(ACC_DEPTH), .KEYGATE(KEYGATE), .KEY_IN_PE(0)
  ) core (
    .clk(clk), .reset_n(dp_rst_n),
    .key_s(lkey_reg),
    .w_valid(w_valid), .w_ready(w_ready), .w_data(w_data),
    .a_valid(a_valid), .a_ready(a_ready), .a_data(a_data), .a_last(a_last),
    .a_acc(a_acc), .a_emit(a_emit),
    .r_valid(r_valid), .r_ready(r_ready), .r_data(r_data), .r_last(r_last),
    .idle(core_idle), .err_ovf(core_ovf)
  );
  wire unused_core = r_last ^ core_idle ^ core_ovf;

  //----------------------------------------------------------------
  // Output.
  //----------------------------------------------------------------
  // The output path waits until the layer's parameters are in.
  reg params_in_reg;
  always @(posedge clk) begin : params_flag
    if (!dp_rst_n || go)
      params_in_reg <= 1'b0;
    else if (p_done && !p_bad)
      params_in_reg <= 1'b1;
  end
  wire r_valid_p = r_valid & params_in_reg;
  wire r_ready_p;
  assign r_ready = r_ready_p & params_in_reg;

  wire op_busy;
  kg_outpath #(.COLS(COLS), .PARAM_DEPTH(PARAM_DEPTH)) outpath (
    .clk(clk), .reset_n(dp_rst_n),
    .m_total(l_m), .n_total(l_n), .nt(l_nt), .mp(l_mp), .out_addr(l_out_addr),
    .out_stride(l_out_stride), .relu(l_relu),
    .go(go), .busy(op_busy),
    .r_valid(r_valid_p), .r_ready(r_ready_p), .r_data(r_data),
    .p_rd_en(pr_en), .p_rd_word(pr_word), .p_bias(pr_bias), .p_mult(pr_mult),
    .p_shift(pr_shift),
    .wr_valid(wq_valid), .wr_ready(wq_ready), .wr_addr(wq_addr), .wr_data(wq_data),
    .wr_strb(wq_strb)
  );

  assign engines_busy = ld_busy | fd_busy | wl_busy | op_busy | p_busy;

endmodule // kg_top
`default_nettype wire
