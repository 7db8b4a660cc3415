`default_nettype none
// kgsim_axi_exerciser: test master for libkgsim with exactly kg_top's ports.
//
// CSRs on the AXI4-Lite slave (byte offsets; other offsets answer SLVERR):
//   0x000 ID       RO  32'h4B47_5845 ("KGXE")
//   0x004 GEOM     RO  {ROWS[15:0], COLS[15:0]}
//   0x008 CTRL     W   bit0 start (ignored while busy), bit1 mode: 0 read, 1 write
//                  R   {30'b0, mode, 1'b0}
//   0x00C STATUS   R   bit0 busy, bit1 done, bit2 bus error, bit3 rlast/rid/bid
//                      mismatch, [5:4] first error resp; W1C bits 1..3 (bit2
//                      also clears [5:4])
//   0x010 IRQ_EN   RW  bit0: irq = done & IRQ_EN[0]
//   0x014 ADDR     RW  address of the first burst
//   0x018 NBURSTS  RW  [15:0] bursts to run
//   0x01C BURSTLEN RW  [7:0] AxLEN of every burst (beats - 1)
//   0x020 MAXOUT   RW  [6:0] outstanding transactions, 1..64 (0 counts as 1)
//   0x024 SUM      RO  sum mod 2^32 of every 32-bit word read
//   0x028 CYCLES   RO  cycles from start to done
//   0x02C SEED     RW  write mode: word j of the beat at address A is A + SEED + j
//   0x030 SCRATCH  RW  byte strobes honoured
//   0x034 RDELAY   RW  [7:0] extra cycles before each B / R on this CSR port
//   0x038 AXSIZE   RW  [2:0] ARSIZE/AWSIZE to issue (reset 4)
//   0x03C BEATS    RO  data beats moved since start
// Bursts run at increasing addresses, back to back; burst i has ID i[3:0],
// and responses must return in order.
module kgsim_axi_exerciser #(
  parameter ROWS = 8,
  parameter COLS = 8
) (
  input  wire         clk,
  input  wire         reset_n,
  input  wire [11:0]  s_axil_awaddr,
  input  wire         s_axil_awvalid,
  output wire         s_axil_awready,
  input  wire [31:0]  s_axil_wdata,
  input  wire [3:0]   s_axil_wstrb,
  input  wire         s_axil_wvalid,
  output wire         s_axil_wready,
  output wire [1:0]   s_axil_bresp,
  output wire         s_axil_bvalid,
  input  wire         s_axil_bready,
  input  wire [11:0]  s_axil_araddr,
  input  wire         s_axil_arvalid,
  output wire         s_axil_arready,
  output wire [31:0]  s_axil_rdata,
  output wire [1:0]   s_axil_rresp,
  output wire         s_axil_rvalid,
  input  wire         s_axil_rready,
  output wire [3:0]   m_axi_arid,
  output wire [31:0]  m_axi_araddr,
  output wire [7:0]   m_axi_arlen,
  output wire [2:0]   m_axi_arsize,
  output wire [1:0]   m_axi_arburst,
  output wire         m_axi_arvalid,
  input  wire         m_axi_arready,
  input  wire [3:0]   m_axi_rid,
  input  wire [127:0] m_axi_rdata,
  input  wire [1:0]   m_axi_rresp,
  input  wire         m_axi_rlast,
  input  wire         m_axi_rvalid,
  output wire         m_axi_rready,
  output wire [3:0]   m_axi_awid,
  output wire [31:0]  m_axi_awaddr,
  output wire [7:0]   m_axi_awlen,
  output wire [2:0]   m_axi_awsize,
  output wire [1:0]   m_axi_awburst,
  output wire         m_axi_awvalid,
  input  wire         m_axi_awready,
  output wire [127:0] m_axi_wdata,
  output wire [15:0]  m_axi_wstrb,
  output wire         m_axi_wlast,
  output wire         m_axi_wvalid,
  input  wire         m_axi_wready,
  input  wire [3:0]   m_axi_bid,
  input  wire [1:0]   m_axi_bresp,
  input  wire         m_axi_bvalid,
  output wire         m_axi_bready,
  output wire         irq
);
  // ---------------- CSR state
  reg        mode;
  reg        busy;
  reg        done;
  reg        err_bus;
  reg        err_seq;
  reg [1:0]  err_resp;
  reg        irq_en;
  reg [31:0] base_addr;
  reg [15:0] nbursts;
  reg [7:0]  burstlen;
  reg [6:0]  maxout;
  reg [31:0] sum;
  reg [31:0] cycles;
  reg [31:0] seed;
  reg [31:0] scratch /* verilator public_flat_rd */;  // read by test_kgsim_api
  reg [7:0]  rdelay;
  reg [2:0]  axsize;
  reg [31:0] beats;

  // ---------------- AXI4-Lite write channel
  reg        aw_have;
  reg        w_have;
  reg [11:0] aw_addr_q;
  reg [31:0] w_data_q;
  reg [3:0]  w_strb_q;
  reg        b_pend;
  reg [7:0]  b_cnt;
  reg        bvalid_q;
  reg [1:0]  bresp_q;
  wire       wr_idle = !b_pend && !bvalid_q;
  assign s_axil_awready = !aw_have && wr_idle;
  assign s_axil_wready  = !w_have && wr_idle;
  assign s_axil_bvalid  = bvalid_q;
  assign s_axil_bresp   = bresp_q;
  wire       wr_en = aw_have && w_have;
  wire [31:0] wmask = {{8{w_strb_q[3]}}, {8{w_strb_q[2]}}, {8{w_strb_q[1]}}, {8{w_strb_q[0]}}};

  // ---------------- AXI4-Lite read channel
  reg        r_pend;
  reg [7:0]  r_cnt;
  reg [11:0] ar_addr_q;
  reg        rvalid_q;
  reg [31:0] rdata_q;
  reg [1:0]  rresp_q;
  assign s_axil_arready = !r_pend && !rvalid_q;
  assign s_axil_rvalid  = rvalid_q;
  assign s_axil_rdata   = rdata_q;
  assign s_axil_rresp   = rresp_q;

  reg [31:0] rd_mux;
  reg        rd_ok;
  always @(*) begin
    rd_ok = 1'b1;
    case (ar_addr_q[11:2])
      10'h000: rd_mux = 32'h4B47_5845;
      10'h001: rd_mux = {ROWS[15:0], COLS[15:0]};
      10'h002: rd_mux = {30'd0, mode, 1'b0};
      10'h003: rd_mux = {26'd0, err_resp, err_seq, err_bus, done, busy};
      10'h004: rd_mux = {31'd0, irq_en};
      10'h005: rd_mux = base_addr;
      10'h006: rd_mux = {16'd0, nbursts};
      10'h007: rd_mux = {24'd0, burstlen};
      10'h008: rd_mux = {25'd0, maxout};
      10'h009: rd_mux = sum;
      10'h00A: rd_mux = cycles;
      10'h00B: rd_mux = seed;
      10'h00C: rd_mux = scratch;
      10'h00D: rd_mux = {24'd0, rdelay};
      10'h00E: rd_mux = {29'd0, axsize};
      10'h00F: rd_mux = beats;
      default: begin rd_mux = 32'd0; rd_ok = 1'b0; end
    endcase
    if (ar_addr_q[1:0] != 2'b00) rd_ok = 1'b0;
  end
  // Writes to misaligned or unmapped offsets change nothing and answer SLVERR.
  wire wr_do = wr_en && (aw_addr_q[1:0] == 2'b00);
  wire wr_ok = (aw_addr_q[1:0] == 2'b00) && ((aw_addr_q[11:2] == 10'h002) || (aw_addr_q[11:2] == 10'h003) ||
               ((aw_addr_q[11:2] >= 10'h004) && (aw_addr_q[11:2] <= 10'h008)) ||
               ((aw_addr_q[11:2] >= 10'h00B) && (aw_addr_q[11:2] <= 10'h00E)));
  wire start = wr_do && (aw_addr_q[11:2] == 10'h002) && w_strb_q[0] && w_data_q[0] && !busy;

  always @(posedge clk) begin
    if (!reset_n) begin
      aw_have <= 1'b0; w_have <= 1'b0; b_pend <= 1'b0; bvalid_q <= 1'b0;
      aw_addr_q <= 12'd0; w_data_q <= 32'd0; w_strb_q <= 4'd0; b_cnt <= 8'd0; bresp_q <= 2'd0;
      r_pend <= 1'b0; rvalid_q <= 1'b0; r_cnt <= 8'd0; ar_addr_q <= 12'd0;
      rdata_q <= 32'd0; rresp_q <= 2'd0;
    end else begin
      if (s_axil_awvalid && s_axil_awready) begin aw_have <= 1'b1; aw_addr_q <= s_axil_awaddr; end
      if (s_axil_wvalid && s_axil_wready) begin
        w_have <= 1'b1; w_data_q <= s_axil_wdata; w_strb_q <= s_axil_wstrb;
      end
      if (wr_en) begin
        aw_have <= 1'b0; w_have <= 1'b0; b_pend <= 1'b1; b_cnt <= rdelay;
        bresp_q <= wr_ok ? 2'b00 : 2'b10;
      end
      if (b_pend) begin
        if (b_cnt == 8'd0) begin b_pend <= 1'b0; bvalid_q <= 1'b1; end
        else b_cnt <= b_cnt - 8'd1;
      end
      if (bvalid_q && s_axil_bready) bvalid_q <= 1'b0;

      if (s_axil_arvalid && s_axil_arready) begin
        r_pend <= 1'b1; r_cnt <= rdelay; ar_addr_q <= s_axil_araddr;
      end
      if (r_pend) begin
        if (r_cnt == 8'd0) begin
          r_pend <= 1'b0; rvalid_q <= 1'b1; rdata_q <= rd_mux; rresp_q <= rd_ok ? 2'b00 : 2'b10;
        end else r_cnt <= r_cnt - 8'd1;
      end
      if (rvalid_q && s_axil_rready) rvalid_q <= 1'b0;
    end
  end

  // ---------------- DMA engine
  reg [31:0] ar_addr;    // next burst address (AR or AW)
  reg [15:0] a_left;     // bursts whose AR/AW is still to issue
  reg [15:0] a_count;    // bursts issued (gives the ID)
  reg [15:0] d_left;     // bursts whose response (R or B) is still due
  reg [15:0] d_count;    // bursts completed (expected response ID)
  reg [6:0]  outst;      // issued, response not complete
  reg [8:0]  r_beat;     // beat within the current R burst
  reg [15:0] w_left;     // bursts whose W data is still to send
  reg [8:0]  w_beat;
  reg [31:0] w_addr;     // address of the current W beat

  wire [6:0] maxout_eff = (maxout == 7'd0) ? 7'd1 : maxout;
  wire a_ok = busy && (a_left != 16'd0) && (outst < maxout_eff);
  assign m_axi_arvalid = a_ok && !mode;
  assign m_axi_awvalid = a_ok && mode;
  assign m_axi_arid    = a_count[3:0];
  assign m_axi_awid    = a_count[3:0];
  assign m_axi_araddr  = ar_addr;
  assign m_axi_awaddr  = ar_addr;
  assign m_axi_arlen   = burstlen;
  assign m_axi_awlen   = burstlen;
  assign m_axi_arsize  = axsize;
  assign m_axi_awsize  = axsize;
  assign m_axi_arburst = 2'b01;
  assign m_axi_awburst = 2'b01;
  assign m_axi_rready  = busy && !mode;
  assign m_axi_bready  = busy && mode;
  assign m_axi_wvalid  = busy && mode && (w_left != 16'd0);
  assign m_axi_wlast   = (w_beat[7:0] == burstlen);
  assign m_axi_wstrb   = 16'hFFFF;
  wire [31:0] wbase = w_addr + seed;
  assign m_axi_wdata   = {wbase + 32'd3, wbase + 32'd2, wbase + 32'd1, wbase};
  assign irq = done && irq_en;

  wire a_fire = (m_axi_arvalid && m_axi_arready) || (m_axi_awvalid && m_axi_awready);
  wire r_fire = m_axi_rvalid && m_axi_rready;
  wire w_fire = m_axi_wvalid && m_axi_wready;
  wire b_fire = m_axi_bvalid && m_axi_bready;
  wire r_end  = r_fire && m_axi_rlast;
  wire d_end  = r_end || b_fire;
  wire [1:0] d_resp = r_fire ? m_axi_rresp : m_axi_bresp;
  wire [31:0] rsum = m_axi_rdata[31:0] + m_axi_rdata[63:32] + m_axi_rdata[95:64] +
                     m_axi_rdata[127:96];
  wire [8:0]  burst_beats = {1'b0, burstlen} + 9'd1;
  wire [31:0] burst_bytes = {19'd0, burst_beats, 4'd0};

  always @(posedge clk) begin
    if (!reset_n) begin
      mode <= 1'b0; busy <= 1'b0; done <= 1'b0; err_bus <= 1'b0; err_seq <= 1'b0;
      err_resp <= 2'd0; irq_en <= 1'b0; base_addr <= 32'd0; nbursts <= 16'd0;
      burstlen <= 8'd0; maxout <= 7'd1; sum <= 32'd0; cycles <= 32'd0; seed <= 32'd0;
      scratch <= 32'd0; rdelay <= 8'd0; axsize <= 3'd4; beats <= 32'd0;
      ar_addr <= 32'd0; a_left <= 16'd0; a_count <= 16'd0; d_left <= 16'd0; d_count <= 16'd0;
      outst <= 7'd0; r_beat <= 9'd0; w_left <= 16'd0; w_beat <= 9'd0; w_addr <= 32'd0;
    end else begin
      // CSR writes
      if (wr_do) begin
        case (aw_addr_q[11:2])
          10'h002: if (!busy && w_strb_q[0]) mode <= w_data_q[1];
          10'h003: if (w_strb_q[0]) begin
            if (w_data_q[1]) done <= 1'b0;
            if (w_data_q[2]) begin err_bus <= 1'b0; err_resp <= 2'd0; end
            if (w_data_q[3]) err_seq <= 1'b0;
          end
          10'h004: if (w_strb_q[0]) irq_en <= w_data_q[0];
          10'h005: base_addr <= (base_addr & ~wmask) | (w_data_q & wmask);
          10'h006: nbursts <= (nbursts & ~wmask[15:0]) | (w_data_q[15:0] & wmask[15:0]);
          10'h007: if (w_strb_q[0]) burstlen <= w_data_q[7:0];
          10'h008: if (w_strb_q[0]) maxout <= w_data_q[6:0];
          10'h00B: seed <= (seed & ~wmask) | (w_data_q & wmask);
          10'h00C: scratch <= (scratch & ~wmask) | (w_data_q & wmask);
          10'h00D: if (w_strb_q[0]) rdelay <= w_data_q[7:0];
          10'h00E: if (w_strb_q[0]) axsize <= w_data_q[2:0];
          default: ;
        endcase
      end
      if (start) begin
        mode <= w_data_q[1];
        busy <= (nbursts != 16'd0);
        done <= (nbursts == 16'd0);
        ar_addr <= base_addr; a_left <= nbursts; a_count <= 16'd0;
        d_left <= nbursts; d_count <= 16'd0; outst <= 7'd0; r_beat <= 9'd0;
        w_left <= w_data_q[1] ? nbursts : 16'd0; w_beat <= 9'd0; w_addr <= base_addr;
        sum <= 32'd0; cycles <= 32'd0; beats <= 32'd0;
      end else if (busy) begin
        cycles <= cycles + 32'd1;
        if (a_fire) begin
          ar_addr <= ar_addr + burst_bytes;
          a_left <= a_left - 16'd1;
          a_count <= a_count + 16'd1;
        end
        outst <= outst + {6'd0, a_fire} - {6'd0, d_end};
        if (r_fire) begin
          sum <= sum + rsum;
          beats <= beats + 32'd1;
          r_beat <= r_end ? 9'd0 : r_beat + 9'd1;
          if (m_axi_rlast != (r_beat[7:0] == burstlen) || m_axi_rid != d_count[3:0])
            err_seq <= 1'b1;
        end
        if (w_fire) begin
          beats <= beats + 32'd1;
          w_addr <= w_addr + 32'd16;
          w_beat <= m_axi_wlast ? 9'd0 : w_beat + 9'd1;
          if (m_axi_wlast) w_left <= w_left - 16'd1;
        end
        if (b_fire && m_axi_bid != d_count[3:0]) err_seq <= 1'b1;
        if ((r_fire || b_fire) && d_resp != 2'b00 && !err_bus) begin
          err_bus <= 1'b1;
          err_resp <= d_resp;
        end
        if (d_end) begin
          d_left <= d_left - 16'd1;
          d_count <= d_count + 16'd1;
          if (d_left == 16'd1) begin busy <= 1'b0; done <= 1'b1; end
        end
      end
    end
  end
endmodule

`default_nettype wire
