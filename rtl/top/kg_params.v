//======================================================================
// kg_params.v
// -----------
// Loads a layer's per-output-channel records (16 bytes each: bias int32,
// mult int32, shift uint8, 7 zero bytes; little-endian) from device memory
// into on-chip RAM, and serves the C records of one N tile per read.
//
// Record n lives in lane n % COLS at word n / COLS. A record with mult < 0,
// shift outside [1, 62] or non-zero padding sets `bad`. `done` pulses
// when all N records have arrived (or, after `abort`, when the last
// requested beat has been drained).
//======================================================================
`default_nettype none

module kg_params #(
  parameter COLS        = 4,
  parameter PARAM_DEPTH = 1024
) (
  input  wire                 clk,
  input  wire                 reset_n,

  input  wire                 start,
  input  wire [31 : 0]        addr,
  input  wire [31 : 0]        count,       // N, 1..PARAM_DEPTH
  output wire                 done,
  output wire                 bad,
  output wire                 busy,

  output wire                 rd_req_valid,
  input  wire                 rd_req_ready,
  output wire [31 : 0]        rd_req_addr,
  output wire [8 : 0]         rd_req_beats,
  input  wire                 rsp_valid,
  output wire                 rsp_ready,
  input  wire [127 : 0]       rsp_data,

  input  wire                 rd_en,
  input  wire [WW-1 : 0]      rd_word,
  output wire [COLS*32-1 : 0] rd_bias,
  output wire [COLS*32-1 : 0] rd_mult,
  output wire [COLS*6-1 : 0]  rd_shift
);

  localparam DEPTH_W = (PARAM_DEPTH + COLS - 1) / COLS;   // words per lane
  localparam WW      = (DEPTH_W > 1) ? $clog2(DEPTH_W) : 1;
  localparam LW      = (COLS > 1) ? $clog2(COLS) : 1;
  localparam integer  LAST_LANE_I = COLS - 1;
  localparam [LW-1:0] LAST_LANE   = LAST_LANE_I[LW-1:0];

  reg          busy_reg;
  reg [31 : 0] req_addr_reg;
  reg [31 : 0] req_left_reg;      // beats still to request
  reg [31 : 0] rsp_left_reg;      // beats still to receive
  reg [LW-1:0] lane_reg;
  reg [WW-1:0] word_reg;
  reg          bad_reg;
  reg          done_reg;

  wire [8 : 0] burst;
  kg_burst_split split (.addr(req_addr_reg), .left(req_left_reg), .beats(burst));

  assign rd_req_valid = busy_reg & (req_left_reg != 32'h0);
  assign rd_req_addr  = req_addr_reg;
  assign rd_req_beats = burst;
  assign rsp_ready    = 1'b1;
  assign done         = done_reg;
  assign bad          = bad_reg;
  assign busy         = busy_reg;

  wire req_fire = rd_req_valid & rd_req_ready;
  wire rsp_fire = rsp_valid & busy_reg;

  wire [31 : 0] r_bias  = rsp_data[31:0];
  wire [31 : 0] r_mult  = rsp_data[63:32];
  wire [7 : 0]  r_shift = rsp_data[71:64];
  wire          r_bad   = r_mult[31] | (r_shift == 8'd0) | (r_shift > 8'd62) |
                          (rsp_data[127:72] != 56'h0);

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      busy_reg     <= 1'b0;
      req_addr_reg <= 32'h0;
      req_left_reg <= 32'h0;
      rsp_left_reg <= 32'h0;
      lane_reg     <= {LW{1'b0}};
      word_reg     <= {WW{1'b0}};
      bad_reg      <= 1'b0;
      done_reg     <= 1'b0;
    end else begin
      done_reg <= 1'b0;
      if (start && !busy_reg) begin
        busy_reg     <= 1'b1;
        req_addr_reg <= addr;
        req_left_reg <= count;
        rsp_left_reg <= count;
        lane_reg     <= {LW{1'b0}};
        word_reg     <= {WW{1'b0}};
        bad_reg      <= 1'b0;
      end else begin
        if (req_fire) begin
          req_addr_reg <= req_addr_reg + {19'h0, burst, 4'h0};
          req_left_reg <= req_left_reg - {23'h0, burst};
        end
        if (rsp_fire) begin
          if (r_bad)
            bad_reg <= 1'b1;
          if (lane_reg == LAST_LANE || COLS == 1) begin
            lane_reg <= {LW{1'b0}};
            word_reg <= word_reg + 1'b1;
          end else begin
            lane_reg <= lane_reg + 1'b1;
          end
          rsp_left_reg <= rsp_left_reg - 32'h1;
          if (rsp_left_reg == 32'h1) begin
            busy_reg <= 1'b0;
            done_reg <= 1'b1;
          end
        end
      end
    end
  end

  //----------------------------------------------------------------
  // One RAM per lane (bias, mult, shift).
  //----------------------------------------------------------------
  genvar l;
  generate
    for (l = 0; l < COLS; l = l + 1) begin : g_lane
      reg [69 : 0] mem [0 : DEPTH_W-1];
      reg [69 : 0] q_reg;
      always @(posedge clk) begin : lane_ram
        if (rsp_fire && lane_reg == l[LW-1:0])
          mem[word_reg] <= {r_shift[5:0], r_mult, r_bias};
        if (rd_en)
          q_reg <= mem[rd_word];
      end
      assign rd_bias[l*32 +: 32]  = q_reg[31:0];
      assign rd_mult[l*32 +: 32]  = q_reg[63:32];
      assign rd_shift[l*6 +: 6]   = q_reg[69:64];
    end
  endgenerate

endmodule // kg_params
`default_nettype wire
