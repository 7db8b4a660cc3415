//======================================================================
// kg_accbuf.v
// -----------
// Accumulator buffer below the array columns. It holds DEPTH rows of COLS
// int32 partial sums, so that a K x N layer with K > ROWS is computed one
// K tile at a time: the first K tile overwrites, later ones add, and the
// last one sends the finished row out instead of writing it back.
//
// Input beats come from kg_array in order. in_user = {emit, acc}:
//   acc  = 0: start from 0;  acc = 1: add the stored row.
//   emit = 1: send the sum out (with out_last = in_last); do not store.
// in_last ends a pass: the row index returns to 0.
//
// The buffer is a synchronous-read memory (one read and one write port),
// with a two-stage read-add-write pipeline. When a beat reads the row that
// the beat ahead of it writes in the same cycle (a pass of one row over
// consecutive K tiles), the sum is forwarded instead of the stale memory
// word.
//
// err_ovf is set (sticky until reset) when a pass has more than DEPTH
// rows; those rows are dropped from accumulation.
//======================================================================
`default_nettype none

module kg_accbuf #(
  parameter COLS  = 4,
  parameter DEPTH = 256
) (
  input  wire                   clk,
  input  wire                   reset_n,

  input  wire                   in_valid,
  output wire                   in_ready,
  input  wire [COLS*32-1 : 0]   in_data,
  input  wire                   in_last,
  input  wire [1 : 0]           in_user,

  output wire                   out_valid,
  input  wire                   out_ready,
  output wire [COLS*32-1 : 0]   out_data,
  output wire                   out_last,

  output wire                   err_ovf
);

  localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam integer DEPTH_I = DEPTH;
  localparam [AW : 0] DEPTH_W = DEPTH_I[AW : 0];

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg [COLS*32-1 : 0] mem [0 : DEPTH-1];
  reg [COLS*32-1 : 0] rd_reg;

  reg [AW : 0]        row_reg;        // one extra bit to see overflow
  reg [AW : 0]        row_new;
  reg                 row_we;

  reg                 b_valid_reg;    // stage B: waits for the read data
  reg [COLS*32-1 : 0] b_data_reg;
  reg [AW-1 : 0]      b_row_reg;
  reg                 b_acc_reg;
  reg                 b_emit_reg;
  reg                 b_last_reg;
  reg                 b_ok_reg;       // row was within DEPTH

  reg                 o_valid_reg;
  reg [COLS*32-1 : 0] o_data_reg;
  reg                 o_last_reg;

  reg                 ovf_reg;

  reg [COLS*32-1 : 0] sum;
  integer             c;

  wire in_fire  = in_valid & in_ready;
  wire o_free   = ~o_valid_reg | out_ready;
  wire b_adv    = ~b_valid_reg | ~b_emit_reg | o_free;
  wire in_ok    = (row_reg < DEPTH_W);
  wire [AW-1 : 0] row_addr = row_reg[AW-1 : 0];
  wire b_write  = b_valid_reg & b_adv & ~b_emit_reg & b_ok_reg;
  wire fwd_hit  = b_write & (b_row_reg == row_addr);

  assign in_ready  = b_adv;
  assign out_valid = o_valid_reg;
  assign out_data  = o_data_reg;
  assign out_last  = o_last_reg;
  assign err_ovf   = ovf_reg;

  //----------------------------------------------------------------
  // sum_logic
  //----------------------------------------------------------------
  always @* begin : sum_logic
    for (c = 0; c < COLS; c = c + 1)
      sum[c*32 +: 32] = b_data_reg[c*32 +: 32] +
                        (b_acc_reg ? rd_reg[c*32 +: 32] : 32'h0);
    row_new = row_reg;
    row_we  = 1'b0;
    if (in_fire) begin
      row_we  = 1'b1;
      row_new = in_last ? {(AW+1){1'b0}} :
                (in_ok ? row_reg + 1'b1 : row_reg);
    end
  end

  //----------------------------------------------------------------
  // Memory ports (no reset: contents are always written before use).
  //----------------------------------------------------------------
  always @(posedge clk) begin : mem_ports
    if (in_fire && in_ok)
      rd_reg <= fwd_hit ? sum : mem[row_addr];
    if (b_write)
      mem[b_row_reg] <= sum;
  end

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      row_reg     <= {(AW+1){1'b0}};
      b_valid_reg <= 1'b0;
      b_data_reg  <= {COLS*32{1'b0}};
      b_row_reg   <= {AW{1'b0}};
      b_acc_reg   <= 1'b0;
      b_emit_reg  <= 1'b0;
      b_last_reg  <= 1'b0;
      b_ok_reg    <= 1'b0;
      o_valid_reg <= 1'b0;
      o_data_reg  <= {COLS*32{1'b0}};
      o_last_reg  <= 1'b0;
      ovf_reg     <= 1'b0;
    end else begin
      if (row_we)
        row_reg <= row_new;
      if (in_fire && !in_ok)
        ovf_reg <= 1'b1;

      if (b_adv) begin
        b_valid_reg <= in_fire;
        if (in_fire) begin
          b_data_reg <= in_data;
          b_row_reg  <= row_addr;
          b_acc_reg  <= in_user[0];
          b_emit_reg <= in_user[1];
          b_last_reg <= in_last;
          b_ok_reg   <= in_ok;
        end
      end

      if (o_free) begin
        o_valid_reg <= b_valid_reg & b_emit_reg;
        if (b_valid_reg && b_emit_reg) begin
          o_data_reg <= sum;
          o_last_reg <= b_last_reg;
        end
      end
    end
  end

endmodule // kg_accbuf
`default_nettype wire
