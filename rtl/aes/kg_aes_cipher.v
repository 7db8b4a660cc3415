`default_nettype none
// kg_aes_cipher: AES forward cipher, 128/192/256-bit keys chosen at run time.
//
// PIPELINED = 0: iterative, one round per cycle.  A block is accepted when
//   in_ready is 1 and leaves Nr+1 cycles later; in_ready is 0 meanwhile, so
//   throughput is one block per Nr+1 cycles (11/13/15).  16 S-boxes.
// PIPELINED = 1: fully unrolled, 15 register stages (AddRoundKey, then one
//   stage per round).  in_ready = key_ready: one block per cycle; a block
//   leaves Nr+1 cycles after it entered.  14 x 16 S-boxes.
//
// Key loading: a `key_load` pulse latches key/key_len and precomputes all
// round keys w[0 .. 4(Nr+1)-1] into registers with kg_aes_keyexp (4 words
// per cycle): key_ready rises 12 (AES-128), 14 (192) or 15 (256) cycles
// later.  key_load and zeroize drop every block in flight.  `zeroize`
// clears the round keys, the data path and key_ready.
//
// Data: in_block/out_block carry byte 0 in bits 127:120 (FIPS-197 order).
// The output has no back-pressure: out_valid is a one-cycle pulse, so a
// consumer must reserve room before it issues a block (see
// kg_weight_decrypt).  in_tag travels with the block to out_tag.
module kg_aes_cipher #(
  parameter PIPELINED = 1,
  parameter TAG_W     = 1
) (
  input  wire             clk,
  input  wire             reset_n,
  input  wire             zeroize,
  input  wire [255:0]     key,           // k[0] in bits 255:248
  input  wire [1:0]       key_len,       // 0: 128, 1: 192, 2: 256 (3: as 2)
  input  wire             key_load,
  output wire             key_ready,
  input  wire             in_valid,
  output wire             in_ready,
  input  wire [127:0]     in_block,
  input  wire [TAG_W-1:0] in_tag,
  output wire             out_valid,
  output wire [127:0]     out_block,
  output wire [TAG_W-1:0] out_tag
);

  localparam NRK_W = 60;                 // round-key words for Nr = 14

  //----------------------------------------------------------------
  // Round-key precomputation.
  //----------------------------------------------------------------
  reg [32*NRK_W-1:0] rk_reg;             // w[i] at [32i+31 : 32i]
  reg [32*NRK_W-1:0] rk_new;
  reg                rk_we;
  reg [1:0]          kl_reg;
  reg                kl_we;
  reg [5:0]          base_reg;           // index of the next group's first word
  reg [5:0]          base_new;
  reg                base_we;
  reg                exp_reg;            // expansion running
  reg                exp_new;
  reg                grp_reg;            // keyexp words hold a fresh group
  reg                grp_new;
  reg                ready_reg;
  reg                ready_new;
  reg                ctl_we;

  wire [127:0] grp;
  wire         ke_step = exp_reg;

  kg_aes_keyexp #(.WORDS(4)) u_keyexp (
    .clk       (clk),
    .reset_n   (reset_n),
    .zeroize   (zeroize),
    .load_key  (key_load),
    .key       (key),
    .key_len   (key_len),
    .restore   (1'b0),
    .state_in  ({267{1'b0}}),
    .step      (ke_step),
    /* verilator lint_off PINCONNECTEMPTY */
    .state_out (),                        // no checkpoints needed here
    /* verilator lint_on PINCONNECTEMPTY */
    .words     (grp)
  );

  wire [3:0] nr = (kl_reg == 2'd0) ? 4'd10 : (kl_reg == 2'd1) ? 4'd12 : 4'd14;
  wire [5:0] rk_words = {nr, 2'b00} + 6'd4;   // 4(Nr+1)

  always @(posedge clk) begin
    if (!reset_n) begin
      rk_reg    <= {32*NRK_W{1'b0}};
      kl_reg    <= 2'd0;
      base_reg  <= 6'd0;
      exp_reg   <= 1'b0;
      grp_reg   <= 1'b0;
      ready_reg <= 1'b0;
    end else begin
      if (rk_we)   rk_reg   <= rk_new;
      if (kl_we)   kl_reg   <= zeroize ? 2'd0 : key_len;
      if (base_we) base_reg <= base_new;
      if (ctl_we) begin
        exp_reg   <= exp_new;
        grp_reg   <= grp_new;
        ready_reg <= ready_new;
      end
    end
  end

  integer i;
  reg [5:0] off;
  always @* begin : key_ctrl
    off       = 6'd0;
    rk_we     = 1'b0;
    rk_new    = rk_reg;
    kl_we     = 1'b0;
    base_we   = 1'b0;
    base_new  = base_reg;
    ctl_we    = 1'b0;
    exp_new   = exp_reg;
    grp_new   = grp_reg;
    ready_new = ready_reg;

    if (zeroize) begin
      rk_we     = 1'b1;
      rk_new    = {32*NRK_W{1'b0}};
      kl_we     = 1'b1;
      base_we   = 1'b1;
      base_new  = 6'd0;
      ctl_we    = 1'b1;
      exp_new   = 1'b0;
      grp_new   = 1'b0;
      ready_new = 1'b0;
    end else if (key_load) begin
      // w[0..7] <= key words; for Nk < 8 the surplus is overwritten by the
      // expansion before key_ready.
      rk_we     = 1'b1;
      for (i = 0; i < 8; i = i + 1)
        rk_new[32*i +: 32] = key[255-32*i -: 32];
      kl_we     = 1'b1;
      base_we   = 1'b1;
      base_new  = (key_len == 2'd0) ? 6'd4 : (key_len == 2'd1) ? 6'd6 : 6'd8;
      ctl_we    = 1'b1;
      exp_new   = 1'b1;
      grp_new   = 1'b0;
      ready_new = 1'b0;
    end else if (exp_reg) begin
      ctl_we  = 1'b1;
      grp_new = 1'b1;                     // the step this cycle makes one
      if (grp_reg) begin
        rk_we = 1'b1;
        for (i = 0; i < NRK_W; i = i + 1) begin
          off = i[5:0] - base_reg;        // wraps high when i < base
          if (off < 6'd4)
            rk_new[32*i +: 32] = grp[32*off[1:0] +: 32];
        end
        base_we  = 1'b1;
        base_new = base_reg + 6'd4;
        if (base_reg + 6'd4 >= rk_words) begin
          exp_new   = 1'b0;
          grp_new   = 1'b0;
          ready_new = 1'b1;
        end
      end
    end
  end

  assign key_ready = ready_reg;

  // Round key r.
  function [127:0] rkey;
    input [32*NRK_W-1:0] rks;
    input [3:0]          r;
    begin
      rkey = {rks[32*(4*r)   +: 32], rks[32*(4*r+1) +: 32],
              rks[32*(4*r+2) +: 32], rks[32*(4*r+3) +: 32]};
    end
  endfunction

  wire flush = zeroize || key_load;

  //----------------------------------------------------------------
  // Data path.
  //----------------------------------------------------------------
  generate
    if (PIPELINED != 0) begin : g_pipe
      // Stage k holds the state after round k (stage 0: after the first
      // AddRoundKey).  Stage k computes the final round when k == Nr.
      reg [127:0]     st_reg  [0:14];
      reg [14:0]      v_reg;
      reg [TAG_W-1:0] tag_reg [0:14];
      wire [127:0]    mid     [1:14];
      wire [127:0]    fin     [1:14];

      genvar k;
      for (k = 1; k <= 14; k = k + 1) begin : g_round
        kg_aes_round u_round (
          .st  (st_reg[k-1]),
          .rk  (rkey(rk_reg, k[3:0])),
          .mid (mid[k]),
          .fin (fin[k])
        );
      end

      integer s;
      always @(posedge clk) begin
        if (!reset_n || zeroize) begin
          v_reg <= 15'd0;
          for (s = 0; s <= 14; s = s + 1) begin
            st_reg[s]  <= 128'h0;
            tag_reg[s] <= {TAG_W{1'b0}};
          end
        end else begin
          v_reg <= flush ? 15'd0 : {v_reg[13:0], in_valid && ready_reg};
          st_reg[0]  <= in_block ^ rkey(rk_reg, 4'd0);
          tag_reg[0] <= in_tag;
          for (s = 1; s <= 14; s = s + 1) begin
            st_reg[s]  <= (s[3:0] == nr) ? fin[s] : mid[s];
            tag_reg[s] <= tag_reg[s-1];
          end
        end
      end

      assign in_ready  = ready_reg;
      assign out_valid = v_reg[nr];
      assign out_block = st_reg[nr];
      assign out_tag   = tag_reg[nr];
    end else begin : g_iter
      reg [127:0]     st_reg;
      reg [127:0]     st_new;
      reg             st_we;
      reg [3:0]       round_reg;
      reg [3:0]       round_new;
      reg             busy_reg;
      reg             busy_new;
      reg             done_reg;
      reg             done_new;
      reg [TAG_W-1:0] tag_reg;
      reg             tag_we;
      wire [127:0]    mid;
      wire [127:0]    fin;

      kg_aes_round u_round (
        .st  (st_reg),
        .rk  (rkey(rk_reg, round_reg)),
        .mid (mid),
        .fin (fin)
      );

      always @(posedge clk) begin
        if (!reset_n) begin
          st_reg    <= 128'h0;
          round_reg <= 4'd0;
          busy_reg  <= 1'b0;
          done_reg  <= 1'b0;
          tag_reg   <= {TAG_W{1'b0}};
        end else begin
          if (st_we) st_reg <= st_new;
          round_reg <= round_new;
          busy_reg  <= busy_new;
          done_reg  <= done_new;
          if (tag_we) tag_reg <= zeroize ? {TAG_W{1'b0}} : in_tag;
        end
      end

      wire accept = in_valid && ready_reg && !busy_reg;

      always @* begin : iter_ctrl
        st_we     = 1'b0;
        st_new    = st_reg;
        round_new = round_reg;
        busy_new  = busy_reg;
        done_new  = 1'b0;
        tag_we    = 1'b0;
        if (flush) begin
          st_we     = 1'b1;
          st_new    = 128'h0;
          round_new = 4'd0;
          busy_new  = 1'b0;
          tag_we    = zeroize;
        end else if (busy_reg) begin
          st_we     = 1'b1;
          st_new    = (round_reg == nr) ? fin : mid;
          round_new = round_reg + 4'd1;
          if (round_reg == nr) begin
            busy_new = 1'b0;
            done_new = 1'b1;
          end
        end else if (accept) begin
          st_we     = 1'b1;
          st_new    = in_block ^ rkey(rk_reg, 4'd0);
          round_new = 4'd1;
          busy_new  = 1'b1;
          tag_we    = 1'b1;
        end
      end

      assign in_ready  = ready_reg && !busy_reg;
      assign out_valid = done_reg;
      assign out_block = st_reg;
      assign out_tag   = tag_reg;
    end
  endgenerate

endmodule
`default_nettype wire
