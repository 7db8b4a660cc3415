//======================================================================
// kg_perf.v
// ---------
// The seven 64-bit performance counters of kgmac (docs/spec.md 16), in
// register-map order:
//   0 CYCLES     every cycle
//   1 BUSY       cycles with busy
//   2 COMPUTE    cycles with ev_compute
//   3 RD_BYTES   sum of rd_bytes (0..16 per cycle)
//   4 WR_BYTES   sum of wr_bytes (0..16 per cycle)
//   5 DMA_STALL  cycles with dma_stall
//   6 DEC_STALL  cycles with dec_stall
// Counters wrap at 2^64 (more than 5000 years at 100 MHz).
//
// clear zeroes every counter and every latched high word; the counters
// start again from 0 in the next cycle. latch copies the high word of
// every counter into hi (the value the counters hold in that cycle, so a
// low word read in that cycle and the high words latched by it belong
// together). clear wins over latch.
//
// lo[32i +: 32] is the live low word of counter i; hi[32i +: 32] the
// latched high word.
//======================================================================
`default_nettype none

module kg_perf (
  input  wire               clk,
  input  wire               reset_n,

  input  wire               clear,
  input  wire               latch,

  input  wire               busy,
  input  wire               ev_compute,
  input  wire [4 : 0]       rd_bytes,
  input  wire [4 : 0]       wr_bytes,
  input  wire               dma_stall,
  input  wire               dec_stall,

  output wire [7*32-1 : 0]  lo,
  output wire [7*32-1 : 0]  hi
);

  localparam NCNT = 7;

  //----------------------------------------------------------------
  // Registers. Public so that tests can preload counters near a word
  // boundary.
  //----------------------------------------------------------------
  reg [NCNT*64-1 : 0] cnt_reg /*verilator public_flat_rw*/;
  reg [NCNT*64-1 : 0] cnt_new;
  reg [NCNT*32-1 : 0] hi_reg;
  reg [NCNT*32-1 : 0] hi_new;
  reg                 hi_we;

  // Per-counter increment of this cycle.
  wire [NCNT*5-1 : 0] inc = {{4'd0, dec_stall},
                             {4'd0, dma_stall},
                             wr_bytes,
                             rd_bytes,
                             {4'd0, ev_compute},
                             {4'd0, busy},
                             5'd1};

  genvar g;
  generate
    for (g = 0; g < NCNT; g = g + 1) begin : g_out
      assign lo[32*g +: 32] = cnt_reg[64*g +: 32];
    end
  endgenerate
  assign hi = hi_reg;

  //----------------------------------------------------------------
  // reg_update
  //----------------------------------------------------------------
  always @(posedge clk) begin : reg_update
    if (!reset_n) begin
      cnt_reg <= {NCNT*64{1'b0}};
      hi_reg  <= {NCNT*32{1'b0}};
    end else begin
      cnt_reg <= cnt_new;
      if (hi_we) hi_reg <= hi_new;
    end
  end

  //----------------------------------------------------------------
  // count
  //----------------------------------------------------------------
  integer i;
  always @* begin : count
    cnt_new = cnt_reg;
    hi_new  = hi_reg;
    hi_we   = 1'b0;
    if (clear) begin
      cnt_new = {NCNT*64{1'b0}};
      hi_new  = {NCNT*32{1'b0}};
      hi_we   = 1'b1;
    end else begin
      for (i = 0; i < NCNT; i = i + 1)
        cnt_new[64*i +: 64] = cnt_reg[64*i +: 64] + {59'd0, inc[5*i +: 5]};
      if (latch) begin
        for (i = 0; i < NCNT; i = i + 1)
          hi_new[32*i +: 32] = cnt_reg[64*i+32 +: 32];
        hi_we = 1'b1;
      end
    end
  end

endmodule // kg_perf

//======================================================================
// EOF kg_perf.v
//======================================================================
