//======================================================================
// kg_feeder.v
// -----------
// Streams a pass of activations from the activation buffer into the
// compute core, in the order the accumulator expects:
//   for nt in N tiles: for kt in K tiles: for i in rows of the pass:
//     word base + i*KT + kt, with acc = (kt > 0), emit = (kt == KT-1),
//     last = (i == rows-1); lanes past K in the last K tile read as 0.
// A pass starts when the loader has filled it; its half is released as
// soon as its last word has been read.
//======================================================================
`default_nettype none

module kg_feeder #(
  parameter ROWS       = 4,
  parameter HALF_WORDS = 2048
) (
  input  wire                clk,
  input  wire                reset_n,

  input  wire [31 : 0]       m_total,
  input  wire [31 : 0]       k_total,
  input  wire [15 : 0]       kt,
  input  wire [15 : 0]       nt,
  input  wire [15 : 0]       mp,

  input  wire                go,
  input  wire                filled,
  output wire                release_half,
  output wire                busy,

  output wire                rd_en,
  output wire [AW-1 : 0]     rd_addr,
  input  wire [ROWS*8-1 : 0] rd_data,

  output wire                a_valid,
  input  wire                a_ready,
  output wire [ROWS*8-1 : 0] a_data,
  output wire                a_last,
  output wire                a_acc,
  output wire                a_emit
);

  localparam AW = $clog2(2 * HALF_WORDS);
  localparam integer HALF_I = HALF_WORDS;
  localparam [AW-1:0] HALF_A = HALF_I[AW-1:0];
  localparam integer ROWS_I = ROWS;

  reg          run_reg;
  reg [1 : 0]  ready_reg;         // filled passes not yet started
  reg          open_reg;          // a pass is being read
  reg          half_reg;
  reg [31 : 0] m0_reg;            // first row of the pass
  reg [15 : 0] rows_reg;
  reg [15 : 0] i_reg, kt_reg, nt_reg;
  reg [AW-1:0] base_reg;          // word of (i, kt)
  reg          rel_reg;

  // Output skid: two entries; reads are issued only when they fit.
  reg [ROWS*8+2 : 0] sk_data [0 : 1];
  reg [1 : 0]        sk_cnt_reg;
  reg [0 : 0]        sk_wp_reg, sk_rp_reg;
  reg                inflight_reg;  // a read issued last cycle
  reg [2 : 0]        inflight_flags_reg;
  reg                inflight_mask_reg;

  wire start_pass = run_reg & ~open_reg & (ready_reg != 2'd0);
  // A read may issue when its word will find a free skid entry, counting
  // the entry the core takes this cycle: full rate with two entries.
  wire sk_pop_now = a_valid & a_ready;
  wire room       = ({1'b0, sk_cnt_reg} + {2'b0, inflight_reg}) < (3'd2 + {2'b0, sk_pop_now});
  wire issue      = open_reg & room;

  wire last_i  = (i_reg + 16'd1 == rows_reg);
  wire last_kt = (kt_reg + 16'd1 == kt);
  wire last_nt = (nt_reg + 16'd1 == nt);
  wire pass_done = issue & last_i & last_kt & last_nt;

  wire [31 : 0] rem = m_total - m0_reg - {16'h0, rows_reg};
  wire [15 : 0] next_rows = (rem < {16'h0, mp}) ? rem[15:0] : mp;

  assign rd_en   = issue;
  assign rd_addr = base_reg;

  // Valid lanes of the last K tile.
  wire [31 : 0] tail = k_total - {16'h0, kt - 16'd1} * ROWS_I[31:0];

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      run_reg      <= 1'b0;
      ready_reg    <= 2'd0;
      open_reg     <= 1'b0;
      half_reg     <= 1'b0;
      m0_reg       <= 32'h0;
      rows_reg     <= 16'h0;
      i_reg        <= 16'h0;
      kt_reg       <= 16'h0;
      nt_reg       <= 16'h0;
      base_reg     <= {AW{1'b0}};
      rel_reg      <= 1'b0;
      inflight_reg <= 1'b0;
      inflight_flags_reg <= 3'h0;
      inflight_mask_reg  <= 1'b0;
    end else begin
      rel_reg <= pass_done;
      case ({filled, start_pass})
        2'b10:   ready_reg <= ready_reg + 2'd1;
        2'b01:   ready_reg <= ready_reg - 2'd1;
        default: ready_reg <= ready_reg;
      endcase
      inflight_reg       <= issue;
      inflight_flags_reg <= {last_kt, kt_reg != 16'h0, last_i};
      inflight_mask_reg  <= last_kt;

      if (go && !run_reg) begin
        run_reg  <= (m_total != 32'h0);
        open_reg <= 1'b0;
        half_reg <= 1'b0;
        m0_reg   <= 32'h0;
        rows_reg <= (m_total < {16'h0, mp}) ? m_total[15:0] : mp;
      end else if (start_pass) begin
        open_reg <= 1'b1;
        i_reg    <= 16'h0;
        kt_reg   <= 16'h0;
        nt_reg   <= 16'h0;
        base_reg <= half_reg ? HALF_A : {AW{1'b0}};
      end else if (issue) begin
        if (!last_i) begin
          i_reg    <= i_reg + 16'd1;
          base_reg <= base_reg + kt[AW-1:0];
        end else begin
          i_reg <= 16'h0;
          if (!last_kt) begin
            kt_reg   <= kt_reg + 16'd1;
            base_reg <= (half_reg ? HALF_A : {AW{1'b0}}) + kt_reg[AW-1:0] + 1'b1;
          end else begin
            kt_reg   <= 16'h0;
            base_reg <= half_reg ? HALF_A : {AW{1'b0}};
            if (!last_nt) begin
              nt_reg <= nt_reg + 16'd1;
            end else begin
              // pass finished
              open_reg <= 1'b0;
              half_reg <= ~half_reg;
              m0_reg   <= m0_reg + {16'h0, rows_reg};
              rows_reg <= next_rows;
              if (m0_reg + {16'h0, rows_reg} >= m_total)
                run_reg <= 1'b0;
            end
          end
        end
      end
    end
  end

  //----------------------------------------------------------------
  // Skid buffer between the buffer read and the core.
  //----------------------------------------------------------------
  integer l;
  reg [ROWS*8-1 : 0] masked;
  always @* begin : mask_tail
    masked = rd_data;
    if (inflight_mask_reg)
      for (l = 0; l < ROWS; l = l + 1)
        if (l >= tail)
          masked[l*8 +: 8] = 8'h0;
  end

  wire sk_push = inflight_reg;
  wire sk_pop  = a_valid & a_ready;
  always @(posedge clk) begin : skid_update
    if (!reset_n) begin
      sk_cnt_reg <= 2'd0;
      sk_wp_reg  <= 1'b0;
      sk_rp_reg  <= 1'b0;
    end else begin
      if (sk_push) begin
        sk_data[sk_wp_reg] <= {inflight_flags_reg, masked};
        sk_wp_reg <= ~sk_wp_reg;
      end
      if (sk_pop)
        sk_rp_reg <= ~sk_rp_reg;
      case ({sk_push, sk_pop})
        2'b10:   sk_cnt_reg <= sk_cnt_reg + 2'd1;
        2'b01:   sk_cnt_reg <= sk_cnt_reg - 2'd1;
        default: sk_cnt_reg <= sk_cnt_reg;
      endcase
    end
  end

  wire [ROWS*8+2 : 0] head = sk_data[sk_rp_reg];
  assign a_valid = (sk_cnt_reg != 2'd0);
  assign a_data  = head[ROWS*8-1 : 0];
  assign a_last  = head[ROWS*8];
  assign a_acc   = head[ROWS*8+1];
  assign a_emit  = head[ROWS*8+2];

  assign release_half = rel_reg;
  assign busy = run_reg | (sk_cnt_reg != 2'd0) | inflight_reg;

  wire unused = ^{kt[15:AW], tail[31:0]};

endmodule // kg_feeder
`default_nettype wire
