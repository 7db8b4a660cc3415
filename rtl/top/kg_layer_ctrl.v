//======================================================================
// kg_layer_ctrl.v
// ---------------
// The layer engine's sequencer. On `start` it fetches the 64-byte layer
// descriptor at desc_addr, decodes and validates it (every illegal value
// ends the layer with a descriptor error, never a hang), applies the
// wrong-key policy and the binding to the authenticated model
// (docs/spec.md 11.1, 12), sizes the passes, and then runs the parameter loader, the activation loader, the feeder, the
// weight path and the output path
// until the last output row has been written and acknowledged.
//
// A bus error (SLVERR/DECERR on any DMA transfer) or SOFT_RESET aborts:
// new DMA requests stop (flush), outstanding ones drain, then the whole
// datapath is reset for two cycles (dp_reset) and the layer ends with
// ERR_BUS or ERR_ABORTED.
//
// Passes: a pass holds mp = min(ACC_DEPTH, HALF_WORDS / KT, M) rows; the
// layer takes ceil(M / mp) passes. Both divisions use one sequential
// divider (about 70 cycles per layer).
//
// Input mask (FC, word IN_MASK, docs/spec.md section 14): the check
// K mod GROUP = 0 runs on a second divider, started as the descriptor is
// decoded, so it ends while the passes are sized: a legal masked layer
// takes no extra cycle. Its TOO_BIG is applied in priority order: before
// the layer starts (end of S_DIV2) when every other check passed, or in
// S_KMOD when only a lower-priority check (MISALIGNED, a key check) failed.
//======================================================================
`default_nettype none
`include "kg_regs.vh"

