//======================================================================
// kg_wload.v
// ----------
// Weight path of one layer: DMA -> FIFO -> kg_weight_decrypt -> gearbox
// -> the array's weight port.
//
// Per pass the whole weight image of the layer is streamed once, tile by
// tile in the order the array consumes it (N tiles outer, K tiles inner),
// each tile TILE_BEATS 16-byte beats. Before each pass the decrypt unit is
// started at the layer's keystream position w_pos; the first pass saves a
// checkpoint there, so later passes seek back to it in two cycles.
//
// Bursts are requested only when the FIFO has room for every beat of the
// burst, so weight data never blocks the shared read channel.
//======================================================================
`default_nettype none

module kg_wload #(
  parameter ROWS   = 4,
  parameter COLS   = 4,
  parameter FIFO_D = 64
) (
  input  wire                clk,
  input  wire                reset_n,

  input  wire [31 : 0]       w_addr,
  input  wire [31 : 0]       w_pos,
  input  wire [1 : 0]        crypt,
  input  wire [31 : 0]       tiles,        // NT * KT per pass
  input  wire [31 : 0]       passes,

  input  wire                go,
  output wire                busy,

  output wire                rd_req_valid,
  input  wire                rd_req_ready,
  output wire [31 : 0]       rd_req_addr,
  output wire [8 : 0]        rd_req_beats,
  input  wire                rsp_valid,
  output wire                rsp_ready,
  input  wire [127 : 0]      rsp_data,

  // decrypt unit control
  output wire                dec_start,
  output wire [31 : 0]       dec_pos,
  output wire                dec_save,
  output wire [1 : 0]        dec_mode,
  input  wire                dec_ready,    // key ready (or no key needed)
  output wire                dec_in_valid,
  input  wire                dec_in_ready,
  output wire [127 : 0]      dec_in_data,
  input  wire                dec_out_valid,
  output wire                dec_out_ready,
  input  wire [127 : 0]      dec_out_data,

  output wire                w_valid,
  input  wire                w_ready,
  output wire [COLS*8-1 : 0] w_data
);

  localparam TILE_BEATS = (ROWS * COLS + 15) / 16;
  localparam FW = $clog2(FIFO_D + 1);

  //----------------------------------------------------------------
  // Pass sequencing.
  //----------------------------------------------------------------
  reg          run_reg;
  reg [31 : 0] pass_reg;          // passes started
  reg          need_start_reg;    // next pass needs a decrypt start
  reg          start_reg;
  reg [31 : 0] fed_reg;           // beats accepted by the decrypt unit in this pass
  reg [31 : 0] out_reg;           // beats taken from the decrypt unit in this pass
  reg          pass_open_reg;
  wire [31 : 0] beats_pass = tiles * TILE_BEATS;

  // Requests (run ahead of the decrypt start).
  reg          rq_act_reg;
  reg [31 : 0] rq_addr_reg;
  reg [31 : 0] rq_left_reg;       // beats of this pass still to request
  reg [31 : 0] rq_pass_reg;       // passes fully requested
  reg [FW-1:0] resv_reg;          // FIFO slots reserved by requested, unarrived beats

  wire [8 : 0] burst;
  // A burst never asks for more beats than the FIFO holds.
  wire [31 : 0] rq_cap = (rq_left_reg > FIFO_D) ? FIFO_D : rq_left_reg;
  kg_burst_split split (.addr(rq_addr_reg), .left(rq_cap), .beats(burst));

  wire [FW-1 : 0] fcount;
  wire            f_in_ready;
  wire            f_out_valid;
  wire [127 : 0]  f_out_data;

  wire [31 : 0] need = {23'h0, burst} + {{(32-FW){1'b0}}, resv_reg} + {{(32-FW){1'b0}}, fcount};
  wire fits = (need <= FIFO_D);
  assign rd_req_valid = rq_act_reg & fits;
  assign rd_req_addr  = rq_addr_reg;
  assign rd_req_beats = burst;
  wire req_fire = rd_req_valid & rd_req_ready;
  wire rsp_fire = rsp_valid & rsp_ready;
  assign rsp_ready = f_in_ready;

  kg_fifo #(.WIDTH(128), .DEPTH(FIFO_D)) fifo (
    .clk(clk), .reset_n(reset_n),
    .in_valid(rsp_valid), .in_ready(f_in_ready), .in_data(rsp_data),
    .out_valid(f_out_valid), .out_ready(dec_in_ready & pass_open_reg & ~start_reg),
    .out_data(f_out_data), .count(fcount));

  wire in_fire  = dec_in_valid & dec_in_ready;
  wire out_fire = dec_out_valid & dec_out_ready;

  wire can_start = run_reg & need_start_reg & dec_ready & (pass_reg != passes);

  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      run_reg        <= 1'b0;
      pass_reg       <= 32'h0;
      need_start_reg <= 1'b0;
      start_reg      <= 1'b0;
      fed_reg        <= 32'h0;
      out_reg        <= 32'h0;
      pass_open_reg  <= 1'b0;
      rq_act_reg     <= 1'b0;
      rq_addr_reg    <= 32'h0;
      rq_left_reg    <= 32'h0;
      rq_pass_reg    <= 32'h0;
      resv_reg       <= {FW{1'b0}};
    end else begin
      start_reg <= can_start;

      if (go && !run_reg) begin
        run_reg        <= (passes != 32'h0) && (tiles != 32'h0);
        pass_reg       <= 32'h0;
        need_start_reg <= 1'b1;
        pass_open_reg  <= 1'b0;
        rq_act_reg     <= (passes != 32'h0) && (tiles != 32'h0);
        rq_addr_reg    <= w_addr;
        rq_left_reg    <= beats_pass;
        rq_pass_reg    <= 32'h0;
      end else begin
        if (can_start) begin
          need_start_reg <= 1'b0;
          pass_open_reg  <= 1'b1;
          pass_reg       <= pass_reg + 32'd1;
          fed_reg        <= 32'h0;
          out_reg        <= 32'h0;
        end else begin
          if (in_fire)
            fed_reg <= fed_reg + 32'd1;
          if (in_fire && fed_reg + 32'd1 == beats_pass)
            pass_open_reg <= 1'b0;
          if (out_fire) begin
            out_reg <= out_reg + 32'd1;
            if (out_reg + 32'd1 == beats_pass) begin
              // every beat of the pass has left the decrypt unit
              if (pass_reg == passes)
                run_reg <= 1'b0;
              else
                need_start_reg <= 1'b1;
            end
          end
        end

        if (req_fire) begin
          if ({23'h0, burst} == rq_left_reg) begin
            rq_pass_reg <= rq_pass_reg + 32'd1;
            rq_addr_reg <= w_addr;
            rq_left_reg <= beats_pass;
            if (rq_pass_reg + 32'd1 == passes)
              rq_act_reg <= 1'b0;
          end else begin
            rq_addr_reg <= rq_addr_reg + {19'h0, burst, 4'h0};
            rq_left_reg <= rq_left_reg - {23'h0, burst};
          end
        end
      end

      case ({req_fire, rsp_fire})
        2'b10:   resv_reg <= resv_reg + burst[FW-1:0];
        2'b01:   resv_reg <= resv_reg - 1'b1;
        2'b11:   resv_reg <= resv_reg + burst[FW-1:0] - 1'b1;
        default: resv_reg <= resv_reg;
      endcase
    end
  end

  assign dec_start    = start_reg;
  assign dec_pos      = w_pos;
  assign dec_save     = (pass_reg == 32'd1);
  assign dec_mode     = crypt;
  assign dec_in_valid = f_out_valid & pass_open_reg & ~start_reg;
  assign dec_in_data  = f_out_data;

  kg_gearbox #(.ROWS(ROWS), .COLS(COLS)) gearbox (
    .clk(clk), .reset_n(reset_n),
    .in_valid(dec_out_valid), .in_ready(dec_out_ready), .in_data(dec_out_data),
    .out_valid(w_valid), .out_ready(w_ready), .out_data(w_data));

  assign busy = run_reg | rq_act_reg | (resv_reg != {FW{1'b0}}) | f_out_valid;

endmodule // kg_wload
`default_nettype wire
