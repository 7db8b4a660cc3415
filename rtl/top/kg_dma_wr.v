//======================================================================
// kg_dma_wr.v
// -----------
// AXI4 write master for output rows: every request is one 16-byte beat
// (a single-beat INCR burst) with byte strobes. AW and W of a request are
// offered together and may be accepted in different cycles. At most
// MAX_OUT writes wait for their B response.
//
// idle: no request held and no response outstanding. A B response other
// than OKAY raises bus_err for one cycle. flush only blocks new requests;
// a request already offered on AW/W completes, as AXI requires.
//======================================================================
`default_nettype none

module kg_dma_wr #(
  parameter MAX_OUT = 64,
  parameter ID      = 0
) (
  input  wire            clk,
  input  wire            reset_n,
  input  wire            flush,

  input  wire            req_valid,
  output wire            req_ready,
  input  wire [31 : 0]   req_addr,
  input  wire [127 : 0]  req_data,
  input  wire [15 : 0]   req_strb,

  output wire [3 : 0]    m_axi_awid,
  output wire [31 : 0]   m_axi_awaddr,
  output wire [7 : 0]    m_axi_awlen,
  output wire [2 : 0]    m_axi_awsize,
  output wire [1 : 0]    m_axi_awburst,
  output wire            m_axi_awvalid,
  input  wire            m_axi_awready,
  output wire [127 : 0]  m_axi_wdata,
  output wire [15 : 0]   m_axi_wstrb,
  output wire            m_axi_wlast,
  output wire            m_axi_wvalid,
  input  wire            m_axi_wready,
  input  wire [3 : 0]    m_axi_bid,
  input  wire [1 : 0]    m_axi_bresp,
  input  wire            m_axi_bvalid,
  output wire            m_axi_bready,

  output wire            idle,
  output wire            bus_err,
  output wire            stall,
  output wire [4 : 0]    wr_bytes
);

  localparam CW = $clog2(MAX_OUT + 1);
  localparam [3:0] ID4 = ID;

  reg            aw_pend_reg;      // AW of the held request not yet accepted
  reg            w_pend_reg;       // W of the held request not yet accepted
  reg [31 : 0]   addr_reg;
  reg [127 : 0]  data_reg;
  reg [15 : 0]   strb_reg;
  reg [CW-1 : 0] out_reg;          // writes waiting for B

  wire aw_fire = m_axi_awvalid & m_axi_awready;
  wire w_fire  = m_axi_wvalid & m_axi_wready;
  wire b_fire  = m_axi_bvalid & m_axi_bready;
  wire held    = aw_pend_reg | w_pend_reg;
  wire full    = (out_reg == MAX_OUT[CW-1:0]);

  // A new request may enter in the cycle the held one completes.
  wire frees = (~aw_pend_reg | aw_fire) & (~w_pend_reg | w_fire);
  assign req_ready = frees & ~full & ~flush;
  wire   req_fire  = req_valid & req_ready;

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      aw_pend_reg <= 1'b0;
      w_pend_reg  <= 1'b0;
      addr_reg    <= 32'h0;
      data_reg    <= 128'h0;
      strb_reg    <= 16'h0;
      out_reg     <= {CW{1'b0}};
    end else begin
      if (req_fire) begin
        aw_pend_reg <= 1'b1;
        w_pend_reg  <= 1'b1;
        addr_reg    <= req_addr;
        data_reg    <= req_data;
        strb_reg    <= req_strb;
      end else begin
        if (aw_fire) aw_pend_reg <= 1'b0;
        if (w_fire)  w_pend_reg  <= 1'b0;
      end
      case ({req_fire, b_fire})
        2'b10:   out_reg <= out_reg + 1'b1;
        2'b01:   out_reg <= out_reg - 1'b1;
        default: out_reg <= out_reg;
      endcase
    end
  end

  assign m_axi_awid    = ID4;
  assign m_axi_awaddr  = addr_reg;
  assign m_axi_awlen   = 8'h0;
  assign m_axi_awsize  = 3'd4;
  assign m_axi_awburst = 2'b01;
  assign m_axi_awvalid = aw_pend_reg;
  assign m_axi_wdata   = data_reg;
  assign m_axi_wstrb   = strb_reg;
  assign m_axi_wlast   = 1'b1;
  assign m_axi_wvalid  = w_pend_reg;
  assign m_axi_bready  = 1'b1;

  assign idle    = ~held & (out_reg == {CW{1'b0}});
  assign bus_err = b_fire & (m_axi_bresp != 2'b00);
  assign stall   = (aw_pend_reg & ~m_axi_awready) | (w_pend_reg & ~m_axi_wready);

  // Bytes written: the strobes of the W beat accepted this cycle.
  integer i;
  reg [4:0] nb;
  always @* begin : count_bytes
    nb = 5'd0;
    for (i = 0; i < 16; i = i + 1)
      nb = nb + {4'd0, strb_reg[i]};
  end
  assign wr_bytes = w_fire ? nb : 5'd0;

  wire unused_bid = ^m_axi_bid;

endmodule // kg_dma_wr
`default_nettype wire
