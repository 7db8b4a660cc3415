//======================================================================
// kg_auth.v
// ---------
// The VERIFY pass of docs/spec.md 11.1. On `start` (an accepted VERIFY,
// kg_keyvault) it
//   1. derives the model keys with the device key Kd: the CMAC subkey
//      L = AES_Kd(0), then for Ke, Km and Ms every PRF block
//        K(i) = CMAC_Kd(be32(i) || Label || 00 || nonce || be32(L))
//      (two cipher calls each: the PRF input is exactly two blocks);
//   2. has the decrypt unit reload with Km, computes AES_Km(0) and then the
//      CMAC of the MODEL_LEN bytes at MODEL_ADDR, read once through its
//      own DMA read port (prefetched from the start of the pass);
//   3. compares the tag with TAG_EXP, records the model's SIGN, crypt and
//      section offsets from the image (docs/spec.md 11.1, little-endian)
//      and, on a match, has the decrypt unit reload with Ke so the first
//      bound layer starts at once; on a mismatch with Kd.
// It answers every start with one `done` pulse and `res`:
//   0 match, 1 tag mismatch, 2 bus error on a read, 3 no result (no cipher
//   in this build, a wait past TIMEOUT cycles, or `stop`).
//
// The cipher is the decrypt unit's (kg_weight_decrypt one-block port):
// want_src asks kg_dec_keysel for the key (0 Kd, 1 Ke, 2 Km); key_ok says
// the unit holds it and is ready; blk_start/blk_in issue one block,
// blk_valid/blk_out return it (sampled from the cycle after blk_start).
// port_lost: the unit was reset or zeroized, a block in flight is gone.
//
// The derived keys (ke, km, ms) never reach the register bus. They are
// cleared by reset, zeroize, the start of every VERIFY, and when a VERIFY
// does not match; Km also once the tag is computed.
//
// After `stop` or a bus error no new read is issued; the beats already
// asked for are taken and dropped, and a block in flight is waited for,
// before `done`, so the next user of the read channel and of the cipher
// sees none of them.
//======================================================================
`default_nettype none

module kg_auth #(
  parameter ROWS    = 4,
  parameter COLS    = 4,
  parameter CTR_EN  = 1,       // 0: the decrypt unit has no cipher
  parameter TIMEOUT = 4095,    // cycles a key load or a cipher call may take
  parameter FIFO_D  = 16       // beats of image prefetch
) (
  input  wire                   clk,
  input  wire                   reset_n,

  input  wire                   start,
  input  wire                   stop,
  input  wire                   zeroize,
  output wire                   done,
  output wire [1 : 0]           res,

  input  wire [31 : 0]          model_addr,
  input  wire [31 : 0]          model_len,
  input  wire [127 : 0]         tag_exp,
  input  wire [95 : 0]          nonce,
  input  wire [1 : 0]           key_len,

  // Key selection and the decrypt unit's one-block port.
  output wire                   want_en,
  output wire [1 : 0]           want_src,
  input  wire                   key_ok,
  output wire                   blk_start,
  output wire [127 : 0]         blk_in,
  input  wire                   blk_valid,
  input  wire [127 : 0]         blk_out,
  input  wire                   port_lost,

  // DMA read port.
  output wire                   rd_req_valid,
  input  wire                   rd_req_ready,
  output wire [31 : 0]          rd_req_addr,
  output wire [8 : 0]           rd_req_beats,
  input  wire                   rsp_valid,
  output wire                   rsp_ready,
  input  wire [127 : 0]         rsp_data,
  input  wire                   rsp_err,

  // Derived state (never readable) and the authenticated model.
  output wire [255 : 0]         ke,
  output wire [255 : 0]         km,
  output wire [ROWS*COLS-1 : 0] ms,
  output wire                   m_sign,
  output wire [7 : 0]           m_crypt,
  output wire [31 : 0]          m_poff,
  output wire [31 : 0]          m_psize,
  output wire [31 : 0]          m_woff,
  output wire [31 : 0]          m_wsize
);

  //----------------------------------------------------------------
  // Parameters and constants.
  //----------------------------------------------------------------
  localparam SK_BITS  = ROWS * COLS;
  localparam SK_BYTES = (SK_BITS + 7) / 8;
  localparam NSB      = (SK_BYTES + 15) / 16;          // PRF blocks of Ms
  localparam TMR_W    = $clog2(TIMEOUT + 1);
  localparam FW       = $clog2(FIFO_D + 1);

  localparam integer TMO_I  = TIMEOUT;
  localparam [TMR_W-1 : 0] TMO = TMO_I[TMR_W-1 : 0];
  localparam integer SLB_I  = 8 * SK_BYTES;
  localparam [31 : 0] SGN_LBITS = SLB_I;
  localparam integer NSB_I  = NSB;
  localparam [7 : 0]  NSB_8 = NSB_I[7 : 0];
  localparam integer FD_I   = FIFO_D;
  localparam [31 : 0] FD_32 = FD_I;
  localparam [31 : 0] FD_HALF = (FD_I > 1) ? FD_I / 2 : 1;

  localparam [1 : 0] SRC_DEV = 2'd0;
  localparam [1 : 0] SRC_KE  = 2'd1;
  localparam [1 : 0] SRC_KM  = 2'd2;

  localparam [1 : 0] RES_MATCH    = 2'd0;
  localparam [1 : 0] RES_MISMATCH = 2'd1;
  localparam [1 : 0] RES_BUS      = 2'd2;
  localparam [1 : 0] RES_NONE     = 2'd3;

  localparam [87 : 0] LABEL_ENC = "kgmac-enc-1";
  localparam [87 : 0] LABEL_MAC = "kgmac-mac-1";
  localparam [87 : 0] LABEL_SGN = "kgmac-sgn-1";

  localparam [2 : 0] S_IDLE  = 3'd0;
  localparam [2 : 0] S_KEY   = 3'd1;   // wait until the unit holds want_src
  localparam [2 : 0] S_ISSUE = 3'd2;   // blk_start
  localparam [2 : 0] S_WAIT  = 3'd3;   // wait for the block
  localparam [2 : 0] S_BEAT  = 3'd4;   // wait for the next image beat
  localparam [2 : 0] S_FINAL = 3'd5;   // reload the key layers will use
  localparam [2 : 0] S_DRAIN = 3'd6;   // abort: drain reads and the cipher
  localparam [2 : 0] S_DONE  = 3'd7;

  localparam [1 : 0] PH_SUBD = 2'd0;   // AES_Kd(0)
  localparam [1 : 0] PH_KDF  = 2'd1;   // PRF blocks of Ke, Km, Ms
  localparam [1 : 0] PH_SUBM = 2'd2;   // AES_Km(0)
  localparam [1 : 0] PH_MAC  = 2'd3;   // CMAC of the image

  localparam [1 : 0] LAB_ENC = 2'd0;
  localparam [1 : 0] LAB_MAC = 2'd1;
  localparam [1 : 0] LAB_SGN = 2'd2;

  generate
    if (SK_BITS < 1 || NSB > 8) begin : g_bad_geom
      kg_auth_ROWS_times_COLS_must_be_1_to_1024 u_bad ();
    end
    if (FIFO_D < 2 || FIFO_D > 256 || (1 << $clog2(FIFO_D)) != FIFO_D) begin : g_bad_fifo
      kg_auth_FIFO_D_must_be_a_power_of_2_from_2_to_256 u_bad ();
    end
  endgenerate

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [2 : 0]          state_reg;
  reg [2 : 0]          state_new;
  reg [1 : 0]          phase_reg;
  reg [1 : 0]          phase_new;
  reg [1 : 0]          lab_reg;
  reg [1 : 0]          lab_new;
  reg [7 : 0]          cnt_reg;          // PRF counter i (from 1)
  reg [7 : 0]          cnt_new;
  reg                  half_reg;         // second block of the PRF input
  reg                  half_new;
  reg                  seq_we;
  reg [1 : 0]          src_reg;
  reg [1 : 0]          src_new;
  reg                  src_we;
  reg [1 : 0]          res_reg;
  reg [1 : 0]          res_new;
  reg                  res_we;
  reg [127 : 0]        blk_reg;          // next block to encrypt
  reg [127 : 0]        blk_new;
  reg                  blk_we;
  reg [127 : 0]        x_reg;            // CMAC chaining value
  reg [127 : 0]        x_new;
  reg                  x_we;
  reg [127 : 0]        k1_reg;           // CMAC subkey K1 of the current key
  reg [127 : 0]        k1_new;
  reg                  k1_we;
  reg                  pend_reg;         // a block is in the cipher
  reg                  pend_new;
  reg [TMR_W-1 : 0]    tmr_reg;
  reg [TMR_W-1 : 0]    tmr_new;
  reg [31 : 0]         beat_reg;         // image beats taken by the CMAC
  reg [31 : 0]         beat_new;
  reg                  beat_we;

  reg [255 : 0]        ke_reg;
  reg [255 : 0]        ke_new;
  reg                  ke_we;
  reg [255 : 0]        km_reg;
  reg [255 : 0]        km_new;
  reg                  km_we;
  reg [NSB*128-1 : 0]  ms_reg;
  reg [NSB*128-1 : 0]  ms_new;
  reg                  ms_we;

  reg                  m_sign_reg;
  reg [7 : 0]          m_crypt_reg;
  reg [31 : 0]         m_poff_reg;
  reg [31 : 0]         m_psize_reg;
  reg [31 : 0]         m_woff_reg;
  reg [31 : 0]         m_wsize_reg;
  reg                  f0_we;            // fields of beat 0, 1, 4, 5
  reg                  f1_we;
  reg                  f4_we;
  reg                  f5_we;

  // Image reads.
  reg                  rq_act_reg;
  reg                  rq_act_new;
  reg [31 : 0]         rq_addr_reg;
  reg [31 : 0]         rq_addr_new;
  reg [31 : 0]         rq_left_reg;      // beats still to request
  reg [31 : 0]         rq_left_new;
  reg                  rq_we;
  reg [FW-1 : 0]       resv_reg;         // beats asked for, not yet arrived
  reg [FW-1 : 0]       resv_new;

  reg                  done_reg;
  reg                  done_new;

  //----------------------------------------------------------------
  // Image read path: bursts only when the FIFO has room for all of them,
  // at most half the FIFO each, so the next burst is asked for while the
  // cipher still works on the previous one (no read-latency gap per burst).
  //----------------------------------------------------------------
  wire [8 : 0]   burst;
  wire [31 : 0]  rq_cap = (rq_left_reg > FD_HALF) ? FD_HALF : rq_left_reg;
  kg_burst_split split (.addr(rq_addr_reg), .left(rq_cap), .beats(burst));

  wire [FW-1 : 0] fcount;
  wire            f_in_ready;
  wire            f_out_valid;
  wire [127 : 0]  f_out_data;
  reg             f_pop;

  wire [31 : 0] need = {23'h0, burst} + {{(32-FW){1'b0}}, resv_reg} +
                       {{(32-FW){1'b0}}, fcount};
  wire draining  = (state_reg == S_DRAIN);
  wire req_fire  = rd_req_valid & rd_req_ready;
  wire rsp_fire  = rsp_valid & rsp_ready;
  wire bus_error = rsp_fire & rsp_err & ~draining;

  assign rd_req_valid = rq_act_reg & (need <= FD_32) & ~draining;
  assign rd_req_addr  = rq_addr_reg;
  assign rd_req_beats = burst;
  assign rsp_ready    = draining | f_in_ready;

  // The FIFO is emptied whenever no VERIFY runs.
  kg_fifo #(.WIDTH(128), .DEPTH(FIFO_D)) fifo (
    .clk(clk), .reset_n(reset_n & (state_reg != S_IDLE)),
    .in_valid(rsp_valid & ~rsp_err & ~draining), .in_ready(f_in_ready), .in_data(rsp_data),
    .out_valid(f_out_valid), .out_ready(f_pop), .out_data(f_out_data), .count(fcount));

  //----------------------------------------------------------------
  // Outputs.
  //----------------------------------------------------------------
  assign done      = done_reg;
  assign res       = res_reg;
  assign want_en   = (state_reg == S_KEY) || (state_reg == S_FINAL) ||
                     (state_reg == S_ISSUE) || (state_reg == S_WAIT) ||
                     (state_reg == S_BEAT);
  assign want_src  = src_reg;
  assign blk_start = (state_reg == S_ISSUE);
  assign blk_in    = blk_reg;
  assign ke        = ke_reg;
  assign km        = km_reg;
  assign m_sign    = m_sign_reg;
  assign m_crypt   = m_crypt_reg;
  assign m_poff    = m_poff_reg;
  assign m_psize   = m_psize_reg;
  assign m_woff    = m_woff_reg;
  assign m_wsize   = m_wsize_reg;

  // Ms bit i = bit (i mod 8) of KDF output byte i / 8 (byte 0 first).
  genvar gi;
  generate
    for (gi = 0; gi < SK_BITS; gi = gi + 1) begin : g_ms
      assign ms[gi] = ms_reg[NSB*128 - 8 - 8*(gi/8) + (gi%8)];
    end
  endgenerate
  /* verilator lint_off UNUSEDSIGNAL */
  wire _unused_ms = &{1'b0, ms_reg};
  /* verilator lint_on UNUSEDSIGNAL */

  //----------------------------------------------------------------
  // Helpers.
  //----------------------------------------------------------------
  // CMAC subkey doubling (SP 800-38B 6.1).
  function [127 : 0] dbl(input [127 : 0] v);
    dbl = {v[126 : 0], 1'b0} ^ (v[127] ? 128'h87 : 128'h0);
  endfunction

  // A DMA beat (byte 0 in bits 7:0) as a cipher block (byte 0 in 127:120).
  function [127 : 0] beat_block(input [127 : 0] d);
    integer j;
    begin
      for (j = 0; j < 16; j = j + 1)
        beat_block[127 - 8*j -: 8] = d[8*j +: 8];
    end
  endfunction

  wire [87 : 0]  label  = (lab_reg == LAB_ENC) ? LABEL_ENC :
                          (lab_reg == LAB_MAC) ? LABEL_MAC : LABEL_SGN;
  wire [31 : 0]  key_lbits = (key_len == 2'd0) ? 32'd128 :
                             (key_len == 2'd1) ? 32'd192 : 32'd256;
  wire [7 : 0]   key_blocks = (key_len == 2'd0) ? 8'd1 : 8'd2;
  wire [31 : 0]  lbits  = (lab_reg == LAB_SGN) ? SGN_LBITS : key_lbits;
  wire [7 : 0]   nblk   = (lab_reg == LAB_SGN) ? NSB_8 : key_blocks;
  wire [127 : 0] prf_b2 = {nonce, lbits};
  wire [31 : 0]  n_beats = {4'h0, model_len[31 : 4]};
  wire           last_beat = (beat_reg + 32'd1 == n_beats);
  wire [127 : 0] beat_blk  = beat_block(f_out_data);
  wire [7 : 0]   ms_idx    = cnt_reg - 8'd1;
  wire [2 : 0]   ms_slot   = ms_idx[2 : 0];     // PRF block i of Ms at slot i - 1
  // MODEL_LEN is a multiple of 16 (kg_keyvault checks it).
  wire _unused_len = &{1'b0, model_len[3 : 0], ms_idx[7 : 3]};

  // Bits of a key past its length are 0 (as in the vault's AES_KEY*).
  wire [255 : 0] key_mask = (key_len == 2'd0) ? {{128{1'b1}}, 128'h0} :
                            (key_len == 2'd1) ? {{192{1'b1}}, 64'h0} : {256{1'b1}};

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      state_reg   <= S_IDLE;
      phase_reg   <= PH_SUBD;
      lab_reg     <= LAB_ENC;
      cnt_reg     <= 8'h0;
      half_reg    <= 1'b0;
      src_reg     <= SRC_DEV;
      res_reg     <= RES_NONE;
      blk_reg     <= 128'h0;
      x_reg       <= 128'h0;
      k1_reg      <= 128'h0;
      pend_reg    <= 1'b0;
      tmr_reg     <= {TMR_W{1'b0}};
      beat_reg    <= 32'h0;
      ke_reg      <= 256'h0;
      km_reg      <= 256'h0;
      ms_reg      <= {NSB*128{1'b0}};
      m_sign_reg  <= 1'b0;
      m_crypt_reg <= 8'h0;
      m_poff_reg  <= 32'h0;
      m_psize_reg <= 32'h0;
      m_woff_reg  <= 32'h0;
      m_wsize_reg <= 32'h0;
      rq_act_reg  <= 1'b0;
      rq_addr_reg <= 32'h0;
      rq_left_reg <= 32'h0;
      resv_reg    <= {FW{1'b0}};
      done_reg    <= 1'b0;
    end else begin
      state_reg <= state_new;
      if (seq_we) begin
        phase_reg <= phase_new;
        lab_reg   <= lab_new;
        cnt_reg   <= cnt_new;
        half_reg  <= half_new;
      end
      if (src_we)  src_reg  <= src_new;
      if (res_we)  res_reg  <= res_new;
      if (blk_we)  blk_reg  <= blk_new;
      if (x_we)    x_reg    <= x_new;
      if (k1_we)   k1_reg   <= k1_new;
      pend_reg <= pend_new;
      tmr_reg  <= tmr_new;
      if (beat_we) beat_reg <= beat_new;
      if (ke_we)   ke_reg   <= ke_new;
      if (km_we)   km_reg   <= km_new;
      if (ms_we)   ms_reg   <= ms_new;
      if (f0_we)   m_sign_reg  <= f_out_data[64];
      if (f1_we)   m_crypt_reg <= f_out_data[39 : 32];
      if (f4_we) begin
        m_poff_reg  <= f_out_data[95 : 64];
        m_psize_reg <= f_out_data[127 : 96];
      end
      if (f5_we) begin
        m_woff_reg  <= f_out_data[31 : 0];
        m_wsize_reg <= f_out_data[63 : 32];
      end
      if (rq_we) begin
        rq_act_reg  <= rq_act_new;
        rq_addr_reg <= rq_addr_new;
        rq_left_reg <= rq_left_new;
      end
      resv_reg <= resv_new;
      done_reg <= done_new;
    end
  end

  //----------------------------------------------------------------
  // auth_logic
  //----------------------------------------------------------------
  reg wiped;       // clear the derived keys this cycle
  reg to_drain;    // stop: abort, bus error or timeout

  always @* begin : auth_logic
    state_new   = state_reg;
    phase_new   = phase_reg;
    lab_new     = lab_reg;
    cnt_new     = cnt_reg;
    half_new    = half_reg;
    seq_we      = 1'b0;
    src_new     = src_reg;
    src_we      = 1'b0;
    res_new     = res_reg;
    res_we      = 1'b0;
    blk_new     = blk_reg;
    blk_we      = 1'b0;
    x_new       = x_reg;
    x_we        = 1'b0;
    k1_new      = k1_reg;
    k1_we       = 1'b0;
    pend_new    = pend_reg;
    tmr_new     = {TMR_W{1'b0}};
    beat_new    = beat_reg;
    beat_we     = 1'b0;
    ke_new      = ke_reg;
    ke_we       = 1'b0;
    km_new      = km_reg;
    km_we       = 1'b0;
    ms_new      = ms_reg;
    ms_we       = 1'b0;
    f0_we       = 1'b0;
    f1_we       = 1'b0;
    f4_we       = 1'b0;
    f5_we       = 1'b0;
    f_pop       = 1'b0;
    rq_act_new  = rq_act_reg;
    rq_addr_new = rq_addr_reg;
    rq_left_new = rq_left_reg;
    rq_we       = 1'b0;
    resv_new    = resv_reg;
    done_new    = 1'b0;
    wiped       = 1'b0;
    to_drain    = 1'b0;

    // Reads in flight.
    case ({req_fire, rsp_fire})
      2'b10:   resv_new = resv_reg + burst[FW-1 : 0];
      2'b01:   resv_new = resv_reg - 1'b1;
      2'b11:   resv_new = resv_reg + burst[FW-1 : 0] - 1'b1;
      default: resv_new = resv_reg;
    endcase
    if (req_fire) begin
      rq_we       = 1'b1;
      rq_addr_new = rq_addr_reg + {19'h0, burst, 4'h0};
      rq_left_new = rq_left_reg - {23'h0, burst};
      rq_act_new  = (rq_left_reg != {23'h0, burst});
    end

    // The block in flight.
    if (blk_valid && state_reg != S_ISSUE)
      pend_new = 1'b0;
    if (port_lost)
      pend_new = 1'b0;

    case (state_reg)
      S_IDLE: begin
        if (start) begin
          wiped   = 1'b1;
          res_new = RES_NONE;
          res_we  = 1'b1;
          if (CTR_EN == 0) begin
            state_new = S_DONE;
          end else begin
            state_new   = S_KEY;
            phase_new   = PH_SUBD;
            lab_new     = LAB_ENC;
            cnt_new     = 8'd1;
            half_new    = 1'b0;
            seq_we      = 1'b1;
            src_new     = SRC_DEV;
            src_we      = 1'b1;
            blk_new     = 128'h0;
            blk_we      = 1'b1;
            beat_new    = 32'h0;
            beat_we     = 1'b1;
            rq_act_new  = 1'b1;
            rq_addr_new = model_addr;
            rq_left_new = n_beats;
            rq_we       = 1'b1;
          end
        end
      end

      S_KEY: begin
        tmr_new = tmr_reg + 1'b1;
        if (key_ok)
          state_new = S_ISSUE;
        else if (tmr_reg == TMO)
          to_drain = 1'b1;
      end

      S_ISSUE: begin
        pend_new  = 1'b1;
        state_new = S_WAIT;
      end

      S_WAIT: begin
        tmr_new = tmr_reg + 1'b1;
        if (blk_valid) begin
          case (phase_reg)
            PH_SUBD: begin
              k1_new    = dbl(blk_out);
              k1_we     = 1'b1;
              phase_new = PH_KDF;
              seq_we    = 1'b1;
              blk_new   = {32'd1, LABEL_ENC, 8'h00};
              blk_we    = 1'b1;
              state_new = S_ISSUE;
            end
            PH_KDF: begin
              if (!half_reg) begin
                blk_new   = blk_out ^ prf_b2 ^ k1_reg;
                blk_we    = 1'b1;
                half_new  = 1'b1;
                seq_we    = 1'b1;
                state_new = S_ISSUE;
              end else begin
                // K(i) of the current label.
                case (lab_reg)
                  LAB_ENC: begin
                    ke_new[255 - 128*(cnt_reg[0] ? 0 : 1) -: 128] = blk_out;
                    ke_we = 1'b1;
                  end
                  LAB_MAC: begin
                    km_new[255 - 128*(cnt_reg[0] ? 0 : 1) -: 128] = blk_out;
                    km_we = 1'b1;
                  end
                  default: begin
                    ms_new[NSB*128 - 1 - 128*ms_slot -: 128] = blk_out;
                    ms_we = 1'b1;
                  end
                endcase
                seq_we   = 1'b1;
                half_new = 1'b0;
                if (cnt_reg != nblk) begin
                  cnt_new   = cnt_reg + 8'd1;
                  blk_new   = {24'h0, cnt_reg + 8'd1, label, 8'h00};
                  blk_we    = 1'b1;
                  state_new = S_ISSUE;
                end else if (lab_reg != LAB_SGN) begin
                  lab_new   = lab_reg + 2'd1;
                  cnt_new   = 8'd1;
                  blk_new   = {32'd1, (lab_reg == LAB_ENC) ? LABEL_MAC : LABEL_SGN, 8'h00};
                  blk_we    = 1'b1;
                  state_new = S_ISSUE;
                end else begin
                  // Keys past their length are 0; then the tag key.
                  ke_new    = ke_reg & key_mask;
                  ke_we     = 1'b1;
                  km_new    = km_reg & key_mask;
                  km_we     = 1'b1;
                  phase_new = PH_SUBM;
                  src_new   = SRC_KM;
                  src_we    = 1'b1;
                  blk_new   = 128'h0;
                  blk_we    = 1'b1;
                  state_new = S_KEY;
                end
              end
            end
            PH_SUBM: begin
              k1_new    = dbl(blk_out);
              k1_we     = 1'b1;
              x_new     = 128'h0;
              x_we      = 1'b1;
              phase_new = PH_MAC;
              seq_we    = 1'b1;
              state_new = S_BEAT;
            end
            default: begin                     // PH_MAC
              x_new    = blk_out;
              x_we     = 1'b1;
              beat_new = beat_reg + 32'd1;
              beat_we  = 1'b1;
              if (last_beat) begin
                // The tag: Km has done its work.
                km_new  = 256'h0;
                km_we   = 1'b1;
                res_new = (blk_out == tag_exp) ? RES_MATCH : RES_MISMATCH;
                res_we  = 1'b1;
                src_new = (blk_out == tag_exp) ? SRC_KE : SRC_DEV;
                src_we  = 1'b1;
                if (blk_out != tag_exp)
                  wiped = 1'b1;
                state_new = S_FINAL;
              end else begin
                state_new = S_BEAT;
              end
            end
          endcase
        end else if (tmr_reg == TMO) begin
          to_drain = 1'b1;
        end
      end

      S_BEAT: begin
        if (f_out_valid) begin
          f_pop     = 1'b1;
          blk_new   = x_reg ^ beat_blk ^ (last_beat ? k1_reg : 128'h0);
          blk_we    = 1'b1;
          f0_we     = (beat_reg == 32'd0);
          f1_we     = (beat_reg == 32'd1);
          f4_we     = (beat_reg == 32'd4);
          f5_we     = (beat_reg == 32'd5);
          state_new = S_ISSUE;
        end
      end

      S_FINAL: begin
        tmr_new = tmr_reg + 1'b1;
        if (key_ok || tmr_reg == TMO)
          state_new = S_DONE;
      end

      S_DRAIN: begin
        tmr_new = tmr_reg + 1'b1;
        if (tmr_reg == TMO)
          pend_new = 1'b0;
        if (resv_reg == {FW{1'b0}} && !pend_reg && !req_fire)
          state_new = S_DONE;
      end

      default: begin                           // S_DONE
        done_new  = 1'b1;
        state_new = S_IDLE;
      end
    endcase

    // Abort, bus error or timeout: drain what is in flight, then answer.
    if (state_reg != S_IDLE && state_reg != S_DRAIN && state_reg != S_DONE &&
        (stop || bus_error || to_drain)) begin
      to_drain  = 1'b1;
      wiped     = 1'b1;
      res_new   = bus_error ? RES_BUS : RES_NONE;
      res_we    = 1'b1;
      state_new = S_DRAIN;
      tmr_new   = {TMR_W{1'b0}};
      rq_act_new = 1'b0;
      rq_we      = 1'b1;
    end

    if (wiped || zeroize) begin
      ke_new = 256'h0;
      ke_we  = 1'b1;
      km_new = 256'h0;
      km_we  = 1'b1;
      ms_new = {NSB*128{1'b0}};
      ms_we  = 1'b1;
    end
  end

endmodule // kg_auth
`default_nettype wire
