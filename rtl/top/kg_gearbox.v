//======================================================================
// kg_gearbox.v
// ------------
// Cuts a stream of 16-byte beats into weight-tile rows of COLS bytes.
// A tile is ROWS rows; it starts on a beat boundary and the bytes past
// ROWS*COLS up to the next beat boundary are padding, dropped here.
// COLS must divide 16.
//======================================================================
`default_nettype none

module kg_gearbox #(
  parameter ROWS = 4,
  parameter COLS = 4
) (
  input  wire                clk,
  input  wire                reset_n,

  input  wire                in_valid,
  output wire                in_ready,
  input  wire [127 : 0]      in_data,

  output wire                out_valid,
  input  wire                out_ready,
  output wire [COLS*8-1 : 0] out_data
);

  localparam RW = $clog2(ROWS + 1);
  localparam integer ROWS_I = ROWS;
  localparam [RW-1:0] ROWS_C = ROWS_I[RW-1:0];
  localparam integer COLS_I = COLS;
  localparam [4:0] COLS_C = COLS_I[4:0];

  reg [4 : 0]    b_reg;          // byte offset of the next row in the beat
  reg [RW-1 : 0] r_reg;          // row within the tile

  wire out_fire  = out_valid & out_ready;
  wire tile_end  = (r_reg + 1'b1 == ROWS_C);
  wire beat_end  = (b_reg + COLS_C == 5'd16) | tile_end;

  assign out_valid = in_valid;
  assign out_data  = in_data[b_reg[3:0]*8 +: COLS*8];
  assign in_ready  = out_ready & beat_end;

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      b_reg <= 5'h0;
      r_reg <= {RW{1'b0}};
    end else if (out_fire) begin
      b_reg <= beat_end ? 5'h0 : b_reg + COLS_C;
      r_reg <= tile_end ? {RW{1'b0}} : r_reg + 1'b1;
    end
  end

  generate
    if (16 % COLS != 0) begin : g_bad_cols
      // Elaboration error: COLS must divide the 16-byte DMA beat.
      kg_gearbox_cols_must_divide_16 bad ();
    end
  endgenerate

endmodule // kg_gearbox
`default_nettype wire
