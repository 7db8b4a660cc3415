//======================================================================
// kg_array.v
// ----------
// Weight-stationary ROWS x COLS systolic int8 MAC array with an HPNN sign
// key bit per PE, input skew, output de-skew, double-buffered weights and
// valid/ready handshakes on every port.
//
// Ports (see docs/array.md for the full protocol):
//  Weights  w_*: one tile = ROWS beats; beat r carries W[k0+r][n0+c] in
//                w_data[8c+7:8c] for c = 0..COLS-1. Weights are int8 in
//                [-127, 127], already sign-locked.
//  Acts     a_*: one beat = one row m of the activation slice:
//                a_data[8r+7:8r] = A[m][k0+r]. a_last marks the last row
//                that uses the current weight tile. a_user is carried
//                through unchanged to r_user.
//  Results  r_*: one beat per activation beat, in order:
//                r_data[32c+31:32c] = sum_r A[m][k0+r] * W'[k0+r][n0+c]
//                where W' is W with the sign key applied.
//  key_s:        bit (r*COLS + c) is the sign-key bit of PE(r, c).
//
// Tiles are consumed in order: the i-th weight tile is used by the
// activation beats up to and including the i-th a_last.
//
// Key gating (KEYGATE = 1):
//  KEY_IN_PE = 0 (default): the key is folded into the weight as it is
//    loaded: PE(r, c) receives -w when key_s[r][c] = 1. One conditional
//    negator per column, shared by all rows. A weight of -128 (which never
//    occurs in a locked model) is left as -128.
//  KEY_IN_PE = 1: every PE negates its product with XOR and carry-in.
// KEYGATE = 0 removes all key logic; key_s is ignored.
//
// Flow control: the whole pipeline advances together (adv) whenever the
// output register is empty or being read. Idle cycles travel as bubbles.
//======================================================================
`default_nettype none

module kg_array #(
  parameter ROWS      = 4,
  parameter COLS      = 4,
  parameter KEYGATE   = 1,
  parameter KEY_IN_PE = 0,
  parameter USER_W    = 2
) (
  input  wire                       clk,
  input  wire                       reset_n,

  input  wire [ROWS*COLS-1 : 0]     key_s,

  input  wire                       w_valid,
  output wire                       w_ready,
  input  wire [COLS*8-1 : 0]        w_data,

  input  wire                       a_valid,
  output wire                       a_ready,
  input  wire [ROWS*8-1 : 0]        a_data,
  input  wire                       a_last,
  input  wire [USER_W-1 : 0]        a_user,

  output wire                       r_valid,
  input  wire                       r_ready,
  output wire [COLS*32-1 : 0]       r_data,
  output wire                       r_last,
  output wire [USER_W-1 : 0]        r_user,

  output wire                       idle
);

  //----------------------------------------------------------------
  // Parameters and derived widths.
  //----------------------------------------------------------------
  localparam TAG_W   = USER_W + 2;           // {user, last, valid}
  localparam LAT     = ROWS + COLS;          // accept edge -> output edge
  // After a swap token enters, shadow row r may be rewritten once the token
  // has passed PE(r, COLS-1), r + COLS advances later. Rows load in order,
  // one per advance, so waiting COLS advances before row 0 is enough.
  localparam HOLD    = COLS;
  localparam ROW_W   = (ROWS > 1) ? $clog2(ROWS) : 1;
  localparam HOLD_W  = $clog2(HOLD + 1);

  localparam integer        LAST_ROW_I = ROWS - 1;
  localparam [ROW_W-1 : 0]  LAST_ROW   = LAST_ROW_I[ROW_W-1 : 0];
  localparam integer        HOLD_I     = HOLD;
  localparam [HOLD_W-1 : 0] HOLD_INIT  = HOLD_I[HOLD_W-1 : 0];

  //----------------------------------------------------------------
  // Control registers.
  //----------------------------------------------------------------
  reg                  shd_full_reg;     // shadow holds a complete tile
  reg                  shd_full_new;
  reg                  shd_full_we;
  reg                  act_ok_reg;       // active weights belong to the next slot's tile
  reg                  act_ok_new;
  reg                  act_ok_we;
  reg [ROW_W-1 : 0]    ld_row_reg;       // next shadow row to load
  reg [ROW_W-1 : 0]    ld_row_new;
  reg                  ld_row_we;
  reg [HOLD_W-1 : 0]   hold_reg;         // adv cycles until the shadow is free
  reg [HOLD_W-1 : 0]   hold_new;
  reg                  hold_we;

  // Registered weight broadcast (one row per cycle).
  reg                  wb_we_reg;
  reg [ROW_W-1 : 0]    wb_row_reg;
  reg [COLS*8-1 : 0]   wb_data_reg;
  reg [COLS*8-1 : 0]   wb_data_new;

  // Tag delay line: one entry per pipeline stage, LAT+1 entries.
  reg [TAG_W-1 : 0]    tag_reg [0 : LAT];

  // Swap token issued into the array this cycle.
  reg                  slot_swap;

  wire adv;
  wire w_fire;
  wire a_fire;

  //----------------------------------------------------------------
  // Handshakes.
  //----------------------------------------------------------------
  assign adv     = r_ready | ~tag_reg[LAT][0];
  assign w_ready = ~shd_full_reg & (hold_reg == {HOLD_W{1'b0}}) & adv;
  assign w_fire  = w_valid & w_ready;
  assign a_ready = adv & act_ok_reg;
  assign a_fire  = a_valid & a_ready;

  assign r_valid = tag_reg[LAT][0];
  assign r_last  = tag_reg[LAT][1];
  assign r_user  = tag_reg[LAT][TAG_W-1 : 2];

  integer ti;
  reg     pipe_busy;
  always @* begin : idle_logic
    pipe_busy = 1'b0;
    for (ti = 0; ti <= LAT; ti = ti + 1)
      pipe_busy = pipe_busy | tag_reg[ti][0];
  end
  assign idle = ~pipe_busy & ~shd_full_reg & (hold_reg == {HOLD_W{1'b0}});

  //----------------------------------------------------------------
  // reg_update: control and tag line.
  //----------------------------------------------------------------
  integer i;
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      shd_full_reg <= 1'b0;
      act_ok_reg   <= 1'b0;
      ld_row_reg   <= {ROW_W{1'b0}};
      hold_reg     <= {HOLD_W{1'b0}};
      wb_we_reg    <= 1'b0;
      wb_row_reg   <= {ROW_W{1'b0}};
      wb_data_reg  <= {COLS*8{1'b0}};
      for (i = 0; i <= LAT; i = i + 1)
        tag_reg[i] <= {TAG_W{1'b0}};
    end else begin
      if (shd_full_we) shd_full_reg <= shd_full_new;
      if (act_ok_we)   act_ok_reg   <= act_ok_new;
      if (ld_row_we)   ld_row_reg   <= ld_row_new;
      if (hold_we)     hold_reg     <= hold_new;

      wb_we_reg   <= w_fire;
      wb_row_reg  <= ld_row_reg;
      wb_data_reg <= wb_data_new;

      if (adv) begin
        tag_reg[0] <= {a_user, a_last, a_fire};
        for (i = 1; i <= LAT; i = i + 1)
          tag_reg[i] <= tag_reg[i-1];
      end
    end
  end

  //----------------------------------------------------------------
  // issue_ctrl: what enters the array on this adv cycle.
  //  - a real activation beat when the active weights are right;
  //  - a swap bubble that activates a waiting shadow tile;
  //  - otherwise a plain bubble.
  // A beat with a_last carries the swap itself when the next tile is
  // already waiting, so back-to-back tiles have no bubble between them.
  //----------------------------------------------------------------
  always @* begin : issue_ctrl
    slot_swap    = 1'b0;
    act_ok_new   = act_ok_reg;
    act_ok_we    = 1'b0;
    shd_full_new = shd_full_reg;
    shd_full_we  = 1'b0;
    ld_row_new   = ld_row_reg;
    ld_row_we    = 1'b0;
    hold_new     = hold_reg;
    hold_we      = 1'b0;

    if (adv && hold_reg != {HOLD_W{1'b0}}) begin
      hold_new = hold_reg - 1'b1;
      hold_we  = 1'b1;
    end

    if (adv) begin
      if (a_fire) begin
        if (a_last) begin
          slot_swap  = shd_full_reg;
          act_ok_new = shd_full_reg;
          act_ok_we  = 1'b1;
        end
      end else if (!act_ok_reg && shd_full_reg) begin
        slot_swap  = 1'b1;
        act_ok_new = 1'b1;
        act_ok_we  = 1'b1;
      end
    end

    if (slot_swap) begin
      shd_full_new = 1'b0;
      shd_full_we  = 1'b1;
      hold_new     = HOLD_INIT;
      hold_we      = 1'b1;
    end

    if (w_fire) begin
      ld_row_we = 1'b1;
      if (ld_row_reg == LAST_ROW) begin
        ld_row_new   = {ROW_W{1'b0}};
        shd_full_new = 1'b1;
        shd_full_we  = 1'b1;
      end else begin
        ld_row_new = ld_row_reg + 1'b1;
      end
    end
  end

  //----------------------------------------------------------------
  // wload_fold: the weight row on its way to the shadow registers.
  // With KEYGATE and !KEY_IN_PE, column c is negated when the key bit of
  // PE(ld_row, c) is set.
  //----------------------------------------------------------------
  // The conditional negation uses the two's-complement identity
  //   (-w)[i] = w[i] XOR (w[i-1] | ... | w[0]),
  // gated by the key bit k:  out = w XOR ({8{k}} & (prefix_or(w) << 1)).
  // The prefix OR is written word-wide (log-depth), which keeps the
  // Verilated model fast and maps to about 14 LUT4s per column on iCE40,
  // key mux included: two thirds of what `k ? -w : w` costs (docs/array.md).
  integer c;
  reg       fold_k;
  reg [7:0] fold_w;
  reg [7:0] fold_m;
  always @* begin : wload_fold
    for (c = 0; c < COLS; c = c + 1) begin
      fold_k = (KEYGATE != 0 && KEY_IN_PE == 0) ? key_s[ld_row_reg*COLS + c] : 1'b0;
      fold_w = w_data[c*8 +: 8];
      fold_m = fold_w | {fold_w[6:0], 1'b0};
      fold_m = fold_m | {fold_m[5:0], 2'b0};
      fold_m = fold_m | {fold_m[3:0], 4'b0};
      wb_data_new[c*8 +: 8] = fold_w ^ ({8{fold_k}} & {fold_m[6:0], 1'b0});
    end
  end

  //----------------------------------------------------------------
  // Input skew: row r passes through r+1 registers; the first one is the
  // common input register.
  //----------------------------------------------------------------
  wire [8 : 0] row_in [0 : ROWS-1];     // {swap, act} entering column 0

  genvar r, cc;
  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_skew
      reg [8 : 0] sk_reg [0 : r];
      integer s;
      always @(posedge clk) begin : skew_update
        if (!reset_n) begin
          for (s = 0; s <= r; s = s + 1)
            sk_reg[s] <= 9'h0;
        end else if (adv) begin
          sk_reg[0] <= {slot_swap, a_data[r*8 +: 8]};
          for (s = 1; s <= r; s = s + 1)
            sk_reg[s] <= sk_reg[s-1];
        end
      end
      assign row_in[r] = sk_reg[r];
    end
  endgenerate

  //----------------------------------------------------------------
  // PE grid.
  //----------------------------------------------------------------
  wire [7 : 0]  act_w  [0 : ROWS-1][0 : COLS];
  wire          swap_w [0 : ROWS-1][0 : COLS];
  wire [31 : 0] psum_w [0 : ROWS][0 : COLS-1];

  generate
    for (r = 0; r < ROWS; r = r + 1) begin : g_row
      assign act_w[r][0]  = row_in[r][7 : 0];
      assign swap_w[r][0] = row_in[r][8];
      // What leaves the last column to the right goes nowhere.
      wire [8 : 0] unused_row_out = {swap_w[r][COLS], act_w[r][COLS]};
      for (cc = 0; cc < COLS; cc = cc + 1) begin : g_col
        kg_pe #(
          .KEY_IN_PE((KEYGATE != 0 && KEY_IN_PE != 0) ? 1 : 0)
        ) pe (
          .clk        (clk),
          .reset_n    (reset_n),
          .adv        (adv),
          .key_bit    (key_s[r*COLS + cc]),
          .wload      (wb_we_reg && wb_row_reg == r[ROW_W-1 : 0]),
          .wload_data (wb_data_reg[cc*8 +: 8]),
          .act_in     (act_w[r][cc]),
          .swap_in    (swap_w[r][cc]),
          .psum_in    (psum_w[r][cc]),
          .act_out    (act_w[r][cc+1]),
          .swap_out   (swap_w[r][cc+1]),
          .psum_out   (psum_w[r+1][cc])
        );
      end
    end

    for (cc = 0; cc < COLS; cc = cc + 1) begin : g_top
      assign psum_w[0][cc] = 32'h0;
    end
  endgenerate

  //----------------------------------------------------------------
  // Output de-skew: column c waits COLS-1-c cycles, then the common
  // output register.
  //----------------------------------------------------------------
  generate
    for (cc = 0; cc < COLS; cc = cc + 1) begin : g_deskew
      localparam D = COLS - cc;              // including the output register
      reg [31 : 0] dk_reg [0 : D-1];
      integer s;
      always @(posedge clk) begin : deskew_update
        if (!reset_n) begin
          for (s = 0; s < D; s = s + 1)
            dk_reg[s] <= 32'h0;
        end else if (adv) begin
          dk_reg[0] <= psum_w[ROWS][cc];
          for (s = 1; s < D; s = s + 1)
            dk_reg[s] <= dk_reg[s-1];
        end
      end
      assign r_data[cc*32 +: 32] = dk_reg[D-1];
    end
  endgenerate

endmodule // kg_array
`default_nettype wire
