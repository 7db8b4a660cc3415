//======================================================================
// kg_act_loader.v
// ---------------
// Fills one half of the activation buffer per pass with the im2col rows
// of the pass, straight from the NHWC (or row-major FC) tensor in device
// memory. The host never transforms data between layers.
//
// A *run* is the contiguous bytes of one input row (FC: K bytes) or of one
// input pixel under one kernel tap (CONV: IC bytes, at im2col position
// k0 = (ky*KW + kx)*IC). A tap that falls into the zero padding is a zero
// run: no memory read, zeros are written.
//
//   generator -> issue queue -> DMA bursts (16-byte aligned, 4 KiB safe)
//             -> scatter queue -> scatter: <= ROWS bytes per cycle into
//                                the lane memories, byte k of row i at
//                                lane k % ROWS, word base + i*KT + k/ROWS
//
// Input mask (FC with in_group != 0, docs/spec.md section 14): byte k of
// every row is written as 0 when k mod in_group >= in_valid. The scatter
// keeps k mod in_group beside k (sc_g_reg), so the mask is a compare per
// lane on the write data and costs no cycle. in_group is a nonzero
// multiple of 16 (kg_layer_ctrl checks), and an FC run scatters at most 16
// bytes per cycle, so one conditional subtraction keeps the residue.
//
// Passes alternate between the two halves. A pass starts only when its
// half is free (`release` from the feeder returns a half); `filled`
// pulses when the last run of a pass has been written.
// Requires ROWS to be a power of two.
//======================================================================
`default_nettype none

module kg_act_loader #(
  parameter ROWS       = 4,
  parameter HALF_WORDS = 2048,
  parameter RUNQ       = 128,
  parameter MAX_BEATS  = 128     // activation beats in flight at most
) (
  input  wire                 clk,
  input  wire                 reset_n,

  // layer configuration, stable while busy
  input  wire                 conv,
  input  wire [31 : 0]        in_addr,
  input  wire [31 : 0]        in_stride,
  input  wire [31 : 0]        m_total,      // M
  input  wire [31 : 0]        k_total,      // K (FC run length)
  input  wire [15 : 0]        kt,           // ceil(K / ROWS)
  input  wire [15 : 0]        mp,           // rows per pass
  input  wire [15 : 0]        h,
  input  wire [15 : 0]        w,
  input  wire [15 : 0]        ic,
  input  wire [3 : 0]         kh,
  input  wire [3 : 0]         kw,
  input  wire [1 : 0]         stride,
  input  wire [2 : 0]         pad,
  input  wire [15 : 0]        ow,
  input  wire [15 : 0]        in_group,     // FC input mask: 0 (off) or GROUP
  input  wire [15 : 0]        in_valid,     // FC input mask: VALID

  input  wire                 go,
  input  wire                 release_half,
  output wire                 filled,
  output wire                 busy,

  output wire                 rd_req_valid,
  input  wire                 rd_req_ready,
  output wire [31 : 0]        rd_req_addr,
  output wire [8 : 0]         rd_req_beats,
  input  wire                 rsp_valid,
  output wire                 rsp_ready,
  input  wire [127 : 0]       rsp_data,

  output reg  [ROWS-1 : 0]    wr_en,
  output reg  [ROWS*AW-1 : 0] wr_addr,
  output reg  [ROWS*8-1 : 0]  wr_data
);

  localparam AW  = $clog2(2 * HALF_WORDS);
  localparam LW  = (ROWS > 1) ? $clog2(ROWS) : 1;
  localparam SQW = 1 + 1 + AW + 32 + 32;       // last_of_pass, zero, rowbase, k0, len
  localparam IQW = 32 + 32;                    // src, beats
  localparam integer HALF_I = HALF_WORDS;
  localparam [AW-1:0] HALF_A = HALF_I[AW-1:0];

  //----------------------------------------------------------------
  // Generator registers.
  //----------------------------------------------------------------
  reg          gen_reg;           // generating runs
  reg          open_reg;          // a pass is open (its half is claimed)
  reg [1 : 0]  credits_reg;       // free halves
  reg          half_reg;
  reg [31 : 0] m_reg;             // global row
  reg [15 : 0] i_reg;             // row within the pass
  reg [15 : 0] rows_reg;          // rows of the current pass
  reg [AW-1:0] rowbase_reg;
  reg [31 : 0] src_reg;           // FC: address of row m
  reg [15 : 0] oy_reg, ox_reg;
  reg [3 : 0]  ky_reg, kx_reg;
  reg [31 : 0] k0_reg;

  //----------------------------------------------------------------
  // Current run (combinational).
  //----------------------------------------------------------------
  wire signed [18 : 0] iy = $signed({3'b0, oy_reg} * {17'b0, stride}) + $signed({15'b0, ky_reg}) -
                            $signed({16'b0, pad});
  wire signed [18 : 0] ix = $signed({3'b0, ox_reg} * {17'b0, stride}) + $signed({15'b0, kx_reg}) -
                            $signed({16'b0, pad});
  wire inb = (iy >= 0) && (ix >= 0) && (iy < $signed({3'b0, h})) && (ix < $signed({3'b0, w}));
  wire [31 : 0] pix     = iy[15:0] * w + {16'h0, ix[15:0]};
  wire [31 : 0] run_src = conv ? in_addr + pix * in_stride : src_reg;
  wire [31 : 0] run_len = conv ? {16'h0, ic} : k_total;
  wire          run_zero = conv & ~inb;
  wire          row_end  = ~conv | ((ky_reg == kh - 4'd1) && (kx_reg == kw - 4'd1));
  wire          pass_end = row_end && (i_reg + 16'd1 == rows_reg);
  wire [15 : 0] rows_next = (m_total - m_reg - 32'd1 < {16'h0, mp}) ?
                            m_total[15:0] - m_reg[15:0] - 16'd1 : mp;

  wire sq_in_ready, iq_in_ready;
  wire emit = gen_reg & open_reg & sq_in_ready & (iq_in_ready | run_zero);

  wire claim = gen_reg & ~open_reg & (credits_reg != 2'd0);

  //----------------------------------------------------------------
  // Queues.
  //----------------------------------------------------------------
  wire           sq_valid;
  wire [SQW-1:0] sq_data;
  wire           sq_pop;
  wire           iq_valid;
  wire [IQW-1:0] iq_data;
  wire           iq_pop;
  /* verilator lint_off PINCONNECTEMPTY */
  kg_fifo #(.WIDTH(SQW), .DEPTH(RUNQ)) scatter_q (
    .clk(clk), .reset_n(reset_n),
    .in_valid(emit), .in_ready(sq_in_ready),
    .in_data({pass_end, run_zero, rowbase_reg, k0_reg, run_len}),
    .out_valid(sq_valid), .out_ready(sq_pop), .out_data(sq_data), .count());

  kg_fifo #(.WIDTH(IQW), .DEPTH(8)) issue_q (
    .clk(clk), .reset_n(reset_n),
    .in_valid(emit & ~run_zero), .in_ready(iq_in_ready),
    .in_data({run_src, (run_len + 32'd15) >> 4}),
    .out_valid(iq_valid), .out_ready(iq_pop), .out_data(iq_data), .count());
  /* verilator lint_on PINCONNECTEMPTY */

  //----------------------------------------------------------------
  // Generator state update.
  //----------------------------------------------------------------
  always @(posedge clk) begin : gen_update
    if (!reset_n) begin
      gen_reg     <= 1'b0;
      open_reg    <= 1'b0;
      credits_reg <= 2'd2;
      half_reg    <= 1'b0;
      m_reg       <= 32'h0;
      i_reg       <= 16'h0;
      rows_reg    <= 16'h0;
      rowbase_reg <= {AW{1'b0}};
      src_reg     <= 32'h0;
      oy_reg      <= 16'h0;
      ox_reg      <= 16'h0;
      ky_reg      <= 4'h0;
      kx_reg      <= 4'h0;
      k0_reg      <= 32'h0;
    end else begin
      case ({claim, release_half})
        2'b10:   credits_reg <= credits_reg - 2'd1;
        2'b01:   credits_reg <= credits_reg + 2'd1;
        default: credits_reg <= credits_reg;
      endcase

      if (go && !gen_reg) begin
        gen_reg     <= (m_total != 32'h0);
        open_reg    <= 1'b0;
        half_reg    <= 1'b0;
        m_reg       <= 32'h0;
        i_reg       <= 16'h0;
        rows_reg    <= (m_total < {16'h0, mp}) ? m_total[15:0] : mp;
        rowbase_reg <= {AW{1'b0}};
        src_reg     <= in_addr;
        oy_reg      <= 16'h0;
        ox_reg      <= 16'h0;
        ky_reg      <= 4'h0;
        kx_reg      <= 4'h0;
        k0_reg      <= 32'h0;
      end else begin
        if (claim)
          open_reg <= 1'b1;
        if (emit) begin
          if (!row_end) begin
            // next kernel tap of the same row
            k0_reg <= k0_reg + {16'h0, ic};
            if (kx_reg == kw - 4'd1) begin
              kx_reg <= 4'h0;
              ky_reg <= ky_reg + 4'd1;
            end else begin
              kx_reg <= kx_reg + 4'd1;
            end
          end else begin
            // next row
            k0_reg  <= 32'h0;
            kx_reg  <= 4'h0;
            ky_reg  <= 4'h0;
            m_reg   <= m_reg + 32'd1;
            src_reg <= src_reg + in_stride;
            if (ox_reg == ow - 16'd1) begin
              ox_reg <= 16'h0;
              oy_reg <= oy_reg + 16'd1;
            end else begin
              ox_reg <= ox_reg + 16'd1;
            end
            if (pass_end) begin
              open_reg    <= 1'b0;
              i_reg       <= 16'h0;
              half_reg    <= ~half_reg;
              rowbase_reg <= half_reg ? {AW{1'b0}} : HALF_A;
              rows_reg    <= rows_next;
              if (m_reg + 32'd1 == m_total)
                gen_reg <= 1'b0;
            end else begin
              i_reg       <= i_reg + 16'd1;
              rowbase_reg <= rowbase_reg + kt[AW-1:0];
            end
          end
        end
      end
    end
  end

  //----------------------------------------------------------------
  // DMA issue: bursts for the runs in the issue queue.
  //----------------------------------------------------------------
  reg          is_act_reg;
  reg [31 : 0] is_addr_reg;
  reg [31 : 0] is_left_reg;
  wire [8 : 0] burst;
  wire [31 : 0] is_cap = (is_left_reg > MAX_BEATS) ? MAX_BEATS : is_left_reg;
  kg_burst_split split (.addr(is_addr_reg), .left(is_cap), .beats(burst));

  // Beats requested but not yet scattered. Bounding them keeps the shared
  // read channel from queueing a whole pass of activations ahead of the
  // weight stream.
  reg  [15 : 0] infl_reg;
  wire [15 : 0] infl_next = infl_reg + {7'h0, burst};
  assign rd_req_valid = is_act_reg & (infl_next <= MAX_BEATS);
  assign rd_req_addr  = is_addr_reg;
  assign rd_req_beats = burst;
  wire   req_fire     = rd_req_valid & rd_req_ready;
  wire   last_burst   = ({23'h0, burst} == is_left_reg);
  assign iq_pop       = ~is_act_reg | (req_fire & last_burst);

  always @(posedge clk) begin : inflight_update
    if (!reset_n)
      infl_reg <= 16'h0;
    else
      infl_reg <= infl_reg + (req_fire ? {7'h0, burst} : 16'h0) - {15'h0, rsp_valid & rsp_ready};
  end

  always @(posedge clk) begin : issue_update
    if (!reset_n) begin
      is_act_reg  <= 1'b0;
      is_addr_reg <= 32'h0;
      is_left_reg <= 32'h0;
    end else begin
      if (iq_pop) begin
        is_act_reg  <= iq_valid;
        is_addr_reg <= iq_data[63:32];
        is_left_reg <= iq_data[31:0];
      end else if (req_fire) begin
        is_addr_reg <= is_addr_reg + {19'h0, burst, 4'h0};
        is_left_reg <= is_left_reg - {23'h0, burst};
      end
    end
  end

  //----------------------------------------------------------------
  // Scatter.
  //----------------------------------------------------------------
  wire          s_last_pass = sq_data[SQW-1];
  wire          s_zero      = sq_data[SQW-2];
  wire [AW-1:0] s_rowbase   = sq_data[64 +: AW];
  wire [31 : 0] s_k0        = sq_data[63:32];
  wire [31 : 0] s_len       = sq_data[31:0];

  reg          sc_act_reg;         // a run is being scattered
  reg          sc_zero_reg;
  reg          sc_lastp_reg;
  reg [AW-1:0] sc_base_reg;
  reg [31 : 0] sc_k_reg;           // current im2col position
  reg [31 : 0] sc_left_reg;        // bytes left in the run
  reg [15 : 0] sc_g_reg;           // FC: sc_k_reg mod in_group (masked layers)
  reg [4 : 0]  sc_b_reg;           // byte offset in the current beat
  reg          filled_reg;

  wire [4 : 0]  room  = 5'd16 - sc_b_reg;
  wire [31 : 0] cap_r = (sc_left_reg < ROWS) ? sc_left_reg : ROWS;
  wire [4 : 0]  n     = sc_zero_reg ? cap_r[4:0] :
                        ((cap_r[4:0] < room) ? cap_r[4:0] : room);
  wire have_data = sc_zero_reg | rsp_valid;
  wire step      = sc_act_reg & have_data;
  wire run_done  = step & ({27'h0, n} == sc_left_reg);
  wire beat_done = step & ~sc_zero_reg & ((sc_b_reg + n == 5'd16) | run_done);

  assign rsp_ready = beat_done;
  assign sq_pop    = ~sc_act_reg | run_done;

  wire [LW-1 : 0] kl = sc_k_reg[LW-1:0];
  wire [31 : 0]   kwd = sc_k_reg >> LW;

  wire          mask_on = ~conv & (in_group != 16'h0);
  wire [16 : 0] g_sum   = {1'b0, sc_g_reg} + {12'h0, n};
  wire [16 : 0] g_next  = (g_sum >= {1'b0, in_group}) ? g_sum - {1'b0, in_group} : g_sum;

  integer l;
  reg [LW-1 : 0] j;
  reg [4 : 0]    src_idx;
  reg [16 : 0]   g_lane;                          // (k + j) mod in_group
  always @* begin : scatter_lanes
    wr_en   = {ROWS{1'b0}};
    wr_addr = {ROWS*AW{1'b0}};
    wr_data = {ROWS*8{1'b0}};
    g_lane  = 17'h0;
    for (l = 0; l < ROWS; l = l + 1) begin
      j = l[LW-1:0] - kl;                         // modulo ROWS
      src_idx = sc_b_reg + {{(5-LW){1'b0}}, j};
      g_lane  = {1'b0, sc_g_reg} + {{(17-LW){1'b0}}, j};
      if (g_lane >= {1'b0, in_group})
        g_lane = g_lane - {1'b0, in_group};
      if (step && ({{(5-LW){1'b0}}, j} < n)) begin
        wr_en[l] = 1'b1;
        wr_addr[l*AW +: AW] = sc_base_reg + kwd[AW-1:0] +
                              ((l[LW-1:0] < kl) ? {{(AW-1){1'b0}}, 1'b1} : {AW{1'b0}});
        wr_data[l*8 +: 8] = (sc_zero_reg || (mask_on && g_lane >= {1'b0, in_valid})) ? 8'h0 :
                            rsp_data[src_idx[3:0]*8 +: 8];
      end
    end
  end

  always @(posedge clk) begin : scatter_update
    if (!reset_n) begin
      sc_act_reg   <= 1'b0;
      sc_zero_reg  <= 1'b0;
      sc_lastp_reg <= 1'b0;
      sc_base_reg  <= {AW{1'b0}};
      sc_k_reg     <= 32'h0;
      sc_left_reg  <= 32'h0;
      sc_g_reg     <= 16'h0;
      sc_b_reg     <= 5'h0;
      filled_reg   <= 1'b0;
    end else begin
      filled_reg <= run_done & sc_lastp_reg;
      if (sq_pop) begin
        sc_act_reg   <= sq_valid;
        sc_zero_reg  <= s_zero;
        sc_lastp_reg <= s_last_pass;
        sc_base_reg  <= s_rowbase;
        sc_k_reg     <= s_k0;
        sc_left_reg  <= s_len;
        sc_g_reg     <= 16'h0;                     // an FC run starts at k = 0
        sc_b_reg     <= 5'h0;
      end else if (step) begin
        sc_k_reg    <= sc_k_reg + {27'h0, n};
        sc_left_reg <= sc_left_reg - {27'h0, n};
        sc_g_reg    <= mask_on ? g_next[15:0] : 16'h0;
        sc_b_reg    <= beat_done ? 5'h0 : sc_b_reg + n;
      end
    end
  end

  assign filled = filled_reg;
  assign busy   = gen_reg | sc_act_reg | sq_valid | is_act_reg | iq_valid;

  wire unused = ^{iy[18:16], ix[18:16], kwd[31:AW], kt[15:AW], cap_r[31:5], src_idx[4],
                  g_next[16]};

endmodule // kg_act_loader
`default_nettype wire
