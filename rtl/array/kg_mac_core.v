//======================================================================
// kg_mac_core.v
// -------------
// The compute core: kg_array with kg_accbuf below it. A K x N weight
// matrix is fed as ceil(K/ROWS) x ceil(N/COLS) tiles; for each N tile the
// activations are streamed once per K tile with a_acc/a_emit set by the
// feeder, and the finished C-wide output rows come out of r_*.
// See docs/array.md for the feeding order and the timing.
//======================================================================
`default_nettype none

module kg_mac_core #(
  parameter ROWS      = 4,
  parameter COLS      = 4,
  parameter ACC_DEPTH = 256,
  parameter KEYGATE   = 1,
  parameter KEY_IN_PE = 0
) (
  input  wire                   clk,
  input  wire                   reset_n,

  input  wire [ROWS*COLS-1 : 0] key_s,

  input  wire                   w_valid,
  output wire                   w_ready,
  input  wire [COLS*8-1 : 0]    w_data,

  input  wire                   a_valid,
  output wire                   a_ready,
  input  wire [ROWS*8-1 : 0]    a_data,
  input  wire                   a_last,     // last row of this pass (and weight tile)
  input  wire                   a_acc,      // add to the stored partial sums
  input  wire                   a_emit,     // last K tile: send the rows out

  output wire                   r_valid,
  input  wire                   r_ready,
  output wire [COLS*32-1 : 0]   r_data,
  output wire                   r_last,

  output wire                   idle,
  output wire                   err_ovf
);

  wire                 x_valid;
  wire                 x_ready;
  wire [COLS*32-1 : 0] x_data;
  wire                 x_last;
  wire [1 : 0]         x_user;
  wire                 arr_idle;

  kg_array #(
    .ROWS(ROWS), .COLS(COLS), .KEYGATE(KEYGATE), .KEY_IN_PE(KEY_IN_PE), .USER_W(2)
  ) array (
    .clk(clk), .reset_n(reset_n), .key_s(key_s),
    .w_valid(w_valid), .w_ready(w_ready), .w_data(w_data),
    .a_valid(a_valid), .a_ready(a_ready), .a_data(a_data), .a_last(a_last),
    .a_user({a_emit, a_acc}),
    .r_valid(x_valid), .r_ready(x_ready), .r_data(x_data), .r_last(x_last),
    .r_user(x_user), .idle(arr_idle)
  );

  kg_accbuf #(
    .COLS(COLS), .DEPTH(ACC_DEPTH)
  ) accbuf (
    .clk(clk), .reset_n(reset_n),
    .in_valid(x_valid), .in_ready(x_ready), .in_data(x_data), .in_last(x_last),
    .in_user(x_user),
    .out_valid(r_valid), .out_ready(r_ready), .out_data(r_data), .out_last(r_last),
    .err_ovf(err_ovf)
  );

  assign idle = arr_idle & ~x_valid & ~r_valid;

endmodule // kg_mac_core
`default_nettype wire
