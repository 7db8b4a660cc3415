//======================================================================
// kg_fifo.v
// ---------
// Synchronous FIFO, DEPTH entries (a power of two) of WIDTH bits,
// valid/ready on both sides, registered memory, first-word fall-through.
//======================================================================
`default_nettype none

module kg_fifo #(
  parameter WIDTH = 8,
  parameter DEPTH = 4
) (
  input  wire               clk,
  input  wire               reset_n,

  input  wire               in_valid,
  output wire               in_ready,
  input  wire [WIDTH-1 : 0] in_data,

  output wire               out_valid,
  input  wire               out_ready,
  output wire [WIDTH-1 : 0] out_data,

  output wire [AW : 0]      count
);

  localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;
  localparam [AW:0] DEPTH_C = DEPTH;

  reg [WIDTH-1 : 0] mem [0 : DEPTH-1];
  reg [AW-1 : 0]    wr_reg;
  reg [AW-1 : 0]    rd_reg;
  reg [AW : 0]      cnt_reg;

  wire in_fire  = in_valid & in_ready;
  wire out_fire = out_valid & out_ready;

  assign in_ready  = (cnt_reg != DEPTH_C);
  assign out_valid = (cnt_reg != {(AW+1){1'b0}});
  assign out_data  = mem[rd_reg];
  assign count     = cnt_reg;

  always @(posedge clk) begin : mem_write
    if (in_fire)
      mem[wr_reg] <= in_data;
  end

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      wr_reg  <= {AW{1'b0}};
      rd_reg  <= {AW{1'b0}};
      cnt_reg <= {(AW+1){1'b0}};
    end else begin
      if (in_fire)
        wr_reg <= (DEPTH == 1) ? {AW{1'b0}} : wr_reg + 1'b1;
      if (out_fire)
        rd_reg <= (DEPTH == 1) ? {AW{1'b0}} : rd_reg + 1'b1;
      case ({in_fire, out_fire})
        2'b10:   cnt_reg <= cnt_reg + 1'b1;
        2'b01:   cnt_reg <= cnt_reg - 1'b1;
        default: cnt_reg <= cnt_reg;
      endcase
    end
  end

endmodule // kg_fifo
`default_nettype wire