module kg_layer_ctrl #(
  parameter ROWS        = 4,
  parameter COLS        = 4,
  parameter ACC_DEPTH   = 256,
  parameter HALF_WORDS  = 2048,
  parameter PARAM_DEPTH = 1024
) (
  input  wire          clk,
  input  wire          reset_n,

  input  wire          start,
  input  wire          soft_reset,
  input  wire [31 : 0] desc_addr,
  output wire          done,
  output wire [7 : 0]  done_err,
  output wire          busy,

  input  wire          aes_valid,
  input  wire          sign_valid,
  input  wire          kcv_ok,
  input  wire [1 : 0]  policy_mode,
  input  wire          locked_out,

  // The authenticated model (kg_keyvault, kg_auth): a keyed layer is bound
  // to it, or refused, or run with its keys withheld (crypt and sign
  // forced to 0), or (legacy) run with the device keys.
  input  wire          auth_ok,
  input  wire          legacy,
  input  wire [31 : 0] model_addr,
  input  wire          m_sign,
  input  wire [7 : 0]  m_crypt,
  input  wire [31 : 0] m_poff,
  input  wire [31 : 0] m_psize,
  input  wire [31 : 0] m_woff,
  input  wire [31 : 0] m_wsize,
  output reg           bound,        // the admitted layer uses the model keys
  output wire          admitted,     // a layer passed admission and runs

  output wire          rd_req_valid,
  input  wire          rd_req_ready,
  output wire [31 : 0] rd_req_addr,
  output wire [8 : 0]  rd_req_beats,
  input  wire          rsp_valid,
  output wire          rsp_ready,
  input  wire [127 : 0] rsp_data,

  input  wire          bus_err,
  input  wire          rd_idle,
  input  wire          wr_idle,
  output wire          flush,
  output wire          dp_reset,

  output wire          p_start,
  input  wire          p_bad,

  output wire          go,
  input  wire          engines_busy,

  // decoded layer
  output reg           conv,
  output reg           relu,
  output reg  [1 : 0]  crypt,
  output reg           sign,
  output reg  [31 : 0] m_total,
  output reg  [31 : 0] k_total,
  output reg  [31 : 0] n_total,
  output reg  [15 : 0] kt,
  output reg  [15 : 0] nt,
  output reg  [15 : 0] mp,
  output reg  [31 : 0] passes,
  output reg  [31 : 0] tiles,
  output reg  [31 : 0] in_addr,
  output reg  [31 : 0] in_stride,
  output reg  [31 : 0] out_addr,
  output reg  [31 : 0] out_stride,
  output reg  [31 : 0] w_addr,
  output reg  [31 : 0] w_pos,
  output reg  [31 : 0] p_addr,
  output reg  [15 : 0] h,
  output reg  [15 : 0] w,
  output reg  [15 : 0] ic,
  output reg  [3 : 0]  kh,
  output reg  [3 : 0]  kw,
  output reg  [1 : 0]  stride,
  output reg  [2 : 0]  pad,
  output reg  [15 : 0] ow,
  output reg  [15 : 0] in_group,      // FC input mask: 0 (off) or GROUP
  output reg  [15 : 0] in_valid       // FC input mask: VALID
);

  localparam RB = $clog2(ROWS);
  localparam CB = $clog2(COLS);
  localparam TILE_BYTES = ((ROWS * COLS + 15) / 16) * 16;

  localparam S_IDLE   = 4'd0;
  localparam S_FETCH  = 4'd1;
  localparam S_WAIT   = 4'd2;
  localparam S_DECODE = 4'd3;
  localparam S_CHECK  = 4'd4;
  localparam S_DIV1   = 4'd5;
  localparam S_DIV2   = 4'd6;
  localparam S_GO     = 4'd7;
  localparam S_KMOD   = 4'd8;
  localparam S_DRAIN  = 4'd9;
  localparam S_ABORT  = 4'd10;
  localparam S_DPRST  = 4'd11;
  localparam S_DONE   = 4'd12;

  reg [3 : 0]   state_reg;
  reg [31 : 0]  dw [0 : 15];           // descriptor words
  reg [1 : 0]   beat_reg;
  reg [7 : 0]   err_reg;
  reg [1 : 0]   cnt_reg;
  reg           done_reg;
  reg           div_start_reg;
  reg [31 : 0]  div_a_reg;
  reg [15 : 0]  div_b_reg;
  wire          div_done;
  wire [31 : 0] div_q;

  wire [15 : 0] div_r;
  kg_divu div (.clk(clk), .reset_n(reset_n), .start(div_start_reg),
               .dividend(div_a_reg), .divisor(div_b_reg), .done(div_done), .quotient(div_q),
               .remainder(div_r));
  wire _unused_div_r = &{1'b0, div_r};

  // K mod GROUP of a masked FC layer.
  reg           kmod_done_reg;     // the check below has its result
  reg           kmod_bad_reg;      // K mod GROUP != 0
  wire          kmod_done;
  wire [31 : 0] kmod_q;
  wire [15 : 0] kmod_r;

  //----------------------------------------------------------------
  // Decode (combinational over the fetched words).
  //----------------------------------------------------------------
  // Every position comes from the generated KG_DESC_* defines
  // (common/regs/kg_regs.json): word index, field LSB and width.
  wire [31 : 0] w_cfg  = dw[`KG_DESC_CFG];
  wire [31 : 0] w_dim0 = dw[`KG_DESC_DIM0];
  wire [31 : 0] w_dim1 = dw[`KG_DESC_DIM1];
  wire [31 : 0] w_dim2 = dw[`KG_DESC_DIM2];
  wire [31 : 0] d_in_addr    = dw[`KG_DESC_IN_ADDR][`KG_DESC_IN_ADDR_ADDR_LSB +: `KG_DESC_IN_ADDR_ADDR_W];
  wire [31 : 0] d_in_stride  = dw[`KG_DESC_IN_STRIDE][`KG_DESC_IN_STRIDE_STRIDE_LSB +: `KG_DESC_IN_STRIDE_STRIDE_W];
  wire [31 : 0] d_out_addr   = dw[`KG_DESC_OUT_ADDR][`KG_DESC_OUT_ADDR_ADDR_LSB +: `KG_DESC_OUT_ADDR_ADDR_W];
  wire [31 : 0] d_out_stride = dw[`KG_DESC_OUT_STRIDE][`KG_DESC_OUT_STRIDE_STRIDE_LSB +: `KG_DESC_OUT_STRIDE_STRIDE_W];
  wire [31 : 0] d_w_addr     = dw[`KG_DESC_W_ADDR][`KG_DESC_W_ADDR_ADDR_LSB +: `KG_DESC_W_ADDR_ADDR_W];
  wire [31 : 0] d_w_pos      = dw[`KG_DESC_W_POS][`KG_DESC_W_POS_POS_LSB +: `KG_DESC_W_POS_POS_W];
  wire [31 : 0] d_p_addr     = dw[`KG_DESC_P_ADDR][`KG_DESC_P_ADDR_ADDR_LSB +: `KG_DESC_P_ADDR_ADDR_W];
  wire [7 : 0]  d_op    = w_cfg[`KG_DESC_CFG_OP_LSB +: `KG_DESC_CFG_OP_W];
  wire          d_relu  = w_cfg[`KG_DESC_CFG_RELU_LSB +: `KG_DESC_CFG_RELU_W];
  wire [1 : 0]  d_crypt = w_cfg[`KG_DESC_CFG_CRYPT_LSB +: `KG_DESC_CFG_CRYPT_W];
  wire          d_sign  = w_cfg[`KG_DESC_CFG_SIGN_LSB +: `KG_DESC_CFG_SIGN_W];
  wire [15 : 0] d_magic = w_cfg[`KG_DESC_CFG_MAGIC_LSB +: `KG_DESC_CFG_MAGIC_W];
  wire          d_conv  = (d_op == `KG_OP_CONV);
  wire [31 : 0] d_fc_m  = w_dim0[`KG_DESC_DIM0_M_LSB +: `KG_DESC_DIM0_M_W];
  wire [31 : 0] d_fc_k  = w_dim1[`KG_DESC_DIM1_K_LSB +: `KG_DESC_DIM1_K_W];
  wire [31 : 0] d_fc_n  = w_dim2[`KG_DESC_DIM2_N_LSB +: `KG_DESC_DIM2_N_W];
  wire [15 : 0] d_h     = w_dim0[`KG_DESC_DIM0_H_LSB +: `KG_DESC_DIM0_H_W];
  wire [15 : 0] d_w     = w_dim0[`KG_DESC_DIM0_W_LSB +: `KG_DESC_DIM0_W_W];
  wire [15 : 0] d_ic    = w_dim1[`KG_DESC_DIM1_IC_LSB +: `KG_DESC_DIM1_IC_W];
  wire [15 : 0] d_oc    = w_dim1[`KG_DESC_DIM1_OC_LSB +: `KG_DESC_DIM1_OC_W];
  wire [3 : 0]  d_kh    = w_dim2[`KG_DESC_DIM2_KH_LSB +: `KG_DESC_DIM2_KH_W];
  wire [3 : 0]  d_kw    = w_dim2[`KG_DESC_DIM2_KW_LSB +: `KG_DESC_DIM2_KW_W];
  wire [1 : 0]  d_s     = w_dim2[`KG_DESC_DIM2_STRIDE_LSB +: `KG_DESC_DIM2_STRIDE_W];
  wire [2 : 0]  d_pad   = w_dim2[`KG_DESC_DIM2_PAD_LSB +: `KG_DESC_DIM2_PAD_W];
  wire [15 : 0] d_group = dw[`KG_DESC_IN_MASK][`KG_DESC_IN_MASK_GROUP_LSB +: `KG_DESC_IN_MASK_GROUP_W];
  wire [15 : 0] d_valid = dw[`KG_DESC_IN_MASK][`KG_DESC_IN_MASK_VALID_LSB +: `KG_DESC_IN_MASK_VALID_W];
  wire          d_masked = !d_conv && (d_group != 16'h0);
  // The reserved bits of CFG are checked below, over dw[], with the rest.
  wire _unused_cfg = &{1'b0, w_cfg};
  wire [17 : 0] d_hp    = {2'b0, d_h} + {14'h0, d_pad, 1'b0};
  wire [17 : 0] d_wp    = {2'b0, d_w} + {14'h0, d_pad, 1'b0};
  wire [17 : 0] d_oh    = ((d_hp - {14'h0, d_kh}) >> (d_s == 2'd2 ? 1 : 0)) + 18'd1;
  wire [17 : 0] d_ow    = ((d_wp - {14'h0, d_kw}) >> (d_s == 2'd2 ? 1 : 0)) + 18'd1;
  wire [63 : 0] d_m     = d_conv ? {46'h0, d_oh} * {46'h0, d_ow} : {32'h0, d_fc_m};
  wire [63 : 0] d_k     = d_conv ? {60'h0, d_kh} * {60'h0, d_kw} * {48'h0, d_ic} : {32'h0, d_fc_k};
  wire [63 : 0] d_n     = d_conv ? {48'h0, d_oc} : {32'h0, d_fc_n};
  wire [63 : 0] d_kt    = (d_k >> RB) + {63'h0, (RB > 0) && (d_k & ((64'd1 << RB) - 64'd1)) != 64'd0};
  wire [63 : 0] d_nt    = (d_n >> CB) + {63'h0, (CB > 0) && (d_n & ((64'd1 << CB) - 64'd1)) != 64'd0};
  wire [63 : 0] d_run   = d_conv ? {48'h0, d_ic} : d_k;     // bytes of one input run
  wire [63 : 0] d_inrows = d_conv ? {48'h0, d_h} * {48'h0, d_w} : d_m;

  wire [63 : 0] in_end  = {32'h0, d_in_addr} + (d_inrows - 64'd1) * {32'h0, d_in_stride} + d_run;
  wire [63 : 0] out_end = {32'h0, d_out_addr} + (d_m - 64'd1) * {32'h0, d_out_stride} + d_n;
  wire [63 : 0] w_bytes = d_kt * d_nt * TILE_BYTES;
  wire [63 : 0] w_end   = {32'h0, d_w_addr} + w_bytes;
  wire [63 : 0] pos_end = {32'h0, d_w_pos} + w_bytes;
  wire [63 : 0] p_end   = {32'h0, d_p_addr} + d_n * 64'd16;
  wire [63 : 0] LIM     = 64'h1_0000_0000;

  wire bad_magic = (d_magic != `KG_DESC_MAGIC);
  wire bad_op    = (d_op != `KG_OP_FC) && (d_op != `KG_OP_CONV);
  wire bad_crypt = (d_crypt == 2'd3);
  // Reserved bits: every bit the layer type does not use must be 0.
  wire [`KG_DESC_WORDS*32-1 : 0] used_fc   = `KG_DESC_USED_FC;
  wire [`KG_DESC_WORDS*32-1 : 0] used_conv = `KG_DESC_USED_CONV;
  wire [`KG_DESC_WORDS*32-1 : 0] d_used    = d_conv ? used_conv : used_fc;
  reg                            reserved;
  integer                        ri;
  always @* begin : reserved_bits
    reserved = 1'b0;
    for (ri = 0; ri < `KG_DESC_WORDS; ri = ri + 1)
      if ((dw[ri] & ~d_used[32*ri +: 32]) != 32'h0)
        reserved = 1'b1;
  end
  // Input mask (word IN_MASK). A CONV with a nonzero word is caught by the
  // reserved bits above (KG_DESC_USED_CONV); the rest:
  //   GROUP = 0 with VALID != 0                              RESERVED
  //   GROUP != 0 with VALID = 0 or VALID > GROUP             TOO_BIG
  //   GROUP != 0 with K mod GROUP != 0                       TOO_BIG (kmod_*)
  //   GROUP mod 16 != 0                                      MISALIGNED
  wire mask_rsvd = !d_conv && (d_group == 16'h0) && (d_valid != 16'h0);
  wire mask_big  = d_masked && (d_valid == 16'h0 || d_valid > d_group);
  wire mask_mis  = (d_group[3:0] != 4'h0);
  wire zero_dim  = d_conv ? (d_h == 16'h0 || d_w == 16'h0 || d_ic == 16'h0 || d_oc == 16'h0 ||
                             d_kh == 4'h0 || d_kw == 4'h0)
                          : (d_fc_m == 32'h0 || d_fc_k == 32'h0 || d_fc_n == 32'h0);
  wire conv_bad  = d_conv && (d_kh > 4'd7 || d_kw > 4'd7 || d_s == 2'd0 || d_s == 2'd3 ||
                              {1'b0, d_pad} >= d_kh || {1'b0, d_pad} >= d_kw ||
                              d_hp < {14'h0, d_kh} || d_wp < {14'h0, d_kw});
  wire too_big   = conv_bad || d_kt > HALF_WORDS || d_n > PARAM_DEPTH || d_m >= LIM ||
                   d_k >= LIM || {32'h0, d_in_stride} < d_run || {32'h0, d_out_stride} < d_n ||
                   d_nt > 64'hffff || in_end > LIM || out_end > LIM || w_end > LIM ||
                   pos_end > LIM || p_end > LIM || mask_big;
  wire misaligned = (d_in_addr[3:0] | d_in_stride[3:0] | d_out_addr[3:0] | d_out_stride[3:0] |
                     d_w_addr[3:0] | d_w_pos[3:0] | d_p_addr[3:0]) != 4'h0 || mask_mis;
  // A failure at or above TOO_BIG: the K mod GROUP check cannot change it.
  wire early_err = bad_magic || bad_op || bad_crypt || reserved || zero_dim || too_big;

  kg_divu kmod (.clk(clk), .reset_n(reset_n), .start(state_reg == S_DECODE && d_masked),
                .dividend(d_fc_k), .divisor(d_group), .done(kmod_done), .quotient(kmod_q),
                .remainder(kmod_r));
  wire _unused_kmod_q = &{1'b0, kmod_q};
  wire uses_aes  = (d_crypt != 2'd0);
  wire uses_sign = d_sign;
  wire uses_key  = uses_aes | uses_sign;

  // Bound to the authenticated model (docs/spec.md 11.1), in exact
  // (unwrapped) integer arithmetic.
  wire [63 : 0] m_wbase = {32'h0, model_addr} + {32'h0, m_woff} + {32'h0, d_w_pos};
  wire [63 : 0] m_plo   = {32'h0, model_addr} + {32'h0, m_poff};
  wire [63 : 0] m_phi   = m_plo + {32'h0, m_psize};
  wire d_bound   = auth_ok && ({6'h0, d_crypt} == m_crypt) && (d_sign == m_sign) &&
                   ({32'h0, d_w_addr} == m_wbase) && (pos_end <= {32'h0, m_wsize}) &&
                   ({32'h0, d_p_addr} >= m_plo) && (p_end <= m_phi);
  // Not bound and not legacy: refused, or (mode run) run with no keys.
  wire withheld  = uses_key && !d_bound && !legacy;

  reg [7 : 0] verdict;
  always @* begin : validate
    verdict = `KG_ERR_OK;
    if (bad_magic)                         verdict = `KG_ERR_BAD_MAGIC;
    else if (bad_op)                       verdict = `KG_ERR_BAD_OP;
    else if (bad_crypt)                    verdict = `KG_ERR_BAD_CRYPT;
    else if (reserved || mask_rsvd)        verdict = `KG_ERR_RESERVED;
    else if (zero_dim)                     verdict = `KG_ERR_ZERO_DIM;
    else if (too_big)                      verdict = `KG_ERR_TOO_BIG;
    else if (misaligned)                   verdict = `KG_ERR_MISALIGNED;
    else if (uses_key && locked_out)       verdict = `KG_ERR_LOCKED_OUT;
    else if ((uses_aes && !aes_valid) || (uses_sign && !sign_valid))
                                           verdict = `KG_ERR_NO_KEY;
    else if (withheld && policy_mode != `KG_POLICY_RUN)
                                           verdict = `KG_ERR_NOT_AUTH;
    else if (uses_key && !d_bound && legacy && uses_aes && !kcv_ok &&
             policy_mode != `KG_POLICY_RUN)
                                           verdict = `KG_ERR_WRONG_KEY;
  end

  //----------------------------------------------------------------
  // Outputs.
  //----------------------------------------------------------------
  assign rd_req_valid = (state_reg == S_FETCH);
  assign rd_req_addr  = desc_addr;
  assign rd_req_beats = 9'd4;
  assign rsp_ready    = 1'b1;
  assign busy         = (state_reg != S_IDLE);
  assign done         = done_reg;
  assign done_err     = err_reg;
  assign flush        = (state_reg == S_ABORT) || (state_reg == S_DPRST);
  assign dp_reset     = (state_reg == S_DPRST);
  // The parameters load while the first pass of activations loads; the
  // output path waits for them (kg_top gates it on p_done).
  assign p_start      = (state_reg == S_GO);
  assign go           = (state_reg == S_GO);
  assign admitted     = (state_reg == S_DIV1) || (state_reg == S_DIV2) ||
                        (state_reg == S_GO) || (state_reg == S_DRAIN);

  //----------------------------------------------------------------
  // State machine.
  //----------------------------------------------------------------
  integer i;
  always @(posedge clk) begin : fsm
    if (!reset_n) begin
      state_reg     <= S_IDLE;
      beat_reg      <= 2'd0;
      err_reg       <= 8'h0;
      cnt_reg       <= 2'd0;
      done_reg      <= 1'b0;
      div_start_reg <= 1'b0;
      div_a_reg     <= 32'h0;
      div_b_reg     <= 16'h0;
      for (i = 0; i < 16; i = i + 1)
        dw[i] <= 32'h0;
      conv <= 1'b0; relu <= 1'b0; crypt <= 2'd0; sign <= 1'b0; bound <= 1'b0;
      m_total <= 32'h0; k_total <= 32'h0; n_total <= 32'h0;
      kt <= 16'h0; nt <= 16'h0; mp <= 16'h0; passes <= 32'h0; tiles <= 32'h0;
      in_addr <= 32'h0; in_stride <= 32'h0; out_addr <= 32'h0; out_stride <= 32'h0;
      w_addr <= 32'h0; w_pos <= 32'h0; p_addr <= 32'h0;
      h <= 16'h0; w <= 16'h0; ic <= 16'h0; kh <= 4'h0; kw <= 4'h0;
      stride <= 2'd0; pad <= 3'd0; ow <= 16'h0;
      in_group <= 16'h0; in_valid <= 16'h0;
      kmod_done_reg <= 1'b0;
      kmod_bad_reg  <= 1'b0;
    end else begin
      done_reg      <= 1'b0;
      div_start_reg <= 1'b0;
      // Cleared when kmod (re)starts, so a late result of an aborted
      // layer cannot count for the next one.
      if (state_reg == S_IDLE || state_reg == S_DECODE) begin
        kmod_done_reg <= 1'b0;
        kmod_bad_reg  <= 1'b0;
      end else if (kmod_done) begin
        kmod_done_reg <= 1'b1;
        kmod_bad_reg  <= (kmod_r != 16'h0);
      end

      if (soft_reset && state_reg != S_ABORT && state_reg != S_DPRST) begin
        err_reg   <= `KG_ERR_ABORTED;
        state_reg <= S_ABORT;
      end else if (bus_err && state_reg != S_IDLE && state_reg != S_ABORT &&
                   state_reg != S_DPRST && state_reg != S_DONE) begin
        err_reg   <= `KG_ERR_BUS;
        state_reg <= S_ABORT;
      end else begin
        case (state_reg)
          S_IDLE: begin
            if (start) begin
              for (i = 0; i < 16; i = i + 1)
                dw[i] <= 32'h0;
              if (desc_addr[3:0] != 4'h0) begin
                err_reg   <= `KG_ERR_MISALIGNED;
                state_reg <= S_DONE;
              end else begin
                beat_reg  <= 2'd0;
                state_reg <= S_FETCH;
              end
            end
          end

          S_FETCH: begin
            if (rd_req_ready)
              state_reg <= S_WAIT;
          end

          S_WAIT: begin
            if (rsp_valid) begin
              dw[{beat_reg, 2'd0}]     <= rsp_data[31:0];
              dw[{beat_reg, 2'd0} + 1] <= rsp_data[63:32];
              dw[{beat_reg, 2'd0} + 2] <= rsp_data[95:64];
              dw[{beat_reg, 2'd0} + 3] <= rsp_data[127:96];
              beat_reg <= beat_reg + 2'd1;
              if (beat_reg == 2'd3)
                state_reg <= S_DECODE;
            end
          end

          S_DECODE: begin
            state_reg <= S_CHECK;
          end

          S_CHECK: begin
            if (verdict != `KG_ERR_OK && d_masked && !early_err) begin
              // A lower-priority failure: K mod GROUP decides first.
              err_reg   <= verdict;
              state_reg <= S_KMOD;
            end else if (verdict != `KG_ERR_OK) begin
              err_reg   <= verdict;
              state_reg <= S_DONE;
            end else begin
              conv       <= d_conv;
              relu       <= d_relu;
              crypt      <= withheld ? 2'd0 : d_crypt;
              sign       <= withheld ? 1'b0 : d_sign;
              bound      <= uses_key && d_bound;
              m_total    <= d_m[31:0];
              k_total    <= d_k[31:0];
              n_total    <= d_n[31:0];
              kt         <= d_kt[15:0];
              nt         <= d_nt[15:0];
              tiles      <= d_kt[31:0] * d_nt[31:0];
              in_addr    <= d_in_addr;
              in_stride  <= d_in_stride;
              out_addr   <= d_out_addr;
              out_stride <= d_out_stride;
              w_addr     <= d_w_addr;
              w_pos      <= d_w_pos;
              p_addr     <= d_p_addr;
              h          <= d_h;
              w          <= d_w;
              ic         <= d_ic;
              kh         <= d_kh;
              kw         <= d_kw;
              stride     <= d_s;
              pad        <= d_pad;
              ow         <= d_ow[15:0];
              in_group   <= d_group;
              in_valid   <= d_valid;
              div_a_reg     <= HALF_WORDS;
              div_b_reg     <= d_kt[15:0];
              div_start_reg <= 1'b1;
              err_reg       <= `KG_ERR_OK;
              state_reg     <= S_DIV1;
            end
          end

          S_DIV1: begin
            if (div_done) begin
              // mp = min(ACC_DEPTH, HALF_WORDS / KT, M)
              if (div_q < ACC_DEPTH && div_q < m_total) begin
                mp        <= div_q[15:0];
                div_a_reg <= m_total + div_q - 32'd1;
                div_b_reg <= div_q[15:0];
              end else if (m_total < ACC_DEPTH) begin
                mp        <= m_total[15:0];
                div_a_reg <= m_total + m_total - 32'd1;
                div_b_reg <= m_total[15:0];
              end else begin
                mp        <= ACC_DEPTH;
                div_a_reg <= m_total + ACC_DEPTH - 32'd1;
                div_b_reg <= ACC_DEPTH;
              end
              div_start_reg <= 1'b1;
              state_reg     <= S_DIV2;
            end
          end

          S_DIV2: begin
            if (div_done) begin
              passes <= div_q;
              // kmod started before the first sizing division: done by now.
              if (in_group != 16'h0 && kmod_bad_reg) begin
                err_reg   <= `KG_ERR_TOO_BIG;
                state_reg <= S_DONE;
              end else begin
                state_reg <= S_GO;
              end
            end
          end

          S_KMOD: begin
            if (kmod_done_reg) begin
              if (kmod_bad_reg)
                err_reg <= `KG_ERR_TOO_BIG;
              state_reg <= S_DONE;
            end
          end

          S_GO: begin
            // parameters and engines start in this cycle
            state_reg <= S_DRAIN;
          end

          S_DRAIN: begin
            if (p_bad) begin
              err_reg   <= `KG_ERR_RESERVED;
              state_reg <= S_ABORT;
            end else if (!engines_busy && wr_idle && rd_idle) begin
              state_reg <= S_DONE;
            end
          end

          S_ABORT: begin
            if (rd_idle && wr_idle) begin
              cnt_reg   <= 2'd0;
              state_reg <= S_DPRST;
            end
          end

          S_DPRST: begin
            cnt_reg <= cnt_reg + 2'd1;
            if (cnt_reg == 2'd1)
              state_reg <= S_DONE;
          end

          S_DONE: begin
            done_reg  <= 1'b1;
            state_reg <= S_IDLE;
          end

          default: state_reg <= S_IDLE;
        endcase
      end
    end
  end

endmodule // kg_layer_ctrl
`default_nettype wire
