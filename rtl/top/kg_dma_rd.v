//======================================================================
// kg_dma_rd.v
// -----------
// AXI4 read master shared by NREQ requesters (descriptor, parameters,
// activations, weights). Each requester asks for one INCR burst at a time
// (16-byte beats, at most 256, never crossing 4 KiB: the requester splits).
// Requests are granted round-robin; up to MAX_OUT bursts are outstanding.
// All bursts use one ARID, so the slave answers in order, and an in-order
// tag FIFO routes every R beat to the requester that asked for it.
//
// A requester must be able to take every beat it asked for without waiting
// on another requester's data (kgmac's weight path reserves FIFO space
// before it asks), so the shared R channel cannot deadlock.
//
// flush: stop granting; R beats of outstanding bursts are still offered to
// their requesters and dropped if not taken. idle = nothing outstanding.
// An R beat with RRESP != OKAY raises bus_err for one cycle.
//======================================================================
`default_nettype none

module kg_dma_rd #(
  parameter NREQ    = 4,
  parameter MAX_OUT = 64,
  parameter ID      = 0
) (
  input  wire                  clk,
  input  wire                  reset_n,
  input  wire                  flush,

  input  wire [NREQ-1 : 0]     req_valid,
  output reg  [NREQ-1 : 0]     req_ready,
  input  wire [NREQ*32-1 : 0]  req_addr,
  input  wire [NREQ*9-1 : 0]   req_beats,   // 1..256

  output wire [NREQ-1 : 0]     rsp_valid,
  input  wire [NREQ-1 : 0]     rsp_ready,
  output wire [127 : 0]        rsp_data,
  output wire                  rsp_last,
  output wire                  rsp_err,

  output wire [3 : 0]          m_axi_arid,
  output wire [31 : 0]         m_axi_araddr,
  output wire [7 : 0]          m_axi_arlen,
  output wire [2 : 0]          m_axi_arsize,
  output wire [1 : 0]          m_axi_arburst,
  output wire                  m_axi_arvalid,
  input  wire                  m_axi_arready,
  input  wire [3 : 0]          m_axi_rid,
  input  wire [127 : 0]        m_axi_rdata,
  input  wire [1 : 0]          m_axi_rresp,
  input  wire                  m_axi_rlast,
  input  wire                  m_axi_rvalid,
  output wire                  m_axi_rready,

  output wire                  idle,
  output wire                  bus_err,
  output wire                  ar_stall,
  output wire [4 : 0]          rd_bytes
);

  localparam QW = (NREQ > 1) ? $clog2(NREQ) : 1;
  localparam TW = $clog2(MAX_OUT);
  localparam [3:0] ID4 = ID;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg              ar_valid_reg;
  reg [31 : 0]     ar_addr_reg;
  reg [7 : 0]      ar_len_reg;
  reg [QW-1 : 0]   ar_who_reg;
  reg [QW-1 : 0]   rr_reg;             // round-robin pointer

  reg [QW-1 : 0]   tag_mem [0 : MAX_OUT-1];
  reg [TW-1 : 0]   tag_wr_reg;
  reg [TW-1 : 0]   tag_rd_reg;
  reg [TW : 0]     tag_cnt_reg;

  //----------------------------------------------------------------
  // Grant: the first valid requester at or after rr_reg.
  //----------------------------------------------------------------
  reg              grant;
  reg [QW-1 : 0]   grant_who;
  integer          i;
  reg [QW : 0]     cand;

  wire ar_fire    = ar_valid_reg & m_axi_arready;
  wire r_fire     = m_axi_rvalid & m_axi_rready;
  wire r_done     = r_fire & m_axi_rlast;
  // The held AR counts as occupying a tag slot.
  wire [TW+1 : 0] occ = {1'b0, tag_cnt_reg} + {{(TW+1){1'b0}}, ar_valid_reg};
  wire tag_full   = (occ >= {1'b0, MAX_OUT[TW:0]});
  // A new burst may be granted in the cycle the held one is accepted, so
  // one AR issues per cycle.
  wire can_issue  = (~ar_valid_reg | m_axi_arready) & ~tag_full & ~flush;

  always @* begin : arbitrate
    grant     = 1'b0;
    grant_who = {QW{1'b0}};
    req_ready = {NREQ{1'b0}};
    for (i = NREQ - 1; i >= 0; i = i - 1) begin
      cand = {1'b0, rr_reg} + i[QW:0];
      if (cand >= NREQ[QW:0])
        cand = cand - NREQ[QW:0];
      if (req_valid[cand[QW-1:0]]) begin
        grant     = can_issue;
        grant_who = cand[QW-1:0];
      end
    end
    if (grant)
      req_ready[grant_who] = 1'b1;
  end

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      ar_valid_reg <= 1'b0;
      ar_addr_reg  <= 32'h0;
      ar_len_reg   <= 8'h0;
      ar_who_reg   <= {QW{1'b0}};
      rr_reg       <= {QW{1'b0}};
      tag_wr_reg   <= {TW{1'b0}};
      tag_rd_reg   <= {TW{1'b0}};
      tag_cnt_reg  <= {(TW+1){1'b0}};
    end else begin
      if (grant) begin
        ar_valid_reg <= 1'b1;
        ar_addr_reg  <= req_addr[grant_who*32 +: 32];
        ar_len_reg   <= req_beats[grant_who*9 +: 8] - 8'h1;
        ar_who_reg   <= grant_who;
        rr_reg       <= (grant_who == NREQ[QW-1:0] - 1'b1) ? {QW{1'b0}} : grant_who + 1'b1;
      end else if (ar_fire) begin
        ar_valid_reg <= 1'b0;
      end
      if (ar_fire) begin
        tag_mem[tag_wr_reg] <= ar_who_reg;
        tag_wr_reg <= tag_wr_reg + 1'b1;
      end
      if (r_done)
        tag_rd_reg <= tag_rd_reg + 1'b1;
      case ({ar_fire, r_done})
        2'b10:   tag_cnt_reg <= tag_cnt_reg + 1'b1;
        2'b01:   tag_cnt_reg <= tag_cnt_reg - 1'b1;
        default: tag_cnt_reg <= tag_cnt_reg;
      endcase
    end
  end

  //----------------------------------------------------------------
  // Response routing.
  //----------------------------------------------------------------
  wire [QW-1 : 0] head = tag_mem[tag_rd_reg];
  wire            have = (tag_cnt_reg != {(TW+1){1'b0}});

  genvar g;
  generate
    for (g = 0; g < NREQ; g = g + 1) begin : g_rsp
      assign rsp_valid[g] = m_axi_rvalid & have & (head == g);
    end
  endgenerate

  // While flushing (layer abort) beats nobody takes are dropped, so an
  // abort can never wait on a requester that has stopped.
  assign m_axi_rready = have & (rsp_ready[head] | flush);
  assign rsp_data     = m_axi_rdata;
  assign rsp_last     = m_axi_rlast;
  assign rsp_err      = (m_axi_rresp != 2'b00);

  assign m_axi_arid    = ID4;
  assign m_axi_araddr  = ar_addr_reg;
  assign m_axi_arlen   = ar_len_reg;
  assign m_axi_arsize  = 3'd4;
  assign m_axi_arburst = 2'b01;
  assign m_axi_arvalid = ar_valid_reg;

  assign idle     = ~ar_valid_reg & ~have;
  assign bus_err  = r_fire & rsp_err;
  assign ar_stall = ar_valid_reg & ~m_axi_arready;
  assign rd_bytes = r_fire ? 5'd16 : 5'd0;

  wire unused_rid = ^m_axi_rid;

endmodule // kg_dma_rd
`default_nettype wire
