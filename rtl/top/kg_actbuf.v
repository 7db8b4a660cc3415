//======================================================================
// kg_actbuf.v
// -----------
// Activation buffer: ROWS byte-wide lane memories of DEPTH words each.
// Word w holds the ROWS activations one array input beat needs. Each lane
// has its own write enable and address (the loader scatters bytes to any
// lane), and all lanes read the same word (one array beat per read,
// registered, one cycle latency).
//======================================================================
`default_nettype none

module kg_actbuf #(
  parameter ROWS  = 4,
  parameter DEPTH = 4096
) (
  input  wire                 clk,

  input  wire [ROWS-1 : 0]    wr_en,
  input  wire [ROWS*AW-1 : 0] wr_addr,
  input  wire [ROWS*8-1 : 0]  wr_data,

  input  wire                 rd_en,
  input  wire [AW-1 : 0]      rd_addr,
  output wire [ROWS*8-1 : 0]  rd_data
);

  localparam AW = (DEPTH > 1) ? $clog2(DEPTH) : 1;

  genvar l;
  generate
    for (l = 0; l < ROWS; l = l + 1) begin : g_lane
      reg [7 : 0] mem [0 : DEPTH-1];
      reg [7 : 0] q_reg;
      always @(posedge clk) begin : lane_ram
        if (wr_en[l])
          mem[wr_addr[l*AW +: AW]] <= wr_data[l*8 +: 8];
        if (rd_en)
          q_reg <= mem[rd_addr];
      end
      assign rd_data[l*8 +: 8] = q_reg;
    end
  endgenerate

endmodule // kg_actbuf
`default_nettype wire
