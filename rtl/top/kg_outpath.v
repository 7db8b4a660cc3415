//======================================================================
// kg_outpath.v
// ------------
// Finished output rows from the compute core -> requantization with the
// per-channel parameters of their N tile -> one 16-byte write each.
//
// Rows arrive in the order for pass: for nt: for i in rows. Row i of pass
// p, tile nt holds channels nt*C .. nt*C+C-1 of output row m = m0 + i; it
// is written at out_addr + m*out_stride + nt*C with byte strobes for the
// channels below N. COLS must divide 16, so a tile row never straddles a
// beat.
//======================================================================
`default_nettype none

module kg_outpath #(
  parameter COLS        = 4,
  parameter PARAM_DEPTH = 1024
) (
  input  wire                 clk,
  input  wire                 reset_n,

  input  wire [31 : 0]        m_total,
  input  wire [31 : 0]        n_total,
  input  wire [15 : 0]        nt,
  input  wire [15 : 0]        mp,
  input  wire [31 : 0]        out_addr,
  input  wire [31 : 0]        out_stride,
  input  wire                 relu,

  input  wire                 go,
  output wire                 busy,       // rows still to write

  input  wire                 r_valid,
  output wire                 r_ready,
  input  wire [COLS*32-1 : 0] r_data,

  output wire                 p_rd_en,
  output wire [PW-1 : 0]      p_rd_word,
  input  wire [COLS*32-1 : 0] p_bias,
  input  wire [COLS*32-1 : 0] p_mult,
  input  wire [COLS*6-1 : 0]  p_shift,

  output wire                 wr_valid,
  input  wire                 wr_ready,
  output wire [31 : 0]        wr_addr,
  output reg  [127 : 0]       wr_data,
  output reg  [15 : 0]        wr_strb
);

  localparam DEPTH_W = (PARAM_DEPTH + COLS - 1) / COLS;
  localparam PW      = (DEPTH_W > 1) ? $clog2(DEPTH_W) : 1;
  localparam integer COLS_I = COLS;

  // Position of the next row to arrive.
  reg          run_reg;
  reg [31 : 0] m0_reg;
  reg [15 : 0] rows_reg;
  reg [15 : 0] i_reg;
  reg [15 : 0] nt_reg;
  reg [31 : 0] ch0_reg;           // nt * COLS
  reg [31 : 0] row_addr_reg;      // out_addr + m*out_stride + (ch0 & ~15)

  // Stage A: the row being requantized and written.
  reg                 a_valid_reg;
  reg [COLS*32-1 : 0] a_data_reg;
  reg [31 : 0]        a_addr_reg;
  reg [3 : 0]         a_lane_reg;
  reg [31 : 0]        a_ch0_reg;

  wire a_free  = ~a_valid_reg | wr_ready;
  assign r_ready = a_free & run_reg;
  wire r_fire  = r_valid & r_ready;

  assign p_rd_en   = r_fire;
  assign p_rd_word = nt_reg[PW-1:0];

  wire last_i  = (i_reg + 16'd1 == rows_reg);
  wire last_nt = (nt_reg + 16'd1 == nt);
  wire [31 : 0] rem = m_total - m0_reg - {16'h0, rows_reg};
  wire [31 : 0] pass_base = out_addr + (m0_reg + {16'h0, rows_reg}) * out_stride;

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      run_reg      <= 1'b0;
      m0_reg       <= 32'h0;
      rows_reg     <= 16'h0;
      i_reg        <= 16'h0;
      nt_reg       <= 16'h0;
      ch0_reg      <= 32'h0;
      row_addr_reg <= 32'h0;
      a_valid_reg  <= 1'b0;
      a_data_reg   <= {COLS*32{1'b0}};
      a_addr_reg   <= 32'h0;
      a_lane_reg   <= 4'h0;
      a_ch0_reg    <= 32'h0;
    end else begin
      if (a_free)
        a_valid_reg <= r_fire;
      if (r_fire) begin
        a_data_reg <= r_data;
        a_addr_reg <= row_addr_reg;
        a_lane_reg <= ch0_reg[3:0];
        a_ch0_reg  <= ch0_reg;
      end

      if (go && !run_reg) begin
        run_reg      <= (m_total != 32'h0);
        m0_reg       <= 32'h0;
        rows_reg     <= (m_total < {16'h0, mp}) ? m_total[15:0] : mp;
        i_reg        <= 16'h0;
        nt_reg       <= 16'h0;
        ch0_reg      <= 32'h0;
        row_addr_reg <= out_addr;
      end else if (r_fire) begin
        if (!last_i) begin
          i_reg        <= i_reg + 16'd1;
          row_addr_reg <= row_addr_reg + out_stride;
        end else if (!last_nt) begin
          i_reg        <= 16'h0;
          nt_reg       <= nt_reg + 16'd1;
          ch0_reg      <= ch0_reg + COLS_I[31:0];
          row_addr_reg <= out_addr + m0_reg * out_stride +
                          ((ch0_reg + COLS_I[31:0]) & 32'hffff_fff0);
        end else begin
          i_reg        <= 16'h0;
          nt_reg       <= 16'h0;
          ch0_reg      <= 32'h0;
          m0_reg       <= m0_reg + {16'h0, rows_reg};
          rows_reg     <= (rem < {16'h0, mp}) ? rem[15:0] : mp;
          row_addr_reg <= pass_base;
          if (rem == 32'h0)
            run_reg <= 1'b0;
        end
      end
    end
  end

  //----------------------------------------------------------------
  // Requantize stage A into the write beat.
  //----------------------------------------------------------------
  wire [COLS*8-1 : 0] q;
  genvar c;
  generate
    for (c = 0; c < COLS; c = c + 1) begin : g_rq
      kg_requant rq (
        .acc(a_data_reg[c*32 +: 32]), .bias(p_bias[c*32 +: 32]),
        .mult(p_mult[c*32 +: 32]), .shift(p_shift[c*6 +: 6]),
        .relu(relu), .q(q[c*8 +: 8]));
    end
  endgenerate

  integer l;
  always @* begin : place
    wr_data = 128'h0;
    wr_strb = 16'h0;
    for (l = 0; l < COLS; l = l + 1) begin
      wr_data[(a_lane_reg + l[3:0])*8 +: 8] = q[l*8 +: 8];
      wr_strb[a_lane_reg + l[3:0]] = (a_ch0_reg + l < n_total);
    end
  end

  assign wr_valid = a_valid_reg;
  assign wr_addr  = a_addr_reg;
  assign busy     = run_reg | a_valid_reg;

endmodule // kg_outpath
`default_nettype wire
