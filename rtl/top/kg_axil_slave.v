//======================================================================
// kg_axil_slave.v
// ---------------
// AXI4-Lite slave (32-bit data) in front of a simple one-cycle register
// bus, used by kg_csr.
//
// AXI side:
//  - AW and W are accepted independently, in any order and in any cycle,
//    into one-entry holding registers (awready/wready are high while the
//    corresponding holding register is empty).
//  - When both are held and no write response is pending, the write is
//    issued on the register bus for exactly one cycle and the response is
//    registered: bvalid/bresp then stay stable until bready.
//  - AR is accepted into its own holding register; the read is issued on
//    the register bus when no read response is pending, and rvalid/rdata/
//    rresp stay stable until rready.
//  - Reads and writes run on separate channels; at most one read and one
//    write are outstanding. A read and a write may be issued to the
//    register bus in the same cycle (the read sees the state before the
//    write).
//  - awprot/arprot are accepted and ignored. The two low address bits are
//    passed through; the register file decodes whole words.
//
// Register bus (all in one cycle, no wait states):
//  wr_en, wr_addr, wr_data, wr_strb -> wr_err (same cycle; 1 = SLVERR)
//  rd_en, rd_addr                   -> rd_data, rd_err (same cycle)
//  A read answered with rd_err returns 0 on the AXI side.
//======================================================================
`default_nettype none

module kg_axil_slave #(
  parameter ADDR_W = 12
) (
  input  wire                clk,
  input  wire                reset_n,

  // AXI4-Lite slave.
  input  wire                s_axil_awvalid,
  output wire                s_axil_awready,
  input  wire [ADDR_W-1 : 0] s_axil_awaddr,
  input  wire [2 : 0]        s_axil_awprot,
  input  wire                s_axil_wvalid,
  output wire                s_axil_wready,
  input  wire [31 : 0]       s_axil_wdata,
  input  wire [3 : 0]        s_axil_wstrb,
  output wire                s_axil_bvalid,
  input  wire                s_axil_bready,
  output wire [1 : 0]        s_axil_bresp,
  input  wire                s_axil_arvalid,
  output wire                s_axil_arready,
  input  wire [ADDR_W-1 : 0] s_axil_araddr,
  input  wire [2 : 0]        s_axil_arprot,
  output wire                s_axil_rvalid,
  input  wire                s_axil_rready,
  output wire [31 : 0]       s_axil_rdata,
  output wire [1 : 0]        s_axil_rresp,

  // Register bus.
  output wire                wr_en,
  output wire [ADDR_W-1 : 0] wr_addr,
  output wire [31 : 0]       wr_data,
  output wire [3 : 0]        wr_strb,
  input  wire                wr_err,
  output wire                rd_en,
  output wire [ADDR_W-1 : 0] rd_addr,
  input  wire [31 : 0]       rd_data,
  input  wire                rd_err
);

  //----------------------------------------------------------------
  // AXI response codes.
  //----------------------------------------------------------------
  localparam [1 : 0] RESP_OKAY   = 2'b00;
  localparam [1 : 0] RESP_SLVERR = 2'b10;

  //----------------------------------------------------------------
  // Registers.
  //----------------------------------------------------------------
  reg                  aw_full_reg;
  reg                  aw_full_new;
  reg                  aw_full_we;
  reg [ADDR_W-1 : 0]   awaddr_reg;

  reg                  w_full_reg;
  reg                  w_full_new;
  reg                  w_full_we;
  reg [31 : 0]         wdata_reg;
  reg [3 : 0]          wstrb_reg;

  reg                  bvalid_reg;
  reg                  bvalid_new;
  reg                  bvalid_we;
  reg [1 : 0]          bresp_reg;

  reg                  ar_full_reg;
  reg                  ar_full_new;
  reg                  ar_full_we;
  reg [ADDR_W-1 : 0]   araddr_reg;

  reg                  rvalid_reg;
  reg                  rvalid_new;
  reg                  rvalid_we;
  reg [31 : 0]         rdata_reg;
  reg [1 : 0]          rresp_reg;

  wire aw_fire = s_axil_awvalid & ~aw_full_reg;
  wire w_fire  = s_axil_wvalid & ~w_full_reg;
  wire ar_fire = s_axil_arvalid & ~ar_full_reg;
  wire wr_go   = aw_full_reg & w_full_reg & ~bvalid_reg;
  wire rd_go   = ar_full_reg & ~rvalid_reg;

  wire _unused_prot = &{1'b0, s_axil_awprot, s_axil_arprot};

  //----------------------------------------------------------------
  // Ports.
  //----------------------------------------------------------------
  assign s_axil_awready = ~aw_full_reg;
  assign s_axil_wready  = ~w_full_reg;
  assign s_axil_bvalid  = bvalid_reg;
  assign s_axil_bresp   = bresp_reg;
  assign s_axil_arready = ~ar_full_reg;
  assign s_axil_rvalid  = rvalid_reg;
  assign s_axil_rdata   = rdata_reg;
  assign s_axil_rresp   = rresp_reg;

  assign wr_en   = wr_go;
  assign wr_addr = awaddr_reg;
  assign wr_data = wdata_reg;
  assign wr_strb = wstrb_reg;
  assign rd_en   = rd_go;
  assign rd_addr = araddr_reg;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      aw_full_reg <= 1'b0;
      awaddr_reg  <= {ADDR_W{1'b0}};
      w_full_reg  <= 1'b0;
      wdata_reg   <= 32'h0;
      wstrb_reg   <= 4'h0;
      bvalid_reg  <= 1'b0;
      bresp_reg   <= RESP_OKAY;
      ar_full_reg <= 1'b0;
      araddr_reg  <= {ADDR_W{1'b0}};
      rvalid_reg  <= 1'b0;
      rdata_reg   <= 32'h0;
      rresp_reg   <= RESP_OKAY;
    end else begin
      if (aw_full_we) aw_full_reg <= aw_full_new;
      if (w_full_we)  w_full_reg  <= w_full_new;
      if (bvalid_we)  bvalid_reg  <= bvalid_new;
      if (ar_full_we) ar_full_reg <= ar_full_new;
      if (rvalid_we)  rvalid_reg  <= rvalid_new;

      if (aw_fire) awaddr_reg <= s_axil_awaddr;
      if (ar_fire) araddr_reg <= s_axil_araddr;
      if (w_fire) begin
        wdata_reg <= s_axil_wdata;
        wstrb_reg <= s_axil_wstrb;
      end
      if (wr_go)
        bresp_reg <= wr_err ? RESP_SLVERR : RESP_OKAY;
      if (rd_go) begin
        rdata_reg <= rd_err ? 32'h0 : rd_data;
        rresp_reg <= rd_err ? RESP_SLVERR : RESP_OKAY;
      end
    end
  end

  //----------------------------------------------------------------
  // write_ctrl: holding registers and the write response.
  //----------------------------------------------------------------
  always @* begin : write_ctrl
    aw_full_new = aw_full_reg;
    aw_full_we  = 1'b0;
    w_full_new  = w_full_reg;
    w_full_we   = 1'b0;
    bvalid_new  = bvalid_reg;
    bvalid_we   = 1'b0;

    if (wr_go) begin
      aw_full_new = 1'b0;
      aw_full_we  = 1'b1;
      w_full_new  = 1'b0;
      w_full_we   = 1'b1;
      bvalid_new  = 1'b1;
      bvalid_we   = 1'b1;
    end else begin
      if (aw_fire) begin
        aw_full_new = 1'b1;
        aw_full_we  = 1'b1;
      end
      if (w_fire) begin
        w_full_new = 1'b1;
        w_full_we  = 1'b1;
      end
    end

    if (bvalid_reg && s_axil_bready) begin
      bvalid_new = 1'b0;
      bvalid_we  = 1'b1;
    end
  end

  //----------------------------------------------------------------
  // read_ctrl: holding register and the read response.
  //----------------------------------------------------------------
  always @* begin : read_ctrl
    ar_full_new = ar_full_reg;
    ar_full_we  = 1'b0;
    rvalid_new  = rvalid_reg;
    rvalid_we   = 1'b0;

    if (rd_go) begin
      ar_full_new = 1'b0;
      ar_full_we  = 1'b1;
      rvalid_new  = 1'b1;
      rvalid_we   = 1'b1;
    end else if (ar_fire) begin
      ar_full_new = 1'b1;
      ar_full_we  = 1'b1;
    end

    if (rvalid_reg && s_axil_rready) begin
      rvalid_new = 1'b0;
      rvalid_we  = 1'b1;
    end
  end

endmodule // kg_axil_slave

//======================================================================
// EOF kg_axil_slave.v
//======================================================================
